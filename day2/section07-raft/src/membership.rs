//! Membership changes, one server at a time (§4.2–4.4 of the Raft dissertation).
//!
//! ## The problem
//!
//! A cluster's servers change: a machine dies for good, a region is added. Raft's safety
//! rests on one fact — any two majorities intersect — and a change of the server set can
//! break it: if some servers decide with the old set and others with the new one, a
//! majority of the old set and a majority of the new set may have nobody in common, and
//! elect two leaders in one term. Switching every server at the same instant is
//! impossible.
//!
//! ## Why one server at a time is safe
//!
//! Add or remove **one** voter, and every majority of the old set meets every majority of
//! the new set. With `n` old voters and `n + 1` new ones, a majority of the old set has
//! at least `n / 2 + 1` servers and a majority of the new set at least `(n + 1) / 2 + 1`;
//! together that is more than `n + 1`, so they share a server. The same holds for a
//! removal. So whatever mix of old and new configurations the servers use during the
//! change, two leaders cannot be elected in one term, and no entry can be committed by
//! one set without being known to the next. Adding two servers at once breaks it: from
//! `{A, B, C}` to `{A, B, C, D, E}`, `{B, C}` is a majority of the old set and
//! `{A, D, E}` of the new one (the broken twin [`ChangeRule::ManyAtOnce`] shows it).
//!
//! ## The configuration lives in the log
//!
//! A configuration is a log entry ([`crate::Command::Configuration`]), and a server uses
//! the **latest configuration in its log, committed or not, as soon as it is appended**:
//! waiting for the commit would let a server use a set the leader has already left. If
//! the entry is truncated (it was not committed), the server falls back to the one before
//! it ([`configuration_from`] recomputes it from a base and the log). Quorums everywhere
//! come from the configuration's voters, never from the processes that happen to exist:
//! the commit count (the leader counts itself only if it is a voter), votes and pre-votes,
//! check-quorum and the ReadIndex confirmation.
//!
//! ## The bug, and its fix
//!
//! Single-server changes as first published had a bug (Ongaro, raft-dev, 2015): a leader
//! elected in a new term could append a configuration while an uncommitted configuration
//! of an earlier term from another leader still sat on some servers, and the two changes
//! together moved by two servers. The fix: **a leader proposes a change only once it has
//! committed an entry of its own term** (its no-op), and **one change at a time**: no new
//! configuration entry while the latest one is uncommitted.
//!
//! ## Why learners
//!
//! A new server has an empty log. Made a voter at once, it counts in the majority while it
//! holds nothing: with three voters and one new, empty one, a single slow server stalls
//! every commit. So a new server first joins as a **learner** — it receives the log but
//! does not vote or count — and catches up in rounds: each round replicates what the
//! leader had at the round's start; a round that ends within an election timeout means the
//! learner keeps up, and a second configuration entry promotes it to voter. A learner that
//! cannot keep up within [`crate::Config::catch_up_rounds`] rounds is removed and the
//! change refused.
//!
//! ## Removing the leader
//!
//! A leader whose latest configuration leaves it out keeps leading until that
//! configuration commits: it replicates but does not count itself. Then it steps down, and
//! the remaining voters elect a leader. A removed server that does not hear of its removal
//! times out and asks for pre-votes; voters that hear from a leader refuse them
//! (check-quorum), so it cannot disrupt the cluster.

use crate::config::Config;
use crate::election::majority;
use crate::messages::{Command, Entry, Index, Msg, RequestId};
use crate::server::{Role, Server};
use common::{Ctx, Envelope, ProcessId, Tick};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// A cluster configuration: who votes, and who only receives the log.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Configuration {
    /// The servers whose votes and acknowledgements count in every majority.
    pub voters: BTreeSet<ProcessId>,
    /// Servers that receive the log (catching up before promotion) but never count.
    pub learners: BTreeSet<ProcessId>,
}

impl Configuration {
    /// A configuration of `voters` and no learners.
    pub fn new<S: Into<ProcessId>>(voters: impl IntoIterator<Item = S>) -> Self {
        Configuration {
            voters: voters.into_iter().map(Into::into).collect(),
            learners: BTreeSet::new(),
        }
    }

