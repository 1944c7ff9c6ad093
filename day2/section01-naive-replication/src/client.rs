//! Typed client helpers: build requests, decode answers.
//!
//! The client process itself is `common`'s generic [`common::Client`]; tests call
//! `cluster.call(ALICE, ATHENS, client::increment("k", 2))` and decode the promise's
//! result with [`new_value`] or [`read_value`].

use crate::messages::{Failure, Msg, Operation};
use common::RpcError;

/// Why a client call did not produce the expected answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The coordinator answered that it could not finish (outcome unknown).
    #[error("the coordinator failed: {0}")]
    Failed(Failure),
    /// No answer (timeout) or the request could not be sent.
    #[error("no answer: {0}")]
    Rpc(RpcError),
    /// An answer of the wrong kind.
    #[error("unexpected answer {0:?}")]
    Unexpected(Msg),
}

/// A request to add `delta` to `key`.
pub fn increment(key: &str, delta: i64) -> Msg {
    Msg::Execute {
        op: Operation::increment(key, delta),
    }
}

/// A request to overwrite `key` with `value`.
pub fn set(key: &str, value: i64) -> Msg {
    Msg::Execute {
        op: Operation::set(key, value),
    }
}

/// A request to read the called server's local copy of `key`.
pub fn get(key: &str) -> Msg {
    Msg::Get {
        key: key.to_string(),
    }
}

/// Decode the answer to an `Execute`: the counter's new value.
pub fn new_value(answer: Result<Msg, RpcError>) -> Result<i64, ClientError> {
    match answer {
        Ok(Msg::Executed { value }) => Ok(value),
        Ok(Msg::Failed { reason }) => Err(ClientError::Failed(reason)),
        Ok(other) => Err(ClientError::Unexpected(other)),
        Err(e) => Err(ClientError::Rpc(e)),
    }
}

/// Decode the answer to a `Get`: the server's local value, if it has one.
pub fn read_value(answer: Result<Msg, RpcError>) -> Result<Option<i64>, ClientError> {
    match answer {
        Ok(Msg::Value { value }) => Ok(value),
        Ok(other) => Err(ClientError::Unexpected(other)),
        Err(e) => Err(ClientError::Rpc(e)),
    }
}
