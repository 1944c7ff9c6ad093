//! The learner: records chosen values durably, executes the log in slot order exactly
//! once, answers the waiting clients, and catches up on slots it missed.
//!
//! ## Learning a slot
//!
//! A node learns that a slot is chosen from a `Commit`, from a `Decided` answer to its
//! own proposer, from its own proposer's majority, or from a catch-up reply. Each is
//! final: a learner records the value **whatever it promised** in the slot (the Java
//! learner refused a commit when it had promised a higher generation there, and kept a
//! gap it could never fill). It writes the slot's record with the commit, and only once
//! that write is durable may the slot be executed.
//!
//! ## Executing in order
//!
//! `executed_through` is the high-water mark: slots `1..=executed_through` are
//! committed, durable and executed. A slot executes only when every slot before it has,
//! so a node that learned slot 9 but not slot 8 waits — and asks a peer for slot 8
//! instead of waiting for a client to run a ballot through it.
//!
//! ## Catching up
//!
//! Every [`Config::catch_up_interval_ticks`](crate::Config::catch_up_interval_ticks) a
//! node asks one peer (in turn) for the committed slots from its first open slot on;
//! it asks at once when it learns a slot beyond a gap, when a proposer or a catch-up
//! reply shows a peer has executed further, and when it restarts. One request is in
//! flight at a time, and a reply carries a bounded batch; a node far behind asks again
//! as soon as a batch is learned. The same timer writes again any commit whose write
//! failed, and answers `Undecided` to clients that waited past
//! [`Config::client_wait_ticks`](crate::Config::client_wait_ticks).

use crate::config::LearnerMode;
use crate::messages::{CommittedEntry, Msg, RequestId, Slot, Value};
use crate::server::Server;
use crate::state_machine::Applied;
use crate::storage::slot_key;
use common::{Ctx, Durability, Envelope, ProcessId, StoreError, WriteBatch};

impl Server {
    /// A proposer says `slot` holds `value`.
    pub(crate) fn on_commit(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        from: &ProcessId,
        slot: Slot,
        value: Value,
        executed_through: Slot,
    ) {
        self.learn(ctx, vec![CommittedEntry { slot, value }]);
        self.note_peer_progress(ctx, from, executed_through);
        if slot > self.first_open_slot() {
            // A slot beyond a gap: ask for the gap rather than wait for a client.
            self.request_catch_up(ctx, from.clone());
        }
    }

    /// Learn that each entry's value is chosen: record it, write the new commits in one
    /// batch, and execute what becomes executable once the batch is durable.
    pub(crate) fn learn(&mut self, ctx: &mut Ctx<'_, Self>, entries: Vec<CommittedEntry>) {
        // exercise: record each new commit whatever the slot's promise (a chosen value is final) and note which waiting client it places; count a different value for a slot already committed as a conflict; then write the new commits
        // solution-begin
        let mut new = Vec::new();
        for CommittedEntry { slot, value } in entries {
            if let Some(known) = self.committed(slot).cloned() {
                if known != value {
                    self.conflicting_commits += 1;
                    ctx.note(format!(
                        "CONFLICT at slot {slot}: learned {known}, now told {value}"
                    ));
                }
                continue;
            }
            if let Some(waiter) = self.waiting.iter_mut().find(|w| w.request == value.request) {
                waiter.placed = Some(slot);
            }
            self.slot_mut(slot).record.committed = Some(value);
            new.push(slot);
        }
        self.write_commits(ctx, new);
        // solution-end
    }

