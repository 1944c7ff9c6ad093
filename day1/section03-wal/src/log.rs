//! The write-ahead log: a directory of segments, recovery on open, append, read,
//! truncate, roll and log cleaning.

use crate::clock::{Clock, SystemClock};
use crate::error::{Result, WalError};
use crate::frame::{self, DEFAULT_MAX_ENTRY_BYTES, Entry, EntryType, Frame, HEADER_BYTES};
use crate::retention::{self, SegmentInfo};
use crate::segment::{self, SegmentScan, parse_segment_name, segment_name};
use common::fileio::{Dir, FileIo};
use std::collections::BTreeMap;
use std::sync::Arc;

/// How a log is laid out and cleaned. Every default is documented beside its field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Roll to a new segment before an append once the open one holds this many bytes
    /// (default 64 MiB). A segment can exceed it by one entry.
    pub max_segment_bytes: u64,
    /// Largest entry payload accepted, and the largest length field believed on read
    /// (default 16 MiB).
    pub max_entry_bytes: u32,
    /// Pad every flush to a block boundary with a padding frame (default off).
    pub padding: bool,
    /// Block size for padding, a power of two of at least 64 (default 4096).
    pub block_bytes: u64,
    /// Time-based retention: [`Wal::maintain`] removes saved segments whose newest entry
    /// is older than this (default `None`: keep everything).
    pub max_age_ms: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_segment_bytes: 64 * 1024 * 1024,
            max_entry_bytes: DEFAULT_MAX_ENTRY_BYTES,
            padding: false,
            block_bytes: 4096,
            max_age_ms: None,
        }
    }
}

impl Config {
    /// Check that the configuration can work.
    pub fn validate(&self) -> Result<()> {
        if self.max_segment_bytes == 0 {
            return Err(WalError::InvalidConfig(
                "max_segment_bytes must be positive".into(),
            ));
        }
        if self.block_bytes < 64 || !self.block_bytes.is_power_of_two() {
            return Err(WalError::InvalidConfig(format!(
                "block_bytes must be a power of two of at least 64, not {}",
                self.block_bytes
            )));
        }
        if u64::from(self.max_entry_bytes) + HEADER_BYTES as u64 > u64::from(u32::MAX) {
            return Err(WalError::InvalidConfig(
                "max_entry_bytes leaves no room for the frame header in a u32 length".into(),
            ));
        }
        Ok(())
    }
}

/// Something recovery noticed and worked around.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Warning {
    /// A file in the log directory that is not a segment; it was left alone.
    StrayFile(String),
    /// The last segment ended in an incomplete or invalid frame with no valid frame after
    /// it (a write cut by a crash); the log was truncated to the last valid frame.
    TornTail {
        /// The segment.
        segment: String,
        /// Where valid data ends now.
        offset: u64,
        /// Bytes cut off.
        discarded_bytes: u64,
        /// What was wrong with the first discarded frame.
        reason: String,
    },
}

/// What recovery found when the log was opened.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Segments found.
    pub segments: usize,
    /// Data entries recovered.
    pub entries: u64,
    /// Stray files and torn tails.
    pub warnings: Vec<Warning>,
}

impl RecoveryReport {
    /// Bytes discarded from a torn tail (0 if none).
    pub fn discarded_bytes(&self) -> u64 {
        self.warnings
            .iter()
            .map(|w| match w {
                Warning::TornTail {
                    discarded_bytes, ..
                } => *discarded_bytes,
                Warning::StrayFile(_) => 0,
            })
            .sum()
    }
}

/// A frame with its place in the log (from [`Wal::raw_frames`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PositionedFrame {
    /// The segment file.
    pub segment: String,
    /// Byte offset in that file.
    pub offset: u64,
    /// The frame (data or padding).
    pub frame: Frame,
}

/// What [`Wal::maintain`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MaintenanceReport {
    /// Segment files removed, oldest first.
    pub removed: Vec<String>,
}

pub(crate) struct Segment<F> {
    pub(crate) base: u64,
    pub(crate) name: String,
    pub(crate) file: F,
    /// `offsets[k]` is the byte offset of entry `base + 1 + k`.
    pub(crate) offsets: Vec<u64>,
    /// `timestamps[k]` is the stored timestamp of entry `base + 1 + k`.
    pub(crate) timestamps: Vec<u64>,
    /// End of valid data: where the next frame goes.
    pub(crate) len: u64,
}

