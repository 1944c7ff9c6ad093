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
    assert_eq!(
        server(&cluster, &leader).announced_votes().get(&term),
        Some(&ProcessId::new(leader.as_str())),
        "the leader announced its durable vote for itself in its term"
    );
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

/// Without check-quorum (the paper's Figure 2 alone), a leader cut off from every
/// follower goes on believing it leads: nothing tells it otherwise until it hears a
/// higher term. The behaviour check-quorum exists to end.
#[test]
fn step1_without_check_quorum_an_isolated_leader_keeps_believing_it_leads() {
    let mut cluster = cluster_with(9, &THREE, Config::without_pre_vote_and_check_quorum());
    let leader = until_leader(&mut cluster, 100);
    let term = server(&cluster, &leader).term();
    cluster.isolate(&leader);
    cluster.tick_n(120);
    let s = server(&cluster, &leader);
    assert!(
        s.is_leader() && s.term() == term,
        "four election timeouts alone, it still leads term {term} (role {:?}, term {})",
        s.role(),
        s.term()
    );
    assert_eq!(
        s.stats().check_quorum_step_downs,
        0,
        "no check-quorum step-down"
    );
}

/// The requests a solo node sent: `(to, term, pre_vote, transfer)`.
fn vote_requests(sent: &[common::Envelope<Msg>]) -> Vec<(String, u64, bool, bool)> {
    sent.iter()
        .filter_map(|e| match e.body {
            Msg::RequestVote {
                term,
                pre_vote,
                transfer,
                ..
            } => Some((e.to.to_string(), term, pre_vote, transfer)),
            _ => None,
        })
        .collect()
}

fn requests_to(peers: &[&str], term: u64, pre_vote: bool) -> Vec<(String, u64, bool, bool)> {
    peers
        .iter()
        .map(|p| (p.to_string(), term, pre_vote, false))
        .collect()
}

/// A node whose timer fires asks every other voter at once for a pre-vote of the next
/// term, its own term unchanged; every heartbeat interval after that it asks again the
/// voters that have not said yes (one lost request must not cost a whole timeout).
#[test]
fn step1_a_node_asks_every_voter_for_a_pre_vote_of_the_next_term_then_again_those_that_have_not_granted()
 {
    let config = Config {
        election_timeout_ticks: (20, 20),
        ..Config::default()
    };
    let mut node = Solo::new(ATHENS, FIVE, Server::new(&ProcessId::new(ATHENS), config));
    node.tick_n(20);
    assert_eq!(node.process().role(), Role::PreCandidate, "its timer fired");
    assert_eq!(
        vote_requests(&node.take_sent()),
        requests_to(&[BYZANTIUM, CYRENE, DELPHI, EPHESUS], 1, true),
        "a pre-vote for term 1 goes to every other voter at once"
    );
    assert_eq!(node.process().term(), 0, "asking changes no term");
    node.deliver(
        BYZANTIUM,
        Msg::Vote {
            term: 1,
            granted: true,
            pre_vote: true,
        },
    );
    node.tick_n(4);
    assert_eq!(
        vote_requests(&node.take_sent()),
        requests_to(&[CYRENE, DELPHI, EPHESUS], 1, true),
        "a heartbeat interval later it asks again, for term 1, only those without a yes"
    );
}

