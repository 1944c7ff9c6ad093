//! Histories: what clients asked for, and what they were told.
//!
//! A [`History`] is the record a test keeps while clients talk to a cluster. Each
//! operation is *invoked* once and then completes at most once:
//!
//! | event | meaning |
//! |---|---|
//! | `invoke` | the client sent the request |
//! | `ok` | the client got a definite success, with an output (the value read, ...) |
//! | `fail` | the operation **definitely did not happen** (the server rejected it before doing anything) |
//! | `info` | the outcome is **unknown**: the request timed out, the connection broke, the server crashed |
//!
//! `info` is the honest label whenever the client does not know. A write that timed out
//! may still be sitting in a replica's queue, or may have been applied by a minority
//! replica that will spread it later. Recording it as `fail` claims it never happened;
//! if it later shows up, a correct system looks broken (and a checker's verdict is built
//! on a lie). A checker treats an `info` operation as one that may take effect at any
//! moment after its invocation, or never.
//!
//! Real-time order is the **event sequence number** ([`Event::seq`]), not the tick: many
//! events happen within one tick, and an operation that completed before another was
//! invoked must precede it even if both happened in tick 12. Ticks are kept for the
//! reader.
//!
//! Two rules are asserted while recording, as Jepsen assumes them: an operation
//! completes at most once, and a client has at most one operation outstanding (a client
//! that wants concurrency uses several client ids).
//!
//! # Renderings
//!
//! Inputs implement [`Op`] and outputs implement [`ToValue`], which gives every history:
//!
//! * [`History::to_text`]: one line per event, for exact assertions:
//!   `<seq> t<tick> <client> <type> <f> <value>`, e.g. `3 t12 alice ok write 1`. The
//!   value is EDN (strings are quoted). An `ok` shows what the operation did (the value
//!   read); `fail` and `info` repeat the invocation's value, as in Jepsen.
//! * [`History::to_edn`]: a vector of Jepsen/Knossos maps
//!   (`{:process 0, :type :invoke, :f :write, :value 1, ...}`), so a history can be
//!   checked offline by Knossos or Elle.
//! * [`History::to_json`]: the same maps as JSON objects.
//! * [`Timeline`]: an ASCII picture with one lane per client, for failure messages.

mod render;
mod value;

pub use render::Timeline;
pub use value::{Op, ToValue, Value};

use crate::id::{OpId, ProcessId};
use crate::time::Tick;
use std::collections::BTreeMap;
use std::fmt;

/// The type of an event in a history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventKind {
    /// The client sent the request.
    Invoke,
    /// Definite success.
    Ok,
    /// Definitely did not happen.
    Fail,
    /// Outcome unknown: may have taken effect at any point after the invocation, or never.
    Info,
}

impl EventKind {
    /// The Jepsen name: `invoke`, `ok`, `fail` or `info`.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Invoke => "invoke",
            EventKind::Ok => "ok",
            EventKind::Fail => "fail",
            EventKind::Info => "info",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One event of a history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// Position in the history (0, 1, 2, ...): this order *is* real time.
    pub seq: u64,
    /// The cluster tick at which it was recorded (many events share a tick).
    pub tick: Tick,
    /// The operation it belongs to.
    pub op: OpId,
    /// Invocation or completion type.
    pub kind: EventKind,
}

/// How an operation ended (so far).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome<O> {
    /// Invoked and not completed (yet): treated like `info` by the checkers.
    Pending,
    /// Definite success with this output.
    Ok(O),
    /// Definitely did not happen.
    Fail,
    /// Outcome unknown.
    Info,
}

/// When an operation completed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Completion {
    /// Sequence number of the completion event.
    pub seq: u64,
    /// Tick of the completion event.
    pub tick: Tick,
}

/// One operation: an invocation and its outcome.
#[derive(Clone, Debug)]
pub struct Operation<I, O> {
    id: OpId,
    client: ProcessId,
    input: I,
    invoke_seq: u64,
    invoke_tick: Tick,
    outcome: Outcome<O>,
    completion: Option<Completion>,
}

