//! The learner: every node records the chosen value durably, applies it to its state
//! machine exactly once, and answers the clients waiting for the decision.

use crate::messages::{Ballot, Msg, Proposal};
use crate::server::{ACCEPTOR_KEY, Applied, Server};
use common::{Ctx, Envelope};

impl Server {
    /// A proposer says `proposal` is chosen: learn it, durably, and acknowledge.
    pub(crate) fn on_commit(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        env: Envelope<Msg>,
        proposal: Proposal,
    ) {
        // exercise: learn a chosen value once: refuse a commit of a different value, otherwise record it as committed (raising the promise and the accepted proposal to its ballot, never lowering them), persist, then apply it and acknowledge with Committed
        // solution-begin
        if let Some(known) = &self.acceptor.committed {
            if *known != proposal.value {
                self.conflicting_commits += 1;
                ctx.note(format!(
                    "CONFLICT: learned {known} but {} says {} was chosen",
                    env.from, proposal.value
                ));
                return;
            }
        } else {
            self.acceptor.committed = Some(proposal.value.clone());
            if proposal.ballot > self.acceptor.promised {
                self.acceptor.promised = proposal.ballot.clone();
            }
            let accepted_is_older = self
                .acceptor
                .accepted
                .as_ref()
                .is_none_or(|a| a.ballot < proposal.ballot);
            if accepted_is_older {
                self.acceptor.accepted = Some(proposal.clone());
            }
            self.note_round(proposal.ballot.round);
        }
        // A repeated commit is written again too: its acknowledgement must not overtake
        // the first write, which may still be in flight.
        self.persist_commit(ctx, env, proposal.ballot);
        // solution-end
    }

    /// Write the record holding the commit; once durable, apply it and acknowledge. A
    /// failed write is retried: this node knows the decision and must not lose it.
    fn persist_commit(&mut self, ctx: &mut Ctx<'_, Self>, env: Envelope<Msg>, ballot: Ballot) {
        let record = self.acceptor.clone();
        ctx.persist(
            ACCEPTOR_KEY,
            &record,
            move |node: &mut Self, ctx, written| match written {
                Ok(()) => {
                    node.apply_committed(ctx);
                    ctx.reply(&env, Msg::Committed { ballot });
                }
                Err(e) => {
                    ctx.note(format!("commit write failed ({e}); writing it again"));
                    node.persist_commit(ctx, env, ballot);
                }
            },
        )
        .expect("an acceptor record always encodes");
    }

    /// Apply the committed value to the state machine if it has not been applied in
    /// this incarnation, and answer every waiting client. Called when a commit is
    /// durable and at start (rebuilding the state machine from storage).
    pub(crate) fn apply_committed(&mut self, ctx: &mut Ctx<'_, Self>) {
        // exercise: apply the committed value exactly once per incarnation, remember its result, stop proposing, and answer every waiting client with whether its own request won
        // solution-begin
        if self.applied.is_some() {
            return;
        }
        let Some(value) = self.acceptor.committed.clone() else {
            return;
        };
        let result = self.state_machine.apply(&value.operation);
        ctx.note(format!("applied {value} -> {result}"));
        let applied = Applied { value, result };
        for client in std::mem::take(&mut self.waiting) {
            let reply = Self::decision_for(&client.request, &applied);
            ctx.reply(&client.envelope, reply);
        }
        self.applied = Some(applied);
        self.proposer = None;
        // solution-end
    }
}
