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

use crate::messages::{Entry, Index, Term};
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

/// Every entry of `log`, in index order (index 1 first).
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

/// The term of entry `index` in `log` (0 for index 0, `None` past the end).
pub fn durable_term(log: &LogImage, index: Index) -> Option<Term> {
    if index == 0 {
        return Some(0);
    }
    log.load::<Entry>(index).ok().flatten().map(|e| e.term)
}