    /// Whether `id` votes.
    pub fn is_voter(&self, id: impl AsRef<str>) -> bool {
        self.voters.contains(id.as_ref())
    }

    /// Whether `id` is a voter or a learner.
    pub fn is_member(&self, id: impl AsRef<str>) -> bool {
        self.is_voter(id.as_ref()) || self.learners.contains(id.as_ref())
    }

    /// Voters and learners, in order.
    pub fn members(&self) -> BTreeSet<ProcessId> {
        self.voters.union(&self.learners).cloned().collect()
    }

    /// Whether the servers in `ids` include a majority of the voters (non-voters and
    /// repeats do not count).
    pub fn has_quorum<'a>(&self, ids: impl IntoIterator<Item = &'a ProcessId>) -> bool {
        // exercise: count the distinct voters among `ids` (learners and other processes do not count) and compare with a majority of the voters; no voters, no quorum
        // solution-begin
        let counted: BTreeSet<&ProcessId> = ids
            .into_iter()
            .filter(|id| self.voters.contains(*id))
            .collect();
        !self.voters.is_empty() && counted.len() >= majority(self.voters.len())
        // solution-end
    }

    /// The highest value a majority of the voters has reached, given each voter's value
    /// (`value_of` returns `None` for a voter it knows nothing of: it counts as 0). Used
    /// for the commit index (match indexes) and the ReadIndex round.
    pub fn quorum_value(&self, value_of: impl Fn(&ProcessId) -> Option<u64>) -> u64 {
        // exercise: collect every voter's value (0 if unknown) — voters only, never learners or other processes — and return the highest value a majority of the voters has reached (0 with no voters)
        // solution-begin
        let mut values: Vec<u64> = self
            .voters
            .iter()
            .map(|v| value_of(v).unwrap_or(0))
            .collect();
        if values.is_empty() {
            return 0;
        }
        values.sort_unstable_by(|a, b| b.cmp(a));
        values[majority(values.len()) - 1]
        // solution-end
    }
}

impl fmt::Display for Configuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let voters: Vec<&str> = self.voters.iter().map(ProcessId::as_str).collect();
        let learners: Vec<&str> = self.learners.iter().map(ProcessId::as_str).collect();
        write!(f, "voters {voters:?}")?;
        if !learners.is_empty() {
            write!(f, ", learners {learners:?}")?;
        }
        Ok(())
    }
}

/// What an operator asks of the leader.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MembershipChange {
    /// Add a server: first as a learner, then, once caught up, as a voter.
    AddServer(ProcessId),
    /// Remove a server (voter or learner), the leader included.
    RemoveServer(ProcessId),
    /// Add several servers as voters in one configuration entry. Refused unless the
    /// **deliberately broken** [`ChangeRule::ManyAtOnce`] is configured.
    AddVoters(BTreeSet<ProcessId>),
}

/// How many servers one configuration entry may change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ChangeRule {
    /// One server at a time, a learner before a voter (correct).
    #[default]
    OneServer,
    /// **Deliberately broken** (a negative control): [`MembershipChange::AddVoters`] adds
    /// several voters in one entry, without joint consensus, so a majority of the old
    /// configuration and a majority of the new one need not intersect.
    ManyAtOnce,
}

/// The configuration in force after `entries` (in index order), starting from `base` (the
/// bootstrap configuration, or the one recorded with a snapshot) and the index that set
/// it. Returns the latest configuration and the index of the entry that set it.
pub fn configuration_from<'a>(
    base: (Index, Configuration),
    entries: impl Iterator<Item = (Index, &'a Entry)>,
) -> (Index, Configuration) {
    entries.fold(base, |latest, (index, entry)| match &entry.command {
        Command::Configuration(configuration) => (index, configuration.clone()),
        _ => latest,
    })
}

/// What a leader does with a learner's catch-up at the end of a tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CatchUp {
    /// Keep replicating: the round is not over.
    Wait,
    /// The learner keeps up: append the configuration that makes it a voter.
    Promote,
    /// The round ended too slowly (or ran far too long): start another, up to the leader's
    /// last index now.
    NextRound,
    /// The rounds are spent: refuse the change and remove the learner.
    Abort,
}

