//! The message sequence diagram: a trace reduced to lanes, arrows, marks and spans.
//!
//! See [`SequenceDiagram`] for how sends are paired with their deliveries.

use crate::cluster::Cluster;
use crate::id::ProcessId;
use crate::msg::Message;
use crate::time::Tick;
use crate::trace::{DropReason, Trace, TraceEvent, TraceKind};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

/// Nodes of the trace that are not processes: faults applied by the test (or the
/// nemesis) and by the network are recorded at them. They get no lane; their events are
/// drawn across the diagram.
pub const PSEUDO_NODES: [&str; 2] = ["test", "net"];

/// What became of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fate {
    /// It reached its destination's handler.
    Delivered,
    /// It was dropped, for this reason (the trace's wording).
    Lost(String),
    /// Neither delivered nor dropped when the trace ends: still in flight, held by a
    /// rule, or waiting in a paused node's backlog.
    InFlight,
    /// It reached a paused node, which crashed before handling it.
    Discarded,
}

/// One message, from its send to its end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrow {
    /// The sender's lane.
    pub from: usize,
    /// The receiver's lane (`None` when the receiver is not a node of the cluster).
    pub to: Option<usize>,
    /// The message kind (`Message::kind`).
    pub kind: &'static str,
    /// When it was sent; `None` when the send happened before the trace's first kept
    /// event.
    pub sent: Option<Tick>,
    /// When it was delivered or dropped; `None` while in flight at the end.
    pub end: Option<Tick>,
    /// What became of it.
    pub fate: Fate,
    /// An extra copy made by the network.
    pub duplicate: bool,
    /// It was held by a rule and released at this tick.
    pub released: Option<Tick>,
    /// The trace's lines about it, one per event: the tooltip.
    pub text: String,
    /// Position of its first event among the events drawn (orders the rows of a tick).
    pub(super) first: usize,
    /// Position of its last event among the events drawn (orders the Mermaid text).
    pub(super) order: usize,
}

impl Arrow {
    /// Whether it was dropped where it was sent, in the tick it was sent: it never
    /// travelled. (A scripted cluster can deliver a message in the tick it was sent,
    /// which is not a drop.)
    pub fn lost_at_sender(&self) -> bool {
        self.sent.is_some() && self.sent == self.end && matches!(self.fate, Fate::Lost(_))
    }
}

/// What a small mark on a lane (or across the diagram) stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MarkKind {
    /// A timer fired.
    Timer,
    /// A request's deadline passed without a reply.
    RequestTimeout,
    /// A storage operation completed.
    Storage,
    /// A storage operation failed.
    StorageFailed,
    /// The node crashed.
    Crash,
    /// The node restarted.
    Restart,
    /// The node was paused.
    Pause,
    /// The node resumed.
    Resume,
    /// A fault: on a lane (a skewed clock) or across the diagram.
    Fault,
    /// A line the process wrote with `Ctx::note` (a role change, a commit).
    Note,
}

impl MarkKind {
    /// Whether the mark carries a label beside it (others are only a dot or a dash).
    pub fn labelled(self) -> bool {
        !matches!(
            self,
            MarkKind::Timer | MarkKind::RequestTimeout | MarkKind::Storage
        )
    }
}

/// A mark at one tick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mark {
    /// When.
    pub tick: Tick,
    /// The lane; `None` for a fault of the test or the network, drawn across.
    pub lane: Option<usize>,
    /// What it stands for.
    pub kind: MarkKind,
    /// The short label drawn beside it (empty for unlabelled marks).
    pub label: String,
    /// The event's text: the tooltip.
    pub text: String,
    /// Position of its event among the events drawn.
    pub(super) order: usize,
}

/// Why a lane is shaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpanKind {
    /// Crashed: from the crash to the restart.
    Down,
    /// Paused: from the pause to the resume (or a crash).
    Paused,
}

/// An interval of a lane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// The lane.
    pub lane: usize,
    /// Why.
    pub kind: SpanKind,
    /// First tick.
    pub from: Tick,
    /// Last tick; `None` when it lasts to the end of the trace.
    pub to: Option<Tick>,
    /// The tooltip.
    pub text: String,
}

