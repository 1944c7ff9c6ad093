//! Elections: the randomised timeout, pre-vote, RequestVote with the election
//! restriction, counting votes of the current term only, and becoming leader with a
//! no-op.

use crate::config::VotePersistence;
use crate::messages::{Command, Entry, Index, Msg, Term};
use crate::replication::Progress;
use crate::server::{Role, Server};
use common::{Ctx, Envelope, ProcessId};

/// The election restriction (§5.4.1): a voter grants its vote only to a candidate whose
/// log is at least as up-to-date as its own — a higher last term, or the same last term
/// and at least the same length. A leader elected this way holds every committed entry.
pub fn log_is_up_to_date(candidate: (Index, Term), voter: (Index, Term)) -> bool {
    // exercise: compare (last_log_index, last_log_term) pairs: the later last term wins; with equal last terms, the longer log
    // solution-begin
    let (candidate_index, candidate_term) = candidate;
    let (voter_index, voter_term) = voter;
    candidate_term > voter_term || (candidate_term == voter_term && candidate_index >= voter_index)
    // solution-end
}

/// A strict majority of `n` servers.
pub fn majority(n: usize) -> usize {
    n / 2 + 1
}

impl Server {
    /// The election timer fired: ask for pre-votes (or, without pre-vote, stand).
    pub(crate) fn on_election_timeout(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.election_by_transfer = false;
        if !self.is_voter() {
            // A learner, a removed server or one not yet added never campaigns.
            self.role = Role::Follower;
            self.reset_election_timer(ctx);
            return;
        }
        if self.config.pre_vote {
            self.start_pre_vote(ctx);
        } else {
            self.start_election(ctx);
        }
    }

    /// Ask every other server whether it would vote for this node in the next term,
    /// without changing any term or vote, here or there.
    pub fn start_pre_vote(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.stats.pre_votes += 1;
        self.role = Role::PreCandidate;
        self.leader = None;
        self.votes.clear();
        self.votes.insert(self.id.clone());
        self.reset_election_timer(ctx);
        ctx.note(format!(
            "asks for pre-votes for term {}",
            self.current_term + 1
        ));
        if self.configuration().has_quorum(&self.votes) {
            self.start_election(ctx);
            return;
        }
        self.ask_for_votes(ctx, self.current_term + 1, true);
    }

    /// Stand for election: a new term, a vote for itself, both durable before anyone is
    /// asked (a candidate that crashed after winning but before its vote was on disk could
    /// vote for someone else in the same term).
    pub fn start_election(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.stats.elections += 1;
        let term = self.current_term + 1;
        self.become_follower(ctx, term, None);
        self.role = Role::Candidate;
        self.voted_for = Some(self.id.clone());
        self.hard_state_dirty = true;
        self.votes.insert(self.id.clone());
        self.reset_election_timer(ctx);
        ctx.note(format!("stands for election in term {term}"));
        self.persist(ctx, move |node, ctx| {
            if node.role != Role::Candidate || node.current_term != term {
                return;
            }
            node.announced_votes.insert(term, node.id.clone());
            if node.configuration().has_quorum(&node.votes) {
                node.become_leader(ctx);
                return;
            }
            node.ask_for_votes(ctx, term, false);
        });
    }

    /// A candidate re-sends its request to the servers that have not granted it, every
    /// heartbeat interval of its election: one lost request must not cost a whole
    /// election timeout.
    pub(crate) fn ask_again(&mut self, ctx: &mut Ctx<'_, Self>) {
        let (term, pre_vote) = match self.role {
            Role::PreCandidate => (self.current_term + 1, true),
            // A candidate asks only once its own vote is durable.
            Role::Candidate if self.writes_in_flight == 0 => (self.current_term, false),
            _ => return,
        };
        let msg = self.vote_request(term, pre_vote);
        for peer in self.other_voters() {
            if !self.votes.contains(&peer) {
                self.send_to(ctx, &peer, msg.clone());
            }
        }
    }

    fn vote_request(&self, term: Term, pre_vote: bool) -> Msg {
        Msg::RequestVote {
            term,
            candidate: self.id.clone(),
            last_log_index: self.last_index(),
            last_log_term: self.last_term(),
            pre_vote,
            transfer: !pre_vote && self.election_by_transfer,
        }
    }

    fn ask_for_votes(&mut self, ctx: &mut Ctx<'_, Self>, term: Term, pre_vote: bool) {
        let msg = self.vote_request(term, pre_vote);
        for peer in self.other_voters() {
            self.send_to(ctx, &peer, msg.clone());
        }
    }

    /// Whether this node heard from a leader of its term within the minimum election
    /// timeout (or is the leader): with check-quorum it then refuses to help depose it.
    fn leader_is_fresh(&self) -> bool {
        self.config.check_quorum
            && self.leader.is_some()
            && (self.role == Role::Leader
                || self.election_elapsed < self.config.election_timeout_min())
    }

