//! Step 3: one regression test per bug of the Java section (its spec, section 5), named
//! after the bug, and the crash-recovery claims that persistence makes.

mod support;

use common::{ClusterBuilder, ProcessId, StoreConfig};
use multipaxos::{Ballot, ClientError, Config, Msg, RequestId, Role, Server, Value};
use support::*;

/// Cut `id` off from the other servers, both ways; its clients still reach it.
fn cut_from_servers(cluster: &mut common::Cluster<Msg>, id: &str) {
    for other in THREE.iter().filter(|o| **o != id) {
        cluster.one_way(id, other);
        cluster.one_way(other, id);
    }
}

/// Restore `id`'s links to the other servers.
fn rejoin_servers(cluster: &mut common::Cluster<Msg>, id: &str) {
    for other in THREE.iter().filter(|o| **o != id) {
        cluster.heal(id, other);
    }
}

/// B1: a new leader used to start at slot 0 again. Here it writes after every slot it
/// learned, even when it never led before and was not cut off.
#[test]
fn step3_b1_new_leader_does_not_reuse_slot_numbers() {
    let mut cluster = three(1);
    elect(&mut cluster, ATHENS);
    execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    execute(&mut cluster, ALICE, ATHENS, 2, set("y", "2"));
    elect(&mut cluster, BYZANTIUM);
    assert_eq!(
        server(&cluster, BYZANTIUM).next_slot(),
        3,
        "the new leader starts after slot 2"
    );
    let reply = execute(&mut cluster, BOB, BYZANTIUM, 1, get("x"));
    assert_eq!(
        reply.slot, 3,
        "the first write of the new leader goes in slot 3"
    );
    assert_eq!(
        reply.outcome,
        read(Some("1")),
        "slot 1's write must survive the election"
    );
}

/// B1, the broken twin by hand: a leader that numbers from slot 1 again sends its first
/// command into slot 1, already chosen for alice's acknowledged write: the acceptors
/// overwrite their acceptance of alice's write with bob's, and the nodes are told a
/// second value for a committed slot.
#[test]
fn step3_b1_the_slot_reusing_twin_overwrites_a_committed_slot() {
    let builder = ClusterBuilder::new()
        .seed(2)
        .servers(THREE)
        .store(StoreConfig::default())
        .request_timeout(100)
        .budget(3_000);
    let mut cluster = multipaxos::build(builder, Config::reuse_slots());
    for client in [ALICE, BOB] {
        cluster.add_client(client);
    }
    cluster.act::<Server, _>(ATHENS, |s, ctx| s.start_election(ctx));
    cluster.tick_n(20);
    let first = multipaxos::execute(&mut cluster, ALICE, ATHENS, 1, set("x", "alice"));
    let acknowledged =
        multipaxos::reply(cluster.run(&first)).expect("alice's write is acknowledged");
    assert_eq!(acknowledged.slot, 1, "alice's write takes slot 1");
    cluster.tick_n(10);
    cluster.act::<Server, _>(BYZANTIUM, |s, ctx| s.start_election(ctx));
    cluster.tick_n(20);
    assert_eq!(
        server(&cluster, BYZANTIUM).next_slot(),
        1,
        "the broken leader restarts at slot 1"
    );
    let second = multipaxos::execute(&mut cluster, BOB, BYZANTIUM, 1, set("x", "bob"));
    cluster.run(&second).ok();
    let conflicts: u32 = THREE
        .iter()
        .map(|id| server(&cluster, id).conflicting_commits())
        .sum();
    assert!(
        conflicts > 0,
        "the broken leader's commit of slot 1 must collide with alice's acknowledged write"
    );
    let on_disk = durable(&cluster, ATHENS, 1);
    let overwritten = on_disk.accepted.as_ref().is_some_and(|p| {
        p.value
            .request()
            .is_some_and(|r| r.client == ProcessId::new(BOB))
    });
    assert!(
        overwritten,
        "athens's acceptance of alice's chosen write must have been overwritten by bob's: {on_disk:?}"
    );
}

