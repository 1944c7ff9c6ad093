//! Time in the simulator: the cluster tick, and per-node wall clocks that can be skewed.
//!
//! Two kinds of time exist and they never mix:
//! * [`Tick`] counts cluster steps. Latency, timeouts, timers and storage delays are all
//!   measured in ticks, against one global counter, so a timeout cannot be "forgotten".
//! * Wall time ([`SimClock::wall_ms`]) is what a node *believes* the time is, in
//!   milliseconds. It is used only where a protocol reads a clock, such as last-write-wins
//!   timestamps, and it can be set, skewed and made to drift per node to teach why that is
//!   dangerous.

use serde::{Deserialize, Serialize};

/// A cluster tick: one lock-step advance of the whole simulation.
///
/// Nothing sent during tick `t` is delivered before tick `t + 1`.
pub type Tick = u64;

/// Default wall time at tick 0, in milliseconds (as in the original workshop).
pub const DEFAULT_START_MS: u64 = 1000;

/// A node's wall clock: `start + now·ms_per_tick + offset + drift`.
///
/// * `offset_ms` is a one-off jump (`set_ms`, `skew`).
/// * `drift_ppm` makes the clock run fast (positive) or slow (negative) by parts per
///   million of elapsed time since the drift was set.
///
/// The clock is a pure function of the tick, so reading it never changes a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimClock {
    /// Wall time at tick 0.
    pub start_ms: u64,
    /// Milliseconds of wall time per tick (default 1).
    pub ms_per_tick: u64,
    /// One-off correction added to the reading.
    pub offset_ms: i64,
    /// Drift rate in parts per million (0 = a perfect clock).
    pub drift_ppm: i64,
    /// Tick from which drift accumulates.
    pub drift_since: Tick,
}

impl Default for SimClock {
    fn default() -> Self {
        SimClock::new(DEFAULT_START_MS, 1)
    }
}

impl SimClock {
    /// A perfect clock reading `start_ms` at tick 0 and advancing `ms_per_tick` per tick.
    pub fn new(start_ms: u64, ms_per_tick: u64) -> Self {
        SimClock {
            start_ms,
            ms_per_tick,
            offset_ms: 0,
            drift_ppm: 0,
            drift_since: 0,
        }
    }

    fn base_ms(&self, now: Tick) -> i128 {
        self.start_ms as i128 + now as i128 * self.ms_per_tick as i128
    }

    fn drift_ms(&self, now: Tick) -> i128 {
        let elapsed = now.saturating_sub(self.drift_since) as i128 * self.ms_per_tick as i128;
        elapsed * self.drift_ppm as i128 / 1_000_000
    }

    /// The node's wall time at tick `now`, in milliseconds (never below zero).
    pub fn wall_ms(&self, now: Tick) -> u64 {
        let ms = self.base_ms(now) + self.offset_ms as i128 + self.drift_ms(now);
        ms.clamp(0, u64::MAX as i128) as u64
    }

    /// Make the clock read exactly `ms` at tick `now`.
    pub fn set_ms(&mut self, now: Tick, ms: u64) {
        let without_offset = self.base_ms(now) + self.drift_ms(now);
        self.offset_ms = (ms as i128 - without_offset) as i64;
    }

    /// Jump the clock by `delta_ms` (negative moves it back).
    pub fn skew(&mut self, delta_ms: i64) {
        self.offset_ms += delta_ms;
    }

    /// From tick `now` on, run fast (positive) or slow (negative) by `ppm` parts per
    /// million. Drift accumulated so far is folded into the offset.
    pub fn drift(&mut self, now: Tick, ppm: i64) {
        let accumulated = self.drift_ms(now) as i64;
        self.offset_ms += accumulated;
        self.drift_ppm = ppm;
        self.drift_since = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_perfect_clock_advances_one_ms_per_tick_from_its_start() {
        let clock = SimClock::default();
        assert_eq!(clock.wall_ms(0), 1000);
        assert_eq!(clock.wall_ms(250), 1250, "1 ms per tick by default");
    }

    #[test]
    fn set_ms_makes_the_clock_read_the_given_time_and_keep_advancing() {
        let mut clock = SimClock::default();
        clock.set_ms(10, 500);
        assert_eq!(clock.wall_ms(10), 500, "the clock must read what was set");
        assert_eq!(
            clock.wall_ms(15),
            505,
            "a set clock keeps advancing at its rate"
        );
    }

    #[test]
    fn skew_moves_the_reading_by_a_constant() {
        let mut clock = SimClock::default();
        clock.skew(-300);
        assert_eq!(clock.wall_ms(100), 800);
    }

    #[test]
    fn drift_accumulates_with_elapsed_time_and_survives_a_rate_change() {
        let mut clock = SimClock::new(0, 1000);
        clock.drift(0, 1000); // 1 ms fast per second
        assert_eq!(clock.wall_ms(10), 10_010, "10 s at +1000 ppm gains 10 ms");
        clock.drift(10, 0);
        assert_eq!(
            clock.wall_ms(20),
            20_010,
            "drift gained so far is kept when the rate changes"
        );
    }

    #[test]
    fn a_clock_set_far_back_reads_zero_not_a_wrapped_value() {
        let mut clock = SimClock::default();
        clock.skew(-10_000);
        assert_eq!(clock.wall_ms(0), 0);
    }
}
