//! How long the linearizability checker takes on a 10,000-operation key-value history
//! (10 clients, 5 keys, overlapping requests against a correct store), next to the
//! independent todc-utils checker on the same history; then the same with 1% of the
//! responses lost (operations of unknown outcome).
//!
//! Run with `cargo bench -p common --bench linearizability`. It prints figures and
//! asserts only verdicts, never timings. `BENCH_OPS=n` changes the history length;
//! `BENCH_TODC_WHOLE=1` also runs todc-utils on the unsplit history (slow, memory-hungry). `BENCH_OPS=n` changes the history length;
//! `BENCH_TODC_WHOLE=1` also runs todc-utils on the unsplit history (slow, memory-hungry).

#[path = "../tests/check/support.rs"]
mod support;

use common::check::{self, models::KvRegister};
use std::time::Duration;
use support::{Workload, kv_history, todc};

/// Wall-clock time of `f`. Benchmarks measure real time; nothing here feeds a simulation.
#[allow(clippy::disallowed_methods)]
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = std::time::Instant::now();
    let result = f();
    (result, start.elapsed())
}

/// Runs `f` `runs` times; returns its last result and the fastest and median times.
fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (T, Duration, Duration) {
    let mut times = Vec::new();
    let mut result = None;
    for _ in 0..runs {
        let (r, t) = timed(&mut f);
        result = Some(r);
        times.push(t);
    }
    times.sort();
    let result = result.expect("at least one run");
    (result, times[0], times[times.len() / 2])
}

/// Mean number of other operations in flight when an operation is invoked.
fn mean_overlap(history: &support::KvHistory) -> f64 {
    let mut in_flight = 0i64;
    let mut total = 0i64;
    for event in history.events() {
        match event.kind {
            common::history::EventKind::Invoke => {
                total += in_flight;
                in_flight += 1;
            }
            _ => in_flight -= 1,
        }
    }
    total as f64 / history.len().max(1) as f64
}

fn main() {
    let ops = std::env::var("BENCH_OPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let seed = 1;
    let history = kv_history(seed, &Workload::benchmark(ops));
    let model = KvRegister::new(0);
    println!(
        "history: {} operations, {} events, 10 clients, 5 keys, seed {seed}, \
         {:.1} other operations in flight at each invocation on average",
        history.len(),
        history.events().len(),
        mean_overlap(&history)
    );
    println!("                                            fastest      median");

    let (ours, ours_time, ours_median) = best_of(11, || check::linearizable(&model, &history));
    assert!(
        ours.is_ok(),
        "a correct store's history must be linearizable: {ours}"
    );
    println!("common::check::linearizable (per key):   {ours_time:>10.3?} {ours_median:>10.3?}");

    let (seq, seq_time, _) = best_of(1, || check::sequential(&model, &history));
    assert!(
        seq.is_ok(),
        "a correct store's history must be sequentially consistent: {seq}"
    );
    println!("common::check::sequential (one order):   {seq_time:>10.3?}");

    let (theirs, theirs_time, theirs_median) = best_of(5, || todc::linearizable_per_key(&history));
    assert!(
        theirs,
        "todc-utils must agree that the history is linearizable"
    );
    println!(
        "todc-utils WGLChecker (per key):         {theirs_time:>10.3?} {theirs_median:>10.3?}"
    );
    println!(
        "ratio todc-utils / ours:                 {:>10.1}x {:>9.1}x",
        theirs_time.as_secs_f64() / ours_time.as_secs_f64(),
        theirs_median.as_secs_f64() / ours_median.as_secs_f64()
    );
    // todc-utils has no partitioning; on the whole 10,000-operation history it needs
    // about a minute and several GB of memory (its memo copies a flag per entry), so
    // that run is opt-in.
    // The same shape with 1% of the responses lost (recorded as `info`, reads and writes
    // alike): what a client that times out leaves behind, checked by both checkers.
    let lossy = kv_history(
        seed,
        &Workload {
            lost_percent: 1,
            ..Workload::benchmark(ops)
        },
    );
    let unknown = lossy.ops().filter(|op| op.is_indefinite()).count();
    let (ours_lossy, ours_lossy_time, _) = best_of(5, || check::linearizable(&model, &lossy));
    assert!(
        ours_lossy.is_ok(),
        "a correct store's history with lost responses must be linearizable: {ours_lossy}"
    );
    let (theirs_lossy, theirs_lossy_time, _) = best_of(3, || todc::linearizable_per_key(&lossy));
    assert!(
        theirs_lossy,
        "todc-utils must agree that the history with lost responses is linearizable"
    );
    println!(
        "with 1% lost responses ({unknown} operations of unknown outcome): \
         ours {ours_lossy_time:.3?}, todc-utils per key {theirs_lossy_time:.3?}"
    );
    if std::env::var_os("BENCH_TODC_WHOLE").is_some() {
        let (whole, whole_time) = timed(|| todc::linearizable(&history));
        assert!(
            whole,
            "todc-utils must agree that the history is linearizable"
        );
        println!("todc-utils WGLChecker (whole history):   {whole_time:>10.3?}");
    }
}
