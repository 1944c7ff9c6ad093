//! The server: the state every node holds, its recovery on restart, the dispatch, the
//! acceptor and the learner. The leader's side (elections and phase 2) is in
//! [`crate::leader`]; the failure detector (heartbeats, election timer, pre-vote and
//! check-quorum) in [`crate::detector`].

use crate::config::{Config, StepDownMode};
use crate::messages::{Ballot, Msg, Operation, Proposal, RequestId, Slot, SlotReport, Value};
use crate::state_machine::{Applied, StateMachine};
use crate::storage::{self, PROMISE_KEY, SlotRecord, slot_key};
use common::{
    Ctx, Durability, Envelope, Message, Process, ProcessId, StoreError, Tick, TimerId, WriteBatch,
};
use std::collections::BTreeMap;

/// What a node believes about leadership.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Not leading; `leader` is the node it last saw lead (or run for leader), if any.
    Follower {
        /// Where this node sends clients.
        leader: Option<ProcessId>,
    },
    /// Running a full-log prepare with `ballot`.
    Candidate {
        /// The ballot of the election.
        ballot: Ballot,
    },
    /// A majority promised `ballot`: this node assigns slots and runs phase 2 only.
    Leader {
        /// The ballot every `Accept` of this leadership carries.
        ballot: Ballot,
    },
}

/// One slot as a node holds it in memory: the durable record (ahead of the disk while a
/// write is in flight, never behind it) and whether its commit is on disk.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SlotState {
    /// The slot's record.
    pub record: SlotRecord,
    /// The committed value is on disk: only then may the slot be executed.
    pub commit_durable: bool,
}

/// A client waiting at this node for its request's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct WaitingClient {
    pub(crate) envelope: Envelope<Msg>,
    pub(crate) request: RequestId,
    pub(crate) operation: Operation,
    /// The slot a leader put the request in, once it has.
    pub(crate) slot: Option<Slot>,
}

impl WaitingClient {
    pub(crate) fn value(&self) -> Value {
        Value::Command {
            request: self.request.clone(),
            operation: self.operation.clone(),
        }
    }
}

/// What a node has done since it started (counters for the lab's measurements).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Stats {
    /// Elections (full-log prepares) this node started.
    pub elections: u64,
    /// Slots this node proposed as leader (re-proposals after an election included).
    pub proposals: u64,
    /// `Accept` fan-outs sent again after a phase 2 that did not succeed.
    pub accept_retries: u64,
    /// Protocol messages this node sent to *other* servers (prepares, promises,
    /// accepts, acceptances, rejections, commits, heartbeats; not its messages to
    /// itself, not its answers to clients).
    pub messages_to_servers: u64,
    /// Heartbeat fan-outs this node sent as leader.
    pub heartbeats: u64,
    /// Pre-votes this node asked for.
    pub pre_votes: u64,
    /// Times this node stopped leading (a higher generation, or check-quorum).
    pub step_downs: u64,
    /// Times this node stepped down because it had not heard from a majority.
    pub check_quorum_step_downs: u64,
}

/// What to do once a write is durable.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum AfterWrite {
    /// Nothing more.
    Nothing,
    /// Answer this request with this message.
    Reply(Box<(Envelope<Msg>, Msg)>),
}

