//! The failure detector and the leader transitions it drives: the leader's heartbeats
//! (carrying its commit point), the followers' randomized election timer, the pre-vote
//! that stops a returning node from deposing a healthy leader, and check-quorum, which
//! makes a leader that no longer hears from a majority step down.
//!
//! Nothing here decides a value. Safety rests on the Paxos rules of [`crate::server`]
//! and [`crate::leader`]; the detector only decides *when* to run them, so a wrong
//! suspicion costs an election, never a committed slot.

use crate::config::TimeoutMode;
use crate::messages::{Ballot, Msg, Slot};
use crate::server::{Role, Server};
use common::{Ctx, ProcessId, QuorumPolicy, SimRng, Tick};

impl Server {
    /// Draw a fresh election timeout and (re)start the election timer with it.
    pub(crate) fn restart_election_timer(&mut self, ctx: &mut Ctx<'_, Self>) {
        if let Some(timer) = self.election_timer.take() {
            ctx.cancel_timer(timer);
        }
        let timeout = self.draw_election_timeout(ctx.rng());
        self.election_timeout = timeout;
        self.election_timer = Some(ctx.set_timer(timeout));
    }

    /// An election timeout drawn from `rng`, the node's seeded random stream.
    pub(crate) fn draw_election_timeout(&self, rng: &mut SimRng) -> Tick {
        let base = self.config.election_timeout_ticks.max(1);
        // exercise: uniformly in [base, 2 × base) (SimRng::range includes its upper bound), drawn anew on every call; TimeoutMode::Equal (the broken twin) always waits exactly base
        // solution-begin
        match self.config.timeout_mode {
            TimeoutMode::Randomized => rng.range(base, 2 * base - 1),
            TimeoutMode::Equal => base,
        }
        // solution-end
    }

    /// Stop the election timer (a leader does not suspect itself).
    pub(crate) fn stop_election_timer(&mut self, ctx: &mut Ctx<'_, Self>) {
        if let Some(timer) = self.election_timer.take() {
            ctx.cancel_timer(timer);
        }
    }

    /// A leader this node accepts showed it is alive: note when, and restart the timer.
    pub(crate) fn heard_from_leader(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.heard_from_leader_at = Some(ctx.now());
        self.restart_election_timer(ctx);
    }

    /// The election timer fired: the leader (if any) is suspected. Restart the timer —
    /// the next attempt comes one fresh timeout from now —, then ask for a pre-vote, or,
    /// without pre-vote, stand for election at once.
    pub(crate) fn on_election_timeout(&mut self, ctx: &mut Ctx<'_, Self>) {
        if self.is_leader() {
            return;
        }
        ctx.note(format!(
            "suspects the leader: nothing heard for {} ticks",
            self.election_timeout
        ));
        self.restart_election_timer(ctx);
        if !self.config.pre_vote {
            self.start_election(ctx);
            return;
        }
        let round = self.round_seen.max(self.promised.round) + 1;
        self.stats.pre_votes += 1;
        self.stats.messages_to_servers += ctx.peers().len() as u64;
        let policy = QuorumPolicy::majority()
            .accept(
                move |m| matches!(m, Msg::PreVoteReply { round: r, granted: true } if *r == round),
            )
            .timeout(self.config.phase_timeout_ticks);
        let targets = ctx.all_nodes().to_vec();
        ctx.quorum(
            &targets,
            Msg::PreVote { round },
            policy,
            move |node, ctx, outcome| {
                // Still without a leader, and nobody started a higher round meanwhile?
                let still_suspecting = matches!(node.role, Role::Follower { .. })
                    && node.round_seen.max(node.promised.round) < round;
                if outcome.succeeded && still_suspecting {
                    node.start_election(ctx);
                } else if !outcome.succeeded {
                    ctx.note(format!("pre-vote for round {round} refused"));
                }
            },
        );
    }

    /// Answer a pre-vote: would this node promise `round`? Nothing changes here.
    pub(crate) fn on_pre_vote(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        env: common::Envelope<Msg>,
        round: u64,
    ) {
        let granted = self.grants_pre_vote(ctx.now(), round);
        self.count_reply(&env);
        ctx.reply(&env, Msg::PreVoteReply { round, granted });
    }

