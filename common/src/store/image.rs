//! What a node's storage holds: a sorted key-value map and one append-only log.
//!
//! A [`StoreImage`] is plain data: the simulator keeps two of them per node (what reads
//! see and what is on disk), compares them, hashes them and clones them. Both parts
//! change only through a [`WriteBatch`], applied whole or not at all.

use crate::error::StoreError;
use crate::store::decode;
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;

/// One change in a [`WriteBatch`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum BatchOp {
    Put(Vec<u8>, Vec<u8>),
    Delete(Vec<u8>),
    Append(Vec<u8>),
    TruncateFrom(u64),
    DiscardThrough(u64),
    InstallSnapshot(Snapshot),
}

/// An ordered group of changes to the key-value map and the log, applied atomically:
/// a crash keeps all of a batch or none of it.
///
/// ```
/// use common::WriteBatch;
/// // A Raft follower's reply-worthy state in one atomic write: its term and vote, and
/// // the entries that replace a conflicting suffix of its log.
/// let batch = WriteBatch::new()
///     .put("term", vec![3])
///     .put("voted_for", b"athens".to_vec())
///     .truncate_log_from(5)
///     .append(b"entry 5".to_vec())
///     .append(b"entry 6".to_vec());
/// assert_eq!(batch.len(), 5);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct WriteBatch {
    pub(crate) ops: Vec<BatchOp>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a put.
    pub fn put(mut self, key: impl AsRef<[u8]>, value: impl Into<Vec<u8>>) -> Self {
        self.ops
            .push(BatchOp::Put(key.as_ref().to_vec(), value.into()));
        self
    }

    /// Add a delete.
    pub fn delete(mut self, key: impl AsRef<[u8]>) -> Self {
        self.ops.push(BatchOp::Delete(key.as_ref().to_vec()));
        self
    }

    /// Append an entry at the end of the log (index `last_index + 1`).
    pub fn append(mut self, entry: impl Into<Vec<u8>>) -> Self {
        self.ops.push(BatchOp::Append(entry.into()));
        self
    }

    /// Remove the log entries at `index` and after (a conflicting suffix). Truncating
    /// into the discarded prefix is an error that fails the whole batch.
    pub fn truncate_log_from(mut self, index: u64) -> Self {
        self.ops.push(BatchOp::TruncateFrom(index));
        self
    }

    /// Discard the log entries up to and including `index` (compaction after a
    /// snapshot). Discarding past the last entry is an error that fails the batch.
    pub fn discard_log_through(mut self, index: u64) -> Self {
        self.ops.push(BatchOp::DiscardThrough(index));
        self
    }

    /// Install a snapshot covering the log up to `last_index`: entries up to it are
    /// discarded, later ones kept (truncate them in the same batch if they conflict).
    pub fn install_snapshot(mut self, last_index: u64, data: impl Into<Vec<u8>>) -> Self {
        self.ops.push(BatchOp::InstallSnapshot(Snapshot {
            last_index,
            data: data.into(),
        }));
        self
    }

    /// Number of operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// No operations.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// A snapshot blob and the last log index it covers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Snapshot {
    /// The last log index whose effect the snapshot includes.
    pub last_index: u64,
    /// The state machine's encoded state (and whatever else the protocol keeps with it,
    /// such as the term of that entry).
    pub data: Vec<u8>,
}

/// A durable append-only log with 1-based indexes, a discardable prefix and a snapshot.
///
/// An empty log has `first_index() == 1` and `last_index() == 0`. After discarding
/// through `i` (or installing a snapshot at `i`), `first_index() == i + 1`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct LogImage {
    /// Index of the entry before the first retained one.
    offset: u64,
    entries: VecDeque<Vec<u8>>,
    snapshot: Option<Snapshot>,
}

impl LogImage {
    /// Index of the first retained entry (one past the discarded prefix).
    pub fn first_index(&self) -> u64 {
        self.offset + 1
    }

    /// Index of the last entry (or of the discarded prefix's end; 0 when empty).
    pub fn last_index(&self) -> u64 {
        self.offset + self.entries.len() as u64
    }

    /// Number of retained entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No retained entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry at `index`, if it is retained.
    pub fn get(&self, index: u64) -> Option<&[u8]> {
        let at = index.checked_sub(self.first_index())?;
        self.entries
            .get(usize::try_from(at).ok()?)
            .map(Vec::as_slice)
    }

    /// Decode the entry at `index` with postcard.
    pub fn load<T: DeserializeOwned>(&self, index: u64) -> Result<Option<T>, StoreError> {
        self.get(index)
            .map(|bytes| decode(format!("log[{index}]").as_bytes(), bytes))
            .transpose()
    }

    /// Retained entries with `lo <= index < hi`, in order.
    pub fn range(&self, lo: u64, hi: u64) -> impl Iterator<Item = (u64, &[u8])> {
        let lo = lo.max(self.first_index());
        let hi = hi.min(self.last_index() + 1);
        (lo..hi.max(lo)).filter_map(move |i| self.get(i).map(|e| (i, e)))
    }

