//! `SimKv`: a node's simulated storage — a key-value map and a log — with a page cache
//! and a disk.
//!
//! Two [`StoreImage`]s are kept:
//! * **visible** — what reads return: every write that has completed, synced or not (the
//!   operating system's page cache);
//! * **durable** — what survives a crash: only writes covered by a completed sync.
//!
//! Both hold a sorted key-value map and one append-only [`LogImage`] (append, truncate a
//! suffix, discard a prefix, install a snapshot), so every log-based protocol (a Paxos
//! log, Multi-Paxos, Raft) stores its log with the same crash semantics as its other
//! state. Everything changes through a [`WriteBatch`], applied atomically.
//!
//! Writes are asynchronous. A write submitted at tick t completes after the configured
//! delay, in submission order, and its callback runs then. A [`Durability::Sync`] write
//! is durable when it completes (and so is every buffered write before it, as an fsync of
//! a log makes everything before it durable); a [`Durability::Buffered`] write becomes
//! durable only when a later sync completes. A crash throws away queued operations and,
//! by the [`CrashPolicy`], the unsynced writes — always a *prefix* of them in the order
//! they were issued, never part of a batch: that is what a real store's own journal
//! recovers.
//!
//! This is what makes "reply before the durable write" a bug the tests can catch: a node
//! that promised something and crashed before its write was durable restarts without
//! remembering the promise.

mod image;

#[cfg(feature = "real")]
pub(crate) use image::BatchOp;
pub use image::{LogImage, Snapshot, StoreImage, WriteBatch};

use crate::error::StoreError;
use crate::rng::SimRng;
use crate::time::Tick;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::VecDeque;

/// How durable a write must be before its callback runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// In the page cache: visible, lost on crash unless a later sync covers it.
    Buffered,
    /// Written and synced: survives a crash once the callback has run.
    Sync,
}

/// What a power cut does to writes that completed but were never synced. One policy
/// governs all of a node's storage: its key-value map and log ([`SimKv`]) and its files
/// ([`crate::fileio::SimFs`]).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum CrashPolicy {
    /// Every unsynced write is lost (the default for key-value and log storage).
    #[default]
    LoseUnsynced,
    /// The device wrote the unsynced writes in the order they were issued and stopped:
    /// a random prefix of them survives, each write whole (a key-value batch, or a file
    /// write), possibly none, possibly all.
    KeepPrefix,
    /// As [`CrashPolicy::KeepPrefix`], and the write after the surviving prefix was cut
    /// part-way. A file keeps a prefix of that write's sectors (a record can end half
    /// old and half new); the key-value and log store find the torn record by its
    /// checksum when they reload and discard it, which [`SimKv::last_recovery`] reports.
    TearLastWrite,
    /// Each sector of each unsynced file write reaches the disk independently with this
    /// probability (a disk that reorders writes between barriers; the default for files).
    /// The key-value and log store journal their writes in order and recover a prefix,
    /// so for them this is [`CrashPolicy::KeepPrefix`].
    ReorderSectors {
        /// Probability that one sector of an unsynced write survives the crash.
        sector_survival: f64,
    },
}

/// Storage settings.
#[derive(Clone, Debug, PartialEq)]
pub struct StoreConfig {
    /// Ticks from submission to completion, `min..=max` (default 1..=1).
    pub delay: (Tick, Tick),
    /// Probability that an operation fails instead of happening (default 0).
    pub failure_rate: f64,
    /// What a crash does to unsynced writes, in the key-value store, the log and the
    /// node's files alike (default [`CrashPolicy::LoseUnsynced`]).
    pub crash_policy: CrashPolicy,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            delay: (1, 1),
            failure_rate: 0.0,
            crash_policy: CrashPolicy::LoseUnsynced,
        }
    }
}

/// Identifier of a submitted storage operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StoreOpId(pub u64);

#[derive(Clone, Debug)]
enum OpKind {
    Write(WriteBatch, Durability),
    Sync,
}

#[derive(Clone, Debug)]
struct PendingOp {
    id: StoreOpId,
    due: Tick,
    kind: OpKind,
}

