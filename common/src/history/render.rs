//! Text, EDN, JSON and timeline renderings of a history.
//!
//! Each rendering first reduces the history to [`Rendered`] rows (the only generic
//! step), so the formatting code is compiled once rather than once per operation type.

use super::value::write_quoted;
use super::{Completion, Event, EventKind, History, Op, Outcome, ToValue, Value};
use crate::id::{OpId, ProcessId};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};

/// How a rendered operation ended.
#[derive(Clone, Debug)]
enum RenderedOutcome {
    Pending,
    /// The value an `ok` completion shows.
    Ok(Value),
    Fail,
    Info,
}

/// One operation, reduced to what renderings need.
#[derive(Clone, Debug)]
struct RenderedOp {
    id: OpId,
    client: ProcessId,
    f: String,
    value: Value,
    outcome: RenderedOutcome,
    invoke_seq: u64,
    invoke_tick: u64,
    completion: Option<Completion>,
}

/// A history reduced to rendered operations and its events.
#[derive(Clone, Debug)]
struct Rendered {
    ops: Vec<RenderedOp>,
    events: Vec<Event>,
}

impl Rendered {
    fn of<I: Op, O: ToValue>(history: &History<I, O>) -> Self {
        let ops = history
            .ops()
            .map(|op| RenderedOp {
                id: op.id,
                client: op.client.clone(),
                f: op.input.f().to_owned(),
                value: op.input.value(),
                outcome: match &op.outcome {
                    Outcome::Pending => RenderedOutcome::Pending,
                    Outcome::Ok(output) => {
                        RenderedOutcome::Ok(op.input.completed_value(output.to_value()))
                    }
                    Outcome::Fail => RenderedOutcome::Fail,
                    Outcome::Info => RenderedOutcome::Info,
                },
                invoke_seq: op.invoke_seq,
                invoke_tick: op.invoke_tick,
                completion: op.completion,
            })
            .collect();
        Rendered {
            ops,
            events: history.events.clone(),
        }
    }

    fn op(&self, event: &Event) -> &RenderedOp {
        usize::try_from(event.op.0)
            .ok()
            .and_then(|i| self.ops.get(i))
            .unwrap_or_else(|| panic!("every event belongs to a recorded operation ({})", event.op))
    }

    fn event_value(&self, event: &Event) -> Value {
        let op = self.op(event);
        match (event.kind, &op.outcome) {
            (EventKind::Ok, RenderedOutcome::Ok(value)) => value.clone(),
            _ => op.value.clone(),
        }
    }

    fn text(&self) -> String {
        let mut out = String::new();
        for event in &self.events {
            let op = self.op(event);
            let _ = writeln!(
                out,
                "{} t{} {} {} {} {}",
                event.seq,
                event.tick,
                op.client,
                event.kind,
                op.f,
                self.event_value(event)
            );
        }
        out
    }

    /// Clients numbered in order of first invocation.
    fn process_numbers(&self) -> BTreeMap<ProcessId, usize> {
        let mut numbers = BTreeMap::new();
        for op in &self.ops {
            let next = numbers.len();
            numbers.entry(op.client.clone()).or_insert(next);
        }
        numbers
    }

    fn edn(&self) -> String {
        let numbers = self.process_numbers();
        let mut out = String::from("[");
        for (i, event) in self.events.iter().enumerate() {
            let op = self.op(event);
            if i > 0 {
                out.push_str("\n ");
            }
            let _ = write!(
                out,
                "{{:process {}, :type :{}, :f :{}, :value {}, :index {}, :tick {}, :process-name ",
                numbers.get(&op.client).copied().unwrap_or(0),
                event.kind,
                op.f,
                self.event_value(event),
                event.seq,
                event.tick,
            );
            let _ = write_quoted(&mut out, op.client.as_str());
            out.push('}');
        }
        out.push_str("]\n");
        out
    }

    fn json(&self) -> serde_json::Value {
        let numbers = self.process_numbers();
        let events = self
            .events
            .iter()
            .map(|event| {
                let op = self.op(event);
                let mut map = serde_json::Map::new();
                map.insert(
                    "process".into(),
                    numbers.get(&op.client).copied().unwrap_or(0).into(),
                );
                map.insert("type".into(), event.kind.name().into());
                map.insert("f".into(), op.f.clone().into());
                map.insert("value".into(), self.event_value(event).to_json());
                map.insert("index".into(), event.seq.into());
                map.insert("tick".into(), event.tick.into());
                map.insert("process-name".into(), op.client.as_str().into());
                serde_json::Value::Object(map)
            })
            .collect();
        serde_json::Value::Array(events)
    }
}

