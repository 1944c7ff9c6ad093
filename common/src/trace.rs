//! The structured trace of a simulated run.
//!
//! Every send, drop (with its reason), delivery, timer, crash and storage completion is
//! recorded as a [`TraceEvent`] with its tick. The trace feeds two things:
//! * a readable log, printed by examples and by failing tests (the tail of the run);
//! * [`Trace::hash`], a running hash over *every* event. Two runs with the same seed must
//!   have the same hash; if they do not, something nondeterministic leaked into the
//!   simulation (a hash-map iteration, the wall clock, a thread).
//!
//! Only the last `capacity` events are kept; the hash covers them all.
//!
//! Long runs stay cheap: a message body is hashed straight from the message, without a
//! copy, and is kept in the event only when payload tracing is on
//! ([`crate::NetConfig::trace_payloads`]); message kinds that would flood the buffer
//! (heartbeats) can be *folded* with [`Trace::fold`]: they are hashed and counted, not
//! kept. Either way the determinism hash still covers every message's content.

use crate::id::{CorrId, ProcessId};
use crate::msg::{Envelope, Message};
use crate::time::Tick;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;

/// Why a message was not delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// The link was cut by a partition.
    Partition,
    /// Random loss on the link.
    Loss,
    /// A drop rule matched (its id).
    Rule(u64),
    /// The destination was crashed when the message arrived.
    NodeDown,
    /// A reply whose request is no longer waiting (answered, timed out, or addressed to
    /// an earlier incarnation of the node).
    NoWaiter,
    /// The destination is not part of the cluster.
    UnknownNode,
}

/// The detail of a drop recorded at the receiver because its link was cut while the
/// message was in flight (partitions in [`crate::PartitionMode::AtSendAndDelivery`]).
pub const CUT_IN_FLIGHT: &str = "link cut while in flight";

/// The detail of a loss recorded at the receiver because a step of a scripted cluster
/// lost a message it had held in flight (see [`crate::cluster::Cluster::step`]).
pub const LOST_IN_FLIGHT: &str = "lost in flight";

impl DropReason {
    /// Whether a drop with this reason and `detail` is recorded at the receiver (the
    /// message travelled and was lost on arrival: the node was down, nobody waited for
    /// the reply, the link was cut in flight) rather than at the sender (it never left).
    pub fn on_arrival(&self, detail: &str) -> bool {
        match self {
            DropReason::NodeDown | DropReason::NoWaiter => true,
            DropReason::Partition => detail == CUT_IN_FLIGHT,
            DropReason::Loss => detail == LOST_IN_FLIGHT,
            DropReason::Rule(_) | DropReason::UnknownNode => false,
        }
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DropReason::Partition => f.write_str("partition"),
            DropReason::Loss => f.write_str("loss"),
            DropReason::Rule(id) => write!(f, "rule {id}"),
            DropReason::NodeDown => f.write_str("node down"),
            DropReason::NoWaiter => f.write_str("no waiter (late or stale reply)"),
            DropReason::UnknownNode => f.write_str("unknown node"),
        }
    }
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceKind {
    /// A message entered the network, to be delivered at the given tick (or held).
    Send {
        /// Tick at which it will be delivered, `None` while held by a rule.
        deliver_at: Option<Tick>,
    },
    /// A message reached its destination's handler.
    Deliver,
    /// A message was lost.
    Drop(DropReason),
    /// The network made an extra copy of a message.
    Duplicate {
        /// Tick at which the copy will be delivered.
        deliver_at: Tick,
    },
    /// A held message was released: by removing its rule, or by a step of a scripted
    /// cluster that delivers it.
    Release {
        /// Tick at which it will be delivered.
        deliver_at: Tick,
    },
    /// A timer fired.
    Timer,
    /// A request's deadline passed without a reply.
    RequestTimeout,
    /// A storage operation completed.
    StoreDone,
    /// A storage operation failed (injected fault).
    StoreFailed,
    /// The node crashed.
    Crash,
    /// The node restarted as a new incarnation.
    Restart,
    /// The node was paused (its memory kept).
    Pause,
    /// The node resumed.
    Resume,
    /// A fault or network change applied by the test or the nemesis.
    Fault,
    /// A line written by a process with `Ctx::note`.
    Note,
}

