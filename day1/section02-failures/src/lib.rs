//! # Failures are normal at scale
//!
//! A disk with a mean time to failure (MTTF) of three years almost never fails on a
//! given day: the chance is 1 in 1,095. Put 10,000 of them in a data centre and the
//! picture turns over. The chance that *none* fails today is (1 − 1/1095)^10000 ≈
//! 0.0108 %. On average 9.13 of them fail every day, one every 2 h 38 min. Failure
//! stops being an exception and becomes part of normal operation, and software has to
//! treat it that way. That is the second reason to distribute (the first, performance
//! headroom, is the previous lab): only copies on several machines let a system be more
//! available than any one of its parts.
//!
//! ## The arithmetic, step by step
//!
//! For one component with MTTF `M` and a period `t` (one day in the lab):
//!
//! 1. **Per-period failure probability** `p`. The lab's *linear* model says
//!    `p = t / M`. With exponential lifetimes it is `p = 1 − e^(−t/M)`; for t ≪ M the
//!    two agree (0.000913242 against 0.000912825 for a day out of 1,095).
//! 2. **Everybody survives**: `(1 − p)^N`, assuming independent failures.
//! 3. **At least one fails**: `1 − (1 − p)^N`. This saturates at 1; it is not linear in N.
//! 4. **Expected failures per period**: `N · p`. This one *is* linear in N.
//! 5. **Mean time between failures in the fleet**: `M / N`.
//! 6. **The inverse question**, how big a fleet makes a failure likely:
//!    `N = ln(1 − x) / ln(1 − p)`, rounded up.
//!
//! [`fleet`] implements these, computing `(1 − p)^N` as `exp(N · ln_1p(−p))` so tiny
//! probabilities keep their digits.
//!
//! ## Replication, quantified
//!
//! With r copies on distinct disks and a repair time MTTR, data is lost only when the
//! last copy fails while the others are still being rebuilt. [`replication`] gives the
//! closed-form mean time to data loss, MTTDL ≈ MTTF^r / (r · MTTR^(r−1)), and explains
//! why the often-quoted `r!` version assumes one repair at a time. Each extra replica
//! divides the loss rate by roughly MTTF/MTTR: about a thousand for the lab's disks.
//!
//! ## Seeing the randomness
//!
//! Averages hide bursts and quiet stretches. [`sim`] is a seeded Monte Carlo of a fleet
//! with exponential lifetimes: failures per day, gaps between failures, the longest
//! quiet stretch, and replicated objects that are lost when all their disks are down at
//! once. The tests check it against the closed forms, so each validates the other.
//!
//! ## Units
//!
//! Every duration carries its unit ([`TimeSpan::parse`] takes `3y`, `1095d`, `26280h`,
//! `90min`; a year is 365 days, as in the lab). An annual failure rate can stand in for
//! the MTTF ([`Afr`], `2%`), converted with MTTF = −1 / ln(1 − AFR) years. The lab's
//! three-year MTTF is an AFR of about 28 %; published drive fleets see 1–2 %.
//!
//! ## What this section leaves out
//!
//! - **Correlated failures.** Disks from one batch, one rack, one power feed or one
//!   firmware release fail together; every number here assumes independence and is
//!   therefore optimistic.
//! - **Age.** Real failure rates follow a bathtub curve (infant mortality, then wear
//!   out); an exponential lifetime has no memory.
//! - **Latent errors.** A rebuild can hit an unreadable sector on a surviving copy;
//!   that shortens MTTDL further and is not modelled.
//! - **Placement.** Objects go to random distinct disks; rack-aware placement, copysets
//!   and erasure codes change the trade-off between loss frequency and loss size.

pub mod args;
pub mod cli;
mod error;
pub mod fleet;
pub mod replication;
pub mod sim;
pub use common::chart as svg;
pub mod units;

pub use error::FailuresError;
pub use units::{Afr, Mttf, TimeSpan};
