//! # Little's law and the queueing hockey stick
//!
//! Why distribute at all? The first answer is performance: one resource run close to
//! its limit gives slow and unpredictable response times, and the way out is to run
//! several resources at moderate load. This lab measures that on a real disk and then
//! explains it with three laws.
//!
//! ## The laws
//!
//! | Law | Formula | Reads as |
//! |---|---|---|
//! | Little's law | L = λ · W | requests in the system = arrival rate × time each spends there |
//! | Utilisation law | U = X · S | busy fraction = throughput × service time per request |
//! | M/M/1 response | R = S / (1 − U) | latency grows hyperbolically as U approaches 1 |
//!
//! Little's law holds for any stable system, whatever the distributions: it is
//! bookkeeping over a long enough window. The utilisation law is bookkeeping too. Only
//! the third needs a model (Poisson arrivals, exponential service, one server), and it
//! is the one that hurts: at U = 0.5 a request takes 2 S, at 0.9 it takes 10 S, at 0.99
//! it takes 100 S, and at 1 there is no finite answer. That curve is the hockey stick.
//!
//! ## The lab, step by step
//!
//! 1. **Measure.** [`loadgen`] writes to a file with a chosen block size, queue depth
//!    (closed loop) or arrival rate (open loop), optionally with `O_DIRECT` and
//!    `fdatasync`, and times every write. [`diskstats`] turns two readings of
//!    `/proc/diskstats` into iostat's columns, so the device's view sits next to the
//!    application's; [`iostat_text`] reads a saved `iostat -x` log instead.
//! 2. **Answer the questions.** [`lab`] takes one reading (6,836 writes/s, 0.14 ms,
//!    39 % busy, aqu-sz 0.96) and answers Q1–Q6 with [`model`]: L, the service time,
//!    the saturation and safe throughputs, the latency at 95 %, and the number of disks
//!    for 30,000 writes/s, checking the latency target as well as the utilisation cap.
//! 3. **See the curve.** `sweep` raises the load step by step on the real disk;
//!    [`sim`] runs a seeded discrete-event queue (M/M/1, M/D/1, M/M/c) and measures L, λ,
//!    X and W, so the simulated curve lies next to the analytic one and L = λW shows up
//!    as a measurement rather than an assumption. Both write an SVG chart ([`svg`]).
//!
//! ## Invariants the code checks
//!
//! - Utilisation is a fraction in [0, 1); at or above 1 the formulas return
//!   [`model::ModelError::Unstable`], never a finite or negative wait.
//! - Divisions by a zero rate are errors; an interval without operations has an await
//!   of 0, as in iostat.
//! - Kernel counters may wrap; deltas tolerate one wrap-around.
//! - `O_DIRECT` is either in effect or the run fails with a clear error. It never
//!   silently falls back to the page cache, which would measure memory instead of the
//!   disk.
//! - The load file is never an existing file, and it is removed on every way out:
//!   success, error and Ctrl-C.
//!
//! ## What this section leaves out
//!
//! - **Parallel devices.** `%util` means "at least one request in flight". An NVMe or
//!   virtio disk serves many requests at once, so it shows 100 % long before it is
//!   saturated, and S = U / X then underestimates its capacity. The single-server model
//!   is a teaching model.
//! - **Reads, caches and the file system.** The generator writes; the page cache,
//!   journalling and write-back make buffered numbers a measurement of memory and the
//!   kernel more than of the device. Use `--direct` (and `--fdatasync`) to get closer.
//! - **Tail latency.** The formulas are about means; the generator prints p99 and p999
//!   because those are what users feel, but no closed form here predicts them.
//! - **Determinism of the real measurements.** [`sim`] is seeded and replays exactly;
//!   the load generator measures a real disk with real threads and the wall clock, so
//!   its numbers are printed, never asserted.

pub mod args;
pub mod cli;
pub mod diskstats;
pub mod histogram;
pub mod iostat_text;
pub mod lab;
pub mod loadgen;
pub mod model;
pub mod sim;
pub use common::chart as svg;
pub mod units;