/// A candidate asks for votes only once its term and its vote for itself are durable
/// (a candidate that crashed after winning, before its vote was on disk, could vote for
/// another in the same term); then it asks every other voter, and every heartbeat
/// interval again those that have not granted.
#[test]
fn step1_a_candidate_asks_for_votes_once_its_own_vote_is_durable_then_again_those_that_have_not_granted()
 {
    let mut node = Solo::new(ATHENS, FIVE, Server::new(&ProcessId::new(ATHENS), quiet()));
    node.store_mut().set_delay(10, 10);
    node.act(|s, ctx| s.start_election(ctx));
    node.tick_n(9);
    assert_eq!(node.process().role(), Role::Candidate);
    assert_eq!(
        vote_requests(&node.take_sent()),
        vec![],
        "no request while its vote for itself is not on disk, though two heartbeat intervals passed"
    );
    let mut sent = Vec::new();
    for _ in 0..40 {
        node.tick();
        sent = vote_requests(&node.take_sent());
        if !sent.is_empty() {
            break;
        }
    }
    assert_eq!(
        sent,
        requests_to(&[BYZANTIUM, CYRENE, DELPHI, EPHESUS], 1, false),
        "once the vote is durable, a request for term 1 goes to every other voter"
    );
    assert_eq!(node.process().stats().elections, 1, "one election started");
    node.deliver(
        BYZANTIUM,
        Msg::Vote {
            term: 1,
            granted: true,
            pre_vote: false,
        },
    );
    node.tick_n(4);
    assert_eq!(
        vote_requests(&node.take_sent()),
        requests_to(&[CYRENE, DELPHI, EPHESUS], 1, false),
        "a heartbeat interval later it asks again only those that have not granted"
    );
}

/// A vote request says it comes from a leadership transfer only when the old leader's
/// `TimeoutNow` started the election: that mark lets it past voters that still hear
/// from their leader, so an ordinary election (or pre-vote) must never carry it.
#[test]
fn step1_only_an_election_started_by_timeout_now_is_marked_as_a_transfer() {
    let config = Config {
        election_timeout_ticks: (20, 20),
        ..Config::default()
    };
    let mut node = Solo::new(ATHENS, THREE, Server::new(&ProcessId::new(ATHENS), config));
    node.tick_n(20);
    assert_eq!(
        vote_requests(&node.take_sent()),
        requests_to(&[BYZANTIUM, CYRENE], 1, true),
        "a pre-vote is not a transfer"
    );
    node.act(|s, ctx| s.start_election(ctx));
    node.tick_n(3);
    assert_eq!(
        vote_requests(&node.take_sent()),
        requests_to(&[BYZANTIUM, CYRENE], 1, false),
        "an election its own timer started is not a transfer"
    );
    node.deliver(BYZANTIUM, Msg::TimeoutNow { term: 1 });
    node.tick_n(3);
    assert_eq!(
        vote_requests(&node.take_sent()),
        vec![
            (BYZANTIUM.to_string(), 2, false, true),
            (CYRENE.to_string(), 2, false, true)
        ],
        "the election TimeoutNow started is"
    );
}

/// A follower of `BYZANTIUM` in term 1, whose timer (drawn from 20..=400 ticks) does not
/// fire within the tests below.
fn follower_of_byzantium() -> Solo<Server> {
    let config = Config {
        election_timeout_ticks: (20, 400),
        ..Config::default()
    };
    let mut node = Solo::new(ATHENS, THREE, Server::new(&ProcessId::new(ATHENS), config));
    node.deliver(BYZANTIUM, append(BYZANTIUM, 1, (0, 0), &[], 0));
    assert!(
        node.process().election_timeout() > 30,
        "the seed's timer must not fire in this test (drew {})",
        node.process().election_timeout()
    );
    node.take_sent();
    node
}

/// What a solo node answered `to`'s vote requests: `(term, granted, pre_vote)`.
fn answers_to(sent: &[common::Envelope<Msg>], to: &str) -> Vec<(u64, bool, bool)> {
    sent.iter()
        .filter_map(|e| match e.body {
            Msg::Vote {
                term,
                granted,
                pre_vote,
            } if e.to == to => Some((term, granted, pre_vote)),
            _ => None,
        })
        .collect()
}

fn request_of(candidate: &str, term: u64, pre_vote: bool, transfer: bool) -> Msg {
    Msg::RequestVote {
        term,
        candidate: ProcessId::new(candidate),
        last_log_index: 0,
        last_log_term: 0,
        pre_vote,
        transfer,
    }
}

