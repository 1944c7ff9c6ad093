//! The Java section's `MultiPaxosWithHeartbeatsTest` (5 tests) and `LeaderElectionTest`
//! (7 tests), ported. Nobody calls `start_election` here: every election comes from the
//! failure detector, and the tests discover the leader instead of assuming one (the
//! timeouts are random). Where a Java test only *said* it waited, these really tick; where
//! its name promised a fault, the fault is injected.

mod support;

use heartbeats::{Config, Role, Server};
use support::*;

// ----- MultiPaxosWithHeartbeatsTest -----

/// Three servers, no faults: a leader emerges from the election timeouts alone, within
/// the bound of two maximal timeouts plus an election, and it is the only one.
#[test]
fn step1_leader_is_elected_automatically() {
    let mut cluster = three(1);
    let leader = until_leader(&mut cluster, &THREE);
    assert_eq!(
        leaders(&cluster, &THREE),
        vec![leader.clone()],
        "exactly one server must lead"
    );
    assert!(
        server(&cluster, &leader).stats().elections >= 1,
        "{leader} must have stood for election by itself"
    );
}

/// Once a leader is settled, 50 ticks (ten heartbeat intervals) pass — really pass,
/// where the Java test only computed a delay — with the same leader, and no follower's
/// election timer fires.
#[test]
fn step1_heartbeats_keep_the_same_leader() {
    let mut cluster = three(2);
    let leader = until_leader(&mut cluster, &THREE);
    let pre_votes: Vec<u64> = THREE
        .iter()
        .map(|id| server(&cluster, id).stats().pre_votes)
        .collect();
    tick_with_at_most_one_leader(&mut cluster, &THREE, 50);
    assert_eq!(
        settled_leader(&cluster, &THREE),
        Some(leader.clone()),
        "{leader} must still lead after 50 ticks of heartbeats"
    );
    let after: Vec<u64> = THREE
        .iter()
        .map(|id| server(&cluster, id).stats().pre_votes)
        .collect();
    assert_eq!(
        pre_votes, after,
        "no follower may suspect a leader whose heartbeats arrive"
    );
}

/// A write sent to the elected leader succeeds while heartbeats run, and reaches all
/// three servers.
#[test]
fn step1_leader_replicates_with_heartbeats_running() {
    let mut cluster = three(3);
    let leader = until_leader(&mut cluster, &THREE);
    let reply = execute(
        &mut cluster,
        ALICE,
        &leader,
        1,
        set("title", "Microservices"),
    );
    assert_eq!(
        reply.outcome,
        stored("Microservices"),
        "the leader must report the stored value"
    );
    until_all_hold(&mut cluster, &THREE, "title", "Microservices");
}

/// A settled leader keeps its generation over 200 ticks that really pass.
#[test]
fn step1_stable_leader_keeps_its_generation() {
    let mut cluster = three(4);
    let leader = until_leader(&mut cluster, &THREE);
    let generation = ballot_of(&cluster, &leader);
    tick_with_at_most_one_leader(&mut cluster, &THREE, 200);
    assert_eq!(
        settled_leader(&cluster, &THREE),
        Some(leader.clone()),
        "the leader must not change without a fault"
    );
    assert_eq!(
        ballot_of(&cluster, &leader),
        generation,
        "a stable leader keeps its generation"
    );
}

/// Every node's promise reaches the leader's generation.
#[test]
fn step1_all_nodes_converge_to_leader_generation() {
    let mut cluster = three(5);
    let leader = until_leader(&mut cluster, &THREE);
    let generation = ballot_of(&cluster, &leader);
    let expected = generation.clone();
    cluster
        .tick_until_within(100, |c| {
            THREE
                .iter()
                .all(|id| *c.node::<Server>(id).promised() == expected)
        })
        .unwrap_or_else(|e| panic!("every promise must reach {generation}: {e}"));
}

// ----- LeaderElectionTest -----

/// Every node starts as a follower; after 500 ticks exactly one leads, its generation is
/// above zero, and every other node promised the same round.
#[test]
fn step1_startup_elects_exactly_one_leader() {
    let mut cluster = three(6);
    for id in THREE {
        assert_eq!(
            *server(&cluster, id).role(),
            Role::Follower { leader: None },
            "{id} must start as a follower that knows no leader"
        );
    }
    cluster.tick_n(500);
    let leader = settled_leader(&cluster, &THREE).expect("one leader after 500 ticks");
    let round = ballot_of(&cluster, &leader).round;
    assert!(round > 0, "the leader's generation must be above zero");
    for id in THREE {
        assert_eq!(
            server(&cluster, id).promised().round,
            round,
            "{id} must have promised the leader's generation"
        );
    }
}

