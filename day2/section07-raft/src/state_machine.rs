//! The replicated key-value store every node applies the committed log to, entry by
//! entry.
//!
//! It lives in memory: a restarted node rebuilds it by applying its log again from
//! index 1 as it learns the commit index or, with log compaction (step 5), from its
//! latest snapshot on, the store and its sessions decoded from the snapshot. Applying the same prefix always produces the
//! same state, which is what makes every replica's store the same.
//!
//! ## Client sessions
//!
//! A client retries a request with the same id, at the same or a new leader, so one
//! request can end up in two entries (bug R14 of the Java section applied it twice); the
//! store makes applying idempotent. It keeps, per client, the sequence number, index and
//! outcome of its latest applied request (its *session*), and an entry whose request is
//! not newer than that applies as a no-op:
//! * the same sequence number is a duplicate: its client is answered with the outcome
//!   of the first index;
//! * an older one was overtaken by a later request of the same client. A client has at
//!   most one request outstanding, so it had given up on this one; a leader that was
//!   still placing it must not let it overwrite the newer request's effect. It never
//!   takes effect, and is answered `Superseded`.

use crate::messages::{Command, Index, Operation, Outcome, RequestId};
use common::ProcessId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A client's latest applied request.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Session {
    /// Its sequence number.
    pub seq: u64,
    /// The index it applied in.
    pub index: Index,
    /// What applying it produced.
    pub outcome: Outcome,
}

/// What applying one index did.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Applied {
    /// A no-op occupies the index: nothing changed, nobody is answered.
    NoOp,
    /// The operation took effect.
    Ran(Outcome),
    /// The request had already applied at an earlier index: nothing changed; its client
    /// is told that index's outcome.
    Duplicate {
        /// The index where it applied.
        index: Index,
        /// The outcome it had there.
        outcome: Outcome,
    },
    /// The client had since had a later request applied: nothing changed.
    Superseded {
        /// The client's latest applied sequence number.
        latest: u64,
    },
}

/// The key-value store and the client sessions: everything a snapshot must carry (step
/// 5), since a node that restarts from a snapshot must still recognise a retried
/// request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StateMachine {
    kv: BTreeMap<String, String>,
    sessions: BTreeMap<ProcessId, Session>,
    last_index: Index,
    operations_run: u64,
}

