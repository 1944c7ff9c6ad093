//! The behaviours of the original log's tests, ported as scenarios. Each generic scenario
//! runs on the simulated disk and on real files in a temporary directory.

mod support;

use common::fileio::Dir;
use support::{config, open, payload};
use wal::{Config, EntryType, WalError};

fn text(len: usize, tag: u64) -> Vec<u8> {
    let mut bytes = format!("entry-{tag:02}-").into_bytes();
    bytes.resize(len, b'x');
    bytes
}

fn segment_names<D: Dir>(wal: &wal::Wal<D>) -> Vec<String> {
    wal.segments().into_iter().map(|s| s.name).collect()
}

/// max 100 B, five 33-byte entries (73-byte frames): `wal_0`{1,2}, `wal_2`{3,4}, open `wal_4`{5}.
fn read_at_reads_from_saved_segments<D: Dir>(dir: D) {
    let mut wal = open(dir, config(100));
    let written: Vec<Vec<u8>> = (1..=5).map(|i| text(33, i)).collect();
    for data in &written {
        wal.append(data).expect("append");
    }
    assert!(
        wal.saved_segment_count() >= 1,
        "five 73-byte frames must roll a 100-byte segment"
    );
    assert_eq!(
        wal.segments().len(),
        3,
        "layout wal_0{{1,2}}, wal_2{{3,4}}, wal_4{{5}}"
    );
    assert_eq!(
        wal.read_at(1).expect("entry 1").data,
        written[0],
        "entry 1 must come back byte for byte"
    );
    assert_eq!(wal.read_at(3).expect("entry 3").index, 3);
}

fn truncate_inside_open_segment_only<D: Dir>(dir: D) {
    let mut wal = open(dir, config(10 * 1024));
    for i in 1..=5 {
        wal.append(&text(20, i)).expect("append");
    }
    assert_eq!(
        wal.saved_segment_count(),
        0,
        "five small entries fit one segment"
    );
    assert_eq!(wal.read_all().expect("read").len(), 5);
    wal.truncate(3).expect("truncate");
    assert!(
        wal.exists(1) && wal.exists(2),
        "entries before the cut stay"
    );
    assert!(
        (3..=5).all(|i| !wal.exists(i)),
        "the cut is inclusive: 3, 4 and 5 are gone"
    );
    assert_eq!(wal.read_all().expect("read").len(), 2);
    assert_eq!(wal.last_index(), 2);
}

/// max 150 B, six 60-byte entries (100-byte frames): `wal_0`{1,2}, `wal_2`{3,4}, open `wal_4`{5,6}.
fn truncate_inside_saved_segment<D: Dir>(dir: D) {
    let mut wal = open(dir, config(150));
    for i in 1..=6 {
        wal.append(&payload(i, 60)).expect("append");
    }
    assert_eq!(
        segment_names(&wal),
        vec![
            "wal_00000000000000000000.log",
            "wal_00000000000000000002.log",
            "wal_00000000000000000004.log"
        ],
        "the worked rolling layout"
    );
    let saved_before = wal.saved_segment_count();
    wal.truncate(4).expect("truncate");
    assert!((1..=3).all(|i| wal.exists(i)), "entries 1 to 3 survive");
    assert!(
        (4..=6).all(|i| !wal.exists(i)),
        "entries 4 to 6 are removed"
    );
    assert_eq!(wal.read_all().expect("read").len(), 3);
    assert_eq!(wal.last_index(), 3);
    assert!(
        wal.saved_segment_count() <= saved_before,
        "truncation never adds segments"
    );
    assert_eq!(
        wal.append(b"next").expect("append"),
        4,
        "the next append reuses index 4"
    );
}

fn truncate_at_first_entry_empties_log<D: Dir>(dir: D) {
    let mut wal = open(dir, Config::default());
    for i in 1..=3 {
        wal.append(&text(10, i)).expect("append");
    }
    wal.truncate(1).expect("truncate");
    assert!((1..=3).all(|i| !wal.exists(i)), "every entry is gone");
    assert!(wal.read_all().expect("read").is_empty());
    assert_eq!(wal.last_index(), 0);
    assert!(wal.is_empty());
}

