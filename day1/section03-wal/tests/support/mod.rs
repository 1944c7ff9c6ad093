//! Helpers shared by the test files.
#![allow(dead_code)]

use common::fileio::{CrashPolicy, Dir, LocalDir, SimDir, SimFs, SimFsConfig};
use common::rng::SimRng;
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