/// A Multi-Paxos node. Its whole state is plain data: it clones, compares and hashes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Server {
    pub(crate) config: Config,
    pub(crate) id: ProcessId,
    pub(crate) incarnation: u32,
    pub(crate) role: Role,
    /// The acceptor's promise, for the whole log (memory: ahead of the disk while a write
    /// is in flight, never behind it).
    pub(crate) promised: Ballot,
    /// Highest round seen in any ballot: the next election goes above it.
    pub(crate) round_seen: u64,
    pub(crate) slots: BTreeMap<Slot, SlotState>,
    /// Slots `1..=executed_through` are committed, durable and executed here.
    pub(crate) executed_through: Slot,
    pub(crate) state_machine: StateMachine,
    /// The leader's next free slot.
    pub(crate) next_slot: Slot,
    /// Clients waiting here, in arrival order.
    pub(crate) waiting: Vec<WaitingClient>,
    /// The failure detector's election timer (followers and candidates).
    pub(crate) election_timer: Option<TimerId>,
    /// The election timeout drawn at the last restart of the timer.
    pub(crate) election_timeout: Tick,
    /// The leader's heartbeat timer.
    pub(crate) heartbeat_timer: Option<TimerId>,
    /// When this node last heard from a leader it accepts (a heartbeat or an `Accept`).
    pub(crate) heard_from_leader_at: Option<Tick>,
    /// Leader only: per peer, the last tick it acknowledged this leadership.
    pub(crate) acked_at: BTreeMap<ProcessId, Tick>,
    /// Leader only: when this leadership began.
    pub(crate) leading_since: Tick,
    /// Heartbeats from another node claiming this node's own ballot (two leaders in one
    /// generation). Always 0 with a correct protocol; the broken twin makes it grow.
    pub(crate) shared_generation: u32,
    /// How many servers the cluster has (this one included).
    pub(crate) cluster_size: usize,
    /// Commits that named another value for a slot committed here. Always 0 with a
    /// correct protocol; the broken twin makes it grow.
    pub(crate) conflicting_commits: u32,
    pub(crate) stats: Stats,
    /// A `CatchUp` request is in flight (at most one at a time).
    pub(crate) catching_up: bool,
    recovery_error: Option<StoreError>,
}

impl Server {
    /// A server with `config`. Its durable state is loaded in `on_start`.
    pub fn new(id: &ProcessId, config: Config) -> Self {
        Server {
            config,
            id: id.clone(),
            incarnation: 0,
            role: Role::Follower { leader: None },
            promised: Ballot::zero(),
            round_seen: 0,
            slots: BTreeMap::new(),
            executed_through: 0,
            state_machine: StateMachine::new(),
            next_slot: 1,
            waiting: Vec::new(),
            election_timer: None,
            election_timeout: 0,
            heartbeat_timer: None,
            heard_from_leader_at: None,
            acked_at: BTreeMap::new(),
            leading_since: 0,
            shared_generation: 0,
            cluster_size: 1,
            conflicting_commits: 0,
            stats: Stats::default(),
            catching_up: false,
            recovery_error: None,
        }
    }

    /// This node's id.
    pub fn id(&self) -> &ProcessId {
        &self.id
    }

    /// How many times this node has restarted (0 on first boot).
    pub fn incarnation(&self) -> u32 {
        self.incarnation
    }

    /// What this node believes about leadership.
    pub fn role(&self) -> &Role {
        &self.role
    }

    /// Whether this node is the leader.
    pub fn is_leader(&self) -> bool {
        matches!(self.role, Role::Leader { .. })
    }

    /// The acceptor's promise, as held in memory.
    pub fn promised(&self) -> &Ballot {
        &self.promised
    }

    /// The record of `slot` as held in memory, if this node has heard of the slot.
    pub fn slot(&self, slot: Slot) -> Option<&SlotRecord> {
        self.slots.get(&slot).map(|s| &s.record)
    }

    /// Every slot this node has heard of from `from` on, in slot order.
    pub fn slots_from(&self, from: Slot) -> impl Iterator<Item = (Slot, &SlotState)> {
        self.slots.range(from..).map(|(slot, state)| (*slot, state))
    }

    /// The value this node learned was chosen for `slot`.
    pub fn committed(&self, slot: Slot) -> Option<&Value> {
        self.slots.get(&slot)?.record.committed.as_ref()
    }

    /// The highest slot this node has heard of (0 if none).
    pub fn last_slot(&self) -> Slot {
        self.slots.keys().next_back().copied().unwrap_or(0)
    }

    /// Slots `1..=executed_through()` are executed here.
    pub fn executed_through(&self) -> Slot {
        self.executed_through
    }

