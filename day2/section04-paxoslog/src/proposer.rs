//! The proposer: places the clients waiting at this node into the log, one request at a
//! time, each in the first slot it can win.
//!
//! A run serves one request. It starts at the first slot this node does not know to be
//! committed and runs single-decree Paxos there. If the slot turns out to hold another
//! value (adopted from a promise, or reported `Decided`), that is progress, not
//! failure: the run commits it and moves to the next open slot with the same request.
//! A failed phase (refusals, timeouts) is a failed attempt: the run backs off for a
//! random time and tries a higher ballot; after [`Config::max_attempts`] failures the
//! client is told `Undecided`.
//!
//! The run's progress is an explicit phase (`Reserving` → `Preparing` → `Accepting`,
//! `BackingOff` between attempts). Every callback names the run and the ballot it
//! belongs to and does nothing if the run has moved on, so late replies and timers are
//! harmless.
//!
//! [`Config::max_attempts`]: crate::Config::max_attempts

use crate::config::ProposerMode;
use crate::messages::{Ballot, CommittedEntry, Msg, Proposal, RequestId, Slot, Value};
use crate::server::Server;
use crate::storage::ROUNDS_KEY;
use common::{Ctx, QuorumOutcome, QuorumPolicy};

/// Where the current proposer run is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Making the rounds up to `up_to` durable as reserved, so no incarnation of this
    /// node reuses a ballot; `round` is the one about to be used.
    Reserving {
        /// The round about to be used.
        round: u64,
        /// The highest round the write reserves.
        up_to: u64,
    },
    /// Phase 1: waiting for a majority of promises.
    Preparing {
        /// The ballot prepared.
        ballot: Ballot,
    },
    /// Phase 2: waiting for a majority of acceptances.
    Accepting {
        /// The ballot and value proposed.
        proposal: Proposal,
    },
    /// Waiting (a random time) before the next attempt, or about to start one.
    BackingOff,
}

/// One proposer run: the attempts made to place one client request in the log.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProposerRun {
    pub(crate) id: u64,
    pub(crate) request: RequestId,
    pub(crate) slot: Slot,
    pub(crate) failed_attempts: u32,
    pub(crate) phase: Phase,
}

impl ProposerRun {
    /// The request being placed.
    pub fn request(&self) -> &RequestId {
        &self.request
    }

    /// The slot the run is working on.
    pub fn slot(&self) -> Slot {
        self.slot
    }

    /// The ballot of the current phase, if it has one.
    pub fn ballot(&self) -> Option<&Ballot> {
        match &self.phase {
            Phase::Preparing { ballot } => Some(ballot),
            Phase::Accepting { proposal } => Some(&proposal.ballot),
            Phase::Reserving { .. } | Phase::BackingOff => None,
        }
    }

    /// The current phase.
    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// Failed attempts so far.
    pub fn failed_attempts(&self) -> u32 {
        self.failed_attempts
    }
}

impl Server {
    /// Start a run for the first waiting request not yet known to be in a slot, unless
    /// a run is already in progress.
    pub(crate) fn kick_proposer(&mut self, ctx: &mut Ctx<'_, Self>) {
        if self.proposer.is_some() {
            return;
        }
        let Some(request) = self
            .waiting
            .iter()
            .find(|w| w.placed.is_none())
            .map(|w| w.request.clone())
        else {
            return;
        };
        self.next_run += 1;
        let run = self.next_run;
        self.proposer = Some(ProposerRun {
            id: run,
            request,
            slot: self.first_open_slot(),
            failed_attempts: 0,
            phase: Phase::BackingOff,
        });
        self.start_attempt(ctx, run);
    }

    /// The run is over (its request is in a slot, or given up): start the next one.
    fn finish_run(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.proposer = None;
        self.kick_proposer(ctx);
    }

