//! The sequence diagram drawn as SVG, and its HTML page.
//!
//! Time flows down. Every tick that has an event gets a row, and more when a lane has
//! several sends, arrivals or labels in that tick (each takes its own row, in trace
//! order); an empty tick costs a few pixels, and a quiet stretch of
//! more than [`QUIET_TICKS_MAX`] ticks is collapsed to one gap with its length written on
//! the axis. Styling lives in classes (one style sheet inside the SVG), so every element
//! is short: a group with a `<title>` tooltip and one path or mark.
//!
//! Classes: `lane` (a node's lane), `m` (a message) with `dl` (delivered), `lost`,
//! `fly` (in flight at the end), `gone` (discarded), `dup` (a duplicate), `k<j>` (its
//! kind, the j-th of [`SequenceDiagram::kinds`]), `s<i>`/`d<i>` (its sender's and
//! receiver's lane); marks `tm` (timer), `rt` (request timeout), `st` (storage), `sf`
//! (storage failed), `cr` (crash), `rs` (restart), `ps` (pause, resume), `nt` (note),
//! `ft` (fault; `g` when drawn across); spans `dn` (down), `pz` (paused); marks and
//! spans of lane i carry `l<i>`. The legend's samples carry `key` besides.

use super::html::{clip, escape, escape_into, page, toggle};
use super::sequence::{Fate, MarkKind, SequenceDiagram, SpanKind};
use crate::time::Tick;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Width of a lane.
const LANE_W: i64 = 150;
/// Width of the tick axis on the left.
const AXIS_W: i64 = 64;
/// Room on the right for the labels of faults drawn across.
const LABELS_W: i64 = 280;
/// Height of one row (a tick with events, or one more label at a tick).
const ROW: i64 = 16;
/// Height of an empty tick.
const QUIET: i64 = 4;
/// Longest run of empty ticks drawn to scale; longer runs collapse to one gap.
pub(super) const QUIET_TICKS_MAX: u64 = 6;
/// Height of a collapsed gap.
const GAP: i64 = 30;
/// Approximate width of one character of the 10px font.
const CHAR_W: i64 = 6;

/// The style sheet inside every sequence diagram.
const STYLE: &str = "text{font:10px sans-serif;fill:#222}\
.hd{font-size:13px;font-weight:bold}\
.info{fill:#555}\
.lane path{stroke:#bbb}\
.lane text{font-size:11px;font-weight:bold;text-anchor:middle}\
.tk{fill:#888;text-anchor:end}\
.gap{fill:#888;text-anchor:end;font-style:italic}\
.m path{fill:none;stroke:#345;stroke-width:1.2;marker-end:url(#a)}\
.m.dup path{stroke-dasharray:5 3}\
.m.lost path{stroke:#c00;marker-end:url(#x)}\
.m.fly path{stroke:#999;stroke-dasharray:1 3}\
.m.gone path{stroke:#c60;marker-end:url(#x)}\
.m text{font-size:9px;fill:#456;text-anchor:middle}\
.m.lost text{fill:#c00}\
.m:hover path{stroke-width:3}\
.dn{fill:#c00;fill-opacity:.18}\
.pz{fill:#e90;fill-opacity:.25}\
.tm circle{fill:#6a6}\
.rt circle{fill:#e70}\
.st rect{fill:#68c}\
.nt circle{fill:#36c}\
.cr circle,.sf circle{fill:#c00}\
.cr text,.sf text{fill:#c00;font-weight:bold}\
.rs circle,.ps circle{fill:#e90}\
.rs text,.ps text{fill:#a60}\
.ft circle{fill:#a0a}\
.ft text{fill:#a0a}\
.ft path{stroke:#a0a;stroke-dasharray:6 3}";

/// Arrowheads: `a` for a message that arrived, `x` for one that was lost.
const DEFS: &str = "<defs>\
<marker id=\"a\" viewBox=\"0 0 8 8\" refX=\"8\" refY=\"4\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0 0L8 4L0 8z\" fill=\"#345\"/></marker>\
<marker id=\"x\" viewBox=\"0 0 8 8\" refX=\"4\" refY=\"4\" markerWidth=\"10\" markerHeight=\"10\" orient=\"auto\"><path d=\"M1 1L7 7M7 1L1 7\" stroke=\"#c00\" stroke-width=\"1.5\"/></marker>\
</defs>\n";

