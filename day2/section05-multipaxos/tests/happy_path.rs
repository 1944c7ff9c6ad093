//! Step 2: phase 2 under a stable leader. The Java section's scenarios, with the
//! follower checks made "eventually" (followers learn a commit a tick or two after the
//! client's reply), and what the Java tests left out: compare-and-swap, pipelining, a
//! one-node cluster and client redirection.

mod support;

use common::ProcessId;
use multipaxos::{ClientError, Msg};
use support::*;

/// Java `leader_replicates_a_value`: the leader's write succeeds with the stored value,
/// and every state machine ends up holding it.
#[test]
fn step2_leader_replicates_a_value() {
    let mut cluster = three(1);
    elect(&mut cluster, ATHENS);
    let reply = execute(
        &mut cluster,
        ALICE,
        ATHENS,
        1,
        set("title", "Microservices"),
    );
    assert_eq!(
        reply.outcome,
        stored("Microservices"),
        "the set must report the stored value"
    );
    until_executed(&mut cluster, &THREE, reply.slot);
    for id in THREE {
        assert_eq!(
            server(&cluster, id).state_machine().get("title"),
            Some("Microservices"),
            "{id} must hold the replicated value"
        );
    }
}

/// A client's request waits at the leader until its slot executes there: the leader
/// shows one waiting client while the slot is in flight, and none once the client is
/// answered.
#[test]
fn step2_a_client_waits_at_the_leader_until_its_slot_executes() {
    let mut cluster = three(1);
    elect(&mut cluster, ATHENS);
    let call = multipaxos::execute(&mut cluster, ALICE, ATHENS, 1, set("title", "Patterns"));
    cluster
        .tick_until_within(5, |c| server(c, ATHENS).waiting_clients() == 1)
        .expect("alice's request waits at athens while its slot is replicated");
    let reply = answered(&mut cluster, &call, ALICE);
    assert_eq!(
        reply.outcome,
        stored("Patterns"),
        "alice is told her set stored"
    );
    assert_eq!(
        server(&cluster, ATHENS).waiting_clients(),
        0,
        "once answered, alice no longer waits at athens"
    );
    let commands: Vec<multipaxos::Value> = server(&cluster, ATHENS)
        .executed_log()
        .into_iter()
        .filter(|v| matches!(v, multipaxos::Value::Command { .. }))
        .collect();
    assert_eq!(
        commands,
        vec![multipaxos::Value::Command {
            request: multipaxos::RequestId::new(ALICE, 1),
            operation: set("title", "Patterns"),
        }],
        "athens's executed log holds alice's set"
    );
}

/// Java `sequential_operations_are_applied_everywhere`: two writes, each in its own
/// slot, on every node; the log holds exactly those two slots.
#[test]
fn step2_sequential_operations_are_applied_everywhere() {
    let mut cluster = three(2);
    elect(&mut cluster, ATHENS);
    let first = execute(
        &mut cluster,
        ALICE,
        ATHENS,
        1,
        set("title", "Microservices"),
    );
    let second = execute(&mut cluster, ALICE, ATHENS, 2, set("author", "Martin"));
    assert_eq!(
        (first.slot, second.slot),
        (1, 2),
        "two writes take slots 1 and 2"
    );
    until_executed(&mut cluster, &THREE, 2);
    for id in THREE {
        let node = server(&cluster, id);
        assert_eq!(
            node.last_slot(),
            2,
            "{id}'s log must hold exactly two slots"
        );
        assert_eq!(
            node.state_machine().get("title"),
            Some("Microservices"),
            "{id} title"
        );
        assert_eq!(
            node.state_machine().get("author"),
            Some("Martin"),
            "{id} author"
        );
    }
}

/// Java `non_leader_rejects_client_commands`: a follower refuses, and (unlike Java's
/// bare "Not leader") names the leader.
#[test]
fn step2_non_leader_rejects_client_commands_with_a_hint() {
    let mut cluster = three(3);
    elect(&mut cluster, ATHENS);
    cluster.tick_n(5);
    let call = multipaxos::execute(&mut cluster, ALICE, BYZANTIUM, 1, set("title", "x"));
    let answer = multipaxos::reply(cluster.run(&call));
    assert_eq!(
        answer,
        Err(ClientError::NotLeader {
            hint: Some(ProcessId::new(ATHENS))
        }),
        "a follower must refuse and point at the leader"
    );
    assert!(
        server(&cluster, BYZANTIUM)
            .state_machine()
            .get("title")
            .is_none(),
        "the refused write must not take effect"
    );
}

