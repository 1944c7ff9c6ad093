//! The seeded fleet simulation: its averages match the formulas, its days do not.

use failures::sim::{FleetConfig, FleetRun};
use failures::{Mttf, TimeSpan};

fn config(days: f64, seed: u64) -> FleetConfig {
    FleetConfig {
        disks: 10_000,
        mttf: Mttf::parse("3y").unwrap(),
        mttr: TimeSpan::from_hours(0.0).unwrap(),
        duration: TimeSpan::from_days(days).unwrap(),
        seed,
    }
}

/// 365 days at 9.13 failures a day is about 3,333 failures: the standard error of the
/// mean rate is 1.7 %, so 6 % is a 3.5-sigma band.
#[test]
fn step5_simulated_failures_per_day_average_to_n_over_mttf() {
    let run = FleetRun::simulate(config(365.0, 42)).unwrap();
    let per_day = run.per_day();
    assert_eq!(per_day.len(), 365, "one count per simulated day");
    let mean = per_day.iter().sum::<u64>() as f64 / 365.0;
    let expected = 10_000.0 / 1095.0;
    assert!(
        (mean - expected).abs() / expected < 0.06,
        "seed 42: {mean:.3} failures per day, N / MTTF = {expected:.3}"
    );
}

#[test]
fn step5_simulated_gaps_average_to_mttf_over_n() {
    let run = FleetRun::simulate(config(365.0, 42)).unwrap();
    let gaps = run.gaps_hours();
    let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
    assert!(
        (mean - 2.628).abs() / 2.628 < 0.06,
        "seed 42: mean gap {mean:.3} h, MTTF / N = 2.628 h"
    );
}

#[test]
fn step5_daily_counts_vary_even_though_the_rate_is_constant() {
    let run = FleetRun::simulate(config(60.0, 5)).unwrap();
    let per_day = run.per_day();
    let (min, max) = (per_day.iter().min().unwrap(), per_day.iter().max().unwrap());
    assert!(
        max - min >= 5,
        "seed 5: 60 days of a Poisson(9.13) process should spread by at least 5, got {min}..{max}"
    );
}

#[test]
fn step5_the_longest_quiet_stretch_is_much_longer_than_the_mean_gap() {
    let run = FleetRun::simulate(config(30.0, 42)).unwrap();
    let quiet = run.longest_quiet();
    assert!(
        quiet.hours() > 3.0 * 2.628,
        "seed 42: with ~270 exponential gaps the longest should exceed three mean gaps, got {quiet}"
    );
    assert!(
        run.gaps_hours().iter().all(|&g| g <= quiet.hours()),
        "no gap between failures may be longer than the longest quiet stretch"
    );
}

#[test]
fn step5_failures_come_out_in_time_order_and_inside_the_run() {
    let run = FleetRun::simulate(config(30.0, 9)).unwrap();
    assert!(
        run.failures
            .windows(2)
            .all(|w| w[0].at_hours <= w[1].at_hours),
        "failures must be sorted by time"
    );
    assert!(
        run.failures
            .iter()
            .all(|f| f.at_hours >= 0.0 && f.at_hours < 30.0 * 24.0),
        "every failure must fall inside the 30 simulated days"
    );
}

#[test]
fn step5_a_seed_replays_exactly() {
    let first = FleetRun::simulate(config(30.0, 1234)).unwrap();
    let second = FleetRun::simulate(config(30.0, 1234)).unwrap();
    assert_eq!(
        first, second,
        "seed 1234 must produce the same failures twice"
    );
    let other = FleetRun::simulate(config(30.0, 1235)).unwrap();
    assert_ne!(
        first.failures, other.failures,
        "a different seed should give a different history"
    );
}