    /// The first slot after the executed prefix that this node does not know to be
    /// committed: where a new request goes.
    pub fn first_open_slot(&self) -> Slot {
        // exercise: the first slot after the executed prefix that this node does not know to be committed (the Java proposer walked from slot 0 on every request, re-deciding all of history)
        // solution-begin
        let mut slot = self.executed_through + 1;
        while self.committed(slot).is_some() {
            slot += 1;
        }
        slot
        // solution-end
    }

    /// The current run if it is `run` and in a phase matching `phase`.
    fn current(&mut self, run: u64, phase: impl Fn(&Phase) -> bool) -> Option<&mut ProposerRun> {
        self.proposer
            .as_mut()
            .filter(|p| p.id == run && phase(&p.phase))
    }

    /// The waiting client of `request`, if it is still waiting and not yet placed.
    fn unplaced(&self, request: &RequestId) -> Option<Value> {
        self.waiting
            .iter()
            .find(|w| w.request == *request && w.placed.is_none())
            .map(|w| w.value())
    }

    /// Next attempt: find the open slot, take a fresh round (reserving a block of rounds
    /// durably first if it is used up), then prepare.
    fn start_attempt(&mut self, ctx: &mut Ctx<'_, Self>, run: u64) {
        let Some(proposer) = self.current(run, |p| *p == Phase::BackingOff) else {
            return;
        };
        let request = proposer.request.clone();
        if self.unplaced(&request).is_none() {
            self.finish_run(ctx); // placed meanwhile, answered, or given up
            return;
        }
        // Every slot the run tried before is committed here by now (it moves on from a
        // slot only once it learned who holds it), so the first open slot is past them.
        let slot = self.first_open_slot();
        let round = self.next_round();
        self.note_round(round);
        let reserved = self.round_reserved;
        let up_to = round + self.config.rounds_per_reservation.max(1) - 1;
        let Some(proposer) = self.current(run, |_| true) else {
            return;
        };
        proposer.slot = slot;
        if round <= reserved {
            let ballot = Ballot::new(round, self.id.clone());
            self.prepare(ctx, run, slot, ballot);
            return;
        }
        proposer.phase = Phase::Reserving { round, up_to };
        ctx.persist(ROUNDS_KEY, &up_to, move |node: &mut Self, ctx, written| {
            node.on_rounds_reserved(ctx, run, slot, round, up_to, written.is_ok())
        })
        .expect("a round number always encodes");
    }

    /// The round reservation is written (or failed): prepare with the round, or retry.
    fn on_rounds_reserved(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        run: u64,
        slot: Slot,
        round: u64,
        up_to: u64,
        written: bool,
    ) {
        if written {
            self.round_reserved = self.round_reserved.max(up_to);
        }
        let reserving = Phase::Reserving { round, up_to };
        if self.current(run, |p| *p == reserving).is_none() {
            return;
        }
        if written {
            let ballot = Ballot::new(round, self.id.clone());
            self.prepare(ctx, run, slot, ballot);
        } else {
            self.retry_later(ctx, run, format!("could not reserve rounds up to {up_to}"));
        }
    }

    /// The round of this node's next ballot: above every round it has seen or used,
    /// and above every round it reserved before its last restart.
    pub(crate) fn next_round(&self) -> u64 {
        self.round_seen + 1
    }

    /// Phase 1a: ask every acceptor to promise `ballot` for `slot`.
    fn prepare(&mut self, ctx: &mut Ctx<'_, Self>, run: u64, slot: Slot, ballot: Ballot) {
        if let Some(proposer) = self.current(run, |_| true) {
            proposer.phase = Phase::Preparing {
                ballot: ballot.clone(),
            };
        }
        self.stats.ballots += 1;
        ctx.note(format!("slot {slot}: prepare {ballot}"));
        let targets = ctx.all_nodes().to_vec();
        let mine = ballot.clone();
        let policy = QuorumPolicy::majority()
            .timeout(self.config.phase_timeout_ticks)
            .accept(move |m: &Msg| {
                matches!(m, Msg::Promise { slot: s, ballot, .. } if *s == slot && *ballot == mine)
            });
        let request = Msg::Prepare {
            slot,
            ballot: ballot.clone(),
            executed_through: self.executed_through,
        };
        ctx.quorum(
            &targets,
            request,
            policy,
            move |node: &mut Self, ctx, outcome| node.on_promises(ctx, run, slot, ballot, outcome),
        );
    }

