//! The timeline picture of a history, with a checker's counterexample drawn on it.
//! Golden files are in `common/tests/golden/`; after a deliberate change, regenerate
//! them with `UPDATE_GOLDEN=1 cargo test -p common --test check pictures`.

#[path = "../picture_support/mod.rs"]
mod picture_support;

use crate::known_histories::{ddia_quorum_stale_read, kv_history};
use common::check::models::{KvRegister, Register, RegisterOp, Ret};
use common::check::{self, Counterexample};
use common::history::History;
use common::id::OpId;
use common::picture::{HistoryTimeline, Role};
use picture_support::{Element, assert_golden, parse};
use std::collections::BTreeSet;

/// The operations a drawing marks with all of `classes`, by their `data-op`.
fn drawn_with(elements: &[Element], classes: &[&str]) -> BTreeSet<u64> {
    elements
        .iter()
        .filter(|e| e.has_classes(classes) && !e.has_classes(&["key"]))
        .filter_map(|e| e.attrs.get("data-op")?.parse().ok())
        .collect()
}

fn ids(ops: &[OpId]) -> BTreeSet<u64> {
    ops.iter().map(|op| op.0).collect()
}

fn counterexample_of(verdict: &check::Verdict) -> &Counterexample {
    verdict
        .counterexample()
        .unwrap_or_else(|| panic!("the history must be rejected: {verdict}"))
}

#[test]
fn the_stale_read_timeline_highlights_exactly_the_counterexample() {
    let (history, [write, read_a, read_b]) = ddia_quorum_stale_read();
    let verdict = check::linearizable(&Register::new(0), &history);
    let counterexample = counterexample_of(&verdict);
    let timeline = HistoryTimeline::of_violation(&history, &Register::new(0), counterexample);
    assert_eq!(
        timeline.roles(),
        vec![
            (write, Role::TookEffect(1)),
            (read_a, Role::TookEffect(2)),
            (read_b, Role::Stuck)
        ],
        "the write and reader A's read took effect in that order; reader B's read is stuck"
    );
    let svg = timeline.to_svg();
    let elements = parse(&svg).unwrap_or_else(|e| panic!("the SVG is not well formed: {e}"));
    assert_eq!(
        drawn_with(&elements, &["op", "te"]),
        ids(&counterexample.prefix),
        "exactly the explained order is drawn as having taken effect"
    );
    assert_eq!(
        drawn_with(&elements, &["op", "stuck"]),
        ids(&counterexample.stuck),
        "exactly the stuck operations are drawn as stuck"
    );
    assert!(
        drawn_with(&elements, &["op", "dim"]).is_empty(),
        "every operation of this small history is part of the counterexample"
    );
    assert_golden("stale-read.svg", &svg);
}

#[test]
fn a_keyed_violation_draws_only_the_failing_key_and_dims_the_rest_of_it() {
    let mut history = kv_history();
    // One more operation on the failing key, outside the counterexample, and one on
    // the other key.
    let late = history.invoke("carol", common::check::models::KvOp::Read("y"), 4);
    history.ok(late, Ret::Value(2), 5);
    let other = history.invoke("carol", common::check::models::KvOp::Read("x"), 6);
    history.ok(other, Ret::Value(1), 7);
    let model = KvRegister::new(0);
    let verdict = check::linearizable(&model, &history);
    let counterexample = counterexample_of(&verdict);
    let timeline = HistoryTimeline::of_violation(&history, &model, counterexample);
    let html = timeline.to_html();
    let elements = parse(&html).unwrap_or_else(|e| panic!("the HTML is not well formed: {e}"));
    let drawn = drawn_with(&elements, &["op"]);
    assert!(
        !drawn.contains(&OpId(0).0) && !drawn.contains(&other.0),
        "operations on key x must not be drawn when key y failed: {drawn:?}"
    );
    assert_eq!(
        drawn_with(&elements, &["op", "te"]),
        ids(&counterexample.prefix)
    );
    assert_eq!(
        drawn_with(&elements, &["op", "stuck"]),
        ids(&counterexample.stuck)
    );
    assert_eq!(
        drawn_with(&elements, &["op", "dim"]),
        BTreeSet::from([late.0]),
        "the failing key's other operation is dimmed"
    );
    assert!(
        html.contains("history is not linearizable (key &quot;y&quot;)"),
        "the page must carry the checker's account"
    );
}

#[test]
fn info_and_pending_operations_stay_open_to_the_end_of_the_run() {
    let mut history: History<RegisterOp<i64>, Ret<i64>> = History::new();
    let w = history.invoke("alice", RegisterOp::Write(1), 0);
    let r = history.invoke("bob", RegisterOp::Read, 1);
    history.info(w, 3);
    history.ok(r, Ret::Value(1), 4);
    let f = history.invoke("carol", RegisterOp::Write(2), 5);
    history.fail(f, 6);
    let p = history.invoke("bob", RegisterOp::Write(3), 7);
    let svg = HistoryTimeline::new(&history)
        .title("open operations")
        .to_svg();
    let elements = parse(&svg).unwrap_or_else(|e| panic!("the SVG is not well formed: {e}"));
    assert_eq!(
        drawn_with(&elements, &["op", "info"]),
        BTreeSet::from([w.0])
    );
    assert_eq!(
        drawn_with(&elements, &["op", "pend"]),
        BTreeSet::from([p.0])
    );
    assert_eq!(
        drawn_with(&elements, &["op", "fail"]),
        BTreeSet::from([f.0])
    );
    assert_golden("open-operations.svg", &svg);
}