    /// A voter's side of RequestVote (and of a pre-vote).
    pub(crate) fn on_request_vote(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        env: &Envelope<Msg>,
        term: Term,
        candidate: ProcessId,
        candidate_last: (Index, Term),
        (pre_vote, transfer): (bool, bool),
    ) {
        let up_to_date = log_is_up_to_date(candidate_last, (self.last_index(), self.last_term()));
        if pre_vote {
            // Nothing changes here: a pre-vote is a question, not a vote.
            let granted = term > self.current_term && up_to_date && !self.leader_is_fresh();
            let answer = Msg::Vote {
                term: if granted { term } else { self.current_term },
                granted,
                pre_vote: true,
            };
            self.send_to(ctx, &env.from, answer);
            return;
        }
        if term > self.current_term && self.leader_is_fresh() && !transfer {
            ctx.note(format!(
                "ignores {candidate}'s vote request for term {term}: its leader is alive"
            ));
            return;
        }
        if term > self.current_term {
            // A higher term makes this node a follower, but does not restart its timer
            // unless it grants the vote (bug R9 restarted it for any higher term).
            self.become_follower(ctx, term, None);
        }
        let granted = term == self.current_term
            && self.voted_for.as_ref().is_none_or(|v| *v == candidate)
            && up_to_date;
        if granted {
            self.voted_for = Some(candidate.clone());
            self.hard_state_dirty = true;
            self.reset_election_timer(ctx);
        }
        let answer = Msg::Vote {
            term: self.current_term,
            granted,
            pre_vote: false,
        };
        let to = env.from.clone();
        if self.config.vote_persistence == VotePersistence::MemoryOnly {
            // The broken twin: the vote goes out without ever reaching the disk.
            if granted {
                self.announced_votes.insert(self.current_term, candidate);
            }
            self.send_to(ctx, &to, answer);
            self.persist(ctx, |_, _| {});
            return;
        }
        let voted_in = self.current_term;
        self.persist(ctx, move |node, ctx| {
            if node.current_term == voted_in {
                if granted {
                    node.announced_votes.insert(voted_in, candidate);
                }
                node.send_to(ctx, &to, answer);
            }
        });
    }

    /// A candidate's side: count votes of its own election only (bug R2 counted late
    /// votes of an earlier term), and step down on a higher term (bug R10 ignored it).
    pub(crate) fn on_vote(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        from: &ProcessId,
        term: Term,
        granted: bool,
        pre_vote: bool,
    ) {
        if term > self.current_term && !granted {
            self.become_follower(ctx, term, None);
            self.reset_election_timer(ctx);
            return;
        }
        if pre_vote {
            if self.role == Role::PreCandidate && term == self.current_term + 1 && granted {
                self.votes.insert(from.clone());
                if self.configuration().has_quorum(&self.votes) {
                    self.start_election(ctx);
                }
            }
            return;
        }
        if self.role == Role::Candidate && term == self.current_term && granted {
            self.votes.insert(from.clone());
            if self.configuration().has_quorum(&self.votes) {
                self.become_leader(ctx);
            }
        }
    }

    /// Won the election: take over replication, and append a no-op of the new term so
    /// that everything before it commits as soon as it does (bug R7: without it, entries
    /// of earlier terms waited for the next client write).
    pub(crate) fn become_leader(&mut self, ctx: &mut Ctx<'_, Self>) {
        assert_eq!(
            self.role,
            Role::Candidate,
            "only a candidate becomes leader"
        );
        ctx.note(format!(
            "leads term {} with votes of {:?}",
            self.current_term,
            self.votes.iter().map(ProcessId::as_str).collect::<Vec<_>>()
        ));
        self.role = Role::Leader;
        self.leader = Some(self.id.clone());
        self.heartbeat_elapsed = 0;
        self.election_elapsed = 0;
        let next_index = self.last_index() + 1;
        self.election_by_transfer = false;
        self.progress = self
            .replication_targets()
            .into_iter()
            .map(|peer| (peer, Progress::new(next_index)))
            .collect();
        if self.config.noop_on_election {
            self.term_start = self.append(Entry {
                term: self.current_term,
                command: Command::NoOp,
            });
        } else {
            // Reads wait until an entry of this term commits: the next client write.
            self.term_start = self.last_index() + 1;
        }
        self.persist(ctx, |_, _| {});
        self.broadcast_appends(ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_later_last_term_is_more_up_to_date_whatever_the_length() {
        assert!(
            log_is_up_to_date((3, 5), (10, 4)),
            "a shorter log ending in a later term is more up-to-date"
        );
        assert!(
            !log_is_up_to_date((10, 4), (3, 5)),
            "a longer log ending in an earlier term is behind"
        );
    }

    #[test]
    fn with_equal_last_terms_the_longer_log_wins_and_a_tie_is_up_to_date() {
        assert!(
            log_is_up_to_date((7, 3), (7, 3)),
            "an equal log is up-to-date"
        );
        assert!(
            !log_is_up_to_date((6, 3), (7, 3)),
            "a shorter log of the same last term is behind"
        );
        assert!(
            log_is_up_to_date((8, 3), (7, 3)),
            "a longer log of the same last term is ahead"
        );
    }

    #[test]
    fn a_majority_is_more_than_half() {
        assert_eq!(
            [1, 2, 3, 4, 5].map(majority),
            [1, 2, 2, 3, 3],
            "majorities of 1 to 5 servers"
        );
    }
}
