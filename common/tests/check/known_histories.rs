//! Fixed histories with known verdicts: the classic anomalies, and correct behaviour
//! that a checker must not reject.

use common::check::models::{
    AppendLog, CasOp, CasRegister, Counter, CounterOp, KvCas, KvCasOp, KvCasRet, KvOp, KvRegister,
    LogOp, Register, RegisterOp, Ret,
};
use common::check::{self, Checker, Consistency, Verdict};
use common::history::{History, Value};
use common::id::OpId;

fn order_of(verdict: &Verdict) -> Vec<OpId> {
    verdict
        .order()
        .unwrap_or_else(|| panic!("expected a consistent history, got: {verdict}"))
}

/// DDIA, chapter 9, "Linearizability and quorums": a writer sets x = 1 on three
/// replicas, and the write reaches them at different times. Reader A reads from a
/// quorum that includes the fast replica and sees 1; reader B starts after A finished,
/// reads from a quorum of two slow replicas and sees 0. The write is still in flight for
/// both reads.
///
/// * Not linearizable: A saw 1, so the write took effect before A returned; B started
///   after that and still saw 0.
/// * Sequentially consistent: each reader issued one operation, so the order
///   B read 0, write 1, A read 1 respects every client's program order.
pub(crate) fn ddia_quorum_stale_read() -> (History<RegisterOp<i64>, Ret<i64>>, [OpId; 3]) {
    let mut h = History::new();
    let write = h.invoke("writer", RegisterOp::Write(1), 0);
    let read_a = h.invoke("reader-a", RegisterOp::Read, 2);
    h.ok(read_a, Ret::Value(1), 4);
    let read_b = h.invoke("reader-b", RegisterOp::Read, 5);
    h.ok(read_b, Ret::Value(0), 7);
    h.ok(write, Ret::Done, 9);
    (h, [write, read_a, read_b])
}

#[test]
fn ddia_quorum_stale_read_is_not_linearizable() {
    let (h, [write, read_a, read_b]) = ddia_quorum_stale_read();
    let verdict = check::linearizable(&Register::new(0), &h);
    let counterexample = verdict.counterexample().unwrap_or_else(|| {
        panic!("a read of 0 after another client read 1 must not be linearizable: {verdict}")
    });
    assert_eq!(counterexample.consistency, Consistency::Linearizability);
    assert_eq!(
        counterexample.prefix,
        vec![write, read_a],
        "the longest explainable order is the write, then reader A's read of 1"
    );
    assert_eq!(
        counterexample.stuck,
        vec![read_b],
        "reader B's read of 0 is the operation that cannot be placed"
    );
}

#[test]
fn ddia_quorum_stale_read_is_sequentially_consistent() {
    let (h, [write, read_a, read_b]) = ddia_quorum_stale_read();
    let verdict = check::sequential(&Register::new(0), &h);
    assert_eq!(
        order_of(&verdict),
        vec![read_b, write, read_a],
        "without real time, B's read of 0 can simply come before the write"
    );
}

#[test]
fn a_counterexample_prints_the_prefix_the_stuck_operation_and_a_timeline() {
    let (h, _) = ddia_quorum_stale_read();
    let shown = check::linearizable(&Register::new(0), &h).to_string();
    for expected in [
        "history is not linearizable",
        "longest explainable order (2 ops): op0, op1",
        "model state after it: 1",
        "could not place next: op2",
        "reader-b |         [2!]",
        "op2 reader-b read nil -> ok 0  (events 3..4, ticks 5..7)  <- could not be placed",
        "op1 reader-a read nil -> ok 1  (events 1..2, ticks 2..4)  <- took effect #2",
    ] {
        assert!(
            shown.contains(expected),
            "the violation report must contain {expected:?}:\n{shown}"
        );
    }
}

