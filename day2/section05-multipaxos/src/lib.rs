//! # Multi-Paxos: one prepare per leader, then phase 2 only
//!
//! Day 2, section 5 of the *Patterns of Distributed Systems* workshop.
//!
//! ## The failure this answers
//!
//! Section 04 ran a whole Paxos instance per log slot: every command paid a prepare
//! round trip, a synced promise, an accept round trip and a synced acceptance, and
//! every node that proposed duelled with the others for the same slots. Multi-Paxos
//! keeps the same acceptors and the same safety argument, but lets **one leader** run
//! phase 1 **once for the whole log**: a promise then covers every slot from the
//! leader's executed prefix on, and each client command needs only phase 2.
//!
//! ## The protocol, step by step
//!
//! 1. **Election.** A node that is asked by a client while it knows of no leader (or
//!    whose hinted leader did not serve that client), or that a test tells to, stands
//!    for election ([`Server::start_election`]): it picks a ballot `(round, node)` above
//!    every round it has seen and sends `Prepare(ballot, from)` to every node, where
//!    `from` is the first slot it has not executed.
//! 2. **Full-log promise.** An acceptor whose promise is below the ballot raises it
//!    (one promise for the whole log), syncs it, and answers `Promise` with every slot
//!    from `from` on that it accepted **or knows committed**. A lower ballot gets
//!    `Reject`, naming the promise.
//! 3. **Merge.** With a majority of promises the candidate becomes leader
//!    ([`merge_reports`], [`recovery_for`]): for every slot from `from` to the last slot
//!    any promise reported, a committed value is learned as is; otherwise the value
//!    accepted with the highest ballot is proposed again under the new ballot; a hole
//!    nobody accepted anything in is filled with a **no-op**, so it cannot block
//!    execution. Client requests go **after all of them** (the Java section started at
//!    slot 0 again and overwrote committed entries: bug B1).
//! 4. **Phase 2, pipelined.** For each client request the leader takes the next slot
//!    and sends `Accept(ballot, slot, value)` to everyone at once, without waiting for
//!    earlier slots. An acceptor whose promise is not above the ballot records the
//!    proposal, syncs it, and answers `Accepted`. On a majority the leader learns the
//!    value and sends `Commit(slot, value)` to the others. A phase 2 that meets a higher
//!    promise makes the leader step down; one that merely times out is sent again (a
//!    slot is never abandoned: bug B5).
//! 5. **Learn and execute.** A node records a commit durably, then executes committed
//!    slots strictly in order, never across a gap, against a [`StateMachine`] that
//!    executes each client request id once. The leader answers the waiting client when
//!    it executes the request's slot; reads are `Get` commands, ordered through the log,
//!    so they see every write acknowledged before them. A node that sees a commit
//!    arrive past a slot it does not know committed asks the sender for the committed
//!    slots it missed (`CatchUp`).
//! 6. **Clients.** A non-leader answers `NotLeader { hint }`; clients follow the hint
//!    and re-send the same request ([`redirect`]).
//!
//! ## Invariants
//!
//! * **One leader per ballot** — ballots are unique by construction, and an acceptor
//!   promises a ballot only above its promise.
//! * **Per-slot agreement** — at most one value is committed per slot, on every node,
//!   in memory and on disk; a committed slot never changes.
//! * **Prefix agreement and exactly-once execution** — every node's store equals the
//!   agreed log executed once, in order.
//! * **Durability** — promises, acceptances and commits are synced before anyone is
//!   told; a restarted node resumes from its disk at or beyond where it was.
//! * **Linearizability** — the clients' history of sets, gets and compare-and-swaps is
//!   that of one key-value store.
//!
//! ## The negative control
//!
//! [`SlotMode::ReuseSlots`] is the Java section's leader: it ignores committed slots in
//! the promises and numbers its slots from 1 again, so its first commands land in slots
//! already chosen for other requests. The seeded fault runner catches it with its
//! per-tick invariants, and, with them switched off, with the linearizability check
//! of the clients' history alone.
//!
//! ## The lab's baseline
//!
//! [`PhaseOneMode::EverySlot`] is correct but slow on purpose: the leader runs a fresh
//! prepare before every slot and handles one slot at a time, as per-slot Paxos does
//! with a single proposer. `examples/phase_one_cost.rs` runs both modes on the same
//! workload and prints what skipping phase 1 buys.
//!
//! ## What this section leaves out, and why
//!
//! * **Failure detection.** No heartbeats and no election timeout: a node stands for
//!   election only when a client finds no working leader through it, or when a test
//!   says so. Heartbeats come in section 06.
//! * **Catch-up of an idle follower.** A follower that misses a commit asks for the
//!   missing slots when a later commit arrives past the gap (`CatchUp`); one that hears
//!   no later commit keeps the gap until the next command or election. Heartbeats
//!   (section 06) carry the leader's commit index and close that case.
//! * **Leases and cheap reads.** Reads go through the log; a leader lease would let it
//!   answer from its own state, at the price of trusting clocks.
//! * **Compaction, snapshots and membership changes.** Every slot stays on disk; the
//!   membership is fixed.

pub mod client;
pub mod config;
pub mod error;
pub mod leader;
pub mod messages;
pub mod server;
pub mod state_machine;
pub mod storage;

pub use client::{Reply, build, execute, execute_following, redirect, reply};
pub use config::{Config, PhaseOneMode, SlotMode};
pub use error::ClientError;
pub use leader::{Merged, Recovery, merge_reports, recovery_for};
pub use messages::{Ballot, Msg, Operation, Outcome, Proposal, RequestId, Slot, SlotReport, Value};
pub use server::{Role, Server, SlotState, Stats};
pub use state_machine::{Applied, Session, StateMachine};
pub use storage::{PROMISE_KEY, SlotRecord, slot_key};
