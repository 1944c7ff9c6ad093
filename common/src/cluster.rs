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

use crate::client::Client;
use crate::error::{ClusterError, RpcError};
use crate::id::ProcessId;
use crate::msg::{Envelope, Message, PeerKind};
use crate::net::{Action, NetConfig, PartitionMode, Rule, RuleId, Sel, SimNet};
use crate::process::{Ctx, NodeIo, NodeMeta, Process, Runtime, TimerAction, World};
use crate::promise::Promise;
use crate::rng::SimRng;
use crate::store::{SimKv, StoreConfig};
use crate::time::{DEFAULT_START_MS, SimClock, Tick};
use crate::trace::{DEFAULT_TRACE_CAPACITY, DropReason, Trace, TraceEvent, TraceKind};
use std::any::Any;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
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
}

type Factory<P> = Rc<dyn Fn(&ProcessId, &[ProcessId]) -> P>;

struct NodeSlot<P: Process> {
    meta: NodeMeta,
    process: Option<P>,
    rt: Runtime<P>,
    io: NodeIo,
    status: NodeStatus,
    backlog: Vec<Envelope<P::Msg>>,
    factory: Factory<P>,
}

impl<P: Process> NodeSlot<P> {
    fn with_ctx<R>(
        &mut self,
        world: &mut World<P::Msg>,
        f: impl FnOnce(&mut P, &mut Ctx<'_, P>) -> R,
    ) -> Option<R> {
        let process = self.process.as_mut()?;
        let mut ctx = Ctx {
            meta: &self.meta,
            rt: &mut self.rt,
            io: &mut self.io,
            world,
        };
        Some(f(process, &mut ctx))
    }

    fn event(&self, world: &World<P::Msg>, kind: TraceKind, detail: String) -> TraceEvent<P::Msg> {
        TraceEvent {
            tick: world.now,
            node: self.meta.id.clone(),
            peer: None,
            kind,
            msg: None,
            corr: None,
            detail,
            body: None,
        }
    }
}

/// Object-safe face of a node slot, so one cluster holds nodes of different types.
trait DynNode<M: Message> {
    fn status(&self) -> NodeStatus;
    fn start(&mut self, world: &mut World<M>);
    fn deliver(&mut self, world: &mut World<M>, env: Envelope<M>);
    fn drain_backlog(&mut self, world: &mut World<M>);
    fn keep_for_resume(&mut self, env: Envelope<M>);
    fn run_timers(&mut self, world: &mut World<M>);
    fn complete_storage(&mut self, world: &mut World<M>);
    fn crash(&mut self, world: &mut World<M>);
    fn restart(&mut self, world: &mut World<M>);
    fn pause(&mut self, world: &mut World<M>);
    fn resume(&mut self, world: &mut World<M>);
    fn io(&self) -> &NodeIo;
    fn io_mut(&mut self) -> &mut NodeIo;
    fn summary(&self) -> String;
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<P: Process> DynNode<P::Msg> for NodeSlot<P> {
    fn status(&self) -> NodeStatus {
        self.status
    }

    fn start(&mut self, world: &mut World<P::Msg>) {
        self.with_ctx(world, |p, ctx| p.on_start(ctx));
    }

    fn deliver(&mut self, world: &mut World<P::Msg>, env: Envelope<P::Msg>) {
        let mut event = TraceEvent {
            tick: world.now,
            node: env.to.clone(),
            peer: Some(env.from.clone()),
            kind: TraceKind::Deliver,
            msg: Some(crate::msg::Message::kind(&env.body)),
            corr: env.corr.or(env.in_reply_to),
            detail: String::new(),
            body: None,
        };
        match env.in_reply_to {
            Some(corr) => match self.rt.pending.remove(&corr) {
                Some(pending) => {
                    self.rt.deadlines.remove(&(pending.deadline, corr));
                    world.trace.record(event);
                    self.with_ctx(world, |p, ctx| (pending.callback)(p, ctx, Ok(env)));
                }
                None => {
                    event.kind = TraceKind::Drop(DropReason::NoWaiter);
                    world.trace.record(event);
                }
            },
            None => {
                world.trace.record(event);
                self.with_ctx(world, |p, ctx| p.on_message(ctx, env));
            }
        }
    }

    fn drain_backlog(&mut self, world: &mut World<P::Msg>) {
        for env in std::mem::take(&mut self.backlog) {
            self.deliver(world, env);
        }
    }

    fn keep_for_resume(&mut self, env: Envelope<P::Msg>) {
        self.backlog.push(env);
    }

    fn run_timers(&mut self, world: &mut World<P::Msg>) {
        let now = world.now;
        while let Some(&(deadline, corr)) = self.rt.deadlines.first() {
            if deadline > now {
                break;
            }
            self.rt.deadlines.pop_first();
            let Some(pending) = self.rt.pending.remove(&corr) else {
                continue;
            };
            world.trace.record(TraceEvent {
                tick: now,
                node: self.meta.id.clone(),
                peer: Some(pending.to.clone()),
                kind: TraceKind::RequestTimeout,
                msg: None,
                corr: Some(corr),
                detail: String::new(),
                body: None,
            });
            let error = RpcError::Timeout {
                after_ticks: pending.timeout,
            };
            self.with_ctx(world, |p, ctx| (pending.callback)(p, ctx, Err(error)));
        }
        while let Some((&(deadline, id), _)) = self.rt.timers.first_key_value() {
            if deadline > now {
                break;
            }
            let Some((_, action)) = self.rt.timers.pop_first() else {
                break;
            };
            self.rt.timer_deadline.remove(&id);
            match action {
                TimerAction::Notify => {
                    world
                        .trace
                        .record(self.event(world, TraceKind::Timer, format!("{id:?}")));
                    self.with_ctx(world, |p, ctx| p.on_timer(ctx, id));
                }
                TimerAction::Callback(callback) => {
                    self.with_ctx(world, |p, ctx| callback(p, ctx));
                }
            }
        }
        self.with_ctx(world, |p, ctx| p.on_tick(ctx));
    }

    fn complete_storage(&mut self, world: &mut World<P::Msg>) {
        let done = self.io.kv.complete_due(world.now, &mut self.io.store_rng);
        for (id, result) in done {
            let kind = if result.is_ok() {
                TraceKind::StoreDone
            } else {
                TraceKind::StoreFailed
            };
            world
                .trace
                .record(self.event(world, kind, format!("op {}", id.0)));
            if let Some(callback) = self.rt.store_callbacks.remove(&id) {
                self.with_ctx(world, |p, ctx| callback(p, ctx, result));
            }
        }
    }

    fn crash(&mut self, world: &mut World<P::Msg>) {
        if self.status == NodeStatus::Down {
            return;
        }
        self.process = None;
        self.rt = Runtime::new(self.rt.incarnation + 1);
        self.backlog.clear();
        let unsynced = self.io.kv.unsynced();
        let queued = self.io.kv.pending();
        self.io.kv.crash(&mut self.io.store_rng);
        self.status = NodeStatus::Down;
        let detail = format!(
            "{queued} queued storage op(s) discarded, {unsynced} unsynced write(s) at risk"
        );
        world
            .trace
            .record(self.event(world, TraceKind::Crash, detail));
    }

    fn restart(&mut self, world: &mut World<P::Msg>) {
        if self.status != NodeStatus::Down {
            self.crash(world);
        }
        self.process = Some((self.factory)(&self.meta.id, &self.meta.peers));
        self.status = NodeStatus::Up;
        let detail = format!("incarnation {}", self.rt.incarnation);
        world
            .trace
            .record(self.event(world, TraceKind::Restart, detail));
        self.start(world);
    }

    fn pause(&mut self, world: &mut World<P::Msg>) {
        if self.status == NodeStatus::Up {
            self.status = NodeStatus::Paused;
            world
                .trace
                .record(self.event(world, TraceKind::Pause, String::new()));
        }
    }

    fn resume(&mut self, world: &mut World<P::Msg>) {
        if self.status == NodeStatus::Paused {
            self.status = NodeStatus::Up;
            let detail = format!("{} message(s) waiting", self.backlog.len());
            world
                .trace
                .record(self.event(world, TraceKind::Resume, detail));
        }
    }

    fn io(&self) -> &NodeIo {
        &self.io
    }

    fn io_mut(&mut self) -> &mut NodeIo {
        &mut self.io
    }

    fn summary(&self) -> String {
        let waiting: Vec<String> = self
            .rt
            .pending
            .iter()
            .map(|(c, p)| format!("{c}->{} (deadline t{})", p.to, p.deadline))
            .collect();
        format!(
            "{:<10} {:?} incarnation {} | waiting for replies: [{}] | timers: {} | storage ops queued: {}, unsynced writes: {} | paused backlog: {}",
            self.meta.id.as_str(),
            self.status,
            self.rt.incarnation,
            waiting.join(", "),
            self.rt.timers.len(),
            self.io.kv.pending(),
            self.io.kv.unsynced(),
            self.backlog.len()
        )
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// Builder for a [`Cluster`]. Every setting has a documented default.
#[derive(Clone, Debug)]
pub struct ClusterBuilder {
    seed: u64,
    servers: Vec<ProcessId>,
    net: NetConfig,
    store: StoreConfig,
    request_timeout: Tick,
    budget: Option<Tick>,
    start_ms: u64,
    ms_per_tick: u64,
    trace_capacity: usize,
    roundtrip_codec: bool,
}

impl Default for ClusterBuilder {
    fn default() -> Self {
        ClusterBuilder {
            seed: 0,
            servers: Vec::new(),
            net: NetConfig::default(),
            store: StoreConfig::default(),
            request_timeout: 200,
            budget: None,
            start_ms: DEFAULT_START_MS,
            ms_per_tick: 1,
            trace_capacity: DEFAULT_TRACE_CAPACITY,
            roundtrip_codec: false,
        }
    }
}

impl ClusterBuilder {
    /// A builder with every default (the same as `Cluster::builder()`).
    pub fn new() -> Self {
        Self::default()
    }

    /// The seed every random stream of the run derives from (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The servers, in cluster order.
    pub fn servers<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<ProcessId>,
    {
        self.servers = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Network settings (default: reliable, FIFO, 1 tick of latency).
    pub fn net(mut self, net: NetConfig) -> Self {
        self.net = net;
        self
    }

    /// Latency range in ticks for every link (default 1..=1).
    pub fn latency(mut self, min: Tick, max: Tick) -> Self {
        self.net.latency = (min, max);
        self
    }

    /// Storage settings for every node (default: 1 tick per operation, no failures).
    pub fn store(mut self, store: StoreConfig) -> Self {
        self.store = store;
        self
    }

    /// Default request timeout in ticks (default 200).
    pub fn request_timeout(mut self, ticks: Tick) -> Self {
        self.request_timeout = ticks;
        self
    }

    /// Tick budget of `tick_until` and `run` (default 10 × the request timeout).
    pub fn budget(mut self, ticks: Tick) -> Self {
        self.budget = Some(ticks);
        self
    }

    /// Every node's wall clock at tick 0 (default 1000 ms).
    pub fn initial_wall_ms(mut self, ms: u64) -> Self {
        self.start_ms = ms;
        self
    }

    /// Wall-clock milliseconds per tick (default 1).
    pub fn ms_per_tick(mut self, ms: u64) -> Self {
        self.ms_per_tick = ms;
        self
    }

    /// Number of trace events kept (default 20,000; the hash covers all).
    pub fn trace_capacity(mut self, events: usize) -> Self {
        self.trace_capacity = events;
        self
    }

    /// Encode and decode every message with postcard as it is sent (default off): catches
    /// messages that would not survive a real network.
    pub fn roundtrip_codec(mut self, on: bool) -> Self {
        self.roundtrip_codec = on;
        self
    }

    /// Build the cluster; `factory(id, peers)` makes each server's process, at start and
    /// again at every restart.
    pub fn build<P: Process>(
        self,
        factory: impl Fn(&ProcessId, &[ProcessId]) -> P + 'static,
    ) -> Cluster<P::Msg> {
        let world = World {
            now: 0,
            net: SimNet::new(self.net.clone(), SimRng::derive(self.seed, "net")),
            trace: Trace::new(self.trace_capacity),
            index: BTreeMap::new(),
            request_timeout: self.request_timeout,
            roundtrip_codec: self.roundtrip_codec,
        };
        let mut cluster = Cluster {
            world,
            nodes: Vec::new(),
            servers: self.servers.clone(),
            seed: self.seed,
            budget: self.budget.unwrap_or(self.request_timeout * 10),
            store: self.store.clone(),
            start_ms: self.start_ms,
            ms_per_tick: self.ms_per_tick,
            invariants: Vec::new(),
            tick_clock: Rc::new(Cell::new(0)),
        };
        let factory: Factory<P> = Rc::new(factory);
        let servers = self.servers.clone();
        for id in &servers {
            let peers: Vec<ProcessId> = servers.iter().filter(|p| *p != id).cloned().collect();
            cluster.register(id.clone(), PeerKind::Server, peers, Rc::clone(&factory));
        }
        for index in 0..cluster.nodes.len() {
            cluster.nodes[index].start(&mut cluster.world);
        }
        cluster
    }
}

/// A read-only view of the cluster, given to invariants.
pub struct ClusterView<'a, M: Message> {
    nodes: &'a [Box<dyn DynNode<M>>],
    index: &'a BTreeMap<ProcessId, usize>,
    now: Tick,
}

impl<'a, M: Message> ClusterView<'a, M> {
    /// The current tick.
    pub fn now(&self) -> Tick {
        self.now
    }

    /// The process of a running (or paused) node of type `P`; `None` if it is down or of
    /// another type.
    pub fn node<P: Process<Msg = M>>(&self, id: &str) -> Option<&'a P> {
        let slot = self.nodes.get(*self.index.get(id)?)?;
        slot.as_any()
            .downcast_ref::<NodeSlot<P>>()?
            .process
            .as_ref()
    }

    /// Every live node of type `P`, in cluster order.
    pub fn nodes<P: Process<Msg = M>>(&self) -> Vec<(&'a ProcessId, &'a P)> {
        self.nodes
            .iter()
            .filter_map(|slot| {
                let slot = slot.as_any().downcast_ref::<NodeSlot<P>>()?;
                Some((&slot.meta.id, slot.process.as_ref()?))
            })
            .collect()
    }

    /// A node's storage.
    pub fn store(&self, id: &str) -> Option<&'a SimKv> {
        Some(&self.nodes.get(*self.index.get(id)?)?.io().kv)
    }
}

type Invariant<M> = (
    String,
    Box<dyn Fn(&ClusterView<'_, M>) -> Result<(), String>>,
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

/// A node's wall clock, for tests that skew time. Every change is written to the trace.
pub struct ClockControl<'a, M: Message> {
    clock: &'a mut SimClock,
    trace: &'a mut Trace<M>,
    node: ProcessId,
    now: Tick,
}

impl<M: Message> ClockControl<'_, M> {
    fn record(&mut self, what: String) {
        self.trace.record(TraceEvent {
            tick: self.now,
            node: self.node.clone(),
            peer: None,
            kind: TraceKind::Fault,
            msg: None,
            corr: None,
            detail: what,
            body: None,
        });
    }

    /// Make the clock read `ms` now.
    pub fn set_ms(mut self, ms: u64) {
        self.clock.set_ms(self.now, ms);
        self.record(format!("clock set to {ms} ms"));
    }

    /// Jump the clock by `delta_ms`.
    pub fn skew(mut self, delta_ms: i64) {
        self.clock.skew(delta_ms);
        self.record(format!("clock jumps {delta_ms:+} ms"));
    }

    /// Run fast (positive) or slow (negative) by `ppm` parts per million from now.
    pub fn drift(mut self, ppm: i64) {
        if self.clock.drift_ppm != ppm {
            self.clock.drift(self.now, ppm);
            self.record(format!("clock drifts {ppm:+} ppm"));
        }
    }

    /// What the clock reads now.
    pub fn now_ms(&self) -> u64 {
        self.clock.wall_ms(self.now)
    }
}

/// Network fault controls: rules, latency, loss.
pub struct NetControl<'a, M: Message> {
    net: &'a mut SimNet<M>,
    trace: &'a mut Trace<M>,
    now: Tick,
}

impl<M: Message> NetControl<'_, M> {
    /// Install a rule.
    pub fn add_rule(&mut self, rule: Rule) -> RuleId {
        self.net.add_rule(self.now, rule, self.trace)
    }

