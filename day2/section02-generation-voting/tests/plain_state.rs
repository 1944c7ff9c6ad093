//! A server's state is plain data: it clones, compares and hashes, so a model checker
//! can snapshot a cluster and remember the states it has seen. What a node waits for
//! (its pending votes and timers) is data too: `Continuations`.

mod support;

use generation_voting::{Config, GenerationServer, Msg};
use std::collections::BTreeSet;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use support::*;

fn hash_of<T: Hash>(value: &T) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

#[test]
fn a_servers_state_clones_compares_and_hashes_through_an_election() {
    let mut cluster = three(Config::default());
    let reply = cluster.call(ALICE, ATHENS, Msg::NextGeneration);
    let mut seen = BTreeSet::new();
    while reply.is_pending() {
        let states: Vec<(GenerationServer, common::Continuations)> = THREE
            .iter()
            .map(|id| {
                let state = cluster.node::<GenerationServer>(id).clone();
                let waiting = cluster
                    .continuations::<GenerationServer>(id)
                    .expect("every server is up");
                (state, waiting)
            })
            .collect();
        let copy = states.clone();
        assert_eq!(copy, states, "a clone of the cluster's states equals them");
        assert_eq!(hash_of(&copy), hash_of(&states), "equal states hash alike");
        seen.insert(hash_of(&states));
        cluster.tick();
        assert!(cluster.now() < 100, "one election takes a handful of ticks");
    }
    assert_eq!(
        decoded(&reply),
        Ok(1),
        "the first election wins generation 1"
    );
    assert!(
        seen.len() >= 3,
        "asking, voting and counting each change some state: {} distinct states",
        seen.len()
    );
    let athens = cluster.node::<GenerationServer>(ATHENS).clone();
    assert_ne!(
        &athens,
        cluster.node::<GenerationServer>(BYZANTIUM),
        "the coordinator remembers what it won; a voter does not"
    );
}
