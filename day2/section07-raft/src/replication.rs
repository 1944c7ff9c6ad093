//! The leader's side: client writes into the log, AppendEntries to each follower with
//! bounded pipelining, the answers (with fast backup over a conflict hint), the commit
//! rule, heartbeats and check-quorum.

use crate::config::CommitRule;
use crate::election::majority;
use crate::messages::{Command, ConflictHint, Entry, Index, Msg, Operation, RequestId, Term};
use crate::server::{Role, Server, Waiter};
use common::{Ctx, Envelope, ProcessId};

/// What a leader knows about one follower.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Progress {
    /// The highest index known stored (durably) on the follower. Only grows.
    pub match_index: Index,
    /// The next index to send it.
    pub next_index: Index,
    /// AppendEntries with entries sent and not yet answered.
    pub inflight: usize,
    /// Probing: the leader does not know where the follower's log matches, and sends one
    /// AppendEntries at a time until an answer says.
    pub probing: bool,
    /// The match index grew since the last heartbeat.
    pub progressed: bool,
    /// An answer of the current term arrived since the last check-quorum.
    pub active: bool,
    /// The highest ReadIndex round the follower has answered in the current term.
    pub acked_round: u64,
    /// While the follower needs entries the leader has discarded: the snapshot being
    /// sent to it (step 5).
    pub snapshot: Option<SnapshotProgress>,
}

/// How far a snapshot has travelled to one follower.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SnapshotProgress {
    /// The last index of the snapshot being sent (a newer snapshot starts over).
    pub last_index: Index,
    /// Bytes the follower has acknowledged: the next chunk starts here.
    pub acked: u64,
}

impl Progress {
    /// A follower the new leader knows nothing about: probe from `next_index`.
    pub fn new(next_index: Index) -> Self {
        Progress {
            match_index: 0,
            next_index,
            inflight: 0,
            probing: true,
            progressed: false,
            active: true,
            acked_round: 0,
            snapshot: None,
        }
    }
}

/// The highest index stored on a majority, given every server's match index (the
/// leader's own durable log included).
pub fn majority_match(mut matches: Vec<Index>) -> Index {
    matches.sort_unstable_by(|a, b| b.cmp(a));
    matches[majority(matches.len()) - 1]
}

/// Where a leader resumes after a rejection with `hint`: skip the follower's whole
/// conflicting term at once (bug R11 walked back one entry per round trip). `term_of`
/// gives the leader's own terms.
pub fn next_after_conflict(
    hint: ConflictHint,
    leader_last: Index,
    term_of: impl Fn(Index) -> Option<Term>,
) -> Index {
    // exercise: without a term, resume at the hint's first index; with one, resume after the leader's last entry of that term if it has any, else at the hint's first index
    // solution-begin
    let Some(term) = hint.term else {
        return hint.first_index;
    };
    let mut index = leader_last;
    while index > 0 {
        match term_of(index) {
            Some(t) if t == term => return index + 1,
            Some(t) if t < term => break,
            _ => index -= 1,
        }
    }
    hint.first_index
    // solution-end
}

impl Server {
    /// Append a client's command (unless the same request is already waiting in the
    /// log) and replicate it: at the end of the tick when batching, at once otherwise.
    pub(crate) fn propose(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        envelope: Envelope<Msg>,
        request: RequestId,
        operation: Operation,
    ) {
        let pending = (self.commit_index + 1..=self.last_index()).find(|&i| {
            self.entry(i).is_some_and(|e| {
                e.term == self.current_term && e.command.request() == Some(&request)
            })
        });
        let index = match pending {
            Some(index) => index,
            None => self.append(Entry {
                term: self.current_term,
                command: Command::Client {
                    request: request.clone(),
                    operation,
                },
            }),
        };
        self.waiting.retain(|w| w.request != request);
        self.waiting.push(Waiter {
            envelope,
            request,
            index,
            term: self.current_term,
        });
        if !self.config.batch_client_writes {
            self.persist(ctx, |_, _| {});
            self.broadcast_appends(ctx);
        }
    }

    /// Once per tick: flush the batch, send heartbeats when due, check the quorum.
    pub(crate) fn leader_tick(&mut self, ctx: &mut Ctx<'_, Self>) {
        if self.log_dirty_from.is_some() {
            self.persist(ctx, |_, _| {});
            self.broadcast_appends(ctx);
        }
        self.start_read_round(ctx);
        self.heartbeat_elapsed += 1;
        if self.heartbeat_elapsed >= self.config.heartbeat_ticks {
            self.heartbeat_elapsed = 0;
            for peer in self.replication_targets() {
                self.heartbeat(ctx, &peer);
            }
        }
        self.election_elapsed += 1;
        if self.config.check_quorum && self.election_elapsed >= self.config.election_timeout_ticks.1
        {
            self.election_elapsed = 0;
            let mut active: Vec<ProcessId> = self
                .progress
                .iter()
                .filter(|(_, p)| p.active)
                .map(|(id, _)| id.clone())
                .collect();
            active.push(self.id.clone());
            if !self.configuration().has_quorum(&active) {
                ctx.note(format!(
                    "steps down: heard from {} of {} voters in an election timeout",
                    active.len(),
                    self.configuration().voters.len()
                ));
                self.stats.check_quorum_step_downs += 1;
                let term = self.current_term;
                self.become_follower(ctx, term, None);
                self.reset_election_timer(ctx);
                return;
            }
            for progress in self.progress.values_mut() {
                progress.active = false;
            }
        }
    }

