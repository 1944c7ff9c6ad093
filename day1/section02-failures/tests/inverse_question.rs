//! "How many disks until a failure on any given day is likely?"

use failures::FailuresError;
use failures::fleet::fleet_size_for_probability;

const P_DAY: f64 = 1.0 / 1095.0;

#[test]
fn step3_half_the_days_see_a_failure_from_759_disks_on() {
    let size = fleet_size_for_probability(P_DAY, 0.5).unwrap();
    assert!(
        (size.exact - 758.65).abs() < 0.005,
        "exact solution should be 758.65, got {}",
        size.exact
    );
    assert_eq!(size.disks, 759, "the smallest whole fleet reaching 50 %");
    assert!(
        (size.p_below - 0.49970).abs() < 5e-6,
        "758 disks give P = 0.49970, got {}",
        size.p_below
    );
    assert!(
        (size.p_at - 0.50016).abs() < 5e-6,
        "759 disks give P = 0.50016, got {}",
        size.p_at
    );
}

#[test]
fn step3_a_daily_failure_is_99_percent_certain_from_5041_disks_on() {
    let size = fleet_size_for_probability(P_DAY, 0.99).unwrap();
    assert!(
        (size.exact - 5040.36).abs() < 0.005,
        "exact solution should be 5040.36, got {}",
        size.exact
    );
    assert_eq!(size.disks, 5041, "the smallest whole fleet reaching 99 %");
    assert!(
        size.p_below < 0.99 && size.p_at >= 0.99,
        "5040 disks must fall short of 99 % and 5041 reach it"
    );
}

#[test]
fn step3_the_answer_is_always_the_smallest_fleet_that_reaches_the_target() {
    for target in [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999] {
        let size = fleet_size_for_probability(P_DAY, target).unwrap();
        assert!(
            size.p_below < target && size.p_at >= target,
            "target {target}: {} disks give {} but {} disks already give {}",
            size.disks,
            size.p_at,
            size.disks - 1,
            size.p_below
        );
    }
}

#[test]
fn step3_targets_of_zero_or_one_have_no_answer() {
    assert!(
        fleet_size_for_probability(P_DAY, 1.0).is_err(),
        "certainty needs an infinite fleet"
    );
    assert!(
        fleet_size_for_probability(P_DAY, 0.0).is_err(),
        "a zero target is met by no fleet at all"
    );
    assert!(
        fleet_size_for_probability(0.0, 0.5).is_err(),
        "disks that never fail never reach any target"
    );
}

/// The closed form `ln(1 - x) / ln(1 - p)` rounds either way when the target sits on
/// the boundary between two fleets: for every fleet of 1 to 2,000 disks, a target equal
/// to that fleet's P(>=1 fails) (or just below it) is reached by that fleet and no
/// smaller one, and a target just above it needs one disk more.
#[test]
fn step3_a_target_on_the_boundary_between_two_fleets_gets_the_smaller_one() {
    for p in [P_DAY, 7.0 * P_DAY, 0.01] {
        let any_fail = |disks: u64| -(disks as f64 * (-p).ln_1p()).exp_m1();
        for disks in 1..=2_000u64 {
            let reached = any_fail(disks);
            for (target, expected) in [
                (reached.next_down(), disks),
                (reached, disks),
                (reached.next_up(), disks + 1),
            ] {
                let size = fleet_size_for_probability(p, target).unwrap();
                assert_eq!(
                    size.disks, expected,
                    "p = {p}, target {target:e} (what {disks} disks reach is {reached:e}): \
                     the smallest fleet reaching it is {expected} disks (closed form {})",
                    size.exact
                );
                assert!(
                    size.p_below < target && size.p_at >= target,
                    "p = {p}, target {target:e}: {} disks must fall short ({:e}) and {} reach it ({:e})",
                    size.disks - 1,
                    size.p_below,
                    size.disks,
                    size.p_at
                );
            }
        }
    }
}

/// A disk that fails one day in a trillion needs about 693 billion disks for a coin-flip
/// day. The answer comes from the closed form, corrected by a step at most: counting
/// fleets one disk at a time would never finish.
#[test]
fn step3_a_fleet_of_hundreds_of_billions_of_disks_is_answered_from_the_formula() {
    let p = 1e-12;
    let size = fleet_size_for_probability(p, 0.5).unwrap();
    assert!(
        (size.exact - 693_147_180_559.6).abs() < 0.01,
        "ln(0.5) / ln(1 - 1e-12) is 693,147,180,559.6, got {}",
        size.exact
    );
    assert!(
        size.disks as f64 >= size.exact && (size.disks as f64) < size.exact + 1.0,
        "the answer {} disks is the closed form {} rounded up",
        size.disks,
        size.exact
    );
    assert!(
        size.p_below < 0.5 && size.p_at >= 0.5,
        "{} disks must fall short of 50 % ({}) and {} reach it ({})",
        size.disks - 1,
        size.p_below,
        size.disks,
        size.p_at
    );
}

/// p = 1 (under the linear model, a period as long as the MTTF) is a disk that fails for
/// certain: "how many disks until a failure is likely" has no answer and is refused,
/// naming the per-disk probability. Just below certainty a single disk is enough.
#[test]
fn step3_a_disk_certain_to_fail_has_no_fleet_size_and_an_almost_certain_one_needs_one_disk() {
    let error = fleet_size_for_probability(1.0, 0.5).unwrap_err();
    assert_eq!(
        error,
        FailuresError::ProbabilityOutOfRange {
            what: "the per-disk failure probability",
            value: 1.0
        },
        "p = 1 must be refused as the per-disk probability"
    );
    assert_eq!(
        error.to_string(),
        "the per-disk failure probability must be strictly between 0 and 1, got 1",
        "the message names the probability and quotes it"
    );
    let almost = fleet_size_for_probability(1.0f64.next_down(), 0.5).unwrap();
    assert_eq!(
        almost.disks, 1,
        "a disk that fails with probability just below 1 reaches 50 % on its own"
    );
}
