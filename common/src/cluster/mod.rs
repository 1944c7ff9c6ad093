//! `Cluster`: the simulation driver.
//!
//! A cluster owns every node, the network and the clock. A test builds one, sends
//! requests through clients, applies faults, and advances time with [`Cluster::tick`].
//!
//! ## One tick, in order
//! 1. `now += 1` (every node's wall clock follows from the tick).
//! 2. (Fault plans scheduled for this tick are applied by the runner before it ticks.)
//! 3. **Deliver** every message due at or before `now`, by `(deliver_at, send seq)`. A
//!    message to a crashed node is dropped; to a paused node it waits. A reply goes to the
//!    callback waiting for it; anything else to `on_message`.
//! 4. **Timers**: for each live node in cluster order, expire requests whose deadline
//!    passed (their callbacks get a timeout), fire due timers, then call `on_tick`.
//! 5. **Storage**: for each live node, complete due storage operations in submission
//!    order and run their callbacks.
//! 6. Check the registered invariants.
//!
//! Everything sent during steps 3–5 arrives at `now + 1` at the earliest, so a
//! request/response round trip costs at least two ticks whatever the node order.

mod builder;
mod control;
mod report;
mod script;
mod slot;
mod view;

pub use builder::ClusterBuilder;
pub use control::{ClockControl, NetControl};
pub use view::ClusterView;

use crate::client::{Client, Follow};
use crate::error::{ClusterError, RpcError};
use crate::fileio::SimFs;
use crate::id::ProcessId;
use crate::msg::{Message, PeerKind};
use crate::node::{Continuations, Node};
use crate::process::{Ctx, NodeMeta, Process};
use crate::promise::Promise;
use crate::store::{CrashPolicy, SimKv, StoreConfig};
use crate::time::{SimClock, Tick};
use crate::trace::{DropReason, Trace, TraceEvent, TraceKind};
use slot::{DynNode, Factory, NodeIo, NodeSlot, World};
use std::cell::Cell;
use std::rc::Rc;

/// Whether a node is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeStatus {
    /// Running.
    Up,
    /// Crashed: its memory is gone; messages to it are dropped.
    Down,
    /// Frozen (a GC pause, a suspended VM): memory kept, nothing runs, messages wait.
    Paused,
    /// Taken out of the cluster with [`Cluster::remove_server`]: down for good.
    Removed,
}

/// Adds a server of the type the cluster was built with.
type Spawn<M> = Rc<dyn Fn(&mut Cluster<M>, ProcessId) -> usize>;

type Invariant<M> = (
    String,
    Box<dyn FnMut(&ClusterView<'_, M>) -> Result<(), String>>,
);

/// A simulated cluster of processes exchanging messages of type `M`.
pub struct Cluster<M: Message> {
    world: World<M>,
    nodes: Vec<Box<dyn DynNode<M>>>,
    servers: Vec<ProcessId>,
    seed: u64,
    budget: Tick,
    store: StoreConfig,
    start_ms: u64,
    ms_per_tick: u64,
    invariants: Vec<Invariant<M>>,
    tick_clock: Rc<Cell<Tick>>,
    spawn_server: Option<Spawn<M>>,
}

impl<M: Message> std::fmt::Debug for Cluster<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("seed", &self.seed)
            .field("now", &self.world.now)
            .field("nodes", &self.nodes.len())
            .finish()
    }
}

/// The message type of a cluster that has not been built yet. It has no values: it only
/// lets `Cluster::builder()` be written without naming the message type, which
/// [`ClusterBuilder::build`] then infers from the factory.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub enum Unbuilt {}

impl Message for Unbuilt {
    fn kind(&self) -> &'static str {
        match *self {}
    }
}

impl Cluster<Unbuilt> {
    /// Start describing a cluster: `Cluster::builder().servers([..]).build(factory)`.
    pub fn builder() -> ClusterBuilder {
        ClusterBuilder::default()
    }
}

