//! Step 3: randomised runs under faults — leader crashes and restarts, partitions,
//! one-way links, lossy links, pauses and clock drift — checked after every tick by the
//! safety invariants, at the end for linearizability, and after the faults heal for
//! liveness (a settled leader within a bound, every request completed within a bound);
//! and the two negative controls the same runner must catch.

mod support;
use common::sim::{self, Exercised};
use heartbeats::Config;
use support::sim::{
    KvCas, KvWorkload, LEADER_AFTER_HEAL_TICKS, fault_config, reset_slowest_recovery,
    run_five_server_seed, run_lockstep_seed, run_seed, run_seed_without_generation_check,
    slowest_recovery,
};
use support::{leader_crashed, reset_leader_crashed};

/// Seeds run by default (CI); `SIM_ITERS` raises it, `SIM_SEED` replays one.
const CI_SEEDS: u64 = 1_000;
/// Five-server seeds run by default.
const WIDE_SEEDS: u64 = 100;
/// A negative control must be caught within this many seeds.
const CONTROL_SEEDS: u64 = 200;
/// The consequences of two leaders in one generation take more seeds to show.
const CONSEQUENCE_SEEDS: u64 = 1_000;

/// Three servers under leader crashes and restarts, partitions, one-way links, lossy
/// links, pauses and clock drift: one leader per generation, per-slot agreement,
/// exactly-once execution and durability hold after every tick; the clients' history is
/// linearizable; and after the faults heal a leader settles and every request completes
/// within the stated bounds.
#[test]
fn step3_random_faults_keep_one_leader_per_generation_and_a_linearizable_log() {
    let mut leader_crashes = 0u64;
    reset_slowest_recovery();
    let summary = sim::sweep(CI_SEEDS, |seed| {
        reset_leader_crashed();
        let result = run_seed(seed, &Config::default());
        leader_crashes += u64::from(leader_crashed());
        result
    });
    if summary.seeds.replay {
        return;
    }
    let figures: Exercised = summary.exercised;
    println!(
        "{} seeds: {leader_crashes} crashed a node while or after it led; {} of {} operations answered; slowest settled leader after healing: {} ticks (bound {LEADER_AFTER_HEAL_TICKS})",
        figures.seeds,
        figures.completed_ops,
        figures.invoked_ops,
        slowest_recovery()
    );
    assert!(
        leader_crashes * 10 >= figures.seeds * 7,
        "only {leader_crashes} of {} seeds crashed a leader: failover is barely exercised",
        figures.seeds
    );
    assert!(
        figures.planned_faults >= 8 * figures.seeds,
        "the fault plans held only {} faults over {} seeds: the sweep is barely under faults",
        figures.planned_faults,
        figures.seeds
    );
    assert!(
        figures.completed_ops * 10 >= figures.invoked_ops * 6,
        "only {} of {} operations were answered: the history is mostly unknown outcomes",
        figures.completed_ops,
        figures.invoked_ops
    );
    assert!(
        figures.invoked_ops >= 8 * figures.seeds,
        "only {} operations over {} seeds: the histories are too short to check much",
        figures.invoked_ops,
        figures.seeds
    );
}

/// The same faults on five servers, where two servers may be away at once.
#[test]
fn step3_five_servers_keep_one_leader_per_generation_and_a_linearizable_log() {
    let summary = sim::sweep(WIDE_SEEDS, |seed| {
        run_five_server_seed(seed, &Config::default())
    });
    if !summary.seeds.replay {
        let figures = summary.exercised;
        assert!(
            figures.completed_ops * 10 >= figures.invoked_ops * 6,
            "only {} of {} operations were answered on five servers",
            figures.completed_ops,
            figures.invoked_ops
        );
    }
}

/// Randomized timeouts elect a leader in the lockstep set-up too (three servers booted
/// together, one fixed latency, no faults): the positive twin of the split-vote control.
#[test]
fn step3_randomized_timeouts_elect_a_leader_when_nodes_boot_in_lockstep() {
    sim::sweep(20, |seed| run_lockstep_seed(seed, &Config::default()));
}

/// Negative control (liveness): with equal election timeouts, three servers booted
/// together stand together, each votes for itself, and they split the vote again at
/// every timeout; the liveness check after healing must fail.
#[test]
fn step3_equal_election_timeouts_split_the_vote_for_ever_and_fail_the_liveness_check() {
    let failure = sim::find_failure(CONTROL_SEEDS, |seed| {
        run_lockstep_seed(seed, &Config::equal_timeouts()).map(drop)
    })
    .expect("the liveness check must catch equal election timeouts");
    let found = failure.failure.to_string();
    assert!(
        found.contains("no settled leader") || found.contains("no progress after healing"),
        "equal timeouts must be caught by the liveness check, not for another reason: {found}\n{}",
        failure.report
    );
}

/// Negative control (safety, bug H1): a leader that adopts a higher generation instead
/// of stepping down leads beside the real leader in one generation; the safety checks
/// must catch it.
#[test]
fn step3_a_leader_that_never_steps_down_is_caught_by_the_safety_checks() {
    let failure = sim::find_failure(CONTROL_SEEDS, |seed| {
        run_seed(seed, &Config::no_step_down()).map(drop)
    })
    .expect("the safety checks must catch a leader that never steps down");
    let found = failure.failure.to_string();
    assert!(
        found.contains("invariant violated") || found.contains("history check failed"),
        "a leader that never steps down must break a safety check, not liveness: {found}\n{}",
        failure.report
    );
}

/// The same negative control, seen through its consequences: without the generation
/// invariant, two leaders of one generation fill the same slot with different values,
/// and the per-slot agreement check or the linearizability check catches it.
#[test]
fn step3_two_leaders_of_one_generation_break_per_slot_agreement() {
    let failure = sim::find_failure(CONSEQUENCE_SEEDS, |seed| {
        match run_seed_without_generation_check(seed, &Config::no_step_down()) {
            // A stuck run is a symptom too, but this control looks for lost safety.
            Err(failure) if matches!(failure.failure, sim::Failure::Liveness(_)) => Ok(()),
            other => other.map(drop),
        }
    })
    .expect("two leaders of one generation must break agreement or linearizability");
    let found = failure.failure.to_string();
    assert!(
        found.contains("two values committed")
            || found.contains("was chosen in")
            || found.contains("told a value other than")
            || found.contains("history check failed")
            || found.contains("agreed log"),
        "the second leader must be caught overwriting a chosen slot: {found}\n{}",
        failure.report
    );
}

/// The same seed replays the same run, event for event (bug H8: the Java heartbeats
/// carried unseeded random ids).
#[test]
fn step3_h8_a_seed_replays_exactly() {
    let hash = |seed| {
        let mut workload = KvWorkload::default();
        sim::run(
            &fault_config(seed),
            |builder| heartbeats::build(builder, Config::default()),
            &mut workload,
            &KvCas,
            sim::Check::Linearizable,
        )
        .trace_hash
    };
    assert_eq!(
        hash(7),
        hash(7),
        "two runs of seed 7 must have the same trace hash"
    );
    assert_ne!(
        hash(7),
        hash(8),
        "different seeds must explore different runs"
    );
}
