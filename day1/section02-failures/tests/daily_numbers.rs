//! The lab's numbers for a fleet of disks with a three-year MTTF, one day at a time.
//!
//! Expected values were computed independently (exact rational arithmetic, then
//! rounded to six significant digits), so each check uses a relative tolerance of
//! 5e-6: the sixth digit must agree.

use failures::fleet::{Model, daily_stats, failure_probability, period_stats};
use failures::{Mttf, TimeSpan};

const SIX_DIGITS: f64 = 5e-6;

fn three_years() -> Mttf {
    Mttf::parse("3y").expect("3y is a valid MTTF")
}

fn assert_close(actual: f64, expected: f64, what: &str) {
    let error = ((actual - expected) / expected).abs();
    assert!(
        error < SIX_DIGITS,
        "{what}: got {actual:.9e}, the lab says {expected:.9e} (relative error {error:.1e})"
    );
}

#[test]
fn step1_daily_failure_probability_for_3y_mttf_is_one_in_1095() {
    let stats = daily_stats(three_years(), 1, Model::Linear).unwrap();
    assert_close(
        stats.p_fail,
        0.000913242,
        "one disk's daily failure probability",
    );
}

#[test]
fn step1_daily_survival_probability_is_the_complement() {
    let stats = daily_stats(three_years(), 1, Model::Linear).unwrap();
    assert_close(
        stats.p_survive,
        0.999087,
        "one disk's daily survival probability",
    );
    assert_close(
        stats.p_fail + stats.p_survive,
        1.0,
        "failure and survival must add up to one",
    );
}

#[test]
fn step1_all_10k_disks_survive_a_day_only_about_one_time_in_ten_thousand() {
    let stats = daily_stats(three_years(), 10_000, Model::Linear).unwrap();
    assert_close(
        stats.p_all_survive,
        0.000107654,
        "P(all 10,000 disks survive a day)",
    );
}

#[test]
fn step1_at_least_one_of_10k_disks_fails_almost_every_day() {
    let stats = daily_stats(three_years(), 10_000, Model::Linear).unwrap();
    assert_close(
        stats.p_any_fail,
        0.999892,
        "P(at least one of 10,000 disks fails today)",
    );
}

#[test]
fn step1_expected_failures_per_day_for_10k_disks_is_about_nine() {
    let stats = daily_stats(three_years(), 10_000, Model::Linear).unwrap();
    assert_close(
        stats.expected_failures,
        9.13242,
        "expected failures per day",
    );
}

#[test]
fn step1_mean_time_between_failures_in_a_10k_fleet_is_2_6_hours() {
    let stats = daily_stats(three_years(), 10_000, Model::Linear).unwrap();
    let gap = stats.mean_gap.expect("a non-empty fleet has a mean gap");
    assert_close(gap.hours(), 2.628, "mean time between failures in hours");
    assert_eq!(
        gap.human(),
        "2 h 38 min",
        "the gap should read as 2 h 38 min"
    );
}

/// The README asks about fleets of 1 to 100,000 disks: every column of that table.
#[test]
fn step2_scale_table_matches_the_lab_questions() {
    // disks, P(all survive), P(>=1 fails), E[failures/day], mean gap in hours
    let table = [
        (1, 0.999087, 0.000913242, 0.000913242, 26280.0),
        (10, 0.990905, 0.00909498, 0.00913242, 2628.0),
        (100, 0.912684, 0.0873163, 0.0913242, 262.8),
        (1_000, 0.401054, 0.598946, 0.913242, 26.28),
        (10_000, 0.000107654, 0.999892, 9.13242, 2.628),
        (100_000, 2.09065e-40, 1.0, 91.3242, 0.2628),
    ];
    for (disks, all_survive, any_fails, expected, gap_hours) in table {
        let stats = daily_stats(three_years(), disks, Model::Linear).unwrap();
        assert_close(
            stats.p_all_survive,
            all_survive,
            &format!("P(all survive) for {disks} disks"),
        );
        assert_close(
            stats.p_any_fail,
            any_fails,
            &format!("P(>=1 fails) for {disks} disks"),
        );
        assert_close(
            stats.expected_failures,
            expected,
            &format!("E[failures] for {disks} disks"),
        );
        let gap = stats.mean_gap.expect("non-empty fleet");
        assert_close(
            gap.hours(),
            gap_hours,
            &format!("mean gap for {disks} disks"),
        );
    }
}

#[test]
fn step2_expected_failures_grow_linearly_but_the_chance_of_a_failure_saturates() {
    let small = daily_stats(three_years(), 1_000, Model::Linear).unwrap();
    let large = daily_stats(three_years(), 10_000, Model::Linear).unwrap();
    assert_close(
        large.expected_failures / small.expected_failures,
        10.0,
        "ten times the disks, ten times the failures",
    );
    assert!(
        large.p_any_fail / small.p_any_fail < 1.7,
        "P(>=1 fails) went from {} to {}: it must saturate, not scale by ten",
        small.p_any_fail,
        large.p_any_fail
    );
}

#[test]
fn step2_exponential_model_gives_almost_the_same_daily_numbers() {
    let stats = daily_stats(three_years(), 10_000, Model::Exponential).unwrap();
    assert_close(
        stats.p_fail,
        0.000912825,
        "daily failure probability with exponential lifetimes",
    );
    assert_close(
        stats.p_any_fail,
        0.999892,
        "P(>=1 of 10,000 fails) with exponential lifetimes",
    );
    assert_close(
        stats.expected_failures,
        9.13242,
        "the Poisson rate N / MTTF per day",
    );
}

/// With p around 1e-12, `1 - (1 - p)` keeps only four significant digits in floating
/// point; computing through `ln_1p`/`expm1` keeps them all.
#[test]
fn step2_a_tiny_failure_probability_keeps_its_digits() {
    let mttf = Mttf::parse("1000000000y").unwrap();
    let stats = daily_stats(mttf, 1, Model::Linear).unwrap();
    let relative = (stats.p_any_fail - stats.p_fail).abs() / stats.p_fail;
    assert!(
        relative < 1e-12,
        "for one disk P(>=1 fails) must equal p = {:e}, got {:e} (relative error {relative:e})",
        stats.p_fail,
        stats.p_any_fail
    );
}

#[test]
fn step2_an_empty_fleet_never_fails_and_has_no_mean_gap() {
    let stats = daily_stats(three_years(), 0, Model::Linear).unwrap();
    assert_eq!(stats.p_all_survive, 1.0, "no disks, so all of them survive");
    assert_eq!(stats.p_any_fail, 0.0, "no disks, so none can fail");
    assert_eq!(
        stats.mean_gap, None,
        "an empty fleet has no gaps between failures"
    );
}

#[test]
fn step2_a_week_is_seven_times_as_risky_as_a_day_in_the_linear_model() {
    let day =
        failure_probability(three_years(), TimeSpan::parse("1d").unwrap(), Model::Linear).unwrap();
    let week = period_stats(
        three_years(),
        1,
        TimeSpan::parse("1w").unwrap(),
        Model::Linear,
    )
    .unwrap();
    assert_close(
        week.p_fail,
        7.0 * day,
        "a week's failure probability under p = period / MTTF",
    );
}
