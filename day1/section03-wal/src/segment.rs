//! Segment files: their names, and the scan that finds every valid frame in one.

use crate::frame::{self, EntryType, Frame, FrameError, HEADER_BYTES};

/// The file name of the segment whose entries follow index `base`. Zero-padded to 20
/// digits, so that sorting names sorts bases.
pub fn segment_name(base: u64) -> String {
    format!("wal_{base:020}.log")
}

/// The base of a segment file name, or `None` for any other file (a stray file, which the
/// log ignores with a warning). Accepts `wal_<digits>.log` exactly, padded or not.
pub fn parse_segment_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("wal_")?.strip_suffix(".log")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// One valid frame found by a scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScannedFrame {
    /// Byte offset of the frame in the segment.
    pub offset: u64,
    /// Bytes the frame occupies.
    pub len: u64,
    /// The decoded frame.
    pub frame: Frame,
}

/// Where and why a scan stopped before the end of the bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanProblem {
    /// Byte offset of the first invalid frame.
    pub offset: u64,
    /// What is wrong with it.
    pub reason: String,
    /// Whether the bytes simply end inside the frame (a torn append) rather than being
    /// wrong.
    pub truncated: bool,
}

/// The result of scanning one segment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SegmentScan {
    /// Every valid frame, padding included, in file order.
    pub frames: Vec<ScannedFrame>,
    /// End of the last valid frame: where the next append goes.
    pub valid_len: u64,
    /// The first invalid frame, if the scan stopped early.
    pub problem: Option<ScanProblem>,
}

impl SegmentScan {
    /// The data frames only.
    pub fn data_frames(&self) -> impl Iterator<Item = &ScannedFrame> {
        self.frames
            .iter()
            .filter(|f| f.frame.entry_type == EntryType::Data)
    }

    /// The last index in the segment, or `base` when it holds no entry.
    pub fn last_index(&self, base: u64) -> u64 {
        self.data_frames().last().map_or(base, |f| f.frame.index)
    }
}

fn problem(offset: u64, error: &FrameError) -> ScanProblem {
    ScanProblem {
        offset,
        reason: error.to_string(),
        truncated: error.is_truncation(),
    }
}

/// Scan the bytes of the segment with base `base`: decode frame after frame, verify every
/// checksum, and check that data indices are `base + 1, base + 2, ...`. Stops at the first
/// invalid frame and says where.
pub fn scan(bytes: &[u8], base: u64, max_entry_bytes: u32) -> SegmentScan {
    // exercise: decode frames from offset 0; stop at the first bad frame (record offset and reason); data indices must run base+1, base+2, ...
    // solution-begin
    let mut result = SegmentScan::default();
    let mut offset = 0usize;
    let mut expected = base + 1;
    while offset < bytes.len() {
        let (frame, len) = match frame::decode(&bytes[offset..], max_entry_bytes) {
            Ok(decoded) => decoded,
            Err(error) => {
                result.problem = Some(problem(offset as u64, &error));
                break;
            }
        };
        if frame.entry_type == EntryType::Data {
            if frame.index != expected {
                result.problem = Some(ScanProblem {
                    offset: offset as u64,
                    reason: format!("entry index {} where {expected} was expected", frame.index),
                    truncated: false,
                });
                break;
            }
            expected += 1;
        }
        result.frames.push(ScannedFrame {
            offset: offset as u64,
            len: len as u64,
            frame,
        });
        offset += len;
    }
    result.valid_len = offset as u64;
    if result.problem.is_some() {
        result.valid_len = result.frames.last().map_or(0, |f| f.offset + f.len);
    }
    result
    // solution-end
}