/// What the last crash did to the unsynced writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Recovery {
    /// Completed writes that were not durable when the power went.
    pub unsynced: usize,
    /// How many of them (a prefix, in issue order) reached the disk.
    pub kept: usize,
    /// Whether the write after them was torn and discarded on reload.
    pub torn_discarded: bool,
    /// Operations still queued (never completed), all lost.
    pub queued_lost: usize,
}

/// A node's simulated storage.
#[derive(Clone, Debug)]
pub struct SimKv {
    config: StoreConfig,
    visible: StoreImage,
    durable: StoreImage,
    unsynced: Vec<WriteBatch>,
    pending: VecDeque<PendingOp>,
    fail_next: u32,
    next_op: u64,
    last_due: Tick,
    writes_completed: u64,
    syncs_completed: u64,
    last_recovery: Option<Recovery>,
}

/// Encode a value with postcard.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    postcard::to_allocvec(value).map_err(|e| StoreError::Encode(e.to_string()))
}

/// Decode a value stored under `key` with postcard.
pub fn decode<T: DeserializeOwned>(key: &[u8], bytes: &[u8]) -> Result<T, StoreError> {
    postcard::from_bytes(bytes).map_err(|e| StoreError::Decode {
        key: String::from_utf8_lossy(key).into_owned(),
        reason: e.to_string(),
    })
}

impl SimKv {
    /// Empty storage.
    pub fn new(config: StoreConfig) -> Self {
        assert!(
            config.delay.0 <= config.delay.1,
            "storage delay must be min..=max"
        );
        SimKv {
            config,
            visible: StoreImage::default(),
            durable: StoreImage::default(),
            unsynced: Vec::new(),
            pending: VecDeque::new(),
            fail_next: 0,
            next_op: 0,
            last_due: 0,
            writes_completed: 0,
            syncs_completed: 0,
            last_recovery: None,
        }
    }

    // ----- reads (visible image, synchronous) -----

    /// What reads see: every completed write (the page cache).
    pub fn visible(&self) -> &StoreImage {
        &self.visible
    }

    /// What a crash now would leave (the disk).
    pub fn durable(&self) -> &StoreImage {
        &self.durable
    }

    /// The visible log.
    pub fn log(&self) -> &LogImage {
        self.visible.log()
    }

    /// The visible value under `key`.
    pub fn get(&self, key: impl AsRef<[u8]>) -> Option<&[u8]> {
        self.visible.get(key)
    }

    /// Decode the visible value under `key`.
    pub fn load<T: DeserializeOwned>(
        &self,
        key: impl AsRef<[u8]>,
    ) -> Result<Option<T>, StoreError> {
        self.visible.load(key)
    }

    /// Visible entries with `lo <= key < hi`, in key order.
    pub fn range(&self, lo: impl AsRef<[u8]>, hi: impl AsRef<[u8]>) -> Vec<(&[u8], &[u8])> {
        self.visible.range(lo, hi)
    }

    /// The visible entry with the greatest key strictly below `key`.
    pub fn last_below(&self, key: impl AsRef<[u8]>) -> Option<(&[u8], &[u8])> {
        self.visible.last_below(key)
    }

    /// The durable value under `key` (what a crash now would leave).
    pub fn peek_durable(&self, key: impl AsRef<[u8]>) -> Option<&[u8]> {
        self.durable.get(key)
    }

    /// Decode the durable value under `key`.
    pub fn load_durable<T: DeserializeOwned>(
        &self,
        key: impl AsRef<[u8]>,
    ) -> Result<Option<T>, StoreError> {
        self.durable.load(key)
    }

    /// Number of visible keys.
    pub fn len(&self) -> usize {
        self.visible.len()
    }

    /// No visible keys.
    pub fn is_empty(&self) -> bool {
        self.visible.is_empty()
    }

    /// Operations submitted and not yet completed.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Completed writes whose data is not durable yet.
    pub fn unsynced(&self) -> usize {
        self.unsynced.len()
    }

    /// Counts of completed writes and syncs.
    pub fn completed(&self) -> (u64, u64) {
        (self.writes_completed, self.syncs_completed)
    }

    /// What the last crash did to unsynced writes (`None` before any crash).
    pub fn last_recovery(&self) -> Option<Recovery> {
        self.last_recovery
    }

