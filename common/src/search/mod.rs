//! Exhaustive search: every interleaving of a small cluster, and the shortest schedule
//! that breaks an invariant.
//!
//! A seeded sweep ([`crate::sim`]) samples schedules; this module tries them *all*, for
//! a configuration small enough to finish: a few servers, a few client requests, a
//! bound on crashes, losses, duplications and steps. It is a model checker over the
//! section's own code, in the manner of TLC over a TLA+ model, DSLabs or stateright:
//! because a process reaches the world only through its [`Ctx`](crate::Ctx), the search
//! is one more driver of the same handlers, like [`crate::solo::Solo`].
//!
//! ## What a step is
//!
//! A state is every server's process state, what it waits for (its
//! [`Continuations`](crate::Continuations), the answers its quorums have collected, its
//! id counters), its storage (what reads see, what a crash keeps, the operations not
//! completed yet), the messages in flight (a multiset), what the clients have been told,
//! and the faults spent. From a state, each of these is one step:
//!
//! * **deliver** a message in flight (to a crashed server: it is lost, as in life);
//! * **lose** one (within [`Bounds::losses`]) or **duplicate** one: deliver a copy and
//!   keep it in flight (within [`Bounds::duplications`]);
//! * **complete** a server's oldest storage operation, running its callback;
//! * **fire** a timer, or time out a request (with [`Bounds::timeouts`]);
//! * **tick** a running server: call its `on_tick` once, and nothing else (within
//!   [`Bounds::ticks`], default 0: for a protocol that counts ticks itself, as Raft
//!   counts its election timeout);
//! * **crash** a server (within [`Bounds::crashes`]): its memory, callbacks, queued
//!   storage operations and unsynced writes are gone; and **restart** a crashed one.
//!
//! Time does not pass: any timer may fire at any moment, which covers every timing a
//! real clock could produce (and some it could not: the search is untimed, as TLA+
//! models are). Every step starts a node's random stream afresh, so a random choice
//! takes one value rather than branching.
//!
//! ## Breadth first, with hashing and symmetry
//!
//! The search visits states in order of depth and remembers a 64-bit fingerprint of
//! each, so a state reached by two orders of the same steps is explored once, and the
//! first violation found is one with the fewest steps. A node's transition depends only
//! on its own state and the event, so the search computes each one once and remembers
//! it; a node's live state (its callbacks are closures, which cannot be cloned) is
//! rebuilt when needed by replaying the node's own events.
//!
//! With [`Model::symmetric`], states that differ only by a renaming of interchangeable
//! nodes count as one: the key of a state is the smallest of its canonical texts under
//! every permutation of the names (the `Debug` text with the names renamed, maps and
//! sets sorted again, and correlation ids labelled by their request's destination and
//! rank, since a fan-out numbers its requests in the order of its targets). Declare
//! nodes interchangeable only when the protocol treats their names as opaque: a protocol
//! that orders ballots by node name (Paxos here) does not treat its proposers alike,
//! while its nodes that only accept are alike.
//!
//! Fingerprints have 64 bits, as TLC's do: two distinct states could share one (for a
//! million states the chance is about one in thirty million), which would hide the
//! second.
//!
//! A budget of [`Bounds::UNLIMITED`] duplications makes the network the set of every
//! message ever sent, as the TLA+ models have it: each may arrive any number of times.
//!
//! ```
//! use common::echo::{EchoMsg, EchoServer};
//! use common::search::{Bounds, Model};
//!
//! let model = Model::new(["athens"], |_| EchoServer::new(5))
//!     .request("alice", "athens", EchoMsg::Echo { text: "hi".into() })
//!     .bounds(Bounds::depth(4))
//!     .invariant("one reply at most", |view| {
//!         if view.replies().len() <= 1 { Ok(()) } else { Err("two replies".into()) }
//!     });
//! let report = model.check();
//! assert!(report.violation.is_none(), "{report}");
//! assert!(report.complete, "the whole space fits the bound");
//! ```
//!
//! ## The counterexample
//!
//! A [`Violation`] carries its schedule: a list of [`Step`]s that [`Model::replay`] runs
//! again from the start, with a trace recorded (one tick per step), which
//! [`crate::picture::SequenceDiagram::from_trace`] draws.
//!
//! [`Model::replay_in_cluster`] replays it in the simulator instead: a
//! [`Cluster`](crate::Cluster) built with
//! [`ClusterBuilder::scripted`](crate::ClusterBuilder::scripted) holds every message in
//! flight until a step delivers, duplicates or loses it (a step names a message by its
//! envelope; of identical copies it takes the one sent first), completes a storage
//! operation only when a step completes it, fires a timer or times out a request only
//! when a step says so, and crashes and restarts nodes with its own crash (unsynced
//! writes lost). The model's invariants are checked on the cluster's nodes after every
//! step, and [`ClusterReplay::first_broken`] says which broke first and after how many
//! steps: for a counterexample, the same invariant after as many steps as the search
//! took. The cluster's trace (one tick per step) draws with
//! [`SequenceDiagram::from_trace`](crate::picture::SequenceDiagram::from_trace):
//!
//! ```
//! # use common::echo::{EchoMsg, EchoServer};
//! # use common::search::{Bounds, Model};
//! use common::picture::SequenceDiagram;
//!
//! let model = Model::new(["athens"], |_| EchoServer::new(5))
//!     .request("alice", "athens", EchoMsg::Echo { text: "hi".into() })
//!     .bounds(Bounds::depth(4))
//!     .invariant("nobody is answered", |view| {
//!         if view.replies().is_empty() { Ok(()) } else { Err("alice was answered".into()) }
//!     });
//! let violation = model.check().violation.expect("one delivery answers alice");
//! let replay = model.replay_in_cluster(&violation.schedule).expect("it replays");
//! let broken = replay.first_broken().expect("the cluster breaks it too");
//! assert_eq!((broken.step, broken.invariant.as_str()), (1, "nobody is answered"));
//! let diagram = SequenceDiagram::from_trace(replay.trace()).lanes(replay.servers());
//! assert_eq!(diagram.arrows().len(), 2, "the echo and its reply");
//! ```
//!
//! A schedule that cannot be taken in the cluster (a message not in flight, a storage
//! step with nothing pending, ...) is a [`ScriptError`](crate::ScriptError) naming the
//! step. The section tests replay their counterexamples this way:
//! `cargo test -p generation-voting --test search` and `cargo test -p paxos --test search`.
//!
//! ## What is not here
//!
//! Storage operations do not fail, a crash loses every unsynced write (no torn or kept
//! prefix), there are no partitions (a loss is one message), `on_tick` is called only
//! by a tick step (none without a [`Bounds::ticks`] budget) and files are not part of the state. Liveness ("eventually") is not checked: only
//! invariants of states. The state key trusts that what a callback captured is told by
//! the node's state and continuations, as the section servers keep their phase in
//! their state.

