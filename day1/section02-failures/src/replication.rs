//! Replication: how long until every copy of some data is gone at once?
//!
//! An object with `r` replicas on distinct disks is lost when its last surviving
//! replica fails while the others are still being repaired. With MTTF much larger
//! than the repair time (MTTR), the loss rate of one object is approximately
//!
//! ```text
//! rate ≈ r · λ · (λ · MTTR)^(r−1)       λ = 1 / MTTF
//! ```
//!
//! (one of the r disks fails, and each of the other r − 1 happens to be down, which it
//! is for a fraction λ·MTTR of the time). So the mean time to data loss is
//!
//! ```text
//! MTTDL ≈ MTTF^r / (r · MTTR^(r−1))                       repairs run in parallel
//! MTTDL ≈ MTTF^r / (r! · MTTR^(r−1))                      one repair at a time
//! ```
//!
//! The textbook form with `r!` assumes a single repair crew that fixes one disk at a
//! time; when every failed disk is rebuilt independently (as in the simulator, and in
//! most storage systems) the divisor is `r`. For r = 2 the two agree: MTTF² / (2·MTTR).
//! Both are approximations, valid while MTTR ≪ MTTF.

use crate::{FailuresError, Mttf, TimeSpan};

/// How failed disks are repaired, which decides the MTTDL formula.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Repair {
    /// Every failed disk is replaced independently, MTTR after it failed.
    Parallel,
    /// One repair at a time (the textbook Markov model with a single repair crew).
    OneAtATime,
}

/// Approximate mean time to data loss of one object with `replicas` copies.
///
/// ```
/// use failures::{replication::{mttdl, Repair}, Mttf, TimeSpan};
/// let mttf = Mttf::parse("3y").unwrap();
/// let mttr = TimeSpan::parse("1d").unwrap();
/// let two = mttdl(mttf, mttr, 2, Repair::Parallel).unwrap();
/// assert!((two.days() - 1095.0 * 1095.0 / 2.0).abs() < 1e-6);
/// ```
pub fn mttdl(
    mttf: Mttf,
    mttr: TimeSpan,
    replicas: u32,
    repair: Repair,
) -> Result<TimeSpan, FailuresError> {
    if replicas == 0 {
        return Err(FailuresError::ZeroReplicas);
    }
    if mttr.hours() <= 0.0 && replicas > 1 {
        return Err(FailuresError::ZeroDuration {
            what: "the repair time (MTTR)",
        });
    }
    let r = f64::from(replicas);
    let divisor = match repair {
        Repair::Parallel => r,
        Repair::OneAtATime => (1..=replicas).map(f64::from).product(),
    };
    // Work in units of MTTR to keep the powers in range: MTTDL/MTTR = (MTTF/MTTR)^r / divisor.
    let hours = if replicas == 1 {
        mttf.span().hours()
    } else {
        let ratio = mttf.span().hours() / mttr.hours();
        mttr.hours() * ratio.powf(r) / divisor
    };
    TimeSpan::from_hours(hours)
}

/// Probability that one object with MTTDL `mttdl` is lost within `span`: 1 − e^(−span/MTTDL).
pub fn loss_probability(mttdl: TimeSpan, span: TimeSpan) -> f64 {
    -(-span.hours() / mttdl.hours()).exp_m1()
}

/// Expected number of objects lost in `span` when each has mean time to loss `mttdl`.
///
/// Expectation is linear, so this holds even though objects share disks and their
/// losses are correlated.
pub fn expected_losses(mttdl: TimeSpan, span: TimeSpan, objects: u64) -> f64 {
    objects as f64 * span.hours() / mttdl.hours()
}
