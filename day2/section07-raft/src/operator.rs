//! An operator: a process outside the clients' history that changes the cluster's
//! membership and moves its leadership, one request at a time, following `NotLeader`
//! hints and retrying the same request until it gets a definitive answer. The membership
//! sweep ([`crate::sweep::run_membership_with`]) runs one under faults; scenario tests
//! give it a fixed script.

use crate::membership::{Configuration, MembershipChange};
use crate::messages::{Msg, RequestId, Term};
use common::{Ctx, Envelope, Process, ProcessId, RpcError, Tick};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

/// One administrative action.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AdminAction {
    /// Add a server (learner, then voter).
    Add(ProcessId),
    /// Remove a server.
    Remove(ProcessId),
    /// Move leadership to a voter.
    Transfer(ProcessId),
}

/// What the operator did, shared with the test that runs it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OperatorLog {
    /// Membership changes answered done.
    pub changes: u64,
    /// Transfers answered done: `(the term the old leader stepped down for, the target)`.
    pub transfers: Vec<(Term, ProcessId)>,
    /// Requests refused (another change in progress, a lagging target, ...).
    pub refused: u64,
    /// Attempts that got `NotLeader` or timed out (and were retried).
    pub retries: u64,
    /// The latest configuration a leader reported.
    pub configuration: Configuration,
    /// The actions answered done, in order.
    pub done: Vec<AdminAction>,
}

/// How the operator picks its actions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// These actions, in order.
    Script(VecDeque<AdminAction>),
    /// Random actions that keep the voters between `min_voters` and `max_voters`: add a
    /// spare, remove a voter, transfer leadership.
    Random {
        /// Never remove below this many voters (by the operator's latest knowledge).
        min_voters: usize,
        /// Never add above this many.
        max_voters: usize,
    },
}

/// The operator process.
pub struct Operator {
    servers: Vec<ProcessId>,
    plan: Plan,
    /// Where the next attempt goes (the latest leader hint).
    target: usize,
    seq: u64,
    /// The action in progress and its request id.
    busy: Option<(AdminAction, RequestId)>,
    /// No new action is started from this tick on.
    until: Tick,
    /// Ticks between the end of one action and the start of the next.
    gap_ticks: Tick,
    next_at: Tick,
    log: Rc<RefCell<OperatorLog>>,
}

/// Ticks an attempt waits for its answer.
const ATTEMPT_TICKS: Tick = 40;

impl Operator {
    /// An operator of `servers` (every server process, members or not) that starts from
    /// `configuration`, acts until tick `until`, and records what it did in `log`.
    pub fn new(
        servers: &[ProcessId],
        configuration: Configuration,
        plan: Plan,
        until: Tick,
        gap_ticks: Tick,
        log: Rc<RefCell<OperatorLog>>,
    ) -> Self {
        log.borrow_mut().configuration = configuration;
        Operator {
            servers: servers.to_vec(),
            plan,
            target: 0,
            seq: 0,
            busy: None,
            until,
            gap_ticks,
            next_at: gap_ticks,
            log,
        }
    }

    fn choose(&mut self, ctx: &mut Ctx<'_, Self>) -> Option<AdminAction> {
        let (min_voters, max_voters) = match &mut self.plan {
            Plan::Script(actions) => return actions.pop_front(),
            Plan::Random {
                min_voters,
                max_voters,
            } => (*min_voters, *max_voters),
        };
        let known = self.log.borrow().configuration.clone();
        let voters: Vec<ProcessId> = known.voters.iter().cloned().collect();
        let spares: Vec<ProcessId> = self
            .servers
            .iter()
            .filter(|s| !known.is_voter(s.as_str()))
            .cloned()
            .collect();
        let mut options = Vec::new();
        if voters.len() < max_voters && !spares.is_empty() {
            options.push(AdminAction::Add(
                spares[ctx.rng().below(spares.len())].clone(),
            ));
        }
        if voters.len() > min_voters {
            options.push(AdminAction::Remove(
                voters[ctx.rng().below(voters.len())].clone(),
            ));
        }
        if !voters.is_empty() {
            options.push(AdminAction::Transfer(
                voters[ctx.rng().below(voters.len())].clone(),
            ));
        }
        if options.is_empty() {
            return None;
        }
        Some(options.swap_remove(ctx.rng().below(options.len())))
    }

    fn attempt(&mut self, ctx: &mut Ctx<'_, Self>) {
        let Some((action, request)) = self.busy.clone() else {
            return;
        };
        let msg = match action {
            AdminAction::Add(id) => Msg::ChangeMembership {
                request,
                change: MembershipChange::AddServer(id),
            },
            AdminAction::Remove(id) => Msg::ChangeMembership {
                request,
                change: MembershipChange::RemoveServer(id),
            },
            AdminAction::Transfer(to) => Msg::TransferLeadership { request, to },
        };
        let to = self.servers[self.target % self.servers.len()].clone();
        ctx.request(to, msg, ATTEMPT_TICKS, |op: &mut Self, ctx, reply| {
            op.on_answer(ctx, reply);
        });
    }

