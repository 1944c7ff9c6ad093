//! Step 1: the leader transitions. A full-log prepare elects a leader; the new leader
//! merges what the promises report — accepted and committed slots —, finishes every
//! inherited slot under its own ballot, fills holes with no-ops, and only then takes
//! client requests, after everything it learned.

mod support;

use common::ProcessId;
use multipaxos::{
    Ballot, Msg, Proposal, Recovery, RequestId, Role, Server, SlotReport, Value, merge_reports,
    recovery_for,
};
use support::*;

fn command(client: &str, seq: u64, operation: multipaxos::Operation) -> Value {
    Value::Command {
        request: RequestId::new(client, seq),
        operation,
    }
}

fn accepted(slot: u64, round: u64, node: &str, value: &Value) -> SlotReport {
    SlotReport {
        slot,
        accepted: Some(Proposal {
            ballot: Ballot::new(round, node),
            value: value.clone(),
        }),
        committed: None,
    }
}

/// Two acceptors accepted different values in slot 1 under different ballots: the new
/// leader must re-propose the one with the higher ballot.
#[test]
fn step1_uncommitted_slot_is_recovered_with_highest_generation() {
    let old = command(ALICE, 1, set("x", "old"));
    let newer = command(BOB, 1, set("x", "newer"));
    let reports = [
        accepted(1, 1, ATHENS, &old),
        accepted(1, 2, BYZANTIUM, &newer),
    ];
    let merged = merge_reports(&reports, true);
    assert_eq!(
        recovery_for(&merged, 1),
        Recovery::Propose(newer.clone()),
        "the value accepted with the higher ballot must be re-proposed"
    );
    let reversed = [
        accepted(1, 2, BYZANTIUM, &newer),
        accepted(1, 1, ATHENS, &old),
    ];
    assert_eq!(
        recovery_for(&merge_reports(&reversed, true), 1),
        Recovery::Propose(newer),
        "the order of the promises must not matter"
    );
}

/// A committed slot reported by one promise wins over any accepted value, and is
/// learned, not proposed again.
#[test]
fn step1_a_committed_slot_in_a_promise_is_learned_as_is() {
    let chosen = command(ALICE, 1, set("x", "chosen"));
    let other = command(BOB, 1, set("x", "other"));
    let reports = [
        accepted(1, 5, CYRENE, &other),
        SlotReport {
            slot: 1,
            accepted: None,
            committed: Some(chosen.clone()),
        },
    ];
    let merged = merge_reports(&reports, true);
    assert_eq!(
        recovery_for(&merged, 1),
        Recovery::Learn(chosen),
        "a committed value reported by any promise is final"
    );
    assert_eq!(merged.last, 1, "the last slot reported is 1");
}

/// Slot 2 was accepted by nobody between accepted slots 1 and 3: it gets a no-op, so it
/// cannot block execution of slot 3.
#[test]
fn step1_gap_is_filled_with_noop() {
    let one = command(ALICE, 1, set("x", "1"));
    let three_ = command(ALICE, 2, set("x", "3"));
    let reports = [
        accepted(1, 1, ATHENS, &one),
        accepted(3, 1, ATHENS, &three_),
    ];
    let merged = merge_reports(&reports, true);
    assert_eq!(
        merged.last, 3,
        "the merge must reach the highest reported slot"
    );
    assert_eq!(
        recovery_for(&merged, 2),
        Recovery::Propose(Value::NoOp),
        "a hole nobody accepted anything in must be filled with a no-op"
    );
    assert_eq!(
        recovery_for(&merged, 3),
        Recovery::Propose(three_),
        "slot 3 keeps its value"
    );
}

/// Java `leader_election_single_node_becomes_leader`: athens stands for election and
/// becomes leader; the others follow it.
#[test]
fn step1_leader_election_single_node_becomes_leader() {
    let mut cluster = three(1);
    elect(&mut cluster, ATHENS);
    assert!(server(&cluster, ATHENS).is_leader(), "athens must lead");
    cluster.tick_n(5);
    for follower in [BYZANTIUM, CYRENE] {
        assert_eq!(
            server(&cluster, follower).role(),
            &Role::Follower {
                leader: Some(ProcessId::new(ATHENS))
            },
            "{follower} must follow athens after promising its ballot"
        );
    }
}

