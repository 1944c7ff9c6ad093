//! Every timing constant and behaviour switch of the section, with its default.

use common::Tick;

/// Which version of the replicated servers to run.
///
/// The corrected behaviour is the default. The original is kept, on purpose, as a
/// *negative control*: tests run it to show each bug of the Java workshop happening, and
/// run the corrected version on the same scenario to show the fix.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Behaviour {
    /// The fixes of this port:
    /// * every server remembers which operations it applied, so a re-sent `Accept` or
    ///   `Commit` never applies an operation twice;
    /// * a `Commit` carries its operation, so a server that missed the `Accept` applies it;
    /// * a query reports *every* staged operation, and recovery finishes all of them (in
    ///   id order) instead of picking one;
    /// * the client request that triggered a recovery runs after it, instead of being
    ///   dropped.
    #[default]
    Corrected,
    /// The Java original, bugs included: no memory of applied operations, commits without
    /// a staged operation ignored, a query reports one staged operation, recovery picks
    /// the one with the largest id, and the triggering request is never answered.
    Original,
}

/// How the "three-phase" coordinator is written. Both behave identically (the tests check
/// that their traces are equal); they differ only in how the code reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CoordinatorStyle {
    /// Nested callbacks: each phase's continuation is a closure that receives the node.
    #[default]
    Callbacks,
    /// An explicit state machine: one `enum` value per in-flight request, stored in a
    /// table, advanced by a single `resume` function (what a compiler makes of a
    /// coroutine).
    StateMachine,
}

/// Settings of a replicated server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// How long a coordinator waits for each server's answer in a query or accept phase,
    /// in ticks (default 10: a round trip costs 2). A server that has not answered by then
    /// counts as not accepting.
    pub phase_timeout_ticks: Tick,
    /// Corrected (default) or the original's behaviour.
    pub behaviour: Behaviour,
    /// How the three-phase coordinator is written (default: callbacks).
    pub coordinator: CoordinatorStyle,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            phase_timeout_ticks: 10,
            behaviour: Behaviour::Corrected,
            coordinator: CoordinatorStyle::Callbacks,
        }
    }
}

impl Config {
    /// The original's behaviour, for negative controls.
    pub fn original() -> Self {
        Config {
            behaviour: Behaviour::Original,
            ..Config::default()
        }
    }

    /// This configuration with the given coordinator style.
    pub fn with_style(self, coordinator: CoordinatorStyle) -> Self {
        Config {
            coordinator,
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two coordinator styles are meant to be indistinguishable from outside, so the
    /// test that compares their traces is only worth something if each run really uses
    /// the style it asked for.
    #[test]
    fn with_style_sets_the_coordinator_style_and_keeps_every_other_setting() {
        let original = Config::original();
        let machine = original.with_style(CoordinatorStyle::StateMachine);
        assert_eq!(
            machine.coordinator,
            CoordinatorStyle::StateMachine,
            "with_style sets the coordinator style it is given"
        );
        assert_eq!(
            Config {
                coordinator: original.coordinator,
                ..machine
            },
            original,
            "only the coordinator style may change"
        );
        assert_eq!(
            machine.with_style(CoordinatorStyle::Callbacks).coordinator,
            CoordinatorStyle::Callbacks
        );
    }
}
