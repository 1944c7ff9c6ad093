//! Partitions and failed nodes: a majority appends, a minority cannot, and the nodes
//! that were away catch up when they return.

mod support;
use paxoslog::{ClientError, Server};
use support::*;

/// athens alone cannot get a majority of promises: alice's write is not placed, no slot
/// is committed anywhere, and alice is not told it succeeded. After the partition heals,
/// the same request (same id) is placed once.
#[test]
fn minority_partition_cannot_append() {
    let mut cluster = three(0);
    cluster.partition(&[&[ATHENS, ALICE], &[BYZANTIUM, CYRENE]]);
    let cut_off = paxoslog::execute_within(&mut cluster, ALICE, ATHENS, 1, set("x", "1"), 150);
    let answer = cluster.run(&cut_off);
    assert!(
        paxoslog::reply(answer.clone()).is_err(),
        "a minority must not report an outcome, got {answer:?}"
    );
    for id in THREE {
        assert!(
            server(&cluster, id).committed(1).is_none(),
            "{id} must not commit anything while athens is cut off"
        );
    }
    for id in [BYZANTIUM, CYRENE] {
        assert!(
            server(&cluster, id).slot(1).is_none(),
            "{id} never heard from athens and must hold nothing for slot 1"
        );
    }
    cluster.heal_all();
    let again = execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    assert_eq!(
        again.slot, 1,
        "once healed, the request is placed in slot 1"
    );
    until_executed(&mut cluster, &THREE, 1);
    cluster.tick_n(100);
    for id in THREE {
        assert_eq!(
            server(&cluster, id).executed_through(),
            1,
            "{id}: the retried request must occupy one slot only"
        );
    }
}

/// With cyrene isolated, athens and byzantium keep appending; cyrene learns everything
/// once it returns, and all three logs are equal.
#[test]
fn majority_continues_while_one_node_isolated() {
    let mut cluster = three(0);
    cluster.isolate(CYRENE);
    execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    execute(&mut cluster, BOB, BYZANTIUM, 1, cas("x", Some("1"), "2"));
    let read = execute(&mut cluster, ALICE, ATHENS, 2, get("x"));
    assert_eq!(
        read.outcome,
        read_value("2"),
        "the majority's log holds both writes"
    );
    assert_eq!(read.slot, 3, "the read goes after the two writes");
    assert_eq!(
        server(&cluster, CYRENE).executed_through(),
        0,
        "cyrene was cut off"
    );
    cluster.reconnect(CYRENE);
    until_executed(&mut cluster, &THREE, 3);
    for id in [BYZANTIUM, CYRENE] {
        assert_eq!(
            executed_log(&cluster, id),
            executed_log(&cluster, ATHENS),
            "{id}'s log must equal athens's"
        );
    }
}

fn read_value(v: &str) -> paxoslog::Outcome {
    read(Some(v))
}

/// Five servers: with two of them down, three are a majority and keep appending; the
/// two catch up when they come back.
#[test]
fn five_node_cluster_tolerates_two_failures() {
    let mut cluster = five(0);
    cluster.crash(DELPHI);
    cluster.crash(EPHESUS);
    for (seq, server_id) in [ATHENS, BYZANTIUM, CYRENE].into_iter().enumerate() {
        let reply = execute(
            &mut cluster,
            ALICE,
            server_id,
            seq as u64 + 1,
            set("x", server_id),
        );
        assert_eq!(reply.slot, seq as u64 + 1, "three of five must append");
    }
    cluster.restart(DELPHI);
    cluster.restart(EPHESUS);
    until_executed(&mut cluster, &FIVE, 3);
    for id in FIVE {
        assert_eq!(
            server(&cluster, id).state_machine().get("x"),
            Some(CYRENE),
            "{id} must execute the three writes in order"
        );
    }
}

/// Five servers with three down: two cannot form a majority, so nothing is appended and
/// the client is told the outcome is unknown, not that it failed or succeeded.
#[test]
fn five_node_cluster_cannot_append_with_three_failures() {
    let config = paxoslog::Config {
        max_attempts: 3,
        ..paxoslog::Config::default()
    };
    let mut cluster = cluster_with(0, &FIVE, config, common::StoreConfig::default());
    for id in [CYRENE, DELPHI, EPHESUS] {
        cluster.crash(id);
    }
    let call = paxoslog::execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    let answer = paxoslog::reply(cluster.run(&call));
    assert_eq!(
        answer,
        Err(ClientError::Undecided { attempts: 3 }),
        "two of five must give up and say the outcome is unknown"
    );
    for id in [ATHENS, BYZANTIUM] {
        assert!(
            cluster.node::<Server>(id).committed(1).is_none(),
            "{id} must not commit"
        );
    }
}
