//! A simulated node: the driver-independent [`Node`] plus what the simulator gives it —
//! its random streams, clock, storage and files — and the [`Env`] that connects them.

use crate::fileio::{NodeDir, SimFs, SimFsConfig};
use crate::id::{CorrId, ProcessId, TimerId};
use crate::msg::{Envelope, Message};
use crate::net::SimNet;
use crate::node::{Continuations, Node};
use crate::process::{Env, Process, roundtrip};
use crate::rng::SimRng;
use crate::store::{CrashPolicy, Durability, SimKv, StoreImage, StoreOpId, WriteBatch};
use crate::time::{SimClock, Tick};
use crate::trace::{DropReason, Trace, TraceEvent, TraceKind};
use std::any::Any;
use std::collections::BTreeMap;
use std::rc::Rc;

use super::NodeStatus;
use super::script::Script;

/// What is shared by every node of a simulation.
pub(crate) struct World<M> {
    pub(crate) now: Tick,
    pub(crate) net: SimNet<M>,
    pub(crate) trace: Trace<M>,
    pub(crate) index: BTreeMap<ProcessId, usize>,
    pub(crate) request_timeout: Tick,
    pub(crate) roundtrip_codec: bool,
    /// In a scripted cluster, the messages it holds for the steps to take (`None` in a
    /// cluster that runs on its clock).
    pub(crate) script: Option<Script<M>>,
}

/// A node's private simulated environment: its random streams, clock and storage.
#[derive(Debug)]
pub(crate) struct NodeIo {
    pub(crate) rng: SimRng,
    pub(crate) store_rng: SimRng,
    pub(crate) clock: SimClock,
    pub(crate) kv: SimKv,
    pub(crate) fs: SimFs,
}

impl NodeIo {
    pub(crate) fn new(seed: u64, id: &ProcessId, clock: SimClock, kv: SimKv) -> Self {
        let fs = SimFs::new(
            SimFsConfig {
                crash: kv.config().crash_policy,
                ..SimFsConfig::default()
            },
            SimRng::derive(seed, &format!("fs:{id}")),
        );
        NodeIo {
            rng: SimRng::derive(seed, &format!("node:{id}")),
            store_rng: SimRng::derive(seed, &format!("store:{id}")),
            clock,
            kv,
            fs,
        }
    }

    /// Power cut: the key-value store, the log and the files, by one policy.
    pub(crate) fn crash(&mut self, policy: CrashPolicy) -> String {
        let kept = self.kv.config().crash_policy;
        self.kv.set_crash_policy(policy);
        let recovery = self.kv.crash(&mut self.store_rng);
        self.kv.set_crash_policy(kept);
        let fs_config = self.fs.config();
        self.fs.set_config(SimFsConfig {
            crash: policy,
            ..fs_config.clone()
        });
        self.fs.crash(&mut self.store_rng);
        self.fs.set_config(fs_config);
        let torn = if recovery.torn_discarded {
            ", the next one torn and discarded"
        } else {
            ""
        };
        format!(
            "{} queued storage op(s) discarded, {} of {} unsynced write(s) reached the disk{torn}",
            recovery.queued_lost, recovery.kept, recovery.unsynced
        )
    }
}

/// The simulator's [`Env`]: one node's view of the shared world.
pub(crate) struct SimEnv<'a, M: Message> {
    pub(crate) world: &'a mut World<M>,
    pub(crate) io: &'a mut NodeIo,
    pub(crate) index: usize,
}