    /// The slot the leader will give its next client request.
    pub fn next_slot(&self) -> Slot {
        self.next_slot
    }

    /// The values of the executed slots, in slot order.
    pub fn executed_log(&self) -> Vec<Value> {
        self.slots
            .range(1..=self.executed_through)
            .filter_map(|(_, s)| s.record.committed.clone())
            .collect()
    }

    /// The replicated key-value store as executed here.
    pub fn state_machine(&self) -> &StateMachine {
        &self.state_machine
    }

    /// Clients waiting here for an outcome.
    pub fn waiting_clients(&self) -> usize {
        self.waiting.len()
    }

    /// Commits that named another value for a slot committed here (always 0 when correct).
    pub fn conflicting_commits(&self) -> u32 {
        self.conflicting_commits
    }

    /// Heartbeats from another node that claimed this node's own ballot (always 0 when
    /// correct).
    pub fn shared_generation(&self) -> u32 {
        self.shared_generation
    }

    /// The election timeout this node drew when it last restarted its election timer.
    pub fn election_timeout(&self) -> Tick {
        self.election_timeout
    }

    /// When this node last heard from a leader it accepts.
    pub fn heard_from_leader_at(&self) -> Option<Tick> {
        self.heard_from_leader_at
    }

    /// What this node has done since it started.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// A storage record that failed to decode at the last start, if any.
    pub fn recovery_error(&self) -> Option<&StoreError> {
        self.recovery_error.as_ref()
    }

    /// The ballot this node leads or runs an election with, if any.
    pub(crate) fn own_ballot(&self) -> Option<&Ballot> {
        match &self.role {
            Role::Leader { ballot } | Role::Candidate { ballot } => Some(ballot),
            Role::Follower { .. } => None,
        }
    }

    /// The leader to send clients to.
    pub(crate) fn leader_hint(&self) -> Option<ProcessId> {
        match &self.role {
            Role::Follower { leader } => leader.clone(),
            Role::Candidate { .. } | Role::Leader { .. } => Some(self.id.clone()),
        }
    }

    fn assert_invariants(&self) {
        assert_eq!(
            self.state_machine.last_slot(),
            self.executed_through,
            "the store has executed exactly the slots of the executed prefix"
        );
        if let Some(ballot) = self.own_ballot() {
            assert!(
                self.promised <= *ballot,
                "a leader or candidate never holds a promise above its own ballot: it steps down first"
            );
        }
        for (slot, state) in self.slots.range(self.executed_through + 1..) {
            assert!(
                state
                    .record
                    .accepted
                    .as_ref()
                    .is_none_or(|a| a.ballot <= self.promised),
                "an acceptor never holds an accepted ballot above its promise (slot {slot})"
            );
        }
    }

    /// Reload the promise and every slot record, then rebuild the store by executing
    /// the contiguous durable committed prefix.
    fn recover(&mut self, ctx: &mut Ctx<'_, Self>) -> Result<(), StoreError> {
        self.promised = storage::load_promise(ctx.store())?;
        let records = storage::load_slots(ctx.store())?;
        // An acceptance can reach the disk without the promise it was made under: the
        // writes that carried the promise failed, and the slot's commit, written later,
        // carries the acceptance. Raise the promise to the highest stored acceptance, so
        // it is never below a ballot this node accepted.
        if let Some(highest) = records
            .values()
            .filter_map(|r| r.accepted.as_ref().map(|a| &a.ballot))
            .max()
            && *highest > self.promised
        {
            self.promised = highest.clone();
        }
        self.round_seen = self.promised.round;
        self.slots = records
            .into_iter()
            .map(|(slot, record)| {
                let commit_durable = record.committed.is_some();
                (
                    slot,
                    SlotState {
                        record,
                        commit_durable,
                    },
                )
            })
            .collect();
        self.execute_ready(ctx);
        ctx.note(format!(
            "recovered promise {} and {} slot records; executed through slot {}",
            self.promised,
            self.slots.len(),
            self.executed_through
        ));
        Ok(())
    }

