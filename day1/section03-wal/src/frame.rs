//! The on-disk frame of one log entry, its checksum, and sector padding.
//!
//! | Offset | Size | Field | Notes |
//! |---|---|---|---|
//! | 0 | 4 | `frame_len` u32 | 36 + N: every byte after this field |
//! | 4 | 4 | `entry_type` u32 | 0 = data, 3 = padding |
//! | 8 | 8 | `generation` u64 | term or epoch of the writer |
//! | 16 | 8 | `index` u64 | log index, from 1; 0 in a padding frame |
//! | 24 | 8 | `timestamp_ms` u64 | wall time when the entry was appended, kept on read |
//! | 32 | 8 | `crc` u64 | CRC-32 (IEEE) of bytes 0..32 **and** the data, zero-extended |
//! | 40 | N | `data` | the payload |
//!
//! All integers are big-endian. The checksum covers the header fields as well as the data,
//! so a flipped bit in the length, the index or the timestamp is caught, not only one in
//! the payload.

use thiserror::Error;

/// Bytes before the data: length prefix (4) + the rest of the header (36).
pub const HEADER_BYTES: usize = 40;
/// Header bytes counted by `frame_len` (everything after the length prefix, before data).
pub const HEADER_AFTER_LEN: u32 = 36;
/// Default cap on one entry's data, so a corrupt length field cannot make us allocate
/// gigabytes.
pub const DEFAULT_MAX_ENTRY_BYTES: u32 = 16 * 1024 * 1024;

/// What a frame holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntryType {
    /// An entry written by the caller.
    Data,
    /// Filler that makes a flush end on a block boundary; carries no index.
    Padding,
}

impl EntryType {
    /// The stored code.
    pub fn code(self) -> u32 {
        match self {
            EntryType::Data => 0,
            EntryType::Padding => 3,
        }
    }

    /// The type for a stored code, if known.
    pub fn from_code(code: u32) -> Option<Self> {
        match code {
            0 => Some(EntryType::Data),
            3 => Some(EntryType::Padding),
            _ => None,
        }
    }
}

/// One frame as stored: a data entry or padding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Data or padding.
    pub entry_type: EntryType,
    /// The writer's generation (term, epoch); 0 for padding.
    pub generation: u64,
    /// The log index (from 1); 0 for padding.
    pub index: u64,
    /// Wall time of the append, in milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// The payload (zeros for padding).
    pub data: Vec<u8>,
}

/// A data entry read back from the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The log index.
    pub index: u64,
    /// The writer's generation.
    pub generation: u64,
    /// The stored append time (not the read time).
    pub timestamp_ms: u64,
    /// The payload.
    pub data: Vec<u8>,
}

impl From<Frame> for Entry {
    fn from(frame: Frame) -> Entry {
        Entry {
            index: frame.index,
            generation: frame.generation,
            timestamp_ms: frame.timestamp_ms,
            data: frame.data,
        }
    }
}

/// Why bytes are not a valid frame.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum FrameError {
    /// Fewer bytes remain than the header or the length field needs: a torn tail.
    #[error("frame cut short: needs {needed} bytes, only {available} remain")]
    Truncated {
        /// Bytes the frame needs.
        needed: u64,
        /// Bytes available.
        available: u64,
    },
    /// The length field is below the header size.
    #[error("length field {frame_len} is smaller than the 36-byte header")]
    LengthTooSmall {
        /// The stored length.
        frame_len: u32,
    },
    /// The length field claims more data than an entry may hold.
    #[error("length field claims {data_len} bytes of data, above the {max} byte limit")]
    Oversized {
        /// Data bytes claimed.
        data_len: u64,
        /// The configured maximum.
        max: u32,
    },
    /// The stored checksum does not match the bytes.
    #[error("checksum mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    CrcMismatch {
        /// The stored checksum field.
        stored: u64,
        /// The checksum of the bytes read.
        computed: u64,
    },
    /// The checksum matches but the type code is unknown.
    #[error("unknown entry type {0}")]
    UnknownType(u32),
}

impl FrameError {
    /// Whether the bytes simply end too early (a torn append), rather than being wrong.
    pub fn is_truncation(&self) -> bool {
        matches!(self, FrameError::Truncated { .. })
    }
}

/// The frame checksum: CRC-32 (IEEE) of the 32 header bytes before the checksum field,
/// then the data.
pub fn checksum(header_before_crc: &[u8], data: &[u8]) -> u64 {
    // exercise: CRC-32 over the header fields (bytes 0..32) and then the data, as a u64
    // solution-begin
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(header_before_crc);
    hasher.update(data);
    u64::from(hasher.finalize())
    // solution-end
}

