//! The three-phase coordinator as an explicit state machine.
//!
//! This is what a compiler makes of a coroutine: each in-flight request is a value
//! holding its *resume point* ([`Phase`], the "label") and the locals that live across
//! suspension points (the client's envelope, the operation, the remaining orphans). One
//! function, [`ThreePhaseServer::resume`], advances it when an awaited result
//! ([`Event`]) arrives. The callbacks registered with the simulator only forward results
//! to `resume`; all decisions are in one `match`, and the table of coordinations can be
//! inspected at any time.

use super::{ThreePhaseServer, recovery_plan};
use crate::config::Behaviour;
use crate::messages::{Failure, Msg, Operation, TxnId};
use crate::two_phase::{accept_then_commit, next_txn};
use common::{Ctx, Envelope, QuorumOutcome, QuorumPolicy};
use std::collections::VecDeque;

/// Where a coordination is suspended.
#[derive(Clone, Debug)]
pub enum Phase {
    /// Waiting for the query majority.
    Querying,
    /// Waiting for the accept majority of an orphan; `plan` is what remains after it.
    Recovering {
        /// The orphan being finished.
        current: TxnId,
        /// Orphans still to finish, in order.
        plan: VecDeque<(TxnId, Operation)>,
    },
    /// Waiting for the accept majority of the client's own operation.
    Proposing {
        /// The operation's id.
        txn: TxnId,
    },
}

/// One client request in progress: the resume point and the hoisted locals.
#[derive(Clone, Debug)]
pub struct Coordination {
    /// The request to answer.
    pub client: Envelope<Msg>,
    /// The client's operation.
    pub op: Operation,
    /// Where it is suspended.
    pub phase: Phase,
}

/// A result the coordination was waiting for.
#[derive(Debug)]
pub enum Event {
    /// The query phase decided.
    Queried(QuorumOutcome<Msg>),
    /// An accept phase decided (and, on success, the operation was applied here).
    AcceptDone(Result<i64, Failure>),
}

impl ThreePhaseServer {
    /// Register a coordination for the client's request and start its query phase.
    pub(crate) fn start_coordination(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        client: Envelope<Msg>,
        op: Operation,
    ) {
        self.next_coordination += 1;
        let id = self.next_coordination;
        let targets = ctx.all_nodes().to_vec();
        let policy = QuorumPolicy::majority()
            .timeout(self.config.phase_timeout_ticks)
            .accept(|m: &Msg| matches!(m, Msg::Pending { .. }));
        ctx.quorum(
            &targets,
            Msg::Query,
            policy,
            move |node: &mut Self, ctx, outcome| node.resume(ctx, id, Event::Queried(outcome)),
        );
        let phase = Phase::Querying;
        self.coordinations
            .insert(id, Coordination { client, op, phase });
    }

    /// Advance coordination `id` with the result it was waiting for.
    pub fn resume(&mut self, ctx: &mut Ctx<'_, Self>, id: u64, event: Event) {
        let Some(Coordination { client, op, phase }) = self.coordinations.remove(&id) else {
            debug_assert!(false, "a coordination resumes only while it is registered");
            return;
        };
        // exercise: one match over (phase, event): fail on a lost quorum, plan recovery after the query, continue with the next orphan (or drop the request, original), answer after proposing
        // solution-begin
        match (phase, event) {
            (Phase::Querying, Event::Queried(outcome)) if !outcome.succeeded => {
                let reason = Failure::QueryQuorumLost {
                    answered: outcome.accepted.len(),
                    required: outcome.required,
                };
                ctx.reply(&client, Msg::Failed { reason });
            }
            (Phase::Querying, Event::Queried(outcome)) => {
                let plan = recovery_plan(self.config.behaviour, &outcome.replies);
                self.advance(ctx, id, client, op, plan);
            }
            (
                Phase::Recovering { .. } | Phase::Proposing { .. },
                Event::AcceptDone(Err(reason)),
            ) => {
                ctx.reply(&client, Msg::Failed { reason });
            }
            (Phase::Recovering { .. }, Event::AcceptDone(Ok(_)))
                if self.config.behaviour == Behaviour::Original =>
            {
                ctx.note("original: the request that triggered recovery is dropped");
            }
            (Phase::Recovering { plan, .. }, Event::AcceptDone(Ok(_))) => {
                self.advance(ctx, id, client, op, plan);
            }
            (Phase::Proposing { .. }, Event::AcceptDone(Ok(value))) => {
                ctx.reply(&client, Msg::Executed { value });
            }
            (phase, event) => {
                debug_assert!(
                    false,
                    "coordination {id} in {phase:?} cannot take {event:?}"
                );
            }
        }
        // solution-end
    }

    /// Start the accept phase of the next orphan, or of the client's operation once no
    /// orphan is left, and suspend the coordination there.
    fn advance(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        id: u64,
        client: Envelope<Msg>,
        op: Operation,
        mut plan: VecDeque<(TxnId, Operation)>,
    ) {
        let timeout = self.config.phase_timeout_ticks;
        let resume = move |node: &mut Self, ctx: &mut Ctx<'_, Self>, done: Result<i64, Failure>| {
            node.resume(ctx, id, Event::AcceptDone(done))
        };
        let phase = match plan.pop_front() {
            Some((txn, orphan)) => {
                ctx.note(format!("recovering {txn}: {orphan}"));
                accept_then_commit(ctx, txn.clone(), orphan, timeout, resume);
                Phase::Recovering { current: txn, plan }
            }
            None => {
                let txn = next_txn(ctx, &mut self.next_seq);
                accept_then_commit(ctx, txn.clone(), op.clone(), timeout, resume);
                Phase::Proposing { txn }
            }
        };
        self.coordinations
            .insert(id, Coordination { client, op, phase });
    }
}
