//! Leadership transfer (§3.10 of the Raft dissertation): the leader hands over to a
//! chosen voter, for maintenance (restart the leader's machine without an election
//! timeout of unavailability) or to move leadership near the clients.
//!
//! ## The protocol
//!
//! 1. An operator sends `TransferLeadership { to }` to the leader. A target that is not a
//!    voter (a learner, or not a member) is refused at once: it could not win.
//! 2. The leader **stops accepting client writes** (it answers them `NotLeader` with the
//!    target as hint): a log that keeps growing could keep the target behind for ever.
//! 3. It replicates to the target until the target's match index is its last index.
//! 4. It sends **`TimeoutNow`**: the target starts an election at once, in the next term.
//!
//! ## Why TimeoutNow, and why it skips pre-vote
//!
//! Stepping down and hoping the target times out first would hand leadership to whoever
//! times out first. `TimeoutNow` makes the target the first candidate of the next term,
//! and since its log is as up to date as the leader's, every voter that the leader could
//! win grants it. The target skips pre-vote (a pre-vote exists to protect a healthy
//! leader, and here the leader itself asks for the election), and its `RequestVote`
//! carries `transfer: true`: with check-quorum a voter that has just heard from its leader
//! ignores vote requests (leader stickiness), but a request marked as a transfer is the
//! leader's own wish, so it is heard.
//!
//! ## When it fails
//!
//! A target that stays behind (slow, crashed, partitioned) for an election timeout makes
//! the leader give up: it refuses the transfer and accepts writes again. A `TimeoutNow`
//! that is lost is the same case. A target that starts an election and loses costs one
//! election, as any timeout would.

use crate::messages::{Msg, RequestId, Term};
use crate::server::{Role, Server};
use common::{Ctx, Envelope, ProcessId, Tick};

/// A leadership transfer in progress at the leader.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PendingTransfer {
    pub(crate) envelope: Envelope<Msg>,
    pub(crate) request: RequestId,
    /// The voter that should lead.
    pub(crate) to: ProcessId,
    /// Ticks since the transfer started.
    pub(crate) elapsed: Tick,
    /// `TimeoutNow` has been sent.
    pub(crate) sent: bool,
}

/// Whether a leader sends `TimeoutNow` to the target: its log matches the leader's whole
/// log (and the leader has not already sent it).
pub fn ready_for_timeout_now(target_match: u64, leader_last: u64, already_sent: bool) -> bool {
    // exercise: the target is ready when TimeoutNow was not sent yet and its match index has reached the leader's last index
    // solution-begin
    !already_sent && target_match >= leader_last
    // solution-end
}

impl Server {
    /// The target of a leadership transfer in progress here, if any.
    pub fn transferring_to(&self) -> Option<&ProcessId> {
        self.transfer.as_ref().map(|t| &t.to)
    }

    /// An operator asks the leader to hand over to `to`.
    pub(crate) fn on_transfer_leadership(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        env: Envelope<Msg>,
        request: RequestId,
        to: ProcessId,
    ) {
        if self.role != Role::Leader {
            let hint = self.leader.clone().filter(|l| *l != self.id);
            ctx.reply(&env, Msg::NotLeader { request, hint });
            return;
        }
        if let Some(pending) = self.transfer.as_mut().filter(|t| t.request == request) {
            // A retry of the transfer in progress: answer the latest attempt.
            pending.envelope = env;
            return;
        }
        if to == self.id {
            let term = self.current_term;
            ctx.reply(&env, Msg::LeadershipTransferred { request, term });
            return;
        }
        let refusal = if !self.configuration().is_voter(&to) {
            Some(format!("{to} is not a voter: it cannot lead"))
        } else if self.transfer.is_some() || self.change.is_some() {
            Some("another change or transfer is in progress".to_string())
        } else {
            None
        };
        if let Some(reason) = refusal {
            ctx.note(format!("refuses {request}: {reason}"));
            let configuration = self.configuration().clone();
            ctx.reply(
                &env,
                Msg::Refused {
                    request,
                    reason,
                    configuration,
                },
            );
            return;
        }
        ctx.note(format!("transfers leadership to {to}: writes are held"));
        self.transfer = Some(PendingTransfer {
            envelope: env,
            request,
            to: to.clone(),
            elapsed: 0,
            sent: false,
        });
        self.send_appends(ctx, &to);
        self.transfer_tick_check(ctx);
    }

    /// Leader, once per tick: send `TimeoutNow` once the target has caught up; give up
    /// after an election timeout.
    pub(crate) fn transfer_tick(&mut self, ctx: &mut Ctx<'_, Self>) {
        let Some(transfer) = self.transfer.as_mut() else {
            return;
        };
        transfer.elapsed += 1;
        if transfer.elapsed > self.config.election_timeout_ticks.1 {
            let Some(transfer) = self.transfer.take() else {
                return;
            };
            let reason = format!(
                "{} stayed behind for an election timeout; {} leads on",
                transfer.to, self.id
            );
            ctx.note(format!("gives up the transfer: {reason}"));
            let configuration = self.configuration().clone();
            ctx.reply(
                &transfer.envelope,
                Msg::Refused {
                    request: transfer.request,
                    reason,
                    configuration,
                },
            );
            return;
        }
        self.transfer_tick_check(ctx);
    }

    fn transfer_tick_check(&mut self, ctx: &mut Ctx<'_, Self>) {
        let last = self.last_index();
        let Some(transfer) = self.transfer.as_ref() else {
            return;
        };
        let matched = self.match_index(transfer.to.as_str()).unwrap_or(0);
        if ready_for_timeout_now(matched, last, transfer.sent) {
            let to = transfer.to.clone();
            if let Some(transfer) = self.transfer.as_mut() {
                transfer.sent = true;
            }
            ctx.note(format!("{to} has caught up: sends TimeoutNow"));
            let term = self.current_term;
            self.send_to(ctx, &to, Msg::TimeoutNow { term });
        }
    }

    /// The target's side: start an election at once (no pre-vote), marked as a transfer.
    pub(crate) fn on_timeout_now(&mut self, ctx: &mut Ctx<'_, Self>, from: &ProcessId, term: Term) {
        if term != self.current_term || self.role == Role::Leader || !self.is_voter() {
            ctx.note(format!("ignores TimeoutNow of term {term} from {from}"));
            return;
        }
        ctx.note(format!("told by {from} to stand now"));
        self.election_by_transfer = true;
        self.start_election(ctx);
    }

    /// Leader stepping down: the operator of a transfer whose `TimeoutNow` went out learns
    /// it happened; other admin requests are told `NotLeader`.
    pub(crate) fn answer_admin_requests(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        hint: Option<ProcessId>,
    ) {
        if let Some(transfer) = self.transfer.take() {
            let answer = if transfer.sent {
                Msg::LeadershipTransferred {
                    request: transfer.request,
                    term: self.current_term,
                }
            } else {
                Msg::NotLeader {
                    request: transfer.request,
                    hint: hint.clone(),
                }
            };
            ctx.reply(&transfer.envelope, answer);
        }
        if let Some(change) = self.change.take() {
            let answer = Msg::NotLeader {
                request: change.request,
                hint,
            };
            ctx.reply(&change.envelope, answer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_now_goes_once_and_only_to_a_target_that_holds_the_whole_log() {
        assert!(
            ready_for_timeout_now(7, 7, false),
            "a caught-up target is told"
        );
        assert!(
            !ready_for_timeout_now(6, 7, false),
            "a target one entry behind is not"
        );
        assert!(!ready_for_timeout_now(7, 7, true), "TimeoutNow goes once");
    }
}