/// Two nodes stand for election in the same tick: ballots are unique (round, node), so
/// at most one of them leads, and the loser learns the higher ballot (bug B3).
#[test]
fn step1_competing_candidates_only_one_wins() {
    let mut cluster = three(2);
    cluster.act::<Server, _>(ATHENS, |s, ctx| s.start_election(ctx));
    cluster.act::<Server, _>(CYRENE, |s, ctx| s.start_election(ctx));
    cluster.tick_n(60);
    let leaders: Vec<&str> = THREE
        .iter()
        .copied()
        .filter(|id| server(&cluster, id).is_leader())
        .collect();
    assert!(
        leaders.len() <= 1,
        "two candidates in the same round must not both lead: {leaders:?}"
    );
    let athens = server(&cluster, ATHENS).promised().clone();
    let cyrene = server(&cluster, CYRENE).promised().clone();
    assert_eq!(athens.round, 1, "both candidates used round 1");
    assert!(
        athens == cyrene || !leaders.is_empty(),
        "the loser must learn the winning ballot: athens promised {athens}, cyrene {cyrene}"
    );
    assert!(
        athens.node == ProcessId::new(CYRENE) || cyrene.node == ProcessId::new(CYRENE),
        "(1, cyrene) is above (1, athens): someone must have promised it"
    );
}

/// Commit three writes, isolate the leader, elect another node, write again: the new
/// write goes in slot 4, the old values stay, and the client gets its reply (bug B1).
#[test]
fn step1_failover_leader_continues_after_highest_slot() {
    let mut cluster = three(3);
    elect(&mut cluster, ATHENS);
    for (seq, value) in [(1, "a"), (2, "b"), (3, "c")] {
        execute(
            &mut cluster,
            ALICE,
            ATHENS,
            seq,
            set(&format!("k{seq}"), value),
        );
    }
    cluster.isolate(ATHENS);
    elect(&mut cluster, BYZANTIUM);
    let reply = execute(&mut cluster, BOB, BYZANTIUM, 1, set("k4", "d"));
    assert_eq!(
        reply.slot, 4,
        "the new leader must write after the highest known slot"
    );
    until_executed(&mut cluster, &[BYZANTIUM, CYRENE], 4);
    for id in [BYZANTIUM, CYRENE] {
        let sm = server(&cluster, id).state_machine();
        for (key, value) in [("k1", "a"), ("k2", "b"), ("k3", "c"), ("k4", "d")] {
            assert_eq!(
                sm.get(key),
                Some(value),
                "{id} must keep {key}={value} after the failover"
            );
        }
    }
}

/// Cyrene misses two commits while cut off, then is elected: it must adopt the
/// committed values from the promises before proposing anything new (bug B2).
#[test]
fn step1_stale_candidate_learns_committed_slots() {
    let mut cluster = three(4);
    elect(&mut cluster, ATHENS);
    cluster.isolate(CYRENE);
    execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    execute(&mut cluster, ALICE, ATHENS, 2, set("y", "2"));
    cluster.reconnect(CYRENE);
    cluster.isolate(ATHENS);
    elect(&mut cluster, CYRENE);
    let reply = execute(&mut cluster, BOB, CYRENE, 1, get("x"));
    assert_eq!(
        reply.slot, 3,
        "cyrene must place new requests after the two committed slots"
    );
    assert_eq!(
        reply.outcome,
        read(Some("1")),
        "cyrene must read the value committed while it was away"
    );
    assert_eq!(
        server(&cluster, CYRENE).committed(2),
        server(&cluster, BYZANTIUM).committed(2),
        "cyrene must hold the committed value of slot 2, not a new one"
    );
}