mod cluster;
mod live;
mod symmetry;

use crate::id::{CorrId, ProcessId, TimerId};
use crate::msg::Envelope;
use crate::process::Process;
use crate::store::StoreImage;
use crate::trace::{DropReason, Trace, TraceEvent, TraceKind};
pub use cluster::{BrokenAt, ClusterReplay};
use live::{Disk, Factory, Live, LocalEvent};
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

/// The limits of a search. Each fault is a budget over a whole schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// Steps in a schedule (default 20).
    pub max_depth: usize,
    /// Server crashes (default 0).
    pub crashes: u32,
    /// Messages lost (default 0).
    pub losses: u32,
    /// Messages duplicated (default 0).
    pub duplications: u32,
    /// Whether a request may time out (at any moment) (default false).
    pub timeouts: bool,
    /// Tick steps (a call of a server's `on_tick`) in a schedule (default 0: `on_tick`
    /// is never called).
    pub ticks: u32,
    /// Distinct states after which the search stops, incomplete (default 2,000,000).
    pub max_states: usize,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            max_depth: 20,
            crashes: 0,
            losses: 0,
            duplications: 0,
            timeouts: false,
            ticks: 0,
            max_states: 2_000_000,
        }
    }
}

impl Bounds {
    /// A fault budget without limit. Unlimited crashes or losses are not counted (so the
    /// state space stays finite). Unlimited duplications make the network the *set of
    /// messages ever sent*, as in the TLA+ models: a delivery does not consume its
    /// message, so every message may arrive any number of times, or never.
    pub const UNLIMITED: u32 = u32::MAX;

    /// The default bounds with schedules of at most `max_depth` steps.
    pub fn depth(max_depth: usize) -> Self {
        Bounds {
            max_depth,
            ..Bounds::default()
        }
    }

    /// Allow `n` crashes.
    pub fn crashes(self, n: u32) -> Self {
        Bounds { crashes: n, ..self }
    }

    /// Allow `n` lost messages.
    pub fn losses(self, n: u32) -> Self {
        Bounds { losses: n, ..self }
    }

    /// Allow `n` duplicated messages.
    pub fn duplications(self, n: u32) -> Self {
        Bounds {
            duplications: n,
            ..self
        }
    }

    /// Let requests time out.
    pub fn timeouts(self, on: bool) -> Self {
        Bounds {
            timeouts: on,
            ..self
        }
    }

    /// Allow `n` tick steps: each calls one running server's `on_tick`.
    pub fn ticks(self, n: u32) -> Self {
        Bounds { ticks: n, ..self }
    }

    /// Stop after `n` distinct states.
    pub fn max_states(self, n: usize) -> Self {
        Bounds {
            max_states: n,
            ..self
        }
    }
}

/// One step of a schedule, replayable with [`Model::replay`].
#[derive(Clone, Debug, PartialEq)]
pub enum Step<M> {
    /// The message reached its destination.
    Deliver(Envelope<M>),
    /// A copy of the message reached its destination; the original is still in flight.
    Duplicate(Envelope<M>),
    /// The message was lost.
    Lose(Envelope<M>),
    /// The node's oldest storage operation completed.
    Storage(ProcessId),
    /// A timer of the node fired.
    Timer(ProcessId, TimerId),
    /// A request of the node timed out.
    Timeout(ProcessId, CorrId),
    /// The node crashed.
    Crash(ProcessId),
    /// The node restarted.
    Restart(ProcessId),
    /// The node's `on_tick` ran (one tick of its own clock; no timer fired).
    Tick(ProcessId),
}

impl<M: crate::Message> fmt::Display for Step<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let arrow = |e: &Envelope<M>| format!("{} {} -> {}", e.body.kind(), e.from, e.to);
        match self {
            Step::Deliver(e) => write!(f, "deliver {}", arrow(e)),
            Step::Duplicate(e) => write!(f, "duplicate {}", arrow(e)),
            Step::Lose(e) => write!(f, "lose {}", arrow(e)),
            Step::Storage(n) => write!(f, "{n}: storage operation completes"),
            Step::Timer(n, t) => write!(f, "{n}: timer {} fires", t.0),
            Step::Timeout(n, c) => write!(f, "{n}: request {c} times out"),
            Step::Crash(n) => write!(f, "{n} crashes"),
            Step::Restart(n) => write!(f, "{n} restarts"),
            Step::Tick(n) => write!(f, "{n} ticks"),
        }
    }
}

/// A broken invariant and the shortest schedule that breaks it.
#[derive(Clone, Debug)]
pub struct Violation<M> {
    /// The invariant's name.
    pub invariant: String,
    /// What it said was wrong.
    pub reason: String,
    /// The steps from the initial state to the violating one.
    pub schedule: Vec<Step<M>>,
}

impl<M: crate::Message> fmt::Display for Violation<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "invariant '{}' broken after {} steps: {}",
            self.invariant,
            self.schedule.len(),
            self.reason
        )?;
        for (i, step) in self.schedule.iter().enumerate() {
            writeln!(f, "  {:>3}. {step}", i + 1)?;
        }
        Ok(())
    }
}

/// What a search found.
#[derive(Clone, Debug)]
pub struct Report<M> {
    /// Distinct states visited (up to symmetry, when declared).
    pub states: usize,
    /// Steps taken from every visited state, duplicates included.
    pub transitions: u64,
    /// The depth of the deepest state visited.
    pub depth: usize,
    /// Whether every reachable state within the fault budgets was visited: no state
    /// was left unexpanded at the depth bound, and the state limit was not reached.
    pub complete: bool,
    /// Distinct states of single nodes (their transitions are computed once each).
    pub node_states: usize,
    /// With [`Model::projection`]: the distinct images of the visited states.
    pub projected: Option<BTreeSet<String>>,
    /// The first violation found (a shortest one), if any.
    pub violation: Option<Violation<M>>,
}

impl<M: crate::Message> fmt::Display for Report<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} distinct states, {} transitions, depth {}{}, {} node states",
            self.states,
            self.transitions,
            self.depth,
            if self.complete {
                " (complete)"
            } else if self.violation.is_some() {
                " (stopped at a violation)"
            } else {
                " (bound reached)"
            },
            self.node_states
        )?;
        if let Some(images) = &self.projected {
            write!(f, ", {} projected states", images.len())?;
        }
        if let Some(v) = &self.violation {
            write!(f, "\n{v}")?;
        }
        Ok(())
    }
}