/// Java `read_goes_through_log_with_noop`: a read is a command in its own slot after
/// the write, so it returns the written value.
#[test]
fn step2_read_goes_through_the_log() {
    let mut cluster = three(4);
    elect(&mut cluster, ATHENS);
    let write = execute(
        &mut cluster,
        ALICE,
        ATHENS,
        1,
        set("author", "Martin Fowler"),
    );
    let read_reply = execute(&mut cluster, BOB, ATHENS, 1, get("author"));
    assert_eq!(
        read_reply.outcome,
        read(Some("Martin Fowler")),
        "the read must see the write"
    );
    assert!(
        read_reply.slot > write.slot,
        "the read must occupy a slot after the write"
    );
}

/// Compare-and-swap reports its verdict and the value it found.
#[test]
fn step2_cas_success_and_failure_results() {
    let mut cluster = three(5);
    elect(&mut cluster, ATHENS);
    execute(&mut cluster, ALICE, ATHENS, 1, set("k", "a"));
    let wrong = execute(&mut cluster, BOB, ATHENS, 1, cas("k", Some("b"), "c"));
    assert_eq!(
        wrong.outcome,
        swapped(false, Some("a")),
        "a swap expecting the wrong value fails"
    );
    let right = execute(&mut cluster, BOB, ATHENS, 2, cas("k", Some("a"), "c"));
    assert_eq!(
        right.outcome,
        swapped(true, Some("a")),
        "a swap expecting the value succeeds"
    );
}

/// Three clients' writes are in flight at once: they take consecutive slots, are
/// accepted without waiting for each other, and execute in slot order everywhere.
#[test]
fn step2_pipelined_writes_execute_in_slot_order() {
    let mut cluster = three(6);
    elect(&mut cluster, ATHENS);
    let calls: Vec<_> = [ALICE, BOB, CAROL]
        .iter()
        .map(|c| multipaxos::execute(&mut cluster, c, ATHENS, 1, set("k", c)))
        .collect();
    let replies: Vec<_> = [ALICE, BOB, CAROL]
        .iter()
        .zip(&calls)
        .map(|(c, call)| answered(&mut cluster, call, c))
        .collect();
    let sent_at = |wanted: &dyn Fn(&Msg) -> bool| {
        cluster
            .trace()
            .events()
            .position(|e| e.node == ATHENS && e.body.as_ref().is_some_and(wanted))
            .unwrap_or(usize::MAX)
    };
    let third_accept = sent_at(&|m| matches!(m, Msg::Accept { slot: 3, .. }));
    let first_commit = sent_at(&|m| matches!(m, Msg::Commit { slot: 1, .. }));
    assert!(
        first_commit != usize::MAX,
        "the trace must show the leader committing slot 1"
    );
    assert!(
        third_accept < first_commit,
        "the leader must send slot 3's Accept before slot 1 is committed (pipelining)"
    );
    let mut slots: Vec<u64> = replies.iter().map(|r| r.slot).collect();
    slots.sort_unstable();
    assert_eq!(
        slots,
        vec![1, 2, 3],
        "three concurrent writes take three consecutive slots"
    );
    until_executed(&mut cluster, &THREE, 3);
    let last = replies
        .iter()
        .max_by_key(|r| r.slot)
        .map(|r| r.request.client.clone());
    for id in THREE {
        assert_eq!(
            server(&cluster, id)
                .state_machine()
                .get("k")
                .map(ProcessId::new),
            last,
            "{id} must end with the write of the highest slot"
        );
        assert_eq!(
            server(&cluster, id).executed_log(),
            server(&cluster, ATHENS).executed_log(),
            "{id} must execute the same log as the leader"
        );
    }
}

/// A one-node cluster is its own majority.
#[test]
fn step2_single_node_cluster_commits() {
    let mut cluster = cluster_with(7, &[ATHENS], multipaxos::Config::default());
    elect(&mut cluster, ATHENS);
    let reply = execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    assert_eq!(reply.outcome, stored("1"), "a single node commits alone");
}

/// A client sent to a follower follows the `NotLeader` hint and gets its answer from
/// the leader; one that asks a node with no leader starts an election through it.
#[test]
fn step2_clients_follow_the_hint_or_start_an_election() {
    let mut cluster = three(8);
    let first = multipaxos::execute_following(&mut cluster, ALICE, CYRENE, 1, set("x", "1"), 200);
    let reply = answered(&mut cluster, &first, ALICE);
    assert_eq!(
        reply.outcome,
        stored("1"),
        "a request to a cluster without leader elects one"
    );
    assert!(
        server(&cluster, CYRENE).is_leader(),
        "the node asked first stood for election"
    );
    let second = multipaxos::execute_following(&mut cluster, BOB, ATHENS, 1, get("x"), 200);
    let reply = answered(&mut cluster, &second, BOB);
    assert_eq!(
        reply.outcome,
        read(Some("1")),
        "bob is redirected to the leader and reads"
    );
    assert!(
        cluster
            .trace()
            .events()
            .any(|e| matches!(&e.body, Some(Msg::NotLeader { .. }))),
        "bob's first attempt must have been answered NotLeader"
    );
    assert!(
        !server(&cluster, ATHENS).is_leader(),
        "athens only redirected bob: it must not have stood for election"
    );
}

