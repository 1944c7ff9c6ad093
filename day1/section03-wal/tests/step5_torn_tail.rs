//! Step 5, torn tail or corruption (`Wal::cut_torn_tail`): crashes, torn writes and
//! corrupt bytes. Recovery returns exactly a prefix of what was written, keeps every
//! acknowledged entry, never returns garbage, and refuses (discarding nothing) when a
//! valid frame follows the damage.

mod support;

use common::fileio::{CrashPolicy, Dir, FileIo, SimFs, SimFsConfig};
use common::rng::SimRng;
use proptest::prelude::*;
use support::{
    FIRST_SEGMENT, code, config, data_of, log_from_bytes, open, payload, sim_fs, small_log, stdout,
    wal_cli,
};
use wal::frame::HEADER_BYTES;
use wal::inspect;
use wal::{Config, Wal, WalError, Warning};

#[test]
fn step5_recovery_after_a_cut_at_every_byte_offset_returns_exactly_a_prefix() {
    let (bytes, entries) = small_log();
    let ends: Vec<usize> = entries
        .iter()
        .scan(0, |end, data| {
            *end += HEADER_BYTES + data.len();
            Some(*end)
        })
        .collect();
    for cut in 0..=bytes.len() {
        let (_fs, dir) = log_from_bytes(&bytes[..cut], cut as u64);
        let wal = open(dir, Config::default());
        let complete = ends.iter().filter(|end| **end <= cut).count();
        assert_eq!(
            data_of(&wal),
            entries[..complete].to_vec(),
            "a log cut at byte {cut} must recover exactly the {complete} complete entries"
        );
        let valid = if complete == 0 { 0 } else { ends[complete - 1] };
        assert_eq!(
            wal.recovery_report().discarded_bytes(),
            (cut - valid) as u64,
            "cut at {cut}"
        );
    }
}

#[test]
fn step5_recovery_after_a_cut_followed_by_garbage_returns_exactly_a_prefix() {
    let (bytes, entries) = small_log();
    let mut rng = SimRng::derive(5, "garbage");
    for cut in 0..bytes.len() {
        let mut damaged = bytes[..cut].to_vec();
        let garbage: Vec<u8> = (0..rng.range(1, 80))
            .map(|_| rng.next_u64() as u8)
            .collect();
        damaged.extend_from_slice(&garbage);
        let (_fs, dir) = log_from_bytes(&damaged, cut as u64);
        let wal = open(dir, Config::default());
        let recovered = data_of(&wal);
        assert!(
            entries.starts_with(&recovered),
            "a cut at {cut} plus garbage must recover a prefix of the entries, got {} entries",
            recovered.len()
        );
    }
}

#[test]
fn step5_a_corrupt_byte_anywhere_is_detected() {
    let fs = sim_fs(200);
    let dir = fs.dir("wal");
    let mut wal = open(dir.clone(), config(150));
    let entries: Vec<Vec<u8>> = (1..=4).map(|i| payload(i, 60)).collect();
    for data in &entries {
        wal.append(data).expect("append");
    }
    let segments = wal.segments();
    drop(wal);
    assert_eq!(segments.len(), 2, "one saved segment and the open one");
    let images: Vec<Vec<u8>> = segments
        .iter()
        .map(|s| fs.file_bytes(&dir.path_of(&s.name)).expect("bytes"))
        .collect();
    for (position, segment) in segments.iter().enumerate() {
        // The last frame of the last segment is the only one no valid frame follows.
        let last_frame_start = segment.bytes - (HEADER_BYTES as u64 + 60);
        let is_tail = |offset: u64| position == segments.len() - 1 && offset >= last_frame_start;
        for offset in 0..segment.bytes {
            let fs = sim_fs(offset);
            let dir = fs.dir("wal");
            for (other, image) in segments.iter().zip(&images) {
                let mut file = dir.create(&other.name).expect("create");
                file.write_at(0, image).expect("write");
            }
            assert!(fs.corrupt_byte(&dir.path_of(&segment.name), offset, 0x40));
            match Wal::open(dir, Config::default()) {
                Err(WalError::Corrupt { segment: name, .. }) => {
                    assert!(
                        !is_tail(offset),
                        "byte {offset} of {}: damage to the last frame of the log is a torn tail, not corruption",
                        segment.name
                    );
                    assert_eq!(name, segment.name, "the error names the damaged segment");
                }
                Err(other) => panic!(
                    "byte {offset} of {}: unexpected error {other}",
                    segment.name
                ),
                Ok(wal) => {
                    assert!(
                        is_tail(offset),
                        "byte {offset} of {}: damage followed by a valid frame must refuse to open",
                        segment.name
                    );
                    let recovered = data_of(&wal);
                    assert_eq!(
                        recovered,
                        entries[..entries.len() - 1].to_vec(),
                        "byte {offset} of the last frame: exactly that frame must be cut"
                    );
                    assert!(
                        wal.recovery_report().discarded_bytes() > 0,
                        "the cut is reported"
                    );
                }
            }
        }
    }
}