    fn on_answer(&mut self, ctx: &mut Ctx<'_, Self>, reply: Result<Envelope<Msg>, RpcError>) {
        let Some((action, _)) = self.busy.clone() else {
            return;
        };
        let mut log = self.log.borrow_mut();
        match reply.map(|e| e.body) {
            Ok(Msg::MembershipChanged { configuration, .. }) => {
                log.configuration = configuration;
                log.changes += 1;
                log.done.push(action);
            }
            Ok(Msg::LeadershipTransferred { term, .. }) => {
                if let AdminAction::Transfer(to) = &action {
                    log.transfers.push((term, to.clone()));
                    if let Some(at) = self.servers.iter().position(|s| s == to) {
                        self.target = at;
                    }
                }
                log.done.push(action);
            }
            Ok(Msg::Refused { configuration, .. }) => {
                log.configuration = configuration;
                log.refused += 1;
            }
            Ok(Msg::NotLeader {
                hint: Some(hint), ..
            }) => {
                log.retries += 1;
                self.target = self
                    .servers
                    .iter()
                    .position(|s| *s == hint)
                    .unwrap_or(self.target + 1);
                drop(log);
                return self.attempt(ctx);
            }
            _ => {
                // No leader known, a timeout, or a stray answer: try the next server.
                log.retries += 1;
                self.target += 1;
                drop(log);
                return self.attempt(ctx);
            }
        }
        self.busy = None;
        self.next_at = ctx.now() + self.gap_ticks;
    }
}

