//! The "two-phase" server: stage on a majority (accept), then apply (commit).
//!
//! Not the atomic-commitment protocol 2PC of the database literature: nobody can vote
//! no, nothing aborts, and a majority (not everybody) is enough. It is majority-quorum
//! replication with execution separated from acceptance.

use crate::config::Config;
use crate::counters::{Counters, HasCounters};
use crate::messages::{Failure, Msg, Operation, TxnId};
use crate::participant::Participant;
use common::{Ctx, Envelope, Process, QuorumPolicy, Tick};

/// A server that takes part in accept/commit replication.
pub trait Replica: Process<Msg = Msg> {
    /// The server's participant state.
    fn participant_mut(&mut self) -> &mut Participant;
}

/// The two phases, for any replica type: send `Accept` to every server (this one
/// included); once a majority accepted, apply locally, send `Commit` to the others and
/// call `then` with the counter's new value. If no majority accepts within `timeout`
/// ticks, call `then` with the failure and commit nothing.
pub fn accept_then_commit<P: Replica>(
    ctx: &mut Ctx<'_, P>,
    txn: TxnId,
    op: Operation,
    timeout: Tick,
    then: impl for<'c> FnOnce(&mut P, &mut Ctx<'c, P>, Result<i64, Failure>) + 'static,
) {
    // exercise: stage on a majority (Accept to every server), then apply locally and send Commit to the others; report AcceptQuorumLost otherwise
    // solution-begin
    let targets = ctx.all_nodes().to_vec();
    let expected = txn.clone();
    let policy = QuorumPolicy::majority()
        .timeout(timeout)
        .accept(move |m: &Msg| matches!(m, Msg::Accepted { txn } if *txn == expected));
    let accept = Msg::Accept {
        txn: txn.clone(),
        op: op.clone(),
    };
    ctx.quorum(
        &targets,
        accept,
        policy,
        move |node: &mut P, ctx, outcome| {
            if !outcome.succeeded {
                let reason = Failure::AcceptQuorumLost {
                    accepted: outcome.accepted.len(),
                    required: outcome.required,
                };
                then(node, ctx, Err(reason));
                return;
            }
            let participant = node.participant_mut();
            let value = match participant.commit(txn.clone(), op.clone()) {
                Some(value) => value,
                // Already applied here (a recovered operation): report the current value.
                None => participant.counters.get(op.key()).unwrap_or(0),
            };
            for peer in ctx.peers().to_vec() {
                let commit = Msg::Commit {
                    txn: txn.clone(),
                    op: op.clone(),
                };
                ctx.send(peer, commit);
            }
            then(node, ctx, Ok(value));
        },
    );
    // solution-end
}

/// A fresh operation id for this coordinator.
pub(crate) fn next_txn<P: Process>(ctx: &Ctx<'_, P>, seq: &mut u64) -> TxnId {
    *seq += 1;
    TxnId {
        seq: *seq,
        coordinator: ctx.id().clone(),
        incarnation: ctx.incarnation(),
    }
}

/// The "two-phase" server. Whichever server a client calls coordinates that request;
/// every server (the coordinator included) is a participant.
#[derive(Debug)]
pub struct TwoPhaseServer {
    /// Staged and applied operations, and the counters.
    pub participant: Participant,
    config: Config,
    next_seq: u64,
}

impl TwoPhaseServer {
    /// A server with the given settings.
    pub fn new(config: Config) -> Self {
        TwoPhaseServer {
            participant: Participant::new(config.behaviour),
            config,
            next_seq: 0,
        }
    }

    fn coordinate(&mut self, ctx: &mut Ctx<'_, Self>, client: Envelope<Msg>, op: Operation) {
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

impl Replica for TwoPhaseServer {
    fn participant_mut(&mut self) -> &mut Participant {
        &mut self.participant
    }
}

impl HasCounters for TwoPhaseServer {
    fn counters(&self) -> &Counters {
        &self.participant.counters
    }
}

impl Process for TwoPhaseServer {
    type Msg = Msg;

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, env: Envelope<Msg>) {
        if let Msg::Execute { op } = &env.body {
            let op = op.clone();
            self.coordinate(ctx, env, op);
        } else if !self.participant.on_message(ctx, &env) {
            ctx.note(format!("two-phase server ignores {:?}", env.body));
        }
    }
}