/// After 300 ticks the leader and its generation hold for 500 more, never with a second
/// leader at any tick.
#[test]
fn step1_leadership_remains_single_over_time() {
    let mut cluster = three(7);
    cluster.tick_n(300);
    let leader = settled_leader(&cluster, &THREE).expect("a leader after 300 ticks");
    let generation = ballot_of(&cluster, &leader);
    tick_with_at_most_one_leader(&mut cluster, &THREE, 500);
    assert_eq!(
        settled_leader(&cluster, &THREE),
        Some(leader.clone()),
        "{leader} must still lead"
    );
    assert_eq!(
        ballot_of(&cluster, &leader),
        generation,
        "and in the same generation"
    );
}

/// Five nodes, a split vote forced at boot: four of them stand in the same tick on a
/// network with one fixed latency, each votes for itself, and the fifth can give only one
/// of them a second vote — nobody reaches three. The random timeouts then resolve it:
/// within the election bound one leader is settled, in a later round.
#[test]
fn step1_five_nodes_resolve_a_forced_split_vote() {
    let mut cluster = five(8);
    cluster.net().set_latency(1, 1);
    for id in &FIVE[..4] {
        cluster.act::<Server, _>(id, |s, ctx| s.start_election(ctx));
    }
    cluster.tick_n(5);
    assert!(
        leaders(&cluster, &FIVE).is_empty(),
        "four candidates of one round must split the vote: {:?} lead",
        leaders(&cluster, &FIVE)
    );
    let bound = election_bound(&Config::default());
    let leader = until_leader_within(&mut cluster, &FIVE, bound);
    assert!(
        ballot_of(&cluster, &leader).round >= 2,
        "the split round must not have produced a leader"
    );
    tick_with_at_most_one_leader(&mut cluster, &FIVE, 100);
}

/// The leader crashes: a new leader is elected by the timeouts, in a higher generation.
/// (The Java test never forced the change, so its "higher generation" branch never ran.)
#[test]
fn step2_leader_change_raises_generation() {
    let mut cluster = three(9);
    let old = until_leader(&mut cluster, &THREE);
    let old_generation = ballot_of(&cluster, &old);
    cluster.crash(&old);
    let rest = others(&THREE, &old);
    let new = until_leader(&mut cluster, &rest);
    assert_ne!(new, old, "a crashed node cannot lead");
    assert!(
        ballot_of(&cluster, &new) > old_generation,
        "the new leader's generation must be above {old_generation}"
    );
}

/// A follower is cut off in a minority partition for 300 ticks: the majority side keeps
/// its leader and generation, and the cut-off node never leads.
#[test]
fn step2_majority_side_keeps_leader_during_a_partition() {
    let mut cluster = three(10);
    let leader = until_leader(&mut cluster, &THREE);
    let generation = ballot_of(&cluster, &leader);
    let cut = others(&THREE, &leader)[0];
    cluster.isolate(cut);
    for _ in 0..300 {
        cluster.tick();
        assert!(
            !server(&cluster, cut).is_leader(),
            "{cut}, cut off alone, must never lead"
        );
    }
    assert!(
        server(&cluster, &leader).is_leader(),
        "the majority side must keep its leader"
    );
    assert_eq!(
        ballot_of(&cluster, &leader),
        generation,
        "and its generation"
    );
}

/// With 10% of messages lost on every link, followers do not time out while the leader
/// is alive: six heartbeats in a row would have to be lost.
#[test]
fn step1_followers_do_not_time_out_while_leader_is_alive() {
    let mut cluster = three(11);
    let leader = until_leader(&mut cluster, &THREE);
    cluster.net().set_loss(0.1);
    let elections: u64 = THREE
        .iter()
        .map(|id| server(&cluster, id).stats().elections)
        .sum();
    cluster.tick_n(300);
    assert!(
        server(&cluster, &leader).is_leader(),
        "{leader} must still lead"
    );
    let after: u64 = THREE
        .iter()
        .map(|id| server(&cluster, id).stats().elections)
        .sum();
    assert_eq!(
        elections, after,
        "nobody may stand for election while the leader's heartbeats get through"
    );
}

/// Five cycles of crashing the leader and restarting it: each cycle elects a new leader
/// in a higher generation, and at the end one leader is settled and followed by all.
#[test]
fn step2_repeated_leader_crashes_keep_a_leader() {
    let mut cluster = three(12);
    let mut generation = heartbeats::Ballot::zero();
    let mut changes = 0;
    let mut leader = until_leader(&mut cluster, &THREE);
    for cycle in 0..5 {
        let now = ballot_of(&cluster, &leader);
        assert!(
            now > generation,
            "cycle {cycle}: each leader's generation must be above the last"
        );
        generation = now;
        cluster.crash(&leader);
        let next = until_leader(&mut cluster, &others(&THREE, &leader));
        cluster.restart(&leader);
        changes += 1;
        leader = until_leader(&mut cluster, &THREE);
        assert_eq!(leader, next, "a restarted node must not depose the leader");
    }
    assert_eq!(changes, 5, "every cycle must force a leader change");
}
