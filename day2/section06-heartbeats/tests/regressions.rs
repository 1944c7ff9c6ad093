//! One regression test per bug of the Java section (H1 to H8; H8 is the replay test in
//! `simulation.rs`), named after the bug it prevents, plus the scenarios the fixes make
//! possible: one-way links, a healed old leader, a client of a minority leader.

mod support;

use common::{Envelope, Tick};
use heartbeats::{Ballot, Config, Msg, Role, Server};
use std::collections::BTreeSet;
use support::*;

/// Deliver `body` to `to` as if `from` had sent it (a delayed or reordered message).
fn deliver(cluster: &mut common::Cluster<Msg>, from: &str, to: &str, body: Msg) {
    let envelope = Envelope {
        from: from.into(),
        to: to.into(),
        corr: None,
        in_reply_to: None,
        body,
    };
    cluster.act::<Server, _>(to, move |s, ctx| {
        common::Process::on_message(s, ctx, envelope);
    });
}

/// H1, the Java ordering: the old leader is cut off (check-quorum off, so it keeps
/// believing it leads) while the others elect a new leader. On the heal, heartbeats,
/// their acknowledgements and rejections towards the old leader are dropped, so the
/// *only* higher-generation message it sees is the new leader's `Accept` for a client
/// write sent in the heal tick. Accepting it must make the old leader step down — the
/// Java leader accepted, raised its promise, kept leading and proposed under the new
/// generation. "One leader per generation" is checked on every tick.
#[test]
fn step2_h1_a_stale_leader_that_accepts_a_newer_proposal_steps_down() {
    let config = Config {
        check_quorum: false,
        ..Config::default()
    };
    let mut cluster = cluster_with(41, &THREE, config);
    let old = until_leader(&mut cluster, &THREE);
    cluster.isolate(&old);
    let rest = others(&THREE, &old);
    let new = until_leader(&mut cluster, &rest);
    assert!(
        server(&cluster, &old).is_leader(),
        "without check-quorum the cut-off {old} still believes it leads"
    );
    for kind in ["Heartbeat", "HeartbeatAck", "Reject", "Promise", "Accepted"] {
        cluster
            .net()
            .drop_kind(kind, common::net::Sel::Any, old.as_str());
    }
    cluster.reconnect(&old);
    let write = heartbeats::execute(&mut cluster, ALICE, &new, 1, set("h1", "new"));
    let who = old.clone();
    cluster
        .tick_until_within(10, |c| !c.node::<Server>(&who).is_leader())
        .unwrap_or_else(|e| panic!("{old} must step down on {new}'s Accept: {e}"));
    let new_ballot = ballot_of(&cluster, &new);
    assert_eq!(
        *server(&cluster, &old).promised(),
        new_ballot,
        "{old} stepped down by accepting {new}'s proposal"
    );
    answered(&mut cluster, &write, ALICE);
    cluster.net().clear_rules();
    let settled = until_leader(&mut cluster, &THREE);
    assert_eq!(settled, new, "{new} must keep leading");
    until_all_hold(&mut cluster, &THREE, "h1", "new");
}

/// H1, the invariant itself: with unique ballots and step-down, no heartbeat ever claims
/// the receiver's own ballot, across a run of leader crashes.
#[test]
fn step2_h1_no_two_leaders_share_a_generation() {
    let mut cluster = three(42);
    let mut rounds = BTreeSet::new();
    for _ in 0..4 {
        let leader = until_leader(&mut cluster, &THREE);
        assert!(
            rounds.insert(ballot_of(&cluster, &leader).round),
            "each leadership must have a generation of its own"
        );
        cluster.crash(&leader);
        until_leader(&mut cluster, &others(&THREE, &leader));
        cluster.restart(&leader);
    }
    for id in THREE {
        assert_eq!(
            server(&cluster, id).shared_generation(),
            0,
            "{id} must never hear another leader claim its own ballot"
        );
    }
}