    // ----- writes (asynchronous) -----

    fn submit(&mut self, now: Tick, kind: OpKind, rng: &mut SimRng) -> StoreOpId {
        self.next_op += 1;
        let id = StoreOpId(self.next_op);
        let due = (now + rng.range(self.config.delay.0, self.config.delay.1)).max(self.last_due);
        self.last_due = due;
        self.pending.push_back(PendingOp { id, due, kind });
        id
    }

    /// Submit a batch; it completes after the configured delay.
    pub fn write(
        &mut self,
        now: Tick,
        batch: WriteBatch,
        durability: Durability,
        rng: &mut SimRng,
    ) -> StoreOpId {
        self.submit(now, OpKind::Write(batch, durability), rng)
    }

    /// Put `batch` on disk at once, outside simulated time: no delay, no injected
    /// failure, not counted in [`SimKv::completed`]. For a test that prepares a disk
    /// image, or that damages a crashed node's records to see what its recovery does.
    /// A batch whose log operations do not fit the log is refused with
    /// [`StoreError::InvalidLog`] and changes nothing.
    ///
    /// # Panics
    ///
    /// If an operation is pending or a completed write is not yet durable: the disk
    /// would then hold this batch before writes that memory holds before it. A crashed
    /// store, or one that was never written, has neither.
    pub fn write_to_disk(&mut self, batch: WriteBatch) -> Result<(), StoreError> {
        assert!(
            self.pending.is_empty() && self.unsynced.is_empty(),
            "write_to_disk needs a store with nothing pending or unsynced (crash it first)"
        );
        self.visible.check(&batch)?;
        self.visible.apply(&batch);
        self.durable.apply(&batch);
        Ok(())
    }

    /// Submit a sync: when it completes, every write completed before it is durable.
    pub fn sync(&mut self, now: Tick, rng: &mut SimRng) -> StoreOpId {
        self.submit(now, OpKind::Sync, rng)
    }

    /// Complete every operation due at or before `now`, in submission order. A batch
    /// whose log operations do not fit the log fails whole with
    /// [`StoreError::InvalidLog`].
    pub fn complete_due(
        &mut self,
        now: Tick,
        rng: &mut SimRng,
    ) -> Vec<(StoreOpId, Result<(), StoreError>)> {
        let mut done = Vec::new();
        while self.pending.front().is_some_and(|op| op.due <= now) {
            let Some(op) = self.pending.pop_front() else {
                break;
            };
            done.push(self.complete(op, rng));
        }
        done
    }

    /// Complete the oldest submitted operation now, whatever its due tick (`None` if
    /// nothing is pending): for a driver that decides itself when storage makes
    /// progress, such as a scripted cluster replaying a schedule of the exhaustive
    /// search ([`crate::search`]). Injected failures apply as in
    /// [`SimKv::complete_due`].
    pub fn complete_next(
        &mut self,
        rng: &mut SimRng,
    ) -> Option<(StoreOpId, Result<(), StoreError>)> {
        let op = self.pending.pop_front()?;
        Some(self.complete(op, rng))
    }

    fn complete(&mut self, op: PendingOp, rng: &mut SimRng) -> (StoreOpId, Result<(), StoreError>) {
        let failed = if self.fail_next > 0 {
            self.fail_next -= 1;
            true
        } else {
            rng.chance(self.config.failure_rate)
        };
        if failed {
            return (op.id, Err(StoreError::Injected));
        }
        match op.kind {
            OpKind::Write(batch, durability) => {
                if let Err(invalid) = self.visible.check(&batch) {
                    return (op.id, Err(invalid));
                }
                self.visible.apply(&batch);
                self.unsynced.push(batch);
                if durability == Durability::Sync {
                    self.flush();
                }
                self.writes_completed += 1;
            }
            OpKind::Sync => {
                self.flush();
                self.syncs_completed += 1;
            }
        }
        (op.id, Ok(()))
    }

    fn flush(&mut self) {
        for batch in std::mem::take(&mut self.unsynced) {
            self.durable.apply(&batch);
        }
    }

