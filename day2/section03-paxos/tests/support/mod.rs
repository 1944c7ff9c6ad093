//! Shared set-up for the section's tests: cluster builders, the safety invariants of
//! single-decree Paxos (checked after every tick), and the client-history check.
#![allow(dead_code)]

pub mod sim;

// Not every test file uses every name.
#[allow(unused_imports)]
pub use common::names::{
    ALICE, ATHENS, BOB, BYZANTIUM, CAROL, CYRENE, DELPHI, EPHESUS, FIVE, THREE,
};
use common::{Cluster, ClusterBuilder, ClusterView, Promise, StoreConfig};
use paxos::{
    ACCEPTOR_KEY, AcceptorState, Ballot, Config, Decision, Msg, Operation, RequestId, Server, Value,
};
use std::collections::BTreeMap;

/// Client timeout of the scenario tests, in ticks.
pub const CLIENT_TIMEOUT: u64 = 400;

/// A cluster of `servers` with `config` and `store`, three clients, and the safety
/// invariants installed.
pub fn cluster_with(
    seed: u64,
    servers: &[&str],
    config: Config,
    store: StoreConfig,
) -> Cluster<Msg> {
    let builder = ClusterBuilder::new()
        .seed(seed)
        .servers(servers.iter().copied())
        .store(store)
        .request_timeout(CLIENT_TIMEOUT)
        .budget(2_000);
    let mut cluster = paxos::build(builder, config);
    for client in [ALICE, BOB, CAROL] {
        cluster.add_client(client);
    }
    install_invariants(&mut cluster);
    cluster
}

/// Three servers, default configuration and storage.
pub fn three(seed: u64) -> Cluster<Msg> {
    cluster_with(seed, &THREE, Config::default(), StoreConfig::default())
}

/// Five servers, default configuration and storage.
pub fn five(seed: u64) -> Cluster<Msg> {
    cluster_with(seed, &FIVE, Config::default(), StoreConfig::default())
}

/// Storage whose writes take `ticks` to complete.
pub fn slow_store(ticks: u64) -> StoreConfig {
    StoreConfig {
        delay: (ticks, ticks),
        ..StoreConfig::default()
    }
}

pub fn server<'a>(cluster: &'a Cluster<Msg>, id: &str) -> &'a Server {
    cluster.node::<Server>(id)
}

/// The acceptor record on `id`'s disk (what a crash now would leave).
pub fn durable(cluster: &Cluster<Msg>, id: &str) -> AcceptorState {
    cluster
        .store(id)
        .load_durable(ACCEPTOR_KEY)
        .expect("the durable acceptor record must decode")
        .unwrap_or_default()
}

pub fn increment(key: &str) -> Operation {
    Operation::increment(key)
}

pub fn set(key: &str, value: &str) -> Operation {
    Operation::set(key, value)
}

/// Run until `reply` completes and read it as a decision, failing the test otherwise.
pub fn decided(cluster: &mut Cluster<Msg>, reply: &Promise<Msg>, who: &str) -> Decision {
    let answer = cluster.run(reply);
    paxos::decision(answer.clone()).unwrap_or_else(|e| {
        panic!(
            "{who} must learn the decision, got {e} ({answer:?})\n{}",
            cluster.report()
        )
    })
}

/// Tick until every live server has applied the chosen value.
pub fn until_all_applied(cluster: &mut Cluster<Msg>, servers: &[&str]) {
    let ids: Vec<String> = servers.iter().map(|s| s.to_string()).collect();
    if let Err(e) = cluster.tick_until(|c| {
        ids.iter().all(|id| {
            c.try_node::<Server>(id)
                .is_some_and(|s| s.applied().is_some())
        })
    }) {
        panic!("every replica must apply the chosen value: {e}");
    }
}