/// The fault this guards against: frame 2 of the last segment is damaged while frame 3,
/// written and synced after it, is intact. Recovery used to call that a torn tail and cut
/// from frame 2 on, silently discarding the acknowledged entry 3. A crash tears only what
/// was written last, so a valid frame after the damage means corruption: refuse, discard
/// nothing, and leave the decision to the operator.
#[test]
fn step5_a_bad_frame_followed_by_a_valid_synced_frame_is_corruption_not_a_torn_tail() {
    let frame_bytes = (HEADER_BYTES + 20) as u64;
    // Damage in the data, in the index, and in the length field (the scan cannot follow
    // the bad frame's length to find the next one then).
    for (damaged_byte, what) in [(50u64, "data"), (20, "index"), (1, "length")] {
        let fs = sim_fs(13);
        let dir = fs.dir("wal");
        let mut wal = open(dir.clone(), Config::default());
        for i in 1..=3 {
            wal.append(&payload(i, 20)).expect("append and sync");
        }
        drop(wal);
        let path = dir.path_of(FIRST_SEGMENT);
        assert!(fs.corrupt_byte(&path, frame_bytes + damaged_byte, 0x10));
        let before = fs.file_bytes(&path).expect("segment");

        let error = Wal::open(dir.clone(), Config::default()).expect_err(
            "entry 3 was synced after the damaged entry 2: the log must refuse to open",
        );
        match &error {
            WalError::Corrupt {
                segment,
                offset,
                reason,
            } => {
                assert_eq!(
                    segment, FIRST_SEGMENT,
                    "{what}: the error names the segment"
                );
                assert_eq!(
                    *offset, frame_bytes,
                    "{what}: the error points at entry 2's frame"
                );
                assert!(
                    reason.contains("valid frame follows") && reason.contains("entry 3"),
                    "{what}: the error must say a valid frame follows the damage: {reason}"
                );
            }
            other => panic!("{what}: expected a corruption error, got {other}"),
        }
        assert_eq!(
            fs.file_bytes(&path).expect("segment"),
            before,
            "{what}: refusing must discard nothing"
        );
    }
}

#[test]
fn step5_recovery_does_not_cut_the_tail_on_a_flipped_bit_in_one_read() {
    let fs = sim_fs(900);
    let dir = fs.dir("wal");
    let mut wal = open(dir.clone(), Config::default());
    for i in 1..=3 {
        wal.append(&payload(i, 100)).expect("append");
    }
    drop(wal);
    fs.set_config(SimFsConfig {
        read_bit_flip_probability: 1.0,
        ..fs.config()
    });
    assert!(
        Wal::open(dir.clone(), Config::default()).is_err(),
        "unstable reads: refuse, do not cut"
    );
    fs.set_config(SimFsConfig::default());
    let wal = open(dir, Config::default());
    assert_eq!(
        wal.last_index(),
        3,
        "no acknowledged entry was cut while reads were unstable"
    );
}

