//! Snapshots: the state machine's state at some log index, so the log before it can go.
//!
//! File `snapshot_<last_index, 20 digits>.snap`, big-endian:
//!
//! | Offset | Size | Field |
//! |---|---|---|
//! | 0 | 4 | magic `WSNP` |
//! | 4 | 4 | format version (1) |
//! | 8 | 8 | `last_index`: the last log entry the state includes |
//! | 16 | 8 | `last_generation`: that entry's generation |
//! | 24 | 8 | `payload_len` N |
//! | 32 | N | payload (the serialised state) |
//! | 32 + N | 4 | CRC-32 of every byte before it |
//!
//! A snapshot is written to a temporary file, fsynced, renamed into place and the
//! directory fsynced: a crash leaves either the old set of snapshots or the new one, never
//! a half-written file under a snapshot name. Recovery loads the newest snapshot that
//! verifies and replays the log entries after its `last_index`.

use crate::error::{Result, WalError};
use common::fileio::{Dir, FileIo};

const MAGIC: &[u8; 4] = b"WSNP";
const VERSION: u32 = 1;
const FIXED_BYTES: usize = 32;

/// A state machine's state up to and including `last_index`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The last log index applied to the state.
    pub last_index: u64,
    /// The generation of that entry.
    pub last_generation: u64,
    /// The serialised state.
    pub payload: Vec<u8>,
}

/// The file name of a snapshot at `last_index`.
pub fn snapshot_name(last_index: u64) -> String {
    format!("snapshot_{last_index:020}.snap")
}

fn parse_snapshot_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("snapshot_")?.strip_suffix(".snap")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

impl Snapshot {
    /// The file bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(FIXED_BYTES + self.payload.len() + 4);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_be_bytes());
        out.extend_from_slice(&self.last_index.to_be_bytes());
        out.extend_from_slice(&self.last_generation.to_be_bytes());
        out.extend_from_slice(&(self.payload.len() as u64).to_be_bytes());
        out.extend_from_slice(&self.payload);
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_be_bytes());
        out
    }

    /// Parse and verify file bytes; the error says what is wrong.
    pub fn decode(bytes: &[u8]) -> std::result::Result<Snapshot, String> {
        if bytes.len() < FIXED_BYTES + 4 {
            return Err(format!(
                "only {} bytes, too short for a snapshot",
                bytes.len()
            ));
        }
        if &bytes[..4] != MAGIC {
            return Err("bad magic".into());
        }
        let u64_at = |at: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[at..at + 8]);
            u64::from_be_bytes(b)
        };
        let version = u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
        if version != VERSION {
            return Err(format!("unknown format version {version}"));
        }
        let payload_len = u64_at(24);
        if payload_len != (bytes.len() - FIXED_BYTES - 4) as u64 {
            return Err(format!(
                "payload length {payload_len} does not match the file size {}",
                bytes.len()
            ));
        }
        let end = bytes.len() - 4;
        let stored =
            u32::from_be_bytes([bytes[end], bytes[end + 1], bytes[end + 2], bytes[end + 3]]);
        let computed = crc32fast::hash(&bytes[..end]);
        if stored != computed {
            return Err(format!(
                "checksum mismatch: stored {stored:#010x}, computed {computed:#010x}"
            ));
        }
        Ok(Snapshot {
            last_index: u64_at(8),
            last_generation: u64_at(16),
            payload: bytes[FIXED_BYTES..end].to_vec(),
        })
    }
}

/// Snapshots in one directory.
#[derive(Clone, Debug)]
pub struct SnapshotStore<D: Dir> {
    dir: D,
}

fn io(action: &str, name: &str) -> impl FnOnce(std::io::Error) -> WalError {
    let (action, name) = (action.to_string(), name.to_string());
    move |e| WalError::io(action, name, e)
}

impl<D: Dir> SnapshotStore<D> {
    /// Snapshots kept in `dir`.
    pub fn new(dir: D) -> Self {
        SnapshotStore { dir }
    }

    /// Write `snapshot` atomically (temporary file, fsync, rename, directory fsync), then
    /// remove older snapshots. Returns the file name.
    pub fn save(&self, snapshot: &Snapshot) -> Result<String> {
        // exercise: write the encoded snapshot to a temporary file and fsync it; rename it into place and fsync the directory; only then delete older snapshots
        // solution-begin
        let name = snapshot_name(snapshot.last_index);
        let temp = format!("{name}.tmp");
        if self
            .dir
            .exists(&temp)
            .map_err(io("listing snapshots", &temp))?
        {
            self.dir
                .remove(&temp)
                .map_err(io("removing a stale temporary file", &temp))?;
        }
        let mut file = self.dir.create(&temp).map_err(io("creating", &temp))?;
        file.write_at(0, &snapshot.encode())
            .and_then(|()| file.sync())
            .map_err(io("writing", &temp))?;
        drop(file);
        self.dir
            .rename(&temp, &name)
            .and_then(|()| self.dir.sync())
            .map_err(io("publishing", &name))?;
        for old in self.list()? {
            if old < snapshot.last_index {
                let old_name = snapshot_name(old);
                self.dir
                    .remove(&old_name)
                    .map_err(io("removing", &old_name))?;
            }
        }
        self.dir
            .sync()
            .map_err(io("syncing the directory of", &name))?;
        Ok(name)
        // solution-end
    }

    /// The indices of the snapshot files present, ascending.
    pub fn list(&self) -> Result<Vec<u64>> {
        let names = self
            .dir
            .list()
            .map_err(io("listing snapshots", &self.dir.describe()))?;
        let mut indices: Vec<u64> = names
            .iter()
            .filter_map(|n| parse_snapshot_name(n))
            .collect();
        indices.sort_unstable();
        Ok(indices)
    }

    /// The newest snapshot that verifies, and the names of newer ones that did not.
    pub fn load_newest(&self) -> Result<(Option<Snapshot>, Vec<String>)> {
        let mut rejected = Vec::new();
        for index in self.list()?.into_iter().rev() {
            let name = snapshot_name(index);
            let file = self.dir.open(&name).map_err(io("opening", &name))?;
            let len = file.len().map_err(io("sizing", &name))?;
            let mut bytes = vec![0u8; len as usize];
            file.read_exact_at(0, &mut bytes)
                .map_err(io("reading", &name))?;
            match Snapshot::decode(&bytes) {
                Ok(snapshot) if snapshot.last_index == index => {
                    return Ok((Some(snapshot), rejected));
                }
                Ok(_) => rejected.push(format!("{name}: index does not match its name")),
                Err(reason) => rejected.push(format!("{name}: {reason}")),
            }
        }
        Ok((None, rejected))
    }
}