/// H2: a delayed `HeartbeatAck` naming an old, lower promise, and a delayed heartbeat of
/// an old leader, reach nodes that have since promised more: no promise goes down, and
/// the leader keeps leading (the Java follower transition *assigned* the generation).
#[test]
fn step2_h2_promise_never_decreases_under_delayed_rejections() {
    let mut cluster = three(43);
    let leader = until_leader(&mut cluster, &THREE);
    let ballot = ballot_of(&cluster, &leader);
    let follower = others(&THREE, &leader)[0];
    let stale = Ballot::new(ballot.round - 1, follower);
    let before: Vec<Ballot> = THREE
        .iter()
        .map(|id| server(&cluster, id).promised().clone())
        .collect();
    deliver(
        &mut cluster,
        follower,
        &leader,
        Msg::HeartbeatAck {
            ballot: ballot.clone(),
            promised: stale.clone(),
        },
    );
    deliver(
        &mut cluster,
        follower,
        follower,
        Msg::Heartbeat {
            ballot: stale.clone(),
            committed_through: 0,
        },
    );
    cluster.tick_n(20);
    let after: Vec<Ballot> = THREE
        .iter()
        .map(|id| server(&cluster, id).promised().clone())
        .collect();
    for ((id, b), a) in THREE.iter().zip(&before).zip(&after) {
        assert!(a >= b, "{id}'s promise went down from {b} to {a}");
    }
    assert!(
        server(&cluster, &leader).is_leader(),
        "a stale acknowledgement must not depose the leader"
    );
}

/// H3: election timeouts come from each node's seeded stream, uniformly in
/// `[T, 2T)`, drawn again on every restart: nodes of one cluster draw different
/// timeouts, the same seed draws the same, and across seeds the first leader is not
/// always the same node (the Java stagger by name always elected athens).
#[test]
fn step1_h3_election_timeouts_are_seeded_random() {
    let config = Config::default();
    let t = config.election_timeout_ticks;
    let timeouts = |seed: u64| -> Vec<Tick> {
        let cluster = three(seed);
        THREE
            .iter()
            .map(|id| server(&cluster, id).election_timeout())
            .collect()
    };
    assert_eq!(
        timeouts(5),
        timeouts(5),
        "the same seed draws the same timeouts"
    );
    let mut first_leaders = BTreeSet::new();
    let mut distinct = BTreeSet::new();
    for seed in 0..20 {
        let drawn = timeouts(seed);
        for d in &drawn {
            assert!(
                (t..2 * t).contains(d),
                "a timeout must lie in [{t}, {}), drew {d}",
                2 * t
            );
            distinct.insert(*d);
        }
        let mut cluster = three(seed);
        first_leaders.insert(until_leader(&mut cluster, &THREE));
    }
    assert!(
        distinct.len() > 10,
        "timeouts must spread over the range, saw only {distinct:?}"
    );
    assert!(
        first_leaders.len() == 3,
        "over 20 seeds every node must win a first election sometimes, saw {first_leaders:?}"
    );
    let mut cluster = three(1);
    let leader = until_leader(&mut cluster, &THREE);
    let follower = others(&THREE, &leader)[0];
    let mut redrawn = BTreeSet::new();
    for _ in 0..10 {
        cluster.tick_n(5);
        redrawn.insert(server(&cluster, follower).election_timeout());
    }
    assert!(
        redrawn.len() > 1,
        "each heartbeat restarts the timer with a fresh draw, saw {redrawn:?}"
    );
}

/// H4 (check-quorum): the leader is isolated; within one election timeout plus a
/// heartbeat interval of its last acknowledgement it steps down by itself, and the
/// majority elects another leader in a higher generation.
#[test]
fn step2_h4_isolated_leader_steps_down_and_is_replaced_without_manual_trigger() {
    let mut cluster = three(44);
    let config = Config::default();
    let old = until_leader(&mut cluster, &THREE);
    let generation = ballot_of(&cluster, &old);
    cluster.isolate(&old);
    let bound = config.election_timeout_ticks + 2 * config.heartbeat_interval_ticks + 2;
    let who = old.clone();
    cluster
        .tick_until_within(bound, |c| !c.node::<Server>(&who).is_leader())
        .unwrap_or_else(|e| panic!("the isolated {old} must step down within {bound} ticks: {e}"));
    let stats = server(&cluster, &old).stats();
    assert_eq!(
        (stats.step_downs, stats.check_quorum_step_downs),
        (1, 1),
        "{old} must have stepped down once, by check-quorum"
    );
    let rest = others(&THREE, &old);
    let new = until_leader(&mut cluster, &rest);
    assert!(
        ballot_of(&cluster, &new) > generation,
        "the majority's new leader must have a higher generation"
    );
}

