//! Errors a client of the section can see.

use common::{ProcessId, RpcError};
use thiserror::Error;

/// Why a client has no outcome for its request.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ClientError {
    /// No answer arrived: the operation may or may not have taken effect.
    #[error("no answer from the server: {0}")]
    NoAnswer(#[from] RpcError),
    /// The server is not the leader; `hint` is the leader it knows of, if any.
    #[error("not the leader (leader hint: {hint:?})")]
    NotLeader {
        /// The leader the server knows of.
        hint: Option<ProcessId>,
    },
    /// The client has since had a later request applied: this request's outcome is not
    /// kept, and it will not take effect if it has not already.
    #[error("superseded: request #{latest} of this client was applied after it")]
    Superseded {
        /// The client's latest applied sequence number.
        latest: u64,
    },
    /// The server answered with a message that is not an answer to `Execute`.
    #[error("unexpected reply {0} to Execute")]
    UnexpectedReply(&'static str),
}