/// The counterexample's prefix is the longest explainable order, not the first dead end
/// the search met. Searching in invocation order, the checkers first place alice's write
/// and are stuck at once (bob's read of 0 can no longer be placed); the longest order is
/// bob's read, alice's write, carol's read of 1, and only dave's read of 5 is impossible.
#[test]
fn a_counterexample_reports_the_longest_explainable_order_not_the_first_dead_end() {
    let mut h = History::new();
    let write = h.invoke("alice", RegisterOp::Write(1), 0);
    let zero = h.invoke("bob", RegisterOp::Read, 1);
    h.ok(zero, Ret::Value(0), 2);
    let one = h.invoke("carol", RegisterOp::Read, 3);
    h.ok(one, Ret::Value(1), 4);
    let five = h.invoke("dave", RegisterOp::Read, 5);
    h.ok(five, Ret::Value(5), 6);
    h.ok(write, Ret::Done, 10);
    let model = Register::new(0);
    let linearizable = check::linearizable(&model, &h);
    let counterexample = linearizable
        .counterexample()
        .unwrap_or_else(|| panic!("nobody wrote 5: {linearizable}"));
    assert_eq!(counterexample.prefix, vec![zero, write, one]);
    assert_eq!(counterexample.stuck, vec![five]);
    for checker in [Checker::new(), Checker::new().linearizable_first(false)] {
        let sequential = checker.sequential(&model, &h);
        let counterexample = sequential
            .counterexample()
            .unwrap_or_else(|| panic!("nobody wrote 5: {sequential}"));
        assert_eq!(
            counterexample.prefix.len(),
            3,
            "the longest program-order explanation places three operations: {sequential}"
        );
    }
}

/// On a long history the counterexample's timeline shows what explains the failure: the
/// operation that could not be placed, the last few that took effect, and every other
/// operation that overlaps the stuck one in time. Here dave's slow read of 0 took effect
/// first of all, long before the tail of the order, but it was still running when bob
/// read: it is shown. Alice's first writes, finished long before, are left out.
#[test]
fn a_counterexample_timeline_shows_what_overlaps_the_stuck_operation_and_not_the_distant_past() {
    let mut h = History::new();
    let slow = h.invoke("dave", RegisterOp::Read, 1);
    for v in 1..=8 {
        let w = h.invoke("alice", RegisterOp::Write(v), 2 * v as u64);
        h.ok(w, Ret::Done, 2 * v as u64 + 1);
    }
    let lost = h.invoke("carol", RegisterOp::Write(100), 19);
    let read = h.invoke("bob", RegisterOp::Read, 20);
    h.ok(read, Ret::Value(3), 21);
    h.ok(slow, Ret::Value(0), 25);
    h.info(lost, 30);
    let verdict = check::linearizable(&Register::new(0), &h);
    let counterexample = verdict
        .counterexample()
        .unwrap_or_else(|| panic!("a read of 3 after 8 was written is stale: {verdict}"));
    let timeline = &counterexample.timeline;
    for shown in [
        "bob read nil -> ok 3",
        "alice write 8 -> ok",
        "dave read nil -> ok 0",
    ] {
        assert!(
            timeline.contains(shown),
            "the timeline must show {shown:?}:\n{timeline}"
        );
    }
    for hidden in ["alice write 1 ->", "alice write 2 ->"] {
        assert!(
            !timeline.contains(hidden),
            "the timeline must leave out {hidden:?}, long finished:\n{timeline}"
        );
    }
}

/// The last-write-wins store under clock skew (as in the workshop's clock-skew
/// lesson): alice writes 1. Bob's write of 2 goes to a replica whose clock runs ahead,
/// so it carries a later timestamp than anything written after it. Bob's request times
/// out, and the client records it as `fail`. Alice then writes 3 and is acknowledged,
/// but the replicas keep 2 (its timestamp is newer): alice's update is lost, and carol
/// reads 2.
fn lost_update_under_clock_skew(
    bob_records_timeout_as: &str,
) -> History<RegisterOp<i64>, Ret<i64>> {
    let mut h = History::new();
    let a1 = h.invoke("alice", RegisterOp::Write(1), 0);
    h.ok(a1, Ret::Done, 3);
    let b = h.invoke("bob", RegisterOp::Write(2), 4);
    match bob_records_timeout_as {
        "fail" => h.fail(b, 14),
        "info" => h.info(b, 14),
        other => panic!("unknown completion {other}"),
    }
    let a2 = h.invoke("alice", RegisterOp::Write(3), 15);
    h.ok(a2, Ret::Done, 18);
    let read = h.invoke("carol", RegisterOp::Read, 20);
    h.ok(read, Ret::Value(2), 22);
    h
}