impl<I: Op, O: ToValue> History<I, O> {
    /// The `:value` shown for one event (see the [module docs](super)).
    pub fn event_value(&self, event: &Event) -> Value {
        let op = self.op(event.op).unwrap_or_else(|| {
            panic!("every event belongs to a recorded operation ({})", event.op)
        });
        match (event.kind, op.output()) {
            (EventKind::Ok, Some(output)) => op.input.completed_value(output.to_value()),
            _ => op.input.value(),
        }
    }

    /// One line per event: `<seq> t<tick> <client> <type> <f> <value>`.
    ///
    /// ```
    /// use common::check::models::{RegisterOp, Ret};
    /// use common::history::History;
    ///
    /// let mut h = History::new();
    /// let w = h.invoke("alice", RegisterOp::Write(1), 10);
    /// let r = h.invoke("bob", RegisterOp::Read, 11);
    /// h.ok(w, Ret::Done, 12);
    /// h.ok(r, Ret::Value(1), 12);
    /// assert_eq!(
    ///     h.to_text(),
    ///     "0 t10 alice invoke write 1\n\
    ///      1 t11 bob invoke read nil\n\
    ///      2 t12 alice ok write 1\n\
    ///      3 t12 bob ok read 1\n"
    /// );
    /// ```
    pub fn to_text(&self) -> String {
        Rendered::of(self).text()
    }

    /// The history as an EDN vector of Jepsen operation maps, one per line:
    ///
    /// `{:process 0, :type :invoke, :f :write, :value 1, :index 0, :tick 10, :process-name "alice"}`
    ///
    /// `:process` numbers clients in order of first invocation. Knossos and Elle read
    /// `:process`, `:type`, `:f` and `:value` and ignore the other keys.
    pub fn to_edn(&self) -> String {
        Rendered::of(self).edn()
    }

    /// The history as a JSON array of objects with the same fields as the EDN form
    /// (`process`, `type`, `f`, `value`, `index`, `tick`, `process-name`).
    pub fn to_json(&self) -> serde_json::Value {
        Rendered::of(self).json()
    }

    /// A timeline of the whole history (see [`Timeline`] to show a part, with notes).
    pub fn timeline(&self) -> String {
        Timeline::new(self).render()
    }
}

/// An ASCII timeline: one lane per client, time flowing right in event order, and a
/// legend below. Ticks are shown on the ruler above the lanes.
///
/// ```text
/// tick  |10 11 12    13    14 20 21
/// alice |[op0-----]
/// bob   |   [1-]                 [4->
/// carol |            [op2-----?......
/// dave  |               [3-x
///   op0 alice write 1 -> ok 1  (events 0..3, ticks 10..12)
///   op1 bob read nil -> ok 1  (events 1..2, ticks 11..12)
///   op2 carol write 2 -> info (outcome unknown)  (events 4..7, ticks 13..20)
///   op3 dave write 3 -> fail  (events 5..6, ticks 13..14)
///   op4 bob read nil -> pending  (events 8.., ticks 21..)
/// ```
///
/// Bars end with `]` (ok), `x` (fail), `?` followed by dots (info: it may take effect
/// later) or `>` (still pending). Highlighted operations are drawn with `!` instead of
/// `-`. Columns are only given to events of the operations shown, so a window of a long
/// history stays narrow.
#[derive(Clone, Debug)]
pub struct Timeline {
    rendered: Rendered,
    only: Option<BTreeSet<OpId>>,
    notes: BTreeMap<OpId, String>,
    highlighted: BTreeSet<OpId>,
}

/// Columns per event slot.
const SLOT_WIDTH: usize = 3;

impl Timeline {
    /// A timeline of every operation of `history`.
    pub fn new<I: Op, O: ToValue>(history: &History<I, O>) -> Self {
        Timeline {
            rendered: Rendered::of(history),
            only: None,
            notes: BTreeMap::new(),
            highlighted: BTreeSet::new(),
        }
    }

    /// Show only these operations.
    pub fn only(mut self, ops: impl IntoIterator<Item = OpId>) -> Self {
        self.only = Some(ops.into_iter().collect());
        self
    }

    /// Add a note to an operation's legend line.
    pub fn note(mut self, op: OpId, note: impl Into<String>) -> Self {
        self.notes.insert(op, note.into());
        self
    }

    /// Draw an operation with `!` so it stands out.
    pub fn highlight(mut self, op: OpId) -> Self {
        self.highlighted.insert(op);
        self
    }

