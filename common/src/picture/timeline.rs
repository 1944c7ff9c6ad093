//! The timeline of a history's operations, and a counterexample drawn on it.
//!
//! One row per client, a bar per operation from its invocation to its completion. Time
//! is the history's event order (its real-time order), one slot per event of the
//! operations shown, with the tick written above each slot where it changes. A bar ends
//! square for `ok`, with a cross for `fail`; an `info` bar ends with `?` and continues
//! as a dashed line to the end of the run (it may take effect at any later moment); a
//! pending bar runs to the end.
//!
//! For a history the checker rejects, [`HistoryTimeline::of_violation`] draws only the
//! failing key's operations (linearizability is checked key by key), numbers the
//! operations of the longest explainable order in that order (`#1`, `#2`, ...), draws
//! the operations that could not be placed next in red, and dims the rest: the picture
//! Porcupine draws of a linearizability failure.
//!
//! Classes: `op` with `ok`, `fail`, `info` or `pend` (its outcome), `te` (took effect in
//! the explained order), `stuck`, `dim`, and `c<i>` (its client's row); each group has
//! `data-op="<id number>"`. The legend's samples carry `key` and no `data-op`.

use super::html::{clip, escape, escape_into, page, toggle};
use crate::check::{Counterexample, Model};
use crate::history::{History, Op, ToValue, Value};
use crate::id::{OpId, ProcessId};
use crate::time::Tick;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// How an operation is drawn relative to a counterexample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// No counterexample is drawn.
    Plain,
    /// It took effect at this position (from 1) of the longest explainable order.
    TookEffect(usize),
    /// It could not be placed next.
    Stuck,
    /// Neither: drawn faintly.
    Dimmed,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum End {
    Ok(Value),
    Fail,
    Info,
    Pending,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Bar {
    id: OpId,
    client: ProcessId,
    f: String,
    value: Value,
    end: End,
    invoke_seq: u64,
    invoke_tick: Tick,
    completion: Option<(u64, Tick)>,
    key: Option<Value>,
    role: Role,
}

/// A picture of a history's operations.
///
/// One row per client, a bar per operation from its invocation to its completion. Time
/// is the history's event order (its real-time order), one slot per event of the
/// operations shown, with the tick written above each slot where it changes. A bar ends
/// square for `ok`, with a cross for `fail`; an `info` bar ends with `?` and continues
/// as a dashed line to the end of the run (it may take effect at any later moment); a
/// pending bar runs to the end.
///
/// For a history the checker rejects, [`HistoryTimeline::of_violation`] draws only the
/// failing key's operations (linearizability is checked key by key), numbers the
/// operations of the longest explainable order in that order (`#1`, `#2`, ...), draws
/// the operations that could not be placed next in red, and dims the rest: the picture
/// Porcupine draws of a linearizability failure.
///
/// Classes: `op` with `ok`, `fail`, `info` or `pend` (its outcome), `te` (took effect in
/// the explained order), `stuck`, `dim`, and `c<i>` (its client's row); each group has
/// `data-op="<id number>"`. The legend's samples carry `key` and no `data-op`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryTimeline {
    title: String,
    bars: Vec<Bar>,
    /// Tick of every event, by sequence number.
    ticks: BTreeMap<u64, Tick>,
    /// Lines describing the counterexample.
    caption: Vec<String>,
}

/// Width of one event slot.
const SLOT: i64 = 48;
/// Width of the client names' column.
const LEFT: i64 = 96;
/// Height of a client's row.
const ROW_H: i64 = 30;
/// Height of a bar.
const BAR_H: i64 = 18;
/// Room after the last slot, where open bars end.
const TAIL: i64 = 40;
/// Approximate width of one character of the 10px font.
const CHAR_W: i64 = 6;
/// Approximate width of one character of a bar's 9px label.
const LABEL_CHAR_W: i64 = 5;

const STYLE: &str = "text{font:10px sans-serif;fill:#222}\
.hd{font-size:13px;font-weight:bold}\
.cap{font-family:monospace}\
.cl{font-size:11px;font-weight:bold}\
.tk{fill:#888;text-anchor:middle}\
.guide{stroke:#eee}\
.op text{font-size:9px}\
.op rect{fill:#cde;stroke:#468}\
.op.fail rect{fill:#eee;stroke:#999}\
.op.info rect,.op.pend rect{fill:#fec;stroke:#c90}\
.op path{stroke:#c90;stroke-dasharray:4 3;fill:none}\
.op.te rect{fill:#bdb;stroke:#262}\
.op.stuck rect{fill:#f99;stroke:#c00;stroke-width:2}\
.op.dim{opacity:.35}\
.op:hover rect{stroke-width:3}";

