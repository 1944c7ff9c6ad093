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