    /// Power loss: queued operations vanish, a prefix of the unsynced writes survives by
    /// the crash policy (whole batches, in issue order), and the visible image becomes
    /// what is on disk. Returns what happened, also kept for [`SimKv::last_recovery`].
    pub fn crash(&mut self, rng: &mut SimRng) -> Recovery {
        let queued_lost = self.pending.len();
        self.pending.clear();
        self.last_due = 0;
        let unsynced = std::mem::take(&mut self.unsynced);
        let n = unsynced.len();
        let (kept, torn_discarded) = match self.config.crash_policy {
            CrashPolicy::LoseUnsynced => (0, false),
            CrashPolicy::KeepPrefix | CrashPolicy::ReorderSectors { .. } => {
                (rng.range(0, n as u64) as usize, false)
            }
            CrashPolicy::TearLastWrite if n == 0 => (0, false),
            CrashPolicy::TearLastWrite => (rng.range(0, n as u64 - 1) as usize, true),
        };
        for batch in unsynced.iter().take(kept) {
            self.durable.apply(batch);
        }
        self.visible = self.durable.clone();
        let recovery = Recovery {
            unsynced: n,
            kept,
            torn_discarded,
            queued_lost,
        };
        self.last_recovery = Some(recovery);
        recovery
    }

    // ----- fault controls -----

    /// Make the next `n` operations fail.
    pub fn fail_next(&mut self, n: u32) {
        self.fail_next += n;
    }

    /// Forget failures injected with [`SimKv::fail_next`] that have not happened yet (a
    /// replaced disk). The configured failure rate stays.
    pub fn clear_injected_failures(&mut self) {
        self.fail_next = 0;
    }

    /// Probability that each operation fails.
    pub fn set_failure_rate(&mut self, probability: f64) {
        self.config.failure_rate = probability;
    }

    /// Ticks from submission to completion.
    pub fn set_delay(&mut self, min: Tick, max: Tick) {
        assert!(min <= max, "storage delay must be min..=max");
        self.config.delay = (min, max);
    }

    /// What a crash does to unsynced writes.
    pub fn set_crash_policy(&mut self, policy: CrashPolicy) {
        self.config.crash_policy = policy;
    }