    /// Write `slot`'s record (and the promise, if `with_promise`) with a sync; once it
    /// is durable, mark a commit it carries durable, execute, and do `then`.
    pub(crate) fn write_slot(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        slot: Slot,
        with_promise: bool,
        then: AfterWrite,
    ) {
        let record = self.slots.entry(slot).or_default().record.clone();
        let carries_commit = record.committed.is_some();
        let mut batch = WriteBatch::new();
        match common::store::encode(&record) {
            Ok(bytes) => batch = batch.put(slot_key(slot), bytes),
            Err(e) => {
                ctx.note(format!("cannot encode slot {slot}: {e}"));
                return;
            }
        }
        if with_promise {
            match common::store::encode(&self.promised) {
                Ok(bytes) => batch = batch.put(PROMISE_KEY, bytes),
                Err(e) => {
                    ctx.note(format!("cannot encode the promise: {e}"));
                    return;
                }
            }
        }
        ctx.write(batch, Durability::Sync, move |node, ctx, result| {
            if let Err(e) = result {
                ctx.note(format!("write of slot {slot} failed: {e}"));
                // A commit that is not on disk blocks execution here for ever: write the
                // record again. (A failed acceptance is not answered; its leader retries.)
                if carries_commit {
                    let retry = node.config.accept_retry_ticks;
                    ctx.after(retry, move |node, ctx| {
                        let pending = node.slots.get(&slot).is_some_and(|s| !s.commit_durable);
                        if pending {
                            node.write_slot(ctx, slot, false, AfterWrite::Nothing);
                        }
                    });
                }
                return;
            }
            if carries_commit && let Some(state) = node.slots.get_mut(&slot) {
                state.commit_durable = true;
                node.execute_ready(ctx);
            }
            if let AfterWrite::Reply(reply) = then {
                let (envelope, msg) = *reply;
                node.count_reply(&envelope);
                ctx.reply(&envelope, msg);
            }
        });
    }

    /// Count an answer to `request` if it goes to another server.
    pub(crate) fn count_reply(&mut self, request: &Envelope<Msg>) {
        if request.from != self.id {
            self.stats.messages_to_servers += 1;
        }
    }

    /// Acceptor, phase 1: promise a ballot above the current promise for the whole log,
    /// durably, and report every slot from `from` on that was accepted or committed here.
    fn on_prepare(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        env: Envelope<Msg>,
        ballot: Ballot,
        from: Slot,
    ) {
        self.round_seen = self.round_seen.max(ballot.round);
        if !self.grants_vote(&ballot) {
            let promised = self.promised.clone();
            self.count_reply(&env);
            ctx.reply(&env, Msg::Reject { ballot, promised });
            return;
        }
        if ballot > self.promised {
            self.promised = ballot.clone();
        }
        self.follow(ctx, &ballot);
        if env.from != self.id {
            // A candidate got this node's vote: give it an election timeout to win.
            self.restart_election_timer(ctx);
        }
        let batch = match common::store::encode(&self.promised) {
            Ok(bytes) => WriteBatch::new().put(PROMISE_KEY, bytes),
            Err(e) => {
                ctx.note(format!("cannot encode the promise: {e}"));
                return;
            }
        };
        ctx.write(batch, Durability::Sync, move |node, ctx, result| {
            if result.is_err() {
                return;
            }
            let slots = node.report_from(from);
            node.count_reply(&env);
            ctx.reply(&env, Msg::Promise { ballot, slots });
        });
    }

    /// Whether this acceptor may promise `ballot`: a round is a vote, given once.
    pub(crate) fn grants_vote(&self, ballot: &Ballot) -> bool {
        // exercise: a round is a vote: promise a ballot only if its round is above the promised round, or it is the very ballot promised (asked again)
        // solution-begin
        ballot.round > self.promised.round || *ballot == self.promised
        // solution-end
    }

