//! Negative controls: what naive replication gets wrong. Each test asserts the bad
//! outcome, so it fails if the flaw ever stops showing.

mod support;
use naive_replication::NaiveServer;
use naive_replication::client::{get, increment, new_value, read_value, set};
use support::*;

/// The leader acknowledges, its REPLICATE messages are lost, it is cut off: a follower
/// knows nothing of a write the client was told succeeded.
#[test]
fn step1_naive_loses_acked_write_when_leader_isolated() {
    let mut cluster = naive();
    cluster
        .net()
        .drop_kind("Replicate", ATHENS, [BYZANTIUM, CYRENE]);
    let reply = cluster.call(ALICE, ATHENS, increment(KEY, 5));
    assert_eq!(new_value(cluster.run(&reply)), Ok(5), "alice is told 5");
    cluster.isolate(ATHENS);
    let read = cluster.call(BOB, BYZANTIUM, get(KEY));
    assert_eq!(
        read_value(cluster.run(&read)),
        Ok(None),
        "the acknowledged write is missing on the survivors"
    );
}

/// The same with a real crash: the leader's memory is gone, and so is the only copy.
#[test]
fn step1_naive_loses_acked_write_when_leader_crashes_before_replicating() {
    let mut cluster = naive();
    // The REPLICATEs never leave the machine before it dies.
    cluster
        .net()
        .drop_kind("Replicate", ATHENS, [BYZANTIUM, CYRENE]);
    let reply = cluster.call(ALICE, ATHENS, increment(KEY, 5));
    assert_eq!(new_value(cluster.run(&reply)), Ok(5), "alice is told 5");
    cluster.crash(ATHENS);
    cluster.restart(ATHENS);
    cluster.tick_n(10);
    assert_eq!(
        values::<NaiveServer>(&cluster),
        [None, None, None],
        "no server has the acknowledged write"
    );
}

/// Two leaders overwrite the same counter at the same time; REPLICATE to cyrene is slow
/// from athens. Every replica applies both sets, in different orders, and they never
/// agree again.
#[test]
fn step1_naive_diverges_on_reordered_non_commutative_ops() {
    let mut cluster = naive();
    cluster.net().delay_kind("Replicate", ATHENS, CYRENE, 5);
    let from_alice = cluster.call(ALICE, ATHENS, set(KEY, 1));
    let from_bob = cluster.call(BOB, BYZANTIUM, set(KEY, 2));
    assert_eq!(new_value(cluster.run(&from_alice)), Ok(1));
    assert_eq!(new_value(cluster.run(&from_bob)), Ok(2));
    cluster.tick_n(20);
    let final_values = values::<NaiveServer>(&cluster);
    assert_eq!(
        final_values,
        [Some(2), Some(1), Some(1)],
        "athens applied 1 then 2; byzantium 2 then 1; cyrene 2 then (late) 1"
    );
    assert!(
        final_values.iter().any(|v| *v != final_values[0]),
        "the replicas must have diverged"
    );
}

/// One follower's REPLICATE is dropped: it never catches up, nothing notices.
#[test]
fn step1_naive_diverges_on_dropped_replication() {
    let mut cluster = naive();
    cluster.net().drop_kind("Replicate", ATHENS, CYRENE);
    let reply = cluster.call(ALICE, ATHENS, increment(KEY, 3));
    assert_eq!(new_value(cluster.run(&reply)), Ok(3));
    cluster.tick_n(50);
    assert_eq!(
        values::<NaiveServer>(&cluster),
        [Some(3), Some(3), None],
        "cyrene never learns of the increment"
    );
    let applied = [BYZANTIUM, CYRENE].map(|id| cluster.node::<NaiveServer>(id).replicated);
    assert_eq!(
        applied,
        [1, 0],
        "byzantium applied one Replicate; cyrene's was dropped"
    );
}

/// Two increments through two leaders, one after the other: with replication still in
/// flight, both clients are told 1. No single counter can answer 1 twice.
#[test]
fn step1_naive_tells_two_clients_the_same_new_value() {
    let mut cluster = naive();
    cluster.net().delay_kind("Replicate", ATHENS, BYZANTIUM, 5);
    let first = cluster.call(ALICE, ATHENS, increment(KEY, 1));
    assert_eq!(new_value(cluster.run(&first)), Ok(1));
    let second = cluster.call(BOB, BYZANTIUM, increment(KEY, 1));
    assert_eq!(
        new_value(cluster.run(&second)),
        Ok(1),
        "bob's increment, started after alice's finished, is also told 1"
    );
}
