//! Seeded simulations: random increments and reads under random network faults, the
//! history checked for linearizability, and invariants checked on every tick.
//!
//! Replay a failing seed with the command the failure prints
//! (`SIM_SEED=<seed> cargo test -p naive-replication <test> -- --exact`); raise the
//! number of seeds with `SIM_ITERS`.

use common::sim::{self, Check, SimConfig, SimRun};
use common::{Cluster, ClusterBuilder};
use naive_replication::history::{CounterOp, CounterWorkload, IncrementCounter};
use naive_replication::{Config, Msg, NaiveServer, ThreePhaseServer};

/// A short run: 300 ticks of chaos keep histories small enough to check quickly.
fn sim_config(seed: u64) -> SimConfig {
    SimConfig {
        chaos_ticks: 300,
        // Every message is encoded and decoded, as a real network would need.
        roundtrip_codec: true,
        ..SimConfig::new(seed)
    }
}

/// The invariants of the corrected participants, checked after every tick: no server
/// applies an operation twice, and nothing is applied that a majority has not staged.
/// (Network faults only: nothing is persisted in this section, so a crash would
/// legitimately forget staged operations.)
fn no_double_apply(mut cluster: Cluster<Msg>) -> Cluster<Msg> {
    cluster.add_invariant("no server applies an operation twice", |view| {
        for (id, node) in view.nodes::<ThreePhaseServer>() {
            if let Some((txn, times)) = node.participant.applied.iter().find(|(_, n)| **n > 1) {
                return Err(format!("{id} applied {txn} {times} times"));
            }
        }
        Ok(())
    });
    cluster.add_invariant(
        "an operation is applied only after a majority staged it",
        |view| {
            let nodes = view.nodes::<ThreePhaseServer>();
            let majority = nodes.len() / 2 + 1;
            for (id, node) in &nodes {
                for txn in node.participant.applied.keys() {
                    let holders = nodes
                        .iter()
                        .filter(|(_, n)| {
                            n.participant.staged.contains_key(txn) || n.participant.has_applied(txn)
                        })
                        .count();
                    if holders < majority {
                        return Err(format!(
                            "{id} applied {txn}, which only {holders} server(s) hold"
                        ));
                    }
                }
            }
            Ok(())
        },
    );
    cluster
}

fn naive_run(seed: u64) -> SimRun<CounterOp, i64> {
    let build = |b: ClusterBuilder| b.build(|_, _| NaiveServer::new());
    let mut workload = CounterWorkload::default();
    sim::run(
        &sim_config(seed),
        build,
        &mut workload,
        &IncrementCounter,
        Check::Linearizable,
    )
}

fn three_phase_run(seed: u64, config: Config, check: Check) -> SimRun<CounterOp, i64> {
    let build = move |b: ClusterBuilder| {
        no_double_apply(b.build(move |_, _| ThreePhaseServer::new(config)))
    };
    let mut workload = CounterWorkload::default();
    sim::run(
        &sim_config(seed),
        build,
        &mut workload,
        &IncrementCounter,
        check,
    )
}

/// The negative control the section exists for: under the fault runner, naive
/// replication produces a counter history no single counter could have produced, within
/// a few seeds.
#[test]
fn step1_naive_replication_is_caught_producing_a_non_linearizable_history() {
    let failure = sim::find_failure(5, |seed| naive_run(seed).into_result())
        .expect("naive replication must be caught by the linearizability check within 5 seeds");
    assert!(
        matches!(failure.failure, sim::Failure::Inconsistent(_)),
        "the history check (not an invariant or liveness) must catch it: {}",
        failure.failure
    );
}

/// The corrected three-phase server under partitions, delays and losses: no server ever
/// applies an operation twice or applies one a majority has not staged, and every
/// operation finishes once the network heals.
#[test]
fn step3_three_phase_never_applies_an_operation_twice_under_network_faults() {
    sim::sweep(500, |seed| {
        three_phase_run(seed, Config::default(), Check::None).into_result()
    });
}

/// Negative control for the invariant above: the original's recovery re-stages
/// operations on servers that already applied them, and the runner catches it.
#[test]
fn step3_original_three_phase_is_caught_applying_an_operation_twice() {
    let failure = sim::find_failure(40, |seed| {
        three_phase_run(seed, Config::original(), Check::None).into_result()
    })
    .expect("the original must be caught applying an operation twice within 40 seeds");
    assert!(
        matches!(&failure.failure, sim::Failure::Invariant(m) if m.contains("applies an operation twice")),
        "the double-apply invariant must be what fails: {}",
        failure.failure
    );
}

/// What majority replication with separate execution still does not give: reads are
/// answered from one server's copy and answers from the coordinator's copy, so the
/// history is not linearizable either. (Consensus and read quorums come later.)
#[test]
fn step3_three_phase_histories_are_not_linearizable_either() {
    let failure = sim::find_failure(20, |seed| {
        three_phase_run(seed, Config::default(), Check::Linearizable).into_result()
    })
    .expect("a stale local read must show up within 20 seeds");
    assert!(
        matches!(failure.failure, sim::Failure::Inconsistent(_)),
        "the history check must be what fails: {}",
        failure.failure
    );
}

#[test]
fn step3_a_seed_replays_to_the_same_trace() {
    for seed in [3, 11] {
        let first = three_phase_run(seed, Config::default(), Check::None);
        let second = three_phase_run(seed, Config::default(), Check::None);
        assert_eq!(
            first.trace_hash, second.trace_hash,
            "seed {seed} must replay exactly: something nondeterministic leaked in"
        );
    }
}

/// The two ways of writing the coordinator are the same protocol: under the same seed
/// and faults they send the same messages at the same ticks, so their traces hash alike.
#[test]
fn step3_callback_and_state_machine_coordinators_produce_identical_traces() {
    use naive_replication::CoordinatorStyle::{Callbacks, StateMachine};
    for seed in 0..10 {
        let callbacks = three_phase_run(seed, Config::default().with_style(Callbacks), Check::None);
        let machine = three_phase_run(
            seed,
            Config::default().with_style(StateMachine),
            Check::None,
        );
        assert!(
            callbacks.passed() && machine.passed(),
            "seed {seed} must pass in both styles"
        );
        assert_eq!(
            callbacks.history.to_text(),
            machine.history.to_text(),
            "seed {seed}: the clients must see the same answers from both coordinators"
        );
        assert_eq!(
            callbacks.trace_hash, machine.trace_hash,
            "seed {seed}: both coordinators must send the same messages at the same ticks"
        );
    }
}
