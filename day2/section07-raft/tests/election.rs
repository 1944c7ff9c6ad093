//! Step 1: elections — the Java section's election test, and what a Raft lab suite
//! checks of elections: with and without failures, re-election after the leader fails
//! or is cut off, many elections, split votes, the election restriction, pre-vote and
//! check-quorum. The oracle checks every tick; tick bounds are stated in each test.

mod support;

use common::solo::Solo;
use common::{ProcessId, SimRng};
use raft::{Config, Msg, Role, Server};
use support::*;

/// Java `election_safety_single_leader_same_term`: three nodes, no faults; within 100
/// ticks exactly one leader, and every node reports the leader's term.
#[test]
fn step1_election_safety_single_leader_same_term() {
    let mut cluster = three(1);
    let leader = until_leader(&mut cluster, 100);
    let all = leaders(&cluster);
    assert_eq!(all.len(), 1, "exactly one node leads: {all:?}");
    let term = server(&cluster, &leader).term();
    for id in THREE {
        assert_eq!(
            server(&cluster, id).term(),
            term,
            "{id} must report the leader's term"
        );
    }
}

/// Every node draws its election timeout from the configured window, from its own
/// seeded stream, so the three do not all time out in the same tick (equal fixed
/// timeouts split the vote for ever, bug R8).
#[test]
fn step1_each_node_draws_its_election_timeout_from_the_window() {
    let mut cluster = three(1);
    cluster.tick_n(1);
    let (min, max) = Config::default().election_timeout_ticks;
    let drawn: Vec<u64> = THREE
        .iter()
        .map(|id| server(&cluster, id).election_timeout())
        .collect();
    for (id, timeout) in THREE.iter().zip(&drawn) {
        assert!(
            (min..=max).contains(timeout),
            "{id}'s election timeout {timeout} must lie in {min}..={max}"
        );
    }
    assert!(
        drawn.iter().any(|t| *t != drawn[0]),
        "the nodes must not all draw the same timeout: {drawn:?}"
    );
}

/// Lab "initial election": a leader within 100 ticks, and with no faults the same
/// leader keeps its term for 1,000 more ticks (heartbeats suppress elections).
#[test]
fn step1_without_failures_the_first_leader_keeps_its_term() {
    let mut cluster = three(2);
    let leader = until_leader(&mut cluster, 100);
    let term = server(&cluster, &leader).term();
    cluster.tick_n(1_000);
    assert_eq!(
        current_leader(&cluster).as_deref(),
        Some(leader.as_str()),
        "no fault, so no new leader"
    );
    for id in THREE {
        assert_eq!(
            server(&cluster, id).term(),
            term,
            "{id} stays in term {term}"
        );
    }
}

/// Lab "re-election": the leader is cut off; the other two elect one of themselves
/// within 150 ticks. When it returns, the old leader follows the new term. With two of
/// three cut off there is no leader of a majority; healed, one is elected again.
#[test]
fn step1_a_partitioned_leader_is_replaced_and_follows_when_it_returns() {
    let mut cluster = three(3);
    let first = until_leader(&mut cluster, 100);
    let others: Vec<&str> = THREE.into_iter().filter(|id| *id != first).collect();
    cluster.isolate(&first);
    let second = until_leader_among(&mut cluster, &others, 150);
    assert_ne!(second, first, "a cut-off leader cannot be re-elected");
    cluster.heal_all();
    cluster
        .tick_until_within(100, |c| {
            let old = c.node::<Server>(&first);
            old.role() == Role::Follower && old.term() >= c.node::<Server>(&second).term()
        })
        .unwrap_or_else(|e| panic!("the old leader must follow the new term: {e}"));
    let third_id = others
        .iter()
        .find(|id| **id != second)
        .copied()
        .unwrap_or(ATHENS);
    cluster.isolate(&second);
    cluster.isolate(third_id);
    cluster.tick_n(200);
    let lone: Vec<(String, u64)> = leaders(&cluster)
        .into_iter()
        .filter(|(id, term)| {
            *term > server(&cluster, &second).term() && id.as_str() != second.as_str()
        })
        .collect();
    assert!(
        lone.is_empty(),
        "no node can win a new term without a majority: {lone:?}"
    );
    cluster.heal_all();
    until_leader(&mut cluster, 200);
}

