//! Typed client helpers: decode the answers to the section's requests.
//!
//! The client process is `common`'s generic [`common::Client`]: tests call
//! `cluster.call(ALICE, ATHENS, Msg::NextGeneration)` and decode with [`generation`].

use crate::messages::Msg;
use common::RpcError;

/// Why a client did not get a generation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// A newer election at the same coordinator overtook this one.
    #[error("superseded by the newer election for {by}")]
    Superseded {
        /// The newer election's number.
        by: u64,
    },
    /// No majority voted for any attempt.
    #[error("no majority after {attempts} election(s) (highest number seen {highest_seen})")]
    ElectionFailed {
        /// Elections tried.
        attempts: u32,
        /// Highest number the coordinator saw.
        highest_seen: u64,
    },
    /// A fenced write was refused: the writer's generation is stale.
    #[error("fenced: the server has seen generation {seen}")]
    Fenced {
        /// The higher generation the server has seen.
        seen: u64,
    },
    /// A fenced write passed the fence, but the server could not make it durable.
    #[error("the server could not store the write of generation {generation}")]
    WriteFailed {
        /// The generation the write carried.
        generation: u64,
    },
    /// No answer.
    #[error("no answer: {0}")]
    Rpc(RpcError),
    /// An answer of the wrong kind.
    #[error("unexpected answer {0:?}")]
    Unexpected(Msg),
}

/// Decode the answer to `NextGeneration`.
pub fn generation(answer: Result<Msg, RpcError>) -> Result<u64, ClientError> {
    match answer {
        Ok(Msg::Generation { generation }) => Ok(generation),
        Ok(Msg::Superseded { by }) => Err(ClientError::Superseded { by }),
        Ok(Msg::ElectionFailed {
            attempts,
            highest_seen,
        }) => Err(ClientError::ElectionFailed {
            attempts,
            highest_seen,
        }),
        Ok(other) => Err(ClientError::Unexpected(other)),
        Err(e) => Err(ClientError::Rpc(e)),
    }
}

/// A fenced write of `value` carrying `generation`.
pub fn write(generation: u64, value: &str) -> Msg {
    Msg::Write {
        generation,
        value: value.to_string(),
    }
}

/// Decode the answer to `Write`: the generation the stored (durable) write carried.
pub fn written(answer: Result<Msg, RpcError>) -> Result<u64, ClientError> {
    match answer {
        Ok(Msg::Written { generation }) => Ok(generation),
        Ok(Msg::Fenced { seen }) => Err(ClientError::Fenced { seen }),
        Ok(Msg::WriteFailed { generation }) => Err(ClientError::WriteFailed { generation }),
        Ok(other) => Err(ClientError::Unexpected(other)),
        Err(e) => Err(ClientError::Rpc(e)),
    }
}
