//! Shared set-up for the section's tests: cluster builders, the safety invariants of
//! Multi-Paxos plus one leader per generation (checked after every tick), and helpers
//! that find the leader, send and wait.
#![allow(dead_code)]

pub mod sim;

#[allow(unused_imports)]
pub use common::names::{
    ALICE, ATHENS, BOB, BYZANTIUM, CAROL, CYRENE, DELPHI, EPHESUS, FIVE, THREE,
};
use common::{Cluster, ClusterBuilder, ClusterView, Promise, StoreConfig};
use heartbeats::storage::{load_promise, load_slots_from};
use heartbeats::{
    Ballot, Config, Msg, Operation, Outcome, Reply, Role, Server, Slot, SlotRecord, StateMachine,
    Value,
};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

/// Client timeout of the scenario tests, in ticks.
pub const CLIENT_TIMEOUT: u64 = 200;

/// A cluster of `servers` with `config`, three clients, and the invariants installed.
pub fn cluster_with(seed: u64, servers: &[&str], config: Config) -> Cluster<Msg> {
    let builder = ClusterBuilder::new()
        .seed(seed)
        .servers(servers.iter().copied())
        .store(StoreConfig::default())
        .request_timeout(CLIENT_TIMEOUT)
        .budget(3_000);
    let mut cluster = heartbeats::build(builder, config);
    for client in [ALICE, BOB, CAROL] {
        cluster.add_client(client);
    }
    install_invariants(&mut cluster);
    cluster
}

/// Three servers, default configuration.
pub fn three(seed: u64) -> Cluster<Msg> {
    cluster_with(seed, &THREE, Config::default())
}

/// Five servers, default configuration.
pub fn five(seed: u64) -> Cluster<Msg> {
    cluster_with(seed, &FIVE, Config::default())
}

/// Ticks within which a healthy cluster must have a leader: the longest election
/// timeout twice over (a split vote costs one more), plus a pre-vote and a prepare.
pub fn election_bound(config: &Config) -> u64 {
    2 * config.max_election_timeout_ticks() + 4 * config.phase_timeout_ticks
}

/// The leader among `among` that every other node of `among` follows, if there is one.
pub fn settled_leader(cluster: &Cluster<Msg>, among: &[&str]) -> Option<String> {
    let leaders: Vec<&str> = among
        .iter()
        .copied()
        .filter(|id| {
            cluster
                .try_node::<Server>(id)
                .is_some_and(Server::is_leader)
        })
        .collect();
    let [leader] = leaders.as_slice() else {
        return None;
    };
    let followed = among.iter().all(|id| {
        *id == *leader
            || cluster.try_node::<Server>(id).is_some_and(|s| {
                *s.role()
                    == Role::Follower {
                        leader: Some((*leader).into()),
                    }
            })
    });
    followed.then(|| leader.to_string())
}

/// Tick until one node of `among` leads and the others follow it, within `within` ticks.
pub fn until_leader_within(cluster: &mut Cluster<Msg>, among: &[&str], within: u64) -> String {
    let ids: Vec<String> = among.iter().map(|s| s.to_string()).collect();
    let refs = move |c: &Cluster<Msg>| {
        let r: Vec<&str> = ids.iter().map(String::as_str).collect();
        settled_leader(c, &r).is_some()
    };
    if let Err(e) = cluster.tick_until_within(within, refs) {
        panic!(
            "{among:?} must settle on one leader within {within} ticks: {e}\n{}",
            cluster.report()
        );
    }
    settled_leader(cluster, among).expect("a settled leader was just seen")
}

/// Tick until one node of `among` leads and the others follow it (default bound).
pub fn until_leader(cluster: &mut Cluster<Msg>, among: &[&str]) -> String {
    let bound = election_bound(&Config::default());
    until_leader_within(cluster, among, bound)
}

/// The ballot a node leads with.
pub fn ballot_of(cluster: &Cluster<Msg>, id: &str) -> Ballot {
    match server(cluster, id).role() {
        Role::Leader { ballot } | Role::Candidate { ballot } => ballot.clone(),
        Role::Follower { .. } => panic!("{id} must lead to have a ballot of its own"),
    }
}

