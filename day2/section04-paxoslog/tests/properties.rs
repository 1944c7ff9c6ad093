//! Property tests: the storage key layout, value selection, the state machine against
//! the checker's model, and idempotent execution.

mod support;
use common::ProcessId;
use common::check::Model;
use common::quorum::QuorumOutcome;
use paxoslog::{
    Applied, Ballot, Msg, Operation, Proposal, RequestId, StateMachine, Value, choose_value,
    slot_key,
};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use support::sim::{KvCas, KvCmd, operation, told};

fn value(client: &str, seq: u64, key: &str, v: &str) -> Value {
    Value {
        request: RequestId::new(client, seq),
        operation: Operation::set(key, v),
    }
}

/// An operation on two keys with values from a small set, so swaps sometimes match.
fn command() -> impl Strategy<Value = KvCmd> {
    let key = prop::sample::select(vec!["x", "y"]).prop_map(str::to_string);
    let val = prop::sample::select(vec!["a", "b", "c"]).prop_map(str::to_string);
    prop_oneof![
        (key.clone(), val.clone()).prop_map(|(key, value)| KvCmd::Set { key, value }),
        key.clone().prop_map(|key| KvCmd::Get { key }),
        (key, prop::option::of(val.clone()), val).prop_map(|(key, expected, new)| KvCmd::Cas {
            key,
            expected,
            new
        }),
    ]
}

proptest! {
    #[test]
    fn slot_keys_sort_in_slot_order(a in any::<u64>(), b in any::<u64>()) {
        prop_assert_eq!(
            slot_key(a).cmp(&slot_key(b)),
            a.cmp(&b),
            "the byte order of slot keys must be the numeric order of slots, for range scans"
        );
    }

    /// Whatever the promises report, the proposer adopts the value of the highest
    /// accepted ballot, and its own value only when none reports one.
    #[test]
    fn choose_value_adopts_the_highest_accepted_ballot(
        reports in prop::collection::vec(prop::option::of(1u64..20), 1..5)
    ) {
        let nodes = ["athens", "byzantium", "cyrene", "delphi", "ephesus"];
        let mut replies = BTreeMap::new();
        let mut accepted = BTreeSet::new();
        for (node, report) in nodes.iter().zip(&reports) {
            let proposal = report.map(|round| Proposal {
                ballot: Ballot::new(round, *node),
                value: value("alice", round, "x", node),
            });
            let promise = Msg::Promise { slot: 1, ballot: Ballot::new(30, "athens"), accepted: proposal };
            replies.insert(ProcessId::new(*node), promise);
            accepted.insert(ProcessId::new(*node));
        }
        let outcome = QuorumOutcome {
            succeeded: true,
            required: reports.len() / 2 + 1,
            replies,
            accepted,
            failed: BTreeMap::new(),
            outstanding: BTreeSet::new(),
        };
        let own = value("bob", 1, "x", "own");
        let chosen = choose_value(&outcome, own.clone());
        let highest = nodes
            .iter()
            .zip(&reports)
            .filter_map(|(node, r)| r.map(|round| (Ballot::new(round, *node), *node)))
            .max();
        match highest {
            Some((ballot, node)) => prop_assert_eq!(
                chosen,
                value("alice", ballot.round, "x", node),
                "the highest accepted ballot's value must be adopted"
            ),
            None => prop_assert_eq!(chosen, own, "with nothing accepted, the proposer's own value"),
        }
    }

    /// The checker's model is the specification of the store: every outcome the store
    /// produces is one the model allows, and a changed outcome is one it refuses.
    #[test]
    fn the_checkers_model_accepts_exactly_what_the_store_answers(
        commands in prop::collection::vec(command(), 1..30)
    ) {
        let mut store = StateMachine::new();
        let mut states: BTreeMap<String, Option<String>> = BTreeMap::new();
        for (i, command) in commands.iter().enumerate() {
            let slot = i as u64 + 1;
            let applied = store.apply(slot, &Value {
                request: RequestId::new("alice", slot),
                operation: operation(command),
            });
            let Applied::Ran(outcome) = applied else {
                return Err(TestCaseError::fail("a fresh request must run"));
            };
            let state = states.entry(command.key().to_string()).or_default();
            let next = KvCas.step(state, command, Some(&told(outcome.clone())));
            prop_assert!(next.is_some(), "the model refuses {:?} -> {}", command, outcome);
            let wrong = match &outcome {
                paxoslog::Outcome::Read { value } => paxoslog::Outcome::Read {
                    value: if value.is_some() { None } else { Some("z".into()) },
                },
                paxoslog::Outcome::Stored { .. } => paxoslog::Outcome::Read { value: None },
                paxoslog::Outcome::Swapped { swapped, previous } => paxoslog::Outcome::Swapped {
                    swapped: !swapped,
                    previous: previous.clone(),
                },
            };
            prop_assert!(
                KvCas.step(state, command, Some(&told(wrong.clone()))).is_none(),
                "the model must refuse the wrong outcome {} for {:?}", wrong, command
            );
            *state = next.expect("checked above");
        }
    }

    /// Executing a log in which some entries appear again later gives the same store as
    /// executing it without the repeats: execution is idempotent per request id.
    #[test]
    fn repeated_entries_do_not_change_the_store(
        commands in prop::collection::vec(command(), 1..20),
        repeats in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 0..5),
    ) {
        let log: Vec<Value> = commands
            .iter()
            .enumerate()
            .map(|(i, c)| Value {
                request: RequestId::new(["alice", "bob"][i % 2], i as u64 + 1),
                operation: operation(c),
            })
            .collect();
        let mut with_repeats = log.clone();
        for (which, at) in &repeats {
            let original = which.index(log.len());
            let position = with_repeats.iter().position(|v| *v == log[original]).expect("present");
            let insert_at = position + 1 + at.index(with_repeats.len() - position);
            with_repeats.insert(insert_at, log[original].clone());
        }
        let run = |entries: &[Value]| {
            let mut store = StateMachine::new();
            for (i, v) in entries.iter().enumerate() {
                store.apply(i as u64 + 1, v);
            }
            store
        };
        let (plain, repeated) = (run(&log), run(&with_repeats));
        prop_assert_eq!(plain.entries(), repeated.entries(), "a repeated entry changed the store");
        prop_assert_eq!(
            plain.operations_run(),
            repeated.operations_run(),
            "a repeated entry ran again"
        );
    }
}