// ---------------------------------------------------------------------------------------
// Random operation sequences
// ---------------------------------------------------------------------------------------
#[derive(Clone, Debug)]
enum Op {
    /// Append and fsync (acknowledged when it returns Ok).
    Append(usize),
    /// Append without fsync (acknowledged by the next successful flush).
    AppendUnsynced(usize),
    Flush,
    /// Truncate this many entries back from the end.
    Truncate(u64),
    Roll,
    /// Power cut now (unsynced writes torn).
    Crash,
    /// Power cut after this many more I/O operations, during the next operations.
    CrashDuring(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..120).prop_map(Op::Append),
        4 => (0usize..120).prop_map(Op::AppendUnsynced),
        2 => Just(Op::Flush),
        1 => (1u64..4).prop_map(Op::Truncate),
        1 => Just(Op::Roll),
        1 => Just(Op::Crash),
        1 => (0u64..6).prop_map(Op::CrashDuring),
    ]
}

/// What the test knows: `written` = what the log may hold (a prefix of it must be
/// recovered), `durable` = how many of them were acknowledged.
struct Model {
    written: Vec<Vec<u8>>,
    durable: usize,
}

/// Opens the log after a power cut. A cut in the middle of an unsynced batch can tear an
/// earlier frame of the batch and keep a later one; recovery cannot tell that from damage
/// to synced data and refuses, so the test does what an operator would: discard from the
/// bad frame on (`inspect::discard_corrupt_tail`) and open again. Whether that lost an
/// acknowledged entry is what the caller checks next.
fn open_as_an_operator_would(
    dir: &common::fileio::SimDir,
    cfg: &Config,
) -> Result<Wal<common::fileio::SimDir>, WalError> {
    match Wal::open(dir.clone(), cfg.clone()) {
        Err(WalError::Corrupt { reason, .. }) if reason.contains("valid frame follows") => {
            inspect::discard_corrupt_tail(dir, cfg.max_entry_bytes)?;
            Wal::open(dir.clone(), cfg.clone())
        }
        other => other,
    }
}

fn reopen_and_check(
    fs: &SimFs,
    dir: &common::fileio::SimDir,
    cfg: &Config,
    model: &mut Model,
    rng: &mut SimRng,
) -> Result<Wal<common::fileio::SimDir>, TestCaseError> {
    fs.crash(rng);
    let wal = open_as_an_operator_would(dir, cfg)
        .map_err(|e| TestCaseError::fail(format!("recovery failed: {e}")))?;
    let recovered = wal
        .read_all()
        .map_err(|e| TestCaseError::fail(format!("read failed: {e}")))?;
    for (k, entry) in recovered.iter().enumerate() {
        prop_assert_eq!(
            entry.index,
            k as u64 + 1,
            "indices must be dense and increasing"
        );
    }
    prop_assert!(
        recovered.len() >= model.durable,
        "an acknowledged entry was lost: {} recovered, {} acknowledged",
        recovered.len(),
        model.durable
    );
    prop_assert!(
        recovered.len() <= model.written.len(),
        "recovered more entries than were written"
    );
    for (k, entry) in recovered.iter().enumerate() {
        prop_assert_eq!(
            &entry.data,
            &model.written[k],
            "entry {} came back different from what was written",
            k + 1
        );
    }
    model.written.truncate(recovered.len());
    model.durable = recovered.len();
    Ok(wal)
}

