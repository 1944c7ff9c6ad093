//! # A Paxos log: one Paxos instance per slot
//!
//! Day 2, section 4 of the *Patterns of Distributed Systems* workshop.
//!
//! ## The failure this answers
//!
//! Section 03's single-decree Paxos chooses **one** value, once. A replicated key-value
//! store needs a *sequence* of decisions — this `Set`, then that compare-and-swap, then
//! a read — applied in the same order on every replica, each exactly once, surviving
//! lost messages, partitions and crashes. Running section 03 again does not help: the
//! second run rediscovers the first decision.
//!
//! The answer is a **log**: slot 1, slot 2, … each an independent Paxos instance. A
//! client's operation goes into the first slot its proposer can win; every replica
//! executes committed slots strictly in slot order, never skipping a gap, so every
//! replica's store goes through the same states.
//!
//! ## Roles
//!
//! Every [`Server`] plays every role, for every slot:
//! * **proposer** ([`proposer`]): places the clients waiting at this node, one request
//!   at a time, each in the first slot it can win;
//! * **acceptor** ([`acceptor`]): promises and accepts per slot, durably;
//! * **learner** ([`learner`]): records chosen values durably, executes the log in order
//!   against a [`StateMachine`], answers clients, and catches up on slots it missed.
//!
//! ## The protocol, step by step
//!
//! 1. A client sends `Execute { request, operation }` to any server: `Set`, `Get` or
//!    `CompareAndSwap`. The request id (client, sequence number) travels inside the
//!    log entry ([`Value`]), so when a slot is chosen everybody knows *whose* operation
//!    it holds. If the request already executed here, the server answers from the slot
//!    that holds it; otherwise the client waits and the proposer is started.
//! 2. **Pick a slot.** The proposer starts at the first slot after the executed prefix
//!    that this node does not know to be committed ([`Server::first_open_slot`]). It does
//!    not walk the log from slot 1: everything before is known chosen.
//! 3. **Phase 1, for that slot.** The proposer takes a fresh ballot `(round, node)` —
//!    above every round it has seen, from a block of rounds reserved durably — and sends
//!    `Prepare(slot, b)` to every server, itself included. An acceptor that has
//!    committed the slot answers `Decided(slot, v)`. Otherwise, if its promise *for that
//!    slot* is not above `b`, it raises it, writes the slot's record with a sync, and
//!    **only when the write is durable** answers `Promise(slot, b, accepted)`, where
//!    `accepted` is the highest-ballot proposal it accepted in the slot. A lower ballot
//!    gets `Reject`, naming the promise.
//! 4. **Value selection.** With a majority of promises, the proposer must propose the
//!    value of the highest-ballot proposal among them ([`choose_value`]); only if none
//!    reports one may it propose its own client's operation. This is what fills a slot
//!    a crashed proposer left half-accepted with the value that may already be chosen.
//! 5. **Phase 2.** `Accept(slot, b, v)` to everyone; an acceptor whose promise for the
//!    slot is not above `b` records `(b, v)`, raises its promise, syncs, and then
//!    answers `Accepted(slot, b)`.
//! 6. **Chosen.** A majority accepted `(b, v)`: `v` is chosen for the slot. The proposer
//!    learns it locally and sends `Commit(slot, v)` to every other node. If `v` is its
//!    own request, the run is over; if it is someone else's (adopted in step 4, or
//!    reported `Decided`), that is progress: the run goes to the next open slot with
//!    the same request, without counting a failure.
//! 7. **Learn.** A node that learns a slot's value records it whatever it promised there
//!    (a chosen value is final), writes the record with the commit, and once that is
//!    durable executes every committed slot after its executed prefix, in order,
//!    stopping at the first gap. Executing a slot answers the client waiting for its
//!    request — the client is told its outcome only after a majority accepted the entry
//!    durably and the answering node executed it from a durable commit.
//! 8. **Catch up.** A node that learns a slot beyond a gap, hears of a peer that has
//!    executed further, or restarts, asks a peer for the committed slots it lacks; a
//!    timer also asks one peer in turn every interval. So a node that missed commits
//!    learns them without a client having to run a ballot through it.
//! 9. **Retry.** A failed phase ends the attempt; the proposer waits a random time (the
//!    window doubles with each failure, up to a cap) and tries a higher ballot, jumping
//!    past the promise named in any rejection. After [`Config::max_attempts`] failures
//!    the client is told `Undecided`: the outcome is unknown, and asking again with the
//!    same request id will tell it.
//! 10. **Restart.** A node reloads every slot record with one range scan, and rebuilds
//!     its store by executing its contiguous durable committed prefix again
//!     ([`storage`] says why the records are ordered keys and not `common`'s log).
//!
//! Every timing constant lives in [`Config`], in ticks.
//!
//! ## What is durable, and where
//!
//! Each slot's acceptor state — promise, accepted proposal, committed value — is one
//! record in `common`'s key-value store, under `paxoslog/slot/` and the slot number as
//! big-endian bytes, so a range scan returns the slots in order at start-up; the
//! proposer's round reservation is one more key. Every write is synced before the reply
//! that depends on it, and a catch-up reply's commits go to disk in one atomic batch.
//! `common` also offers an append-only log, and this section does not use it: slots are
//! promised, accepted and decided out of order and each record changes several times,
//! while a log entry is written once, at the end, and an append names no index (one
//! failed append would shift every later entry). The log suits a leader that appends in
//! order — Multi-Paxos and Raft. [`storage`] has the details.
//!
//! ## Exactly once
//!
//! A client that times out retries with the same request id, possibly at another node,
//! while its first attempt may still be on its way into a slot. Two rules keep the
//! request in **one slot**:
//! * a node that knows the request is in a slot never proposes it again: it answers
//!   from that slot once executed;
//! * a proposer starts at the first slot it does not know to be decided, and moves past
//!   a slot only once it is decided with *another* request. So the retry's proposer
//!   walks the same open slots as the first attempt's: it meets the first copy's slot,
//!   and there it adopts the copy (step 4) or learns it `Decided`. A second copy could
//!   only be chosen further on, past a slot the first copy holds — which no proposer
//!   passes.
//!
//! The simulation checks "no request is chosen for two slots" after every tick. The
//! [`StateMachine`] adds client *sessions* (each client's latest executed sequence
//! number, slot and outcome): a slot holding a request that is not newer than its
//! client's session executes as a no-op. That makes execution idempotent whatever
//! happens, and it matters for a request the client gave up on: a proposer may still
//! place it after the client's *next* request, and it must not overwrite that one. A
//! client has at most one request outstanding, as in Raft's client sessions.
//!
//! ## Invariants
//!
//! Asserted in the code or checked by the tests after every simulated tick:
//! * **Per-slot agreement** — no two nodes ever commit different values for one slot,
//!   in memory or on disk; a committed value never changes; no request is chosen for
//!   two slots.
//! * **Value preservation** — once `v` is chosen in a slot at ballot `b`, every
//!   acceptance of a higher ballot in that slot carries `v`.
//! * **Committed-prefix agreement and exactly-once, in-order execution** — every node's
//!   store equals the store obtained by executing the agreed values of slots
//!   `1..=executed_through` once each, in order, on an empty one.
//! * **Promise monotonicity** — per slot, a durable promise never decreases; memory is
//!   never behind the disk; an accepted ballot never exceeds the promise.
//! * **Durable execution** — a restarted node resumes at or beyond the slot it had
//!   executed before the crash: nothing a client was told is forgotten.
//! * **Linearizability** — the clients' history of sets, gets and compare-and-swaps is
//!   that of one key-value store (checked at the end of every simulated run).
//!
//! ## The negative controls
//!
//! Three deliberately broken twins, each selected by a [`Config`] mode and each caught
//! by the same seeded fault runner and invariants that the correct protocol passes:
//! * [`LearnerMode::ExecutePastGaps`] executes the next committed slot past a gap, as
//!   the Java section's short-lived persisted version did at start-up; a replica that
//!   missed one commit runs the rest of the log on a different state. Caught within
//!   the first 100 seeds.
//! * [`ProposerMode::IgnoreAcceptedValues`] skips step 4: filling a slot an earlier
//!   proposer left accepted, it overwrites a value that may already be chosen. Caught
//!   within the first 100 seeds.
//! * [`AcceptorMode::ReplyBeforeSync`] answers as soon as it has decided in memory: one
//!   that crashes before the sync forgets a promise or an acceptance a proposer counted
//!   on, and a second value is chosen for the slot. In a log this needs a rarer schedule
//!   (`Decided` answers and catch-up usually repair the damage first), so the runner
//!   searches up to 1,000 seeds, and a scenario test builds the schedule by hand.
//!
//! ## What this section leaves out, and why
//!
//! * **A stable leader.** Every node proposes, so proposers duel for the same slot and
//!   each slot costs two round trips. Skipping phase 1 for a whole range of slots under
//!   one leader is Multi-Paxos, section 05; the lab measures what duelling costs here.
//! * **Pipelining and batching.** A node places one request at a time, one slot at a
//!   time; its other clients queue behind it.
//! * **Cheaper reads.** A read occupies a slot like a write, which is what makes it
//!   linearizable without a leader. Serving reads from a leader's state under a lease,
//!   or Raft's read index, needs the stable leader of the next sections.
//! * **Compaction and snapshots.** Every slot's record stays on disk for ever and a
//!   restart re-executes the whole log. Snapshots and log truncation come with Raft
//!   (section 07) and `common`'s log primitive.
//! * **Membership changes.** Majorities of a fixed membership only.
//! * **Byzantine faults.** Nodes may crash, restart and lose unsynced writes; they do not
//!   lie. A record that fails to decode is refused at start (the node stays silent), not
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
pub mod storage;

pub use client::{Reply, build, execute, execute_within, reply};
pub use config::{AcceptorMode, Config, LearnerMode, ProposerMode};
pub use error::ClientError;
pub use messages::{
    Ballot, CommittedEntry, Msg, Operation, Outcome, Proposal, RejectReason, RequestId, Slot, Value,
};
pub use proposer::{Phase, ProposerRun, choose_value};
pub use server::{ProposerStats, Server, SlotState};
pub use state_machine::{Applied, Session, StateMachine};
pub use storage::{ROUNDS_KEY, SlotRecord, slot_key};
