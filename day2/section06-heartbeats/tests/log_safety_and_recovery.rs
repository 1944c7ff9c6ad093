//! The Java section's `LogConsistencyAndSafetyTest` (7 tests) and
//! `RecoveryAndCatchUpScenariosTest` (7 tests), ported. The leader is discovered, not
//! assumed; followers are checked with "eventually" helpers; and every test whose Java
//! name promised a partition, a restart, failures or a leader change injects it.

mod support;

use common::{ClusterBuilder, StoreConfig};
use heartbeats::{
    Ballot, Config, Msg, Proposal, Recovery, RequestId, Server, SlotReport, Value, merge_reports,
    recovery_for,
};
use support::*;

/// Send `operation` from `client` to `leader` without waiting.
fn send(
    cluster: &mut common::Cluster<Msg>,
    client: &str,
    leader: &str,
    seq: u64,
    operation: heartbeats::Operation,
) -> common::Promise<Msg> {
    heartbeats::execute(cluster, client, leader, seq, operation)
}

// ----- LogConsistencyAndSafetyTest -----

/// Three pipelined writes: slots 1 to 3 hold the same committed values on every node.
#[test]
fn step1_committed_slots_match_across_nodes() {
    let mut cluster = three(21);
    let leader = until_leader(&mut cluster, &THREE);
    let calls: Vec<_> = [(ALICE, "key1"), (BOB, "key2"), (CAROL, "key3")]
        .into_iter()
        .map(|(client, key)| send(&mut cluster, client, &leader, 1, set(key, "v")))
        .collect();
    for (call, who) in calls.iter().zip([ALICE, BOB, CAROL]) {
        answered(&mut cluster, call, who);
    }
    until_executed(&mut cluster, &THREE, 3);
    let reference = committed_log(&cluster, &leader, 3);
    for id in THREE {
        assert_eq!(
            committed_log(&cluster, id, 3),
            reference,
            "{id} must hold the leader's committed slots 1 to 3"
        );
    }
}

/// A chosen value is final. Every node has committed alice's write in slot 1; a commit
/// of bob's write for the same slot (sent by hand, as a broken leader's would be) is
/// refused by a follower: it keeps and executes alice's value and counts the conflict, so
/// the checks can report it. The cluster runs without the invariants, which would stop
/// at the conflict.
#[test]
fn step1_a_commit_of_a_different_value_for_a_committed_slot_is_refused_and_counted() {
    let builder = ClusterBuilder::new()
        .seed(21)
        .servers(THREE)
        .store(StoreConfig::default())
        .request_timeout(CLIENT_TIMEOUT)
        .budget(3_000);
    let mut cluster = heartbeats::build(builder, Config::default());
    cluster.add_client(ALICE);
    let leader = until_leader(&mut cluster, &THREE);
    let first = send(&mut cluster, ALICE, &leader, 1, set("x", "alice"));
    answered(&mut cluster, &first, ALICE);
    until_executed(&mut cluster, &THREE, 1);
    let follower = others(&THREE, &leader)[0];
    let chosen = server(&cluster, follower)
        .committed(1)
        .cloned()
        .expect("the follower learned slot 1");
    let other = Value::Command {
        request: RequestId::new(BOB, 1),
        operation: set("x", "bob"),
    };
    let _ignored = cluster.call(
        ALICE,
        follower,
        Msg::Commit {
            slot: 1,
            value: other,
        },
    );
    cluster.tick_n(20);
    let node = server(&cluster, follower);
    assert_eq!(
        node.committed(1),
        Some(&chosen),
        "the value committed first stays committed on {follower}"
    );
    assert_eq!(
        node.state_machine().get("x"),
        Some("alice"),
        "the conflicting value must never be executed"
    );
    assert_eq!(
        node.conflicting_commits(),
        1,
        "the learner must count the conflicting commit"
    );
}