#[test]
fn a_write_recorded_as_fail_that_took_effect_is_not_linearizable() {
    let h = lost_update_under_clock_skew("fail");
    let verdict = check::linearizable(&Register::new(0), &h);
    assert!(
        verdict.is_violation(),
        "carol read a value whose write was recorded as definitely not happening: {verdict}"
    );
}

#[test]
fn a_write_recorded_as_fail_that_took_effect_is_not_sequentially_consistent() {
    let h = lost_update_under_clock_skew("fail");
    let verdict = check::sequential(&Register::new(0), &h);
    assert!(
        verdict.is_violation(),
        "no order of the recorded writes produces 2: {verdict}"
    );
}

#[test]
fn the_same_timed_out_write_recorded_honestly_as_info_is_linearizable() {
    // As `info`, bob's write may take effect any time after it was sent, including
    // after alice's second write: 1, 3, 2, then carol reads 2. The lost update is real,
    // but a client that does not know the outcome cannot claim otherwise; this is why
    // a timed-out write must be recorded as `info`.
    let h = lost_update_under_clock_skew("info");
    let verdict = check::linearizable(&Register::new(0), &h);
    assert_eq!(
        order_of(&verdict),
        vec![OpId(0), OpId(2), OpId(1), OpId(3)],
        "bob's write must be placed after alice's second write"
    );
}

#[test]
fn a_sequential_history_is_linearizable_in_its_own_order() {
    let mut h = History::new();
    let w = h.invoke("alice", RegisterOp::Write(3), 0);
    h.ok(w, Ret::Done, 1);
    let r = h.invoke("bob", RegisterOp::Read, 1);
    h.ok(r, Ret::Value(3), 2);
    let w2 = h.invoke("bob", RegisterOp::Write(4), 2);
    h.ok(w2, Ret::Done, 3);
    assert_eq!(
        order_of(&check::linearizable(&Register::new(0), &h)),
        vec![w, r, w2]
    );
}

#[test]
fn overlapping_writes_may_take_effect_in_the_reverse_of_their_invocation_order() {
    // Three writes all overlap three successive reads that see 3, then 2, then 1.
    let mut h = History::new();
    let w1 = h.invoke("p1", RegisterOp::Write(1), 0);
    let w2 = h.invoke("p2", RegisterOp::Write(2), 0);
    let w3 = h.invoke("p3", RegisterOp::Write(3), 0);
    let mut reads = Vec::new();
    for (tick, seen) in [(1, 3), (2, 2), (3, 1)] {
        let r = h.invoke("reader", RegisterOp::Read, tick);
        h.ok(r, Ret::Value(seen), tick);
        reads.push(r);
    }
    h.ok(w1, Ret::Done, 4);
    h.ok(w2, Ret::Done, 4);
    h.ok(w3, Ret::Done, 4);
    assert_eq!(
        order_of(&check::linearizable(&Register::new(0), &h)),
        vec![w3, reads[0], w2, reads[1], w1, reads[2]]
    );
}

#[test]
fn an_info_write_that_nobody_observed_is_explained_as_taking_effect_last() {
    let mut h = History::new();
    let w = h.invoke("alice", RegisterOp::Write(1), 0);
    h.info(w, 5);
    let r = h.invoke("bob", RegisterOp::Read, 6);
    h.ok(r, Ret::Value(0), 7);
    let r2 = h.invoke("bob", RegisterOp::Read, 8);
    h.ok(r2, Ret::Value(0), 9);
    let verdict = check::linearizable(&Register::new(0), &h);
    let order = order_of(&verdict);
    assert_eq!(
        order[..2],
        [r, r2],
        "both reads of 0 come before the timed-out write (which may also never happen)"
    );
}

