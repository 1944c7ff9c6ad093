//! The `Process` trait and `Ctx`, the only way a process affects the world.
//!
//! A process is a state machine. It never touches sockets, files, threads or the clock:
//! its handlers receive `&mut self` and a [`Ctx`], and everything they *do* — send a
//! message, start a timer, write to storage — is an effect requested through the `Ctx`.
//! That is what lets the same code run under the simulator, deterministically, tick by
//! tick, and under any other driver: a `Ctx` reaches the world only through the [`Env`]
//! trait, which the simulator implements (and so can a real network runtime or a
//! hand-driven harness such as [`crate::solo::Solo`]).
//!
//! Callbacks (a reply arrived, a quorum decided, a write is durable, a timer fired)
//! receive the node as their first argument instead of capturing it, so they can use
//! `&mut self` freely:
//!
//! ```
//! # use common::{Ctx, Envelope, Process};
//! # use common::echo::EchoMsg;
//! struct Pinger {
//!     pongs: u32,
//! }
//!
//! impl Process for Pinger {
//!     type Msg = EchoMsg;
//!
//!     fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
//!         let ping = EchoMsg::Echo { text: "ping".into() };
//!         ctx.request("byzantium", ping, 10, |node: &mut Self, ctx, reply| match reply {
//!             Ok(_) => node.pongs += 1,
//!             Err(e) => ctx.note(format!("ping failed: {e}")),
//!         });
//!     }
//!
//!     fn on_message(&mut self, _ctx: &mut Ctx<'_, Self>, _env: Envelope<EchoMsg>) {}
//! }
//! # let _ = Pinger { pongs: 0 };
//! ```

use crate::error::{RpcError, StoreError};
use crate::fileio::NodeDir;
use crate::id::{CorrId, ProcessId, TimerId};
use crate::msg::{Envelope, Message, PeerKind};
use crate::quorum::{Collector, QuorumOutcome, QuorumPolicy};
use crate::rng::SimRng;
use crate::store::{Durability, LogImage, StoreImage, StoreOpId, WriteBatch, encode};
use crate::time::Tick;
use crate::trace::{TraceEvent, TraceKind};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};

/// Everything a node's handlers can reach, as a driver provides it.
///
/// The simulator implements it over its network, clocks and simulated disks; a real
/// runtime implements it over sockets, the system clock and files; [`crate::solo::Solo`]
/// implements it as a buffer a test reads. Protocol code never sees which: it only
/// calls [`Ctx`], which calls this.
pub trait Env<M: Message> {
    /// The current tick.
    fn now(&self) -> Tick;
    /// This node's wall clock, in milliseconds.
    fn wall_ms(&self) -> u64;
    /// This node's random stream.
    fn rng(&mut self) -> &mut SimRng;
    /// The default request timeout, in ticks.
    fn request_timeout(&self) -> Tick;
    /// Put a message on the way (it never arrives within the current tick).
    fn send(&mut self, envelope: Envelope<M>);
    /// Record an event of the node (a note, a delivery, a timer).
    fn record(&mut self, event: TraceEvent<M>);
    /// The node's storage as reads see it.
    fn store(&self) -> &StoreImage;
    /// Submit a write; its completion is reported to the node by the driver.
    fn write(&mut self, batch: WriteBatch, durability: Durability) -> StoreOpId;
    /// Submit a sync of every completed write.
    fn sync(&mut self) -> StoreOpId;
    /// The node's own directory of files.
    fn dir(&self) -> NodeDir;
}

/// A participant in the simulation: a server of the protocol or a client.
pub trait Process: Any + Sized {
    /// The section's message enum.
    type Msg: Message;

