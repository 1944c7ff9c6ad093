//! Every message of the quorum key-value store, in one `enum`.
//!
//! Clients speak to a coordinator (`ClientSet`, `ClientGet`); the coordinator speaks to
//! every replica, itself included (`InternalSet`, `InternalGet`). Read repair reuses
//! `InternalSet`: a repair is just a write of an old version.

use common::{Message, ProcessId};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Which write is newer: the order last-write-wins relies on.
///
/// Versions order by `timestamp`, then by `node`. The node id is the tie-break the
/// original lacked: two coordinators that stamp the same millisecond still produce two
/// different, ordered versions, so every replica keeps the same winner. (Under
/// [`crate::Versioning::TimestampOnly`] the node is ignored when comparing, which is the
/// original's behaviour and its bug.)
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Version {
    /// The coordinator's clock reading when it accepted the write, in milliseconds (or a
    /// hybrid logical clock value, see [`crate::Versioning::Hybrid`]).
    pub timestamp: u64,
    /// The coordinator that stamped the write: makes versions unique.
    pub node: ProcessId,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.timestamp, self.node)
    }
}

/// A value with the version that decides whether it replaces another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionedValue {
    /// The client's value.
    pub value: String,
    /// When and where it was written.
    pub version: Version,
}

impl fmt::Display for VersionedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}@{}", self.value, self.version)
    }
}

/// What a coordinator answers to a write.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SetOutcome {
    /// At least W replicas stored the write (or already held something newer).
    Ok,
    /// Fewer than W replicas acknowledged before the coordinator's timeout. The write
    /// is **not** undone: replicas that stored it keep it, and it may win later. The
    /// client must record it as indeterminate.
    QuorumNotReached {
        /// Replicas that acknowledged.
        acks: usize,
        /// Acknowledgements needed (W).
        required: usize,
    },
    /// No answer from the coordinator before the client's own timeout. Never sent by a
    /// replica: the client helper produces it. Just as indeterminate.
    Timeout,
}

/// What a coordinator answers to a read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GetOutcome {
    /// R replicas answered and the newest version among them holds this value.
    Found(VersionedValue),
    /// R replicas answered and none holds the key.
    NotFound,
    /// Fewer than R replicas answered, or (with synchronous read repair) the repair could
    /// not make a majority hold the chosen version. The original answered "not found"
    /// here, which a client could not tell from a missing key.
    QuorumNotReached {
        /// Replicas that answered (or acknowledged the repair).
        answers: usize,
        /// Answers needed.
        required: usize,
    },
    /// No answer from the coordinator before the client's own timeout. Produced by the
    /// client helper, never sent.
    Timeout,
}

/// The messages of the quorum key-value store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Msg {
    /// Client → coordinator: write `value` under `key`.
    ClientSet {
        /// The key.
        key: String,
        /// The value to write.
        value: String,
    },
    /// Coordinator → client: how the write ended.
    ClientSetReply {
        /// The key written, so a trace line is readable on its own.
        key: String,
        /// `Ok` or `QuorumNotReached` (never `Timeout`).
        outcome: SetOutcome,
    },
    /// Client → coordinator: read `key`.
    ClientGet {
        /// The key.
        key: String,
    },
    /// Coordinator → client: how the read ended.
    ClientGetReply {
        /// The key read.
        key: String,
        /// `Found`, `NotFound` or `QuorumNotReached` (never `Timeout`).
        outcome: GetOutcome,
    },
    /// Coordinator → replica (itself included): store this version if it is newer than
    /// what you hold. Also carries read repairs, with the version read.
    InternalSet {
        /// The key.
        key: String,
        /// The value and the version that decides whether it is kept.
        value: VersionedValue,
    },
    /// Replica → coordinator: the write was handled.
    InternalSetReply {
        /// The key.
        key: String,
        /// Whether this version replaced the stored one. An acknowledgement either way:
        /// a replica holding something newer has "stored" the write in the LWW sense,
        /// because the write would lose to what it holds anyway.
        applied: bool,
    },
    /// Coordinator → replica: what do you hold under `key`?
    InternalGet {
        /// The key.
        key: String,
    },
    /// Replica → coordinator: the stored version, if any. Typed, where the original
    /// nested an encoded value inside the message bytes.
    InternalGetReply {
        /// The key.
        key: String,
        /// The stored value and its version; `None` if the key is unknown here.
        value: Option<VersionedValue>,
    },
}

impl Message for Msg {
    fn kind(&self) -> &'static str {
        match self {
            Msg::ClientSet { .. } => "ClientSet",
            Msg::ClientSetReply { .. } => "ClientSetReply",
            Msg::ClientGet { .. } => "ClientGet",
            Msg::ClientGetReply { .. } => "ClientGetReply",
            Msg::InternalSet { .. } => "InternalSet",
            Msg::InternalSetReply { .. } => "InternalSetReply",
            Msg::InternalGet { .. } => "InternalGet",
            Msg::InternalGetReply { .. } => "InternalGetReply",
        }
    }
}
