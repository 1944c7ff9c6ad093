//! The proposer: runs ballots for the clients waiting at this node until a value is
//! chosen, backing off at random between attempts so duelling proposers finish.
//!
//! One run per node at a time; its progress is an explicit phase
//! (`Reserving` → `Preparing` → `Accepting` → `Committing`, or `BackingOff` between
//! attempts). Every callback names the run and the ballot it belongs to and does
//! nothing if the run has moved on, so late replies and timers are harmless.

use crate::config::ProposerMode;
use crate::messages::{Ballot, Msg, Proposal, Value};
use crate::server::{PROPOSER_KEY, Server};
use common::{Ctx, ProcessId, QuorumMode, QuorumOutcome, QuorumPolicy};

/// Where the current proposer run is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Making `round` durable as used, so no incarnation of this node reuses it.
    Reserving {
        /// The round being reserved.
        round: u64,
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
    /// A majority accepted: the value is chosen and the commit is on its way.
    Committing {
        /// The chosen proposal.
        proposal: Proposal,
    },
    /// Waiting (a random time) before the next attempt.
    BackingOff,
}

/// One proposer run: the attempts made for the clients waiting at this node.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProposerRun {
    pub(crate) id: u64,
    pub(crate) attempt: u32,
    pub(crate) phase: Phase,
}

impl ProposerRun {
    /// The ballot of the current phase, if it has one.
    pub fn ballot(&self) -> Option<&Ballot> {
        match &self.phase {
            Phase::Preparing { ballot } => Some(ballot),
            Phase::Accepting { proposal } | Phase::Committing { proposal } => {
                Some(&proposal.ballot)
            }
            Phase::Reserving { .. } | Phase::BackingOff => None,
        }
    }

    /// The current phase.
    pub fn phase(&self) -> &Phase {
        &self.phase
    }
}

impl Server {
    /// Start a run for the waiting clients.
    pub(crate) fn start_run(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.next_run += 1;
        let run = self.next_run;
        self.proposer = Some(ProposerRun {
            id: run,
            attempt: 0,
            phase: Phase::BackingOff,
        });
        self.start_attempt(ctx, run);
    }

    /// The current run if it is `run` and in a phase matching `phase`.
    fn current(&mut self, run: u64, phase: impl Fn(&Phase) -> bool) -> Option<&mut ProposerRun> {
        self.proposer
            .as_mut()
            .filter(|p| p.id == run && phase(&p.phase))
    }

    /// Next attempt: reserve a fresh round durably, then prepare a ballot with it.
    fn start_attempt(&mut self, ctx: &mut Ctx<'_, Self>, run: u64) {
        if self.acceptor.committed.is_some() {
            return; // decided meanwhile: the learner answers the clients
        }
        let round = self.next_round();
        let Some(proposer) = self.current(run, |p| *p == Phase::BackingOff) else {
            return;
        };
        proposer.attempt += 1;
        proposer.phase = Phase::Reserving { round };
        self.note_round(round);
        ctx.persist(
            PROPOSER_KEY,
            &round,
            move |node: &mut Self, ctx, written| {
                if written.is_err() {
                    node.retry_later(ctx, run, format!("could not reserve round {round}"));
                    return;
                }
                node.round_reserved = node.round_reserved.max(round);
                if node
                    .current(run, |p| *p == Phase::Reserving { round })
                    .is_some()
                {
                    let ballot = Ballot::new(round, node.id.clone());
                    node.prepare(ctx, run, ballot);
                }
            },
        )
        .expect("a round number always encodes");
    }

    /// The round of this node's next ballot.
    pub(crate) fn next_round(&self) -> u64 {
        // exercise: pick a round above every round this node has seen (promised, accepted, reported in a rejection) and every round it reserved before, so its ballot is new and can win
        // solution-begin
        self.round_seen.max(self.round_reserved) + 1
        // solution-end
    }

    /// Phase 1a: ask every acceptor to promise `ballot`.
    fn prepare(&mut self, ctx: &mut Ctx<'_, Self>, run: u64, ballot: Ballot) {
        if let Some(proposer) = self.current(run, |_| true) {
            proposer.phase = Phase::Preparing {
                ballot: ballot.clone(),
            };
        }
        ctx.note(format!("prepare {ballot}"));
        let targets = ctx.all_nodes().to_vec();
        let mine = ballot.clone();
        let policy = QuorumPolicy::majority()
            .timeout(self.config.phase_timeout_ticks)
            .accept(move |m: &Msg| matches!(m, Msg::Promise { ballot, .. } if *ballot == mine));
        let request = Msg::Prepare {
            ballot: ballot.clone(),
        };
        ctx.quorum(
            &targets,
            request,
            policy,
            move |node: &mut Self, ctx, outcome| node.on_promises(ctx, run, ballot, outcome),
        );
    }

