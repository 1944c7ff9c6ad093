//! Pictures of runs: the message sequence diagram drawn from a trace, as SVG, HTML and
//! Mermaid. Golden files are in `common/tests/golden/`; after a deliberate change,
//! regenerate them with `UPDATE_GOLDEN=1 cargo test -p common --test kit pictures` and
//! review the diff.

#[path = "../picture_support/mod.rs"]
mod picture_support;

use common::Cluster;
use common::echo::{EchoMsg, EchoServer};
use common::id::CorrId;
use common::msg::Envelope;
use common::picture::{
    Fate, HTML_BYTES_PER_EVENT_MAX, HTML_OVERHEAD_BYTES_MAX, MarkKind, SequenceDiagram, SpanKind,
};
use common::trace::{DropReason, Trace, TraceEvent, TraceKind};
use common::{ProcessId, Tick};
use picture_support::{assert_golden, busy_trace, count, parse};
use std::collections::BTreeSet;

/// The echo example's run: an echo, a relay through a peer, then the peer cut off so
/// the relay times out.
fn echo_cluster() -> Cluster<EchoMsg> {
    let mut cluster = Cluster::builder()
        .seed(7)
        .servers(["athens", "byzantium", "cyrene"])
        .request_timeout(20)
        .build(|_, _| EchoServer::new(5));
    cluster.add_client("alice");
    let hello = cluster.call(
        "alice",
        "athens",
        EchoMsg::Echo {
            text: "hello".into(),
        },
    );
    cluster.run(&hello).expect("athens echoes");
    let relayed = cluster.call(
        "alice",
        "athens",
        EchoMsg::Relay {
            text: "via".into(),
            via: "byzantium".into(),
        },
    );
    cluster.run(&relayed).expect("the relay answers");
    cluster.isolate("byzantium");
    let lost = cluster.call(
        "alice",
        "athens",
        EchoMsg::Relay {
            text: "lost".into(),
            via: "byzantium".into(),
        },
    );
    cluster
        .run(&lost)
        .expect("the relay answers after its timeout");
    cluster
}

/// A trace written by hand with one of everything a diagram draws: a duplicate, a drop
/// at the sender and one on arrival, a held message released by a rule, a crash and a
/// restart, a pause whose backlog is handled after the resume, a paused node that
/// crashes with a message in its backlog, timers, a request timeout, storage, notes,
/// faults of the test and the network, a message still in flight, and a quiet stretch.
fn handmade_trace() -> Trace<EchoMsg> {
    let mut trace = Trace::new(100);
    // The correlation id is the message's number in this trace: a message's events
    // share it.
    let message = |trace: &mut Trace<EchoMsg>,
                   (tick, kind): (Tick, TraceKind),
                   (from, to, number): (&str, &str, u64),
                   body: EchoMsg,
                   at_receiver: bool| {
        let env = Envelope {
            from: ProcessId::new(from),
            to: ProcessId::new(to),
            corr: Some(CorrId::new(0, number)),
            in_reply_to: None,
            body,
        };
        let event = if at_receiver {
            TraceEvent::at_receiver(tick, kind, &env)
        } else {
            TraceEvent::at_sender(tick, kind, &env)
        };
        trace.record(event);
    };
    let echo = || EchoMsg::Echo { text: "hi".into() };
    let reply = || EchoMsg::EchoReply {
        text: "hi".into(),
        by: "athens".into(),
    };
    let relay = || EchoMsg::Relay {
        text: "hi".into(),
        via: "byzantium".into(),
    };
    let at = |tick: Tick, node: &str, kind: TraceKind, detail: &str| {
        TraceEvent::<EchoMsg>::new(tick, ProcessId::new(node), kind).detail(detail)
    };
    let send = |at: Tick| TraceKind::Send {
        deliver_at: Some(at),
    };
    let t = &mut trace;
    message(t, (0, send(2)), ("alice", "athens", 1), echo(), false);
    message(
        t,
        (0, TraceKind::Duplicate { deliver_at: 3 }),
        ("alice", "athens", 1),
        echo(),
        false,
    );
    t.record(at(1, "athens", TraceKind::Note, "leader of term 1"));
    t.record(at(
        1,
        "test",
        TraceKind::Fault,
        "partition [[athens], [byzantium]]",
    ));
    let partition = TraceKind::Drop(DropReason::Partition);
    message(
        t,
        (1, partition),
        ("athens", "byzantium", 2),
        relay(),
        false,
    );
    message(
        t,
        (2, TraceKind::Deliver),
        ("alice", "athens", 1),
        echo(),
        true,
    );
    message(t, (2, send(4)), ("athens", "alice", 3), reply(), false);
    t.record(at(2, "athens", TraceKind::StoreDone, "put term"));
    message(
        t,
        (3, TraceKind::Deliver),
        ("alice", "athens", 1),
        echo(),
        true,
    );
    let held = TraceKind::Send { deliver_at: None };
    message(t, (3, held), ("athens", "alice", 4), reply(), false);
    message(
        t,
        (4, TraceKind::Deliver),
        ("athens", "alice", 3),
        reply(),
        true,
    );
    t.record(at(5, "athens", TraceKind::Timer, ""));
    t.record(at(
        5,
        "net",
        TraceKind::Fault,
        "remove rule 1, releasing 1 held message(s)",
    ));
    let release = TraceKind::Release { deliver_at: 6 };
    message(t, (5, release), ("athens", "alice", 4), reply(), false);
    message(
        t,
        (6, TraceKind::Deliver),
        ("athens", "alice", 4),
        reply(),
        true,
    );
    t.record(at(
        6,
        "byzantium",
        TraceKind::Crash,
        "lost 1 unsynced write(s)",
    ));
    message(t, (6, send(8)), ("athens", "byzantium", 5), echo(), false);
    let node_down = TraceKind::Drop(DropReason::NodeDown);
    message(t, (8, node_down), ("athens", "byzantium", 5), echo(), true);
    t.record(
        TraceEvent::new(8, ProcessId::new("athens"), TraceKind::RequestTimeout)
            .peer(ProcessId::new("byzantium"))
            .corr(CorrId::new(0, 5)),
    );
    t.record(at(9, "byzantium", TraceKind::Restart, "incarnation 1"));
    t.record(at(9, "alice", TraceKind::Pause, ""));
    message(t, (10, send(11)), ("athens", "alice", 6), echo(), false);
    t.record(at(12, "cyrene", TraceKind::Pause, ""));
    message(t, (12, send(13)), ("athens", "cyrene", 7), echo(), false);
    t.record(at(14, "alice", TraceKind::Resume, "1 message(s) waiting"));
    message(
        t,
        (15, TraceKind::Deliver),
        ("athens", "alice", 6),
        echo(),
        true,
    );
    t.record(at(16, "cyrene", TraceKind::Crash, ""));
    message(t, (20, send(21)), ("alice", "athens", 8), relay(), false);
    t.record(at(20, "athens", TraceKind::StoreFailed, "put log"));
    t.record(at(
        40,
        "athens",
        TraceKind::Note,
        "committed index 3; ready for <more> & \"quotes\"",
    ));
    trace
}

