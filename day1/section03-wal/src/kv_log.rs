//! Logs stored in an ordered key-value store (the RocksDB-style log), several per store.
//!
//! Keys are built so that **unsigned bytewise order equals numeric order**: the index is
//! a big-endian `u64` at the end of the key. `log_key("shard1", 1)` is
//! `b"shard1" + b"rftl" + [0, 0, 0, 0, 0, 0, 0, 1]`. Finding a log's last index after a
//! restart is one lookup: the greatest key below `log_key(id, u64::MAX)`, checked to
//! belong to the same log (the original trusted any key it got back, even another log's).
//!
//! The store is a trait, [`OrderedKv`], with two backends here: an in-memory `BTreeMap`
//! ([`MemKv`]) and the simulator's storage ([`SimKvStore`], over `common::SimKv`), which
//! can crash and lose what was not synced. Any ordered store with `get`, `put`,
//! `last_below` and `range` fits.

use crate::frame::{self, Frame};
use common::store::{Durability, SimKv, StoreConfig, WriteBatch};
use common::{SimRng, Tick};
use std::collections::BTreeMap;
use std::ops::Bound;
use thiserror::Error;

/// Separator between a log id and the index in a key.
pub const SEPARATOR: &[u8; 4] = b"rftl";
/// Key prefix of the single-log [`KvWal`].
pub const WAL_PREFIX: &[u8; 4] = b"wal1";

/// Errors of the key-value-backed logs.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum KvLogError {
    /// The store failed.
    #[error("store error: {0}")]
    Store(String),
    /// The log id is not usable in a key.
    #[error("log id {0:?} is empty or contains the separator \"rftl\"")]
    BadLogId(String),
    /// The log was not declared when the store was opened.
    #[error("unknown log {0:?}")]
    UnknownLog(String),
    /// A stored value does not decode.
    #[error("corrupt value at index {index}: {reason}")]
    Corrupt {
        /// The index.
        index: u64,
        /// What is wrong.
        reason: String,
    },
}

/// A key and its value.
pub type KvPair = (Vec<u8>, Vec<u8>);

/// A sorted byte-keyed store, as the logs here need it.
pub trait OrderedKv {
    /// The value at `key`.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, KvLogError>;
    /// Set `key` to `value`.
    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<(), KvLogError>;
    /// The greatest entry whose key is strictly below `key`.
    fn last_below(&self, key: &[u8]) -> Result<Option<KvPair>, KvLogError>;
    /// Entries with `from <= key < to`, ascending.
    fn range(&self, from: &[u8], to: &[u8]) -> Result<Vec<KvPair>, KvLogError>;
}

/// An in-memory ordered store (`Vec<u8>` keys compare unsigned, byte by byte).
#[derive(Clone, Debug, Default)]
pub struct MemKv {
    map: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl MemKv {
    /// An empty store.
    pub fn new() -> Self {
        MemKv::default()
    }
}

impl OrderedKv for MemKv {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, KvLogError> {
        Ok(self.map.get(key).cloned())
    }

    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<(), KvLogError> {
        self.map.insert(key, value);
        Ok(())
    }

    fn last_below(&self, key: &[u8]) -> Result<Option<KvPair>, KvLogError> {
        Ok(self
            .map
            .range::<[u8], _>((Bound::Unbounded, Bound::Excluded(key)))
            .next_back()
            .map(|(k, v)| (k.clone(), v.clone())))
    }