/// A slot the old leader got accepted by a majority but never learned was chosen (the
/// acceptances never reached it) is finished by the next leader under its own ballot,
/// and the client's retry is answered from that slot (bug B8: recovery is not
/// fire-and-forget, and a retry does not run twice).
#[test]
fn step1_new_leader_finishes_a_slot_the_old_leader_left_accepted() {
    let mut cluster = three(5);
    elect(&mut cluster, ATHENS);
    execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    // Athens's next Accept reaches byzantium only, and byzantium's answer is lost.
    cluster.isolate(CYRENE);
    cluster.net().drop_kind("Accepted", BYZANTIUM, ATHENS);
    let lost = multipaxos::execute(&mut cluster, ALICE, ATHENS, 2, set("x", "2"));
    cluster
        .tick_until_within(50, |c| {
            c.node::<Server>(BYZANTIUM)
                .slot(2)
                .is_some_and(|r| r.accepted.is_some())
        })
        .expect("byzantium must accept slot 2");
    assert!(
        server(&cluster, ATHENS).committed(2).is_none(),
        "athens must not know slot 2 is chosen: byzantium's acceptance was dropped"
    );
    cluster.reconnect(CYRENE);
    cluster.isolate(ATHENS);
    elect(&mut cluster, CYRENE);
    until_executed(&mut cluster, &[BYZANTIUM, CYRENE], 2);
    assert_eq!(
        server(&cluster, CYRENE).state_machine().get("x"),
        Some("2"),
        "the new leader must finish the accepted slot 2 with its value"
    );
    drop(lost);
    let msg = Msg::Execute {
        request: RequestId::new(ALICE, 2),
        operation: set("x", "2"),
    };
    let retry = cluster.call(ALICE, CYRENE, msg);
    let reply = answered(&mut cluster, &retry, ALICE);
    assert_eq!(
        reply.slot, 2,
        "the retried request must be answered from slot 2, not run again"
    );
}

/// A slot a promise reports committed is committed by the new leader as it is: it sends
/// the commit to the others without an accept round of its own. Cyrene, cut off while
/// athens committed slots 1 and 2, is elected with byzantium's promise.
#[test]
fn a_slot_a_promise_reports_committed_is_committed_without_an_accept_round() {
    let mut cluster = three(4);
    elect(&mut cluster, ATHENS);
    cluster.isolate(CYRENE);
    execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    execute(&mut cluster, ALICE, ATHENS, 2, set("y", "2"));
    cluster.reconnect(CYRENE);
    cluster.isolate(ATHENS);
    let before = server(&cluster, CYRENE).stats();
    elect(&mut cluster, CYRENE);
    until_executed(&mut cluster, &[CYRENE], 2);
    cluster.tick_n(10);
    let after = server(&cluster, CYRENE).stats();
    assert_eq!(
        after.proposals, before.proposals,
        "cyrene proposes nothing: both slots were reported committed"
    );
    assert_eq!(
        after.messages_to_servers - before.messages_to_servers,
        6,
        "cyrene sends a prepare to each of two peers, then the commits of slots 1 and 2 to each"
    );
    assert_eq!(
        server(&cluster, CYRENE).committed(2),
        server(&cluster, BYZANTIUM).committed(2),
        "cyrene holds the committed value of slot 2"
    );
}

/// A candidate asks only for the slots after the prefix it has executed: those before
/// are committed everywhere a majority knows, so the promises leave them out.
#[test]
fn a_candidate_asks_only_for_the_slots_after_its_executed_prefix() {
    let mut cluster = three(4);
    elect(&mut cluster, ATHENS);
    execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    execute(&mut cluster, ALICE, ATHENS, 2, set("y", "2"));
    until_executed(&mut cluster, &THREE, 2);
    elect(&mut cluster, BYZANTIUM);
    let mut promises = 0;
    for event in cluster.trace().events() {
        match &event.body {
            Some(Msg::Prepare { ballot, from }) if ballot.round == 2 => {
                assert_eq!(
                    *from, 3,
                    "byzantium executed slots 1 and 2: it asks from slot 3"
                )
            }
            Some(Msg::Promise { ballot, slots }) if ballot.round == 2 => {
                promises += 1;
                assert!(
                    slots.iter().all(|report| report.slot > 2),
                    "{} reports only slots after 2, got {slots:?}",
                    event.node
                );
            }
            _ => {}
        }
    }
    assert_eq!(promises, 3, "every node promised byzantium's ballot");
}