    fn kind_rule(&mut self, kind: &str, from: Sel, to: Sel, action: Action) -> RuleId {
        self.add_rule(Rule {
            from,
            to,
            kind: Some(kind.to_string()),
            action,
            until: None,
        })
    }

    /// Drop every message of `kind` from `from` to `to`.
    pub fn drop_kind(&mut self, kind: &str, from: impl Into<Sel>, to: impl Into<Sel>) -> RuleId {
        self.kind_rule(kind, from.into(), to.into(), Action::Drop)
    }

    /// Drop only the `n`-th (1-based) message of `kind` from `from` to `to`.
    pub fn drop_nth_kind(
        &mut self,
        kind: &str,
        from: impl Into<Sel>,
        to: impl Into<Sel>,
        n: u64,
    ) -> RuleId {
        self.kind_rule(kind, from.into(), to.into(), Action::DropNth(n))
    }

    /// Add `ticks` of latency to messages of `kind` from `from` to `to`.
    pub fn delay_kind(
        &mut self,
        kind: &str,
        from: impl Into<Sel>,
        to: impl Into<Sel>,
        ticks: Tick,
    ) -> RuleId {
        self.kind_rule(kind, from.into(), to.into(), Action::Delay(ticks))
    }

    /// Hold messages of `kind` from `from` to `to` until [`NetControl::release`].
    pub fn hold_kind(&mut self, kind: &str, from: impl Into<Sel>, to: impl Into<Sel>) -> RuleId {
        self.kind_rule(kind, from.into(), to.into(), Action::Hold)
    }

