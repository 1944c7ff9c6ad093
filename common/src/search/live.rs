//! One node run by the search: its process and runtime ([`Node`]), its storage as
//! hashable data ([`Disk`]), and the [`Env`] its handlers see during one step.

use crate::error::StoreError;
use crate::fileio::{NodeDir, SimFs, SimFsConfig};
use crate::id::{CorrId, ProcessId, TimerId};
use crate::msg::{Envelope, Message, PeerKind};
use crate::node::Node;
use crate::process::{Env, NodeMeta, Process};
use crate::rng::SimRng;
use crate::store::{Durability, StoreImage, StoreOpId, WriteBatch};
use crate::time::{DEFAULT_START_MS, Tick};
use crate::trace::{Trace, TraceEvent};
use std::collections::VecDeque;

/// The request timeout a process reads from its `Ctx` during the search. Time does not
/// pass in the search (a deadline is never waited for), so only its presence matters.
pub(crate) const SEARCH_REQUEST_TIMEOUT: Tick = 200;

/// A node's storage as plain data: what reads see, what a crash keeps, and the
/// operations submitted and not yet completed, in submission order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Disk {
    pub(crate) visible: StoreImage,
    pub(crate) durable: StoreImage,
    /// Completed writes that no sync covers yet.
    unsynced: Vec<WriteBatch>,
    /// Submitted operations: id, the batch (`None` for a bare sync) and whether it syncs.
    pub(crate) pending: VecDeque<(StoreOpId, Option<WriteBatch>, bool)>,
    next_op: u64,
}

impl Disk {
    fn submit(&mut self, batch: Option<WriteBatch>, sync: bool) -> StoreOpId {
        self.next_op += 1;
        let id = StoreOpId(self.next_op);
        self.pending.push_back((id, batch, sync));
        id
    }

    /// Complete the oldest submitted operation, as `SimKv` does: a write becomes
    /// visible, and a sync (or a synced write) makes every completed write durable.
    fn complete_next(&mut self) -> Option<(StoreOpId, Result<(), StoreError>)> {
        let (id, batch, sync) = self.pending.pop_front()?;
        if let Some(batch) = batch {
            if let Err(invalid) = self.visible.check(&batch) {
                return Some((id, Err(invalid)));
            }
            self.visible.apply(&batch);
            self.unsynced.push(batch);
        }
        if sync {
            for batch in std::mem::take(&mut self.unsynced) {
                self.durable.apply(&batch);
            }
        }
        Some((id, Ok(())))
    }

    /// Power cut: queued operations and unsynced writes are lost; reads see the disk.
    fn crash(&mut self) {
        self.pending.clear();
        self.unsynced.clear();
        self.visible = self.durable.clone();
    }
}

/// What a node's handlers reach during one step of the search.
struct StepEnv<'a, M> {
    disk: &'a mut Disk,
    fs: &'a SimFs,
    rng: SimRng,
    sent: &'a mut Vec<Envelope<M>>,
    trace: Option<(&'a mut Trace<M>, Tick)>,
}

impl<M: Message> Env<M> for StepEnv<'_, M> {
    fn now(&self) -> Tick {
        0
    }

    fn wall_ms(&self) -> u64 {
        DEFAULT_START_MS
    }

    fn rng(&mut self) -> &mut SimRng {
        &mut self.rng
    }

    fn request_timeout(&self) -> Tick {
        SEARCH_REQUEST_TIMEOUT
    }

    fn send(&mut self, envelope: Envelope<M>) {
        if let Some((trace, tick)) = &mut self.trace {
            let kind = crate::trace::TraceKind::Send {
                deliver_at: Some(*tick + 1),
            };
            let event = TraceEvent::at_sender(*tick, kind, &envelope);
            trace.record_message(event, &envelope.body, true);
        }
        self.sent.push(envelope);
    }

    fn record(&mut self, mut event: TraceEvent<M>) {
        if let Some((trace, tick)) = &mut self.trace {
            event.tick = *tick;
            trace.record(event);
        }
    }

    fn store(&self) -> &StoreImage {
        &self.disk.visible
    }

    fn write(&mut self, batch: WriteBatch, durability: Durability) -> StoreOpId {
        self.disk
            .submit(Some(batch), durability == Durability::Sync)
    }

    fn sync(&mut self) -> StoreOpId {
        self.disk.submit(None, true)
    }

    fn dir(&self) -> NodeDir {
        NodeDir::Sim(self.fs.root())
    }
}

/// Something that happens to one node: the unit of the search's transitions.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum LocalEvent {
    /// Deliver the interned message with this number.
    Deliver(u32),
    /// Fire this timer.
    Timer(TimerId),
    /// Time out this request.
    Timeout(CorrId),
    /// Complete the oldest storage operation.
    Storage,
    /// Power cut.
    Crash,
    /// Start a new incarnation.
    Restart,
    /// Call `on_tick` (within [`super::Bounds::ticks`]).
    Tick,
}

