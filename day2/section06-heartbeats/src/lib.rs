//! # Heartbeats: failure detection and automatic leader turnover for Multi-Paxos
//!
//! Day 2, section 6 of the *Patterns of Distributed Systems* workshop.
//!
//! ## The failure this answers
//!
//! Section 05's Multi-Paxos needed someone to start an election: a test, or a client
//! that found no working leader. A crashed leader stayed crashed until a client came by.
//! Here the cluster notices by itself. The leader proves it is alive by sending
//! **heartbeats**; a follower that hears none for an **election timeout** suspects it
//! and stands for election; a leader that learns of a higher generation **steps down**.
//!
//! A failure detector in an asynchronous network can only *suspect*: a silent leader may
//! be dead, or merely slow, or cut off from this follower only. Every design choice of
//! this section trades the time to notice a real crash against the rate of false
//! suspicions of a live leader — `examples/detector_tradeoff.rs` measures both. What
//! must never depend on the detector is safety: a wrong suspicion costs an election,
//! never a committed slot, because the Paxos rules (a majority of promises per
//! generation, an acceptor that never goes below its promise) still decide.
//!
//! ## The protocol, step by step
//!
//! 1. **Heartbeats.** A leader sends `Heartbeat(ballot, committed_through)` to every
//!    other node every `heartbeat_interval_ticks` (default 5; the Java section sent one
//!    every tick, bug H7). `committed_through` is the leader's executed prefix: a
//!    follower with a gap below it asks for the missing slots (`CatchUp`), so a follower
//!    that missed a commit catches up even when no further write comes (bug H6).
//! 2. **Suspicion.** Each follower runs an election timer, restarted whenever it hears
//!    from a leader it accepts (a heartbeat or an `Accept`) or gives a candidate its
//!    vote. The timeout is drawn from the node's **seeded** random stream, uniformly in
//!    `[T, 2T)`, anew at every restart ([`detector`]). The Java section staggered the
//!    timeouts by node name (bug H3): the same node always won, and nodes whose timers
//!    happened to start together split the vote for ever.
//! 3. **Pre-vote.** A node whose timer fires first asks every node `PreVote(round)`: would
//!    you promise this round? A node that heard from a leader within `T`, or leads, says
//!    no; nothing changes at the receiver. Only with a majority of yeses does the node
//!    stand for election. A node that was cut off and comes back cannot depose a healthy
//!    leader with a round it inflated alone (bug H5).
//! 4. **Election.** The candidate picks a ballot `(round, node)` above every round it
//!    has seen, **votes for itself** (it promises its own ballot at once), and sends the
//!    full-log `Prepare` of section 05. An acceptor promises each **round** to one
//!    candidate only — a round is a vote — so there is at most one leader per round
//!    (bug H1), and two candidates of one round can split the vote: the random timeouts
//!    make a repeat unlikely. A failed candidate waits for its timer, which keeps running.
//! 5. **Leading.** With a majority of promises the candidate becomes leader: it stops its
//!    election timer, starts heartbeats, merges the promises' slots and finishes them
//!    (section 05), then takes client requests.
//! 6. **Step-down.** A leader or candidate that meets a ballot above its own — in a
//!    prepare, an `Accept`, a heartbeat, a rejection or a heartbeat acknowledgement —
//!    follows the ballot's owner ([`Server`]'s `follow`). A promise only ever rises: a
//!    stale rejection naming a lower generation changes nothing (bug H2).
//! 7. **Check-quorum.** A leader counts heartbeat acknowledgements; one that has not
//!    heard from a majority within `T` steps down, and its waiting clients are sent away
//!    at once instead of waiting for a request timeout (bug H4).
//!
//! Every timing constant lives in [`Config`], in ticks, with its default documented.
//!
//! ## Invariants
//!
//! * **One leader per generation** — no two nodes ever lead in one round, and a node
//!   leads only with a ballot of its own (checked on every tick by the tests).
//! * **Promises never go down**, in memory or on disk.
//! * **Per-slot agreement, prefix agreement, exactly-once execution, durability** and
//!   **linearizability** of the clients' history, as in section 05.
//! * **Liveness after healing** (a property of the detector, not of Paxos): once faults
//!   stop, one leader is settled, followed by every node, within a bound, and every
//!   client request completes.
//!
//! ## The negative controls
//!
//! * [`TimeoutMode::Equal`]: every node waits exactly `T`. Three servers booted together
//!   on an even network stand together, each votes for itself, and every round splits;
//!   the sweep's liveness check fails.
//! * [`StepDownMode::Never`]: a leader that meets a higher generation adopts it and keeps
//!   leading, as the Java leader proposed under its `promisedGeneration`. Two leaders
//!   share a generation; the per-tick safety checks catch it.
//!
//! ## What this section leaves out, and why
//!
//! * **Leases.** Check-quorum makes an isolated leader step down within about `T`, but
//!   until it does it still believes it leads. Reads go through the log, so that is
//!   safe; serving reads locally would need a lease, which trusts bounded clock drift.
//!   The timers here count the node's own ticks; the sweep drifts and jumps the wall
//!   clocks to show that nothing here reads them.
//! * **Adaptive timeouts** (phi-accrual, Jacobson's RTT estimate): the timeout is a
//!   fixed range. The lesson's table shows what choosing it by hand costs.
//! * **Leadership transfer, priorities, membership changes, compaction**: not needed to
//!   show failure detection; Raft (section 07) adds some of them.

pub mod client;
pub mod config;
pub mod detector;
pub mod error;
pub mod leader;
pub mod messages;
pub mod server;
pub mod state_machine;
pub mod storage;

pub use client::{Reply, build, execute, execute_following, redirect, reply};
pub use config::{Config, StepDownMode, TimeoutMode};
pub use error::ClientError;
pub use leader::{Merged, Recovery, merge_reports, recovery_for};
pub use messages::{Ballot, Msg, Operation, Outcome, Proposal, RequestId, Slot, SlotReport, Value};
pub use server::{Role, Server, SlotState, Stats};
pub use state_machine::{Applied, Session, StateMachine};
pub use storage::{PROMISE_KEY, SlotRecord, slot_key};