/// A message sequence diagram of a trace: lanes, arrows, marks and spans, drawn with
/// [`to_svg`](Self::to_svg), [`to_html`](Self::to_html) and
/// [`to_mermaid`](Self::to_mermaid) (see the [module docs](super)).
///
/// # Pairing sends with deliveries
///
/// A trace records a message twice: a `Send` at the sender (with the tick it will be
/// delivered at) and a `Deliver` (or a `Drop` on arrival) at the receiver. They are
/// paired by the key *(sender, receiver, message kind, delivery tick)*, first in first
/// out: the network delivers one tick's messages in send order. A `Duplicate` is a
/// second pending arrival of the same message; a `Send` without a delivery tick is held
/// by a rule, and its `Release` (at the sender, with the new delivery tick) makes it
/// pending. A paused node keeps what arrives and handles it after it resumes, later than
/// its delivery tick: a delivery with no pending arrival at its own tick takes the
/// earliest one due before it. Messages kept by a paused node that then crashes are
/// discarded without a trace event; the diagram shows them as [`Fate::Discarded`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SequenceDiagram {
    pub(super) title: String,
    pub(super) lanes: Vec<ProcessId>,
    pub(super) arrows: Vec<Arrow>,
    pub(super) marks: Vec<Mark>,
    pub(super) spans: Vec<Span>,
    /// The message kinds drawn, in name order.
    pub(super) kinds: Vec<&'static str>,
    /// Folded message kinds with their counts: hashed by the trace, not drawn.
    pub(super) folded: Vec<(&'static str, u64)>,
    /// Events recorded before the first kept one.
    pub(super) not_kept: u64,
    /// Events drawn from.
    pub(super) events: usize,
    pub(super) first_tick: Tick,
    pub(super) last_tick: Tick,
}