impl<M: Message> Cluster<M> {
    fn register<P: Process<Msg = M>>(
        &mut self,
        id: ProcessId,
        kind: PeerKind,
        factory: Factory<P>,
    ) -> usize {
        assert!(
            !self.world.index.contains_key(&id),
            "node {id} is already part of the cluster"
        );
        let index = self.world.net.add_node(id.clone());
        self.world.index.insert(id.clone(), index);
        let io = NodeIo::new(
            self.seed,
            &id,
            SimClock::new(self.start_ms, self.ms_per_tick),
            SimKv::new(self.store.clone()),
        );
        let meta = NodeMeta::new(id, kind, self.servers.clone());
        let process = factory(&meta.id, &meta.peers);
        let slot = NodeSlot {
            node: Node::new(meta, process),
            index,
            io,
            status: NodeStatus::Up,
            backlog: Vec::new(),
            factory,
        };
        self.nodes.push(Box::new(slot));
        index
    }

    /// Add a client process built by `factory(id, servers)`; it may call every server.
    pub fn add_client_with<P: Process<Msg = M>>(
        &mut self,
        id: impl Into<ProcessId>,
        factory: impl Fn(&ProcessId, &[ProcessId]) -> P + 'static,
    ) {
        let index = self.register(id.into(), PeerKind::Client, Rc::new(factory));
        self.nodes[index].start(&mut self.world);
    }

    /// Add a generic [`Client`] that may call every server.
    pub fn add_client(&mut self, id: impl Into<ProcessId>) {
        self.add_client_with(id, |_, servers| Client::<M>::new(servers));
    }

    // ----- membership -----

    /// Start a new server of the type the cluster was built with, from the cluster's
    /// factory. Every node's view of the servers (`ctx.all_nodes()`, `ctx.peers()`) and
    /// [`Cluster::servers`] include it from now on. Joining the *protocol's* membership
    /// (a configuration change in Raft, say) is the protocol's business.
    pub fn add_server(&mut self, id: impl Into<ProcessId>) {
        let spawn = self
            .spawn_server
            .clone()
            .expect("a built cluster knows how to make its servers");
        let id = id.into();
        self.servers.push(id.clone());
        let index = spawn(self, id);
        self.update_membership();
        self.nodes[index].start(&mut self.world);
        self.record_fault(format!("server {} added", self.nodes[index].id()));
    }

    /// Add a server of another process type, built by `factory(id, peers)`.
    pub fn add_server_with<P: Process<Msg = M>>(
        &mut self,
        id: impl Into<ProcessId>,
        factory: impl Fn(&ProcessId, &[ProcessId]) -> P + 'static,
    ) {
        let id = id.into();
        self.servers.push(id.clone());
        let index = self.register(id, PeerKind::Server, Rc::new(factory));
        self.update_membership();
        self.nodes[index].start(&mut self.world);
        self.record_fault(format!("server {} added", self.nodes[index].id()));
    }

    /// Take a server out of the cluster for good: it stops (as a crash), messages to it
    /// are dropped, and no node's view of the servers includes it any more.
    pub fn remove_server(&mut self, id: &str) {
        let index = self.index(id);
        assert!(
            self.servers.iter().any(|s| s == id),
            "{id} is not a server of the cluster"
        );
        self.servers.retain(|s| s != id);
        self.nodes[index].remove(&mut self.world);
        self.update_membership();
        self.record_fault(format!("server {id} removed"));
    }

    fn update_membership(&mut self) {
        for node in &mut self.nodes {
            node.set_membership(self.servers.clone());
        }
    }

    // ----- time -----

    /// The current tick.
    pub fn now(&self) -> Tick {
        self.world.now
    }

    /// A shared reading of the current tick, for observers that run inside a tick (such
    /// as a history recorder completing an operation when its promise settles).
    pub fn tick_clock(&self) -> Rc<Cell<Tick>> {
        Rc::clone(&self.tick_clock)
    }

