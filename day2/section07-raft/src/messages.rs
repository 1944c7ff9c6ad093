//! Every message of the section, in one enum, and the values they carry.
//!
//! Raft needs two remote procedure calls (three with log compaction) between servers, each with its answer:
//! * `RequestVote` / `Vote` — a candidate asks for votes (and, with pre-vote, first asks
//!   whether it *could* win, without disturbing anyone);
//! * `AppendEntries` / `Appended` — the leader replicates its log and, with no entries,
//!   says "I am still the leader" (the heartbeat);
//! * with log compaction (step 5), `InstallSnapshot` / `SnapshotAck` — the leader sends a
//!   follower that needs entries it has discarded its snapshot instead, in chunks.
//!
//! Every server-to-server message is one-way (`send`, not a request with a callback):
//! an answer names the term it belongs to and the leader matches it by term and sender.
//! The Java section tagged its appends with random UUIDs (bug R15); nothing here is
//! random that is not drawn from the node's seeded stream.
//!
//! Clients send `Execute` and get `Executed`, `NotLeader { hint }` or `Superseded`.

use crate::membership::{Configuration, MembershipChange};
use common::{Message, ProcessId};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A log position. The first entry is at index 1; index 0 is the empty prefix, whose
/// term is 0.
pub type Index = u64;
/// An election term. Term 0 is before any election.
pub type Term = u64;

/// Identifies one client operation: who asked, and which of its requests this is.
///
/// It travels inside every log entry, so "is this entry mine?" is a comparison of ids,
/// never of operations. A client retries with the same id, and the state machine
/// executes an id at most once (the Java section had no request ids: a retried write
/// ran twice, bug R14).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RequestId {
    /// The client.
    pub client: ProcessId,
    /// The client's own sequence number for this request, increasing from 1. A client
    /// has at most one request outstanding (the contract of a client session).
    pub seq: u64,
}

impl RequestId {
    /// Request `seq` of `client`.
    pub fn new(client: impl Into<ProcessId>, seq: u64) -> Self {
        RequestId {
            client: client.into(),
            seq,
        }
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.client, self.seq)
    }
}

/// An operation on the replicated key-value store.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Operation {
    /// Store `value` under `key`.
    Set {
        /// The key.
        key: String,
        /// The new value.
        value: String,
    },
    /// Read `key`. By default a read does not go through the log: the leader answers it
    /// by ReadIndex (see [`crate::reads`]).
    Get {
        /// The key.
        key: String,
    },
    /// Store `new` under `key` if its current value is `expected` (`None`: absent).
    CompareAndSwap {
        /// The key.
        key: String,
        /// The value the key must hold for the swap to happen.
        expected: Option<String>,
        /// The value to store if it does.
        new: String,
    },
}

impl Operation {
    /// `Set { key, value }`.
    pub fn set(key: impl Into<String>, value: impl Into<String>) -> Self {
        Operation::Set {
            key: key.into(),
            value: value.into(),
        }
    }

    /// `Get { key }`.
    pub fn get(key: impl Into<String>) -> Self {
        Operation::Get { key: key.into() }
    }

    /// `CompareAndSwap { key, expected, new }`.
    pub fn cas(key: impl Into<String>, expected: Option<&str>, new: impl Into<String>) -> Self {
        Operation::CompareAndSwap {
            key: key.into(),
            expected: expected.map(str::to_string),
            new: new.into(),
        }
    }

    /// The key the operation touches.
    pub fn key(&self) -> &str {
        match self {
            Operation::Set { key, .. }
            | Operation::Get { key }
            | Operation::CompareAndSwap { key, .. } => key,
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operation::Set { key, value } => write!(f, "set {key}={value}"),
            Operation::Get { key } => write!(f, "get {key}"),
            Operation::CompareAndSwap { key, expected, new } => {
                write!(f, "cas {key} {expected:?}->{new}")
            }
        }
    }
}

/// What executing an operation produced.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    /// A `Set` stored its value.
    Stored {
        /// The value now under the key.
        value: String,
    },
    /// A `Get` read the key.
    Read {
        /// The value, `None` if the key was absent.
        value: Option<String>,
    },
    /// A `CompareAndSwap` ran.
    Swapped {
        /// Whether the key held the expected value (and now holds the new one).
        swapped: bool,
        /// The value before the operation ran.
        previous: Option<String>,
    },
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Stored { value } => write!(f, "stored {value}"),
            Outcome::Read { value } => write!(f, "read {value:?}"),
            Outcome::Swapped { swapped, previous } => {
                write!(f, "swapped={swapped} (was {previous:?})")
            }
        }
    }
}

