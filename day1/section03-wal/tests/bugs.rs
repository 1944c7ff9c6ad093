//! One regression test per bug found in the original log, named after the bug.

mod support;

use common::fileio::{Dir, FileIo};
use common::rng::SimRng;
use std::sync::Arc;
use support::{START_MS, config, open, open_with_clock, payload, sim_dir, sim_fs};
use wal::command::{Command, CommandKind, TXN_SET_VALUE};
use wal::frame::{self, HEADER_BYTES};
use wal::{Config, DurableKvStore, ManualClock, Warning};

const FIRST_SEGMENT: &str = "wal_00000000000000000000.log";

/// Bug 1: after a restart the next entry overwrote the start of the last segment, and the
/// third open of a key-value store failed.
#[test]
fn bug_01_reopen_then_append_does_not_overwrite_the_log() {
    let fs = sim_fs(1);
    let root = fs.dir("node");
    let mut store = DurableKvStore::open(root.clone()).expect("open");
    store.put("title", "Microservices").expect("put");
    store.put("author", "Martin").expect("put");
    store.close().expect("close");
    let mut store = DurableKvStore::open(root.clone()).expect("second open");
    store
        .put("newTitle", "Distributed Systems")
        .expect("put after reopen");
    store.close().expect("close");
    let store = DurableKvStore::open(root).expect("the third open must succeed");
    assert_eq!(
        store.get("title"),
        Some("Microservices"),
        "the first put survives two reopens"
    );
    assert_eq!(store.get("author"), Some("Martin"));
    assert_eq!(store.get("newTitle"), Some("Distributed Systems"));
    assert_eq!(
        store.wal().last_index(),
        3,
        "three entries, none overwritten"
    );
}