    /// The settings in force.
    pub fn config(&self) -> &StoreConfig {
        &self.config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(delay: Tick) -> (SimKv, SimRng) {
        (
            SimKv::new(StoreConfig {
                delay: (delay, delay),
                ..StoreConfig::default()
            }),
            SimRng::new(9),
        )
    }

    #[test]
    fn a_write_is_invisible_until_it_completes_and_completes_after_its_delay() {
        let (mut kv, mut rng) = kv(3);
        let id = kv.write(
            10,
            WriteBatch::new().put("k", b"v".to_vec()),
            Durability::Sync,
            &mut rng,
        );
        assert!(kv.complete_due(12, &mut rng).is_empty());
        assert_eq!(kv.get("k"), None, "not visible before completion");
        assert_eq!(kv.complete_due(13, &mut rng), vec![(id, Ok(()))]);
        assert_eq!(kv.get("k"), Some(&b"v"[..]));
        assert_eq!(
            kv.peek_durable("k"),
            Some(&b"v"[..]),
            "a sync write is durable on completion"
        );
    }

    #[test]
    fn a_crash_loses_exactly_the_unsynced_writes() {
        let (mut kv, mut rng) = kv(1);
        kv.write(
            0,
            WriteBatch::new().put("synced", b"1".to_vec()),
            Durability::Sync,
            &mut rng,
        );
        kv.write(
            0,
            WriteBatch::new().put("buffered", b"2".to_vec()),
            Durability::Buffered,
            &mut rng,
        );
        kv.complete_due(1, &mut rng);
        kv.write(
            1,
            WriteBatch::new().put("queued", b"3".to_vec()),
            Durability::Sync,
            &mut rng,
        );
        assert_eq!(
            kv.get("buffered"),
            Some(&b"2"[..]),
            "a buffered write is visible once complete"
        );
        assert_eq!(kv.peek_durable("buffered"), None, "but not durable");
        kv.crash(&mut rng);
        assert_eq!(
            kv.get("synced"),
            Some(&b"1"[..]),
            "a completed sync write survives"
        );
        assert_eq!(
            kv.get("buffered"),
            None,
            "a completed but unsynced write is lost"
        );
        assert_eq!(
            kv.get("queued"),
            None,
            "an operation still queued at the crash never happened"
        );
        assert_eq!(kv.pending(), 0);
    }

    #[test]
    fn a_sync_write_makes_earlier_buffered_writes_durable_too() {
        let (mut kv, mut rng) = kv(1);
        kv.write(
            0,
            WriteBatch::new().put("buffered", b"1".to_vec()),
            Durability::Buffered,
            &mut rng,
        );
        kv.write(
            0,
            WriteBatch::new().put("synced", b"2".to_vec()),
            Durability::Sync,
            &mut rng,
        );
        kv.complete_due(1, &mut rng);
        kv.crash(&mut rng);
        assert_eq!(
            kv.get("buffered"),
            Some(&b"1"[..]),
            "the sync covers everything written before it"
        );
    }

    #[test]
    fn a_buffered_write_alone_is_lost_by_a_crash() {
        let (mut kv, mut rng) = kv(1);
        kv.write(
            0,
            WriteBatch::new().put("k", b"v".to_vec()),
            Durability::Buffered,
            &mut rng,
        );
        kv.complete_due(1, &mut rng);
        kv.crash(&mut rng);
        assert_eq!(
            kv.get("k"),
            None,
            "without a sync the write must not survive"
        );
    }

    #[test]
    fn a_sync_makes_earlier_buffered_writes_durable() {
        let (mut kv, mut rng) = kv(1);
        kv.write(
            0,
            WriteBatch::new().put("k", b"v".to_vec()),
            Durability::Buffered,
            &mut rng,
        );
        kv.sync(0, &mut rng);
        kv.complete_due(1, &mut rng);
        kv.crash(&mut rng);
        assert_eq!(kv.get("k"), Some(&b"v"[..]));
    }

    #[test]
    fn operations_complete_in_submission_order_even_with_random_delays() {
        let mut kv = SimKv::new(StoreConfig {
            delay: (1, 20),
            ..StoreConfig::default()
        });
        let mut rng = SimRng::new(4);
        let ids: Vec<StoreOpId> = (0..30)
            .map(|i| {
                kv.write(
                    0,
                    WriteBatch::new().put([i as u8], vec![i as u8]),
                    Durability::Buffered,
                    &mut rng,
                )
            })
            .collect();
        let done: Vec<StoreOpId> = kv
            .complete_due(100, &mut rng)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(done, ids, "storage completions must be FIFO");
    }

    #[test]
    fn an_injected_failure_means_the_write_never_happened() {
        let (mut kv, mut rng) = kv(1);
        kv.fail_next(1);
        kv.write(
            0,
            WriteBatch::new().put("k", b"v".to_vec()),
            Durability::Sync,
            &mut rng,
        );
        let done = kv.complete_due(1, &mut rng);
        assert_eq!(done[0].1, Err(StoreError::Injected));
        assert_eq!(kv.get("k"), None);
    }

    #[test]
    fn a_batch_applies_its_puts_and_deletes_in_order() {
        let (mut kv, mut rng) = kv(1);
        let batch = WriteBatch::new()
            .put("a", b"1".to_vec())
            .delete("a")
            .put("b", b"2".to_vec());
        kv.write(0, batch, Durability::Sync, &mut rng);
        kv.complete_due(1, &mut rng);
        assert_eq!(kv.get("a"), None, "the delete came after the put");
        assert_eq!(kv.get("b"), Some(&b"2"[..]));
    }

    #[test]
    fn last_below_and_range_read_in_key_order() {
        let (mut kv, mut rng) = kv(1);
        let mut batch = WriteBatch::new();
        for i in [3u64, 1, 2, 10] {
            batch = batch.put(format!("log/{i:08}"), i.to_be_bytes().to_vec());
        }
        kv.write(0, batch, Durability::Sync, &mut rng);
        kv.complete_due(1, &mut rng);
        let (last, _) = kv
            .last_below("log0")
            .expect("entries exist below the prefix end");
        assert_eq!(last, b"log/00000010");
        let keys: Vec<&[u8]> = kv
            .range("log/00000002", "log/00000010")
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, vec![&b"log/00000002"[..], &b"log/00000003"[..]]);
    }

