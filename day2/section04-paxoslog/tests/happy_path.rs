//! The six scenarios of the Java workshop's `PaxosLogTest`, on three simulated servers
//! with default settings. Slots start at 1 here (the Java indices started at 0), so the
//! Java "high-water mark 0" is "executed through slot 1".

mod support;
use paxoslog::Config;
use support::*;

/// Java `basic_set_value` (which ran on real sockets with a random seed, and asserted
/// the replicas' state right after the reply, a race): alice sets the title through
/// athens; she is told it is stored, and every replica executes slot 1 and holds it.
#[test]
fn a_set_is_stored_in_slot_one_and_executed_by_every_replica() {
    let mut cluster = three(0);
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
    assert_eq!(
        reply.slot, 1,
        "the first operation of a fresh log goes into slot 1"
    );
    until_executed(&mut cluster, &THREE, 1);
    for id in THREE {
        let node = server(&cluster, id);
        assert_eq!(
            node.executed_through(),
            1,
            "{id} must execute exactly slot 1"
        );
        assert_eq!(
            node.state_machine().get("title"),
            Some("Microservices"),
            "{id} must hold the title"
        );
    }
}

/// A client's request waits at the node it reached while that node's proposer places
/// it: the node shows one waiting client and a proposer run for the request. Once the
/// slot executes the client is answered, the run is over, and the store remembers the
/// request's outcome for a retry.
#[test]
fn a_client_waits_at_its_node_while_the_proposer_places_its_request() {
    let mut cluster = three(0);
    let call = paxoslog::execute(&mut cluster, ALICE, ATHENS, 1, set("title", "Patterns"));
    cluster
        .tick_until_within(5, |c| server(c, ATHENS).proposer().is_some())
        .expect("athens starts a proposer run for alice's request");
    let athens = server(&cluster, ATHENS);
    assert_eq!(athens.waiting_clients(), 1, "alice waits at athens");
    let run = athens.proposer().expect("a run is in progress");
    assert_eq!(
        run.request(),
        &paxoslog::RequestId::new(ALICE, 1),
        "the run places alice's request"
    );
    assert_eq!(run.slot(), 1, "into the first open slot");
    assert_eq!(
        athens.proposer_phase(),
        Some(run.phase()),
        "the node reports the phase of its run"
    );
    assert_eq!(run.failed_attempts(), 0, "no attempt has failed yet");
    cluster
        .tick_until_within(10, |c| {
            matches!(
                server(c, ATHENS).proposer_phase(),
                Some(paxoslog::Phase::Preparing { .. })
            )
        })
        .expect("athens reserves its rounds, then prepares");
    let athens = server(&cluster, ATHENS);
    let ballot = athens
        .proposer()
        .and_then(|run| run.ballot())
        .expect("a preparing run has a ballot");
    assert_eq!(
        (ballot.round, ballot.node.as_str()),
        (1, ATHENS),
        "athens's first ballot is round 1, its own"
    );
    assert_eq!(
        athens.round_reserved(),
        Config::default().rounds_per_reservation,
        "athens reserved a block of rounds before using round 1"
    );

    let reply = answered(&mut cluster, &call, ALICE);
    assert_eq!(reply.slot, 1, "alice's set went into slot 1");
    let athens = server(&cluster, ATHENS);
    assert_eq!(athens.waiting_clients(), 0, "alice was answered");
    assert!(
        athens.proposer().is_none() && athens.proposer_phase().is_none(),
        "the run ends once its request is placed"
    );
    let stats = athens.proposer_stats();
    assert_eq!(
        (stats.ballots, stats.placed, stats.failed_attempts),
        (1, 1, 0),
        "one ballot placed alice's request at the first try"
    );
    assert_eq!(athens.incarnation(), 0, "athens never restarted");
    let session = athens
        .state_machine()
        .outcome_of(&paxoslog::RequestId::new(ALICE, 1))
        .expect("athens remembers what alice's request did");
    assert_eq!(
        (session.slot, &session.outcome),
        (1, &stored("Patterns")),
        "the remembered outcome is the one alice was told"
    );
}

/// Java `multiple_commands`: a set through athens, a set and a compare-and-swap through
/// byzantium. Each lands in its own slot, in order, and every replica executes all
/// three (Java awaited the swap without checking its outcome; here it must succeed).
#[test]
fn commands_through_different_nodes_execute_in_one_order_everywhere() {
    let mut cluster = three(0);
    let title = execute(
        &mut cluster,
        ALICE,
        ATHENS,
        1,
        set("title", "Microservices"),
    );
    let author = execute(&mut cluster, BOB, BYZANTIUM, 1, set("author", "Martin"));
    let swap = execute(
        &mut cluster,
        BOB,
        BYZANTIUM,
        2,
        cas("author", Some("Martin"), "Martin Fowler"),
    );
    assert_eq!(
        [title.slot, author.slot, swap.slot],
        [1, 2, 3],
        "three sequential commands must take slots 1, 2 and 3"
    );
    assert_eq!(
        swap.outcome,
        swapped(true, Some("Martin")),
        "the swap expected the current author"
    );
    until_executed(&mut cluster, &THREE, 3);
    let athens = server(&cluster, ATHENS).state_machine();
    assert_eq!(
        athens.get("title"),
        Some("Microservices"),
        "athens must execute alice's set"
    );
    assert_eq!(
        athens.get("author"),
        Some("Martin Fowler"),
        "athens must execute the swap"
    );
    for id in THREE {
        assert_eq!(
            server(&cluster, id).executed_through(),
            3,
            "{id} must execute all three slots"
        );
    }
}

