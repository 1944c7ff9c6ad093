//! A scripted cluster: nothing happens until a step says so.
//!
//! Built with [`ClusterBuilder::scripted`](super::ClusterBuilder::scripted), a cluster
//! holds every message sent in flight, completes no storage operation and fires no timer
//! by itself. Each [`Step`] of a schedule of the exhaustive search ([`crate::search`])
//! names one thing to happen, and the cluster does it with its own machinery: its nodes'
//! handlers, its storage ([`crate::SimKv`], whose crash loses unsynced writes by the
//! node's crash policy) and its trace, one tick per step. So a counterexample found by
//! the search replays in the simulator and draws as a trace of the simulator.
//!
//! A step names a message by its envelope (sender, receiver, correlation ids and body,
//! compared by their encoding). Copies of one message are alike, so when several are in
//! flight the step takes the one sent first.
//!
//! A cluster built without `scripted()` has no script: [`SimEnv`](super::slot::SimEnv)
//! checks one `Option` per send, and nothing else changes.

use super::{Cluster, NodeStatus};
use crate::error::ScriptError;
use crate::id::ProcessId;
use crate::msg::{Envelope, Message};
use crate::search::Step;
use crate::time::Tick;
use crate::trace::{DropReason, LOST_IN_FLIGHT, Trace, TraceEvent, TraceKind};

/// What a scripted cluster holds for its steps.
pub(crate) struct Script<M> {
    /// Messages to nodes of the cluster, in the order they were sent.
    in_flight: Vec<Envelope<M>>,
    /// Messages to names that are not nodes of the cluster, in the order they were sent.
    outside: Vec<Envelope<M>>,
    /// Steps taken so far.
    steps: usize,
}

impl<M> Default for Script<M> {
    fn default() -> Self {
        Script {
            in_flight: Vec::new(),
            outside: Vec::new(),
            steps: 0,
        }
    }
}

impl<M: Message> Script<M> {
    /// A message was sent at `now`: held for a step if it goes to a node of the cluster
    /// (traced as held: a send with no delivery tick yet), told at once otherwise.
    pub(crate) fn send(
        &mut self,
        now: Tick,
        envelope: Envelope<M>,
        to_node: bool,
        keep_body: bool,
        trace: &mut Trace<M>,
    ) {
        if to_node {
            let event = TraceEvent::at_sender(now, TraceKind::Send { deliver_at: None }, &envelope);
            trace.record_message(event, &envelope.body, keep_body);
            self.in_flight.push(envelope);
        } else {
            let kind = TraceKind::Send {
                deliver_at: Some(now),
            };
            let event = TraceEvent::at_sender(now, kind, &envelope);
            trace.record_message(event, &envelope.body, keep_body);
            trace.record(TraceEvent::at_receiver(now, TraceKind::Deliver, &envelope));
            self.outside.push(envelope);
        }
    }
}

/// Whether two envelopes are the same message, by their encoding (a message type need
/// not implement `PartialEq`).
fn same<M: Message>(a: &Envelope<M>, b: &Envelope<M>) -> bool {
    postcard::to_allocvec(a).ok() == postcard::to_allocvec(b).ok()
}

impl<M: Message> Cluster<M> {
    /// Whether the cluster was built with
    /// [`ClusterBuilder::scripted`](super::ClusterBuilder::scripted).
    pub fn is_scripted(&self) -> bool {
        self.world.script.is_some()
    }

    fn script(&self) -> Result<&Script<M>, ScriptError> {
        self.world.script.as_ref().ok_or(ScriptError::NotScripted)
    }

    fn script_mut(&mut self) -> Result<&mut Script<M>, ScriptError> {
        self.world.script.as_mut().ok_or(ScriptError::NotScripted)
    }

    /// Put `envelope` in flight as if its sender had sent it now: a client request of a
    /// search model, whose clients are not nodes of the cluster.
    pub fn inject(&mut self, envelope: Envelope<M>) -> Result<(), ScriptError> {
        let to_node = self.world.index.contains_key(&envelope.to);
        let keep = self.world.net.config().trace_payloads;
        let now = self.world.now;
        let script = self.world.script.as_mut().ok_or(ScriptError::NotScripted)?;
        script.send(now, envelope, to_node, keep, &mut self.world.trace);
        Ok(())
    }

    /// Messages held in flight for a step, in the order they were sent (empty in a
    /// cluster that is not scripted).
    pub fn held_for_steps(&self) -> &[Envelope<M>] {
        self.script().map_or(&[], |s| &s.in_flight)
    }

    /// Messages sent to names that are not nodes of the cluster (the replies to a search
    /// model's clients), in the order they were sent (empty in a cluster that is not
    /// scripted).
    pub fn outside_messages(&self) -> &[Envelope<M>] {
        self.script().map_or(&[], |s| &s.outside)
    }

    /// Steps taken so far by a scripted cluster.
    pub fn steps_taken(&self) -> usize {
        self.script().map_or(0, |s| s.steps)
    }

    /// Take every step of `schedule` in order; stop at the first that cannot be taken.
    pub fn replay_schedule(&mut self, schedule: &[Step<M>]) -> Result<(), ScriptError> {
        schedule.iter().try_for_each(|step| self.step(step))
    }

