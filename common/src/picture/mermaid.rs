//! The sequence diagram as Mermaid text.
//!
//! Mermaid draws one line per statement, top to bottom, so the statements follow the
//! trace: a message where it ended (delivered or dropped; where it was sent if it is
//! still in flight), a note where its event was. Every label carries its ticks.
//!
//! | what | Mermaid |
//! |---|---|
//! | delivered | `a->>b: Kind #corr (t3→t5)` |
//! | lost | `a-xb: Kind (t3→t5, lost: node down)` |
//! | duplicate | `a-->>b: Kind (duplicate, t3→t6)` |
//! | in flight at the end | `a--)b: Kind (t3, in flight)` |
//! | crash, restart, pause, resume, note, request timeout, storage failure | `Note over a: …` |
//! | fault of the test or the network | `Note over first,last: …` |
//!
//! Timers and storage completions are left out (the HTML page has them).

use super::MERMAID_LINES_MAX;
use super::sequence::{Fate, MarkKind, SequenceDiagram};
use std::fmt::Write as _;

/// Text made safe for a Mermaid label: Mermaid reads `#…;` as an entity and `;` as the
/// end of a statement, and a label is one line.
fn label(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            ';' => out.push_str("#59;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Whether `name` can be a participant's id as it is.
fn plain(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !matches!(
            name,
            "end" | "participant" | "actor" | "note" | "loop" | "alt" | "opt" | "par"
        )
}

/// The correlation id in a trace line (`#1.4`), if any.
fn corr(text: &str) -> Option<&str> {
    let first = text.lines().next()?;
    first
        .split_whitespace()
        .find(|w| w.starts_with('#') && w[1..].contains('.'))
}

impl SequenceDiagram {
    /// The diagram as Mermaid `sequenceDiagram` text, keeping the last
    /// [`MERMAID_LINES_MAX`] statements.
    pub fn to_mermaid(&self) -> String {
        self.to_mermaid_limited(MERMAID_LINES_MAX)
    }

    /// The diagram as Mermaid text, keeping the last `max_statements` statements (a
    /// note at the top says how many earlier ones were left out).
    pub fn to_mermaid_limited(&self, max_statements: usize) -> String {
        let ids: Vec<String> = self
            .lanes
            .iter()
            .enumerate()
            .map(|(i, l)| {
                if plain(l.as_str()) {
                    l.as_str().to_string()
                } else {
                    format!("n{i}")
                }
            })
            .collect();
        // (order, statement)
        let mut statements: Vec<(usize, String)> = Vec::new();
        for arrow in &self.arrows {
            let from = &ids[arrow.from];
            let corr = corr(&arrow.text)
                .map(|c| format!(" {c}"))
                .unwrap_or_default();
            let sent = arrow
                .sent
                .map(|t| format!("t{t}"))
                .unwrap_or_else(|| "before the trace".into());
            let Some(to) = arrow.to.map(|t| &ids[t]) else {
                let reason = match &arrow.fate {
                    Fate::Lost(reason) => reason.as_str(),
                    _ => "no such node",
                };
                statements.push((
                    arrow.order,
                    format!(
                        "Note over {from}: {} to an unknown node, lost ({reason}, {sent})",
                        arrow.kind
                    ),
                ));
                continue;
            };
            let end = arrow.end.map(|t| format!("t{t}")).unwrap_or_default();
            // A message dropped where it was sent never travelled: one tick says it all.
            let span = if arrow.sent.is_some() && arrow.sent == arrow.end {
                sent.clone()
            } else {
                format!("{sent}→{end}")
            };
            let (op, what) = match (&arrow.fate, arrow.duplicate) {
                (Fate::Delivered, false) => ("->>", span),
                (Fate::Delivered, true) => ("-->>", format!("duplicate, {span}")),
                (Fate::Lost(reason), dup) => (
                    "-x",
                    format!(
                        "{}{span}, lost: {reason}",
                        if dup { "duplicate, " } else { "" }
                    ),
                ),
                (Fate::InFlight, _) => ("--)", format!("{sent}, in flight at the end")),
                (Fate::Discarded, _) => (
                    "-x",
                    format!("{span}, discarded: its receiver crashed while paused"),
                ),
            };
            statements.push((
                arrow.order,
                format!("{from}{op}{to}: {}{corr} ({what})", arrow.kind),
            ));
        }
        let everyone = match (ids.first(), ids.last()) {
            (Some(first), Some(last)) if first != last => format!("{first},{last}"),
            (Some(only), _) => only.clone(),
            _ => String::new(),
        };
        for mark in &self.marks {
            let over = match mark.lane {
                Some(lane) => ids[lane].clone(),
                None if everyone.is_empty() => continue,
                None => everyone.clone(),
            };
            let text = match mark.kind {
                MarkKind::Timer | MarkKind::Storage => continue,
                // The trace's line without its tick and node: "request #0.2 to b timed out".
                MarkKind::RequestTimeout => mark
                    .text
                    .split_once(']')
                    .map(|(_, rest)| rest.trim())
                    .map(|rest| {
                        rest.strip_prefix(ids[mark.lane.unwrap_or(0)].as_str())
                            .unwrap_or(rest)
                    })
                    .map(|rest| rest.trim().to_string())
                    .unwrap_or_default(),
                _ => mark.label.clone(),
            };
            statements.push((
                mark.order,
                format!("Note over {over}: {text} (t{})", mark.tick),
            ));
        }
        statements.sort_by_key(|(order, _)| *order);

        let mut out = String::from("sequenceDiagram\n");
        if !self.title.is_empty() {
            // A comment: every Mermaid version accepts it.
            let _ = writeln!(out, "    %% {}", self.title.replace(['\n', '\r'], " "));
        }
        for (lane, id) in self.lanes.iter().zip(&ids) {
            if id == lane.as_str() {
                let _ = writeln!(out, "    participant {id}");
            } else {
                let _ = writeln!(out, "    participant {id} as {}", label(lane.as_str()));
            }
        }
        let skip = statements.len().saturating_sub(max_statements);
        if skip > 0 && !everyone.is_empty() {
            let _ = writeln!(
                out,
                "    Note over {everyone}: {skip} earlier statements left out (the HTML picture has them all)"
            );
        }
        if !self.folded.is_empty() && !everyone.is_empty() {
            let folded: Vec<String> = self
                .folded
                .iter()
                .map(|(k, n)| format!("{n} {k}"))
                .collect();
            let _ = writeln!(
                out,
                "    Note over {everyone}: folded in the trace, not drawn: {}",
                folded.join(", ")
            );
        }
        for (_, statement) in statements.into_iter().skip(skip) {
            let (head, text) = statement
                .split_once(": ")
                .unwrap_or((statement.as_str(), ""));
            let _ = writeln!(out, "    {head}: {}", label(text));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_escape_what_mermaid_reads_as_syntax() {
        assert_eq!(label("Ack #0.3; a<b\nnext"), "Ack #35;0.3#59; a#lt;b next");
    }

    #[test]
    fn only_plain_names_are_participant_ids() {
        assert!(plain("athens") && plain("c1") && plain("node-2"));
        assert!(!plain("end"), "`end` closes a block in Mermaid");
        assert!(!plain("two words") && !plain("a:b"));
    }
}