    /// The seed of this run.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The budget of `tick_until` and `run`, in ticks.
    pub fn budget(&self) -> Tick {
        self.budget
    }

    /// Change the budget of `tick_until` and `run`.
    pub fn set_budget(&mut self, ticks: Tick) {
        self.budget = ticks;
    }

    /// Advance one tick; panics with a report if an invariant fails.
    pub fn tick(&mut self) {
        if let Err(e) = self.try_tick() {
            panic!("{e}");
        }
    }

    /// Advance one tick; an invariant violation is returned instead of panicking.
    pub fn try_tick(&mut self) -> Result<(), ClusterError> {
        assert!(
            self.world.script.is_none(),
            "a scripted cluster moves only by steps (Cluster::step), never by ticks"
        );
        self.world.now += 1;
        self.tick_clock.set(self.world.now);
        let now = self.world.now;
        for node in &mut self.nodes {
            if node.status() == NodeStatus::Up {
                node.drain_backlog(&mut self.world);
            }
        }
        while let Some(flight) = self.world.net.pop_due(now, &mut self.world.trace) {
            let node = &mut self.nodes[flight.to_index];
            match node.status() {
                NodeStatus::Up => node.deliver(&mut self.world, flight.env),
                NodeStatus::Paused => node.keep_for_resume(flight.env),
                NodeStatus::Down | NodeStatus::Removed => {
                    let kind = TraceKind::Drop(DropReason::NodeDown);
                    let event = TraceEvent::at_receiver(now, kind, &flight.env);
                    self.world.trace.record(event);
                }
            }
        }
        for node in &mut self.nodes {
            if node.status() == NodeStatus::Up {
                node.run_timers(&mut self.world);
            }
        }
        for node in &mut self.nodes {
            if node.status() == NodeStatus::Up {
                node.complete_storage(&mut self.world);
            }
        }
        self.check_invariants()
    }

    /// Advance `n` ticks.
    pub fn tick_n(&mut self, n: Tick) {
        for _ in 0..n {
            self.tick();
        }
    }

    /// Tick until `done` holds (checked before every tick), within the cluster's budget.
    /// Returns the tick at which it held, or a [`ClusterError::Stuck`] report.
    pub fn tick_until(&mut self, done: impl FnMut(&Self) -> bool) -> Result<Tick, ClusterError> {
        self.tick_until_within(self.budget, done)
    }

    /// [`Cluster::tick_until`] with an explicit budget.
    pub fn tick_until_within(
        &mut self,
        budget: Tick,
        mut done: impl FnMut(&Self) -> bool,
    ) -> Result<Tick, ClusterError> {
        for _ in 0..budget {
            if done(self) {
                return Ok(self.world.now);
            }
            self.try_tick()?;
        }
        if done(self) {
            return Ok(self.world.now);
        }
        Err(ClusterError::Stuck {
            ticks: budget,
            now: self.world.now,
            report: self.report(),
        })
    }

    /// Tick until `promise` completes and return its result. Panics with a diagnostic
    /// report if it is still pending after the budget: a stuck test says what was pending.
    pub fn run<T: Clone>(&mut self, promise: &Promise<T>) -> Result<T, RpcError> {
        if let Err(e) = self.tick_until(|_| !promise.is_pending()) {
            panic!("the promise is still pending: {e}");
        }
        promise
            .result()
            .expect("tick_until returned only once the promise completed")
    }

    /// Advance until nothing is in flight, held, or queued in storage (or the budget runs
    /// out, which is an error with a report).
    pub fn run_until_quiet(&mut self) -> Result<Tick, ClusterError> {
        self.tick_until(Self::is_quiet)
    }

    /// Nothing in flight or held, and no storage operation queued.
    pub fn is_quiet(&self) -> bool {
        self.world.net.is_idle() && self.nodes.iter().all(|n| n.io().kv.pending() == 0)
    }