fn run_ops(seed: u64, padding: bool, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let fs = SimFs::new(
        SimFsConfig {
            crash: CrashPolicy::ReorderSectors {
                sector_survival: 0.5,
            },
            sector_bytes: 64,
            ..SimFsConfig::default()
        },
        SimRng::derive(seed, "fs"),
    );
    let mut rng = SimRng::derive(seed, "crash");
    let dir = fs.dir("wal");
    let cfg = Config {
        max_segment_bytes: 300,
        padding,
        block_bytes: 128,
        ..Config::default()
    };
    let mut wal =
        Wal::open(dir.clone(), cfg.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut model = Model {
        written: Vec::new(),
        durable: 0,
    };
    let mut power_cut_armed = false;
    for (step, op) in ops.into_iter().enumerate() {
        let data = |len: usize| payload(seed.wrapping_add(step as u64), len);
        let failed = match op {
            Op::Append(len) => {
                let bytes = data(len);
                model.written.truncate(wal.last_index() as usize);
                model.written.push(bytes.clone());
                match wal.append(&bytes) {
                    Ok(index) => {
                        prop_assert_eq!(
                            index as usize,
                            model.written.len(),
                            "indices are assigned densely"
                        );
                        model.durable = model.written.len();
                        false
                    }
                    Err(_) => true,
                }
            }
            Op::AppendUnsynced(len) => {
                let bytes = data(len);
                model.written.truncate(wal.last_index() as usize);
                model.written.push(bytes.clone());
                wal.append_unsynced(0, &bytes).is_err()
            }
            Op::Flush => match wal.flush() {
                Ok(()) => {
                    model.durable = wal.last_index() as usize;
                    false
                }
                Err(_) => true,
            },
            Op::Truncate(back) => {
                let to = wal.last_index().saturating_sub(back).max(1);
                match wal.truncate(to) {
                    Ok(()) => {
                        model.written.truncate(to as usize - 1);
                        model.durable = model.written.len();
                        false
                    }
                    Err(WalError::IndexOutOfRange { .. }) => false,
                    Err(_) => {
                        model.durable = model.durable.min(to as usize - 1);
                        true
                    }
                }
            }
            Op::Roll => wal.roll().is_err(),
            Op::Crash => {
                drop(wal);
                wal = reopen_and_check(&fs, &dir, &cfg, &mut model, &mut rng)?;
                power_cut_armed = false;
                false
            }
            Op::CrashDuring(n) => {
                fs.cut_power_after(n);
                power_cut_armed = true;
                false
            }
        };
        if failed {
            prop_assert!(
                power_cut_armed,
                "an operation failed without an injected fault"
            );
            drop(wal);
            wal = reopen_and_check(&fs, &dir, &cfg, &mut model, &mut rng)?;
            power_cut_armed = false;
        }
    }
    drop(wal);
    reopen_and_check(&fs, &dir, &cfg, &mut model, &mut rng)?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 96,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0xC0FFEE),
        ..ProptestConfig::default()
    })]

    /// Random appends, flushes, truncations, rolls and power cuts (between and during
    /// operations, with torn unsynced sectors): every acknowledged entry survives, indices
    /// stay dense, and nothing comes back different from what was written.
    #[test]
    fn step5_random_operations_and_crashes_never_lose_an_acknowledged_entry(
        seed in any::<u64>(),
        padding in any::<bool>(),
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        run_ops(seed, padding, ops)?;
    }
}

#[test]
fn step5_the_torn_tail_warning_names_the_segment() {
    let (bytes, _) = small_log();
    let (_fs, dir) = log_from_bytes(&bytes[..bytes.len() - 3], 1);
    let wal = open(dir, Config::default());
    assert!(matches!(
        wal.recovery_report().warnings.as_slice(),
        [Warning::TornTail { segment, .. }] if segment == FIRST_SEGMENT
    ));
}