/// The promotion rule. Round `round` (from 1) has run for `round_ticks` and must bring
/// the learner's match index to `round_end` (the leader's last index when the round
/// started). A round that reaches its end within the minimum election timeout shows the
/// learner keeps up: promote it, once the configuration that made it a learner has
/// committed (one change at a time). A round that reaches its end later, or runs for more
/// than twice the maximum election timeout, starts the next round; after
/// `config.catch_up_rounds` rounds the change is abandoned.
pub fn catch_up_decision(
    config: &Config,
    (round, round_ticks): (u32, Tick),
    matched: Index,
    round_end: Index,
    learner_committed: bool,
) -> CatchUp {
    // exercise: decide from the learner's match index and the round's end and duration: reached in time -> Promote (or Wait until the learner's configuration has committed); reached late, or running past twice the maximum election timeout -> NextRound, or Abort after catch_up_rounds rounds; otherwise Wait
    // solution-begin
    let reached = matched >= round_end;
    let in_time = round_ticks <= config.election_timeout_min();
    if reached && in_time {
        return if learner_committed {
            CatchUp::Promote
        } else {
            CatchUp::Wait
        };
    }
    if reached || round_ticks > 2 * config.election_timeout_ticks.1 {
        return if round >= config.catch_up_rounds {
            CatchUp::Abort
        } else {
            CatchUp::NextRound
        };
    }
    CatchUp::Wait
    // solution-end
}

/// Where an operator's pending change stands, at the leader.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Stage {
    /// The learner catches up in rounds: `round` (from 1) must bring its match index to
    /// `round_end`; it has run for `round_ticks`.
    CatchUp {
        round: u32,
        round_end: Index,
        round_ticks: Tick,
    },
    /// The configuration entry at `index` makes the change true once committed.
    Commit { index: Index },
}

/// An operator's change in progress at the leader.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PendingChange {
    pub(crate) envelope: Envelope<Msg>,
    pub(crate) request: RequestId,
    /// The server being added (for a catch-up).
    pub(crate) server: ProcessId,
    pub(crate) stage: Stage,
}

/// How a change request is handled.
enum Plan {
    /// Already true and committed: answer at once.
    Done,
    /// Append this configuration, then wait for its commit.
    Append(Configuration),
    /// Append this configuration (the server as a learner), then catch it up.
    Learner(Configuration, ProcessId),
    /// The server is already a committed learner: catch it up.
    CatchUp(ProcessId),
}

impl Server {
    /// The latest configuration in the log (committed or not).
    pub fn configuration(&self) -> &Configuration {
        &self.configuration.1
    }

    /// The index of the entry that set the latest configuration (0: the bootstrap one).
    pub fn configuration_index(&self) -> Index {
        self.configuration.0
    }

    /// Whether this node votes in its latest configuration.
    pub fn is_voter(&self) -> bool {
        self.configuration.1.is_voter(&self.id)
    }

    /// The servers a leader replicates to: voters and learners, not itself.
    pub(crate) fn replication_targets(&self) -> Vec<ProcessId> {
        self.configuration
            .1
            .members()
            .into_iter()
            .filter(|m| *m != self.id)
            .collect()
    }

    /// The voters other than this node: whom a candidate asks.
    pub(crate) fn other_voters(&self) -> Vec<ProcessId> {
        self.configuration
            .1
            .voters
            .iter()
            .filter(|m| **m != self.id)
            .cloned()
            .collect()
    }

    /// Recompute the latest configuration from the base and the whole log (after a
    /// truncation or a recovery).
    pub(crate) fn refresh_configuration(&mut self) {
        // Entries the log no longer holds (before a snapshot) are skipped: the base
        // stands for them.
        let from = self.base_configuration.0 + 1;
        let entries = (from..=self.last_index()).filter_map(|i| self.entry(i).map(|e| (i, e)));
        self.configuration = configuration_from(self.base_configuration.clone(), entries);
    }