impl<M: Message> Env<M> for SimEnv<'_, M> {
    fn now(&self) -> Tick {
        self.world.now
    }

    fn wall_ms(&self) -> u64 {
        self.io.clock.wall_ms(self.world.now)
    }

    fn rng(&mut self) -> &mut SimRng {
        &mut self.io.rng
    }

    fn request_timeout(&self) -> Tick {
        self.world.request_timeout
    }

    fn send(&mut self, mut envelope: Envelope<M>) {
        if self.world.roundtrip_codec {
            envelope.body = roundtrip(envelope.body);
        }
        let now = self.world.now;
        if let Some(script) = &mut self.world.script {
            let to_node = self.world.index.contains_key(&envelope.to);
            let keep = self.world.net.config().trace_payloads;
            script.send(now, envelope, to_node, keep, &mut self.world.trace);
            return;
        }
        match self.world.index.get(&envelope.to) {
            Some(&to) => self
                .world
                .net
                .send(now, self.index, to, envelope, &mut self.world.trace),
            None => {
                let kind = TraceKind::Drop(DropReason::UnknownNode);
                self.world
                    .trace
                    .record(TraceEvent::at_sender(now, kind, &envelope));
            }
        }
    }

    fn record(&mut self, event: TraceEvent<M>) {
        self.world.trace.record(event);
    }

    fn store(&self) -> &StoreImage {
        self.io.kv.visible()
    }

    fn write(&mut self, batch: WriteBatch, durability: Durability) -> StoreOpId {
        self.io
            .kv
            .write(self.world.now, batch, durability, &mut self.io.store_rng)
    }

    fn sync(&mut self) -> StoreOpId {
        self.io.kv.sync(self.world.now, &mut self.io.store_rng)
    }

    fn dir(&self) -> NodeDir {
        NodeDir::Sim(self.io.fs.root())
    }
}

pub(crate) type Factory<P> = Rc<dyn Fn(&ProcessId, &[ProcessId]) -> P>;

/// A simulated node of process type `P`.
pub(crate) struct NodeSlot<P: Process> {
    pub(crate) node: Node<P>,
    pub(crate) index: usize,
    pub(crate) io: NodeIo,
    pub(crate) status: NodeStatus,
    pub(crate) backlog: Vec<Envelope<P::Msg>>,
    pub(crate) factory: Factory<P>,
}

impl<P: Process> NodeSlot<P> {
    pub(crate) fn env<'a>(
        &'a mut self,
        world: &'a mut World<P::Msg>,
    ) -> (&'a mut Node<P>, SimEnv<'a, P::Msg>) {
        let env = SimEnv {
            world,
            io: &mut self.io,
            index: self.index,
        };
        (&mut self.node, env)
    }

    fn event(&self, world: &World<P::Msg>, kind: TraceKind, detail: String) -> TraceEvent<P::Msg> {
        TraceEvent::new(world.now, self.node.meta().id.clone(), kind).detail(detail)
    }
}