    /// Phase 1 decided: with a majority of promises, propose (the adopted value, or the
    /// client's); otherwise back off.
    fn on_promises(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        run: u64,
        slot: Slot,
        ballot: Ballot,
        outcome: QuorumOutcome<Msg>,
    ) {
        let preparing = Phase::Preparing {
            ballot: ballot.clone(),
        };
        let Some(request) = self
            .current(run, |p| *p == preparing)
            .map(|p| p.request.clone())
        else {
            return;
        };
        self.learn_rounds(&outcome);
        if self.settle_if_decided(ctx, run, slot, &outcome) {
            return;
        }
        if !outcome.succeeded {
            self.retry_later(ctx, run, format!("slot {slot}: prepare {ballot} failed"));
            return;
        }
        let Some(own) = self.unplaced(&request) else {
            self.finish_run(ctx);
            return;
        };
        let value = match self.config.proposer_mode {
            ProposerMode::AdoptHighest => choose_value(&outcome, own),
            // BROKEN on purpose: whatever the promises reported is ignored.
            ProposerMode::IgnoreAcceptedValues => own,
        };
        self.accept(ctx, run, slot, Proposal { ballot, value });
    }

    /// Phase 2a: ask every acceptor to accept `proposal` in `slot`.
    fn accept(&mut self, ctx: &mut Ctx<'_, Self>, run: u64, slot: Slot, proposal: Proposal) {
        if let Some(proposer) = self.current(run, |_| true) {
            proposer.phase = Phase::Accepting {
                proposal: proposal.clone(),
            };
        }
        ctx.note(format!(
            "slot {slot}: propose {} in {}",
            proposal.value, proposal.ballot
        ));
        let targets = ctx.all_nodes().to_vec();
        let mine = proposal.ballot.clone();
        let policy = QuorumPolicy::majority()
            .timeout(self.config.phase_timeout_ticks)
            .accept(move |m: &Msg| {
                matches!(m, Msg::Accepted { slot: s, ballot } if *s == slot && *ballot == mine)
            });
        let request = Msg::Accept {
            slot,
            proposal: proposal.clone(),
            executed_through: self.executed_through,
        };
        ctx.quorum(
            &targets,
            request,
            policy,
            move |node: &mut Self, ctx, outcome| {
                node.on_accepted(ctx, run, slot, proposal, outcome)
            },
        );
    }

    /// Phase 2 decided: a majority accepted, so the value is chosen; learn it here, tell
    /// everyone, and move on.
    fn on_accepted(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        run: u64,
        slot: Slot,
        proposal: Proposal,
        outcome: QuorumOutcome<Msg>,
    ) {
        let accepting = Phase::Accepting {
            proposal: proposal.clone(),
        };
        if self.current(run, |p| *p == accepting).is_none() {
            return;
        }
        if self.settle_if_decided(ctx, run, slot, &outcome) {
            return;
        }
        if !outcome.succeeded {
            self.learn_rounds(&outcome);
            let why = format!("slot {slot}: accept {} failed", proposal.ballot);
            self.retry_later(ctx, run, why);
            return;
        }
        let Proposal { ballot, value } = proposal;
        ctx.note(format!("slot {slot}: chosen {value} in {ballot}"));
        self.learn(
            ctx,
            vec![CommittedEntry {
                slot,
                value: value.clone(),
            }],
        );
        for peer in ctx.peers().to_vec() {
            let commit = Msg::Commit {
                slot,
                value: value.clone(),
                executed_through: self.executed_through,
            };
            ctx.send(peer, commit);
        }
        self.after_decided(ctx, run, &value);
    }