    /// Phase 1 decided: with a majority of promises, propose; otherwise back off.
    fn on_promises(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        run: u64,
        ballot: Ballot,
        outcome: QuorumOutcome<Msg>,
    ) {
        let preparing = Phase::Preparing {
            ballot: ballot.clone(),
        };
        if self.current(run, |p| *p == preparing).is_none() {
            return;
        }
        self.learn_rounds(&outcome);
        if !outcome.succeeded {
            self.retry_later(ctx, run, format!("prepare {ballot} failed"));
            return;
        }
        let Some(own) = self.waiting.first().map(|w| Value {
            request: w.request.clone(),
            operation: w.operation.clone(),
        }) else {
            self.proposer = None;
            return;
        };
        let value = match self.config.proposer_mode {
            ProposerMode::AdoptHighest => choose_value(&outcome, own),
            // BROKEN on purpose: whatever the promises reported is ignored.
            ProposerMode::IgnoreAcceptedValues => own,
        };
        self.accept(ctx, run, Proposal { ballot, value });
    }

    /// Phase 2a: ask every acceptor to accept `proposal`.
    fn accept(&mut self, ctx: &mut Ctx<'_, Self>, run: u64, proposal: Proposal) {
        if let Some(proposer) = self.current(run, |_| true) {
            proposer.phase = Phase::Accepting {
                proposal: proposal.clone(),
            };
        }
        ctx.note(format!("propose {} in {}", proposal.value, proposal.ballot));
        let targets = ctx.all_nodes().to_vec();
        let mine = proposal.ballot.clone();
        let policy = QuorumPolicy::majority()
            .timeout(self.config.phase_timeout_ticks)
            .accept(move |m: &Msg| matches!(m, Msg::Accepted { ballot } if *ballot == mine));
        let request = Msg::Accept {
            proposal: proposal.clone(),
        };
        ctx.quorum(
            &targets,
            request,
            policy,
            move |node: &mut Self, ctx, outcome| node.on_accepted(ctx, run, proposal, outcome),
        );
    }

    /// Phase 2 decided: a majority accepted, so the value is chosen; tell everyone.
    fn on_accepted(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        run: u64,
        proposal: Proposal,
        outcome: QuorumOutcome<Msg>,
    ) {
        let accepting = Phase::Accepting {
            proposal: proposal.clone(),
        };
        let Some(proposer) = self.current(run, |p| *p == accepting) else {
            return;
        };
        if outcome.succeeded {
            proposer.phase = Phase::Committing {
                proposal: proposal.clone(),
            };
            ctx.note(format!("chosen {} in {}", proposal.value, proposal.ballot));
            let everyone = ctx.all_nodes().to_vec();
            let retries = self.config.commit_retries;
            self.broadcast_commit(ctx, proposal, everyone, retries);
        } else {
            self.learn_rounds(&outcome);
            let why = format!("accept {} failed", proposal.ballot);
            self.retry_later(ctx, run, why);
        }
    }

    /// Send `Commit` to `targets`; retransmit to those that did not acknowledge.
    fn broadcast_commit(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        proposal: Proposal,
        targets: Vec<ProcessId>,
        retries_left: u32,
    ) {
        let policy = QuorumPolicy::count(targets.len())
            .mode(QuorumMode::AllWithinTimeout)
            .timeout(self.config.phase_timeout_ticks)
            .accept(|m: &Msg| matches!(m, Msg::Committed { .. }));
        let request = Msg::Commit {
            proposal: proposal.clone(),
        };
        let fan_out = targets.clone();
        ctx.quorum(
            &fan_out,
            request,
            policy,
            move |node: &mut Self, ctx, outcome| {
                let missing: Vec<ProcessId> = targets
                    .into_iter()
                    .filter(|t| !outcome.accepted.contains(t))
                    .collect();
                if missing.is_empty() || retries_left == 0 {
                    return;
                }
                let delay = node.config.commit_retry_ticks;
                ctx.after(delay, move |node: &mut Self, ctx| {
                    node.broadcast_commit(ctx, proposal, missing, retries_left - 1)
                });
            },
        );
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

    /// Back off for a random time, then try a new ballot; give up after
    /// `max_attempts`, answering the waiting clients `Undecided`.
    fn retry_later(&mut self, ctx: &mut Ctx<'_, Self>, run: u64, why: String) {
        let max_attempts = self.config.max_attempts;
        let Some(proposer) = self.current(run, |_| true) else {
            return;
        };
        let attempts = proposer.attempt;
        if attempts >= max_attempts {
            ctx.note(format!("{why}; giving up after {attempts} attempts"));
            self.proposer = None;
            for client in std::mem::take(&mut self.waiting) {
                let request = client.request;
                ctx.reply(&client.envelope, Msg::Undecided { request, attempts });
            }
            return;
        }
        proposer.phase = Phase::BackingOff;
        let (min, max) = self.config.backoff_window(attempts);
        let delay = ctx.rng().range(min, max);
        ctx.note(format!("{why}; retrying in {delay} ticks"));
        ctx.after(delay, move |node: &mut Self, ctx| {
            node.start_attempt(ctx, run)
        });
    }
}

/// The value a proposer must propose after a majority promised: the value of the
/// highest-ballot proposal any of them accepted, or its own client's value if none did.
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
