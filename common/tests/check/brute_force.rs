//! On random small histories, both checkers agree with a brute-force search over every
//! order of the operations, and every order they return really explains the history.

use common::check::models::{
    AppendLog, CasOp, CasRegister, Counter, CounterOp, KvCas, KvCasOp, KvCasRet, KvOp, KvRegister,
    LogOp, Register, RegisterOp, Ret,
};
use common::check::{Checker, Model, Verdict};
use common::history::{History, Op, Outcome, ToValue};
use common::id::OpId;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use std::collections::BTreeSet;

/// Longest history generated: 7 operations have at most 5040 orders.
const OPS_MAX: usize = 7;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Order {
    RealTime,
    ProgramOrder,
}

/// An operation as the brute force sees it.
struct Plain<'h, M: Model> {
    id: OpId,
    client: String,
    input: &'h M::Input,
    output: Option<&'h M::Output>,
    call: u64,
    /// `None` when the outcome is unknown (info or pending).
    ret: Option<u64>,
}

fn plain<M: Model>(history: &History<M::Input, M::Output>) -> Vec<Plain<'_, M>> {
    history
        .ops()
        .filter(|op| !matches!(op.outcome(), Outcome::Fail))
        .map(|op| Plain {
            id: op.id(),
            client: op.client().to_string(),
            input: op.input(),
            output: op.output(),
            call: op.invoke_seq(),
            ret: match op.outcome() {
                Outcome::Ok(_) => op.completion().map(|c| c.seq),
                _ => None,
            },
        })
        .collect()
}

/// `a` must take effect before `b`.
fn must_precede<M: Model>(a: &Plain<'_, M>, b: &Plain<'_, M>, order: Order) -> bool {
    match (order, a.ret) {
        (_, None) => false, // an operation of unknown outcome constrains nothing after it
        (Order::RealTime, Some(ret)) => ret < b.call,
        (Order::ProgramOrder, Some(_)) => a.client == b.client && a.call < b.call,
    }
}