/// A message's identity while it is pending: sender, receiver, kind.
type Link = (ProcessId, ProcessId, &'static str);

/// The state of pairing while the events are read.
#[derive(Default)]
struct Pairing {
    /// Pending arrivals per link, by (delivery tick, order pushed) → arrow.
    pending: BTreeMap<Link, BTreeMap<(Tick, u64), usize>>,
    /// Held messages per link, in the order they were held.
    held: BTreeMap<Link, VecDeque<usize>>,
    pushed: u64,
    /// Open down or paused span per lane.
    open: BTreeMap<(usize, u8), usize>,
}

impl Pairing {
    fn push(&mut self, link: Link, deliver_at: Tick, arrow: usize) {
        self.pushed += 1;
        self.pending
            .entry(link)
            .or_default()
            .insert((deliver_at, self.pushed), arrow);
    }

    /// The pending arrival a delivery (or a drop on arrival) at `tick` ends: the first
    /// one due at `tick`, else the earliest due before it (a paused node's backlog).
    fn take(&mut self, link: &Link, tick: Tick) -> Option<usize> {
        let queue = self.pending.get_mut(link)?;
        let exact = queue
            .range((tick, 0)..=(tick, u64::MAX))
            .next()
            .map(|(k, _)| *k);
        let key = exact.or_else(|| queue.range(..(tick, 0)).next().map(|(k, _)| *k))?;
        queue.remove(&key)
    }
}

impl SequenceDiagram {
    /// The diagram of every event `trace` kept, lanes in order of first appearance.
    pub fn from_trace<M: Serialize + fmt::Debug>(trace: &Trace<M>) -> Self {
        let mut diagram = Self::from_events(trace.events());
        diagram.folded = trace
            .folded()
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| (*k, *n))
            .collect();
        let folded: u64 = diagram.folded.iter().map(|(_, n)| n).sum();
        diagram.not_kept = trace
            .total()
            .saturating_sub(diagram.events as u64)
            .saturating_sub(folded);
        diagram
    }

    /// The diagram of a cluster's trace, with its servers' lanes first, then its clients',
    /// in the order they joined.
    pub fn of_cluster<M: Message>(cluster: &Cluster<M>) -> Self {
        Self::from_trace(cluster.trace()).lanes(cluster.nodes())
    }

    /// The diagram of some events (a window of a trace, or a trace without some kinds:
    /// filter `trace.events()`), lanes in order of first appearance.
    pub fn from_events<'a, M: fmt::Debug + 'a>(
        events: impl IntoIterator<Item = &'a TraceEvent<M>>,
    ) -> Self {
        let mut builder = Builder::default();
        for event in events {
            builder.read(event);
        }
        builder.finish()
    }

    /// Put these lanes first, in this order (the others keep their order after them).
    /// Names that have no lane are skipped.
    pub fn lanes<'a>(mut self, order: impl IntoIterator<Item = &'a ProcessId>) -> Self {
        let mut new_order: Vec<usize> = Vec::new();
        for id in order {
            if let Some(i) = self.lanes.iter().position(|l| l == id)
                && !new_order.contains(&i)
            {
                new_order.push(i);
            }
        }
        for i in 0..self.lanes.len() {
            if !new_order.contains(&i) {
                new_order.push(i);
            }
        }
        let mut position = vec![0; self.lanes.len()];
        for (new, &old) in new_order.iter().enumerate() {
            position[old] = new;
        }
        self.lanes = new_order.iter().map(|&i| self.lanes[i].clone()).collect();
        for arrow in &mut self.arrows {
            arrow.from = position[arrow.from];
            arrow.to = arrow.to.map(|t| position[t]);
        }
        for mark in &mut self.marks {
            mark.lane = mark.lane.map(|l| position[l]);
        }
        for span in &mut self.spans {
            span.lane = position[span.lane];
        }
        self
    }

    /// A title drawn above the diagram (and the HTML page's title).
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// One lane per node, left to right.
    pub fn lane_names(&self) -> &[ProcessId] {
        &self.lanes
    }

    /// Every message, in the order of its first event.
    pub fn arrows(&self) -> &[Arrow] {
        &self.arrows
    }

    /// Every mark, in trace order.
    pub fn marks(&self) -> &[Mark] {
        &self.marks
    }

    /// The shaded intervals (down, paused), in the order they began.
    pub fn spans(&self) -> &[Span] {
        &self.spans
    }

    /// The message kinds drawn, in name order.
    pub fn kinds(&self) -> &[&'static str] {
        &self.kinds
    }

    /// Number of events the diagram was drawn from.
    pub fn events(&self) -> usize {
        self.events
    }

    /// The first and last tick drawn.
    pub fn ticks(&self) -> (Tick, Tick) {
        (self.first_tick, self.last_tick)
    }
}

/// Reads events one by one into a diagram.
#[derive(Default)]
struct Builder {
    index: BTreeMap<ProcessId, usize>,
    lanes: Vec<ProcessId>,
    arrows: Vec<Arrow>,
    marks: Vec<Mark>,
    spans: Vec<Span>,
    pairing: Pairing,
    paused: BTreeSet<usize>,
    events: usize,
    /// Position of the event being read.
    current: usize,
    first_tick: Option<Tick>,
    last_tick: Tick,
}

const DOWN: u8 = 0;
const PAUSED: u8 = 1;

impl Builder {
    fn lane(&mut self, id: &ProcessId) -> Option<usize> {
        if PSEUDO_NODES.contains(&id.as_str()) {
            return None;
        }
        if let Some(&i) = self.index.get(id) {
            return Some(i);
        }
        let i = self.lanes.len();
        self.lanes.push(id.clone());
        self.index.insert(id.clone(), i);
        Some(i)
    }

    fn new_arrow(&mut self, from: usize, to: Option<usize>, kind: &'static str) -> usize {
        self.arrows.push(Arrow {
            from,
            to,
            kind,
            sent: None,
            end: None,
            fate: Fate::InFlight,
            duplicate: false,
            released: None,
            text: String::new(),
            first: self.current,
            order: self.current,
        });
        self.arrows.len() - 1
    }

    fn describe(&mut self, arrow: usize, line: &str) {
        self.arrows[arrow].order = self.current;
        let text = &mut self.arrows[arrow].text;
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(line);
    }

