//! Step 6, log cleaning and snapshots (`retention::*`, `SnapshotStore::save`): pure
//! retention decisions by age and by snapshot, `maintain`, and atomic snapshot files.

mod support;

use common::fileio::{Dir, FileIo};
use common::rng::SimRng;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{START_MS, config, open, open_with_clock, sim_dir, sim_fs};
use wal::cleaner::BackgroundCleaner;
use wal::retention::{SegmentInfo, covered_by_snapshot, expired_by_age};
use wal::snapshot::{Snapshot, SnapshotStore, snapshot_name};
use wal::{Config, ManualClock};

fn segment(base: u64, last_index: u64, max_timestamp_ms: u64) -> SegmentInfo {
    SegmentInfo {
        name: format!("wal_{base}.log"),
        base,
        last_index,
        max_timestamp_ms,
        bytes: 100,
    }
}

#[test]
fn step6_age_retention_removes_only_the_oldest_expired_prefix() {
    let saved = [
        segment(0, 2, 1_000),
        segment(2, 4, 7_000),
        segment(4, 6, 2_000),
    ];
    assert_eq!(
        expired_by_age(&saved, 10_000, 4_000),
        1,
        "segment 2 is young, so segment 3 must stay too"
    );
    assert_eq!(expired_by_age(&saved, 10_000, 500), 3);
    assert_eq!(
        expired_by_age(&saved, 10_000, 9_000),
        0,
        "age must exceed the limit"
    );
}

#[test]
fn step6_age_retention_never_deletes_because_the_clock_went_backwards() {
    let saved = [segment(0, 2, 50_000), segment(2, 4, 60_000)];
    assert_eq!(
        expired_by_age(&saved, 1_000, 0),
        0,
        "a timestamp in the future means age 0, not a huge age"
    );
}

#[test]
fn step6_snapshot_retention_removes_segments_whose_last_index_is_covered() {
    let saved = [segment(0, 2, 0), segment(2, 4, 0), segment(4, 6, 0)];
    assert_eq!(
        covered_by_snapshot(&saved, 4),
        2,
        "last index ≤ snapshot index is covered"
    );
    assert_eq!(covered_by_snapshot(&saved, 3), 1);
    assert_eq!(covered_by_snapshot(&saved, 0), 0);
}

#[test]
fn step6_maintain_removes_expired_saved_segments_but_never_the_open_one() {
    let clock = ManualClock::new(START_MS);
    let mut wal = open_with_clock(
        sim_dir(1),
        Config {
            max_age_ms: Some(1_000),
            ..config(50)
        },
        clock.clone(),
    );
    for i in 1..=5u64 {
        wal.append(format!("e{i}").as_bytes()).expect("append");
    }
    assert_eq!(wal.segments().len(), 3);
    assert!(
        wal.maintain().expect("maintain").removed.is_empty(),
        "nothing is old yet"
    );
    clock.advance_ms(10_000);
    let removed = wal.maintain().expect("maintain").removed;
    assert_eq!(removed.len(), 2, "both saved segments expired");
    assert_eq!(
        wal.segments().len(),
        1,
        "the open segment stays however old it is"
    );
    assert_eq!(wal.log_start_index(), 5);
    assert_eq!(wal.last_index(), 5);
    assert_eq!(
        wal.append(b"next").expect("append"),
        6,
        "indices continue after cleaning"
    );
}

#[test]
fn step6_maintain_with_a_clock_that_went_backwards_removes_nothing() {
    let clock = ManualClock::new(START_MS);
    let mut wal = open_with_clock(
        sim_dir(2),
        Config {
            max_age_ms: Some(1_000),
            ..config(50)
        },
        clock.clone(),
    );
    for i in 1..=5u64 {
        wal.append(format!("e{i}").as_bytes()).expect("append");
    }
    clock.advance_ms(-100_000);
    assert!(
        wal.maintain().expect("maintain").removed.is_empty(),
        "a clock stepping back deletes nothing"
    );
}

