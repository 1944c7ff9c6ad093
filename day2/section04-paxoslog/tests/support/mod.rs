//! Shared set-up for the section's tests: cluster builders, the safety invariants of the
//! Paxos log (checked after every tick), and helpers that read replies and replicas.
#![allow(dead_code)]

pub mod sim;

// Not every test file uses every name.
#[allow(unused_imports)]
pub use common::names::{
    ALICE, ATHENS, BOB, BYZANTIUM, CAROL, CYRENE, DELPHI, EPHESUS, FIVE, THREE,
};
use common::trace::TraceKind;
use common::{Cluster, ClusterBuilder, ClusterView, Promise, StoreConfig};
use paxoslog::storage::{load_slot, load_slots_from};
use paxoslog::{
    Ballot, Config, Msg, Operation, Outcome, Reply, RequestId, Server, Slot, SlotRecord,
    StateMachine, Value,
};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

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
        .budget(3_000);
    let mut cluster = paxoslog::build(builder, config);
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

/// The record of `slot` on `id`'s disk (what a crash now would leave).
pub fn durable(cluster: &Cluster<Msg>, id: &str, slot: Slot) -> SlotRecord {
    load_slot(cluster.store(id).durable(), slot)
        .expect("a durable slot record must decode")
        .unwrap_or_default()
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

/// `Outcome::Stored { value }`.
pub fn stored(value: &str) -> Outcome {
    Outcome::Stored {
        value: value.into(),
    }
}

/// `Outcome::Read { value }`.
pub fn read(value: Option<&str>) -> Outcome {
    Outcome::Read {
        value: value.map(str::to_string),
    }
}

/// `Outcome::Swapped { swapped, previous }`.
pub fn swapped(swapped: bool, previous: Option<&str>) -> Outcome {
    Outcome::Swapped {
        swapped,
        previous: previous.map(str::to_string),
    }
}

/// Run until `reply` completes and read it as an outcome, failing the test otherwise.
pub fn answered(cluster: &mut Cluster<Msg>, reply: &Promise<Msg>, who: &str) -> Reply {
    let answer = cluster.run(reply);
    paxoslog::reply(answer.clone()).unwrap_or_else(|e| {
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
    let call = paxoslog::execute(cluster, client, server, seq, operation);
    answered(cluster, &call, client)
}

/// Tick until every server in `servers` has executed through `slot`.
pub fn until_executed(cluster: &mut Cluster<Msg>, servers: &[&str], slot: Slot) {
    let ids: Vec<String> = servers.iter().map(|s| s.to_string()).collect();
    if let Err(e) = cluster.tick_until(|c| {
        ids.iter().all(|id| {
            c.try_node::<Server>(id)
                .is_some_and(|s| s.executed_through() >= slot)
        })
    }) {
        panic!("every replica must execute through slot {slot}: {e}");
    }
}

/// The executed log of `id`, as request ids and operations, for comparisons.
pub fn executed_log(cluster: &Cluster<Msg>, id: &str) -> Vec<Value> {
    server(cluster, id).executed_log()
}

/// Every `Prepare` `node` sent, as (slot, ballot), in order (duplicates of one fan-out
/// counted once).
pub fn prepares_sent_by(cluster: &Cluster<Msg>, node: &str) -> Vec<(Slot, Ballot)> {
    let mut prepared: Vec<(Slot, Ballot)> = Vec::new();
    for event in cluster.trace().events() {
        if event.node != node {
            continue;
        }
        if let (TraceKind::Send { .. }, Some(Msg::Prepare { slot, ballot, .. })) =
            (&event.kind, &event.body)
        {
            let sent = (*slot, ballot.clone());
            if !prepared.contains(&sent) {
                prepared.push(sent);
            }
        }
    }
    prepared
}

/// A node's durable records from `from` on (a record that does not decode fails the
/// test, naming the node).
fn durable_frontier(view: &ClusterView<'_, Msg>, id: &str, from: Slot) -> Vec<(Slot, SlotRecord)> {
    view.store(id)
        .map(|kv| {
            load_slots_from(kv.durable(), from)
                .unwrap_or_else(|e| panic!("{id}'s durable slot records must decode: {e}"))
        })
        .unwrap_or_default()
}

/// What one replica's execution looked like at the last tick.
struct Replica {
    incarnation: u32,
    /// The store obtained by executing the agreed values of slots `1..=executed`.
    reference: StateMachine,
    executed: Slot,
    /// The highest `executed_through` of any incarnation.
    high_water: Slot,
}

/// What the invariants remember across ticks (they see only the present).
#[derive(Default)]
struct Ghost {
    servers: Vec<String>,
    /// The value of every slot committed anywhere, and who committed it first.
    agreed: BTreeMap<Slot, (Value, String)>,
    /// The slot each committed request is in.
    placed: BTreeMap<RequestId, Slot>,
    /// Per node: slots `1..=settled` are committed on its disk and checked. A node never
    /// writes a slot again once its commit is durable, so they are not read again.
    settled: BTreeMap<String, Slot>,
    /// Per node: its durable records from `settled + 1` on, read at this tick.
    frontier: BTreeMap<String, Vec<(Slot, SlotRecord)>>,
    /// Per node and unsettled slot: the highest durable promise seen.
    durable_promise: BTreeMap<(String, Slot), Ballot>,
    /// Per slot: every durable acceptance seen, ballot -> acceptor -> value.
    acceptances: BTreeMap<Slot, BTreeMap<Ballot, BTreeMap<String, Value>>>,
    /// Per slot: the lowest ballot a majority durably accepted, and its value.
    chosen: BTreeMap<Slot, (Ballot, Value)>,
    replicas: BTreeMap<String, Replica>,
}

impl Ghost {
    /// Record that `who` committed `value` in `slot`; fail if another value was committed.
    fn agree(&mut self, slot: Slot, value: &Value, who: &str) -> Result<(), String> {
        match self.agreed.get(&slot) {
            None => {
                if let Some(other) = self.placed.insert(value.request.clone(), slot) {
                    return Err(format!(
                        "request {} was chosen for two slots, {other} and {slot} ({who} committed it in {slot})",
                        value.request
                    ));
                }
                self.agreed.insert(slot, (value.clone(), who.to_string()));
                Ok(())
            }
            Some((first, by)) if first != value => Err(format!(
                "two values chosen for slot {slot}: {by} committed {first}, and {who} committed {value}"
            )),
            Some(_) => Ok(()),
        }
    }

    /// Record a durable acceptance and check the slot's value preservation.
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
        for (b, by) in ballots {
            let mut values = by.values();
            if let Some(first) = values.next()
                && let Some(other) = values.find(|v| *v != first)
            {
                return Err(format!(
                    "slot {slot}: ballot {b} carried two values: {first} and {other}"
                ));
            }
        }
        let chosen = ballots
            .iter()
            .find(|(_, by)| by.len() >= majority)
            .and_then(|(b, by)| by.values().next().map(|v| (b.clone(), v.clone())));
        let Some((chosen_ballot, chosen_value)) = chosen else {
            return Ok(());
        };
        for (b, by) in ballots.range(&chosen_ballot..) {
            for (id, v) in by {
                if *v != chosen_value {
                    return Err(format!(
                        "slot {slot}: {chosen_value} was chosen in {chosen_ballot}, yet {id} accepted {v} in the higher {b}"
                    ));
                }
            }
        }
        self.chosen.insert(slot, (chosen_ballot, chosen_value));
        Ok(())
    }
}

/// The safety invariants of the Paxos log, checked after every tick:
/// * one value per slot: every committed value, in memory or on disk, on any node, is
///   the same for a given slot; no learner was offered a different one; and one slot
///   per request: no request id is chosen for two slots;
/// * value preservation: per slot, one ballot carries one value, and once a majority
///   durably accepted `(b, v)` every acceptance of a higher ballot carries `v`;
/// * per slot, a durable promise never decreases, memory is never behind the disk, and
///   an accepted ballot never exceeds the promise;
/// * every replica executes the agreed log once, in order: its store equals the store
///   obtained by executing the agreed values of `1..=executed_through` on an empty one
///   (committed-prefix agreement and exactly-once, in-order execution);
/// * a restarted replica resumes at or beyond the slot it had executed before.
pub fn install_invariants(cluster: &mut Cluster<Msg>) {
    let ghost = Rc::new(RefCell::new(Ghost {
        servers: cluster.servers().iter().map(|s| s.to_string()).collect(),
        ..Ghost::default()
    }));
    let agreement = Rc::clone(&ghost);
    cluster.add_invariant("one value per slot", move |view| {
        check_agreement(&mut agreement.borrow_mut(), view)
    });
    let preservation = Rc::clone(&ghost);
    cluster.add_invariant(
        "a chosen value is preserved by higher ballots",
        move |view| check_value_preservation(&mut preservation.borrow_mut(), view),
    );
    let promises = Rc::clone(&ghost);
    cluster.add_invariant("promises never go backwards", move |view| {
        check_promises(&mut promises.borrow_mut(), view)
    });
    let execution = Rc::clone(&ghost);
    cluster.add_invariant(
        "every replica executes the agreed log once, in order",
        move |view| check_execution(&mut execution.borrow_mut(), view),
    );
}

/// Read each node's unsettled durable records, check every commit on disk and in
/// memory against the agreed log, and settle the durable committed prefix.
fn check_agreement(ghost: &mut Ghost, view: &ClusterView<'_, Msg>) -> Result<(), String> {
    for id in ghost.servers.clone() {
        let settled = ghost.settled.get(&id).copied().unwrap_or(0);
        let frontier = durable_frontier(view, &id, settled + 1);
        for (slot, record) in &frontier {
            if let Some(value) = &record.committed {
                ghost.agree(*slot, value, &format!("{id} (on disk)"))?;
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
            ghost.durable_promise.remove(&(id.clone(), *slot));
        }
        ghost.settled.insert(id.clone(), now_settled);
        ghost.frontier.insert(id, frontier);
    }
    Ok(())
}

/// Value preservation, from the durable acceptances and each node's memory.
fn check_value_preservation(ghost: &mut Ghost, view: &ClusterView<'_, Msg>) -> Result<(), String> {
    let frontiers = std::mem::take(&mut ghost.frontier);
    let mut result = Ok(());
    'nodes: for (id, frontier) in &frontiers {
        for (slot, record) in frontier {
            if let Some(p) = &record.accepted
                && let Err(e) = ghost.accepted(*slot, &p.ballot, id, &p.value)
            {
                result = Err(e);
                break 'nodes;
            }
        }
        let Some(node) = view.node::<Server>(id) else {
            continue;
        };
        let from = ghost.settled.get(id).copied().unwrap_or(0) + 1;
        for (slot, state) in node.slots_from(from) {
            let (Some(p), Some((chosen_ballot, chosen_value))) =
                (&state.record.accepted, ghost.chosen.get(&slot))
            else {
                continue;
            };
            if p.ballot > *chosen_ballot && p.value != *chosen_value {
                result = Err(format!(
                    "slot {slot}: {chosen_value} was chosen in {chosen_ballot}, yet {id} accepts {} in {}",
                    p.value, p.ballot
                ));
                break 'nodes;
            }
        }
    }
    ghost.frontier = frontiers;
    result
}

/// Per slot: durable promises never decrease; memory is never behind the disk; an
/// accepted ballot never exceeds the promise.
fn check_promises(ghost: &mut Ghost, view: &ClusterView<'_, Msg>) -> Result<(), String> {
    for (id, frontier) in &ghost.frontier {
        let node = view.node::<Server>(id);
        for (slot, disk) in frontier {
            let before = ghost
                .durable_promise
                .entry((id.clone(), *slot))
                .or_default();
            if disk.promised < *before {
                return Err(format!(
                    "{id}'s durable promise for slot {slot} went from {before} down to {}",
                    disk.promised
                ));
            }
            *before = disk.promised.clone();
            if let Some(memory) = node.and_then(|n| n.slot(*slot))
                && memory.promised < disk.promised
            {
                return Err(format!(
                    "{id} holds promise {} for slot {slot} in memory, below {} on disk",
                    memory.promised, disk.promised
                ));
            }
        }
        let Some(node) = node else { continue };
        let from = ghost.settled.get(id).copied().unwrap_or(0) + 1;
        for (slot, state) in node.slots_from(from) {
            if let Some(a) = &state.record.accepted
                && a.ballot > state.record.promised
            {
                return Err(format!(
                    "{id} accepted {} in slot {slot}, above its promise {}",
                    a.ballot, state.record.promised
                ));
            }
        }
    }
    Ok(())
}

/// Replay the agreed log on a reference store per replica and compare.
fn check_execution(ghost: &mut Ghost, view: &ClusterView<'_, Msg>) -> Result<(), String> {
    for id in ghost.servers.clone() {
        let Some(node) = view.node::<Server>(&id) else {
            continue;
        };
        let executed = node.executed_through();
        let replica = ghost.replicas.entry(id.clone()).or_insert(Replica {
            incarnation: node.incarnation(),
            reference: StateMachine::new(),
            executed: 0,
            high_water: 0,
        });
        if replica.incarnation != node.incarnation() {
            if executed < replica.high_water {
                return Err(format!(
                    "{id} restarted executed through slot {executed}, but had executed through slot {} before: a commit it executed was not durable",
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
                "{id} executed through slot {executed}, but its store differs from executing the agreed log once, in order: {}",
                difference(node.state_machine(), &replica.reference)
            ));
        }
    }
    Ok(())
}

/// What differs between a replica's store and the reference, in words.
fn difference(actual: &StateMachine, reference: &StateMachine) -> String {
    if actual.operations_run() != reference.operations_run() {
        return format!(
            "it ran {} operations where the agreed log runs {} (a slot skipped, or a request run twice)",
            actual.operations_run(),
            reference.operations_run()
        );
    }
    if actual.entries() != reference.entries() {
        return format!(
            "it holds {:?} where the agreed log gives {:?}",
            actual.entries(),
            reference.entries()
        );
    }
    format!("its sessions are {actual:?}, the agreed log's {reference:?}")
}