/// Bug 2: the exclusive base was treated as inclusive, so reading from the last entry of
/// a saved segment skipped it and truncating there failed.
#[test]
fn bug_02_read_from_and_truncate_at_the_last_entry_of_a_saved_segment() {
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
fn bug_03_read_from_across_many_segments_is_ascending() {
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
fn bug_04_the_index_after_truncation_empties_the_open_segment_continues_the_log() {
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

/// Bug 5: a gap of 36 to 39 bytes gave the padding frame a negative length.
#[test]
fn bug_05_padding_a_gap_of_36_to_39_bytes_adds_a_block() {
    for (payload_len, padding_len) in [
        (4017usize, 4095u64),
        (4018, 4094),
        (4019, 4093),
        (4020, 4092),
    ] {
        let frame_len = (HEADER_BYTES + payload_len) as u64;
        assert_eq!(frame::padding_data_len(frame_len, 4096), Some(padding_len));
        let mut wal = open(
            sim_dir(5),
            Config {
                padding: true,
                ..Config::default()
            },
        );
        wal.append(&payload(1, payload_len))
            .expect("padding must not fail");
        assert_eq!(
            wal.segments()[0].bytes,
            8192,
            "a {payload_len}-byte entry pads to two blocks"
        );
        let frames: Vec<_> = wal.raw_frames().collect::<Result<_, _>>().expect("frames");
        assert_eq!(frames[1].frame.data.len() as u64, padding_len);
    }
}

/// Bug 6: the checksum was never verified, and serialising an entry twice gave two
/// different checksums.
#[test]
fn bug_06_a_flipped_byte_is_caught_by_the_checksum_on_read() {
    let fs = sim_fs(6);
    let dir = fs.dir("wal");
    let mut wal = open(dir.clone(), Config::default());
    wal.append(b"important").expect("append");
    wal.append(b"also important").expect("append");
    let path = dir.path_of(FIRST_SEGMENT);
    assert!(
        fs.corrupt_byte(&path, HEADER_BYTES as u64 + 2, 0x01),
        "flip a data byte of entry 1"
    );
    let error = wal
        .read_at(1)
        .expect_err("a corrupted entry must not be returned");
    assert!(
        error.to_string().contains("checksum"),
        "the error names the checksum: {error}"
    );
    let bytes = wal::Frame::data(1, 0, 5, b"x".to_vec());
    assert_eq!(
        bytes.encode(),
        bytes.encode(),
        "the same entry always encodes the same way"
    );
}

/// Bug 7: a torn data tail came back zero-filled, and a torn header made the log
/// impossible to open.
#[test]
fn bug_07_a_torn_tail_is_cut_not_returned_zero_filled() {
    for (cut_into_frame, what) in [(20u64, "header"), (HEADER_BYTES as u64 + 10, "data")] {
        let fs = sim_fs(7);
        let dir = fs.dir("wal");
        let mut wal = open(dir.clone(), Config::default());
        for i in 1..=3 {
            wal.append(&payload(i, 50)).expect("append");
        }
        let start_of_third = wal.segments()[0].bytes - (HEADER_BYTES as u64 + 50);
        drop(wal);
        let mut file = dir.open(FIRST_SEGMENT).expect("segment");
        file.truncate(start_of_third + cut_into_frame)
            .expect("tear");
        file.write_at(start_of_third + cut_into_frame + 100, &[0])
            .expect("zero-filled hole");
        file.sync().expect("sync");
        let wal = open(dir, Config::default());
        assert_eq!(
            wal.last_index(),
            2,
            "a torn {what} of entry 3 is cut off, not returned"
        );
        assert_eq!(wal.read_all().expect("read").len(), 2);
        assert!(
            matches!(wal.recovery_report().warnings.as_slice(), [Warning::TornTail { offset, .. }] if *offset == start_of_third),
            "recovery reports the cut: {:?}",
            wal.recovery_report()
        );
        assert!(wal.recovery_report().discarded_bytes() > 0);
    }
}

/// Bug 8: a stray `wal.log.bak` crashed open; `wal_x.log` gave a number format error.
#[test]
fn bug_08_stray_files_are_ignored_with_a_warning() {
    let dir = sim_dir(8);
    for stray in [
        "wal.log.bak",
        "wal_x.log",
        "wal_12.log.tmp",
        "walX12Xlog",
        "notes.txt",
    ] {
        dir.create(stray).expect("stray file");
    }
    let mut wal = open(dir, Config::default());
    let strays: Vec<&str> = wal
        .recovery_report()
        .warnings
        .iter()
        .filter_map(|w| match w {
            Warning::StrayFile(name) => Some(name.as_str()),
            Warning::TornTail { .. } => None,
        })
        .collect();
    assert_eq!(strays.len(), 5, "every stray file is reported: {strays:?}");
    assert_eq!(
        wal.append(b"works").expect("append"),
        1,
        "the log works beside stray files"
    );
}

/// Bug 9: entries read back carried the read time, so age-based cleaning never deleted.
#[test]
fn bug_09_reads_keep_the_stored_timestamp_so_age_based_cleaning_deletes() {
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
fn bug_10_segments_with_a_base_of_128_or_more_are_cleaned() {
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

/// Bug 11: a new instance over an existing file saw no entries and wrote over them, and an
/// empty entry hid every entry after it.
#[test]
fn bug_11_a_reopened_log_sees_its_entries_and_an_empty_entry_hides_nothing() {
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

/// Bug 12: a transactional set was written with the plain set's type id and decoded as a
/// set whose lease field held the transaction id.
#[test]
fn bug_12_txn_set_value_decodes_as_its_own_type() {
    let command = Command::txn_set("k", "v", "txn-42");
    let bytes = command.encode().expect("encode");
    assert_eq!(
        &bytes[12..16],
        &TXN_SET_VALUE.to_be_bytes(),
        "its own type id on the wire"
    );
    let decoded = Command::decode(&bytes).expect("decode");
    assert!(
        matches!(&decoded.kind, CommandKind::TxnSetValue { txn_id, .. } if txn_id == "txn-42"),
        "a transactional set must come back as one, got {decoded:?}"
    );

    let root = sim_fs(12).dir("node");
    let mut store = DurableKvStore::open_with(
        root.clone(),
        Config::default(),
        Arc::new(ManualClock::new(0)),
    )
    .expect("open");
    store.txn_put("k", "v", "txn-42").expect("txn put");
    drop(store);
    let store = DurableKvStore::open(root).expect("reopen");
    assert_eq!(
        store.get("k"),
        Some("v"),
        "the transactional set is replayed"
    );
    let kind = store.wal().read_at(1).expect("entry").data;
    assert!(matches!(
        Command::decode(&kind).expect("decode").kind,
        CommandKind::TxnSetValue { .. }
    ));
}