#[test]
fn step6_cleaned_segments_stay_gone_after_a_reopen_and_reads_start_at_the_new_first_index() {
    let dir = sim_dir(3);
    let clock = ManualClock::new(START_MS);
    let mut wal = open_with_clock(dir.clone(), config(50), clock.clone());
    for i in 1..=9u64 {
        wal.append(format!("e{i}").as_bytes()).expect("append");
    }
    wal.note_snapshot(6);
    assert_eq!(wal.maintain().expect("maintain").removed.len(), 3);
    drop(wal);
    let wal = open_with_clock(dir, config(50), clock);
    assert_eq!(wal.log_start_index(), 7);
    assert!(!wal.is_empty());
    assert!(
        wal.read_from(1).is_err(),
        "reading cleaned entries is an error, not a silent gap"
    );
    let indices: Vec<u64> = wal
        .read_from(7)
        .expect("read")
        .iter()
        .map(|e| e.index)
        .collect();
    assert_eq!(indices, vec![7, 8, 9]);
}

/// A log in `dir` of seven entries in four segments of 50 bytes, whose three saved
/// segments have expired (1 s of age allowed, 5 s gone by), shared as a cleaner needs it.
fn log_with_three_expired_segments(
    dir: common::fileio::SimDir,
) -> Arc<Mutex<wal::Wal<common::fileio::SimDir>>> {
    let clock = ManualClock::new(START_MS);
    let mut wal = open_with_clock(
        dir,
        Config {
            max_age_ms: Some(1_000),
            ..config(50)
        },
        clock.clone(),
    );
    for i in 1..=7u64 {
        wal.append(format!("e{i}").as_bytes()).expect("append");
    }
    clock.advance_ms(5_000);
    Arc::new(Mutex::new(wal))
}

#[test]
fn step6_the_background_cleaner_runs_maintain_until_stopped() {
    let wal = log_with_three_expired_segments(sim_dir(4));
    let cleaner = BackgroundCleaner::start(Arc::clone(&wal), Duration::from_millis(1));
    wait_until(|| cleaner.stats().segments_removed() >= 3);
    assert_eq!(
        cleaner.stats().segments_removed(),
        3,
        "the three saved segments expired"
    );
    assert_eq!(
        cleaner.stats().errors(),
        0,
        "no run failed: {:?}",
        cleaner.stats().last_error()
    );
    cleaner.stop();
    let wal = wal.lock().expect("lock");
    assert_eq!(wal.segments().len(), 1);
}

