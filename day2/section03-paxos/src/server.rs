//! The Paxos server: one process playing all three roles (acceptor, proposer, learner),
//! its recovery on restart, and its handling of client requests.
//!
//! The roles' handlers live in [`crate::acceptor`], [`crate::proposer`] and
//! [`crate::learner`]; this file holds the state they share and the dispatch.

use crate::config::Config;
use crate::learner::CommitWriteFailure;
use crate::messages::{Ballot, Msg, Operation, Proposal, RequestId, Value};
use crate::proposer::{Phase, ProposerRun};
use crate::state_machine::StateMachine;
use common::{Ctx, Envelope, Message, Process, ProcessId, StoreError};
use serde::{Deserialize, Serialize};

/// Storage key of the acceptor's durable record.
pub const ACCEPTOR_KEY: &str = "paxos/acceptor";
/// Storage key of the proposer's durable round high-water mark.
pub const PROPOSER_KEY: &str = "paxos/proposer";

/// Everything an acceptor must remember across a crash, written as one record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AcceptorState {
    /// The highest ballot promised. Never decreases.
    pub promised: Ballot,
    /// The highest-ballot proposal accepted, if any. Its ballot never exceeds `promised`.
    pub accepted: Option<Proposal>,
    /// The value this node learned was chosen, if any. Never changes once set.
    pub committed: Option<Value>,
}

/// The chosen value once this node has applied it, and what applying it returned.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Applied {
    /// The chosen value.
    pub value: Value,
    /// The result of applying it (every client is told this string).
    pub result: String,
}

/// A client waiting for the decision at this node.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct WaitingClient {
    pub(crate) envelope: Envelope<Msg>,
    pub(crate) request: RequestId,
    pub(crate) operation: Operation,
}

/// A Paxos node. Its whole state is plain data: it clones, compares and hashes (the
/// callbacks it waits on live beside it, in the node's runtime), which is what lets a
/// search compare and remember the states of a cluster.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Server {
    pub(crate) config: Config,
    pub(crate) id: ProcessId,
    /// The acceptor's record as held in memory (ahead of storage while a write is in
    /// flight, never behind it).
    pub(crate) acceptor: AcceptorState,
    /// Highest round this node has reserved for its own ballots, durably.
    pub(crate) round_reserved: u64,
    /// Highest round seen in any ballot (own promises, rejections): the next ballot goes
    /// above it.
    pub(crate) round_seen: u64,
    pub(crate) state_machine: StateMachine,
    pub(crate) applied: Option<Applied>,
    pub(crate) proposer: Option<ProposerRun>,
    pub(crate) next_run: u64,
    pub(crate) waiting: Vec<WaitingClient>,
    pub(crate) conflicting_commits: u32,
    /// Set when the learner gave up writing the commit; cleared by the next write of it
    /// that succeeds.
    pub(crate) commit_write_failure: Option<CommitWriteFailure>,
    recovery_error: Option<StoreError>,
}

impl Server {
    /// A server with `config`. Its durable state is loaded in `on_start`.
    pub fn new(id: &ProcessId, config: Config) -> Self {
        Server {
            config,
            id: id.clone(),
            acceptor: AcceptorState::default(),
            round_reserved: 0,
            round_seen: 0,
            state_machine: StateMachine::new(),
            applied: None,
            proposer: None,
            next_run: 0,
            waiting: Vec::new(),
            conflicting_commits: 0,
            commit_write_failure: None,
            recovery_error: None,
        }
    }

    /// This node's id.
    pub fn id(&self) -> &ProcessId {
        &self.id
    }

    /// The acceptor's record as held in memory.
    pub fn acceptor(&self) -> &AcceptorState {
        &self.acceptor
    }

    /// The highest ballot promised.
    pub fn promised(&self) -> &Ballot {
        &self.acceptor.promised
    }

    /// The highest-ballot proposal accepted.
    pub fn accepted(&self) -> Option<&Proposal> {
        self.acceptor.accepted.as_ref()
    }

    /// The value learned as chosen (it may still be on its way to storage).
    pub fn committed(&self) -> Option<&Value> {
        self.acceptor.committed.as_ref()
    }

    /// The chosen value once applied to the state machine, with its result.
    pub fn applied(&self) -> Option<&Applied> {
        self.applied.as_ref()
    }

    /// The state machine.
    pub fn state_machine(&self) -> &StateMachine {
        &self.state_machine
    }

    /// The highest round reserved durably for this node's own ballots.
    pub fn round_reserved(&self) -> u64 {
        self.round_reserved
    }

    /// Whether a proposer run is in progress at this node.
    pub fn is_proposing(&self) -> bool {
        self.proposer.is_some()
    }