    /// Every slot from `from` on that this node accepted or knows committed.
    fn report_from(&self, from: Slot) -> Vec<SlotReport> {
        self.slots
            .range(from..)
            .filter(|(_, s)| s.record.accepted.is_some() || s.record.committed.is_some())
            .map(|(slot, s)| SlotReport {
                slot: *slot,
                accepted: s.record.accepted.clone(),
                committed: s.record.committed.clone(),
            })
            .collect()
    }

    /// Acceptor, phase 2: accept at or above the promise (raising it), durably.
    fn on_accept(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        env: Envelope<Msg>,
        ballot: Ballot,
        slot: Slot,
        value: Value,
    ) {
        self.round_seen = self.round_seen.max(ballot.round);
        if ballot < self.promised {
            let promised = self.promised.clone();
            self.count_reply(&env);
            ctx.reply(&env, Msg::Reject { ballot, promised });
            return;
        }
        self.promised = ballot.clone();
        self.follow(ctx, &ballot);
        if env.from != self.id {
            self.heard_from_leader(ctx);
        }
        let state = self.slots.entry(slot).or_default();
        state.record.accepted = Some(Proposal {
            ballot: ballot.clone(),
            value,
        });
        let reply = Msg::Accepted { ballot, slot };
        // The promise goes in the same batch: an earlier promise write may have failed.
        self.write_slot(ctx, slot, true, AfterWrite::Reply(Box::new((env, reply))));
    }

    /// Learner: record that `value` is chosen for `slot`, durably, and execute what is
    /// ready. A chosen value is final: a different one for a committed slot is counted,
    /// never written.
    pub(crate) fn learn(&mut self, ctx: &mut Ctx<'_, Self>, slot: Slot, value: Value) {
        let state = self.slots.entry(slot).or_default();
        match &state.record.committed {
            Some(known) if *known == value => {}
            Some(known) => {
                ctx.note(format!(
                    "refused commit of {value} for slot {slot}: {known} is committed there"
                ));
                self.conflicting_commits += 1;
            }
            None => {
                state.record.committed = Some(value);
                self.write_slot(ctx, slot, false, AfterWrite::Nothing);
            }
        }
    }

    /// A commit for `slot` arrived from `peer`: if a slot between the executed prefix
    /// and it is not known committed here, its commit was lost; ask `peer` for the
    /// committed slots from the executed prefix on.
    pub(crate) fn catch_up_if_behind(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        peer: &ProcessId,
        slot: Slot,
    ) {
        let first_open = self.executed_through + 1;
        let gap = (first_open..slot).any(|s| self.committed(s).is_none());
        if !gap || self.catching_up {
            return;
        }
        self.catching_up = true;
        self.stats.messages_to_servers += 1;
        let timeout = self.config.phase_timeout_ticks;
        let msg = Msg::CatchUp { from: first_open };
        ctx.request(peer.clone(), msg, timeout, |node, ctx, answer| {
            node.catching_up = false;
            if let Ok(Envelope {
                body: Msg::CatchUpReply { entries },
                ..
            }) = answer
            {
                for (slot, value) in entries {
                    node.learn(ctx, slot, value);
                }
            }
        });
    }

    /// Answer a `CatchUp` with the committed slots from `from` on (a bounded batch).
    fn on_catch_up(&mut self, ctx: &mut Ctx<'_, Self>, env: Envelope<Msg>, from: Slot) {
        let entries: Vec<(Slot, Value)> = self
            .slots
            .range(from..)
            .filter_map(|(slot, s)| s.record.committed.clone().map(|v| (*slot, v)))
            .take(self.config.catch_up_batch_slots)
            .collect();
        self.count_reply(&env);
        ctx.reply(&env, Msg::CatchUpReply { entries });
    }