    /// Send every follower what it is missing, within its in-flight bound.
    pub(crate) fn broadcast_appends(&mut self, ctx: &mut Ctx<'_, Self>) {
        for peer in self.replication_targets() {
            self.send_appends(ctx, &peer);
        }
    }

    /// Send `peer` AppendEntries from its next index while the in-flight bound allows:
    /// one at a time while probing, up to `max_inflight_appends` once its log matches.
    pub(crate) fn send_appends(&mut self, ctx: &mut Ctx<'_, Self>, peer: &ProcessId) {
        loop {
            let Some(progress) = self.progress.get(peer) else {
                return;
            };
            if progress.next_index <= self.snapshot_index {
                // The entries it needs are discarded: send the snapshot instead, one
                // chunk at a time.
                if progress.inflight == 0 {
                    self.send_snapshot_chunk(ctx, peer);
                }
                return;
            }
            let limit = if progress.probing {
                1
            } else {
                self.config.max_inflight_appends
            };
            if progress.inflight >= limit || progress.next_index > self.last_index() {
                return;
            }
            let from = progress.next_index;
            let until = self
                .last_index()
                .min(from + self.config.max_entries_per_append as Index - 1);
            self.send_append(ctx, peer, from, until);
            let Some(progress) = self.progress.get_mut(peer) else {
                return;
            };
            progress.inflight += 1;
            if !progress.probing {
                progress.next_index = until + 1;
            }
        }
    }

    /// One AppendEntries to `peer` with entries `from..=until` (none if `until < from`).
    fn send_append(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        peer: &ProcessId,
        from: Index,
        until: Index,
    ) {
        let prev_log_index = from - 1;
        let Some(prev_log_term) = self.term_at(prev_log_index) else {
            unreachable!("a leader's next index never passes its log (bug R1)");
        };
        let entries: Vec<Entry> = (from..=until)
            .filter_map(|i| self.entry(i).cloned())
            .collect();
        self.stats.appends_sent += 1;
        let msg = Msg::AppendEntries {
            term: self.current_term,
            leader: self.id.clone(),
            prev_log_index,
            prev_log_term,
            entries,
            leader_commit: self.commit_index,
            read_round: self.read_round,
        };
        self.send_to(ctx, peer, msg);
    }

    /// The heartbeat: if the follower made no progress since the last one, resend what
    /// it has not acknowledged (the earlier messages may be lost); if there is nothing to
    /// send, an empty AppendEntries says the leader is alive and carries the commit index.
    pub(crate) fn heartbeat(&mut self, ctx: &mut Ctx<'_, Self>, peer: &ProcessId) {
        let Some(progress) = self.progress.get_mut(peer) else {
            return;
        };
        if !progress.progressed {
            progress.inflight = 0;
            if !progress.probing {
                progress.next_index = progress.match_index + 1;
            }
        }
        progress.progressed = false;
        let before = self.stats.appends_sent;
        self.send_appends(ctx, peer);
        if self.stats.appends_sent == before {
            let Some(progress) = self.progress.get(peer) else {
                return;
            };
            if progress.next_index <= self.snapshot_index {
                return; // a snapshot chunk went instead
            }
            let prev = if progress.probing {
                progress.next_index - 1
            } else {
                progress.match_index
            };
            // The log before the snapshot is gone; its last index is the oldest
            // position a heartbeat can name.
            let prev = prev.max(self.snapshot_index);
            self.send_append(ctx, peer, prev + 1, prev);
        }
    }

    /// A follower's answer of `term` (to AppendEntries or InstallSnapshot): a higher term
    /// deposes this node; only an answer of the current term to a leader counts.
    pub(crate) fn is_answer_to_this_leader(&mut self, ctx: &mut Ctx<'_, Self>, term: Term) -> bool {
        if term > self.current_term {
            self.become_follower(ctx, term, None);
            self.reset_election_timer(ctx);
            return false;
        }
        self.role == Role::Leader && term == self.current_term
    }