/// Java `compare_and_swap`: a swap expecting the wrong value fails and reports the
/// current value; a swap expecting the right one succeeds, through a third node whose
/// proposer has never run (in Java it needed all 3 of its attempts at index 0; here it
/// starts at the first open slot and needs one ballot).
#[test]
fn compare_and_swap_succeeds_only_on_the_expected_value() {
    let mut cluster = three(0);
    execute(
        &mut cluster,
        ALICE,
        ATHENS,
        1,
        set("title", "Microservices"),
    );
    let wrong = execute(
        &mut cluster,
        BOB,
        BYZANTIUM,
        1,
        cas("title", Some("Wrong Value"), "X"),
    );
    assert_eq!(
        wrong.outcome,
        swapped(false, Some("Microservices")),
        "a swap expecting the wrong value must fail and report the current value"
    );
    let right = execute(
        &mut cluster,
        CAROL,
        CYRENE,
        1,
        cas("title", Some("Microservices"), "Event Driven Microservices"),
    );
    assert_eq!(
        right.outcome,
        swapped(true, Some("Microservices")),
        "a swap expecting the current value must succeed and report it"
    );
    assert_eq!(
        prepares_sent_by(&cluster, CYRENE),
        vec![(3, paxoslog::Ballot::new(3, CYRENE))],
        "cyrene must place its swap with one ballot at the first open slot, above the rounds it saw"
    );
    until_executed(&mut cluster, &THREE, 3);
    for id in THREE {
        assert_eq!(
            server(&cluster, id).state_machine().get("title"),
            Some("Event Driven Microservices"),
            "{id} must hold the swapped title"
        );
    }
}

/// Java `get_value_via_noop`: a read goes through the log. bob's get through byzantium
/// occupies slot 2 and reads what slot 1 wrote.
#[test]
fn a_get_reads_through_the_log() {
    let mut cluster = three(0);
    execute(&mut cluster, ALICE, ATHENS, 1, set("author", "Martin"));
    let reply = execute(&mut cluster, BOB, BYZANTIUM, 1, get("author"));
    assert_eq!(
        reply.outcome,
        read(Some("Martin")),
        "the read must see the acknowledged set"
    );
    assert_eq!(reply.slot, 2, "the read must occupy the slot after the set");
    until_executed(&mut cluster, &THREE, 2);
    assert_eq!(
        executed_log(&cluster, CYRENE)[1].operation,
        get("author"),
        "every replica's log holds the read in slot 2"
    );
}

/// Java `committed_log_entries`: two sets through two nodes; slots 1 and 2 are
/// committed on every replica, on disk, and executed.
#[test]
fn two_sets_are_committed_durably_on_every_replica() {
    let mut cluster = three(0);
    execute(&mut cluster, ALICE, ATHENS, 1, set("key1", "value1"));
    execute(&mut cluster, BOB, BYZANTIUM, 1, set("key2", "value2"));
    until_executed(&mut cluster, &THREE, 2);
    for id in THREE {
        assert_eq!(
            server(&cluster, id).executed_through(),
            2,
            "{id} must execute both slots"
        );
        for slot in [1, 2] {
            assert!(
                durable(&cluster, id, slot).committed.is_some(),
                "{id} must hold slot {slot}'s commit on disk"
            );
        }
    }
}

/// Java `log_consistency`: three sets through athens; every replica executes slots
/// 1..=3 and holds the same log.
#[test]
fn every_replica_holds_the_same_log() {
    let mut cluster = three(0);
    for (seq, (key, value)) in [("a", "1"), ("b", "2"), ("c", "3")].into_iter().enumerate() {
        let reply = execute(&mut cluster, ALICE, ATHENS, seq as u64 + 1, set(key, value));
        assert_eq!(
            reply.outcome,
            stored(value),
            "every set must report its value"
        );
    }
    until_executed(&mut cluster, &THREE, 3);
    let athens = executed_log(&cluster, ATHENS);
    assert_eq!(athens.len(), 3, "athens must execute three slots");
    for id in [BYZANTIUM, CYRENE] {
        assert_eq!(
            executed_log(&cluster, id),
            athens,
            "{id}'s log must equal athens's"
        );
    }
}

/// A client that retries a request already executed is answered from its session, the
/// same outcome in the same slot, and a request older than the client's latest
/// executed one is told it was superseded: neither takes a new slot.
#[test]
fn a_retried_or_overtaken_request_is_answered_from_the_session_without_a_slot() {
    let mut cluster = three(0);
    let first = execute(&mut cluster, ALICE, ATHENS, 1, set("k", "1"));
    let second = execute(&mut cluster, ALICE, ATHENS, 2, set("k", "2"));
    let again = execute(&mut cluster, ALICE, ATHENS, 2, set("k", "2"));
    assert_eq!(
        (again.slot, &again.outcome),
        (second.slot, &second.outcome),
        "the retry is told what the request did, where it did it"
    );
    let late = paxoslog::execute(&mut cluster, ALICE, ATHENS, 1, set("k", "1"));
    match cluster.run(&late) {
        Ok(paxoslog::Msg::Superseded { latest, .. }) => {
            assert_eq!(
                latest, 2,
                "the answer names alice's latest executed request"
            )
        }
        other => {
            panic!("a request older than the latest executed must be superseded, got {other:?}")
        }
    }
    cluster.tick_n(20);
    assert!(first.slot < second.slot, "the two writes took two slots");
    let athens = server(&cluster, ATHENS);
    assert_eq!(
        (athens.executed_through(), athens.first_open_slot()),
        (second.slot, second.slot + 1),
        "neither the retry nor the overtaken request took a slot"
    );
}
