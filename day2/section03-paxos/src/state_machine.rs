//! The small state machine every node applies the chosen value to.

use crate::messages::Operation;
use std::collections::BTreeMap;

/// Counters and a key-value map. It lives in memory only: after a restart a node
/// rebuilds it by applying its durable committed value again.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct StateMachine {
    counters: BTreeMap<String, i64>,
    kv: BTreeMap<String, String>,
    applied: u64,
}

impl StateMachine {
    /// An empty state machine.
    pub fn new() -> Self {
        Self::default()
    }

    /// Apply `operation` and return its result as text.
    pub fn apply(&mut self, operation: &Operation) -> String {
        self.applied += 1;
        match operation {
            Operation::Increment { key } => {
                let count = self.counters.entry(key.clone()).or_insert(0);
                *count += 1;
                count.to_string()
            }
            Operation::Set { key, value } => {
                self.kv.insert(key.clone(), value.clone());
                value.clone()
            }
        }
    }

    /// The counter under `key` (0 if never incremented).
    pub fn counter(&self, key: &str) -> i64 {
        self.counters.get(key).copied().unwrap_or(0)
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.kv.get(key).map(String::as_str)
    }

    /// How many operations were applied since this state machine was built.
    pub fn applied_count(&self) -> u64 {
        self.applied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn increment_counts_from_one_and_set_returns_the_value() {
        let mut sm = StateMachine::new();
        assert_eq!(sm.apply(&Operation::increment("c")), "1");
        assert_eq!(sm.apply(&Operation::increment("c")), "2");
        assert_eq!(sm.apply(&Operation::set("k", "v")), "v");
        assert_eq!(sm.counter("c"), 2, "two increments must count to two");
        assert_eq!(sm.get("k"), Some("v"), "set must store the value");
        assert_eq!(sm.applied_count(), 3);
    }
}