/// What a log entry asks the state machine to do.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Command {
    /// Appended by every new leader (bug R7 of the Java section was its absence): once
    /// it commits, every entry before it has committed too, and the leader may serve
    /// ReadIndex reads.
    NoOp,
    /// A client's operation.
    Client {
        /// Whose operation this is.
        request: RequestId,
        /// The operation.
        operation: Operation,
    },
    /// A new configuration (see [`crate::membership`]): every server uses the latest one
    /// in its log as soon as it is appended, committed or not.
    Configuration(Configuration),
}

impl Command {
    /// The request this command carries, if it is a client's.
    pub fn request(&self) -> Option<&RequestId> {
        match self {
            Command::NoOp | Command::Configuration(_) => None,
            Command::Client { request, .. } => Some(request),
        }
    }
}

/// One log entry: the term of the leader that created it, and the command.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Entry {
    /// The term in which a leader appended it. Never changes: an entry with another
    /// term at the same index is a different entry.
    pub term: Term,
    /// What applying it does.
    pub command: Command,
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.command {
            Command::NoOp => write!(f, "t{} no-op", self.term),
            Command::Client { request, operation } => {
                write!(f, "t{} {operation} [{request}]", self.term)
            }
            Command::Configuration(configuration) => {
                write!(f, "t{} configuration {configuration}", self.term)
            }
        }
    }
}

/// What a follower tells a leader whose `prev_log_index` check failed, so the leader
/// can skip a whole conflicting term in one round trip instead of one entry per round
/// trip (bug R11).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConflictHint {
    /// The term of the follower's entry at `prev_log_index`, or `None` when its log is
    /// shorter than that.
    pub term: Option<Term>,
    /// The first index of `term` in the follower's log or, without a term, one past the
    /// follower's last index.
    pub first_index: Index,
}

