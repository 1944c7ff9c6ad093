//! What a node keeps on disk, and where.
//!
//! Raft's persistent state is three things (Figure 2): the current term, the vote cast
//! in it, and the log. This section keeps all three in the kit's key-value and log store
//! ([`common::SimKv`]):
//! * the term and the vote together, as one [`HardState`] under [`HARD_STATE_KEY`];
//! * the log in the store's own log, entry `i` at log index `i`, each a postcard-encoded
//!   [`Entry`].
//!
//! Every change goes through one [`common::WriteBatch`], applied whole or not at all: a
//! follower that meets a new term and a conflicting suffix writes the new term, the
//! truncation and the new entries in one batch, so a crash can never leave it with the
//! new entries but the old term, or half a suffix.
//!
//! With log compaction (step 5) the store's log also holds a snapshot: a
//! postcard-encoded [`SnapshotData`] covering the log through its `last_index`, whose
//! entries are discarded in the same batch that writes it. The log then starts at
//! `last_index + 1`, and a restarted node starts from the snapshot plus that suffix.

use crate::membership::Configuration;
use crate::messages::{Entry, Index, Term};
use crate::state_machine::StateMachine;
use common::{LogImage, ProcessId, StoreError, StoreImage};
use serde::{Deserialize, Serialize};

/// Storage key of the term and vote.
pub const HARD_STATE_KEY: &str = "raft/hard_state";

/// The term and the vote cast in it: what a node must never forget, or it could vote
/// twice in one term.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HardState {
    /// The latest term this node has seen.
    pub term: Term,
    /// The candidate it voted for in `term`, if any.
    pub voted_for: Option<ProcessId>,
}

/// The hard state in `image` (term 0 and no vote if none was written).
pub fn load_hard_state(image: &StoreImage) -> Result<HardState, StoreError> {
    Ok(image.load(HARD_STATE_KEY)?.unwrap_or_default())
}

/// A snapshot: the state machine after applying every entry through `last_index`, the
/// term of that entry (what the consistency check of the next AppendEntries needs), and
/// the configuration in force at `last_index` (step 6: the entry that set it may be
/// among the discarded ones).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SnapshotData {
    /// The last index the snapshot covers.
    pub last_index: Index,
    /// The term of the entry at `last_index`.
    pub last_term: Term,
    /// The key-value store and the client sessions as of `last_index`.
    pub state_machine: StateMachine,
    /// The latest configuration at or before `last_index`, and the index of the entry
    /// that set it (0: the bootstrap configuration).
    pub configuration: (Index, Configuration),
}

impl SnapshotData {
    /// The snapshot's bytes, as stored and sent.
    pub fn encode(&self) -> Result<Vec<u8>, StoreError> {
        common::store::encode(self)
    }

    /// Decode a snapshot; a snapshot that does not decode, or whose state machine does
    /// not stop at its `last_index`, is an error, never a silently empty store.
    pub fn decode(bytes: &[u8]) -> Result<Self, StoreError> {
        let data: SnapshotData = common::store::decode(b"raft/snapshot", bytes)?;
        if data.state_machine.last_index() != data.last_index {
            return Err(StoreError::Decode {
                key: "raft/snapshot".into(),
                reason: format!(
                    "a snapshot through index {} holds a store applied through {}",
                    data.last_index,
                    data.state_machine.last_index()
                ),
            });
        }
        Ok(data)
    }
}

/// The snapshot in `log`, decoded, if one was installed.
pub fn load_snapshot(log: &LogImage) -> Result<Option<SnapshotData>, StoreError> {
    log.snapshot()
        .map(|snapshot| {
            let data = SnapshotData::decode(&snapshot.data)?;
            if data.last_index != snapshot.last_index {
                return Err(StoreError::Decode {
                    key: "raft/snapshot".into(),
                    reason: format!(
                        "the log's snapshot is at index {}, its data says {}",
                        snapshot.last_index, data.last_index
                    ),
                });
            }
            Ok(data)
        })
        .transpose()
}

/// Every retained entry of `log`, in index order (`log.first_index()` first).
pub fn load_log(log: &LogImage) -> Result<Vec<Entry>, StoreError> {
    let mut entries = Vec::with_capacity(log.len());
    for index in log.first_index()..=log.last_index() {
        match log.load::<Entry>(index)? {
            Some(entry) => entries.push(entry),
            None => {
                return Err(StoreError::Decode {
                    key: format!("log[{index}]"),
                    reason: "missing entry inside the log's range".into(),
                });
            }
        }
    }
    Ok(entries)
}