    fn read<M: fmt::Debug>(&mut self, event: &TraceEvent<M>) {
        self.current = self.events;
        self.events += 1;
        self.first_tick.get_or_insert(event.tick);
        self.last_tick = self.last_tick.max(event.tick);
        let line = event.to_string();
        let line = line.as_str();
        let tick = event.tick;
        match (&event.kind, event.msg, event.peer.as_ref()) {
            (TraceKind::Send { deliver_at }, Some(kind), Some(peer)) => {
                self.send(event, peer, kind, *deliver_at, line)
            }
            (TraceKind::Duplicate { deliver_at }, Some(kind), Some(peer)) => {
                self.send(event, peer, kind, Some(*deliver_at), line);
                if let Some(last) = self.arrows.last_mut() {
                    last.duplicate = true;
                }
            }
            (TraceKind::Release { deliver_at }, Some(kind), Some(peer)) => {
                let (Some(from), to) = (self.lane(&event.node), self.lane(peer)) else {
                    return;
                };
                let link = (event.node.clone(), peer.clone(), kind);
                let arrow = match self
                    .pairing
                    .held
                    .get_mut(&link)
                    .and_then(VecDeque::pop_front)
                {
                    Some(arrow) => arrow,
                    None => self.new_arrow(from, to, kind),
                };
                self.arrows[arrow].released = Some(tick);
                self.describe(arrow, line);
                self.pairing.push(link, *deliver_at, arrow);
            }
            (TraceKind::Deliver, Some(kind), Some(peer)) => {
                self.arrive(event, peer, kind, Fate::Delivered, line)
            }
            (TraceKind::Drop(reason), Some(kind), Some(peer)) => {
                let fate = Fate::Lost(reason.to_string());
                if reason.on_arrival(&event.detail) {
                    self.arrive(event, peer, kind, fate, line);
                } else if let Some(from) = self.lane(&event.node) {
                    // It never left the sender. A destination that is not part of the
                    // cluster gets no lane.
                    let to = match reason {
                        DropReason::UnknownNode => None,
                        _ => self.lane(peer),
                    };
                    let arrow = self.new_arrow(from, to, kind);
                    let a = &mut self.arrows[arrow];
                    a.sent = Some(tick);
                    a.end = Some(tick);
                    a.fate = fate;
                    self.describe(arrow, line);
                }
            }
            (kind, _, _) => self.mark(event, kind, line),
        }
    }

    fn send<M: fmt::Debug>(
        &mut self,
        event: &TraceEvent<M>,
        peer: &ProcessId,
        kind: &'static str,
        deliver_at: Option<Tick>,
        line: &str,
    ) {
        let (Some(from), to) = (self.lane(&event.node), self.lane(peer)) else {
            return;
        };
        let arrow = self.new_arrow(from, to, kind);
        self.arrows[arrow].sent = Some(event.tick);
        self.describe(arrow, line);
        let link = (event.node.clone(), peer.clone(), kind);
        match deliver_at {
            Some(at) => self.pairing.push(link, at, arrow),
            None => self.pairing.held.entry(link).or_default().push_back(arrow),
        }
    }

    fn arrive<M: fmt::Debug>(
        &mut self,
        event: &TraceEvent<M>,
        peer: &ProcessId,
        kind: &'static str,
        fate: Fate,
        line: &str,
    ) {
        let (Some(from), Some(to)) = (self.lane(peer), self.lane(&event.node)) else {
            return;
        };
        let link = (peer.clone(), event.node.clone(), kind);
        let arrow = match self.pairing.take(&link, event.tick) {
            Some(arrow) => arrow,
            // Sent before the first kept event.
            None => self.new_arrow(from, Some(to), kind),
        };
        let a = &mut self.arrows[arrow];
        a.end = Some(event.tick);
        a.fate = fate;
        self.describe(arrow, line);
    }

    fn open_span(&mut self, lane: usize, kind: SpanKind, tick: Tick, text: &str) {
        let tag = if kind == SpanKind::Down { DOWN } else { PAUSED };
        self.spans.push(Span {
            lane,
            kind,
            from: tick,
            to: None,
            text: text.to_string(),
        });
        self.pairing.open.insert((lane, tag), self.spans.len() - 1);
    }

