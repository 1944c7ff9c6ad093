//! `SimNet`: the simulated network.
//!
//! Every message gets a delivery tick when it is sent, and waits in a queue ordered by
//! `(deliver_at, seq)` — `seq` is a global send counter, so ties are broken FIFO and a run
//! replays exactly. What can happen to a message, in the order it is decided at send:
//!
//! 1. a message to oneself takes the **loopback lane**: delivered next tick, untouched by
//!    faults, and never handled re-entrantly inside the sender's handler;
//! 2. a **partition** that cuts the link drops it (and, in
//!    [`PartitionMode::AtSendAndDelivery`], a partition that appears while it is in flight
//!    drops it on arrival);
//! 3. **rules** match by sender, receiver and message kind: drop, drop the n-th, delay,
//!    delay until a tick (clog), or hold until released;
//! 4. random **loss** per link or globally;
//! 5. **latency** drawn from the link's `min..=max` range, and with per-link **FIFO** (on by
//!    default, like TCP) never earlier than the previous message on that link;
//! 6. random **duplication** re-delivers a copy later (off by default, like TCP).
//!
//! Every decision is written to the trace, including the reason for each drop.

use crate::id::ProcessId;
use crate::msg::{Envelope, Message};
use crate::rng::SimRng;
use crate::time::Tick;
use crate::trace::{DropReason, Trace, TraceEvent, TraceKind};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::fmt;

/// When partitions are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PartitionMode {
    /// Only when a message is sent: messages already in flight still arrive (a packet on
    /// the wire). The default, and what the DDIA quorum race needs.
    #[default]
    AtSend,
    /// When sent and again when delivered: cutting a link also loses what is in flight
    /// (a TCP connection reset).
    AtSendAndDelivery,
}

/// Network settings. Every default is chosen so that a plain test sees a reliable,
/// ordered network with one tick of latency.
#[derive(Clone, Debug, PartialEq)]
pub struct NetConfig {
    /// Latency range in ticks, `min..=max` (default 1..=1). `min` is at least 1: nothing
    /// sent in tick t arrives before t + 1.
    pub latency: (Tick, Tick),
    /// Per-link FIFO (default true): a message never overtakes an earlier one on the same
    /// link, except through delay rules and holds, which reorder on purpose.
    pub fifo: bool,
    /// Probability that a message is lost (default 0).
    pub loss: f64,
    /// Probability that a message is delivered twice (default 0).
    pub duplicate: f64,
    /// When partitions apply (default [`PartitionMode::AtSend`]).
    pub partition_mode: PartitionMode,
    /// Record each message's body (its `Debug` form) in the trace (default true).
    pub trace_payloads: bool,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            latency: (1, 1),
            fifo: true,
            loss: 0.0,
            duplicate: 0.0,
            partition_mode: PartitionMode::AtSend,
            trace_payloads: true,
        }
    }
}

/// Which nodes a rule matches on one end of a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sel {
    /// Every node.
    Any,
    /// One node.
    Node(ProcessId),
    /// A set of nodes.
    Group(BTreeSet<ProcessId>),
}

impl Sel {
    fn matches(&self, id: &ProcessId) -> bool {
        match self {
            Sel::Any => true,
            Sel::Node(n) => n == id,
            Sel::Group(g) => g.contains(id),
        }
    }
}

impl From<&str> for Sel {
    fn from(id: &str) -> Self {
        Sel::Node(ProcessId::new(id))
    }
}

impl From<ProcessId> for Sel {
    fn from(id: ProcessId) -> Self {
        Sel::Node(id)
    }
}

impl From<&ProcessId> for Sel {
    fn from(id: &ProcessId) -> Self {
        Sel::Node(id.clone())
    }
}

impl<const N: usize> From<[&str; N]> for Sel {
    fn from(ids: [&str; N]) -> Self {
        Sel::Group(ids.iter().map(ProcessId::new).collect())
    }
}

impl From<&[&str]> for Sel {
    fn from(ids: &[&str]) -> Self {
        Sel::Group(ids.iter().map(ProcessId::new).collect())
    }
}

impl From<&[ProcessId]> for Sel {
    fn from(ids: &[ProcessId]) -> Self {
        Sel::Group(ids.iter().cloned().collect())
    }
}