/// Two writes, then the leader crashes during an idle period: the values stay on every
/// node, and the new leader's generation is above the first.
#[test]
fn step2_committed_values_survive_an_idle_period_and_a_leader_crash() {
    let mut cluster = three(22);
    let leader = until_leader(&mut cluster, &THREE);
    let generation = ballot_of(&cluster, &leader);
    execute(&mut cluster, ALICE, &leader, 1, set("a", "1"));
    execute(&mut cluster, BOB, &leader, 1, set("b", "2"));
    until_all_hold(&mut cluster, &THREE, "b", "2");
    cluster.tick_n(100);
    cluster.crash(&leader);
    let rest = others(&THREE, &leader);
    let next = until_leader(&mut cluster, &rest);
    cluster.restart(&leader);
    cluster.tick_n(100);
    until_all_hold(&mut cluster, &THREE, "a", "1");
    until_all_hold(&mut cluster, &THREE, "b", "2");
    assert!(
        ballot_of(&cluster, &next) > generation,
        "the new leader's generation must be above {generation}"
    );
}

/// Two pipelined compare-and-swaps on one key: both complete, in slot order, so the key
/// ends as `second_value` on every node (the Java test did not check the final value).
#[test]
fn step1_concurrent_cas_on_same_key_converges() {
    let mut cluster = three(23);
    let leader = until_leader(&mut cluster, &THREE);
    let first = send(
        &mut cluster,
        ALICE,
        &leader,
        1,
        cas("conflict_key", None, "first_value"),
    );
    let second = send(
        &mut cluster,
        BOB,
        &leader,
        1,
        cas("conflict_key", Some("first_value"), "second_value"),
    );
    let first = answered(&mut cluster, &first, ALICE);
    let second = answered(&mut cluster, &second, BOB);
    assert_eq!(
        first.outcome,
        swapped(true, None),
        "the first swap finds the key absent"
    );
    assert_eq!(
        second.outcome,
        swapped(true, Some("first_value")),
        "the second swap, in the next slot, finds the first one's value"
    );
    until_all_hold(&mut cluster, &THREE, "conflict_key", "second_value");
}

/// Five nodes: one leader, every follower promised its generation, still one leader 100
/// ticks later.
#[test]
fn step1_five_nodes_one_leader_and_shared_generation() {
    let mut cluster = five(24);
    let leader = until_leader(&mut cluster, &FIVE);
    let round = ballot_of(&cluster, &leader).round;
    let expected = round;
    cluster
        .tick_until_within(100, |c| {
            FIVE.iter()
                .all(|id| c.node::<Server>(id).promised().round == expected)
        })
        .unwrap_or_else(|e| panic!("every follower must promise generation {round}: {e}"));
    tick_with_at_most_one_leader(&mut cluster, &FIVE, 100);
    assert_eq!(
        settled_leader(&cluster, &FIVE),
        Some(leader),
        "the leader must not change"
    );
}

/// Two writes land in two distinct slots, and every node's log reaches the leader's.
#[test]
fn step1_leader_appends_distinct_slots() {
    let mut cluster = three(25);
    let leader = until_leader(&mut cluster, &THREE);
    let one = execute(&mut cluster, ALICE, &leader, 1, set("x", "1"));
    let two = execute(&mut cluster, ALICE, &leader, 2, set("x", "2"));
    assert_ne!(one.slot, two.slot, "two writes must take two slots");
    until_executed(&mut cluster, &THREE, two.slot);
    for id in THREE {
        assert_eq!(
            server(&cluster, id).last_slot(),
            server(&cluster, &leader).last_slot(),
            "{id}'s log must be as long as the leader's"
        );
    }
}