    // ----- invariants -----

    /// Check `invariant` after every tick. It returns `Err(what went wrong)` when violated.
    /// It may keep ghost state of its own (`FnMut`): what was applied at each index, the
    /// highest term seen, and so on.
    pub fn add_invariant(
        &mut self,
        name: impl Into<String>,
        invariant: impl FnMut(&ClusterView<'_, M>) -> Result<(), String> + 'static,
    ) {
        self.invariants.push((name.into(), Box::new(invariant)));
    }

    fn check_invariants(&mut self) -> Result<(), ClusterError> {
        match self.broken_invariant() {
            None => Ok(()),
            Some((name, message)) => Err(ClusterError::Invariant {
                name,
                tick: self.world.now,
                message,
                report: self.report(),
            }),
        }
    }

    /// The first registered invariant that fails now: its name and what it said.
    fn broken_invariant(&mut self) -> Option<(String, String)> {
        let mut invariants = std::mem::take(&mut self.invariants);
        let view = self.view();
        let mut violation = None;
        for (name, invariant) in &mut invariants {
            if let Err(message) = invariant(&view) {
                violation = Some((name.clone(), message));
                break;
            }
        }
        self.invariants = invariants;
        violation
    }

    /// A read-only view of every node.
    pub fn view(&self) -> ClusterView<'_, M> {
        ClusterView {
            nodes: &self.nodes,
            index: &self.world.index,
            now: self.world.now,
        }
    }

    // ----- nodes -----

    fn index(&self, id: &str) -> usize {
        *self
            .world
            .index
            .get(id)
            .unwrap_or_else(|| panic!("unknown node {id}: not part of the cluster"))
    }

    /// Every node, servers then clients, in the order they joined.
    pub fn nodes(&self) -> &[ProcessId] {
        self.world.net.ids()
    }

    /// The servers, in cluster order.
    pub fn servers(&self) -> &[ProcessId] {
        &self.servers
    }

    /// Whether a node is up, down or paused.
    pub fn status(&self, id: &str) -> NodeStatus {
        self.nodes[self.index(id)].status()
    }

    /// The process of node `id`, as type `P`. Reading it has no effect on the run.
    /// Panics if the node is down or of another type.
    pub fn node<P: Process<Msg = M>>(&self, id: &str) -> &P {
        let slot = self.nodes[self.index(id)]
            .as_any()
            .downcast_ref::<NodeSlot<P>>()
            .unwrap_or_else(|| panic!("node {id} is not a {}", std::any::type_name::<P>()));
        slot.node
            .process()
            .unwrap_or_else(|| panic!("node {id} is down: it has no memory to inspect"))
    }

    /// The process of node `id`, or `None` if it is down or of another type.
    pub fn try_node<P: Process<Msg = M>>(&self, id: &str) -> Option<&P> {
        self.view().node::<P>(id)
    }

    /// Mutable access to a process, for test set-up. It runs no handler.
    pub fn node_mut<P: Process<Msg = M>>(&mut self, id: &str) -> &mut P {
        let index = self.index(id);
        let slot = self.nodes[index]
            .as_any_mut()
            .downcast_mut::<NodeSlot<P>>()
            .unwrap_or_else(|| panic!("node {id} is not a {}", std::any::type_name::<P>()));
        slot.node
            .process_mut()
            .unwrap_or_else(|| panic!("node {id} is down"))
    }

