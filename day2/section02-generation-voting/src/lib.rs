//! # Generation voting
//!
//! Section 01 ended with two coordinators that could not tell which of them was newer:
//! their queries and accepts interleaved freely, and a stale one could undo the work of a
//! fresh one. The fix is a number that grows: a **generation** (also called an epoch or a
//! term). This section builds a cluster-wide generation clock out of nothing but majority
//! votes. Any server can hand out a generation, and the numbers are
//!
//! * **unique**: no number is ever handed out twice, and
//! * **monotonic in real time**: a number handed out after another was handed out is
//!   larger.
//!
//! It is phase 1 of Paxos (prepare/promise) on its own, and the building block of leader
//! terms, ballots and fencing tokens in every later section.
//!
//! ## The failure it answers
//!
//! A single counter server would do, until it crashes. Counters on several servers can
//! each hand out the same number. Voting fixes that, *if the votes are remembered*: the
//! Java workshop in its current form keeps them only in memory, so a restarted voter
//! grants a number it already granted and the same generation is won twice
//! (`step2_negative_control_volatile_generation_duplicates`).
//!
//! ## The protocol, step by step
//!
//! Every server is a **voter**; the server a client asks becomes the **coordinator** of
//! that client's election.
//!
//! 1. The coordinator picks `candidate = max(promise, highest seen) + 1`, remembers it as
//!    its newest election, and sends `Prepare(candidate)` to every server, itself included.
//! 2. A voter whose promise is below the candidate raises its promise *in memory* (so a
//!    second prepare for the same number arriving meanwhile is already refused), writes
//!    it to storage with a sync, and only once the write is durable answers
//!    `Promise(candidate)`. Otherwise it answers `Reject(promise)`.
//! 3. The coordinator counts: a majority of `Promise(candidate)` wins. Rejections tell it
//!    the highest number in use; the next attempt goes above it.
//! 4. Won: the client gets `Generation(candidate)`. Lost: pause a random 1 to 10 ticks
//!    and try again, up to five attempts, then answer `ElectionFailed`. If a newer
//!    election started at this coordinator meanwhile (a later client request), the older
//!    one answers `Superseded` at once: only the newest request at a coordinator wins.
//!
//! A voter answers its vote only if, when the write completes, the number is still its
//! promise: a newer prepare that arrived during the write turns the earlier vote into a
//! rejection, so an overtaken election loses instead of winning a number nobody wants.
//!
//! ## Why it works
//!
//! * **Uniqueness.** A voter grants a number at most once (strictly greater), and never
//!   forgets a grant (durable before announced). Two majorities share a voter, so two
//!   elections for the same number cannot both collect a majority.
//! * **Real-time monotonicity.** If election A was won before election B started, B's
//!   majority contains a voter that had already promised A's number, so B can only win
//!   with a larger one.
//! * **Voter monotonicity.** A voter's durable promise never goes down (checked on every
//!   tick of the seeded runs; asserted while it runs).
//!
//! The seeded runner (`tests/simulation.rs`) records every number clients were handed and
//! checks the history for linearizability against a sequential clock
//! ([`history::GenerationClock`]): a duplicate or a number going backwards has no
//! linearization. With durable promises it passes under crashes, restarts, partitions and
//! slow disks; with volatile promises, or with voters that reply before their write is
//! durable, the same check fails within a few dozen seeds.
//!
//! ## Fencing
//!
//! A generation is also a **fencing token**. Each server guards a small resource: a
//! `Write` carrying a generation below the highest the server has seen (its promise, or
//! an earlier write's generation) is refused with `Fenced`. A stale leader that still
//! believes in its old generation can therefore not complete a majority write once a
//! newer generation was won: every server that voted for the newer one refuses it
//! (`step3_stale_generation_write_is_rejected_by_every_node_that_saw_a_newer_one`).
//!
//! The resource obeys the same rule as the voter: its content and its high-water mark
//! (the highest generation it has accepted) are raised in memory first, written with a
//! sync, and only then acknowledged with `Written`; a restart reloads them. A resource
//! that kept them in memory would, after a crash, take a write of a generation older
//! than one it had already acknowledged
//! (`restarted_resource_refuses_a_generation_below_one_it_accepted`).
//!
//! ## What the original got wrong, and the fixes
//!
//! | bug of the original | fix | test |
//! |---|---|---|
//! | the promise is not persisted, a restart forgets votes | persist before replying, load on start | `step1_restart_preserves_promise`, `step2_no_reply_before_durable_write` |
//! | obsolete or exhausted elections never answer the client | `Superseded` and `ElectionFailed` replies | `step2_exactly_one_of_overlapping_elections_wins`, `step2_minority_side_coordinator_cannot_win` |
//! | a lost obsolete election retries and overtakes the newest one | check obsolescence on the loss path and after the pause | `step2_superseded_election_does_not_retry_and_overtake_the_newest` |
//! | a rejection reporting a higher number voids an election that won | obsolete means "a newer election started here", not "a higher number exists" | `step2_won_election_is_not_discarded_because_a_rejection_reported_a_higher_number` |
//! | duelling coordinators retry in lockstep | random pause before a retry | `step2_duelling_coordinators_terminate` |
//! | the multi-coordinator test ran on real sockets with a random seed | deterministic simulation, last voter awaited | `step2_different_nodes_can_coordinate_elections` |
//!
//! [`VoterMode`] keeps two broken voters as negative controls: `Volatile` (the original
//! as it is now) and `ReplyBeforePersist`.
//!
//! ## What this section leaves out
//!
//! * **What the generation is for.** Here it is handed to a client and used as a fencing
//!   token; Paxos (section 03) uses the same vote to choose a value, and Raft to elect a
//!   leader for a term.
//! * **Reusing a number after a lost election.** Raft and Paxos voters accept `>=` and
//!   remember whom they voted for, so a candidate may retry the same number; the strict
//!   `>` here is simpler and burns a number per attempt.
//! * **Leases.** A winner does not know how long it stays the newest; fencing at the
//!   resource is what protects against a stale winner, not time.
//! * **Reading the fenced resource.** It takes writes only; a read path (and what a
//!   read must check) belongs to the replication sections that follow.
#![deny(missing_docs)]

pub mod client;
pub mod config;
mod coordinator;
pub mod history;
pub mod messages;
pub mod server;
mod voter;

pub use config::{Config, VoterMode};
pub use messages::Msg;
pub use server::{GenerationServer, PROMISE_KEY, RESOURCE_KEY};
