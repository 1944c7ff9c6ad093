//! The replicated state machine: named integer counters.

use crate::messages::Operation;
use std::collections::BTreeMap;

/// Counters by name. A counter that was never written is absent (tests tell "never
/// written here" from "zero").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    values: BTreeMap<String, i64>,
    applied: u64,
}

impl Counters {
    /// No counters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Apply `op` and return the counter's new value. Arithmetic saturates at the bounds
    /// of `i64` instead of overflowing.
    pub fn apply(&mut self, op: &Operation) -> i64 {
        self.applied += 1;
        let slot = self.values.entry(op.key().to_string()).or_insert(0);
        *slot = match op {
            Operation::Increment { delta, .. } => slot.saturating_add(*delta),
            Operation::Set { value, .. } => *value,
        };
        *slot
    }

    /// The value of `key`, if it was ever written here.
    pub fn get(&self, key: &str) -> Option<i64> {
        self.values.get(key).copied()
    }

    /// How many operations were applied here, in total.
    pub fn applied(&self) -> u64 {
        self.applied
    }
}

/// Read access to a server's counters, whatever the server's type; tests and examples use
/// it to compare replicas.
pub trait HasCounters {
    /// The server's local copy of the state machine.
    fn counters(&self) -> &Counters;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counter_never_written_is_absent_not_zero() {
        let mut c = Counters::new();
        assert_eq!(c.get("k"), None, "an unwritten counter must read as absent");
        c.apply(&Operation::increment("k", 0));
        assert_eq!(c.get("k"), Some(0), "a written counter reads its value");
    }

    #[test]
    fn increments_commute_but_sets_do_not() {
        let (a, b) = (Operation::increment("k", 2), Operation::set("k", 10));
        let mut first = Counters::new();
        first.apply(&a);
        first.apply(&b);
        let mut second = Counters::new();
        second.apply(&b);
        second.apply(&a);
        assert_ne!(
            first.get("k"),
            second.get("k"),
            "an increment and a set applied in different orders must disagree"
        );
    }

    #[test]
    fn increments_saturate_instead_of_overflowing() {
        let mut c = Counters::new();
        c.apply(&Operation::set("k", i64::MAX));
        assert_eq!(c.apply(&Operation::increment("k", 1)), i64::MAX);
    }
}