    /// Write the records of `slots` (each holding its commit) in one atomic batch. Slots
    /// whose commit is already durable, or already being written, are left out.
    pub(crate) fn write_commits(&mut self, ctx: &mut Ctx<'_, Self>, slots: Vec<Slot>) {
        let mut batch = WriteBatch::new();
        let mut written = Vec::new();
        for slot in slots {
            let state = self.slot_mut(slot);
            if state.commit_durable || state.commit_writing || state.record.committed.is_none() {
                continue;
            }
            state.commit_writing = true;
            let bytes = common::store::encode(&state.record).expect("a slot record always encodes");
            batch = batch.put(slot_key(slot), bytes);
            written.push(slot);
        }
        if written.is_empty() {
            return;
        }
        ctx.write(
            batch,
            Durability::Sync,
            move |node: &mut Self, ctx, result| node.on_commits_written(ctx, written, result),
        );
    }

    /// A batch of commits is durable (or failed): execute what became executable.
    fn on_commits_written(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        slots: Vec<Slot>,
        result: Result<(), StoreError>,
    ) {
        let durable = result.is_ok();
        for slot in &slots {
            let state = self.slot_mut(*slot);
            state.commit_writing = false;
            state.commit_durable |= durable;
        }
        if let Err(e) = result {
            // Not durable, so not executed; the catch-up timer writes them again.
            ctx.note(format!("commit write of slots {slots:?} failed ({e})"));
            return;
        }
        self.execute_ready(ctx);
    }

    /// Execute every slot after the executed prefix whose commit is durable, in order,
    /// stopping at the first that is not; answer the clients waiting for them.
    pub(crate) fn execute_ready(&mut self, ctx: &mut Ctx<'_, Self>) {
        // exercise: while there is a next executable slot, apply its committed value to the state machine, advance the executed prefix, and answer the client waiting for its request
        // solution-begin
        while let Some(next) = self.next_executable() {
            let value = self.slots[&next]
                .record
                .committed
                .clone()
                .expect("a durable commit has a value");
            let applied = self.state_machine.apply(next, &value);
            self.executed_through = next;
            self.answer_waiting(ctx, next, &value.request, applied);
        }
        // solution-end
    }

    /// The slot to execute next, if its commit is durable: the one right after the
    /// executed prefix (or, for the broken learner, the first durable commit past it).
    fn next_executable(&self) -> Option<Slot> {
        let next = self.executed_through + 1;
        match self.config.learner_mode {
            LearnerMode::InOrder => {
                // exercise: the slot right after the executed prefix, if its commit is durable; never a later one (stop at the first gap)
                // solution-begin
                self.commit_is_durable(next).then_some(next)
                // solution-end
            }
            // BROKEN on purpose: a missing slot is skipped as if it were empty.
            LearnerMode::ExecutePastGaps => self
                .slots
                .range(next..)
                .find(|(_, s)| s.commit_durable)
                .map(|(slot, _)| *slot),
        }
    }

    /// Answer the client waiting here for `request`, which just executed in `slot`,
    /// and any older request of the same client, which now never will.
    fn answer_waiting(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        slot: Slot,
        request: &RequestId,
        applied: Applied,
    ) {
        let reply = match applied {
            Applied::Ran(outcome) => Msg::Executed {
                request: request.clone(),
                slot,
                outcome,
            },
            Applied::Duplicate { slot, outcome } => Msg::Executed {
                request: request.clone(),
                slot,
                outcome,
            },
            Applied::Superseded { latest } => Msg::Superseded {
                request: request.clone(),
                latest,
            },
        };
        let latest = self
            .state_machine
            .session(&request.client)
            .map_or(0, |s| s.seq);
        let mut still_waiting = Vec::with_capacity(self.waiting.len());
        for waiter in std::mem::take(&mut self.waiting) {
            if waiter.request == *request {
                ctx.reply(&waiter.envelope, reply.clone());
            } else if waiter.request.client == request.client && waiter.request.seq < latest {
                let superseded = Msg::Superseded {
                    request: waiter.request.clone(),
                    latest,
                };
                ctx.reply(&waiter.envelope, superseded);
            } else {
                still_waiting.push(waiter);
            }
        }
        self.waiting = still_waiting;
    }