/// A chosen value is final. Byzantium has committed alice's write in slot 1; a commit of
/// bob's write for the same slot (sent by hand, as the slot-reusing twin's would be) is
/// refused: byzantium keeps and executes alice's value and counts the conflict, so the
/// checks can report it. The cluster runs without the invariants, which would stop at the
/// conflict.
#[test]
fn step3_a_commit_of_a_different_value_for_a_committed_slot_is_refused_and_counted() {
    let builder = ClusterBuilder::new()
        .servers(THREE)
        .store(StoreConfig::default())
        .request_timeout(100)
        .budget(3_000);
    let mut cluster = multipaxos::build(builder, Config::default());
    cluster.add_client(ALICE);
    elect(&mut cluster, ATHENS);
    let first = multipaxos::execute(&mut cluster, ALICE, ATHENS, 1, set("x", "alice"));
    multipaxos::reply(cluster.run(&first)).expect("alice's write is acknowledged");
    cluster.tick_n(20);
    let chosen = server(&cluster, BYZANTIUM)
        .committed(1)
        .cloned()
        .expect("byzantium learned slot 1");
    let other = Value::Command {
        request: RequestId::new(BOB, 1),
        operation: set("x", "bob"),
    };
    let _ignored = cluster.call(
        ALICE,
        BYZANTIUM,
        Msg::Commit {
            slot: 1,
            value: other,
        },
    );
    cluster.tick_n(20);
    let byzantium = server(&cluster, BYZANTIUM);
    assert_eq!(
        byzantium.committed(1),
        Some(&chosen),
        "the value committed first stays committed"
    );
    assert_eq!(
        byzantium.state_machine().get("x"),
        Some("alice"),
        "the conflicting value must never be executed"
    );
    assert_eq!(
        byzantium.conflicting_commits(),
        1,
        "the learner must count the conflicting commit"
    );
}

/// B2: a promise used to leave out committed slots. Here cyrene, which missed slot 1's
/// commit, stands for election and hears slot 1 reported committed.
#[test]
fn step3_b2_prepare_reply_reports_committed_slots() {
    let mut lagging = three(4);
    elect(&mut lagging, ATHENS);
    lagging.net().drop_kind("Commit", ATHENS, CYRENE);
    execute(&mut lagging, ALICE, ATHENS, 1, set("x", "1"));
    lagging.tick_n(10);
    elect(&mut lagging, CYRENE);
    let committed_reported = lagging.trace().events().any(|e| {
        matches!(&e.body, Some(Msg::Promise { slots, .. })
            if slots.iter().any(|r| r.slot == 1 && r.committed.is_some()))
    });
    assert!(
        committed_reported,
        "a promise must report slot 1 as committed to a candidate that missed it"
    );
}

/// B3: generations were a bare per-node counter. Ballots are (round, node): two
/// candidates in one round never share a ballot, and a rejection names the promise.
#[test]
fn step3_b3_ballots_are_unique_and_a_rejection_names_the_promise() {
    assert!(
        Ballot::new(1, ATHENS) < Ballot::new(1, CYRENE),
        "equal rounds are ordered by node"
    );
    assert_ne!(
        Ballot::new(1, ATHENS),
        Ballot::new(1, CYRENE),
        "two nodes never share a ballot"
    );
    let mut cluster = three(5);
    elect(&mut cluster, CYRENE);
    cut_from_servers(&mut cluster, CYRENE);
    elect(&mut cluster, ATHENS);
    let winner = server(&cluster, ATHENS).promised().clone();
    rejoin_servers(&mut cluster, CYRENE);
    let call = multipaxos::execute(&mut cluster, ALICE, CYRENE, 1, set("x", "1"));
    cluster.run(&call).ok();
    let rejections: Vec<(Ballot, Ballot)> = cluster
        .trace()
        .events()
        .filter_map(|e| match &e.body {
            Some(Msg::Reject { ballot, promised }) => Some((ballot.clone(), promised.clone())),
            _ => None,
        })
        .collect();
    assert!(
        !rejections.is_empty(),
        "the deposed leader's Accept must be rejected"
    );
    for (refused, promised) in &rejections {
        assert_eq!(
            *promised, winner,
            "a rejection names the promise that beat {refused}"
        );
    }
    assert_eq!(
        server(&cluster, CYRENE).role(),
        &Role::Follower {
            leader: Some(ProcessId::new(ATHENS))
        },
        "the loser learns the winner from the rejection"
    );
}