    /// Run `f` on node `id` with a `Ctx`, as if from one of its handlers (to start an
    /// election, issue a client call, ...). Its effects take place from the next tick.
    pub fn act<P: Process<Msg = M>, R>(
        &mut self,
        id: &str,
        f: impl FnOnce(&mut P, &mut Ctx<'_, P>) -> R,
    ) -> R {
        let index = self.index(id);
        let slot = self.nodes[index]
            .as_any_mut()
            .downcast_mut::<NodeSlot<P>>()
            .unwrap_or_else(|| panic!("node {id} is not a {}", std::any::type_name::<P>()));
        assert_eq!(slot.status, NodeStatus::Up, "node {id} must be up to act");
        let (node, mut env) = slot.env(&mut self.world);
        node.act(&mut env, f)
            .unwrap_or_else(|| panic!("node {id} is down"))
    }

    /// Send `msg` from the generic client `client` to `server`; the promise completes with
    /// the reply or a timeout (the cluster's request timeout).
    pub fn call(&mut self, client: &str, server: &str, msg: M) -> Promise<M> {
        let timeout = self.world.request_timeout;
        self.call_with_timeout(client, server, msg, timeout)
    }

    /// [`Cluster::call`] with an explicit timeout in ticks.
    pub fn call_with_timeout(
        &mut self,
        client: &str,
        server: &str,
        msg: M,
        timeout: Tick,
    ) -> Promise<M> {
        let server = ProcessId::new(server);
        self.act::<Client<M>, _>(client, move |c, ctx| c.call(ctx, server, msg, timeout))
    }

    /// Send `msg` from the generic client `client` to `server`, following redirects (a
    /// `NotLeader { hint }` reply) as `follow` says.
    pub fn call_following(
        &mut self,
        client: &str,
        server: &str,
        msg: M,
        follow: Follow<M>,
    ) -> Promise<M> {
        let server = ProcessId::new(server);
        self.act::<Client<M>, _>(client, move |c, ctx| {
            c.call_following(ctx, server, msg, follow)
        })
    }

    /// A node's storage, read without ticking.
    pub fn store(&self, id: &str) -> &SimKv {
        &self.nodes[self.index(id)].io().kv
    }

    /// A node's storage, for fault controls (`fail_next`, delays, crash policy).
    pub fn store_mut(&mut self, id: &str) -> &mut SimKv {
        let index = self.index(id);
        &mut self.nodes[index].io_mut().kv
    }

    /// A node's wall clock.
    pub fn clock(&mut self, id: &str) -> ClockControl<'_, M> {
        let index = self.index(id);
        let now = self.world.now;
        let node = ProcessId::new(id);
        ClockControl {
            clock: &mut self.nodes[index].io_mut().clock,
            trace: &mut self.world.trace,
            node,
            now,
        }
    }

    /// What node `id`'s wall clock reads now.
    pub fn wall_ms(&self, id: &str) -> u64 {
        self.nodes[self.index(id)]
            .io()
            .clock
            .wall_ms(self.world.now)
    }

    // ----- process faults -----

    /// Crash a node: its memory, timers and pending callbacks are gone, queued storage
    /// operations are discarded, unsynced writes are lost (by the crash policy), and
    /// messages to it are dropped until it restarts. Messages it already sent stay in flight.
    pub fn crash(&mut self, id: &str) {
        let index = self.index(id);
        self.nodes[index].crash(&mut self.world, None);
    }

    /// Crash a node with `policy` for this crash only, instead of its own (the nemesis
    /// uses it to tear the last write).
    pub fn crash_with(&mut self, id: &str, policy: CrashPolicy) {
        let index = self.index(id);
        self.nodes[index].crash(&mut self.world, Some(policy));
    }

    /// What a crash of node `id` does to its unsynced writes, from now on: its key-value
    /// store, log and files alike.
    pub fn set_crash_policy(&mut self, id: &str, policy: CrashPolicy) {
        let index = self.index(id);
        let io = self.nodes[index].io_mut();
        io.kv.set_crash_policy(policy);
        let config = io.fs.config();
        io.fs.set_config(crate::fileio::SimFsConfig {
            crash: policy,
            ..config
        });
    }

    /// A node's simulated filesystem (the one its handlers reach with `ctx.dir()`), for
    /// inspection and disk faults.
    pub fn fs(&self, id: &str) -> &SimFs {
        &self.nodes[self.index(id)].io().fs
    }

