//! `FileKv`: a node's key-value map and log on a real disk, as an append-only journal.
//!
//! Every [`WriteBatch`] becomes one record, appended to `store.journal` in the node's
//! data directory:
//!
//! ```text
//! record = length: u32 | crc32: u32 | postcard([op, ...])     (the frame of `frame.rs`)
//! ```
//!
//! A record is written whole or, after a power cut, torn; it is never applied in part.
//! A sync is one `fdatasync` of the journal, which makes every record before it durable.
//! On open the journal is replayed into a [`StoreImage`]:
//!
//! * a damaged record **at the end** (a partial header, a record that runs past the end
//!   of the file, a checksum that fails on the last record, or a zero-filled tail) is a
//!   write torn by a crash: it was never synced, so no reply depended on it. It is cut
//!   off, the cut is synced, and [`Replay::torn_tail_bytes`] reports it;
//! * a damaged record **followed by more records** is corruption of data that was
//!   synced: the node refuses to start ([`JournalError::Corrupt`]) rather than silently
//!   forget a promise.
//!
//! The journal is never compacted: a workshop cluster writes little. A long-running
//! service would roll it into a snapshot of the image now and then.

use super::frame::{HEADER_BYTES, MAX_FRAME_BYTES, encode_frame};
use crate::error::StoreError;
use crate::fileio::{FileIo, LocalFile};
use crate::store::{BatchOp, Snapshot, StoreImage, WriteBatch};
use serde::{Deserialize, Serialize};
use std::io;
use std::path::{Path, PathBuf};

/// The journal's file name inside a node's data directory.
pub const JOURNAL_FILE: &str = "store.journal";

/// One change, as the journal stores it.
#[derive(Serialize, Deserialize)]
enum JournalOp {
    Put(Vec<u8>, Vec<u8>),
    Delete(Vec<u8>),
    Append(Vec<u8>),
    TruncateFrom(u64),
    DiscardThrough(u64),
    InstallSnapshot { last_index: u64, data: Vec<u8> },
}

impl From<&BatchOp> for JournalOp {
    fn from(op: &BatchOp) -> Self {
        match op {
            BatchOp::Put(k, v) => JournalOp::Put(k.clone(), v.clone()),
            BatchOp::Delete(k) => JournalOp::Delete(k.clone()),
            BatchOp::Append(e) => JournalOp::Append(e.clone()),
            BatchOp::TruncateFrom(i) => JournalOp::TruncateFrom(*i),
            BatchOp::DiscardThrough(i) => JournalOp::DiscardThrough(*i),
            BatchOp::InstallSnapshot(s) => JournalOp::InstallSnapshot {
                last_index: s.last_index,
                data: s.data.clone(),
            },
        }
    }
}

impl From<JournalOp> for BatchOp {
    fn from(op: JournalOp) -> Self {
        match op {
            JournalOp::Put(k, v) => BatchOp::Put(k, v),
            JournalOp::Delete(k) => BatchOp::Delete(k),
            JournalOp::Append(e) => BatchOp::Append(e),
            JournalOp::TruncateFrom(i) => BatchOp::TruncateFrom(i),
            JournalOp::DiscardThrough(i) => BatchOp::DiscardThrough(i),
            JournalOp::InstallSnapshot { last_index, data } => {
                BatchOp::InstallSnapshot(Snapshot { last_index, data })
            }
        }
    }
}

/// Why a journal could not be opened or written.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The file could not be created, read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The journal's path.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// A record before the end of the journal is damaged: synced data is corrupt.
    #[error(
        "{}: corrupt record at byte {offset} with {after} more bytes after it ({reason}); \
         refusing to start rather than forget synced state",
        path.display()
    )]
    Corrupt {
        /// The journal's path.
        path: PathBuf,
        /// Where the damaged record starts.
        offset: u64,
        /// Bytes that follow the damaged record.
        after: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// A batch too large for one record.
    #[error("a write batch of {0} bytes exceeds the journal's record limit")]
    TooLarge(usize),
}

/// What opening the journal found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Replay {
    /// Records replayed.
    pub records: u64,
    /// Bytes of valid records.
    pub bytes: u64,
    /// Bytes of a torn last write that were cut off (0: the journal ended cleanly).
    pub torn_tail_bytes: u64,
}

/// A node's storage on a real disk: the image reads see, and its journal.
#[derive(Debug)]
pub struct FileKv {
    path: PathBuf,
    file: LocalFile,
    image: StoreImage,
    len: u64,
    replay: Replay,
    unsynced: bool,
}

fn io_error(path: &Path) -> impl Fn(io::Error) -> JournalError + '_ {
    move |source| JournalError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// How a damaged record at `offset` of `bytes` should be judged: a torn tail if nothing