    /// Called once on first boot and again after every restart, before any message.
    /// Recover durable state here (`ctx.store()`), start timers.
    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        let _ = ctx;
    }

    /// A message arrived that is not a reply to one of this node's requests.
    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, env: Envelope<Self::Msg>);

    /// Called every tick, after messages and timers.
    fn on_tick(&mut self, ctx: &mut Ctx<'_, Self>) {
        let _ = ctx;
    }

    /// A timer set with [`Ctx::set_timer`] fired.
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: TimerId) {
        let _ = (ctx, timer);
    }
}

/// Called with the reply to a request, or the reason there is none.
pub type ReplyCallback<P> = Box<
    dyn for<'c> FnOnce(&mut P, &mut Ctx<'c, P>, Result<Envelope<<P as Process>::Msg>, RpcError>),
>;
/// Called once when a quorum fan-out decides.
pub type QuorumCallback<P> =
    Box<dyn for<'c> FnOnce(&mut P, &mut Ctx<'c, P>, QuorumOutcome<<P as Process>::Msg>)>;
/// Called when a storage operation completes or fails.
pub type StoreCallback<P> =
    Box<dyn for<'c> FnOnce(&mut P, &mut Ctx<'c, P>, Result<(), StoreError>)>;
/// Called when a timer set with [`Ctx::after`] fires.
pub type TimerCallback<P> = Box<dyn for<'c> FnOnce(&mut P, &mut Ctx<'c, P>)>;

/// Who a node is and whom it talks to.
#[derive(Clone, Debug)]
pub struct NodeMeta {
    /// This node.
    pub id: ProcessId,
    /// Server or client.
    pub kind: PeerKind,
    /// For a server, the other servers; for a client, the servers it may call.
    pub peers: Vec<ProcessId>,
    /// Every server, this one included if it is a server, in cluster order.
    pub servers: Vec<ProcessId>,
}

impl NodeMeta {
    /// A server or client among `servers`: a server's peers are the other servers, a
    /// client's are all of them.
    pub fn new(id: ProcessId, kind: PeerKind, servers: Vec<ProcessId>) -> Self {
        let mut meta = NodeMeta {
            id,
            kind,
            peers: Vec::new(),
            servers: Vec::new(),
        };
        meta.set_servers(servers);
        meta
    }

    /// The servers changed (one joined or left): recompute the peers.
    pub fn set_servers(&mut self, servers: Vec<ProcessId>) {
        self.peers = match self.kind {
            PeerKind::Server => servers.iter().filter(|s| **s != self.id).cloned().collect(),
            PeerKind::Client => servers.clone(),
        };
        self.servers = servers;
    }
}

pub(crate) struct PendingRequest<P: Process> {
    pub(crate) to: ProcessId,
    pub(crate) deadline: Tick,
    pub(crate) timeout: Tick,
    pub(crate) callback: ReplyCallback<P>,
}

pub(crate) enum TimerAction<P: Process> {
    Notify,
    Callback(TimerCallback<P>),
}

pub(crate) struct QuorumState<P: Process> {
    pub(crate) collector: Collector<P::Msg>,
    pub(crate) callback: QuorumCallback<P>,
}

/// The per-incarnation bookkeeping of a node: what it waits for.
pub(crate) struct Runtime<P: Process> {
    pub(crate) incarnation: u32,
    next_corr: u64,
    next_timer: u64,
    next_quorum: u64,
    pub(crate) pending: BTreeMap<CorrId, PendingRequest<P>>,
    pub(crate) deadlines: BTreeSet<(Tick, CorrId)>,
    pub(crate) timers: BTreeMap<(Tick, TimerId), TimerAction<P>>,
    pub(crate) timer_deadline: BTreeMap<TimerId, Tick>,
    pub(crate) quorums: BTreeMap<u64, QuorumState<P>>,
    pub(crate) store_callbacks: BTreeMap<StoreOpId, StoreCallback<P>>,
}