    /// An entry was appended at `index`: a configuration takes effect at once.
    pub(crate) fn note_appended_configuration(&mut self, index: Index) {
        if let Some(Command::Configuration(configuration)) = self.entry(index).map(|e| &e.command) {
            self.configuration = (index, configuration.clone());
        }
    }

    /// The log was truncated from `index`: fall back to an earlier configuration if the
    /// latest one was cut.
    pub(crate) fn note_truncation(&mut self, index: Index) {
        if self.configuration.0 >= index {
            self.refresh_configuration();
        }
    }

    /// Leader: give new members a progress entry, drop those of servers that left.
    pub(crate) fn sync_progress(&mut self) {
        let targets = self.replication_targets();
        self.progress.retain(|id, _| targets.contains(id));
        let next_index = self.last_index() + 1;
        for target in targets {
            self.progress
                .entry(target)
                .or_insert_with(|| crate::replication::Progress::new(next_index));
        }
    }

    /// Leader: append `configuration` as an entry of the current term; it is in force at
    /// once.
    pub(crate) fn append_configuration(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        configuration: Configuration,
    ) -> Index {
        assert!(
            self.configuration.0 <= self.commit_index,
            "one change at a time: no new configuration while one is uncommitted"
        );
        ctx.note(format!("appends configuration {configuration}"));
        let index = self.append(Entry {
            term: self.current_term,
            command: Command::Configuration(configuration),
        });
        self.sync_progress();
        self.persist(ctx, |_, _| {});
        self.broadcast_appends(ctx);
        index
    }

    fn refuse(
        &self,
        ctx: &mut Ctx<'_, Self>,
        env: &Envelope<Msg>,
        request: RequestId,
        reason: String,
    ) {
        ctx.note(format!("refuses {request}: {reason}"));
        let configuration = self.configuration.1.clone();
        ctx.reply(
            env,
            Msg::Refused {
                request,
                reason,
                configuration,
            },
        );
    }

    /// An operator asks for a membership change.
    pub(crate) fn on_change_membership(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        env: Envelope<Msg>,
        request: RequestId,
        change: MembershipChange,
    ) {
        if self.role != Role::Leader {
            let hint = self.leader.clone().filter(|l| *l != self.id);
            ctx.reply(&env, Msg::NotLeader { request, hint });
            return;
        }
        if let Some(pending) = self.change.as_mut().filter(|c| c.request == request) {
            // A retry of the change in progress: answer the latest attempt.
            pending.envelope = env;
            return;
        }
        let plan = match self.plan_change(ctx, &change) {
            Ok(plan) => plan,
            Err(reason) => return self.refuse(ctx, &env, request, reason),
        };
        let (server, stage) = match plan {
            Plan::Done => {
                let configuration = self.configuration.1.clone();
                ctx.reply(
                    &env,
                    Msg::MembershipChanged {
                        request,
                        configuration,
                    },
                );
                return;
            }
            Plan::Append(configuration) => {
                let index = self.append_configuration(ctx, configuration);
                (self.id.clone(), Stage::Commit { index })
            }
            Plan::Learner(configuration, server) => {
                self.append_configuration(ctx, configuration);
                (server, self.first_round())
            }
            Plan::CatchUp(server) => (server, self.first_round()),
        };
        self.change = Some(PendingChange {
            envelope: env,
            request,
            server,
            stage,
        });
    }

    fn first_round(&self) -> Stage {
        Stage::CatchUp {
            round: 1,
            round_end: self.last_index(),
            round_ticks: 0,
        }
    }