/// H4, seen by a client: a request sent to a leader that is cut off from the majority
/// is answered `NotLeader` within about an election timeout, instead of waiting for the
/// request timeout (10,000 ticks in the Java section).
#[test]
fn step2_h4_client_of_minority_leader_fails_fast() {
    let mut cluster = three(45);
    let leader = until_leader(&mut cluster, &THREE);
    for other in others(&THREE, &leader) {
        cluster.partition(&[&[leader.as_str(), ALICE], &[other]]);
    }
    let call = heartbeats::execute(&mut cluster, ALICE, &leader, 1, set("k", "v"));
    let started = cluster.now();
    let answer = cluster.run(&call);
    let took = cluster.now() - started;
    assert!(
        matches!(answer, Ok(Msg::NotLeader { .. })),
        "the minority leader must send its client away, got {answer:?}"
    );
    assert!(
        took <= Config::default().election_timeout_ticks + 15,
        "the answer must come within about an election timeout, took {took} ticks"
    );
}

/// H5 (pre-vote): a follower is cut off for ten election timeouts, then rejoins. It
/// asked for pre-votes all along but never raised its generation, so the healthy leader
/// keeps leading in the same generation.
#[test]
fn step2_h5_rejoining_node_cannot_depose_a_healthy_leader() {
    let mut cluster = three(46);
    let leader = until_leader(&mut cluster, &THREE);
    let generation = ballot_of(&cluster, &leader);
    let loner = others(&THREE, &leader)[0];
    cluster.isolate(loner);
    cluster.tick_n(10 * Config::default().election_timeout_ticks);
    assert!(
        server(&cluster, loner).stats().pre_votes >= 5,
        "the cut-off node must have kept asking for pre-votes"
    );
    assert_eq!(
        server(&cluster, loner).stats().elections,
        0,
        "without a majority of pre-votes it must never stand for election"
    );
    cluster.reconnect(loner);
    tick_with_at_most_one_leader(&mut cluster, &THREE, 200);
    assert_eq!(
        settled_leader(&cluster, &THREE),
        Some(leader.clone()),
        "the healthy leader must keep leading"
    );
    assert_eq!(
        ballot_of(&cluster, &leader),
        generation,
        "in the same generation"
    );
}

/// H5, why pre-vote matters: without it the same rejoining node stands for election with
/// an inflated round and deposes the healthy leader — yet no committed slot is lost.
#[test]
fn step2_h5_without_pre_vote_a_rejoining_node_deposes_the_leader_but_loses_nothing() {
    let config = Config {
        pre_vote: false,
        ..Config::default()
    };
    let mut cluster = cluster_with(46, &THREE, config);
    let leader = until_leader(&mut cluster, &THREE);
    execute(&mut cluster, ALICE, &leader, 1, set("kept", "yes"));
    let generation = ballot_of(&cluster, &leader);
    let loner = others(&THREE, &leader)[0];
    cluster.isolate(loner);
    cluster.tick_n(10 * Config::default().election_timeout_ticks);
    cluster.reconnect(loner);
    cluster.tick_n(200);
    let now = until_leader(&mut cluster, &THREE);
    assert!(
        ballot_of(&cluster, &now).round > generation.round + 3,
        "the rejoiner's inflated rounds must have deposed generation {generation}"
    );
    until_all_hold(&mut cluster, &THREE, "kept", "yes");
}

