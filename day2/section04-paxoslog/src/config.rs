//! Every timing constant and limit of the section, with its default. Durations are in
//! ticks.

use common::Tick;

/// How an acceptor orders its durable write and its reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum AcceptorMode {
    /// Decide in memory, write and sync the slot's record, reply only when the write is
    /// durable (correct).
    #[default]
    Durable,
    /// **Deliberately broken** (a negative control): reply as soon as the decision is
    /// made in memory, while the slot's record is still on its way to disk. A crash
    /// before the sync makes the acceptor forget a promise or an acceptance a proposer
    /// is already counting on, and a second value can be chosen for the slot.
    ReplyBeforeSync,
}

/// How a proposer picks the value of phase 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ProposerMode {
    /// Adopt the value of the highest-ballot acceptance reported in the promises; the
    /// client's own operation only if none is reported (correct).
    #[default]
    AdoptHighest,
    /// **Deliberately broken** (a negative control): always propose the client's own
    /// operation. In a slot that an earlier proposer left accepted but not known
    /// committed — a gap this node is filling — it overwrites a value that may already
    /// be chosen, and two replicas execute different operations in the same slot.
    IgnoreAcceptedValues,
}

/// Which committed slots a learner executes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum LearnerMode {
    /// Execute the slot after the executed prefix once its commit is durable, and stop
    /// at the first slot that is not (correct).
    #[default]
    InOrder,
    /// **Deliberately broken** (a negative control, the bug of the Java section's
    /// short-lived persisted version): execute the next committed slot *past* a gap, as
    /// if the missing slots were empty. A replica that missed one commit then runs the
    /// rest of the log on a different state from everyone else.
    ExecutePastGaps,
}

/// Timing, limits and behaviour of a Paxos log server.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    /// How long a proposer waits for the replies of one phase before counting the silent
    /// acceptors as refusals (default 20: a round trip is 2 ticks plus a storage write of
    /// 1, so this leaves room for slow disks and delayed links).
    pub phase_timeout_ticks: Tick,
    /// Failed ballots a proposer tries for one client request before answering it
    /// `Undecided` (default 12). Losing a slot to another request is progress, not a
    /// failure: the proposer moves to the next slot without counting an attempt.
    pub max_attempts: u32,
    /// Shortest wait before a retry (default 1).
    pub backoff_min_ticks: Tick,
    /// Longest wait before the first retry (default 8). Each further retry doubles the
    /// window, so duelling proposers soon drift apart and one of them finishes.
    pub backoff_first_max_ticks: Tick,
    /// Upper bound of the backoff window (default 32).
    pub backoff_cap_ticks: Tick,
    /// Rounds reserved by one durable write (default 16). A proposer must never reuse a
    /// ballot after a restart, so it writes the highest round it may use before using
    /// it; reserving a block costs one write per 16 ballots instead of one per ballot. A
    /// restarted node starts above the whole block.
    pub rounds_per_reservation: u64,
    /// Interval of the catch-up timer (default 20): every node asks one peer in turn for
    /// the committed slots beyond its executed prefix, and rewrites any commit whose
    /// write failed. A node that hears of a peer further ahead asks at once.
    pub catch_up_interval_ticks: Tick,
    /// How long a catch-up request waits for its reply (default 20).
    pub catch_up_timeout_ticks: Tick,
    /// Most committed slots one catch-up reply carries (default 32). A node further
    /// behind asks again at once.
    pub catch_up_batch_slots: usize,
    /// How long a client request may wait at a server without an answer (default 400).
    /// Past it, the catch-up timer answers it `Undecided` (the client has given up by
    /// then) so waiting lists never grow without bound.
    pub client_wait_ticks: Tick,
    /// Correct or deliberately broken acceptor (default [`AcceptorMode::Durable`]).
    pub acceptor_mode: AcceptorMode,
    /// Correct or deliberately broken proposer (default [`ProposerMode::AdoptHighest`]).
    pub proposer_mode: ProposerMode,
    /// Correct or deliberately broken learner (default [`LearnerMode::InOrder`]).
    pub learner_mode: LearnerMode,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            phase_timeout_ticks: 20,
            max_attempts: 12,
            backoff_min_ticks: 1,
            backoff_first_max_ticks: 8,
            backoff_cap_ticks: 32,
            rounds_per_reservation: 16,
            catch_up_interval_ticks: 20,
            catch_up_timeout_ticks: 20,
            catch_up_batch_slots: 32,
            client_wait_ticks: 400,
            acceptor_mode: AcceptorMode::Durable,
            proposer_mode: ProposerMode::AdoptHighest,
            learner_mode: LearnerMode::InOrder,
        }
    }
}

impl Config {
    /// The default configuration with the acceptor that replies before its write is
    /// synced (a negative control).
    pub fn reply_before_sync() -> Self {
        Config {
            acceptor_mode: AcceptorMode::ReplyBeforeSync,
            ..Config::default()
        }
    }

    /// The default configuration with the proposer that ignores accepted values (a
    /// negative control).
    pub fn ignore_accepted_values() -> Self {
        Config {
            proposer_mode: ProposerMode::IgnoreAcceptedValues,
            ..Config::default()
        }
    }

    /// The default configuration with the learner that executes past gaps (a negative
    /// control).
    pub fn execute_past_gaps() -> Self {
        Config {
            learner_mode: LearnerMode::ExecutePastGaps,
            ..Config::default()
        }
    }

    /// The backoff window `(min, max)` before retry number `retry` (1 for the first).
    pub fn backoff_window(&self, retry: u32) -> (Tick, Tick) {
        let doublings = retry.saturating_sub(1).min(16);
        let max = self
            .backoff_first_max_ticks
            .saturating_mul(1 << doublings)
            .min(self.backoff_cap_ticks)
            .max(self.backoff_min_ticks);
        (self.backoff_min_ticks, max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_window_doubles_up_to_its_cap() {
        let config = Config::default();
        assert_eq!(
            config.backoff_window(1),
            (1, 8),
            "the first window is the default"
        );
        assert_eq!(
            config.backoff_window(2),
            (1, 16),
            "the second window doubles"
        );
        assert_eq!(
            config.backoff_window(3),
            (1, 32),
            "the third window doubles again"
        );
        assert_eq!(
            config.backoff_window(30),
            (1, 32),
            "the window must stop growing at its cap"
        );
    }
}
