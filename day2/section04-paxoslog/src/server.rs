//! The Paxos log server: one process playing every role for every slot (proposer,
//! acceptor, learner), its recovery on restart, and its handling of client requests.
//!
//! The roles' handlers live in [`crate::acceptor`], [`crate::proposer`] and
//! [`crate::learner`]; this file holds the state they share and the dispatch.

use crate::config::Config;
use crate::messages::{Msg, Operation, RequestId, Slot, Value};
use crate::proposer::{Phase, ProposerRun};
use crate::state_machine::StateMachine;
use crate::storage::{self, ROUNDS_KEY, SlotRecord};
use common::{Ctx, Envelope, Message, Process, ProcessId, StoreError, Tick};
use std::collections::BTreeMap;

/// One slot as a node holds it in memory: the durable record (ahead of the disk while
/// a write is in flight, never behind it) and where its commit is on the way to disk.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SlotState {
    /// The slot's record.
    pub record: SlotRecord,
    /// The committed value is on disk. Only then may the slot be executed: a node
    /// executes, and answers clients, only from commits it will still have after a crash.
    pub commit_durable: bool,
    /// A write carrying the commit is in flight (so a repeated commit is not written
    /// again, and a failed one is written again by the catch-up timer).
    pub commit_writing: bool,
}

/// A client waiting at this node for its request's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct WaitingClient {
    pub(crate) envelope: Envelope<Msg>,
    pub(crate) request: RequestId,
    pub(crate) operation: Operation,
    /// When it arrived (it is answered `Undecided` after `client_wait_ticks`).
    pub(crate) since: Tick,
    /// The slot this node learned holds the request, if any: the request is no longer
    /// proposed, it waits for that slot to execute.
    pub(crate) placed: Option<Slot>,
}

impl WaitingClient {
    pub(crate) fn value(&self) -> Value {
        Value {
            request: self.request.clone(),
            operation: self.operation.clone(),
        }
    }
}

/// A Paxos log node. Its whole state is plain data: it clones, compares and hashes (the
/// callbacks it waits on live beside it, in the node's runtime), which is what lets a
/// search compare and remember the states of a cluster.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Server {
    pub(crate) config: Config,
    pub(crate) id: ProcessId,
    /// How many times this node has restarted (0 on first boot).
    pub(crate) incarnation: u32,
    /// Every slot this node has heard of, in slot order.
    pub(crate) slots: BTreeMap<Slot, SlotState>,
    /// Slots `1..=executed_through` are committed, durable and executed here: the Java
    /// section's high-water mark. Never decreases within an incarnation.
    pub(crate) executed_through: Slot,
    pub(crate) state_machine: StateMachine,
    /// Highest round this node may use for its own ballots, reserved durably.
    pub(crate) round_reserved: u64,
    /// Highest round seen in any ballot (own ballots, promises, rejections, and every
    /// round reserved before the last restart): the next ballot goes above it.
    pub(crate) round_seen: u64,
    pub(crate) proposer: Option<ProposerRun>,
    pub(crate) next_run: u64,
    /// Clients waiting here, in arrival order: the proposer places them in that order.
    pub(crate) waiting: Vec<WaitingClient>,
    /// A catch-up request is in flight (at most one at a time).
    pub(crate) catching_up: bool,
    /// Which peer the catch-up timer asks next (round robin).
    pub(crate) catch_up_turn: usize,
    /// Commits refused because they named another value for a slot already committed
    /// here. Always 0 with a correct protocol; the negative controls make it grow.
    pub(crate) conflicting_commits: u32,
    pub(crate) stats: ProposerStats,
    recovery_error: Option<StoreError>,
}

/// What this node's proposer has done since it started (counters for the lab's
/// measurements; they restart from zero with the node).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ProposerStats {
    /// Ballots prepared.
    pub ballots: u64,
    /// Attempts that failed (refused or timed out) and were retried after a backoff.
    pub failed_attempts: u64,
    /// Slots found decided with another request (adopted or reported `Decided`), after
    /// which the proposer moved on to the next slot.
    pub slots_lost: u64,
    /// Requests placed in a slot by this node's proposer.
    pub placed: u64,
}

