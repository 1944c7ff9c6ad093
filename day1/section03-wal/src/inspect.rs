//! Read-only inspection of a log directory, for `dump`, `verify` and `recover --dry-run`,
//! and the one repair only an operator may order ([`discard_corrupt_tail`]).
//!
//! [`inspect`] never writes: it scans the segments exactly as recovery would and reports
//! what recovery *would* do.

use crate::error::{Result, WalError};
use crate::segment::{self, ScannedFrame, SegmentScan, parse_segment_name};
use common::fileio::{Dir, FileIo};

/// One segment as found on disk.
#[derive(Clone, Debug)]
pub struct SegmentReport {
    /// File name.
    pub name: String,
    /// Base from the name.
    pub base: u64,
    /// File length.
    pub file_bytes: u64,
    /// The scan.
    pub scan: SegmentScan,
    /// When the scan stopped at a bad frame: the first valid frame after it that holds
    /// something the log does not otherwise have ([`segment::valid_frame_after`]).
    pub valid_frame_after: Option<ScannedFrame>,
    /// The data entries in the run of valid frames starting at `valid_frame_after`: what
    /// discarding from the bad frame on would lose.
    pub entries_after: Vec<u64>,
}

/// The whole directory.
#[derive(Clone, Debug, Default)]
pub struct DirReport {
    /// Segments in base order.
    pub segments: Vec<SegmentReport>,
    /// Files that are not segments.
    pub stray_files: Vec<String>,
}

/// What recovery would do with a directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every frame is valid.
    Clean,
    /// The last segment has a torn tail that recovery would cut.
    TornTail {
        /// The segment.
        segment: String,
        /// Where valid data ends.
        offset: u64,
        /// Bytes that would be discarded.
        discarded_bytes: u64,
        /// Why the first discarded frame is invalid.
        reason: String,
    },
    /// A bad frame in the last segment with a valid frame after it: the damage is in data
    /// that was followed by later writes, so it may have been synced and acknowledged.
    /// Recovery refuses; only [`discard_corrupt_tail`] (the operator's decision) cuts it.
    CorruptBeforeValidFrames {
        /// The segment.
        segment: String,
        /// Where the bad frame starts (where a discard would cut).
        offset: u64,
        /// What is wrong with the bad frame.
        reason: String,
        /// Where the first valid frame after it starts.
        valid_offset: u64,
        /// The data entries after the bad frame that a discard would lose.
        entries_at_risk: Vec<u64>,
        /// Bytes a discard would cut.
        discarded_bytes: u64,
    },
    /// A bad frame before the tail, or a gap between segments: recovery refuses.
    Corrupt {
        /// The segment.
        segment: String,
        /// Where.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
}

impl DirReport {
    /// What recovery would do.
    pub fn verdict(&self) -> Verdict {
        let count = self.segments.len();
        let mut previous_last: Option<u64> = None;
        for (position, segment) in self.segments.iter().enumerate() {
            if let Some(last) = previous_last
                && last != segment.base
            {
                return Verdict::Corrupt {
                    segment: segment.name.clone(),
                    offset: 0,
                    reason: format!(
                        "segment starts after index {} but the previous segment ends at {last}",
                        segment.base
                    ),
                };
            }
            previous_last = Some(segment.scan.last_index(segment.base));
            if let Some(problem) = &segment.scan.problem {
                let is_last = position + 1 == count;
                if let (true, Some(after)) = (is_last, &segment.valid_frame_after) {
                    return Verdict::CorruptBeforeValidFrames {
                        segment: segment.name.clone(),
                        offset: problem.offset,
                        reason: problem.reason.clone(),
                        valid_offset: after.offset,
                        entries_at_risk: segment.entries_after.clone(),
                        discarded_bytes: segment.file_bytes - segment.scan.valid_len,
                    };
                }
                return if is_last {
                    Verdict::TornTail {
                        segment: segment.name.clone(),
                        offset: segment.scan.valid_len,
                        discarded_bytes: segment.file_bytes - segment.scan.valid_len,
                        reason: problem.reason.clone(),
                    }
                } else {
                    Verdict::Corrupt {
                        segment: segment.name.clone(),
                        offset: problem.offset,
                        reason: problem.reason.clone(),
                    }
                };
            }
        }
        Verdict::Clean
    }
}

/// Scan every segment of `dir` without changing anything.
pub fn inspect<D: Dir>(dir: &D, max_entry_bytes: u32) -> Result<DirReport> {
    let mut report = DirReport::default();
    let names = dir
        .list()
        .map_err(|e| WalError::io("listing the log directory", dir.describe(), e))?;
    let mut segments = Vec::new();
    for name in names {
        match parse_segment_name(&name) {
            Some(base) => segments.push((base, name)),
            None => report.stray_files.push(name),
        }
    }
    segments.sort();
    for (base, name) in segments {
        let file = dir
            .open(&name)
            .map_err(|e| WalError::io("opening a segment", &name, e))?;
        let len = file
            .len()
            .map_err(|e| WalError::io("sizing a segment", &name, e))?;
        let mut bytes = vec![0u8; len as usize];
        file.read_exact_at(0, &mut bytes)
            .map_err(|e| WalError::io("reading a segment", &name, e))?;
        let scan = segment::scan(&bytes, base, max_entry_bytes);
        let valid_frame_after = scan.problem.as_ref().and_then(|problem| {
            segment::valid_frame_after(
                &bytes,
                problem.offset,
                scan.last_index(base),
                max_entry_bytes,
            )
        });
        let entries_after = valid_frame_after.as_ref().map_or_else(Vec::new, |after| {
            segment::data_indices_from(&bytes, after.offset, max_entry_bytes)
        });
        report.segments.push(SegmentReport {
            name,
            base,
            file_bytes: len,
            scan,
            valid_frame_after,
            entries_after,
        });
    }
    Ok(report)
}

/// What [`discard_corrupt_tail`] cut.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Discarded {
    /// The segment that was cut.
    pub segment: String,
    /// Where it now ends (the bad frame's offset).
    pub offset: u64,
    /// Bytes cut off.
    pub discarded_bytes: u64,
    /// The valid data entries that were cut off with the bad frame.
    pub lost_entries: Vec<u64>,
}

/// The operator's repair for [`Verdict::CorruptBeforeValidFrames`]: cut the last segment
/// at its bad frame, **losing the valid entries after it**, and sync. Recovery never does
/// this by itself. Returns `None` (and changes nothing) for any other verdict: a clean log
/// or a torn tail needs no operator, and corruption elsewhere cannot be repaired by a cut.
pub fn discard_corrupt_tail<D: Dir>(dir: &D, max_entry_bytes: u32) -> Result<Option<Discarded>> {
    let Verdict::CorruptBeforeValidFrames {
        segment,
        offset,
        entries_at_risk,
        discarded_bytes,
        ..
    } = inspect(dir, max_entry_bytes)?.verdict()
    else {
        return Ok(None);
    };
    let mut file = dir
        .open(&segment)
        .map_err(|e| WalError::io("opening a segment", &segment, e))?;
    file.truncate(offset)
        .and_then(|()| file.sync())
        .map_err(|e| WalError::io("cutting a corrupt tail", &segment, e))?;
    Ok(Some(Discarded {
        segment,
        offset,
        discarded_bytes,
        lost_entries: entries_at_risk,
    }))
}