    /// Decide what a change needs, or why it is refused.
    fn plan_change(&self, ctx: &Ctx<'_, Self>, change: &MembershipChange) -> Result<Plan, String> {
        let current = &self.configuration.1;
        let committed = self.configuration.0 <= self.commit_index;
        let done = match change {
            MembershipChange::AddServer(id) => current.is_voter(id),
            MembershipChange::RemoveServer(id) => !current.is_member(id),
            MembershipChange::AddVoters(ids) => ids.iter().all(|id| current.is_voter(id)),
        };
        if done && committed {
            return Ok(Plan::Done);
        }
        if self.change.is_some() || self.transfer.is_some() {
            return Err("another change or transfer is in progress".into());
        }
        if !committed {
            return Err(format!(
                "one change at a time: the configuration at index {} has not committed yet",
                self.configuration.0
            ));
        }
        if self.commit_index < self.term_start {
            return Err(format!(
                "the leader has not yet committed an entry of its term {}",
                self.current_term
            ));
        }
        let known = |id: &ProcessId| ctx.all_nodes().contains(id);
        let mut next = current.clone();
        match change {
            MembershipChange::AddServer(id) if !known(id) => Err(format!("unknown server {id}")),
            MembershipChange::AddServer(id) if current.is_member(id) => {
                Ok(Plan::CatchUp(id.clone()))
            }
            MembershipChange::AddServer(id) => {
                next.learners.insert(id.clone());
                Ok(Plan::Learner(next, id.clone()))
            }
            MembershipChange::RemoveServer(id) => {
                next.voters.remove(id);
                next.learners.remove(id);
                if next.voters.is_empty() {
                    return Err(format!("removing {id} would leave no voters"));
                }
                Ok(Plan::Append(next))
            }
            MembershipChange::AddVoters(ids) => {
                if self.config.change_rule != ChangeRule::ManyAtOnce {
                    return Err(
                        "one server at a time: add servers one by one, each as a learner first"
                            .into(),
                    );
                }
                if let Some(id) = ids.iter().find(|id| !known(id)) {
                    return Err(format!("unknown server {id}"));
                }
                for id in ids {
                    next.learners.remove(id);
                    next.voters.insert(id.clone());
                }
                Ok(Plan::Append(next))
            }
        }
    }

    /// Leader, once per tick: drive the catch-up rounds, answer a committed change, and
    /// step down once a configuration without this node has committed.
    pub(crate) fn membership_tick(&mut self, ctx: &mut Ctx<'_, Self>) {
        if self.role != Role::Leader {
            return;
        }
        self.advance_catch_up(ctx);
        self.finish_change(ctx);
        if !self.is_voter() && self.configuration.0 <= self.commit_index {
            ctx.note("steps down: the committed configuration leaves it out");
            let term = self.current_term;
            self.become_follower(ctx, term, None);
            self.reset_election_timer(ctx);
        }
    }

    fn advance_catch_up(&mut self, ctx: &mut Ctx<'_, Self>) {
        let Some(PendingChange {
            server,
            stage:
                Stage::CatchUp {
                    round,
                    round_end,
                    round_ticks,
                },
            ..
        }) = self.change.clone()
        else {
            return;
        };
        let matched = self.match_index(server.as_str()).unwrap_or(0);
        let round_ticks = round_ticks + 1;
        let committed = self.configuration.0 <= self.commit_index;
        let next_stage = match catch_up_decision(
            &self.config,
            (round, round_ticks),
            matched,
            round_end,
            committed,
        ) {
            CatchUp::Wait => Stage::CatchUp {
                round,
                round_end,
                round_ticks,
            },
            CatchUp::Promote => {
                let mut next = self.configuration.1.clone();
                next.learners.remove(&server);
                next.voters.insert(server.clone());
                let index = self.append_configuration(ctx, next);
                ctx.note(format!("promotes {server} to voter after {round} rounds"));
                Stage::Commit { index }
            }
            CatchUp::NextRound => Stage::CatchUp {
                round: round + 1,
                round_end: self.last_index(),
                round_ticks: 0,
            },
            CatchUp::Abort => {
                self.abort_catch_up(ctx, &server, round);
                return;
            }
        };
        if let Some(change) = self.change.as_mut() {
            change.stage = next_stage;
        }
    }

    fn abort_catch_up(&mut self, ctx: &mut Ctx<'_, Self>, server: &ProcessId, rounds: u32) {
        let Some(change) = self.change.take() else {
            return;
        };
        if self.configuration.0 <= self.commit_index {
            let mut next = self.configuration.1.clone();
            next.learners.remove(server);
            self.append_configuration(ctx, next);
        }
        let reason = format!("{server} did not catch up within {rounds} rounds");
        self.refuse(ctx, &change.envelope, change.request, reason);
    }