    /// A peer says it has executed through `executed_through`: if that covers a slot
    /// this node has not learned, ask it.
    pub(crate) fn note_peer_progress(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        peer: &ProcessId,
        executed_through: Slot,
    ) {
        if executed_through >= self.first_open_slot() {
            self.request_catch_up(ctx, peer.clone());
        }
    }

    /// Ask `peer` for the committed slots from this node's first open slot on, unless a
    /// catch-up request is already in flight.
    pub(crate) fn request_catch_up(&mut self, ctx: &mut Ctx<'_, Self>, peer: ProcessId) {
        if self.catching_up || peer == self.id {
            return;
        }
        self.catching_up = true;
        let from = self.first_open_slot();
        let timeout = self.config.catch_up_timeout_ticks;
        ctx.request(
            peer.clone(),
            Msg::CatchUp { from },
            timeout,
            move |node: &mut Self, ctx, reply| {
                node.catching_up = false;
                let Ok(Envelope {
                    body:
                        Msg::CatchUpReply {
                            entries,
                            executed_through,
                        },
                    ..
                }) = reply
                else {
                    return;
                };
                let learned = !entries.is_empty();
                node.learn(ctx, entries);
                if learned && executed_through >= node.first_open_slot() {
                    node.request_catch_up(ctx, peer); // more than one batch behind
                }
            },
        );
    }

    /// A peer asks for the committed slots from `from` on: send a bounded batch.
    pub(crate) fn on_catch_up(&mut self, ctx: &mut Ctx<'_, Self>, env: Envelope<Msg>, from: Slot) {
        let entries = self
            .slots
            .range(from..)
            .filter_map(|(slot, s)| {
                let value = s.record.committed.clone()?;
                Some(CommittedEntry { slot: *slot, value })
            })
            .take(self.config.catch_up_batch_slots)
            .collect();
        let reply = Msg::CatchUpReply {
            entries,
            executed_through: self.executed_through,
        };
        ctx.reply(&env, reply);
    }

    /// Arm the catch-up timer; it re-arms itself every interval.
    pub(crate) fn start_catch_up_timer(&mut self, ctx: &mut Ctx<'_, Self>) {
        let interval = self.config.catch_up_interval_ticks.max(1);
        ctx.after(interval, |node: &mut Self, ctx| node.on_catch_up_timer(ctx));
    }

    /// Every interval: answer clients that waited too long, write again the commits
    /// whose write failed, and ask the next peer for what this node lacks.
    fn on_catch_up_timer(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.expire_waiting(ctx);
        let undurable: Vec<Slot> = self
            .slots
            .range(self.executed_through + 1..)
            .filter(|(_, s)| s.record.committed.is_some() && !s.commit_durable)
            .map(|(slot, _)| *slot)
            .collect();
        self.write_commits(ctx, undurable);
        let peers = ctx.peers().to_vec();
        if !peers.is_empty() {
            let peer = peers[self.catch_up_turn % peers.len()].clone();
            self.catch_up_turn = self.catch_up_turn.wrapping_add(1);
            self.request_catch_up(ctx, peer);
        }
        self.start_catch_up_timer(ctx);
    }

    /// Answer `Undecided` to clients that have waited longer than `client_wait_ticks`
    /// (they have given up by now), and end the run placing one of them.
    fn expire_waiting(&mut self, ctx: &mut Ctx<'_, Self>) {
        let now = ctx.now();
        let wait = self.config.client_wait_ticks;
        let (expired, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|w| now.saturating_sub(w.since) >= wait);
        self.waiting = kept;
        for client in expired {
            let mut attempts = 0;
            if let Some(run) = self.proposer.take_if(|p| p.request == client.request) {
                attempts = run.failed_attempts;
            }
            ctx.note(format!(
                "{} waited too long; answering Undecided",
                client.request
            ));
            let request = client.request;
            ctx.reply(&client.envelope, Msg::Undecided { request, attempts });
        }
        self.kick_proposer(ctx);
    }
}