impl<F: FileIo> Segment<F> {
    fn last_index(&self) -> u64 {
        self.base + self.offsets.len() as u64
    }

    fn info(&self) -> SegmentInfo {
        SegmentInfo {
            name: self.name.clone(),
            base: self.base,
            last_index: self.last_index(),
            max_timestamp_ms: self.timestamps.iter().copied().max().unwrap_or(0),
            bytes: self.len,
        }
    }

    fn read_frame(&self, offset: u64, max_entry_bytes: u32) -> Result<Frame> {
        let corrupt = |reason: String| WalError::Corrupt {
            segment: self.name.clone(),
            offset,
            reason,
        };
        let mut header = [0u8; HEADER_BYTES];
        self.file
            .read_exact_at(offset, &mut header)
            .map_err(|e| WalError::io("reading a frame header", &self.name, e))?;
        let total = frame::frame_len_from_header(&header, max_entry_bytes)
            .map_err(|e| corrupt(e.to_string()))?;
        let mut bytes = vec![0u8; total];
        bytes[..HEADER_BYTES].copy_from_slice(&header);
        self.file
            .read_exact_at(offset + HEADER_BYTES as u64, &mut bytes[HEADER_BYTES..])
            .map_err(|e| WalError::io("reading a frame", &self.name, e))?;
        let (frame, _) =
            frame::decode(&bytes, max_entry_bytes).map_err(|e| corrupt(e.to_string()))?;
        Ok(frame)
    }
}

/// A segmented write-ahead log over a [`Dir`].
pub struct Wal<D: Dir> {
    dir: D,
    config: Config,
    clock: Arc<dyn Clock>,
    /// Segments by base; the last one is the open segment. Never empty.
    segments: BTreeMap<u64, Segment<D::File>>,
    unsynced: bool,
    durable_index: u64,
    snapshot_index: u64,
    poisoned: Option<String>,
    report: RecoveryReport,
}

impl<D: Dir> std::fmt::Debug for Wal<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wal")
            .field("dir", &self.dir.describe())
            .field("segments", &self.segments.len())
            .field("last_index", &self.last_index())
            .field("poisoned", &self.poisoned)
            .finish()
    }
}

impl<D: Dir> Wal<D> {
    /// Open (or create) the log in `dir`, stamping entries with the system clock.
    pub fn open(dir: D, config: Config) -> Result<Self> {
        Self::open_with_clock(dir, config, Arc::new(SystemClock))
    }

    /// Open (or create) the log in `dir` with the given clock, running recovery: every
    /// segment is scanned and every checksum verified; a torn tail of the last segment (a
    /// bad frame with no valid frame after it) is cut off (see
    /// [`Wal::recovery_report`]); a bad frame anywhere else, or one followed by a valid
    /// frame, is an error naming the segment and the offset, and nothing is discarded.
    pub fn open_with_clock(dir: D, config: Config, clock: Arc<dyn Clock>) -> Result<Self> {
        config.validate()?;
        let mut report = RecoveryReport::default();
        let mut found = BTreeMap::new();
        let names = dir
            .list()
            .map_err(|e| WalError::io("listing the log directory", dir.describe(), e))?;
        for name in names {
            match parse_segment_name(&name) {
                Some(base) => {
                    if let Some(previous) = found.insert(base, name.clone()) {
                        return Err(WalError::Corrupt {
                            segment: name,
                            offset: 0,
                            reason: format!("two segment files share base {base}: {previous}"),
                        });
                    }
                }
                None => report.warnings.push(Warning::StrayFile(name)),
            }
        }
        let mut wal = Wal {
            dir,
            config,
            clock,
            segments: BTreeMap::new(),
            unsynced: false,
            durable_index: 0,
            snapshot_index: 0,
            poisoned: None,
            report,
        };
        wal.recover(found)?;
        if wal.segments.is_empty() {
            wal.create_segment(0)?;
        }
        wal.durable_index = wal.last_index();
        wal.report.segments = wal.segments.len();
        wal.report.entries = wal.segments.values().map(|s| s.offsets.len() as u64).sum();
        Ok(wal)
    }

