//! How many simulated runs per second can a seed sweep do?
//!
//! One run: the replicated register of `tests/kit/support/register.rs` on five servers with
//! three clients, 2,000 ticks of chaos (partitions, cuts, delays, holds, duplicates,
//! crashes, pauses, failing disks) then healing, and a linearizability check of the
//! history. The baseline, measured in the same run, is the same simulation with no faults
//! and no history check; the ratio shows what fault injection and checking cost.
//!
//! Run: `cargo bench -p common --bench seeds` (one core: the sweep is single-threaded).

#[path = "../tests/kit/support/register.rs"]
#[allow(dead_code)]
mod register;

use common::check::models::KvRegister;
use common::nemesis::{FaultConfig, FaultMix};
use common::sim::{self, Check, SimConfig};
use register::{Mode, RegisterWorkload, Replica};

fn config(seed: u64, faults: FaultConfig) -> SimConfig {
    SimConfig {
        servers: sim::server_names(5),
        chaos_ticks: 2_000,
        quiesce_ticks: 500,
        faults,
        ..SimConfig::new(seed)
    }
}

fn sweep(seeds: u64, faults: &FaultConfig, check: Check) -> (u64, usize) {
    let (mut passed, mut ops) = (0, 0);
    for seed in 0..seeds {
        let mut workload = RegisterWorkload::default();
        let run = sim::run(
            &config(seed, faults.clone()),
            |b| b.build(|_, _| Replica::new(Mode::Correct)),
            &mut workload,
            &KvRegister::new(0),
            check,
        );
        assert!(run.passed(), "seed {seed} must pass: {:?}", run.failure);
        passed += 1;
        ops += run.history.len();
    }
    (passed, ops)
}

// A benchmark measures wall time by definition; this is not simulated code.
#[allow(clippy::disallowed_methods)]
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let start = std::time::Instant::now();
    let out = f();
    (out, start.elapsed().as_secs_f64())
}

fn main() {
    let seeds = 100;
    let faults = FaultConfig {
        mix: FaultMix::network_and_crashes(),
        mean_gap_ticks: 30,
        ..FaultConfig::default()
    };
    let (mut full_best, mut bare_best, mut ops) = (f64::MAX, f64::MAX, 0);
    for _ in 0..3 {
        let ((_, full_ops), full) = timed(|| sweep(seeds, &faults, Check::Linearizable));
        let (_, bare) = timed(|| sweep(seeds, &FaultConfig::none(), Check::None));
        full_best = full_best.min(full);
        bare_best = bare_best.min(bare);
        ops = full_ops;
    }
    let full_rate = seeds as f64 / full_best;
    let bare_rate = seeds as f64 / bare_best;
    println!(
        "{seeds} seeds, 5 servers, 3 clients, 2,000 ticks of chaos + healing, {:.0} operations per seed, best of 3",
        ops as f64 / seeds as f64
    );
    println!("{:<52} {:>10}", "measure", "seeds/s");
    println!(
        "{:<52} {:>10.1}",
        "faults + linearizability check (the sweep)", full_rate
    );
    println!(
        "{:<52} {:>10.1}",
        "baseline: same simulation, no faults, no check", bare_rate
    );
    println!(
        "{:<52} {:>10.3}",
        "ratio sweep / baseline",
        full_rate / bare_rate
    );
}
