//! Our linearizability checker agrees with an independent implementation, todc-utils'
//! `WGLChecker`, on random key-value histories from a store that sometimes serves stale
//! reads and loses responses.

use crate::support::{Workload, kv_history, todc};
use common::check::{self, models::KvRegister};

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
