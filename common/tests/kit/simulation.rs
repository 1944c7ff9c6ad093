//! The seeded runner end to end, on the small replicated register of `support::register`:
//! the correct register survives faults on every seed; the broken one is caught.

use crate::support::register::{Mode, RegisterWorkload, Replica};
use common::check::models::KvRegister;
use common::nemesis::{FaultConfig, FaultMix};
use common::sim::{self, Check, SimConfig};

fn config(seed: u64) -> SimConfig {
    SimConfig {
        chaos_ticks: 600,
        quiesce_ticks: 400,
        faults: FaultConfig {
            mix: FaultMix::network_and_crashes(),
            mean_gap_ticks: 30,
            ..FaultConfig::default()
        },
        ..SimConfig::new(seed)
    }
}

fn run(config: &SimConfig, mode: Mode) -> Result<(), Box<sim::SeedFailure>> {
    let mut workload = RegisterWorkload::default();
    sim::run(
        config,
        |b| b.build(move |_, _| Replica::new(mode)),
        &mut workload,
        &KvRegister::new(0),
        Check::Linearizable,
    )
    .into_result()
}

/// Three replicas under partitions, delays, holds, duplicates, crashes (with lost and
/// torn unsynced writes), pauses and failing disks: every history is linearizable and
/// the healed cluster answers every client.
#[test]
fn the_abd_register_is_linearizable_on_every_seed() {
    let summary = sim::sweep(1000, |seed| run(&config(seed), Mode::Correct));
    assert_eq!(summary.passed, summary.seeds.count, "every seed must pass");
}

/// Swarm mode: the seed also draws sizes, latencies, loss and the fault mix.
#[test]
fn the_abd_register_is_linearizable_in_swarm_mode() {
    sim::sweep(200, |seed| {
        run(
            &SimConfig {
                chaos_ticks: 600,
                quiesce_ticks: 400,
                ..SimConfig::swarm(seed)
            },
            Mode::Correct,
        )
    });
}

/// The negative control: acknowledging a write before a majority holds it lets a later
/// read miss it. The checker must find that within 100 seeds.
#[test]
fn acknowledging_before_replicating_is_caught_within_100_seeds() {
    let failure = sim::find_failure(100, |seed| run(&config(seed), Mode::AckBeforeReplicating))
        .expect("the broken register must produce a non-linearizable history within 100 seeds");
    assert!(
        matches!(failure.failure, sim::Failure::Inconsistent(_)),
        "the broken register must be caught by the history check, got: {}",
        failure.failure
    );
    assert!(
        failure.report.contains("timeline"),
        "the report must show the timeline:\n{}",
        failure.report
    );
}

/// A failing seed replays exactly: same plan, same history, same verdict.
#[test]
fn a_failing_seed_replays_identically() {
    let failure = sim::find_failure(100, |seed| run(&config(seed), Mode::AckBeforeReplicating))
        .expect("a failing seed exists");
    let again = run(&config(failure.seed), Mode::AckBeforeReplicating)
        .expect_err("the same seed must fail again");
    assert_eq!(
        again.report, failure.report,
        "replaying seed {} must reproduce the same run",
        failure.seed
    );
}

/// The same seed twice gives the same trace; the runner leaks no nondeterminism.
#[test]
fn the_runner_is_deterministic() {
    let hash = |seed| {
        let mut workload = RegisterWorkload::default();
        let run = sim::run(
            &config(seed),
            |b| b.build(|_, _| Replica::new(Mode::Correct)),
            &mut workload,
            &KvRegister::new(0),
            Check::Linearizable,
        );
        (run.trace_hash, run.history.to_text())
    };
    assert_eq!(hash(5), hash(5));
    assert_ne!(
        hash(5).0,
        hash(6).0,
        "different seeds must explore different runs"
    );
}
