//! A log-linear latency histogram: exact below 64 ns, then 32 buckets per power of two
//! (about 3 % relative precision), in a fixed 1,920-entry table. Merging two
//! histograms adds their counts, so each worker keeps its own and nothing is locked.

/// Sub-buckets per power of two, as a power of two.
const PRECISION_BITS: u32 = 5;
const SUB_BUCKETS: u64 = 1 << PRECISION_BITS;
const BUCKETS: usize = (64 - PRECISION_BITS as usize) * SUB_BUCKETS as usize + SUB_BUCKETS as usize;

/// Latencies in nanoseconds, bucketed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatencyHistogram {
    counts: Vec<u64>,
    total: u64,
    sum_ns: u128,
    max_ns: u64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

fn bucket_of(value_ns: u64) -> usize {
    if value_ns < 2 * SUB_BUCKETS {
        return value_ns as usize;
    }
    let msb = 63 - value_ns.leading_zeros();
    let shift = msb - PRECISION_BITS;
    (shift as usize) * SUB_BUCKETS as usize + (value_ns >> shift) as usize
}

/// The smallest and largest value that fall into `bucket`.
fn bounds_of(bucket: usize) -> (u64, u64) {
    let bucket = bucket as u64;
    if bucket < 2 * SUB_BUCKETS {
        return (bucket, bucket);
    }
    let shift = bucket / SUB_BUCKETS - 1;
    let top = bucket - shift * SUB_BUCKETS;
    let low = top << shift;
    (low, low + ((1u64 << shift) - 1))
}

impl LatencyHistogram {
    /// An empty histogram.
    pub fn new() -> Self {
        LatencyHistogram {
            counts: vec![0; BUCKETS],
            total: 0,
            sum_ns: 0,
            max_ns: 0,
        }
    }

    /// Records one latency.
    pub fn record(&mut self, value_ns: u64) {
        self.counts[bucket_of(value_ns)] += 1;
        self.total += 1;
        self.sum_ns += u128::from(value_ns);
        self.max_ns = self.max_ns.max(value_ns);
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &LatencyHistogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.total += other.total;
        self.sum_ns += other.sum_ns;
        self.max_ns = self.max_ns.max(other.max_ns);
    }

    /// Number of recorded latencies.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// Exact sum of the recorded latencies, in nanoseconds.
    pub fn sum_ns(&self) -> u128 {
        self.sum_ns
    }

    /// Exact mean in nanoseconds (0 when empty).
    pub fn mean_ns(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.sum_ns as f64 / self.total as f64
        }
    }

    /// Exact maximum in nanoseconds.
    pub fn max_ns(&self) -> u64 {
        self.max_ns
    }

    /// The latency at quantile `q` (0.5 for p50, 0.999 for p999): the middle of the
    /// bucket holding that rank, never above the true maximum. 0 when empty.
    ///
    /// ```
    /// use littles_law::histogram::LatencyHistogram;
    /// let mut h = LatencyHistogram::new();
    /// for ns in 1..=1000 { h.record(ns * 1000); }
    /// let p50 = h.quantile(0.5) as f64;
    /// assert!((p50 - 500_000.0).abs() / 500_000.0 < 0.03, "p50 within the 3 % bucket width");
    /// ```
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (bucket, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                let (low, high) = bounds_of(bucket);
                return (low + (high - low) / 2).min(self.max_ns);
            }
        }
        self.max_ns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buckets_cover_every_latency_once_and_the_last_ends_at_the_largest() {
        let mut next = 0u64;
        for bucket in 0..BUCKETS {
            let (low, high) = bounds_of(bucket);
            assert_eq!(
                low, next,
                "bucket {bucket} starts where the one before ended"
            );
            assert!(high >= low, "bucket {bucket} is not empty");
            assert_eq!(bucket_of(low), bucket, "{low} falls in bucket {bucket}");
            assert_eq!(bucket_of(high), bucket, "{high} falls in bucket {bucket}");
            if bucket + 1 == BUCKETS {
                assert_eq!(
                    high,
                    u64::MAX,
                    "the last bucket ends at the largest latency"
                );
            } else {
                next = high + 1;
            }
        }
        assert_eq!(
            (bounds_of(63), bounds_of(64)),
            ((63, 63), (64, 65)),
            "exact below 64 ns, then two values per bucket"
        );
    }

    #[test]
    fn a_quantile_is_the_middle_of_its_bucket_and_never_above_the_maximum() {
        let mut histogram = LatencyHistogram::new();
        histogram.record(1_000);
        histogram.record(u64::MAX);
        assert_eq!(
            bounds_of(bucket_of(1_000)),
            (992, 1_007),
            "1000 ns falls in the bucket 992..=1007"
        );
        assert_eq!(histogram.quantile(0.5), 999, "its middle, 992 + 15 / 2");
        assert_eq!(
            bounds_of(bucket_of(u64::MAX)),
            (63 << 58, u64::MAX),
            "the largest latency falls in the last bucket, 63 · 2^58 ..= 2^64 − 1"
        );
        assert_eq!(
            histogram.quantile(1.0),
            (63 << 58) + ((1 << 58) - 1) / 2,
            "the top quantile is the middle of that bucket too"
        );
        assert_eq!(
            histogram.sum_ns(),
            u128::from(u64::MAX) + 1_000,
            "the sum is exact and does not overflow"
        );
    }
}
