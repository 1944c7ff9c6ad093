//! # Naive replication, and majority-quorum replication with separate execution
//!
//! One server holding a counter is simple and correct: every increment is applied in one
//! place, in one order, and every answer is the truth. It is also a single point of
//! failure, and since nothing here is persisted, a crash erases everything. This section
//! replicates the counter three ways, each fixing the most visible flaw of the previous
//! one, and shows with tests what each still gets wrong. It sets up the problem that
//! generation voting (section 02) and Paxos (section 03) solve.
//!
//! ## 1. Naive replication ([`NaiveServer`])
//!
//! The server a client calls acts as leader for that request:
//!
//! 1. apply the operation locally;
//! 2. answer the client with the new value;
//! 3. send `Replicate` to every other server, without waiting, retrying or numbering it;
//! 4. a follower applies whatever arrives, in whatever order it arrives.
//!
//! The client is told "done" while no other server has the write. If the leader's
//! messages are lost or it crashes, the acknowledged write is gone; if two leaders write
//! at once, followers apply the writes in different orders and (for a non-commutative
//! operation such as `Set`) diverge for good. Reads are served from one server's copy
//! and can go back in time. The seeded fault runner catches a non-linearizable history
//! on its first seed (`tests/simulation.rs`), and `examples/lagging_replica.rs` shows the
//! smallest one: two clients, one after the other, both told the counter is now 1.
//!
//! ## 2. Accept, then commit ([`TwoPhaseServer`])
//!
//! The Java workshop calls it "two-phase". It is **not** two-phase commit from the
//! database literature: nobody can vote no, nothing aborts, and a majority (not every
//! participant) is enough. It is majority-quorum replication that separates *accepting*
//! an operation from *executing* it:
//!
//! 1. the coordinator (the server the client called) names the operation with a
//!    [`TxnId`] and sends `Accept` to every server, itself included;
//! 2. each server stages the operation and answers `Accepted`;
//! 3. once a majority has staged it, the coordinator applies it, answers the client,
//!    and sends `Commit` to the others, which apply it too.
//!
//! An acknowledged operation is now staged on a majority before anyone is told. But if
//! the coordinator disappears between steps 2 and 3, the others keep the staged
//! operation forever: nothing finishes it (`step2_two_phase_blocks_after_coordinator_loss`).
//!
//! ## 3. Query, accept, commit ([`ThreePhaseServer`])
//!
//! Again not the database protocol 3PC (no pre-commit state, no abort). Before proposing
//! anything, the coordinator asks a majority what they staged and never applied
//! (`Query`, answered by `Pending`), finishes those orphans with accept and commit, and
//! only then runs the two phases for the client's operation. Any operation a majority
//! staged is reported by at least one server of *every* majority, because two majorities
//! always share a server, so a crashed coordinator's orphan is finished by whoever
//! coordinates next.
//!
//! ## Invariants
//!
//! * **Applied at most once.** Every server remembers which operation ids it applied
//!   ([`Participant::applied`]); a re-sent `Accept` does not stage an applied operation
//!   again and a re-sent `Commit` does not apply it again (asserted in
//!   [`Participant::commit`]; checked on every tick of the seeded runs).
//! * **Applied only after a majority staged it.** A coordinator commits only when its
//!   accept quorum succeeded; `Commit` is the only other way to apply.
//! * **Nothing acknowledged is left behind by recovery.** Recovery finishes *every*
//!   operation the query majority reports, in id order.
//!
//! ## What the original got wrong, and the fixes
//!
//! [`Behaviour::Corrected`] is the default; [`Behaviour::Original`] keeps the Java
//! workshop's behaviour as a negative control, and each fix has a regression test named
//! after the bug it prevents:
//!
//! | bug of the original | fix | tests |
//! |---|---|---|
//! | recovery re-stages an operation on the old coordinator, which applies it twice | memory of applied ids | `step3_recovery_does_not_double_apply_on_reachable_old_coordinator`, `step3_late_commit_after_recovery_is_not_applied_twice` |
//! | "largest id wins" can finish an unacknowledged operation and abandon an acknowledged one | finish every reported orphan | `step3_recovery_finishes_the_operation_the_old_coordinator_applied` |
//! | a query reports one staged operation | report all | `step3_recovery_finishes_every_orphan_not_just_one` |
//! | the request that triggered a recovery is never answered | run it after the recovery | `step3_three_phase_coordinator_failure_recovery` |
//! | a failed coordination answers nothing, then an undecodable empty payload | explicit `Failed` reply | `step2_coordinator_timeout_reply_is_a_decodable_failure`, `step3_three_phase_query_timeout_reply_is_a_decodable_failure` |
//! | a commit reaching a server that missed the accept is ignored | `Commit` carries the operation | `step2_commit_applies_on_a_server_that_missed_the_accept` |
//! | the next request is swallowed when commits are slow | recovery is idempotent | `step3_next_request_is_not_swallowed_when_commits_are_slow` |
//! | random UUIDs make runs irreproducible | `(seq, coordinator, incarnation)` ids | every test replays from its seed |
//!
//! A `Failed` answer (like a timeout) means *unknown*, not *not applied*: staged copies
//! of a failed operation may still be finished by a later recovery.
//!
//! ## Callbacks or a state machine
//!
//! The three-phase coordinator waits three times (query, accept of each orphan, accept
//! of the new operation). [`three_phase::callbacks`] writes it as nested closures that
//! receive the node, so it reads top to bottom in the order things happen;
//! [`three_phase::state_machine`] writes the same protocol as what a compiler makes of a
//! coroutine: a table of in-flight requests, each an `enum` holding its resume point and
//! the locals that live across waits, advanced by one `resume` function. The tests run
//! every three-phase scenario against both ([`CoordinatorStyle`]) and check that their
//! traces are identical, seed for seed.
//!
//! ## What this section leaves out
//!
//! * **Durability.** Nothing is persisted: a restarted server is empty
//!   (`step3_restarted_server_remembers_nothing_in_this_section`). The write-ahead log section
//!   and generation voting add it.
//! * **Ordering.** No variant agrees on a total order of operations; increments commute
//!   and hide it, `Set` shows it. Replicated logs (Paxos log, Multi-Paxos, Raft) come later.
//! * **Fencing between coordinators.** Two coordinators can interleave their queries and
//!   accepts freely: nothing tells the newer from the older. That is what generation
//!   numbers (section 02) are for.
//! * **Linearizable reads and answers.** Reads come from one server's copy and answers
//!   from the coordinator's copy, so even the corrected three-phase server produces
//!   non-linearizable histories (`step3_three_phase_histories_are_not_linearizable_either`).
//! * **Client request de-duplication.** A duplicated request becomes a second operation
//!   (`step2_duplicated_messages_apply_each_operation_once_but_a_duplicated_request_twice`).
//! * **Garbage collection** of the applied-id memory, which grows without bound.
#![deny(missing_docs)]

pub mod client;
pub mod config;
pub mod counters;
pub mod history;
pub mod messages;
pub mod naive;
pub mod participant;
pub mod single;
pub mod three_phase;
pub mod two_phase;

pub use config::{Behaviour, Config, CoordinatorStyle};
pub use counters::{Counters, HasCounters};
pub use messages::{Failure, Msg, Operation, TxnId};
pub use naive::NaiveServer;
pub use participant::Participant;
pub use single::SingleServer;
pub use three_phase::ThreePhaseServer;
pub use two_phase::{Replica, TwoPhaseServer};