    fn close_span(&mut self, lane: usize, kind: SpanKind, tick: Tick, text: &str) {
        let tag = if kind == SpanKind::Down { DOWN } else { PAUSED };
        if let Some(i) = self.pairing.open.remove(&(lane, tag)) {
            let span = &mut self.spans[i];
            span.to = Some(tick);
            span.text.push('\n');
            span.text.push_str(text);
        }
    }

    /// A paused node crashed: what it kept to handle after resuming is gone.
    fn discard_backlog(&mut self, node: &ProcessId, tick: Tick) {
        let mut discarded = Vec::new();
        for ((_, to, _), queue) in self.pairing.pending.iter_mut() {
            if to != node {
                continue;
            }
            let due: Vec<(Tick, u64)> = queue.range(..=(tick, u64::MAX)).map(|(k, _)| *k).collect();
            for key in due {
                if let Some(arrow) = queue.remove(&key) {
                    discarded.push(arrow);
                }
            }
        }
        discarded.sort_unstable();
        for arrow in discarded {
            self.arrows[arrow].fate = Fate::Discarded;
            self.arrows[arrow].end = Some(tick);
            self.describe(
                arrow,
                &format!("[t{tick:>4}] discarded: it waited in {node}'s backlog while paused, and {node} crashed"),
            );
        }
    }

    fn mark<M: fmt::Debug>(&mut self, event: &TraceEvent<M>, kind: &TraceKind, line: &str) {
        let lane = self.lane(&event.node);
        let tick = event.tick;
        let (mark, label) = match kind {
            TraceKind::Timer => (MarkKind::Timer, String::new()),
            TraceKind::RequestTimeout => (MarkKind::RequestTimeout, String::new()),
            TraceKind::StoreDone => (MarkKind::Storage, String::new()),
            TraceKind::StoreFailed => (MarkKind::StorageFailed, "storage failed".to_string()),
            TraceKind::Crash => (MarkKind::Crash, "crash".to_string()),
            TraceKind::Restart => (MarkKind::Restart, "restart".to_string()),
            TraceKind::Pause => (MarkKind::Pause, "pause".to_string()),
            TraceKind::Resume => (MarkKind::Resume, "resume".to_string()),
            TraceKind::Fault => (MarkKind::Fault, event.detail.clone()),
            TraceKind::Note => (MarkKind::Note, event.detail.clone()),
            // Message events without a message kind or a peer cannot be drawn as
            // arrows; keep them visible as a mark.
            _ => (MarkKind::Fault, line.to_string()),
        };
        if let Some(l) = lane {
            match kind {
                TraceKind::Crash => {
                    if self.paused.remove(&l) {
                        self.close_span(l, SpanKind::Paused, tick, line);
                        self.discard_backlog(&event.node, tick);
                    }
                    self.open_span(l, SpanKind::Down, tick, line);
                }
                TraceKind::Restart => self.close_span(l, SpanKind::Down, tick, line),
                TraceKind::Pause => {
                    self.paused.insert(l);
                    self.open_span(l, SpanKind::Paused, tick, line);
                }
                TraceKind::Resume => {
                    self.paused.remove(&l);
                    self.close_span(l, SpanKind::Paused, tick, line);
                }
                _ => {}
            }
        } else if kind != &TraceKind::Fault {
            return;
        }
        self.marks.push(Mark {
            tick,
            lane,
            kind: mark,
            label,
            text: line.to_string(),
            order: self.current,
        });
    }

    fn finish(self) -> SequenceDiagram {
        let kinds: BTreeSet<&'static str> = self.arrows.iter().map(|a| a.kind).collect();
        SequenceDiagram {
            title: String::new(),
            lanes: self.lanes,
            arrows: self.arrows,
            marks: self.marks,
            spans: self.spans,
            kinds: kinds.into_iter().collect(),
            folded: Vec::new(),
            not_kept: 0,
            events: self.events,
            first_tick: self.first_tick.unwrap_or(0),
            last_tick: self.last_tick,
        }
    }
}
