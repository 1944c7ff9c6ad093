//! The three scenarios of the Java workshop, on three servers with default settings.

mod support;
use paxos::Server;
use support::*;

/// alice asks athens to increment a counter; the cluster chooses it and every replica
/// applies it once.
#[test]
fn step3_basic_consensus_chooses_and_applies_one_increment() {
    let mut cluster = three(0);
    let reply = paxos::execute(&mut cluster, ALICE, ATHENS, 1, increment("counter"));
    let decision = decided(&mut cluster, &reply, ALICE);
    assert!(
        decision.won,
        "alice's increment was the only proposal: it must win"
    );
    assert_eq!(decision.result, "1", "the first increment must return 1");
    until_all_applied(&mut cluster, &THREE);
    for id in THREE {
        let node = server(&cluster, id);
        assert_eq!(
            node.state_machine().counter("counter"),
            1,
            "{id} must apply the chosen increment exactly once"
        );
        assert!(
            node.committed().is_some(),
            "{id} must know the committed value"
        );
    }
}

/// While athens proposes, alice's request waits there; once the decision is applied,
/// alice is answered, nobody waits and the proposer run is over. What athens holds in
/// memory is then exactly what it wrote.
#[test]
fn step3_a_client_waits_at_the_proposer_until_the_decision_and_then_the_run_ends() {
    let mut cluster = three(0);
    let reply = paxos::execute(&mut cluster, ALICE, ATHENS, 1, increment("counter"));
    cluster
        .tick_until_within(5, |c| server(c, ATHENS).is_proposing())
        .expect("athens starts a proposer run for alice");
    assert_eq!(
        server(&cluster, ATHENS).waiting_clients(),
        1,
        "alice waits at athens while it proposes"
    );
    decided(&mut cluster, &reply, ALICE);
    let athens = server(&cluster, ATHENS);
    assert_eq!(athens.waiting_clients(), 0, "alice was answered");
    assert!(
        !athens.is_proposing(),
        "the run ends once its decision is applied"
    );
    assert_eq!(
        *athens.acceptor(),
        durable(&cluster, ATHENS),
        "athens holds in memory what it wrote"
    );
    assert!(
        athens.acceptor().committed.is_some(),
        "athens learned the decision"
    );
}

/// alice sets a key through athens; every replica holds the value.
#[test]
fn step3_set_value_is_chosen_and_visible_on_every_replica() {
    let mut cluster = three(0);
    let reply = paxos::execute(&mut cluster, ALICE, ATHENS, 1, set("author", "Martin"));
    let decision = decided(&mut cluster, &reply, ALICE);
    assert!(decision.won, "the only proposal must win");
    assert_eq!(decision.result, "Martin", "set must return the value set");
    until_all_applied(&mut cluster, &THREE);
    for id in THREE {
        assert_eq!(
            server(&cluster, id).state_machine().get("author"),
            Some("Martin"),
            "{id} must hold the chosen value"
        );
    }
}

/// alice (through athens) and bob (through byzantium) propose different titles in the
/// same tick: exactly one wins, both see the same result, every replica converges.
#[test]
fn step3_concurrent_proposals_converge_on_one_value() {
    for seed in 0..20 {
        let mut cluster = three(seed);
        let a = paxos::execute(
            &mut cluster,
            ALICE,
            ATHENS,
            1,
            set("title", "Microservices"),
        );
        let b = paxos::execute(
            &mut cluster,
            BOB,
            BYZANTIUM,
            1,
            set("title", "Distributed Systems"),
        );
        let alice = decided(&mut cluster, &a, ALICE);
        let bob = decided(&mut cluster, &b, BOB);
        assert!(
            alice.won ^ bob.won,
            "seed {seed}: exactly one client must win, got alice={} bob={}",
            alice.won,
            bob.won
        );
        assert_eq!(
            alice.result, bob.result,
            "seed {seed}: both clients must see the chosen value's result"
        );
        check_history(&[alice.clone(), bob]).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        until_all_applied(&mut cluster, &THREE);
        for id in THREE {
            assert_eq!(
                server(&cluster, id).state_machine().get("title"),
                Some(alice.result.as_str()),
                "seed {seed}: {id} must hold the chosen title"
            );
        }
    }
}

/// A request that reaches a node after the decision is answered from the learned value
/// at once, without a new ballot.
#[test]
fn step3_a_request_after_the_decision_is_answered_without_a_new_ballot() {
    let mut cluster = three(0);
    let first = paxos::execute(&mut cluster, ALICE, ATHENS, 1, increment("counter"));
    decided(&mut cluster, &first, ALICE);
    until_all_applied(&mut cluster, &THREE);
    let reserved = server(&cluster, BYZANTIUM).round_reserved();
    let late = paxos::execute(&mut cluster, BOB, BYZANTIUM, 1, increment("counter"));
    let bob = decided(&mut cluster, &late, BOB);
    assert!(
        !bob.won,
        "bob's operation came after the decision: it must lose"
    );
    assert_eq!(
        bob.chosen,
        paxos::RequestId::new(ALICE, 1),
        "bob must learn alice's win"
    );
    assert_eq!(
        cluster.node::<Server>(BYZANTIUM).round_reserved(),
        reserved,
        "a node that knows the decision must not start a ballot"
    );
}