impl StateMachine {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Apply `index`, which must come after the last one applied. (That it comes
    /// *right* after, with no gap, is the learner's duty: a store cannot know which
    /// indexes exist.)
    pub fn apply(&mut self, index: Index, command: &Command) -> Applied {
        match command {
            Command::NoOp | Command::Configuration(_) => {
                self.advance(index);
                Applied::NoOp
            }
            Command::Client { request, operation } => self.apply_command(index, request, operation),
        }
    }

    fn advance(&mut self, index: Index) {
        assert!(
            index > self.last_index,
            "entries apply in increasing index order, each exactly once: index {index} after index {}",
            self.last_index
        );
        self.last_index = index;
    }

    fn apply_command(
        &mut self,
        index: Index,
        request: &RequestId,
        operation: &Operation,
    ) -> Applied {
        self.advance(index);
        if let Some(session) = self.sessions.get(&request.client) {
            if session.seq == request.seq {
                return Applied::Duplicate {
                    index: session.index,
                    outcome: session.outcome.clone(),
                };
            }
            if session.seq > request.seq {
                return Applied::Superseded {
                    latest: session.seq,
                };
            }
        }
        let outcome = self.run(operation);
        self.operations_run += 1;
        self.sessions.insert(
            request.client.clone(),
            Session {
                seq: request.seq,
                index,
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

    /// The latest applied request of `client`.
    pub fn session(&self, client: &ProcessId) -> Option<&Session> {
        self.sessions.get(client)
    }

    /// What applying `request` produced, if it is its client's latest applied request.
    pub fn outcome_of(&self, request: &RequestId) -> Option<&Session> {
        self.sessions
            .get(&request.client)
            .filter(|s| s.seq == request.seq)
    }

    /// The last index applied (0 before any).
    pub fn last_index(&self) -> Index {
        self.last_index
    }

    /// Operations that took effect (indexes minus no-ops, duplicates and superseded requests)
    /// since this store was built.
    pub fn operations_run(&self) -> u64 {
        self.operations_run
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(client: &str, seq: u64, operation: Operation) -> Command {
        Command::Client {
            request: RequestId::new(client, seq),
            operation,
        }
    }

    #[test]
    fn the_outcome_of_a_request_is_kept_while_it_is_its_clients_latest() {
        let mut sm = StateMachine::new();
        let first = RequestId::new("alice", 1);
        assert_eq!(sm.outcome_of(&first), None, "nothing has been applied yet");
        sm.apply(1, &command("alice", 1, Operation::set("k", "v")));
        sm.apply(2, &command("bob", 1, Operation::get("k")));
        let kept = sm.outcome_of(&first).expect("alice's request was applied");
        assert_eq!(
            (kept.index, &kept.outcome),
            (1, &Outcome::Stored { value: "v".into() }),
            "the outcome of alice's request is the one its entry produced"
        );
        assert_eq!(
            sm.outcome_of(&RequestId::new("alice", 2)),
            None,
            "a later request of alice's has not been applied"
        );
        sm.apply(3, &command("alice", 2, Operation::get("k")));
        assert_eq!(
            sm.outcome_of(&first),
            None,
            "a client's older outcome is forgotten once a newer request is applied"
        );
    }

    #[test]
    fn the_entries_are_every_key_and_its_value_in_key_order() {
        let mut sm = StateMachine::new();
        sm.apply(1, &command("alice", 1, Operation::set("b", "2")));
        sm.apply(2, &command("bob", 1, Operation::set("a", "1")));
        sm.apply(3, &command("alice", 2, Operation::set("b", "3")));
        let entries: Vec<(&str, &str)> = sm
            .entries()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            entries,
            vec![("a", "1"), ("b", "3")],
            "every key once, with its latest value, in key order"
        );
    }

    #[test]
    fn a_no_op_changes_nothing_but_takes_its_index() {
        let mut sm = StateMachine::new();
        sm.apply(1, &command("alice", 1, Operation::set("k", "v")));
        assert_eq!(
            sm.apply(2, &Command::NoOp),
            Applied::NoOp,
            "a no-op is applied as a no-op"
        );
        assert_eq!(sm.get("k"), Some("v"), "a no-op must not change the store");
        assert_eq!(sm.last_index(), 2, "a no-op still occupies its index");
        assert_eq!(sm.operations_run(), 1, "a no-op is not an operation");
    }

    #[test]
    fn set_get_and_compare_and_swap_follow_the_operation_table() {
        let mut sm = StateMachine::new();
        let set = sm.apply(1, &command("alice", 1, Operation::set("title", "A")));
        assert_eq!(
            set,
            Applied::Ran(Outcome::Stored { value: "A".into() }),
            "a set reports the value it stored"
        );
        let wrong = sm.apply(
            2,
            &command("bob", 1, Operation::cas("title", Some("B"), "C")),
        );
        assert_eq!(
            wrong,
            Applied::Ran(Outcome::Swapped {
                swapped: false,
                previous: Some("A".into())
            }),
            "a swap expecting the wrong value must fail and report the current value"
        );
        let absent = sm.apply(3, &command("bob", 2, Operation::cas("author", None, "M")));
        assert_eq!(
            absent,
            Applied::Ran(Outcome::Swapped {
                swapped: true,
                previous: None
            }),
            "expecting None matches an absent key"
        );
        let read = sm.apply(4, &command("carol", 1, Operation::get("author")));
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
    fn a_request_applies_once_even_in_two_indexes() {
        let mut sm = StateMachine::new();
        let first = command("alice", 1, Operation::cas("k", None, "v"));
        assert!(
            matches!(sm.apply(1, &first), Applied::Ran(_)),
            "a fresh request runs"
        );
        let again = sm.apply(2, &first);
        assert_eq!(
            again,
            Applied::Duplicate {
                index: 1,
                outcome: Outcome::Swapped {
                    swapped: true,
                    previous: None
                }
            },
            "the second copy must report the first index's outcome, not run again"
        );
        assert_eq!(sm.operations_run(), 1, "the duplicate must not run");
    }

    #[test]
    fn an_overtaken_request_never_takes_effect() {
        let mut sm = StateMachine::new();
        sm.apply(1, &command("alice", 2, Operation::set("k", "new")));
        let late = sm.apply(2, &command("alice", 1, Operation::set("k", "old")));
        assert_eq!(
            late,
            Applied::Superseded { latest: 2 },
            "a request older than its client's latest applied one is superseded"
        );
        assert_eq!(
            sm.get("k"),
            Some("new"),
            "the overtaken write must not land"
        );
    }

    #[test]
    #[should_panic(expected = "entries apply in increasing index order, each exactly once")]
    fn applying_an_index_twice_is_refused() {
        let mut sm = StateMachine::new();
        sm.apply(1, &command("alice", 1, Operation::get("k")));
        sm.apply(1, &command("alice", 1, Operation::get("k")));
    }
}
