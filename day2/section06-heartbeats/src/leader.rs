//! The leader's side: the full-log prepare that elects a leader, the merge of what the
//! promises report, and phase 2, pipelined over slots.

use crate::messages::{Ballot, Msg, Proposal, Slot, SlotReport, Value};
use crate::server::{Role, Server};
use common::{Ctx, QuorumOutcome, QuorumPolicy};
use std::collections::BTreeMap;

/// What a new leader learned from a majority of promises, merged slot by slot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Merged {
    /// Slots some promise reported committed: their values are final.
    pub committed: BTreeMap<Slot, Value>,
    /// Per slot not known committed, the highest-ballot proposal any promise reported.
    pub accepted: BTreeMap<Slot, Proposal>,
    /// The highest slot any promise (or this node) reported; 0 if none.
    pub last: Slot,
}

/// Merge the slot reports of a majority of promises.
///
pub fn merge_reports<'a>(reports: impl IntoIterator<Item = &'a SlotReport>) -> Merged {
    let mut merged = Merged::default();
    for report in reports {
        merged.last = merged.last.max(report.slot);
        if let Some(value) = &report.committed {
            merged.committed.insert(report.slot, value.clone());
        }
        if let Some(proposal) = &report.accepted {
            let higher = merged
                .accepted
                .get(&report.slot)
                .is_none_or(|known| known.ballot < proposal.ballot);
            if higher {
                merged.accepted.insert(report.slot, proposal.clone());
            }
        }
    }
    merged
        .accepted
        .retain(|slot, _| !merged.committed.contains_key(slot));
    merged
}

/// What a new leader does with slot `slot` of the range it inherited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// Known committed: learn it (and tell the others).
    Learn(Value),
    /// Not known committed: propose this value under the new ballot — the highest
    /// accepted one, or a no-op for a hole nobody accepted anything in.
    Propose(Value),
}

/// The recovery action for `slot`, given the merged promises.
pub fn recovery_for(merged: &Merged, slot: Slot) -> Recovery {
    if let Some(value) = merged.committed.get(&slot) {
        return Recovery::Learn(value.clone());
    }
    match merged.accepted.get(&slot) {
        Some(proposal) => Recovery::Propose(proposal.value.clone()),
        None => Recovery::Propose(Value::NoOp),
    }
}

impl Server {
    /// Stand for election: a fresh ballot above every round seen, this node's own vote
    /// for it, and a full-log `Prepare` from the first slot this node has not executed,
    /// to every node. The failure detector calls it when the leader went silent (after a
    /// pre-vote); tests may call it by hand.
    pub fn start_election(&mut self, ctx: &mut Ctx<'_, Self>) {
        let round = self.round_seen.max(self.promised.round) + 1;
        let ballot = Ballot::new(round, self.id.clone());
        self.round_seen = round;
        self.stop_heartbeats(ctx);
        self.role = Role::Candidate {
            ballot: ballot.clone(),
        };
        // The candidate's own vote: from now on it refuses every other candidate of this
        // round. (It is made durable, and counted, when its own `Prepare` arrives.)
        self.promised = ballot.clone();
        self.restart_election_timer(ctx);
        self.stats.elections += 1;
        // Slots given under an earlier leadership are re-decided by this election.
        for waiting in &mut self.waiting {
            waiting.slot = None;
        }
        ctx.note(format!("stands for election with {ballot}"));
        let expected = ballot.clone();
        let policy = QuorumPolicy::majority()
            .accept(move |m| matches!(m, Msg::Promise { ballot, .. } if *ballot == expected))
            .timeout(self.config.phase_timeout_ticks);
        let targets = ctx.all_nodes().to_vec();
        let from = self.executed_through + 1;
        let msg = Msg::Prepare {
            ballot: ballot.clone(),
            from,
        };
        self.stats.messages_to_servers += ctx.peers().len() as u64;
        ctx.quorum(&targets, msg, policy, move |node, ctx, outcome| {
            node.on_election_outcome(ctx, ballot, outcome);
        });
    }

    fn on_election_outcome(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        ballot: Ballot,
        outcome: QuorumOutcome<Msg>,
    ) {
        if self.observe_rejections(ctx, &outcome) {
            return;
        }
        if self.role
            != (Role::Candidate {
                ballot: ballot.clone(),
            })
        {
            return;
        }
        if !outcome.succeeded {
            ctx.note(format!(
                "election with {ballot} failed: no majority answered"
            ));
            self.role = Role::Follower { leader: None };
            self.send_waiting_away(ctx);
            // The election timer keeps running: the next attempt comes one (fresh,
            // random) election timeout after this one started.
            return;
        }
        let reports: Vec<SlotReport> = outcome
            .accepted_replies()
            .flat_map(|(_, reply)| match reply {
                Msg::Promise { slots, .. } => slots.clone(),
                _ => Vec::new(),
            })
            .collect();
        self.become_leader(ctx, ballot, &reports);
    }

