//! `Solo`: one process driven by hand, its effects collected in a buffer.
//!
//! The cluster runs a whole protocol; `Solo` runs one node's handlers and shows exactly
//! what they asked for — the messages sent, the timers set, the writes made — so a test
//! can check one step of a protocol in isolation ("an acceptor that has promised ballot
//! 5 answers a prepare for ballot 3 with a rejection, and writes nothing"). It is also
//! the proof that protocol code depends on nothing but [`Env`]: `Solo` implements it
//! without a network or a cluster.
//!
//! ```
//! use common::echo::{EchoMsg, EchoServer};
//! use common::solo::Solo;
//!
//! let mut solo = Solo::new("athens", ["athens"], EchoServer::new(5));
//! solo.request("alice", EchoMsg::Echo { text: "hi".into() });
//! let sent = solo.take_sent();
//! assert_eq!(sent.len(), 1, "the echo server answers at once");
//! assert_eq!(sent[0].to, "alice");
//! assert!(matches!(&sent[0].body, EchoMsg::EchoReply { text, .. } if text == "hi"));
//! ```

use crate::fileio::{NodeDir, SimFs, SimFsConfig};
use crate::id::{CorrId, ProcessId};
use crate::msg::{Envelope, PeerKind};
use crate::node::{Continuations, Node};
use crate::process::{Ctx, Env, NodeMeta, Process};
use crate::rng::SimRng;
use crate::store::{Durability, SimKv, StoreConfig, StoreImage, StoreOpId, WriteBatch};
use crate::time::{DEFAULT_START_MS, SimClock, Tick};
use crate::trace::{DEFAULT_TRACE_CAPACITY, Trace, TraceEvent};

/// The world of a [`Solo`] node.
struct World<M> {
    now: Tick,
    rng: SimRng,
    store_rng: SimRng,
    clock: SimClock,
    kv: SimKv,
    fs: SimFs,
    sent: Vec<Envelope<M>>,
    trace: Trace<M>,
    request_timeout: Tick,
    next_corr: u64,
}

impl<M: crate::msg::Message> Env<M> for World<M> {
    fn now(&self) -> Tick {
        self.now
    }

    fn wall_ms(&self) -> u64 {
        self.clock.wall_ms(self.now)
    }

    fn rng(&mut self) -> &mut SimRng {
        &mut self.rng
    }

    fn request_timeout(&self) -> Tick {
        self.request_timeout
    }

    fn send(&mut self, envelope: Envelope<M>) {
        self.sent.push(envelope);
    }

    fn record(&mut self, event: TraceEvent<M>) {
        self.trace.record(event);
    }

    fn store(&self) -> &StoreImage {
        self.kv.visible()
    }

    fn write(&mut self, batch: WriteBatch, durability: Durability) -> StoreOpId {
        self.kv
            .write(self.now, batch, durability, &mut self.store_rng)
    }

    fn sync(&mut self) -> StoreOpId {
        self.kv.sync(self.now, &mut self.store_rng)
    }

    fn dir(&self) -> NodeDir {
        NodeDir::Sim(self.fs.root())
    }
}

/// One process driven by hand. Time moves only when [`Solo::tick`] is called; messages
/// arrive only when the test delivers them; what the process sends waits in a buffer.
pub struct Solo<P: Process> {
    node: Node<P>,
    world: World<P::Msg>,
}

impl<P: Process> Solo<P> {
    /// Start `process` as server `id` among `servers` (seed 0); `on_start` runs now.
    pub fn new<S: Into<ProcessId>>(
        id: impl Into<ProcessId>,
        servers: impl IntoIterator<Item = S>,
        process: P,
    ) -> Self {
        Self::with_seed(0, id, servers, process)
    }