    fn recover(&mut self, found: BTreeMap<u64, String>) -> Result<()> {
        // exercise: scan each segment in base order (segment::scan); a gap between segments, or a bad frame in any segment but the last, is a Corrupt error; a bad frame in the last segment goes to cut_torn_tail; keep every segment with its entries' offsets and timestamps
        // solution-begin
        let count = found.len();
        let mut previous_last: Option<u64> = None;
        for (position, (base, name)) in found.into_iter().enumerate() {
            let is_last = position + 1 == count;
            let mut file = self
                .dir
                .open(&name)
                .map_err(|e| WalError::io("opening a segment", &name, e))?;
            let len = file
                .len()
                .map_err(|e| WalError::io("reading a segment's length", &name, e))?;
            let mut bytes = vec![0u8; len as usize];
            file.read_exact_at(0, &mut bytes)
                .map_err(|e| WalError::io("reading a segment", &name, e))?;
            let scan = segment::scan(&bytes, base, self.config.max_entry_bytes);
            if let Some(last) = previous_last
                && last != base
            {
                return Err(WalError::Corrupt {
                    segment: name,
                    offset: 0,
                    reason: format!(
                        "segment starts after index {base} but the previous segment ends at {last}"
                    ),
                });
            }
            if let Some(problem) = &scan.problem {
                if !is_last {
                    return Err(WalError::Corrupt {
                        segment: name,
                        offset: problem.offset,
                        reason: problem.reason.clone(),
                    });
                }
                self.cut_torn_tail(&name, &mut file, &bytes, base, &scan)?;
            }
            let mut segment = Segment {
                base,
                name,
                file,
                offsets: Vec::new(),
                timestamps: Vec::new(),
                len: scan.valid_len,
            };
            for frame in scan.data_frames() {
                segment.offsets.push(frame.offset);
                segment.timestamps.push(frame.frame.timestamp_ms);
            }
            previous_last = Some(segment.last_index());
            self.segments.insert(base, segment);
        }
        Ok(())
        // solution-end
    }

    /// The last segment, `name` with base `base`, read once into `bytes`, stopped its
    /// `scan` at a bad frame. A torn tail (nothing valid after the damage) is cut off and
    /// reported; anything else is corruption, and nothing is cut.
    fn cut_torn_tail(
        &mut self,
        name: &str,
        file: &mut D::File,
        bytes: &[u8],
        base: u64,
        scan: &SegmentScan,
    ) -> Result<()> {
        // exercise: a valid frame after the bad one (segment::valid_frame_after) means corruption: a Corrupt error, nothing cut; otherwise read the segment again (refuse if the two reads differ), truncate it to the last valid frame, sync, and record a TornTail warning
        // solution-begin
        let Some(problem) = &scan.problem else {
            return Ok(());
        };
        // A crash tears only what comes last. A valid frame after the bad one means the
        // damage is in data written (and possibly acknowledged) before it.
        if let Some(after) = segment::valid_frame_after(
            bytes,
            problem.offset,
            scan.last_index(base),
            self.config.max_entry_bytes,
        ) {
            return Err(WalError::Corrupt {
                segment: name.to_string(),
                offset: problem.offset,
                reason: segment::damage_before_valid_frame(&problem.reason, &after),
            });
        }
        // Read the segment a second time before cutting anything: a flipped bit on the way
        // from the disk must not make recovery discard valid entries.
        let mut again = vec![0u8; bytes.len()];
        file.read_exact_at(0, &mut again)
            .map_err(|e| WalError::io("re-reading a segment", name, e))?;
        if again != bytes {
            return Err(WalError::Corrupt {
                segment: name.to_string(),
                offset: problem.offset,
                reason: "two reads of the segment disagree; refusing to cut a tail read from unstable storage".into(),
            });
        }
        file.truncate(scan.valid_len)
            .and_then(|()| file.sync())
            .map_err(|e| WalError::io("cutting a torn tail", name, e))?;
        self.report.warnings.push(Warning::TornTail {
            segment: name.to_string(),
            offset: scan.valid_len,
            discarded_bytes: bytes.len() as u64 - scan.valid_len,
            reason: problem.reason.clone(),
        });
        Ok(())
        // solution-end
    }

