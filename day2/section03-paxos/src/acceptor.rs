//! The acceptor: promises (phase 1) and acceptances (phase 2), each made durable before
//! it is announced.
//!
//! The pattern is the *durable decision*: decide in memory (so racing requests are
//! judged against the newest decision), write the record and sync it, and reply only
//! from the write's callback. A rejection changes nothing, so it is sent at once.

use crate::config::AcceptorMode;
use crate::messages::{Ballot, Msg, Proposal, RejectReason};
use crate::server::{ACCEPTOR_KEY, Server};
use common::{Ctx, Envelope};

impl Server {
    /// Phase 1b: promise `ballot` unless a higher ballot has been promised.
    ///
    /// The ballot already promised is promised again: ballots are unique to their
    /// proposer, so a repeat can only be a duplicate of the same prepare (the network
    /// duplicates). Rejecting it would send a refusal that overtakes the real promise,
    /// which is still waiting for its write, and the proposer would count a "no".
    pub(crate) fn on_prepare(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        env: Envelope<Msg>,
        ballot: Ballot,
    ) {
        // exercise: promise a ballot at or above the current promise (a repeat is a duplicate of the same proposer's prepare), report what was accepted, persist before replying; reject a lower ballot at once
        // solution-begin
        if ballot < self.acceptor.promised {
            self.reject(ctx, &env, ballot, RejectReason::PromisedHigher);
            return;
        }
        self.acceptor.promised = ballot.clone();
        self.note_round(ballot.round);
        let promise = Msg::Promise {
            ballot: ballot.clone(),
            accepted: self.acceptor.accepted.clone(),
        };
        self.persist_then_reply(ctx, env, ballot, promise);
        // solution-end
    }

    /// Phase 2b: accept `proposal` unless a higher ballot has been promised.
    pub(crate) fn on_accept(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        env: Envelope<Msg>,
        proposal: Proposal,
    ) {
        // exercise: accept a proposal whose ballot is at or above the promise: raise the promise to it, record it as accepted, persist before replying; reject a lower ballot at once
        // solution-begin
        if proposal.ballot < self.acceptor.promised {
            self.reject(ctx, &env, proposal.ballot, RejectReason::PromisedHigher);
            return;
        }
        let ballot = proposal.ballot.clone();
        self.acceptor.promised = ballot.clone();
        self.acceptor.accepted = Some(proposal);
        self.note_round(ballot.round);
        self.persist_then_reply(ctx, env, ballot.clone(), Msg::Accepted { ballot });
        // solution-end
    }

    /// Refuse `ballot`, telling the proposer what this acceptor has promised.
    pub(crate) fn reject(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        env: &Envelope<Msg>,
        ballot: Ballot,
        reason: RejectReason,
    ) {
        let promised = self.acceptor.promised.clone();
        ctx.reply(
            env,
            Msg::Reject {
                ballot,
                promised,
                reason,
            },
        );
    }

    /// Write the acceptor's record durably and send `reply` to `request` — after the
    /// write is durable with a correct acceptor, before it with the broken one.
    pub(crate) fn persist_then_reply(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        request: Envelope<Msg>,
        ballot: Ballot,
        reply: Msg,
    ) {
        let record = self.acceptor.clone();
        match self.config.acceptor_mode {
            AcceptorMode::Durable => {
                // exercise: write the record with Sync durability and reply only from the write's callback; if the write failed, reject with StorageFailed instead
                // solution-begin
                ctx.persist(
                    ACCEPTOR_KEY,
                    &record,
                    move |node: &mut Self, ctx, written| match written {
                        Ok(()) => ctx.reply(&request, reply),
                        Err(e) => {
                            ctx.note(format!("acceptor write failed ({e}); rejecting {ballot}"));
                            node.reject(ctx, &request, ballot, RejectReason::StorageFailed);
                        }
                    },
                )
                .expect("an acceptor record always encodes");
                // solution-end
            }
            AcceptorMode::ReplyBeforeSync => {
                // BROKEN on purpose: the proposer hears "yes" while the write is in flight.
                ctx.reply(&request, reply);
                ctx.persist(ACCEPTOR_KEY, &record, |_: &mut Self, _, _| {})
                    .expect("an acceptor record always encodes");
            }
        }
    }

    /// Remember that some ballot used `round`, so this node's next ballot goes above it.
    pub(crate) fn note_round(&mut self, round: u64) {
        self.round_seen = self.round_seen.max(round);
    }
}