#[test]
fn an_info_write_may_take_effect_long_after_its_client_gave_up() {
    let mut h = History::new();
    let w = h.invoke("alice", RegisterOp::Write(1), 0);
    h.info(w, 5);
    let r = h.invoke("bob", RegisterOp::Read, 6);
    h.ok(r, Ret::Value(0), 7);
    let r2 = h.invoke("bob", RegisterOp::Read, 20);
    h.ok(r2, Ret::Value(1), 21);
    assert_eq!(
        order_of(&check::linearizable(&Register::new(0), &h)),
        vec![r, w, r2]
    );
}

#[test]
fn an_info_write_cannot_take_effect_before_it_was_invoked() {
    let mut h = History::new();
    let r = h.invoke("bob", RegisterOp::Read, 0);
    h.ok(r, Ret::Value(1), 1);
    let w = h.invoke("alice", RegisterOp::Write(1), 2);
    h.info(w, 5);
    assert!(check::linearizable(&Register::new(0), &h).is_violation());
    assert!(
        check::sequential(&Register::new(0), &h).is_ok(),
        "without real time the read may follow the write"
    );
}

#[test]
fn a_pending_operation_is_treated_like_info() {
    let mut h = History::new();
    let _pending = h.invoke("alice", RegisterOp::Write(7), 0);
    let r = h.invoke("bob", RegisterOp::Read, 1);
    h.ok(r, Ret::Value(7), 2);
    assert!(check::linearizable(&Register::new(0), &h).is_ok());
}

#[test]
fn a_failed_write_never_takes_effect() {
    let mut h = History::new();
    let w = h.invoke("alice", RegisterOp::Write(1), 0);
    h.fail(w, 1);
    let r = h.invoke("bob", RegisterOp::Read, 2);
    h.ok(r, Ret::Value(1), 3);
    assert!(check::linearizable(&Register::new(0), &h).is_violation());
    assert!(check::sequential(&Register::new(0), &h).is_violation());
}

#[test]
fn a_client_that_reads_its_own_write_and_then_an_older_value_is_not_sequentially_consistent() {
    let mut h = History::new();
    let w = h.invoke("alice", RegisterOp::Write(1), 0);
    h.ok(w, Ret::Done, 1);
    let r = h.invoke("alice", RegisterOp::Read, 2);
    h.ok(r, Ret::Value(1), 3);
    let r2 = h.invoke("alice", RegisterOp::Read, 4);
    h.ok(r2, Ret::Value(0), 5);
    let verdict = check::sequential(&Register::new(0), &h);
    let counterexample = verdict
        .counterexample()
        .unwrap_or_else(|| panic!("alice's view went backwards: {verdict}"));
    assert_eq!(
        counterexample.consistency,
        Consistency::SequentialConsistency
    );
    assert_eq!(counterexample.stuck, vec![r2]);
}

#[test]
fn different_clients_may_see_writes_at_different_times_under_sequential_consistency() {
    // bob reads 0 after alice's write completed in real time: stale, but allowed.
    let mut h = History::new();
    let w = h.invoke("alice", RegisterOp::Write(1), 0);
    h.ok(w, Ret::Done, 1);
    let r = h.invoke("bob", RegisterOp::Read, 2);
    h.ok(r, Ret::Value(0), 3);
    assert!(check::linearizable(&Register::new(0), &h).is_violation());
    assert_eq!(
        order_of(&check::sequential(&Register::new(0), &h)),
        vec![r, w]
    );
}

