//! `Node`: one process and what it waits for, driven by any runtime.
//!
//! A node is a [`Process`] (the protocol's state) plus its runtime bookkeeping: the
//! requests waiting for replies, the timers, the quorums being collected and the
//! storage operations in progress, each with the callback to run when it completes. A
//! driver owns the node and tells it what happened — a message arrived, time passed, a
//! write finished — through an [`Env`] of its own. The simulator's cluster is one driver;
//! [`crate::solo::Solo`] is another; a real network runtime is a third. The dispatch rules
//! live here once, so every driver runs a protocol the same way.
//!
//! The callbacks are closures, kept *beside* the process rather than inside it, so the
//! protocol's state stays plain data: a section's server can derive `Clone`, `Eq` and
//! `Hash`, and [`Node::continuations`] describes what the node waits for as data too.

use crate::error::{RpcError, StoreError};
use crate::id::{CorrId, ProcessId, TimerId};
use crate::msg::Envelope;
use crate::process::{Ctx, Env, NodeMeta, Process, Runtime, TimerAction};
use crate::store::StoreOpId;
use crate::time::Tick;
use crate::trace::{DropReason, TraceEvent, TraceKind};

/// What a node is waiting for, as plain data (no closures): the part of a node's state
/// that lives outside its process. Two nodes with equal process state and equal
/// continuations behave the same from here on.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Continuations {
    /// Requests waiting for a reply: correlation id, destination, deadline.
    pub requests: Vec<(CorrId, ProcessId, Tick)>,
    /// Timers: deadline and id, and whether a callback (rather than `on_timer`) runs.
    pub timers: Vec<(Tick, TimerId, bool)>,
    /// Quorums still being collected.
    pub quorums: Vec<u64>,
    /// Storage operations whose completion a callback waits for.
    pub storage: Vec<StoreOpId>,
}

/// One process and its runtime bookkeeping.
pub struct Node<P: Process> {
    meta: NodeMeta,
    process: Option<P>,
    rt: Runtime<P>,
}

impl<P: Process> Node<P> {
    /// A node running `process` for the first time (incarnation 0). Call
    /// [`Node::start`] before anything else.
    pub fn new(meta: NodeMeta, process: P) -> Self {
        Node {
            meta,
            process: Some(process),
            rt: Runtime::new(0),
        }
    }

    /// Who the node is and whom it talks to.
    pub fn meta(&self) -> &NodeMeta {
        &self.meta
    }

    /// Change whom the node talks to (servers joined or left the cluster).
    pub fn set_membership(&mut self, servers: Vec<ProcessId>) {
        self.meta.set_servers(servers);
    }

    /// The process, unless the node is crashed.
    pub fn process(&self) -> Option<&P> {
        self.process.as_ref()
    }

    /// The process, for test set-up (no handler runs).
    pub fn process_mut(&mut self) -> Option<&mut P> {
        self.process.as_mut()
    }

    /// Whether the node has a running process (it is not crashed).
    pub fn is_running(&self) -> bool {
        self.process.is_some()
    }

    /// How many times the node has restarted.
    pub fn incarnation(&self) -> u32 {
        self.rt.incarnation
    }