impl From<Vec<ProcessId>> for Sel {
    fn from(ids: Vec<ProcessId>) -> Self {
        Sel::Group(ids.into_iter().collect())
    }
}

/// What a rule does to the messages it matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Lose every match.
    Drop,
    /// Lose only the n-th match (1-based), let the others through.
    DropNth(u64),
    /// Add this many ticks of latency.
    Delay(Tick),
    /// Deliver no earlier than this tick (a clogged link).
    DelayUntil(Tick),
    /// Keep matches aside until the rule is removed, then deliver them (each exactly once).
    Hold,
    /// Deliver each match, and a copy of it this many ticks after it (a duplicate, as a
    /// network that retransmits makes one).
    Duplicate(Tick),
}

/// A fault rule: which messages, what to do, and until when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Senders it applies to.
    pub from: Sel,
    /// Receivers it applies to.
    pub to: Sel,
    /// Message kind it applies to (`None`: every kind).
    pub kind: Option<String>,
    /// What to do.
    pub action: Action,
    /// Last tick at which the rule is active (`None`: until removed).
    pub until: Option<Tick>,
}

/// Handle of an installed rule, used to remove it (and release what it holds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuleId(pub u64);

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rule {}", self.0)
    }
}

#[derive(Clone, Debug)]
struct RuleEntry {
    id: RuleId,
    rule: Rule,
    matched: u64,
}

/// Per-link overrides of the global settings.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct LinkConfig {
    latency: Option<(Tick, Tick)>,
    loss: Option<f64>,
}

/// A message on its way.
#[derive(Clone, Debug)]
pub struct InFlight<M> {
    /// Tick at which it arrives.
    pub deliver_at: Tick,
    /// Global send sequence number (tie-breaker).
    pub seq: u64,
    /// Sender's node index.
    pub from_index: usize,
    /// Receiver's node index.
    pub to_index: usize,
    /// The envelope.
    pub env: Envelope<M>,
}

/// The simulated network.
pub struct SimNet<M> {
    config: NetConfig,
    rng: SimRng,
    ids: Vec<ProcessId>,
    /// Delivery order: `(deliver_at, seq)` keys pointing into `slab`, so heap sifts move
    /// 24 bytes instead of whole envelopes.
    queue: BinaryHeap<Reverse<(Tick, u64, usize)>>,
    slab: Vec<Option<InFlight<M>>>,
    free: Vec<usize>,
    held: Vec<(RuleId, InFlight<M>)>,
    blocked: Vec<Vec<bool>>,
    links: BTreeMap<(usize, usize), LinkConfig>,
    last_deliver: Vec<Vec<Tick>>,
    rules: Vec<RuleEntry>,
    seq: u64,
    next_rule: u64,
}

impl<M> fmt::Debug for SimNet<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimNet")
            .field("in_flight", &self.queue.len())
            .field("held", &self.held.len())
            .field("rules", &self.rules.len())
            .finish()
    }
}

fn note<M: Message>(trace: &mut Trace<M>, now: Tick, detail: String) {
    trace.record(TraceEvent::new(now, ProcessId::new("net"), TraceKind::Fault).detail(detail));
}

impl<M: Message> SimNet<M> {
    /// A network with its own random stream.
    pub fn new(config: NetConfig, rng: SimRng) -> Self {
        assert!(
            config.latency.0 >= 1,
            "latency must be at least one tick: nothing arrives in the tick it was sent"
        );
        assert!(
            config.latency.0 <= config.latency.1,
            "latency range must be min..=max"
        );
        SimNet {
            config,
            rng,
            ids: Vec::new(),
            queue: BinaryHeap::new(),
            slab: Vec::new(),
            free: Vec::new(),
            held: Vec::new(),
            blocked: Vec::new(),
            links: BTreeMap::new(),
            last_deliver: Vec::new(),
            rules: Vec::new(),
            seq: 0,
            next_rule: 0,
        }
    }

