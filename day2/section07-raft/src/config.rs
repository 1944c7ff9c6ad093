//! Every timing constant, limit and mode of the section, with its default. Durations
//! are in ticks.

use crate::membership::ChangeRule;
use common::{ProcessId, Tick};
use std::collections::BTreeSet;

/// Which entries a leader may commit by counting replicas.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum CommitRule {
    /// Figure 2: advance the commit index to `N` only if a majority stores entry `N`
    /// **and its term is the leader's current term**; older entries commit with it.
    #[default]
    CurrentTerm,
    /// **Deliberately broken** (the negative control of the paper's Figure 8): commit any
    /// entry stored on a majority, whatever its term. An entry of an old term can be on a
    /// majority and still be overwritten by a leader that never had it.
    Counting,
}

/// When a voter's vote becomes durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum VotePersistence {
    /// Term and vote are synced before the vote is sent.
    #[default]
    SyncedBeforeReply,
    /// **Deliberately broken** (a negative control): the vote — and the term it was cast
    /// in — live in memory only, as in the Java section, and the vote is sent at once. A
    /// voter that restarts comes back in an older term without its vote, and can vote
    /// again in a term it already voted in.
    MemoryOnly,
}

/// When a follower acknowledges appended entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum AckTiming {
    /// Only once the entries (and the term) are synced.
    #[default]
    AfterSync,
    /// **Deliberately broken** (a negative control): acknowledge as soon as the entries are
    /// in memory and the write is submitted. A crash before the sync loses entries the
    /// leader counted towards a majority.
    BeforeSync,
}

/// How a leader answers a `Get`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ReadMode {
    /// ReadIndex: once the term's no-op has committed, note the commit index, confirm
    /// leadership with one heartbeat round, wait until it is applied, answer locally.
    #[default]
    ReadIndex,
    /// Append the read to the log like a write (correct, slower: the baseline).
    ThroughLog,
}

/// Timing, limits and behaviour of a Raft server.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    /// The election timeout is drawn uniformly from `min..=max` at every restart of the
    /// timer, from the node's seeded stream (default 15..=30). Equal fixed timeouts make
    /// every node time out in the same tick and split the vote for ever (bug R8).
    pub election_timeout_ticks: (Tick, Tick),
    /// A leader sends AppendEntries (a heartbeat if there is nothing new) to every
    /// follower this often (default 4; well below the election timeout so a few lost
    /// heartbeats do not start an election).
    pub heartbeat_ticks: Tick,
    /// Most entries one AppendEntries carries (default 64).
    pub max_entries_per_append: usize,
    /// Most AppendEntries with entries outstanding per follower (default 4): the leader
    /// pipelines up to this many, then waits for answers (bug R11: the Java leader resent
    /// everything from `nextIndex` on every client write).
    pub max_inflight_appends: usize,
    /// Batch client writes: entries appended during a tick are written to disk and sent
    /// to the followers once, at the end of the tick (default true). Off, every write is
    /// persisted and replicated on its own.
    pub batch_client_writes: bool,
    /// Pre-vote (default true): a node that timed out first asks whether it could win,
    /// and runs a real election (raising its term) only with a majority of yeses.
    pub pre_vote: bool,
    /// Check-quorum (default true): a leader that has not heard from a majority within an
    /// election timeout steps down; a voter that heard from a leader within the minimum
    /// election timeout refuses pre-votes.
    pub check_quorum: bool,
    /// A new leader appends a no-op of its term (default true). Off, entries inherited
    /// from earlier terms stay uncommitted until the next client write (bug R7), and
    /// ReadIndex reads wait for that write too.
    pub noop_on_election: bool,
    /// Which entries the leader commits by counting.
    pub commit_rule: CommitRule,
    /// When a vote becomes durable.
    pub vote_persistence: VotePersistence,
    /// When a follower acknowledges entries.
    pub ack_timing: AckTiming,
    /// How reads are answered.
    pub read_mode: ReadMode,
    /// Log compaction (step 5): once this many applied entries are in the log, the node
    /// snapshots its state machine at its last applied index and discards the log up to
    /// it, in one atomic write. `None` (the default) keeps every entry, as steps 1 to 4
    /// do; [`Config::with_snapshots`] turns it on.
    pub snapshot_every: Option<u64>,
    /// The most snapshot bytes one `InstallSnapshot` carries (default 1,024): a large
    /// snapshot travels in chunks, each acknowledged before the next is sent.
    pub snapshot_chunk_bytes: usize,
    /// The voters of the first configuration (see [`crate::membership`]). `None`: the
    /// servers the node is started with. [`crate::build`] fills it with the cluster's
    /// initial servers, so it stays the same across restarts and added servers.
    pub voters: Option<BTreeSet<ProcessId>>,
    /// Catch-up rounds a new learner gets before its addition is refused (default 10).
    pub catch_up_rounds: u32,
    /// How many servers one configuration entry may change.
    pub change_rule: ChangeRule,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            election_timeout_ticks: (15, 30),
            heartbeat_ticks: 4,
            max_entries_per_append: 64,
            max_inflight_appends: 4,
            batch_client_writes: true,
            pre_vote: true,
            check_quorum: true,
            noop_on_election: true,
            commit_rule: CommitRule::CurrentTerm,
            vote_persistence: VotePersistence::SyncedBeforeReply,
            ack_timing: AckTiming::AfterSync,
            read_mode: ReadMode::ReadIndex,
            snapshot_every: None,
            snapshot_chunk_bytes: 1024,
            voters: None,
            catch_up_rounds: 10,
            change_rule: ChangeRule::OneServer,
        }
    }
}

impl Config {
    /// The Figure 8 negative control: the counting commit rule.
    pub fn counting_commit_rule() -> Self {
        Config {
            commit_rule: CommitRule::Counting,
            ..Config::default()
        }
    }

    /// The negative control whose voters keep their vote in memory only.
    pub fn vote_in_memory() -> Self {
        Config {
            vote_persistence: VotePersistence::MemoryOnly,
            ..Config::default()
        }
    }

    /// The negative control whose followers acknowledge before their entries are durable.
    pub fn ack_before_sync() -> Self {
        Config {
            ack_timing: AckTiming::BeforeSync,
            ..Config::default()
        }
    }

    /// Without pre-vote and check-quorum (what the paper's Figure 2 alone describes).
    pub fn without_pre_vote_and_check_quorum() -> Self {
        Config {
            pre_vote: false,
            check_quorum: false,
            ..Config::default()
        }
    }

    /// The default configuration with log compaction: a snapshot once `every` applied
    /// entries are in the log, sent to lagging followers in chunks of `chunk_bytes`.
    pub fn with_snapshots(every: u64, chunk_bytes: usize) -> Self {
        Config {
            snapshot_every: Some(every.max(1)),
            snapshot_chunk_bytes: chunk_bytes.max(1),
            ..Config::default()
        }
    }

    /// The negative control that adds several voters in one configuration entry.
    pub fn many_servers_at_once() -> Self {
        Config {
            change_rule: ChangeRule::ManyAtOnce,
            ..Config::default()
        }
    }

    /// The minimum election timeout.
    pub fn election_timeout_min(&self) -> Tick {
        self.election_timeout_ticks.0
    }
}