    /// A majority promised `ballot`: take the leader's role (stop the election timer,
    /// start heartbeats), merge what the promises reported, finish every inherited slot
    /// under `ballot`, then take client requests after all of them.
    fn become_leader(&mut self, ctx: &mut Ctx<'_, Self>, ballot: Ballot, reports: &[SlotReport]) {
        let from = self.executed_through + 1;
        let mut merged = merge_reports(reports);
        merged.last = merged.last.max(self.executed_through);
        self.role = Role::Leader {
            ballot: ballot.clone(),
        };
        self.start_leading(ctx);
        self.next_slot = merged.last + 1;
        let recovered = if merged.last >= from {
            format!("recovers slots {from}..={}", merged.last)
        } else {
            format!("nothing to recover after slot {}", from - 1)
        };
        ctx.note(format!(
            "leads with {ballot}: {recovered}, next slot {}",
            self.next_slot
        ));
        for slot in from..=merged.last {
            match recovery_for(&merged, slot) {
                Recovery::Learn(value) => {
                    self.learn(ctx, slot, value.clone());
                    self.stats.messages_to_servers += ctx.peers().len() as u64;
                    for peer in ctx.peers().to_vec() {
                        ctx.send(
                            peer,
                            Msg::Commit {
                                slot,
                                value: value.clone(),
                            },
                        );
                    }
                }
                Recovery::Propose(value) => self.propose(ctx, slot, value, ballot.clone()),
            }
        }
        self.assign_waiting(ctx);
    }

    /// Give the waiting clients that have no slot yet the leader's next slots and
    /// propose them.
    pub(crate) fn assign_waiting(&mut self, ctx: &mut Ctx<'_, Self>) {
        let Role::Leader { ballot } = self.role.clone() else {
            return;
        };
        for i in 0..self.waiting.len() {
            if self.waiting[i].slot.is_some() {
                continue;
            }
            let slot = self.next_slot;
            self.next_slot += 1;
            self.waiting[i].slot = Some(slot);
            let value = self.waiting[i].value();
            self.propose(ctx, slot, value, ballot.clone());
        }
    }

    /// Phase 2 for one slot: `Accept` to every node; on a majority, learn the value and
    /// send `Commit` to the others; on a higher ballot, step down; otherwise try again.
    pub(crate) fn propose(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        slot: Slot,
        value: Value,
        ballot: Ballot,
    ) {
        self.stats.proposals += 1;
        let expected = ballot.clone();
        let policy = QuorumPolicy::majority()
            .accept(move |m| matches!(m, Msg::Accepted { ballot, .. } if *ballot == expected))
            .timeout(self.config.phase_timeout_ticks);
        let targets = ctx.all_nodes().to_vec();
        let msg = Msg::Accept {
            ballot: ballot.clone(),
            slot,
            value: value.clone(),
        };
        self.stats.messages_to_servers += ctx.peers().len() as u64;
        ctx.quorum(&targets, msg, policy, move |node, ctx, outcome| {
            if node.observe_rejections(ctx, &outcome) {
                return;
            }
            if node.role
                != (Role::Leader {
                    ballot: ballot.clone(),
                })
            {
                return;
            }
            if outcome.succeeded {
                node.learn(ctx, slot, value.clone());
                node.stats.messages_to_servers += ctx.peers().len() as u64;
                for peer in ctx.peers().to_vec() {
                    ctx.send(
                        peer,
                        Msg::Commit {
                            slot,
                            value: value.clone(),
                        },
                    );
                }
                return;
            }
            node.stats.accept_retries += 1;
            let retry = node.config.accept_retry_ticks;
            ctx.after(retry, move |node, ctx| {
                let still_leading = node.role
                    == (Role::Leader {
                        ballot: ballot.clone(),
                    });
                if still_leading && node.committed(slot).is_none() {
                    node.propose(ctx, slot, value, ballot);
                }
            });
        });
    }

    /// Step down if a reply names a promise above this node's own ballot. Returns
    /// whether it did.
    fn observe_rejections(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        outcome: &QuorumOutcome<Msg>,
    ) -> bool {
        let highest = outcome
            .replies
            .values()
            .filter_map(|reply| match reply {
                Msg::Reject { promised, .. } => Some(promised),
                _ => None,
            })
            .max()
            .cloned();
        let Some(promised) = highest else {
            return false;
        };
        self.round_seen = self.round_seen.max(promised.round);
        if self.own_ballot().is_some_and(|own| promised > *own) {
            self.follow(ctx, &promised);
            return true;
        }
        false
    }

    /// After slots executed: a leader gives waiting clients whose slot was decided for
    /// another value a new slot, and assigns any that wait for one.
    pub(crate) fn after_execution(&mut self, ctx: &mut Ctx<'_, Self>) {
        if !self.is_leader() {
            return;
        }
        let executed = self.executed_through;
        for waiting in &mut self.waiting {
            if waiting.slot.is_some_and(|slot| slot <= executed) {
                waiting.slot = None;
            }
        }
        self.assign_waiting(ctx);
    }
}
