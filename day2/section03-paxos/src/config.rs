//! Every timing constant of the section, in ticks, with its default.

use common::Tick;

/// How an acceptor orders its durable write and its reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum AcceptorMode {
    /// Decide in memory, write and sync, reply only when the write is durable (correct).
    #[default]
    Durable,
    /// **Deliberately broken** (the negative control, the `BrokenDurableDecision` model
    /// of the TLA+ specs): reply as soon as the decision is made in memory, while the
    /// write is still in flight. A crash before the sync makes the acceptor forget a
    /// promise or an acceptance a proposer is already counting on.
    ReplyBeforeSync,
}

/// How a proposer picks the value of phase 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ProposerMode {
    /// Adopt the value of the highest-ballot acceptance reported in the promises; the
    /// client's own value only if none is reported (correct).
    #[default]
    AdoptHighest,
    /// **Deliberately broken** (a second negative control, the `BrokenPaxos` model of
    /// the TLA+ specs): always propose the client's own value, ignoring what the
    /// promises report. A later ballot then overwrites a value that was already chosen.
    IgnoreAcceptedValues,
}

/// Timing and behaviour of a Paxos server. All durations are in ticks.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    /// How long a proposer waits for the replies of one phase before counting the
    /// silent acceptors as refusals (default 20: a round trip is 2 ticks plus a storage
    /// write of 1, so this leaves room for slow disks and delayed links).
    pub phase_timeout_ticks: Tick,
    /// Ballots a proposer tries for one batch of waiting clients before answering them
    /// `Undecided` (default 12).
    pub max_attempts: u32,
    /// Shortest wait before a retry (default 1).
    pub backoff_min_ticks: Tick,
    /// Longest wait before the first retry (default 8). Each further retry doubles the
    /// window, so duelling proposers soon drift apart and one of them finishes.
    pub backoff_first_max_ticks: Tick,
    /// Upper bound of the backoff window (default 32).
    pub backoff_cap_ticks: Tick,
    /// Wait before retransmitting a `Commit` to nodes that have not acknowledged it
    /// (default 10).
    pub commit_retry_ticks: Tick,
    /// Retransmissions of a `Commit` before a proposer leaves the missing nodes to learn
    /// the value from a later round (default 5).
    pub commit_retries: u32,
    /// Writes a learner makes of one commit before it gives up on making the decision
    /// durable (default 5: the first write and four retries, each as soon as the last one
    /// failed, so about five storage delays in all). Then it reports the failure instead
    /// of retrying for ever: see [`crate::learner`].
    pub commit_write_attempts: u32,
    /// Correct or deliberately broken acceptor (default [`AcceptorMode::Durable`]).
    pub acceptor_mode: AcceptorMode,
    /// Correct or deliberately broken proposer (default [`ProposerMode::AdoptHighest`]).
    pub proposer_mode: ProposerMode,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            phase_timeout_ticks: 20,
            max_attempts: 12,
            backoff_min_ticks: 1,
            backoff_first_max_ticks: 8,
            backoff_cap_ticks: 32,
            commit_retry_ticks: 10,
            commit_retries: 5,
            commit_write_attempts: 5,
            acceptor_mode: AcceptorMode::Durable,
            proposer_mode: ProposerMode::AdoptHighest,
        }
    }
}

impl Config {
    /// The default configuration with the broken acceptor of the negative control.
    pub fn reply_before_sync() -> Self {
        Config {
            acceptor_mode: AcceptorMode::ReplyBeforeSync,
            ..Config::default()
        }
    }

    /// The default configuration with the proposer that ignores accepted values.
    pub fn ignore_accepted_values() -> Self {
        Config {
            proposer_mode: ProposerMode::IgnoreAcceptedValues,
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