/// H6: a follower misses a commit (its `Commit` is dropped) and no further write comes;
/// the leader's heartbeats carry its commit point, so the follower asks for the missing
/// slot — once, from slot 1, a request it counts among its messages — and executes it.
/// (Java heartbeats carried only the generation.)
#[test]
fn step1_h6_lagging_follower_catches_up_via_heartbeat() {
    let mut cluster = three(47);
    let leader = until_leader(&mut cluster, &THREE);
    let lagging = others(&THREE, &leader)[0];
    let rule = cluster.net().drop_kind("Commit", leader.as_str(), lagging);
    let reply = execute(&mut cluster, ALICE, &leader, 1, set("late", "yes"));
    cluster.tick_n(2);
    assert!(
        server(&cluster, lagging).committed(reply.slot).is_none(),
        "{lagging} must have missed the commit of slot {}",
        reply.slot
    );
    let interval = Config::default().heartbeat_interval_ticks;
    let who = lagging.to_string();
    let slot = reply.slot;
    cluster
        .tick_until_within(2 * interval + 6, |c| {
            c.node::<Server>(&who).executed_through() >= slot
        })
        .unwrap_or_else(|e| panic!("{lagging} must catch up from the next heartbeats: {e}"));
    cluster.net().release(rule);
    let asked: Vec<Msg> = cluster
        .trace()
        .events()
        .filter(|e| e.node == lagging && matches!(e.kind, common::trace::TraceKind::Send { .. }))
        .filter_map(|e| e.body.clone())
        .filter(|m| matches!(m, Msg::CatchUp { .. }))
        .collect();
    assert_eq!(
        asked,
        vec![Msg::CatchUp { from: 1 }],
        "{lagging} asked once, for the slots from its first unexecuted one, slot 1"
    );
    cluster.pause(&leader);
    cluster.tick_n(5);
    let heartbeats = server(&cluster, &leader).stats().heartbeats;
    assert_eq!(
        server(&cluster, lagging).stats().messages_to_servers,
        2 + 1 + 1 + heartbeats + 1,
        "{lagging} answered two pre-votes, promised, accepted, acknowledged each of {leader}'s \
         {heartbeats} heartbeats and asked once to catch up"
    );
    assert_eq!(
        server(&cluster, lagging).state_machine().get("late"),
        Some("yes"),
        "the caught-up follower must have executed the write"
    );
}

/// H7: the heartbeat interval is configurable and respected — a leader with interval 8
/// sends one fan-out per 8 ticks — and when the leader stops, the first follower to
/// suspect it does so no earlier than one minimal election timeout after the last
/// heartbeat it received.
#[test]
fn step1_h7_heartbeat_interval_is_configurable_and_respected() {
    let config = Config {
        heartbeat_interval_ticks: 8,
        ..Config::default()
    };
    let mut cluster = cluster_with(48, &THREE, config.clone());
    let leader = until_leader(&mut cluster, &THREE);
    let before = server(&cluster, &leader).stats().heartbeats;
    cluster.tick_n(80);
    let sent = server(&cluster, &leader).stats().heartbeats - before;
    assert_eq!(
        sent, 10,
        "80 ticks at one heartbeat per 8 ticks is 10 fan-outs"
    );
    let followers = others(&THREE, &leader);
    cluster.pause(&leader);
    let last: Vec<Tick> = followers
        .iter()
        .map(|f| {
            server(&cluster, f)
                .heard_from_leader_at()
                .expect("a follower has heard from its leader")
        })
        .collect();
    let pre_votes = |c: &common::Cluster<Msg>, f: &str| c.node::<Server>(f).stats().pre_votes;
    let start: Vec<u64> = followers.iter().map(|f| pre_votes(&cluster, f)).collect();
    let mut first_suspicion = None;
    for _ in 0..2 * config.max_election_timeout_ticks() {
        cluster.tick();
        for (i, f) in followers.iter().enumerate() {
            if first_suspicion.is_none() && pre_votes(&cluster, f) > start[i] {
                first_suspicion = Some((i, cluster.now()));
            }
        }
    }
    let (i, at) = first_suspicion.expect("a follower must suspect the paused leader");
    assert!(
        at >= last[i] + config.election_timeout_ticks,
        "{} suspected at tick {at}, less than one election timeout after its last heartbeat at {}",
        followers[i],
        last[i]
    );
}