    /// Hold every message from `from` to `to` until [`NetControl::release`].
    pub fn hold(&mut self, from: impl Into<Sel>, to: impl Into<Sel>) -> RuleId {
        self.add_rule(Rule {
            from: from.into(),
            to: to.into(),
            kind: None,
            action: Action::Hold,
            until: None,
        })
    }

    /// Clog the link for `ticks`: what is sent meanwhile arrives when the clog ends.
    pub fn clog(&mut self, from: impl Into<Sel>, to: impl Into<Sel>, ticks: Tick) -> RuleId {
        let end = self.now + ticks;
        self.add_rule(Rule {
            from: from.into(),
            to: to.into(),
            kind: None,
            action: Action::DelayUntil(end),
            until: Some(end),
        })
    }

    /// Remove a rule, releasing what it held (each message delivered exactly once).
    pub fn release(&mut self, rule: RuleId) {
        self.net.remove_rule(self.now, rule, self.trace);
    }

    /// Remove every rule, releasing everything held.
    pub fn clear_rules(&mut self) {
        self.net.clear_rules(self.now, self.trace);
    }

    /// Heal partitions, remove rules, forget per-link settings.
    pub fn reset(&mut self) {
        self.net.reset(self.now, self.trace);
    }

    /// Latency range for every link.
    pub fn set_latency(&mut self, min: Tick, max: Tick) {
        let config = NetConfig {
            latency: (min, max),
            ..self.net.config().clone()
        };
        self.net.set_config(config);
    }