    /// Execute every durable committed slot after the executed prefix, in order,
    /// answering the clients waiting here for them.
    pub(crate) fn execute_ready(&mut self, ctx: &mut Ctx<'_, Self>) {
        while let Some(state) = self.slots.get(&(self.executed_through + 1))
            && state.commit_durable
        {
            let slot = self.executed_through + 1;
            let Some(value) = state.record.committed.clone() else {
                unreachable!("a durable commit has a value (slot {slot})");
            };
            let applied = self.state_machine.apply(slot, &value);
            self.executed_through = slot;
            let Some(request) = value.request() else {
                continue;
            };
            let answer = match applied {
                Applied::NoOp => continue,
                Applied::Ran(outcome) | Applied::Duplicate { outcome, .. } => Msg::Executed {
                    request: request.clone(),
                    slot: self
                        .state_machine
                        .session(&request.client)
                        .map_or(slot, |s| s.slot),
                    outcome,
                },
                Applied::Superseded { latest } => Msg::Superseded {
                    request: request.clone(),
                    latest,
                },
            };
            if let Some(i) = self.waiting.iter().position(|w| w.request == *request) {
                let waiting = self.waiting.remove(i);
                ctx.reply(&waiting.envelope, answer);
            }
        }
        self.after_execution(ctx);
    }

    /// A ballot at least as high as every one this node holds was seen: a leader or
    /// candidate with a lower ballot steps down, and clients are sent to its owner.
    pub(crate) fn follow(&mut self, ctx: &mut Ctx<'_, Self>, ballot: &Ballot) {
        self.round_seen = self.round_seen.max(ballot.round);
        if self.own_ballot().is_some_and(|own| own == ballot) {
            return;
        }
        if let Some(own) = self.own_ballot().cloned() {
            if self.config.step_down == StepDownMode::Never && self.is_leader() {
                // The broken twin: keep leading, under the other leader's generation.
                ctx.note(format!("keeps leading, adopting {ballot} over {own}"));
                if *ballot > self.promised {
                    self.promised = ballot.clone();
                }
                self.role = Role::Leader {
                    ballot: ballot.clone(),
                };
                return;
            }
            ctx.note(format!("steps down: meets {ballot}, its ballot is {own}"));
            self.step_down(ctx);
        }
        self.role = Role::Follower {
            leader: Some(ballot.node.clone()),
        };
        self.send_waiting_away(ctx);
    }

    /// Leave the leader's or candidate's role (the caller sets the follower's role).
    pub(crate) fn step_down(&mut self, ctx: &mut Ctx<'_, Self>) {
        // exercise: a leader stops its heartbeats, counts the step-down and restarts its election timer; a candidate's election timer keeps running
        // solution-begin
        if self.is_leader() {
            self.stats.step_downs += 1;
            self.stop_heartbeats(ctx);
            self.restart_election_timer(ctx);
        }
        // solution-end
    }

    /// Answer every waiting client `NotLeader`, with this node's leader hint.
    pub(crate) fn send_waiting_away(&mut self, ctx: &mut Ctx<'_, Self>) {
        let hint = self.leader_hint().filter(|h| *h != self.id);
        for waiting in std::mem::take(&mut self.waiting) {
            let msg = Msg::NotLeader {
                request: waiting.request,
                hint: hint.clone(),
            };
            ctx.reply(&waiting.envelope, msg);
        }
    }

    fn on_execute(&mut self, ctx: &mut Ctx<'_, Self>, env: Envelope<Msg>) {
        let Msg::Execute { request, operation } = env.body.clone() else {
            return;
        };
        if let Some(answer) = self.answer_from_session(&request) {
            ctx.reply(&env, answer);
            return;
        }
        if let Role::Follower { leader } = &self.role {
            // Elections start from the failure detector, never from a client.
            let hint = leader.clone().filter(|l| *l != self.id);
            ctx.reply(&env, Msg::NotLeader { request, hint });
            return;
        }
        // A retry (same id) replaces its earlier wait here, keeping its slot.
        let slot = match self.waiting.iter().position(|w| w.request == request) {
            Some(i) => self.waiting.remove(i).slot,
            None => None,
        };
        self.waiting.push(WaitingClient {
            envelope: env,
            request,
            operation,
            slot,
        });
        if self.is_leader() {
            self.assign_waiting(ctx);
        }
    }