/// A node being run: the process with its runtime, and its storage.
pub(crate) struct Live<P: Process> {
    pub(crate) node: Node<P>,
    pub(crate) disk: Disk,
    fs: SimFs,
    seed: u64,
}

/// Builds a fresh process for a server: on first boot and at every restart.
pub(crate) type Factory<P> = dyn Fn(&ProcessId) -> P;

impl<P: Process> Live<P> {
    /// Server `id` among `servers`, booted (its `on_start` has run).
    pub(crate) fn boot(
        id: &ProcessId,
        servers: &[ProcessId],
        factory: &Factory<P>,
        sent: &mut Vec<Envelope<P::Msg>>,
        trace: Option<(&mut Trace<P::Msg>, Tick)>,
    ) -> Self {
        let meta = NodeMeta::new(id.clone(), PeerKind::Server, servers.to_vec());
        let seed = id.stable_hash();
        let mut live = Live {
            node: Node::new(meta, factory(id)),
            disk: Disk::default(),
            fs: SimFs::new(SimFsConfig::default(), SimRng::derive(seed, "search:fs")),
            seed,
        };
        live.with_env(sent, trace, |node, env| node.start(env));
        live
    }

    fn with_env<R>(
        &mut self,
        sent: &mut Vec<Envelope<P::Msg>>,
        trace: Option<(&mut Trace<P::Msg>, Tick)>,
        f: impl FnOnce(&mut Node<P>, &mut StepEnv<'_, P::Msg>) -> R,
    ) -> R {
        // Every step starts from the same random stream: a random choice (a backoff)
        // takes one value, and the state stays a function of what happened to the node.
        let mut env = StepEnv {
            disk: &mut self.disk,
            fs: &self.fs,
            rng: SimRng::derive(self.seed, "search:node"),
            sent,
            trace,
        };
        f(&mut self.node, &mut env)
    }

    /// Apply `event`; what the node sends is appended to `sent`. `deliver` resolves an
    /// interned message number.
    pub(crate) fn apply(
        &mut self,
        event: &LocalEvent,
        factory: &Factory<P>,
        message: impl Fn(u32) -> Envelope<P::Msg>,
        sent: &mut Vec<Envelope<P::Msg>>,
        trace: Option<(&mut Trace<P::Msg>, Tick)>,
    ) {
        match event {
            LocalEvent::Deliver(m) => {
                let envelope = message(*m);
                self.with_env(sent, trace, |node, env| node.deliver(env, envelope));
            }
            LocalEvent::Timer(id) => {
                self.with_env(sent, trace, |node, env| node.fire_timer(env, *id));
            }
            LocalEvent::Timeout(corr) => {
                self.with_env(sent, trace, |node, env| node.expire_request(env, *corr));
            }
            LocalEvent::Tick => {
                self.with_env(sent, trace, |node, env| node.tick(env));
            }
            LocalEvent::Storage => {
                if let Some((id, result)) = self.disk.complete_next() {
                    self.with_env(sent, trace, |node, env| node.storage_done(env, id, result));
                }
            }
            LocalEvent::Crash => {
                if let Some((trace, tick)) = trace {
                    let id = self.node.meta().id.clone();
                    let event = TraceEvent::new(tick, id, crate::trace::TraceKind::Crash);
                    trace.record(event.detail(format!(
                        "{} storage operations lost",
                        self.disk.pending.len()
                    )));
                }
                self.node.crash();
                self.disk.crash();
            }
            LocalEvent::Restart => {
                let id = self.node.meta().id.clone();
                let process = factory(&id);
                let mut trace = trace;
                if let Some((trace, tick)) = &mut trace {
                    let event = TraceEvent::new(*tick, id, crate::trace::TraceKind::Restart);
                    trace.record(event);
                }
                self.with_env(sent, trace, |node, env| node.restart(env, process));
            }
        }
    }

    /// The events this node can take part in now, other than deliveries.
    pub(crate) fn local_events(&self, timeouts: bool) -> Vec<LocalEvent> {
        let mut events = Vec::new();
        if !self.node.is_running() {
            events.push(LocalEvent::Restart);
            return events;
        }
        let waits = self.node.continuations();
        for (_, id, _) in &waits.timers {
            events.push(LocalEvent::Timer(*id));
        }
        if timeouts {
            for (corr, _, _) in &waits.requests {
                events.push(LocalEvent::Timeout(*corr));
            }
        }
        if !self.disk.pending.is_empty() {
            events.push(LocalEvent::Storage);
        }
        events.push(LocalEvent::Crash);
        events
    }
}
