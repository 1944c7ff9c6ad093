//! The real disk load generator: its error paths, its clean-up, and one short
//! end-to-end run. Real I/O numbers are printed, not asserted, except the ratio that
//! Little's law fixes: λ·W against the concurrency a sampler observed.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use littles_law::histogram::LatencyHistogram;
use littles_law::loadgen::{
    self, AlignedBuffer, Arrivals, LoadConfig, LoadError, Pattern, classify_error,
};

fn config(dir: &Path, millis: u64) -> LoadConfig {
    let mut config = LoadConfig::new(dir.join("load.bin"), Duration::from_millis(millis));
    config.file_bytes = 4 << 20;
    config
}

/// 300 ms of closed-loop buffered 4 KiB writes at queue depth 2 in a temporary
/// directory. λ·W (throughput × mean latency, from the timings) must agree with the
/// mean number of writes in flight seen by an independent sampler within 25%: the
/// sampler reads a gauge about every millisecond on a shared machine.
#[test]
fn step1_end_to_end_little_l_agrees_with_the_sampled_concurrency() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path(), 300);
    config.arrivals = Arrivals::ClosedLoop { workers: 2 };
    config.sample_interval = Duration::from_micros(500);
    let report =
        loadgen::run(&config, &AtomicBool::new(false)).expect("a buffered load in a temp dir runs");
    println!(
        "e2e: {} writes in {:.3} s, lambda {:.0}/s, W {:.4} ms, lambda*W {:.3}, sampled {:.3} ({} samples), p99 {:.4} ms",
        report.ops,
        report.elapsed_s,
        report.throughput_per_s(),
        report.mean_latency_s() * 1e3,
        report.little_l(),
        report.sampled_in_flight,
        report.samples,
        report.histogram.quantile(0.99) as f64 / 1e6
    );
    assert!(report.ops > 0, "the run completed no writes");
    assert!(
        report.samples >= 10,
        "the sampler took only {} readings",
        report.samples
    );
    let l = report.little_l();
    assert!(
        l > 0.0 && l <= 2.0 + 1e-9,
        "with two workers at most two writes are in flight, lambda W = {l}"
    );
    let ratio = l / report.sampled_in_flight;
    assert!(
        (0.75..=1.25).contains(&ratio),
        "Little's law: lambda W = {l:.3} but the sampler saw {:.3} writes in flight on average",
        report.sampled_in_flight
    );
    assert!(
        !config.path.exists(),
        "the load file must be removed after the run"
    );
    assert!(
        !report.direct_confirmed,
        "a buffered run must not report O_DIRECT in effect"
    );
}

#[test]
fn step1_an_open_loop_run_completes_and_removes_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path(), 200);
    config.arrivals = Arrivals::OpenLoop {
        rate_per_s: 2000.0,
        workers: 4,
    };
    config.pattern = Pattern::Random;
    let report = loadgen::run(&config, &AtomicBool::new(false)).unwrap();
    println!(
        "open loop at 2000/s: {} writes, lambda {:.0}/s, W {:.4} ms",
        report.ops,
        report.throughput_per_s(),
        report.mean_latency_s() * 1e3
    );
    assert!(
        report.ops > 0,
        "Poisson arrivals at 2000/s for 200 ms should produce writes"
    );
    assert_eq!(
        report.dropped, 0,
        "2000 buffered writes per second must not overflow the backlog"
    );
    assert!(
        !config.path.exists(),
        "the load file must be removed after the run"
    );
}

#[test]
fn step1_an_existing_file_is_neither_overwritten_nor_removed() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), 100);
    std::fs::write(&config.path, b"precious").unwrap();
    let error = loadgen::run(&config, &AtomicBool::new(false)).unwrap_err();
    assert!(
        matches!(error, LoadError::FileExists(_)),
        "expected FileExists, got {error}"
    );
    assert_eq!(
        std::fs::read(&config.path).unwrap(),
        b"precious",
        "the existing file must be left untouched"
    );
}

/// Ctrl-C in the CLI only sets the stop flag; here another thread sets it mid-run.
#[test]
fn step1_the_file_is_removed_when_the_run_is_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), 60_000);
    let stop = AtomicBool::new(false);
    let report = std::thread::scope(|scope| {
        let run = scope.spawn(|| loadgen::run(&config, &stop));
        // Wait (bounded) until the generator has created its file, then cancel.
        for _ in 0..20_000 {
            if config.path.exists() || run.is_finished() {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        stop.store(true, Ordering::Relaxed);
        run.join().expect("the load thread must not panic")
    })
    .expect("a cancelled run still reports what it measured");
    assert!(
        report.interrupted,
        "the report should say the run was interrupted"
    );
    assert!(
        !config.path.exists(),
        "a cancelled run must remove its file"
    );
}

/// tmpfs accepts O_DIRECT on recent kernels and refuses it on older ones. Either way
/// the generator must not fall back silently: it runs with O_DIRECT in effect, or it
/// fails with DirectIoUnsupported, and the file is gone afterwards.
#[test]
fn step1_direct_io_on_tmpfs_either_works_or_fails_loudly() {
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm)
    } else {
        tempfile::tempdir()
    }
    .unwrap();
    let mut config = config(dir.path(), 50);
    config.direct = true;
    match loadgen::run(&config, &AtomicBool::new(false)) {
        Ok(report) => assert!(
            report.direct_confirmed,
            "a successful --direct run must show O_DIRECT in the kernel's fdinfo flags"
        ),
        Err(LoadError::DirectIoUnsupported { path, reason }) => {
            assert_eq!(path, config.path, "the error should name the file");
            assert!(
                reason.contains("open") || reason.contains("write"),
                "the error should say which call failed: {reason}"
            );
        }
        Err(other) => panic!("expected success or DirectIoUnsupported, got {other}"),
    }
    assert!(
        !config.path.exists(),
        "the file must be removed whatever happened"
    );
}

