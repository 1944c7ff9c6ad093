//! Randomised runs under faults — leader crashes and restarts, partitions that isolate
//! the leader, clock skew, message loss, slow and failing disks — checked after every
//! tick by the invariants and at the end for linearizability; and the negative control
//! the same runner must catch.

mod support;
use common::sim::{self, Exercised};
use multipaxos::Config;
use support::sim::{
    KvCas, KvWorkload, fault_config, run_five_server_seed, run_seed, run_seed_history_only,
    run_swarm_seed,
};
use support::{leader_crashed, reset_leader_crashed};

/// Seeds run by default (CI); `SIM_ITERS` raises it, `SIM_SEED` replays one.
const CI_SEEDS: u64 = 1_000;
/// Five-server and swarm seeds run by default.
const WIDE_SEEDS: u64 = 200;
/// The negative control must be caught within this many seeds.
const CONTROL_SEEDS: u64 = 100;

/// Three servers under every fault kind of the kit, crashes with restart in most seeds:
/// per-slot agreement, prefix agreement, exactly-once execution and durability hold
/// after every tick, and the clients' history is linearizable.
#[test]
fn step3_random_faults_keep_the_log_linearizable() {
    let mut leader_crashes = 0u64;
    let summary = sim::sweep(CI_SEEDS, |seed| {
        reset_leader_crashed();
        let result = run_seed(seed, &Config::default());
        leader_crashes += u64::from(leader_crashed());
        result
    });
    if summary.seeds.replay {
        return;
    }
    println!(
        "{leader_crashes} of {} seeds crashed a node while or after it led",
        summary.exercised.seeds
    );
    assert!(
        leader_crashes * 10 >= summary.exercised.seeds * 9,
        "only {leader_crashes} of {} seeds crashed a leader: failover is barely exercised",
        summary.exercised.seeds
    );
    let figures: Exercised = summary.exercised;
    assert!(
        figures.planned_faults >= 8 * figures.seeds,
        "the fault plans held only {} faults over {} seeds: the sweep is barely under faults",
        figures.planned_faults,
        figures.seeds
    );
    assert!(
        figures.seeds_with_a_crash * 10 >= figures.seeds * 9,
        "only {} of {} seeds crashed a server: leader crashes are barely exercised",
        figures.seeds_with_a_crash,
        figures.seeds
    );
    assert!(
        figures.completed_ops * 10 >= figures.invoked_ops * 7,
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

/// The same faults on five servers, where two servers may be away at once (one crashed
/// while another is cut off).
#[test]
fn step3_five_servers_keep_the_log_linearizable() {
    let summary = sim::sweep(WIDE_SEEDS, |seed| {
        run_five_server_seed(seed, &Config::default())
    });
    if !summary.seeds.replay {
        let figures = summary.exercised;
        assert!(
            figures.completed_ops * 10 >= figures.invoked_ops * 7,
            "only {} of {} operations were answered on five servers",
            figures.completed_ops,
            figures.invoked_ops
        );
    }
}

/// Swarm mode: each seed also draws the cluster size (3 or 5), the clients, latencies,
/// storage delay, crash policy and which fault kinds occur.
#[test]
fn step3_swarm_configurations_keep_the_log_linearizable() {
    let summary = sim::sweep(WIDE_SEEDS, |seed| run_swarm_seed(seed, &Config::default()));
    if !summary.seeds.replay {
        assert!(
            summary.exercised.invoked_ops >= 4 * summary.exercised.seeds,
            "only {} operations over {} swarm seeds",
            summary.exercised.invoked_ops,
            summary.exercised.seeds
        );
    }
}

/// Negative control (bug B1, with B2): a new leader that ignores committed slots in
/// the promises and numbers its slots from 1 again overwrites chosen entries; the
/// invariants or the linearizability check must catch it within 100 seeds.
#[test]
fn step3_a_leader_that_reuses_slot_numbers_is_caught_within_100_seeds() {
    let failure = sim::find_failure(CONTROL_SEEDS, |seed| {
        run_seed(seed, &Config::reuse_slots()).map(drop)
    })
    .expect("the fault runner must catch a leader that reuses slot numbers");
    let found = failure.failure.to_string();
    assert!(
        found.contains("two values committed")
            || found.contains("told a value other than")
            || found.contains("was chosen in")
            || found.contains("history check failed"),
        "the broken leader must be caught overwriting a chosen slot, not for another reason: {found}\n{}",
        failure.report
    );
}

/// The same negative control seen from outside: without the per-tick invariants, the
/// linearizability check of the clients' history alone must catch the slot-reusing
/// leader within 100 seeds (an acknowledged write is lost or a read sees a history no
/// single store could produce).
#[test]
fn step3_the_history_check_alone_catches_the_slot_reusing_leader_within_100_seeds() {
    let failure = sim::find_failure(CONTROL_SEEDS, |seed| {
        run_seed_history_only(seed, &Config::reuse_slots()).map(drop)
    })
    .expect("the linearizability check must catch a leader that reuses slot numbers");
    let found = failure.failure.to_string();
    assert!(
        found.contains("history check failed") || found.contains("not linearizable"),
        "without invariants, only the history check can catch it: {found}\n{}",
        failure.report
    );
}

/// The same seed replays the same run, event for event.
#[test]
fn step3_a_seed_replays_exactly() {
    let hash = |seed| {
        let mut workload = KvWorkload::default();
        sim::run(
            &fault_config(seed),
            |builder| multipaxos::build(builder, Config::default()),
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
