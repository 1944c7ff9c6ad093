//! A real disk load generator: many requests, controlled concurrency, measured latency.
//!
//! The original lab ran `dd` in a loop: one synchronous writer, so queue depth 1 and a
//! device that can never approach saturation. This generator offers the two classic
//! ways to load a server:
//!
//! - **closed loop** with N workers: each worker issues its next write as soon as the
//!   previous one completes, so N requests are (almost) always outstanding: N is the
//!   queue depth;
//! - **open loop** with Poisson arrivals at rate λ: requests arrive on a seeded random
//!   schedule whatever the device is doing, wait in a queue when the workers are busy,
//!   and their latency counts from the arrival, so queueing shows up in the numbers.
//!
//! Every write is timed into a [`LatencyHistogram`]. A sampler thread reads the number
//! of requests in flight at regular intervals, which gives a concurrency measured
//! independently of the latencies, to compare with λ · W.
//!
//! With `direct`, the file is opened with `O_DIRECT` and the buffer is aligned to the
//! device's logical block size. Where the file system refuses `O_DIRECT` (tmpfs, some
//! overlay setups) the run fails with [`LoadError::DirectIoUnsupported`]: a silent
//! fallback to the page cache would measure memory, not the disk.
//!
//! The file is created fresh (an existing file is never touched) and removed when the
//! run ends, fails, or is stopped through the `stop` flag (which the CLI sets on Ctrl-C).
//!
//! This module uses real threads and the wall clock: it measures real I/O, it is not
//! simulated code, and is exempt from the determinism rules that apply to [`crate::sim`].

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::diskstats;
use crate::histogram::LatencyHistogram;

/// Alignment used for `O_DIRECT` when the device's logical block size cannot be read:
/// a multiple of every common logical block size (512 and 4096).
pub const FALLBACK_ALIGNMENT_BYTES: u64 = 4096;
/// Largest number of workers (threads).
pub const WORKERS_MAX: u32 = 1024;
/// Open loop: arrivals beyond this many outstanding requests are dropped and counted.
pub const BACKLOG_MAX: i64 = 100_000;

/// Where successive writes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// Block after block, wrapping at the end of the file.
    Sequential,
    /// A uniformly random block of the file for every write (seeded).
    Random,
}

/// How requests are generated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Arrivals {
    /// `workers` threads, each writing again as soon as its last write completed.
    ClosedLoop {
        /// Queue depth.
        workers: u32,
    },
    /// Poisson arrivals at `rate_per_s`, served by up to `workers` threads.
    OpenLoop {
        /// Mean arrival rate, requests per second.
        rate_per_s: f64,
        /// Concurrent writers serving the queue.
        workers: u32,
    },
}

/// One load run.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadConfig {
    /// File to create, write and remove. Must not exist.
    pub path: PathBuf,
    /// Bytes per write.
    pub block_bytes: u64,
    /// Size of the file the writes go to.
    pub file_bytes: u64,
    /// How long to generate load (checked before every write, so runs end on time).
    pub duration: Duration,
    /// Offsets.
    pub pattern: Pattern,
    /// Open with `O_DIRECT` and aligned buffers.
    pub direct: bool,
    /// `fdatasync` after every write (a write then includes the device flush).
    pub fdatasync: bool,
    /// Closed or open loop.
    pub arrivals: Arrivals,
    /// Seed for random offsets and Poisson arrivals.
    pub seed: u64,
    /// How often the sampler reads the number of requests in flight.
    pub sample_interval: Duration,
}

impl LoadConfig {
    /// A closed-loop configuration with the lab's defaults: 4 KiB sequential buffered
    /// writes to a 64 MiB file, one worker, sampling every millisecond.
    pub fn new(path: impl Into<PathBuf>, duration: Duration) -> Self {
        LoadConfig {
            path: path.into(),
            block_bytes: 4096,
            file_bytes: 64 << 20,
            duration,
            pattern: Pattern::Sequential,
            direct: false,
            fdatasync: false,
            arrivals: Arrivals::ClosedLoop { workers: 1 },
            seed: 42,
            sample_interval: Duration::from_millis(1),
        }
    }
}

