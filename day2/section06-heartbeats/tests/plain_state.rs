//! A Multi-Paxos node's state is plain data: it clones, compares and hashes. The
//! callbacks a node waits on live beside it (in its runtime, described as data by
//! `Continuations`), so a model checker can snapshot a cluster's states and compare them.

mod support;

use common::Continuations;
use heartbeats::Server;
use std::collections::BTreeSet;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use support::*;

fn hash_of<T: Hash>(value: &T) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

fn snapshot(cluster: &common::Cluster<heartbeats::Msg>) -> Vec<(Server, Continuations)> {
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
fn step2_a_servers_state_clones_compares_and_hashes_through_an_election_and_two_slots() {
    let mut cluster = three(1);
    cluster.act::<Server, _>(ATHENS, |s, ctx| s.start_election(ctx));
    let first = heartbeats::execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    let second = heartbeats::execute(&mut cluster, BOB, ATHENS, 1, cas("x", Some("1"), "2"));
    let mut seen = BTreeSet::new();
    while first.is_pending() || second.is_pending() {
        let before = snapshot(&cluster);
        let copy = before.clone();
        assert_eq!(copy, before, "a clone of a state equals it");
        assert_eq!(hash_of(&copy), hash_of(&before), "equal states hash alike");
        seen.insert(hash_of(&before));
        cluster.tick();
        assert!(
            cluster.now() < 300,
            "an election and two slots should take far fewer ticks"
        );
    }
    answered(&mut cluster, &second, BOB);
    assert!(
        seen.len() > 3,
        "the states of an election and two slots must differ from tick to tick, saw {} distinct",
        seen.len()
    );
    let leader = server(&cluster, ATHENS).clone();
    let follower = server(&cluster, BYZANTIUM).clone();
    assert_eq!(leader.clone(), leader, "a clone equals its original");
    assert_ne!(
        leader, follower,
        "a leader and a follower must compare unequal"
    );
}
