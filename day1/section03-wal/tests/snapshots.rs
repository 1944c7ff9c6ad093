//! Snapshots: atomic publication, verification, and recovery from snapshot + log.

mod support;

use common::fileio::{Dir, FileIo};
use common::rng::SimRng;
use std::sync::Arc;
use support::{config, sim_fs};
use wal::snapshot::{Snapshot, SnapshotStore, snapshot_name};
use wal::{DurableKvStore, ManualClock};

fn snapshot(index: u64) -> Snapshot {
    Snapshot {
        last_index: index,
        last_generation: 2,
        payload: format!("state at {index}").into_bytes(),
    }
}

#[test]
fn a_saved_snapshot_loads_back_and_replaces_older_ones() {
    let store = SnapshotStore::new(sim_fs(1).dir("snap"));
    store.save(&snapshot(10)).expect("save");
    store.save(&snapshot(20)).expect("save");
    let (loaded, rejected) = store.load_newest().expect("load");
    assert_eq!(loaded, Some(snapshot(20)));
    assert!(rejected.is_empty());
    assert_eq!(
        store.list().expect("list"),
        vec![20],
        "the older snapshot is removed once the new one is durable"
    );
}

#[test]
fn a_flipped_byte_anywhere_in_a_snapshot_is_detected() {
    let bytes = snapshot(5).encode();
    for at in 0..bytes.len() {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x10;
        assert!(
            Snapshot::decode(&damaged).is_err(),
            "a flipped byte at {at} must be caught"
        );
    }
}

#[test]
fn a_corrupt_newest_snapshot_falls_back_to_an_older_valid_one() {
    let fs = sim_fs(2);
    let dir = fs.dir("snap");
    let store = SnapshotStore::new(dir.clone());
    store.save(&snapshot(10)).expect("save");
    // A newer snapshot file that rotted (written directly, bypassing save).
    let mut file = dir.create(&snapshot_name(20)).expect("create");
    let mut bytes = snapshot(20).encode();
    bytes[40] ^= 1;
    file.write_at(0, &bytes).expect("write");
    let (loaded, rejected) = store.load_newest().expect("load");
    assert_eq!(loaded, Some(snapshot(10)), "the newest valid snapshot wins");
    assert_eq!(rejected.len(), 1, "the rotten one is reported");
}

#[test]
fn a_power_cut_at_any_step_of_a_save_leaves_the_old_or_the_new_snapshot() {
    for step in 0..12 {
        let fs = sim_fs(100 + step);
        let dir = fs.dir("snap");
        let mut store = SnapshotStore::new(dir.clone());
        store.save(&snapshot(10)).expect("save");
        fs.cut_power_after(step);
        let _ = store.save(&snapshot(20));
        fs.crash(&mut SimRng::new(step));
        store = SnapshotStore::new(dir);
        let (loaded, _) = store.load_newest().expect("load after the crash");
        assert!(
            loaded == Some(snapshot(10)) || loaded == Some(snapshot(20)),
            "power cut after {step} operations: got {loaded:?}, expected the old or the new snapshot"
        );
    }
}

#[test]
fn a_store_recovers_from_its_snapshot_plus_the_entries_after_it() {
    let root = sim_fs(3).dir("node");
    let clock = Arc::new(ManualClock::new(1));
    let mut store =
        DurableKvStore::open_with(root.clone(), config(80), clock.clone()).expect("open");
    for i in 0..10 {
        store
            .put(&format!("k{}", i % 4), &format!("v{i}"))
            .expect("put");
    }
    let removed = store.snapshot().expect("snapshot");
    assert!(
        !removed.is_empty(),
        "segments covered by the snapshot are cleaned"
    );
    store.put("k0", "after snapshot").expect("put");
    store.put("k9", "new key").expect("put");
    let expected = store.values().clone();
    drop(store);
    let store = DurableKvStore::open_with(root, config(80), clock).expect("reopen");
    assert_eq!(
        store.values(),
        &expected,
        "snapshot + replay rebuilds the exact state"
    );
    assert!(
        store.wal().log_start_index() > 1,
        "the log no longer starts at 1"
    );
}
