//! Read-only inspection of a log directory, for `dump`, `verify` and `recover --dry-run`.
//!
//! Nothing here writes: it scans the segments exactly as recovery would and reports what
//! recovery *would* do.

use crate::error::{Result, WalError};
use crate::segment::{self, SegmentScan, parse_segment_name};
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
                return if position + 1 == count {
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
        report.segments.push(SegmentReport {
            name,
            base,
            file_bytes: len,
            scan: segment::scan(&bytes, base, max_entry_bytes),
        });
    }
    Ok(report)
}