/// Object-safe face of a node slot, so one cluster holds nodes of different types.
pub(crate) trait DynNode<M: Message> {
    fn id(&self) -> &ProcessId;
    fn status(&self) -> NodeStatus;
    fn start(&mut self, world: &mut World<M>);
    fn deliver(&mut self, world: &mut World<M>, env: Envelope<M>);
    fn drain_backlog(&mut self, world: &mut World<M>);
    fn keep_for_resume(&mut self, env: Envelope<M>);
    fn run_timers(&mut self, world: &mut World<M>);
    fn complete_storage(&mut self, world: &mut World<M>);
    /// Complete the oldest storage operation now (a scripted cluster's step).
    fn complete_next_storage(&mut self, world: &mut World<M>) -> bool;
    /// Fire timer `id` now (a scripted cluster's step).
    fn fire_timer(&mut self, world: &mut World<M>, id: TimerId) -> bool;
    /// Call `on_tick` now, and nothing else (a scripted cluster's step).
    fn tick_once(&mut self, world: &mut World<M>);
    /// Time out request `corr` now (a scripted cluster's step).
    fn expire_request(&mut self, world: &mut World<M>, corr: CorrId) -> bool;
    /// What the node waits for, as data.
    fn waits(&self) -> Continuations;
    fn crash(&mut self, world: &mut World<M>, policy: Option<CrashPolicy>);
    fn restart(&mut self, world: &mut World<M>);
    fn pause(&mut self, world: &mut World<M>);
    fn resume(&mut self, world: &mut World<M>);
    fn remove(&mut self, world: &mut World<M>);
    fn set_membership(&mut self, servers: Vec<ProcessId>);
    fn io(&self) -> &NodeIo;
    fn io_mut(&mut self) -> &mut NodeIo;
    fn summary(&self) -> String;
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<P: Process> DynNode<P::Msg> for NodeSlot<P> {
    fn id(&self) -> &ProcessId {
        &self.node.meta().id
    }

    fn status(&self) -> NodeStatus {
        self.status
    }

    fn start(&mut self, world: &mut World<P::Msg>) {
        let (node, mut env) = self.env(world);
        node.start(&mut env);
    }

    fn deliver(&mut self, world: &mut World<P::Msg>, envelope: Envelope<P::Msg>) {
        let (node, mut env) = self.env(world);
        node.deliver(&mut env, envelope);
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
        let (node, mut env) = self.env(world);
        node.run_timers(&mut env);
    }

    fn complete_storage(&mut self, world: &mut World<P::Msg>) {
        let done = self.io.kv.complete_due(world.now, &mut self.io.store_rng);
        for (id, result) in done {
            let (node, mut env) = self.env(world);
            node.storage_done(&mut env, id, result);
        }
    }

    fn complete_next_storage(&mut self, world: &mut World<P::Msg>) -> bool {
        let Some((id, result)) = self.io.kv.complete_next(&mut self.io.store_rng) else {
            return false;
        };
        let (node, mut env) = self.env(world);
        node.storage_done(&mut env, id, result);
        true
    }

    fn fire_timer(&mut self, world: &mut World<P::Msg>, id: TimerId) -> bool {
        let (node, mut env) = self.env(world);
        node.fire_timer(&mut env, id)
    }

    fn tick_once(&mut self, world: &mut World<P::Msg>) {
        let (node, mut env) = self.env(world);
        node.tick(&mut env);
    }

    fn expire_request(&mut self, world: &mut World<P::Msg>, corr: CorrId) -> bool {
        let (node, mut env) = self.env(world);
        node.expire_request(&mut env, corr)
    }

    fn waits(&self) -> Continuations {
        self.node.continuations()
    }

    fn crash(&mut self, world: &mut World<P::Msg>, policy: Option<CrashPolicy>) {
        if matches!(self.status, NodeStatus::Down | NodeStatus::Removed) {
            return;
        }
        self.node.crash();
        self.backlog.clear();
        let policy = policy.unwrap_or(self.io.kv.config().crash_policy);
        let detail = self.io.crash(policy);
        self.status = NodeStatus::Down;
        world
            .trace
            .record(self.event(world, TraceKind::Crash, detail));
    }

    fn restart(&mut self, world: &mut World<P::Msg>) {
        if self.status == NodeStatus::Removed {
            return;
        }
        if self.status != NodeStatus::Down {
            self.crash(world, None);
        }
        let meta = self.node.meta().clone();
        let process = (self.factory)(&meta.id, &meta.peers);
        self.status = NodeStatus::Up;
        let detail = format!("incarnation {}", self.node.incarnation());
        world
            .trace
            .record(self.event(world, TraceKind::Restart, detail));
        let (node, mut env) = self.env(world);
        node.restart(&mut env, process);
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

    fn remove(&mut self, world: &mut World<P::Msg>) {
        self.crash(world, None);
        self.status = NodeStatus::Removed;
    }

    fn set_membership(&mut self, servers: Vec<ProcessId>) {
        self.node.set_membership(servers);
    }

    fn io(&self) -> &NodeIo {
        &self.io
    }

    fn io_mut(&mut self) -> &mut NodeIo {
        &mut self.io
    }

    fn summary(&self) -> String {
        format!(
            "{:<10} {:?} {} | storage ops queued: {}, unsynced writes: {} | paused backlog: {}",
            self.node.meta().id.as_str(),
            self.status,
            self.node.waiting_summary(),
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