impl HistoryTimeline {
    /// A timeline of every operation of `history`.
    pub fn new<I: Op, O: ToValue>(history: &History<I, O>) -> Self {
        let bars = history
            .ops()
            .map(|op| Bar {
                id: op.id(),
                client: op.client().clone(),
                f: op.input().f().to_string(),
                value: op.input().value(),
                end: match (op.output(), op.completion_kind()) {
                    (Some(output), _) => End::Ok(op.input().completed_value(output.to_value())),
                    (None, Some(crate::history::EventKind::Fail)) => End::Fail,
                    (None, Some(_)) => End::Info,
                    (None, None) => End::Pending,
                },
                invoke_seq: op.invoke_seq(),
                invoke_tick: op.invoke_tick(),
                completion: op.completion().map(|c| (c.seq, c.tick)),
                key: None,
                role: Role::Plain,
            })
            .collect();
        let ticks = history.events().map(|e| (e.seq, e.tick)).collect();
        HistoryTimeline {
            title: String::new(),
            bars,
            ticks,
            caption: Vec::new(),
        }
    }

    /// The timeline of a rejected history: only the failing partition's operations
    /// (when `counterexample` names a key, as `model` partitions them), with the
    /// counterexample highlighted (see [`HistoryTimeline::highlight`]).
    pub fn of_violation<M>(
        history: &History<M::Input, M::Output>,
        model: &M,
        counterexample: &Counterexample,
    ) -> Self
    where
        M: Model,
        M::Input: Op,
        M::Output: ToValue,
    {
        let mut timeline = Self::new(history);
        let keys: Vec<Option<Value>> = history
            .ops()
            .map(|op| model.partition(op.input()))
            .collect();
        for (bar, key) in timeline.bars.iter_mut().zip(keys) {
            bar.key = key;
        }
        if let Some(key) = &counterexample.key {
            let shown: Vec<OpId> = timeline
                .bars
                .iter()
                .filter(|b| b.key.as_ref() == Some(key))
                .map(|b| b.id)
                .collect();
            timeline = timeline.only(shown);
        }
        timeline.highlight(counterexample)
    }

    /// Show only these operations.
    pub fn only(mut self, ops: impl IntoIterator<Item = OpId>) -> Self {
        let keep: BTreeSet<OpId> = ops.into_iter().collect();
        self.bars.retain(|b| keep.contains(&b.id));
        self
    }

