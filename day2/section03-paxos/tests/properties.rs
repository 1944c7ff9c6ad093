//! Property tests of the pure parts: ballot order and value selection.

use common::{ProcessId, QuorumOutcome};
use paxos::{Ballot, Msg, Operation, Proposal, RequestId, Value, choose_value};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

const NODES: [&str; 5] = ["athens", "byzantium", "cyrene", "delphi", "ephesus"];

fn ballot() -> impl Strategy<Value = Ballot> {
    (1u64..6, 0usize..NODES.len()).prop_map(|(round, node)| Ballot::new(round, NODES[node]))
}

fn value() -> impl Strategy<Value = Value> {
    (0usize..3, 1u64..4).prop_map(|(client, seq)| Value {
        request: RequestId::new(["alice", "bob", "carol"][client], seq),
        operation: Operation::increment("counter"),
    })
}

/// One promise per acceptor: `None` if it accepted nothing.
fn promises() -> impl Strategy<Value = Vec<Option<Proposal>>> {
    prop::collection::vec(
        prop::option::of(
            (ballot(), value()).prop_map(|(ballot, value)| Proposal { ballot, value }),
        ),
        1..=NODES.len(),
    )
}

fn outcome(ballot: &Ballot, promises: &[Option<Proposal>]) -> QuorumOutcome<Msg> {
    let mut replies = BTreeMap::new();
    let mut accepted = BTreeSet::new();
    for (node, promise) in NODES.iter().zip(promises) {
        let id = ProcessId::new(node);
        replies.insert(
            id.clone(),
            Msg::Promise {
                ballot: ballot.clone(),
                accepted: promise.clone(),
            },
        );
        accepted.insert(id);
    }
    QuorumOutcome {
        succeeded: true,
        required: promises.len() / 2 + 1,
        replies,
        accepted,
        failed: BTreeMap::new(),
        outstanding: BTreeSet::new(),
    }
}

proptest! {
    // A fixed seed and no regression files, as everywhere in the workspace: the same cases
    // run on every machine, and a failure prints its shrunk case.
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(13),
        ..ProptestConfig::default()
    })]

    /// The proposer adopts the value of the highest-ballot acceptance among its promises,
    /// and uses its own value only when no promise reports one.
    #[test]
    fn step2_chosen_value_is_the_one_with_the_highest_accepted_ballot(
        promises in promises(),
        own in value(),
    ) {
        let mine = Ballot::new(9, "athens");
        let picked = choose_value(&outcome(&mine, &promises), own.clone());
        match promises.iter().flatten().max_by(|a, b| a.ballot.cmp(&b.ballot)) {
            None => prop_assert_eq!(picked, own, "no acceptance reported: the client's value"),
            Some(highest) => {
                // Equal ballots carry equal values in Paxos; the generator may not, so
                // accept any value proposed in the highest ballot.
                let candidates: Vec<&Value> = promises
                    .iter()
                    .flatten()
                    .filter(|p| p.ballot == highest.ballot)
                    .map(|p| &p.value)
                    .collect();
                prop_assert!(
                    candidates.contains(&&picked),
                    "picked {} but the highest ballot {} carries {:?}",
                    picked, highest.ballot, candidates
                );
            }
        }
    }

    /// Ballots order by round first and break ties by node: two ballots are equal only
    /// if both parts are.
    #[test]
    fn ballots_order_by_round_then_node(a in ballot(), b in ballot()) {
        let expected = (a.round, a.node.as_str()).cmp(&(b.round, b.node.as_str()));
        prop_assert_eq!(a.cmp(&b), expected);
        prop_assert!(a > Ballot::zero(), "every real ballot is above the zero ballot");
    }
}