/// Where everything goes.
struct Layout {
    /// The y of each tick's first row.
    y: BTreeMap<Tick, i64>,
    /// Collapsed gaps: y of the gap, ticks skipped.
    gaps: Vec<(i64, u64)>,
    /// The row of each labelled mark at its tick and lane (0 for unlabelled marks).
    slot: Vec<i64>,
    /// The row each arrow leaves from, within its send tick.
    start: Vec<i64>,
    /// The row each arrow arrives at, within its end tick.
    end: Vec<i64>,
    /// y where time starts (for messages sent before the trace) and ends.
    top: i64,
    bottom: i64,
    width: i64,
    height: i64,
}

/// Lines of text above the lanes: title, legend, notes about what is not drawn.
fn header_lines(d: &SequenceDiagram) -> Vec<String> {
    let mut lines = Vec::new();
    if !d.folded.is_empty() {
        let folded: Vec<String> = d.folded.iter().map(|(k, n)| format!("{n} {k}")).collect();
        lines.push(format!(
            "folded in the trace, not drawn: {}",
            folded.join(", ")
        ));
    }
    if d.not_kept > 0 {
        lines.push(format!(
            "{} earlier events were no longer kept by the trace",
            d.not_kept
        ));
    }
    lines
}

fn lane_x(lane: usize) -> i64 {
    AXIS_W + LANE_W / 2 + lane as i64 * LANE_W
}

impl SequenceDiagram {
    fn layout(&self) -> Layout {
        // Within a tick, each lane's sends, arrivals and labels take one row each, in
        // trace order: a fan-out spreads down instead of piling up, and a node's n-th
        // arrival of the tick lines up with its n-th send.
        const SENDS: u8 = 0;
        const ARRIVALS: u8 = 1;
        const LABELS: u8 = 2;
        let mut used: BTreeMap<(Tick, Option<usize>, u8), i64> = BTreeMap::new();
        let mut rows: BTreeMap<Tick, i64> = BTreeMap::new();
        let mut take = |tick: Tick, lane: Option<usize>, role: u8| -> i64 {
            let n = used.entry((tick, lane, role)).or_insert(0);
            *n += 1;
            let r = rows.entry(tick).or_insert(1);
            *r = (*r).max(*n);
            *n - 1
        };
        let mut slot = vec![0; self.marks.len()];
        let mut start = vec![0; self.arrows.len()];
        let mut end = vec![0; self.arrows.len()];
        // Arrows and marks in trace order, so rows follow the order of events.
        let mut order: Vec<(usize, bool, usize)> = Vec::new();
        order.extend(
            self.arrows
                .iter()
                .enumerate()
                .map(|(i, a)| (a.first, true, i)),
        );
        order.extend(
            self.marks
                .iter()
                .enumerate()
                .map(|(i, m)| (m.order, false, i)),
        );
        order.sort_unstable();
        for (_, is_arrow, i) in order {
            if !is_arrow {
                let mark = &self.marks[i];
                slot[i] = if mark.kind.labelled() {
                    take(mark.tick, mark.lane, LABELS)
                } else {
                    take(mark.tick, Some(usize::MAX), LABELS);
                    0
                };
                continue;
            }
            let arrow = &self.arrows[i];
            if let Some(sent) = arrow.sent {
                start[i] = take(sent, Some(arrow.from), SENDS);
            }
            let lost_at_sender = arrow.lost_at_sender();
            if let (Some(tick), false) = (arrow.end, lost_at_sender) {
                end[i] = take(tick, arrow.to, ARRIVALS);
            }
        }
        for span in &self.spans {
            for tick in [Some(span.from), span.to].into_iter().flatten() {
                rows.entry(tick).or_insert(1);
            }
        }
        let header = 24 + 14 * (1 + header_lines(self).len() as i64);
        let top = header + 22;
        let mut y = top + ROW;
        let mut ys = BTreeMap::new();
        let mut gaps = Vec::new();
        let mut previous: Option<Tick> = None;
        for (&tick, &n) in &rows {
            if let Some(p) = previous {
                let empty = tick - p - 1;
                if empty > QUIET_TICKS_MAX {
                    gaps.push((y + GAP / 2 - ROW / 2, empty));
                    y += GAP;
                } else {
                    y += empty as i64 * QUIET;
                }
            }
            ys.insert(tick, y);
            y += n * ROW;
            previous = Some(tick);
        }
        let bottom = y + ROW;
        Layout {
            y: ys,
            gaps,
            slot,
            start,
            end,
            top,
            bottom,
            width: AXIS_W + self.lanes.len().max(1) as i64 * LANE_W + LABELS_W,
            height: bottom + 30,
        }
    }