    fn create_segment(&mut self, base: u64) -> Result<()> {
        let name = segment_name(base);
        let created = self.dir.create(&name).and_then(|file| {
            self.dir.sync()?;
            Ok(file)
        });
        let file = match created {
            Ok(file) => file,
            Err(e) => return Err(self.fail("creating a segment", &name, e)),
        };
        self.segments.insert(
            base,
            Segment {
                base,
                name,
                file,
                offsets: Vec::new(),
                timestamps: Vec::new(),
                len: 0,
            },
        );
        Ok(())
    }

    /// Record an I/O failure: the log stops accepting writes until it is reopened.
    fn fail(&mut self, action: &str, location: &str, error: std::io::Error) -> WalError {
        self.poisoned = Some(format!("{action} ({location}): {error}"));
        WalError::io(action, location, error)
    }

    fn check_usable(&self) -> Result<()> {
        match &self.poisoned {
            Some(reason) => Err(WalError::Poisoned(reason.clone())),
            None => Ok(()),
        }
    }

    fn open_segment(&self) -> &Segment<D::File> {
        self.segments
            .values()
            .next_back()
            .expect("invariant: a log always has an open segment")
    }

    fn open_segment_mut(&mut self) -> &mut Segment<D::File> {
        self.segments
            .values_mut()
            .next_back()
            .expect("invariant: a log always has an open segment")
    }

    /// Append `data` (generation 0) and make it durable before returning its index.
    pub fn append(&mut self, data: &[u8]) -> Result<u64> {
        self.append_with_generation(0, data)
    }

    /// Append `data` written in `generation` and make it durable before returning its
    /// index.
    pub fn append_with_generation(&mut self, generation: u64, data: &[u8]) -> Result<u64> {
        let index = self.append_unsynced(generation, data)?;
        self.flush()?;
        Ok(index)
    }

    /// Append without forcing it to disk: the entry is readable at once but is durable
    /// only after the next [`Wal::flush`]. Group commit is built on this.
    pub fn append_unsynced(&mut self, generation: u64, data: &[u8]) -> Result<u64> {
        // exercise: refuse oversized entries; roll when the open segment is full; frame the entry with the next index and the clock's time; write it at the end of valid data; record its offset
        // solution-begin
        self.check_usable()?;
        if data.len() > self.config.max_entry_bytes as usize {
            return Err(WalError::EntryTooLarge {
                len: data.len(),
                max: self.config.max_entry_bytes,
            });
        }
        let open = self.open_segment();
        if open.len >= self.config.max_segment_bytes && !open.offsets.is_empty() {
            self.roll()?;
        }
        let index = self.last_index() + 1;
        let timestamp_ms = self.clock.now_ms();
        let bytes = Frame::data(index, generation, timestamp_ms, data.to_vec()).encode();
        let segment = self.open_segment_mut();
        let offset = segment.len;
        if let Err(e) = segment.file.write_at(offset, &bytes) {
            let name = segment.name.clone();
            return Err(self.fail("appending an entry", &name, e));
        }
        segment.offsets.push(offset);
        segment.timestamps.push(timestamp_ms);
        segment.len += bytes.len() as u64;
        self.unsynced = true;
        Ok(index)
        // solution-end
    }

    /// Make every appended entry durable: pad to a block boundary if padding is on, then
    /// fdatasync the open segment. A failure stops the log (see [`WalError::Poisoned`]):
    /// after a failed fsync nobody knows what reached the disk.
    pub fn flush(&mut self) -> Result<()> {
        self.check_usable()?;
        if !self.unsynced {
            return Ok(());
        }
        let padding = self.config.padding;
        let block = self.config.block_bytes;
        let segment = self.open_segment_mut();
        let mut result = Ok(());
        if padding && let Some(data_len) = frame::padding_data_len(segment.len, block) {
            let bytes = Frame::padding(data_len as usize).encode();
            result = segment.file.write_at(segment.len, &bytes);
            segment.len += bytes.len() as u64;
        }
        let result = result.and_then(|()| segment.file.sync());
        if let Err(e) = result {
            let name = segment.name.clone();
            return Err(self.fail("syncing a segment", &name, e));
        }
        self.unsynced = false;
        self.durable_index = self.last_index();
        Ok(())
    }

    /// Close the open segment and start a new one (named after the last index). Does
    /// nothing when the open segment is empty. The old segment is synced first and the
    /// directory after the new file is created, so a crash can never lose the new segment
    /// while keeping entries written to it.
    pub fn roll(&mut self) -> Result<()> {
        self.check_usable()?;
        if self.open_segment().offsets.is_empty() {
            return Ok(());
        }
        self.unsynced = true;
        self.flush()?;
        let base = self.last_index();
        self.create_segment(base)
    }