/// A client's request waits at the leader until its slot executes; the leader gives
/// the next request the next slot, and every node's executed log holds the two writes
/// in slot order.
#[test]
fn step1_a_client_waits_at_the_leader_and_the_next_request_takes_the_next_slot() {
    let mut cluster = three(25);
    let leader = until_leader(&mut cluster, &THREE);
    let first_slot = server(&cluster, &leader).next_slot();
    let call = heartbeats::execute(&mut cluster, ALICE, &leader, 1, set("x", "1"));
    let who = leader.clone();
    cluster
        .tick_until_within(5, |c| server(c, &who).waiting_clients() == 1)
        .expect("alice's request waits at the leader while its slot is replicated");
    assert_eq!(
        server(&cluster, &leader).next_slot(),
        first_slot + 1,
        "the leader gave alice's request the slot it announced"
    );
    let one = answered(&mut cluster, &call, ALICE);
    assert_eq!(one.slot, first_slot, "alice's write is in that slot");
    assert_eq!(
        server(&cluster, &leader).waiting_clients(),
        0,
        "once answered, alice no longer waits at the leader"
    );
    let two = execute(&mut cluster, ALICE, &leader, 2, set("x", "2"));
    assert_eq!(
        two.slot,
        first_slot + 1,
        "the next write takes the next slot"
    );
    until_executed(&mut cluster, &THREE, two.slot);
    for id in THREE {
        let writes: Vec<Value> = server(&cluster, id)
            .executed_log()
            .into_iter()
            .filter(|v| matches!(v, Value::Command { .. }))
            .collect();
        assert_eq!(
            writes,
            vec![
                Value::Command {
                    request: RequestId::new(ALICE, 1),
                    operation: set("x", "1"),
                },
                Value::Command {
                    request: RequestId::new(ALICE, 2),
                    operation: set("x", "2"),
                },
            ],
            "{id} executed alice's two writes, in order"
        );
        assert_eq!(
            server(&cluster, id).last_slot(),
            two.slot,
            "{id} has heard of no slot after alice's second write"
        );
    }
}

/// Five writes sent back to back all succeed and apply on every node, in the same slots.
#[test]
fn step1_five_pipelined_writes_apply_everywhere() {
    let mut cluster = three(26);
    let leader = until_leader(&mut cluster, &THREE);
    let clients = [ALICE, BOB, CAROL];
    let calls: Vec<_> = (0..5)
        .map(|i| {
            let client = clients[i % 3];
            let seq = (i / 3) as u64 + 1;
            let key = format!("k{i}");
            (
                client,
                send(&mut cluster, client, &leader, seq, set(&key, "v")),
            )
        })
        .collect();
    for (client, call) in &calls {
        answered(&mut cluster, call, client);
    }
    until_executed(&mut cluster, &THREE, 5);
    let reference = committed_log(&cluster, &leader, 5);
    for id in THREE {
        assert_eq!(
            committed_log(&cluster, id, 5),
            reference,
            "{id} must hold the same five slots"
        );
        for i in 0..5 {
            assert_eq!(
                server(&cluster, id).state_machine().get(&format!("k{i}")),
                Some("v"),
                "{id} must have applied write k{i}"
            );
        }
    }
}

/// A read goes through the log: it takes a slot after the write and returns its value.
#[test]
fn step1_read_goes_through_the_log_and_returns_the_value() {
    let mut cluster = three(27);
    let leader = until_leader(&mut cluster, &THREE);
    let write = execute(
        &mut cluster,
        ALICE,
        &leader,
        1,
        set("read_test", "read_value"),
    );
    let reading = execute(&mut cluster, ALICE, &leader, 2, get("read_test"));
    assert_eq!(
        reading.outcome,
        read(Some("read_value")),
        "a read after an acknowledged write must see it"
    );
    assert!(reading.slot > write.slot, "the read must take a later slot");
}

// ----- RecoveryAndCatchUpScenariosTest -----

/// One write, then two pipelined writes: every value on every node, equal logs.
#[test]
fn step1_state_consistent_across_sequential_and_pipelined_writes() {
    let mut cluster = three(31);
    let leader = until_leader(&mut cluster, &THREE);
    execute(&mut cluster, ALICE, &leader, 1, set("s", "1"));
    let a = send(&mut cluster, BOB, &leader, 1, set("p1", "2"));
    let b = send(&mut cluster, CAROL, &leader, 1, set("p2", "3"));
    answered(&mut cluster, &a, BOB);
    answered(&mut cluster, &b, CAROL);
    until_executed(&mut cluster, &THREE, 3);
    for (key, value) in [("s", "1"), ("p1", "2"), ("p2", "3")] {
        until_all_hold(&mut cluster, &THREE, key, value);
    }
}