/// A client that retries a request already executed is answered from its session, the
/// same outcome in the same slot, and a request older than the client's latest
/// executed one is told it was superseded: neither takes a new slot.
#[test]
fn step2_a_retried_or_overtaken_request_is_answered_from_the_session_without_a_slot() {
    let mut cluster = three(1);
    elect(&mut cluster, ATHENS);
    let leader = ATHENS.to_string();
    let first = execute(&mut cluster, ALICE, &leader, 1, set("k", "1"));
    let second = execute(&mut cluster, ALICE, &leader, 2, set("k", "2"));
    let slots = server(&cluster, &leader).last_slot();
    let again = execute(&mut cluster, ALICE, &leader, 2, set("k", "2"));
    assert_eq!(
        (again.slot, &again.outcome),
        (second.slot, &second.outcome),
        "the retry is told what the request did, where it did it"
    );
    let late = multipaxos::execute(&mut cluster, ALICE, &leader, 1, set("k", "1"));
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

/// The measurement's baseline, phase 1 before every slot, is correct but slow: the
/// leader runs a fresh prepare (a new ballot) before each command (the election's own
/// prepare serves the first), where the default leader prepares once for all of them.
#[test]
fn step2_the_every_slot_baseline_runs_a_fresh_prepare_before_each_command() {
    fn ballots_prepared_by(cluster: &common::Cluster<Msg>, node: &str) -> usize {
        let mut ballots = Vec::new();
        for event in cluster.trace().events() {
            if let (common::trace::TraceKind::Send { .. }, Some(Msg::Prepare { ballot, .. })) =
                (&event.kind, &event.body)
                && event.node == node
                && !ballots.contains(ballot)
            {
                ballots.push(ballot.clone());
            }
        }
        ballots.len()
    }
    for (mode, expected) in [
        (multipaxos::PhaseOneMode::default(), 1),
        (multipaxos::PhaseOneMode::EverySlot, 3),
    ] {
        let config = multipaxos::Config {
            phase_one: mode,
            ..multipaxos::Config::default()
        };
        let mut cluster = cluster_with(1, &THREE, config);
        elect(&mut cluster, ATHENS);
        for seq in 1..=3 {
            let reply = execute(&mut cluster, ALICE, ATHENS, seq, set("k", &seq.to_string()));
            assert_eq!(
                reply.outcome,
                stored(&seq.to_string()),
                "{mode:?}: write {seq}"
            );
        }
        assert_eq!(
            ballots_prepared_by(&cluster, ATHENS),
            expected,
            "{mode:?}: ballots athens prepared for its election and three commands"
        );
    }
}

/// What the measurement counts, on one election and one command in three nodes: the
/// leader started one election and proposed one slot, and sent its peers a prepare, an
/// accept and a commit each (six messages); each follower answered a promise and an
/// acceptance (two). Messages to itself and answers to clients are not counted.
#[test]
fn step2_the_counts_of_one_election_and_one_command() {
    let mut cluster = three(1);
    elect(&mut cluster, ATHENS);
    execute(&mut cluster, ALICE, ATHENS, 1, set("k", "v"));
    until_executed(&mut cluster, &THREE, 1);
    cluster.tick_n(10);
    let leader = server(&cluster, ATHENS).stats();
    assert_eq!(
        (
            leader.elections,
            leader.proposals,
            leader.messages_to_servers
        ),
        (1, 1, 6),
        "athens: one election, one proposal, three messages to each of two peers"
    );
    for id in [BYZANTIUM, CYRENE] {
        let follower = server(&cluster, id).stats();
        assert_eq!(
            (
                follower.elections,
                follower.proposals,
                follower.messages_to_servers
            ),
            (0, 0, 2),
            "{id}: a promise and an acceptance to athens"
        );
    }
}

/// A client that sends its request to a server that is down gives that server a quarter
/// of its whole timeout, then tries another, and is answered by the leader in time.
#[test]
fn a_client_gives_a_silent_server_a_quarter_of_its_timeout_then_tries_another() {
    let mut cluster = three(8);
    elect(&mut cluster, BYZANTIUM);
    cluster.crash(ATHENS);
    let start = cluster.now();
    let call = multipaxos::execute_following(&mut cluster, ALICE, ATHENS, 1, set("x", "1"), 200);
    let reply = answered(&mut cluster, &call, ALICE);
    assert_eq!(
        reply.outcome,
        stored("1"),
        "the leader executed alice's write"
    );
    let waited = cluster.now() - start;
    assert!(
        (50..100).contains(&waited),
        "alice waits 50 ticks for athens, then finds the leader; answered after {waited}"
    );
}