    /// Whether this node would promise `round` now, as far as it can tell without
    /// changing anything.
    pub(crate) fn grants_pre_vote(&self, now: Tick, round: u64) -> bool {
        // exercise: grant only if the round is above the promised round, this node is not the leader, and it has heard from no leader for an election timeout (or never)
        // solution-begin
        let window = self.config.election_timeout_ticks;
        let leader_alive = self.is_leader()
            || self
                .heard_from_leader_at
                .is_some_and(|at| now < at + window);
        round > self.promised.round && !leader_alive
        // solution-end
    }

    /// A majority promised this node's ballot: stop suspecting, start heartbeats.
    pub(crate) fn start_leading(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.stop_election_timer(ctx);
        self.leading_since = ctx.now();
        self.acked_at.clear();
        self.heard_from_leader_at = Some(ctx.now());
        self.send_heartbeats(ctx);
    }

    /// Stop sending heartbeats (this node no longer leads).
    pub(crate) fn stop_heartbeats(&mut self, ctx: &mut Ctx<'_, Self>) {
        if let Some(timer) = self.heartbeat_timer.take() {
            ctx.cancel_timer(timer);
        }
    }

    /// The heartbeat timer fired: check that a majority still answers, then send the
    /// next heartbeats.
    pub(crate) fn on_heartbeat_timer(&mut self, ctx: &mut Ctx<'_, Self>) {
        if !self.is_leader() {
            return;
        }
        if self.config.check_quorum && !self.hears_from_majority(ctx.now()) {
            ctx.note(format!(
                "steps down: no majority answered within {} ticks (check-quorum)",
                self.config.election_timeout_ticks
            ));
            self.stats.step_downs += 1;
            self.stats.check_quorum_step_downs += 1;
            self.role = Role::Follower { leader: None };
            self.send_waiting_away(ctx);
            self.restart_election_timer(ctx);
            return;
        }
        self.send_heartbeats(ctx);
    }

    /// Whether this leader has heard from a majority (itself included) within one
    /// election timeout, or has led for less than that.
    pub(crate) fn hears_from_majority(&self, now: Tick) -> bool {
        let window = self.config.election_timeout_ticks;
        // exercise: count this node and every peer that acknowledged within the last election timeout; a leadership younger than one timeout is given the benefit of the doubt
        // solution-begin
        if now < self.leading_since + window {
            return true;
        }
        let recent = self
            .acked_at
            .values()
            .filter(|&&at| at + window > now)
            .count();
        (recent + 1) * 2 > self.cluster_size
        // solution-end
    }

    /// Send `Heartbeat(ballot, committed_through)` to every other node and arm the timer.
    fn send_heartbeats(&mut self, ctx: &mut Ctx<'_, Self>) {
        let Role::Leader { ballot } = self.role.clone() else {
            return;
        };
        let committed_through = self.executed_through;
        self.stats.heartbeats += 1;
        self.stats.messages_to_servers += ctx.peers().len() as u64;
        for peer in ctx.peers().to_vec() {
            let msg = Msg::Heartbeat {
                ballot: ballot.clone(),
                committed_through,
            };
            ctx.send(peer, msg);
        }
        self.heartbeat_timer = Some(ctx.set_timer(self.config.heartbeat_interval_ticks.max(1)));
    }

