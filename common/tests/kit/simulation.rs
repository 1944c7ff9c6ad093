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

fn run(config: &SimConfig, mode: Mode) -> Result<sim::Exercised, Box<sim::SeedFailure>> {
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

/// Sweep `count` seeds of the correct register with `config`. Returns what the seeds
/// exercised, or `None` for a replay of one seed.
fn sweep_correct(count: u64, config: impl Fn(u64) -> SimConfig) -> Option<sim::Exercised> {
    let summary = sim::sweep(count, |seed| run(&config(seed), Mode::Correct));
    (!summary.seeds.replay).then_some(summary.exercised)
}

/// Three replicas under partitions, delays, holds, duplicates, crashes (with lost and
/// torn unsynced writes), pauses and failing disks: every history is linearizable and
/// the healed cluster answers every client. The histories give the checker work, under
/// faults (57 completed operations and 12.0 planned faults a seed when this was
/// written).
#[test]
fn the_abd_register_is_linearizable_on_every_seed() {
    let Some(exercised) = sweep_correct(1000, config) else {
        return;
    };
    assert!(
        exercised.completed_ops >= 20 * exercised.seeds,
        "only {} completed operations over {} seeds: the checker had little to check",
        exercised.completed_ops,
        exercised.seeds
    );
    assert!(
        exercised.planned_faults >= 4 * exercised.seeds,
        "only {} planned faults over {} seeds: the sweep is barely under faults",
        exercised.planned_faults,
        exercised.seeds
    );
}

/// Swarm mode: the seed also draws sizes, latencies, loss and the fault mix. Some seeds
/// draw few faults, but the sweep as a whole runs under them (11.6 planned faults a seed
/// when this was written).
#[test]
fn the_abd_register_is_linearizable_in_swarm_mode() {
    let Some(exercised) = sweep_correct(200, |seed| SimConfig {
        chaos_ticks: 600,
        quiesce_ticks: 400,
        ..SimConfig::swarm(seed)
    }) else {
        return;
    };
    assert!(
        exercised.planned_faults >= 3 * exercised.seeds,
        "only {} planned faults over {} swarm seeds: the sweep is barely under faults",
        exercised.planned_faults,
        exercised.seeds
    );
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

/// The failing seed of the negative control leaves pictures of its run beside its other
/// artefacts, and the printed account names them.
#[test]
fn a_failing_seed_leaves_pictures_of_its_run_beside_its_artefacts() {
    let failure = sim::find_failure(100, |seed| run(&config(seed), Mode::AckBeforeReplicating))
        .expect("the broken register must fail within 100 seeds");
    let dir = failure
        .written_to
        .clone()
        .unwrap_or_else(|| panic!("the artefacts of seed {} were not written", failure.seed));
    for name in sim::PICTURE_FILES {
        let path = dir.join(name);
        let contents = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("the failing seed must leave {}: {e}", path.display()));
        assert!(
            contents.len() > 1000,
            "{name} is only {} bytes: it cannot draw a whole failed run",
            contents.len()
        );
    }
    let sequence = std::fs::read_to_string(dir.join("sequence.html")).unwrap_or_default();
    assert!(
        sequence.contains("class=\"m dl"),
        "the sequence diagram of a failed run must draw delivered messages"
    );
    let history = std::fs::read_to_string(dir.join("history.html")).unwrap_or_default();
    assert!(
        history.contains(" stuck ") && history.contains(" te "),
        "the history picture must highlight the counterexample (took effect / stuck)"
    );
    let summary = sim::failure_summary(&failure, 0, &Ok(dir));
    assert!(
        summary.contains("pictures: sequence.html, sequence.mmd, history.html"),
        "the printed account must name the pictures:\n{summary}"
    );
    let guide = failure
        .artefacts
        .iter()
        .find(|(name, _)| *name == "README.txt")
        .map(|(_, text)| text.clone())
        .unwrap_or_default();
    for name in sim::PICTURE_FILES {
        assert!(
            guide.contains(name),
            "README.txt must explain {name}:\n{guide}"
        );
    }
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