/// Wait, at most two seconds of real time, until `done` holds (the cleaner is a real
/// thread on real time).
fn wait_until(done: impl Fn() -> bool) {
    for _ in 0..2_000 {
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A run that fails is counted and remembered, and the task goes on. The power is gone,
/// so the first run cannot remove an expired segment; the log then refuses every call,
/// as after any failed write, so each later run fails too.
#[test]
fn step6_the_background_cleaner_counts_and_remembers_failed_runs_and_keeps_running() {
    let fs = sim_fs(4);
    let wal = log_with_three_expired_segments(fs.dir("node/wal"));
    fs.cut_power_after(0);
    let cleaner = BackgroundCleaner::start(Arc::clone(&wal), Duration::from_millis(1));
    let stats = cleaner.stats();
    wait_until(|| stats.errors() >= 3 && stats.runs() >= 3);
    assert!(
        stats.errors() >= 3,
        "the failed run and the ones after it are counted, got {}",
        stats.errors()
    );
    assert!(
        stats.runs() >= 3,
        "a failed run is a run, and the task kept running: {} runs",
        stats.runs()
    );
    assert_eq!(
        stats.segments_removed(),
        0,
        "the failed run reports no removal"
    );
    let last = stats.last_error().expect("the last failure is remembered");
    assert!(
        last.contains("removing a cleaned segment"),
        "the last failure names the failed step, got {last:?}"
    );
    cleaner.stop();
}

/// Stopping the cleaner ends its thread, which drops its handle on the log: the caller
/// holds the only one again and can take the log back and close it. Dropping the cleaner
/// without `stop` does the same.
#[test]
fn step6_a_stopped_or_dropped_cleaner_lets_go_of_the_log() {
    for how in ["stop", "drop"] {
        let wal = Arc::new(Mutex::new(open(sim_dir(4), config(50))));
        let cleaner = BackgroundCleaner::start(Arc::clone(&wal), Duration::from_millis(1));
        if how == "stop" {
            cleaner.stop();
        } else {
            drop(cleaner);
        }
        assert_eq!(
            Arc::strong_count(&wal),
            1,
            "after {how}, the cleaner's thread has ended and dropped its handle"
        );
        let wal = Arc::try_unwrap(wal).expect("the only handle");
        wal.into_inner()
            .expect("the lock was never poisoned")
            .close()
            .expect("the log closes");
    }
}

fn snapshot(index: u64) -> Snapshot {
    Snapshot {
        last_index: index,
        last_generation: 2,
        payload: format!("state at {index}").into_bytes(),
    }
}

#[test]
fn step6_a_saved_snapshot_loads_back_and_replaces_older_ones() {
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

/// A snapshot file is at least its 32 fixed bytes and its 4-byte checksum: every shorter
/// file is refused as too short (not read past its end), and a snapshot of an empty state
/// is exactly that long and loads.
#[test]
fn a_snapshot_shorter_than_its_fixed_fields_is_refused_and_an_empty_one_loads() {
    let empty = Snapshot {
        last_index: 3,
        last_generation: 1,
        payload: Vec::new(),
    };
    let bytes = empty.encode();
    assert_eq!(bytes.len(), 36, "32 fixed bytes and a checksum");
    assert_eq!(
        Snapshot::decode(&bytes),
        Ok(empty),
        "an empty payload loads"
    );
    for len in 0..bytes.len() {
        let error = Snapshot::decode(&bytes[..len]).expect_err("cut short");
        assert!(error.contains("too short"), "{len} bytes: {error}");
    }
}

/// A snapshot file's name and contents must agree on its index: one named for index 30
/// that holds index 40 is rejected, and the newest snapshot that agrees is used. Names
/// are digits only.
#[test]
fn step6_a_snapshot_whose_index_differs_from_its_name_is_rejected() {
    let fs = sim_fs(3);
    let dir = fs.dir("snap");
    let store = SnapshotStore::new(dir.clone());
    store.save(&snapshot(10)).expect("save");
    let mut file = dir.create(&snapshot_name(30)).expect("create");
    file.write_at(0, &snapshot(40).encode()).expect("write");
    file.sync().expect("sync");
    let mut stray = dir.create("snapshot_+50.snap").expect("create");
    stray.write_at(0, &snapshot(50).encode()).expect("write");
    stray.sync().expect("sync");
    let (loaded, rejected) = store.load_newest().expect("load");
    assert_eq!(
        loaded,
        Some(snapshot(10)),
        "the newest that agrees with its name"
    );
    assert_eq!(
        rejected,
        vec![format!(
            "{}: index does not match its name",
            snapshot_name(30)
        )],
        "the one named 30 holds 40; `snapshot_+50.snap` is not a snapshot's name"
    );
}

#[test]
fn step6_a_corrupt_newest_snapshot_falls_back_to_an_older_valid_one() {
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
fn step6_a_power_cut_at_any_step_of_a_save_leaves_the_old_or_the_new_snapshot() {
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

/// Bug 9: entries read back carried the read time, so age-based cleaning never deleted.
#[test]
fn step6_bug_09_reads_keep_the_stored_timestamp_so_age_based_cleaning_deletes() {
    let clock = ManualClock::new(START_MS);
    let mut wal = open_with_clock(
        sim_dir(9),
        Config {
            max_age_ms: Some(60_000),
            ..config(50)
        },
        clock.clone(),
    );
    for i in 1..=6u64 {
        wal.append(format!("e{i}").as_bytes()).expect("append");
    }
    clock.advance_ms(3_600_000);
    assert_eq!(
        wal.read_at(1).expect("read").timestamp_ms,
        START_MS,
        "the stored time, not now"
    );
    let removed = wal.maintain().expect("maintain").removed;
    assert_eq!(
        removed.len(),
        2,
        "both saved segments are an hour old and must go"
    );
    assert_eq!(wal.log_start_index(), 5);
}

/// Bug 10: removing a segment compared boxed longs by identity, so a base of 128 or more
/// was never found and the cleaner died.
#[test]
fn step6_bug_10_segments_with_a_base_of_128_or_more_are_cleaned() {
    let mut wal = open(sim_dir(10), config(50));
    for i in 1..=300u64 {
        wal.append(format!("e{i}").as_bytes()).expect("append");
    }
    wal.note_snapshot(290);
    let removed = wal
        .maintain()
        .expect("cleaning past base 128 must work")
        .removed;
    assert_eq!(
        removed.len(),
        145,
        "every segment whose entries are all ≤ 290"
    );
    assert_eq!(wal.log_start_index(), 291);
    let indices: Vec<u64> = wal
        .read_all()
        .expect("read")
        .iter()
        .map(|e| e.index)
        .collect();
    assert_eq!(indices, (291..=300).collect::<Vec<_>>());
    assert!(wal.exists(291) && !wal.exists(290));
}