impl TraceKind {
    fn tag(&self) -> u64 {
        match self {
            TraceKind::Send { .. } => 1,
            TraceKind::Deliver => 2,
            TraceKind::Drop(_) => 3,
            TraceKind::Duplicate { .. } => 4,
            TraceKind::Release { .. } => 5,
            TraceKind::Timer => 6,
            TraceKind::RequestTimeout => 7,
            TraceKind::StoreDone => 8,
            TraceKind::StoreFailed => 9,
            TraceKind::Crash => 10,
            TraceKind::Restart => 11,
            TraceKind::Pause => 12,
            TraceKind::Resume => 13,
            TraceKind::Fault => 14,
            TraceKind::Note => 15,
        }
    }
}

/// One recorded event; `M` is the cluster's message type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceEvent<M> {
    /// When.
    pub tick: Tick,
    /// The node the event happened at (the sender for `Send`, the receiver for `Deliver`).
    pub node: ProcessId,
    /// The other end of a message, if any.
    pub peer: Option<ProcessId>,
    /// What happened.
    pub kind: TraceKind,
    /// The message kind (`Message::kind`), if a message is involved.
    pub msg: Option<&'static str>,
    /// Correlation id of a request, or of the request a reply answers.
    pub corr: Option<CorrId>,
    /// Free text: a fault description, a note, a storage operation.
    pub detail: String,
    /// The message itself, when payload tracing is on (rendered only when displayed).
    pub body: Option<M>,
}

impl<M> TraceEvent<M> {
    /// An event at `node` with no message attached; add the rest with the builder methods.
    pub fn new(tick: Tick, node: ProcessId, kind: TraceKind) -> Self {
        TraceEvent {
            tick,
            node,
            peer: None,
            kind,
            msg: None,
            corr: None,
            detail: String::new(),
            body: None,
        }
    }

    /// The other end of the message.
    pub fn peer(mut self, peer: ProcessId) -> Self {
        self.peer = Some(peer);
        self
    }

    /// Free text.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }

    /// The correlation id the event concerns.
    pub fn corr(mut self, corr: CorrId) -> Self {
        self.corr = Some(corr);
        self
    }
}

impl<M: Message> TraceEvent<M> {
    /// An event at the sender of `env` (a send, a drop on the way).
    pub fn at_sender(tick: Tick, kind: TraceKind, env: &Envelope<M>) -> Self {
        Self::about(tick, env.from.clone(), env.to.clone(), kind, env)
    }

    /// An event at the receiver of `env` (a delivery, a drop on arrival).
    pub fn at_receiver(tick: Tick, kind: TraceKind, env: &Envelope<M>) -> Self {
        Self::about(tick, env.to.clone(), env.from.clone(), kind, env)
    }

    fn about(
        tick: Tick,
        node: ProcessId,
        peer: ProcessId,
        kind: TraceKind,
        env: &Envelope<M>,
    ) -> Self {
        TraceEvent {
            tick,
            node,
            peer: Some(peer),
            kind,
            msg: Some(env.body.kind()),
            corr: env.corr.or(env.in_reply_to),
            detail: String::new(),
            body: None,
        }
    }
}

