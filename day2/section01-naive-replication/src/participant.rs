//! The participant role of the "two-phase" and "three-phase" servers: stage on `Accept`,
//! apply on `Commit`, report staged operations on `Query`.
//!
//! Every server is a participant, the coordinator included: it stages its own operations
//! like everybody else, and applies them when its accept phase reached a majority.

use crate::config::Behaviour;
use crate::counters::Counters;
use crate::messages::{Msg, Operation, TxnId};
use common::{Ctx, Envelope, Process};
use std::collections::BTreeMap;

/// A participant's state. Nothing of it is persisted: this section has no durability
/// (a restarted server starts empty, see the section's essay).
#[derive(Clone, Debug)]
pub struct Participant {
    /// The state machine.
    pub counters: Counters,
    /// Operations accepted and not yet applied, by id.
    pub staged: BTreeMap<TxnId, Operation>,
    /// How many times each operation was applied here. The corrected behaviour consults it
    /// to make `Accept` and `Commit` idempotent; the original keeps no such memory, and
    /// tests read the counts to catch an operation applied twice.
    pub applied: BTreeMap<TxnId, u32>,
    behaviour: Behaviour,
}

impl Participant {
    /// An empty participant.
    pub fn new(behaviour: Behaviour) -> Self {
        Participant {
            counters: Counters::new(),
            staged: BTreeMap::new(),
            applied: BTreeMap::new(),
            behaviour,
        }
    }

    /// Whether `txn` was applied here.
    pub fn has_applied(&self, txn: &TxnId) -> bool {
        self.applied.contains_key(txn)
    }

    /// `Accept`: stage `op` under `txn`. Returns whether it is now staged (an operation
    /// already applied is not staged again by the corrected behaviour).
    pub fn stage(&mut self, txn: TxnId, op: Operation) -> bool {
        // exercise: stage the operation, unless (corrected behaviour) it was already applied here
        // solution-begin
        if self.behaviour == Behaviour::Corrected && self.has_applied(&txn) {
            return false;
        }
        self.staged.insert(txn, op);
        true
        // solution-end
    }

    /// `Commit`: apply `txn` and return the counter's new value, or `None` if nothing was
    /// applied (already applied, or — in the original — never staged here).
    pub fn commit(&mut self, txn: TxnId, op: Operation) -> Option<i64> {
        // exercise: apply a committed operation exactly once; a commit for an operation this server never staged still applies it (corrected behaviour)
        // solution-begin
        let staged = self.staged.remove(&txn);
        let op = match (self.behaviour, staged) {
            (Behaviour::Corrected, _) if self.has_applied(&txn) => return None,
            (_, Some(staged)) => staged,
            (Behaviour::Corrected, None) => op,
            (Behaviour::Original, None) => return None,
        };
        let times = self.applied.entry(txn).or_insert(0);
        *times += 1;
        debug_assert!(
            self.behaviour == Behaviour::Original || *times == 1,
            "a corrected participant must apply each operation at most once"
        );
        Some(self.counters.apply(&op))
        // solution-end
    }

    /// What a `Query` reports: every staged operation in id order (the original: only
    /// the first one, the other orphans stay invisible).
    pub fn pending(&self) -> Vec<(TxnId, Operation)> {
        let all = self.staged.iter().map(|(t, o)| (t.clone(), o.clone()));
        match self.behaviour {
            Behaviour::Corrected => all.collect(),
            Behaviour::Original => all.take(1).collect(),
        }
    }

    /// Handle a participant message (`Accept`, `Commit`, `Query`, `Get`) for any server
    /// type; returns `false` for a message that is not a participant's business.
    pub fn on_message<P: Process<Msg = Msg>>(
        &mut self,
        ctx: &mut Ctx<'_, P>,
        env: &Envelope<Msg>,
    ) -> bool {
        match &env.body {
            Msg::Accept { txn, op } => {
                self.stage(txn.clone(), op.clone());
                ctx.reply(env, Msg::Accepted { txn: txn.clone() });
            }
            Msg::Commit { txn, op } => {
                if self.commit(txn.clone(), op.clone()).is_none() {
                    ctx.note(format!("commit of {txn} ignored: nothing to apply here"));
                }
            }
            Msg::Query => {
                let staged = self.pending();
                ctx.reply(env, Msg::Pending { staged });
            }
            Msg::Get { key } => {
                let value = self.counters.get(key);
                ctx.reply(env, Msg::Value { value });
            }
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::ProcessId;

    fn txn(seq: u64) -> TxnId {
        TxnId {
            seq,
            coordinator: ProcessId::new("athens"),
            incarnation: 0,
        }
    }

    #[test]
    fn step2_a_corrected_participant_applies_a_re_accepted_and_re_committed_operation_once() {
        let mut p = Participant::new(Behaviour::Corrected);
        let op = Operation::increment("k", 10);
        p.stage(txn(1), op.clone());
        assert_eq!(p.commit(txn(1), op.clone()), Some(10));
        assert!(
            !p.stage(txn(1), op.clone()),
            "an applied operation must not be staged again"
        );
        assert_eq!(p.commit(txn(1), op), None, "nor applied again");
        assert_eq!(p.counters.get("k"), Some(10));
    }

    #[test]
    fn step2_the_original_participant_applies_a_re_accepted_operation_twice() {
        let mut p = Participant::new(Behaviour::Original);
        let op = Operation::increment("k", 10);
        p.stage(txn(1), op.clone());
        p.commit(txn(1), op.clone());
        p.stage(txn(1), op.clone());
        p.commit(txn(1), op);
        assert_eq!(p.counters.get("k"), Some(20), "the original's bug");
        assert_eq!(p.applied[&txn(1)], 2);
    }

    #[test]
    fn step2_the_original_ignores_a_commit_it_never_staged_and_the_corrected_applies_it() {
        let op = Operation::increment("k", 1);
        let mut original = Participant::new(Behaviour::Original);
        assert_eq!(original.commit(txn(1), op.clone()), None);
        let mut corrected = Participant::new(Behaviour::Corrected);
        assert_eq!(corrected.commit(txn(1), op), Some(1));
    }

    #[test]
    fn step2_a_query_reports_every_staged_operation_but_the_original_only_one() {
        let mut corrected = Participant::new(Behaviour::Corrected);
        let mut original = Participant::new(Behaviour::Original);
        for p in [&mut corrected, &mut original] {
            p.stage(txn(1), Operation::increment("a", 1));
            p.stage(txn(2), Operation::increment("b", 1));
        }
        assert_eq!(corrected.pending().len(), 2);
        assert_eq!(original.pending().len(), 1, "the original hides the rest");
    }
}