/// Why a run could not start or complete.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The target exists; the generator never overwrites (or deletes) a file it did not create.
    #[error(
        "{0} already exists: choose a new file name (the load generator never overwrites or deletes existing files)"
    )]
    FileExists(PathBuf),
    /// The file system rejected `O_DIRECT`.
    #[error(
        "O_DIRECT is not supported for {path} ({reason}); tmpfs and some overlay file systems refuse it. Put the file on a disk-backed file system, or drop --direct to measure buffered writes (the page cache, not the device)"
    )]
    DirectIoUnsupported {
        /// The file.
        path: PathBuf,
        /// What the kernel said.
        reason: String,
    },
    /// O_DIRECT needs block sizes that are multiples of the logical block size.
    #[error(
        "block size {block_bytes} B is not a multiple of the device's logical block size {alignment_bytes} B, which O_DIRECT requires"
    )]
    BlockNotAligned {
        /// Requested block size.
        block_bytes: u64,
        /// Required alignment.
        alignment_bytes: u64,
    },
    /// A configuration value is out of range.
    #[error("invalid load configuration: {0}")]
    Invalid(String),
    /// Creating, writing or syncing the file failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// What one run measured, on the application side.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadReport {
    /// Completed writes.
    pub ops: u64,
    /// Measured span of the run in seconds.
    pub elapsed_s: f64,
    /// Latency of every completed write (from arrival, in the open loop).
    pub histogram: LatencyHistogram,
    /// Mean number of requests in flight as seen by the sampler.
    pub sampled_in_flight: f64,
    /// Number of sampler readings behind `sampled_in_flight`.
    pub samples: u64,
    /// Open loop only: arrivals dropped because the backlog was full.
    pub dropped: u64,
    /// Whether the run was stopped early through the stop flag.
    pub interrupted: bool,
    /// Whether `O_DIRECT` was requested (and, if so, not refused).
    pub direct: bool,
    /// Whether the kernel's own record of the open file (`/proc/self/fdinfo`) shows
    /// `O_DIRECT`; false when it was not requested or the record cannot be read.
    pub direct_confirmed: bool,
    /// Buffer alignment used, in bytes.
    pub alignment_bytes: u64,
    /// Where the alignment came from (device name or fallback).
    pub alignment_source: String,
}

impl LoadReport {
    /// λ: completed writes per second.
    pub fn throughput_per_s(&self) -> f64 {
        if self.elapsed_s > 0.0 {
            self.ops as f64 / self.elapsed_s
        } else {
            0.0
        }
    }

    /// W: mean latency in seconds.
    pub fn mean_latency_s(&self) -> f64 {
        self.histogram.mean_ns() / 1e9
    }

    /// L by Little's law, λ · W.
    pub fn little_l(&self) -> f64 {
        self.throughput_per_s() * self.mean_latency_s()
    }
}

/// Removes the file when dropped: on success, on error and after an interruption.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A buffer of `len` bytes starting at an `align`-byte boundary, carved out of an
/// over-allocated `Vec` (no unsafe code needed).
pub struct AlignedBuffer {
    storage: Vec<u8>,
    start: usize,
    len: usize,
}

impl AlignedBuffer {
    /// Allocates `len + align` bytes and picks the aligned window, filled with `fill`.
    pub fn new(len: usize, align: usize, fill: u8) -> Self {
        let align = align.max(1);
        let storage = vec![fill; len + align];
        let address = storage.as_ptr() as usize;
        let start = (align - address % align) % align;
        AlignedBuffer {
            storage,
            start,
            len,
        }
    }

