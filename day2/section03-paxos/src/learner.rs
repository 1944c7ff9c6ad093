//! The learner: every node records the chosen value durably, applies it to its state
//! machine exactly once, and answers the clients waiting for the decision.
//!
//! ## When the decision cannot be made durable
//!
//! A learner writes the commit before it applies the value, acknowledges `Committed`
//! or answers a client: each of those says "this node has the decision and will still
//! have it after a crash". A failed write is retried, but only
//! [`Config::commit_write_attempts`](crate::Config::commit_write_attempts) times in all:
//! a disk that refuses every write would otherwise keep the node retrying for ever,
//! with clients waiting on it and nothing saying why.
//!
//! When the attempts are used up the learner does the honest thing, which is less than
//! it knows. The value *is* chosen (a majority of acceptors made it durable before
//! answering `Accepted`), so nothing is lost for the cluster; what this node cannot do
//! is vouch for it. So it
//! * does **not** apply the value or acknowledge the commit: the proposer keeps
//!   retransmitting it, and every repeated commit is a fresh round of attempts;
//! * answers every client waiting here [`Msg::NotDurable`] (outcome unknown to the
//!   client: ask again, here or elsewhere, with the same request id), rather than
//!   a result it could not repeat after a crash, or silence until the client's timeout;
//! * records the failure ([`Server::commit_write_failure`]) and notes it in the trace;
//!   a client asking here later starts a fresh round of attempts, and the first write
//!   that succeeds clears the failure, applies the value and answers everyone.
//!
//! The node keeps its other roles: as an acceptor its writes fail too, and it refuses
//! with `RejectReason::StorageFailed`, which is already honest.

use crate::messages::{Ballot, Msg, Proposal};
use crate::server::{ACCEPTOR_KEY, Applied, Server};
use common::{Ctx, Envelope, StoreError};

/// A learner's report that it could not make the decision it learned durable.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CommitWriteFailure {
    /// Writes of the commit that failed in the last round of attempts.
    pub failed_writes: u32,
    /// What the last of them failed with.
    pub error: StoreError,
}

/// Who to acknowledge once the commit is durable: the proposer's `Commit` request, or
/// nobody (a round of attempts started by a client asking here).
type Acknowledge = Option<(Envelope<Msg>, Ballot)>;

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

    /// Write the record holding the commit; once durable, apply it and acknowledge the
    /// proposer's `Commit` request `env`. A failed write is written again, at most
    /// [`Config::commit_write_attempts`](crate::Config::commit_write_attempts) times in
    /// all; then the failure is reported (see the module documentation).
    fn persist_commit(&mut self, ctx: &mut Ctx<'_, Self>, env: Envelope<Msg>, ballot: Ballot) {
        self.write_commit(ctx, Some((env, ballot)), 1);
    }

    /// Attempt `attempt` of writing the record holding the commit.
    pub(crate) fn write_commit(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        acknowledge: Acknowledge,
        attempt: u32,
    ) {
        let record = self.acceptor.clone();
        ctx.persist(
            ACCEPTOR_KEY,
            &record,
            move |node: &mut Self, ctx, written| match written {
                Ok(()) => {
                    node.commit_write_failure = None;
                    node.apply_committed(ctx);
                    if let Some((env, ballot)) = acknowledge {
                        ctx.reply(&env, Msg::Committed { ballot });
                    }
                }
                // An earlier write of the same decision is durable (only a durable
                // commit is applied): this failure loses nothing.
                Err(_) if node.applied.is_some() => {
                    if let Some((env, ballot)) = acknowledge {
                        ctx.reply(&env, Msg::Committed { ballot });
                    }
                }
                Err(error) if attempt < node.config.commit_write_attempts => {
                    ctx.note(format!(
                        "commit write {attempt} failed ({error}); writing it again"
                    ));
                    node.write_commit(ctx, acknowledge, attempt + 1);
                }
                Err(error) => node.give_up_commit_write(ctx, attempt, error),
            },
        )
        .expect("an acceptor record always encodes");
    }

    /// Every write of the commit failed: report it instead of retrying for ever. The
    /// commit is not acknowledged, and the waiting clients are told `NotDurable`.
    fn give_up_commit_write(&mut self, ctx: &mut Ctx<'_, Self>, attempts: u32, error: StoreError) {
        assert!(
            self.applied.is_none(),
            "a learner gives up only on a decision it has not made durable"
        );
        ctx.note(format!(
            "could not make the decision durable after {attempts} writes ({error}); \
             not applying or acknowledging it"
        ));
        for client in std::mem::take(&mut self.waiting) {
            let request = client.request;
            let reply = Msg::NotDurable {
                request,
                failed_writes: attempts,
            };
            ctx.reply(&client.envelope, reply);
        }
        self.commit_write_failure = Some(CommitWriteFailure {
            failed_writes: attempts,
            error,
        });
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
