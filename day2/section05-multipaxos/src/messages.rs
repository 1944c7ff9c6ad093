//! Every message of the section, in one enum, and the values they carry.
//!
//! Multi-Paxos splits single-decree Paxos's two phases apart in time:
//! * **phase 1 once per leader**: `Prepare` names no slot, it asks for a promise over
//!   the whole log from the candidate's executed prefix on, and each `Promise` reports
//!   every slot the acceptor has accepted *or committed* there (the Java reply left
//!   committed slots out, bug B2);
//! * **phase 2 per slot**: `Accept`/`Accepted`, pipelined, with no prepare in front;
//! * `Commit` tells every node a slot's decision, one way; a node that sees a commit
//!   arrive past a gap asks its sender for the missing ones with `CatchUp`;
//! * `Reject` answers either request, naming the acceptor's promise, so a candidate
//!   or a deposed leader learns the ballot that beat it;
//! * `NotLeader` sends a client to the leader this node knows of, if any.

use common::{Message, ProcessId};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A log position. Slots start at 1 (as `common`'s log does); `executed_through == 0`
/// means nothing has been executed.
pub type Slot = u64;

/// A proposal number: `(round, node)`, ordered by round first, then by node id.
///
/// The node id makes ballots unique by construction: two proposers never use the same
/// ballot, even in the same round. (The Java section used a bare per-node counter, so two
/// candidates could both take generation 1; bug B3.)
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Ballot {
    /// Compared first. A candidate picks one above every round it has seen.
    pub round: u64,
    /// The candidate that owns this ballot; breaks ties between equal rounds.
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

/// What a slot holds: one client's operation tagged with its request id, or a no-op a
/// new leader uses to fill a slot that nobody accepted anything in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Value {
    /// Fills a hole: executing it changes nothing and answers nobody.
    NoOp,
    /// A client's operation.
    Command {
        /// Whose operation this is.
        request: RequestId,
        /// The operation.
        operation: Operation,
    },
}

impl Value {
    /// The request this value carries, if it is a command.
    pub fn request(&self) -> Option<&RequestId> {
        match self {
            Value::NoOp => None,
            Value::Command { request, .. } => Some(request),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::NoOp => f.write_str("no-op"),
            Value::Command { request, operation } => write!(f, "{operation} [{request}]"),
        }
    }
}

/// A value accepted in a ballot.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Proposal {
    /// The ballot it was accepted in.
    pub ballot: Ballot,
    /// The value.
    pub value: Value,
}

/// What a promise reports about one slot: the proposal accepted there and, if the
/// acceptor knows it, the committed value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SlotReport {
    /// The slot.
    pub slot: Slot,
    /// The highest-ballot proposal the acceptor accepted in the slot, if any.
    pub accepted: Option<Proposal>,
    /// The value the acceptor learned was chosen, if any: final, the candidate adopts it
    /// as committed.
    pub committed: Option<Value>,
}

/// The messages of Multi-Paxos.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Msg {
    /// Client → a server: put this operation in the log and tell me its outcome.
    Execute {
        /// Identifies the operation; a retry carries the same id.
        request: RequestId,
        /// What to do.
        operation: Operation,
    },
    /// Server → client: the request's slot was executed at the leader.
    Executed {
        /// The request this answers.
        request: RequestId,
        /// The slot that holds it.
        slot: Slot,
        /// What executing it produced.
        outcome: Outcome,
    },
    /// Server → client: I am not the leader; try `hint` (`None`: I know of none, and an
    /// election may be under way). The Java server answered `(false, "Not leader")` to
    /// writes and `null` to reads (bug B7).
    NotLeader {
        /// The request this answers.
        request: RequestId,
        /// The leader this node knows of.
        hint: Option<ProcessId>,
    },
    /// Server → client: the client has since had a later request executed (`latest`);
    /// this one will not take effect if it has not already.
    Superseded {
        /// The request this answers.
        request: RequestId,
        /// The client's latest executed sequence number.
        latest: u64,
    },
    /// Phase 1a, candidate → every node: promise `ballot` for every slot from `from` on.
    Prepare {
        /// The candidate's ballot.
        ballot: Ballot,
        /// The first slot the candidate has not executed: everything before is committed
        /// and executed there, so acceptors report only from here on.
        from: Slot,
    },
    /// Phase 1b, acceptor → candidate: promised, and here is every slot from `from` on
    /// that I accepted or know committed. Sent only once the promise is durable.
    Promise {
        /// The ballot promised (echoed so the candidate counts only its own election).
        ballot: Ballot,
        /// The slots, in slot order.
        slots: Vec<SlotReport>,
    },
    /// Phase 2a, leader → every node: accept `value` in `slot` under `ballot`.
    Accept {
        /// The leader's ballot.
        ballot: Ballot,
        /// The slot.
        slot: Slot,
        /// The value.
        value: Value,
    },
    /// Phase 2b, acceptor → leader: accepted. Sent only once the acceptance is durable.
    Accepted {
        /// The ballot accepted.
        ballot: Ballot,
        /// The slot.
        slot: Slot,
    },
    /// Acceptor → candidate or leader: `ballot` is below my promise `promised`.
    Reject {
        /// The refused ballot.
        ballot: Ballot,
        /// The acceptor's promise: a candidate retries above it, a leader steps down.
        promised: Ballot,
    },
    /// Leader → every other node: `value` is chosen for `slot`.
    Commit {
        /// The slot.
        slot: Slot,
        /// The chosen value.
        value: Value,
    },
    /// Follower → the node a commit came from: a commit arrived past a slot I do not
    /// know committed (its commit was lost); send me the committed slots from `from` on.
    CatchUp {
        /// The first slot the asker has not executed.
        from: Slot,
    },
    /// Answer to `CatchUp`: committed slots from the asked slot on, in slot order (a
    /// bounded batch; it may have gaps).
    CatchUpReply {
        /// `(slot, value)` pairs.
        entries: Vec<(Slot, Value)>,
    },
}

impl Message for Msg {
    fn kind(&self) -> &'static str {
        match self {
            Msg::Execute { .. } => "Execute",
            Msg::Executed { .. } => "Executed",
            Msg::NotLeader { .. } => "NotLeader",
            Msg::Superseded { .. } => "Superseded",
            Msg::Prepare { .. } => "Prepare",
            Msg::Promise { .. } => "Promise",
            Msg::Accept { .. } => "Accept",
            Msg::Accepted { .. } => "Accepted",
            Msg::Reject { .. } => "Reject",
            Msg::Commit { .. } => "Commit",
            Msg::CatchUp { .. } => "CatchUp",
            Msg::CatchUpReply { .. } => "CatchUpReply",
        }
    }
}