    /// The answer to a request this node has already executed, if it has.
    fn answer_from_session(&self, request: &RequestId) -> Option<Msg> {
        let session = self.state_machine.session(&request.client)?;
        if session.seq == request.seq {
            Some(Msg::Executed {
                request: request.clone(),
                slot: session.slot,
                outcome: session.outcome.clone(),
            })
        } else if session.seq > request.seq {
            Some(Msg::Superseded {
                request: request.clone(),
                latest: session.seq,
            })
        } else {
            None
        }
    }
}

impl Process for Server {
    type Msg = Msg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.incarnation = ctx.incarnation();
        self.cluster_size = ctx.all_nodes().len();
        if let Err(e) = self.recover(ctx) {
            ctx.note(format!("cannot recover durable state, staying silent: {e}"));
            self.recovery_error = Some(e);
            return;
        }
        self.restart_election_timer(ctx);
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: TimerId) {
        if self.recovery_error.is_some() {
            return;
        }
        if self.election_timer == Some(timer) {
            self.election_timer = None;
            self.on_election_timeout(ctx);
        } else if self.heartbeat_timer == Some(timer) {
            self.heartbeat_timer = None;
            self.on_heartbeat_timer(ctx);
        }
        self.assert_invariants();
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, env: Envelope<Msg>) {
        if self.recovery_error.is_some() {
            return;
        }
        match env.body.clone() {
            Msg::Execute { .. } => self.on_execute(ctx, env),
            Msg::Prepare { ballot, from } => self.on_prepare(ctx, env, ballot, from),
            Msg::Accept {
                ballot,
                slot,
                value,
            } => self.on_accept(ctx, env, ballot, slot, value),
            Msg::Commit { slot, value } => {
                self.learn(ctx, slot, value);
                self.catch_up_if_behind(ctx, &env.from, slot);
            }
            Msg::CatchUp { from } => self.on_catch_up(ctx, env, from),
            Msg::Heartbeat {
                ballot,
                committed_through,
            } => self.on_heartbeat(ctx, &env.from, ballot, committed_through),
            Msg::HeartbeatAck { ballot, promised } => {
                self.on_heartbeat_ack(ctx, &env.from, ballot, promised)
            }
            Msg::PreVote { round } => self.on_pre_vote(ctx, env, round),
            Msg::Executed { .. }
            | Msg::PreVoteReply { .. }
            | Msg::NotLeader { .. }
            | Msg::Superseded { .. }
            | Msg::Promise { .. }
            | Msg::Accepted { .. }
            | Msg::Reject { .. }
            | Msg::CatchUpReply { .. } => {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A round is a vote, given once: a node that promised byzantium's ballot of round 3
    /// promises it again when asked again, refuses every other ballot of round 3 (above
    /// or below byzantium's) and every lower round, and promises any higher round.
    #[test]
    fn a_round_is_a_vote_given_once() {
        let mut server = Server::new(&ProcessId::new("delphi"), Config::default());
        server.promised = Ballot::new(3, "byzantium");
        assert!(
            server.grants_vote(&Ballot::new(3, "byzantium")),
            "the ballot promised, asked again, is promised again"
        );
        assert!(
            !server.grants_vote(&Ballot::new(3, "athens")),
            "athens's ballot of round 3 is refused: round 3's vote went to byzantium"
        );
        assert!(
            !server.grants_vote(&Ballot::new(3, "cyrene")),
            "cyrene's ballot of round 3 is refused, though it is above byzantium's"
        );
        assert!(
            !server.grants_vote(&Ballot::new(2, "cyrene")),
            "a lower round is refused"
        );
        assert!(
            server.grants_vote(&Ballot::new(4, "athens")),
            "a higher round is a new vote"
        );
    }
}