pub(crate) fn kv_history() -> History<KvOp<&'static str, i64>, Ret<i64>> {
    let mut h = History::new();
    let wx = h.invoke("alice", KvOp::Write("x", 1), 0);
    let wy = h.invoke("bob", KvOp::Write("y", 2), 0);
    h.ok(wx, Ret::Done, 1);
    h.ok(wy, Ret::Done, 1);
    let rx = h.invoke("alice", KvOp::Read("x"), 2);
    let ry = h.invoke("bob", KvOp::Read("y"), 2);
    h.ok(rx, Ret::Value(1), 3);
    h.ok(ry, Ret::Value(0), 3); // stale
    h
}

#[test]
fn the_key_value_model_checks_each_key_separately_and_names_the_failing_key() {
    let verdict = check::linearizable(&KvRegister::new(0), &kv_history());
    let counterexample = verdict
        .counterexample()
        .unwrap_or_else(|| panic!("y was read stale after its write completed: {verdict}"));
    assert_eq!(counterexample.key, Some(Value::Str("y".into())));
    assert_eq!(counterexample.prefix, vec![OpId(1)]);
    assert_eq!(counterexample.stuck, vec![OpId(3)]);
    assert!(verdict.to_string().contains("(key \"y\")"), "{verdict}");
}

#[test]
fn a_correct_key_value_history_gives_one_order_per_key() {
    let mut h = History::new();
    let wx = h.invoke("alice", KvOp::Write("x", 1), 0);
    let wy = h.invoke("bob", KvOp::Write("y", 2), 0);
    let ry = h.invoke("carol", KvOp::Read("y"), 0);
    h.ok(ry, Ret::Value(0), 1); // concurrent with the write of y: may precede it
    h.ok(wx, Ret::Done, 1);
    h.ok(wy, Ret::Done, 1);
    let rx = h.invoke("alice", KvOp::Read("x"), 2);
    h.ok(rx, Ret::Value(1), 3);
    let Verdict::Ok(parts) = check::linearizable(&KvRegister::new(0), &h) else {
        panic!("a history where every read sees its key's latest write must be linearizable");
    };
    let by_key: Vec<_> = parts
        .iter()
        .map(|p| (p.key.clone(), p.order.clone()))
        .collect();
    assert_eq!(
        by_key,
        vec![
            (Some(Value::Str("x".into())), vec![wx, rx]),
            (Some(Value::Str("y".into())), vec![ry, wy]),
        ]
    );
}

#[test]
fn a_compare_and_set_succeeds_only_on_the_expected_value() {
    let mut h = History::new();
    let w = h.invoke("alice", CasOp::Write(1), 0);
    h.ok(w, Ret::Done, 1);
    let c = h.invoke(
        "bob",
        CasOp::Cas {
            expected: 1,
            new: 2,
        },
        2,
    );
    h.ok(c, Ret::Swapped(true), 3);
    let c2 = h.invoke(
        "carol",
        CasOp::Cas {
            expected: 1,
            new: 3,
        },
        4,
    );
    h.ok(c2, Ret::Swapped(false), 5);
    let r = h.invoke("alice", CasOp::Read, 6);
    h.ok(r, Ret::Value(2), 7);
    assert!(check::linearizable(&CasRegister::new(0), &h).is_ok());

    let mut bad = History::new();
    let c = bad.invoke(
        "bob",
        CasOp::Cas {
            expected: 1,
            new: 2,
        },
        0,
    );
    bad.ok(c, Ret::Swapped(true), 1);
    assert!(
        check::linearizable(&CasRegister::new(0), &bad).is_violation(),
        "a compare-and-set of 1 cannot succeed on a register holding 0"
    );
}

/// The mirror image: a compare-and-set that found the value it expected must swap, so
/// one answered "not swapped" on a register holding its expected value is a lie.
#[test]
fn a_compare_and_set_that_reports_no_swap_on_the_expected_value_is_not_linearizable() {
    let mut h = History::new();
    let c = h.invoke(
        "bob",
        CasOp::Cas {
            expected: 0,
            new: 2,
        },
        0,
    );
    h.ok(c, Ret::Swapped(false), 1);
    assert!(
        check::linearizable(&CasRegister::new(0), &h).is_violation(),
        "a compare-and-set of 0 on a register holding only 0 cannot fail"
    );
}

