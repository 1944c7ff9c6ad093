//! Quorum fan-out: send one request to many nodes and decide once.
//!
//! `Ctx::quorum` sends the same message to every target and calls back **once** with a
//! [`QuorumOutcome`]. The rules, in the order they are applied to each reply:
//!
//! * a reply that fails the policy's `accept` predicate (a rejection) is kept in
//!   `replies` but does not count towards the quorum;
//! * a node that times out counts as not accepting; it does not fail the whole quorum;
//! * **success** as soon as `accepted >= required` ([`QuorumMode::FirstQuorum`]);
//! * **fail fast** as soon as `accepted + outstanding < required`: once success is
//!   impossible there is no point waiting for the rest;
//! * after the decision, the requests still outstanding are withdrawn, so late and
//!   duplicate replies are dropped (and traced as such).
//!
//! [`QuorumMode::AllWithinTimeout`] waits for every target (or its timeout) instead, for
//! protocols such as read repair that want to see every answer.

use crate::error::RpcError;
use crate::id::{CorrId, ProcessId};
use crate::time::Tick;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::rc::Rc;

/// When the quorum decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum QuorumMode {
    /// Decide at the first moment success is reached or becomes impossible (default).
    #[default]
    FirstQuorum,
    /// Decide once every target replied or timed out.
    AllWithinTimeout,
}

/// Decides whether a reply counts towards the quorum.
type Accept<M> = Rc<dyn Fn(&M) -> bool>;

/// How a quorum is counted.
pub struct QuorumPolicy<M> {
    pub(crate) required: Option<usize>,
    pub(crate) accept: Option<Accept<M>>,
    pub(crate) mode: QuorumMode,
    pub(crate) timeout: Option<Tick>,
}

impl<M> Clone for QuorumPolicy<M> {
    fn clone(&self) -> Self {
        QuorumPolicy {
            required: self.required,
            accept: self.accept.clone(),
            mode: self.mode,
            timeout: self.timeout,
        }
    }
}

impl<M> fmt::Debug for QuorumPolicy<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QuorumPolicy")
            .field("required", &self.required)
            .field("has_accept_predicate", &self.accept.is_some())
            .field("mode", &self.mode)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl<M> Default for QuorumPolicy<M> {
    fn default() -> Self {
        Self::majority()
    }
}

/// The majority of `n`: the smallest count such that any two such sets intersect.
pub fn majority(n: usize) -> usize {
    n / 2 + 1
}

impl<M> QuorumPolicy<M> {
    /// A majority of the targets, every reply accepted, first-quorum mode, the cluster's
    /// request timeout.
    pub fn majority() -> Self {
        QuorumPolicy {
            required: None,
            accept: None,
            mode: QuorumMode::FirstQuorum,
            timeout: None,
        }
    }

    /// Exactly `n` acceptances required (e.g. W or R of a Dynamo-style store).
    pub fn count(n: usize) -> Self {
        QuorumPolicy {
            required: Some(n),
            ..Self::majority()
        }
    }

    /// Count only replies for which `accept` is true.
    pub fn accept(mut self, accept: impl Fn(&M) -> bool + 'static) -> Self {
        self.accept = Some(Rc::new(accept));
        self
    }

    /// When to decide.
    pub fn mode(mut self, mode: QuorumMode) -> Self {
        self.mode = mode;
        self
    }

    /// Per-request timeout in ticks.
    pub fn timeout(mut self, ticks: Tick) -> Self {
        self.timeout = Some(ticks);
        self
    }

    /// The acceptances needed out of `targets`.
    pub fn required_of(&self, targets: usize) -> usize {
        self.required.unwrap_or_else(|| majority(targets))
    }
}

/// What a quorum fan-out ended with.
#[derive(Clone, Debug, PartialEq)]
pub struct QuorumOutcome<M> {
    /// At least `required` targets accepted.
    pub succeeded: bool,
    /// Acceptances needed.
    pub required: usize,
    /// Every reply received before the decision, accepted or not.
    pub replies: BTreeMap<ProcessId, M>,
    /// Targets whose reply was accepted.
    pub accepted: BTreeSet<ProcessId>,
    /// Targets that failed (timed out).
    pub failed: BTreeMap<ProcessId, RpcError>,
    /// Targets that had not answered when the quorum decided.
    pub outstanding: BTreeSet<ProcessId>,
}

impl<M> QuorumOutcome<M> {
    /// The accepted replies.
    pub fn accepted_replies(&self) -> impl Iterator<Item = (&ProcessId, &M)> {
        self.replies
            .iter()
            .filter(|(id, _)| self.accepted.contains(*id))
    }
}

/// The counting state of one fan-out (no callbacks: see `Ctx::quorum`).
pub(crate) struct Collector<M> {
    pub(crate) policy: QuorumPolicy<M>,
    pub(crate) required: usize,
    pub(crate) requests: BTreeMap<ProcessId, CorrId>,
    pub(crate) replies: BTreeMap<ProcessId, M>,
    pub(crate) accepted: BTreeSet<ProcessId>,
    pub(crate) failed: BTreeMap<ProcessId, RpcError>,
}

impl<M> Collector<M> {
    pub(crate) fn new(policy: QuorumPolicy<M>, targets: usize) -> Self {
        let required = policy.required_of(targets);
        Collector {
            policy,
            required,
            requests: BTreeMap::new(),
            replies: BTreeMap::new(),
            accepted: BTreeSet::new(),
            failed: BTreeMap::new(),
        }
    }

