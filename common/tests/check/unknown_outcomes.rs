//! Known histories with operations of unknown outcome (`info`: the client gave up before
//! an answer), for every operation kind of every stock model. Such an operation may have
//! taken effect at any point after its invocation, or never; it cannot have taken effect
//! as anything but itself, and an unknown read explains no other read.
//!
//! Each claim checks two histories that differ only in what a later read returned: one
//! the unknown operation explains (linearizable), one it cannot (a violation).

use common::check::models::{
    AppendLog, CasOp, CasRegister, Counter, CounterOp, KvCas, KvCasOp, KvCasRet, KvOp, KvRegister,
    LogOp, Register, RegisterOp, Ret,
};
use common::check::{self, Model};
use common::history::{History, Op, ToValue};

/// The linearizability verdict, which must not be "gave up" on these tiny histories.
fn linearizable<M: Model>(model: &M, history: &History<M::Input, M::Output>) -> bool
where
    M::Input: Op,
    M::Output: ToValue,
{
    let verdict = check::linearizable(model, history);
    assert!(
        !verdict.gave_up(),
        "a history of a few operations must not exhaust the budget: {verdict}"
    );
    verdict.is_ok()
}

// ----- register -----

/// `write(1)` times out; a later read sees `seen`.
fn register_after_unknown_write(seen: i64) -> History<RegisterOp<i64>, Ret<i64>> {
    let mut h = History::new();
    let w = h.invoke("alice", RegisterOp::Write(1), 0);
    h.info(w, 1);
    let r = h.invoke("bob", RegisterOp::Read, 2);
    h.ok(r, Ret::Value(seen), 3);
    h
}

#[test]
fn a_register_write_of_unknown_outcome_took_effect_or_not_but_wrote_only_its_value() {
    let model = Register::new(0);
    assert!(
        linearizable(&model, &register_after_unknown_write(1)),
        "it took effect"
    );
    assert!(
        linearizable(&model, &register_after_unknown_write(0)),
        "it never did"
    );
    assert!(
        !linearizable(&model, &register_after_unknown_write(2)),
        "nobody wrote 2"
    );
}

/// `write(1)` is acknowledged, a read times out, then a read sees `seen`.
fn register_after_unknown_read(seen: i64) -> History<RegisterOp<i64>, Ret<i64>> {
    let mut h = History::new();
    let w = h.invoke("alice", RegisterOp::Write(1), 0);
    h.ok(w, Ret::Done, 1);
    let lost = h.invoke("bob", RegisterOp::Read, 2);
    h.info(lost, 3);
    let r = h.invoke("bob", RegisterOp::Read, 4);
    h.ok(r, Ret::Value(seen), 5);
    h
}

#[test]
fn a_register_read_of_unknown_outcome_excuses_no_stale_read() {
    let model = Register::new(0);
    assert!(linearizable(&model, &register_after_unknown_read(1)));
    assert!(
        !linearizable(&model, &register_after_unknown_read(0)),
        "a read after the acknowledged write must see it, whatever the lost read saw"
    );
}

// ----- compare-and-set register -----

/// `write(1)` times out; then `cas(1 -> 2)` is answered `swapped`.
fn cas_register_after_unknown_write(swapped: bool) -> History<CasOp<i64>, Ret<i64>> {
    let mut h = History::new();
    let w = h.invoke("alice", CasOp::Write(1), 0);
    h.info(w, 1);
    let c = h.invoke(
        "bob",
        CasOp::Cas {
            expected: 1,
            new: 2,
        },
        2,
    );
    h.ok(c, Ret::Swapped(swapped), 3);
    h
}

