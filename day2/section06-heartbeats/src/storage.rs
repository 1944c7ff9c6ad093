//! What a node keeps on disk, and under which keys.
//!
//! * the promise, one ballot for the whole log, under [`PROMISE_KEY`];
//! * one [`SlotRecord`] per slot — the proposal accepted there and the committed value —
//!   under `heartbeats/slot/` followed by the slot number as eight big-endian bytes, so
//!   a range scan returns the slots in log order at start-up.
//!
//! Every write is synced, and the reply that depends on it is sent from the write's
//! callback: a node never announces a promise, an acceptance or a commit it could
//! forget in a crash.

use crate::messages::{Ballot, Proposal, Slot, Value};
use common::{StoreError, StoreImage};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The prefix of every slot record's key.
pub const SLOT_PREFIX: &[u8] = b"heartbeats/slot/";
/// One past the last key of the slot prefix (`'/' + 1 == '0'`), for range scans.
const SLOT_PREFIX_END: &[u8] = b"heartbeats/slot0";
/// Storage key of the acceptor's promise.
pub const PROMISE_KEY: &str = "heartbeats/promise";

/// Everything a node must remember about one slot across a crash.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SlotRecord {
    /// The highest-ballot proposal accepted in this slot, if any.
    pub accepted: Option<Proposal>,
    /// The value this node learned was chosen for the slot. Never changes once set.
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

/// Every slot record in `image`, in slot order.
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

/// The records of the slots from `from` on, in slot order (for checks that look at the
/// undecided end of a node's log only).
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

/// The durable promise in `image` (the zero ballot if none was written).
pub fn load_promise(image: &StoreImage) -> Result<Ballot, StoreError> {
    Ok(image.load(PROMISE_KEY)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store whose durable image holds `records` (and `promise`, if any).
    fn image_with(records: &[(Slot, SlotRecord)], promise: Option<&Ballot>) -> common::SimKv {
        let mut store = common::SimKv::new(common::StoreConfig::default());
        let mut batch = common::WriteBatch::new();
        for (slot, record) in records {
            let bytes = common::store::encode(record).expect("a slot record encodes");
            batch = batch.put(slot_key(*slot), bytes);
        }
        if let Some(promise) = promise {
            let bytes = common::store::encode(promise).expect("a ballot encodes");
            batch = batch.put(PROMISE_KEY, bytes);
        }
        store.write_to_disk(batch).expect("puts always fit");
        store
    }

    #[test]
    fn the_records_from_a_slot_on_load_in_slot_order_and_none_before_it() {
        let records: Vec<(Slot, SlotRecord)> = (1..=3)
            .map(|slot| {
                let record = SlotRecord {
                    accepted: Some(Proposal {
                        ballot: Ballot::new(slot, "athens"),
                        value: Value::NoOp,
                    }),
                    committed: None,
                };
                (slot, record)
            })
            .collect();
        let store = image_with(&records, None);
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
    fn the_durable_promise_loads_and_is_the_zero_ballot_before_any() {
        let fresh = image_with(&[], None);
        assert_eq!(
            load_promise(fresh.durable()).expect("nothing to decode"),
            Ballot::default(),
            "a node that never promised holds the zero ballot"
        );
        let promised = Ballot::new(7, "byzantium");
        let store = image_with(&[], Some(&promised));
        assert_eq!(
            load_promise(store.durable()).expect("the promise decodes"),
            promised,
            "the written promise is the one loaded"
        );
    }

    #[test]
    fn a_slot_key_names_its_slot_and_sorts_in_slot_order() {
        for slot in [0, 1, 255, 256, u64::MAX] {
            assert_eq!(
                slot_of_key(&slot_key(slot)),
                Some(slot),
                "slot {slot}'s key must name it"
            );
        }
        assert!(
            slot_key(255) < slot_key(256),
            "big-endian keys sort numerically"
        );
        assert!(
            slot_key(u64::MAX).as_slice() < SLOT_PREFIX_END,
            "every slot key must fall inside the range scan's upper bound"
        );
        assert_eq!(
            slot_of_key(PROMISE_KEY.as_bytes()),
            None,
            "the promise is not a slot"
        );
    }
}
