//! Fleet arithmetic: how often does *some* disk fail?
//!
//! Everything here assumes independent failures and immediate replacement, so the
//! fleet size stays constant. Real fleets do worse: disks from one batch, one rack or
//! one firmware version fail together.

use crate::{FailuresError, Mttf, TimeSpan};

/// How a per-period failure probability is derived from the MTTF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Model {
    /// The lab's model: p = period / MTTF. Simple, and slightly pessimistic.
    Linear,
    /// Exponential lifetimes: p = 1 − e^(−period / MTTF). The fleet's failures then
    /// form a Poisson process with rate N / MTTF.
    Exponential,
}

impl Model {
    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Model::Linear => "linear (p = period / MTTF)",
            Model::Exponential => "exponential (p = 1 - exp(-period / MTTF))",
        }
    }
}

/// Failure probability of one component within `period`.
///
/// ```
/// use failures::{fleet::{failure_probability, Model}, Mttf, TimeSpan};
/// let mttf = Mttf::parse("3y").unwrap();
/// let day = TimeSpan::parse("1d").unwrap();
/// let p = failure_probability(mttf, day, Model::Linear).unwrap();
/// assert!((p - 1.0 / 1095.0).abs() < 1e-15);
/// ```
pub fn failure_probability(
    mttf: Mttf,
    period: TimeSpan,
    model: Model,
) -> Result<f64, FailuresError> {
    if period.hours() <= 0.0 {
        return Err(FailuresError::ZeroDuration { what: "the period" });
    }
    let ratio = period.hours() / mttf.span().hours();
    match model {
        Model::Linear if ratio > 1.0 => Err(FailuresError::PeriodExceedsMttf {
            period_hours: period.hours(),
            mttf_hours: mttf.span().hours(),
        }),
        Model::Linear => Ok(ratio),
        Model::Exponential => Ok(-(-ratio).exp_m1()),
    }
}

/// Everything the lab asks about one fleet over one period.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodStats {
    /// The model used for `p_fail`.
    pub model: Model,
    /// Number of disks in the fleet.
    pub disks: u64,
    /// The period the probabilities refer to.
    pub period: TimeSpan,
    /// Probability that one given disk fails within the period.
    pub p_fail: f64,
    /// Probability that one given disk survives the period, 1 − p.
    pub p_survive: f64,
    /// Probability that every disk survives, (1 − p)^N.
    pub p_all_survive: f64,
    /// Probability that at least one disk fails, 1 − (1 − p)^N.
    pub p_any_fail: f64,
    /// Expected number of failures in the period (N·p, or N·period/MTTF when exponential).
    pub expected_failures: f64,
    /// Mean time between failures anywhere in the fleet, MTTF / N; `None` for an empty fleet.
    pub mean_gap: Option<TimeSpan>,
}

/// The fleet statistics for `disks` disks over `period`.
///
/// (1 − p)^N is computed as `exp(N · ln_1p(−p))` and its complement with `expm1`, so
/// tiny probabilities keep their digits. An empty fleet is allowed: nothing fails.
pub fn period_stats(
    mttf: Mttf,
    disks: u64,
    period: TimeSpan,
    model: Model,
) -> Result<PeriodStats, FailuresError> {
    let p_fail = failure_probability(mttf, period, model)?;
    let n = disks as f64;
    let log_all_survive = n * (-p_fail).ln_1p();
    let expected_failures = match model {
        Model::Linear => n * p_fail,
        Model::Exponential => n * period.hours() / mttf.span().hours(),
    };
    let mean_gap = if disks == 0 {
        None
    } else {
        Some(TimeSpan::from_hours(mttf.span().hours() / n)?)
    };
    Ok(PeriodStats {
        model,
        disks,
        period,
        p_fail,
        p_survive: 1.0 - p_fail,
        p_all_survive: log_all_survive.exp(),
        p_any_fail: -log_all_survive.exp_m1(),
        expected_failures,
        mean_gap,
    })
}

/// [`period_stats`] for one day, the lab's period.
pub fn daily_stats(mttf: Mttf, disks: u64, model: Model) -> Result<PeriodStats, FailuresError> {
    period_stats(mttf, disks, TimeSpan::from_days(1.0)?, model)
}

/// The answer to "how many disks until a failure in a period reaches probability x?"
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FleetSize {
    /// The real-valued solution of 1 − (1 − p)^N = target: N = ln(1 − target) / ln(1 − p).
    pub exact: f64,
    /// The smallest whole fleet that reaches the target.
    pub disks: u64,
    /// P(at least one failure) with `disks − 1` disks (below the target).
    pub p_below: f64,
    /// P(at least one failure) with `disks` disks (at or above the target).
    pub p_at: f64,
}

/// Smallest fleet for which at least one of its disks fails in the period with
/// probability `target`, given per-disk probability `p`.
///
/// ```
/// use failures::fleet::fleet_size_for_probability;
/// let size = fleet_size_for_probability(1.0 / 1095.0, 0.5).unwrap();
/// assert_eq!(size.disks, 759);
/// ```
pub fn fleet_size_for_probability(p: f64, target: f64) -> Result<FleetSize, FailuresError> {
    if !(p > 0.0 && p < 1.0) {
        return Err(FailuresError::ProbabilityOutOfRange {
            what: "the per-disk failure probability",
            value: p,
        });
    }
    if !(target > 0.0 && target < 1.0) {
        return Err(FailuresError::ProbabilityOutOfRange {
            what: "the target probability",
            value: target,
        });
    }
    let log_survive = (-p).ln_1p();
    let any_fail = |n: f64| -(n * log_survive).exp_m1();
    let exact = (-target).ln_1p() / log_survive;
    // Guard the ceiling against rounding either way: step until the answer is minimal.
    let mut disks = exact.ceil().max(1.0);
    while disks > 1.0 && any_fail(disks - 1.0) >= target {
        disks -= 1.0;
    }
    while any_fail(disks) < target {
        disks += 1.0;
    }
    Ok(FleetSize {
        exact,
        disks: disks as u64,
        p_below: any_fail(disks - 1.0),
        p_at: any_fail(disks),
    })
}