/// An update (write, increment, append) is acknowledged, never answered with a value: a
/// history that records a read's answer or a swap's verdict for one is explained by no
/// order, whatever the value.
#[test]
fn an_update_answered_as_if_it_were_a_read_or_a_swap_is_not_linearizable() {
    let mut register = History::new();
    let w = register.invoke("alice", RegisterOp::Write(1), 0);
    register.ok(w, Ret::Value(1), 1);
    assert!(check::linearizable(&Register::new(0), &register).is_violation());

    let mut counter = History::new();
    let i = counter.invoke("alice", CounterOp::Inc, 0);
    counter.ok(i, Ret::Swapped(true), 1);
    assert!(check::linearizable(&Counter, &counter).is_violation());

    let mut log = History::new();
    let a = log.invoke("alice", LogOp::Append(7), 0);
    log.ok(a, Ret::Value(vec![7]), 1);
    assert!(check::linearizable(&AppendLog::new(), &log).is_violation());
}

#[test]
fn an_info_compare_and_set_either_swapped_or_did_nothing() {
    let mut h = History::new();
    let c = h.invoke(
        "bob",
        CasOp::Cas {
            expected: 0,
            new: 5,
        },
        0,
    );
    h.info(c, 1);
    let r = h.invoke("alice", CasOp::Read, 2);
    h.ok(r, Ret::Value(5), 3);
    assert!(check::linearizable(&CasRegister::new(0), &h).is_ok());
    let r2 = h.invoke("alice", CasOp::Read, 4);
    h.ok(r2, Ret::Value(0), 5);
    assert!(
        check::linearizable(&CasRegister::new(0), &h).is_violation(),
        "after reading the swapped value, the register cannot go back to 0"
    );
}

/// A compare-and-set that timed out may have happened or not, but if it happened it
/// found the register's value: one expecting 1 on a register holding 0 cannot have
/// swapped, so a later read of its new value is not linearizable.
#[test]
fn an_info_compare_and_set_of_a_value_the_register_never_held_cannot_swap() {
    let mut h = History::new();
    let c = h.invoke(
        "bob",
        CasOp::Cas {
            expected: 1,
            new: 5,
        },
        0,
    );
    h.info(c, 1);
    let r = h.invoke("alice", CasOp::Read, 2);
    h.ok(r, Ret::Value(0), 3);
    assert!(
        check::linearizable(&CasRegister::new(0), &h).is_ok(),
        "the timed-out swap did nothing: the register still holds 0"
    );
    let r2 = h.invoke("alice", CasOp::Read, 4);
    h.ok(r2, Ret::Value(5), 5);
    assert!(
        check::linearizable(&CasRegister::new(0), &h).is_violation(),
        "a compare-and-set expecting 1 cannot have set 5 on a register that held only 0"
    );
}

#[test]
fn counter_reads_must_be_explained_by_some_order_of_increments() {
    let mut h = History::new();
    let i1 = h.invoke("alice", CounterOp::Inc, 0);
    let i2 = h.invoke("bob", CounterOp::Add(5), 0);
    let r = h.invoke("carol", CounterOp::Read, 1);
    h.ok(r, Ret::Value(5), 2);
    h.ok(i1, Ret::Done, 3);
    h.ok(i2, Ret::Done, 3);
    let r2 = h.invoke("carol", CounterOp::Read, 4);
    h.ok(r2, Ret::Value(6), 5);
    assert!(check::linearizable(&Counter, &h).is_ok());

    let r3 = h.invoke("carol", CounterOp::Read, 6);
    h.ok(r3, Ret::Value(1), 7);
    assert!(
        check::linearizable(&Counter, &h).is_violation(),
        "a counter never goes back from 6 to 1 without a negative add"
    );
}

