//! Seeded simulations: clients ask random servers for generations while the nemesis
//! partitions, delays, duplicates, crashes and restarts; the numbers handed out must be
//! unique and monotonic in real time (checked as linearizability against a generation
//! clock), and every voter's durable promise must never go down.
//!
//! Replay a failing seed with the command the failure prints
//! (`SIM_SEED=<seed> cargo test -p generation-voting <test> -- --exact`); raise the
//! number of seeds with `SIM_ITERS`.

use common::nemesis::{FaultConfig, FaultMix};
use common::sim::{self, Check, SimConfig, SimRun};
use common::{Cluster, ClusterBuilder, StoreConfig};
use generation_voting::history::{GenerationClock, GenerationWorkload, NextGeneration};
use generation_voting::{Config, GenerationServer, Msg, PROMISE_KEY, VoterMode};
use std::collections::BTreeMap;

/// Crashes are what the durable promise is for, so they weigh heavily; disks are slow
/// (2 to 8 ticks a write), which leaves crashes time to land between vote and sync.
fn sim_config(seed: u64) -> SimConfig {
    SimConfig {
        chaos_ticks: 400,
        // Every message is encoded and decoded, as a real network would need.
        roundtrip_codec: true,
        clients: 4,
        op_probability: 0.3,
        client_timeout: 150,
        store: StoreConfig {
            delay: (2, 8),
            ..StoreConfig::default()
        },
        faults: FaultConfig {
            mix: FaultMix {
                crash: 6,
                crash_torn: 2,
                ..FaultMix::network_and_crashes()
            },
            mean_gap_ticks: 15,
            ..FaultConfig::default()
        },
        ..SimConfig::new(seed)
    }
}

/// Every voter's durable promise never goes down, checked on every tick.
fn durable_promises_never_decrease(mut cluster: Cluster<Msg>) -> Cluster<Msg> {
    // Ghost state, owned by the invariant: each voter's durable promise last tick.
    let mut last: BTreeMap<String, u64> = BTreeMap::new();
    let servers: Vec<String> = cluster.servers().iter().map(|s| s.to_string()).collect();
    cluster.add_invariant("a voter's durable promise never decreases", move |view| {
        for id in &servers {
            let Some(store) = view.store(id) else {
                continue;
            };
            let now = store
                .load_durable::<u64>(PROMISE_KEY)
                .map_err(|e| format!("{id}: {e}"))?
                .unwrap_or(0);
            let before = last.insert(id.clone(), now).unwrap_or(0);
            if now < before {
                return Err(format!(
                    "{id}'s durable promise went from {before} down to {now}"
                ));
            }
        }
        Ok(())
    });
    cluster
}

fn run(seed: u64, config: Config) -> SimRun<NextGeneration, u64> {
    let build = move |b: ClusterBuilder| {
        durable_promises_never_decrease(b.build(move |_, _| GenerationServer::new(config)))
    };
    sim::run(
        &sim_config(seed),
        build,
        &mut GenerationWorkload,
        &GenerationClock,
        Check::Linearizable,
    )
}

/// Durable voting under crashes and network faults: unique, monotonic numbers.
#[test]
fn step2_generations_stay_unique_and_monotonic_under_crashes_and_partitions() {
    sim::sweep(1000, |seed| run(seed, Config::default()).into_result());
}

/// Negative control: volatile promises. The same runner must catch a duplicate or a
/// number going backwards within a few dozen seeds.
#[test]
fn step2_volatile_promises_are_caught_handing_out_a_number_twice() {
    let failure = sim::find_failure(50, |seed| {
        run(seed, Config::default().with_voter(VoterMode::Volatile)).into_result()
    })
    .expect("volatile voters must be caught within 50 seeds");
    assert!(
        matches!(failure.failure, sim::Failure::Inconsistent(_)),
        "the history check must be what catches it: {}",
        failure.failure
    );
}

/// Negative control: voters that reply before their write is durable. A crash inside the
/// write's window forgets a vote that was counted; the runner must catch the result.
#[test]
fn step2_reply_before_persist_is_caught_handing_out_a_number_twice() {
    let failure = sim::find_failure(300, |seed| {
        run(
            seed,
            Config::default().with_voter(VoterMode::ReplyBeforePersist),
        )
        .into_result()
    })
    .expect("reply-before-persist voters must be caught within 300 seeds");
    assert!(
        matches!(failure.failure, sim::Failure::Inconsistent(_)),
        "the history check must be what catches it: {}",
        failure.failure
    );
}

#[test]
fn step2_a_seed_replays_to_the_same_trace() {
    for seed in [2, 9] {
        let first = run(seed, Config::default());
        let second = run(seed, Config::default());
        assert_eq!(
            first.trace_hash, second.trace_hash,
            "seed {seed} must replay exactly: something nondeterministic leaked in"
        );
    }
}
