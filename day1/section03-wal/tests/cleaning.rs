//! Log cleaning: pure retention policies, `maintain()`, and the optional background task.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{START_MS, config, open_with_clock, sim_dir};
use wal::cleaner::BackgroundCleaner;
use wal::retention::{SegmentInfo, covered_by_snapshot, expired_by_age};
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
fn age_retention_removes_only_the_oldest_expired_prefix() {
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
fn age_retention_never_deletes_because_the_clock_went_backwards() {
    let saved = [segment(0, 2, 50_000), segment(2, 4, 60_000)];
    assert_eq!(
        expired_by_age(&saved, 1_000, 0),
        0,
        "a timestamp in the future means age 0, not a huge age"
    );
}

#[test]
fn snapshot_retention_removes_segments_whose_last_index_is_covered() {
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
fn maintain_removes_expired_saved_segments_but_never_the_open_one() {
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
fn maintain_with_a_clock_that_went_backwards_removes_nothing() {
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
fn cleaned_segments_stay_gone_after_a_reopen_and_reads_start_at_the_new_first_index() {
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

#[test]
fn the_background_cleaner_runs_maintain_until_stopped() {
    let clock = ManualClock::new(START_MS);
    let mut wal = open_with_clock(
        sim_dir(4),
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
    let wal = Arc::new(Mutex::new(wal));
    let cleaner = BackgroundCleaner::start(Arc::clone(&wal), Duration::from_millis(1));
    // Real thread, real time: wait (bounded) for the first runs.
    for _ in 0..2_000 {
        if cleaner.stats().segments_removed() >= 3 {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
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