    /// Run `f` with a `Ctx`, as if from a handler; `None` if the node is crashed.
    pub fn act<R>(
        &mut self,
        env: &mut dyn Env<P::Msg>,
        f: impl FnOnce(&mut P, &mut Ctx<'_, P>) -> R,
    ) -> Option<R> {
        let process = self.process.as_mut()?;
        let mut ctx = Ctx {
            meta: &self.meta,
            rt: &mut self.rt,
            env,
        };
        Some(f(process, &mut ctx))
    }

    /// First boot or restart: run `on_start`.
    pub fn start(&mut self, env: &mut dyn Env<P::Msg>) {
        self.act(env, |p, ctx| p.on_start(ctx));
    }

    /// A message arrived: a reply goes to the callback waiting for it (or is dropped as
    /// late or stale); anything else goes to `on_message`.
    pub fn deliver(&mut self, env: &mut dyn Env<P::Msg>, envelope: Envelope<P::Msg>) {
        let now = env.now();
        let Some(corr) = envelope.in_reply_to else {
            env.record(TraceEvent::at_receiver(now, TraceKind::Deliver, &envelope));
            self.act(env, |p, ctx| p.on_message(ctx, envelope));
            return;
        };
        match self.rt.pending.remove(&corr) {
            Some(pending) => {
                self.rt.deadlines.remove(&(pending.deadline, corr));
                env.record(TraceEvent::at_receiver(now, TraceKind::Deliver, &envelope));
                self.act(env, |p, ctx| (pending.callback)(p, ctx, Ok(envelope)));
            }
            None => {
                let kind = TraceKind::Drop(DropReason::NoWaiter);
                env.record(TraceEvent::at_receiver(now, kind, &envelope));
            }
        }
    }

    /// Time passed: expire requests whose deadline is due (their callbacks get a
    /// timeout), fire due timers in deadline order, then call `on_tick`.
    pub fn run_timers(&mut self, env: &mut dyn Env<P::Msg>) {
        let now = env.now();
        while let Some(&(deadline, corr)) = self.rt.deadlines.first() {
            if deadline > now {
                break;
            }
            self.rt.deadlines.pop_first();
            let Some(pending) = self.rt.pending.remove(&corr) else {
                continue;
            };
            let event = TraceEvent::new(now, self.meta.id.clone(), TraceKind::RequestTimeout);
            env.record(event.peer(pending.to.clone()).corr(corr));
            let error = RpcError::Timeout {
                after_ticks: pending.timeout,
            };
            self.act(env, |p, ctx| (pending.callback)(p, ctx, Err(error)));
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
                    let event = TraceEvent::new(now, self.meta.id.clone(), TraceKind::Timer);
                    env.record(event.detail(format!("{id:?}")));
                    self.act(env, |p, ctx| p.on_timer(ctx, id));
                }
                TimerAction::Callback(callback) => {
                    self.act(env, |p, ctx| callback(p, ctx));
                }
            }
        }
        self.act(env, |p, ctx| p.on_tick(ctx));
    }

    /// Call `on_tick` now, and nothing else (no timer fires, no request expires): one
    /// tick of the node's own clock, for a driver that decides itself when time passes,
    /// such as the exhaustive search of [`crate::search`]. Does nothing if the node is
    /// crashed.
    pub fn tick(&mut self, env: &mut dyn Env<P::Msg>) {
        self.act(env, |p, ctx| p.on_tick(ctx));
    }

    /// Fire the timer `id` now, whatever its deadline, and report whether it was set.
    /// For a driver that decides itself when time has passed, such as the exhaustive
    /// search of [`crate::search`], where any timer may fire at any moment.
    pub fn fire_timer(&mut self, env: &mut dyn Env<P::Msg>, id: TimerId) -> bool {
        let Some(deadline) = self.rt.timer_deadline.remove(&id) else {
            return false;
        };
        let Some(action) = self.rt.timers.remove(&(deadline, id)) else {
            return false;
        };
        match action {
            TimerAction::Notify => {
                let event = TraceEvent::new(env.now(), self.meta.id.clone(), TraceKind::Timer);
                env.record(event.detail(format!("{id:?}")));
                self.act(env, |p, ctx| p.on_timer(ctx, id));
            }
            TimerAction::Callback(callback) => {
                self.act(env, |p, ctx| callback(p, ctx));
            }
        }
        true
    }

    /// Give up on the request `corr` now, whatever its deadline: its callback gets a
    /// timeout. Reports whether the request was waiting. The counterpart of
    /// [`Node::fire_timer`] for request deadlines.
    pub fn expire_request(&mut self, env: &mut dyn Env<P::Msg>, corr: CorrId) -> bool {
        let Some(pending) = self.rt.pending.remove(&corr) else {
            return false;
        };
        self.rt.deadlines.remove(&(pending.deadline, corr));
        let event = TraceEvent::new(env.now(), self.meta.id.clone(), TraceKind::RequestTimeout);
        env.record(event.peer(pending.to.clone()).corr(corr));
        let error = RpcError::Timeout {
            after_ticks: pending.timeout,
        };
        self.act(env, |p, ctx| (pending.callback)(p, ctx, Err(error)));
        true
    }

    /// The runtime's bookkeeping that [`Node::continuations`] leaves out, as text: the
    /// allocation counters and the answers each quorum has collected so far. Two nodes
    /// that agree on this, their continuations and their process state are the same
    /// state for the search.
    pub(crate) fn runtime_detail(&self) -> String {
        let quorums: Vec<String> = self
            .rt
            .quorums
            .iter()
            .map(|(id, q)| {
                format!(
                    "{id}:{:?}/{:?}/{:?}/{:?}",
                    q.collector.requests,
                    q.collector.replies,
                    q.collector.accepted,
                    q.collector.failed
                )
            })
            .collect();
        format!("{:?} {}", self.rt.counters(), quorums.join(";"))
    }

    /// A storage operation completed (or failed): trace it and run its callback.
    pub fn storage_done(
        &mut self,
        env: &mut dyn Env<P::Msg>,
        id: StoreOpId,
        result: Result<(), StoreError>,
    ) {
        let kind = if result.is_ok() {
            TraceKind::StoreDone
        } else {
            TraceKind::StoreFailed
        };
        let detail = match &result {
            Ok(()) => format!("op {}", id.0),
            Err(e) => format!("op {}: {e}", id.0),
        };
        env.record(TraceEvent::new(env.now(), self.meta.id.clone(), kind).detail(detail));
        if let Some(callback) = self.rt.store_callbacks.remove(&id) {
            self.act(env, |p, ctx| callback(p, ctx, result));
        }
    }

    /// The process is gone: its memory, timers and callbacks. The next incarnation
    /// starts with [`Node::restart`].
    pub fn crash(&mut self) {
        self.process = None;
        self.rt = Runtime::new(self.rt.incarnation + 1);
    }

    /// Start a new incarnation with `process` (built from durable storage by its
    /// `on_start`, which this runs).
    pub fn restart(&mut self, env: &mut dyn Env<P::Msg>, process: P) {
        if self.process.is_some() {
            self.crash();
        }
        self.process = Some(process);
        self.start(env);
    }

    /// What the node waits for, as data.
    pub fn continuations(&self) -> Continuations {
        Continuations {
            requests: self
                .rt
                .pending
                .iter()
                .map(|(corr, p)| (*corr, p.to.clone(), p.deadline))
                .collect(),
            timers: self
                .rt
                .timers
                .iter()
                .map(|((deadline, id), action)| {
                    (*deadline, *id, matches!(action, TimerAction::Callback(_)))
                })
                .collect(),
            quorums: self.rt.quorums.keys().copied().collect(),
            storage: self.rt.store_callbacks.keys().copied().collect(),
        }
    }

    /// One line about what the node waits for, for reports.
    pub fn waiting_summary(&self) -> String {
        let waiting: Vec<String> = self
            .rt
            .pending
            .iter()
            .map(|(c, p)| format!("{c}->{} (deadline t{})", p.to, p.deadline))
            .collect();
        format!(
            "incarnation {} | waiting for replies: [{}] | timers: {}",
            self.rt.incarnation,
            waiting.join(", "),
            self.rt.timers.len()
        )
    }
}