fn handmade() -> SequenceDiagram {
    let lanes = ["athens", "byzantium", "cyrene", "alice"].map(ProcessId::new);
    SequenceDiagram::from_trace(&handmade_trace())
        .lanes(&lanes)
        .title("one of everything")
}

#[test]
fn the_echo_run_draws_as_its_golden_mermaid_and_svg() {
    let diagram = SequenceDiagram::of_cluster(&echo_cluster()).title("echo");
    assert_golden("echo.mmd", &diagram.to_mermaid());
    assert_golden("echo.svg", &diagram.to_svg());
}

#[test]
fn a_trace_with_one_of_everything_draws_as_its_golden_mermaid_and_svg() {
    let diagram = handmade();
    assert_golden("everything.mmd", &diagram.to_mermaid());
    assert_golden("everything.svg", &diagram.to_svg());
}

#[test]
fn sends_pair_with_deliveries_duplicates_releases_and_backlogs() {
    let diagram = handmade();
    let lanes: Vec<&str> = diagram.lane_names().iter().map(|l| l.as_str()).collect();
    assert_eq!(
        lanes,
        ["athens", "byzantium", "cyrene", "alice"],
        "one lane per node, in the order asked, and none for the pseudo-nodes test and net"
    );
    let arrows = diagram.arrows();
    let summary: Vec<(Option<Tick>, Option<Tick>, bool, Fate)> = arrows
        .iter()
        .map(|a| (a.sent, a.end, a.duplicate, a.fate.clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (Some(0), Some(2), false, Fate::Delivered),
            (Some(0), Some(3), true, Fate::Delivered),
            (Some(1), Some(1), false, Fate::Lost("partition".into())),
            (Some(2), Some(4), false, Fate::Delivered),
            (Some(3), Some(6), false, Fate::Delivered),
            (Some(6), Some(8), false, Fate::Lost("node down".into())),
            (Some(10), Some(15), false, Fate::Delivered),
            (Some(12), Some(16), false, Fate::Discarded),
            (Some(20), None, false, Fate::InFlight),
        ],
        "each message's send, end, duplication and fate"
    );
    assert_eq!(
        arrows[4].released,
        Some(5),
        "the held reply was released at tick 5"
    );
    let spans: Vec<(usize, SpanKind, Tick, Option<Tick>)> = diagram
        .spans()
        .iter()
        .map(|s| (s.lane, s.kind, s.from, s.to))
        .collect();
    assert_eq!(
        spans,
        vec![
            (1, SpanKind::Down, 6, Some(9)),
            (3, SpanKind::Paused, 9, Some(14)),
            (2, SpanKind::Paused, 12, Some(16)),
            (2, SpanKind::Down, 16, None),
        ],
        "byzantium down 6..9, alice paused 9..14, cyrene paused then down to the end"
    );
    let across: Vec<&str> = diagram
        .marks()
        .iter()
        .filter(|m| m.lane.is_none())
        .map(|m| m.label.as_str())
        .collect();
    assert_eq!(
        across,
        [
            "partition [[athens], [byzantium]]",
            "remove rule 1, releasing 1 held message(s)"
        ],
        "the faults of the test and the network are drawn across the diagram"
    );
    let kinds: BTreeSet<MarkKind> = diagram.marks().iter().map(|m| m.kind).collect();
    for kind in [
        MarkKind::Timer,
        MarkKind::RequestTimeout,
        MarkKind::Storage,
        MarkKind::StorageFailed,
        MarkKind::Note,
        MarkKind::Crash,
        MarkKind::Restart,
    ] {
        assert!(kinds.contains(&kind), "a {kind:?} mark is missing");
    }
}