impl Frame {
    /// A data frame.
    pub fn data(index: u64, generation: u64, timestamp_ms: u64, data: Vec<u8>) -> Frame {
        Frame {
            entry_type: EntryType::Data,
            generation,
            index,
            timestamp_ms,
            data,
        }
    }

    /// A padding frame with `data_len` zero bytes of body.
    pub fn padding(data_len: usize) -> Frame {
        Frame {
            entry_type: EntryType::Padding,
            generation: 0,
            index: 0,
            timestamp_ms: 0,
            data: vec![0; data_len],
        }
    }

    /// Bytes this frame occupies on disk.
    pub fn encoded_len(&self) -> usize {
        HEADER_BYTES + self.data.len()
    }

    /// The frame's bytes, checksum included.
    pub fn encode(&self) -> Vec<u8> {
        // exercise: write frame_len, type, generation, index, timestamp (big-endian), then the checksum of bytes 0..32 and the data, then the data
        // solution-begin
        let frame_len = HEADER_AFTER_LEN as usize + self.data.len();
        let frame_len = u32::try_from(frame_len)
            .expect("invariant: entries are size-checked below u32::MAX before encoding");
        let mut out = Vec::with_capacity(self.encoded_len());
        out.extend_from_slice(&frame_len.to_be_bytes());
        out.extend_from_slice(&self.entry_type.code().to_be_bytes());
        out.extend_from_slice(&self.generation.to_be_bytes());
        out.extend_from_slice(&self.index.to_be_bytes());
        out.extend_from_slice(&self.timestamp_ms.to_be_bytes());
        let crc = checksum(&out[..32], &self.data);
        out.extend_from_slice(&crc.to_be_bytes());
        out.extend_from_slice(&self.data);
        out
        // solution-end
    }
}

fn be_u32(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[at..at + 4]);
    u32::from_be_bytes(b)
}

fn be_u64(bytes: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&bytes[at..at + 8]);
    u64::from_be_bytes(b)
}

/// The total frame length (prefix included) announced by a 40-byte header, after checking
/// it is plausible. Checked **before** anything is allocated for the data.
pub fn frame_len_from_header(header: &[u8], max_data_bytes: u32) -> Result<usize, FrameError> {
    if header.len() < HEADER_BYTES {
        return Err(FrameError::Truncated {
            needed: HEADER_BYTES as u64,
            available: header.len() as u64,
        });
    }
    let frame_len = be_u32(header, 0);
    if frame_len < HEADER_AFTER_LEN {
        return Err(FrameError::LengthTooSmall { frame_len });
    }
    let data_len = u64::from(frame_len - HEADER_AFTER_LEN);
    if data_len > u64::from(max_data_bytes) {
        return Err(FrameError::Oversized {
            data_len,
            max: max_data_bytes,
        });
    }
    Ok(HEADER_BYTES + data_len as usize)
}

/// Decode the frame at the start of `bytes`, verifying length and checksum. Returns the
/// frame and the bytes it occupied.
pub fn decode(bytes: &[u8], max_data_bytes: u32) -> Result<(Frame, usize), FrameError> {
    // exercise: check the length field (too small, oversized, past the end), verify the checksum, then build the frame
    // solution-begin
    let total = frame_len_from_header(bytes, max_data_bytes)?;
    if bytes.len() < total {
        return Err(FrameError::Truncated {
            needed: total as u64,
            available: bytes.len() as u64,
        });
    }
    let data = &bytes[HEADER_BYTES..total];
    let stored = be_u64(bytes, 32);
    let computed = checksum(&bytes[..32], data);
    if stored != computed {
        return Err(FrameError::CrcMismatch { stored, computed });
    }
    let code = be_u32(bytes, 4);
    let entry_type = EntryType::from_code(code).ok_or(FrameError::UnknownType(code))?;
    let frame = Frame {
        entry_type,
        generation: be_u64(bytes, 8),
        index: be_u64(bytes, 16),
        timestamp_ms: be_u64(bytes, 24),
        data: data.to_vec(),
    };
    Ok((frame, total))
    // solution-end
}

/// The data length of the padding frame that makes `len` bytes end on a multiple of
/// `block_bytes`, or `None` when `len` is already aligned.
///
/// The gap after `len` must hold a whole padding frame (40 header bytes); when it is
/// smaller, pad to the block after next instead.
pub fn padding_data_len(len: u64, block_bytes: u64) -> Option<u64> {
    // exercise: gap = block - (len mod block); if the gap cannot hold a 40-byte header add a block; the padding data fills the rest
    // solution-begin
    let rest = len % block_bytes;
    if rest == 0 {
        return None;
    }
    let mut gap = block_bytes - rest;
    if gap < HEADER_BYTES as u64 {
        gap += block_bytes;
    }
    Some(gap - HEADER_BYTES as u64)
    // solution-end
}