/// The leader's commit of slot 2 (and any catch-up reply) never reaches the followers;
/// they hold slot 2 accepted but not committed. Then the leader is isolated — and no one
/// calls `start_election`: the followers' timeouts elect a new leader, which finishes the
/// orphaned slot with the same value; the old leader, reconnected, steps down.
#[test]
fn step2_new_leader_completes_orphaned_accepted_slot() {
    let mut cluster = three(32);
    let old = until_leader(&mut cluster, &THREE);
    execute(&mut cluster, ALICE, &old, 1, set("first", "0"));
    until_all_hold(&mut cluster, &THREE, "first", "0");
    let followers = others(&THREE, &old);
    let mut rules = Vec::new();
    for f in &followers {
        rules.push(cluster.net().drop_kind("Commit", old.as_str(), *f));
        rules.push(cluster.net().drop_kind("CatchUpReply", old.as_str(), *f));
    }
    let orphan = execute(&mut cluster, ALICE, &old, 2, set("orphan", "1"));
    cluster.tick_n(3);
    let accepted_only = followers.iter().any(|f| {
        let s = server(&cluster, f);
        s.slot(orphan.slot).is_some_and(|r| r.accepted.is_some())
            && s.committed(orphan.slot).is_none()
    });
    assert!(
        accepted_only,
        "a follower must hold slot {} accepted but not committed",
        orphan.slot
    );
    cluster.isolate(&old);
    let new = until_leader(&mut cluster, &followers);
    assert_ne!(new, old, "the isolated leader cannot be re-elected");
    until_all_hold(&mut cluster, &followers, "orphan", "1");
    for rule in rules {
        cluster.net().release(rule);
    }
    cluster.reconnect(&old);
    let settled = until_leader(&mut cluster, &THREE);
    assert_eq!(settled, new, "the old leader must step down, not come back");
    until_all_hold(&mut cluster, &THREE, "orphan", "1");
}

/// Four servers (majority three): one is cut off while a write commits on the other
/// three; the partition heals and the rejoined server catches up from the heartbeats'
/// commit point, without any further write.
#[test]
fn step2_four_node_cluster_catches_up_after_a_partition_heals() {
    let four = [ATHENS, BYZANTIUM, CYRENE, DELPHI];
    let mut cluster = cluster_with(33, &four, heartbeats::Config::default());
    let leader = until_leader(&mut cluster, &four);
    execute(
        &mut cluster,
        ALICE,
        &leader,
        1,
        set("before_partition", "1"),
    );
    until_all_hold(&mut cluster, &four, "before_partition", "1");
    let cut = others(&four, &leader)[0];
    cluster.isolate(cut);
    execute(
        &mut cluster,
        ALICE,
        &leader,
        2,
        set("during_partition", "2"),
    );
    cluster.tick_n(100);
    assert_eq!(
        server(&cluster, cut)
            .state_machine()
            .get("during_partition"),
        None,
        "{cut} is cut off and cannot have the write yet"
    );
    cluster.reconnect(cut);
    until_all_hold(&mut cluster, &four, "during_partition", "2");
    assert_eq!(
        settled_leader(&cluster, &four),
        Some(leader),
        "the majority's leader must keep leading after the heal"
    );
}

/// A write, then every node crashes and restarts one after the other: the value
/// survives on every node, and one leader is settled.
#[test]
fn step2_values_persist_over_node_restarts() {
    let mut cluster = three(34);
    let leader = until_leader(&mut cluster, &THREE);
    execute(&mut cluster, ALICE, &leader, 1, set("durable", "yes"));
    until_all_hold(&mut cluster, &THREE, "durable", "yes");
    for id in THREE {
        cluster.crash(id);
        cluster.tick_n(20);
        cluster.restart(id);
        until_leader(&mut cluster, &THREE);
    }
    until_all_hold(&mut cluster, &THREE, "durable", "yes");
    assert_eq!(leaders(&cluster, &THREE).len(), 1, "exactly one leader");
}