#[test]
fn a_cas_register_write_of_unknown_outcome_may_be_what_a_later_swap_found() {
    let model = CasRegister::new(0);
    assert!(
        linearizable(&model, &cas_register_after_unknown_write(true)),
        "the write took effect, and the swap found its 1"
    );
    assert!(
        linearizable(&model, &cas_register_after_unknown_write(false)),
        "the write never took effect (or took effect after the swap)"
    );
    let mut twice = cas_register_after_unknown_write(true);
    let again = twice.invoke(
        "carol",
        CasOp::Cas {
            expected: 1,
            new: 3,
        },
        4,
    );
    twice.ok(again, Ret::Swapped(true), 5);
    assert!(
        !linearizable(&model, &twice),
        "one write of 1 cannot be swapped away twice"
    );
}

/// `cas(0 -> 5)` times out; a later read sees `seen`.
fn cas_register_after_unknown_swap(seen: i64) -> History<CasOp<i64>, Ret<i64>> {
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
    h.ok(r, Ret::Value(seen), 3);
    h
}

#[test]
fn a_compare_and_set_of_unknown_outcome_swapped_or_did_nothing_and_set_only_its_value() {
    let model = CasRegister::new(0);
    assert!(linearizable(&model, &cas_register_after_unknown_swap(5)));
    assert!(linearizable(&model, &cas_register_after_unknown_swap(0)));
    assert!(
        !linearizable(&model, &cas_register_after_unknown_swap(7)),
        "nobody set 7"
    );
}

/// `write(1)` is acknowledged, a read times out, then a read sees `seen`.
fn cas_register_after_unknown_read(seen: i64) -> History<CasOp<i64>, Ret<i64>> {
    let mut h = History::new();
    let w = h.invoke("alice", CasOp::Write(1), 0);
    h.ok(w, Ret::Done, 1);
    let lost = h.invoke("bob", CasOp::Read, 2);
    h.info(lost, 3);
    let r = h.invoke("bob", CasOp::Read, 4);
    h.ok(r, Ret::Value(seen), 5);
    h
}

#[test]
fn a_cas_register_read_of_unknown_outcome_excuses_no_stale_read() {
    let model = CasRegister::new(0);
    assert!(linearizable(&model, &cas_register_after_unknown_read(1)));
    assert!(!linearizable(&model, &cas_register_after_unknown_read(0)));
}

// ----- key-value map of registers -----

/// `write(x, 1)` times out; a later read of `key` sees `seen`.
fn kv_after_unknown_write(
    key: &'static str,
    seen: i64,
) -> History<KvOp<&'static str, i64>, Ret<i64>> {
    let mut h = History::new();
    let w = h.invoke("alice", KvOp::Write("x", 1), 0);
    h.info(w, 1);
    let r = h.invoke("bob", KvOp::Read(key), 2);
    h.ok(r, Ret::Value(seen), 3);
    h
}

#[test]
fn a_key_value_write_of_unknown_outcome_may_have_set_its_key_and_no_other() {
    let model = KvRegister::new(0);
    assert!(linearizable(&model, &kv_after_unknown_write("x", 1)));
    assert!(linearizable(&model, &kv_after_unknown_write("x", 0)));
    assert!(linearizable(&model, &kv_after_unknown_write("y", 0)));
    assert!(
        !linearizable(&model, &kv_after_unknown_write("y", 1)),
        "the lost write was to x, not y"
    );
}

/// `write(x, 1)` is acknowledged, a read of x times out, then a read of x sees `seen`.
fn kv_after_unknown_read(seen: i64) -> History<KvOp<&'static str, i64>, Ret<i64>> {
    let mut h = History::new();
    let w = h.invoke("alice", KvOp::Write("x", 1), 0);
    h.ok(w, Ret::Done, 1);
    let lost = h.invoke("bob", KvOp::Read("x"), 2);
    h.info(lost, 3);
    let r = h.invoke("bob", KvOp::Read("x"), 4);
    h.ok(r, Ret::Value(seen), 5);
    h
}

#[test]
fn a_key_value_read_of_unknown_outcome_excuses_no_stale_read() {
    let model = KvRegister::new(0);
    assert!(linearizable(&model, &kv_after_unknown_read(1)));
    assert!(!linearizable(&model, &kv_after_unknown_read(0)));
}

// ----- counter -----

