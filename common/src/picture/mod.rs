//! Pictures of runs: what happened, drawn instead of listed.
//!
//! A trace of a few thousand lines is hard to read; a drawing of the same run shows at a
//! glance which message crossed which, where a node was down, and which operation could
//! not be explained. This module draws two pictures of any simulated run:
//!
//! * a **message sequence diagram** ([`SequenceDiagram`]) of a [`Trace`](crate::trace::Trace):
//!   one lane per node (servers and clients), time flowing down, an arrow per message
//!   from its send to its delivery; lost messages end in a cross (the drop reason is the
//!   arrow's tooltip), duplicates are dashed, a node's down and paused intervals are
//!   shaded on its lane, timers, request timeouts and storage completions are small
//!   marks, notes (role changes, commits) are annotations, and faults applied by the test
//!   or the network run across the diagram. It renders as SVG, as a self-contained HTML
//!   page (filters by node and message type, zoom, a tooltip on every element) and as
//!   [Mermaid](https://mermaid.js.org/syntax/sequenceDiagram.html) text that code hosting
//!   sites render;
//! * a **timeline of operations** ([`HistoryTimeline`]) of a [`History`](crate::history::History):
//!   one row per client, a bar per operation from its invocation to its completion,
//!   `info` operations open to the end of the run; for a history the checker rejects,
//!   the counterexample is highlighted the way Porcupine draws it: the operations of the
//!   longest explainable order numbered in that order, the operations that could not be
//!   placed next in red, the rest of the failing key's operations dimmed.
//!
//! A failing seed of a sweep writes both pictures beside its other artefacts
//! (`sequence.html`, `sequence.mmd`, `history.html`; see [`crate::sim::ARTEFACTS_GUIDE`]).
//! The examples that run a cluster take `--html <file>`, `--mermaid <file>` and
//! `--svg <file>` ([`PictureFiles`]) and draw their run.
//!
//! ```
//! use common::Cluster;
//! use common::echo::{EchoMsg, EchoServer};
//! use common::picture::SequenceDiagram;
//!
//! let mut cluster = Cluster::builder()
//!     .servers(["athens", "byzantium"])
//!     .build(|_, _| EchoServer::new(5));
//! cluster.add_client("alice");
//! let reply = cluster.call("alice", "athens", EchoMsg::Echo { text: "hi".into() });
//! cluster.run(&reply).unwrap();
//!
//! let diagram = SequenceDiagram::of_cluster(&cluster);
//! assert_eq!(diagram.arrows().len(), 2, "the echo and its reply");
//! assert!(diagram.to_mermaid().contains("alice->>athens: Echo"));
//! assert!(diagram.to_html().starts_with("<!DOCTYPE html>"));
//! ```
//!
//! # Large runs
//!
//! Rendering is linear in the number of events: a 10,000-event trace of five nodes
//! renders in a few milliseconds (`cargo bench -p common --bench pictures`). Quiet
//! stretches of time are collapsed, so a long run with little traffic stays short. The
//! HTML page costs at most [`HTML_BYTES_PER_EVENT_MAX`] bytes per trace event beyond a
//! fixed [`HTML_OVERHEAD_BYTES_MAX`] (a test holds it to that on a 10,000-event trace).
//! Message kinds that would flood a picture (heartbeats) are best folded in the trace
//! ([`Trace::fold`](crate::trace::Trace::fold)): the diagram then says how many were left
//! out. A window of time is drawn by building the diagram from the events of that
//! window ([`SequenceDiagram::from_events`]). Mermaid renderers refuse very long texts,
//! so [`SequenceDiagram::to_mermaid`] keeps the last [`MERMAID_LINES_MAX`] lines and
//! says how many it left out.
//!
//! Every rendering is deterministic: the same run gives the same bytes.

mod files;
mod html;
mod mermaid;
mod sequence;
mod svg;
mod timeline;

pub use files::PictureFiles;
pub use sequence::{Arrow, Fate, Mark, MarkKind, PSEUDO_NODES, SequenceDiagram, Span, SpanKind};
pub use timeline::{HistoryTimeline, Role};

/// Most bytes a sequence diagram's HTML page spends per trace event, beyond
/// [`HTML_OVERHEAD_BYTES_MAX`]. An event's tooltip holds its text (about 60 bytes), and
/// its arrow or mark about as much again.
pub const HTML_BYTES_PER_EVENT_MAX: usize = 200;

/// Most bytes of a sequence diagram's HTML page that do not depend on the number of
/// events: the style sheet, the script, the controls, the axes and the lanes.
pub const HTML_OVERHEAD_BYTES_MAX: usize = 16 * 1024;

/// Lines of Mermaid text kept at most (the last ones): Mermaid refuses texts over
/// 50,000 characters by default.
pub const MERMAID_LINES_MAX: usize = 400;

/// The pictures of one run, as written beside a failed seed's other artefacts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pictures {
    /// The message sequence diagram as an HTML page (`sequence.html`).
    pub sequence_html: String,
    /// The same diagram as Mermaid text (`sequence.mmd`).
    pub sequence_mermaid: String,
    /// The history's timeline as an HTML page, with the counterexample highlighted if
    /// the checker rejected it (`history.html`).
    pub history_html: String,
}

impl Pictures {
    /// The file names and contents, in the order they are written.
    pub fn files(&self) -> Vec<(&'static str, String)> {
        vec![
            ("sequence.html", self.sequence_html.clone()),
            ("sequence.mmd", self.sequence_mermaid.clone()),
            ("history.html", self.history_html.clone()),
        ]
    }
}