impl<I, O> Operation<I, O> {
    /// Its id (ids count up from 0 in invocation order).
    pub fn id(&self) -> OpId {
        self.id
    }
    /// The client that invoked it.
    pub fn client(&self) -> &ProcessId {
        &self.client
    }
    /// What was asked.
    pub fn input(&self) -> &I {
        &self.input
    }
    /// Sequence number of the invocation event.
    pub fn invoke_seq(&self) -> u64 {
        self.invoke_seq
    }
    /// Tick of the invocation.
    pub fn invoke_tick(&self) -> Tick {
        self.invoke_tick
    }
    /// How it ended ([`Outcome::Pending`] if it has not).
    pub fn outcome(&self) -> &Outcome<O> {
        &self.outcome
    }
    /// The output of an `ok` operation.
    pub fn output(&self) -> Option<&O> {
        match &self.outcome {
            Outcome::Ok(o) => Some(o),
            _ => None,
        }
    }
    /// When it completed, if it did.
    pub fn completion(&self) -> Option<Completion> {
        self.completion
    }
    /// The completion's event type, if it completed.
    pub fn completion_kind(&self) -> Option<EventKind> {
        match self.outcome {
            Outcome::Pending => None,
            Outcome::Ok(_) => Some(EventKind::Ok),
            Outcome::Fail => Some(EventKind::Fail),
            Outcome::Info => Some(EventKind::Info),
        }
    }
    /// `true` when the outcome is unknown to a checker: `info`, or still pending.
    pub fn is_indefinite(&self) -> bool {
        matches!(self.outcome, Outcome::Info | Outcome::Pending)
    }
}

/// A violation of the recording rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    /// The operation id was never returned by `invoke` on this history.
    #[error("{op} was never invoked in this history")]
    UnknownOp {
        /// The unknown id.
        op: OpId,
    },
    /// A second completion for one operation.
    #[error(
        "{op} of {client} completed twice (already {previous}): an operation completes at most once"
    )]
    CompletedTwice {
        /// The operation.
        op: OpId,
        /// Its client.
        client: ProcessId,
        /// The first completion.
        previous: EventKind,
    },
    /// An invocation by a client that is still waiting for a reply.
    #[error(
        "{client} invoked a new operation while {outstanding} is outstanding: a client has at most one operation outstanding"
    )]
    ClientBusy {
        /// The client.
        client: ProcessId,
        /// Its operation still in flight.
        outstanding: OpId,
    },
    /// An event recorded with a tick earlier than the previous event's.
    #[error(
        "event at tick {tick} recorded after an event at tick {last}: events are recorded in real-time order"
    )]
    TickWentBack {
        /// The new event's tick.
        tick: Tick,
        /// The previous event's tick.
        last: Tick,
    },
}

/// A history of operations with inputs `I` and outputs `O`. See the [module docs](self).
#[derive(Clone, Debug)]
pub struct History<I, O> {
    ops: Vec<Operation<I, O>>,
    events: Vec<Event>,
    outstanding: BTreeMap<ProcessId, OpId>,
}

impl<I, O> Default for History<I, O> {
    fn default() -> Self {
        History {
            ops: Vec::new(),
            events: Vec::new(),
            outstanding: BTreeMap::new(),
        }
    }
}

impl<I, O> History<I, O> {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    fn check_tick(&self, tick: Tick) -> Result<(), HistoryError> {
        match self.events.last() {
            Some(last) if tick < last.tick => Err(HistoryError::TickWentBack {
                tick,
                last: last.tick,
            }),
            _ => Ok(()),
        }
    }

    fn push_event(&mut self, op: OpId, kind: EventKind, tick: Tick) -> u64 {
        let seq = self.events.len() as u64;
        self.events.push(Event {
            seq,
            tick,
            op,
            kind,
        });
        seq
    }

    /// Records that `client` invoked `input` at `tick`; returns the new operation's id.
    pub fn try_invoke(
        &mut self,
        client: impl Into<ProcessId>,
        input: I,
        tick: Tick,
    ) -> Result<OpId, HistoryError> {
        let client = client.into();
        self.check_tick(tick)?;
        if let Some(&outstanding) = self.outstanding.get(&client) {
            return Err(HistoryError::ClientBusy {
                client,
                outstanding,
            });
        }
        let id = OpId(self.ops.len() as u64);
        let seq = self.push_event(id, EventKind::Invoke, tick);
        self.outstanding.insert(client.clone(), id);
        self.ops.push(Operation {
            id,
            client,
            input,
            invoke_seq: seq,
            invoke_tick: tick,
            outcome: Outcome::Pending,
            completion: None,
        });
        Ok(id)
    }