/// The leader crashes; the two others elect a new leader within 150 ticks.
#[test]
fn step1_a_crashed_leader_is_replaced() {
    let mut cluster = three(4);
    let first = until_leader(&mut cluster, 100);
    cluster.crash(&first);
    let others: Vec<&str> = THREE.into_iter().filter(|id| *id != first).collect();
    let second = until_leader_among(&mut cluster, &others, 150);
    assert_ne!(second, first, "a crashed node cannot lead");
    cluster.restart(&first);
    let back = until_leader(&mut cluster, 150);
    assert_eq!(
        back, second,
        "the restarted node rejoins as a follower; pre-vote keeps it from deposing the leader"
    );
}

/// Lab "many elections": five servers; ten times, two seeded-random servers are cut
/// off and the other three must have a leader within 200 ticks; then all are healed.
#[test]
fn step1_many_elections_keep_one_leader_per_term() {
    let mut cluster = five(5);
    until_leader(&mut cluster, 150);
    let mut rng = SimRng::derive(5, "many-elections");
    for round in 0..10 {
        let mut ids = FIVE.to_vec();
        rng.shuffle(&mut ids);
        let (away, stay) = ids.split_at(2);
        for id in away {
            cluster.isolate(id);
        }
        let leader = until_leader_among(&mut cluster, stay, 200);
        assert!(
            stay.contains(&leader.as_str()),
            "round {round}: the leader must be one of the connected majority"
        );
        cluster.heal_all();
        cluster.tick_n(20);
    }
}

/// Equal base timeouts with seeded jitter: the first elections may split, but five
/// servers converge on one leader within 300 ticks and 10 terms.
#[test]
fn step1_forced_split_vote_converges() {
    let config = Config {
        election_timeout_ticks: (20, 23),
        pre_vote: false,
        ..Config::default()
    };
    let mut cluster = cluster_with(6, &FIVE, config);
    let leader = until_leader(&mut cluster, 300);
    let term = server(&cluster, &leader).term();
    assert!(
        term <= 10,
        "split votes must end within 10 terms, took {term}"
    );
}

/// The election restriction: a node whose log misses committed entries is denied votes
/// and never leads; the up-to-date follower wins instead.
#[test]
fn step1_stale_candidate_is_denied_votes() {
    let mut cluster = three(7);
    let leader = until_leader(&mut cluster, 100);
    let others: Vec<&str> = THREE.into_iter().filter(|id| *id != leader).collect();
    let (stale, fresh) = (others[0], others[1]);
    cluster.isolate(stale);
    for seq in 1..=3 {
        execute(
            &mut cluster,
            ALICE,
            &leader,
            seq,
            set("k", &format!("v{seq}")),
        );
    }
    cluster.heal_all();
    cluster.isolate(&leader);
    let next = until_leader_among(&mut cluster, &others, 300);
    assert_eq!(
        next, fresh,
        "only the follower holding every committed entry can win"
    );
    assert!(
        server(&cluster, stale).stats().elections == 0 || !server(&cluster, stale).is_leader(),
        "the stale node must not lead"
    );
}

fn vote_request(term: u64, last_index: u64, last_term: u64) -> Msg {
    Msg::RequestVote {
        term,
        candidate: ProcessId::new(BYZANTIUM),
        last_log_index: last_index,
        last_log_term: last_term,
        pre_vote: false,
        transfer: false,
    }
}

