//! # Single-decree Paxos
//!
//! Day 2, section 3 of the *Patterns of Distributed Systems* workshop.
//!
//! ## The failure this answers
//!
//! Three replicas must agree on **one** value — which of two clients gets the title,
//! which command a log slot holds — while messages are lost, delayed and duplicated,
//! nodes crash and restart, and two coordinators may be working at once. Section 01's
//! "largest request id wins" recovery can replace a value some clients were already told
//! was chosen. Section 02's generation voting elects a leader but says nothing about the
//! value an old leader left half-replicated. Paxos closes that gap with one rule: a new
//! proposer must *adopt* the value of the highest-ballot acceptance it hears about.
//!
//! And it closes it for real crashes. In the Java workshop nothing ever crashed (the
//! simulator could not restart a process, so a "crash" was a partition). Here a node
//! restarts from what it synced, and an acceptor that announces a promise before its
//! write is durable is a bug the tests catch.
//!
//! ## Roles
//!
//! Every [`Server`] plays all three roles:
//! * **proposer** ([`proposer`]): runs ballots for the clients waiting at this node;
//! * **acceptor** ([`acceptor`]): promises and accepts, durably;
//! * **learner** ([`learner`]): records the chosen value, applies it once to a small
//!   [`StateMachine`], answers the clients.
//!
//! ## Ballots
//!
//! A [`Ballot`] is `(round, node id)`, compared by round and then by node. Two
//! proposers never share a ballot, even in the same round. A proposer's next round is
//! one above every round it has seen — its own promises, the acceptances reported to
//! it, the promise named in a rejection — so one retry is enough to get past any
//! competitor. Before using a round the proposer writes it to storage (the round
//! *reservation*), so a restarted node never reuses a ballot it may already have
//! proposed a value in.
//!
//! ## The protocol, step by step
//!
//! 1. A client sends `Execute { request, operation }` to any server. The request id
//!    (client, sequence) travels inside the proposed [`Value`], so when a value is
//!    chosen everyone knows *whose* operation it was. If this node already knows the
//!    decision it answers at once; otherwise the client waits and, if no run is in
//!    progress, the node starts one.
//! 2. **Phase 1a.** The proposer reserves a new round, then sends `Prepare(b)` to every
//!    server, itself included.
//! 3. **Phase 1b.** An acceptor whose promise is not above `b` sets its promise to `b`,
//!    writes its record with a sync, and **only when the write is durable** answers
//!    `Promise(b, accepted)`, where `accepted` is the highest-ballot proposal it has
//!    accepted, if any. Otherwise it answers `Reject` at once, naming its promise. (A
//!    repeat of the promised ballot can only be a network duplicate of the same
//!    prepare, since ballots are unique, so it is promised again rather than refused.)
//! 4. **Value selection.** With promises from a majority, the proposer must propose the
//!    value of the highest-ballot proposal among them; only if none reports one may it
//!    propose its own client's value ([`choose_value`]).
//! 5. **Phase 2a/2b.** `Accept(b, v)` to everyone; an acceptor whose promise is not
//!    above `b` records `(b, v)`, raises its promise to `b`, syncs, and then answers
//!    `Accepted(b)`.
//! 6. **Chosen.** When a majority accepted `(b, v)`, `v` is chosen. The proposer sends
//!    `Commit(b, v)` to everyone and retransmits to any node that has not answered
//!    `Committed`.
//! 7. **Learn.** A node that receives the commit records it durably (raising its promise
//!    and accepted ballot to `b`, never lowering them), applies `v` to its state machine
//!    if it has not yet, acknowledges, and tells each waiting client whether its own
//!    request won (`won` compares request ids, not operations). A repeated commit is
//!    acknowledged again, never applied again. A commit write that fails is retried up
//!    to [`Config::commit_write_attempts`] times in all; then the node applies and
//!    acknowledges nothing and tells its waiting clients `NotDurable` (the [`learner`]
//!    module says why that, and not an answer from memory, is the honest thing).
//! 8. **Retry.** A failed phase (refusals, timeouts) ends the attempt; the proposer waits
//!    a random time — the window doubles with each attempt, up to a cap — and tries a
//!    higher ballot. Duelling proposers drift apart and one of them finishes. After
//!    [`Config::max_attempts`] the clients are told `Undecided`: the outcome is unknown,
//!    and asking again with the same request id will tell them.
//! 9. **Restart.** A node reloads its acceptor record and its reserved round, and
//!    rebuilds its state machine by applying its durable committed value.
//!
//! Every timing constant lives in [`Config`], in ticks.
//!
//! ## Invariants
//!
//! Asserted in the code or checked by the tests after every simulated tick:
//! * **Agreement** — at most one value is ever committed, on any node, in memory or on
//!   disk; a committed value never changes.
//! * **Value preservation** — once `v` is chosen at ballot `b`, every proposal with a
//!   higher ballot carries `v` (this is what step 4 buys).
//! * **Promise monotonicity** — a durable promise never decreases; memory is never
//!   behind the disk.
//! * **Accepted ≤ promised** — on every acceptor, including one that learned only from a
//!   commit.
//! * **Durable decision** — no promise or acceptance is visible to a proposer before it
//!   is on disk, so after a restart an acceptor never contradicts a reply it sent.
//! * **One winner** — every client is told the same chosen request, and `won` exactly
//!   when it is its own.
//!
//! ## The negative control
//!
//! [`AcceptorMode::ReplyBeforeSync`] is the deliberately broken acceptor of the TLA+
//! model `BrokenDurableDecision`: it answers as soon as it has decided in memory. The
//! model's checker finds the one-step violation (`ResponseImpliesDurable`) and the
//! forgotten promise after a crash (`PromiseKept`). Here the consequence is visible end
//! to end: an acceptor acknowledges an acceptance, crashes before the sync, restarts
//! without it, and a later ballot gets a second value chosen. The seeded fault runner
//! finds such a schedule among its seeds and prints the command that replays it; the
//! correct acceptor passes every seed under the same faults.
//!
//! A second control, [`ProposerMode::IgnoreAcceptedValues`], is the TLA+ model
//! `BrokenPaxos`: a proposer that skips step 4 and always proposes its own client's
//! value. The invariant "a chosen value is preserved by higher ballots" catches it
//! within the first few seeds.
//!
//! ## What this section leaves out, and why
//!
//! * **More than one value.** Single-decree Paxos chooses once; after that every request
//!   learns the same decision. A log of decisions is section 04 (`paxoslog`).
//! * **A stable leader.** Every node may propose, so duelling is handled by backoff, not
//!   avoided. Skipping phase 1 under a stable leader is Multi-Paxos, section 05.
//! * **Learning without a client.** A node that missed every commit retransmission
//!   learns the value when a later request runs a ballot through it; there is no
//!   background catch-up.
//! * **Membership changes and flexible quorums.** Majorities of a fixed membership only.
//! * **Compaction and snapshots.** There is one value; nothing grows.
//! * **Byzantine faults.** Nodes may crash, restart and lose unsynced writes; they do not
//!   lie. A torn or corrupted record is refused at start (the node stays silent), not
//!   repaired.

pub mod acceptor;
pub mod client;
pub mod config;
pub mod error;
pub mod learner;
pub mod messages;
pub mod proposer;
pub mod server;
pub mod state_machine;

pub use client::{Decision, build, decision, execute, execute_within};
pub use config::{AcceptorMode, Config, ProposerMode};
pub use error::ClientError;
pub use learner::CommitWriteFailure;
pub use messages::{Ballot, Msg, Operation, Proposal, RejectReason, RequestId, Value};
pub use proposer::{Phase, ProposerRun, choose_value};
pub use server::{ACCEPTOR_KEY, AcceptorState, Applied, PROPOSER_KEY, Server};
pub use state_machine::StateMachine;