    /// The aligned bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.storage[self.start..self.start + self.len]
    }
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> LoadError + '_ {
    move |source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn validate(config: &LoadConfig) -> Result<(u64, u32), LoadError> {
    let invalid = |m: String| Err(LoadError::Invalid(m));
    if config.block_bytes == 0 {
        return invalid("the block size must be at least one byte".to_string());
    }
    if config.file_bytes < config.block_bytes {
        return invalid(format!(
            "the file ({} B) must hold at least one block ({} B)",
            config.file_bytes, config.block_bytes
        ));
    }
    if config.duration.is_zero() {
        return invalid("the duration must be positive".to_string());
    }
    if config.sample_interval.is_zero() {
        return invalid("the sample interval must be positive".to_string());
    }
    let workers = match config.arrivals {
        Arrivals::ClosedLoop { workers } => workers,
        Arrivals::OpenLoop {
            rate_per_s,
            workers,
        } => {
            if !(rate_per_s.is_finite() && rate_per_s > 0.0) {
                return invalid(format!(
                    "the arrival rate must be positive, got {rate_per_s}"
                ));
            }
            workers
        }
    };
    if workers == 0 || workers > WORKERS_MAX {
        return invalid(format!(
            "workers must be between 1 and {WORKERS_MAX}, got {workers}"
        ));
    }
    Ok((config.file_bytes / config.block_bytes, workers))
}

fn alignment_for(path: &Path) -> (u64, String) {
    match diskstats::device_for_path(path)
        .and_then(|d| diskstats::logical_block_size(&d).map(|s| (s, d)))
    {
        Ok((size, device)) if size > 0 => (size, format!("logical block size of {device}")),
        _ => (
            FALLBACK_ALIGNMENT_BYTES,
            "fallback: device not found".to_string(),
        ),
    }
}

fn open_target(config: &LoadConfig) -> Result<File, LoadError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    if config.direct {
        options.custom_flags(libc::O_DIRECT);
    }
    options
        .open(&config.path)
        .map_err(|source| classify_error(&config.path, config.direct, "open", source))
}

/// Maps an I/O error to a [`LoadError`]. With `O_DIRECT`, `EINVAL` means the file system
/// (or the buffer alignment) refused direct I/O: that is reported as such, never retried
/// without `O_DIRECT`.
pub fn classify_error(
    path: &Path,
    direct: bool,
    operation: &str,
    source: std::io::Error,
) -> LoadError {
    if source.kind() == std::io::ErrorKind::AlreadyExists {
        LoadError::FileExists(path.to_path_buf())
    } else if direct && source.raw_os_error() == Some(libc::EINVAL) {
        LoadError::DirectIoUnsupported {
            path: path.to_path_buf(),
            reason: format!("{operation} failed: {source}"),
        }
    } else {
        LoadError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Reads the open file's status flags from `/proc/self/fdinfo` (no unsafe `fcntl`
/// needed) and reports whether `O_DIRECT` is among them; `None` if unreadable.
pub fn o_direct_in_effect(file: &File) -> Option<bool> {
    use std::os::fd::AsRawFd;
    let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", file.as_raw_fd())).ok()?;
    let flags = info.lines().find_map(|line| line.strip_prefix("flags:"))?;
    let flags = i64::from_str_radix(flags.trim(), 8).ok()?;
    Some(flags & i64::from(libc::O_DIRECT) != 0)
}

/// Shared state of one run.
struct Shared<'a> {
    config: &'a LoadConfig,
    file: File,
    buffer: AlignedBuffer,
    blocks: u64,
    next_block: AtomicU64,
    in_flight: AtomicI64,
    stop: &'a AtomicBool,
    deadline: Instant,
    first_error: Mutex<Option<LoadError>>,
    failed: AtomicBool,
}

impl Shared<'_> {
    fn should_stop(&self, now: Instant) -> bool {
        now >= self.deadline
            || self.stop.load(Ordering::Relaxed)
            || self.failed.load(Ordering::Relaxed)
    }

    fn offset(&self, rng: &mut ChaCha8Rng) -> u64 {
        let block = match self.config.pattern {
            Pattern::Sequential => self.next_block.fetch_add(1, Ordering::Relaxed) % self.blocks,
            Pattern::Random => rng.random_range(0..self.blocks),
        };
        block * self.config.block_bytes
    }

    fn write_one(&self, offset: u64) -> Result<(), LoadError> {
        let path = &self.config.path;
        self.file
            .write_all_at(self.buffer.as_slice(), offset)
            .map_err(|source| classify_error(path, self.config.direct, "write", source))?;
        if self.config.fdatasync {
            self.file.sync_data().map_err(io_error(path))?;
        }
        Ok(())
    }

    fn fail(&self, error: LoadError) {
        self.failed.store(true, Ordering::Relaxed);
        if let Ok(mut slot) = self.first_error.lock() {
            slot.get_or_insert(error);
        }
    }
}