impl<M: fmt::Debug> fmt::Display for TraceEvent<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[t{:>4}] ", self.tick)?;
        let corr = self.corr.map(|c| format!(" {c}")).unwrap_or_default();
        let msg = self.msg.unwrap_or("");
        let peer = self.peer.as_ref().map(ProcessId::as_str).unwrap_or("?");
        match &self.kind {
            TraceKind::Send { deliver_at } => {
                let when = deliver_at
                    .map(|t| format!("arrives t{t}"))
                    .unwrap_or_else(|| "held".into());
                write!(f, "{} -> {peer} send {msg}{corr} ({when})", self.node)?
            }
            TraceKind::Deliver => write!(f, "{peer} -> {} deliver {msg}{corr}", self.node)?,
            TraceKind::Drop(reason) => {
                write!(f, "{} -> {peer} DROP {msg}{corr} ({reason})", self.node)?
            }
            TraceKind::Duplicate { deliver_at } => write!(
                f,
                "{} -> {peer} duplicate {msg}{corr} (arrives t{deliver_at})",
                self.node
            )?,
            TraceKind::Release { deliver_at } => write!(
                f,
                "{} -> {peer} release {msg}{corr} (arrives t{deliver_at})",
                self.node
            )?,
            TraceKind::Timer => write!(f, "{} timer", self.node)?,
            TraceKind::RequestTimeout => {
                write!(f, "{} request{corr} to {peer} timed out", self.node)?
            }
            TraceKind::StoreDone => write!(f, "{} storage done", self.node)?,
            TraceKind::StoreFailed => write!(f, "{} storage FAILED", self.node)?,
            TraceKind::Crash => write!(f, "{} CRASH", self.node)?,
            TraceKind::Restart => write!(f, "{} RESTART", self.node)?,
            TraceKind::Pause => write!(f, "{} pause", self.node)?,
            TraceKind::Resume => write!(f, "{} resume", self.node)?,
            TraceKind::Fault => write!(f, "fault")?,
            TraceKind::Note => write!(f, "{}", self.node)?,
        }
        if !self.detail.is_empty() {
            write!(f, "  {}", self.detail)?;
        }
        if let Some(body) = &self.body {
            write!(f, "  {body:?}")?;
        }
        Ok(())
    }
}

/// The trace buffer and its running hash.
#[derive(Clone, Debug)]
pub struct Trace<M> {
    events: VecDeque<TraceEvent<M>>,
    capacity: usize,
    total: u64,
    hash: u64,
    /// Reused buffer for encoding message bodies into the hash.
    scratch: Vec<u8>,
    /// Message kinds hashed and counted but not kept, with their counts.
    folded: BTreeMap<&'static str, u64>,
}

/// Default number of events kept.
pub const DEFAULT_TRACE_CAPACITY: usize = 20_000;

/// Mix one 64-bit word into the hash (the FxHash step: fast, stable, good enough to
/// detect a diverging run; this is not a cryptographic hash).
fn mix(hash: u64, word: u64) -> u64 {
    (hash.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
}

/// Mix bytes eight at a time; the length is folded into the last word.
fn mix_bytes(mut hash: u64, bytes: &[u8]) -> u64 {
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        hash = mix(hash, u64::from_le_bytes(word));
    }
    let mut last = [0u8; 8];
    last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    mix(
        hash,
        u64::from_le_bytes(last) ^ ((bytes.len() as u64) << 56),
    )
}

impl<M: Serialize + fmt::Debug> Trace<M> {
    /// A trace keeping the last `capacity` events.
    pub fn new(capacity: usize) -> Self {
        Trace {
            events: VecDeque::new(),
            capacity,
            total: 0,
            hash: 0xcbf2_9ce4_8422_2325,
            scratch: Vec::new(),
            folded: BTreeMap::new(),
        }
    }

    /// Hash and count events about messages of `kind`, but do not keep them: heartbeats
    /// and other periodic chatter stop pushing the interesting events out of the buffer.
    pub fn fold(&mut self, kind: &'static str) {
        self.folded.entry(kind).or_insert(0);
    }

