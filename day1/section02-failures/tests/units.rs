//! Durations and failure rates: how they read in the reports, and how they convert.

use failures::{Mttf, TimeSpan};

/// A duration reads in minutes below an hour, in hours and minutes below two days, in
/// days below two years and in years from there, each switch exactly at its boundary.
#[test]
fn a_duration_reads_in_minutes_hours_days_or_years_switching_at_each_boundary() {
    for (hours, reading) in [
        (0.5, "30 min"),
        (1.0, "1 h"),
        (2.628, "2 h 38 min"),
        (47.5, "47 h 30 min"),
        (48.0, "2 days"),
        (9_600.0, "400 days"),
        (17_508.0, "729.5 days"),
        (17_520.0, "2 years"),
        (26_280.0, "3 years"),
    ] {
        assert_eq!(
            TimeSpan::from_hours(hours).unwrap().human(),
            reading,
            "{hours} h should read as `{reading}`"
        );
    }
}

/// The lab's MTTF of three years is a failure rate λ = 1 / 26,280 per hour, an annual
/// failure rate of 28.35 % with exponential lifetimes (1 − e^(−1/3)), and 33.3 % in the
/// linear model (1 y / MTTF).
#[test]
fn a_three_year_mttf_fails_at_one_in_26280_per_hour_and_28_percent_a_year() {
    let mttf = Mttf::parse("3y").unwrap();
    let relative = |actual: f64, expected: f64| ((actual - expected) / expected).abs();
    assert!(
        relative(mttf.rate_per_hour(), 1.0 / 26_280.0) < 1e-12,
        "λ = 1 / MTTF per hour, got {}",
        mttf.rate_per_hour()
    );
    assert!(
        relative(mttf.afr().fraction(), 0.283_468_689) < 1e-8,
        "the annual failure rate with exponential lifetimes is 1 - e^(-1/3), got {}",
        mttf.afr().fraction()
    );
    assert!(
        relative(mttf.linear_afr(), 1.0 / 3.0) < 1e-12,
        "the linear model's annual rate is 1 y / 3 y, got {}",
        mttf.linear_afr()
    );
}