impl<P: Process> Runtime<P> {
    pub(crate) fn new(incarnation: u32) -> Self {
        Runtime {
            incarnation,
            next_corr: 0,
            next_timer: 0,
            next_quorum: 0,
            pending: BTreeMap::new(),
            deadlines: BTreeSet::new(),
            timers: BTreeMap::new(),
            timer_deadline: BTreeMap::new(),
            quorums: BTreeMap::new(),
            store_callbacks: BTreeMap::new(),
        }
    }

    /// The allocation counters (correlation ids, timers, quorums), which decide the ids
    /// of what the node asks for next.
    pub(crate) fn counters(&self) -> (u64, u64, u64) {
        (self.next_corr, self.next_timer, self.next_quorum)
    }
}

/// The effect API handed to every handler and callback.
pub struct Ctx<'a, P: Process> {
    pub(crate) meta: &'a NodeMeta,
    pub(crate) rt: &'a mut Runtime<P>,
    pub(crate) env: &'a mut dyn Env<P::Msg>,
}

impl<'a, P: Process> Ctx<'a, P> {
    // ----- environment -----

    /// This node's id.
    pub fn id(&self) -> &ProcessId {
        &self.meta.id
    }

    /// The other servers (for a client: the servers it may call).
    pub fn peers(&self) -> &[ProcessId] {
        &self.meta.peers
    }

    /// Every server, in cluster order (this node included if it is a server).
    pub fn all_nodes(&self) -> &[ProcessId] {
        &self.meta.servers
    }

    /// The current tick.
    pub fn now(&self) -> Tick {
        self.env.now()
    }

    /// This node's wall clock in milliseconds (may be skewed or drift).
    pub fn wall_ms(&self) -> u64 {
        self.env.wall_ms()
    }

    /// This node's random stream (seeded; use it for randomized timeouts and backoff).
    pub fn rng(&mut self) -> &mut SimRng {
        self.env.rng()
    }

    /// How many times this node has restarted (0 on first boot).
    pub fn incarnation(&self) -> u32 {
        self.rt.incarnation
    }

    /// The cluster's default request timeout, in ticks.
    pub fn request_timeout(&self) -> Tick {
        self.env.request_timeout()
    }

    /// A fresh correlation id, unique to this incarnation.
    pub fn next_corr(&mut self) -> CorrId {
        self.rt.next_corr += 1;
        CorrId::new(self.rt.incarnation, self.rt.next_corr)
    }

    /// Write a line to the trace (not to stdout), tagged with tick and node.
    pub fn note(&mut self, text: impl Into<String>) {
        let event = TraceEvent::new(self.env.now(), self.meta.id.clone(), TraceKind::Note);
        self.env.record(event.detail(text));
    }

    // ----- messages -----

    fn post(
        &mut self,
        to: &ProcessId,
        corr: Option<CorrId>,
        in_reply_to: Option<CorrId>,
        body: P::Msg,
    ) {
        self.env.send(Envelope {
            from: self.meta.id.clone(),
            to: to.clone(),
            corr,
            in_reply_to,
            body,
        });
    }

    /// Send a one-way message. It arrives at the earliest next tick, if at all.
    pub fn send(&mut self, to: impl Into<ProcessId>, msg: P::Msg) {
        self.post(&to.into(), None, None, msg);
    }

    /// Answer a message. If the message was a request (it has a correlation id), the
    /// answer is routed to the callback waiting for it at the sender.
    pub fn reply(&mut self, request: &Envelope<P::Msg>, msg: P::Msg) {
        self.post(&request.from, None, request.corr, msg);
    }

