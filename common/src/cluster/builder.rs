//! Building a cluster: every setting with its documented default.

use super::slot::{Factory, World};
use super::{Cluster, Spawn};
use crate::id::ProcessId;
use crate::msg::PeerKind;
use crate::net::{NetConfig, SimNet};
use crate::process::Process;
use crate::rng::SimRng;
use crate::store::StoreConfig;
use crate::time::{DEFAULT_START_MS, Tick};
use crate::trace::{DEFAULT_TRACE_CAPACITY, Trace};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;

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
    folded_kinds: Vec<&'static str>,
    scripted: bool,
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
            folded_kinds: Vec::new(),
            scripted: false,
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

    /// Keep messages of `kind` (heartbeats, say) out of the trace buffer: they are still
    /// hashed and counted, so the run's determinism check covers them (see
    /// [`crate::trace::Trace::fold`]).
    pub fn fold_trace(mut self, kind: &'static str) -> Self {
        self.folded_kinds.push(kind);
        self
    }

    /// Build a scripted cluster (default off): nothing happens by itself. Every message
    /// is held in flight until a step delivers, duplicates or loses it, a storage
    /// operation completes only when a step completes it, a timer fires and a request
    /// times out only when a step says so, and each step advances the clock by one tick.
    /// It replays a schedule of the exhaustive search ([`crate::search::Step`]) with
    /// [`Cluster::step`] or [`Cluster::replay_schedule`]; it is not ticked. A message
    /// to a name that is not a node (a client of a search model) is told at once and
    /// kept in [`Cluster::outside_messages`].
    pub fn scripted(mut self) -> Self {
        self.scripted = true;
        self
    }

    /// Build the cluster; `factory(id, peers)` makes each server's process, at start and
    /// again at every restart.
    pub fn build<P: Process>(
        self,
        factory: impl Fn(&ProcessId, &[ProcessId]) -> P + 'static,
    ) -> Cluster<P::Msg> {
        let mut trace = Trace::new(self.trace_capacity);
        for kind in &self.folded_kinds {
            trace.fold(kind);
        }
        let world = World {
            now: 0,
            net: SimNet::new(self.net.clone(), SimRng::derive(self.seed, "net")),
            trace,
            index: BTreeMap::new(),
            request_timeout: self.request_timeout,
            roundtrip_codec: self.roundtrip_codec,
            script: self.scripted.then(Default::default),
        };
        let factory: Factory<P> = Rc::new(factory);
        let spawn: Spawn<P::Msg> = {
            let factory = Rc::clone(&factory);
            Rc::new(move |cluster: &mut Cluster<P::Msg>, id: ProcessId| {
                cluster.register(id, PeerKind::Server, Rc::clone(&factory))
            })
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
            spawn_server: Some(spawn),
        };
        for id in &self.servers {
            cluster.register(id.clone(), PeerKind::Server, Rc::clone(&factory));
        }
        for index in 0..cluster.nodes.len() {
            cluster.nodes[index].start(&mut cluster.world);
        }
        cluster
    }
}