/// B4: acceptance checked `>=` against a bare number. Here an old leader's `Accept`
/// after a higher promise is refused, it steps down, and its client is sent to the new
/// leader instead of being told its write succeeded.
#[test]
fn step3_b4_old_leader_is_fenced() {
    let mut cluster = three(6);
    elect(&mut cluster, ATHENS);
    execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    cut_from_servers(&mut cluster, ATHENS);
    elect(&mut cluster, BYZANTIUM);
    let stale = multipaxos::execute(&mut cluster, ALICE, ATHENS, 2, set("x", "stale"));
    cluster.tick_n(5);
    rejoin_servers(&mut cluster, ATHENS);
    let answer = multipaxos::reply(cluster.run(&stale));
    assert_eq!(
        answer,
        Err(ClientError::NotLeader {
            hint: Some(ProcessId::new(BYZANTIUM))
        }),
        "the deposed leader must send its client to the new leader"
    );
    assert!(
        matches!(server(&cluster, ATHENS).role(), Role::Follower { .. }),
        "athens stepped down"
    );
    let reply = execute(&mut cluster, BOB, BYZANTIUM, 1, get("x"));
    assert_eq!(
        reply.outcome,
        read(Some("1")),
        "the fenced write must not have taken effect"
    );
}

/// B5: a failed propose left a hole for ever. Here the leader keeps sending the slot
/// until a majority accepts it, and the slots after it execute.
#[test]
fn step3_b5_failed_propose_does_not_leave_a_hole() {
    let mut cluster = three(7);
    elect(&mut cluster, ATHENS);
    cut_from_servers(&mut cluster, ATHENS);
    let first = multipaxos::execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    cluster.tick_n(60);
    assert!(
        first.is_pending(),
        "no majority: the write cannot be answered yet"
    );
    rejoin_servers(&mut cluster, ATHENS);
    let reply = answered(&mut cluster, &first, ALICE);
    assert_eq!(reply.slot, 1, "the retried slot 1 is finally chosen");
    let next = execute(&mut cluster, BOB, ATHENS, 1, set("y", "2"));
    assert_eq!(next.slot, 2, "and the slot after it executes");
    assert!(
        server(&cluster, ATHENS).stats().accept_retries > 0,
        "slot 1 was sent again"
    );
}

/// B6: a read that could not reach a majority was answered with the local value. Here
/// it gets no answer at all (the client times out: an unknown outcome), never a value.
#[test]
fn step3_b6_failed_read_is_not_reported_as_a_read() {
    let mut cluster = three(8);
    elect(&mut cluster, ATHENS);
    execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    cut_from_servers(&mut cluster, ATHENS);
    let call = multipaxos::execute(&mut cluster, BOB, ATHENS, 1, get("x"));
    let answer = multipaxos::reply(cluster.run(&call));
    assert!(
        matches!(answer, Err(ClientError::NoAnswer(_))),
        "a read without a majority must not be answered with a value: {answer:?}"
    );
}

/// B7: a follower answered a read with `null`, like a missing key. Here it answers
/// `NotLeader` with the leader's name.
#[test]
fn step3_b7_non_leader_read_answers_not_leader() {
    let mut cluster = three(9);
    elect(&mut cluster, ATHENS);
    execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    let call = multipaxos::execute(&mut cluster, BOB, CYRENE, 1, get("x"));
    assert_eq!(
        multipaxos::reply(cluster.run(&call)),
        Err(ClientError::NotLeader {
            hint: Some(ProcessId::new(ATHENS))
        }),
        "a follower's read must be told apart from a missing key"
    );
}