    /// Latency range for one link.
    pub fn set_link_latency(&mut self, from: &str, to: &str, min: Tick, max: Tick) {
        self.net.set_link_latency(from, to, min, max);
    }

    /// Loss probability for every link.
    pub fn set_loss(&mut self, probability: f64) {
        let config = NetConfig {
            loss: probability,
            ..self.net.config().clone()
        };
        self.net.set_config(config);
    }

    /// Loss probability for one link.
    pub fn set_link_loss(&mut self, from: &str, to: &str, probability: f64) {
        self.net.set_link_loss(from, to, probability);
    }

    /// Duplication probability for every link.
    pub fn set_duplicate(&mut self, probability: f64) {
        let config = NetConfig {
            duplicate: probability,
            ..self.net.config().clone()
        };
        self.net.set_config(config);
    }

    /// When partitions apply.
    pub fn set_partition_mode(&mut self, mode: PartitionMode) {
        let config = NetConfig {
            partition_mode: mode,
            ..self.net.config().clone()
        };
        self.net.set_config(config);
    }

    /// The network itself, for inspection.
    pub fn sim(&self) -> &SimNet<M> {
        self.net
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
        peers: Vec<ProcessId>,
        factory: Factory<P>,
    ) -> usize {
        assert!(
            !self.world.index.contains_key(&id),
            "node {id} is already part of the cluster"
        );
        let index = self.world.net.add_node(id.clone());
        self.world.index.insert(id.clone(), index);
        let io = NodeIo {
            rng: SimRng::derive(self.seed, &format!("node:{id}")),
            store_rng: SimRng::derive(self.seed, &format!("store:{id}")),
            clock: SimClock::new(self.start_ms, self.ms_per_tick),
            kv: SimKv::new(self.store.clone()),
        };
        let process = factory(&id, &peers);
        let servers = self.servers.clone();
        let meta = NodeMeta {
            id,
            index,
            kind,
            peers,
            servers,
        };
        let slot = NodeSlot {
            meta,
            process: Some(process),
            rt: Runtime::new(0),
            io,
            status: NodeStatus::Up,
            backlog: Vec::new(),
            factory,
        };
        self.nodes.push(Box::new(slot));
        index
    }