    /// The rendered picture.
    pub fn render(&self) -> String {
        let ops: Vec<&RenderedOp> = self
            .rendered
            .ops
            .iter()
            .filter(|op| self.only.as_ref().is_none_or(|only| only.contains(&op.id)))
            .collect();
        let mut seqs = BTreeSet::new();
        for op in &ops {
            seqs.insert(op.invoke_seq);
            if let Some(c) = op.completion {
                seqs.insert(c.seq);
            }
        }
        let slot: BTreeMap<u64, usize> = seqs.iter().enumerate().map(|(i, &s)| (s, i)).collect();
        let col = |seq: u64| slot.get(&seq).copied().unwrap_or(0) * SLOT_WIDTH;
        let width = seqs.len().max(1) * SLOT_WIDTH + 1;

        let mut lanes: Vec<(ProcessId, Vec<char>)> = Vec::new();
        for op in &ops {
            let lane = match lanes.iter().position(|(c, _)| c == &op.client) {
                Some(i) => i,
                None => {
                    lanes.push((op.client.clone(), vec![' '; width]));
                    lanes.len() - 1
                }
            };
            self.draw(&mut lanes[lane].1, op, &col, width);
        }

        let label_width = lanes
            .iter()
            .map(|(c, _)| c.as_str().chars().count())
            .max()
            .unwrap_or(0)
            .max(4);
        let mut out = String::new();
        // Ruler: the tick of each slot, where it fits and differs from the last shown.
        let mut ruler = vec![' '; width];
        let mut free_from = 0;
        let mut last_tick = None;
        let ticks: BTreeMap<u64, u64> = self
            .rendered
            .events
            .iter()
            .map(|e| (e.seq, e.tick))
            .collect();
        for &seq in &seqs {
            let tick = ticks.get(&seq).copied().unwrap_or(0);
            let at = col(seq);
            let text = tick.to_string();
            if Some(tick) != last_tick && at >= free_from && at + text.len() <= width {
                for (i, ch) in text.chars().enumerate() {
                    ruler[at + i] = ch;
                }
                free_from = at + text.len() + 1;
                last_tick = Some(tick);
            }
        }
        let _ = writeln!(
            out,
            "{:<label_width$} |{}",
            "tick",
            ruler.iter().collect::<String>().trim_end()
        );
        for (client, lane) in &lanes {
            let _ = writeln!(
                out,
                "{:<label_width$} |{}",
                client.as_str(),
                lane.iter().collect::<String>().trim_end()
            );
        }
        for op in &ops {
            let _ = write!(out, "  {} {}", op.id, describe(op));
            if let Some(note) = self.notes.get(&op.id) {
                let _ = write!(out, "  <- {note}");
            }
            out.push('\n');
        }
        out
    }

    fn draw(&self, lane: &mut [char], op: &RenderedOp, col: &impl Fn(u64) -> usize, width: usize) {
        let fill = if self.highlighted.contains(&op.id) {
            '!'
        } else {
            '-'
        };
        let start = col(op.invoke_seq);
        let last = width - 1;
        let (end, end_char) = match (&op.outcome, op.completion) {
            (RenderedOutcome::Ok(_), Some(c)) => (col(c.seq), ']'),
            (RenderedOutcome::Fail, Some(c)) => (col(c.seq), 'x'),
            (RenderedOutcome::Info, Some(c)) => (col(c.seq), '?'),
            _ => (last, '>'),
        };
        for cell in lane.iter_mut().take(end).skip(start + 1) {
            *cell = fill;
        }
        if matches!(op.outcome, RenderedOutcome::Info) {
            for cell in lane.iter_mut().skip(end + 1) {
                *cell = '.';
            }
        }
        lane[start] = '[';
        lane[end.max(start + 1).min(last)] = end_char;
        let interior = end.saturating_sub(start + 1);
        let long = op.id.to_string();
        let short = op.id.0.to_string();
        let label = if long.len() <= interior {
            Some(long)
        } else if short.len() <= interior {
            Some(short)
        } else {
            None
        };
        if let Some(label) = label {
            for (i, ch) in label.chars().enumerate() {
                lane[start + 1 + i] = ch;
            }
        }
    }
}

/// An operation's legend line (after its id).
fn describe(op: &RenderedOp) -> String {
    let outcome = match &op.outcome {
        RenderedOutcome::Ok(value) => format!("ok {value}"),
        RenderedOutcome::Fail => "fail".to_owned(),
        RenderedOutcome::Info => "info (outcome unknown)".to_owned(),
        RenderedOutcome::Pending => "pending".to_owned(),
    };
    let span = match op.completion {
        Some(c) => format!(
            "events {}..{}, ticks {}..{}",
            op.invoke_seq, c.seq, op.invoke_tick, c.tick
        ),
        None => format!("events {}.., ticks {}..", op.invoke_seq, op.invoke_tick),
    };
    format!("{} {} {} -> {outcome}  ({span})", op.client, op.f, op.value)
}

impl fmt::Display for Timeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}