/// The servers of `all` other than `but`.
pub fn others<'a>(all: &[&'a str], but: &str) -> Vec<&'a str> {
    all.iter().copied().filter(|id| *id != but).collect()
}

/// The nodes of `among` that believe they lead.
pub fn leaders(cluster: &Cluster<Msg>, among: &[&str]) -> Vec<String> {
    among
        .iter()
        .filter(|id| {
            cluster
                .try_node::<Server>(id)
                .is_some_and(Server::is_leader)
        })
        .map(|id| id.to_string())
        .collect()
}

pub fn server<'a>(cluster: &'a Cluster<Msg>, id: &str) -> &'a Server {
    cluster.node::<Server>(id)
}

pub fn set(key: &str, value: &str) -> Operation {
    Operation::set(key, value)
}

pub fn get(key: &str) -> Operation {
    Operation::get(key)
}

pub fn cas(key: &str, expected: Option<&str>, new: &str) -> Operation {
    Operation::cas(key, expected, new)
}

pub fn stored(value: &str) -> Outcome {
    Outcome::Stored {
        value: value.into(),
    }
}

pub fn read(value: Option<&str>) -> Outcome {
    Outcome::Read {
        value: value.map(str::to_string),
    }
}

pub fn swapped(swapped: bool, previous: Option<&str>) -> Outcome {
    Outcome::Swapped {
        swapped,
        previous: previous.map(str::to_string),
    }
}

/// Run until `reply` completes and read it as an outcome, failing the test otherwise.
pub fn answered(cluster: &mut Cluster<Msg>, reply: &Promise<Msg>, who: &str) -> Reply {
    let answer = cluster.run(reply);
    heartbeats::reply(answer.clone()).unwrap_or_else(|e| {
        panic!(
            "{who} must be told the outcome of its request, got {e} ({answer:?})\n{}",
            cluster.report()
        )
    })
}

/// Send request `seq` of `client` to `server` and wait for its outcome.
pub fn execute(
    cluster: &mut Cluster<Msg>,
    client: &str,
    server: &str,
    seq: u64,
    operation: Operation,
) -> Reply {
    let call = heartbeats::execute(cluster, client, server, seq, operation);
    answered(cluster, &call, client)
}

/// Tick until every server in `servers` has executed through `slot`.
pub fn until_executed(cluster: &mut Cluster<Msg>, servers: &[&str], slot: Slot) {
    let ids: Vec<String> = servers.iter().map(|s| s.to_string()).collect();
    if let Err(e) = cluster.tick_until_within(300, |c| {
        ids.iter().all(|id| {
            c.try_node::<Server>(id)
                .is_some_and(|s| s.executed_through() >= slot)
        })
    }) {
        panic!(
            "every replica of {servers:?} must execute through slot {slot}: {e}\n{}",
            cluster.report()
        );
    }
}

/// The record of `slot` on `id`'s disk.
pub fn durable(cluster: &Cluster<Msg>, id: &str, slot: Slot) -> SlotRecord {
    load_slots_from(cluster.store(id).durable(), slot)
        .expect("durable slot records must decode")
        .into_iter()
        .find(|(s, _)| *s == slot)
        .map(|(_, r)| r)
        .unwrap_or_default()
}

#[derive(Default)]
struct Replica {
    incarnation: u32,
    reference: StateMachine,
    executed: Slot,
    high_water: Slot,
}

thread_local! {
    /// Set when a node that had been seen leading restarts: the run crashed a leader.
    static LEADER_CRASHED: Cell<bool> = const { Cell::new(false) };
}

/// Forget whether a leader crashed (call before a run on this thread).
pub fn reset_leader_crashed() {
    LEADER_CRASHED.with(|c| c.set(false));
}

/// Whether a node seen leading has crashed since [`reset_leader_crashed`] on this thread.
pub fn leader_crashed() -> bool {
    LEADER_CRASHED.with(Cell::get)
}

