//! Durations with explicit units, MTTF and annual failure rate.
//!
//! The lab's year has 365 days (that is how the original script counts 3 years as
//! 1,095 days), so `1y` here is exactly 8,760 hours.

use std::fmt;

use crate::FailuresError;

/// Hours in a day.
pub const HOURS_PER_DAY: f64 = 24.0;
/// Days in the lab's year (no leap days).
pub const DAYS_PER_YEAR: f64 = 365.0;
/// Hours in the lab's year.
pub const HOURS_PER_YEAR: f64 = HOURS_PER_DAY * DAYS_PER_YEAR;

/// A non-negative length of time, stored in hours.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct TimeSpan {
    hours: f64,
}

impl TimeSpan {
    /// A span of `hours` hours; rejects negative, infinite and NaN values.
    pub fn from_hours(hours: f64) -> Result<Self, FailuresError> {
        if !hours.is_finite() || hours < 0.0 {
            return Err(FailuresError::NotANumber {
                text: hours.to_string(),
            });
        }
        Ok(TimeSpan { hours })
    }

    /// A span of `days` days of 24 hours.
    pub fn from_days(days: f64) -> Result<Self, FailuresError> {
        Self::from_hours(days * HOURS_PER_DAY)
    }

    /// A span of `years` years of 365 days.
    pub fn from_years(years: f64) -> Result<Self, FailuresError> {
        Self::from_hours(years * HOURS_PER_YEAR)
    }

    /// Parses `90min`, `24h`, `1095d`, `2w` or `3y` (number then unit, no space).
    ///
    /// ```
    /// use failures::TimeSpan;
    /// assert_eq!(TimeSpan::parse("3y").unwrap().days(), 1095.0);
    /// assert_eq!(TimeSpan::parse("26280h").unwrap().years(), 3.0);
    /// assert!(TimeSpan::parse("3").is_err(), "a bare number has no unit");
    /// ```
    pub fn parse(text: &str) -> Result<Self, FailuresError> {
        let split = text
            .find(|c: char| c.is_ascii_alphabetic())
            .ok_or_else(|| FailuresError::MissingUnit {
                text: text.to_string(),
            })?;
        let (number, unit) = text.split_at(split);
        let value = parse_plain_number(number).ok_or_else(|| FailuresError::NotANumber {
            text: text.to_string(),
        })?;
        let hours_per_unit = match unit {
            "min" => 1.0 / 60.0,
            "h" => 1.0,
            "d" => HOURS_PER_DAY,
            "w" => 7.0 * HOURS_PER_DAY,
            "y" => HOURS_PER_YEAR,
            _ => {
                return Err(FailuresError::UnknownUnit {
                    text: text.to_string(),
                    unit: unit.to_string(),
                });
            }
        };
        Self::from_hours(value * hours_per_unit)
    }

    /// Length in hours.
    pub fn hours(self) -> f64 {
        self.hours
    }

    /// Length in days.
    pub fn days(self) -> f64 {
        self.hours / HOURS_PER_DAY
    }

    /// Length in 365-day years.
    pub fn years(self) -> f64 {
        self.hours / HOURS_PER_YEAR
    }

    /// A short human reading: `2 h 38 min`, `10.95 days`, `3 years`.
    pub fn human(self) -> String {
        let hours = self.hours;
        if hours < 1.0 {
            format!("{:.0} min", hours * 60.0)
        } else if hours < 48.0 {
            let whole = hours.floor();
            let minutes = ((hours - whole) * 60.0).round();
            if minutes >= 60.0 {
                format!("{:.0} h", whole + 1.0)
            } else if minutes == 0.0 {
                format!("{whole:.0} h")
            } else {
                format!("{whole:.0} h {minutes:.0} min")
            }
        } else if hours < 2.0 * HOURS_PER_YEAR {
            format!("{} days", trim_number(self.days(), 2))
        } else {
            format!("{} years", trim_number(self.years(), 2))
        }
    }
}

