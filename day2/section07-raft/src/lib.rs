//! # Raft: one leader's log, forced onto the followers
//!
//! Day 2, section 7 of the *Patterns of Distributed Systems* workshop, and its finale.
//!
//! ## The failure this answers
//!
//! Multi-Paxos (section 5) kept a log agreed slot by slot: a new leader asked a majority
//! what every slot held and merged the answers. Raft makes a stronger promise so that the
//! merge disappears: **the leader's log is the truth**. A node may only become leader if
//! its log already holds every committed entry, and followers are forced to match the
//! leader, conflicting entries and all. What is left is three rules, each of which this
//! section lets you break and watch fail:
//!
//! 1. voters refuse a candidate whose log is behind theirs (the *election restriction*);
//! 2. a leader counts replicas only for entries of its **own term** (the *commit rule*:
//!    the paper's Figure 8 shows an old entry on a majority that is still overwritten);
//! 3. every AppendEntries carries the index and term of the entry before its entries, so
//!    a follower detects divergence and the leader repairs it by truncation (the
//!    *consistency check*).
//!
//! ## The protocol, step by step (Figure 2, driven by ticks)
//!
//! 1. **Timeouts.** Every node counts ticks ([`Server`]'s `on_tick`). A follower that
//!    hears no leader for its election timeout — drawn at random from
//!    [`Config::election_timeout_ticks`] from the node's seeded stream at every restart of
//!    the timer; equal fixed timeouts split the vote for ever (bug R8) — asks for
//!    **pre-votes**: "would you vote for me in the next term?" Nothing changes on a
//!    voter for a pre-vote, and a voter that heard from a leader within the minimum
//!    timeout says no, so a node returning from a partition cannot depose a healthy
//!    leader (bug R9).
//! 2. **Election.** With a majority of pre-votes the node raises its term, votes for
//!    itself, **syncs both**, and sends `RequestVote(term, last index, last term)`. A voter
//!    grants at most one vote per term, only to a candidate whose log is at least as
//!    up-to-date as its own ([`log_is_up_to_date`]), and syncs its vote before the answer
//!    leaves. A candidate counts only votes of its current election (bug R2 counted late
//!    ones) and steps down on any higher term it hears of (bug R10).
//! 3. **Leadership.** The winner appends a **no-op** of its term (bug R7: without it,
//!    inherited entries stay uncommitted until the next client write) and starts
//!    replicating: for each follower a [`Progress`] with `next_index` (what to send) and
//!    `match_index` (what is known stored). It probes one AppendEntries at a time until
//!    the follower's log matches, then pipelines up to
//!    [`Config::max_inflight_appends`]. A rejection carries a [`ConflictHint`] (the
//!    follower's conflicting term and its first index), so the leader skips a whole term
//!    per round trip ([`next_after_conflict`]; bug R11 stepped back one entry at a time).
//! 4. **Append.** A follower checks that it holds `prev_log_index` with
//!    `prev_log_term`, deletes only a suffix that **conflicts** with the new entries,
//!    appends the rest, syncs, and only then answers with `match_index = prev_log_index +
//!    entries.len()` — never its whole log (bug R1 let a leader count entries the
//!    follower did not share, and read past its own log).
//! 5. **Commit.** The leader's commit index is the highest index stored on a majority
//!    (its own disk counts only for what is synced) **whose entry is of the current
//!    term**; earlier entries commit with it. Followers learn it from the next
//!    AppendEntries, and commit only what that request proved they share (bug R12). A
//!    single node is its own majority (bug R6).
//! 6. **Apply and answer.** Every node applies committed entries in order to a
//!    [`StateMachine`] — a key-value store with compare-and-swap and **client sessions**,
//!    so a retried request applies once (bug R14). The leader answers the client when the
//!    entry at the index it waits for is applied *and is its entry* (same term and
//!    request id; bug R4 answered whoever's entry landed there). A node that steps down
//!    sends its waiting clients `NotLeader { hint }` (bug R13 gave no hint); they retry,
//!    safely, with the same request id.
//! 7. **Reads.** A `Get` does not enter the log ([`reads`]): once its term's no-op has
//!    committed, the leader notes its commit index, confirms with one heartbeat round that
//!    a majority still follows it, waits until that index is applied, and answers from
//!    its state machine. Followers and deposed leaders refuse (bug R5 served any node's
//!    local state).
//! 8. **Check-quorum.** A leader that has not heard from a majority within an election
//!    timeout steps down, so a cut-off leader stops collecting writes it cannot commit.
//!
//! ## Durability: why the kit's key-value and log store
//!
//! Term, vote and log must be on disk before any answer that depends on them, or a
//! restarted node votes twice in a term or forgets an entry a leader counted. Section 3
//! built a write-ahead log of frames and segments; this section stores the three in the
//! kit's store instead ([`storage`]): the hard state under one key and the entries in
//! the store's log, every change one atomic [`common::WriteBatch`]. One batch can carry a
//! new term, a truncation and new entries together, so a crash never leaves a node with
//! the new entries under the old term, or half a suffix; and the store's crash model
//! (lose the unsynced writes, or keep a prefix of them) is exactly what the negative
//! controls need. A WAL would teach the same rules with more code that is not Raft.
//! Writes complete in order, so a node keeps its log in memory ahead of the disk and
//! answers from the callback of the write that made the answer true; a write that
//! fails stops the node until it is restarted, as a real store must after a failed
//! fsync.
//!
//! ## Invariants, checked after every simulated tick
//!
//! The tests' oracle checks, over every node that is up: at most one leader per term;
//! no node announces two votes in one term; log matching; leader completeness at every
//! election; state-machine safety (no two entries committed or applied at one index);
//! commit and apply indexes that never go back. A seeded fault sweep (drops,
//! duplication, reordering delays, partitions, one-way links, crashes that lose unsynced
//! writes, clock drift) checks the clients' history for linearizability, and a
//! leader-hunting adversary cuts leaders off right after they are elected and right after
//! they commit.
//!
//! ## The negative controls
//!
//! Three broken twins, each caught within 100 seeds by the same checks:
//! [`CommitRule::Counting`] (Figure 8), [`VotePersistence::MemoryOnly`] (a voter that
//! keeps term and vote in memory, as the Java section did) and [`AckTiming::BeforeSync`]
//! (a follower that answers before its entries are durable).
//!
//! ## The appendix: what every production Raft adds
//!
//! Steps 1 to 4 are Figure 2. The appendix adds what etcd, hashicorp/raft and TiKV all
//! have and most courses skip, each with its own chapter:
//!
//! * **Step 5, snapshots and log compaction** ([`snapshot`]): the store and its client
//!   sessions snapshotted every [`Config::snapshot_every`] applied entries, written in
//!   the same atomic batch that discards the log they cover; `InstallSnapshot` in chunks
//!   for a follower behind the leader's first entry; a restart from snapshot plus suffix.
//! * **Step 6, membership changes** ([`membership`]): configurations are log entries,
//!   used as soon as they are appended; servers change one at a time (any majority of the
//!   old set meets any majority of the new), a new server catches up as a non-voting
//!   learner before it counts, a leader proposes a change only after committing an entry
//!   of its own term, and every quorum counts the configuration's voters. The negative
//!   control [`ChangeRule::ManyAtOnce`] adds two voters in one entry and is caught
//!   electing two leaders in one term.
//! * **Step 7, leadership transfer** ([`transfer`]): the leader holds writes, brings a
//!   chosen voter up to date and tells it `TimeoutNow`.
//!
//! ## What this section leaves out, and why
//!
//! * **Joint consensus**: membership changes go one server at a time
//!   ([`membership`]), which needs no intermediate configuration.
//! * **Leases**: a ReadIndex read costs a heartbeat round; a lease would save it at the
//!   price of trusting clocks.
//! * **Failed writes**: a node whose write fails stops (fail-stop) until restarted; the
//!   sweep therefore leaves disk failures out, since they would test liveness only.

pub mod client;
pub mod config;
pub mod election;
pub mod error;
pub mod membership;
pub mod messages;
pub mod operator;
pub mod reads;
pub mod replication;
pub mod server;
pub mod snapshot;
pub mod state_machine;
pub mod storage;
pub mod sweep;
pub mod transfer;

pub use client::{Reply, build, execute, execute_following, redirect, reply};
pub use config::{AckTiming, CommitRule, Config, ReadMode, VotePersistence};
pub use election::{log_is_up_to_date, majority};
pub use error::ClientError;
pub use membership::{
    CatchUp, ChangeRule, Configuration, MembershipChange, catch_up_decision, configuration_from,
};
pub use messages::{Command, ConflictHint, Entry, Index, Msg, Operation, Outcome, RequestId, Term};
pub use replication::{Progress, SnapshotProgress, majority_match, next_after_conflict};
pub use server::{Role, Server, Stats};
pub use state_machine::{Applied, Session, StateMachine};
pub use storage::{HARD_STATE_KEY, HardState, SnapshotData};
