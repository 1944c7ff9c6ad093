//! The acceptor: per-slot promises (phase 1) and acceptances (phase 2), each made
//! durable before it is announced.
//!
//! Every slot is its own single-decree Paxos instance, so every rule of section 03
//! holds *per slot*: a promise for slot 7 says nothing about slot 8. The pattern is the
//! *durable decision*: decide in memory (so racing requests are judged against the
//! newest decision), write the slot's record and sync it, and reply only from the
//! write's callback. A rejection changes nothing, so it is sent at once.
//!
//! One rule is new: a slot this node knows is **committed** answers every proposer
//! `Decided` with its value. A chosen value is final, so running another ballot for
//! the slot can only re-choose it; the proposer learns it and moves on.

use crate::config::AcceptorMode;
use crate::messages::{Ballot, Msg, Proposal, RejectReason, Slot};
use crate::server::Server;
use crate::storage::slot_key;
use common::{Ctx, Envelope};

impl Server {
    /// Phase 1b: promise `ballot` for `slot` unless a higher ballot is promised there.
    ///
    /// The ballot already promised is promised again: ballots are unique to their
    /// proposer, so a repeat can only be a duplicate of the same prepare (the network
    /// duplicates). Rejecting it would send a refusal that overtakes the real promise,
    /// which is still waiting for its write.
    pub(crate) fn on_prepare(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        env: Envelope<Msg>,
        slot: Slot,
        ballot: Ballot,
    ) {
        // exercise: answer Decided for a slot committed here; otherwise promise a ballot at or above the slot's promise, report what the slot accepted, persist before replying; reject a lower ballot at once
        // solution-begin
        if let Some(value) = self.committed(slot).cloned() {
            ctx.reply(&env, Msg::Decided { slot, value });
            return;
        }
        let record = &mut self.slot_mut(slot).record;
        if ballot < record.promised {
            self.reject(ctx, &env, slot, ballot, RejectReason::PromisedHigher);
            return;
        }
        record.promised = ballot.clone();
        let accepted = record.accepted.clone();
        self.note_round(ballot.round);
        let promise = Msg::Promise {
            slot,
            ballot: ballot.clone(),
            accepted,
        };
        self.persist_then_reply(ctx, env, slot, ballot, promise);
        // solution-end
    }

    /// Phase 2b: accept `proposal` in `slot` unless a higher ballot is promised there.
    pub(crate) fn on_accept(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        env: Envelope<Msg>,
        slot: Slot,
        proposal: Proposal,
    ) {
        // exercise: answer Decided for a slot committed here; otherwise accept a proposal whose ballot is at or above the slot's promise (raise the promise to it, record it as accepted) and persist before replying; reject a lower ballot at once
        // solution-begin
        if let Some(value) = self.committed(slot).cloned() {
            ctx.reply(&env, Msg::Decided { slot, value });
            return;
        }
        let record = &mut self.slot_mut(slot).record;
        if proposal.ballot < record.promised {
            let ballot = proposal.ballot;
            self.reject(ctx, &env, slot, ballot, RejectReason::PromisedHigher);
            return;
        }
        let ballot = proposal.ballot.clone();
        record.promised = ballot.clone();
        record.accepted = Some(proposal);
        self.note_round(ballot.round);
        let accepted = Msg::Accepted {
            slot,
            ballot: ballot.clone(),
        };
        self.persist_then_reply(ctx, env, slot, ballot, accepted);
        // solution-end
    }

    /// Refuse `ballot` at `slot`, telling the proposer what this acceptor promised there.
    pub(crate) fn reject(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        env: &Envelope<Msg>,
        slot: Slot,
        ballot: Ballot,
        reason: RejectReason,
    ) {
        let promised = self.slot_mut(slot).record.promised.clone();
        let reject = Msg::Reject {
            slot,
            ballot,
            promised,
            reason,
        };
        ctx.reply(env, reject);
    }

    /// Write `slot`'s record durably and send `reply` to `request` — after the write is
    /// durable with a correct acceptor, before it with the broken one.
    pub(crate) fn persist_then_reply(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        request: Envelope<Msg>,
        slot: Slot,
        ballot: Ballot,
        reply: Msg,
    ) {
        let record = self.slot_mut(slot).record.clone();
        match self.config.acceptor_mode {
            AcceptorMode::Durable => {
                // exercise: write the slot's record under its key with Sync durability and reply only from the write's callback; if the write failed, reject with StorageFailed instead
                // solution-begin
                ctx.persist(
                    slot_key(slot),
                    &record,
                    move |node: &mut Self, ctx, written| match written {
                        Ok(()) => ctx.reply(&request, reply),
                        Err(e) => {
                            ctx.note(format!(
                                "slot {slot}: acceptor write failed ({e}); rejecting {ballot}"
                            ));
                            let reason = RejectReason::StorageFailed;
                            node.reject(ctx, &request, slot, ballot, reason);
                        }
                    },
                )
                .expect("a slot record always encodes");
                // solution-end
            }
            AcceptorMode::ReplyBeforeSync => {
                // BROKEN on purpose: the proposer hears "yes" while the write is in flight.
                ctx.reply(&request, reply);
                ctx.persist(slot_key(slot), &record, |_: &mut Self, _, _| {})
                    .expect("a slot record always encodes");
            }
        }
    }

    /// Remember that some ballot used `round`, so this node's next ballot goes above it.
    pub(crate) fn note_round(&mut self, round: u64) {
        self.round_seen = self.round_seen.max(round);
    }
}
