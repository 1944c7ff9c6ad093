//! Errors a client of the section can see.

use common::RpcError;
use thiserror::Error;

/// Why a client has no decision.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ClientError {
    /// No answer arrived: the operation may or may not be chosen.
    #[error("no answer from the server: {0}")]
    NoAnswer(#[from] RpcError),
    /// The proposer gave up; the operation may still be chosen later.
    #[error("the proposer gave up after {attempts} attempts; the outcome is unknown")]
    Undecided {
        /// Ballots tried.
        attempts: u32,
    },
    /// The server knows the decision but could not make it durable; the outcome is
    /// unknown to the client.
    #[error(
        "the server could not make the decision durable ({failed_writes} failed writes); the outcome is unknown"
    )]
    NotDurable {
        /// Writes of the commit that failed.
        failed_writes: u32,
    },
    /// The server answered with a message that is not an answer to `Execute`.
    #[error("unexpected reply {0} to Execute")]
    UnexpectedReply(&'static str),
}