fn worker_rng(seed: u64, worker: u32) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(1 + u64::from(worker));
    rng
}

/// Runs the load described by `config` until its duration elapses or `stop` is set.
///
/// The file is created (it must not exist), sized, written and removed again, whatever
/// the outcome.
// Real I/O measurement, not simulated code: it needs the wall clock and threads.
#[allow(clippy::disallowed_methods)]
pub fn run(config: &LoadConfig, stop: &AtomicBool) -> Result<LoadReport, LoadError> {
    let (blocks, workers) = validate(config)?;
    let (alignment_bytes, alignment_source) = if config.direct {
        alignment_for(&config.path)
    } else {
        (1, "buffered I/O: no alignment needed".to_string())
    };
    if config.direct && !config.block_bytes.is_multiple_of(alignment_bytes) {
        return Err(LoadError::BlockNotAligned {
            block_bytes: config.block_bytes,
            alignment_bytes,
        });
    }
    let file = open_target(config)?;
    let _remove = RemoveOnDrop(config.path.clone());
    let direct_confirmed = match (config.direct, o_direct_in_effect(&file)) {
        (true, Some(false)) => {
            return Err(LoadError::DirectIoUnsupported {
                path: config.path.clone(),
                reason: "the file was opened, but without O_DIRECT".to_string(),
            });
        }
        (true, Some(true)) => true,
        _ => false,
    };
    file.set_len(config.file_bytes)
        .map_err(io_error(&config.path))?;
    let block_len = usize::try_from(config.block_bytes)
        .map_err(|_| LoadError::Invalid("block too large".to_string()))?;
    let start = Instant::now();
    let shared = Shared {
        config,
        file,
        buffer: AlignedBuffer::new(block_len, alignment_bytes as usize, 0xA5),
        blocks,
        next_block: AtomicU64::new(0),
        in_flight: AtomicI64::new(0),
        stop,
        deadline: start + config.duration,
        first_error: Mutex::new(None),
        failed: AtomicBool::new(false),
    };
    let workers_done = AtomicBool::new(false);
    let (histogram, dropped, (sample_sum, samples), end) = std::thread::scope(|scope| {
        let sampler = scope.spawn(|| sample_in_flight(&shared, &workers_done));
        let (histogram, dropped) = match config.arrivals {
            Arrivals::ClosedLoop { .. } => (closed_loop(scope, &shared, workers), 0),
            Arrivals::OpenLoop { rate_per_s, .. } => open_loop(scope, &shared, workers, rate_per_s),
        };
        let end = Instant::now();
        workers_done.store(true, Ordering::Relaxed);
        let sampled = sampler.join().unwrap_or((0.0, 0));
        (histogram, dropped, sampled, end)
    });
    if let Some(error) = shared.first_error.lock().ok().and_then(|mut e| e.take()) {
        return Err(error);
    }
    Ok(LoadReport {
        ops: histogram.count(),
        elapsed_s: (end - start).as_secs_f64(),
        histogram,
        sampled_in_flight: if samples == 0 {
            0.0
        } else {
            sample_sum / samples as f64
        },
        samples,
        dropped,
        interrupted: stop.load(Ordering::Relaxed),
        direct: config.direct,
        direct_confirmed,
        alignment_bytes,
        alignment_source,
    })
}