/// A voter whose log is `[t1, t1, t2]`: a candidate whose log ends in term 2 at
/// index 2 is behind (same last term, shorter); at index 3 it is up-to-date.
#[test]
fn step1_up_to_date_tie_break_on_length() {
    let config = Config {
        pre_vote: false,
        check_quorum: false,
        ..Config::default()
    };
    let mut voter = Solo::new(ATHENS, THREE, Server::new(&ProcessId::new(ATHENS), config));
    voter.act(|s, ctx| {
        for term in [1, 1, 2] {
            s.append_for_test(ctx, term);
        }
    });
    voter.tick();
    voter.take_sent();
    voter.deliver(BYZANTIUM, vote_request(3, 2, 2));
    voter.tick_n(3);
    let refused = voter.take_sent();
    assert!(
        refused
            .iter()
            .any(|e| matches!(e.body, Msg::Vote { granted: false, .. })),
        "a shorter log of the same last term must be refused: {refused:?}"
    );
    voter.deliver(
        CYRENE,
        Msg::RequestVote {
            term: 3,
            candidate: ProcessId::new(CYRENE),
            last_log_index: 3,
            last_log_term: 2,
            pre_vote: false,
            transfer: false,
        },
    );
    voter.tick_n(3);
    let granted = voter.take_sent();
    assert!(
        granted
            .iter()
            .any(|e| e.to == CYRENE && matches!(e.body, Msg::Vote { granted: true, .. })),
        "an equally long log of the same last term is up-to-date: {granted:?}"
    );
}

/// Pre-vote: a follower cut off for a long time asks for pre-votes again and again
/// without raising its term; when it returns, the healthy leader keeps its term.
#[test]
fn step1_pre_vote_prevents_disruption() {
    let mut cluster = three(8);
    let leader = until_leader(&mut cluster, 100);
    let term = server(&cluster, &leader).term();
    let follower = THREE.into_iter().find(|id| *id != leader).unwrap_or(ATHENS);
    cluster.isolate(follower);
    cluster.tick_n(300);
    assert_eq!(
        server(&cluster, follower).term(),
        term,
        "pre-votes must not raise the isolated follower's term"
    );
    assert!(
        server(&cluster, follower).stats().pre_votes > 3,
        "the isolated follower kept asking for pre-votes"
    );
    cluster.heal_all();
    cluster.tick_n(100);
    assert_eq!(
        current_leader(&cluster).as_deref(),
        Some(leader.as_str()),
        "the returning follower must not depose the healthy leader"
    );
    assert_eq!(
        server(&cluster, &leader).term(),
        term,
        "the leader keeps its term"
    );
}

/// Without pre-vote, the same returning follower arrives with a higher term and
/// deposes the healthy leader (bug R9): the behaviour pre-vote exists to prevent.
#[test]
fn step1_without_pre_vote_a_returning_follower_disrupts_the_leader() {
    let mut cluster = cluster_with(8, &THREE, Config::without_pre_vote_and_check_quorum());
    let leader = until_leader(&mut cluster, 100);
    let term = server(&cluster, &leader).term();
    let follower = THREE.into_iter().find(|id| *id != leader).unwrap_or(ATHENS);
    cluster.isolate(follower);
    cluster.tick_n(300);
    assert!(
        server(&cluster, follower).term() > term + 3,
        "without pre-vote the isolated follower raises its term at every timeout"
    );
    cluster.heal_all();
    cluster.tick_n(100);
    assert!(
        server(&cluster, &leader).term() > term,
        "its higher term deposes the healthy leader"
    );
}

/// Check-quorum: a leader cut off from every follower steps down within two election
/// timeouts (60 ticks by default), so it stops accepting writes it cannot commit.
#[test]
fn step1_check_quorum_isolated_leader_steps_down() {
    let mut cluster = three(9);
    let leader = until_leader(&mut cluster, 100);
    cluster.isolate(&leader);
    let who = leader.clone();
    cluster
        .tick_until_within(60, |c| !c.node::<Server>(&who).is_leader())
        .unwrap_or_else(|e| panic!("an isolated leader must step down: {e}"));
    assert_eq!(
        server(&cluster, &leader).stats().check_quorum_step_downs,
        1,
        "it stepped down by check-quorum"
    );
}