/// The search for a valid frame after the damage reads each candidate's type code from
/// its own four bytes: a frame of 70,000 bytes of data, whose length field has no zero
/// byte below the top one, is found like a small one, and the log refuses to open.
#[test]
fn step5_a_large_valid_frame_after_the_damage_is_found_too() {
    let frame_bytes = (HEADER_BYTES + 20) as u64;
    let fs = sim_fs(15);
    let dir = fs.dir("wal");
    let mut wal = open(dir.clone(), Config::default());
    wal.append(&payload(1, 20)).expect("append");
    wal.append(&payload(2, 20)).expect("append");
    wal.append(&payload(3, 70_000)).expect("append");
    drop(wal);
    assert!(fs.corrupt_byte(&dir.path_of(FIRST_SEGMENT), frame_bytes + 50, 0x10));
    let error = Wal::open(dir, Config::default())
        .expect_err("entry 3 was synced after the damaged entry 2: the log must refuse");
    assert!(
        matches!(&error, WalError::Corrupt { offset, reason, .. }
            if *offset == frame_bytes && reason.contains("entry 3")),
        "a valid frame, entry 3, follows the damage at entry 2: {error}"
    );
}

/// What counts as a later write. After entry 1 and a damaged entry 2, a valid frame that
/// could only have been written after entry 1 makes the damage corruption: a padding frame
/// (a flush wrote it after the entries it pads). A valid frame that could not have been
/// is no such evidence, and the damage is a torn tail, cut: a copy of entry 1 (its index
/// is not after the last good entry), or entry 5 (the 120 bytes from the damage on hold
/// at most three frames, so no entry after 4 fits).
#[test]
fn step5_only_a_frame_that_could_follow_the_last_good_entry_makes_damage_corruption() {
    use wal::frame::Frame;
    let good = Frame::data(1, 0, 0, payload(1, 20)).encode();
    let mut damaged = Frame::data(2, 0, 0, payload(2, 20)).encode();
    damaged[50] ^= 0x10;
    let frame_bytes = good.len() as u64;
    for (after, what, corrupt) in [
        (Frame::padding(20), "a padding frame", true),
        (
            Frame::data(1, 0, 0, payload(1, 20)),
            "a copy of entry 1",
            false,
        ),
        (Frame::data(5, 0, 0, payload(5, 20)), "entry 5", false),
    ] {
        let bytes = [good.clone(), damaged.clone(), after.encode()].concat();
        let (_fs, dir) = log_from_bytes(&bytes, 16);
        let opened = Wal::open(dir, Config::default());
        if corrupt {
            assert!(
                matches!(&opened, Err(WalError::Corrupt { offset, .. }) if *offset == frame_bytes),
                "{what} after the damage proves a later write: the log must refuse, got {:?}",
                opened.map(|w| w.last_index())
            );
        } else {
            let wal =
                opened.unwrap_or_else(|e| panic!("{what} proves nothing: a torn tail, got {e}"));
            assert_eq!(
                wal.last_index(),
                1,
                "{what}: the tail from entry 2 on is cut"
            );
            assert!(
                matches!(wal.recovery_report().warnings.as_slice(), [Warning::TornTail { offset, .. }] if *offset == frame_bytes),
                "{what}: a torn tail at entry 2"
            );
        }
    }
}

