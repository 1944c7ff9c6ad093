//! The commands a key-value store logs, in the workshop's big-endian encoding.
//!
//! | Part | Encoding |
//! |---|---|
//! | prefix | `client_id` i64 (−1 = none), `request_number` i32 |
//! | `SetValue` | type i32 = 1, then `key`, `value`, `attach_lease` as strings |
//! | `TxnSetValue` | type i32 = 17, then `key`, `value`, `txn_id` as strings |
//! | `Composite` | type i32 = 16, count i32, then per command: length i32 + its encoding |
//!
//! A string is a u16 byte length and UTF-8 bytes. `TxnSetValue` has a type id of its own:
//! the original wrote it as type 1, so it came back as a `SetValue` whose lease held the
//! transaction id.

use thiserror::Error;

/// `client_id` of a command no client sent.
pub const NO_CLIENT: i64 = -1;
/// Type id of [`CommandKind::SetValue`].
pub const SET_VALUE: i32 = 1;
/// Type id of [`CommandKind::Composite`].
pub const COMPOSITE: i32 = 16;
/// Type id of [`CommandKind::TxnSetValue`].
pub const TXN_SET_VALUE: i32 = 17;
/// Deepest nesting of composites accepted on decode (bad input must not blow the stack).
pub const MAX_NESTING: usize = 16;

/// A logged command with the request it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// The client, or [`NO_CLIENT`].
    pub client_id: i64,
    /// The client's request number.
    pub request_number: i32,
    /// What to do.
    pub kind: CommandKind,
}

/// What a command does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandKind {
    /// Set `key` to `value` (optionally attached to a lease).
    SetValue {
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// The lease the key is attached to (empty for none).
        attach_lease: String,
    },
    /// Set `key` to `value` as part of transaction `txn_id`.
    TxnSetValue {
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// The transaction.
        txn_id: String,
    },
    /// Several commands applied in order.
    Composite(Vec<Command>),
}

/// Why bytes are not a command, or a command cannot be encoded.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum CommandError {
    /// The bytes end early.
    #[error("command cut short at byte {0}")]
    Truncated(usize),
    /// An unknown type id.
    #[error("unknown command type {0}")]
    UnknownType(i32),
    /// A string longer than a u16 length can say.
    #[error("string of {0} bytes is longer than 65535")]
    StringTooLong(usize),
    /// A string that is not UTF-8.
    #[error("string at byte {0} is not UTF-8")]
    BadUtf8(usize),
    /// A negative count or length.
    #[error("negative count or length {0}")]
    Negative(i32),
    /// Bytes left over after the command.
    #[error("{0} bytes after the end of the command")]
    TrailingBytes(usize),
    /// Composites nested too deeply.
    #[error("composites nested deeper than {MAX_NESTING}")]
    TooDeep,
}

impl Command {
    /// A `SetValue` from no client.
    pub fn set(key: impl Into<String>, value: impl Into<String>) -> Command {
        Command {
            client_id: NO_CLIENT,
            request_number: 0,
            kind: CommandKind::SetValue {
                key: key.into(),
                value: value.into(),
                attach_lease: String::new(),
            },
        }
    }

    /// A `TxnSetValue` from no client.
    pub fn txn_set(
        key: impl Into<String>,
        value: impl Into<String>,
        txn_id: impl Into<String>,
    ) -> Command {
        Command {
            client_id: NO_CLIENT,
            request_number: 0,
            kind: CommandKind::TxnSetValue {
                key: key.into(),
                value: value.into(),
                txn_id: txn_id.into(),
            },
        }
    }

    /// The encoded bytes.
    pub fn encode(&self) -> Result<Vec<u8>, CommandError> {
        let mut out = Vec::new();
        self.encode_into(&mut out)?;
        Ok(out)
    }

    fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), CommandError> {
        out.extend_from_slice(&self.client_id.to_be_bytes());
        out.extend_from_slice(&self.request_number.to_be_bytes());
        match &self.kind {
            CommandKind::SetValue {
                key,
                value,
                attach_lease,
            } => {
                out.extend_from_slice(&SET_VALUE.to_be_bytes());
                for s in [key, value, attach_lease] {
                    put_str(out, s)?;
                }
            }
            CommandKind::TxnSetValue { key, value, txn_id } => {
                out.extend_from_slice(&TXN_SET_VALUE.to_be_bytes());
                for s in [key, value, txn_id] {
                    put_str(out, s)?;
                }
            }
            CommandKind::Composite(commands) => {
                out.extend_from_slice(&COMPOSITE.to_be_bytes());
                out.extend_from_slice(&(commands.len() as i32).to_be_bytes());
                for command in commands {
                    let inner = command.encode()?;
                    out.extend_from_slice(&(inner.len() as i32).to_be_bytes());
                    out.extend_from_slice(&inner);
                }
            }
        }
        Ok(())
    }

    /// Decode one command that fills `bytes` exactly.
    pub fn decode(bytes: &[u8]) -> Result<Command, CommandError> {
        let mut reader = Reader { bytes, at: 0 };
        let command = reader.command(0)?;
        if reader.at != bytes.len() {
            return Err(CommandError::TrailingBytes(bytes.len() - reader.at));
        }
        Ok(command)
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) -> Result<(), CommandError> {
    let len = u16::try_from(s.len()).map_err(|_| CommandError::StringTooLong(s.len()))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], CommandError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len());
        let end = end.ok_or(CommandError::Truncated(self.at))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn i32(&mut self) -> Result<i32, CommandError> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn i64(&mut self) -> Result<i64, CommandError> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(i64::from_be_bytes(a))
    }

    fn string(&mut self) -> Result<String, CommandError> {
        let b = self.take(2)?;
        let len = u16::from_be_bytes([b[0], b[1]]) as usize;
        let start = self.at;
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| CommandError::BadUtf8(start))
    }

    fn non_negative(&mut self) -> Result<usize, CommandError> {
        let n = self.i32()?;
        usize::try_from(n).map_err(|_| CommandError::Negative(n))
    }

    fn command(&mut self, depth: usize) -> Result<Command, CommandError> {
        if depth > MAX_NESTING {
            return Err(CommandError::TooDeep);
        }
        let client_id = self.i64()?;
        let request_number = self.i32()?;
        let kind = match self.i32()? {
            SET_VALUE => CommandKind::SetValue {
                key: self.string()?,
                value: self.string()?,
                attach_lease: self.string()?,
            },
            TXN_SET_VALUE => CommandKind::TxnSetValue {
                key: self.string()?,
                value: self.string()?,
                txn_id: self.string()?,
            },
            COMPOSITE => {
                let count = self.non_negative()?;
                let mut commands = Vec::new();
                for _ in 0..count {
                    let len = self.non_negative()?;
                    let inner = self.take(len)?;
                    let mut reader = Reader {
                        bytes: inner,
                        at: 0,
                    };
                    let command = reader.command(depth + 1)?;
                    if reader.at != inner.len() {
                        return Err(CommandError::TrailingBytes(inner.len() - reader.at));
                    }
                    commands.push(command);
                }
                CommandKind::Composite(commands)
            }
            other => return Err(CommandError::UnknownType(other)),
        };
        Ok(Command {
            client_id,
            request_number,
            kind,
        })
    }
}