/// Three pipelined writes while 20% of messages are lost on every link: every write
/// completes (clients retry through redirects), and the logs agree slot for slot.
#[test]
fn step2_pipelined_writes_keep_logs_in_sync_despite_message_loss() {
    let mut cluster = three(35);
    let leader = until_leader(&mut cluster, &THREE);
    cluster.net().set_loss(0.2);
    let calls: Vec<_> = [ALICE, BOB, CAROL]
        .into_iter()
        .map(|client| {
            let key = format!("lossy-{client}");
            (
                client,
                heartbeats::execute_following(
                    &mut cluster,
                    client,
                    &leader,
                    1,
                    set(&key, "v"),
                    400,
                ),
            )
        })
        .collect();
    for (client, call) in &calls {
        answered(&mut cluster, call, client);
    }
    cluster.net().set_loss(0.0);
    let through = THREE
        .iter()
        .map(|id| server(&cluster, id).executed_through())
        .max()
        .unwrap_or(0);
    assert!(through >= 3, "three writes must have executed somewhere");
    until_executed(&mut cluster, &THREE, through);
    let reference = committed_log(&cluster, &leader_or_any(&cluster), through);
    for id in THREE {
        assert_eq!(
            committed_log(&cluster, id, through),
            reference,
            "{id}'s log must agree slot for slot"
        );
    }
    for client in [ALICE, BOB, CAROL] {
        until_all_hold(&mut cluster, &THREE, &format!("lossy-{client}"), "v");
    }
}

fn leader_or_any(cluster: &common::Cluster<Msg>) -> String {
    leaders(cluster, &THREE)
        .into_iter()
        .next()
        .unwrap_or_else(|| ATHENS.to_string())
}

/// A pipeline of set, set, compare-and-swap: values everywhere, unchanged 200 ticks
/// later, and every node's executed prefix the same.
#[test]
fn step1_set_set_cas_pipeline_and_executed_prefixes_agree() {
    let mut cluster = three(36);
    let leader = until_leader(&mut cluster, &THREE);
    let a = send(&mut cluster, ALICE, &leader, 1, set("k1", "v1"));
    let b = send(&mut cluster, BOB, &leader, 1, set("k2", "v2"));
    let c = send(
        &mut cluster,
        CAROL,
        &leader,
        1,
        cas("k1", Some("v1"), "v1_updated"),
    );
    answered(&mut cluster, &a, ALICE);
    answered(&mut cluster, &b, BOB);
    let swap = answered(&mut cluster, &c, CAROL);
    assert_eq!(
        swap.outcome,
        swapped(true, Some("v1")),
        "the swap runs after the first set"
    );
    until_all_hold(&mut cluster, &THREE, "k1", "v1_updated");
    cluster.tick_n(200);
    let prefix = server(&cluster, &leader).executed_through();
    for id in THREE {
        assert_eq!(
            server(&cluster, id).executed_through(),
            prefix,
            "{id}'s executed prefix must equal the leader's"
        );
        assert_eq!(
            server(&cluster, id).state_machine().get("k1"),
            Some("v1_updated"),
            "{id} must keep the swapped value"
        );
    }
}

/// Three cycles of: write through whoever leads, then crash that leader and restart it
/// once a new one is elected. Every value is on every node at the end, one leader.
#[test]
fn step2_three_cycles_of_write_then_leader_crash() {
    let mut cluster = three(37);
    for cycle in 1..=3u64 {
        let leader = until_leader(&mut cluster, &THREE);
        let key = format!("cycle_{cycle}");
        execute(&mut cluster, ALICE, &leader, cycle, set(&key, "done"));
        until_all_hold(&mut cluster, &THREE, &key, "done");
        cluster.crash(&leader);
        until_leader(&mut cluster, &others(&THREE, &leader));
        cluster.restart(&leader);
    }
    until_leader(&mut cluster, &THREE);
    for cycle in 1..=3 {
        until_all_hold(&mut cluster, &THREE, &format!("cycle_{cycle}"), "done");
    }
    assert_eq!(leaders(&cluster, &THREE).len(), 1, "exactly one leader");
}

