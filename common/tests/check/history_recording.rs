//! Recording rules and the renderings of a history.

use common::check::models::{CasOp, CounterOp, KvCasOp, KvCasRet, KvOp, LogOp, RegisterOp, Ret};
use common::history::{EventKind, History, HistoryError, Outcome, Timeline};
use common::id::{OpId, ProcessId};

/// alice writes 1 (ok), bob's read overlaps it (ok 1), carol's write times out (info),
/// dave's write is rejected (fail), and bob's second read is still pending.
fn sample() -> History<RegisterOp<i64>, Ret<i64>> {
    let mut h = History::new();
    let w = h.invoke("alice", RegisterOp::Write(1), 10);
    let r = h.invoke("bob", RegisterOp::Read, 11);
    h.ok(r, Ret::Value(1), 12);
    h.ok(w, Ret::Done, 12);
    let lost = h.invoke("carol", RegisterOp::Write(2), 13);
    let rejected = h.invoke("dave", RegisterOp::Write(3), 13);
    h.fail(rejected, 14);
    h.info(lost, 20);
    h.invoke("bob", RegisterOp::Read, 21);
    h
}

#[test]
fn text_form_is_one_line_per_event_with_sequence_tick_client_type_f_and_value() {
    assert_eq!(
        sample().to_text(),
        "0 t10 alice invoke write 1\n\
         1 t11 bob invoke read nil\n\
         2 t12 bob ok read 1\n\
         3 t12 alice ok write 1\n\
         4 t13 carol invoke write 2\n\
         5 t13 dave invoke write 3\n\
         6 t14 dave fail write 3\n\
         7 t20 carol info write 2\n\
         8 t21 bob invoke read nil\n"
    );
}

#[test]
fn edn_form_is_a_vector_of_jepsen_operation_maps() {
    let edn = sample().to_edn();
    let lines: Vec<&str> = edn.lines().collect();
    assert_eq!(
        lines[0],
        r#"[{:process 0, :type :invoke, :f :write, :value 1, :index 0, :tick 10, :process-name "alice"}"#
    );
    assert_eq!(
        lines[2],
        r#" {:process 1, :type :ok, :f :read, :value 1, :index 2, :tick 12, :process-name "bob"}"#,
        "an ok read carries the value it read"
    );
    assert_eq!(
        lines[7],
        r#" {:process 2, :type :info, :f :write, :value 2, :index 7, :tick 20, :process-name "carol"}"#,
        "an info completion repeats the invocation's value, as in Jepsen"
    );
    assert_eq!(
        lines[8],
        r#" {:process 1, :type :invoke, :f :read, :value nil, :index 8, :tick 21, :process-name "bob"}]"#
    );
    assert_eq!(lines.len(), 9, "one map per event");
}

#[test]
fn keyed_operations_render_as_jepsen_independent_tuples() {
    let mut h = History::new();
    let w = h.invoke("alice", KvOp::Write("x", 1), 0);
    let r = h.invoke("bob", KvOp::Read("x"), 0);
    h.ok(r, Ret::Value(1), 1);
    h.ok(w, Ret::Done, 1);
    assert_eq!(
        h.to_text(),
        "0 t0 alice invoke write [\"x\" 1]\n\
         1 t0 bob invoke read [\"x\" nil]\n\
         2 t1 bob ok read [\"x\" 1]\n\
         3 t1 alice ok write [\"x\" 1]\n"
    );
}

#[test]
fn a_compare_and_set_renders_expected_and_new_and_stays_so_when_it_completes() {
    let mut h = History::new();
    let c = h.invoke(
        "alice",
        CasOp::Cas {
            expected: 1,
            new: 2,
        },
        0,
    );
    h.ok(c, Ret::<i64>::Swapped(true), 1);
    assert_eq!(
        h.to_text(),
        "0 t0 alice invoke cas [1 2]\n1 t1 alice ok cas [1 2]\n"
    );
}

#[test]
fn a_compare_and_set_register_read_renders_the_value_it_returned() {
    let mut h = History::new();
    let w = h.invoke("alice", CasOp::Write(3), 0);
    h.ok(w, Ret::Done, 1);
    let r = h.invoke("bob", CasOp::Read, 2);
    h.ok(r, Ret::Value(3), 3);
    assert_eq!(
        h.to_text(),
        "0 t0 alice invoke write 3\n1 t1 alice ok write 3\n\
         2 t2 bob invoke read nil\n3 t3 bob ok read 3\n"
    );
}