/// Every order of the operations (with any subset of the unknown ones), without memo.
fn brute_force<M: Model>(model: &M, ops: &[Plain<'_, M>], order: Order) -> bool {
    fn search<M: Model>(
        model: &M,
        ops: &[Plain<'_, M>],
        order: Order,
        placed: &mut Vec<bool>,
        state: &M::State,
    ) -> bool {
        if ops
            .iter()
            .zip(placed.iter())
            .all(|(op, &p)| p || op.ret.is_none())
        {
            return true;
        }
        for i in 0..ops.len() {
            let ready = !placed[i]
                && (0..ops.len()).all(|j| placed[j] || !must_precede(&ops[j], &ops[i], order));
            if !ready {
                continue;
            }
            if let Some(next) = model.step(state, ops[i].input, ops[i].output) {
                placed[i] = true;
                let found = search(model, ops, order, placed, &next);
                placed[i] = false;
                if found {
                    return true;
                }
            }
        }
        false
    }
    search(
        model,
        ops,
        order,
        &mut vec![false; ops.len()],
        &model.init(),
    )
}

/// Replays `order` on the model, checking precedence; `complete` also demands that
/// every definite operation is in it.
fn explains<M: Model>(
    model: &M,
    ops: &[Plain<'_, M>],
    order_ids: &[OpId],
    order: Order,
    complete: bool,
) -> Result<(), String> {
    let index = |id: OpId| ops.iter().position(|op| op.id == id);
    let mut state = model.init();
    let mut placed = vec![false; ops.len()];
    for &id in order_ids {
        let i = index(id).ok_or(format!("{id} is not a candidate (failed or unknown)"))?;
        if placed[i] {
            return Err(format!("{id} placed twice"));
        }
        if let Some(j) =
            (0..ops.len()).find(|&j| !placed[j] && must_precede(&ops[j], &ops[i], order))
        {
            return Err(format!(
                "{id} placed before {}, which must precede it",
                ops[j].id
            ));
        }
        state = model
            .step(&state, ops[i].input, ops[i].output)
            .ok_or(format!("the model cannot apply {id} at its place"))?;
        placed[i] = true;
    }
    let missing = ops
        .iter()
        .zip(&placed)
        .find(|(op, p)| !**p && op.ret.is_some());
    match missing {
        Some((op, _)) if complete => Err(format!("{} completed but is missing", op.id)),
        _ => Ok(()),
    }
}

/// Compares one checker's verdict with the brute force and validates its evidence.
fn agree<M>(model: &M, history: &History<M::Input, M::Output>, verdict: &Verdict, order: Order)
where
    M: Model,
    M::Input: Op,
    M::Output: ToValue,
{
    let ops = plain::<M>(history);
    let expected = brute_force(model, &ops, order);
    let text = history.to_text();
    match verdict {
        Verdict::Ok(parts) => {
            assert!(
                expected,
                "the checker accepted a history no order explains ({order:?}):\n{text}"
            );
            for part in parts {
                let part_ops: Vec<Plain<'_, M>> = plain::<M>(history)
                    .into_iter()
                    .filter(|op| part.key.is_none() || model.partition(op.input) == part.key)
                    .collect();
                explains(model, &part_ops, &part.order, order, true).unwrap_or_else(|e| {
                    panic!("the checker's order {:?} is wrong: {e}\n{text}", part.order)
                });
            }
        }
        Verdict::Violation(c) => {
            assert!(
                !expected,
                "the checker rejected a history that some order explains ({order:?}):\n{text}"
            );
            assert!(
                !c.stuck.is_empty(),
                "a violation names the operations that could not be placed"
            );
            let part_ops: Vec<Plain<'_, M>> = plain::<M>(history)
                .into_iter()
                .filter(|op| c.key.is_none() || model.partition(op.input) == c.key)
                .collect();
            explains(model, &part_ops, &c.prefix, order, false)
                .unwrap_or_else(|e| panic!("the counterexample's prefix is wrong: {e}\n{text}"));
        }
        Verdict::GaveUp(g) => {
            panic!("a history of {OPS_MAX} operations exhausted the budget: {g:?}")
        }
    }
}

/// Builds a history from random steps: each step lets one client either invoke (if idle)
/// or complete its operation as ok (mostly), info, or fail.
fn build<I, O>(
    steps: &[(usize, u8, u8)],
    mut input: impl FnMut(u8) -> I,
    mut output: impl FnMut(&I, u8) -> O,
) -> History<I, O> {
    let mut history = History::new();
    let mut outstanding: Vec<Option<OpId>> = vec![None; 3];
    let mut invoked = 0;
    for (tick, &(client, kind, value)) in steps.iter().enumerate() {
        let tick = tick as u64;
        match outstanding[client] {
            None if invoked < OPS_MAX => {
                outstanding[client] =
                    Some(history.invoke(format!("c{client}"), input(value), tick));
                invoked += 1;
            }
            None => {}
            Some(op) => {
                match kind % 10 {
                    0 => history.fail(op, tick),
                    1 => history.info(op, tick),
                    _ => {
                        let out = output(
                            history
                                .op(op)
                                .expect("an outstanding op is recorded")
                                .input(),
                            value,
                        );
                        history.ok(op, out, tick);
                    }
                }
                outstanding[client] = None;
            }
        }
    }
    history
}

fn steps() -> impl Strategy<Value = Vec<(usize, u8, u8)>> {
    prop::collection::vec((0..3usize, any::<u8>(), any::<u8>()), 0..20)
}

fn register_history(steps: &[(usize, u8, u8)]) -> History<RegisterOp<i64>, Ret<i64>> {
    build(
        steps,
        |v| {
            if v % 2 == 0 {
                RegisterOp::Read
            } else {
                RegisterOp::Write(i64::from(v % 3))
            }
        },
        |input, v| match input {
            RegisterOp::Read => Ret::Value(i64::from(v % 3)),
            RegisterOp::Write(_) => Ret::Done,
        },
    )
}

fn counter_history(steps: &[(usize, u8, u8)]) -> History<CounterOp, Ret<i64>> {
    build(
        steps,
        |v| match v % 3 {
            0 => CounterOp::Inc,
            1 => CounterOp::Add(2),
            _ => CounterOp::Read,
        },
        |input, v| match input {
            CounterOp::Read => Ret::Value(i64::from(v % 5)),
            _ => Ret::Done,
        },
    )
}

fn kv_history(steps: &[(usize, u8, u8)]) -> History<KvOp<&'static str, i64>, Ret<i64>> {
    build(
        steps,
        |v| {
            let key = ["x", "y"][usize::from((v / 8) % 2)];
            if v % 2 == 0 {
                KvOp::Read(key)
            } else {
                KvOp::Write(key, i64::from(v % 3))
            }
        },
        |input, v| match input {
            KvOp::Read(_) => Ret::Value(i64::from(v % 3)),
            KvOp::Write(..) => Ret::Done,
        },
    )
}

fn cas_history(steps: &[(usize, u8, u8)]) -> History<CasOp<i64>, Ret<i64>> {
    build(
        steps,
        |v| match v % 3 {
            0 => CasOp::Read,
            1 => CasOp::Write(i64::from((v / 3) % 3)),
            _ => CasOp::Cas {
                expected: i64::from((v / 3) % 2),
                new: i64::from((v / 6) % 3),
            },
        },
        |input, v| match input {
            CasOp::Read => Ret::Value(i64::from(v % 3)),
            CasOp::Write(_) => Ret::Done,
            CasOp::Cas { .. } => Ret::Swapped(v % 2 == 0),
        },
    )
}

fn log_history(steps: &[(usize, u8, u8)]) -> History<LogOp<i64>, Ret<Vec<i64>>> {
    build(
        steps,
        |v| {
            if v % 2 == 0 {
                LogOp::Read
            } else {
                LogOp::Append(i64::from((v / 2) % 2))
            }
        },
        |input, v| match input {
            LogOp::Read => Ret::Value(match v % 5 {
                0 => vec![],
                1 => vec![0],
                2 => vec![1],
                3 => vec![0, 1],
                _ => vec![1, 0],
            }),
            LogOp::Append(_) => Ret::Done,
        },
    )
}

fn kv_cas_history(steps: &[(usize, u8, u8)]) -> History<KvCasOp, KvCasRet> {
    let value = |v: u8| ["a", "b"][usize::from(v % 2)].to_string();
    let maybe = |v: u8| (v % 3 != 2).then(|| value(v));
    build(
        steps,
        |v| {
            // One key: the model's state is one key's value, and the checker splits a
            // history by key before it searches, where the brute force does not.
            let key = "x".to_string();
            match v % 3 {
                0 => KvCasOp::Get { key },
                1 => KvCasOp::Set {
                    key,
                    value: value(v / 3),
                },
                _ => KvCasOp::Cas {
                    key,
                    expected: maybe(v / 3),
                    new: value(v / 16),
                },
            }
        },
        move |input, v| match input {
            KvCasOp::Get { .. } => KvCasRet::Read { value: maybe(v) },
            KvCasOp::Set { value, .. } => KvCasRet::Stored {
                value: value.clone(),
            },
            KvCasOp::Cas { .. } => KvCasRet::Swapped {
                swapped: v % 2 == 0,
                previous: maybe(v / 2),
            },
        },
    )
}

fn check_all<M>(model: &M, history: &History<M::Input, M::Output>)
where
    M: Model,
    M::Input: Op,
    M::Output: ToValue,
{
    let checker = Checker::new();
    let linearizable = checker.linearizable(model, history);
    agree(model, history, &linearizable, Order::RealTime);
    let sequential = checker.sequential(model, history);
    agree(model, history, &sequential, Order::ProgramOrder);
    let program_order_search = checker.linearizable_first(false).sequential(model, history);
    agree(model, history, &program_order_search, Order::ProgramOrder);
    assert!(
        !linearizable.is_ok() || sequential.is_ok(),
        "every linearizable history is sequentially consistent:\n{}",
        history.to_text()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn register_verdicts_match_brute_force(steps in steps()) {
        check_all(&Register::new(0i64), &register_history(&steps));
    }

    #[test]
    fn counter_verdicts_match_brute_force(steps in steps()) {
        check_all(&Counter, &counter_history(&steps));
    }

    #[test]
    fn key_value_verdicts_checked_per_key_match_brute_force_on_the_whole_history(steps in steps()) {
        check_all(&KvRegister::new(0i64), &kv_history(&steps));
    }

    #[test]
    fn compare_and_set_verdicts_match_brute_force(steps in steps()) {
        check_all(&CasRegister::new(0i64), &cas_history(&steps));
    }

    #[test]
    fn append_log_verdicts_match_brute_force(steps in steps()) {
        check_all(&AppendLog::<i64>::new(), &log_history(&steps));
    }

    #[test]
    fn key_value_swap_verdicts_on_one_key_match_brute_force(steps in steps()) {
        check_all(&KvCas, &kv_cas_history(&steps));
    }
}

/// The kinds of operation (`read`, `write`, `cas`, ...) recorded with an unknown outcome
/// in the 256 histories the step strategy generates first, built by `history`.
fn unknown_kinds<I: Op, O>(
    history: impl Fn(&[(usize, u8, u8)]) -> History<I, O>,
) -> BTreeSet<String> {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut kinds = BTreeSet::new();
    for _ in 0..256 {
        let steps = steps()
            .new_tree(&mut runner)
            .expect("the step strategy always generates")
            .current();
        for op in history(&steps).ops().filter(|op| op.is_indefinite()) {
            kinds.insert(op.input().f().to_string());
        }
    }
    kinds
}

/// The comparison with brute force covers timed-out clients: for every model, every kind
/// of operation appears with an unknown outcome (info, or still pending at the end).
#[test]
fn the_random_histories_hold_every_kind_of_operation_with_an_unknown_outcome() {
    let expect = |kinds: &[&str]| kinds.iter().map(|k| k.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(unknown_kinds(register_history), expect(&["read", "write"]));
    assert_eq!(
        unknown_kinds(cas_history),
        expect(&["cas", "read", "write"])
    );
    assert_eq!(
        unknown_kinds(counter_history),
        expect(&["add", "inc", "read"])
    );
    assert_eq!(unknown_kinds(kv_history), expect(&["read", "write"]));
    assert_eq!(unknown_kinds(log_history), expect(&["append", "read"]));
    assert_eq!(
        unknown_kinds(kv_cas_history),
        expect(&["cas", "read", "write"])
    );
}

/// The random histories must exercise both verdicts, or the agreement proves little.
#[test]
fn random_register_histories_include_both_verdicts() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut seen = (0, 0, 0);
    for _ in 0..256 {
        let steps = steps()
            .new_tree(&mut runner)
            .expect("the step strategy always generates")
            .current();
        let history = register_history(&steps);
        let model = Register::new(0i64);
        let lin = Checker::new().linearizable(&model, &history).is_ok();
        let seq = Checker::new().sequential(&model, &history).is_ok();
        match (lin, seq) {
            (true, _) => seen.0 += 1,
            (false, true) => seen.1 += 1,
            (false, false) => seen.2 += 1,
        }
    }
    assert!(
        seen.0 > 20 && seen.1 > 5 && seen.2 > 20,
        "expected linearizable, only-sequential and inconsistent histories, got {seen:?}"
    );
}
