//! The seeded fleet simulation: its averages match the formulas, its days do not.

use failures::sim::{DISKS_MAX, Failure, FleetConfig, FleetRun, failures};
use failures::{FailuresError, Mttf, TimeSpan};

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

/// Ten million disks is the largest fleet the simulator accepts; one disk more is refused
/// before anything runs, quoting the fleet and the limit. (A minute of a fleet of
/// million-year disks: every disk draws its first lifetime, none fails.)
#[test]
fn step5_the_largest_fleet_allowed_is_simulated_and_one_more_disk_is_refused() {
    let mut config = FleetConfig {
        disks: DISKS_MAX,
        mttf: Mttf::parse("1000000y").unwrap(),
        mttr: TimeSpan::from_hours(0.0).unwrap(),
        duration: TimeSpan::parse("1min").unwrap(),
        seed: 1,
    };
    let run = failures(&config);
    assert!(
        run.is_ok(),
        "10,000,000 disks are within the limit: {:?}",
        run.map(|failures| failures.len())
    );
    config.disks += 1;
    let error = failures(&config).unwrap_err();
    assert_eq!(
        error,
        FailuresError::TooLarge {
            what: "the fleet",
            value: 10_000_001,
            limit: 10_000_000
        },
        "one disk more than the limit must be refused"
    );
    assert_eq!(
        error.to_string(),
        "the fleet is too large for this lab (10000001 > 10000000)",
        "the message quotes the fleet and the limit"
    );
}

/// A run may expect at most 25 million failures (N × span / MTTF), checked before it
/// starts: four disks with an MTTF of 4 h for 25,000,000 h are accepted, one hour more is
/// refused. A repair longer than the run keeps each disk to one failure, so the accepted
/// run is quick.
#[test]
fn step5_a_run_expected_to_see_25_million_failures_is_accepted_and_one_hour_more_is_refused() {
    let mut config = FleetConfig {
        disks: 4,
        mttf: Mttf::parse("4h").unwrap(),
        mttr: TimeSpan::from_hours(1e9).unwrap(),
        duration: TimeSpan::from_hours(25_000_000.0).unwrap(),
        seed: 1,
    };
    let run = failures(&config);
    assert!(
        run.as_ref().is_ok_and(|failures| failures.len() == 4),
        "4 x 25,000,000 h / 4 h is exactly 25 million expected failures, within the limit; \
         each disk fails once: {run:?}"
    );
    config.duration = TimeSpan::from_hours(25_000_001.0).unwrap();
    let error = failures(&config).unwrap_err();
    assert_eq!(
        error,
        FailuresError::TooLarge {
            what: "the expected number of failures",
            value: 25_000_001,
            limit: 25_000_000
        },
        "one hour more is 25,000,001 expected failures, over the limit"
    );
    assert_eq!(
        error.to_string(),
        "the expected number of failures is too large for this lab (25000001 > 25000000)",
        "the message quotes the expected count and the limit"
    );
}

/// A run covers [0, span): a failure drawn exactly at the end belongs to the next run.
/// The third failure of one disk, replayed with the run ending at that very instant, is
/// left out; the two before it are kept, at the same times.
#[test]
fn step5_a_failure_at_the_very_end_of_the_run_is_left_out() {
    let mut one_disk = config(30.0, 3);
    one_disk.disks = 1;
    one_disk.mttf = Mttf::parse("1d").unwrap();
    let long = failures(&one_disk).unwrap();
    assert!(
        long.len() > 3,
        "seed 3: a one-day disk fails more than three times in 30 days"
    );
    let third = long[2].at_hours;
    one_disk.duration = TimeSpan::from_hours(third).unwrap();
    let cut = failures(&one_disk).unwrap();
    assert_eq!(
        cut,
        long[..2],
        "a run ending at {third} h keeps the failures before it, not the one at it"
    );
}

/// Each failure counts on the day it happened, day 1 being hours [0, 24), and a final
/// partial day gets its own count.
#[test]
fn step5_each_failure_counts_on_the_day_it_happened() {
    let failure = |at_hours| Failure { at_hours, disk: 0 };
    let run = FleetRun {
        config: config(2.5, 0),
        failures: [0.5, 23.5, 24.0, 47.9, 59.9].map(failure).to_vec(),
    };
    assert_eq!(
        run.per_day(),
        [2, 2, 1],
        "failures at 0.5 h and 23.5 h are on day 1, at 24 h and 47.9 h on day 2, \
         at 59.9 h on the half day 3"
    );
}

/// The longest quiet stretch counts from the start of the run to the first failure, and
/// from the last failure to the end, as well as every gap between failures.
#[test]
fn step5_the_longest_quiet_stretch_counts_from_the_start_and_to_the_end() {
    let hundred_hours = FleetConfig {
        duration: TimeSpan::from_hours(100.0).unwrap(),
        ..config(1.0, 0)
    };
    let failure = |at_hours| Failure { at_hours, disk: 0 };
    for (times, longest, which) in [
        (vec![45.0, 50.0, 60.0], 45.0, "before the first failure"),
        (vec![10.0, 70.0, 90.0], 60.0, "between two failures"),
        (vec![10.0, 20.0, 30.0], 70.0, "after the last failure"),
        (vec![], 100.0, "the whole run, without any failure"),
    ] {
        let run = FleetRun {
            config: hundred_hours,
            failures: times.iter().copied().map(failure).collect(),
        };
        assert_eq!(
            run.longest_quiet().hours(),
            longest,
            "failures at {times:?} h in a 100 h run: the longest quiet stretch is {which}"
        );
    }
}