/// Check-quorum's other half: a follower that heard from its leader less than the
/// minimum election timeout ago refuses a pre-vote, even from an up-to-date candidate
/// of a higher term; once the leader has been silent that long, it grants it.
#[test]
fn step1_a_follower_refuses_pre_votes_while_its_leader_is_fresh_and_grants_them_after_the_minimum_timeout()
 {
    let mut node = follower_of_byzantium();
    node.tick_n(19);
    node.deliver(CYRENE, request_of(CYRENE, 2, true, false));
    assert_eq!(
        answers_to(&node.take_sent(), CYRENE),
        vec![(1, false, true)],
        "19 ticks after its leader's heartbeat (the minimum timeout is 20) the follower refuses"
    );
    node.tick();
    node.deliver(CYRENE, request_of(CYRENE, 2, true, false));
    assert_eq!(
        answers_to(&node.take_sent(), CYRENE),
        vec![(2, true, true)],
        "after 20 ticks of silence it grants"
    );
    assert_eq!(node.process().term(), 1, "a pre-vote changes no term");
}

/// With check-quorum, a follower whose leader is fresh ignores a real vote request of a
/// higher term (no answer, no new term: a server that skipped pre-vote cannot depose a
/// working leader), unless the request comes from a leadership transfer. A request of
/// its own term is answered as Figure 2 says: it has not voted in term 1, so it grants.
#[test]
fn step1_a_follower_whose_leader_is_fresh_ignores_a_higher_term_vote_request_unless_it_is_a_transfer()
 {
    let mut node = follower_of_byzantium();
    node.tick_n(3);
    node.deliver(CYRENE, request_of(CYRENE, 2, false, false));
    node.tick_n(3);
    assert_eq!(
        answers_to(&node.take_sent(), CYRENE),
        vec![],
        "a request of term 2 is ignored while the term-1 leader is fresh"
    );
    assert_eq!(node.process().term(), 1, "and the follower stays in term 1");
    node.deliver(CYRENE, request_of(CYRENE, 1, false, false));
    node.tick_n(3);
    assert_eq!(
        answers_to(&node.take_sent(), CYRENE),
        vec![(1, true, false)],
        "a request of its own term is answered (no vote cast in term 1 yet: granted)"
    );
    node.deliver(CYRENE, request_of(CYRENE, 2, false, true));
    node.tick_n(3);
    assert_eq!(
        answers_to(&node.take_sent(), CYRENE),
        vec![(2, true, false)],
        "a transfer's request of term 2 gets through, and is granted"
    );
    assert_eq!(node.process().term(), 2);
}

/// A pre-vote answer counts only while the node is still asking: a pre-candidate that
/// heard from a live leader went back to following it, and late "yes" answers to its
/// pre-vote (a majority of them) must not start an election that would depose that
/// leader.
#[test]
fn step1_late_pre_vote_grants_after_the_node_follows_a_leader_again_start_no_election() {
    let config = Config {
        election_timeout_ticks: (20, 20),
        ..Config::default()
    };
    let mut node = Solo::new(ATHENS, FIVE, Server::new(&ProcessId::new(ATHENS), config));
    node.deliver(BYZANTIUM, append(BYZANTIUM, 1, (0, 0), &[], 0));
    node.tick_n(20);
    assert_eq!(node.process().role(), Role::PreCandidate, "its timer fired");
    node.deliver(BYZANTIUM, append(BYZANTIUM, 1, (0, 0), &[], 0));
    assert_eq!(
        node.process().role(),
        Role::Follower,
        "its leader's heartbeat makes it a follower again"
    );
    for voter in [CYRENE, DELPHI, EPHESUS] {
        node.deliver(
            voter,
            Msg::Vote {
                term: 2,
                granted: true,
                pre_vote: true,
            },
        );
    }
    node.tick_n(3);
    let s = node.process();
    assert_eq!(
        (s.role(), s.term(), s.stats().elections),
        (Role::Follower, 1, 0),
        "three late grants of five are not counted: a follower in term 1, no election started"
    );
}