#[allow(clippy::disallowed_methods)] // real I/O measurement: wall-clock timing of each write
fn closed_loop<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    shared: &'scope Shared<'_>,
    workers: u32,
) -> LatencyHistogram {
    let handles: Vec<_> = (0..workers)
        .map(|worker| {
            scope.spawn(move || {
                let mut rng = worker_rng(shared.config.seed, worker);
                let mut histogram = LatencyHistogram::new();
                loop {
                    let offset = shared.offset(&mut rng);
                    let began = Instant::now();
                    if shared.should_stop(began) {
                        break;
                    }
                    shared.in_flight.fetch_add(1, Ordering::Relaxed);
                    let result = shared.write_one(offset);
                    let finished = Instant::now();
                    shared.in_flight.fetch_sub(1, Ordering::Relaxed);
                    match result {
                        Ok(()) => histogram.record((finished - began).as_nanos() as u64),
                        Err(error) => {
                            shared.fail(error);
                            break;
                        }
                    }
                }
                histogram
            })
        })
        .collect();
    merge(handles)
}

fn merge(handles: Vec<std::thread::ScopedJoinHandle<'_, LatencyHistogram>>) -> LatencyHistogram {
    let mut total = LatencyHistogram::new();
    for handle in handles {
        if let Ok(histogram) = handle.join() {
            total.merge(&histogram);
        }
    }
    total
}

#[allow(clippy::disallowed_methods)] // real I/O measurement: arrivals follow the wall clock
fn open_loop<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    shared: &'scope Shared<'_>,
    workers: u32,
    rate_per_s: f64,
) -> (LatencyHistogram, u64) {
    let (sender, receiver) = mpsc::channel::<Instant>();
    let receiver = std::sync::Arc::new(Mutex::new(receiver));
    let handles: Vec<_> = (0..workers)
        .map(|worker| {
            let receiver = std::sync::Arc::clone(&receiver);
            scope.spawn(move || {
                let mut rng = worker_rng(shared.config.seed, worker);
                let mut histogram = LatencyHistogram::new();
                loop {
                    let next = receiver.lock().ok().and_then(|r| r.recv().ok());
                    let Some(arrived) = next else { break };
                    if shared.should_stop(Instant::now()) {
                        // Past the deadline: abandon the backlog instead of overrunning.
                        shared.in_flight.fetch_sub(1, Ordering::Relaxed);
                        continue;
                    }
                    let result = shared.write_one(shared.offset(&mut rng));
                    let finished = Instant::now();
                    shared.in_flight.fetch_sub(1, Ordering::Relaxed);
                    match result {
                        Ok(()) => histogram.record((finished - arrived).as_nanos() as u64),
                        Err(error) => shared.fail(error),
                    }
                }
                histogram
            })
        })
        .collect();
    let mut arrivals = worker_rng(shared.config.seed, u32::MAX);
    let start = Instant::now();
    let mut offset_s = 0.0;
    let mut dropped = 0;
    loop {
        let u: f64 = arrivals.random();
        offset_s += -(-u).ln_1p() / rate_per_s;
        let due = start + Duration::from_secs_f64(offset_s);
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
        if shared.should_stop(due.max(Instant::now())) {
            break;
        }
        if shared.in_flight.load(Ordering::Relaxed) >= BACKLOG_MAX {
            dropped += 1;
            continue;
        }
        shared.in_flight.fetch_add(1, Ordering::Relaxed);
        // The request arrives now: if the dispatcher woke late, the lag is the
        // generator's, not the disk's, so it counts neither in W nor in the gauge.
        if sender.send(Instant::now()).is_err() {
            shared.in_flight.fetch_sub(1, Ordering::Relaxed);
            break;
        }
    }
    drop(sender);
    (merge(handles), dropped)
}

/// Reads the in-flight gauge every `sample_interval` until the workers are done.
fn sample_in_flight(shared: &Shared<'_>, done: &AtomicBool) -> (f64, u64) {
    let mut sum = 0.0;
    let mut samples = 0;
    while !done.load(Ordering::Relaxed) {
        sum += shared.in_flight.load(Ordering::Relaxed).max(0) as f64;
        samples += 1;
        std::thread::sleep(shared.config.sample_interval);
    }
    (sum, samples)
}