    /// Take one step of a schedule, one tick after the previous one: deliver, duplicate
    /// or lose a message in flight (a delivery to a crashed node is dropped); complete a
    /// node's oldest storage operation; fire a timer; time out a request; call a node's
    /// `on_tick` (and nothing else); crash a node
    /// (the cluster's own crash: memory, callbacks, queued storage operations and
    /// unsynced writes gone, by the node's crash policy); restart a crashed node.
    ///
    /// A step that cannot be taken (a message not in flight, no storage operation
    /// pending, no such timer, a crash of a node that is down, ...) is an error and
    /// changes nothing. After a step, the invariants registered with
    /// [`Cluster::add_invariant`] are checked; a violation is
    /// [`ScriptError::Invariant`], with the step taken.
    pub fn step(&mut self, step: &Step<M>) -> Result<(), ScriptError> {
        let number = self.script()?.steps + 1;
        let node = |cluster: &Self, id: &ProcessId| {
            cluster
                .world
                .index
                .get(id)
                .copied()
                .ok_or_else(|| ScriptError::UnknownNode {
                    step: number,
                    node: id.to_string(),
                })
        };
        let not_enabled = |why: String| ScriptError::NotEnabled { step: number, why };
        match step {
            Step::Deliver(envelope) | Step::Duplicate(envelope) | Step::Lose(envelope) => {
                let at = self
                    .script()?
                    .in_flight
                    .iter()
                    .position(|f| same(f, envelope))
                    .ok_or_else(|| ScriptError::NotInFlight {
                        step: number,
                        message: format!("{envelope:?}"),
                    })?;
                let to = node(self, &envelope.to)?;
                let now = self.advance();
                let script = self.script_mut()?;
                let flight = match step {
                    Step::Duplicate(_) => script.in_flight[at].clone(),
                    _ => script.in_flight.remove(at),
                };
                let trace = &mut self.world.trace;
                match step {
                    Step::Lose(_) => {
                        let release = TraceKind::Release { deliver_at: now };
                        trace.record(TraceEvent::at_sender(now, release, &flight));
                        let lost = TraceKind::Drop(DropReason::Loss);
                        let event = TraceEvent::at_receiver(now, lost, &flight);
                        trace.record(event.detail(LOST_IN_FLIGHT));
                    }
                    _ => {
                        let kind = match step {
                            Step::Duplicate(_) => TraceKind::Duplicate { deliver_at: now },
                            _ => TraceKind::Release { deliver_at: now },
                        };
                        trace.record(TraceEvent::at_sender(now, kind, &flight));
                        let node = &mut self.nodes[to];
                        match node.status() {
                            NodeStatus::Up => node.deliver(&mut self.world, flight),
                            NodeStatus::Paused => node.keep_for_resume(flight),
                            NodeStatus::Down | NodeStatus::Removed => {
                                let kind = TraceKind::Drop(DropReason::NodeDown);
                                trace.record(TraceEvent::at_receiver(now, kind, &flight));
                            }
                        }
                    }
                }
            }
            Step::Storage(id) => {
                let i = node(self, id)?;
                self.running(i, id, number)?;
                if self.nodes[i].io().kv.pending() == 0 {
                    return Err(not_enabled(format!(
                        "{id} has no storage operation pending"
                    )));
                }
                self.advance();
                self.nodes[i].complete_next_storage(&mut self.world);
            }
            Step::Timer(id, timer) => {
                let i = node(self, id)?;
                self.running(i, id, number)?;
                if !self.nodes[i]
                    .waits()
                    .timers
                    .iter()
                    .any(|(_, t, _)| t == timer)
                {
                    return Err(not_enabled(format!("{id} has no timer {}", timer.0)));
                }
                self.advance();
                self.nodes[i].fire_timer(&mut self.world, *timer);
            }
            Step::Timeout(id, corr) => {
                let i = node(self, id)?;
                self.running(i, id, number)?;
                if !self.nodes[i]
                    .waits()
                    .requests
                    .iter()
                    .any(|(c, ..)| c == corr)
                {
                    return Err(not_enabled(format!("{id} waits for no request {corr}")));
                }
                self.advance();
                self.nodes[i].expire_request(&mut self.world, *corr);
            }
            Step::Tick(id) => {
                let i = node(self, id)?;
                self.running(i, id, number)?;
                self.advance();
                self.nodes[i].tick_once(&mut self.world);
            }
            Step::Crash(id) => {
                let i = node(self, id)?;
                self.running(i, id, number)?;
                self.advance();
                self.nodes[i].crash(&mut self.world, None);
            }
            Step::Restart(id) => {
                let i = node(self, id)?;
                if self.nodes[i].status() != NodeStatus::Down {
                    return Err(not_enabled(format!(
                        "{id} is not down: only a crashed node restarts"
                    )));
                }
                self.advance();
                self.nodes[i].restart(&mut self.world);
            }
        }
        self.script_mut()?.steps = number;
        match self.broken_invariant() {
            None => Ok(()),
            Some((name, message)) => Err(ScriptError::Invariant {
                step: number,
                name,
                message,
            }),
        }
    }

    /// The step's node must be running.
    fn running(&self, i: usize, id: &ProcessId, number: usize) -> Result<(), ScriptError> {
        match self.nodes[i].status() {
            NodeStatus::Up => Ok(()),
            status => Err(ScriptError::NotEnabled {
                step: number,
                why: format!("{id} is {status:?}: only a running node takes this step"),
            }),
        }
    }

    /// One tick later: a step's tick.
    fn advance(&mut self) -> Tick {
        self.world.now += 1;
        self.tick_clock.set(self.world.now);
        self.world.now
    }
}