/// Counts what a trace says happened to its messages.
fn trace_counts(trace: &Trace<EchoMsg>) -> (usize, usize, usize) {
    let mut nodes = BTreeSet::new();
    let (mut delivered, mut dropped) = (0, 0);
    for event in trace.events() {
        for id in std::iter::once(&event.node).chain(event.peer.as_ref()) {
            if !["test", "net"].contains(&id.as_str()) {
                nodes.insert(id.clone());
            }
        }
        match event.kind {
            TraceKind::Deliver => delivered += 1,
            TraceKind::Drop(_) => dropped += 1,
            _ => {}
        }
    }
    (nodes.len(), delivered, dropped)
}

#[test]
fn the_html_page_is_well_formed_with_one_lane_per_node_and_an_arrow_per_message() {
    let trace = busy_trace(3_000);
    let html = SequenceDiagram::from_trace(&trace).to_html();
    let elements = parse(&html).unwrap_or_else(|e| panic!("the HTML is not well formed: {e}"));
    let (nodes, delivered, dropped) = trace_counts(&trace);
    assert!(
        delivered > 500 && dropped > 20,
        "the busy trace must deliver and lose messages ({delivered} delivered, {dropped} dropped)"
    );
    assert_eq!(
        count(&elements, &["lane"]),
        nodes,
        "exactly one lane per node of the trace"
    );
    assert_eq!(
        count(&elements, &["m", "dl"]),
        delivered,
        "one delivered arrow per Deliver event"
    );
    assert_eq!(
        count(&elements, &["m", "lost"]),
        dropped,
        "one lost arrow per Drop event"
    );
    let svgs = elements.iter().filter(|e| e.name == "svg").count();
    assert_eq!(svgs, 1, "the page holds one inline SVG");
    let scripts: Vec<&picture_support::Element> =
        elements.iter().filter(|e| e.name == "script").collect();
    assert!(
        scripts.iter().all(|s| !s.attrs.contains_key("src")),
        "the page must load no script from elsewhere"
    );
    assert_eq!(
        html.matches("://").count(),
        1,
        "the only address in the page is the SVG namespace: it loads nothing"
    );
    let untitled = elements
        .iter()
        .filter(|e| e.name == "g" && !e.has_classes(&["key"]))
        .count();
    let titles = elements
        .iter()
        .filter(|e| e.name == "title" && e.ancestors.iter().any(|a| a == "g"))
        .count();
    assert_eq!(untitled, titles, "every drawn group has a tooltip");
}

#[test]
fn the_same_trace_always_draws_the_same_bytes() {
    let a = SequenceDiagram::from_trace(&busy_trace(2_000));
    let b = SequenceDiagram::from_trace(&busy_trace(2_000));
    assert_eq!(a.to_html(), b.to_html(), "the HTML must be deterministic");
    assert_eq!(
        a.to_mermaid(),
        b.to_mermaid(),
        "the Mermaid text must be deterministic"
    );
}

/// The size bound the picture module states, held on a generated trace of 10,000
/// events (a size check, not a timing).
#[test]
fn a_ten_thousand_event_page_stays_within_its_stated_bytes_per_event() {
    let trace = busy_trace(10_000);
    let diagram = SequenceDiagram::from_events(trace.events().take(10_000));
    assert_eq!(
        diagram.events(),
        10_000,
        "the diagram is drawn from 10,000 events"
    );
    let html = diagram.to_html();
    let bound = HTML_OVERHEAD_BYTES_MAX + HTML_BYTES_PER_EVENT_MAX * diagram.events();
    assert!(
        html.len() <= bound,
        "the page of 10,000 events takes {} bytes ({:.1} a event), over its bound of {bound}",
        html.len(),
        html.len() as f64 / 10_000.0
    );
    let mermaid = diagram.to_mermaid();
    assert!(
        mermaid.len() < 50_000,
        "Mermaid refuses texts over 50,000 characters; this one has {}",
        mermaid.len()
    );
}
