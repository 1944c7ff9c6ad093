//! Property test of the voter: whatever prepares arrive, with crashes and restarts in
//! between and writes of random length, a voter never grants a number at or below one it
//! granted before.

use common::{Cluster, StoreConfig};
use generation_voting::{Config, GenerationServer, Msg};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Step {
    /// A prepare for this number, answered before the next step.
    Prepare(u64),
    /// Two prepares sent in the same tick.
    Concurrent(u64, u64),
    /// Crash and restart the voter (the next step may catch a write in flight).
    CrashRestart,
    /// Let time pass.
    Wait(u64),
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let step = prop_oneof![
        4 => (1u64..12).prop_map(Step::Prepare),
        2 => (1u64..12, 1u64..12).prop_map(|(a, b)| Step::Concurrent(a, b)),
        1 => Just(Step::CrashRestart),
        1 => (0u64..6).prop_map(Step::Wait),
    ];
    prop::collection::vec(step, 1..25)
}

proptest! {
    // A fixed seed and no regression files, as everywhere in the workspace: the same cases
    // run on every machine, and a failure prints its shrunk case.
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(12),
        ..ProptestConfig::default()
    })]

    #[test]
    fn step1_a_voter_never_grants_a_number_at_or_below_one_it_granted(steps in steps(), seed in 0u64..1000) {
        let mut cluster = Cluster::builder()
            .seed(seed)
            .servers(["byzantium"])
            .store(StoreConfig { delay: (1, 4), ..StoreConfig::default() })
            .request_timeout(20)
            .build(|_, _| GenerationServer::new(Config::default()));
        cluster.add_client("alice");
        cluster.add_client("bob");
        let mut granted: Vec<u64> = Vec::new();
        let mut pending = Vec::new();
        for step in &steps {
            match step {
                Step::Prepare(g) => pending.push(cluster.call("alice", "byzantium", Msg::Prepare { generation: *g })),
                Step::Concurrent(a, b) => {
                    pending.push(cluster.call("alice", "byzantium", Msg::Prepare { generation: *a }));
                    pending.push(cluster.call("bob", "byzantium", Msg::Prepare { generation: *b }));
                }
                Step::CrashRestart => {
                    cluster.tick();
                    cluster.crash("byzantium");
                    cluster.restart("byzantium");
                }
                Step::Wait(n) => cluster.tick_n(*n),
            }
            if !matches!(step, Step::CrashRestart) {
                cluster.tick_n(2);
            }
            // Record grants in the order the answers completed.
            pending.retain(|reply| match reply.result() {
                None => true,
                Some(Ok(Msg::Promise { generation })) => {
                    granted.push(generation);
                    false
                }
                Some(_) => false,
            });
        }
        cluster.tick_n(25);
        for reply in &pending {
            if let Some(Ok(Msg::Promise { generation })) = reply.result() {
                granted.push(generation);
            }
        }
        prop_assert!(
            granted.windows(2).all(|w| w[0] < w[1]),
            "grants must strictly increase, even across restarts: {:?}", granted
        );
    }
}