    /// [`Solo::new`] with the seed of the node's random streams.
    pub fn with_seed<S: Into<ProcessId>>(
        seed: u64,
        id: impl Into<ProcessId>,
        servers: impl IntoIterator<Item = S>,
        process: P,
    ) -> Self {
        let id = id.into();
        let servers = servers.into_iter().map(Into::into).collect();
        let world = World {
            now: 0,
            rng: SimRng::derive(seed, &format!("node:{id}")),
            store_rng: SimRng::derive(seed, &format!("store:{id}")),
            clock: SimClock::new(DEFAULT_START_MS, 1),
            kv: SimKv::new(StoreConfig::default()),
            fs: SimFs::new(
                SimFsConfig::default(),
                SimRng::derive(seed, &format!("fs:{id}")),
            ),
            sent: Vec::new(),
            trace: Trace::new(DEFAULT_TRACE_CAPACITY),
            request_timeout: 200,
            next_corr: 0,
        };
        let mut solo = Solo {
            node: Node::new(NodeMeta::new(id, PeerKind::Server, servers), process),
            world,
        };
        solo.node.start(&mut solo.world);
        solo
    }

    /// The current tick.
    pub fn now(&self) -> Tick {
        self.world.now
    }

    /// The process (panics if it is crashed).
    pub fn process(&self) -> &P {
        self.node
            .process()
            .expect("the solo node is crashed: restart it to inspect it")
    }

    /// Deliver a one-way message from `from`.
    pub fn deliver(&mut self, from: impl Into<ProcessId>, body: P::Msg) {
        let envelope = Envelope {
            from: from.into(),
            to: self.node.meta().id.clone(),
            corr: None,
            in_reply_to: None,
            body,
        };
        self.deliver_envelope(envelope);
    }

    /// Deliver a request from `from`: it carries a correlation id, so the process's
    /// `ctx.reply` is addressed to it. Returns that id.
    pub fn request(&mut self, from: impl Into<ProcessId>, body: P::Msg) -> CorrId {
        self.world.next_corr += 1;
        let corr = CorrId::new(0, self.world.next_corr);
        let envelope = Envelope {
            from: from.into(),
            to: self.node.meta().id.clone(),
            corr: Some(corr),
            in_reply_to: None,
            body,
        };
        self.deliver_envelope(envelope);
        corr
    }

    /// Deliver an envelope as it is (a reply to one of the node's own requests, say).
    pub fn deliver_envelope(&mut self, envelope: Envelope<P::Msg>) {
        self.node.deliver(&mut self.world, envelope);
    }

    /// Advance one tick: complete due storage operations, expire requests, fire timers,
    /// call `on_tick`.
    pub fn tick(&mut self) {
        self.world.now += 1;
        self.node.run_timers(&mut self.world);
        let done = self
            .world
            .kv
            .complete_due(self.world.now, &mut self.world.store_rng);
        for (id, result) in done {
            self.node.storage_done(&mut self.world, id, result);
        }
    }

    /// Advance `n` ticks.
    pub fn tick_n(&mut self, n: Tick) {
        for _ in 0..n {
            self.tick();
        }
    }

    /// Run `f` as if from one of the node's handlers.
    pub fn act<R>(&mut self, f: impl FnOnce(&mut P, &mut Ctx<'_, P>) -> R) -> R {
        self.node
            .act(&mut self.world, f)
            .expect("the solo node is crashed: restart it to act")
    }

    /// Everything the process sent since the last call, in order.
    pub fn take_sent(&mut self) -> Vec<Envelope<P::Msg>> {
        std::mem::take(&mut self.world.sent)
    }

    /// The node's storage.
    pub fn store(&self) -> &SimKv {
        &self.world.kv
    }

    /// The node's storage, for fault controls.
    pub fn store_mut(&mut self) -> &mut SimKv {
        &mut self.world.kv
    }

    /// What the node waits for, as data.
    pub fn continuations(&self) -> Continuations {
        self.node.continuations()
    }

    /// The node's trace.
    pub fn trace(&self) -> &Trace<P::Msg> {
        &self.world.trace
    }

    /// Power cut: the process and its callbacks are gone, storage keeps what its crash
    /// policy keeps.
    pub fn crash(&mut self) {
        self.node.crash();
        let policy = self.world.kv.config().crash_policy;
        self.world.kv.crash(&mut self.world.store_rng);
        let config = self.world.fs.config();
        self.world.fs.set_config(SimFsConfig {
            crash: policy,
            ..config.clone()
        });
        self.world.fs.crash(&mut self.world.store_rng);
        self.world.fs.set_config(config);
        self.world.sent.clear();
    }

    /// Start a new incarnation with `process`, which recovers in `on_start`.
    pub fn restart(&mut self, process: P) {
        self.node.restart(&mut self.world, process);
    }
}