    /// The leader's side of an answer to AppendEntries.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn on_appended(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        from: &ProcessId,
        term: Term,
        success: bool,
        match_index: Index,
        conflict: Option<ConflictHint>,
        read_round: u64,
    ) {
        if !self.is_answer_to_this_leader(ctx, term) {
            return;
        }
        let last = self.last_index();
        let Some(progress) = self.progress.get_mut(from) else {
            return;
        };
        progress.active = true;
        progress.acked_round = progress.acked_round.max(read_round);
        if success {
            // Monotonic, and never past the leader's own log (bug R1).
            let matched = match_index.min(last);
            if matched > progress.match_index {
                progress.match_index = matched;
                progress.progressed = true;
            }
            progress.next_index = progress.next_index.max(progress.match_index + 1);
            progress.inflight = progress.inflight.saturating_sub(1);
            progress.probing = false;
            self.advance_commit(ctx);
        } else if let Some(hint) = conflict {
            let match_index = progress.match_index;
            let next = next_after_conflict(hint, last, |i| self.term_at(i))
                .clamp(match_index + 1, last + 1);
            let Some(progress) = self.progress.get_mut(from) else {
                return;
            };
            if progress.probing && next == progress.next_index {
                // Nothing new (a duplicate or a late rejection): the heartbeat retries.
                // Resending at once would let rejections multiply the messages in flight.
                self.serve_reads(ctx);
                return;
            }
            progress.inflight = 0;
            progress.probing = true;
            progress.next_index = next;
        }
        self.send_appends(ctx, from);
        self.serve_reads(ctx);
    }

    /// Figure 2's rule for leaders: if there is an `N > commitIndex` stored on a majority
    /// and `log[N].term == currentTerm`, set `commitIndex = N`. The leader's own disk
    /// counts only for what is durable on it.
    pub(crate) fn advance_commit(&mut self, ctx: &mut Ctx<'_, Self>) {
        // Voters only: a learner's copy does not count, nor the leader's own if it is not
        // a voter (it is being removed).
        let own = self.durable_last.min(self.last_index());
        let stored = self.configuration().quorum_value(|id| {
            if *id == self.id {
                Some(own)
            } else {
                self.progress.get(id).map(|p| p.match_index)
            }
        });
        // exercise: commit `stored` if it is above the commit index and (current-term rule) its entry is of the current term (the Counting rule skips the term check), then apply what is committed
        // solution-begin
        if stored <= self.commit_index {
            return;
        }
        let of_current_term = self.term_at(stored) == Some(self.current_term);
        let allowed = match self.config.commit_rule {
            CommitRule::CurrentTerm => of_current_term,
            CommitRule::Counting => true,
        };
        if !allowed {
            return;
        }
        if !of_current_term {
            self.stats.old_term_commits += 1;
        }
        self.commit_index = stored;
        self.apply_committed(ctx);
        // solution-end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_majority_match_is_the_median_of_the_match_indexes() {
        assert_eq!(majority_match(vec![5, 3, 9]), 5, "three servers");
        assert_eq!(majority_match(vec![1, 7, 7, 2, 4]), 4, "five servers");
        assert_eq!(
            majority_match(vec![6]),
            6,
            "a single server is its own majority"
        );
    }

    fn terms(log: &[Term]) -> impl Fn(Index) -> Option<Term> + '_ {
        |i| {
            if i == 0 {
                Some(0)
            } else {
                log.get(i as usize - 1).copied()
            }
        }
    }

    #[test]
    fn a_short_follower_log_resumes_after_its_end() {
        let hint = ConflictHint {
            term: None,
            first_index: 4,
        };
        assert_eq!(
            next_after_conflict(hint, 9, terms(&[1; 9])),
            4,
            "resume at the follower's end"
        );
    }

    #[test]
    fn a_term_the_leader_lacks_is_skipped_whole() {
        // Leader: 1 1 1 4 4 5 5 6 6 ; follower: 1 1 1 2 2 2 3 3 3 3 3
        let leader = [1, 1, 1, 4, 4, 5, 5, 6, 6];
        let hint = ConflictHint {
            term: Some(3),
            first_index: 7,
        };
        assert_eq!(
            next_after_conflict(hint, 9, terms(&leader)),
            7,
            "the leader has no entry of term 3: resume at the follower's first term-3 entry"
        );
    }

    #[test]
    fn the_walk_back_stops_at_the_first_entry_of_a_lower_term() {
        let leader = [1, 1, 1, 4, 4, 5, 5, 6, 6];
        let looked = std::cell::Cell::new(0);
        let hint = ConflictHint {
            term: Some(3),
            first_index: 7,
        };
        let next = next_after_conflict(hint, 9, |i| {
            looked.set(looked.get() + 1);
            terms(&leader)(i)
        });
        assert_eq!(
            next, 7,
            "no entry of term 3: resume at the hint's first index"
        );
        assert_eq!(
            looked.get(),
            7,
            "indexes 9 down to 3, where term 1 < 3 ends the walk: terms never decrease along a log"
        );
    }

    #[test]
    fn a_term_the_leader_has_resumes_after_its_last_entry_of_that_term() {
        let leader = [1, 1, 1, 4, 4, 4, 4];
        let hint = ConflictHint {
            term: Some(1),
            first_index: 1,
        };
        assert_eq!(
            next_after_conflict(hint, 7, terms(&leader)),
            4,
            "the leader's last term-1 entry is at 3: resume at 4"
        );
    }
}