#[test]
fn counter_and_log_operations_render_under_their_jepsen_names() {
    let mut counter = History::new();
    let i = counter.invoke("alice", CounterOp::Inc, 0);
    counter.ok(i, Ret::Done, 1);
    let a = counter.invoke("alice", CounterOp::Add(5), 2);
    counter.info(a, 3);
    let r = counter.invoke("bob", CounterOp::Read, 4);
    counter.ok(r, Ret::Value(6), 5);
    assert_eq!(
        counter.to_text(),
        "0 t0 alice invoke inc nil\n1 t1 alice ok inc nil\n\
         2 t2 alice invoke add 5\n3 t3 alice info add 5\n\
         4 t4 bob invoke read nil\n5 t5 bob ok read 6\n"
    );
    let mut log = History::new();
    let a = log.invoke("alice", LogOp::Append(7), 0);
    log.ok(a, Ret::Done, 1);
    let r = log.invoke("bob", LogOp::Read, 2);
    log.ok(r, Ret::Value(vec![7]), 3);
    assert_eq!(
        log.to_text(),
        "0 t0 alice invoke append 7\n1 t1 alice ok append 7\n\
         2 t2 bob invoke read nil\n3 t3 bob ok read [7]\n"
    );
}

#[test]
fn key_value_swap_operations_render_as_jepsen_independent_tuples() {
    let mut h: History<KvCasOp, KvCasRet> = History::new();
    let s = h.invoke(
        "alice",
        KvCasOp::Set {
            key: "x".into(),
            value: "a".into(),
        },
        0,
    );
    h.ok(s, KvCasRet::Stored { value: "a".into() }, 1);
    let g = h.invoke("bob", KvCasOp::Get { key: "x".into() }, 2);
    h.ok(
        g,
        KvCasRet::Read {
            value: Some("a".into()),
        },
        3,
    );
    let c = h.invoke(
        "carol",
        KvCasOp::Cas {
            key: "x".into(),
            expected: None,
            new: "b".into(),
        },
        4,
    );
    h.info(c, 5);
    assert_eq!(
        h.to_text(),
        "0 t0 alice invoke write [\"x\" \"a\"]\n1 t1 alice ok write [\"x\" \"a\"]\n\
         2 t2 bob invoke read [\"x\" nil]\n3 t3 bob ok read [\"x\" \"a\"]\n\
         4 t4 carol invoke cas [\"x\" [nil \"b\"]]\n5 t5 carol info cas [\"x\" [nil \"b\"]]\n"
    );
}

#[test]
fn json_form_has_the_same_fields_as_the_edn_form() {
    let json = sample().to_json();
    assert_eq!(
        json[1],
        serde_json::json!({
            "process": 1, "type": "invoke", "f": "read", "value": null,
            "index": 1, "tick": 11, "process-name": "bob"
        })
    );
    assert_eq!(json[6]["type"], "fail");
    assert_eq!(
        json.as_array().map(Vec::len),
        Some(9),
        "one object per event"
    );
}

#[test]
fn timeline_draws_one_lane_per_client_with_a_tick_ruler_and_a_legend() {
    assert_eq!(
        sample().timeline(),
        "tick  |10 11 12    13    14 20 21\n\
         alice |[op0-----]\n\
         bob   |   [1-]                 [4->\n\
         carol |            [op2-----?......\n\
         dave  |               [3-x\n  \
         op0 alice write 1 -> ok 1  (events 0..3, ticks 10..12)\n  \
         op1 bob read nil -> ok 1  (events 1..2, ticks 11..12)\n  \
         op2 carol write 2 -> info (outcome unknown)  (events 4..7, ticks 13..20)\n  \
         op3 dave write 3 -> fail  (events 5..6, ticks 13..14)\n  \
         op4 bob read nil -> pending  (events 8.., ticks 21..)\n"
    );
}

