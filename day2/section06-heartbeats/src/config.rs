//! Every timing constant and mode of the section, with its default. Durations are in
//! ticks of the simulation (one tick is one lock-step advance of the whole cluster).

use common::Tick;

/// How a node draws its election timeout each time it restarts its election timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum TimeoutMode {
    /// Uniformly from `[election_timeout_ticks, 2 × election_timeout_ticks)`, from the
    /// node's own seeded random stream, again on every restart of the timer (correct).
    #[default]
    Randomized,
    /// **Deliberately broken** (a negative control, bug H3 of the Java section taken to
    /// its end): every node waits exactly `election_timeout_ticks`. Nodes whose timers
    /// start together stand together, every one promises itself first, nobody gets a
    /// majority, and they all try again together: a split vote that never ends.
    Equal,
}

/// What a leader (or candidate) does when it meets a generation above its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum StepDownMode {
    /// Step down and follow the owner of the higher ballot (correct).
    #[default]
    OnHigherGeneration,
    /// **Deliberately broken** (a negative control, bug H1 of the Java section): a
    /// leader that raises its promise to a higher ballot keeps leading and proposes
    /// under that ballot, as the Java leader proposed under its `promisedGeneration`.
    /// Two leaders then share one generation and fill the same slots with different
    /// values.
    Never,
}

/// Timing, limits and behaviour of a server.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    /// How often a leader sends `Heartbeat` to every other node (default 5). The Java
    /// section sent one every tick (bug H7); the interval must stay well below the
    /// election timeout, so that a lost heartbeat or two do not start an election.
    pub heartbeat_interval_ticks: Tick,
    /// The shortest election timeout (default 30): a follower that has heard from no
    /// leader for this long — more, see [`TimeoutMode`] — suspects it and stands for
    /// election. It is also the check-quorum window: a leader that has not heard from a
    /// majority within it steps down; and the pre-vote window: a node that heard from a
    /// leader within it refuses to help depose it.
    pub election_timeout_ticks: Tick,
    /// How the election timeout is drawn.
    pub timeout_mode: TimeoutMode,
    /// Ask for a pre-vote before a real election (default on, fixes H5): a node cut off
    /// for a while cannot depose a healthy leader when it comes back.
    pub pre_vote: bool,
    /// A leader steps down when it has not heard from a majority for one election timeout
    /// (default on, fixes H4): an isolated leader stops taking requests it cannot commit.
    pub check_quorum: bool,
    /// What a leader does when it meets a higher generation.
    pub step_down: StepDownMode,
    /// How long a candidate waits for promises, and a leader for acceptances, before
    /// counting the silent nodes as refusals (default 20).
    pub phase_timeout_ticks: Tick,
    /// How long a leader waits before sending a slot's `Accept` again after a phase 2
    /// that neither succeeded nor met a higher ballot (default 5).
    pub accept_retry_ticks: Tick,
    /// Most committed slots one `CatchUpReply` carries (default 64).
    pub catch_up_batch_slots: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            heartbeat_interval_ticks: 5,
            election_timeout_ticks: 30,
            timeout_mode: TimeoutMode::default(),
            pre_vote: true,
            check_quorum: true,
            step_down: StepDownMode::default(),
            phase_timeout_ticks: 20,
            accept_retry_ticks: 5,
            catch_up_batch_slots: 64,
        }
    }
}

impl Config {
    /// The longest election timeout a node can draw (exclusive bound).
    pub fn max_election_timeout_ticks(&self) -> Tick {
        match self.timeout_mode {
            TimeoutMode::Randomized => 2 * self.election_timeout_ticks,
            TimeoutMode::Equal => self.election_timeout_ticks + 1,
        }
    }

    /// The negative control for liveness: every node waits the same election timeout.
    pub fn equal_timeouts() -> Self {
        Config {
            timeout_mode: TimeoutMode::Equal,
            ..Config::default()
        }
    }

    /// The negative control for safety: a leader never steps down on a higher
    /// generation, it adopts it.
    pub fn no_step_down() -> Self {
        Config {
            step_down: StepDownMode::Never,
            ..Config::default()
        }
    }

    /// The same timing with `heartbeat_interval_ticks` and `election_timeout_ticks`
    /// replaced (the failure-detector lesson sweeps them).
    pub fn with_timing(heartbeat_interval_ticks: Tick, election_timeout_ticks: Tick) -> Self {
        Config {
            heartbeat_interval_ticks,
            election_timeout_ticks,
            ..Config::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_timing_replaces_the_two_timings_and_keeps_every_other_setting() {
        let config = Config::with_timing(7, 50);
        assert_eq!(
            (
                config.heartbeat_interval_ticks,
                config.election_timeout_ticks
            ),
            (7, 50),
            "both timings are the ones given"
        );
        assert_eq!(
            Config {
                heartbeat_interval_ticks: Config::default().heartbeat_interval_ticks,
                election_timeout_ticks: Config::default().election_timeout_ticks,
                ..config
            },
            Config::default(),
            "every other setting is the default"
        );
    }

    #[test]
    fn the_longest_timeout_is_twice_the_base_when_randomized_and_the_base_when_equal() {
        let randomized = Config::default();
        assert_eq!(
            randomized.max_election_timeout_ticks(),
            2 * randomized.election_timeout_ticks,
            "a randomized timeout is drawn from [base, 2 x base)"
        );
        let equal = Config::equal_timeouts();
        assert_eq!(
            equal.max_election_timeout_ticks(),
            equal.election_timeout_ticks + 1,
            "an equal timeout is the base itself (the bound is exclusive)"
        );
    }
}
