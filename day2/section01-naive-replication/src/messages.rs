//! Every message of the section, in one `enum`.
//!
//! The four servers share it: a client speaks `Execute` and `Get` to any of them, and
//! each replication scheme uses its own subset of the server-to-server messages
//! (`Replicate` for naive replication; `Accept`, `Accepted`, `Commit` for the "two-phase"
//! server; those plus `Query` and `Pending` for the "three-phase" server).

use common::{Message, ProcessId};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A change to the replicated counters.
///
/// Increments commute, which hides ordering divergence: two replicas that apply `+2`
/// and `+3` in different orders still agree. `Set` does not commute, so tests use it to
/// show replicas that applied the same operations in different orders.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Operation {
    /// Add `delta` to the counter under `key` (a missing counter counts as 0).
    Increment {
        /// Which counter.
        key: String,
        /// How much to add (negative to subtract).
        delta: i64,
    },
    /// Overwrite the counter under `key` with `value`.
    Set {
        /// Which counter.
        key: String,
        /// The new value.
        value: i64,
    },
}

impl Operation {
    /// An increment of `key` by `delta`.
    pub fn increment(key: impl Into<String>, delta: i64) -> Self {
        Operation::Increment {
            key: key.into(),
            delta,
        }
    }

    /// An overwrite of `key` with `value`.
    pub fn set(key: impl Into<String>, value: i64) -> Self {
        Operation::Set {
            key: key.into(),
            value,
        }
    }

    /// The counter the operation changes.
    pub fn key(&self) -> &str {
        match self {
            Operation::Increment { key, .. } | Operation::Set { key, .. } => key,
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operation::Increment { key, delta } => write!(f, "{key} += {delta}"),
            Operation::Set { key, value } => write!(f, "{key} := {value}"),
        }
    }
}

/// Names one replicated operation: who coordinated it, in which life, and its number.
///
/// The original used random UUIDs, which made runs irreproducible. A counter is
/// deterministic; the coordinator's incarnation keeps ids unique across a restart even
/// though nothing in this section is persisted. Ids order by `seq` first, then
/// coordinator, then incarnation, so "the largest id" of the original recovery rule is
/// well defined (and still meaningless: see [`crate::Behaviour::Original`]).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TxnId {
    /// Per-incarnation counter of the coordinator.
    pub seq: u64,
    /// The server that coordinated the operation.
    pub coordinator: ProcessId,
    /// The coordinator's incarnation (0 on first boot).
    pub incarnation: u32,
}

impl fmt::Display for TxnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}.{}", self.coordinator, self.incarnation, self.seq)
    }
}

/// Why a coordinator answered `Failed`.
///
/// A failure does **not** mean the operation was not applied: staged copies may still be
/// finished later by a recovering coordinator. Like a timeout, it means "unknown".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Failure {
    /// Fewer than a majority answered the query phase in time.
    #[error("query phase reached {answered} of the {required} servers it needs")]
    QueryQuorumLost {
        /// Servers that answered.
        answered: usize,
        /// Servers needed (a majority).
        required: usize,
    },
    /// Fewer than a majority accepted the operation in time.
    #[error("accept phase reached {accepted} of the {required} servers it needs")]
    AcceptQuorumLost {
        /// Servers that accepted.
        accepted: usize,
        /// Servers needed (a majority).
        required: usize,
    },
}

/// The messages of the section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Msg {
    /// Client → any server: apply `op` and tell me the counter's new value.
    Execute {
        /// The change to make.
        op: Operation,
    },
    /// Server → client: `op` was applied (at least on the coordinator) and the counter
    /// now reads `value` there.
    Executed {
        /// The counter's value on the coordinator right after applying the operation.
        value: i64,
    },
    /// Server → client: the coordinator could not finish. Exists so that a failed
    /// coordination is an answer the client can decode, not a silent timeout (the
    /// original sent an empty payload when its pending request expired).
    Failed {
        /// What went wrong.
        reason: Failure,
    },
    /// Client → any server: what does your copy of `key` hold? Answered from local state,
    /// so it may be stale: reads are not replicated in this section.
    Get {
        /// Which counter.
        key: String,
    },
    /// Server → client: the local value of the counter (`None`: never written here).
    Value {
        /// The value, if this server has one.
        value: Option<i64>,
    },
    /// Naive leader → follower, fire and forget: apply `op` too. No acknowledgement, no
    /// retry, no ordering information: that is the point of the naive scheme.
    Replicate {
        /// The change the leader already applied and acknowledged.
        op: Operation,
    },
    /// Coordinator → every server (itself included): stage `op` under `txn`, do not apply
    /// it yet.
    Accept {
        /// The operation's id.
        txn: TxnId,
        /// The change to stage.
        op: Operation,
    },
    /// Server → coordinator: `txn` is staged here (or was already applied here). There is
    /// no "no" vote: these servers never refuse.
    Accepted {
        /// The id that was staged.
        txn: TxnId,
    },
    /// Coordinator → every other server, fire and forget: a majority staged `txn`; apply
    /// it. Carries the operation so that a server that missed the `Accept` can still
    /// apply it (the original sent only the id, and such a server ignored the commit).
    Commit {
        /// The id to apply.
        txn: TxnId,
        /// The change, for servers that did not stage it.
        op: Operation,
    },
    /// "Three-phase" coordinator → every server (itself included), before proposing
    /// anything new: what have you staged and not applied?
    Query,
    /// Server → coordinator: the staged operations this server has not applied.
    Pending {
        /// Staged, unapplied operations in id order. The original reported at most one.
        staged: Vec<(TxnId, Operation)>,
    },
}

impl Message for Msg {
    fn kind(&self) -> &'static str {
        match self {
            Msg::Execute { .. } => "Execute",
            Msg::Executed { .. } => "Executed",
            Msg::Failed { .. } => "Failed",
            Msg::Get { .. } => "Get",
            Msg::Value { .. } => "Value",
            Msg::Replicate { .. } => "Replicate",
            Msg::Accept { .. } => "Accept",
            Msg::Accepted { .. } => "Accepted",
            Msg::Commit { .. } => "Commit",
            Msg::Query => "Query",
            Msg::Pending { .. } => "Pending",
        }
    }
}