fn truncate_removes_from_point_onwards<D: Dir>(dir: D) {
    let mut wal = open(dir, Config::default());
    for i in 1..=5 {
        wal.append(&text(10, i)).expect("append");
    }
    wal.truncate(4).expect("truncate");
    let indices: Vec<u64> = wal
        .read_all()
        .expect("read")
        .iter()
        .map(|e| e.index)
        .collect();
    assert_eq!(indices, vec![1, 2, 3], "entries before the cut, in order");
    assert_eq!(wal.last_index(), 3);
    assert_eq!(wal.append(b"next").expect("append"), 4);
}

fn truncate_at_middle_of_four<D: Dir>(dir: D) {
    let mut wal = open(dir, Config::default());
    for i in 1..=4 {
        wal.append(&text(10, i)).expect("append");
    }
    wal.truncate(3).expect("truncate");
    assert!(wal.exists(1) && wal.exists(2));
    assert!(!wal.exists(3) && !wal.exists(4));
    assert_eq!(wal.read_all().expect("read").len(), 2);
    assert_eq!(wal.last_index(), 2);
}

fn read_at_on_empty_log_is_an_index_error<D: Dir>(dir: D) {
    let wal = open(dir, Config::default());
    assert!(wal.is_empty(), "a fresh log holds nothing");
    assert_eq!(wal.last_index(), 0);
    assert!(
        matches!(
            wal.read_at(1),
            Err(WalError::IndexOutOfRange { index: 1, .. })
        ),
        "reading an entry that was never written must be an index error"
    );
}

/// max 100 B, three 18-byte entries: close, reopen, read, append; reopen a second time and
/// read everything back (the original passed its test while corrupting the file).
fn recover_from_existing_segments<D: Dir>(dir: D) {
    let written: Vec<Vec<u8>> = (1..=3).map(|i| text(18, i)).collect();
    let mut wal = open(dir.clone(), config(100));
    for data in &written {
        wal.append(data).expect("append");
    }
    wal.close().expect("close");
    let mut wal = open(dir.clone(), config(100));
    assert_eq!(wal.read_at(1).expect("entry 1").data, written[0]);
    assert_eq!(wal.read_at(3).expect("entry 3").data, written[2]);
    let next = wal.append(b"after reopen").expect("append after reopen");
    assert!(
        next > 3,
        "the next index continues after the recovered entries"
    );
    wal.close().expect("close");
    let wal = open(dir, config(100));
    let all: Vec<Vec<u8>> = wal
        .read_all()
        .expect("read")
        .into_iter()
        .map(|e| e.data)
        .collect();
    let mut expected = written.clone();
    expected.push(b"after reopen".to_vec());
    assert_eq!(
        all, expected,
        "a second reopen must read back every entry, untouched"
    );
}

/// max 50 B, fifty "Entry i" appends: 2 entries per segment.
fn many_segments_read_all<D: Dir>(dir: D) {
    let mut wal = open(dir, config(50));
    for i in 1..=50 {
        wal.append(format!("Entry {i}").as_bytes()).expect("append");
    }
    assert!(
        wal.saved_segment_count() > 5,
        "fifty entries must span many segments"
    );
    assert_eq!(wal.segments().len(), 25, "two entries per 50-byte segment");
    let all = wal.read_all().expect("read");
    assert_eq!(all.len(), 50);
    assert!(
        all.iter()
            .enumerate()
            .all(|(k, e)| e.data == format!("Entry {}", k + 1).into_bytes()),
        "read_all returns every entry in index order"
    );
}

fn read_from_across_segments<D: Dir>(dir: D) {
    let mut wal = open(dir, config(150));
    for i in 1..=6 {
        wal.append(&payload(i, 60)).expect("append");
    }
    let from_three = wal.read_from(3).expect("read_from");
    assert_eq!(from_three.len(), 4, "entries 3, 4, 5 and 6");
    let indices: Vec<u64> = from_three.iter().map(|e| e.index).collect();
    assert_eq!(indices, vec![3, 4, 5, 6], "ascending, starting at 3");
}