#[derive(Default)]
struct Ghost {
    servers: Vec<String>,
    /// Per node: the incarnation in which it was last seen leading.
    led_in: BTreeMap<String, u32>,
    /// Per slot: the value committed there and who committed it first.
    agreed: BTreeMap<Slot, (Value, String)>,
    /// Per node: slots `1..=settled` are committed on its disk and checked.
    settled: BTreeMap<String, Slot>,
    /// Per node: the highest durable promise seen.
    durable_promise: BTreeMap<String, Ballot>,
    /// Per slot: every durable acceptance seen, ballot -> acceptor -> value.
    acceptances: BTreeMap<Slot, BTreeMap<Ballot, BTreeMap<String, Value>>>,
    replicas: BTreeMap<String, Replica>,
    /// Per round (generation): the node seen leading in it.
    leader_of_round: BTreeMap<u64, String>,
}

impl Ghost {
    fn agree(&mut self, slot: Slot, value: &Value, who: &str) -> Result<(), String> {
        match self.agreed.get(&slot) {
            None => {
                self.agreed.insert(slot, (value.clone(), who.to_string()));
                Ok(())
            }
            Some((first, by)) if first != value => Err(format!(
                "two values committed in slot {slot}: {by} committed {first}, and {who} committed {value}"
            )),
            Some(_) => Ok(()),
        }
    }