    fn try_complete(
        &mut self,
        op: OpId,
        outcome: Outcome<O>,
        tick: Tick,
    ) -> Result<(), HistoryError> {
        let index = usize::try_from(op.0).unwrap_or(usize::MAX);
        let Some(record) = self.ops.get(index) else {
            return Err(HistoryError::UnknownOp { op });
        };
        if let Some(previous) = record.completion_kind() {
            return Err(HistoryError::CompletedTwice {
                op,
                client: record.client.clone(),
                previous,
            });
        }
        self.check_tick(tick)?;
        let kind = match outcome {
            Outcome::Ok(_) => EventKind::Ok,
            Outcome::Fail => EventKind::Fail,
            Outcome::Info | Outcome::Pending => EventKind::Info,
        };
        let seq = self.push_event(op, kind, tick);
        let record = &mut self.ops[index];
        record.outcome = outcome;
        record.completion = Some(Completion { seq, tick });
        self.outstanding.remove(&record.client);
        Ok(())
    }

    /// Records a definite success of `op` with `output`.
    pub fn try_ok(&mut self, op: OpId, output: O, tick: Tick) -> Result<(), HistoryError> {
        self.try_complete(op, Outcome::Ok(output), tick)
    }

    /// Records that `op` definitely did not happen.
    pub fn try_fail(&mut self, op: OpId, tick: Tick) -> Result<(), HistoryError> {
        self.try_complete(op, Outcome::Fail, tick)
    }

    /// Records that the outcome of `op` is unknown (a timeout, a crash).
    pub fn try_info(&mut self, op: OpId, tick: Tick) -> Result<(), HistoryError> {
        self.try_complete(op, Outcome::Info, tick)
    }

    /// Like [`try_invoke`](Self::try_invoke); panics if a recording rule is broken.
    pub fn invoke(&mut self, client: impl Into<ProcessId>, input: I, tick: Tick) -> OpId {
        self.try_invoke(client, input, tick)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like [`try_ok`](Self::try_ok); panics if a recording rule is broken.
    pub fn ok(&mut self, op: OpId, output: O, tick: Tick) {
        self.try_ok(op, output, tick)
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Like [`try_fail`](Self::try_fail); panics if a recording rule is broken.
    pub fn fail(&mut self, op: OpId, tick: Tick) {
        self.try_fail(op, tick).unwrap_or_else(|e| panic!("{e}"));
    }

    /// Like [`try_info`](Self::try_info); panics if a recording rule is broken.
    pub fn info(&mut self, op: OpId, tick: Tick) {
        self.try_info(op, tick).unwrap_or_else(|e| panic!("{e}"));
    }

    /// The operations, in invocation order.
    pub fn ops(&self) -> impl ExactSizeIterator<Item = &Operation<I, O>> {
        self.ops.iter()
    }

    /// One operation by id.
    pub fn op(&self, id: OpId) -> Option<&Operation<I, O>> {
        usize::try_from(id.0).ok().and_then(|i| self.ops.get(i))
    }

    /// The events, in real-time (sequence) order.
    pub fn events(&self) -> impl ExactSizeIterator<Item = &Event> {
        self.events.iter()
    }

    /// Number of operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// `true` when nothing was invoked.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The clients, in order of their first invocation. A client's position here is its
    /// `:process` number in the EDN export.
    pub fn clients(&self) -> Vec<ProcessId> {
        let mut seen = BTreeMap::new();
        let mut order = Vec::new();
        for op in &self.ops {
            if seen.insert(op.client.clone(), ()).is_none() {
                order.push(op.client.clone());
            }
        }
        order
    }

    /// The operation a client is waiting on, if any.
    pub fn outstanding(&self, client: &ProcessId) -> Option<OpId> {
        self.outstanding.get(client).copied()
    }
}
