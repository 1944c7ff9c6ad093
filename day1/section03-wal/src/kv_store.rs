//! A key-value store made durable by the log: log the command, fsync, then apply.

use crate::clock::{Clock, SystemClock};
use crate::command::{Command, CommandKind};
use crate::error::{Result, WalError};
use crate::log::{Config, Wal};
use crate::snapshot::{Snapshot, SnapshotStore};
use common::fileio::Dir;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A string map whose every change is in the write-ahead log before it is applied.
///
/// Layout: the log in `<dir>/wal`, snapshots in `<dir>/snapshots`. On open: load the
/// newest valid snapshot, then replay every log entry after it.
#[derive(Debug)]
pub struct DurableKvStore<D: Dir> {
    wal: Wal<D>,
    snapshots: SnapshotStore<D>,
    map: BTreeMap<String, String>,
    applied_index: u64,
}

fn apply(map: &mut BTreeMap<String, String>, command: Command) {
    match command.kind {
        CommandKind::SetValue { key, value, .. } | CommandKind::TxnSetValue { key, value, .. } => {
            map.insert(key, value);
        }
        CommandKind::Composite(commands) => {
            for command in commands {
                apply(map, command);
            }
        }
    }
}

/// Rebuild the state: the newest valid snapshot (or an empty map), then every log entry
/// after it, in order. Returns the map, the snapshot's index and the last index applied.
fn recover_state<D: Dir>(
    wal: &Wal<D>,
    snapshots: &SnapshotStore<D>,
) -> Result<(BTreeMap<String, String>, u64, u64)> {
    // exercise: start from the newest valid snapshot (or empty); replay every log entry after its last index, decoding each command and applying it in log order
    // solution-begin
    let (snapshot, _rejected) = snapshots.load_newest()?;
    let (mut map, applied) = match snapshot {
        Some(snapshot) => {
            let map: BTreeMap<String, String> =
                postcard::from_bytes(&snapshot.payload).map_err(|e| WalError::BadSnapshot {
                    name: crate::snapshot::snapshot_name(snapshot.last_index),
                    reason: e.to_string(),
                })?;
            (map, snapshot.last_index)
        }
        None => (BTreeMap::new(), 0),
    };
    if applied > wal.last_index() {
        return Err(WalError::BadSnapshot {
            name: crate::snapshot::snapshot_name(applied),
            reason: format!(
                "covers index {applied}, beyond the log's last index {}",
                wal.last_index()
            ),
        });
    }
    let mut applied_index = applied;
    for entry in wal.read_from(applied + 1)? {
        let command = Command::decode(&entry.data).map_err(|e| WalError::Decode {
            what: format!("the command at index {}", entry.index),
            reason: e.to_string(),
        })?;
        apply(&mut map, command);
        applied_index = entry.index;
    }
    Ok((map, applied, applied_index))
    // solution-end
}

impl<D: Dir> DurableKvStore<D> {
    /// Open the store in `dir` with default log settings.
    pub fn open(dir: D) -> Result<Self> {
        Self::open_with(dir, Config::default(), Arc::new(SystemClock))
    }

    /// Open the store in `dir`, recovering its state from the snapshot and the log.
    pub fn open_with(dir: D, config: Config, clock: Arc<dyn Clock>) -> Result<Self> {
        let sub = |name: &str| {
            dir.subdir(name)
                .map_err(|e| WalError::io("opening a store directory", name, e))
        };
        let wal = Wal::open_with_clock(sub("wal")?, config, clock)?;
        let snapshots = SnapshotStore::new(sub("snapshots")?);
        let (map, applied, applied_index) = recover_state(&wal, &snapshots)?;
        let mut store = DurableKvStore {
            wal,
            snapshots,
            map,
            applied_index,
        };
        store.wal.note_snapshot(applied);
        Ok(store)
    }

    /// Log the command durably, then apply it. Returns its log index.
    pub fn execute(&mut self, command: Command) -> Result<u64> {
        let bytes = command.encode().map_err(|e| WalError::Decode {
            what: "a command to encode".into(),
            reason: e.to_string(),
        })?;
        let index = self.wal.append(&bytes)?;
        apply(&mut self.map, command);
        self.applied_index = index;
        Ok(index)
    }

    /// Set `key` to `value`.
    pub fn put(&mut self, key: &str, value: &str) -> Result<u64> {
        self.execute(Command::set(key, value))
    }

    /// Set `key` to `value` within transaction `txn_id`.
    pub fn txn_put(&mut self, key: &str, value: &str, txn_id: &str) -> Result<u64> {
        self.execute(Command::txn_set(key, value, txn_id))
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.map.get(key).map(String::as_str)
    }

    /// Every key and value.
    pub fn values(&self) -> &BTreeMap<String, String> {
        &self.map
    }

    /// The last log index applied.
    pub fn applied_index(&self) -> u64 {
        self.applied_index
    }

    /// The log underneath.
    pub fn wal(&self) -> &Wal<D> {
        &self.wal
    }

    /// Write a snapshot of the state and let log cleaning drop the segments it covers.
    /// Returns the segments removed.
    pub fn snapshot(&mut self) -> Result<Vec<String>> {
        let payload = postcard::to_allocvec(&self.map).map_err(|e| WalError::Decode {
            what: "the state to snapshot".into(),
            reason: e.to_string(),
        })?;
        let last_generation = match self.applied_index {
            0 => 0,
            index => self.wal.read_at(index)?.generation,
        };
        self.snapshots.save(&Snapshot {
            last_index: self.applied_index,
            last_generation,
            payload,
        })?;
        self.wal.note_snapshot(self.applied_index);
        Ok(self.wal.maintain()?.removed)
    }

    /// Flush and close.
    pub fn close(self) -> Result<()> {
        self.wal.close()
    }
}
