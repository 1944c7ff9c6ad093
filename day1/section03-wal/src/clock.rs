//! Where entry timestamps come from: the system clock in production, a hand-set clock in
//! tests, so time-based retention is tested without waiting.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A wall clock in milliseconds since the Unix epoch.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now_ms(&self) -> u64;
}

/// The operating system's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        // Real wall time is the point of this clock: the log stamps entries for retention.
        #[allow(clippy::disallowed_methods)]
        let now = std::time::SystemTime::now();
        now.duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
}

/// A clock that reads what the test set, and can be moved forwards or backwards.
#[derive(Clone, Debug, Default)]
pub struct ManualClock {
    now_ms: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock reading `now_ms`.
    pub fn new(now_ms: u64) -> Self {
        ManualClock {
            now_ms: Arc::new(AtomicU64::new(now_ms)),
        }
    }

    /// Set the reading.
    pub fn set_ms(&self, now_ms: u64) {
        self.now_ms.store(now_ms, Ordering::SeqCst);
    }

    /// Move the reading by `delta_ms` (negative moves it back, stopping at 0).
    pub fn advance_ms(&self, delta_ms: i64) {
        let now = self.now_ms.load(Ordering::SeqCst) as i64;
        self.set_ms((now + delta_ms).max(0) as u64);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.now_ms.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_clock_reads_milliseconds_since_1970() {
        let now = SystemClock.now_ms();
        // 2020-09-13 and 2100-01-01, in milliseconds since the Unix epoch.
        assert!(
            (1_600_000_000_000..4_102_444_800_000).contains(&now),
            "a reading of today's date in milliseconds, got {now}"
        );
    }

    #[test]
    fn a_manual_clock_moves_forwards_and_back_and_stops_at_zero() {
        let clock = ManualClock::new(1_000);
        clock.advance_ms(500);
        assert_eq!(clock.now_ms(), 1_500, "500 ms forwards");
        clock.advance_ms(-600);
        assert_eq!(clock.now_ms(), 900, "600 ms back");
        clock.advance_ms(-5_000);
        assert_eq!(clock.now_ms(), 0, "back past zero stops at zero");
        clock.set_ms(42);
        assert_eq!(clock.now_ms(), 42, "set to a reading");
    }
}