    /// Add a process of any type (a client or a special node) talking to `peers`.
    /// `factory(id, peers)` is called now and again on restart.
    pub fn add_node_with<P: Process<Msg = M>>(
        &mut self,
        id: impl Into<ProcessId>,
        kind: PeerKind,
        peers: &[ProcessId],
        factory: impl Fn(&ProcessId, &[ProcessId]) -> P + 'static,
    ) {
        let index = self.register(id.into(), kind, peers.to_vec(), Rc::new(factory));
        self.nodes[index].start(&mut self.world);
    }

    /// Add a client process built by `factory(id, servers)`.
    pub fn add_client_with<P: Process<Msg = M>>(
        &mut self,
        id: impl Into<ProcessId>,
        factory: impl Fn(&ProcessId, &[ProcessId]) -> P + 'static,
    ) {
        let servers = self.servers.clone();
        self.add_node_with(id, PeerKind::Client, &servers, factory);
    }

    /// Add a generic [`Client`] that may call every server.
    pub fn add_client(&mut self, id: impl Into<ProcessId>) {
        self.add_client_with(id, |_, servers| Client::<M>::new(servers));
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
                NodeStatus::Down => self.world.trace.record(TraceEvent {
                    tick: now,
                    node: flight.env.to.clone(),
                    peer: Some(flight.env.from.clone()),
                    kind: TraceKind::Drop(DropReason::NodeDown),
                    msg: Some(flight.env.body.kind()),
                    corr: flight.env.corr.or(flight.env.in_reply_to),
                    detail: String::new(),
                    body: None,
                }),
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
    pub fn add_invariant(
        &mut self,
        name: impl Into<String>,
        invariant: impl Fn(&ClusterView<'_, M>) -> Result<(), String> + 'static,
    ) {
        self.invariants.push((name.into(), Box::new(invariant)));
    }

    fn check_invariants(&self) -> Result<(), ClusterError> {
        let view = self.view();
        for (name, invariant) in &self.invariants {
            if let Err(message) = invariant(&view) {
                return Err(ClusterError::Invariant {
                    name: name.clone(),
                    tick: self.world.now,
                    message,
                    report: self.report(),
                });
            }
        }
        Ok(())
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
        slot.process
            .as_ref()
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
        slot.process
            .as_mut()
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
        slot.with_ctx(&mut self.world, f)
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
        self.nodes[index].crash(&mut self.world);
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
        self.world.trace.record(TraceEvent {
            tick: self.world.now,
            node: ProcessId::new("test"),
            peer: None,
            kind: TraceKind::Fault,
            msg: None,
            corr: None,
            detail: detail.into(),
            body: None,
        });
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

    /// A diagnostic report: nodes, messages in flight and held, rules, cut links, and the
    /// last 50 trace events.
    pub fn report(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "--- cluster report at tick {} (seed {}) ---",
            self.world.now, self.seed
        );
        let _ = writeln!(out, "nodes:");
        for node in &self.nodes {
            let _ = writeln!(out, "  {}", node.summary());
        }
        let in_flight = self.world.net.in_flight();
        let _ = writeln!(out, "messages in flight: {}", in_flight.len());
        for f in in_flight.iter().take(20) {
            let _ = writeln!(
                out,
                "  t{} {} -> {} {:?}",
                f.deliver_at, f.env.from, f.env.to, f.env.body
            );
        }
        let held: Vec<String> = self
            .world
            .net
            .held()
            .map(|(r, f)| format!("{r}: {} -> {} {}", f.env.from, f.env.to, f.env.body.kind()))
            .collect();
        let _ = writeln!(out, "messages held: {}", held.len());
        for h in held.iter().take(20) {
            let _ = writeln!(out, "  {h}");
        }
        let _ = writeln!(out, "rules:");
        for (id, rule) in self.world.net.rules() {
            let _ = writeln!(out, "  {id}: {rule:?}");
        }
        let cut: Vec<String> = self
            .world
            .net
            .cut_links()
            .iter()
            .map(|(a, b)| format!("{a}->{b}"))
            .collect();
        let _ = writeln!(out, "cut links: [{}]", cut.join(", "));
        let _ = writeln!(out, "last trace events:");
        out.push_str(&self.world.trace.tail(50));
        out
    }
}