/// A slot record that no longer decodes (a damaged disk, a record written by another
/// version) does not make a node start from a blank log, which would forget its promise
/// and acceptances: the node says why and stays silent (no election, no answer), the
/// record is left as it was for an operator to inspect, and the other two elect a leader
/// and go on.
#[test]
fn step2_a_node_whose_stored_slot_record_does_not_decode_stays_silent_and_keeps_it() {
    use common::{RpcError, WriteBatch};
    // Without the section's invariants, which read every durable record and would stop
    // the run at the damaged one.
    let builder = ClusterBuilder::new()
        .seed(0)
        .servers(THREE)
        .request_timeout(CLIENT_TIMEOUT)
        .budget(3_000);
    let mut cluster = heartbeats::build(builder, Config::default());
    cluster.add_client(ALICE);
    cluster.crash(BYZANTIUM);
    let garbage = b"not a slot record".to_vec();
    cluster
        .store_mut(BYZANTIUM)
        .write_to_disk(WriteBatch::new().put(heartbeats::slot_key(1), garbage.clone()))
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
            ballot: heartbeats::Ballot::new(1, ATHENS),
            from: 1,
        },
    );
    assert!(
        matches!(cluster.run(&prepare), Err(RpcError::Timeout { .. })),
        "a node that cannot recover must not promise anything"
    );
    let leader = until_leader(&mut cluster, &[ATHENS, CYRENE]);
    assert!(
        !server(&cluster, BYZANTIUM).is_leader(),
        "the silent node never stands for election"
    );
    assert_eq!(
        cluster.store(BYZANTIUM).get(heartbeats::slot_key(1)),
        Some(garbage.as_slice()),
        "the damaged record is left as it was"
    );
    let reply = execute(&mut cluster, ALICE, &leader, 1, set("title", "Patterns"));
    assert_eq!(
        reply.outcome,
        stored("Patterns"),
        "athens and cyrene still commit alice's request"
    );
}

/// A client that retries a request already executed is answered from its session, the
/// same outcome in the same slot, and a request older than the client's latest
/// executed one is told it was superseded: neither takes a new slot.
#[test]
fn step1_a_retried_or_overtaken_request_is_answered_from_the_session_without_a_slot() {
    let mut cluster = three(25);
    let leader = until_leader(&mut cluster, &THREE);
    let first = execute(&mut cluster, ALICE, &leader, 1, set("k", "1"));
    let second = execute(&mut cluster, ALICE, &leader, 2, set("k", "2"));
    let slots = server(&cluster, &leader).last_slot();
    let again = execute(&mut cluster, ALICE, &leader, 2, set("k", "2"));
    assert_eq!(
        (again.slot, &again.outcome),
        (second.slot, &second.outcome),
        "the retry is told what the request did, where it did it"
    );
    let late = heartbeats::execute(&mut cluster, ALICE, &leader, 1, set("k", "1"));
    match cluster.run(&late) {
        Ok(Msg::Superseded { latest, .. }) => {
            assert_eq!(
                latest, 2,
                "the answer names alice's latest executed request"
            )
        }
        other => {
            panic!("a request older than the latest executed must be superseded, got {other:?}")
        }
    }
    assert!(first.slot < second.slot, "the two writes took two slots");
    assert_eq!(
        server(&cluster, &leader).last_slot(),
        slots,
        "neither the retry nor the overtaken request took a slot"
    );
}

// ----- Recovery: new leaders, failed writes, restarts -----