impl Process for Operator {
    type Msg = Msg;

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, env: Envelope<Msg>) {
        ctx.note(format!("operator ignores a stray {:?}", env.body));
    }

    fn on_tick(&mut self, ctx: &mut Ctx<'_, Self>) {
        if self.busy.is_some() || ctx.now() < self.next_at || ctx.now() >= self.until {
            return;
        }
        let Some(action) = self.choose(ctx) else {
            return;
        };
        self.seq += 1;
        let request = RequestId::new(ctx.id().clone(), self.seq);
        ctx.note(format!("operator starts {action:?}"));
        self.busy = Some((action, request));
        self.attempt(ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::names::{ATHENS, BYZANTIUM, CYRENE, DELPHI, EPHESUS, FIVE};
    use common::solo::Solo;

    /// The first action a random operator takes under `seed`, knowing the voters athens,
    /// byzantium and cyrene among five servers.
    fn first_action(seed: u64, min_voters: usize, max_voters: usize) -> Msg {
        let servers = FIVE.map(ProcessId::new);
        let log = Rc::new(RefCell::new(OperatorLog::default()));
        let operator = Operator::new(
            &servers,
            Configuration::new([ATHENS, BYZANTIUM, CYRENE]),
            Plan::Random {
                min_voters,
                max_voters,
            },
            1_000,
            1,
            log,
        );
        let mut solo = Solo::with_seed(seed, "operator", FIVE, operator);
        solo.tick_n(2);
        let sent = solo.take_sent();
        assert_eq!(sent.len(), 1, "one request: {sent:?}");
        sent[0].body.clone()
    }

    #[test]
    fn the_random_operator_adds_only_spares_below_its_most_voters_and_removes_only_above_its_fewest()
     {
        let mut adds = 0;
        for seed in 0..20 {
            match first_action(seed, 3, 4) {
                Msg::ChangeMembership {
                    change: MembershipChange::AddServer(id),
                    ..
                } => {
                    assert!(
                        id == DELPHI || id == EPHESUS,
                        "seed {seed}: only a spare is added, not {id}"
                    );
                    adds += 1;
                }
                Msg::TransferLeadership { .. } => {}
                other => panic!("seed {seed}: at three voters of 3..=4, not {other:?}"),
            }
        }
        assert!(adds > 0, "some of 20 seeds add a spare");
        for seed in 0..20 {
            assert!(
                matches!(first_action(seed, 3, 3), Msg::TransferLeadership { .. }),
                "seed {seed}: at three voters of 3..=3, only a transfer is possible"
            );
        }
        let mut removes = 0;
        for seed in 0..20 {
            match first_action(seed, 2, 3) {
                Msg::ChangeMembership {
                    change: MembershipChange::RemoveServer(id),
                    ..
                } => {
                    assert!(
                        [ATHENS, BYZANTIUM, CYRENE].contains(&id.as_str()),
                        "seed {seed}: only a voter is removed, not {id}"
                    );
                    removes += 1;
                }
                Msg::TransferLeadership { .. } => {}
                other => panic!("seed {seed}: at three voters of 2..=3, not {other:?}"),
            }
        }
        assert!(
            removes > 0,
            "some of 20 seeds remove a voter above the fewest"
        );
    }

    /// Answer the one request the operator sent with `body`, from its addressee; record
    /// the request's sequence number in `seqs`.
    fn answer(
        solo: &mut Solo<Operator>,
        seqs: &mut Vec<u64>,
        body: impl FnOnce(RequestId) -> Msg,
    ) -> ProcessId {
        let sent = solo.take_sent();
        assert_eq!(sent.len(), 1, "one request in flight: {sent:?}");
        let request = match &sent[0].body {
            Msg::ChangeMembership { request, .. } | Msg::TransferLeadership { request, .. } => {
                request.clone()
            }
            other => panic!("not an admin request: {other:?}"),
        };
        seqs.push(request.seq);
        solo.deliver_envelope(Envelope {
            from: sent[0].to.clone(),
            to: sent[0].from.clone(),
            corr: None,
            in_reply_to: sent[0].corr,
            body: body(request),
        });
        sent[0].to.clone()
    }

    #[test]
    fn the_operator_follows_hints_takes_a_refusal_as_an_answer_waits_its_gap_and_goes_to_a_transfers_target()
     {
        let servers = FIVE.map(ProcessId::new);
        let log = Rc::new(RefCell::new(OperatorLog::default()));
        let script = [
            AdminAction::Add(ProcessId::new(DELPHI)),
            AdminAction::Transfer(ProcessId::new(EPHESUS)),
            AdminAction::Remove(ProcessId::new(BYZANTIUM)),
        ];
        let operator = Operator::new(
            &servers,
            Configuration::new([ATHENS, BYZANTIUM, CYRENE]),
            Plan::Script(script.clone().into()),
            1_000,
            10,
            Rc::clone(&log),
        );
        let mut solo = Solo::new("operator", FIVE, operator);
        let mut seqs = Vec::new();
        solo.tick_n(9);
        assert_eq!(
            solo.take_sent(),
            vec![],
            "nothing before the first gap of 10 ticks"
        );
        solo.tick();
        let first = answer(&mut solo, &mut seqs, |request| Msg::NotLeader {
            request,
            hint: None,
        });
        assert_eq!(first, ATHENS, "the first attempt goes to the first server");
        let second = answer(&mut solo, &mut seqs, |request| Msg::NotLeader {
            request,
            hint: Some(ProcessId::new("olympia")),
        });
        assert_eq!(
            second, BYZANTIUM,
            "without a hint, the retry goes to the next server"
        );
        let third = answer(&mut solo, &mut seqs, |request| Msg::NotLeader {
            request,
            hint: Some(ProcessId::new(ATHENS)),
        });
        assert_eq!(
            third, CYRENE,
            "with a hint it does not know, to the next server too"
        );
        assert_eq!(log.borrow().retries, 3, "each NotLeader answer is a retry");
        let refused_by = answer(&mut solo, &mut seqs, |request| Msg::Refused {
            request,
            reason: "another change or transfer is in progress".into(),
            configuration: Configuration::new([ATHENS, BYZANTIUM, CYRENE, EPHESUS]),
        });
        assert_eq!(
            refused_by, ATHENS,
            "with a hint it knows, to the hint, at once"
        );
        {
            let log = log.borrow();
            assert_eq!(
                (log.refused, log.changes, log.retries),
                (1, 0, 3),
                "a refusal is an answer: counted, not retried"
            );
            assert!(
                log.configuration.is_voter(EPHESUS),
                "the refusal's configuration is the operator's latest knowledge"
            );
        }
        solo.tick_n(9);
        assert_eq!(
            solo.take_sent(),
            vec![],
            "the next action waits 10 ticks after the last answer"
        );
        solo.tick();
        let transferred_by = answer(&mut solo, &mut seqs, |request| Msg::LeadershipTransferred {
            request,
            term: 2,
        });
        assert_eq!(
            transferred_by, ATHENS,
            "the next action goes where the last answer came from"
        );
        assert_eq!(
            log.borrow().transfers,
            vec![(2, ProcessId::new(EPHESUS))],
            "the transfer is recorded with the term the old leader stepped down for"
        );
        solo.tick_n(10);
        let removed_by = answer(&mut solo, &mut seqs, |request| Msg::MembershipChanged {
            request,
            configuration: Configuration::new([ATHENS, CYRENE, EPHESUS]),
        });
        assert_eq!(
            removed_by, EPHESUS,
            "after a transfer, the operator goes to its target"
        );
        let log = log.borrow();
        assert_eq!(
            log.done,
            script[1..].to_vec(),
            "the transfer and the removal are done; the refused addition is not"
        );
        assert_eq!(log.changes, 1);
        assert_eq!(
            seqs,
            vec![1, 1, 1, 1, 2, 3],
            "each action has a request id of its own, kept by its retries"
        );
    }
}