    /// Number the operations of the counterexample's explained order, mark the ones
    /// that could not be placed, dim the others, and caption the picture with the
    /// checker's account.
    pub fn highlight(mut self, counterexample: &Counterexample) -> Self {
        let position: BTreeMap<OpId, usize> = counterexample
            .prefix
            .iter()
            .enumerate()
            .map(|(i, id)| (*id, i + 1))
            .collect();
        let stuck: BTreeSet<OpId> = counterexample.stuck.iter().copied().collect();
        for bar in &mut self.bars {
            bar.role = match position.get(&bar.id) {
                Some(&n) => Role::TookEffect(n),
                None if stuck.contains(&bar.id) => Role::Stuck,
                None => Role::Dimmed,
            };
        }
        let key = counterexample
            .key
            .as_ref()
            .map(|k| format!(" (key {k})"))
            .unwrap_or_default();
        let ids = |ids: &[OpId]| {
            ids.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        self.caption = vec![
            format!("history is not {}{key}", counterexample.consistency),
            format!(
                "took effect, in this order ({} ops): {}",
                counterexample.prefix.len(),
                ids(&counterexample.prefix)
            ),
            format!(
                "model state after them: {}",
                counterexample.state_after_prefix
            ),
            format!("could not be placed next: {}", ids(&counterexample.stuck)),
        ];
        self
    }

    /// A title drawn above the timeline (and the HTML page's title).
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// The operations drawn and how, in invocation order.
    pub fn roles(&self) -> Vec<(OpId, Role)> {
        self.bars.iter().map(|b| (b.id, b.role)).collect()
    }

    /// The clients drawn, one row each, in order of first invocation.
    fn clients(&self) -> Vec<ProcessId> {
        let mut clients: Vec<ProcessId> = Vec::new();
        for bar in &self.bars {
            if !clients.contains(&bar.client) {
                clients.push(bar.client.clone());
            }
        }
        clients
    }

    /// The timeline as a standalone SVG document.
    pub fn to_svg(&self) -> String {
        self.svg(false)
    }

    fn svg(&self, for_page: bool) -> String {
        let mut seqs = BTreeSet::new();
        for bar in &self.bars {
            seqs.insert(bar.invoke_seq);
            if let Some((seq, _)) = bar.completion {
                seqs.insert(seq);
            }
        }
        let slot: BTreeMap<u64, i64> = seqs
            .iter()
            .enumerate()
            .map(|(i, s)| (*s, i as i64))
            .collect();
        let x = |seq: u64| LEFT + slot.get(&seq).copied().unwrap_or(0) * SLOT + SLOT / 2;
        let clients = self.clients();
        let row: BTreeMap<&ProcessId, i64> = clients
            .iter()
            .enumerate()
            .map(|(i, c)| (c, i as i64))
            .collect();
        let right = LEFT + seqs.len().max(1) as i64 * SLOT + TAIL;
        let lines = 1 + 1 + self.caption.len() as i64;
        let ruler = 20 + lines * 14 + 8;
        let top = ruler + 10;
        let height = top + clients.len().max(1) as i64 * ROW_H + 12;
        let width = right.max(self.legend_width() + 8);

        let mut out = String::new();
        let id = if for_page { " id=\"pic\"" } else { "" };
        let _ = write!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\"{id} width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">\n<style>{STYLE}</style>\n<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n"
        );
        let title = if self.title.is_empty() {
            "operations per client"
        } else {
            &self.title
        };
        let _ = writeln!(
            out,
            "<text class=\"hd\" x=\"8\" y=\"18\">{}</text>",
            escape(title)
        );
        self.legend(&mut out, 34);
        for (i, line) in self.caption.iter().enumerate() {
            let _ = writeln!(
                out,
                "<text class=\"cap\" x=\"8\" y=\"{}\">{}</text>",
                48 + 14 * i as i64,
                escape(line)
            );
        }
        // Ruler: the tick of each slot where it changes and fits.
        let mut free_from = i64::MIN;
        let mut last_tick = None;
        for &seq in &seqs {
            let tick = self.ticks.get(&seq).copied().unwrap_or(0);
            let at = x(seq);
            let text = format!("t{tick}");
            let half = text.len() as i64 * CHAR_W / 2;
            if Some(tick) != last_tick && at - half >= free_from {
                let _ = writeln!(
                    out,
                    "<text class=\"tk\" x=\"{at}\" y=\"{ruler}\">{text}</text><path class=\"guide\" d=\"M{at} {}V{}\"/>",
                    ruler + 4,
                    height - 8
                );
                free_from = at + half + 4;
                last_tick = Some(tick);
            }
        }
        for (i, client) in clients.iter().enumerate() {
            let _ = writeln!(
                out,
                "<text class=\"cl\" x=\"8\" y=\"{}\">{}</text>",
                top + i as i64 * ROW_H + ROW_H / 2 + 4,
                escape(&clip(client.as_str(), (LEFT / CHAR_W) as usize - 2))
            );
        }
        for bar in &self.bars {
            let y = top + row.get(&bar.client).copied().unwrap_or(0) * ROW_H + (ROW_H - BAR_H) / 2;
            let x1 = x(bar.invoke_seq);
            let (x2, outcome) = match (&bar.end, bar.completion) {
                (End::Ok(_), Some((seq, _))) => (x(seq), "ok"),
                (End::Fail, Some((seq, _))) => (x(seq), "fail"),
                (End::Info, Some((seq, _))) => (x(seq), "info"),
                _ => (right - 4, "pend"),
            };
            let x2 = x2.max(x1 + SLOT / 2);
            let role = match bar.role {
                Role::Plain => String::new(),
                Role::TookEffect(_) => " te".into(),
                Role::Stuck => " stuck".into(),
                Role::Dimmed => " dim".into(),
            };
            let client = row.get(&bar.client).copied().unwrap_or(0);
            let _ = write!(
                out,
                "<g class=\"op {outcome}{role} c{client}\" data-op=\"{}\"><title>",
                bar.id.0
            );
            escape_into(&mut out, &describe(bar));
            let _ = write!(
                out,
                "</title><rect x=\"{x1}\" y=\"{y}\" width=\"{}\" height=\"{BAR_H}\" rx=\"3\"/>",
                x2 - x1
            );
            if bar.end == End::Info {
                let _ = write!(out, "<path d=\"M{x2} {}H{}\"/>", y + BAR_H / 2, right - 4);
            }
            let room = ((x2 - x1 - 6) / LABEL_CHAR_W).max(0) as usize;
            let label = short_label(bar);
            if room >= 2 {
                let _ = write!(out, "<text x=\"{}\" y=\"{}\">", x1 + 4, y + BAR_H / 2 + 4);
                escape_into(&mut out, &clip(&label, room));
                out.push_str("</text>");
            }
            out.push_str("</g>\n");
        }
        out.push_str("</svg>\n");
        out
    }