impl fmt::Display for TimeSpan {
    /// Hours, trimmed: `26280 h`, `2.628 h`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} h", trim_number(self.hours, 4))
    }
}

/// Formats with at most `decimals` decimals and no trailing zeros: 2.6280 → `2.628`.
pub fn trim_number(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

pub(crate) use common::cli::parse_plain_number;

/// Mean time to failure of one component: a strictly positive duration.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Mttf(TimeSpan);

impl Mttf {
    /// Wraps a duration, rejecting zero.
    pub fn new(span: TimeSpan) -> Result<Self, FailuresError> {
        if span.hours() > 0.0 {
            Ok(Mttf(span))
        } else {
            Err(FailuresError::NonPositiveMttf {
                hours: span.hours(),
            })
        }
    }

    /// Parses `3y`, `1095d` or `26280h`. Negative values, zero and missing units are errors.
    ///
    /// ```
    /// use failures::Mttf;
    /// assert_eq!(Mttf::parse("1095d").unwrap(), Mttf::parse("3y").unwrap());
    /// assert!(Mttf::parse("0y").is_err());
    /// assert!(Mttf::parse("-3y").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, FailuresError> {
        if let Some(rest) = text.strip_prefix('-') {
            let hours = TimeSpan::parse(rest).map_or(f64::NAN, |s| -s.hours());
            return Err(FailuresError::NonPositiveMttf { hours });
        }
        Self::new(TimeSpan::parse(text)?)
    }

    /// The MTTF that gives this annual failure rate under exponential lifetimes:
    /// MTTF = −1 / ln(1 − AFR) years.
    pub fn from_afr(afr: Afr) -> Self {
        let years = -1.0 / (-afr.fraction()).ln_1p();
        Mttf(TimeSpan {
            hours: years * HOURS_PER_YEAR,
        })
    }

    /// The duration itself.
    pub fn span(self) -> TimeSpan {
        self.0
    }

    /// Failure rate per hour, 1 / MTTF.
    pub fn rate_per_hour(self) -> f64 {
        1.0 / self.0.hours()
    }

    /// Annual failure rate under exponential lifetimes: 1 − e^(−1 y / MTTF).
    pub fn afr(self) -> Afr {
        Afr(-(-1.0 / self.0.years()).exp_m1())
    }

    /// Annual failure "rate" under the lab's linear model: 1 y / MTTF (may exceed 1).
    pub fn linear_afr(self) -> f64 {
        1.0 / self.0.years()
    }
}

/// Annual failure rate: the fraction of components that fail within a year, in (0, 1).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Afr(f64);

impl Afr {
    /// An AFR given as a fraction, strictly between 0 and 1.
    pub fn from_fraction(fraction: f64) -> Result<Self, FailuresError> {
        if fraction > 0.0 && fraction < 1.0 {
            Ok(Afr(fraction))
        } else {
            Err(FailuresError::AfrOutOfRange {
                percent: fraction * 100.0,
            })
        }
    }

    /// Parses a percentage such as `2%` or `0.5%` (the `%` is required).
    ///
    /// ```
    /// use failures::{Afr, Mttf};
    /// let afr = Afr::parse("2%").unwrap();
    /// // A 2 % AFR is an MTTF of about 49.5 years: far kinder than the lab's 3 years.
    /// assert!((Mttf::from_afr(afr).span().years() - 49.5).abs() < 0.01);
    /// ```
    pub fn parse(text: &str) -> Result<Self, FailuresError> {
        let number = text
            .strip_suffix('%')
            .ok_or_else(|| FailuresError::UnknownUnit {
                text: text.to_string(),
                unit: "(none: write the AFR as a percentage, e.g. 2%)".to_string(),
            })?;
        let percent = parse_plain_number(number).ok_or_else(|| FailuresError::NotANumber {
            text: text.to_string(),
        })?;
        Self::from_fraction(percent / 100.0)
    }

    /// The AFR as a fraction in (0, 1).
    pub fn fraction(self) -> f64 {
        self.0
    }
}