    /// The data entry at `index`, its checksum verified.
    pub fn read_at(&self, index: u64) -> Result<Entry> {
        let out_of_range = || WalError::IndexOutOfRange {
            index,
            first: self.log_start_index(),
            last: self.last_index(),
        };
        let (_, segment) = self
            .segments
            .range(..index)
            .next_back()
            .ok_or_else(out_of_range)?;
        if index > segment.last_index() {
            return Err(out_of_range());
        }
        let offset = segment.offsets[(index - segment.base - 1) as usize];
        let frame = segment.read_frame(offset, self.config.max_entry_bytes)?;
        if frame.entry_type != EntryType::Data || frame.index != index {
            return Err(WalError::Corrupt {
                segment: segment.name.clone(),
                offset,
                reason: format!(
                    "expected entry {index}, found {:?} {}",
                    frame.entry_type, frame.index
                ),
            });
        }
        Ok(frame.into())
    }

    /// Every entry with index `>= from`, ascending. `from` below the first index still
    /// present is an error once log cleaning has removed entries.
    pub fn read_from(&self, from: u64) -> Result<Vec<Entry>> {
        // exercise: start in the segment with base < from (the base is exclusive); read every later entry in ascending index order
        // solution-begin
        let start = self.log_start_index();
        let from = from.max(1);
        if from < start {
            return Err(WalError::IndexOutOfRange {
                index: from,
                first: start,
                last: self.last_index(),
            });
        }
        let first_base = self
            .segments
            .range(..from)
            .next_back()
            .map_or(0, |(base, _)| *base);
        let mut entries = Vec::new();
        for segment in self.segments.range(first_base..).map(|(_, s)| s) {
            for (k, offset) in segment.offsets.iter().enumerate() {
                let index = segment.base + 1 + k as u64;
                if index < from {
                    continue;
                }
                let frame = segment.read_frame(*offset, self.config.max_entry_bytes)?;
                entries.push(frame.into());
            }
        }
        Ok(entries)
        // solution-end
    }

    /// Every data entry, ascending.
    pub fn read_all(&self) -> Result<Vec<Entry>> {
        self.read_from(self.log_start_index())
    }