/// Why a schedule could not be replayed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    /// The step names a node that is not a server of the model.
    #[error("step {step}: {node} is not a server of the model")]
    UnknownNode {
        /// The step's number, from 1.
        step: usize,
        /// The node named.
        node: String,
    },
    /// The step names a message that is not in flight.
    #[error("step {step}: no such message in flight: {message}")]
    NotInFlight {
        /// The step's number, from 1.
        step: usize,
        /// The message, as text.
        message: String,
    },
}

/// What an invariant sees: every server's process (`None` while crashed), its storage,
/// and what the clients have been told.
pub struct View<'a, P: Process> {
    servers: &'a [ProcessId],
    nodes: Vec<Option<&'a P>>,
    /// What a crash of each server now would leave on its disk.
    durable: Vec<&'a StoreImage>,
    /// Storage operations of each server submitted and not completed yet.
    pending: Vec<usize>,
    replies: Vec<&'a Envelope<P::Msg>>,
    in_flight: usize,
}

impl<'a, P: Process> View<'a, P> {
    /// The servers, in model order.
    pub fn servers(&self) -> &[ProcessId] {
        self.servers
    }

    /// The process of `id`, unless it is crashed (or not a server).
    pub fn node(&self, id: &str) -> Option<&'a P> {
        let i = self.servers.iter().position(|s| s.as_str() == id)?;
        self.nodes[i]
    }

    /// Every running server's process, with its id.
    pub fn running(&self) -> impl Iterator<Item = (&ProcessId, &'a P)> + '_ {
        self.servers
            .iter()
            .zip(&self.nodes)
            .filter_map(|(id, p)| p.map(|p| (id, p)))
    }

    /// What a crash of `id` now would leave on its disk.
    pub fn durable(&self, id: &str) -> Option<&'a StoreImage> {
        let i = self.servers.iter().position(|s| s.as_str() == id)?;
        Some(self.durable[i])
    }

    /// Storage operations of `id` submitted and not completed yet.
    pub fn storage_pending(&self, id: &str) -> usize {
        self.servers
            .iter()
            .position(|s| s.as_str() == id)
            .map_or(0, |i| self.pending[i])
    }

    /// Every distinct message a server sent to a client so far.
    pub fn replies(&self) -> &[&'a Envelope<P::Msg>] {
        &self.replies
    }

    /// Messages in flight between servers (copies counted).
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }
}

