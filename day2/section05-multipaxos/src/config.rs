//! Every timing constant and mode of the section, with its default. Durations are in
//! ticks.

use common::Tick;

/// Where a newly elected leader puts its first client request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum SlotMode {
    /// Merge every slot the promises report, accepted *and committed*, finish them, and
    /// take client requests from the first slot after all of them (correct).
    #[default]
    AfterEverythingLearned,
    /// **Deliberately broken** (a negative control, bugs B1 and B2 of the Java section):
    /// the merge ignores committed slots and the new leader starts numbering at slot 1
    /// again, so its first writes land in slots already chosen for other requests.
    ReuseSlots,
}

/// How often a leader runs phase 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum PhaseOneMode {
    /// Once per leadership: after the full-log prepare, phase 2 only (Multi-Paxos).
    #[default]
    OncePerLeader,
    /// Before every slot, as per-slot Paxos does: the leader proposes one command at a
    /// time, each after a fresh prepare with a higher ballot. Correct, and slow: the
    /// baseline of the lab's measurement.
    EverySlot,
}

/// Timing, limits and behaviour of a Multi-Paxos server.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    /// How long a candidate waits for promises, and a leader for acceptances, before
    /// counting the silent nodes as refusals (default 20: a round trip is 2 ticks plus a
    /// synced write of 1, so this leaves room for slow disks and delayed links).
    pub phase_timeout_ticks: Tick,
    /// How long a leader waits before sending a slot's `Accept` again after a phase 2
    /// that neither succeeded nor met a higher ballot (default 5). A slot is never
    /// abandoned: an abandoned slot is a hole that blocks execution for ever (bug B5).
    pub accept_retry_ticks: Tick,
    /// Most committed slots one `CatchUpReply` carries (default 64); a node further
    /// behind asks again on the next commit past its gap.
    pub catch_up_batch_slots: usize,
    /// Where a new leader starts numbering slots.
    pub slot_mode: SlotMode,
    /// How often the leader runs phase 1.
    pub phase_one: PhaseOneMode,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            phase_timeout_ticks: 20,
            accept_retry_ticks: 5,
            catch_up_batch_slots: 64,
            slot_mode: SlotMode::default(),
            phase_one: PhaseOneMode::default(),
        }
    }
}

impl Config {
    /// The negative control: a new leader that reuses slot numbers.
    pub fn reuse_slots() -> Self {
        Config {
            slot_mode: SlotMode::ReuseSlots,
            ..Config::default()
        }
    }
}