    /// The installed snapshot, if any.
    pub fn snapshot(&self) -> Option<&Snapshot> {
        self.snapshot.as_ref()
    }

    fn apply(&mut self, op: &BatchOp) {
        match op {
            BatchOp::Append(entry) => self.entries.push_back(entry.clone()),
            BatchOp::TruncateFrom(index) => {
                let keep = index.saturating_sub(self.first_index());
                self.entries.truncate(keep as usize);
            }
            BatchOp::DiscardThrough(index) => self.discard_through(*index),
            BatchOp::InstallSnapshot(snapshot) => {
                if snapshot.last_index > self.last_index() {
                    self.entries.clear();
                    self.offset = snapshot.last_index;
                } else {
                    self.discard_through(snapshot.last_index);
                }
                self.snapshot = Some(snapshot.clone());
            }
            BatchOp::Put(..) | BatchOp::Delete(_) => {}
        }
    }

    fn discard_through(&mut self, index: u64) {
        let drop = index
            .saturating_sub(self.offset)
            .min(self.entries.len() as u64);
        self.entries.drain(..drop as usize);
        self.offset = self.offset.max(index);
    }
}

/// Everything a node has stored: the key-value map and the log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct StoreImage {
    kv: BTreeMap<Vec<u8>, Vec<u8>>,
    log: LogImage,
}

impl StoreImage {
    /// The value under `key`.
    pub fn get(&self, key: impl AsRef<[u8]>) -> Option<&[u8]> {
        self.kv.get(key.as_ref()).map(Vec::as_slice)
    }

    /// Decode the value under `key`.
    pub fn load<T: DeserializeOwned>(
        &self,
        key: impl AsRef<[u8]>,
    ) -> Result<Option<T>, StoreError> {
        let key = key.as_ref();
        self.kv.get(key).map(|bytes| decode(key, bytes)).transpose()
    }

    /// Entries with `lo <= key < hi`, in key order.
    pub fn range(&self, lo: impl AsRef<[u8]>, hi: impl AsRef<[u8]>) -> Vec<(&[u8], &[u8])> {
        let bounds = (
            Bound::Included(lo.as_ref().to_vec()),
            Bound::Excluded(hi.as_ref().to_vec()),
        );
        self.kv
            .range(bounds)
            .map(|(k, v)| (k.as_slice(), v.as_slice()))
            .collect()
    }

    /// The entry with the greatest key strictly below `key`.
    pub fn last_below(&self, key: impl AsRef<[u8]>) -> Option<(&[u8], &[u8])> {
        self.kv
            .range::<[u8], _>((Bound::Unbounded, Bound::Excluded(key.as_ref())))
            .next_back()
            .map(|(k, v)| (k.as_slice(), v.as_slice()))
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.kv.len()
    }

    /// No keys.
    pub fn is_empty(&self) -> bool {
        self.kv.is_empty()
    }

    /// The log.
    pub fn log(&self) -> &LogImage {
        &self.log
    }

    /// Whether every log operation of `batch` fits this image, applied in order. Only
    /// the log's bounds matter, so this costs nothing per retained entry.
    pub(crate) fn check(&self, batch: &WriteBatch) -> Result<(), StoreError> {
        let invalid = |text: String| Err(StoreError::InvalidLog(text));
        let (mut offset, mut last) = (self.log.offset, self.log.last_index());
        for op in &batch.ops {
            match op {
                BatchOp::Put(..) | BatchOp::Delete(_) => {}
                BatchOp::Append(_) => last += 1,
                BatchOp::TruncateFrom(index) => {
                    if *index <= offset {
                        return invalid(format!(
                            "cannot truncate from {index}: entries up to {offset} are discarded"
                        ));
                    }
                    last = last.min(index - 1);
                }
                BatchOp::DiscardThrough(index) => {
                    if *index > last {
                        return invalid(format!(
                            "cannot discard through {index}: the log ends at {last}"
                        ));
                    }
                    offset = offset.max(*index);
                }
                BatchOp::InstallSnapshot(snapshot) => {
                    if snapshot.last_index < offset {
                        return invalid(format!(
                            "snapshot at {} is older than the discarded prefix (up to {offset})",
                            snapshot.last_index
                        ));
                    }
                    offset = snapshot.last_index;
                    last = last.max(offset);
                }
            }
        }
        Ok(())
    }

    /// Apply a batch that passed [`StoreImage::check`].
    pub(crate) fn apply(&mut self, batch: &WriteBatch) {
        for op in &batch.ops {
            match op {
                BatchOp::Put(k, v) => {
                    self.kv.insert(k.clone(), v.clone());
                }
                BatchOp::Delete(k) => {
                    self.kv.remove(k);
                }
                log_op => self.log.apply(log_op),
            }
        }
    }
}
