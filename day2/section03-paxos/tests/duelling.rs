//! Duelling proposers: three proposers that keep pre-empting each other. Randomised
//! backoff separates them, so every run ends with one value chosen and every client
//! answered.

mod support;
use common::NetConfig;
use paxos::{Config, Decision};
use support::*;

/// Three clients ask three different servers in the same tick, over a network with
/// variable latency, on many seeds.
fn three_way_duel(seed: u64, config: Config) -> (Vec<Decision>, u64) {
    let builder = common::ClusterBuilder::new()
        .seed(seed)
        .servers(THREE)
        .net(NetConfig {
            latency: (1, 3),
            ..NetConfig::default()
        })
        .request_timeout(CLIENT_TIMEOUT)
        .budget(CLIENT_TIMEOUT);
    let mut cluster = paxos::build(builder, config);
    for client in [ALICE, BOB, CAROL] {
        cluster.add_client(client);
    }
    install_invariants(&mut cluster);
    let calls = [(ALICE, ATHENS), (BOB, BYZANTIUM), (CAROL, CYRENE)].map(|(client, node)| {
        (
            client,
            paxos::execute(&mut cluster, client, node, 1, set("k", client)),
        )
    });
    let mut decisions = Vec::new();
    for (client, call) in &calls {
        decisions.push(decided(&mut cluster, call, client));
    }
    (decisions, cluster.now())
}

#[test]
fn step3_duelling_proposers_terminate_with_backoff() {
    let mut slowest = 0;
    for seed in 0..200 {
        let (decisions, took) = three_way_duel(seed, Config::default());
        let winners = decisions.iter().filter(|d| d.won).count();
        assert_eq!(
            winners, 1,
            "seed {seed}: exactly one of three clients must win"
        );
        check_history(&decisions).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        slowest = slowest.max(took);
    }
    assert!(
        slowest < CLIENT_TIMEOUT,
        "every duel must end well within a client timeout, the slowest took {slowest} ticks"
    );
}

/// The backoff window doubles per retry up to its cap.
#[test]
fn backoff_window_doubles_up_to_its_cap() {
    let config = Config::default();
    let windows: Vec<_> = (1..=6).map(|retry| config.backoff_window(retry)).collect();
    assert_eq!(
        windows,
        vec![(1, 8), (1, 16), (1, 32), (1, 32), (1, 32), (1, 32)],
        "the window must start at 8 ticks, double, and stop at the 32-tick cap"
    );
}