#[test]
fn a_timeline_window_gives_columns_only_to_the_operations_shown() {
    let h = sample();
    let shown = Timeline::new(&h)
        .only([OpId(2), OpId(3)])
        .note(OpId(3), "rejected by the leader")
        .highlight(OpId(2))
        .render();
    assert_eq!(
        shown,
        "tick  |13    14 20\n\
         carol |[op2!!!!!?...\n\
         dave  |   [3-x\n  \
         op2 carol write 2 -> info (outcome unknown)  (events 4..7, ticks 13..20)\n  \
         op3 dave write 3 -> fail  (events 5..6, ticks 13..14)  <- rejected by the leader\n"
    );
}

#[test]
fn events_are_numbered_in_real_time_order_even_within_one_tick() {
    let h = sample();
    let seqs: Vec<u64> = h.events().map(|e| e.seq).collect();
    assert_eq!(seqs, (0..9).collect::<Vec<_>>());
    let at_12: Vec<(u64, EventKind)> = h
        .events()
        .filter(|e| e.tick == 12)
        .map(|e| (e.seq, e.kind))
        .collect();
    assert_eq!(
        at_12,
        vec![(2, EventKind::Ok), (3, EventKind::Ok)],
        "two completions in tick 12 keep the order they were recorded in"
    );
}

#[test]
fn operations_expose_their_invocation_completion_and_output() {
    let h = sample();
    let ops: Vec<_> = h.ops().collect();
    assert_eq!(ops.len(), 5);
    assert_eq!(ops[1].client(), &ProcessId::new("bob"));
    assert_eq!(ops[1].invoke_seq(), 1);
    assert_eq!(ops[1].invoke_tick(), 11);
    assert_eq!(ops[1].output(), Some(&Ret::Value(1)));
    assert_eq!(ops[1].completion().map(|c| (c.seq, c.tick)), Some((2, 12)));
    assert_eq!(ops[2].outcome(), &Outcome::Info);
    assert_eq!(ops[3].completion_kind(), Some(EventKind::Fail));
    assert_eq!(ops[4].outcome(), &Outcome::Pending);
    assert!(ops[2].is_indefinite() && ops[4].is_indefinite() && !ops[3].is_indefinite());
    assert_eq!(h.outstanding(&ProcessId::new("bob")), Some(OpId(4)));
    assert_eq!(
        h.clients(),
        ["alice", "bob", "carol", "dave"]
            .map(ProcessId::new)
            .to_vec(),
        "clients are listed in order of first invocation"
    );
}

#[test]
#[should_panic(expected = "an operation completes at most once")]
fn an_operation_completes_at_most_once() {
    let mut h: History<RegisterOp<i64>, Ret<i64>> = History::new();
    let w = h.invoke("alice", RegisterOp::Write(1), 0);
    h.info(w, 5);
    h.ok(w, Ret::Done, 6);
}

#[test]
#[should_panic(expected = "a client has at most one operation outstanding")]
fn a_client_has_at_most_one_operation_outstanding() {
    let mut h: History<RegisterOp<i64>, Ret<i64>> = History::new();
    h.invoke("alice", RegisterOp::Write(1), 0);
    h.invoke("alice", RegisterOp::Read, 1);
}

#[test]
fn a_client_may_invoke_again_once_its_operation_is_info() {
    let mut h: History<RegisterOp<i64>, Ret<i64>> = History::new();
    let w = h.invoke("alice", RegisterOp::Write(1), 0);
    h.info(w, 5);
    assert_eq!(h.try_invoke("alice", RegisterOp::Read, 6), Ok(OpId(1)));
}

#[test]
fn recording_errors_name_the_broken_rule() {
    let mut h: History<RegisterOp<i64>, Ret<i64>> = History::new();
    assert_eq!(
        h.try_ok(OpId(7), Ret::Done, 0),
        Err(HistoryError::UnknownOp { op: OpId(7) })
    );
    let w = h.invoke("alice", RegisterOp::Write(1), 5);
    let err = h.try_fail(w, 4).expect_err("tick 4 is before tick 5");
    assert_eq!(
        err.to_string(),
        "event at tick 4 recorded after an event at tick 5: events are recorded in real-time order"
    );
    assert_eq!(
        h.ops().next().map(|op| op.outcome().clone()),
        Some(Outcome::Pending),
        "a rejected completion leaves the operation outstanding"
    );
}
