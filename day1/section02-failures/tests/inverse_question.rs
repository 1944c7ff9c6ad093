//! "How many disks until a failure on any given day is likely?"

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
