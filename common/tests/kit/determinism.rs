//! One seed, one run: the trace hash is the proof.

use crate::support::*;
use common::{Cluster, NetConfig};

fn busy_run(seed: u64) -> (u64, String) {
    let mut cluster = Cluster::builder()
        .seed(seed)
        .servers([ATHENS, BYZANTIUM, CYRENE])
        .net(NetConfig {
            latency: (1, 6),
            loss: 0.05,
            duplicate: 0.05,
            fifo: false,
            ..NetConfig::default()
        })
        .request_timeout(30)
        .build(|_, _| Node::new());
    cluster.add_client(ALICE);
    for i in 0..40 {
        let msg = match i % 3 {
            0 => Msg::Put { value: i },
            1 => Msg::Collect { required: None },
            _ => Msg::PingVia {
                to: CYRENE.into(),
                timeout: 10,
            },
        };
        let server = [ATHENS, BYZANTIUM][i as usize % 2];
        let reply = cluster.call(ALICE, server, msg);
        let _ = cluster.tick_until(|_| !reply.is_pending());
        if i == 20 {
            cluster.crash(BYZANTIUM);
        }
        if i == 25 {
            cluster.restart(BYZANTIUM);
        }
    }
    (cluster.trace_hash(), cluster.trace().tail(5))
}

#[test]
fn the_same_seed_gives_the_same_trace_hash() {
    let (first, tail) = busy_run(42);
    let (second, _) = busy_run(42);
    assert_eq!(
        first, second,
        "seed 42 ran twice with different traces: something nondeterministic leaked\n{tail}"
    );
}

#[test]
fn different_seeds_with_random_latency_give_different_traces() {
    let hashes: std::collections::BTreeSet<u64> = (0..5).map(|seed| busy_run(seed).0).collect();
    assert_eq!(
        hashes.len(),
        5,
        "five seeds with random latency and loss should give five different runs"
    );
}