/// The safety invariants of single-decree Paxos, checked after every tick:
/// * one value: every committed value, in memory or on disk, on any node, is the same;
/// * no learner was ever offered a different value from the one it learned;
/// * a durable promise never decreases, and memory is never behind the disk;
/// * an accepted ballot never exceeds the promise;
/// * one ballot, one value; and once a majority has durably accepted `(b, v)`, every
///   acceptance of a higher ballot carries `v` (value preservation).
///
/// Each invariant keeps its own ghost state (what it has seen in earlier ticks).
pub fn install_invariants(cluster: &mut Cluster<Msg>) {
    let servers: Vec<String> = cluster.servers().iter().map(|s| s.to_string()).collect();
    let ids = servers.clone();
    // Ghost state: the first committed value seen anywhere.
    let mut first_committed: Option<Value> = None;
    cluster.add_invariant("one value is committed", move |view| {
        for id in &ids {
            let on_disk = durable_of(view, id).committed;
            let in_memory = view.node::<Server>(id).and_then(|s| s.committed().cloned());
            for value in [on_disk, in_memory].into_iter().flatten() {
                match &first_committed {
                    None => first_committed = Some(value),
                    Some(first) if *first != value => {
                        return Err(format!(
                            "two values chosen: {first} was committed, and {id} committed {value}"
                        ));
                    }
                    Some(_) => {}
                }
            }
            if let Some(s) = view.node::<Server>(id)
                && s.conflicting_commits() > 0
            {
                return Err(format!(
                    "{id} was told a value other than the one it learned was chosen"
                ));
            }
        }
        Ok(())
    });
    let ids = servers.clone();
    // Ghost state: every durable acceptance ever seen, ballot -> acceptor -> value.
    let mut acceptances: Acceptances = BTreeMap::new();
    cluster.add_invariant(
        "a chosen value is preserved by higher ballots",
        move |view| check_value_preservation(&mut acceptances, view, &ids),
    );
    // Ghost state: each node's highest durable promise seen so far.
    let mut durable_promise: BTreeMap<String, Ballot> = BTreeMap::new();
    cluster.add_invariant("promises never go backwards", move |view| {
        for id in &servers {
            let disk = durable_of(view, id);
            let before = durable_promise.entry(id.clone()).or_default();
            if disk.promised < *before {
                return Err(format!(
                    "{id}'s durable promise went from {before} down to {}",
                    disk.promised
                ));
            }
            *before = disk.promised.clone();
            if let Some(s) = view.node::<Server>(id) {
                if *s.promised() < disk.promised {
                    return Err(format!(
                        "{id} holds promise {} in memory, below {} on disk",
                        s.promised(),
                        disk.promised
                    ));
                }
                if let Some(a) = s.accepted()
                    && a.ballot > *s.promised()
                {
                    return Err(format!(
                        "{id} accepted {} above its promise {}",
                        a.ballot,
                        s.promised()
                    ));
                }
            }
        }
        Ok(())
    });
}

/// Every durable acceptance seen: ballot -> acceptor -> value.
type Acceptances = BTreeMap<Ballot, BTreeMap<String, Value>>;

/// Value preservation, from the durable acceptances seen so far and each node's memory.
fn check_value_preservation(
    acceptances: &mut Acceptances,
    view: &ClusterView<'_, Msg>,
    servers: &[String],
) -> Result<(), String> {
    for id in servers {
        if let Some(p) = durable_of(view, id).accepted {
            acceptances
                .entry(p.ballot)
                .or_default()
                .insert(id.clone(), p.value);
        }
    }
    let majority = servers.len() / 2 + 1;
    let mut chosen: Option<(&Ballot, &Value)> = None;
    for (ballot, by) in acceptances.iter() {
        let mut values = by.values();
        if let Some(first) = values.next() {
            if let Some(other) = values.find(|v| *v != first) {
                return Err(format!(
                    "ballot {ballot} carried two values: {first} and {other}"
                ));
            }
            if chosen.is_none() && by.len() >= majority {
                chosen = Some((ballot, first));
            }
        }
    }
    let Some((chosen_ballot, chosen_value)) = chosen else {
        return Ok(());
    };
    for (ballot, by) in acceptances.range(chosen_ballot..) {
        for (id, value) in by {
            if value != chosen_value {
                return Err(format!(
                    "{chosen_value} was chosen in {chosen_ballot}, yet {id} accepted {value} in the higher {ballot}"
                ));
            }
        }
    }
    for id in servers {
        if let Some(p) = view.node::<Server>(id).and_then(Server::accepted)
            && p.ballot > *chosen_ballot
            && p.value != *chosen_value
        {
            return Err(format!(
                "{chosen_value} was chosen in {chosen_ballot}, yet {id} accepts {} in {}",
                p.value, p.ballot
            ));
        }
    }
    Ok(())
}

fn durable_of(view: &ClusterView<'_, Msg>, id: &str) -> AcceptorState {
    view.store(id)
        .and_then(|kv| kv.load_durable(ACCEPTOR_KEY).ok().flatten())
        .unwrap_or_default()
}

/// The history check: every answer a client received names the same chosen request,
/// says `won` exactly when that request is the client's own, and carries the same
/// result. Returns the chosen request, or what is inconsistent.
pub fn check_history(decisions: &[Decision]) -> Result<Option<RequestId>, String> {
    let Some(first) = decisions.first() else {
        return Ok(None);
    };
    for d in decisions {
        if d.chosen != first.chosen {
            return Err(format!(
                "clients saw two chosen values: {} was told {} and {} was told {}",
                first.request, first.chosen, d.request, d.chosen
            ));
        }
        if d.result != first.result {
            return Err(format!(
                "clients saw two results: {:?} and {:?}",
                first.result, d.result
            ));
        }
        if d.won != (d.request == d.chosen) {
            return Err(format!(
                "{} was told won={} but {} was chosen",
                d.request, d.won, d.chosen
            ));
        }
    }
    Ok(Some(first.chosen.clone()))
}