    /// Every frame in segment and file order, **padding frames included**.
    pub fn raw_frames(&self) -> RawFrames<'_, D::File> {
        RawFrames {
            segments: self.segments.values().collect(),
            position: 0,
            offset: 0,
            max_entry_bytes: self.config.max_entry_bytes,
            failed: false,
        }
    }

    /// Remove `index` and every later entry (inclusive), durably, before returning. Later
    /// segments are deleted newest first; the segment holding `index` is cut and becomes
    /// the open segment. `index == last_index() + 1` does nothing.
    pub fn truncate(&mut self, index: u64) -> Result<()> {
        // exercise: validate the index; delete whole later segments newest first (sync the directory after each); cut the segment holding the index at that entry's offset and sync it
        // solution-begin
        self.check_usable()?;
        let (first, last) = (self.log_start_index(), self.last_index());
        if index == last + 1 {
            return Ok(());
        }
        if index < first || index > last + 1 {
            return Err(WalError::IndexOutOfRange { index, first, last });
        }
        let doomed: Vec<u64> = self
            .segments
            .range(index..)
            .map(|(base, _)| *base)
            .rev()
            .collect();
        for base in doomed {
            if let Some(segment) = self.segments.remove(&base) {
                let name = segment.name.clone();
                drop(segment);
                if let Err(e) = self.dir.remove(&name).and_then(|()| self.dir.sync()) {
                    return Err(self.fail("removing a truncated segment", &name, e));
                }
            }
        }
        let segment = self.open_segment_mut();
        let keep = (index - segment.base - 1) as usize;
        let cut = segment.offsets[keep];
        segment.offsets.truncate(keep);
        segment.timestamps.truncate(keep);
        segment.len = cut;
        if let Err(e) = segment
            .file
            .truncate(cut)
            .and_then(|()| segment.file.sync())
        {
            let name = segment.name.clone();
            return Err(self.fail("cutting a segment", &name, e));
        }
        self.unsynced = false;
        self.durable_index = index - 1;
        Ok(())
        // solution-end
    }

    /// The last index in the whole log (0 for a log that never held an entry). After
    /// cleaning removed every entry, this is still the last index ever written.
    pub fn last_index(&self) -> u64 {
        self.open_segment().last_index()
    }

    /// The first index still present (`last_index() + 1` when the log is empty).
    pub fn log_start_index(&self) -> u64 {
        self.segments.values().next().map_or(1, |s| s.base + 1)
    }

    /// Whether the log holds no entry.
    pub fn is_empty(&self) -> bool {
        self.last_index() < self.log_start_index()
    }

    /// Whether `index` is in the log (generation is not compared).
    pub fn exists(&self, index: u64) -> bool {
        index >= self.log_start_index() && index <= self.last_index()
    }

    /// The last entry, if any.
    pub fn last_entry(&self) -> Result<Option<Entry>> {
        if self.is_empty() {
            return Ok(None);
        }
        self.read_at(self.last_index()).map(Some)
    }

    /// The generation of the last entry, 0 for an empty log.
    pub fn last_generation(&self) -> Result<u64> {
        Ok(self.last_entry()?.map_or(0, |e| e.generation))
    }

    /// The highest index known to be on disk.
    pub fn durable_index(&self) -> u64 {
        self.durable_index
    }

    /// Segments, oldest first (the last is the open one).
    pub fn segments(&self) -> Vec<SegmentInfo> {
        self.segments.values().map(Segment::info).collect()
    }

    /// Closed (saved) segments: all but the open one.
    pub fn saved_segment_count(&self) -> usize {
        self.segments.len() - 1
    }

    /// What recovery found when the log was opened.
    pub fn recovery_report(&self) -> &RecoveryReport {
        &self.report
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The directory holding the segments.
    pub fn dir(&self) -> &D {
        &self.dir
    }

    /// Record that a snapshot covers every entry up to `index`, so [`Wal::maintain`] may
    /// remove the segments it covers.
    pub fn note_snapshot(&mut self, index: u64) {
        self.snapshot_index = self.snapshot_index.max(index);
    }

    /// Run the retention policies once: remove the oldest saved segments that are older
    /// than `max_age_ms` (by their stored timestamps, on this log's clock) or covered by
    /// the last noted snapshot. The open segment is never removed, and only a prefix of
    /// the log is, so indices stay dense.
    pub fn maintain(&mut self) -> Result<MaintenanceReport> {
        self.check_usable()?;
        let saved: Vec<SegmentInfo> = self
            .segments
            .values()
            .take(self.segments.len() - 1)
            .map(Segment::info)
            .collect();
        let by_age = self.config.max_age_ms.map_or(0, |max_age_ms| {
            retention::expired_by_age(&saved, self.clock.now_ms(), max_age_ms)
        });
        let by_snapshot = retention::covered_by_snapshot(&saved, self.snapshot_index);
        let mut report = MaintenanceReport::default();
        for info in saved.iter().take(by_age.max(by_snapshot)) {
            self.segments.remove(&info.base);
            if let Err(e) = self.dir.remove(&info.name).and_then(|()| self.dir.sync()) {
                return Err(self.fail("removing a cleaned segment", &info.name, e));
            }
            report.removed.push(info.name.clone());
        }
        Ok(report)
    }

    /// Flush and close the log.
    pub fn close(mut self) -> Result<()> {
        self.flush()
    }
}

/// Iterator over every frame of a log, padding included (see [`Wal::raw_frames`]).
pub struct RawFrames<'a, F> {
    segments: Vec<&'a Segment<F>>,
    position: usize,
    offset: u64,
    max_entry_bytes: u32,
    failed: bool,
}

impl<F: FileIo> Iterator for RawFrames<'_, F> {
    type Item = Result<PositionedFrame>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            let segment = self.segments.get(self.position)?;
            if self.offset >= segment.len {
                self.position += 1;
                self.offset = 0;
                continue;
            }
            let offset = self.offset;
            return Some(match segment.read_frame(offset, self.max_entry_bytes) {
                Ok(frame) => {
                    self.offset += frame.encoded_len() as u64;
                    Ok(PositionedFrame {
                        segment: segment.name.clone(),
                        offset,
                        frame,
                    })
                }
                Err(e) => {
                    self.failed = true;
                    Err(e)
                }
            });
        }
    }
}
