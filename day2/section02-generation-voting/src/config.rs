//! Every timing constant and behaviour switch of the section, with its default.

use common::Tick;

/// When a voter makes its promise durable, relative to announcing it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum VoterMode {
    /// Correct: update the promise in memory, write it with a sync, and reply only once
    /// the write is durable (default).
    #[default]
    PersistBeforeReply,
    /// Broken on purpose (negative control): reply at once, write afterwards. A crash in
    /// between forgets a vote that was already counted.
    ReplyBeforePersist,
    /// Broken on purpose (negative control, the original's current state): never write
    /// the promise. A restart forgets every vote.
    Volatile,
}

/// Settings of a generation-voting server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    /// How long a coordinator waits for each vote, in ticks (default 10; a prepare round
    /// trip costs 2 plus the voter's write, 1 by default). A silent voter counts as a no.
    pub prepare_timeout_ticks: Tick,
    /// Elections a coordinator tries for one request before answering `ElectionFailed`
    /// (default 5, as in the original).
    pub max_attempts: u32,
    /// Range of the random pause before retrying a lost election, in ticks (default
    /// 1..=10). Randomness breaks the symmetry of duelling coordinators, which would
    /// otherwise keep overtaking each other in lockstep.
    pub retry_backoff_ticks: (Tick, Tick),
    /// When the promise is made durable (default: before replying).
    pub voter: VoterMode,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            prepare_timeout_ticks: 10,
            max_attempts: 5,
            retry_backoff_ticks: (1, 10),
            voter: VoterMode::PersistBeforeReply,
        }
    }
}

impl Config {
    /// This configuration with another voter mode.
    pub fn with_voter(self, voter: VoterMode) -> Self {
        Config { voter, ..self }
    }
}
