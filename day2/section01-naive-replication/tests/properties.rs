//! Property tests of the corrected participant: whatever order and however often
//! `Accept` and `Commit` arrive, each operation is applied at most once.

use common::ProcessId;
use naive_replication::{Behaviour, Operation, Participant, TxnId};
use proptest::prelude::*;

fn txn(seq: u64) -> TxnId {
    TxnId {
        seq,
        coordinator: ProcessId::new("athens"),
        incarnation: 0,
    }
}

/// An arriving message: accept or commit of operation `seq` (which adds `seq + 1`).
#[derive(Clone, Debug)]
enum Arrival {
    Accept(u64),
    Commit(u64),
}

fn arrivals() -> impl Strategy<Value = Vec<Arrival>> {
    prop::collection::vec(
        (0u64..6, any::<bool>()).prop_map(|(seq, accept)| {
            if accept {
                Arrival::Accept(seq)
            } else {
                Arrival::Commit(seq)
            }
        }),
        0..40,
    )
}

proptest! {
    // A fixed seed and no regression files, as everywhere in the workspace: the same cases
    // run on every machine, and a failure prints its shrunk case.
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(11),
        ..ProptestConfig::default()
    })]

    #[test]
    fn step2_any_interleaving_of_duplicated_accepts_and_commits_applies_each_operation_once(
        arrivals in arrivals()
    ) {
        let mut p = Participant::new(Behaviour::Corrected);
        let mut committed = std::collections::BTreeSet::new();
        for arrival in &arrivals {
            match arrival {
                Arrival::Accept(seq) => {
                    p.stage(txn(*seq), Operation::increment("k", *seq as i64 + 1));
                }
                Arrival::Commit(seq) => {
                    p.commit(txn(*seq), Operation::increment("k", *seq as i64 + 1));
                    committed.insert(*seq);
                }
            }
        }
        prop_assert!(
            p.applied.values().all(|times| *times == 1),
            "an operation was applied more than once: {:?}", p.applied
        );
        let expected: i64 = committed.iter().map(|seq| *seq as i64 + 1).sum();
        prop_assert_eq!(
            p.counters.get("k").unwrap_or(0),
            expected,
            "the counter must be the sum of the committed operations, each counted once"
        );
        prop_assert!(
            p.staged.keys().all(|t| !p.has_applied(t)),
            "an applied operation must not stay staged"
        );
    }
}