/// The first frame at or after byte `from` that decodes with a valid checksum and could
/// only have been written after entry `after_index`: a data frame with a higher index, or a
/// padding frame. `None` when there is none.
///
/// Recovery asks this after [`scan`] stopped at a bad frame in the last segment. A crash
/// in the middle of a single append leaves nothing valid after the damage: that is a torn
/// tail, and cutting it loses nothing that was acknowledged. A valid frame *after* the bad
/// one means the bad frame was followed by more writes, so cutting there could discard
/// synced, acknowledged entries: that is corruption, and recovery refuses. (A power cut in
/// the middle of a group-commit batch can tear an earlier frame of the batch and keep a
/// later one; the bytes cannot tell that from damage to synced data, so recovery does not
/// guess, and the operator decides; see `inspect::discard_corrupt_tail`.)
///
/// Every byte offset is tried, because the damaged field may be the bad frame's own length.
/// A cheap look at the header (type code, index, length) rules out almost every offset
/// before a checksum is computed, so the search is linear in practice.
pub fn valid_frame_after(
    bytes: &[u8],
    from: u64,
    after_index: u64,
    max_entry_bytes: u32,
) -> Option<ScannedFrame> {
    let start = usize::try_from(from).ok()?;
    let last_start = bytes.len().checked_sub(HEADER_BYTES)?;
    let u32_at =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let u64_at = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&bytes[at..at + 8]);
        u64::from_be_bytes(b)
    };
    for offset in start..=last_start {
        let index = u64_at(offset + 16);
        let plausible = match EntryType::from_code(u32_at(offset + 4)) {
            Some(EntryType::Data) => {
                // No more entries fit after the bad frame than 40-byte headers do.
                let most = after_index + ((bytes.len() - start) / HEADER_BYTES) as u64;
                index > after_index && index <= most
            }
            Some(EntryType::Padding) => index == 0,
            None => false,
        };
        if !plausible {
            continue;
        }
        if let Ok((frame, len)) = frame::decode(&bytes[offset..], max_entry_bytes) {
            return Some(ScannedFrame {
                offset: offset as u64,
                len: len as u64,
                frame,
            });
        }
    }
    None
}

/// The reason recovery gives when a bad frame is followed by the valid frame `after`.
pub fn damage_before_valid_frame(reason: &str, after: &ScannedFrame) -> String {
    let what = match after.frame.entry_type {
        EntryType::Data => format!("entry {}", after.frame.index),
        EntryType::Padding => "a padding frame".to_string(),
    };
    format!(
        "{reason}, but a valid frame follows at byte {} ({what}): damaged data before a later write, not a torn tail; nothing was discarded",
        after.offset
    )
}

/// The indices of the data entries in the run of valid frames that starts at `offset`
/// (following each frame's length until a frame does not decode).
pub fn data_indices_from(bytes: &[u8], offset: u64, max_entry_bytes: u32) -> Vec<u64> {
    let mut indices = Vec::new();
    let mut at = usize::try_from(offset).unwrap_or(usize::MAX);
    while at < bytes.len() {
        match frame::decode(&bytes[at..], max_entry_bytes) {
            Ok((frame, len)) => {
                if frame.entry_type == EntryType::Data {
                    indices.push(frame.index);
                }
                at += len;
            }
            Err(_) => break,
        }
    }
    indices
}

/// One frame as `dump` shows it: header fields and whether the checksum matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DumpedFrame {
    /// Byte offset in the segment.
    pub offset: u64,
    /// Bytes the frame claims to occupy.
    pub len: u64,
    /// The type code (0 data, 3 padding; anything else is unknown).
    pub type_code: u32,
    /// Stored generation.
    pub generation: u64,
    /// Stored index.
    pub index: u64,
    /// Stored timestamp.
    pub timestamp_ms: u64,
    /// Whether the checksum matched.
    pub crc_ok: bool,
}

/// Every frame whose length field is plausible, **continuing past checksum mismatches**
/// (unlike [`scan`]), and where the walk had to stop (offset and reason), if it did.
pub fn dump(bytes: &[u8], max_entry_bytes: u32) -> (Vec<DumpedFrame>, Option<(u64, String)>) {
    let mut frames = Vec::new();
    let mut offset = 0usize;
    while offset < bytes.len() {
        let rest = &bytes[offset..];
        let total = match frame::frame_len_from_header(rest, max_entry_bytes) {
            Ok(total) if total <= rest.len() => total,
            Ok(total) => {
                let error = FrameError::Truncated {
                    needed: total as u64,
                    available: rest.len() as u64,
                };
                return (frames, Some((offset as u64, error.to_string())));
            }
            Err(error) => return (frames, Some((offset as u64, error.to_string()))),
        };
        let u64_at = |at: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&rest[at..at + 8]);
            u64::from_be_bytes(b)
        };
        frames.push(DumpedFrame {
            offset: offset as u64,
            len: total as u64,
            type_code: u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]),
            generation: u64_at(8),
            index: u64_at(16),
            timestamp_ms: u64_at(24),
            crc_ok: u64_at(32) == frame::checksum(&rest[..32], &rest[HEADER_BYTES..total]),
        });
        offset += total;
    }
    (frames, None)
}