type InvariantFn<P> = dyn Fn(&View<'_, P>) -> Result<(), String>;
type ProjectionFn<P> = dyn Fn(&View<'_, P>) -> String;

/// A small cluster to search: its servers, the client requests to inject, the bounds,
/// the invariants and the symmetry.
pub struct Model<P: Process> {
    servers: Vec<ProcessId>,
    factory: Rc<Factory<P>>,
    requests: Vec<Envelope<P::Msg>>,
    bounds: Bounds,
    invariants: Vec<(String, Box<InvariantFn<P>>)>,
    slots: Vec<Vec<ProcessId>>,
    prefix: Vec<Step<P::Msg>>,
    projection: Option<Box<ProjectionFn<P>>>,
}

impl<P> Model<P>
where
    P: Process + Clone + Hash + fmt::Debug,
{
    /// The servers `servers`, each built by `factory` on first boot and at every
    /// restart (it recovers from storage in `on_start`, as under the simulator).
    pub fn new<S: Into<ProcessId>>(
        servers: impl IntoIterator<Item = S>,
        factory: impl Fn(&ProcessId) -> P + 'static,
    ) -> Self {
        Model {
            servers: servers.into_iter().map(Into::into).collect(),
            factory: Rc::new(factory),
            requests: Vec::new(),
            bounds: Bounds::default(),
            invariants: Vec::new(),
            slots: Vec::new(),
            prefix: Vec::new(),
            projection: None,
        }
    }

    /// A client request from `client` to server `to`, in flight from the start (so it
    /// may arrive at any point of a schedule). The server's reply is recorded for the
    /// invariants ([`View::replies`]); clients do not retry.
    pub fn request(
        mut self,
        client: impl Into<ProcessId>,
        to: impl Into<ProcessId>,
        body: P::Msg,
    ) -> Self {
        let client = client.into();
        let seq = self.requests.iter().filter(|r| r.from == client).count() as u64 + 1;
        self.requests.push(Envelope {
            from: client,
            to: to.into(),
            corr: Some(CorrId::new(0, seq)),
            in_reply_to: None,
            body,
        });
        self
    }

    /// The bounds of the search.
    pub fn bounds(mut self, bounds: Bounds) -> Self {
        self.bounds = bounds;
        self
    }

    /// A property every reachable state must have: `Err` says what is wrong.
    pub fn invariant(
        mut self,
        name: impl Into<String>,
        check: impl Fn(&View<'_, P>) -> Result<(), String> + 'static,
    ) -> Self {
        self.invariants.push((name.into(), Box::new(check)));
        self
    }

    /// Declare slots of interchangeable names: every permutation of the slots maps a
    /// state to an equivalent one. A slot is a list of names that move together, such
    /// as a server and the client that asks it (`[["athens", "alice"], ["byzantium",
    /// "bob"]]`); all slots have the same length. Names must be distinct words that
    /// appear nowhere else in the states' text.
    pub fn symmetric<S, I>(mut self, slots: impl IntoIterator<Item = I>) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<ProcessId>,
    {
        self.slots = slots
            .into_iter()
            .map(|slot| slot.into_iter().map(Into::into).collect())
            .collect();
        let width = self.slots.first().map_or(0, Vec::len);
        assert!(
            self.slots.iter().all(|s| s.len() == width),
            "every slot of interchangeable names moves the same number of names"
        );
        self
    }

    /// Start the search where `prefix` leads (a schedule found by an earlier search, say
    /// the shortest one that gets a value chosen). Every reported schedule begins with
    /// it; [`Bounds::max_depth`] counts the steps after it, and a counterexample is the
    /// shortest among those that begin with it.
    pub fn after(mut self, prefix: Vec<Step<P::Msg>>) -> Self {
        self.prefix = prefix;
        self
    }

    /// Count the distinct images of the visited states under `project` (reported as
    /// [`Report::projected`]): project onto the variables of a TLA+ model to
    /// compare the state spaces of the code and of the model.
    pub fn projection(mut self, project: impl Fn(&View<'_, P>) -> String + 'static) -> Self {
        self.projection = Some(Box::new(project));
        self
    }

    /// Search every schedule within the bounds, breadth first.
    pub fn check(&self) -> Report<P::Msg> {
        Engine::new(self).run()
    }

    /// Run `schedule` from the initial state with a trace (one tick per step), and
    /// return the world it reaches.
    pub fn replay(&self, schedule: &[Step<P::Msg>]) -> Result<Replay<P>, SearchError> {
        let mut trace = Trace::new(crate::trace::DEFAULT_TRACE_CAPACITY);
        let mut in_flight: Vec<Envelope<P::Msg>> = self.requests.clone();
        for request in &self.requests {
            let kind = TraceKind::Send {
                deliver_at: Some(1),
            };
            trace.record_message(TraceEvent::at_sender(0, kind, request), &request.body, true);
        }
        let mut replies = Vec::new();
        let mut nodes: Vec<Live<P>> = Vec::new();
        for id in &self.servers {
            let mut sent = Vec::new();
            nodes.push(Live::boot(
                id,
                &self.servers,
                &*self.factory,
                &mut sent,
                Some((&mut trace, 0)),
            ));
            self.route(sent, &mut in_flight, &mut replies);
        }
        for (n, step) in schedule.iter().enumerate() {
            let tick = n as u64 + 1;
            let unknown = |node: &ProcessId| SearchError::UnknownNode {
                step: n + 1,
                node: node.to_string(),
            };
            let index = |node: &ProcessId| self.servers.iter().position(|s| s == node);
            let (node, event, envelope) = match step {
                Step::Deliver(e) | Step::Duplicate(e) | Step::Lose(e) => {
                    let at = in_flight.iter().position(|f| same(f, e)).ok_or_else(|| {
                        SearchError::NotInFlight {
                            step: n + 1,
                            message: format!("{e:?}"),
                        }
                    })?;
                    let set_network = self.bounds.duplications == Bounds::UNLIMITED;
                    if !matches!(step, Step::Duplicate(_)) && !set_network {
                        in_flight.remove(at);
                    }
                    if let Step::Lose(e) = step {
                        let kind = TraceKind::Drop(DropReason::Loss);
                        trace.record(TraceEvent::at_sender(tick, kind, e));
                        continue;
                    }
                    if let Step::Duplicate(e) = step {
                        let kind = TraceKind::Send {
                            deliver_at: Some(tick),
                        };
                        trace.record(TraceEvent::at_sender(tick, kind, e));
                    }
                    let i = index(&e.to).ok_or_else(|| unknown(&e.to))?;
                    (i, LocalEvent::Deliver(0), Some(e.clone()))
                }
                Step::Storage(id) => (
                    index(id).ok_or_else(|| unknown(id))?,
                    LocalEvent::Storage,
                    None,
                ),
                Step::Timer(id, t) => (
                    index(id).ok_or_else(|| unknown(id))?,
                    LocalEvent::Timer(*t),
                    None,
                ),
                Step::Timeout(id, c) => (
                    index(id).ok_or_else(|| unknown(id))?,
                    LocalEvent::Timeout(*c),
                    None,
                ),
                Step::Crash(id) => (
                    index(id).ok_or_else(|| unknown(id))?,
                    LocalEvent::Crash,
                    None,
                ),
                Step::Restart(id) => (
                    index(id).ok_or_else(|| unknown(id))?,
                    LocalEvent::Restart,
                    None,
                ),
                Step::Tick(id) => (
                    index(id).ok_or_else(|| unknown(id))?,
                    LocalEvent::Tick,
                    None,
                ),
            };
            let mut sent = Vec::new();
            let message = |_: u32| {
                envelope
                    .clone()
                    .expect("a delivery step carries its message")
            };
            nodes[node].apply(
                &event,
                &*self.factory,
                message,
                &mut sent,
                Some((&mut trace, tick)),
            );
            self.route(sent, &mut in_flight, &mut replies);
        }
        Ok(Replay {
            servers: self.servers.clone(),
            nodes,
            replies,
            in_flight,
            trace,
        })
    }

    /// Messages to servers go in flight; messages to anyone else are client replies.
    fn route(
        &self,
        sent: Vec<Envelope<P::Msg>>,
        in_flight: &mut Vec<Envelope<P::Msg>>,
        replies: &mut Vec<Envelope<P::Msg>>,
    ) {
        for e in sent {
            if self.servers.contains(&e.to) {
                in_flight.push(e);
            } else {
                replies.push(e);
            }
        }
    }
}

/// The world a replayed schedule reaches, with its trace.
pub struct Replay<P: Process> {
    servers: Vec<ProcessId>,
    nodes: Vec<Live<P>>,
    replies: Vec<Envelope<P::Msg>>,
    in_flight: Vec<Envelope<P::Msg>>,
    trace: Trace<P::Msg>,
}

impl<P: Process> Replay<P> {
    /// The process of server `id`, unless it is crashed.
    pub fn node(&self, id: &str) -> Option<&P> {
        let i = self.servers.iter().position(|s| s.as_str() == id)?;
        self.nodes[i].node.process()
    }

    /// What the clients were told, in order.
    pub fn replies(&self) -> &[Envelope<P::Msg>] {
        &self.replies
    }

    /// Messages still in flight.
    pub fn in_flight(&self) -> &[Envelope<P::Msg>] {
        &self.in_flight
    }

    /// The trace of the replay: one tick per step.
    pub fn trace(&self) -> &Trace<P::Msg> {
        &self.trace
    }

    /// The servers, in model order.
    pub fn servers(&self) -> &[ProcessId] {
        &self.servers
    }

    /// Check the model's invariants on the state reached; the first broken one.
    pub fn broken_invariant(&self, model: &Model<P>) -> Option<(String, String)>
    where
        P: Clone + Hash + fmt::Debug,
    {
        let mut replies: Vec<&Envelope<P::Msg>> = Vec::new();
        for r in &self.replies {
            if !replies.iter().any(|seen| same(seen, r)) {
                replies.push(r);
            }
        }
        let view = View {
            servers: &self.servers,
            nodes: self.nodes.iter().map(|l| l.node.process()).collect(),
            durable: self.nodes.iter().map(|l| &l.disk.durable).collect(),
            pending: self.nodes.iter().map(|l| l.disk.pending.len()).collect(),
            replies,
            in_flight: self.in_flight.len(),
        };
        model
            .invariants
            .iter()
            .find_map(|(name, check)| check(&view).err().map(|why| (name.clone(), why)))
    }
}

// ----- the engine -----

/// One distinct state of one node.
struct Local<P> {
    process: Option<P>,
    disk: Disk,
    /// Events other than deliveries this state can take.
    events: Vec<LocalEvent>,
    /// How it was first reached: the previous state and the event.
    parent: Option<(u32, LocalEvent)>,
    /// Its text, for symmetry (empty without).
    text: String,
    /// Labels of the correlation ids of its requests still waiting for a reply, for
    /// symmetry: the destination and the rank among the requests to it.
    corrs: BTreeMap<String, String>,
}

/// Every state of one node met so far, and its transitions computed so far.
struct Table<P> {
    locals: Vec<Local<P>>,
    by_key: BTreeMap<u64, u32>,
    memo: BTreeMap<(u32, LocalEvent), (u32, Vec<u32>)>,
}

/// A state of the whole cluster.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Global {
    locals: Vec<u32>,
    /// Messages in flight between servers: (message number, copies), sorted.
    net: Vec<(u32, u32)>,
    /// Messages to clients, sorted, without repeats.
    replies: Vec<u32>,
    crashes: u32,
    losses: u32,
    duplications: u32,
    ticks: u32,
}

/// A step between global states.
#[derive(Clone)]
enum Move {
    Node(usize, LocalEvent),
    Lose(u32),
    Duplicate(u32),
}

struct Record {
    global: Global,
    parent: Option<(u32, Move)>,
    depth: usize,
}

struct Engine<'m, P: Process> {
    model: &'m Model<P>,
    tables: Vec<Table<P>>,
    messages: Vec<Envelope<P::Msg>>,
    message_ids: BTreeMap<Vec<u8>, u32>,
    message_texts: Vec<String>,
    renamings: Vec<symmetry::Renaming>,
    /// Canonical texts of node states, by (node, node state, renaming).
    local_canon: BTreeMap<(usize, u32, usize), u64>,
    /// Canonical texts of messages, by (message, renaming, the node states of its ends).
    message_canon: BTreeMap<(u32, usize, u32, u32), u64>,
}

/// Whether two envelopes are the same message (by their encoding: a message type need
/// not implement `PartialEq`).
fn same<M: serde::Serialize>(a: &Envelope<M>, b: &Envelope<M>) -> bool {
    postcard::to_allocvec(a).ok() == postcard::to_allocvec(b).ok()
}

/// A state under one renaming: its nodes in model order, its messages in flight (with
/// their copies) and its replies, each as the fingerprint of its canonical text.
type CanonicalForm = (Vec<u64>, Vec<(u64, u32)>, Vec<u64>);

fn fingerprint<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

impl<'m, P> Engine<'m, P>
where
    P: Process + Clone + Hash + fmt::Debug,
{
    fn new(model: &'m Model<P>) -> Self {
        let renamings = if model.slots.len() > 1 {
            symmetry::renamings(&model.slots)
        } else {
            Vec::new()
        };
        Engine {
            model,
            tables: model
                .servers
                .iter()
                .map(|_| Table {
                    locals: Vec::new(),
                    by_key: BTreeMap::new(),
                    memo: BTreeMap::new(),
                })
                .collect(),
            messages: Vec::new(),
            message_ids: BTreeMap::new(),
            message_texts: Vec::new(),
            renamings,
            local_canon: BTreeMap::new(),
            message_canon: BTreeMap::new(),
        }
    }

    fn intern(&mut self, envelope: Envelope<P::Msg>) -> u32 {
        let bytes = postcard::to_allocvec(&envelope).unwrap_or_else(|e| {
            panic!(
                "message {} must be serialisable to be searched: {e}",
                crate::Message::kind(&envelope.body)
            )
        });
        if let Some(id) = self.message_ids.get(&bytes) {
            return *id;
        }
        let id = self.messages.len() as u32;
        self.message_ids.insert(bytes, id);
        if !self.renamings.is_empty() {
            self.message_texts
                .push(symmetry::escape_byte_lists(&format!("{envelope:?}")));
        }
        self.messages.push(envelope);
        id
    }

    /// Record the state `live` is in as a node state of server `node`.
    fn intern_local(
        &mut self,
        node: usize,
        live: &Live<P>,
        parent: Option<(u32, LocalEvent)>,
    ) -> u32 {
        let process = live.node.process().cloned();
        let waits = live.node.continuations();
        let detail = live.node.runtime_detail();
        let key = fingerprint(&(
            &process,
            &waits,
            &detail,
            live.node.incarnation(),
            &live.disk,
        ));
        let table = &mut self.tables[node];
        if let Some(id) = table.by_key.get(&key) {
            return *id;
        }
        let text = if self.renamings.is_empty() {
            String::new()
        } else {
            // The requests waiting for replies are a set: braces, so that the canonical
            // text sorts them again after a renaming.
            let requests: Vec<String> = waits.requests.iter().map(|r| format!("{r:?}")).collect();
            symmetry::escape_byte_lists(&format!(
                "{process:?}|requests: {{{}}} timers: {:?} quorums: {:?} storage: {:?}|{detail}|{}|{:?}",
                requests.join(", "),
                waits.timers,
                waits.quorums,
                waits.storage,
                live.node.incarnation(),
                live.disk
            ))
        };
        let mut corrs = BTreeMap::new();
        if !self.renamings.is_empty() {
            let mut rank: BTreeMap<&ProcessId, usize> = BTreeMap::new();
            for (corr, to, _) in &waits.requests {
                let r = rank.entry(to).or_default();
                corrs.insert(format!("{corr:?}"), format!("@{to}/{r}"));
                *r += 1;
            }
        }
        let id = table.locals.len() as u32;
        table.by_key.insert(key, id);
        table.locals.push(Local {
            process,
            disk: live.disk.clone(),
            events: live.local_events(self.model.bounds.timeouts),
            parent,
            text,
            corrs,
        });
        id
    }

    /// Rebuild the live node of node state `local` by replaying its own events.
    fn rebuild(&self, node: usize, local: u32) -> Live<P> {
        let mut chain = Vec::new();
        let mut at = local;
        while let Some((parent, event)) = &self.tables[node].locals[at as usize].parent {
            chain.push(event.clone());
            at = *parent;
        }
        let id = &self.model.servers[node];
        let mut sink = Vec::new();
        let mut live = Live::boot(
            id,
            &self.model.servers,
            &*self.model.factory,
            &mut sink,
            None,
        );
        for event in chain.iter().rev() {
            live.apply(
                event,
                &*self.model.factory,
                |m| self.messages[m as usize].clone(),
                &mut sink,
                None,
            );
        }
        live
    }

    /// The node state after `event`, and what the node sent.
    fn transition(&mut self, node: usize, local: u32, event: &LocalEvent) -> (u32, Vec<u32>) {
        if let Some(done) = self.tables[node].memo.get(&(local, event.clone())) {
            return done.clone();
        }
        let mut live = self.rebuild(node, local);
        let mut sent = Vec::new();
        live.apply(
            event,
            &*self.model.factory,
            |m| self.messages[m as usize].clone(),
            &mut sent,
            None,
        );
        let next = self.intern_local(node, &live, Some((local, event.clone())));
        let sent: Vec<u32> = sent.into_iter().map(|e| self.intern(e)).collect();
        let done = (next, sent);
        self.tables[node]
            .memo
            .insert((local, event.clone()), done.clone());
        done
    }

    /// Whether the network is the set of messages ever sent (unlimited duplication).
    fn set_network(&self) -> bool {
        self.model.bounds.duplications == Bounds::UNLIMITED
    }

    fn add_sent(&self, global: &mut Global, sent: &[u32]) {
        for m in sent {
            if self.model.servers.contains(&self.messages[*m as usize].to) {
                match global.net.binary_search_by_key(m, |(id, _)| *id) {
                    Ok(_) if self.set_network() => {}
                    Ok(i) => global.net[i].1 += 1,
                    Err(i) => global.net.insert(i, (*m, 1)),
                }
            } else if let Err(i) = global.replies.binary_search(m) {
                global.replies.insert(i, *m);
            }
        }
    }

    fn take_one(global: &mut Global, m: u32) {
        if let Ok(i) = global.net.binary_search_by_key(&m, |(id, _)| *id) {
            global.net[i].1 -= 1;
            if global.net[i].1 == 0 {
                global.net.remove(i);
            }
        }
    }

    fn destination(&self, m: u32) -> usize {
        let to = &self.messages[m as usize].to;
        self.model
            .servers
            .iter()
            .position(|s| s == to)
            .unwrap_or_else(|| panic!("a message in flight between servers goes to a server: {to}"))
    }

    fn successor(&mut self, global: &Global, step: &Move) -> Global {
        let mut next = global.clone();
        match step {
            Move::Lose(m) => {
                Self::take_one(&mut next, *m);
                if self.model.bounds.losses != Bounds::UNLIMITED {
                    next.losses += 1;
                }
            }
            Move::Duplicate(m) => {
                next.duplications += 1;
                let node = self.destination(*m);
                let (local, sent) =
                    self.transition(node, global.locals[node], &LocalEvent::Deliver(*m));
                next.locals[node] = local;
                self.add_sent(&mut next, &sent);
            }
            Move::Node(node, event) => {
                if let LocalEvent::Deliver(m) = event
                    && !self.set_network()
                {
                    Self::take_one(&mut next, *m);
                }
                if *event == LocalEvent::Crash && self.model.bounds.crashes != Bounds::UNLIMITED {
                    next.crashes += 1;
                }
                if *event == LocalEvent::Tick && self.model.bounds.ticks != Bounds::UNLIMITED {
                    next.ticks += 1;
                }
                let (local, sent) = self.transition(*node, global.locals[*node], event);
                next.locals[*node] = local;
                self.add_sent(&mut next, &sent);
            }
        }
        next
    }

    fn moves(&self, global: &Global) -> Vec<Move> {
        let bounds = &self.model.bounds;
        let mut moves = Vec::new();
        for (m, _) in &global.net {
            moves.push(Move::Node(self.destination(*m), LocalEvent::Deliver(*m)));
            if global.duplications < bounds.duplications && !self.set_network() {
                moves.push(Move::Duplicate(*m));
            }
            if global.losses < bounds.losses {
                moves.push(Move::Lose(*m));
            }
        }
        for (node, local) in global.locals.iter().enumerate() {
            for event in &self.tables[node].locals[*local as usize].events {
                if *event == LocalEvent::Crash && global.crashes >= bounds.crashes {
                    continue;
                }
                moves.push(Move::Node(node, event.clone()));
            }
            if global.ticks < bounds.ticks && self.running(node, *local) {
                moves.push(Move::Node(node, LocalEvent::Tick));
            }
        }
        moves
    }

    /// Whether server `node` in node state `local` is running (a crashed one can only
    /// restart).
    fn running(&self, node: usize, local: u32) -> bool {
        !self.tables[node].locals[local as usize]
            .events
            .contains(&LocalEvent::Restart)
    }

    /// The label of correlation id `corr` allocated by `owner` when `owner` is a server
    /// in node state `local`: its destination and rank while the request waits, else
    /// "stale" (a reply to it would be dropped: which stale id it is does not matter).
    fn label(&self, owner: usize, local: u32, corr: &str) -> String {
        let state = &self.tables[owner].locals[local as usize];
        state
            .corrs
            .get(corr)
            .cloned()
            .unwrap_or_else(|| "@stale".to_string())
    }

    fn server_index(&self, name: &str) -> Option<usize> {
        self.model.servers.iter().position(|s| s.as_str() == name)
    }

    /// The fingerprint of node state `local` of `node` under renaming `r`, canonical.
    fn local_text(&mut self, node: usize, local: u32, r: usize) -> u64 {
        if let Some(hash) = self.local_canon.get(&(node, local, r)) {
            return *hash;
        }
        let owner = self.model.servers[node].as_str().to_string();
        let text = {
            let labels =
                |who: &str, corr: &str| (who == owner).then(|| self.label(node, local, corr));
            symmetry::canonical(
                &self.tables[node].locals[local as usize].text,
                &self.renamings[r],
                &owner,
                &labels,
            )
        };
        let hash = fingerprint(&text);
        self.local_canon.insert((node, local, r), hash);
        hash
    }

    /// The fingerprint of message `m` under renaming `r`, canonical, its correlation ids
    /// labelled by the states of the nodes at its ends.
    fn message_text(&mut self, global: &Global, m: u32, r: usize) -> u64 {
        let envelope = &self.messages[m as usize];
        let end = |name: &ProcessId| {
            self.server_index(name.as_str())
                .map_or(u32::MAX, |i| global.locals[i])
        };
        let ends = (end(&envelope.from), end(&envelope.to));
        if let Some(hash) = self.message_canon.get(&(m, r, ends.0, ends.1)) {
            return *hash;
        }
        let text = {
            let labels = |who: &str, corr: &str| {
                let i = self.server_index(who)?;
                Some(self.label(i, global.locals[i], corr))
            };
            symmetry::canonical(
                &self.message_texts[m as usize],
                &self.renamings[r],
                "",
                &labels,
            )
        };
        let hash = fingerprint(&text);
        self.message_canon.insert((m, r, ends.0, ends.1), hash);
        hash
    }

    /// The key of a state: its fingerprint, or with symmetry the fingerprint of the
    /// smallest of its canonical forms under every permutation of the interchangeable
    /// names (each part of a form is the fingerprint of its canonical text).
    fn key(&mut self, global: &Global) -> u64 {
        if self.renamings.is_empty() {
            return fingerprint(global);
        }
        let servers = self.model.servers.clone();
        let mut best: Option<CanonicalForm> = None;
        for r in 0..self.renamings.len() {
            // The nodes under their new names, in model order.
            let mut nodes = Vec::with_capacity(servers.len());
            for target in &servers {
                let renaming = &self.renamings[r];
                let from = servers
                    .iter()
                    .position(|s| {
                        renaming
                            .get(s.as_str())
                            .map_or(s == target, |to| to == target.as_str())
                    })
                    .unwrap_or_else(|| {
                        panic!("a renaming of servers maps servers to servers: {target}")
                    });
                nodes.push(self.local_text(from, global.locals[from], r));
            }
            let mut net = Vec::with_capacity(global.net.len());
            for (m, n) in &global.net {
                net.push((self.message_text(global, *m, r), *n));
            }
            net.sort_unstable();
            let mut replies = Vec::with_capacity(global.replies.len());
            for m in &global.replies {
                replies.push(self.message_text(global, *m, r));
            }
            replies.sort_unstable();
            let form = (nodes, net, replies);
            if best.as_ref().is_none_or(|b| form < *b) {
                best = Some(form);
            }
        }
        fingerprint(&(
            best,
            global.crashes,
            global.losses,
            global.duplications,
            global.ticks,
        ))
    }

    fn view<'a>(&'a self, global: &Global) -> View<'a, P> {
        View {
            servers: &self.model.servers,
            nodes: global
                .locals
                .iter()
                .enumerate()
                .map(|(n, l)| self.tables[n].locals[*l as usize].process.as_ref())
                .collect(),
            durable: global
                .locals
                .iter()
                .enumerate()
                .map(|(n, l)| &self.tables[n].locals[*l as usize].disk.durable)
                .collect(),
            pending: global
                .locals
                .iter()
                .enumerate()
                .map(|(n, l)| self.tables[n].locals[*l as usize].disk.pending.len())
                .collect(),
            replies: global
                .replies
                .iter()
                .map(|m| &self.messages[*m as usize])
                .collect(),
            in_flight: global.net.iter().map(|(_, n)| *n as usize).sum(),
        }
    }

    fn broken(&self, global: &Global) -> Option<(String, String)> {
        let view = self.view(global);
        self.model
            .invariants
            .iter()
            .find_map(|(name, check)| check(&view).err().map(|why| (name.clone(), why)))
    }

    fn step_of(&self, global: &Global, step: &Move) -> Step<P::Msg> {
        let id = |n: usize| self.model.servers[n].clone();
        match step {
            Move::Lose(m) => Step::Lose(self.messages[*m as usize].clone()),
            Move::Duplicate(m) => Step::Duplicate(self.messages[*m as usize].clone()),
            Move::Node(_, LocalEvent::Deliver(m)) => {
                Step::Deliver(self.messages[*m as usize].clone())
            }
            Move::Node(n, LocalEvent::Storage) => Step::Storage(id(*n)),
            Move::Node(n, LocalEvent::Timer(t)) => Step::Timer(id(*n), *t),
            Move::Node(n, LocalEvent::Timeout(c)) => Step::Timeout(id(*n), *c),
            Move::Node(n, LocalEvent::Crash) => Step::Crash(id(*n)),
            Move::Node(n, LocalEvent::Tick) => Step::Tick(id(*n)),
            Move::Node(n, LocalEvent::Restart) => {
                let _ = global;
                Step::Restart(id(*n))
            }
        }
    }

    /// The move a step of a schedule names, if it is enabled in `global`.
    fn move_of(&mut self, global: &Global, step: &Step<P::Msg>) -> Option<Move> {
        let node = |id: &ProcessId| self.model.servers.iter().position(|s| s == id);
        let wanted = match step {
            Step::Deliver(e) | Step::Duplicate(e) | Step::Lose(e) => {
                let m = self.intern(e.clone());
                global.net.binary_search_by_key(&m, |(id, _)| *id).ok()?;
                match step {
                    Step::Lose(_) => Move::Lose(m),
                    Step::Duplicate(_) => Move::Duplicate(m),
                    _ => Move::Node(self.destination(m), LocalEvent::Deliver(m)),
                }
            }
            Step::Storage(id) => Move::Node(node(id)?, LocalEvent::Storage),
            Step::Timer(id, t) => Move::Node(node(id)?, LocalEvent::Timer(*t)),
            Step::Timeout(id, c) => Move::Node(node(id)?, LocalEvent::Timeout(*c)),
            Step::Crash(id) => Move::Node(node(id)?, LocalEvent::Crash),
            Step::Restart(id) => Move::Node(node(id)?, LocalEvent::Restart),
            Step::Tick(id) => Move::Node(node(id)?, LocalEvent::Tick),
        };
        match &wanted {
            Move::Node(n, LocalEvent::Tick) => (global.ticks < self.model.bounds.ticks
                && self.running(*n, global.locals[*n]))
            .then_some(wanted),
            Move::Node(n, event) if !matches!(event, LocalEvent::Deliver(_)) => {
                let local = &self.tables[*n].locals[global.locals[*n] as usize];
                local.events.contains(event).then_some(wanted)
            }
            _ => Some(wanted),
        }
    }

    fn schedule(&self, records: &[Record], mut at: usize) -> Vec<Step<P::Msg>> {
        let mut steps = Vec::new();
        while let Some((parent, step)) = &records[at].parent {
            let before = &records[*parent as usize].global;
            steps.push(self.step_of(before, step));
            at = *parent as usize;
        }
        steps.reverse();
        steps
    }

    fn run(mut self) -> Report<P::Msg> {
        let bounds = self.model.bounds;
        let mut net = Vec::new();
        let mut replies = Vec::new();
        let mut locals = Vec::new();
        for request in self.model.requests.clone() {
            net.push(self.intern(request));
        }
        for (n, id) in self.model.servers.clone().iter().enumerate() {
            let mut sent = Vec::new();
            let live = Live::boot(
                id,
                &self.model.servers,
                &*self.model.factory,
                &mut sent,
                None,
            );
            locals.push(self.intern_local(n, &live, None));
            for e in sent {
                let m = self.intern(e);
                if self.model.servers.contains(&self.messages[m as usize].to) {
                    net.push(m);
                } else {
                    replies.push(m);
                }
            }
        }
        let mut initial = Global {
            locals,
            net: Vec::new(),
            replies: Vec::new(),
            crashes: 0,
            losses: 0,
            duplications: 0,
            ticks: 0,
        };
        self.add_sent(&mut initial, &net);
        self.add_sent(&mut initial, &replies);
        let mut visited = BTreeSet::new();
        visited.insert(self.key(&initial));
        let mut report = Report {
            states: 1,
            transitions: 0,
            depth: 0,
            complete: true,
            node_states: 0,
            projected: None,
            violation: None,
        };
        let mut images = BTreeSet::new();
        let mut records = vec![Record {
            global: initial,
            parent: None,
            depth: 0,
        }];
        for step in &self.model.prefix {
            let at = records.len() - 1;
            let Some(step) = self.move_of(&records[at].global, step) else {
                report.complete = false;
                report.violation = Some(Violation {
                    invariant: "the prefix can be replayed".into(),
                    reason: format!("step {} is not enabled: {step}", at + 1),
                    schedule: self.schedule(&records, at),
                });
                return report;
            };
            let successor = self.successor(&records[at].global, &step);
            visited.insert(self.key(&successor));
            records.push(Record {
                global: successor,
                parent: Some((at as u32, step)),
                depth: 0,
            });
        }
        let start = records.len() - 1;
        if let Some(project) = &self.model.projection {
            images.insert(project(&self.view(&records[start].global)));
        }
        if let Some((invariant, reason)) = self.broken(&records[start].global) {
            report.violation = Some(Violation {
                invariant,
                reason,
                schedule: self.schedule(&records, start),
            });
        }
        let mut next = start;
        'search: while report.violation.is_none() && next < records.len() {
            let at = next;
            next += 1;
            if records[at].depth >= bounds.max_depth {
                report.complete = false;
                continue;
            }
            let global = records[at].global.clone();
            for step in self.moves(&global) {
                report.transitions += 1;
                let successor = self.successor(&global, &step);
                if !visited.insert(self.key(&successor)) {
                    continue;
                }
                let depth = records[at].depth + 1;
                report.depth = report.depth.max(depth);
                let broken = self.broken(&successor);
                if let Some(project) = &self.model.projection {
                    images.insert(project(&self.view(&successor)));
                }
                records.push(Record {
                    global: successor,
                    parent: Some((at as u32, step)),
                    depth,
                });
                if let Some((invariant, reason)) = broken {
                    report.complete = false;
                    report.violation = Some(Violation {
                        invariant,
                        reason,
                        schedule: self.schedule(&records, records.len() - 1),
                    });
                    break 'search;
                }
                if records.len() >= bounds.max_states {
                    report.complete = false;
                    break 'search;
                }
            }
        }
        report.states = records.len() - start;
        if self.model.projection.is_some() {
            report.projected = Some(images);
        }
        report.node_states = self.tables.iter().map(|t| t.locals.len()).sum();
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Ctx, Message};
    use serde::{Deserialize, Serialize};

    #[derive(Clone, Debug, Serialize, Deserialize)]
    enum Msg {
        Put(u64),
        Ack(u64),
    }

    impl Message for Msg {
        fn kind(&self) -> &'static str {
            match self {
                Msg::Put(_) => "Put",
                Msg::Ack(_) => "Ack",
            }
        }
    }

    /// Stores a number and acknowledges it: after the write is durable, or (broken) before.
    #[derive(Clone, Debug, PartialEq, Eq, Hash)]
    struct Store {
        early: bool,
    }

    impl Process for Store {
        type Msg = Msg;

        fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, env: Envelope<Msg>) {
            let Msg::Put(v) = env.body else { return };
            if self.early {
                ctx.reply(&env, Msg::Ack(v));
            }
            let early = self.early;
            ctx.persist("v", &v, move |_: &mut Self, ctx, written| {
                if written.is_ok() && !early {
                    ctx.reply(&env, Msg::Ack(v));
                }
            })
            .expect("a number encodes");
        }
    }

    fn model(early: bool, bounds: Bounds) -> Model<Store> {
        Model::new(["athens"], move |_| Store { early })
            .request("alice", "athens", Msg::Put(7))
            .bounds(bounds)
            .invariant("an acknowledged number is on disk", |view| {
                let stored: Option<u64> = view
                    .durable("athens")
                    .and_then(|d| d.load("v").ok().flatten());
                match view.replies().first().map(|r| &r.body) {
                    Some(Msg::Ack(v)) if stored != Some(*v) => {
                        Err(format!("{v} acknowledged, disk holds {stored:?}"))
                    }
                    _ => Ok(()),
                }
            })
    }

    #[test]
    fn a_correct_store_passes_every_schedule_and_the_search_says_it_saw_them_all() {
        let report = model(false, Bounds::depth(10).crashes(1)).check();
        assert!(report.violation.is_none(), "{report}");
        assert!(
            report.complete,
            "a finite space is searched to the end: {report}"
        );
        // deliver / crash first; after delivery: complete the write or crash; ...
        assert!(report.states > 4, "crash and restart add states: {report}");
    }

    #[test]
    fn acknowledging_before_the_write_is_caught_in_one_step_and_replays() {
        let model = model(true, Bounds::depth(10));
        let report = model.check();
        let violation = report
            .violation
            .expect("the early acknowledgement is caught");
        assert_eq!(
            violation.schedule.len(),
            1,
            "one delivery is enough: {violation}"
        );
        let replay = model.replay(&violation.schedule).expect("it replays");
        assert_eq!(
            replay.broken_invariant(&model).map(|(name, _)| name),
            Some("an acknowledged number is on disk".to_string()),
            "the replay reaches the same broken state"
        );
        let twice = vec![violation.schedule[0].clone(), violation.schedule[0].clone()];
        assert!(
            matches!(
                model.replay(&twice),
                Err(SearchError::NotInFlight { step: 2, .. })
            ),
            "a message delivered once is no longer in flight"
        );
    }

    #[test]
    fn fault_budgets_and_a_set_network_change_what_is_reachable() {
        let plain = model(false, Bounds::depth(10)).check();
        let lossy = model(false, Bounds::depth(10).losses(1)).check();
        assert!(
            lossy.states > plain.states,
            "a loss reaches states without the message: {} vs {}",
            lossy.states,
            plain.states
        );
        // Every delivery of the same put starts another write: no end, but more states.
        let set = model(false, Bounds::depth(10).duplications(Bounds::UNLIMITED)).check();
        assert_eq!(
            set.depth, 10,
            "a put that can always arrive again has no end: {set}"
        );
        assert!(
            set.states > plain.states,
            "a message that may arrive again reaches more states: {} vs {}",
            set.states,
            plain.states
        );
    }
}
