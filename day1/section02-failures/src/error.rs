//! The one error type of the crate: every way an input can be invalid.

/// Why a failure-arithmetic input was rejected.
///
/// Every variant names the offending value, so a learner who typed `--mttf 3`
/// or `--mttf -1y` reads what to change.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FailuresError {
    /// A duration was given without a unit (`3` instead of `3y`).
    #[error("`{text}` has no time unit: write it as `3y`, `1095d`, `26280h` or `90min`")]
    MissingUnit {
        /// The text as typed.
        text: String,
    },
    /// A duration used a unit this crate does not know.
    #[error("`{text}` uses the unknown time unit `{unit}`: use min, h, d, w or y")]
    UnknownUnit {
        /// The text as typed.
        text: String,
        /// The suffix that was not recognised.
        unit: String,
    },
    /// The numeric part of a value is not a plain finite number.
    #[error("`{text}` is not a finite, non-negative number")]
    NotANumber {
        /// The text as typed.
        text: String,
    },
    /// MTTF of zero or less: a disk that fails instantly (or before it is built).
    #[error("MTTF must be greater than zero, got {hours} h")]
    NonPositiveMttf {
        /// The rejected MTTF in hours.
        hours: f64,
    },
    /// A duration that has to be positive (period, repair time, simulated span) was zero.
    #[error("{what} must be greater than zero")]
    ZeroDuration {
        /// Which duration was zero.
        what: &'static str,
    },
    /// An annual failure rate outside (0 %, 100 %).
    #[error("annual failure rate must be strictly between 0% and 100%, got {percent}%")]
    AfrOutOfRange {
        /// The rejected AFR in percent.
        percent: f64,
    },
    /// A probability outside its allowed range.
    #[error("{what} must be strictly between 0 and 1, got {value}")]
    ProbabilityOutOfRange {
        /// Which probability was wrong.
        what: &'static str,
        /// The rejected value.
        value: f64,
    },
    /// Under the linear model p = period / MTTF, a period longer than the MTTF gives p > 1.
    #[error(
        "under the linear model p = period / MTTF, a period of {period_hours} h longer than the MTTF of {mttf_hours} h gives p > 1: use the exponential model"
    )]
    PeriodExceedsMttf {
        /// The period in hours.
        period_hours: f64,
        /// The MTTF in hours.
        mttf_hours: f64,
    },
    /// Zero replicas cannot hold any data.
    #[error("replica count must be at least 1")]
    ZeroReplicas,
    /// Replicas are placed on distinct disks, so the fleet must be at least that large.
    #[error("{replicas} replicas need {replicas} distinct disks, but the fleet has only {disks}")]
    NotEnoughDisks {
        /// Requested replicas per object.
        replicas: u32,
        /// Disks in the fleet.
        disks: u64,
    },
    /// A simulation would need more memory or time than a lab exercise should.
    #[error("{what} is too large for this lab ({value} > {limit})")]
    TooLarge {
        /// Which quantity is too large.
        what: &'static str,
        /// The requested value.
        value: u64,
        /// The largest value accepted.
        limit: u64,
    },
}