#[test]
fn append_log_reads_must_all_be_prefixes_of_one_order() {
    let mut h = History::new();
    let a = h.invoke("alice", LogOp::Append("a"), 0);
    let b = h.invoke("bob", LogOp::Append("b"), 0);
    let r1 = h.invoke("carol", LogOp::Read, 1);
    h.ok(r1, Ret::Value(vec!["a"]), 2);
    h.ok(a, Ret::Done, 3);
    h.ok(b, Ret::Done, 3);
    let r2 = h.invoke("carol", LogOp::Read, 4);
    h.ok(r2, Ret::Value(vec!["a", "b"]), 5);
    assert!(check::linearizable(&AppendLog::new(), &h).is_ok());

    let r3 = h.invoke("dave", LogOp::Read, 6);
    h.ok(r3, Ret::Value(vec!["b", "a"]), 7);
    assert!(
        check::sequential(&AppendLog::new(), &h).is_violation(),
        "two readers cannot see the log's entries in different orders"
    );
}

#[test]
fn a_tiny_budget_gives_up_with_a_clear_verdict() {
    let (h, _) = ddia_quorum_stale_read();
    let verdict = Checker::new()
        .max_states(2)
        .linearizable(&Register::new(0), &h);
    assert!(
        verdict.gave_up(),
        "2 states cannot settle 3 operations: {verdict}"
    );
    assert_eq!(
        verdict.to_string(),
        "gave up checking whether the history is linearizable: explored 2 states, budget 2"
    );
}

/// The budget bounds the sequential check too, in both of its searches: the
/// linearization it tries first, and the program-order search after it.
#[test]
fn a_tiny_budget_gives_up_on_the_sequential_check_as_well() {
    let (h, _) = ddia_quorum_stale_read();
    for checker in [
        Checker::new().max_states(2),
        Checker::new().max_states(2).linearizable_first(false),
    ] {
        let verdict = checker.sequential(&Register::new(0), &h);
        assert!(
            verdict.gave_up(),
            "2 states cannot settle 3 operations in program order: {verdict}"
        );
    }
}

/// A verdict is exactly one of: consistent, violated, or given up (no verdict). A caller
/// that asks `is_violation` must never be told "yes" about a history that is fine, nor
/// about one the search could not finish.
#[test]
fn each_verdict_is_exactly_one_of_consistent_violated_or_given_up() {
    let (stale, _) = ddia_quorum_stale_read();
    let mut fine = History::new();
    let w = fine.invoke("alice", RegisterOp::Write(1), 0);
    fine.ok(w, Ret::Done, 1);
    let model = Register::new(0);
    let verdicts = [
        ("consistent", check::linearizable(&model, &fine)),
        ("violated", check::linearizable(&model, &stale)),
        (
            "given up",
            Checker::new().max_states(2).linearizable(&model, &stale),
        ),
    ];
    for (expected, verdict) in &verdicts {
        let flags = (verdict.is_ok(), verdict.is_violation(), verdict.gave_up());
        let wanted = match *expected {
            "consistent" => (true, false, false),
            "violated" => (false, true, false),
            _ => (false, false, true),
        };
        assert_eq!(
            flags, wanted,
            "a {expected} verdict must say so and nothing else (ok, violation, gave up): {verdict}"
        );
    }
}

#[test]
fn an_empty_history_is_consistent() {
    let h: History<RegisterOp<i64>, Ret<i64>> = History::new();
    assert!(check::linearizable(&Register::new(0), &h).is_ok());
    assert!(check::sequential(&Register::new(0), &h).is_ok());
    assert!(check::linearizable(&KvRegister::<&str, i64>::new(0), &History::new()).is_ok());
}

