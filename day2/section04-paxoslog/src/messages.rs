//! Every message of the section, in one enum, and the values they carry.
//!
//! Per-slot Paxos has the three request/reply pairs of single-decree Paxos, each now
//! naming the **slot** it is about: `Prepare`/`Promise`, `Accept`/`Accepted`, and a
//! `Reject` for either. Two more answers and one more exchange come with the log:
//! * `Decided` answers a `Prepare` or an `Accept` for a slot the acceptor already knows
//!   is committed: the proposer learns the decision instead of running a ballot for it;
//! * `Commit` tells every node a slot's decision (one way: a lost commit is repaired by
//!   catch-up, so nobody waits for an acknowledgement);
//! * `CatchUp`/`CatchUpReply` let a node that missed commits fetch the committed slots
//!   it lacks from a peer, without waiting for a client request to run a ballot through
//!   it.
//!
//! Proposer-to-acceptor messages carry the sender's `executed_through`, so a node that
//! hears from a peer further ahead knows at once that it is behind.

use common::{Message, ProcessId};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A log position. Slots start at 1 (as `common`'s log does); `executed_through == 0`
/// means nothing has been executed.
pub type Slot = u64;

/// A proposal number: `(round, node)`, ordered by round first, then by node id.
///
/// The node id makes ballots unique by construction: two proposers never use the same
/// ballot, even in the same round. (The Java workshop used a bare per-node counter, so
/// two proposers both tried generation 1 at the same index.)
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
/// It travels inside every log entry, so "is the operation in this slot mine?" is a
/// comparison of ids, never of operations: two clients' equal `Set`s, or two `Get`s of
/// the same key, are different entries. A client retries with the same id, and the
/// state machine executes an id at most once.
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
    /// Read `key`. A read goes through the log like a write: it occupies a slot, and
    /// executing that slot reads the state every earlier slot produced, so it sees every
    /// write acknowledged before it was sent.
    Get {
        /// The key.
        key: String,
    },
    /// Store `new` under `key` if its current value is `expected` (`None`: the key is
    /// absent).
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
    /// A `Get` read the key at its slot.
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

/// What a slot holds: one client's operation, tagged with its request id.
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

/// A committed slot, as a catch-up reply carries it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CommittedEntry {
    /// The slot.
    pub slot: Slot,
    /// Its chosen value.
    pub value: Value,
}

/// Why an acceptor refused a `Prepare` or an `Accept`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RejectReason {
    /// The acceptor has promised a higher ballot for this slot (`Reject::promised` says
    /// which), so the proposer should retry above it.
    PromisedHigher,
    /// The acceptor granted the request in memory but could not make it durable. It must
    /// not answer yes, and answering no at once beats leaving the proposer to time out.
    StorageFailed,
}