    fn enqueue(&mut self, flight: InFlight<M>) {
        let key = (flight.deliver_at, flight.seq);
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slab[slot] = Some(flight);
                slot
            }
            None => {
                self.slab.push(Some(flight));
                self.slab.len() - 1
            }
        };
        self.queue.push(Reverse((key.0, key.1, slot)));
    }

    /// Register a node; returns its index.
    pub fn add_node(&mut self, id: ProcessId) -> usize {
        assert!(!self.ids.contains(&id), "node {id} registered twice");
        self.ids.push(id);
        let n = self.ids.len();
        for row in &mut self.blocked {
            row.resize(n, false);
        }
        for row in &mut self.last_deliver {
            row.resize(n, 0);
        }
        self.blocked.push(vec![false; n]);
        self.last_deliver.push(vec![0; n]);
        n - 1
    }

    /// Every registered node, in registration order.
    pub fn ids(&self) -> &[ProcessId] {
        &self.ids
    }

    /// The index of a registered node.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.ids.iter().position(|p| p.as_str() == id)
    }

    fn idx(&self, id: &str) -> usize {
        self.index_of(id)
            .unwrap_or_else(|| panic!("unknown node {id}: not part of the cluster"))
    }

    /// The settings in force.
    pub fn config(&self) -> &NetConfig {
        &self.config
    }

    /// Change the global settings (latency range, loss, duplication, FIFO, mode).
    pub fn set_config(&mut self, config: NetConfig) {
        assert!(
            config.latency.0 >= 1 && config.latency.0 <= config.latency.1,
            "latency must be 1 <= min <= max"
        );
        self.config = config;
    }

    // ----- sending and delivering -----

    /// Put a message on the network at tick `now` (it arrives at `now + 1` at the earliest).
    pub fn send(
        &mut self,
        now: Tick,
        from_index: usize,
        to_index: usize,
        env: Envelope<M>,
        trace: &mut Trace<M>,
    ) {
        self.seq += 1;
        let seq = self.seq;
        let keep = self.config.trace_payloads;
        let mut event = TraceEvent::at_sender(now, TraceKind::Send { deliver_at: None }, &env);
        let mut flight = InFlight {
            deliver_at: now + 1,
            seq,
            from_index,
            to_index,
            env,
        };
        if from_index == to_index {
            event.kind = TraceKind::Send {
                deliver_at: Some(flight.deliver_at),
            };
            trace.record_message(event, &flight.env.body, keep);
            self.enqueue(flight);
            return;
        }
        if self.blocked[from_index][to_index] {
            event.kind = TraceKind::Drop(DropReason::Partition);
            trace.record_message(event, &flight.env.body, keep);
            return;
        }
        let mut extra = 0;
        let mut not_before = 0;
        let mut copy_after = None;
        if !self.rules.is_empty() {
            self.rules.retain(|r| r.rule.until.is_none_or(|u| u >= now));
            let kind = flight.env.body.kind();
            for entry in &mut self.rules {
                let rule = &entry.rule;
                if !(rule.from.matches(&flight.env.from) && rule.to.matches(&flight.env.to)) {
                    continue;
                }
                if rule.kind.as_deref().is_some_and(|k| k != kind) {
                    continue;
                }
                entry.matched += 1;
                match rule.action {
                    Action::Drop => {
                        event.kind = TraceKind::Drop(DropReason::Rule(entry.id.0));
                        trace.record_message(event, &flight.env.body, keep);
                        return;
                    }
                    Action::DropNth(n) if entry.matched == n => {
                        event.kind = TraceKind::Drop(DropReason::Rule(entry.id.0));
                        trace.record_message(event, &flight.env.body, keep);
                        return;
                    }
                    Action::DropNth(_) => {}
                    Action::Delay(d) => extra += d,
                    Action::DelayUntil(t) => not_before = not_before.max(t),
                    Action::Hold => {
                        trace.record_message(event, &flight.env.body, keep);
                        self.held.push((entry.id, flight));
                        return;
                    }
                    Action::Duplicate(after) => copy_after = Some(after),
                }
            }
        }
        let link = self
            .links
            .get(&(from_index, to_index))
            .copied()
            .unwrap_or_default();
        if self.rng.chance(link.loss.unwrap_or(self.config.loss)) {
            event.kind = TraceKind::Drop(DropReason::Loss);
            trace.record_message(event, &flight.env.body, keep);
            return;
        }
        let (lo, hi) = link.latency.unwrap_or(self.config.latency);
        let base = now + self.rng.range(lo, hi);
        let mut deliver_at = if self.config.fifo && extra == 0 && not_before == 0 {
            let at = base.max(self.last_deliver[from_index][to_index]);
            self.last_deliver[from_index][to_index] = at;
            at
        } else {
            base + extra
        };
        deliver_at = deliver_at.max(not_before);
        flight.deliver_at = deliver_at;
        event.kind = TraceKind::Send {
            deliver_at: Some(deliver_at),
        };
        // A rule's copy draws nothing, so runs without such a rule keep their draws.
        if copy_after.is_some() || self.rng.chance(self.config.duplicate) {
            self.seq += 1;
            let mut copy = flight.clone();
            copy.seq = self.seq;
            copy.deliver_at = deliver_at
                + match copy_after {
                    Some(after) => after,
                    None => self.rng.range(1, hi.max(1)),
                };
            let mut dup = event.clone();
            dup.kind = TraceKind::Duplicate {
                deliver_at: copy.deliver_at,
            };
            trace.record_message(event, &flight.env.body, keep);
            trace.record_message(dup, &flight.env.body, keep);
            self.enqueue(copy);
        } else {
            trace.record_message(event, &flight.env.body, keep);
        }
        self.enqueue(flight);
    }

    /// The next message due at or before `now`, earliest `(deliver_at, seq)` first.
    /// In [`PartitionMode::AtSendAndDelivery`] a message whose link is now cut is dropped
    /// (and traced) instead of returned.
    pub fn pop_due(&mut self, now: Tick, trace: &mut Trace<M>) -> Option<InFlight<M>> {
        loop {
            let Reverse((deliver_at, _, slot)) = *self.queue.peek()?;
            if deliver_at > now {
                return None;
            }
            self.queue.pop();
            let flight = self.slab[slot]
                .take()
                .expect("every queued key points at a message in the slab");
            self.free.push(slot);
            let cut = self.config.partition_mode == PartitionMode::AtSendAndDelivery
                && flight.from_index != flight.to_index
                && self.blocked[flight.from_index][flight.to_index];
            if !cut {
                return Some(flight);
            }
            trace.record(
                TraceEvent::at_receiver(now, TraceKind::Drop(DropReason::Partition), &flight.env)
                    .detail(crate::trace::CUT_IN_FLIGHT),
            );
        }
    }

    /// Messages in flight (not held), earliest first.
    pub fn in_flight(&self) -> Vec<&InFlight<M>> {
        let mut all: Vec<&InFlight<M>> = self.slab.iter().flatten().collect();
        all.sort_by_key(|f| (f.deliver_at, f.seq));
        all
    }

    /// Messages held by rules, in the order they were held.
    pub fn held(&self) -> impl Iterator<Item = (RuleId, &InFlight<M>)> {
        self.held.iter().map(|(id, f)| (*id, f))
    }

    /// Nothing in flight and nothing held.
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty() && self.held.is_empty()
    }

    // ----- partitions -----

    fn set_blocked(&mut self, a: usize, b: usize, blocked: bool) {
        if a != b {
            self.blocked[a][b] = blocked;
        }
    }

    /// Cut every link between nodes of different groups, both ways. Nodes in no group
    /// keep their links.
    pub fn partition(&mut self, now: Tick, groups: &[&[&str]], trace: &mut Trace<M>) {
        let idx: Vec<Vec<usize>> = groups
            .iter()
            .map(|g| g.iter().map(|id| self.idx(id)).collect())
            .collect();
        for (i, a) in idx.iter().enumerate() {
            for b in idx.iter().skip(i + 1) {
                for &x in a {
                    for &y in b {
                        self.set_blocked(x, y, true);
                        self.set_blocked(y, x, true);
                    }
                }
            }
        }
        note(trace, now, format!("partition {groups:?}"));
    }

    /// Cut the link from `from` to `to` only: `to` still reaches `from`.
    pub fn one_way(&mut self, now: Tick, from: &str, to: &str, trace: &mut Trace<M>) {
        let (a, b) = (self.idx(from), self.idx(to));
        self.set_blocked(a, b, true);
        note(trace, now, format!("one-way cut {from} -> {to}"));
    }

    /// Cut every link to and from `id`.
    pub fn isolate(&mut self, now: Tick, id: &str, trace: &mut Trace<M>) {
        let a = self.idx(id);
        for b in 0..self.ids.len() {
            self.set_blocked(a, b, true);
            self.set_blocked(b, a, true);
        }
        note(trace, now, format!("isolate {id}"));
    }

    /// Restore every link to and from `id`.
    pub fn reconnect(&mut self, now: Tick, id: &str, trace: &mut Trace<M>) {
        let a = self.idx(id);
        for b in 0..self.ids.len() {
            self.set_blocked(a, b, false);
            self.set_blocked(b, a, false);
        }
        note(trace, now, format!("reconnect {id}"));
    }

    /// Restore the links between `a` and `b`, both ways.
    pub fn heal(&mut self, now: Tick, a: &str, b: &str, trace: &mut Trace<M>) {
        let (x, y) = (self.idx(a), self.idx(b));
        self.set_blocked(x, y, false);
        self.set_blocked(y, x, false);
        note(trace, now, format!("heal {a} <-> {b}"));
    }

    /// Restore every link. Rules stay: remove them with [`SimNet::remove_rule`] or
    /// [`SimNet::clear_rules`].
    pub fn heal_all(&mut self, now: Tick, trace: &mut Trace<M>) {
        for row in &mut self.blocked {
            row.fill(false);
        }
        note(trace, now, "heal all partitions".into());
    }

    /// Whether messages from `from` to `to` are currently cut.
    pub fn is_cut(&self, from: &str, to: &str) -> bool {
        self.blocked[self.idx(from)][self.idx(to)]
    }

    /// Every cut directed link, as `(from, to)` names, in node order.
    pub fn cut_links(&self) -> Vec<(ProcessId, ProcessId)> {
        let mut out = Vec::new();
        for (a, row) in self.blocked.iter().enumerate() {
            for (b, cut) in row.iter().enumerate() {
                if *cut {
                    out.push((self.ids[a].clone(), self.ids[b].clone()));
                }
            }
        }
        out
    }

    // ----- per-link settings -----

    /// Latency range for the link `from -> to`.
    pub fn set_link_latency(&mut self, from: &str, to: &str, min: Tick, max: Tick) {
        assert!(min >= 1 && min <= max, "latency must be 1 <= min <= max");
        let key = (self.idx(from), self.idx(to));
        self.links.entry(key).or_default().latency = Some((min, max));
    }

    /// Loss probability for the link `from -> to`.
    pub fn set_link_loss(&mut self, from: &str, to: &str, probability: f64) {
        let key = (self.idx(from), self.idx(to));
        self.links.entry(key).or_default().loss = Some(probability);
    }

    // ----- rules -----

    /// Install a rule; returns its handle.
    pub fn add_rule(&mut self, now: Tick, rule: Rule, trace: &mut Trace<M>) -> RuleId {
        self.next_rule += 1;
        let id = RuleId(self.next_rule);
        note(trace, now, format!("{id}: {rule:?}"));
        self.rules.push(RuleEntry {
            id,
            rule,
            matched: 0,
        });
        id
    }

    /// Remove a rule. Messages it held are released: each is delivered exactly once, one
    /// tick later, in the order it was held.
    pub fn remove_rule(&mut self, now: Tick, id: RuleId, trace: &mut Trace<M>) {
        self.rules.retain(|r| r.id != id);
        let (released, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|(r, _)| *r == id);
        self.held = kept;
        note(
            trace,
            now,
            format!("remove {id}, releasing {} held message(s)", released.len()),
        );
        for (_, mut flight) in released {
            flight.deliver_at = now + 1;
            let kind = TraceKind::Release {
                deliver_at: flight.deliver_at,
            };
            trace.record(TraceEvent::at_sender(now, kind, &flight.env));
            self.enqueue(flight);
        }
    }

    /// Remove every rule, releasing everything held.
    pub fn clear_rules(&mut self, now: Tick, trace: &mut Trace<M>) {
        let ids: Vec<RuleId> = self.rules.iter().map(|r| r.id).collect();
        for id in ids {
            self.remove_rule(now, id, trace);
        }
    }

    /// The installed rules, oldest first.
    pub fn rules(&self) -> Vec<(RuleId, &Rule)> {
        self.rules.iter().map(|e| (e.id, &e.rule)).collect()
    }

    /// Heal all partitions, remove all rules (releasing held messages) and forget per-link
    /// settings. Messages already in flight are kept.
    pub fn reset(&mut self, now: Tick, trace: &mut Trace<M>) {
        self.heal_all(now, trace);
        self.clear_rules(now, trace);
        self.links.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::CorrId;
    use serde::{Deserialize, Serialize};

    #[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
    enum M {
        Data(u32),
        Commit,
    }
    impl Message for M {
        fn kind(&self) -> &'static str {
            match self {
                M::Data(_) => "Data",
                M::Commit => "Commit",
            }
        }
    }

    struct Net {
        net: SimNet<M>,
        trace: Trace<M>,
    }

    fn net(config: NetConfig) -> Net {
        let mut net = SimNet::new(config, SimRng::new(1));
        for id in ["a", "b", "c"] {
            net.add_node(ProcessId::new(id));
        }
        Net {
            net,
            trace: Trace::new(1000),
        }
    }

    fn env(from: &str, to: &str, body: M) -> Envelope<M> {
        Envelope {
            from: from.into(),
            to: to.into(),
            corr: None,
            in_reply_to: None,
            body,
        }
    }

    impl Net {
        fn send(&mut self, now: Tick, from: &str, to: &str, body: M) {
            let (a, b) = (self.net.idx(from), self.net.idx(to));
            self.net
                .send(now, a, b, env(from, to, body), &mut self.trace);
        }
        fn due(&mut self, now: Tick) -> Vec<(String, M)> {
            let mut out = Vec::new();
            while let Some(f) = self.net.pop_due(now, &mut self.trace) {
                out.push((f.env.to.to_string(), f.env.body));
            }
            out
        }
    }

    #[test]
    fn nothing_sent_in_a_tick_arrives_in_that_tick() {
        let mut n = net(NetConfig::default());
        n.send(5, "a", "b", M::Data(1));
        assert!(
            n.due(5).is_empty(),
            "a message must not arrive in the tick it was sent"
        );
        assert_eq!(n.due(6), vec![("b".into(), M::Data(1))]);
    }

    #[test]
    fn messages_due_in_the_same_tick_arrive_in_send_order() {
        let mut n = net(NetConfig::default());
        for i in 0..5 {
            n.send(1, "a", "b", M::Data(i));
        }
        let got: Vec<M> = n.due(2).into_iter().map(|(_, m)| m).collect();
        assert_eq!(
            got,
            (0..5).map(M::Data).collect::<Vec<_>>(),
            "ties must break by send order"
        );
    }

    #[test]
    fn fifo_links_never_reorder_even_with_random_latency() {
        let mut n = net(NetConfig {
            latency: (1, 10),
            ..NetConfig::default()
        });
        for i in 0..50 {
            n.send(i as Tick, "a", "b", M::Data(i));
        }
        let got: Vec<M> = n.due(1000).into_iter().map(|(_, m)| m).collect();
        assert_eq!(got, (0..50).map(M::Data).collect::<Vec<_>>());
    }

    #[test]
    fn without_fifo_random_latency_reorders_a_link() {
        let mut n = net(NetConfig {
            latency: (1, 10),
            fifo: false,
            ..NetConfig::default()
        });
        for i in 0..50 {
            n.send(0, "a", "b", M::Data(i));
        }
        let got: Vec<M> = n.due(1000).into_iter().map(|(_, m)| m).collect();
        assert_eq!(got.len(), 50, "every message must still arrive");
        assert_ne!(
            got,
            (0..50).map(M::Data).collect::<Vec<_>>(),
            "50 messages over 1..=10 ticks should reorder"
        );
    }

    #[test]
    fn partition_applied_at_send_lets_in_flight_messages_through() {
        let mut n = net(NetConfig {
            latency: (3, 3),
            ..NetConfig::default()
        });
        n.send(0, "a", "b", M::Data(1));
        n.net.partition(1, &[&["a"], &["b", "c"]], &mut n.trace);
        n.send(1, "a", "b", M::Data(2));
        assert_eq!(
            n.due(10),
            vec![("b".into(), M::Data(1))],
            "the message sent before the cut must arrive; the one after must not"
        );
    }

    #[test]
    fn partition_applied_at_send_and_delivery_loses_in_flight_messages() {
        let mut n = net(NetConfig {
            latency: (3, 3),
            partition_mode: PartitionMode::AtSendAndDelivery,
            ..NetConfig::default()
        });
        n.send(0, "a", "b", M::Data(1));
        n.net.partition(1, &[&["a"], &["b", "c"]], &mut n.trace);
        assert!(
            n.due(10).is_empty(),
            "a cut connection loses what is in flight"
        );
        assert!(
            n.trace.render().contains("link cut while in flight"),
            "the drop must be traced with its reason"
        );
    }

    #[test]
    fn a_one_way_cut_blocks_only_one_direction() {
        let mut n = net(NetConfig::default());
        n.net.one_way(0, "a", "b", &mut n.trace);
        n.send(0, "a", "b", M::Data(1));
        n.send(0, "b", "a", M::Data(2));
        assert_eq!(n.due(1), vec![("a".into(), M::Data(2))]);
    }

    #[test]
    fn isolate_cuts_every_link_and_reconnect_restores_them() {
        let mut n = net(NetConfig::default());
        n.net.isolate(0, "b", &mut n.trace);
        assert!(n.net.is_cut("a", "b") && n.net.is_cut("b", "c") && !n.net.is_cut("a", "c"));
        n.net.reconnect(0, "b", &mut n.trace);
        assert!(
            n.net.cut_links().is_empty(),
            "reconnect must restore every link of b"
        );
    }

    #[test]
    fn loopback_is_untouched_by_partitions_and_rules() {
        let mut n = net(NetConfig::default());
        n.net.isolate(0, "a", &mut n.trace);
        n.net.add_rule(
            0,
            Rule {
                from: Sel::Any,
                to: Sel::Any,
                kind: None,
                action: Action::Drop,
                until: None,
            },
            &mut n.trace,
        );
        n.send(0, "a", "a", M::Data(7));
        assert_eq!(
            n.due(1),
            vec![("a".into(), M::Data(7))],
            "a node always reaches itself, one tick later"
        );
    }

    #[test]
    fn a_drop_rule_matches_only_its_kind_and_a_second_rule_on_the_same_link_also_applies() {
        let mut n = net(NetConfig::default());
        let commit = Rule {
            from: "a".into(),
            to: Sel::Any,
            kind: Some("Commit".into()),
            action: Action::Drop,
            until: None,
        };
        n.net.add_rule(0, commit, &mut n.trace);
        let delay = Rule {
            from: "a".into(),
            to: "b".into(),
            kind: Some("Data".into()),
            action: Action::Delay(5),
            until: None,
        };
        n.net.add_rule(0, delay, &mut n.trace);
        n.send(0, "a", "b", M::Commit);
        n.send(0, "a", "b", M::Data(1));
        assert!(n.due(5).is_empty(), "commit dropped, data delayed");
        assert_eq!(
            n.due(6),
            vec![("b".into(), M::Data(1))],
            "the second rule on the link must apply too"
        );
    }

    #[test]
    fn drop_nth_drops_exactly_the_nth_match() {
        let mut n = net(NetConfig::default());
        let rule = Rule {
            from: Sel::Any,
            to: Sel::Any,
            kind: Some("Data".into()),
            action: Action::DropNth(2),
            until: None,
        };
        n.net.add_rule(0, rule, &mut n.trace);
        for i in 1..=4 {
            n.send(0, "a", "b", M::Data(i));
        }
        let got: Vec<M> = n.due(1).into_iter().map(|(_, m)| m).collect();
        assert_eq!(got, vec![M::Data(1), M::Data(3), M::Data(4)]);
    }

    #[test]
    fn a_duplicate_rule_delivers_each_match_and_a_copy_after_the_given_ticks() {
        let mut n = net(NetConfig::default());
        let rule = Rule {
            from: Sel::Node("a".into()),
            to: Sel::Node("b".into()),
            kind: Some("Data".into()),
            action: Action::Duplicate(5),
            until: None,
        };
        n.net.add_rule(0, rule, &mut n.trace);
        n.send(0, "a", "b", M::Data(1));
        n.send(0, "a", "c", M::Data(2));
        assert_eq!(
            n.due(1),
            vec![("b".into(), M::Data(1)), ("c".into(), M::Data(2))],
            "each message arrives once at the latency, whether the rule matches or not"
        );
        assert!(
            n.due(5).is_empty(),
            "the copy is not due before 1 + 5 ticks"
        );
        assert_eq!(
            n.due(6),
            vec![("b".into(), M::Data(1))],
            "only the matching message is copied, 5 ticks after it arrived"
        );
        assert!(
            n.trace.render().contains("duplicate Data"),
            "the copy is traced as a duplicate:\n{}",
            n.trace.render()
        );
    }

    #[test]
    fn a_delay_rule_keeps_working_in_long_runs() {
        // tickloom compared a duration with the absolute tick, so delays stopped working late.
        let mut n = net(NetConfig::default());
        let rule = Rule {
            from: Sel::Any,
            to: Sel::Any,
            kind: None,
            action: Action::Delay(10),
            until: None,
        };
        n.net.add_rule(0, rule, &mut n.trace);
        n.send(1_000_000, "a", "b", M::Data(1));
        assert!(n.due(1_000_010).is_empty(), "a delay must hold at any tick");
        assert_eq!(n.due(1_000_011).len(), 1);
    }

    #[test]
    fn a_rule_with_an_end_tick_stops_applying_after_it() {
        let mut n = net(NetConfig::default());
        let rule = Rule {
            from: Sel::Any,
            to: Sel::Any,
            kind: None,
            action: Action::Drop,
            until: Some(5),
        };
        n.net.add_rule(0, rule, &mut n.trace);
        n.send(5, "a", "b", M::Data(1));
        n.send(6, "a", "b", M::Data(2));
        assert_eq!(n.due(10), vec![("b".into(), M::Data(2))]);
        assert!(n.net.rules().is_empty(), "an expired rule is removed");
    }

    #[test]
    fn a_held_message_is_delivered_exactly_once_after_release() {
        let mut n = net(NetConfig::default());
        let hold = Rule {
            from: "a".into(),
            to: "b".into(),
            kind: None,
            action: Action::Hold,
            until: None,
        };
        let id = n.net.add_rule(0, hold, &mut n.trace);
        n.send(0, "a", "b", M::Data(1));
        n.send(0, "a", "b", M::Data(2));
        assert!(
            n.due(100).is_empty(),
            "held messages wait however long it takes"
        );
        assert_eq!(n.net.held().count(), 2);
        n.net.remove_rule(100, id, &mut n.trace);
        assert_eq!(
            n.due(101),
            vec![("b".into(), M::Data(1)), ("b".into(), M::Data(2))],
            "released in hold order"
        );
        assert!(
            n.due(1000).is_empty(),
            "a released message must not arrive twice"
        );
        assert!(n.net.is_idle());
    }

    #[test]
    fn clogging_a_link_delivers_no_earlier_than_the_clog_ends() {
        let mut n = net(NetConfig::default());
        let clog = Rule {
            from: "a".into(),
            to: "b".into(),
            kind: None,
            action: Action::DelayUntil(20),
            until: Some(20),
        };
        n.net.add_rule(0, clog, &mut n.trace);
        n.send(3, "a", "b", M::Data(1));
        assert!(n.due(19).is_empty());
        assert_eq!(
            n.due(20).len(),
            1,
            "delivered when the clog ends, not later"
        );
    }

    #[test]
    fn total_loss_drops_everything_and_traces_the_reason() {
        let mut n = net(NetConfig {
            loss: 1.0,
            ..NetConfig::default()
        });
        n.send(0, "a", "b", M::Data(1));
        assert!(n.due(10).is_empty());
        assert!(
            n.trace.render().contains("DROP Data (loss)"),
            "{}",
            n.trace.render()
        );
    }

    #[test]
    fn per_link_loss_overrides_the_global_setting() {
        let mut n = net(NetConfig::default());
        n.net.set_link_loss("a", "b", 1.0);
        n.send(0, "a", "b", M::Data(1));
        n.send(0, "a", "c", M::Data(2));
        assert_eq!(n.due(1), vec![("c".into(), M::Data(2))]);
    }

    #[test]
    fn duplication_delivers_a_second_copy_later() {
        let mut n = net(NetConfig {
            duplicate: 1.0,
            ..NetConfig::default()
        });
        n.send(0, "a", "b", M::Data(1));
        let got = n.due(100);
        assert_eq!(
            got,
            vec![("b".into(), M::Data(1)), ("b".into(), M::Data(1))]
        );
    }

    #[test]
    fn replies_keep_their_correlation_id_in_the_trace() {
        let mut n = net(NetConfig::default());
        let mut e = env("a", "b", M::Data(1));
        e.in_reply_to = Some(CorrId::new(0, 9));
        n.net.send(0, 0, 1, e, &mut n.trace);
        assert!(n.trace.render().contains("#0.9"), "{}", n.trace.render());
    }
}