/// max 100 B, padding on, one 4,095-byte entry: the raw frames are the entry, then padding.
fn raw_frames_include_padding_frames<D: Dir>(dir: D) {
    let mut wal = open(
        dir,
        Config {
            padding: true,
            ..config(100)
        },
    );
    let data = payload(1, 4095);
    wal.append(&data).expect("append");
    let frames: Vec<_> = wal
        .raw_frames()
        .collect::<Result<_, _>>()
        .expect("raw frames");
    assert_eq!(frames.len(), 2, "the entry and one padding frame");
    assert_eq!(frames[0].frame.index, 1);
    assert_eq!(
        frames[0].frame.data, data,
        "the entry comes back byte for byte"
    );
    assert_eq!(frames[1].frame.entry_type, EntryType::Padding);
    assert!(
        !frames[1].frame.data.is_empty(),
        "the padding frame has a body"
    );
    assert_eq!(
        wal.segments()[0].bytes,
        8192,
        "4,135 bytes of entry padded to two blocks"
    );
    assert_eq!(
        wal.read_all().expect("read").len(),
        1,
        "data reads skip padding"
    );
}

fn last_entry_and_generation_follow_the_last_append<D: Dir>(dir: D) {
    let mut wal = open(dir, Config::default());
    assert_eq!(
        wal.last_generation().expect("generation"),
        0,
        "an empty log has generation 0"
    );
    wal.append_with_generation(3, b"a").expect("append");
    wal.append_with_generation(5, b"b").expect("append");
    assert_eq!(wal.last_generation().expect("generation"), 5);
    assert_eq!(
        wal.last_entry().expect("entry").map(|e| e.data),
        Some(b"b".to_vec())
    );
    assert_eq!(wal.log_start_index(), 1);
}

on_both_backends!(
    read_at_reads_from_saved_segments,
    truncate_inside_open_segment_only,
    truncate_inside_saved_segment,
    truncate_at_first_entry_empties_log,
    truncate_removes_from_point_onwards,
    truncate_at_middle_of_four,
    read_at_on_empty_log_is_an_index_error,
    recover_from_existing_segments,
    many_segments_read_all,
    read_from_across_segments,
    raw_frames_include_padding_frames,
    last_entry_and_generation_follow_the_last_append,
);

#[test]
fn open_creates_a_missing_directory() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let path = tmp.path().join("does/not/exist/yet");
    let dir = common::fileio::LocalDir::open(&path).expect("a missing directory is created");
    let mut wal = open(dir, Config::default());
    assert_eq!(wal.append(b"first").expect("append"), 1);
    assert!(
        path.join("wal_00000000000000000000.log").is_file(),
        "the first segment is on disk"
    );
}

#[test]
fn a_configuration_that_cannot_work_is_rejected() {
    let dir = support::sim_dir(1);
    for bad in [
        Config {
            max_segment_bytes: 0,
            ..Config::default()
        },
        Config {
            block_bytes: 100,
            ..Config::default()
        },
        Config {
            max_entry_bytes: u32::MAX,
            ..Config::default()
        },
    ] {
        let result = wal::Wal::open(dir.clone(), bad.clone());
        assert!(
            matches!(result, Err(WalError::InvalidConfig(_))),
            "{bad:?} must be rejected as an invalid configuration"
        );
    }
}

#[test]
fn an_entry_above_the_size_limit_is_refused() {
    let mut wal = open(
        support::sim_dir(2),
        Config {
            max_entry_bytes: 100,
            ..Config::default()
        },
    );
    assert!(matches!(
        wal.append(&[0; 101]),
        Err(WalError::EntryTooLarge { len: 101, max: 100 })
    ));
    assert!(wal.is_empty(), "a refused entry leaves no trace");
    assert_eq!(wal.append(&[0; 100]).expect("at the limit is fine"), 1);
}