/// The messages of the Paxos log.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Msg {
    /// Client → any server: put this operation in the log and tell me its outcome.
    Execute {
        /// Identifies the operation; a retry carries the same id.
        request: RequestId,
        /// What to do.
        operation: Operation,
    },
    /// Server → client: the request's slot was executed here.
    Executed {
        /// The request this answers.
        request: RequestId,
        /// The slot that holds it.
        slot: Slot,
        /// What executing it produced.
        outcome: Outcome,
    },
    /// Server → client: the proposer gave up after `attempts` failed ballots. The outcome
    /// is unknown: the operation may still be chosen later. Ask again with the same id.
    Undecided {
        /// The request this answers.
        request: RequestId,
        /// Failed ballots before giving up.
        attempts: u32,
    },
    /// Server → client: the client has since had a later request executed (`latest`).
    /// This node no longer keeps this request's outcome, and the request will not take
    /// effect if it has not already (a client has one request outstanding, so it had
    /// given up on this one).
    Superseded {
        /// The request this answers.
        request: RequestId,
        /// The client's latest executed sequence number.
        latest: u64,
    },
    /// Phase 1a, proposer → every acceptor: promise to ignore ballots below `ballot` at
    /// `slot`.
    Prepare {
        /// The slot.
        slot: Slot,
        /// The proposer's new ballot.
        ballot: Ballot,
        /// The proposer's executed prefix (a lagging acceptor starts catching up).
        executed_through: Slot,
    },
    /// Phase 1b, acceptor → proposer: promised for this slot, and here is what I
    /// accepted in it before. Sent only once the promise is durable.
    Promise {
        /// The slot.
        slot: Slot,
        /// The ballot promised (echoed so the proposer counts only its own round).
        ballot: Ballot,
        /// The highest-ballot proposal this acceptor accepted in the slot, if any: the
        /// proposer must adopt the highest of these among a majority.
        accepted: Option<Proposal>,
    },
    /// Phase 2a, proposer → every acceptor: accept this value in this slot and ballot.
    Accept {
        /// The slot.
        slot: Slot,
        /// The ballot and the value (the adopted one, or the client's if none was found).
        proposal: Proposal,
        /// The proposer's executed prefix.
        executed_through: Slot,
    },
    /// Phase 2b, acceptor → proposer: accepted. Sent only once the acceptance is durable.
    Accepted {
        /// The slot.
        slot: Slot,
        /// The ballot accepted (echoed so the proposer counts only its own round).
        ballot: Ballot,
    },
    /// Acceptor → proposer: `ballot` was refused at `slot` (in phase 1 or 2).
    Reject {
        /// The slot.
        slot: Slot,
        /// The refused ballot.
        ballot: Ballot,
        /// The acceptor's promise for the slot: the proposer's next round goes above it.
        promised: Ballot,
        /// Why.
        reason: RejectReason,
    },
    /// Acceptor → proposer, instead of a promise or an acceptance: this slot is already
    /// committed here, with this value. A chosen value is final, so the proposer learns
    /// it and moves on instead of running a ballot for it.
    Decided {
        /// The slot.
        slot: Slot,
        /// Its chosen value.
        value: Value,
    },
    /// Proposer → every other node: `value` is chosen for `slot`; learn it. One way: a
    /// node that misses it learns the slot by catch-up.
    Commit {
        /// The slot.
        slot: Slot,
        /// The chosen value.
        value: Value,
        /// The proposer's executed prefix.
        executed_through: Slot,
    },
    /// Node → peer: send me the committed slots you know from `from` on.
    CatchUp {
        /// The first slot the asker has not executed.
        from: Slot,
    },
    /// Peer → node: the committed slots it knows from the asked slot on (a bounded
    /// batch, in slot order; it may have gaps), and how far it has executed.
    CatchUpReply {
        /// Committed slots, in slot order.
        entries: Vec<CommittedEntry>,
        /// The replier's executed prefix: if it is beyond the batch, ask again.
        executed_through: Slot,
    },
}

impl Message for Msg {
    fn kind(&self) -> &'static str {
        match self {
            Msg::Execute { .. } => "Execute",
            Msg::Executed { .. } => "Executed",
            Msg::Undecided { .. } => "Undecided",
            Msg::Superseded { .. } => "Superseded",
            Msg::Prepare { .. } => "Prepare",
            Msg::Promise { .. } => "Promise",
            Msg::Accept { .. } => "Accept",
            Msg::Accepted { .. } => "Accepted",
            Msg::Reject { .. } => "Reject",
            Msg::Decided { .. } => "Decided",
            Msg::Commit { .. } => "Commit",
            Msg::CatchUp { .. } => "CatchUp",
            Msg::CatchUpReply { .. } => "CatchUpReply",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_names_the_key_it_touches() {
        assert_eq!(
            Operation::set("title", "Patterns").key(),
            "title",
            "a set touches the key it sets"
        );
        assert_eq!(
            Operation::get("author").key(),
            "author",
            "a get touches the key it reads"
        );
        assert_eq!(
            Operation::cas("isbn", None, "1").key(),
            "isbn",
            "a compare-and-swap touches the key it swaps"
        );
    }
}