    /// Send a request and get its reply (or a timeout) in `callback`, exactly once.
    /// `timeout` is in ticks from now.
    pub fn request(
        &mut self,
        to: impl Into<ProcessId>,
        msg: P::Msg,
        timeout: Tick,
        callback: impl for<'c> FnOnce(&mut P, &mut Ctx<'c, P>, Result<Envelope<P::Msg>, RpcError>)
        + 'static,
    ) -> CorrId {
        let to = to.into();
        let corr = self.next_corr();
        let deadline = self.env.now() + timeout.max(1);
        self.rt.deadlines.insert((deadline, corr));
        let pending = PendingRequest {
            to: to.clone(),
            deadline,
            timeout: timeout.max(1),
            callback: Box::new(callback),
        };
        self.rt.pending.insert(corr, pending);
        self.post(&to, Some(corr), None, msg);
        corr
    }

    /// Withdraw a request: its callback will not run, and a late reply is dropped.
    pub fn cancel_request(&mut self, corr: CorrId) -> bool {
        match self.rt.pending.remove(&corr) {
            Some(p) => {
                self.rt.deadlines.remove(&(p.deadline, corr));
                true
            }
            None => false,
        }
    }

    /// Send `msg` to every target and call `callback` once, when the quorum succeeds or
    /// becomes impossible (see [`crate::quorum`] for the rules). Targets usually include
    /// this node itself; that request takes the loopback lane.
    pub fn quorum(
        &mut self,
        targets: &[ProcessId],
        msg: P::Msg,
        policy: QuorumPolicy<P::Msg>,
        callback: impl for<'c> FnOnce(&mut P, &mut Ctx<'c, P>, QuorumOutcome<P::Msg>) + 'static,
    ) {
        let mut unique: Vec<ProcessId> = Vec::new();
        for t in targets {
            if !unique.contains(t) {
                unique.push(t.clone());
            }
        }
        let timeout = policy.timeout.unwrap_or(self.env.request_timeout());
        self.rt.next_quorum += 1;
        let qid = self.rt.next_quorum;
        let collector = Collector::new(policy, unique.len());
        self.rt.quorums.insert(
            qid,
            QuorumState {
                collector,
                callback: Box::new(callback),
            },
        );
        for target in unique {
            let from = target.clone();
            let corr = self.request(
                target.clone(),
                msg.clone(),
                timeout,
                move |node, ctx, answer| {
                    ctx.quorum_answer(node, qid, &from, answer.map(|env| env.body));
                },
            );
            if let Some(q) = self.rt.quorums.get_mut(&qid) {
                q.collector.requests.insert(target, corr);
            }
        }
        // With zero targets (or a required count of zero) the quorum decides at once.
        self.quorum_check(None, qid);
    }

    fn quorum_answer(
        &mut self,
        node: &mut P,
        qid: u64,
        from: &ProcessId,
        answer: Result<P::Msg, RpcError>,
    ) {
        if let Some(q) = self.rt.quorums.get_mut(&qid) {
            q.collector.record(from, answer);
        }
        self.quorum_check(Some(node), qid);
    }

    fn quorum_check(&mut self, node: Option<&mut P>, qid: u64) {
        let Some(decision) = self
            .rt
            .quorums
            .get(&qid)
            .and_then(|q| q.collector.decision())
        else {
            return;
        };
        let Some(node) = node else {
            // Decided before any answer: run the callback on the next tick from a timer.
            let id = self.alloc_timer();
            let deadline = self.env.now() + 1;
            self.rt.timer_deadline.insert(id, deadline);
            let action =
                TimerAction::Callback(Box::new(move |node: &mut P, ctx: &mut Ctx<'_, P>| {
                    ctx.quorum_check(Some(node), qid)
                }));
            self.rt.timers.insert((deadline, id), action);
            return;
        };
        let Some(state) = self.rt.quorums.remove(&qid) else {
            return;
        };
        let QuorumState {
            collector,
            callback,
        } = state;
        let withdraw: Vec<CorrId> = collector.requests.values().copied().collect();
        for corr in withdraw {
            self.cancel_request(corr);
        }
        callback(node, self, collector.outcome(decision));
    }

    // ----- timers -----

    fn alloc_timer(&mut self) -> TimerId {
        self.rt.next_timer += 1;
        TimerId(self.rt.next_timer)
    }

    /// Fire [`Process::on_timer`] after `after` ticks (at least one).
    pub fn set_timer(&mut self, after: Tick) -> TimerId {
        let id = self.alloc_timer();
        let deadline = self.env.now() + after.max(1);
        self.rt.timer_deadline.insert(id, deadline);
        self.rt.timers.insert((deadline, id), TimerAction::Notify);
        id
    }

    /// Run `callback` after `after` ticks (at least one).
    pub fn after(
        &mut self,
        after: Tick,
        callback: impl for<'c> FnOnce(&mut P, &mut Ctx<'c, P>) + 'static,
    ) -> TimerId {
        let id = self.alloc_timer();
        let deadline = self.env.now() + after.max(1);
        self.rt.timer_deadline.insert(id, deadline);
        self.rt
            .timers
            .insert((deadline, id), TimerAction::Callback(Box::new(callback)));
        id
    }

    /// Cancel a timer. Returns false if it already fired or was cancelled.
    pub fn cancel_timer(&mut self, timer: TimerId) -> bool {
        match self.rt.timer_deadline.remove(&timer) {
            Some(deadline) => self.rt.timers.remove(&(deadline, timer)).is_some(),
            None => false,
        }
    }

    // ----- storage -----

    /// This node's storage, for synchronous reads of the visible image (the key-value
    /// map and the log).
    pub fn store(&self) -> &StoreImage {
        self.env.store()
    }

    /// This node's log, as reads see it.
    pub fn log(&self) -> &LogImage {
        self.env.store().log()
    }

    /// This node's own directory of files (simulated under the simulator, where a crash
    /// of the node is a power cut of its files too).
    pub fn dir(&self) -> NodeDir {
        self.env.dir()
    }

    /// Decode the visible value under `key`.
    pub fn load<T: DeserializeOwned>(
        &self,
        key: impl AsRef<[u8]>,
    ) -> Result<Option<T>, StoreError> {
        self.env.store().load(key)
    }

    /// Submit a write; `callback` runs when it completes (or fails).
    pub fn write(
        &mut self,
        batch: WriteBatch,
        durability: Durability,
        callback: impl for<'c> FnOnce(&mut P, &mut Ctx<'c, P>, Result<(), StoreError>) + 'static,
    ) -> StoreOpId {
        let id = self.env.write(batch, durability);
        self.rt.store_callbacks.insert(id, Box::new(callback));
        id
    }

    /// Encode `value` and write it under `key` with [`Durability::Sync`]: when `callback`
    /// runs with `Ok`, the value survives a crash.
    pub fn persist<T: Serialize>(
        &mut self,
        key: impl AsRef<[u8]>,
        value: &T,
        callback: impl for<'c> FnOnce(&mut P, &mut Ctx<'c, P>, Result<(), StoreError>) + 'static,
    ) -> Result<StoreOpId, StoreError> {
        let bytes = encode(value)?;
        Ok(self.write(
            WriteBatch::new().put(key, bytes),
            Durability::Sync,
            callback,
        ))
    }

    /// Make every completed write durable; `callback` runs when it is.
    pub fn sync(
        &mut self,
        callback: impl for<'c> FnOnce(&mut P, &mut Ctx<'c, P>, Result<(), StoreError>) + 'static,
    ) -> StoreOpId {
        let id = self.env.sync();
        self.rt.store_callbacks.insert(id, Box::new(callback));
        id
    }
}

/// Encode and decode a message with postcard, as a real network would: a message that
/// does not survive the trip is a bug in its `Serialize`/`Deserialize`.
pub(crate) fn roundtrip<M: Message>(body: M) -> M {
    let bytes = postcard::to_allocvec(&body).unwrap_or_else(|e| {
        panic!(
            "message {} must be serialisable (round-trip codec is on): {e}",
            body.kind()
        )
    });
    postcard::from_bytes(&bytes).unwrap_or_else(|e| {
        panic!(
            "message {} must decode from its own encoding: {e}",
            body.kind()
        )
    })
}