    /// What node `id` waits for, as data (see [`Continuations`]).
    pub fn continuations<P: Process<Msg = M>>(&self, id: &str) -> Option<Continuations> {
        self.view().continuations::<P>(id)
    }

    /// Restart a node as a new incarnation from its durable storage (`on_start` runs).
    /// A node that is up is crashed first. Late replies to the old incarnation are dropped.
    pub fn restart(&mut self, id: &str) {
        let index = self.index(id);
        self.nodes[index].restart(&mut self.world);
    }

    /// Freeze a node: it keeps its memory, but runs nothing; messages to it wait.
    pub fn pause(&mut self, id: &str) {
        let index = self.index(id);
        self.nodes[index].pause(&mut self.world);
    }

    /// Unfreeze a paused node: waiting messages are delivered next tick, overdue timers fire.
    pub fn resume(&mut self, id: &str) {
        let index = self.index(id);
        self.nodes[index].resume(&mut self.world);
    }

    // ----- network faults -----

    /// Cut every link between nodes of different groups, both ways.
    pub fn partition(&mut self, groups: &[&[&str]]) {
        self.world
            .net
            .partition(self.world.now, groups, &mut self.world.trace);
    }

    /// Cut the link from `from` to `to` only.
    pub fn one_way(&mut self, from: &str, to: &str) {
        self.world
            .net
            .one_way(self.world.now, from, to, &mut self.world.trace);
    }

    /// Cut every link of a node.
    pub fn isolate(&mut self, id: &str) {
        self.world
            .net
            .isolate(self.world.now, id, &mut self.world.trace);
    }

    /// Restore every link of a node — including its links to nodes that were cut off by
    /// another fault: `isolate(a); isolate(c); reconnect(c)` lets `a` and `c` talk again.
    /// Links are one matrix, not a stack of faults; to keep `a` cut off, isolate it again
    /// (or let the nemesis, which tracks each fault's links, do the bookkeeping).
    pub fn reconnect(&mut self, id: &str) {
        self.world
            .net
            .reconnect(self.world.now, id, &mut self.world.trace);
    }

    /// Restore the link between two nodes, both ways.
    pub fn heal(&mut self, a: &str, b: &str) {
        self.world
            .net
            .heal(self.world.now, a, b, &mut self.world.trace);
    }

    /// Restore every link (rules stay; see [`NetControl::clear_rules`]).
    pub fn heal_all(&mut self) {
        self.world
            .net
            .heal_all(self.world.now, &mut self.world.trace);
    }

    /// Random loss with `probability` on every link between two servers, both ways.
    /// Links to and from clients stay reliable, so a lost answer never makes a client's
    /// final (liveness) operation look like a protocol failure.
    pub fn set_loss_between_servers(&mut self, probability: f64) {
        let servers = self.servers.clone();
        let mut net = self.net();
        for from in &servers {
            for to in servers.iter().filter(|to| *to != from) {
                net.set_link_loss(from.as_str(), to.as_str(), probability);
            }
        }
    }

    /// Network rules, latency and loss.
    pub fn net(&mut self) -> NetControl<'_, M> {
        NetControl {
            net: &mut self.world.net,
            trace: &mut self.world.trace,
            now: self.world.now,
        }
    }

    /// Write a fault description to the trace (used by the nemesis).
    pub fn record_fault(&mut self, detail: impl Into<String>) {
        let event = TraceEvent::new(self.world.now, ProcessId::new("test"), TraceKind::Fault);
        self.world.trace.record(event.detail(detail));
    }

    // ----- trace and diagnostics -----

    /// The trace of this run.
    pub fn trace(&self) -> &Trace<M> {
        &self.world.trace
    }

    /// The running hash of every trace event: equal for two runs of the same seed.
    pub fn trace_hash(&self) -> u64 {
        self.world.trace.hash()
    }
}
