//! Step 3, opening and appending (`Wal::recover`, `Wal::append_unsynced`): recovery
//! walks the segments, refuses damage that is not a torn tail, and the log appends at the
//! end of valid data. Scenarios run on a simulated disk and on real files.

mod support;

use common::fileio::{Dir, FileIo, SimFsConfig};
use common::rng::SimRng;
use support::{
    FIRST_SEGMENT, code, config, open, payload, sim_dir, sim_fs, sim_fs_losing_unsynced, stdout,
    text, wal_cli,
};
use wal::frame::{self, HEADER_BYTES};
use wal::inspect;
use wal::{Config, Wal, WalError, Warning};

/// max 100 B, five 33-byte entries (73-byte frames): `wal_0`{1,2}, `wal_2`{3,4}, open `wal_4`{5}.
fn step3_read_at_reads_from_saved_segments<D: Dir>(dir: D) {
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

fn step3_read_at_on_empty_log_is_an_index_error<D: Dir>(dir: D) {
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

fn step3_last_entry_and_generation_follow_the_last_append<D: Dir>(dir: D) {
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
    step3_read_at_reads_from_saved_segments,
    step3_read_at_on_empty_log_is_an_index_error,
    step3_last_entry_and_generation_follow_the_last_append,
);

#[test]
fn step3_open_creates_a_missing_directory() {
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

/// The limits of a configuration, on both sides: blocks of 64 bytes are the smallest
/// accepted (32 is a power of two but too small), and the largest entry is the one whose
/// frame length still fits a u32 with the 40-byte header.
#[test]
fn the_smallest_block_and_the_largest_entry_a_configuration_accepts() {
    let with = |block_bytes: u64, max_entry_bytes: u32| Config {
        block_bytes,
        max_entry_bytes,
        ..Config::default()
    };
    let largest = u32::MAX - HEADER_BYTES as u32;
    assert!(with(64, 1024).validate().is_ok(), "64-byte blocks");
    assert!(
        matches!(with(32, 1024).validate(), Err(WalError::InvalidConfig(_))),
        "32-byte blocks are too small"
    );
    assert!(
        with(4096, largest).validate().is_ok(),
        "an entry of u32::MAX − 40 bytes: its frame length is u32::MAX"
    );
    assert!(
        matches!(
            with(4096, largest + 1).validate(),
            Err(WalError::InvalidConfig(_))
        ),
        "one byte more does not fit"
    );
}

/// The log keeps the configuration it was opened with.
#[test]
fn step3_the_log_reports_the_configuration_it_was_opened_with() {
    let wal = open(support::sim_dir(3), config(100));
    assert_eq!(wal.config(), &config(100));
}

/// A read checks that the frame it finds is the entry it asked for: a valid frame with
/// another index, written over entry 2 after the log was opened, is corruption, not
/// entry 2.
#[test]
fn step3_a_read_that_finds_a_valid_frame_of_another_index_reports_corruption() {
    let dir = support::sim_dir(4);
    let mut wal = open(dir.clone(), Config::default());
    for i in 1..=2 {
        wal.append(&payload(i, 10)).expect("append");
    }
    let second = (HEADER_BYTES + 10) as u64;
    let impostor = frame::Frame::data(7, 0, 0, payload(2, 10)).encode();
    let mut file = dir.open(FIRST_SEGMENT).expect("open the segment");
    file.write_at(second, &impostor).expect("overwrite entry 2");
    file.sync().expect("sync");
    assert!(
        matches!(wal.read_at(2), Err(WalError::Corrupt { offset, .. }) if offset == second),
        "entry 2's place holds entry 7: {:?}",
        wal.read_at(2)
    );
}

#[test]
fn step3_an_entry_above_the_size_limit_is_refused() {
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

#[test]
fn step3_a_corrupt_frame_before_the_tail_is_refused_naming_segment_and_offset() {
    let fs = sim_fs(300);
    let dir = fs.dir("wal");
    let mut wal = open(dir.clone(), config(150));
    for i in 1..=6 {
        wal.append(&payload(i, 60)).expect("append");
    }
    drop(wal);
    let second_entry = (HEADER_BYTES + 60) as u64;
    fs.corrupt_byte(&dir.path_of(FIRST_SEGMENT), second_entry + 50, 0xFF);
    let error =
        Wal::open(dir, Config::default()).expect_err("mid-log corruption must refuse to open");
    match &error {
        WalError::Corrupt {
            segment, offset, ..
        } => {
            assert_eq!(segment, FIRST_SEGMENT);
            assert_eq!(*offset, second_entry, "the offset of the bad frame");
        }
        other => panic!("expected a corruption error, got {other}"),
    }
    assert!(error.to_string().contains(FIRST_SEGMENT) && error.to_string().contains("byte 100"));
}

#[test]
fn step3_an_oversized_length_field_in_a_saved_segment_is_an_error_not_an_allocation() {
    let fs = sim_fs(301);
    let dir = fs.dir("wal");
    let mut wal = open(dir.clone(), config(150));
    for i in 1..=4 {
        wal.append(&payload(i, 60)).expect("append");
    }
    drop(wal);
    let mut file = dir.open(FIRST_SEGMENT).expect("open");
    file.write_at(0, &0x7FFF_FFF0u32.to_be_bytes())
        .expect("write");
    let error = Wal::open(dir, Config::default()).expect_err("must refuse");
    assert!(
        error.to_string().contains("limit"),
        "the error says the length is over the limit: {error}"
    );
}

#[test]
fn step3_a_new_segment_survives_a_crash_right_after_the_roll() {
    let fs = sim_fs_losing_unsynced(500);
    let dir = fs.dir("wal");
    let mut wal = open(dir.clone(), config(100));
    for i in 1..=3 {
        wal.append(&payload(i, 40)).expect("append");
    }
    assert_eq!(
        wal.segments().len(),
        2,
        "the third entry went to a new segment"
    );
    drop(wal);
    fs.crash(&mut SimRng::new(501));
    let wal = open(dir, config(100));
    assert_eq!(
        wal.last_index(),
        3,
        "the directory was synced when the segment was created"
    );
}

#[test]
fn step3_a_failed_fsync_stops_the_log_until_it_is_reopened() {
    let fs = sim_fs(700);
    let dir = fs.dir("wal");
    let mut wal = open(dir.clone(), Config::default());
    wal.append(b"one").expect("append");
    fs.fail_next_syncs(1);
    assert!(
        matches!(wal.append(b"two"), Err(WalError::Io { .. })),
        "the fsync failure surfaces"
    );
    assert!(
        matches!(wal.append(b"three"), Err(WalError::Poisoned(_))),
        "after a failed fsync nothing more is accepted: the disk state is unknown"
    );
    drop(wal);
    fs.crash(&mut SimRng::new(701));
    let mut wal = open(dir, Config::default());
    assert_eq!(
        wal.read_at(1).expect("entry 1").data,
        b"one",
        "the acknowledged entry survives"
    );
    assert_eq!(wal.append(b"again").expect("append"), wal.last_index());
}

#[test]
fn step3_a_bit_flipped_on_read_is_an_error_never_data() {
    let fs = sim_fs(800);
    let dir = fs.dir("wal");
    let mut wal = open(dir, Config::default());
    wal.append(&payload(1, 100)).expect("append");
    fs.set_config(SimFsConfig {
        read_bit_flip_probability: 1.0,
        ..fs.config()
    });
    for _ in 0..20 {
        assert!(
            wal.read_at(1).is_err(),
            "a read with a flipped bit must fail its checksum"
        );
    }
}

#[test]
fn step3_discarding_a_corrupt_tail_is_an_explicit_operator_step_that_names_what_it_loses() {
    let (_fs, dir, frame_bytes) = support::log_with_a_bad_second_of_four_frames(14);

    let cut = inspect::discard_corrupt_tail(&dir, frame::DEFAULT_MAX_ENTRY_BYTES)
        .expect("the repair runs")
        .expect("a bad frame before valid frames is what the repair is for");
    assert_eq!(cut.offset, frame_bytes, "the cut is at the bad frame");
    assert_eq!(
        cut.lost_entries,
        vec![3, 4],
        "the repair names the valid entries it gave up"
    );
    let wal = open(dir.clone(), Config::default());
    assert_eq!(
        wal.last_index(),
        1,
        "only the entry before the damage is left"
    );
    drop(wal);
    assert_eq!(
        inspect::discard_corrupt_tail(&dir, frame::DEFAULT_MAX_ENTRY_BYTES).expect("runs"),
        None,
        "on a clean log the repair does nothing"
    );
}

/// Bug 5: a gap of 36 to 39 bytes gave the padding frame a negative length.
#[test]
fn step3_bug_05_padding_a_gap_of_36_to_39_bytes_adds_a_block() {
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
fn step3_bug_06_a_flipped_byte_is_caught_by_the_checksum_on_read() {
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

/// Bug 8: a stray `wal.log.bak` crashed open; `wal_x.log` gave a number format error.
#[test]
fn step3_bug_08_stray_files_are_ignored_with_a_warning() {
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

#[test]
fn step3_append_dump_and_verify_a_clean_log() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let dir = tmp.path().join("log");
    let dir = dir.to_str().expect("utf-8 path");
    assert_eq!(code(&wal_cli(&["append", dir, "one", "two", "three"])), 0);
    let dump = wal_cli(&["dump", dir]);
    assert_eq!(code(&dump), 0);
    let text = stdout(&dump);
    assert_eq!(
        text.matches(" data ").count(),
        3,
        "three data frames listed:\n{text}"
    );
    assert!(text.contains("ok") && !text.contains("BAD"));
    let verify = wal_cli(&["verify", dir]);
    assert_eq!(
        code(&verify),
        0,
        "a clean log verifies: {}",
        stdout(&verify)
    );
}

#[test]
fn step3_verify_reports_mid_log_corruption_with_exit_code_4() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let path = tmp.path().join("log");
    let dir = path.to_str().expect("utf-8 path");
    assert_eq!(code(&wal_cli(&["append", dir, "one", "two"])), 0);
    let segment = path.join("wal_00000000000000000000.log");
    let mut bytes = std::fs::read(&segment).expect("read");
    bytes[41] ^= 0xFF;
    std::fs::write(&segment, &bytes).expect("write");
    let dump = wal_cli(&["dump", dir]);
    assert!(
        stdout(&dump).contains("BAD"),
        "dump marks the bad checksum:\n{}",
        stdout(&dump)
    );
    // The damaged frame is followed by a valid one: corruption even in the last segment.
    assert_eq!(code(&wal_cli(&["verify", dir])), 4);
    // A second segment makes the damage mid-log.
    std::fs::write(path.join("wal_00000000000000000002.log"), b"").expect("second segment");
    let verify = wal_cli(&["verify", dir]);
    assert_eq!(code(&verify), 4, "{}", stdout(&verify));
    let open = wal_cli(&["truncate", dir, "1"]);
    assert_eq!(
        code(&open),
        4,
        "the log refuses to open: {}",
        String::from_utf8_lossy(&open.stderr)
    );
    assert!(
        String::from_utf8_lossy(&open.stderr).contains("wal_00000000000000000000.log at byte 0")
    );
}

#[test]
fn bad_input_gets_a_message_and_exit_code_2() {
    for args in [
        vec![],
        vec!["frobnicate"],
        vec!["truncate", "/nonexistent"],
        vec!["truncate", "/tmp", "minus-one"],
        vec!["bench", "--seconds", "abc"],
        vec!["torn-demo", "--trials"],
        vec!["recover", "/tmp", "--wet-run"],
    ] {
        let out = wal_cli(&args);
        assert_eq!(code(&out), 2, "{args:?} is a usage error");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("usage"),
            "{args:?} prints the usage"
        );
    }
    let missing = wal_cli(&["verify", "/nonexistent/wal/dir"]);
    assert_eq!(
        code(&missing),
        3,
        "a missing directory is an I/O error, not a panic"
    );
}

/// Closing the log makes what was appended durable: entries appended without a sync
/// survive a power cut right after `close`.
#[test]
fn step3_closing_the_log_flushes_the_entries_appended_without_a_sync() {
    let fs = sim_fs_losing_unsynced(21);
    let dir = fs.dir("wal");
    let mut wal = open(dir.clone(), Config::default());
    for i in 1..=3 {
        wal.append_unsynced(0, &payload(i, 10)).expect("append");
    }
    wal.close().expect("close flushes");
    fs.crash(&mut SimRng::new(22));
    let wal = open(dir, Config::default());
    assert_eq!(
        wal.last_index(),
        3,
        "the three entries appended before close are on disk"
    );
}

/// A log that failed refuses to close as if all were well: `close` reports why it
/// stopped, as every call after the failure does.
#[test]
fn step3_closing_a_log_that_failed_reports_the_failure() {
    let fs = sim_fs(23);
    let mut wal = open(fs.dir("wal"), Config::default());
    fs.cut_power_after(0);
    wal.append(b"lost").expect_err("the power is gone");
    assert!(
        matches!(wal.close(), Err(WalError::Poisoned(_))),
        "close must not report success after a failed append"
    );
}
