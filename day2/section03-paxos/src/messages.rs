//! Every message of the section, in one enum, and the values they carry.
//!
//! Paxos needs four request/reply pairs: the client's `Execute`, and one pair per phase
//! (`Prepare`/`Promise`, `Accept`/`Accepted`, `Commit`/`Committed`). A `Reject` answers
//! either phase-1 or phase-2 request when the acceptor cannot grant it, and says why.

use common::{Message, ProcessId};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A proposal number: `(round, node)`, ordered by round first, then by node id.
///
/// The node id makes ballots unique by construction: two proposers never use the same
/// ballot, even when they pick the same round. (The Java workshop used a bare per-node
/// counter, so two proposers both tried generation 1.)
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Ballot {
    /// Compared first. A proposer picks one above every round it has seen.
    pub round: u64,
    /// The proposer that owns this ballot; breaks ties between equal rounds.
    pub node: ProcessId,
}

impl Ballot {
    /// The ballot below every real one: what a fresh acceptor has promised.
    pub fn zero() -> Self {
        Ballot {
            round: 0,
            node: ProcessId::new(""),
        }
    }

    /// The ballot `(round, node)`.
    pub fn new(round: u64, node: impl Into<ProcessId>) -> Self {
        Ballot {
            round,
            node: node.into(),
        }
    }
}

impl Default for Ballot {
    /// The zero ballot.
    fn default() -> Self {
        Ballot::zero()
    }
}

impl fmt::Display for Ballot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.round == 0 {
            f.write_str("(none)")
        } else {
            write!(f, "({}, {})", self.round, self.node)
        }
    }
}

/// Identifies one client operation: who asked, and which of its requests this is.
///
/// It travels inside the proposed value, so when a value is chosen every node knows
/// *whose* operation won, even if two clients asked for equal operations. A client that
/// retries sends the same id again and learns whether its first attempt won.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RequestId {
    /// The client.
    pub client: ProcessId,
    /// The client's own sequence number for this request.
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

/// An operation on the small state machine every node applies the chosen value to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Operation {
    /// Add one to the counter under `key`; the result is the new count.
    Increment {
        /// The counter.
        key: String,
    },
    /// Set `key` to `value`; the result is the value.
    Set {
        /// The key.
        key: String,
        /// The new value.
        value: String,
    },
}

impl Operation {
    /// `Increment { key }`.
    pub fn increment(key: impl Into<String>) -> Self {
        Operation::Increment { key: key.into() }
    }

    /// `Set { key, value }`.
    pub fn set(key: impl Into<String>, value: impl Into<String>) -> Self {
        Operation::Set {
            key: key.into(),
            value: value.into(),
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operation::Increment { key } => write!(f, "increment {key}"),
            Operation::Set { key, value } => write!(f, "set {key}={value}"),
        }
    }
}

/// What Paxos chooses: one client's operation, tagged with its request id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Value {
    /// Whose operation this is.
    pub request: RequestId,
    /// The operation.
    pub operation: Operation,
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{}]", self.operation, self.request)
    }
}

/// A value proposed (or accepted) in a ballot.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Proposal {
    /// The ballot it was proposed in.
    pub ballot: Ballot,
    /// The value.
    pub value: Value,
}

/// Why an acceptor refused a `Prepare` or an `Accept`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RejectReason {
    /// The acceptor has promised a higher ballot (`Reject::promised` says which), so the
    /// proposer should retry above it.
    PromisedHigher,
    /// The acceptor granted the request in memory but could not make it durable. It must
    /// not answer yes, and answering no at once beats leaving the proposer to time out.
    StorageFailed,
}

/// The messages of single-decree Paxos.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Msg {
    /// Client → any server: get this operation chosen, or learn which one was.
    Execute {
        /// Identifies the operation, so the answer can say whether it won.
        request: RequestId,
        /// What to do if this request's value is chosen.
        operation: Operation,
    },
    /// Server → client: the decision is known.
    Executed {
        /// The request this answers.
        request: RequestId,
        /// Whether the chosen value is this request's own operation.
        won: bool,
        /// Whose operation was chosen (equal to `request` when `won`).
        chosen: RequestId,
        /// The result of applying the chosen operation (the same string for every client).
        result: String,
    },
    /// Server → client: the proposer gave up after `attempts` tries. The outcome is
    /// unknown: the operation may still be chosen later; ask again with the same id.
    Undecided {
        /// The request this answers.
        request: RequestId,
        /// How many ballots the proposer tried.
        attempts: u32,
    },
    /// Server → client: this node learned the decision but could not make it durable
    /// (its storage refused `failed_writes` writes in a row), so it neither applied it
    /// nor answers from memory it could lose in a crash. The outcome is unknown to the
    /// client: ask again, here or at another node, with the same id.
    NotDurable {
        /// The request this answers.
        request: RequestId,
        /// Writes of the commit that failed before the node gave up.
        failed_writes: u32,
    },
    /// Phase 1a, proposer → every acceptor: promise to ignore ballots below `ballot`.
    Prepare {
        /// The proposer's new ballot.
        ballot: Ballot,
    },
    /// Phase 1b, acceptor → proposer: promised, and here is what I accepted before.
    /// Sent only once the promise is durable.
    Promise {
        /// The ballot promised (echoed so the proposer counts only its own round).
        ballot: Ballot,
        /// The highest-ballot proposal this acceptor has accepted, if any: the proposer
        /// must adopt the highest of these among a majority.
        accepted: Option<Proposal>,
    },
    /// Phase 2a, proposer → every acceptor: accept this value in this ballot.
    Accept {
        /// The ballot and the value (the adopted one, or the client's if none was found).
        proposal: Proposal,
    },
    /// Phase 2b, acceptor → proposer: accepted. Sent only once the acceptance is durable.
    Accepted {
        /// The ballot accepted (echoed so the proposer counts only its own round).
        ballot: Ballot,
    },
    /// Acceptor → proposer: `ballot` was refused (in phase 1 or 2).
    Reject {
        /// The refused ballot.
        ballot: Ballot,
        /// The acceptor's promise: the proposer's next round must be above its round.
        promised: Ballot,
        /// Why.
        reason: RejectReason,
    },
    /// Proposer → every node (itself included): this value is chosen; learn it.
    Commit {
        /// The chosen value and the ballot in which a majority accepted it.
        proposal: Proposal,
    },
    /// Learner → proposer: the commit is durable here, stop retransmitting it to me.
    Committed {
        /// The ballot of the commit acknowledged.
        ballot: Ballot,
    },
}

impl Message for Msg {
    fn kind(&self) -> &'static str {
        match self {
            Msg::Execute { .. } => "Execute",
            Msg::Executed { .. } => "Executed",
            Msg::Undecided { .. } => "Undecided",
            Msg::NotDurable { .. } => "NotDurable",
            Msg::Prepare { .. } => "Prepare",
            Msg::Promise { .. } => "Promise",
            Msg::Accept { .. } => "Accept",
            Msg::Accepted { .. } => "Accepted",
            Msg::Reject { .. } => "Reject",
            Msg::Commit { .. } => "Commit",
            Msg::Committed { .. } => "Committed",
        }
    }
}
