//! Measurements of the real machine: the raw `fdatasync` rate of a disk, and a summary of
//! request latencies. A durable consensus service on one disk can acknowledge at most as
//! many *rounds* per second as the disk syncs (group commit packs several writes in one
//! round), so the sync rate is the baseline every write-throughput figure is read against.
#![allow(clippy::disallowed_methods)]

use crate::fileio::{FileIo, LocalFile};
use std::path::Path;
use std::time::{Duration, Instant};

/// Latency percentiles of a set of samples, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Percentiles {
    /// Samples.
    pub count: usize,
    /// Median.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// Largest.
    pub max_us: u64,
}

impl Percentiles {
    /// The percentiles of `samples` (sorted here).
    pub fn of(samples: &mut [Duration]) -> Self {
        samples.sort();
        let at = |q: f64| -> u64 {
            if samples.is_empty() {
                return 0;
            }
            let i = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
            samples[i].as_micros() as u64
        };
        Percentiles {
            count: samples.len(),
            p50_us: at(0.50),
            p90_us: at(0.90),
            p99_us: at(0.99),
            max_us: at(1.0),
        }
    }
}

/// What [`fdatasync_rate`] measured.
#[derive(Clone, Copy, Debug)]
pub struct SyncRate {
    /// Appends each followed by an `fdatasync`.
    pub syncs: u64,
    /// Time they took.
    pub elapsed: Duration,
    /// Latency of one append + `fdatasync`.
    pub latency: Percentiles,
}

impl SyncRate {
    /// Syncs per second.
    pub fn per_second(&self) -> f64 {
        self.syncs as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Append `record_bytes` to a scratch file in `dir` and `fdatasync` it, again and again
/// for `duration`: the disk's raw durable-append rate. The file is removed afterwards.
pub fn fdatasync_rate(
    dir: &Path,
    duration: Duration,
    record_bytes: usize,
) -> std::io::Result<SyncRate> {
    let path = dir.join(format!("fdatasync-bench-{}.tmp", std::process::id()));
    std::fs::File::create(&path)?;
    let mut file = LocalFile::open(&path)?;
    let record = vec![0xa5u8; record_bytes.max(1)];
    let mut samples = Vec::new();
    let mut offset = 0u64;
    let start = Instant::now();
    while start.elapsed() < duration {
        let t = Instant::now();
        file.write_at(offset, &record)?;
        file.sync()?;
        samples.push(t.elapsed());
        offset += record.len() as u64;
    }
    let elapsed = start.elapsed();
    drop(file);
    std::fs::remove_file(&path)?;
    Ok(SyncRate {
        syncs: samples.len() as u64,
        elapsed,
        latency: Percentiles::of(&mut samples),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_the_nearest_rank() {
        let mut samples: Vec<Duration> = (1..=100).map(Duration::from_micros).collect();
        let p = Percentiles::of(&mut samples);
        assert_eq!((p.p50_us, p.p90_us, p.p99_us, p.max_us), (50, 90, 99, 100));
        assert_eq!(
            Percentiles::of(&mut []).count,
            0,
            "no samples, no percentiles"
        );
    }
}

/// What [`run_load`] measured.
#[derive(Clone, Copy, Debug)]
pub struct LoadReport {
    /// Requests answered with success.
    pub ok: u64,
    /// Requests that failed or timed out.
    pub failed: u64,
    /// From the first request to the last answer.
    pub elapsed: Duration,
    /// Latency of the successful requests.
    pub latency: Percentiles,
}

impl LoadReport {
    /// Successful requests per second.
    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// A closed-loop load generator: `concurrency` requests in flight at all times for
/// `duration`, each sent (following redirects) to the server `request` names, then the
/// stragglers drained. `request(slot, seq)` builds request number `seq` of slot `slot`
/// (slots are independent sequential clients); `is_ok` says whether an answer counts as
/// a success.
pub fn run_load<M: crate::Message + Send>(
    session: &mut super::app::ClientSession<M>,
    concurrency: usize,
    duration: Duration,
    mut request: impl FnMut(usize, u64) -> (crate::ProcessId, M),
    redirect: fn(&M) -> crate::Redirect,
    is_ok: fn(&M) -> bool,
) -> Result<LoadReport, super::RealError> {
    let mut slots: Vec<Option<(crate::Promise<M>, Instant)>> = vec![None; concurrency.max(1)];
    let mut seqs = vec![0u64; slots.len()];
    let mut samples = Vec::new();
    let mut failed = 0u64;
    let start = Instant::now();
    let timeout = session.timeout_ticks();
    loop {
        let sending = start.elapsed() < duration;
        for (slot, state) in slots.iter_mut().enumerate() {
            if state.is_none() && sending {
                seqs[slot] += 1;
                let (server, msg) = request(slot, seqs[slot]);
                let promise = session.start_following(&server, msg, timeout, redirect)?;
                *state = Some((promise, Instant::now()));
            }
        }
        if slots.iter().all(Option::is_none) {
            break;
        }
        let pending: Vec<crate::Promise<M>> =
            slots.iter().flatten().map(|(p, _)| p.clone()).collect();
        session.run_until(Duration::from_millis(50), || {
            pending.iter().any(|p| !p.is_pending())
        })?;
        for state in &mut slots {
            let Some((promise, sent)) = state else {
                continue;
            };
            match promise.result() {
                None => continue,
                Some(Ok(reply)) if is_ok(&reply) => samples.push(sent.elapsed()),
                Some(_) => failed += 1,
            }
            *state = None;
        }
    }
    Ok(LoadReport {
        ok: samples.len() as u64,
        failed,
        elapsed: start.elapsed(),
        latency: Percentiles::of(&mut samples),
    })
}
