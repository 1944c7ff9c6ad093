//! The replicated key-value store every node executes the log against, slot by slot.
//!
//! It lives in memory only: a restarted node rebuilds it by executing its durable
//! committed prefix again, from slot 1. Executing the same prefix always produces the
//! same state, which is what makes every replica's store the same.
//!
//! ## Client sessions
//!
//! The proposers keep a request in one slot (see the crate documentation), and the
//! store makes execution idempotent as well. It keeps, per client, the sequence number,
//! slot and outcome of its latest executed request (its *session*), and a slot whose
//! request is not newer than that executes as a no-op:
//! * the same sequence number is a duplicate: its client is answered with the outcome
//!   of the first slot;
//! * an older one was overtaken by a later request of the same client. A client has at
//!   most one request outstanding, so it had given up on this one; a proposer that was
//!   still placing it must not let it overwrite the newer request's effect. It never
//!   takes effect, and is answered `Superseded`.

use crate::messages::{Operation, Outcome, RequestId, Slot, Value};
use common::ProcessId;
use std::collections::BTreeMap;

/// A client's latest executed request.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Session {
    /// Its sequence number.
    pub seq: u64,
    /// The slot it executed in.
    pub slot: Slot,
    /// What executing it produced.
    pub outcome: Outcome,
}

/// What executing one slot did.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Applied {
    /// The operation took effect.
    Ran(Outcome),
    /// The request had already executed in an earlier slot: nothing changed; its client
    /// is told that slot's outcome.
    Duplicate {
        /// The slot where it executed.
        slot: Slot,
        /// The outcome it had there.
        outcome: Outcome,
    },
    /// The client had since had a later request executed: nothing changed.
    Superseded {
        /// The client's latest executed sequence number.
        latest: u64,
    },
}

/// The key-value store and the client sessions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct StateMachine {
    kv: BTreeMap<String, String>,
    sessions: BTreeMap<ProcessId, Session>,
    last_slot: Slot,
    operations_run: u64,
}