/// A leader that was deposed while its accept round was failing does not send the
/// accept again when its retry timer fires. Athens's accepts reach no one, and
/// byzantium is elected with a promise from athens (whose own promise to byzantium is
/// lost, so byzantium knows nothing of slot 1).
#[test]
fn a_deposed_leader_does_not_retry_its_accept() {
    let config = multipaxos::Config {
        accept_retry_ticks: 100,
        ..multipaxos::Config::default()
    };
    let mut cluster = cluster_with(4, &THREE, config);
    elect(&mut cluster, ATHENS);
    cluster
        .net()
        .drop_kind("Accept", ATHENS, [BYZANTIUM, CYRENE]);
    let _call = multipaxos::execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    cluster.tick_n(30);
    cluster.net().drop_kind("Promise", ATHENS, BYZANTIUM);
    elect(&mut cluster, BYZANTIUM);
    assert!(
        !server(&cluster, ATHENS).is_leader(),
        "athens promised byzantium's higher ballot, so it follows"
    );
    cluster.tick_n(150);
    let athens = server(&cluster, ATHENS).stats();
    assert_eq!(
        (athens.proposals, athens.accept_retries),
        (1, 1),
        "athens proposed slot 1 once, its round failed once, and its retry found it deposed"
    );
}

/// A leader elected again with a higher ballot does not step down for rejections of its
/// own older ballot that arrive late. Athens's accepts of its first ballot are held
/// while it is elected again; when they arrive, byzantium and cyrene reject them naming
/// athens's new ballot.
#[test]
fn a_leader_ignores_late_rejections_of_its_own_older_ballot() {
    let mut cluster = three(4);
    elect(&mut cluster, ATHENS);
    let held = cluster
        .net()
        .hold_kind("Accept", ATHENS, [BYZANTIUM, CYRENE]);
    let _call = multipaxos::execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    cluster.tick_n(3);
    elect(&mut cluster, ATHENS);
    cluster.net().release(held);
    cluster.tick_n(30);
    let rejections_of_the_first_ballot = cluster
        .trace()
        .events()
        .filter(|e| {
            matches!(&e.body, Some(Msg::Reject { ballot, promised })
                if ballot.round == 1 && promised.round == 2 && promised.node == ATHENS)
        })
        .count();
    assert_eq!(
        rejections_of_the_first_ballot, 2,
        "byzantium and cyrene rejected athens's first ballot, naming its second"
    );
    assert!(
        server(&cluster, ATHENS).is_leader(),
        "a rejection that names athens's own current ballot is no reason to step down"
    );
    until_executed(&mut cluster, &THREE, 1);
}

/// A network that duplicates messages delivers a `Prepare` twice. Byzantium promises the
/// first copy and rejects the second, naming as its promise the very ballot it rejects:
/// athens's own. That names no higher ballot, so it is no reason to stand down or to give
/// up the election, and athens wins with its own promise and cyrene's. (Byzantium's
/// promise is lost, so the rejection is its only answer; cyrene's is slow, so the
/// rejection is in before the majority.)
#[test]
fn a_candidate_wins_though_a_duplicate_of_its_prepare_is_rejected_naming_its_own_ballot() {
    let mut cluster = three(5);
    cluster
        .net()
        .duplicate_kind("Prepare", ATHENS, BYZANTIUM, 1);
    cluster.net().drop_kind("Promise", BYZANTIUM, ATHENS);
    cluster.net().delay_kind("Promise", CYRENE, ATHENS, 10);
    elect(&mut cluster, ATHENS);
    let Role::Leader { ballot } = server(&cluster, ATHENS).role().clone() else {
        unreachable!("elect returns once athens leads")
    };
    let rejections_naming_it = cluster
        .trace()
        .events()
        .filter(|e| {
            matches!(&e.body, Some(Msg::Reject { ballot: b, promised })
                if *b == ballot && *promised == ballot)
        })
        .count();
    assert!(
        rejections_naming_it > 0,
        "byzantium rejected the copy of athens's prepare, naming athens's ballot {ballot}"
    );
    let _call = multipaxos::execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    until_executed(&mut cluster, &THREE, 1);
}
