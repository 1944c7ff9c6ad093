//! Checking the numbers clients were handed: the generation-clock model and the
//! simulation workload.
//!
//! A generation clock is correct when the numbers it hands out are **unique** and
//! **monotonic in real time** (a number handed out after another was handed out is
//! larger). Both are one property: the history is linearizable against a sequential
//! clock whose every "next" returns a number above the previous one. A duplicate, or a
//! smaller number after a larger one completed, has no linearization.

use crate::messages::Msg;
use common::check::Model;
use common::history::{Op, Value};
use common::sim::{Answer, Workload};
use common::{ProcessId, RpcError, SimRng};

/// The one operation: ask for the next generation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NextGeneration;

impl Op for NextGeneration {
    fn f(&self) -> &str {
        "next"
    }

    fn value(&self) -> Value {
        Value::Nil
    }
}

/// A sequential generation clock: each `next` returns a number above every earlier one
/// (gaps allowed: lost elections burn numbers).
#[derive(Clone, Copy, Debug, Default)]
pub struct GenerationClock;

impl Model for GenerationClock {
    type Input = NextGeneration;
    type Output = u64;
    /// The highest number handed out so far.
    type State = u64;

    fn init(&self) -> u64 {
        0
    }

    fn step(&self, state: &u64, _input: &NextGeneration, output: Option<&u64>) -> Option<u64> {
        match output {
            Some(number) => (*number > *state).then_some(*number),
            // Unknown outcome: whatever it won constrains nothing we can see.
            None => Some(*state),
        }
    }
}

/// Clients asking random servers for generations.
#[derive(Clone, Copy, Debug, Default)]
pub struct GenerationWorkload;

impl Workload<Msg> for GenerationWorkload {
    type Input = NextGeneration;
    type Output = u64;

    fn next_op(&mut self, _rng: &mut SimRng, _client: &ProcessId) -> Option<NextGeneration> {
        Some(NextGeneration)
    }

    fn request(&mut self, _client: &ProcessId, _input: &NextGeneration) -> Msg {
        Msg::NextGeneration
    }

    fn interpret(&mut self, _input: &NextGeneration, reply: Result<Msg, RpcError>) -> Answer<u64> {
        match reply {
            Ok(Msg::Generation { generation }) => Answer::Ok(generation),
            // Superseded or failed: no number was handed out to anyone for this request.
            Ok(Msg::Superseded { .. } | Msg::ElectionFailed { .. }) => Answer::Fail,
            _ => Answer::Info,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::check;
    use common::history::History;

    #[test]
    fn a_number_handed_out_twice_is_caught() {
        let mut h = History::new();
        let a = h.invoke("alice", NextGeneration, 0);
        h.ok(a, 1, 3);
        let b = h.invoke("bob", NextGeneration, 4);
        h.ok(b, 1, 8);
        assert!(check::linearizable(&GenerationClock, &h).is_violation());
    }

    #[test]
    fn a_smaller_number_after_a_larger_one_completed_is_caught() {
        let mut h = History::new();
        let a = h.invoke("alice", NextGeneration, 0);
        h.ok(a, 5, 3);
        let b = h.invoke("bob", NextGeneration, 4);
        h.ok(b, 2, 8);
        assert!(check::linearizable(&GenerationClock, &h).is_violation());
    }

    #[test]
    fn overlapping_requests_may_complete_in_either_order() {
        let mut h = History::new();
        let a = h.invoke("alice", NextGeneration, 0);
        let b = h.invoke("bob", NextGeneration, 0);
        h.ok(a, 5, 3);
        h.ok(b, 2, 4);
        assert!(check::linearizable(&GenerationClock, &h).is_ok());
    }

    /// The sweep's client records what it learned: a number it was handed, a definite
    /// "no number for you" (superseded or failed elections hand out nothing), or, when the
    /// reply was lost, an unknown outcome that the checker may place either way.
    #[test]
    fn superseded_and_failed_elections_are_recorded_as_failed_and_a_lost_reply_as_unknown() {
        let mut workload = GenerationWorkload;
        let answer = |w: &mut GenerationWorkload, reply| w.interpret(&NextGeneration, reply);
        assert_eq!(
            answer(&mut workload, Ok(Msg::Generation { generation: 4 })),
            Answer::Ok(4)
        );
        assert_eq!(
            answer(&mut workload, Ok(Msg::Superseded { by: 5 })),
            Answer::Fail,
            "a superseded request was handed no number"
        );
        assert_eq!(
            answer(
                &mut workload,
                Ok(Msg::ElectionFailed {
                    attempts: 5,
                    highest_seen: 9
                })
            ),
            Answer::Fail,
            "a request whose elections all failed was handed no number"
        );
        assert_eq!(
            answer(&mut workload, Err(RpcError::Timeout { after_ticks: 200 })),
            Answer::Info,
            "a request whose reply was lost may have won a number"
        );
    }
}
