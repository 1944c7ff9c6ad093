//! Every node proposes: concurrent appenders duel for the same slot. Each operation
//! still ends up in exactly one slot, and every replica executes the same sequence.

mod support;
use paxoslog::{RequestId, Value};
use std::collections::BTreeSet;
use support::*;

/// The request ids in `log`, failing if one appears twice.
fn requests_once(log: &[Value], what: &str) -> BTreeSet<RequestId> {
    let mut seen = BTreeSet::new();
    for value in log {
        assert!(
            seen.insert(value.request.clone()),
            "{what}: request {} occupies two slots",
            value.request
        );
    }
    seen
}

/// All three nodes receive a different set in the same tick. Every operation ends up in
/// exactly one slot, the three take slots 1 to 3, and every replica executes the same
/// sequence.
#[test]
fn concurrent_appenders_get_distinct_slots() {
    let mut slots_lost = 0;
    for seed in 0..20 {
        let mut cluster = three(seed);
        let calls: Vec<_> = [(ALICE, ATHENS), (BOB, BYZANTIUM), (CAROL, CYRENE)]
            .into_iter()
            .map(|(client, node)| {
                let call = paxoslog::execute(&mut cluster, client, node, 1, set("title", client));
                (client, call)
            })
            .collect();
        let mut slots = BTreeSet::new();
        for (client, call) in &calls {
            let reply = answered(&mut cluster, call, client);
            assert_eq!(
                reply.outcome,
                stored(client),
                "seed {seed}: {client}'s own write"
            );
            assert!(
                slots.insert(reply.slot),
                "seed {seed}: {client} was told slot {}, which another client holds",
                reply.slot
            );
        }
        assert_eq!(
            slots,
            BTreeSet::from([1, 2, 3]),
            "seed {seed}: three concurrent writes must fill slots 1 to 3"
        );
        until_executed(&mut cluster, &THREE, 3);
        let athens = executed_log(&cluster, ATHENS);
        assert_eq!(
            requests_once(&athens, "athens").len(),
            3,
            "seed {seed}: athens's log must hold the three requests"
        );
        for id in [BYZANTIUM, CYRENE] {
            assert_eq!(
                executed_log(&cluster, id),
                athens,
                "seed {seed}: {id} must execute the same sequence as athens"
            );
        }
        for id in THREE {
            let stats = server(&cluster, id).proposer_stats();
            assert_eq!(
                stats.placed, 1,
                "seed {seed}: {id}'s proposer placed its one client's request"
            );
            slots_lost += stats.slots_lost;
        }
    }
    assert!(
        slots_lost > 0,
        "in some seeds a proposer must find its slot taken and move on to the next"
    );
}

/// Three clients each issue five requests in a row, each client through its own node,
/// all at once: the proposers duel slot after slot. Every request is answered, each in
/// its own slot, and the replicas agree on the fifteen-slot log.
#[test]
fn duelling_proposers_all_finish_and_agree() {
    for seed in 0..5 {
        let mut cluster = three(seed);
        let pairs = [(ALICE, ATHENS), (BOB, BYZANTIUM), (CAROL, CYRENE)];
        let mut calls: Vec<_> = pairs
            .iter()
            .map(|(client, node)| {
                (
                    *client,
                    *node,
                    1,
                    paxoslog::execute(
                        &mut cluster,
                        client,
                        node,
                        1,
                        set("k", &format!("{client}-1")),
                    ),
                )
            })
            .collect();
        let mut answered_count = 0;
        while answered_count < 15 {
            cluster.tick();
            for (client, node, seq, call) in &mut calls {
                if call.is_pending() || *seq > 5 {
                    continue;
                }
                let reply = paxoslog::reply(cluster.run(call)).unwrap_or_else(|e| {
                    panic!("seed {seed}: {client}#{seq} must be answered: {e}")
                });
                assert_eq!(
                    reply.request,
                    RequestId::new(*client, *seq),
                    "seed {seed}: {client} must be answered about its own request"
                );
                answered_count += 1;
                *seq += 1;
                if *seq <= 5 {
                    let op = set("k", &format!("{client}-{seq}"));
                    *call = paxoslog::execute(&mut cluster, client, node, *seq, op);
                }
            }
            assert!(
                cluster.now() < 3_000,
                "seed {seed}: fifteen requests must finish within 3,000 ticks"
            );
        }
        until_executed(&mut cluster, &THREE, 15);
        let athens = executed_log(&cluster, ATHENS);
        assert_eq!(requests_once(&athens, "athens").len(), 15, "seed {seed}");
        for id in [BYZANTIUM, CYRENE] {
            assert_eq!(
                executed_log(&cluster, id),
                athens,
                "seed {seed}: {id}'s log differs"
            );
        }
    }
}