/// A restarted acceptor comes back with its promise and its slots from disk.
#[test]
fn step3_acceptor_restart_keeps_promise_and_accepted_values() {
    let mut cluster = three(10);
    elect(&mut cluster, ATHENS);
    execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    until_executed(&mut cluster, &THREE, 1);
    let promised = server(&cluster, BYZANTIUM).promised().clone();
    cluster.crash(BYZANTIUM);
    cluster.restart(BYZANTIUM);
    cluster.tick_n(3);
    let node = server(&cluster, BYZANTIUM);
    assert_eq!(node.incarnation(), 1, "byzantium restarted once");
    assert_eq!(
        *node.promised(),
        promised,
        "the promise must survive the restart"
    );
    assert_eq!(
        node.executed_through(),
        1,
        "the committed slot is executed again from disk"
    );
    assert_eq!(
        node.state_machine().get("x"),
        Some("1"),
        "the store is rebuilt from the log"
    );
    assert!(
        durable(&cluster, BYZANTIUM, 1).accepted.is_some(),
        "the acceptance is on disk"
    );
}

/// The leader crashes after an acknowledged write; a new leader still serves it.
#[test]
fn step3_committed_value_survives_leader_crash() {
    let mut cluster = three(11);
    elect(&mut cluster, ATHENS);
    execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    cluster.crash(ATHENS);
    elect(&mut cluster, CYRENE);
    let reply = execute(&mut cluster, BOB, CYRENE, 1, get("x"));
    assert_eq!(
        reply.outcome,
        read(Some("1")),
        "the acknowledged write survives the leader's crash"
    );
    cluster.restart(ATHENS);
    until_executed(&mut cluster, &[ATHENS], 1);
    assert_eq!(
        server(&cluster, ATHENS).state_machine().get("x"),
        Some("1"),
        "athens recovers slot 1 from its disk"
    );
}

/// Cyrene misses slot 1's commit; the commit of slot 2 arrives past the gap, cyrene
/// asks the leader for what it missed, and executes slots 1 and 2 in order.
#[test]
fn step3_lagging_follower_catches_up() {
    let mut cluster = three(12);
    elect(&mut cluster, ATHENS);
    let rule = cluster.net().drop_kind("Commit", ATHENS, CYRENE);
    execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    cluster.tick_n(10);
    assert_eq!(
        server(&cluster, CYRENE).executed_through(),
        0,
        "cyrene missed slot 1's commit"
    );
    cluster.net().release(rule);
    execute(&mut cluster, ALICE, ATHENS, 2, set("y", "2"));
    until_executed(&mut cluster, &[CYRENE], 2);
    let sm = server(&cluster, CYRENE).state_machine();
    assert_eq!(
        (sm.get("x"), sm.get("y")),
        (Some("1"), Some("2")),
        "cyrene caught up on both slots"
    );
    assert!(
        cluster
            .trace()
            .events()
            .any(|e| matches!(&e.body, Some(Msg::CatchUp { from: 1 }))),
        "cyrene must have asked for the slots from 1 on"
    );
    assert_eq!(
        server(&cluster, CYRENE).stats().messages_to_servers,
        4,
        "cyrene sent athens a promise, two acceptances and one catch-up request"
    );
}