    /// How many events of each folded message kind were hashed and not kept.
    pub fn folded(&self) -> &BTreeMap<&'static str, u64> {
        &self.folded
    }

    /// Record an event about a message whose content is `body`. The content is always
    /// hashed (from `body`, without copying it); the event keeps a copy only when
    /// `keep_body` is set.
    pub fn record_message(&mut self, mut event: TraceEvent<M>, body: &M, keep_body: bool)
    where
        M: Clone,
    {
        self.hash = self.hash_body(self.hash, body);
        if keep_body {
            event.body = Some(body.clone());
        }
        self.record_hashed(event, false);
    }

    fn hash_body(&mut self, h: u64, body: &M) -> u64 {
        // The body's postcard encoding: content differences change the hash too.
        self.scratch.clear();
        match postcard::to_extend(body, std::mem::take(&mut self.scratch)) {
            Ok(bytes) => {
                let h = mix_bytes(h, &bytes);
                self.scratch = bytes;
                h
            }
            Err(_) => mix(h, u64::MAX),
        }
    }

    /// Record an event (its body, if it carries one, is hashed too).
    pub fn record(&mut self, event: TraceEvent<M>) {
        self.record_hashed(event, true);
    }

    fn record_hashed(&mut self, event: TraceEvent<M>, hash_body: bool) {
        let mut h = self.hash;
        h = mix(h, event.tick ^ (event.kind.tag() << 56));
        h = mix(h, event.node.stable_hash());
        if let Some(peer) = &event.peer {
            h = mix(h, peer.stable_hash());
        }
        match &event.kind {
            TraceKind::Send {
                deliver_at: Some(t),
            }
            | TraceKind::Duplicate { deliver_at: t }
            | TraceKind::Release { deliver_at: t } => h = mix(h, *t),
            _ => {}
        }
        if let Some(msg) = event.msg {
            h = mix_bytes(h, msg.as_bytes());
        }
        if let Some(c) = event.corr {
            h = mix(h, c.raw());
        }
        h = mix_bytes(h, event.detail.as_bytes());
        if hash_body && let Some(body) = &event.body {
            h = self.hash_body(h, body);
        }
        self.hash = h;
        self.total += 1;
        if let Some(count) = event.msg.and_then(|kind| self.folded.get_mut(kind)) {
            *count += 1;
            return;
        }
        if self.capacity == 0 {
            return;
        }
        if self.events.len() == self.capacity {
            self.events.pop_front();
        }
        self.events.push_back(event);
    }

    /// The running hash over every event recorded so far.
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// Number of events recorded (including ones no longer kept).
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The kept events, oldest first.
    pub fn events(&self) -> impl Iterator<Item = &TraceEvent<M>> {
        self.events.iter()
    }

    /// The last `n` kept events rendered one per line (after a line counting the folded
    /// events, if any).
    pub fn tail(&self, n: usize) -> String {
        let skip = self.events.len().saturating_sub(n);
        let mut out = String::new();
        let folded: Vec<String> = self
            .folded
            .iter()
            .filter(|(_, count)| **count > 0)
            .map(|(kind, count)| format!("{count} {kind}"))
            .collect();
        if !folded.is_empty() {
            out.push_str(&format!("(folded, not shown: {})\n", folded.join(", ")));
        }
        for event in self.events.iter().skip(skip) {
            out.push_str(&event.to_string());
            out.push('\n');
        }
        out
    }

    /// Every kept event rendered one per line.
    pub fn render(&self) -> String {
        self.tail(self.events.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(tick: Tick, text: &str) -> TraceEvent<()> {
        TraceEvent::new(tick, ProcessId::new("athens"), TraceKind::Note).detail(text)
    }

    #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    enum Chatter {
        Heartbeat { term: u64 },
        Write { value: u64 },
    }

    impl Message for Chatter {
        fn kind(&self) -> &'static str {
            match self {
                Chatter::Heartbeat { .. } => "Heartbeat",
                Chatter::Write { .. } => "Write",
            }
        }
    }

    fn send(trace: &mut Trace<Chatter>, tick: Tick, body: Chatter, keep_body: bool) {
        let env = Envelope {
            from: ProcessId::new("athens"),
            to: ProcessId::new("byzantium"),
            corr: None,
            in_reply_to: None,
            body: body.clone(),
        };
        let event = TraceEvent::at_sender(
            tick,
            TraceKind::Send {
                deliver_at: Some(tick + 1),
            },
            &env,
        );
        trace.record_message(event, &body, keep_body);
    }

    #[test]
    fn the_hash_covers_message_content_even_when_payloads_are_not_kept() {
        let mut a = Trace::new(10);
        let mut b = Trace::new(10);
        send(&mut a, 1, Chatter::Write { value: 1 }, false);
        send(&mut b, 1, Chatter::Write { value: 2 }, false);
        assert_eq!(
            a.render(),
            b.render(),
            "without payloads both traces read the same"
        );
        assert!(
            a.events().all(|e| e.body.is_none()),
            "no body is kept when payloads are off"
        );
        assert_ne!(
            a.hash(),
            b.hash(),
            "the hash must still see the different values"
        );
    }

    #[test]
    fn keeping_a_payload_does_not_change_the_hash() {
        let mut kept = Trace::new(10);
        let mut bare = Trace::new(10);
        send(&mut kept, 1, Chatter::Write { value: 7 }, true);
        send(&mut bare, 1, Chatter::Write { value: 7 }, false);
        assert_eq!(
            kept.hash(),
            bare.hash(),
            "payload tracing is a display choice, not a different run"
        );
        assert!(kept.render().contains("value: 7"), "{}", kept.render());
    }

    #[test]
    fn folded_kinds_are_hashed_and_counted_but_not_kept() {
        let mut folded = Trace::new(10);
        folded.fold("Heartbeat");
        let mut plain = Trace::new(10);
        for t in [&mut folded, &mut plain] {
            for tick in 0..5 {
                send(t, tick, Chatter::Heartbeat { term: 1 }, false);
            }
            send(t, 6, Chatter::Write { value: 1 }, false);
        }
        assert_eq!(folded.events().count(), 1, "only the write is kept");
        assert_eq!(folded.folded().get("Heartbeat"), Some(&5));
        assert_eq!(folded.total(), 6, "folded events still count as recorded");
        assert_eq!(
            folded.hash(),
            plain.hash(),
            "folding changes what is kept, not the run's hash"
        );
        assert!(
            folded
                .tail(10)
                .starts_with("(folded, not shown: 5 Heartbeat)"),
            "{}",
            folded.tail(10)
        );
        let mut other = Trace::new(10);
        other.fold("Heartbeat");
        for tick in 0..5 {
            send(&mut other, tick, Chatter::Heartbeat { term: 2 }, false);
        }
        send(&mut other, 6, Chatter::Write { value: 1 }, false);
        assert_ne!(
            other.hash(),
            folded.hash(),
            "a folded heartbeat's content is still hashed"
        );
    }

    #[test]
    fn the_hash_covers_events_that_are_no_longer_kept() {
        let mut a = Trace::new(1);
        let mut b = Trace::new(1);
        a.record(note(1, "x"));
        b.record(note(1, "y"));
        a.record(note(2, "z"));
        b.record(note(2, "z"));
        assert_eq!(a.render(), b.render(), "both keep only the last event");
        assert_ne!(
            a.hash(),
            b.hash(),
            "the hash must still see the evicted difference"
        );
        assert_eq!(a.total(), 2);
    }

    #[test]
    fn the_tail_shows_the_most_recent_events_in_order() {
        let mut t = Trace::new(10);
        for i in 0..5 {
            t.record(note(i, &format!("e{i}")));
        }
        let tail = t.tail(2);
        assert!(
            tail.contains("e3") && tail.contains("e4") && !tail.contains("e2"),
            "{tail}"
        );
        assert!(tail.find("e3") < tail.find("e4"), "oldest first: {tail}");
    }
}