/// `inspect` says what recovery would do without doing it, and how many bytes it would
/// cut: for a torn tail, from the end of the last valid frame to the end of the file;
/// for a bad frame with valid frames after it, from the bad frame on, naming the entries
/// a discard would lose.
#[test]
fn step5_inspect_says_what_recovery_would_cut_and_how_many_bytes() {
    let (bytes, entries) = small_log();
    let torn = &bytes[..bytes.len() - 3];
    let valid_len = (bytes.len() - HEADER_BYTES - entries[4].len()) as u64;
    let (_fs, dir) = log_from_bytes(torn, 1);
    let verdict = inspect::inspect(&dir, wal::frame::DEFAULT_MAX_ENTRY_BYTES)
        .expect("inspect reads the directory")
        .verdict();
    assert!(
        matches!(&verdict, inspect::Verdict::TornTail { offset, discarded_bytes, .. }
            if *offset == valid_len && *discarded_bytes == torn.len() as u64 - valid_len),
        "the tail from byte {valid_len} to {} is torn, got {verdict:?}",
        torn.len()
    );

    let (_fs, dir, frame_bytes) = support::log_with_a_bad_second_of_four_frames(14);
    let verdict = inspect::inspect(&dir, wal::frame::DEFAULT_MAX_ENTRY_BYTES)
        .expect("inspect reads the directory")
        .verdict();
    assert!(
        matches!(&verdict, inspect::Verdict::CorruptBeforeValidFrames {
                segment, offset, valid_offset, entries_at_risk, discarded_bytes, ..
            } if segment == FIRST_SEGMENT
                && *offset == frame_bytes
                && *valid_offset == 2 * frame_bytes
                && *entries_at_risk == [3, 4]
                && *discarded_bytes == 3 * frame_bytes),
        "the second of four frames is bad, the third is the next valid one, and a discard \
         would cut three frames' bytes and entries 3 and 4; got {verdict:?}"
    );
}

/// A log whose last frame is torn, on a disk that loses every unsynced change in a
/// crash. Recovery cuts the tail, and the cut is durable: the segment on disk ends at the
/// last valid frame, and a power cut right after recovery finds nothing left to cut.
#[test]
fn step5_the_cut_of_a_torn_tail_is_synced_and_survives_a_crash() {
    let (bytes, entries) = small_log();
    let torn = &bytes[..bytes.len() - 3];
    let valid_len = (bytes.len() - HEADER_BYTES - entries[4].len()) as u64;
    let fs = support::sim_fs_losing_unsynced(4);
    let dir = fs.dir("wal");
    let mut file = dir.create(FIRST_SEGMENT).expect("create");
    file.write_at(0, torn).expect("write");
    file.sync().expect("sync");
    dir.sync().expect("dir sync");
    let wal = open(dir.clone(), Config::default());
    assert_eq!(
        wal.recovery_report().discarded_bytes(),
        torn.len() as u64 - valid_len
    );
    drop(wal);
    assert_eq!(
        fs.durable_bytes(&dir.path_of(FIRST_SEGMENT))
            .expect("the segment is durable")
            .len() as u64,
        valid_len,
        "recovery must sync the cut: the segment on disk must end at the last valid frame"
    );
    fs.crash(&mut SimRng::derive(4, "crash"));
    let wal = open(dir, Config::default());
    assert_eq!(
        wal.recovery_report().discarded_bytes(),
        0,
        "a crash right after recovery must not bring the torn tail back"
    );
    assert_eq!(data_of(&wal), entries[..4].to_vec());
}

/// The disk image after appends, a power cut that tears the unsynced tail, and recovery.
fn image_after_crash(seed: u64) -> Vec<Vec<u8>> {
    let fs = sim_fs(seed);
    let dir = fs.dir("wal");
    let mut wal = open(dir.clone(), config(300));
    for i in 0..12 {
        if i % 3 == 0 {
            wal.append(&payload(i, 90)).expect("append");
        } else {
            wal.append_unsynced(0, &payload(i, 90)).expect("append");
        }
    }
    drop(wal);
    fs.crash(&mut SimRng::derive(seed, "crash"));
    let wal = open_as_an_operator_would(&dir, &config(300)).expect("the log opens");
    wal.segments()
        .iter()
        .map(|s| fs.file_bytes(&dir.path_of(&s.name)).expect("segment"))
        .collect()
}

#[test]
fn step5_the_same_seed_replays_the_same_crash_and_recovery() {
    for seed in 0..8 {
        assert_eq!(
            image_after_crash(seed),
            image_after_crash(seed),
            "seed {seed} must replay exactly: rerun with this seed to reproduce"
        );
    }
}