    /// The ballot of the current proposer attempt, if one is in a phase.
    pub fn proposing_ballot(&self) -> Option<&Ballot> {
        self.proposer.as_ref().and_then(ProposerRun::ballot)
    }

    /// The phase of the current proposer run, if one is in progress.
    pub fn proposer_phase(&self) -> Option<&Phase> {
        self.proposer.as_ref().map(ProposerRun::phase)
    }

    /// Clients waiting here for the decision.
    pub fn waiting_clients(&self) -> usize {
        self.waiting.len()
    }

    /// Commits refused because they carried a value other than the one already learned.
    /// Always 0 with a correct acceptor; the negative control makes it grow.
    pub fn conflicting_commits(&self) -> u32 {
        self.conflicting_commits
    }

    /// Set when this node learned the decision but every write of it in the last round of
    /// attempts failed, so it has not applied it (see [`crate::learner`]). Cleared once a
    /// later write of the commit succeeds.
    pub fn commit_write_failure(&self) -> Option<&CommitWriteFailure> {
        self.commit_write_failure.as_ref()
    }

    /// A storage record that failed to decode at the last start, if any. Such a node
    /// refuses to take part rather than start from a blank (and so forgetful) state.
    pub fn recovery_error(&self) -> Option<&StoreError> {
        self.recovery_error.as_ref()
    }

    /// The invariants every handler must leave true.
    fn assert_invariants(&self) {
        assert!(
            self.acceptor
                .accepted
                .as_ref()
                .is_none_or(|a| a.ballot <= self.acceptor.promised),
            "an acceptor never holds an accepted ballot above its promise"
        );
        assert!(
            self.applied.is_none() || self.acceptor.committed.is_some(),
            "a node applies only a value it has committed"
        );
        assert!(
            self.applied.is_none() || self.waiting.is_empty(),
            "once the decision is applied no client is left waiting"
        );
    }

    /// Reload the durable records and rebuild the state machine from the committed value.
    fn recover(&mut self, ctx: &mut Ctx<'_, Self>) -> Result<(), StoreError> {
        self.acceptor = ctx.load(ACCEPTOR_KEY)?.unwrap_or_default();
        self.round_reserved = ctx.load(PROPOSER_KEY)?.unwrap_or(0);
        self.round_seen = self.round_reserved.max(self.acceptor.promised.round);
        if self.acceptor.committed.is_some() {
            self.apply_committed(ctx);
        }
        Ok(())
    }

    fn on_execute(&mut self, ctx: &mut Ctx<'_, Self>, env: Envelope<Msg>) {
        let Msg::Execute { request, operation } = env.body.clone() else {
            return;
        };
        if let Some(applied) = &self.applied {
            let reply = Self::decision_for(&request, applied);
            ctx.reply(&env, reply);
            return;
        }
        // A client that retries replaces its earlier wait: answer the newest envelope.
        self.waiting.retain(|w| w.request != request);
        self.waiting.push(WaitingClient {
            envelope: env,
            request,
            operation,
        });
        if self.proposer.is_none() && self.acceptor.committed.is_none() {
            self.start_run(ctx);
        } else if self.commit_write_failure.is_some() {
            // The decision is known but the learner gave up writing it: try again for
            // this client; it is answered when the write succeeds, or told it failed.
            self.write_commit(ctx, None, 1);
        }
    }

    /// The answer to `request` once `applied` is the decision.
    pub(crate) fn decision_for(request: &RequestId, applied: &Applied) -> Msg {
        Msg::Executed {
            request: request.clone(),
            won: applied.value.request == *request,
            chosen: applied.value.request.clone(),
            result: applied.result.clone(),
        }
    }
}

impl Process for Server {
    type Msg = Msg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        if let Err(e) = self.recover(ctx) {
            ctx.note(format!("cannot recover durable state, staying silent: {e}"));
            self.recovery_error = Some(e);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, env: Envelope<Msg>) {
        if self.recovery_error.is_some() {
            return;
        }
        match env.body.clone() {
            Msg::Execute { .. } => self.on_execute(ctx, env),
            Msg::Prepare { ballot } => self.on_prepare(ctx, env, ballot),
            Msg::Accept { proposal } => self.on_accept(ctx, env, proposal),
            Msg::Commit { proposal } => self.on_commit(ctx, env, proposal),
            Msg::Executed { .. }
            | Msg::Undecided { .. }
            | Msg::NotDurable { .. }
            | Msg::Promise { .. }
            | Msg::Accepted { .. }
            | Msg::Reject { .. }
            | Msg::Committed { .. } => {
                // Replies reach the callback of their request; one that arrives here
                // answers a request this incarnation never sent (or already gave up on).
                ctx.note(format!(
                    "ignored stray {} from {}",
                    env.body.kind(),
                    env.from
                ));
            }
        }
        self.assert_invariants();
    }
}