    fn finish_change(&mut self, ctx: &mut Ctx<'_, Self>) {
        let Some(PendingChange {
            stage: Stage::Commit { index },
            ..
        }) = self.change
        else {
            return;
        };
        if self.commit_index < index {
            return;
        }
        let Some(change) = self.change.take() else {
            return;
        };
        let configuration = self.configuration.1.clone();
        ctx.reply(
            &change.envelope,
            Msg::MembershipChanged {
                request: change.request,
                configuration,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Configuration {
        Configuration {
            voters: ["a", "b", "c"].map(ProcessId::new).into(),
            learners: ["d"].map(ProcessId::new).into(),
        }
    }

    #[test]
    fn a_quorum_counts_voters_only() {
        let c = config();
        let ids = ["a", "d", "x"].map(ProcessId::new);
        assert!(
            !c.has_quorum(&ids),
            "one voter, a learner and a stranger are no majority"
        );
        let ids = ["a", "c"].map(ProcessId::new);
        assert!(c.has_quorum(&ids), "two of three voters are a majority");
    }

    #[test]
    fn the_quorum_value_ignores_learners_and_unknown_voters_count_as_zero() {
        let c = config();
        let value = |id: &ProcessId| match id.as_str() {
            "a" => Some(9),
            "b" => Some(5),
            "d" => Some(100),
            _ => None,
        };
        assert_eq!(
            c.quorum_value(value),
            5,
            "a and b reached 5; the learner's 100 does not count"
        );
    }

    #[test]
    fn a_learner_is_promoted_only_after_a_round_reached_in_time_and_a_committed_configuration() {
        let config = Config::default();
        let min = config.election_timeout_min();
        assert_eq!(
            catch_up_decision(&config, (1, min), 10, 10, true),
            CatchUp::Promote,
            "a round reached within the minimum election timeout promotes"
        );
        assert_eq!(
            catch_up_decision(&config, (1, min), 10, 10, false),
            CatchUp::Wait,
            "one change at a time: wait for the learner's configuration to commit"
        );
        assert_eq!(
            catch_up_decision(&config, (1, min + 1), 10, 10, true),
            CatchUp::NextRound,
            "a slow round starts another"
        );
        assert_eq!(
            catch_up_decision(&config, (1, 3), 9, 10, true),
            CatchUp::Wait,
            "a round in progress waits"
        );
        assert_eq!(
            catch_up_decision(&config, (config.catch_up_rounds, min + 1), 10, 10, true),
            CatchUp::Abort,
            "the last slow round gives up"
        );
    }

    #[test]
    fn a_round_still_unreached_after_twice_the_maximum_election_timeout_starts_another() {
        let config = Config::default();
        let limit = 2 * config.election_timeout_ticks.1;
        assert_eq!(
            catch_up_decision(&config, (1, limit), 9, 10, true),
            CatchUp::Wait,
            "an unreached round may run for twice the maximum election timeout"
        );
        assert_eq!(
            catch_up_decision(&config, (1, limit + 1), 9, 10, true),
            CatchUp::NextRound,
            "one tick more, and it starts another round from the leader's last index"
        );
        assert_eq!(
            catch_up_decision(&config, (config.catch_up_rounds, limit + 1), 9, 10, true),
            CatchUp::Abort,
            "or, in the last round, gives up"
        );
    }

    #[test]
    fn the_configuration_is_the_latest_in_the_log_or_the_base() {
        let base = (0, Configuration::new(["a"]));
        let entries = [
            Entry {
                term: 1,
                command: Command::NoOp,
            },
            Entry {
                term: 1,
                command: Command::Configuration(config()),
            },
            Entry {
                term: 2,
                command: Command::NoOp,
            },
        ];
        let indexed = || entries.iter().enumerate().map(|(i, e)| (i as Index + 1, e));
        assert_eq!(
            configuration_from(base.clone(), indexed()),
            (2, config()),
            "the configuration entry at index 2 is in force"
        );
        assert_eq!(
            configuration_from(base.clone(), indexed().take(1)),
            base,
            "without a configuration entry, the base is"
        );
    }
}