    fn outstanding(&self) -> BTreeSet<ProcessId> {
        self.requests
            .keys()
            .filter(|id| !self.replies.contains_key(*id) && !self.failed.contains_key(*id))
            .cloned()
            .collect()
    }

    /// Record one answer. Returns true if it was the first answer from that node.
    pub(crate) fn record(&mut self, from: &ProcessId, answer: Result<M, RpcError>) -> bool {
        if self.replies.contains_key(from) || self.failed.contains_key(from) {
            return false;
        }
        match answer {
            Ok(reply) => {
                let accepted = self
                    .policy
                    .accept
                    .as_ref()
                    .is_none_or(|accept| accept(&reply));
                if accepted {
                    self.accepted.insert(from.clone());
                }
                self.replies.insert(from.clone(), reply);
            }
            Err(e) => {
                self.failed.insert(from.clone(), e);
            }
        }
        true
    }

    /// `Some(succeeded)` once the quorum can decide.
    pub(crate) fn decision(&self) -> Option<bool> {
        let accepted = self.accepted.len();
        let outstanding = self.outstanding().len();
        match self.policy.mode {
            QuorumMode::FirstQuorum if accepted >= self.required => Some(true),
            QuorumMode::FirstQuorum if accepted + outstanding < self.required => Some(false),
            QuorumMode::FirstQuorum => None,
            QuorumMode::AllWithinTimeout if outstanding == 0 => Some(accepted >= self.required),
            QuorumMode::AllWithinTimeout => None,
        }
    }

    pub(crate) fn outcome(self, succeeded: bool) -> QuorumOutcome<M> {
        let outstanding = self.outstanding();
        QuorumOutcome {
            succeeded,
            required: self.required,
            replies: self.replies,
            accepted: self.accepted,
            failed: self.failed,
            outstanding,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collector(policy: QuorumPolicy<bool>, targets: &[&str]) -> Collector<bool> {
        let mut c = Collector::new(policy, targets.len());
        for (i, t) in targets.iter().enumerate() {
            c.requests
                .insert(ProcessId::new(t), CorrId::new(0, i as u64 + 1));
        }
        c
    }

    fn yes_only() -> QuorumPolicy<bool> {
        QuorumPolicy::majority().accept(|ok: &bool| *ok)
    }

    #[test]
    fn majority_is_more_than_half() {
        assert_eq!([1, 2, 3, 4, 5].map(majority), [1, 2, 2, 3, 3]);
    }

    #[test]
    fn a_quorum_succeeds_as_soon_as_a_majority_accepts() {
        let mut c = collector(yes_only(), &["a", "b", "c"]);
        c.record(&"a".into(), Ok(true));
        assert_eq!(c.decision(), None);
        c.record(&"b".into(), Ok(true));
        assert_eq!(
            c.decision(),
            Some(true),
            "two of three is a majority; do not wait for c"
        );
    }

    #[test]
    fn a_quorum_fails_as_soon_as_success_is_impossible() {
        let mut c = collector(yes_only(), &["a", "b", "c"]);
        c.record(&"a".into(), Ok(false));
        assert_eq!(
            c.decision(),
            None,
            "one rejection of three still leaves a majority possible"
        );
        c.record(&"b".into(), Ok(false));
        assert_eq!(
            c.decision(),
            Some(false),
            "two rejections of three: fail without waiting for c"
        );
    }

    #[test]
    fn a_timeout_counts_as_one_missing_vote_not_as_failure_of_the_quorum() {
        let mut c = collector(yes_only(), &["a", "b", "c"]);
        c.record(&"a".into(), Err(RpcError::Timeout { after_ticks: 10 }));
        assert_eq!(
            c.decision(),
            None,
            "tickloom failed on the first timeout; we must not"
        );
        c.record(&"b".into(), Ok(true));
        c.record(&"c".into(), Ok(true));
        assert_eq!(c.decision(), Some(true));
    }

    #[test]
    fn a_duplicate_reply_from_the_same_node_is_ignored() {
        let mut c = collector(yes_only(), &["a", "b", "c"]);
        assert!(c.record(&"a".into(), Ok(true)));
        assert!(
            !c.record(&"a".into(), Ok(true)),
            "the second reply from a must be ignored"
        );
        assert_eq!(c.decision(), None, "one node must not count twice");
    }

    #[test]
    fn all_within_timeout_waits_for_every_target() {
        let mut c = collector(
            yes_only().mode(QuorumMode::AllWithinTimeout),
            &["a", "b", "c"],
        );
        c.record(&"a".into(), Ok(true));
        c.record(&"b".into(), Ok(true));
        assert_eq!(
            c.decision(),
            None,
            "read repair wants to see c's answer too"
        );
        c.record(&"c".into(), Ok(false));
        let outcome = c.outcome(true);
        assert_eq!(outcome.replies.len(), 3);
        assert_eq!(outcome.accepted.len(), 2);
    }

    #[test]
    fn an_explicit_count_overrides_the_majority() {
        let mut c = collector(QuorumPolicy::count(1), &["a", "b", "c"]);
        c.record(&"c".into(), Ok(false));
        assert_eq!(
            c.decision(),
            Some(true),
            "R = 1 succeeds on the first reply"
        );
    }
}
