//! A Raft node's state is plain data: it clones, compares and hashes. The callbacks a
//! node waits on live beside it (in its runtime, described as data by
//! `Continuations`), so a model checker can snapshot a cluster's states and compare them.

mod support;

use common::Continuations;
use raft::Server;
use std::collections::BTreeSet;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use support::*;

fn hash_of<T: Hash>(value: &T) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

fn snapshot(cluster: &common::Cluster<raft::Msg>) -> Vec<(Server, Continuations)> {
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
fn step1_a_servers_state_clones_compares_and_hashes_through_an_election_and_two_writes() {
    let mut cluster = three(51);
    let mut seen = BTreeSet::new();
    let leader = until_leader(&mut cluster, 100);
    let first = raft::execute(&mut cluster, ALICE, &leader, 1, set("x", "1"));
    let second = raft::execute(&mut cluster, BOB, &leader, 1, cas("x", Some("1"), "2"));
    while first.is_pending() || second.is_pending() {
        let before = snapshot(&cluster);
        let copy = before.clone();
        assert_eq!(copy, before, "a clone of a state equals it");
        assert_eq!(hash_of(&copy), hash_of(&before), "equal states hash alike");
        seen.insert(hash_of(&before));
        cluster.tick();
        assert!(
            cluster.now() < 300,
            "two writes should take far fewer ticks"
        );
    }
    answered(&mut cluster, &second, BOB);
    assert!(
        seen.len() > 3,
        "the states of two writes must differ from tick to tick, saw {} distinct",
        seen.len()
    );
    let leader_state = server(&cluster, &leader).clone();
    let follower = THREE.into_iter().find(|id| *id != leader).unwrap_or(ATHENS);
    assert_ne!(
        leader_state,
        server(&cluster, follower).clone(),
        "a leader and a follower must compare unequal"
    );
}
