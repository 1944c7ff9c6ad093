//! Step 4, reading and truncating (`Wal::read_from`, `Wal::truncate`): the exclusive
//! base of a segment, ascending reads across segments, and a durable cut. Scenarios run on
//! a simulated disk and on real files.

mod support;

use common::fileio::Dir;
use common::rng::SimRng;
use support::{
    code, config, data_of, open, payload, segment_names, sim_dir, sim_fs, sim_fs_losing_unsynced,
    stdout, text, wal_cli,
};
use wal::{Config, EntryType};

fn step4_truncate_inside_open_segment_only<D: Dir>(dir: D) {
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
fn step4_truncate_inside_saved_segment<D: Dir>(dir: D) {
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

fn step4_truncate_at_first_entry_empties_log<D: Dir>(dir: D) {
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

fn step4_truncate_removes_from_point_onwards<D: Dir>(dir: D) {
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

fn step4_truncate_at_middle_of_four<D: Dir>(dir: D) {
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

/// max 100 B, three 18-byte entries: close, reopen, read, append; reopen a second time and
/// read everything back (the original passed its test while corrupting the file).
fn step4_recover_from_existing_segments<D: Dir>(dir: D) {
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
fn step4_many_segments_read_all<D: Dir>(dir: D) {
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

fn step4_read_from_across_segments<D: Dir>(dir: D) {
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
fn step4_raw_frames_include_padding_frames<D: Dir>(dir: D) {
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

on_both_backends!(
    step4_truncate_inside_open_segment_only,
    step4_truncate_inside_saved_segment,
    step4_truncate_at_first_entry_empties_log,
    step4_truncate_removes_from_point_onwards,
    step4_truncate_at_middle_of_four,
    step4_recover_from_existing_segments,
    step4_many_segments_read_all,
    step4_read_from_across_segments,
    step4_raw_frames_include_padding_frames,
);

#[test]
fn step4_reopening_twice_and_appending_after_each_reopen_keeps_every_entry() {
    let dir = sim_fs(400).dir("wal");
    let mut expected = Vec::new();
    for round in 0..3u64 {
        let mut wal = open(dir.clone(), config(200));
        for i in 0..4 {
            let data = payload(round * 10 + i, 30);
            assert_eq!(
                wal.append(&data).expect("append"),
                expected.len() as u64 + 1
            );
            expected.push(data);
        }
        assert_eq!(
            data_of(&wal),
            expected,
            "round {round}: every entry so far, in order"
        );
    }
    let wal = open(dir, config(200));
    assert_eq!(data_of(&wal), expected);
}

#[test]
fn step4_unsynced_entries_may_be_lost_but_synced_ones_survive_a_power_cut() {
    let fs = sim_fs_losing_unsynced(600);
    let dir = fs.dir("wal");
    let mut wal = open(dir.clone(), Config::default());
    wal.append(b"synced").expect("append");
    wal.append_unsynced(0, b"not yet").expect("append");
    assert_eq!(
        wal.read_at(2).expect("visible before the crash").data,
        b"not yet"
    );
    assert_eq!(wal.durable_index(), 1);
    drop(wal);
    fs.crash(&mut SimRng::new(601));
    let wal = open(dir, Config::default());
    assert_eq!(
        data_of(&wal),
        vec![b"synced".to_vec()],
        "only the synced entry survives"
    );
}

/// Bug 2: the exclusive base was treated as inclusive, so reading from the last entry of
/// a saved segment skipped it and truncating there failed.
#[test]
fn step4_bug_02_read_from_and_truncate_at_the_last_entry_of_a_saved_segment() {
    let mut wal = open(sim_dir(2), config(150));
    for i in 1..=6 {
        wal.append(&payload(i, 60)).expect("append");
    }
    // wal_0{1,2}, wal_2{3,4}, wal_4{5,6}: entry 2 is the last of a saved segment, and the
    // next segment's base.
    let indices: Vec<u64> = wal
        .read_from(2)
        .expect("read_from")
        .iter()
        .map(|e| e.index)
        .collect();
    assert_eq!(
        indices,
        vec![2, 3, 4, 5, 6],
        "reading from a segment's last entry includes it"
    );
    wal.truncate(4)
        .expect("truncating at the last entry of wal_2 must work");
    assert_eq!(wal.last_index(), 3);
    wal.truncate(2)
        .expect("truncating at the last entry of wal_0 must work");
    assert_eq!(wal.last_index(), 1);
}

/// Bug 3: reads across several saved segments came back in reverse segment order (and in
/// hash order inside one).
#[test]
fn step4_bug_03_read_from_across_many_segments_is_ascending() {
    let mut wal = open(sim_dir(3), config(50));
    for i in 1..=300u64 {
        wal.append(format!("e{i}").as_bytes()).expect("append");
    }
    assert!(wal.segments().len() > 100, "2-entry segments");
    let indices: Vec<u64> = wal
        .read_from(250)
        .expect("read")
        .iter()
        .map(|e| e.index)
        .collect();
    assert_eq!(
        indices,
        (250..=300).collect::<Vec<_>>(),
        "entries come back in index order"
    );
}

/// Bug 4: once truncation emptied the open segment, the next append got index 1 again.
#[test]
fn step4_bug_04_the_index_after_truncation_empties_the_open_segment_continues_the_log() {
    let mut wal = open(sim_dir(4), config(150));
    for i in 1..=6 {
        wal.append(&payload(i, 60)).expect("append");
    }
    wal.truncate(5).expect("truncate the whole open segment");
    assert_eq!(
        wal.append(b"next").expect("append"),
        5,
        "indices continue, never restart at 1"
    );

    // The same after a crash right after a roll: the new segment is empty.
    let fs = sim_fs(40);
    let dir = fs.dir("wal");
    let mut wal = open(dir.clone(), config(100));
    wal.append(b"one").expect("append");
    wal.append(b"two").expect("append");
    wal.roll().expect("roll");
    drop(wal);
    fs.crash(&mut SimRng::new(41));
    let mut wal = open(dir, config(100));
    assert_eq!(
        wal.append(b"three").expect("append"),
        3,
        "an empty last segment keeps its base"
    );
}

/// Bug 11: a new instance over an existing file saw no entries and wrote over them, and an
/// empty entry hid every entry after it.
#[test]
fn step4_bug_11_a_reopened_log_sees_its_entries_and_an_empty_entry_hides_nothing() {
    let dir = sim_dir(11);
    let mut wal = open(dir.clone(), Config::default());
    for data in [&b"a"[..], b"", b"c"] {
        wal.append(data).expect("append");
    }
    drop(wal);
    let mut wal = open(dir.clone(), Config::default());
    let data: Vec<Vec<u8>> = wal
        .read_all()
        .expect("read")
        .into_iter()
        .map(|e| e.data)
        .collect();
    assert_eq!(
        data,
        vec![b"a".to_vec(), vec![], b"c".to_vec()],
        "the empty entry is kept, and so is what follows it"
    );
    assert_eq!(
        wal.append(b"d").expect("append"),
        4,
        "a new instance appends after the existing entries"
    );
    let wal = open(dir, Config::default());
    assert_eq!(
        wal.read_at(1).expect("read").data,
        b"a",
        "nothing was overwritten"
    );
}

#[test]
fn step4_truncate_removes_the_index_and_what_follows() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let dir = tmp.path().join("log");
    let dir = dir.to_str().expect("utf-8 path");
    assert_eq!(code(&wal_cli(&["append", dir, "a", "b", "c"])), 0);
    let out = wal_cli(&["truncate", dir, "2"]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains("last index is now 1"));
}

/// Truncation takes an index from the first one to one past the last (which does
/// nothing); anything outside is refused, naming the range. The last entry alone can go.
#[test]
fn step4_truncate_refuses_an_index_outside_the_log_and_can_remove_just_the_last_entry() {
    let mut wal = open(sim_dir(5), Config::default());
    for i in 1..=3 {
        wal.append(&text(10, i)).expect("append");
    }
    assert!(
        matches!(
            wal.truncate(5),
            Err(wal::WalError::IndexOutOfRange {
                index: 5,
                first: 1,
                last: 3
            })
        ),
        "5 is past the end of a log of three"
    );
    wal.truncate(4).expect("one past the end: nothing to cut");
    assert_eq!(wal.last_index(), 3);
    wal.truncate(3).expect("the last entry alone");
    assert_eq!(wal.last_index(), 2);
    assert!(
        matches!(
            wal.truncate(0),
            Err(wal::WalError::IndexOutOfRange { index: 0, .. })
        ),
        "there is no entry 0"
    );
}

/// The durable index is the highest index known to be on disk: a synced append moves it,
/// an unsynced one does not until the flush, and a truncation brings it back to the entry
/// before the cut.
#[test]
fn step4_the_durable_index_follows_syncs_and_truncations() {
    let mut wal = open(sim_dir(6), Config::default());
    assert_eq!(wal.durable_index(), 0, "an empty log");
    for i in 1..=3 {
        wal.append(&text(10, i)).expect("append");
    }
    assert_eq!(wal.durable_index(), 3, "three synced appends");
    wal.append_unsynced(0, &text(10, 4)).expect("append");
    assert_eq!(wal.durable_index(), 3, "entry 4 is not synced yet");
    wal.flush().expect("flush");
    assert_eq!(wal.durable_index(), 4, "the flush made entry 4 durable");
    wal.truncate(3).expect("truncate");
    assert_eq!(wal.durable_index(), 2, "the cut removed 3 and 4");
}

/// A log is empty when it holds no entry: a fresh log, not a log of one entry.
#[test]
fn step4_a_log_of_one_entry_is_not_empty() {
    let mut wal = open(sim_dir(7), Config::default());
    assert!(wal.is_empty(), "a fresh log");
    wal.append(b"one").expect("append");
    assert!(!wal.is_empty(), "a log of one entry");
}