/// One-way link, leader → follower cut: the follower hears nothing, but pre-vote fails
/// (the other follower still hears the leader), so the leader keeps leading and the
/// cluster keeps committing.
#[test]
fn step2_one_way_cut_from_leader_to_follower_does_not_depose_it() {
    let mut cluster = three(49);
    let leader = until_leader(&mut cluster, &THREE);
    let deaf = others(&THREE, &leader)[0];
    cluster.one_way(&leader, deaf);
    cluster.tick_n(300);
    assert!(
        server(&cluster, &leader).is_leader(),
        "a leader still heard by a majority must keep leading"
    );
    let reply = execute(&mut cluster, ALICE, &leader, 1, set("one_way", "ok"));
    assert_eq!(
        reply.outcome,
        stored("ok"),
        "the cluster must keep committing"
    );
}

/// One-way links, both followers → leader cut: the leader's heartbeats arrive but no
/// acknowledgement comes back; check-quorum makes it step down, and a follower leads.
#[test]
fn step2_one_way_cuts_from_followers_to_leader_make_it_step_down() {
    let mut cluster = three(50);
    let leader = until_leader(&mut cluster, &THREE);
    for f in others(&THREE, &leader) {
        cluster.one_way(f, &leader);
    }
    let who = leader.clone();
    cluster
        .tick_until_within(60, |c| !c.node::<Server>(&who).is_leader())
        .unwrap_or_else(|e| panic!("{leader} hears no acknowledgement and must step down: {e}"));
    let rest = others(&THREE, &leader);
    let new = cluster
        .tick_until_within(300, |c| {
            rest.iter().any(|id| c.node::<Server>(id).is_leader())
        })
        .map(|_| {
            rest.iter()
                .find(|id| server(&cluster, id).is_leader())
                .map(|s| s.to_string())
        });
    assert!(
        matches!(new, Ok(Some(_))),
        "a follower must lead once the leader stepped down"
    );
}

/// A healed old leader steps down within a bound: the leader is cut off, a new one is
/// elected, and when the old one rejoins it follows the new leader within a few ticks.
#[test]
fn step2_healed_old_leader_steps_down_within_bound() {
    let config = Config {
        check_quorum: false,
        ..Config::default()
    };
    let mut cluster = cluster_with(51, &THREE, config);
    let old = until_leader(&mut cluster, &THREE);
    cluster.isolate(&old);
    let new = until_leader(&mut cluster, &others(&THREE, &old));
    assert!(
        server(&cluster, &old).is_leader(),
        "without check-quorum the isolated {old} still believes it leads"
    );
    cluster.reconnect(&old);
    let who = old.clone();
    cluster
        .tick_until_within(2 * Config::default().heartbeat_interval_ticks + 4, |c| {
            !c.node::<Server>(&who).is_leader()
        })
        .unwrap_or_else(|e| panic!("the healed {old} must step down within two heartbeats: {e}"));
    assert_eq!(
        *server(&cluster, &old).role(),
        Role::Follower {
            leader: Some(new.as_str().into())
        },
        "and follow {new}"
    );
    let stats = server(&cluster, &old).stats();
    assert_eq!(
        (stats.step_downs, stats.check_quorum_step_downs),
        (1, 0),
        "{old} stepped down once, on meeting {new}'s higher generation, not by check-quorum"
    );
}

/// H1, the ghost check's counter: a heartbeat from another node that claims the
/// receiver's own ballot (two leaders of one generation, which unique ballots and
/// step-down rule out) is counted, and neither followed nor acknowledged. The cluster
/// runs without the invariants, which would stop at the count.
#[test]
fn a_heartbeat_that_claims_the_receivers_own_ballot_is_counted_not_followed() {
    let builder = common::ClusterBuilder::new()
        .seed(52)
        .servers(THREE)
        .store(common::StoreConfig::default())
        .request_timeout(CLIENT_TIMEOUT)
        .budget(3_000);
    let mut cluster = heartbeats::build(builder, Config::default());
    let leader = until_leader(&mut cluster, &THREE);
    let ballot = ballot_of(&cluster, &leader);
    let follower = others(&THREE, &leader)[0];
    let sent = server(&cluster, &leader).stats().messages_to_servers;
    deliver(
        &mut cluster,
        follower,
        &leader,
        Msg::Heartbeat {
            ballot: ballot.clone(),
            committed_through: 0,
        },
    );
    let after = server(&cluster, &leader);
    assert_eq!(
        after.shared_generation(),
        1,
        "{leader} counts a heartbeat of {follower} claiming its own ballot {ballot}"
    );
    assert_eq!(
        after.stats().messages_to_servers,
        sent,
        "{leader} does not acknowledge it"
    );
    assert_eq!(
        *after.role(),
        Role::Leader { ballot },
        "{leader} keeps leading with its ballot"
    );
}