    #[test]
    fn typed_values_round_trip_through_postcard() {
        let (mut kv, mut rng) = kv(1);
        let bytes = encode(&(7u64, "promise".to_string())).expect("encodable");
        kv.write(
            0,
            WriteBatch::new().put("state", bytes),
            Durability::Sync,
            &mut rng,
        );
        kv.complete_due(1, &mut rng);
        let state: Option<(u64, String)> = kv.load("state").expect("decodes");
        assert_eq!(state, Some((7, "promise".into())));
    }

    #[test]
    fn a_value_that_does_not_decode_is_an_error_naming_the_key() {
        let (mut kv, mut rng) = kv(1);
        kv.write(
            0,
            WriteBatch::new().put("state", vec![0xff, 0xff]),
            Durability::Sync,
            &mut rng,
        );
        kv.complete_due(1, &mut rng);
        match kv.load::<u64>("state") {
            Err(StoreError::Decode { key, .. }) => assert_eq!(key, "state"),
            other => panic!("a truncated varint must not decode as a u64, got {other:?}"),
        }
    }

    fn batch(i: u8) -> WriteBatch {
        // Two keys written together: a torn batch would show one without the other.
        WriteBatch::new()
            .put(format!("a{i}"), vec![i])
            .put(format!("b{i}"), vec![i])
            .append(vec![i])
    }

    fn crash_after_buffered_writes(policy: CrashPolicy, seed: u64, writes: u8) -> SimKv {
        let mut kv = SimKv::new(StoreConfig {
            crash_policy: policy,
            ..StoreConfig::default()
        });
        let mut rng = SimRng::new(seed);
        for i in 0..writes {
            kv.write(0, batch(i), Durability::Buffered, &mut rng);
        }
        kv.complete_due(1, &mut rng);
        kv.crash(&mut rng);
        kv
    }

    #[test]
    fn a_crash_keeps_a_prefix_of_unsynced_writes_in_issue_order_and_never_splits_a_batch() {
        let mut kept_counts = std::collections::BTreeSet::new();
        for seed in 0..200 {
            let kv = crash_after_buffered_writes(CrashPolicy::KeepPrefix, seed, 6);
            let survived: Vec<bool> = (0..6u8)
                .map(|i| {
                    let a = kv.get(format!("a{i}")).is_some();
                    let b = kv.get(format!("b{i}")).is_some();
                    assert_eq!(a, b, "seed {seed}: batch {i} was split by the crash");
                    a
                })
                .collect();
            let kept = survived.iter().take_while(|s| **s).count();
            assert!(
                survived[kept..].iter().all(|s| !s),
                "seed {seed}: a write survived after a lost one (a hole): {survived:?}"
            );
            assert_eq!(
                kv.log().last_index(),
                kept as u64,
                "seed {seed}: the log keeps the same prefix"
            );
            assert_eq!(kv.last_recovery().map(|r| r.kept), Some(kept));
            kept_counts.insert(kept);
        }
        assert_eq!(
            kept_counts.len(),
            7,
            "every prefix length from none to all six should occur over 200 seeds: {kept_counts:?}"
        );
    }

    #[test]
    fn tearing_the_last_write_discards_it_whole_and_says_so() {
        let mut torn = 0;
        for seed in 0..50 {
            let kv = crash_after_buffered_writes(CrashPolicy::TearLastWrite, seed, 4);
            let recovery = kv.last_recovery().expect("a crash happened");
            assert!(
                recovery.torn_discarded,
                "seed {seed}: with unsynced writes one is torn"
            );
            assert!(
                recovery.kept < 4,
                "seed {seed}: the torn write cannot also be kept"
            );
            let i = recovery.kept as u8;
            assert_eq!(
                kv.get(format!("a{i}")),
                None,
                "seed {seed}: the torn batch must be discarded"
            );
            assert_eq!(
                kv.get(format!("b{i}")),
                None,
                "seed {seed}: the torn batch must be discarded"
            );
            torn += 1;
        }
        assert_eq!(torn, 50);
        let clean = crash_after_buffered_writes(CrashPolicy::TearLastWrite, 1, 0);
        assert_eq!(
            clean.last_recovery().map(|r| r.torn_discarded),
            Some(false),
            "with nothing unsynced nothing can be torn"
        );
    }