#[test]
fn a_violation_in_one_key_is_reported_even_when_another_key_exhausts_the_budget() {
    // Key "a" needs more than 3 steps; key "b" is violated within 1 step.
    let mut h = History::new();
    let writes: Vec<OpId> = (0..4i64)
        .map(|i| h.invoke(format!("writer-{i}"), KvOp::Write("a", i), 0))
        .collect();
    for w in writes {
        h.ok(w, Ret::Done, 1);
    }
    let r = h.invoke("reader", KvOp::Read("b"), 2);
    h.ok(r, Ret::Value(9), 3);
    let verdict = Checker::new()
        .max_states(3)
        .linearizable(&KvRegister::new(0), &h);
    let counterexample = verdict
        .counterexample()
        .unwrap_or_else(|| panic!("key b read a value nobody wrote: {verdict}"));
    assert_eq!(counterexample.key, Some(Value::Str("b".into())));
}

fn set(key: &str, value: &str) -> KvCasOp {
    KvCasOp::Set {
        key: key.into(),
        value: value.into(),
    }
}

fn cas(key: &str, expected: Option<&str>, new: &str) -> KvCasOp {
    KvCasOp::Cas {
        key: key.into(),
        expected: expected.map(str::to_string),
        new: new.into(),
    }
}

/// Two clients swap the same key from the same expected value, one after the other:
/// only the first can succeed, and the second must report the value the first wrote.
#[test]
fn a_second_swap_from_the_same_value_fails_and_reports_the_new_value() {
    let mut h: History<KvCasOp, KvCasRet> = History::new();
    let w = h.invoke("c1", set("x", "a"), 0);
    h.ok(w, KvCasRet::Stored { value: "a".into() }, 1);
    let first = h.invoke("c1", cas("x", Some("a"), "b"), 2);
    h.ok(
        first,
        KvCasRet::Swapped {
            swapped: true,
            previous: Some("a".into()),
        },
        3,
    );
    let second = h.invoke("c2", cas("x", Some("a"), "c"), 4);
    h.ok(
        second,
        KvCasRet::Swapped {
            swapped: false,
            previous: Some("b".into()),
        },
        5,
    );
    let verdict = Checker::new().linearizable(&KvCas, &h);
    assert!(
        verdict.is_ok(),
        "the honest history must be linearizable: {verdict}"
    );

    let mut lying: History<KvCasOp, KvCasRet> = History::new();
    let w = lying.invoke("c1", set("x", "a"), 0);
    lying.ok(w, KvCasRet::Stored { value: "a".into() }, 1);
    let first = lying.invoke("c1", cas("x", Some("a"), "b"), 2);
    lying.ok(
        first,
        KvCasRet::Swapped {
            swapped: true,
            previous: Some("a".into()),
        },
        3,
    );
    let second = lying.invoke("c2", cas("x", Some("a"), "c"), 4);
    lying.ok(
        second,
        KvCasRet::Swapped {
            swapped: true,
            previous: Some("a".into()),
        },
        5,
    );
    let verdict = Checker::new().linearizable(&KvCas, &lying);
    assert!(
        !verdict.is_ok(),
        "two swaps from the same value, one after the other, cannot both succeed: {verdict}"
    );
}

/// A swap that timed out (`info`) may or may not have happened; a later read of either
/// value is linearizable, and keys are checked apart.
#[test]
fn a_timed_out_swap_explains_either_later_read_and_keys_are_independent() {
    for seen in ["a", "b"] {
        let mut h: History<KvCasOp, KvCasRet> = History::new();
        let w = h.invoke("c1", set("x", "a"), 0);
        h.ok(w, KvCasRet::Stored { value: "a".into() }, 1);
        let y = h.invoke("c3", set("y", "z"), 1);
        h.ok(y, KvCasRet::Stored { value: "z".into() }, 2);
        let swap = h.invoke("c1", cas("x", Some("a"), "b"), 2);
        h.info(swap, 3);
        let read = h.invoke("c2", KvCasOp::Get { key: "x".into() }, 4);
        h.ok(
            read,
            KvCasRet::Read {
                value: Some(seen.into()),
            },
            5,
        );
        let verdict = Checker::new().linearizable(&KvCas, &h);
        assert!(
            verdict.is_ok(),
            "reading {seen} after an unknown swap is explainable: {verdict}"
        );
    }
}