/// H2's other side: a follower acknowledges every heartbeat, naming its promise, and
/// counts each acknowledgement; but only a heartbeat of the generation it promised is
/// word from a leader (noted with its tick), not one of an older generation.
#[test]
fn a_follower_acknowledges_every_heartbeat_but_only_its_leaders_is_word_from_a_leader() {
    let mut cluster = three(53);
    let leader = until_leader(&mut cluster, &THREE);
    let ballot = ballot_of(&cluster, &leader);
    let follower = others(&THREE, &leader)[0];
    let other = others(&THREE, &leader)[1];
    let stale = Ballot::new(ballot.round - 1, other);
    let heard = server(&cluster, follower).heard_from_leader_at();
    let sent = server(&cluster, follower).stats().messages_to_servers;
    deliver(
        &mut cluster,
        other,
        follower,
        Msg::Heartbeat {
            ballot: stale.clone(),
            committed_through: 0,
        },
    );
    let acknowledged_stale = cluster.trace().events().any(|e| {
        e.node == follower
            && matches!(e.kind, common::trace::TraceKind::Send { .. })
            && e.peer.as_ref().is_some_and(|p| p == other)
            && matches!(&e.body, Some(Msg::HeartbeatAck { ballot: b, promised }) if *b == stale && *promised == ballot)
    });
    assert!(
        acknowledged_stale,
        "{follower} answers the stale heartbeat naming its promise {ballot}"
    );
    assert_eq!(
        server(&cluster, follower).stats().messages_to_servers,
        sent + 1,
        "{follower} counts that one acknowledgement"
    );
    assert_eq!(
        server(&cluster, follower).heard_from_leader_at(),
        heard,
        "a heartbeat of an older generation is no word from a leader"
    );
    deliver(
        &mut cluster,
        &leader,
        follower,
        Msg::Heartbeat {
            ballot,
            committed_through: 0,
        },
    );
    assert_eq!(
        server(&cluster, follower).stats().messages_to_servers,
        sent + 2,
        "{follower} counts its acknowledgement of the leader's heartbeat too"
    );
    assert_eq!(
        server(&cluster, follower).heard_from_leader_at(),
        Some(cluster.now()),
        "{follower} notes the tick it heard from {leader}"
    );
}

/// H1, the broken twin the negative controls run: a leader that never steps down, cut
/// off while another is elected, adopts the new leader's higher generation when its
/// heartbeat arrives — its promise raised to it, as the Java leader raised its
/// `promisedGeneration` — and keeps leading under it, so both claim one generation. The
/// cluster runs without the invariants, which would stop at the second leader.
#[test]
fn a_leader_that_never_steps_down_adopts_the_higher_generation_with_its_promise() {
    let builder = common::ClusterBuilder::new()
        .seed(54)
        .servers(THREE)
        .store(common::StoreConfig::default())
        .request_timeout(CLIENT_TIMEOUT)
        .budget(3_000);
    let config = Config {
        check_quorum: false,
        ..Config::no_step_down()
    };
    let mut cluster = heartbeats::build(builder, config);
    let old = until_leader(&mut cluster, &THREE);
    cluster.isolate(&old);
    let new = until_leader(&mut cluster, &others(&THREE, &old));
    let generation = ballot_of(&cluster, &new);
    cluster.reconnect(&old);
    let who = old.clone();
    let adopted = generation.clone();
    cluster
        .tick_until_within(20, |c| {
            *c.node::<Server>(&who).role()
                == Role::Leader {
                    ballot: adopted.clone(),
                }
        })
        .unwrap_or_else(|e| panic!("{old} must adopt {new}'s generation {generation}: {e}"));
    assert_eq!(
        *server(&cluster, &old).promised(),
        generation,
        "{old} raised its promise to the generation it adopted"
    );
    assert!(
        server(&cluster, &new).is_leader(),
        "{new} leads in the same generation"
    );
}