    #[test]
    fn losing_unsynced_writes_keeps_none_of_them() {
        let kv = crash_after_buffered_writes(CrashPolicy::LoseUnsynced, 3, 5);
        assert!(kv.is_empty(), "no unsynced write may survive");
        assert_eq!(kv.log().last_index(), 0);
    }

    fn completed(kv: &mut SimKv, rng: &mut SimRng, batch: WriteBatch) -> Result<(), StoreError> {
        let now = kv.last_due + 1;
        kv.write(now, batch, Durability::Sync, rng);
        let mut done = kv.complete_due(now + 1, rng);
        assert_eq!(done.len(), 1, "one operation was submitted");
        done.remove(0).1
    }

    #[test]
    fn the_log_appends_truncates_a_suffix_discards_a_prefix_and_installs_a_snapshot() {
        let (mut kv, mut rng) = kv(1);
        let five = (1..=5u8).fold(WriteBatch::new(), |b, i| b.append(vec![i]));
        completed(&mut kv, &mut rng, five).expect("appends fit any log");
        assert_eq!((kv.log().first_index(), kv.log().last_index()), (1, 5));
        completed(
            &mut kv,
            &mut rng,
            WriteBatch::new().truncate_log_from(4).append(vec![40]),
        )
        .expect("truncating a suffix fits");
        let entries: Vec<(u64, Vec<u8>)> = kv
            .log()
            .range(1, 10)
            .map(|(i, e)| (i, e.to_vec()))
            .collect();
        assert_eq!(
            entries,
            vec![(1, vec![1]), (2, vec![2]), (3, vec![3]), (4, vec![40])]
        );
        completed(&mut kv, &mut rng, WriteBatch::new().discard_log_through(2))
            .expect("prefix exists");
        assert_eq!((kv.log().first_index(), kv.log().last_index()), (3, 4));
        assert_eq!(kv.log().get(2), None, "a discarded entry is gone");
        assert_eq!(kv.log().get(3), Some(&[3u8][..]));
        completed(
            &mut kv,
            &mut rng,
            WriteBatch::new().install_snapshot(10, b"state".to_vec()),
        )
        .expect("a snapshot past the end replaces the log");
        assert_eq!((kv.log().first_index(), kv.log().last_index()), (11, 10));
        assert_eq!(kv.log().snapshot().map(|s| s.last_index), Some(10));
        assert_eq!(
            kv.durable().log(),
            kv.log(),
            "sync writes make the log durable"
        );
    }

    #[test]
    fn a_log_operation_that_does_not_fit_fails_the_whole_batch() {
        let (mut kv, mut rng) = kv(1);
        completed(
            &mut kv,
            &mut rng,
            WriteBatch::new().append(vec![1]).append(vec![2]),
        )
        .expect("appends fit");
        completed(&mut kv, &mut rng, WriteBatch::new().discard_log_through(1)).expect("fits");
        let err = completed(
            &mut kv,
            &mut rng,
            WriteBatch::new().put("term", vec![9]).truncate_log_from(1),
        )
        .expect_err("entry 1 is already discarded");
        assert!(matches!(err, StoreError::InvalidLog(_)), "{err:?}");
        assert!(err.to_string().contains("truncate from 1"), "{err}");
        assert_eq!(
            kv.get("term"),
            None,
            "the put in the failed batch must not happen"
        );
        let err = completed(&mut kv, &mut rng, WriteBatch::new().discard_log_through(7))
            .expect_err("the log ends at 2");
        assert!(err.to_string().contains("ends at 2"), "{err}");
    }

