//! Bad input is rejected with an error that names the problem, never a panic or a number.

use failures::fleet::{Model, failure_probability};
use failures::{Afr, FailuresError, Mttf, TimeSpan};

#[test]
fn zero_mttf_is_rejected() {
    assert!(
        matches!(
            Mttf::parse("0y"),
            Err(FailuresError::NonPositiveMttf { .. })
        ),
        "a disk that fails instantly has no meaningful MTTF"
    );
}

#[test]
fn negative_mttf_is_rejected() {
    let error = Mttf::parse("-3y").unwrap_err();
    assert!(
        matches!(error, FailuresError::NonPositiveMttf { hours } if hours == -26280.0),
        "-3y should be reported as a non-positive MTTF of -26280 h, got {error:?}"
    );
}

#[test]
fn a_bare_number_has_no_unit_and_is_rejected() {
    assert!(
        matches!(Mttf::parse("3"), Err(FailuresError::MissingUnit { .. })),
        "`3` could be hours or years: it must be refused"
    );
}

#[test]
fn unknown_units_are_rejected_by_name() {
    let error = TimeSpan::parse("3yr").unwrap_err();
    assert_eq!(
        error,
        FailuresError::UnknownUnit {
            text: "3yr".to_string(),
            unit: "yr".to_string()
        },
        "the message should quote the unit it did not understand"
    );
    assert!(
        error.to_string().contains("min, h, d, w or y"),
        "the message should list the valid units: {error}"
    );
}

#[test]
fn non_numbers_and_infinities_are_rejected() {
    for text in ["y", "abcd", "1.2.3d", "infh", "NaNd", "1e999y"] {
        assert!(TimeSpan::parse(text).is_err(), "`{text}` is not a duration");
    }
}

#[test]
fn all_units_agree_on_three_years() {
    let years = TimeSpan::parse("3y").unwrap();
    for text in ["1095d", "26280h", "1576800min"] {
        assert_eq!(
            TimeSpan::parse(text).unwrap(),
            years,
            "{text} should equal 3y"
        );
    }
}

#[test]
fn afr_must_be_a_percentage_strictly_between_zero_and_one_hundred() {
    assert!(Afr::parse("0.02").is_err(), "an AFR without % is ambiguous");
    assert!(Afr::parse("0%").is_err(), "0% AFR means disks never fail");
    assert!(
        Afr::parse("100%").is_err(),
        "100% AFR has no finite exponential MTTF"
    );
    let afr = Afr::parse("28.3469%").unwrap();
    let years = Mttf::from_afr(afr).span().years();
    assert!(
        (years - 3.0).abs() < 1e-3,
        "an AFR of 28.35% is an MTTF of 3 years, got {years}"
    );
}

#[test]
fn the_linear_model_refuses_a_period_longer_than_the_mttf() {
    let mttf = Mttf::parse("1d").unwrap();
    let week = TimeSpan::parse("1w").unwrap();
    assert!(
        matches!(
            failure_probability(mttf, week, Model::Linear),
            Err(FailuresError::PeriodExceedsMttf { .. })
        ),
        "p = 7 would not be a probability"
    );
    let p = failure_probability(mttf, week, Model::Exponential).unwrap();
    assert!(p < 1.0, "the exponential model stays below one: {p}");
}

#[test]
fn a_zero_period_is_rejected() {
    let mttf = Mttf::parse("3y").unwrap();
    assert!(
        failure_probability(mttf, TimeSpan::parse("0d").unwrap(), Model::Linear).is_err(),
        "a zero-length period asks nothing"
    );
}

/// Under p = period / MTTF a period exactly as long as the MTTF gives p = 1, the largest
/// value that is still a probability; one hour more is refused, with both durations named.
#[test]
fn the_linear_model_accepts_a_period_as_long_as_the_mttf_and_refuses_one_hour_more() {
    let mttf = Mttf::parse("1d").unwrap();
    let p = failure_probability(mttf, TimeSpan::parse("24h").unwrap(), Model::Linear);
    assert_eq!(
        p,
        Ok(1.0),
        "a one-day period with a one-day MTTF is a certain failure"
    );
    let error =
        failure_probability(mttf, TimeSpan::parse("25h").unwrap(), Model::Linear).unwrap_err();
    assert_eq!(
        error,
        FailuresError::PeriodExceedsMttf {
            period_hours: 25.0,
            mttf_hours: 24.0
        },
        "25 h against an MTTF of 24 h would give p > 1"
    );
    assert!(
        error
            .to_string()
            .contains("a period of 25 h longer than the MTTF of 24 h gives p > 1"),
        "the message should quote both durations: {error}"
    );
}

/// `TimeSpan::from_hours` is the one door every duration passes through: a negative,
/// infinite or NaN number of hours is not a duration, zero is.
#[test]
fn negative_infinite_and_nan_hours_are_not_durations() {
    for (hours, shown) in [(-1.0, "-1"), (f64::INFINITY, "inf"), (f64::NAN, "NaN")] {
        assert_eq!(
            TimeSpan::from_hours(hours),
            Err(FailuresError::NotANumber {
                text: shown.to_string()
            }),
            "{shown} hours must be refused as not a number of hours"
        );
    }
    assert_eq!(
        TimeSpan::from_hours(0.0).map(TimeSpan::hours),
        Ok(0.0),
        "zero hours is a duration (an instant repair)"
    );
}

/// An AFR outside (0 %, 100 %) is reported in percent, as it was written.
#[test]
fn an_afr_out_of_range_is_reported_in_percent() {
    let error = Afr::parse("150%").unwrap_err();
    assert_eq!(
        error,
        FailuresError::AfrOutOfRange { percent: 150.0 },
        "150% is the AFR that was refused"
    );
    assert_eq!(
        error.to_string(),
        "annual failure rate must be strictly between 0% and 100%, got 150%",
        "the message quotes the AFR in percent"
    );
}