    /// A heartbeat from `from`: refuse a ballot below the promise (naming the promise, so
    /// a deposed leader steps down); otherwise follow its sender, restart the election
    /// timer, and catch up to the leader's commit point.
    pub(crate) fn on_heartbeat(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        from: &ProcessId,
        ballot: Ballot,
        committed_through: Slot,
    ) {
        self.round_seen = self.round_seen.max(ballot.round);
        // exercise: below the promise, answer HeartbeatAck naming the promise and do nothing else; otherwise follow the ballot, count it as leader contact, acknowledge, and ask the leader for committed slots this node lacks below its commit point
        // solution-begin
        if ballot < self.promised {
            let promised = self.promised.clone();
            self.stats.messages_to_servers += 1;
            ctx.send(from.clone(), Msg::HeartbeatAck { ballot, promised });
            return;
        }
        if self.own_ballot() == Some(&ballot) && *from != self.id {
            // Two nodes lead with one generation: impossible with unique ballots and
            // step-down; the ghost checks of the tests count it.
            ctx.note(format!("{from} claims this node's own ballot {ballot}"));
            self.shared_generation += 1;
            return;
        }
        self.follow(ctx, &ballot);
        if !self.is_leader() {
            self.heard_from_leader(ctx);
        }
        let promised = self.promised.clone();
        self.stats.messages_to_servers += 1;
        ctx.send(from.clone(), Msg::HeartbeatAck { ballot, promised });
        if self.executed_through < committed_through {
            self.catch_up_if_behind(ctx, from, committed_through + 1);
        }
        // solution-end
    }

    /// A follower answered a heartbeat: a promise above this leader's ballot deposes it;
    /// an acknowledgement of its own ballot counts for check-quorum.
    pub(crate) fn on_heartbeat_ack(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        from: &ProcessId,
        ballot: Ballot,
        promised: Ballot,
    ) {
        self.round_seen = self.round_seen.max(promised.round);
        let Role::Leader { ballot: own } = self.role.clone() else {
            return;
        };
        if promised > own {
            // A promise can only rise (bug H2): `follow` never lowers it.
            self.follow(ctx, &promised);
            return;
        }
        if ballot == own {
            self.acked_at.insert(from.clone(), ctx.now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    /// A node of a three-node cluster with the default timing (election timeout 30).
    fn node_of_three() -> Server {
        let mut server = Server::new(&ProcessId::new("athens"), Config::default());
        server.cluster_size = 3;
        server
    }

    /// Pre-vote asks "would you promise this round now?": only a round above the
    /// promised one, and only once no leader has been heard from for a whole election
    /// timeout (30 ticks).
    #[test]
    fn a_pre_vote_is_granted_for_a_round_above_the_promise_once_the_leader_is_silent_for_a_timeout()
    {
        let mut server = node_of_three();
        server.promised = Ballot::new(3, "byzantium");
        assert!(
            !server.grants_pre_vote(0, 3),
            "round 3 is the promised round: a vote already given"
        );
        assert!(
            server.grants_pre_vote(0, 4),
            "round 4 is above the promise, and no leader was ever heard"
        );
        server.heard_from_leader_at = Some(100);
        assert!(
            !server.grants_pre_vote(129, 4),
            "29 ticks after the leader's last word it is still presumed alive"
        );
        assert!(
            server.grants_pre_vote(130, 4),
            "30 ticks after the leader's last word (one election timeout) it is suspected"
        );
    }

    /// Check-quorum: a leadership younger than one election timeout (30 ticks) is given
    /// the benefit of the doubt; after that the leader needs itself and enough peers that
    /// acknowledged within the last 30 ticks to make a majority.
    #[test]
    fn a_leader_hears_from_a_majority_while_young_or_while_a_majority_acknowledged_within_a_timeout()
     {
        let mut leader = node_of_three();
        leader.leading_since = 100;
        assert!(
            leader.hears_from_majority(129),
            "29 ticks into its leadership, with no acknowledgement yet, the leader is trusted"
        );
        assert!(
            !leader.hears_from_majority(130),
            "30 ticks into its leadership, with no acknowledgement, it hears from no majority"
        );
        leader.acked_at.insert(ProcessId::new("byzantium"), 200);
        assert!(
            leader.hears_from_majority(229),
            "of three, itself and byzantium 29 ticks ago are a majority"
        );
        assert!(
            !leader.hears_from_majority(230),
            "byzantium's acknowledgement 30 ticks ago is older than the window"
        );
        leader.cluster_size = 4;
        assert!(
            !leader.hears_from_majority(229),
            "of four, itself and byzantium are only half"
        );
        leader.cluster_size = 5;
        leader.acked_at.insert(ProcessId::new("cyrene"), 210);
        assert!(
            leader.hears_from_majority(229),
            "of five, itself, byzantium and cyrene are a majority"
        );
    }
}