    fn range(&self, from: &[u8], to: &[u8]) -> Result<Vec<KvPair>, KvLogError> {
        if from >= to {
            return Ok(Vec::new());
        }
        Ok(self
            .map
            .range::<[u8], _>((Bound::Included(from), Bound::Excluded(to)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }
}

/// The simulator's storage as an [`OrderedKv`]: a page cache and a disk.
///
/// `SimKv` is asynchronous (a write completes some ticks after it is submitted); this
/// adapter drives its own tick forward until each operation completes, as a caller that
/// waits for every write would. Puts are buffered: they are visible at once but survive a
/// [`SimKvStore::crash`] only once [`SimKvStore::sync`] has made them durable, which is the
/// lesson of a write-ahead log on a key-value store.
#[derive(Debug)]
pub struct SimKvStore {
    kv: SimKv,
    rng: SimRng,
    now: Tick,
}

impl SimKvStore {
    /// Empty storage whose randomness (delays, failures, crash outcomes) comes from `seed`.
    pub fn new(config: StoreConfig, seed: u64) -> Self {
        SimKvStore {
            kv: SimKv::new(config),
            rng: SimRng::derive(seed, "kv-log-store"),
            now: 0,
        }
    }

    /// Run the storage until every submitted operation has completed; the first failure
    /// (an injected fault) is returned.
    fn settle(&mut self) -> Result<(), KvLogError> {
        let mut outcome = Ok(());
        while self.kv.pending() > 0 {
            self.now += 1;
            for (_, result) in self.kv.complete_due(self.now, &mut self.rng) {
                if let (Ok(()), Err(e)) = (&outcome, result) {
                    outcome = Err(KvLogError::Store(e.to_string()));
                }
            }
        }
        outcome
    }

    /// Make every put so far durable.
    pub fn sync(&mut self) -> Result<(), KvLogError> {
        self.kv.sync(self.now, &mut self.rng);
        self.settle()
    }

    /// Power loss: what was not synced is gone (by the store's crash policy).
    pub fn crash(&mut self) {
        self.kv.crash(&mut self.rng);
    }

    /// The simulated storage, for fault injection (`fail_next`, crash policy).
    pub fn sim(&mut self) -> &mut SimKv {
        &mut self.kv
    }
}

impl OrderedKv for SimKvStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, KvLogError> {
        Ok(self.kv.get(key).map(<[u8]>::to_vec))
    }

    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<(), KvLogError> {
        self.kv.write(
            self.now,
            WriteBatch::new().put(key, value),
            Durability::Buffered,
            &mut self.rng,
        );
        self.settle()
    }

    fn last_below(&self, key: &[u8]) -> Result<Option<KvPair>, KvLogError> {
        Ok(self
            .kv
            .last_below(key)
            .map(|(k, v)| (k.to_vec(), v.to_vec())))
    }

    fn range(&self, from: &[u8], to: &[u8]) -> Result<Vec<KvPair>, KvLogError> {
        if from >= to {
            return Ok(Vec::new());
        }
        Ok(self
            .kv
            .range(from, to)
            .into_iter()
            .map(|(k, v)| (k.to_vec(), v.to_vec()))
            .collect())
    }
}

fn check_log_id(log_id: &str) -> Result<(), KvLogError> {
    let bytes = log_id.as_bytes();
    if bytes.is_empty() || bytes.windows(SEPARATOR.len()).any(|w| w == SEPARATOR) {
        return Err(KvLogError::BadLogId(log_id.to_string()));
    }
    Ok(())
}

/// The key of entry `index` of log `log_id`: id bytes, `rftl`, big-endian index.
pub fn log_key(log_id: &str, index: u64) -> Vec<u8> {
    // exercise: log id bytes, then the separator, then the index as 8 big-endian bytes (so byte order = numeric order)
    // solution-begin
    let mut key = Vec::with_capacity(log_id.len() + SEPARATOR.len() + 8);
    key.extend_from_slice(log_id.as_bytes());
    key.extend_from_slice(SEPARATOR);
    key.extend_from_slice(&index.to_be_bytes());
    key
    // solution-end
}

/// The index in a key of log `log_id`, or `None` if the key belongs to anything else.
pub fn index_of_key(log_id: &str, key: &[u8]) -> Option<u64> {
    let rest = key
        .strip_prefix(log_id.as_bytes())?
        .strip_prefix(&SEPARATOR[..])?;
    let bytes: [u8; 8] = rest.try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

/// Several logs in one ordered store (the original's `LogStore`).
#[derive(Debug)]
pub struct LogStore<K: OrderedKv> {
    kv: K,
    last: BTreeMap<String, u64>,
}

impl<K: OrderedKv> LogStore<K> {
    /// Open the logs `log_ids` in `kv`, recovering each one's last index.
    pub fn open(kv: K, log_ids: &[&str]) -> Result<Self, KvLogError> {
        let mut last = BTreeMap::new();
        for log_id in log_ids {
            check_log_id(log_id)?;
            let found = kv.last_below(&log_key(log_id, u64::MAX))?;
            let index = found
                .and_then(|(key, _)| index_of_key(log_id, &key))
                .unwrap_or(0);
            last.insert(log_id.to_string(), index);
        }
        Ok(LogStore { kv, last })
    }

    /// Append `data` to `log_id`; returns its index. The index advances only if the put
    /// succeeded, so a failure leaves no gap.
    pub fn append(&mut self, log_id: &str, data: &[u8]) -> Result<u64, KvLogError> {
        let last = *self
            .last
            .get(log_id)
            .ok_or_else(|| KvLogError::UnknownLog(log_id.to_string()))?;
        let index = last + 1;
        self.kv.put(log_key(log_id, index), data.to_vec())?;
        self.last.insert(log_id.to_string(), index);
        Ok(index)
    }

    /// The last index of `log_id` (0 if empty).
    pub fn last_index(&self, log_id: &str) -> Result<u64, KvLogError> {
        self.last
            .get(log_id)
            .copied()
            .ok_or_else(|| KvLogError::UnknownLog(log_id.to_string()))
    }

    /// The entry at `index` of `log_id`.
    pub fn read(&self, log_id: &str, index: u64) -> Result<Option<Vec<u8>>, KvLogError> {
        self.last_index(log_id)?;
        self.kv.get(&log_key(log_id, index))
    }

    /// Entries `from..=last` of `log_id`, ascending.
    pub fn read_from(&self, log_id: &str, from: u64) -> Result<Vec<(u64, Vec<u8>)>, KvLogError> {
        self.last_index(log_id)?;
        let rows = self
            .kv
            .range(&log_key(log_id, from), &log_key(log_id, u64::MAX))?;
        Ok(rows
            .into_iter()
            .filter_map(|(k, v)| index_of_key(log_id, &k).map(|i| (i, v)))
            .collect())
    }

    /// Give the store back (to reopen it, as after a restart).
    pub fn into_inner(self) -> K {
        self.kv
    }
}

/// A single log in an ordered store (the original's `RocksWal`): key `wal1` + big-endian
/// index, value = the whole checksummed frame.
#[derive(Debug)]
pub struct KvWal<K: OrderedKv> {
    kv: K,
    last: u64,
}

fn wal_key(index: u64) -> Vec<u8> {
    let mut key = WAL_PREFIX.to_vec();
    key.extend_from_slice(&index.to_be_bytes());
    key
}

impl<K: OrderedKv> KvWal<K> {
    /// Open the log in `kv` (the last key is looked up safely on an empty store).
    pub fn open(kv: K) -> Result<Self, KvLogError> {
        let last = kv
            .last_below(&wal_key(u64::MAX))?
            .and_then(|(key, _)| {
                let rest = key.strip_prefix(&WAL_PREFIX[..])?;
                Some(u64::from_be_bytes(rest.try_into().ok()?))
            })
            .unwrap_or(0);
        Ok(KvWal { kv, last })
    }

    /// Append an entry; returns its index.
    pub fn append(
        &mut self,
        generation: u64,
        timestamp_ms: u64,
        data: &[u8],
    ) -> Result<u64, KvLogError> {
        let index = self.last + 1;
        let frame = Frame::data(index, generation, timestamp_ms, data.to_vec());
        self.kv.put(wal_key(index), frame.encode())?;
        self.last = index;
        Ok(index)
    }

    /// The entry at `index`, checksum verified.
    pub fn read_at(&self, index: u64) -> Result<Option<Frame>, KvLogError> {
        let Some(bytes) = self.kv.get(&wal_key(index))? else {
            return Ok(None);
        };
        // The value is in memory already, whole: no cap on the data beyond what the
        // length field can say.
        let (frame, _) = frame::decode(&bytes, u32::MAX).map_err(|e| KvLogError::Corrupt {
            index,
            reason: e.to_string(),
        })?;
        Ok(Some(frame))
    }

    /// The last index (0 if empty).
    pub fn last_index(&self) -> u64 {
        self.last
    }

    /// Give the store back (to reopen it, as after a restart).
    pub fn into_inner(self) -> K {
        self.kv
    }

    /// The last key in the store, if any.
    pub fn last_key(&self) -> Result<Option<Vec<u8>>, KvLogError> {
        Ok(self.kv.last_below(&wal_key(u64::MAX))?.map(|(k, _)| k))
    }
}
