//! Checking what clients saw: the counter model and the simulation workload.
//!
//! A client's `Execute` of an increment returns the counter's new value, and a `Get`
//! returns the value read. A single correct counter explains every such history: put all
//! operations in one order that respects real time, and each answer is the sum of the
//! deltas so far. [`IncrementCounter`] is that sequential model for `common::check`;
//! [`CounterWorkload`] drives random increments and reads through `common::sim`.

use crate::messages::{Msg, Operation};
use common::check::Model;
use common::history::{Op, Value};
use common::sim::{Answer, Workload};
use common::{ProcessId, RpcError, SimRng};

/// An operation on the one counter of a simulated run.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CounterOp {
    /// Add this amount; the output is the new value.
    Increment(i64),
    /// Read the called server's copy; the output is the value (an absent counter reads 0).
    Read,
}

impl Op for CounterOp {
    fn f(&self) -> &str {
        match self {
            CounterOp::Increment(_) => "add",
            CounterOp::Read => "read",
        }
    }

    fn value(&self) -> Value {
        match self {
            CounterOp::Increment(delta) => Value::Int(*delta),
            CounterOp::Read => Value::Nil,
        }
    }

    fn completed_value(&self, output: Value) -> Value {
        match self {
            // Show both what was added and what the client was told: `[1 3]`.
            CounterOp::Increment(delta) => Value::vector([Value::Int(*delta), output]),
            CounterOp::Read => output,
        }
    }
}

/// A counter starting at 0 whose increments return the new value.
#[derive(Clone, Copy, Debug, Default)]
pub struct IncrementCounter;

impl Model for IncrementCounter {
    type Input = CounterOp;
    type Output = i64;
    type State = i64;

    fn init(&self) -> i64 {
        0
    }

    fn step(&self, state: &i64, input: &CounterOp, output: Option<&i64>) -> Option<i64> {
        match input {
            CounterOp::Increment(delta) => {
                let next = state.saturating_add(*delta);
                output.is_none_or(|seen| *seen == next).then_some(next)
            }
            CounterOp::Read => output.is_none_or(|seen| seen == state).then_some(*state),
        }
    }
}

/// Random increments of `+1` and reads of one counter, each sent to a random server.
#[derive(Clone, Debug)]
pub struct CounterWorkload {
    /// The counter's name.
    pub key: String,
    /// Probability that an operation is a read (default 0.3).
    pub read_ratio: f64,
}

impl Default for CounterWorkload {
    fn default() -> Self {
        CounterWorkload {
            key: "counter".to_string(),
            read_ratio: 0.3,
        }
    }
}

impl Workload<Msg> for CounterWorkload {
    type Input = CounterOp;
    type Output = i64;

    fn next_op(&mut self, rng: &mut SimRng, _client: &ProcessId) -> Option<CounterOp> {
        Some(if rng.chance(self.read_ratio) {
            CounterOp::Read
        } else {
            CounterOp::Increment(1)
        })
    }

    fn request(&mut self, _client: &ProcessId, input: &CounterOp) -> Msg {
        match input {
            CounterOp::Increment(delta) => Msg::Execute {
                op: Operation::increment(self.key.clone(), *delta),
            },
            CounterOp::Read => Msg::Get {
                key: self.key.clone(),
            },
        }
    }

    fn interpret(&mut self, input: &CounterOp, reply: Result<Msg, RpcError>) -> Answer<i64> {
        match (input, reply) {
            (CounterOp::Increment(_), Ok(Msg::Executed { value })) => Answer::Ok(value),
            (CounterOp::Read, Ok(Msg::Value { value })) => Answer::Ok(value.unwrap_or(0)),
            (CounterOp::Read, _) => Answer::Fail,
            // A failed or unanswered increment may still be applied later: unknown.
            (CounterOp::Increment(_), _) => Answer::Info,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::check;
    use common::history::History;

    #[test]
    fn two_increments_both_told_one_are_not_linearizable() {
        let mut h = History::new();
        let a = h.invoke("alice", CounterOp::Increment(1), 0);
        h.ok(a, 1, 4);
        let b = h.invoke("bob", CounterOp::Increment(1), 5);
        h.ok(b, 1, 9);
        let verdict = check::linearizable(&IncrementCounter, &h);
        assert!(
            verdict.is_violation(),
            "1 then 1 is impossible for one counter: {verdict}"
        );
    }

    #[test]
    fn overlapping_increments_may_take_effect_in_either_order() {
        let mut h = History::new();
        let a = h.invoke("alice", CounterOp::Increment(1), 0);
        let b = h.invoke("bob", CounterOp::Increment(1), 0);
        h.ok(b, 1, 3);
        h.ok(a, 2, 4);
        let verdict = check::linearizable(&IncrementCounter, &h);
        assert!(
            verdict.is_ok(),
            "bob first, then alice explains it: {verdict}"
        );
    }

    #[test]
    fn an_increment_returns_the_counter_after_it_and_nothing_else() {
        let mut h = History::new();
        let a = h.invoke("alice", CounterOp::Increment(1), 0);
        h.ok(a, 1, 2);
        let b = h.invoke("bob", CounterOp::Increment(2), 3);
        h.ok(b, 3, 5);
        let verdict = check::linearizable(&IncrementCounter, &h);
        assert!(verdict.is_ok(), "0 + 1 = 1, then 1 + 2 = 3: {verdict}");

        let mut h = History::new();
        let a = h.invoke("alice", CounterOp::Increment(1), 0);
        h.ok(a, 2, 2);
        let verdict = check::linearizable(&IncrementCounter, &h);
        assert!(
            verdict.is_violation(),
            "an increment of 1 from 0 cannot return 2: {verdict}"
        );
    }

    #[test]
    fn a_read_returns_the_counter_as_the_completed_increments_left_it() {
        let mut h = History::new();
        let r = h.invoke("alice", CounterOp::Read, 0);
        h.ok(r, 0, 1);
        let a = h.invoke("alice", CounterOp::Increment(5), 2);
        h.ok(a, 5, 3);
        let r = h.invoke("bob", CounterOp::Read, 4);
        h.ok(r, 5, 6);
        let verdict = check::linearizable(&IncrementCounter, &h);
        assert!(verdict.is_ok(), "0, then 5 after the increment: {verdict}");

        let mut h = History::new();
        let a = h.invoke("alice", CounterOp::Increment(5), 0);
        h.ok(a, 5, 1);
        let r = h.invoke("bob", CounterOp::Read, 2);
        h.ok(r, 0, 3);
        let verdict = check::linearizable(&IncrementCounter, &h);
        assert!(
            verdict.is_violation(),
            "a read after a completed increment cannot see 0: {verdict}"
        );
    }
}
