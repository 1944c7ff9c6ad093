//! `SimKv`: a node's simulated key-value storage, with a page cache and a disk.
//!
//! Two images are kept:
//! * **visible** — what reads return: every write that has completed, synced or not (the
//!   operating system's page cache);
//! * **durable** — what survives a crash: only writes covered by a completed sync.
//!
//! Writes are asynchronous. A write submitted at tick t completes after the configured
//! delay, in submission order, and its callback runs then. A [`Durability::Sync`] write
//! is durable when it completes (and so is every buffered write before it, as an fsync of
//! a log makes everything before it durable); a [`Durability::Buffered`] write becomes
//! durable only when a later sync completes. A crash throws away queued operations and,
//! by the [`CrashPolicy`], the unsynced writes.
//!
//! This is what makes "reply before the durable write" a bug the tests can catch: a node
//! that promised something and crashed before its write was durable restarts without
//! remembering the promise.

use crate::error::StoreError;
use crate::rng::SimRng;
use crate::time::Tick;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;

/// How durable a write must be before its callback runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// In the page cache: visible, lost on crash unless a later sync covers it.
    Buffered,
    /// Written and synced: survives a crash once the callback has run.
    Sync,
}

/// What a crash does to writes that completed but were never synced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CrashPolicy {
    /// All of them are lost (default).
    #[default]
    LoseUnsynced,
    /// Each survives with probability 1/2, drawn from the node's stream (the kernel may
    /// have flushed some pages before the power went out).
    KeepRandomSubset,
}

/// Storage settings.
#[derive(Clone, Debug, PartialEq)]
pub struct StoreConfig {
    /// Ticks from submission to completion, `min..=max` (default 1..=1).
    pub delay: (Tick, Tick),
    /// Probability that an operation fails instead of happening (default 0).
    pub failure_rate: f64,
    /// What a crash does to unsynced writes.
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

/// An ordered group of puts and deletes applied atomically.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteBatch {
    ops: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a put.
    pub fn put(mut self, key: impl AsRef<[u8]>, value: impl Into<Vec<u8>>) -> Self {
        self.ops.push((key.as_ref().to_vec(), Some(value.into())));
        self
    }

    /// Add a delete.
    pub fn delete(mut self, key: impl AsRef<[u8]>) -> Self {
        self.ops.push((key.as_ref().to_vec(), None));
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

/// A node's simulated storage.
#[derive(Clone, Debug)]
pub struct SimKv {
    config: StoreConfig,
    visible: BTreeMap<Vec<u8>, Vec<u8>>,
    durable: BTreeMap<Vec<u8>, Vec<u8>>,
    unsynced: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    pending: VecDeque<PendingOp>,
    fail_next: u32,
    next_op: u64,
    last_due: Tick,
    writes_completed: u64,
    syncs_completed: u64,
}

fn apply(map: &mut BTreeMap<Vec<u8>, Vec<u8>>, key: &[u8], value: &Option<Vec<u8>>) {
    match value {
        Some(v) => {
            map.insert(key.to_vec(), v.clone());
        }
        None => {
            map.remove(key);
        }
    }
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
            visible: BTreeMap::new(),
            durable: BTreeMap::new(),
            unsynced: Vec::new(),
            pending: VecDeque::new(),
            fail_next: 0,
            next_op: 0,
            last_due: 0,
            writes_completed: 0,
            syncs_completed: 0,
        }
    }

    // ----- reads (visible image, synchronous) -----

    /// The visible value under `key`.
    pub fn get(&self, key: impl AsRef<[u8]>) -> Option<&[u8]> {
        self.visible.get(key.as_ref()).map(Vec::as_slice)
    }

    /// Decode the visible value under `key`.
    pub fn load<T: DeserializeOwned>(
        &self,
        key: impl AsRef<[u8]>,
    ) -> Result<Option<T>, StoreError> {
        let key = key.as_ref();
        self.visible
            .get(key)
            .map(|bytes| decode(key, bytes))
            .transpose()
    }

    /// Visible entries with `lo <= key < hi`, in key order.
    pub fn range(&self, lo: impl AsRef<[u8]>, hi: impl AsRef<[u8]>) -> Vec<(&[u8], &[u8])> {
        let bounds = (
            Bound::Included(lo.as_ref().to_vec()),
            Bound::Excluded(hi.as_ref().to_vec()),
        );
        self.visible
            .range(bounds)
            .map(|(k, v)| (k.as_slice(), v.as_slice()))
            .collect()
    }

    /// The visible entry with the greatest key strictly below `key`.
    pub fn last_below(&self, key: impl AsRef<[u8]>) -> Option<(&[u8], &[u8])> {
        self.visible
            .range::<[u8], _>((Bound::Unbounded, Bound::Excluded(key.as_ref())))
            .next_back()
            .map(|(k, v)| (k.as_slice(), v.as_slice()))
    }

    /// The durable value under `key` (what a crash now would leave).
    pub fn peek_durable(&self, key: impl AsRef<[u8]>) -> Option<&[u8]> {
        self.durable.get(key.as_ref()).map(Vec::as_slice)
    }

    /// Decode the durable value under `key`.
    pub fn load_durable<T: DeserializeOwned>(
        &self,
        key: impl AsRef<[u8]>,
    ) -> Result<Option<T>, StoreError> {
        let key = key.as_ref();
        self.durable
            .get(key)
            .map(|bytes| decode(key, bytes))
            .transpose()
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

    /// Submit a sync: when it completes, every write completed before it is durable.
    pub fn sync(&mut self, now: Tick, rng: &mut SimRng) -> StoreOpId {
        self.submit(now, OpKind::Sync, rng)
    }

    /// Complete every operation due at or before `now`, in submission order.
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
            let failed = if self.fail_next > 0 {
                self.fail_next -= 1;
                true
            } else {
                rng.chance(self.config.failure_rate)
            };
            if failed {
                done.push((op.id, Err(StoreError::Injected)));
                continue;
            }
            match op.kind {
                OpKind::Write(batch, durability) => {
                    for (k, v) in &batch.ops {
                        apply(&mut self.visible, k, v);
                    }
                    self.unsynced.extend(batch.ops);
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
            done.push((op.id, Ok(())));
        }
        done
    }

    fn flush(&mut self) {
        for (k, v) in std::mem::take(&mut self.unsynced) {
            apply(&mut self.durable, &k, &v);
        }
    }

    /// Power loss: queued operations vanish, unsynced writes are lost (or some survive,
    /// by the crash policy), and the visible image becomes what is on disk.
    pub fn crash(&mut self, rng: &mut SimRng) {
        self.pending.clear();
        self.last_due = 0;
        let unsynced = std::mem::take(&mut self.unsynced);
        if self.config.crash_policy == CrashPolicy::KeepRandomSubset {
            for (k, v) in unsynced {
                if rng.chance(0.5) {
                    apply(&mut self.durable, &k, &v);
                }
            }
        }
        self.visible = self.durable.clone();
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
}