/// The messages of Raft.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Msg {
    /// Client → a server: apply this operation and tell me its outcome.
    Execute {
        /// Identifies the operation; a retry carries the same id.
        request: RequestId,
        /// What to do.
        operation: Operation,
    },
    /// Server → client: the request was applied (or, for a read, answered) at `index`.
    Executed {
        /// The request this answers.
        request: RequestId,
        /// The log index it was applied at (for a ReadIndex read: the read index).
        index: Index,
        /// What it produced.
        outcome: Outcome,
    },
    /// Server → client: I am not the leader; try `hint` (`None`: I know of none). The
    /// Java server answered `(false, null)` with no hint (bug R13).
    NotLeader {
        /// The request this answers.
        request: RequestId,
        /// The leader this node knows of.
        hint: Option<ProcessId>,
    },
    /// Server → client: the client has since had a later request applied (`latest`);
    /// this one will not take effect if it has not already.
    Superseded {
        /// The request this answers.
        request: RequestId,
        /// The client's latest applied sequence number.
        latest: u64,
    },
    /// Candidate → every server: vote for me in `term`.
    RequestVote {
        /// The term the candidate runs in (for a pre-vote: the term it *would* run in).
        term: Term,
        /// The candidate.
        candidate: ProcessId,
        /// Index of the candidate's last entry: with `last_log_term`, what the election
        /// restriction compares.
        last_log_index: Index,
        /// Term of the candidate's last entry.
        last_log_term: Term,
        /// A pre-vote: "would you vote for me?" A voter answers without changing its term
        /// or its vote, so a node that cannot win never disturbs the cluster.
        pre_vote: bool,
        /// The election was started by the leader's `TimeoutNow` (a leadership transfer):
        /// a voter that has just heard from that leader must not ignore it, as
        /// check-quorum's stickiness would otherwise make it do.
        transfer: bool,
    },
    /// Voter → candidate. Sent only once the vote (and term) is durable.
    Vote {
        /// The term of the vote (the candidate counts only votes of its own election,
        /// bug R2) or, if refused, the voter's term when it is higher (bug R10).
        term: Term,
        /// Whether the vote was granted.
        granted: bool,
        /// Echoes the request's `pre_vote`.
        pre_vote: bool,
    },
    /// Leader → follower: append `entries` after `prev_log_index`; also the heartbeat.
    AppendEntries {
        /// The leader's term.
        term: Term,
        /// The leader (followers send clients there).
        leader: ProcessId,
        /// Index of the entry just before `entries`.
        prev_log_index: Index,
        /// Its term: the consistency check.
        prev_log_term: Term,
        /// Entries to store, starting at `prev_log_index + 1` (empty for a heartbeat).
        entries: Vec<Entry>,
        /// The leader's commit index.
        leader_commit: Index,
        /// The leader's latest ReadIndex round: echoed in the answer, so the leader knows
        /// a majority still followed it after the round started.
        read_round: u64,
    },
    /// Follower → leader. A success is sent only once the entries are durable.
    Appended {
        /// The follower's term.
        term: Term,
        /// Whether the consistency check passed and the entries are stored.
        success: bool,
        /// On success, the last index this request covered: `prev_log_index +
        /// entries.len()`, never the follower's whole log (bug R1).
        match_index: Index,
        /// On failure, where the leader should look next.
        conflict: Option<ConflictHint>,
        /// Echoes the request's `read_round`.
        read_round: u64,
    },
    /// Leader → a follower whose next entry the leader has already discarded (step 5):
    /// one chunk of the leader's snapshot. The follower collects the chunks in order and
    /// installs the snapshot when the last one arrives.
    InstallSnapshot {
        /// The leader's term.
        term: Term,
        /// The leader.
        leader: ProcessId,
        /// The last index the snapshot covers.
        last_index: Index,
        /// The term of the entry at `last_index`.
        last_term: Term,
        /// Where in the snapshot's bytes this chunk starts.
        offset: u64,
        /// The chunk.
        data: Vec<u8>,
        /// This is the last chunk: install the snapshot.
        done: bool,
    },
    /// Follower → leader: how much of the snapshot at `last_index` it holds. `installed`
    /// is sent only once the snapshot (and the log it replaces) is durable.
    SnapshotAck {
        /// The follower's term.
        term: Term,
        /// The snapshot this acknowledges.
        last_index: Index,
        /// Bytes of it the follower holds: the offset of the next chunk to send.
        received: u64,
        /// The snapshot is installed and durable (the follower now matches through
        /// `last_index`).
        installed: bool,
    },
    /// Operator → the leader: change the configuration by one server (see
    /// [`crate::membership`]). Answered `MembershipChanged` once a configuration that
    /// makes the change true has committed, `NotLeader { hint }`, or `Refused`.
    ChangeMembership {
        /// Identifies the request (a retry carries the same id).
        request: RequestId,
        /// What to change.
        change: MembershipChange,
    },
    /// Leader → operator: the change is done; `configuration` is committed.
    MembershipChanged {
        /// The request this answers.
        request: RequestId,
        /// The committed configuration that makes the change true.
        configuration: Configuration,
    },
    /// Leader → operator: the membership change or the leadership transfer is refused
    /// (another change is in progress, the leader has not committed an entry of its term,
    /// the server is unknown, the target lags...), and why.
    Refused {
        /// The request this answers.
        request: RequestId,
        /// Why, in words.
        reason: String,
        /// The leader's latest configuration, so the operator learns where things stand.
        configuration: Configuration,
    },
    /// Operator → the leader: hand leadership to `to` (see [`crate::transfer`]).
    TransferLeadership {
        /// Identifies the request.
        request: RequestId,
        /// The voter that should lead.
        to: ProcessId,
    },
    /// Old leader → operator: `TimeoutNow` went to the up-to-date target, and this node
    /// has since stepped down for the newer `term` the target started.
    LeadershipTransferred {
        /// The request this answers.
        request: RequestId,
        /// The term this node stepped down for.
        term: Term,
    },
    /// Leader → the transfer's target, once its log matches the leader's: start an
    /// election now, without waiting for a timeout and without a pre-vote.
    TimeoutNow {
        /// The leader's term: a target that has moved on ignores it.
        term: Term,
    },
}

impl Message for Msg {
    fn kind(&self) -> &'static str {
        match self {
            Msg::Execute { .. } => "Execute",
            Msg::Executed { .. } => "Executed",
            Msg::NotLeader { .. } => "NotLeader",
            Msg::Superseded { .. } => "Superseded",
            Msg::RequestVote { pre_vote: true, .. } => "PreVote",
            Msg::RequestVote { .. } => "RequestVote",
            Msg::Vote { pre_vote: true, .. } => "PreVoteReply",
            Msg::Vote { .. } => "Vote",
            Msg::AppendEntries { entries, .. } if entries.is_empty() => "Heartbeat",
            Msg::AppendEntries { .. } => "AppendEntries",
            Msg::Appended { .. } => "Appended",
            Msg::InstallSnapshot { .. } => "InstallSnapshot",
            Msg::SnapshotAck { .. } => "SnapshotAck",
            Msg::ChangeMembership { .. } => "ChangeMembership",
            Msg::MembershipChanged { .. } => "MembershipChanged",
            Msg::Refused { .. } => "Refused",
            Msg::TransferLeadership { .. } => "TransferLeadership",
            Msg::LeadershipTransferred { .. } => "LeadershipTransferred",
            Msg::TimeoutNow { .. } => "TimeoutNow",
        }
    }
}
