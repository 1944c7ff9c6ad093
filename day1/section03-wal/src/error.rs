//! The errors of this crate.

use std::io;
use thiserror::Error;

/// Everything that can go wrong with a write-ahead log.
#[derive(Debug, Error)]
pub enum WalError {
    /// The configuration cannot work (for example a zero segment size).
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// The filesystem reported an error.
    #[error("I/O error while {action} ({location}): {source}")]
    Io {
        /// What the log was doing.
        action: String,
        /// The file or directory involved.
        location: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A frame that should be valid is not: the log refuses to go on past it.
    #[error("corrupt log: {segment} at byte {offset}: {reason}")]
    Corrupt {
        /// The segment file.
        segment: String,
        /// Byte offset of the bad frame in that file.
        offset: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// The index is not in the log.
    #[error("index {index} is not in the log (it holds {first}..={last})")]
    IndexOutOfRange {
        /// The requested index.
        index: u64,
        /// The first index present.
        first: u64,
        /// The last index present (first - 1 when empty).
        last: u64,
    },
    /// An entry larger than the configured limit.
    #[error("an entry of {len} bytes exceeds the {max}-byte limit")]
    EntryTooLarge {
        /// The entry's size.
        len: usize,
        /// The limit.
        max: u32,
    },
    /// An earlier write or fsync failed; what is on disk is unknown until recovery runs.
    #[error("the log stopped after a failed I/O operation ({0}); reopen it to recover")]
    Poisoned(String),
    /// A snapshot cannot be used.
    #[error("snapshot {name}: {reason}")]
    BadSnapshot {
        /// The snapshot file.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A command or a stored value does not decode.
    #[error("cannot decode {what}: {reason}")]
    Decode {
        /// What was being decoded.
        what: String,
        /// Why it failed.
        reason: String,
    },
}

impl WalError {
    pub(crate) fn io(
        action: impl Into<String>,
        location: impl Into<String>,
        source: io::Error,
    ) -> Self {
        WalError::Io {
            action: action.into(),
            location: location.into(),
            source,
        }
    }
}

/// Results of this crate.
pub type Result<T, E = WalError> = std::result::Result<T, E>;