fn command(client: &str, seq: u64, operation: heartbeats::Operation) -> Value {
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
/// leader must re-propose the one with the higher ballot, whatever the order of the
/// promises.
#[test]
fn an_uncommitted_slot_is_recovered_with_the_value_of_the_highest_ballot() {
    let old = command(ALICE, 1, set("x", "old"));
    let newer = command(BOB, 1, set("x", "newer"));
    let reports = [
        accepted(1, 1, ATHENS, &old),
        accepted(1, 2, BYZANTIUM, &newer),
    ];
    assert_eq!(
        recovery_for(&merge_reports(&reports), 1),
        Recovery::Propose(newer.clone()),
        "the value accepted with the higher ballot must be re-proposed"
    );
    let reversed = [
        accepted(1, 2, BYZANTIUM, &newer),
        accepted(1, 1, ATHENS, &old),
    ];
    assert_eq!(
        recovery_for(&merge_reports(&reversed), 1),
        Recovery::Propose(newer),
        "the order of the promises must not matter"
    );
}

/// A slot a promise reports committed is committed by the new leader as it is: it sends
/// the commit to the others without an accept round of its own. A follower, cut off
/// while the leader committed slots 1 and 2, rejoins as the leader is cut off, and is
/// elected by hand with the other follower's promise before any heartbeat told it of
/// the commits. Until it leads, it sends each peer a prepare, a heartbeat and the
/// commits of slots 1 and 2.
#[test]
fn a_slot_a_promise_reports_committed_is_committed_without_an_accept_round() {
    let mut cluster = three(34);
    let old = until_leader(&mut cluster, &THREE);
    let rest = others(&THREE, &old);
    let (candidate, voter) = (rest[0], rest[1]);
    cluster.isolate(candidate);
    execute(&mut cluster, ALICE, &old, 1, set("x", "1"));
    execute(&mut cluster, ALICE, &old, 2, set("y", "2"));
    until_executed(&mut cluster, &[old.as_str(), voter], 2);
    cluster.reconnect(candidate);
    cluster.isolate(&old);
    let before = server(&cluster, candidate).stats();
    cluster.act::<Server, _>(candidate, |s, ctx| s.start_election(ctx));
    let who = candidate.to_string();
    cluster
        .tick_until_within(50, |c| c.node::<Server>(&who).is_leader())
        .unwrap_or_else(|e| panic!("{candidate} must be elected with {voter}'s promise: {e}"));
    let after = server(&cluster, candidate).stats();
    assert_eq!(
        (
            after.proposals - before.proposals,
            after.heartbeats - before.heartbeats
        ),
        (0, 1),
        "{candidate} proposes nothing (both slots were reported committed) and starts its heartbeats"
    );
    assert_eq!(
        after.messages_to_servers - before.messages_to_servers,
        8,
        "{candidate} sends each of two peers a prepare, a heartbeat and the commits of slots 1 and 2"
    );
    until_executed(&mut cluster, &[candidate], 2);
    assert_eq!(
        server(&cluster, candidate).committed(2),
        server(&cluster, voter).committed(2),
        "{candidate} holds the committed value of slot 2"
    );
}

/// A candidate asks only for the slots after the prefix it has executed: those before
/// are committed everywhere a majority knows, so the promises leave them out. After two
/// writes executed everywhere, a follower is elected by hand.
#[test]
fn a_candidate_asks_only_for_the_slots_after_its_executed_prefix() {
    let mut cluster = three(35);
    let old = until_leader(&mut cluster, &THREE);
    execute(&mut cluster, ALICE, &old, 1, set("x", "1"));
    execute(&mut cluster, ALICE, &old, 2, set("y", "2"));
    until_executed(&mut cluster, &THREE, 2);
    let candidate = others(&THREE, &old)[0];
    elect(&mut cluster, candidate, &THREE);
    let ballot = ballot_of(&cluster, candidate);
    let mut promises = 0;
    for event in cluster.trace().events() {
        match &event.body {
            Some(Msg::Prepare { ballot: b, from }) if *b == ballot => {
                assert_eq!(
                    *from, 3,
                    "{candidate} executed slots 1 and 2: it asks from slot 3"
                )
            }
            Some(Msg::Promise { ballot: b, slots })
                if *b == ballot && matches!(event.kind, common::trace::TraceKind::Send { .. }) =>
            {
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
    assert_eq!(promises, 3, "every node promised {candidate}'s ballot");
}

/// A follower whose commit write fails writes the record again after a pause and then
/// executes the slot: a commit that is not on disk would otherwise block its log for
/// ever (the heartbeats' commit point does not help: the slot is committed in its
/// memory). The follower's next storage write after accepting slot 1 — the commit's —
/// fails.
#[test]
fn a_follower_whose_commit_write_fails_writes_it_again_and_executes() {
    let mut cluster = three(36);
    let leader = until_leader(&mut cluster, &THREE);
    let follower = others(&THREE, &leader)[0];
    let call = heartbeats::execute(&mut cluster, ALICE, &leader, 1, set("x", "1"));
    cluster
        .tick_until_within(20, |c| durable(c, follower, 1).accepted.is_some())
        .expect("the follower's acceptance of slot 1 is on its disk");
    assert!(
        server(&cluster, follower).committed(1).is_none(),
        "the commit has not reached {follower} yet"
    );
    cluster.store_mut(follower).fail_next(1);
    answered(&mut cluster, &call, ALICE);
    until_executed(&mut cluster, &[follower], 1);
    assert!(
        cluster
            .trace()
            .events()
            .any(|e| e.node == follower && matches!(e.kind, common::trace::TraceKind::StoreFailed)),
        "{follower}'s first write of the commit failed"
    );
}

/// A leader that learns another leader's value for the slot it gave its client gives
/// the request a new slot. The old leader, cut off with alice and without check-quorum,
/// takes her write into slot 1 while the others elect a new leader; on the heal it gets
/// no heartbeats, acknowledgements or accepts of the new generation (and retries its own
/// accept only after 1,000 ticks), but the commit of bob's write in slot 1. It proposes
/// alice's write in slot 2, is rejected, steps down, and sends alice to the new leader.
#[test]
fn a_leader_whose_clients_slot_is_decided_for_another_value_gives_it_a_new_slot() {
    let config = Config {
        check_quorum: false,
        accept_retry_ticks: 1_000,
        ..Config::default()
    };
    let mut cluster = cluster_with(37, &THREE, config);
    let old = until_leader(&mut cluster, &THREE);
    let rest = others(&THREE, &old);
    cluster.partition(&[&[old.as_str(), ALICE], &[rest[0], rest[1], BOB]]);
    let new = until_leader(&mut cluster, &rest);
    let call = heartbeats::execute(&mut cluster, ALICE, &old, 1, set("x", "alice"));
    cluster.tick_n(5);
    assert!(
        server(&cluster, &old)
            .slot(1)
            .is_some_and(|r| r.accepted.is_some() && r.committed.is_none()),
        "{old} accepted alice's write in slot 1 and cannot commit it"
    );
    for kind in ["Heartbeat", "HeartbeatAck", "Accept"] {
        cluster.net().drop_kind(
            kind,
            common::net::Sel::Group(rest.iter().map(|s| (*s).into()).collect()),
            old.as_str(),
        );
    }
    cluster.heal_all();
    let bob = execute(&mut cluster, BOB, &new, 1, set("x", "bob"));
    assert_eq!(
        bob.slot, 1,
        "{new} knows nothing of slot 1 and puts bob's write there"
    );
    let answer = cluster.run(&call);
    assert_eq!(
        answer,
        Ok(Msg::NotLeader {
            request: RequestId::new(ALICE, 1),
            hint: Some(new.as_str().into()),
        }),
        "{old} proposed alice's write again, was rejected, and sends alice to {new}"
    );
    assert_eq!(
        server(&cluster, &old).stats().proposals,
        2,
        "{old} proposed alice's write in slot 1, then in slot 2"
    );
}

/// A restarted node's promise is never below a ballot it accepted, even when the writes
/// that carried its promise failed. Cyrene's first two storage writes fail — the promise
/// it gives the first leader, then its acceptance of alice's write (which carries the
/// promise too) — and the commit's write succeeds, putting the acceptance on disk with
/// no promise beside it. Restarted, cyrene raises its promise to the accepted ballot.
#[test]
fn a_restarted_node_promises_at_least_every_ballot_it_accepted_on_disk() {
    let mut cluster = three(38);
    cluster.store_mut(CYRENE).fail_next(2);
    let leader = until_leader(&mut cluster, &THREE);
    assert_ne!(leader, CYRENE, "with seed 38 another node leads");
    let ballot = ballot_of(&cluster, &leader);
    execute(&mut cluster, ALICE, &leader, 1, set("x", "1"));
    until_executed(&mut cluster, &[CYRENE], 1);
    let on_disk = durable(&cluster, CYRENE, 1);
    assert_eq!(
        on_disk.accepted.map(|p| p.ballot),
        Some(ballot.clone()),
        "cyrene's disk holds its acceptance of slot 1 under {ballot}"
    );
    let stored_promise = heartbeats::storage::load_promise(cluster.store(CYRENE).durable())
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