    #[test]
    fn writing_to_disk_is_durable_at_once_and_refuses_a_log_operation_that_does_not_fit() {
        let (mut kv, mut rng) = kv(5);
        kv.write_to_disk(WriteBatch::new().put("k", b"v".to_vec()).append(vec![1]))
            .expect("fits");
        assert_eq!(kv.get("k"), Some(&b"v"[..]), "visible at once");
        assert_eq!(kv.durable().get("k"), Some(&b"v"[..]), "and on disk");
        assert_eq!(kv.completed(), (0, 0), "not a simulated write");
        kv.crash(&mut rng);
        assert_eq!(
            (kv.get("k"), kv.log().last_index()),
            (Some(&b"v"[..]), 1),
            "a crash keeps it"
        );
        let err = kv
            .write_to_disk(WriteBatch::new().put("j", vec![2]).discard_log_through(7))
            .expect_err("the log ends at 1");
        assert!(matches!(err, StoreError::InvalidLog(_)), "{err:?}");
        assert_eq!(
            (kv.get("j"), kv.durable().get("j")),
            (None, None),
            "the refused batch changes nothing"
        );
    }

    #[test]
    #[should_panic(expected = "nothing pending or unsynced")]
    fn writing_to_disk_under_a_pending_write_is_refused() {
        let (mut kv, mut rng) = kv(5);
        kv.write(
            0,
            WriteBatch::new().put("k", vec![1]),
            Durability::Sync,
            &mut rng,
        );
        let _ = kv.write_to_disk(WriteBatch::new().put("k", vec![2]));
    }

    #[test]
    fn an_unsynced_log_suffix_is_lost_by_a_crash_and_the_synced_prefix_reloads() {
        let (mut kv, mut rng) = kv(1);
        completed(&mut kv, &mut rng, WriteBatch::new().append(vec![1])).expect("fits");
        kv.write(
            9,
            WriteBatch::new().append(vec![2]),
            Durability::Buffered,
            &mut rng,
        );
        kv.complete_due(10, &mut rng);
        assert_eq!(kv.log().last_index(), 2, "the buffered append is visible");
        kv.crash(&mut rng);
        assert_eq!(kv.log().last_index(), 1, "only the synced entry survives");
        assert_eq!(kv.log().get(1), Some(&[1u8][..]));
    }

    mod log_model {
        use super::*;
        use proptest::prelude::*;

        #[derive(Clone, Debug)]
        enum Step {
            Append(u8),
            Truncate(u64),
            Discard(u64),
            Snapshot(u64),
        }

        fn step() -> impl Strategy<Value = Step> {
            prop_oneof![
                3 => any::<u8>().prop_map(Step::Append),
                1 => (0u64..12).prop_map(Step::Truncate),
                1 => (0u64..12).prop_map(Step::Discard),
                1 => (0u64..14).prop_map(Step::Snapshot),
            ]
        }

        proptest! {
            /// The log agrees with a plain vector of (index, entry) pairs after any
            /// sequence of operations, valid or not: an invalid one changes nothing.
            #[test]
            fn the_log_behaves_like_a_vector_with_a_moving_start(steps in proptest::collection::vec(step(), 0..40)) {
                let (mut kv, mut rng) = kv(1);
                let mut model: Vec<(u64, u8)> = Vec::new();
                let mut offset = 0u64;
                for step in steps {
                    let last = model.last().map(|(i, _)| *i).unwrap_or(offset);
                    let (batch, valid) = match step {
                        Step::Append(v) => (WriteBatch::new().append(vec![v]), true),
                        Step::Truncate(i) => (WriteBatch::new().truncate_log_from(i), i > offset),
                        Step::Discard(i) => (WriteBatch::new().discard_log_through(i), i <= last),
                        Step::Snapshot(i) => (WriteBatch::new().install_snapshot(i, vec![]), i >= offset),
                    };
                    let result = completed(&mut kv, &mut rng, batch);
                    prop_assert_eq!(result.is_ok(), valid, "{:?} validity", step);
                    if valid {
                        match step {
                            Step::Append(v) => model.push((last + 1, v)),
                            Step::Truncate(i) => model.retain(|(j, _)| *j < i),
                            Step::Discard(i) | Step::Snapshot(i) => {
                                model.retain(|(j, _)| *j > i);
                                offset = offset.max(i);
                            }
                        }
                    }
                    let got: Vec<(u64, u8)> = kv.log().range(0, u64::MAX).map(|(i, e)| (i, e[0])).collect();
                    prop_assert_eq!(&got, &model);
                    prop_assert_eq!(kv.log().first_index(), offset + 1);
                }
            }
        }
    }
}