/// A slot record that no longer decodes (a damaged disk, a record written by another
/// version) does not make a node start from a blank log, which would forget its promise
/// and acceptances: the node says why and stays silent, the record is left as it was for
/// an operator to inspect, and the other two elect a leader and go on.
#[test]
fn step3_a_node_whose_stored_slot_record_does_not_decode_stays_silent_and_keeps_it() {
    use common::{RpcError, WriteBatch};
    // Without the section's invariants, which read every durable record and would stop
    // the run at the damaged one.
    let builder = ClusterBuilder::new()
        .seed(0)
        .servers(THREE)
        .request_timeout(CLIENT_TIMEOUT)
        .budget(3_000);
    let mut cluster = multipaxos::build(builder, Config::default());
    cluster.add_client(ALICE);
    cluster.crash(BYZANTIUM);
    let garbage = b"not a slot record".to_vec();
    cluster
        .store_mut(BYZANTIUM)
        .write_to_disk(WriteBatch::new().put(multipaxos::slot_key(1), garbage.clone()))
        .expect("a put always fits");
    cluster.restart(BYZANTIUM);

    let error = server(&cluster, BYZANTIUM).recovery_error();
    assert!(
        error.is_some_and(|e| e.to_string().contains("decode")),
        "byzantium must say its slot record does not decode, got {error:?}"
    );
    let prepare = cluster.call(
        ALICE,
        BYZANTIUM,
        Msg::Prepare {
            ballot: Ballot::new(1, ATHENS),
            from: 1,
        },
    );
    assert!(
        matches!(cluster.run(&prepare), Err(RpcError::Timeout { .. })),
        "a node that cannot recover must not promise anything"
    );
    assert_eq!(
        cluster.store(BYZANTIUM).get(multipaxos::slot_key(1)),
        Some(garbage.as_slice()),
        "the damaged record is left as it was"
    );
    elect(&mut cluster, ATHENS);
    let reply = execute(&mut cluster, ALICE, ATHENS, 1, set("title", "Patterns"));
    assert_eq!(
        reply.outcome,
        stored("Patterns"),
        "athens and cyrene still commit alice's request"
    );
}

/// A follower whose commit write fails writes the record again after a pause and then
/// executes the slot: a commit that is not on disk would otherwise block its log for
/// ever. Cyrene's next storage write after accepting slot 1 — the commit's — fails.
#[test]
fn a_follower_whose_commit_write_fails_writes_it_again_and_executes() {
    let mut cluster = three(12);
    elect(&mut cluster, ATHENS);
    let call = multipaxos::execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    cluster
        .tick_until_within(20, |c| durable(c, CYRENE, 1).accepted.is_some())
        .expect("cyrene's acceptance of slot 1 is on its disk");
    assert!(
        server(&cluster, CYRENE).committed(1).is_none(),
        "the commit has not reached cyrene yet"
    );
    cluster.store_mut(CYRENE).fail_next(1);
    answered(&mut cluster, &call, ALICE);
    until_executed(&mut cluster, &[CYRENE], 1);
    assert!(
        cluster
            .trace()
            .events()
            .any(|e| e.node == CYRENE && matches!(e.kind, common::trace::TraceKind::StoreFailed)),
        "cyrene's first write of the commit failed"
    );
}

/// A restarted node's promise is never below a ballot it accepted, even when the writes
/// that carried its promise failed. Cyrene's first two storage writes fail — the promise
/// it gives athens, then its acceptance of alice's write (which carries the promise too)
/// — and the commit's write succeeds, putting the acceptance on disk with no promise
/// beside it. Restarted, cyrene raises its promise to the accepted ballot.
#[test]
fn a_restarted_node_promises_at_least_every_ballot_it_accepted_on_disk() {
    let mut cluster = three(13);
    cluster.store_mut(CYRENE).fail_next(2);
    elect(&mut cluster, ATHENS);
    let ballot = server(&cluster, ATHENS).promised().clone();
    execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    until_executed(&mut cluster, &[CYRENE], 1);
    let on_disk = durable(&cluster, CYRENE, 1);
    assert_eq!(
        on_disk.accepted.map(|p| p.ballot),
        Some(ballot.clone()),
        "cyrene's disk holds its acceptance of slot 1 under {ballot}"
    );
    let stored_promise = multipaxos::storage::load_promise(cluster.store(CYRENE).durable())
        .expect("the durable promise decodes");
    assert!(
        stored_promise < ballot,
        "both writes of cyrene's promise failed: its disk holds {stored_promise}"
    );
    cluster.crash(CYRENE);
    cluster.restart(CYRENE);
    assert_eq!(
        *server(&cluster, CYRENE).promised(),
        ballot,
        "restarted, cyrene promises the ballot of the acceptance on its disk"
    );
}