/// `lost` times out, then `inc` is acknowledged, then a read sees `seen`.
fn counter_after_unknown(lost: CounterOp, seen: i64) -> History<CounterOp, Ret<i64>> {
    let mut h = History::new();
    let l = h.invoke("alice", lost, 0);
    h.info(l, 1);
    let i = h.invoke("bob", CounterOp::Inc, 2);
    h.ok(i, Ret::Done, 3);
    let r = h.invoke("bob", CounterOp::Read, 4);
    h.ok(r, Ret::Value(seen), 5);
    h
}

#[test]
fn an_increment_of_unknown_outcome_counts_once_or_not_at_all() {
    assert!(linearizable(
        &Counter,
        &counter_after_unknown(CounterOp::Inc, 2)
    ));
    assert!(linearizable(
        &Counter,
        &counter_after_unknown(CounterOp::Inc, 1)
    ));
    assert!(
        !linearizable(&Counter, &counter_after_unknown(CounterOp::Inc, 3)),
        "two increments cannot make 3"
    );
    assert!(
        !linearizable(&Counter, &counter_after_unknown(CounterOp::Inc, 0)),
        "the acknowledged increment must count"
    );
}

#[test]
fn an_addition_of_unknown_outcome_adds_its_amount_or_nothing() {
    assert!(linearizable(
        &Counter,
        &counter_after_unknown(CounterOp::Add(5), 6)
    ));
    assert!(linearizable(
        &Counter,
        &counter_after_unknown(CounterOp::Add(5), 1)
    ));
    assert!(
        !linearizable(&Counter, &counter_after_unknown(CounterOp::Add(5), 5)),
        "the acknowledged increment must count on top of the 5"
    );
    assert!(!linearizable(
        &Counter,
        &counter_after_unknown(CounterOp::Add(5), 2)
    ));
}

#[test]
fn a_counter_read_of_unknown_outcome_excuses_no_stale_read() {
    assert!(linearizable(
        &Counter,
        &counter_after_unknown(CounterOp::Read, 1)
    ));
    assert!(
        !linearizable(&Counter, &counter_after_unknown(CounterOp::Read, 0)),
        "the acknowledged increment must be seen, whatever the lost read saw"
    );
}

// ----- append-only log -----