impl StateMachine {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Execute `slot`, which must come after the last one executed. (That it comes
    /// *right* after, with no gap, is the learner's duty: a store cannot know which
    /// slots exist.)
    pub fn apply(&mut self, slot: Slot, value: &Value) -> Applied {
        assert!(
            slot > self.last_slot,
            "slots execute in increasing order, each exactly once: slot {slot} after slot {}",
            self.last_slot
        );
        self.last_slot = slot;
        let request = &value.request;
        if let Some(session) = self.sessions.get(&request.client) {
            if session.seq == request.seq {
                return Applied::Duplicate {
                    slot: session.slot,
                    outcome: session.outcome.clone(),
                };
            }
            if session.seq > request.seq {
                return Applied::Superseded {
                    latest: session.seq,
                };
            }
        }
        let outcome = self.run(&value.operation);
        self.operations_run += 1;
        self.sessions.insert(
            request.client.clone(),
            Session {
                seq: request.seq,
                slot,
                outcome: outcome.clone(),
            },
        );
        Applied::Ran(outcome)
    }

    fn run(&mut self, operation: &Operation) -> Outcome {
        match operation {
            Operation::Set { key, value } => {
                self.kv.insert(key.clone(), value.clone());
                Outcome::Stored {
                    value: value.clone(),
                }
            }
            Operation::Get { key } => Outcome::Read {
                value: self.kv.get(key).cloned(),
            },
            Operation::CompareAndSwap { key, expected, new } => {
                let previous = self.kv.get(key).cloned();
                let swapped = previous == *expected;
                if swapped {
                    self.kv.insert(key.clone(), new.clone());
                }
                Outcome::Swapped { swapped, previous }
            }
        }
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.kv.get(key).map(String::as_str)
    }

    /// Every key and value, in key order.
    pub fn entries(&self) -> &BTreeMap<String, String> {
        &self.kv
    }

    /// The latest executed request of `client`.
    pub fn session(&self, client: &ProcessId) -> Option<&Session> {
        self.sessions.get(client)
    }

    /// What executing `request` produced, if it is its client's latest executed request.
    pub fn outcome_of(&self, request: &RequestId) -> Option<&Session> {
        self.sessions
            .get(&request.client)
            .filter(|s| s.seq == request.seq)
    }

    /// The last slot executed (0 before any).
    pub fn last_slot(&self) -> Slot {
        self.last_slot
    }

    /// Operations that took effect (slots minus duplicates and superseded requests)
    /// since this store was built.
    pub fn operations_run(&self) -> u64 {
        self.operations_run
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(client: &str, seq: u64, operation: Operation) -> Value {
        Value {
            request: RequestId::new(client, seq),
            operation,
        }
    }

    #[test]
    fn set_get_and_compare_and_swap_follow_the_table_of_the_java_section() {
        let mut sm = StateMachine::new();
        let set = sm.apply(1, &value("alice", 1, Operation::set("title", "A")));
        assert_eq!(
            set,
            Applied::Ran(Outcome::Stored { value: "A".into() }),
            "a set reports the value it stored"
        );
        let wrong = sm.apply(2, &value("bob", 1, Operation::cas("title", Some("B"), "C")));
        assert_eq!(
            wrong,
            Applied::Ran(Outcome::Swapped {
                swapped: false,
                previous: Some("A".into())
            }),
            "a swap expecting the wrong value must fail and report the current value"
        );
        let absent = sm.apply(3, &value("bob", 2, Operation::cas("author", None, "M")));
        assert_eq!(
            absent,
            Applied::Ran(Outcome::Swapped {
                swapped: true,
                previous: None
            }),
            "expecting None matches an absent key"
        );
        let read = sm.apply(4, &value("carol", 1, Operation::get("author")));
        assert_eq!(
            read,
            Applied::Ran(Outcome::Read {
                value: Some("M".into())
            }),
            "a get reads what the swap stored"
        );
        assert_eq!(sm.get("title"), Some("A"), "a failed swap changes nothing");
        assert_eq!(sm.operations_run(), 4, "four requests ran");
    }

    #[test]
    fn a_request_executes_once_even_in_two_slots() {
        let mut sm = StateMachine::new();
        let first = value("alice", 1, Operation::cas("k", None, "v"));
        assert!(
            matches!(sm.apply(1, &first), Applied::Ran(_)),
            "a fresh request runs"
        );
        let again = sm.apply(2, &first);
        assert_eq!(
            again,
            Applied::Duplicate {
                slot: 1,
                outcome: Outcome::Swapped {
                    swapped: true,
                    previous: None
                }
            },
            "the second copy must report the first slot's outcome, not run again"
        );
        assert_eq!(sm.operations_run(), 1, "the duplicate must not run");
    }

    #[test]
    fn an_overtaken_request_never_takes_effect() {
        let mut sm = StateMachine::new();
        sm.apply(1, &value("alice", 2, Operation::set("k", "new")));
        let late = sm.apply(2, &value("alice", 1, Operation::set("k", "old")));
        assert_eq!(
            late,
            Applied::Superseded { latest: 2 },
            "a request older than its client's latest executed one is superseded"
        );
        assert_eq!(
            sm.get("k"),
            Some("new"),
            "the overtaken write must not land"
        );
    }

    #[test]
    fn the_entries_are_every_key_and_its_value_in_key_order() {
        let mut sm = StateMachine::new();
        sm.apply(1, &value("alice", 1, Operation::set("title", "Patterns")));
        sm.apply(2, &value("bob", 1, Operation::set("author", "Unmesh")));
        sm.apply(3, &value("carol", 1, Operation::get("missing")));
        let entries: Vec<(&str, &str)> = sm
            .entries()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            entries,
            vec![("author", "Unmesh"), ("title", "Patterns")],
            "two keys were set, and a read adds none"
        );
    }

    #[test]
    fn the_outcome_of_a_request_is_kept_while_it_is_its_clients_latest() {
        let mut sm = StateMachine::new();
        let first = RequestId::new("alice", 1);
        assert_eq!(sm.outcome_of(&first), None, "nothing has executed yet");
        sm.apply(1, &value("alice", 1, Operation::set("k", "v")));
        sm.apply(2, &value("bob", 1, Operation::get("k")));
        let kept = sm.outcome_of(&first).expect("alice's request executed");
        assert_eq!(
            (kept.slot, &kept.outcome),
            (1, &Outcome::Stored { value: "v".into() }),
            "the outcome of alice's request is the one its slot produced"
        );
        assert_eq!(
            sm.outcome_of(&RequestId::new("alice", 2)),
            None,
            "a later request of alice's has not executed"
        );
        sm.apply(3, &value("alice", 2, Operation::get("k")));
        assert_eq!(
            sm.outcome_of(&first),
            None,
            "a client's older outcome is forgotten once a newer request executes"
        );
    }

    #[test]
    #[should_panic(expected = "slots execute in increasing order, each exactly once")]
    fn executing_a_slot_twice_is_refused() {
        let mut sm = StateMachine::new();
        sm.apply(1, &value("alice", 1, Operation::get("k")));
        sm.apply(1, &value("alice", 1, Operation::get("k")));
    }
}