    /// If `slot` turned out to be decided already (committed here, or an acceptor
    /// answered `Decided`), learn it and move on. Returns whether it was.
    fn settle_if_decided(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        run: u64,
        slot: Slot,
        outcome: &QuorumOutcome<Msg>,
    ) -> bool {
        let reported = outcome.replies.values().find_map(|reply| match reply {
            Msg::Decided { slot: s, value } if *s == slot => Some(value.clone()),
            _ => None,
        });
        let Some(value) = self.committed(slot).cloned().or(reported) else {
            return false;
        };
        self.learn(
            ctx,
            vec![CommittedEntry {
                slot,
                value: value.clone(),
            }],
        );
        self.after_decided(ctx, run, &value);
        true
    }

    /// The run's slot holds `value`. If it is the run's own request the run is over (its client is
    /// answered when the slot executes); otherwise try the next open slot at once.
    fn after_decided(&mut self, ctx: &mut Ctx<'_, Self>, run: u64, value: &Value) {
        let Some(proposer) = self.current(run, |_| true) else {
            return;
        };
        if proposer.request == value.request {
            self.stats.placed += 1;
            self.finish_run(ctx);
            return;
        }
        self.stats.slots_lost += 1;
        let Some(proposer) = self.current(run, |_| true) else {
            return;
        };
        proposer.phase = Phase::BackingOff;
        self.start_attempt(ctx, run);
    }

    /// Raise `round_seen` from the ballots the replies mention.
    fn learn_rounds(&mut self, outcome: &QuorumOutcome<Msg>) {
        for reply in outcome.replies.values() {
            match reply {
                Msg::Reject { promised, .. } => self.note_round(promised.round),
                Msg::Promise {
                    accepted: Some(p), ..
                } => self.note_round(p.ballot.round),
                _ => {}
            }
        }
    }

    /// Back off for a random time, then try a new ballot; give up after `max_attempts`
    /// failures, answering the client `Undecided`.
    fn retry_later(&mut self, ctx: &mut Ctx<'_, Self>, run: u64, why: String) {
        let max_attempts = self.config.max_attempts;
        let Some(proposer) = self.current(run, |_| true) else {
            return;
        };
        proposer.failed_attempts += 1;
        proposer.phase = Phase::BackingOff;
        let attempts = proposer.failed_attempts;
        let request = proposer.request.clone();
        self.stats.failed_attempts += 1;
        if attempts >= max_attempts {
            ctx.note(format!(
                "{why}; giving up on {request} after {attempts} attempts"
            ));
            if let Some(at) = self.waiting.iter().position(|w| w.request == request) {
                let client = self.waiting.remove(at);
                ctx.reply(&client.envelope, Msg::Undecided { request, attempts });
            }
            self.finish_run(ctx);
            return;
        }
        let (min, max) = self.config.backoff_window(attempts);
        let delay = ctx.rng().range(min, max);
        ctx.note(format!("{why}; retrying in {delay} ticks"));
        ctx.after(delay, move |node: &mut Self, ctx| {
            node.start_attempt(ctx, run)
        });
    }
}

/// The value a proposer must propose after a majority promised: the value of the
/// highest-ballot proposal any of them accepted in the slot, or its own client's value
/// if none did.
pub fn choose_value(promises: &QuorumOutcome<Msg>, own: Value) -> Value {
    // exercise: among the accepted promises, adopt the value of the accepted proposal with the highest ballot; only if no promise reports one, propose the client's own value
    // solution-begin
    promises
        .accepted_replies()
        .filter_map(|(_, reply)| match reply {
            Msg::Promise { accepted, .. } => accepted.as_ref(),
            _ => None,
        })
        .max_by(|a, b| a.ballot.cmp(&b.ballot))
        .map(|highest| highest.value.clone())
        .unwrap_or(own)
    // solution-end
}