/// meaningful follows it.
fn torn_or_corrupt(
    path: &Path,
    bytes: &[u8],
    offset: usize,
    record_end: usize,
    reason: String,
) -> Result<u64, JournalError> {
    let rest_is_zero = |from: usize| bytes.get(from..).is_none_or(|r| r.iter().all(|b| *b == 0));
    if record_end >= bytes.len() || rest_is_zero(offset) || rest_is_zero(record_end) {
        return Ok((bytes.len() - offset) as u64);
    }
    Err(JournalError::Corrupt {
        path: path.to_path_buf(),
        offset: offset as u64,
        after: (bytes.len() - record_end) as u64,
        reason,
    })
}

/// Replay `bytes` into an image; returns the image, the valid length and the torn bytes.
fn replay(path: &Path, bytes: &[u8]) -> Result<(StoreImage, Replay), JournalError> {
    let mut image = StoreImage::default();
    let mut offset = 0usize;
    let mut records = 0u64;
    while offset < bytes.len() {
        let torn = |end: usize, reason: String| torn_or_corrupt(path, bytes, offset, end, reason);
        let Some(header) = bytes.get(offset..offset + HEADER_BYTES) else {
            let cut = torn(bytes.len(), "partial header".into())?;
            return Ok(finish(image, records, offset, cut));
        };
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let crc = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
        if length == 0 || length > MAX_FRAME_BYTES {
            let cut = torn(offset + HEADER_BYTES, format!("bad record length {length}"))?;
            return Ok(finish(image, records, offset, cut));
        }
        let end = offset + HEADER_BYTES + length;
        let Some(payload) = bytes.get(offset + HEADER_BYTES..end) else {
            let cut = torn(end, "record runs past the end of the file".into())?;
            return Ok(finish(image, records, offset, cut));
        };
        if crc32fast::hash(payload) != crc {
            let cut = torn(end, "checksum mismatch".into())?;
            return Ok(finish(image, records, offset, cut));
        }
        // A record whose checksum holds was written whole: if it does not decode or does
        // not fit, the journal is not ours to repair.
        let corrupt = |reason: String| JournalError::Corrupt {
            path: path.to_path_buf(),
            offset: offset as u64,
            after: (bytes.len() - end) as u64,
            reason,
        };
        let ops: Vec<JournalOp> =
            postcard::from_bytes(payload).map_err(|e| corrupt(format!("undecodable: {e}")))?;
        let batch = WriteBatch {
            ops: ops.into_iter().map(BatchOp::from).collect(),
        };
        image
            .check(&batch)
            .map_err(|e| corrupt(format!("does not fit the log: {e}")))?;
        image.apply(&batch);
        records += 1;
        offset = end;
    }
    Ok(finish(image, records, offset, 0))
}

fn finish(image: StoreImage, records: u64, valid: usize, torn: u64) -> (StoreImage, Replay) {
    let replay = Replay {
        records,
        bytes: valid as u64,
        torn_tail_bytes: torn,
    };
    (image, replay)
}

