//! How a node lays out its durable state in `common`'s key-value store.
//!
//! ## One record per slot, under an ordered key
//!
//! Each slot's acceptor state — its promise, the proposal it accepted, and the value
//! once committed — is one [`SlotRecord`], stored under `paxoslog/slot/` followed by the
//! slot number as eight **big-endian** bytes. Big-endian makes byte order numeric order,
//! so a range scan of the prefix returns the slots in log order: that is how a node
//! rebuilds its log at start-up (option 2 of the Java section's design note, the layout
//! of Dragonboat, CockroachDB and TiKV). The proposer's round reservation lives under
//! [`ROUNDS_KEY`].
//!
//! A record is written whole, from memory, on every change (memory is never behind the
//! disk), with a sync, and the reply that depends on it is sent from the write's
//! callback. One slot's writes complete in the order they were issued, so the last one
//! issued is the one on disk.
//!
//! ## Why not `common`'s append-only log?
//!
//! The store also offers a durable log (append, truncate a suffix, discard a prefix).
//! It fits a protocol whose entries arrive *in order* — a Raft follower, a Multi-Paxos
//! leader's stream — and it does not fit this one:
//! * slots are decided **out of order** and concurrently: a node promises and accepts in
//!   slot 7 while slot 5 is still open, and learns slot 9's commit before slot 8's;
//! * a slot's record changes several times (promise, accept, commit), and a log entry
//!   cannot be rewritten in place;
//! * an append carries no index, so if one append failed and a later one succeeded, the
//!   later entry would silently take the earlier one's position: every append would have
//!   to wait for the one before it.
//!
//! Ordered keys give random access per slot, a range scan for recovery, and an atomic
//! [`common::WriteBatch`] when a catch-up reply commits many slots at once. What they do
//! not give is compaction: the records of executed slots stay for ever (see "What this
//! section leaves out" in the crate documentation).

use crate::messages::{Ballot, Proposal, Slot, Value};
use common::{StoreError, StoreImage};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The prefix of every slot record's key.
pub const SLOT_PREFIX: &[u8] = b"paxoslog/slot/";
/// One past the last key of the slot prefix (`'/' + 1 == '0'`), for range scans.
const SLOT_PREFIX_END: &[u8] = b"paxoslog/slot0";
/// Storage key of the proposer's durable round reservation.
pub const ROUNDS_KEY: &str = "paxoslog/rounds";

/// Everything an acceptor must remember about one slot across a crash.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SlotRecord {
    /// The highest ballot promised for this slot. Never decreases.
    pub promised: Ballot,
    /// The highest-ballot proposal accepted in this slot, if any. Its ballot never
    /// exceeds `promised`.
    pub accepted: Option<Proposal>,
    /// The value this node learned was chosen for the slot, if any. Never changes once
    /// set; from then on the slot answers every proposer `Decided`.
    pub committed: Option<Value>,
}

/// The key of `slot`'s record: the prefix, then the slot as big-endian bytes.
pub fn slot_key(slot: Slot) -> Vec<u8> {
    let mut key = Vec::with_capacity(SLOT_PREFIX.len() + 8);
    key.extend_from_slice(SLOT_PREFIX);
    key.extend_from_slice(&slot.to_be_bytes());
    key
}

/// The slot a record key names, or `None` if it is not a slot key.
pub fn slot_of_key(key: &[u8]) -> Option<Slot> {
    let bytes: [u8; 8] = key.strip_prefix(SLOT_PREFIX)?.try_into().ok()?;
    Some(Slot::from_be_bytes(bytes))
}

/// Every slot record in `image`, in slot order: what a node rebuilds its log from.
pub fn load_slots(image: &StoreImage) -> Result<BTreeMap<Slot, SlotRecord>, StoreError> {
    let mut slots = BTreeMap::new();
    for (key, bytes) in image.range(SLOT_PREFIX, SLOT_PREFIX_END) {
        let slot = slot_of_key(key).ok_or_else(|| StoreError::Decode {
            key: String::from_utf8_lossy(key).into_owned(),
            reason: "not a slot key: the slot number must be eight bytes".into(),
        })?;
        slots.insert(slot, common::store::decode(key, bytes)?);
    }
    Ok(slots)
}

/// The record of `slot` in `image`, if one was written.
pub fn load_slot(image: &StoreImage, slot: Slot) -> Result<Option<SlotRecord>, StoreError> {
    image.load(slot_key(slot))
}

/// The records of the slots from `from` on, in slot order (for invariants that look at
/// the undecided end of a node's log only).
pub fn load_slots_from(
    image: &StoreImage,
    from: Slot,
) -> Result<Vec<(Slot, SlotRecord)>, StoreError> {
    let mut slots = Vec::new();
    for (key, bytes) in image.range(slot_key(from), SLOT_PREFIX_END) {
        if let Some(slot) = slot_of_key(key) {
            slots.push((slot, common::store::decode(key, bytes)?));
        }
    }
    Ok(slots)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store whose durable image holds `records`.
    fn image_with(records: &[(Slot, SlotRecord)]) -> common::SimKv {
        let mut store = common::SimKv::new(common::StoreConfig::default());
        let mut batch = common::WriteBatch::new();
        for (slot, record) in records {
            let bytes = common::store::encode(record).expect("a slot record encodes");
            batch = batch.put(slot_key(*slot), bytes);
        }
        store.write_to_disk(batch).expect("puts always fit");
        store
    }

    #[test]
    fn the_records_from_a_slot_on_load_in_slot_order_and_none_before_it() {
        let records: Vec<(Slot, SlotRecord)> = (1..=3)
            .map(|slot| {
                let record = SlotRecord {
                    promised: Ballot::new(slot, "athens"),
                    ..SlotRecord::default()
                };
                (slot, record)
            })
            .collect();
        let store = image_with(&records);
        assert_eq!(
            load_slots_from(store.durable(), 2).expect("the records decode"),
            records[1..].to_vec(),
            "slots 2 and 3, in order, and not slot 1"
        );
        assert_eq!(
            load_slots(store.durable())
                .expect("the records decode")
                .len(),
            3,
            "every slot record loads"
        );
    }

    #[test]
    fn a_slot_key_names_its_slot() {
        for slot in [0, 1, 255, 256, u64::MAX] {
            assert_eq!(
                slot_of_key(&slot_key(slot)),
                Some(slot),
                "slot {slot}'s key must name slot {slot}"
            );
        }
        assert_eq!(
            slot_of_key(ROUNDS_KEY.as_bytes()),
            None,
            "the round reservation is not a slot"
        );
        assert_eq!(
            slot_of_key(b"paxoslog/slot/abc"),
            None,
            "a key with a short slot number is not a slot key"
        );
    }

    #[test]
    fn slot_keys_sort_in_slot_order() {
        assert!(
            slot_key(255) < slot_key(256),
            "big-endian keys sort numerically"
        );
        assert!(
            slot_key(u64::MAX).as_slice() < SLOT_PREFIX_END,
            "every slot key must fall inside the range scan's upper bound"
        );
        assert!(
            SLOT_PREFIX < slot_key(0).as_slice(),
            "every slot key must fall inside the range scan's lower bound"
        );
    }
}