#[test]
fn step1_einval_under_o_direct_is_reported_as_unsupported_direct_io() {
    let path = Path::new("/mnt/ramdisk/load.bin");
    let einval = || std::io::Error::from_raw_os_error(libc::EINVAL);
    let error = classify_error(path, true, "open", einval());
    assert!(
        matches!(&error, LoadError::DirectIoUnsupported { reason, .. } if reason.starts_with("open failed")),
        "EINVAL with O_DIRECT means the file system refused it: {error}"
    );
    assert!(
        error.to_string().contains("drop --direct"),
        "the message should say how to proceed: {error}"
    );
    assert!(
        matches!(
            classify_error(path, false, "write", einval()),
            LoadError::Io { .. }
        ),
        "without O_DIRECT, EINVAL is an ordinary I/O error"
    );
}

#[test]
fn step1_o_direct_needs_a_block_size_that_is_a_multiple_of_the_alignment() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path(), 50);
    config.direct = true;
    config.block_bytes = 100;
    config.file_bytes = 1000;
    let error = loadgen::run(&config, &AtomicBool::new(false)).unwrap_err();
    assert!(
        matches!(
            error,
            LoadError::BlockNotAligned {
                block_bytes: 100,
                ..
            }
        ),
        "100 B cannot be direct I/O: {error}"
    );
    assert!(
        !config.path.exists(),
        "nothing is created when the configuration is refused"
    );
}

#[test]
fn step1_impossible_configurations_are_refused_before_any_file_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let base = config(dir.path(), 50);
    let cases = [
        (
            "zero workers",
            LoadConfig {
                arrivals: Arrivals::ClosedLoop { workers: 0 },
                ..base.clone()
            },
        ),
        (
            "zero duration",
            LoadConfig {
                duration: Duration::ZERO,
                ..base.clone()
            },
        ),
        (
            "file smaller than a block",
            LoadConfig {
                file_bytes: 1024,
                ..base.clone()
            },
        ),
        (
            "zero arrival rate",
            LoadConfig {
                arrivals: Arrivals::OpenLoop {
                    rate_per_s: 0.0,
                    workers: 1,
                },
                ..base.clone()
            },
        ),
    ];
    for (what, config) in cases {
        let error = loadgen::run(&config, &AtomicBool::new(false)).unwrap_err();
        assert!(
            matches!(error, LoadError::Invalid(_)),
            "{what} should be refused as invalid, got {error}"
        );
        assert!(!config.path.exists(), "{what}: no file may be left behind");
    }
}

#[test]
fn step1_aligned_buffers_start_on_the_requested_boundary() {
    for align in [512usize, 4096] {
        let buffer = AlignedBuffer::new(8192, align, 0xA5);
        assert_eq!(
            buffer.as_slice().as_ptr() as usize % align,
            0,
            "the buffer must start on a {align}-byte boundary"
        );
        assert_eq!(
            buffer.as_slice().len(),
            8192,
            "the aligned window keeps the requested length"
        );
    }
}

#[test]
fn step1_histogram_quantiles_are_within_the_bucket_precision() {
    let mut histogram = LatencyHistogram::new();
    for value in 1..=100_000u64 {
        histogram.record(value * 10);
    }
    for (q, exact) in [(0.5, 500_000.0), (0.99, 990_000.0), (0.999, 999_000.0)] {
        let got = histogram.quantile(q) as f64;
        assert!(
            (got - exact).abs() / exact < 0.035,
            "p{} = {got}, exact {exact}: more than one bucket off",
            q * 100.0
        );
    }
    assert_eq!(histogram.max_ns(), 1_000_000, "the maximum is exact");
    assert_eq!(
        histogram.mean_ns(),
        500_005.0,
        "the mean is exact, not bucketed"
    );
}

#[test]
fn step1_merged_histograms_count_every_sample() {
    let (mut a, mut b) = (LatencyHistogram::new(), LatencyHistogram::new());
    (0..10).for_each(|v| a.record(v));
    (100..150).for_each(|v| b.record(v * 1000));
    a.merge(&b);
    assert_eq!(a.count(), 60, "10 + 50 samples");
    assert_eq!(a.max_ns(), 149_000, "the larger maximum wins");
    assert_eq!(
        a.quantile(0.0),
        0,
        "the smallest sample is 0 ns and exact below 64 ns"
    );
}
