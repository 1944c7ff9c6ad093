//! Helpers shared by the test files.
#![allow(dead_code)]

use common::fileio::{CrashPolicy, Dir, FileIo, LocalDir, SimDir, SimFs, SimFsConfig};
use common::rng::SimRng;
use proptest::prelude::ProptestConfig;
use std::process::{Command, Output};
use std::sync::Arc;
use wal::{Config, ManualClock, Wal};

/// Wall time the manual clock starts at (ms).
pub const START_MS: u64 = 1_000_000;

/// A simulated node disk with torn unsynced writes, seeded.
pub fn sim_fs(seed: u64) -> SimFs {
    SimFs::new(SimFsConfig::default(), SimRng::derive(seed, "fs"))
}

/// A simulated disk that loses every unsynced write on a crash.
pub fn sim_fs_losing_unsynced(seed: u64) -> SimFs {
    SimFs::new(
        SimFsConfig {
            crash: CrashPolicy::LoseUnsynced,
            ..SimFsConfig::default()
        },
        SimRng::derive(seed, "fs"),
    )
}

/// The log directory of a fresh simulated node.
pub fn sim_dir(seed: u64) -> SimDir {
    sim_fs(seed).dir("node/wal")
}

/// A config rolling segments at `max_segment_bytes`.
pub fn config(max_segment_bytes: u64) -> Config {
    Config {
        max_segment_bytes,
        ..Config::default()
    }
}

/// Open a log with a manual clock at [`START_MS`].
pub fn open<D: Dir>(dir: D, config: Config) -> Wal<D> {
    open_with_clock(dir, config, ManualClock::new(START_MS))
}

/// Open a log with the given clock.
pub fn open_with_clock<D: Dir>(dir: D, config: Config, clock: ManualClock) -> Wal<D> {
    Wal::open_with_clock(dir, config, Arc::new(clock)).expect("the log must open")
}

/// A payload of `len` bytes, distinct per `tag`.
pub fn payload(tag: u64, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (tag.wrapping_mul(31).wrapping_add(i as u64)) as u8)
        .collect()
}

/// A fresh real directory inside a temporary one (kept alive by the returned guard).
pub fn local_dir() -> (tempfile::TempDir, LocalDir) {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let dir = LocalDir::open(tmp.path().join("wal")).expect("local log directory");
    (tmp, dir)
}

/// Generate one test per backend for each generic scenario `fn name<D: Dir>(dir: D)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod on_sim_file {
            $( #[test] fn $name() { super::$name($crate::support::sim_dir(7)); } )*
        }
        mod on_local_file {
            $( #[test] fn $name() {
                let (_guard, dir) = $crate::support::local_dir();
                super::$name(dir);
            } )*
        }
    };
}

/// The first segment of a log (base 0).
pub const FIRST_SEGMENT: &str = "wal_00000000000000000000.log";

/// A property-test configuration with a fixed seed and no regression files.
pub fn proptest_config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed),
        ..ProptestConfig::default()
    }
}

/// A log of four synced entries of 20 bytes (60-byte frames) whose second frame has a
/// damaged data byte: a bad frame with two valid ones after it. Returns the disk, the log's
/// directory and the size of one frame.
pub fn log_with_a_bad_second_of_four_frames(seed: u64) -> (SimFs, SimDir, u64) {
    let fs = sim_fs(seed);
    let dir = fs.dir("wal");
    let mut wal = open(dir.clone(), Config::default());
    for i in 1..=4 {
        wal.append(&payload(i, 20)).expect("append and sync");
    }
    drop(wal);
    let frame_bytes = (wal::frame::HEADER_BYTES + 20) as u64;
    assert!(
        fs.corrupt_byte(&dir.path_of(FIRST_SEGMENT), frame_bytes + 45, 0x01),
        "the segment holds the second frame's data byte"
    );
    (fs, dir, frame_bytes)
}

/// The bytes of a one-segment log of five entries of different sizes, and the entries.
pub fn small_log() -> (Vec<u8>, Vec<Vec<u8>>) {
    let fs = sim_fs(100);
    let dir = fs.dir("wal");
    let mut wal = open(dir.clone(), Config::default());
    let entries: Vec<Vec<u8>> = [0usize, 7, 1, 60, 13]
        .iter()
        .enumerate()
        .map(|(i, n)| payload(i as u64, *n))
        .collect();
    for data in &entries {
        wal.append(data).expect("append");
    }
    (
        fs.file_bytes(&dir.path_of(FIRST_SEGMENT)).expect("segment"),
        entries,
    )
}

/// A simulated log directory whose first segment holds exactly `bytes`, synced.
pub fn log_from_bytes(bytes: &[u8], seed: u64) -> (SimFs, SimDir) {
    let fs = sim_fs(seed);
    let dir = fs.dir("wal");
    let mut file = dir.create(FIRST_SEGMENT).expect("create");
    file.write_at(0, bytes).expect("write");
    file.sync().expect("sync");
    dir.sync().expect("dir sync");
    (fs, dir)
}

/// Every entry's data, in index order.
pub fn data_of<D: Dir>(wal: &Wal<D>) -> Vec<Vec<u8>> {
    wal.read_all()
        .expect("read")
        .into_iter()
        .map(|e| e.data)
        .collect()
}

/// A readable payload of `len` bytes, `entry-<tag>-` padded with `x`.
pub fn text(len: usize, tag: u64) -> Vec<u8> {
    let mut bytes = format!("entry-{tag:02}-").into_bytes();
    bytes.resize(len, b'x');
    bytes
}

/// The segment file names of a log, oldest first.
pub fn segment_names<D: Dir>(wal: &Wal<D>) -> Vec<String> {
    wal.segments().into_iter().map(|s| s.name).collect()
}

/// Runs the `wal` binary with `args`.
pub fn wal_cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wal"))
        .args(args)
        .output()
        .expect("run the wal binary")
}

/// The exit code of a finished command.
pub fn code(output: &Output) -> i32 {
    output.status.code().expect("exit code")
}

/// Its standard output.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}
