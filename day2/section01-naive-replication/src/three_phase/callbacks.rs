//! The three-phase coordinator as nested callbacks.
//!
//! Each phase ends in a closure that receives the node and carries what the next phase
//! needs (the client's envelope, the operation, the remaining orphans). The code reads
//! top to bottom in the order things happen, like the coroutine version of the Java
//! workshop, but every suspension point is an explicit `move |node, ctx, ..|`.

use super::{ThreePhaseServer, recovery_plan};
use crate::config::Behaviour;
use crate::messages::{Failure, Msg, Operation, TxnId};
use crate::two_phase::{accept_then_commit, next_txn};
use common::{Ctx, Envelope, QuorumPolicy};
use std::collections::VecDeque;

impl ThreePhaseServer {
    /// Phase 0: query a majority for staged operations, then recover and propose.
    pub(crate) fn coordinate_with_callbacks(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        client: Envelope<Msg>,
        op: Operation,
    ) {
        // exercise: query every server; without a majority of answers reply Failed, otherwise recover what they report, then propose
        // solution-begin
        let targets = ctx.all_nodes().to_vec();
        let policy = QuorumPolicy::majority()
            .timeout(self.config.phase_timeout_ticks)
            .accept(|m: &Msg| matches!(m, Msg::Pending { .. }));
        ctx.quorum(
            &targets,
            Msg::Query,
            policy,
            move |node: &mut Self, ctx, outcome| {
                if !outcome.succeeded {
                    let reason = Failure::QueryQuorumLost {
                        answered: outcome.accepted.len(),
                        required: outcome.required,
                    };
                    ctx.reply(&client, Msg::Failed { reason });
                    return;
                }
                let plan = recovery_plan(node.config.behaviour, &outcome.replies);
                node.recover_then_propose(ctx, plan, client, op);
            },
        );
        // solution-end
    }

    /// Finish the orphans one by one, then propose the client's operation.
    fn recover_then_propose(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        mut plan: VecDeque<(TxnId, Operation)>,
        client: Envelope<Msg>,
        op: Operation,
    ) {
        let Some((txn, orphan)) = plan.pop_front() else {
            self.propose(ctx, client, op);
            return;
        };
        ctx.note(format!("recovering {txn}: {orphan}"));
        let timeout = self.config.phase_timeout_ticks;
        accept_then_commit(
            ctx,
            txn,
            orphan,
            timeout,
            move |node: &mut Self, ctx, done| match done {
                Err(reason) => ctx.reply(&client, Msg::Failed { reason }),
                Ok(_) if node.config.behaviour == Behaviour::Original => {
                    ctx.note("original: the request that triggered recovery is dropped");
                }
                Ok(_) => node.recover_then_propose(ctx, plan, client, op),
            },
        );
    }

    /// The two phases for the client's own operation.
    fn propose(&mut self, ctx: &mut Ctx<'_, Self>, client: Envelope<Msg>, op: Operation) {
        let txn = next_txn(ctx, &mut self.next_seq);
        let timeout = self.config.phase_timeout_ticks;
        accept_then_commit(
            ctx,
            txn,
            op,
            timeout,
            move |_node: &mut Self, ctx, result| {
                let answer = match result {
                    Ok(value) => Msg::Executed { value },
                    Err(reason) => Msg::Failed { reason },
                };
                ctx.reply(&client, answer);
            },
        );
    }
}