    /// Record a durable acceptance; once a majority accepted `(b, v)` in a slot, every
    /// acceptance of a higher ballot there must carry `v`.
    fn accepted(
        &mut self,
        slot: Slot,
        ballot: &Ballot,
        who: &str,
        value: &Value,
    ) -> Result<(), String> {
        let by = self
            .acceptances
            .entry(slot)
            .or_default()
            .entry(ballot.clone())
            .or_default();
        if by.get(who) == Some(value) {
            return Ok(());
        }
        by.insert(who.to_string(), value.clone());
        let majority = self.servers.len() / 2 + 1;
        let ballots = &self.acceptances[&slot];
        let chosen = ballots
            .iter()
            .find(|(_, by)| {
                by.len() >= majority && by.values().all(|v| Some(v) == by.values().next())
            })
            .and_then(|(b, by)| by.values().next().map(|v| (b.clone(), v.clone())));
        let Some((chosen_ballot, chosen_value)) = chosen else {
            return Ok(());
        };
        for (b, by) in ballots.range(&chosen_ballot..) {
            for (id, v) in by {
                if *v != chosen_value {
                    return Err(format!(
                        "slot {slot}: {chosen_value} was chosen in {chosen_ballot}, yet {id} accepted {v} in {b}"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The safety invariants, checked after every tick:
/// * per-slot agreement: every committed value, in memory or on disk, on any node, is
///   the same for a given slot, and no node was told another value for a slot it
///   committed;
/// * a chosen value is preserved: once a majority durably accepted `(b, v)` in a slot,
///   every acceptance of a higher ballot there carries `v`;
/// * one leader per generation: no two nodes ever lead in the same round, and a node
///   leads only with a ballot of its own;
/// * a durable promise never decreases, and memory is never behind the disk;
/// * every replica executes the agreed log once, in order (prefix agreement and
///   exactly-once execution), and a restarted replica resumes at or beyond the slot it
///   had executed.
pub fn install_invariants(cluster: &mut Cluster<Msg>) {
    let ghost = Rc::new(RefCell::new(Ghost {
        servers: cluster.servers().iter().map(|s| s.to_string()).collect(),
        ..Ghost::default()
    }));
    let agreement = Rc::clone(&ghost);
    cluster.add_invariant("one value per slot", move |view| {
        check_agreement(&mut agreement.borrow_mut(), view)
    });
    let promises = Rc::clone(&ghost);
    cluster.add_invariant("promises never go backwards", move |view| {
        check_promises(&mut promises.borrow_mut(), view)
    });
    let generations = Rc::clone(&ghost);
    cluster.add_invariant("one leader per generation", move |view| {
        check_generations(&mut generations.borrow_mut(), view)
    });
    let execution = Rc::clone(&ghost);
    cluster.add_invariant(
        "every replica executes the agreed log once, in order",
        move |view| check_execution(&mut execution.borrow_mut(), view),
    );
}

/// Per-slot agreement and exactly-once execution only (no generation check).
pub fn install_slot_invariants(cluster: &mut Cluster<Msg>) {
    let ghost = Rc::new(RefCell::new(Ghost {
        servers: cluster.servers().iter().map(|s| s.to_string()).collect(),
        ..Ghost::default()
    }));
    let agreement = Rc::clone(&ghost);
    cluster.add_invariant("one value per slot", move |view| {
        check_agreement(&mut agreement.borrow_mut(), view)
    });
    let execution = Rc::clone(&ghost);
    cluster.add_invariant(
        "every replica executes the agreed log once, in order",
        move |view| check_execution(&mut execution.borrow_mut(), view),
    );
}

fn check_agreement(ghost: &mut Ghost, view: &ClusterView<'_, Msg>) -> Result<(), String> {
    for id in ghost.servers.clone() {
        let settled = ghost.settled.get(&id).copied().unwrap_or(0);
        let frontier = view
            .store(&id)
            .map(|kv| {
                load_slots_from(kv.durable(), settled + 1)
                    .unwrap_or_else(|e| panic!("{id}'s durable slot records must decode: {e}"))
            })
            .unwrap_or_default();
        for (slot, record) in &frontier {
            if let Some(value) = &record.committed {
                ghost.agree(*slot, value, &format!("{id} (on disk)"))?;
            }
            if let Some(p) = &record.accepted {
                ghost.accepted(*slot, &p.ballot, &id, &p.value)?;
            }
        }
        if let Some(node) = view.node::<Server>(&id) {
            for (slot, state) in node.slots_from(settled + 1) {
                if let Some(value) = &state.record.committed {
                    ghost.agree(slot, value, &id)?;
                }
            }
            if node.conflicting_commits() > 0 {
                return Err(format!(
                    "{id} was told a value other than the one it committed for a slot"
                ));
            }
        }
        let mut now_settled = settled;
        for (slot, record) in &frontier {
            if *slot != now_settled + 1 || record.committed.is_none() {
                break;
            }
            now_settled = *slot;
        }
        ghost.settled.insert(id, now_settled);
    }
    Ok(())
}

fn check_generations(ghost: &mut Ghost, view: &ClusterView<'_, Msg>) -> Result<(), String> {
    for id in ghost.servers.clone() {
        let Some(node) = view.node::<Server>(&id) else {
            continue;
        };
        if node.shared_generation() > 0 {
            return Err(format!(
                "{id} received heartbeats of another node leading with its own ballot"
            ));
        }
        let Role::Leader { ballot } = node.role() else {
            continue;
        };
        if ballot.node.as_str() != id {
            return Err(format!(
                "{id} leads with {ballot}, a ballot of another node"
            ));
        }
        match ghost.leader_of_round.get(&ballot.round) {
            Some(first) if *first != id => {
                return Err(format!(
                    "two leaders in generation {}: {first} and {id}",
                    ballot.round
                ));
            }
            Some(_) => {}
            None => {
                ghost.leader_of_round.insert(ballot.round, id.clone());
            }
        }
    }
    Ok(())
}

fn check_promises(ghost: &mut Ghost, view: &ClusterView<'_, Msg>) -> Result<(), String> {
    for id in ghost.servers.clone() {
        let Some(kv) = view.store(&id) else { continue };
        let disk = load_promise(kv.durable()).map_err(|e| format!("{id}'s promise: {e}"))?;
        let before = ghost.durable_promise.entry(id.clone()).or_default();
        if disk < *before {
            return Err(format!(
                "{id}'s durable promise went from {before} down to {disk}"
            ));
        }
        *before = disk.clone();
        if let Some(node) = view.node::<Server>(&id)
            && *node.promised() < disk
        {
            return Err(format!(
                "{id} holds promise {} in memory, below {disk} on disk",
                node.promised()
            ));
        }
    }
    Ok(())
}

fn check_execution(ghost: &mut Ghost, view: &ClusterView<'_, Msg>) -> Result<(), String> {
    for id in ghost.servers.clone() {
        let Some(node) = view.node::<Server>(&id) else {
            continue;
        };
        if ghost
            .led_in
            .get(&id)
            .is_some_and(|&i| i < node.incarnation())
        {
            LEADER_CRASHED.with(|c| c.set(true));
        }
        if node.is_leader() {
            ghost.led_in.insert(id.clone(), node.incarnation());
        }
        let executed = node.executed_through();
        let replica = ghost.replicas.entry(id.clone()).or_insert(Replica {
            incarnation: node.incarnation(),
            ..Replica::default()
        });
        if replica.incarnation != node.incarnation() {
            if executed < replica.high_water {
                return Err(format!(
                    "{id} restarted executed through slot {executed}, but had executed through slot {} before",
                    replica.high_water
                ));
            }
            replica.incarnation = node.incarnation();
            replica.reference = StateMachine::new();
            replica.executed = 0;
        } else if executed < replica.executed {
            return Err(format!(
                "{id}'s executed prefix went back from slot {} to slot {executed}",
                replica.executed
            ));
        }
        if executed == replica.executed {
            continue;
        }
        for slot in replica.executed + 1..=executed {
            let Some((value, _)) = ghost.agreed.get(&slot) else {
                return Err(format!(
                    "{id} executed slot {slot}, which no node has committed"
                ));
            };
            replica.reference.apply(slot, value);
        }
        replica.executed = executed;
        replica.high_water = replica.high_water.max(executed);
        if *node.state_machine() != replica.reference {
            return Err(format!(
                "{id} executed through slot {executed}, but its store differs from executing the agreed log once, in order ({} operations run where the agreed log runs {})",
                node.state_machine().operations_run(),
                replica.reference.operations_run()
            ));
        }
    }
    Ok(())
}

/// Tick until every server of `servers` holds `value` under `key`.
pub fn until_all_hold(cluster: &mut Cluster<Msg>, servers: &[&str], key: &str, value: &str) {
    let ids: Vec<String> = servers.iter().map(|s| s.to_string()).collect();
    let (k, v) = (key.to_string(), value.to_string());
    if let Err(e) = cluster.tick_until_within(300, |c| {
        ids.iter().all(|id| {
            c.try_node::<Server>(id)
                .is_some_and(|s| s.state_machine().get(&k) == Some(v.as_str()))
        })
    }) {
        panic!(
            "every replica of {servers:?} must hold {key}={value}: {e}\n{}",
            cluster.report()
        );
    }
}

/// The committed values of slots `1..=through` on `id`.
pub fn committed_log(cluster: &Cluster<Msg>, id: &str, through: Slot) -> Vec<Option<Value>> {
    (1..=through)
        .map(|slot| server(cluster, id).committed(slot).cloned())
        .collect()
}

/// Tick `n` ticks, asserting after each that at most one node of `among` leads.
pub fn tick_with_at_most_one_leader(cluster: &mut Cluster<Msg>, among: &[&str], n: u64) {
    for _ in 0..n {
        cluster.tick();
        let now = leaders(cluster, among);
        assert!(
            now.len() <= 1,
            "at most one node may believe it leads in a connected cluster, but {now:?} do at tick {}",
            cluster.now()
        );
    }
}

/// Make `id` stand for election by hand (as if its election timer had fired, without a
/// pre-vote) and tick until it leads and every other node of `among` follows it.
pub fn elect(cluster: &mut Cluster<Msg>, id: &str, among: &[&str]) {
    cluster.act::<Server, _>(id, |s, ctx| s.start_election(ctx));
    let bound = election_bound(&Config::default());
    let (wanted, ids): (String, Vec<String>) = (
        id.to_string(),
        among.iter().map(|s| s.to_string()).collect(),
    );
    if let Err(e) = cluster.tick_until_within(bound, move |c| {
        let r: Vec<&str> = ids.iter().map(String::as_str).collect();
        settled_leader(c, &r).as_deref() == Some(wanted.as_str())
    }) {
        panic!(
            "{id} must be elected and followed by {among:?} within {bound} ticks: {e}\n{}",
            cluster.report()
        );
    }
}
