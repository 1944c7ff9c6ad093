//! Errors of the simulation kit.

use crate::id::ProcessId;
use crate::time::Tick;
use thiserror::Error;

/// Why a request did not get a reply.
#[derive(Clone, Debug, PartialEq, Eq, Error, serde::Serialize, serde::Deserialize)]
pub enum RpcError {
    /// No reply arrived before the request's deadline. The request may still have taken
    /// effect: a caller must treat the outcome as unknown.
    #[error("request timed out after {after_ticks} ticks")]
    Timeout {
        /// The timeout that expired, in ticks.
        after_ticks: Tick,
    },
    /// The destination is not part of the cluster.
    #[error("no such node: {0}")]
    UnknownNode(ProcessId),
    /// The server answered that it will not perform the request.
    #[error("rejected: {0}")]
    Rejected(String),
    /// The request was abandoned before an answer (its node crashed or was reset).
    #[error("cancelled")]
    Cancelled,
}

/// Why a storage operation failed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Error)]
pub enum StoreError {
    /// A fault injected by the test or the nemesis; the operation did not happen.
    #[error("injected storage failure")]
    Injected,
    /// A stored value could not be decoded as the requested type.
    #[error("cannot decode stored value under key {key:?}: {reason}")]
    Decode {
        /// The key, lossily shown as text.
        key: String,
        /// What the decoder said.
        reason: String,
    },
    /// A value could not be encoded.
    #[error("cannot encode value: {0}")]
    Encode(String),
    /// A log operation does not fit the log as it is (truncating into the discarded
    /// prefix, discarding past the end); the whole batch did not happen.
    #[error("invalid log operation: {0}")]
    InvalidLog(String),
}

/// Why the cluster could not do what a test asked.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ClusterError {
    /// A condition did not hold within the tick budget. The report lists pending
    /// messages, active fault rules, node states and the last trace events.
    #[error("stuck: condition not met after {ticks} ticks (now tick {now})\n{report}")]
    Stuck {
        /// The budget that ran out.
        ticks: Tick,
        /// The tick at which the cluster gave up.
        now: Tick,
        /// The diagnostic report.
        report: String,
    },
    /// A registered invariant was false after a tick.
    #[error("invariant '{name}' violated at tick {tick}: {message}\n{report}")]
    Invariant {
        /// The invariant's name.
        name: String,
        /// The tick after which it was checked.
        tick: Tick,
        /// What the invariant reported.
        message: String,
        /// The diagnostic report.
        report: String,
    },
}

/// Why a step of a schedule could not be taken by a scripted cluster
/// ([`crate::ClusterBuilder::scripted`]).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ScriptError {
    /// The cluster runs on its clock: it was not built with
    /// [`crate::ClusterBuilder::scripted`], so nothing is held for a step to take.
    #[error("the cluster is not scripted: build it with ClusterBuilder::scripted()")]
    NotScripted,
    /// The step names a node that is not part of the cluster.
    #[error("step {step}: {node} is not a node of the cluster")]
    UnknownNode {
        /// The step's number, from 1.
        step: usize,
        /// The node named.
        node: String,
    },
    /// The step delivers, duplicates or loses a message that is not in flight.
    #[error("step {step}: no such message in flight: {message}")]
    NotInFlight {
        /// The step's number, from 1.
        step: usize,
        /// The message, as text.
        message: String,
    },
    /// The step cannot be taken in the cluster's state: no storage operation pending,
    /// no such timer or request, a crash of a node that is down, a restart of one that
    /// is up.
    #[error("step {step}: {why}")]
    NotEnabled {
        /// The step's number, from 1.
        step: usize,
        /// Why not, in words.
        why: String,
    },
    /// The step was taken, and then an invariant registered with
    /// [`crate::Cluster::add_invariant`] failed.
    #[error("step {step}: invariant '{name}' violated: {message}")]
    Invariant {
        /// The step's number, from 1.
        step: usize,
        /// The invariant's name.
        name: String,
        /// What the invariant reported.
        message: String,
    },
}