/// `append(a)` times out, `append(b)` is acknowledged, then a read sees `seen`.
fn log_after_unknown_append(
    seen: &[&'static str],
) -> History<LogOp<&'static str>, Ret<Vec<&'static str>>> {
    let mut h = History::new();
    let a = h.invoke("alice", LogOp::Append("a"), 0);
    h.info(a, 1);
    let b = h.invoke("bob", LogOp::Append("b"), 2);
    h.ok(b, Ret::Done, 3);
    let r = h.invoke("bob", LogOp::Read, 4);
    h.ok(r, Ret::Value(seen.to_vec()), 5);
    h
}

#[test]
fn an_append_of_unknown_outcome_appears_once_anywhere_after_its_invocation_or_never() {
    let model = AppendLog::new();
    assert!(
        linearizable(&model, &log_after_unknown_append(&["b"])),
        "never"
    );
    assert!(
        linearizable(&model, &log_after_unknown_append(&["a", "b"])),
        "before b"
    );
    assert!(
        linearizable(&model, &log_after_unknown_append(&["b", "a"])),
        "after b: a lost append may land late"
    );
    assert!(
        !linearizable(&model, &log_after_unknown_append(&["a", "a", "b"])),
        "one append cannot land twice"
    );
    assert!(
        !linearizable(&model, &log_after_unknown_append(&["a"])),
        "the acknowledged append of b must be there"
    );
}

/// `append(a)` is acknowledged, a read times out, then a read sees `seen`.
fn log_after_unknown_read(
    seen: &[&'static str],
) -> History<LogOp<&'static str>, Ret<Vec<&'static str>>> {
    let mut h = History::new();
    let a = h.invoke("alice", LogOp::Append("a"), 0);
    h.ok(a, Ret::Done, 1);
    let lost = h.invoke("bob", LogOp::Read, 2);
    h.info(lost, 3);
    let r = h.invoke("bob", LogOp::Read, 4);
    h.ok(r, Ret::Value(seen.to_vec()), 5);
    h
}

#[test]
fn a_log_read_of_unknown_outcome_excuses_no_stale_read() {
    let model = AppendLog::new();
    assert!(linearizable(&model, &log_after_unknown_read(&["a"])));
    assert!(!linearizable(&model, &log_after_unknown_read(&[])));
}

// ----- key-value map with compare-and-swap -----

fn set(key: &str, value: &str) -> KvCasOp {
    KvCasOp::Set {
        key: key.into(),
        value: value.into(),
    }
}

fn get(key: &str) -> KvCasOp {
    KvCasOp::Get { key: key.into() }
}

fn read(value: Option<&str>) -> KvCasRet {
    KvCasRet::Read {
        value: value.map(str::to_string),
    }
}

/// `set(x, a)` times out; a later get of x sees `seen`.
fn kv_cas_after_unknown_set(seen: Option<&str>) -> History<KvCasOp, KvCasRet> {
    let mut h = History::new();
    let s = h.invoke("alice", set("x", "a"), 0);
    h.info(s, 1);
    let r = h.invoke("bob", get("x"), 2);
    h.ok(r, read(seen), 3);
    h
}

#[test]
fn a_set_of_unknown_outcome_stored_its_value_or_nothing() {
    assert!(linearizable(&KvCas, &kv_cas_after_unknown_set(Some("a"))));
    assert!(linearizable(&KvCas, &kv_cas_after_unknown_set(None)));
    assert!(!linearizable(&KvCas, &kv_cas_after_unknown_set(Some("b"))));
}

/// `set(x, a)` is acknowledged, a get of x times out, then a get of x sees `seen`.
fn kv_cas_after_unknown_get(seen: Option<&str>) -> History<KvCasOp, KvCasRet> {
    let mut h = History::new();
    let s = h.invoke("alice", set("x", "a"), 0);
    h.ok(s, KvCasRet::Stored { value: "a".into() }, 1);
    let lost = h.invoke("bob", get("x"), 2);
    h.info(lost, 3);
    let r = h.invoke("bob", get("x"), 4);
    h.ok(r, read(seen), 5);
    h
}

#[test]
fn a_get_of_unknown_outcome_excuses_no_stale_read() {
    assert!(linearizable(&KvCas, &kv_cas_after_unknown_get(Some("a"))));
    assert!(!linearizable(&KvCas, &kv_cas_after_unknown_get(None)));
}

/// `set(x, a)` is acknowledged; `cas(x, expected -> c)` times out; a get of x sees `seen`.
fn kv_cas_after_unknown_swap(expected: &str, seen: &str) -> History<KvCasOp, KvCasRet> {
    let mut h = History::new();
    let s = h.invoke("alice", set("x", "a"), 0);
    h.ok(s, KvCasRet::Stored { value: "a".into() }, 1);
    let c = h.invoke(
        "bob",
        KvCasOp::Cas {
            key: "x".into(),
            expected: Some(expected.into()),
            new: "c".into(),
        },
        2,
    );
    h.info(c, 3);
    let r = h.invoke("carol", get("x"), 4);
    h.ok(r, read(Some(seen)), 5);
    h
}

#[test]
fn a_key_value_swap_of_unknown_outcome_swapped_only_from_the_value_it_expected() {
    assert!(linearizable(&KvCas, &kv_cas_after_unknown_swap("a", "c")));
    assert!(linearizable(&KvCas, &kv_cas_after_unknown_swap("a", "a")));
    assert!(linearizable(&KvCas, &kv_cas_after_unknown_swap("b", "a")));
    assert!(
        !linearizable(&KvCas, &kv_cas_after_unknown_swap("b", "c")),
        "a swap expecting b cannot have swapped x, which held only a"
    );
}
