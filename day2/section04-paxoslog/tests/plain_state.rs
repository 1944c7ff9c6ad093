//! A Paxos log node's state is plain data: it clones, compares and hashes. The
//! callbacks a node waits on live beside it (in its runtime, described as data by
//! `Continuations`), so a model checker can snapshot a cluster's states, compare them
//! and remember which it has seen.

mod support;

use common::Continuations;
use paxoslog::Server;
use std::collections::BTreeSet;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use support::*;

fn hash_of<T: Hash>(value: &T) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// Every server's state and what it waits for, one tick.
fn snapshot(cluster: &common::Cluster<paxoslog::Msg>) -> Vec<(Server, Continuations)> {
    THREE
        .iter()
        .map(|id| {
            let state = server(cluster, id).clone();
            let waiting = cluster
                .continuations::<Server>(id)
                .expect("every server is up");
            (state, waiting)
        })
        .collect()
}

#[test]
fn a_servers_state_clones_compares_and_hashes_through_two_slots() {
    let mut cluster = three(1);
    let first = paxoslog::execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    let second = paxoslog::execute(&mut cluster, BOB, BYZANTIUM, 1, cas("x", Some("1"), "2"));
    let mut seen = BTreeSet::new();
    let mut snapshots = Vec::new();
    while first.is_pending() || second.is_pending() {
        let before = snapshot(&cluster);
        let copy = before.clone();
        assert_eq!(copy, before, "a clone of a state equals it");
        assert_eq!(hash_of(&copy), hash_of(&before), "equal states hash alike");
        seen.insert(hash_of(&before));
        snapshots.push(before);
        cluster.tick();
        assert!(cluster.now() < 300, "two slots should take far fewer ticks");
    }
    let bob = answered(&mut cluster, &second, BOB);
    let expected = if bob.slot == 1 {
        swapped(false, None)
    } else {
        swapped(true, Some("1"))
    };
    assert_eq!(
        bob.outcome, expected,
        "bob's swap must see exactly the writes of the slots before its own"
    );
    assert!(
        seen.len() >= 8,
        "prepare, promise, accept, accepted, commit and execution of two slots each change some server's state: {} distinct states",
        seen.len()
    );
    assert_ne!(
        snapshots.first(),
        snapshots.last(),
        "the cluster's state moved while appending"
    );
}

#[test]
fn the_same_seed_reaches_the_same_states_tick_by_tick() {
    let run = |seed| {
        let mut cluster = three(seed);
        let _a = paxoslog::execute(&mut cluster, ALICE, ATHENS, 1, set("x", "a"));
        let _b = paxoslog::execute(&mut cluster, BOB, CYRENE, 1, set("x", "b"));
        (0..60)
            .map(|_| {
                cluster.tick();
                hash_of(&snapshot(&cluster))
            })
            .collect::<Vec<u64>>()
    };
    assert_eq!(run(4), run(4), "one seed, one sequence of states");
    assert_ne!(run(4), run(5), "another seed duels differently");
}
