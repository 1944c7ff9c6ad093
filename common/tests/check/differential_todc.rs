//! Our linearizability checker agrees with an independent implementation, todc-utils'
//! `WGLChecker`, on random key-value histories from a store that sometimes serves stale
//! reads and loses responses.

use crate::support::{Workload, kv_history, todc};
use common::check::{
    self,
    models::{KvOp, KvRegister},
};

/// Small histories: several keys, stale reads and lost responses (info operations).
fn small(seed: u64) -> crate::support::KvHistory {
    kv_history(
        seed,
        &Workload {
            clients: 3,
            keys: 2,
            ops: 10,
            delay_ticks_max: 3,
            think_ticks_max: 2,
            lost_percent: 10,
            stale_read_percent: 15,
        },
    )
}

#[test]
fn our_checker_agrees_with_todc_utils_on_random_small_histories() {
    let model = KvRegister::new(0);
    let mut verdicts = (0, 0);
    for seed in 0..300 {
        let history = small(seed);
        let ours = check::linearizable(&model, &history);
        let theirs = todc::linearizable(&history);
        assert_eq!(
            todc::linearizable_with_late_info_writes(&history),
            theirs,
            "seed {seed}: giving every lost write a response after everything else must \
             agree with trying every choice of which lost writes took effect\n{}",
            history.to_text()
        );
        assert!(
            !ours.gave_up(),
            "seed {seed}: a 10-operation history exhausted the budget"
        );
        assert_eq!(
            ours.is_ok(),
            theirs,
            "seed {seed}: we say {ours}, todc-utils says linearizable = {theirs}\n{}",
            history.to_text()
        );
        if theirs {
            verdicts.0 += 1;
        } else {
            verdicts.1 += 1;
        }
    }
    assert!(
        verdicts.0 > 30 && verdicts.1 > 30,
        "the random histories must include both verdicts, got (linearizable, not) = {verdicts:?}"
    );
}

#[test]
fn our_checker_agrees_with_todc_utils_on_longer_histories_checked_per_key() {
    let model = KvRegister::new(0);
    let mut violations = 0;
    for seed in 0..20 {
        let stale_read_percent = if seed % 2 == 0 { 0 } else { 1 };
        let workload = Workload {
            stale_read_percent,
            lost_percent: 2,
            ..Workload::benchmark(300)
        };
        let history = kv_history(seed, &workload);
        let ours = check::linearizable(&model, &history);
        let theirs = todc::linearizable_per_key(&history);
        assert_eq!(
            ours.is_ok(),
            theirs,
            "seed {seed}: we say {ours}, todc-utils says linearizable = {theirs}"
        );
        if stale_read_percent == 0 {
            assert!(
                ours.is_ok(),
                "seed {seed}: a correct store was rejected: {ours}"
            );
        }
        violations += usize::from(ours.is_violation());
    }
    assert!(violations > 0, "stale reads must be caught at least once");
}

/// The differential histories hold operations of unknown outcome of both kinds, reads and
/// writes, and some lost writes take effect while others never do: the comparison covers
/// what a timed-out client leaves behind, not only acknowledged operations.
#[test]
fn the_differential_histories_hold_reads_and_writes_of_unknown_outcome() {
    let (mut info_reads, mut info_writes) = (0, 0);
    for seed in 0..300 {
        for op in small(seed).ops().filter(|op| op.is_indefinite()) {
            match op.input() {
                KvOp::Read(_) => info_reads += 1,
                KvOp::Write(..) => info_writes += 1,
            }
        }
    }
    assert!(
        info_reads > 50 && info_writes > 50,
        "expected many lost reads and writes, got {info_reads} reads and {info_writes} writes"
    );
    let longer = kv_history(
        1,
        &Workload {
            lost_percent: 2,
            ..Workload::benchmark(300)
        },
    );
    assert!(
        longer.ops().any(|op| op.is_indefinite()),
        "the longer histories checked per key hold lost operations too"
    );
}