impl FileKv {
    /// Open (or create) the journal in `dir` and replay it. A torn tail is cut off and
    /// the cut synced; corruption before the tail is an error.
    pub fn open(dir: &Path) -> Result<Self, JournalError> {
        let path = dir.join(JOURNAL_FILE);
        let err = io_error(&path);
        if !path.exists() {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(&err)?;
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(&err)?;
        }
        let mut file = LocalFile::open(&path).map_err(&err)?;
        let bytes = std::fs::read(&path).map_err(&err)?;
        let (image, replay) = replay(&path, &bytes)?;
        if replay.torn_tail_bytes > 0 {
            file.truncate(replay.bytes).map_err(&err)?;
            file.sync().map_err(&err)?;
        }
        drop(err);
        Ok(FileKv {
            path,
            file,
            image,
            len: replay.bytes,
            replay,
            unsynced: false,
        })
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What reads see: every appended batch.
    pub fn image(&self) -> &StoreImage {
        &self.image
    }

    /// What opening the journal found.
    pub fn replay(&self) -> Replay {
        self.replay
    }

    /// Bytes of the journal.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the journal holds no record.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Append `batch` (not yet durable: call [`FileKv::sync`]). A batch whose log
    /// operations do not fit is refused whole with `Ok(Err(_))` and nothing is written;
    /// `Err(_)` is a failure of the disk.
    pub fn append(&mut self, batch: &WriteBatch) -> Result<Result<(), StoreError>, JournalError> {
        if let Err(invalid) = self.image.check(batch) {
            return Ok(Err(invalid));
        }
        let ops: Vec<JournalOp> = batch.ops.iter().map(JournalOp::from).collect();
        let payload = postcard::to_allocvec(&ops)
            .unwrap_or_else(|e| panic!("a batch of byte strings and integers must encode: {e}"));
        if payload.len() > MAX_FRAME_BYTES {
            return Err(JournalError::TooLarge(payload.len()));
        }
        let record = encode_frame(&payload);
        self.file
            .write_at(self.len, &record)
            .map_err(io_error(&self.path))?;
        self.len += record.len() as u64;
        self.image.apply(batch);
        self.unsynced = true;
        Ok(Ok(()))
    }

    /// `fdatasync` the journal if anything was appended since the last sync. A failed
    /// sync is fatal: after it the page cache may have dropped the writes.
    pub fn sync(&mut self) -> Result<(), JournalError> {
        if self.unsynced {
            self.file.sync().map_err(io_error(&self.path))?;
            self.unsynced = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(i: u8) -> WriteBatch {
        WriteBatch::new().put([b'k', i], vec![i; 3]).append(vec![i])
    }

    fn journal_with(dir: &Path, n: u8) -> u64 {
        let mut kv = FileKv::open(dir).expect("a fresh journal opens");
        for i in 0..n {
            kv.append(&batch(i))
                .expect("the disk accepts the write")
                .expect("the batch fits");
        }
        kv.sync().expect("the disk syncs");
        kv.len()
    }

    #[test]
    fn synced_batches_replay_into_the_same_image() {
        let dir = tempfile::tempdir().expect("a temp dir");
        journal_with(dir.path(), 5);
        let kv = FileKv::open(dir.path()).expect("the journal reopens");
        assert_eq!(kv.replay().records, 5, "all five batches must replay");
        assert_eq!(kv.image().get([b'k', 4]), Some(&[4u8, 4, 4][..]));
        assert_eq!(
            kv.image().log().last_index(),
            5,
            "five log appends replayed"
        );
        assert_eq!(kv.replay().torn_tail_bytes, 0);
    }

    #[test]
    fn a_torn_last_record_is_cut_on_restart_and_reported() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let full = journal_with(dir.path(), 3);
        let path = dir.path().join(JOURNAL_FILE);
        // A fourth record of which only part reached the disk.
        let mut bytes = std::fs::read(&path).expect("journal reads");
        let fourth = encode_frame(b"a record the crash cut in half");
        bytes.extend_from_slice(&fourth[..fourth.len() / 2]);
        std::fs::write(&path, &bytes).expect("journal writes");

        let kv = FileKv::open(dir.path()).expect("a torn tail is not fatal");
        assert_eq!(kv.replay().records, 3, "the three whole records survive");
        assert_eq!(
            kv.replay().torn_tail_bytes,
            (fourth.len() / 2) as u64,
            "the half record must be reported as cut"
        );
        assert_eq!(
            std::fs::metadata(&path).expect("journal exists").len(),
            full,
            "the torn bytes must be cut from the file"
        );
        let again = FileKv::open(dir.path()).expect("reopens");
        assert_eq!(again.replay().torn_tail_bytes, 0, "the cut is durable");
    }

    #[test]
    fn a_zero_filled_or_bit_flipped_last_record_is_a_torn_tail() {
        let dir = tempfile::tempdir().expect("a temp dir");
        journal_with(dir.path(), 2);
        let path = dir.path().join(JOURNAL_FILE);
        let mut bytes = std::fs::read(&path).expect("journal reads");
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        bytes.extend_from_slice(&[0; 64]);
        std::fs::write(&path, &bytes).expect("journal writes");
        let kv = FileKv::open(dir.path()).expect("a damaged last record is not fatal");
        assert_eq!(kv.replay().records, 1, "only the first record survives");
        assert!(kv.replay().torn_tail_bytes > 64);
    }

    #[test]
    fn a_damaged_record_before_the_tail_is_refused_as_corruption() {
        let dir = tempfile::tempdir().expect("a temp dir");
        journal_with(dir.path(), 3);
        let path = dir.path().join(JOURNAL_FILE);
        let mut bytes = std::fs::read(&path).expect("journal reads");
        bytes[HEADER_BYTES + 2] ^= 0x01;
        std::fs::write(&path, &bytes).expect("journal writes");
        match FileKv::open(dir.path()) {
            Err(JournalError::Corrupt { offset: 0, .. }) => {}
            other => {
                panic!("a damaged first record followed by two more must be refused, got {other:?}")
            }
        }
    }

    #[test]
    fn a_batch_that_does_not_fit_the_log_is_refused_and_not_written() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let mut kv = FileKv::open(dir.path()).expect("opens");
        let before = kv.len();
        let refused = kv
            .append(&WriteBatch::new().discard_log_through(3))
            .expect("the disk is fine");
        assert!(matches!(refused, Err(StoreError::InvalidLog(_))));
        assert_eq!(kv.len(), before, "a refused batch writes nothing");
    }
}