impl Server {
    /// A server with `config`. Its durable state is loaded in `on_start`.
    pub fn new(id: &ProcessId, config: Config) -> Self {
        Server {
            config,
            id: id.clone(),
            incarnation: 0,
            slots: BTreeMap::new(),
            executed_through: 0,
            state_machine: StateMachine::new(),
            round_reserved: 0,
            round_seen: 0,
            proposer: None,
            next_run: 0,
            waiting: Vec::new(),
            catching_up: false,
            catch_up_turn: 0,
            conflicting_commits: 0,
            stats: ProposerStats::default(),
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

    /// The record of `slot` as held in memory, if this node has heard of the slot.
    pub fn slot(&self, slot: Slot) -> Option<&SlotRecord> {
        self.slots.get(&slot).map(|s| &s.record)
    }

    /// Every slot this node has heard of from `from` on, in slot order.
    pub fn slots_from(&self, from: Slot) -> impl Iterator<Item = (Slot, &SlotState)> {
        self.slots.range(from..).map(|(slot, state)| (*slot, state))
    }

    /// The value this node learned was chosen for `slot` (its write may still be in
    /// flight).
    pub fn committed(&self, slot: Slot) -> Option<&Value> {
        self.slots.get(&slot)?.record.committed.as_ref()
    }

    /// Whether `slot`'s commit is on this node's disk.
    pub fn commit_is_durable(&self, slot: Slot) -> bool {
        self.slots.get(&slot).is_some_and(|s| s.commit_durable)
    }

    /// Slots `1..=executed_through()` are executed here.
    pub fn executed_through(&self) -> Slot {
        self.executed_through
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

    /// The highest round reserved durably for this node's own ballots.
    pub fn round_reserved(&self) -> u64 {
        self.round_reserved
    }

    /// The current proposer run, if one is in progress.
    pub fn proposer(&self) -> Option<&ProposerRun> {
        self.proposer.as_ref()
    }

    /// The phase of the current proposer run, if one is in progress.
    pub fn proposer_phase(&self) -> Option<&Phase> {
        self.proposer.as_ref().map(ProposerRun::phase)
    }

    /// Clients waiting here for an outcome.
    pub fn waiting_clients(&self) -> usize {
        self.waiting.len()
    }

    /// Commits refused because they named another value for a slot already committed
    /// here. Always 0 with a correct protocol.
    pub fn conflicting_commits(&self) -> u32 {
        self.conflicting_commits
    }

    /// What this node's proposer has done since it started.
    pub fn proposer_stats(&self) -> ProposerStats {
        self.stats
    }

    /// A storage record that failed to decode at the last start, if any. Such a node
    /// refuses to take part rather than start from a blank (and so forgetful) state.
    pub fn recovery_error(&self) -> Option<&StoreError> {
        self.recovery_error.as_ref()
    }

    /// The slot's memory state, created empty on first mention.
    pub(crate) fn slot_mut(&mut self, slot: Slot) -> &mut SlotState {
        self.slots.entry(slot).or_default()
    }

    /// The invariants every handler must leave true. Slots up to the executed prefix
    /// never change again, so only the prefix's end and the slots beyond are checked.
    fn assert_invariants(&self) {
        assert_eq!(
            self.state_machine.last_slot(),
            self.executed_through,
            "the store has executed exactly the slots of the executed prefix"
        );
        if self.executed_through > 0 {
            assert!(
                self.commit_is_durable(self.executed_through),
                "a node executes only slots whose commit is durable"
            );
        }
        for (slot, state) in self.slots.range(self.executed_through + 1..) {
            let record = &state.record;
            assert!(
                record
                    .accepted
                    .as_ref()
                    .is_none_or(|a| a.ballot <= record.promised),
                "an acceptor never holds an accepted ballot above its promise (slot {slot})"
            );
            assert!(
                !state.commit_durable || record.committed.is_some(),
                "a durable commit has a value (slot {slot})"
            );
        }
        assert!(
            self.waiting
                .iter()
                .all(|w| self.state_machine.outcome_of(&w.request).is_none()),
            "a client whose request has executed here is no longer waiting"
        );
    }

    /// Reload every slot record and the round reservation, then rebuild the store by
    /// executing the contiguous durable committed prefix.
    fn recover(&mut self, ctx: &mut Ctx<'_, Self>) -> Result<(), StoreError> {
        let records = storage::load_slots(ctx.store())?;
        self.round_reserved = ctx.load(ROUNDS_KEY)?.unwrap_or(0);
        let highest_promise = records.values().map(|r| r.promised.round).max();
        // Any round reserved before the crash may have been used: start above all of them.
        self.round_seen = self.round_reserved.max(highest_promise.unwrap_or(0));
        self.slots = records
            .into_iter()
            .map(|(slot, record)| {
                let commit_durable = record.committed.is_some();
                let state = SlotState {
                    record,
                    commit_durable,
                    commit_writing: false,
                };
                (slot, state)
            })
            .collect();
        self.execute_ready(ctx);
        ctx.note(format!(
            "recovered {} slot records; executed through slot {}",
            self.slots.len(),
            self.executed_through
        ));
        Ok(())
    }

    fn on_execute(&mut self, ctx: &mut Ctx<'_, Self>, env: Envelope<Msg>) {
        let Msg::Execute { request, operation } = env.body.clone() else {
            return;
        };
        if let Some(answer) = self.answer_from_session(&request) {
            ctx.reply(&env, answer);
            return;
        }
        // A retry (same id) replaces its earlier wait here: answer the newest envelope.
        self.waiting.retain(|w| w.request != request);
        let placed = self.slot_holding(&request);
        self.waiting.push(WaitingClient {
            envelope: env,
            request,
            operation,
            since: ctx.now(),
            placed,
        });
        self.kick_proposer(ctx);
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

    /// The committed (not yet executed) slot holding `request`, if this node knows one.
    pub(crate) fn slot_holding(&self, request: &RequestId) -> Option<Slot> {
        self.slots
            .range(self.executed_through + 1..)
            .find(|(_, s)| {
                s.record
                    .committed
                    .as_ref()
                    .is_some_and(|v| v.request == *request)
            })
            .map(|(slot, _)| *slot)
    }
}

impl Process for Server {
    type Msg = Msg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.incarnation = ctx.incarnation();
        if let Err(e) = self.recover(ctx) {
            ctx.note(format!("cannot recover durable state, staying silent: {e}"));
            self.recovery_error = Some(e);
            return;
        }
        self.start_catch_up_timer(ctx);
        // A restarted node asks at once for what it missed while it was down.
        if let Some(peer) = ctx.peers().first().cloned() {
            self.request_catch_up(ctx, peer);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, env: Envelope<Msg>) {
        if self.recovery_error.is_some() {
            return;
        }
        match env.body.clone() {
            Msg::Execute { .. } => self.on_execute(ctx, env),
            Msg::Prepare {
                slot,
                ballot,
                executed_through,
            } => {
                self.note_peer_progress(ctx, &env.from, executed_through);
                self.on_prepare(ctx, env, slot, ballot);
            }
            Msg::Accept {
                slot,
                proposal,
                executed_through,
            } => {
                self.note_peer_progress(ctx, &env.from, executed_through);
                self.on_accept(ctx, env, slot, proposal);
            }
            Msg::Commit {
                slot,
                value,
                executed_through,
            } => self.on_commit(ctx, &env.from, slot, value, executed_through),
            Msg::CatchUp { from } => self.on_catch_up(ctx, env, from),
            Msg::Executed { .. }
            | Msg::Undecided { .. }
            | Msg::Superseded { .. }
            | Msg::Promise { .. }
            | Msg::Accepted { .. }
            | Msg::Reject { .. }
            | Msg::Decided { .. }
            | Msg::CatchUpReply { .. } => {
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