    fn legend_items(&self) -> Vec<(&'static str, &'static str)> {
        let mut items = vec![
            ("op ok", "ok"),
            ("op fail", "fail (did not happen)"),
            ("op info", "info (unknown: may take effect later)"),
        ];
        if !self.caption.is_empty() {
            items.extend([
                ("op ok te", "#n took effect, in this order"),
                ("op ok stuck", "could not be placed next"),
                ("op ok dim", "other operations of the key"),
            ]);
        }
        items
    }

    fn legend_width(&self) -> i64 {
        self.legend_items()
            .iter()
            .map(|(_, label)| 20 + label.chars().count() as i64 * CHAR_W + 12)
            .sum::<i64>()
            + 8
    }

    fn legend(&self, out: &mut String, y: i64) {
        let mut x = 8;
        for (class, label) in self.legend_items() {
            let _ = write!(
                out,
                "<g class=\"{class} key\"><rect x=\"{x}\" y=\"{}\" width=\"16\" height=\"10\" rx=\"2\"/></g><text x=\"{}\" y=\"{y}\">{}</text>",
                y - 9,
                x + 20,
                escape(label)
            );
            x += 20 + label.chars().count() as i64 * CHAR_W + 12;
        }
        out.push('\n');
    }

    /// The timeline as a self-contained HTML page: the SVG inline, checkboxes that hide
    /// clients (and the dimmed operations), zoom buttons, a tooltip on every bar, and the
    /// counterexample's account below.
    pub fn to_html(&self) -> String {
        let mut controls = String::from("<fieldset><legend>clients</legend>\n");
        for (i, client) in self.clients().iter().enumerate() {
            toggle(&mut controls, &format!(".c{i}"), client.as_str());
        }
        controls.push_str("</fieldset>\n");
        if !self.caption.is_empty() {
            controls.push_str("<fieldset><legend>operations</legend>\n");
            toggle(&mut controls, ".dim", "neither placed nor stuck");
            controls.push_str("</fieldset>\n");
        }
        let title = if self.title.is_empty() {
            "operations per client"
        } else {
            &self.title
        };
        let mut notes = String::new();
        for bar in &self.bars {
            notes.push_str(&describe(bar).replace('\n', "  "));
            notes.push('\n');
        }
        page(title, &controls, &self.svg(true), &notes)
    }
}

/// The text inside a bar: its place in the explained order, what it did, what it got.
fn short_label(bar: &Bar) -> String {
    let number = match bar.role {
        Role::TookEffect(n) => format!("#{n} "),
        _ => String::new(),
    };
    let input = if bar.value.is_nil() {
        bar.f.clone()
    } else {
        format!("{} {}", bar.f, bar.value)
    };
    let result = match &bar.end {
        End::Ok(v) if *v != bar.value && !v.is_nil() => format!(" → {v}"),
        End::Ok(_) => String::new(),
        End::Fail => " ✗".into(),
        End::Info => " ?".into(),
        End::Pending => " …".into(),
    };
    format!("{number}{input}{result}")
}

/// The tooltip of a bar: the operation as the text timeline's legend tells it, and its
/// role in the counterexample.
fn describe(bar: &Bar) -> String {
    let outcome = match &bar.end {
        End::Ok(v) => format!("ok {v}"),
        End::Fail => "fail (did not happen)".into(),
        End::Info => "info (outcome unknown: may take effect at any later moment)".into(),
        End::Pending => "pending".into(),
    };
    let span = match bar.completion {
        Some((seq, tick)) => format!(
            "events {}..{seq}, ticks {}..{tick}",
            bar.invoke_seq, bar.invoke_tick
        ),
        None => format!("events {}.., ticks {}..", bar.invoke_seq, bar.invoke_tick),
    };
    let role = match bar.role {
        Role::Plain => String::new(),
        Role::TookEffect(n) => format!("\ntook effect #{n} in the longest explainable order"),
        Role::Stuck => "\ncould not be placed after the explained order".into(),
        Role::Dimmed => "\nneither in the explained order nor among the stuck operations".into(),
    };
    format!(
        "{} {} {} {} -> {outcome}  ({span}){role}",
        bar.id, bar.client, bar.f, bar.value
    )
}