/// Bug 7: a torn data tail came back zero-filled, and a torn header made the log
/// impossible to open.
#[test]
fn step5_bug_07_a_torn_tail_is_cut_not_returned_zero_filled() {
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

#[test]
fn step5_verify_and_recover_report_a_torn_tail_and_recovery_cuts_it() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let path = tmp.path().join("log");
    let dir = path.to_str().expect("utf-8 path");
    assert_eq!(code(&wal_cli(&["append", dir, "one", "two"])), 0);
    let segment = path.join("wal_00000000000000000000.log");
    let len = std::fs::metadata(&segment).expect("segment").len();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&segment)
        .expect("open");
    file.set_len(len - 2).expect("tear the tail");
    assert_eq!(
        code(&wal_cli(&["verify", dir])),
        1,
        "a torn tail exits with 1"
    );
    let dry = wal_cli(&["recover", dir, "--dry-run"]);
    assert_eq!(code(&dry), 1);
    assert!(stdout(&dry).contains("would discard"));
    assert_eq!(
        std::fs::metadata(&segment).expect("segment").len(),
        len - 2,
        "a dry run changes nothing"
    );
    assert_eq!(code(&wal_cli(&["recover", dir])), 0);
    assert_eq!(
        code(&wal_cli(&["verify", dir])),
        0,
        "after recovery the log is clean"
    );
}

/// The fault this guards against: `verify` called a log whose frame 2 is bad and whose
/// frame 3 is valid and synced a torn tail (exit 1), and `recover` then cut frame 3, an
/// acknowledged entry. Now it is corruption (exit 4), recover refuses and changes nothing,
/// and only `--discard-corrupt-tail` (the operator saying so) cuts it.
#[test]
fn step5_verify_calls_a_bad_frame_before_a_valid_synced_frame_corruption_and_recover_discards_nothing()
 {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let path = tmp.path().join("log");
    let dir = path.to_str().expect("utf-8 path");
    assert_eq!(code(&wal_cli(&["append", dir, "one", "two", "three"])), 0);
    let segment = path.join("wal_00000000000000000000.log");
    let mut bytes = std::fs::read(&segment).expect("read");
    let second_frame = 40 + 3;
    bytes[second_frame + 41] ^= 0x20;
    std::fs::write(&segment, &bytes).expect("write");

    let verify = wal_cli(&["verify", dir]);
    assert_eq!(
        code(&verify),
        4,
        "damage followed by a valid frame is corruption, not a torn tail:\n{}",
        stdout(&verify)
    );
    assert!(
        stdout(&verify).contains("valid frame follows") && stdout(&verify).contains("3"),
        "verify must say which valid entry follows the damage:\n{}",
        stdout(&verify)
    );
    let dry = wal_cli(&["recover", dir, "--dry-run"]);
    assert_eq!(code(&dry), 4, "the dry run agrees with verify");
    let recover = wal_cli(&["recover", dir]);
    let stderr = String::from_utf8_lossy(&recover.stderr).into_owned();
    assert_eq!(code(&recover), 4, "recovery refuses: {stderr}");
    assert!(
        stderr.contains("--discard-corrupt-tail"),
        "the refusal names the operator's way out: {stderr}"
    );
    assert_eq!(
        std::fs::read(&segment).expect("read"),
        bytes,
        "nothing is discarded without the operator saying so"
    );

    let discard = wal_cli(&["recover", dir, "--discard-corrupt-tail"]);
    assert_eq!(
        code(&discard),
        0,
        "{}",
        String::from_utf8_lossy(&discard.stderr)
    );
    assert!(
        stdout(&discard).contains("entries 3"),
        "the repair names the entry it gave up:\n{}",
        stdout(&discard)
    );
    assert_eq!(
        std::fs::metadata(&segment).expect("segment").len(),
        second_frame as u64,
        "the operator's repair cuts at the bad frame"
    );
    assert_eq!(
        code(&wal_cli(&["verify", dir])),
        0,
        "the repaired log is clean"
    );
}
