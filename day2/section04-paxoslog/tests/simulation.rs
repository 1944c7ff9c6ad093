//! Randomised runs under faults, checked for linearizability against a key-value store
//! with compare-and-swap, and the negative controls the same runner must catch.

mod support;
use common::sim;
use paxoslog::Config;
use support::sim::{Figures, run_five_server_seed, run_seed, run_swarm_seed};

/// Seeds run by default (CI); `SIM_ITERS` raises it, `SIM_SEED` replays one.
const CI_SEEDS: u64 = 1_000;
/// Swarm seeds run by default.
const SWARM_SEEDS: u64 = 200;
/// A negative control must be caught within this many seeds.
const CONTROL_SEEDS: u64 = 100;

/// Runs `run_seed` over a sweep of `default_count` seeds (or what `SIM_*` asks for),
/// adds up what the seeds exercised, and checks that every requested seed really ran.
fn sweep_with_figures(
    default_count: u64,
    mut run_seed: impl FnMut(u64) -> Result<Figures, Box<sim::SeedFailure>>,
) -> (sim::Seeds, Figures) {
    let mut total = Figures::default();
    let summary = sim::sweep(default_count, |seed| {
        total.add(run_seed(seed)?);
        Ok(())
    });
    assert_eq!(
        total.seeds, summary.seeds.count,
        "the sweep must run every seed it was asked for"
    );
    println!(
        "{} seeds: {} faults in their plans, {} seeds crashed a server, {} of {} operations answered",
        total.seeds, total.faults, total.seeds_with_a_crash, total.answered, total.invoked
    );
    (summary.seeds, total)
}

#[test]
fn random_faults_keep_the_log_linearizable() {
    let (seeds, figures) = sweep_with_figures(CI_SEEDS, |seed| run_seed(seed, &Config::default()));
    if seeds.replay {
        return;
    }
    assert!(figures.faults >= 4 * figures.seeds);
    assert!(figures.seeds_with_a_crash * 2 >= figures.seeds);
}

#[test]
fn five_servers_keep_the_log_linearizable() {
    let (seeds, figures) = sweep_with_figures(SWARM_SEEDS, |seed| {
        run_five_server_seed(seed, &Config::default())
    });
    if seeds.replay {
        return;
    }
    assert!(figures.faults >= 2 * figures.seeds);
}

#[test]
fn swarm_configurations_keep_the_log_linearizable() {
    let (seeds, figures) =
        sweep_with_figures(SWARM_SEEDS, |seed| run_swarm_seed(seed, &Config::default()));
    if seeds.replay {
        return;
    }
    assert!(figures.faults >= 2 * figures.seeds);
}

#[test]
fn executing_past_gaps_is_caught_within_100_seeds() {
    let failure = sim::find_failure(CONTROL_SEEDS, |seed| {
        run_seed(seed, &Config::execute_past_gaps()).map(drop)
    })
    .expect("the fault runner must catch a learner that executes past a gap");
    println!("{}", failure.failure);
}

#[test]
fn ignoring_accepted_values_is_caught_within_100_seeds() {
    let failure = sim::find_failure(CONTROL_SEEDS, |seed| {
        run_seed(seed, &Config::ignore_accepted_values()).map(drop)
    })
    .expect("the fault runner must catch a proposer that ignores accepted values");
    println!("{}", failure.failure);
}