    /// The diagram as a standalone SVG document (no script; tooltips where the viewer
    /// shows them).
    pub fn to_svg(&self) -> String {
        self.svg(false)
    }

    fn svg(&self, for_page: bool) -> String {
        let layout = self.layout();
        let y_of = |tick: Tick| -> i64 {
            layout
                .y
                .range(tick..)
                .next()
                .map(|(_, y)| *y)
                .unwrap_or(layout.bottom)
        };
        let mut out = String::with_capacity(256 + self.events * 150);
        let id = if for_page { " id=\"pic\"" } else { "" };
        let _ = write!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\"{id} width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\n<style>{STYLE}</style>\n{DEFS}",
            w = layout.width,
            h = layout.height
        );
        out.push_str("<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n");
        // Header: title, legend, what is not drawn.
        let title = if self.title.is_empty() {
            "message sequence"
        } else {
            &self.title
        };
        let _ = writeln!(
            out,
            "<text class=\"hd\" x=\"8\" y=\"18\">{}</text>",
            escape(title)
        );
        self.legend(&mut out, 34);
        for (i, line) in header_lines(self).iter().enumerate() {
            let _ = writeln!(
                out,
                "<text class=\"info\" x=\"8\" y=\"{}\">{}</text>",
                48 + 14 * i as i64,
                escape(line)
            );
        }
        // Spans under everything else.
        for span in &self.spans {
            let y1 = y_of(span.from);
            let y2 = span.to.map(y_of).unwrap_or(layout.bottom);
            let class = match span.kind {
                SpanKind::Down => "dn",
                SpanKind::Paused => "pz",
            };
            let _ = write!(
                out,
                "<rect class=\"{class} l{}\" x=\"{}\" y=\"{y1}\" width=\"12\" height=\"{}\"><title>",
                span.lane,
                lane_x(span.lane) - 6,
                (y2 - y1).max(2)
            );
            escape_into(&mut out, &span.text);
            out.push_str("</title></rect>\n");
        }
        // Lanes.
        for (i, lane) in self.lanes.iter().enumerate() {
            let x = lane_x(i);
            let name = escape(&clip(lane.as_str(), (LANE_W / CHAR_W) as usize - 2));
            let _ = writeln!(
                out,
                "<g class=\"lane l{i}\"><title>{full}</title><text x=\"{x}\" y=\"{}\">{name}</text><path d=\"M{x} {}V{}\"/><text x=\"{x}\" y=\"{}\">{name}</text></g>",
                layout.top,
                layout.top + 6,
                layout.bottom,
                layout.bottom + 16,
                full = escape(lane.as_str()),
            );
        }
        // Tick axis.
        let mut free_from = i64::MIN;
        for (&tick, &y) in &layout.y {
            if y >= free_from {
                let _ = writeln!(
                    out,
                    "<text class=\"tk\" x=\"{}\" y=\"{}\">t{tick}</text>",
                    AXIS_W - 8,
                    y + 3
                );
                free_from = y + 12;
            }
        }
        for (y, skipped) in &layout.gaps {
            let _ = writeln!(
                out,
                "<text class=\"gap\" x=\"{}\" y=\"{}\">{skipped} ticks<title>{skipped} ticks without events</title></text>",
                AXIS_W - 8,
                y + 3
            );
        }
        self.draw_arrows(&mut out, &layout, &y_of);
        self.draw_marks(&mut out, &layout, &y_of);
        out.push_str("</svg>\n");
        out
    }

    fn legend(&self, out: &mut String, y: i64) {
        // A sample of each glyph, drawn with the same classes as the diagram.
        let items: [(&str, &str); 8] = [
            ("m dl", "delivered"),
            ("m lost", "lost"),
            ("m dup dl", "duplicate"),
            ("m fly", "in flight at the end"),
            ("dn", "down"),
            ("pz", "paused"),
            ("nt", "note"),
            ("ft", "fault"),
        ];
        let mut x = 8;
        for (class, label) in items {
            if class.starts_with('m') {
                let _ = write!(
                    out,
                    "<g class=\"{class} key\"><path d=\"M{x} {}h22\"/></g>",
                    y - 3
                );
                x += 34;
            } else if class == "dn" || class == "pz" {
                let _ = write!(
                    out,
                    "<rect class=\"{class} key\" x=\"{x}\" y=\"{}\" width=\"12\" height=\"10\"/>",
                    y - 8
                );
                x += 16;
            } else {
                let _ = write!(
                    out,
                    "<g class=\"{class} key\"><circle cx=\"{}\" cy=\"{}\" r=\"3\"/></g>",
                    x + 3,
                    y - 3
                );
                x += 10;
            }
            let _ = write!(out, "<text x=\"{x}\" y=\"{y}\">{label}</text>");
            x += label.len() as i64 * CHAR_W + 14;
        }
        out.push('\n');
    }

    fn draw_arrows(&self, out: &mut String, layout: &Layout, y_of: &impl Fn(Tick) -> i64) {
        let kind_index: BTreeMap<&str, usize> = self
            .kinds
            .iter()
            .enumerate()
            .map(|(i, k)| (*k, i))
            .collect();
        for (i, arrow) in self.arrows.iter().enumerate() {
            let fate = match arrow.fate {
                Fate::Delivered => "dl",
                Fate::Lost(_) => "lost",
                Fate::InFlight => "fly",
                Fate::Discarded => "gone",
            };
            let _ = write!(
                out,
                "<g class=\"m {fate}{} k{} s{}",
                if arrow.duplicate { " dup" } else { "" },
                kind_index.get(arrow.kind).copied().unwrap_or(0),
                arrow.from
            );
            if let Some(to) = arrow.to {
                let _ = write!(out, " d{to}");
            }
            out.push_str("\"><title>");
            escape_into(out, &arrow.text);
            out.push_str("</title><path d=\"");
            let x1 = lane_x(arrow.from);
            let y1 = arrow
                .sent
                .map(|t| y_of(t) + layout.start[i] * ROW)
                .unwrap_or(layout.top);
            let x2 = arrow.to.map(lane_x).unwrap_or(x1 + LANE_W / 2);
            let y2 = arrow
                .end
                .map(|t| y_of(t) + layout.end[i] * ROW)
                .unwrap_or(layout.bottom);
            let lost_at_sender = arrow.lost_at_sender();
            // Where the kind's label goes: a third of the way along, just above.
            let (lx, ly) = if lost_at_sender {
                // It never left: a short stub toward the receiver.
                let reach = if x2 == x1 { 24 } else { (x2 - x1) * 2 / 5 };
                let _ = write!(out, "M{x1} {y1}l{reach} {}", ROW / 2);
                (x1 + reach / 2, y1)
            } else if arrow.to == Some(arrow.from) {
                let _ = write!(out, "M{x1} {y1}h24V{y2}h-20");
                (x1 + 28, y1 + 8)
            } else {
                let _ = write!(out, "M{x1} {y1}L{x2} {y2}");
                (x1 + (x2 - x1) / 3, y1 + (y2 - y1) / 3 - 3)
            };
            let _ = writeln!(
                out,
                "\"/><text x=\"{lx}\" y=\"{ly}\">{}</text></g>",
                escape(arrow.kind)
            );
        }
    }

    fn draw_marks(&self, out: &mut String, layout: &Layout, y_of: &impl Fn(Tick) -> i64) {
        let right = AXIS_W + self.lanes.len() as i64 * LANE_W;
        for (mark, slot) in self.marks.iter().zip(&layout.slot) {
            let y = y_of(mark.tick) + slot * ROW;
            let class = match mark.kind {
                MarkKind::Timer => "tm",
                MarkKind::RequestTimeout => "rt",
                MarkKind::Storage => "st",
                MarkKind::StorageFailed => "sf",
                MarkKind::Crash => "cr",
                MarkKind::Restart => "rs",
                MarkKind::Pause | MarkKind::Resume => "ps",
                MarkKind::Fault => "ft",
                MarkKind::Note => "nt",
            };
            let Some(lane) = mark.lane else {
                // Across the diagram, labelled in the right margin.
                let _ = write!(out, "<g class=\"ft g\"><title>");
                escape_into(out, &mark.text);
                let _ = write!(
                    out,
                    "</title><path d=\"M{AXIS_W} {y}H{right}\"/><text x=\"{}\" y=\"{}\">",
                    right + 6,
                    y + 3
                );
                escape_into(out, &clip(&mark.label, (LABELS_W / CHAR_W) as usize - 2));
                out.push_str("</text></g>\n");
                continue;
            };
            let x = lane_x(lane);
            let _ = write!(out, "<g class=\"{class} l{lane}\"><title>");
            escape_into(out, &mark.text);
            out.push_str("</title>");
            match mark.kind {
                MarkKind::Timer => {
                    let _ = write!(out, "<circle cx=\"{}\" cy=\"{y}\" r=\"2\"/>", x - 7);
                }
                MarkKind::RequestTimeout => {
                    let _ = write!(out, "<circle cx=\"{}\" cy=\"{y}\" r=\"3\"/>", x - 7);
                }
                MarkKind::Storage => {
                    let _ = write!(
                        out,
                        "<rect x=\"{}\" y=\"{}\" width=\"4\" height=\"4\"/>",
                        x + 4,
                        y - 2
                    );
                }
                _ => {
                    let _ = write!(
                        out,
                        "<circle cx=\"{x}\" cy=\"{y}\" r=\"3\"/><text x=\"{}\" y=\"{}\">",
                        x + 6,
                        y + 3
                    );
                    let room = (LANE_W - 14) / CHAR_W;
                    escape_into(out, &clip(&mark.label, room as usize));
                    out.push_str("</text>");
                }
            }
            out.push_str("</g>\n");
        }
    }

    /// The diagram as a self-contained HTML page: the SVG inline, checkboxes that hide
    /// nodes, message kinds and kinds of marks, zoom buttons, and a tooltip on every
    /// element. It loads nothing from the network.
    pub fn to_html(&self) -> String {
        let mut controls = String::from("<fieldset><legend>nodes</legend>\n");
        for (i, lane) in self.lanes.iter().enumerate() {
            toggle(&mut controls, &format!(".s{i},.d{i},.l{i}"), lane.as_str());
        }
        controls.push_str("</fieldset>\n<fieldset><legend>messages</legend>\n");
        for (j, kind) in self.kinds.iter().enumerate() {
            toggle(&mut controls, &format!(".k{j}"), kind);
        }
        controls.push_str("</fieldset>\n<fieldset><legend>marks</legend>\n");
        for (selector, label) in [
            (".tm,.rt", "timers and timeouts"),
            (".st,.sf", "storage"),
            (".nt", "notes"),
            (".ft", "faults"),
            (".cr,.rs,.ps,.dn,.pz", "crashes and pauses"),
        ] {
            toggle(&mut controls, selector, label);
        }
        controls.push_str("</fieldset>\n");
        let title = if self.title.is_empty() {
            "message sequence"
        } else {
            &self.title
        };
        let notes = format!(
            "{} events, ticks {}..{}: {} messages ({} delivered, {} lost), {} marks. \
             Hover over an arrow or a mark for the trace's lines about it.",
            self.events,
            self.first_tick,
            self.last_tick,
            self.arrows.len(),
            self.arrows
                .iter()
                .filter(|a| a.fate == Fate::Delivered)
                .count(),
            self.arrows
                .iter()
                .filter(|a| matches!(a.fate, Fate::Lost(_)))
                .count(),
            self.marks.len()
        );
        page(title, &controls, &self.svg(true), &notes)
    }
}
