//! Why Paxos is safe: a proposer must adopt the highest-ballot value it finds in its
//! promises, and a higher ballot fences every lower proposal.

mod support;
use paxos::{Ballot, Msg, Phase, RequestId, Server};
use support::*;

/// Tick until `id`'s proposer is in phase 2 (its `Accept`s are out).
fn until_accepting(cluster: &mut common::Cluster<Msg>, id: &str) {
    let node = id.to_string();
    if let Err(e) = cluster.tick_until(|c| {
        let server = c.node::<Server>(&node);
        matches!(server.proposer_phase(), Some(Phase::Accepting { .. }))
            && server.accepted().is_some()
    }) {
        panic!("{id} must reach phase 2: {e}");
    }
}

fn alice_value() -> RequestId {
    RequestId::new(ALICE, 1)
}

/// athens's `Accept` reaches only itself (a minority) before athens is cut off. byzantium
/// then prepares with cyrene: nobody in its majority accepted anything, so it may choose
/// bob's value. Exactly one value ends up chosen, and every replica learns it.
#[test]
fn step3_value_survives_proposer_crash_after_minority_accept_when_no_promise_reports_it() {
    let mut cluster = three(0);
    cluster
        .net()
        .drop_kind("Accept", ATHENS, [BYZANTIUM, CYRENE]);
    let _alice = paxos::execute_within(&mut cluster, ALICE, ATHENS, 1, set("k", "alice"), 50);
    until_accepting(&mut cluster, ATHENS);
    cluster.isolate(ATHENS);
    let bob = paxos::execute(&mut cluster, BOB, BYZANTIUM, 1, set("k", "bob"));
    let bob = decided(&mut cluster, &bob, BOB);
    assert!(
        bob.won,
        "byzantium's majority saw no accepted value: bob's value may win"
    );
    cluster.reconnect(ATHENS);
    until_all_applied(&mut cluster, &THREE);
    for id in THREE {
        assert_eq!(
            server(&cluster, id).state_machine().get("k"),
            Some("bob"),
            "{id} must learn the one chosen value, even athens that accepted alice's"
        );
    }
}

/// The same minority accept, but athens comes back (crash and restart) and is part of
/// byzantium's promise majority: its durable acceptance is reported, and byzantium must
/// propose alice's value instead of bob's.
#[test]
fn step3_value_survives_proposer_crash_after_minority_accept_when_a_promise_reports_it() {
    let mut cluster = three(0);
    cluster
        .net()
        .drop_kind("Accept", ATHENS, [BYZANTIUM, CYRENE]);
    let _alice = paxos::execute_within(&mut cluster, ALICE, ATHENS, 1, set("k", "alice"), 50);
    until_accepting(&mut cluster, ATHENS);
    cluster.tick_n(2);
    cluster.crash(ATHENS);
    cluster.restart(ATHENS);
    assert!(
        server(&cluster, ATHENS).accepted().is_some(),
        "athens's own acceptance was durable before the crash"
    );
    cluster.net().drop_kind("Prepare", BYZANTIUM, CYRENE);
    let bob = paxos::execute(&mut cluster, BOB, BYZANTIUM, 1, set("k", "bob"));
    let bob = decided(&mut cluster, &bob, BOB);
    assert!(
        !bob.won,
        "byzantium's promises included alice's accepted value: it must adopt it"
    );
    assert_eq!(
        bob.chosen,
        alice_value(),
        "bob must be told alice's value was chosen"
    );
    let again = paxos::execute(&mut cluster, ALICE, CYRENE, 1, set("k", "alice"));
    assert!(
        decided(&mut cluster, &again, ALICE).won,
        "alice, asking again with her request id, must learn that she won"
    );
}

/// athens's `Accept` reaches byzantium too (a majority: the value is chosen) but athens
/// hears nothing back and is cut off. cyrene's new ballot meets byzantium's acceptance
/// and must propose alice's value again.
#[test]
fn step3_value_survives_proposer_crash_after_majority_accept() {
    let mut cluster = three(0);
    cluster.net().drop_kind("Accept", ATHENS, CYRENE);
    cluster.net().drop_kind("Accepted", BYZANTIUM, ATHENS);
    let _alice = paxos::execute_within(&mut cluster, ALICE, ATHENS, 1, set("k", "alice"), 50);
    if let Err(e) = cluster.tick_until(|c| {
        c.view()
            .store(BYZANTIUM)
            .and_then(|kv| {
                kv.load_durable::<paxos::AcceptorState>(paxos::ACCEPTOR_KEY)
                    .ok()
                    .flatten()
            })
            .is_some_and(|s| s.accepted.is_some())
    }) {
        panic!("byzantium must durably accept alice's value: {e}");
    }
    cluster.crash(ATHENS);
    let bob = paxos::execute(&mut cluster, BOB, CYRENE, 1, set("k", "bob"));
    let bob = decided(&mut cluster, &bob, BOB);
    assert!(
        !bob.won,
        "alice's value was accepted by a majority: it is chosen already"
    );
    assert_eq!(bob.chosen, alice_value());
    cluster.restart(ATHENS);
    let late = paxos::execute(&mut cluster, CAROL, ATHENS, 1, set("k", "carol"));
    assert_eq!(
        decided(&mut cluster, &late, CAROL).chosen,
        alice_value(),
        "the restarted proposer must learn the same value"
    );
    until_all_applied(&mut cluster, &THREE);
    for id in THREE {
        assert_eq!(server(&cluster, id).state_machine().get("k"), Some("alice"));
    }
}

/// athens prepares (1, athens); before its `Accept`s arrive, byzantium prepares the
/// higher (1, byzantium) with cyrene and gets bob's value chosen. athens's late
/// proposal is refused by both, and athens's retry adopts bob's value.
#[test]
fn step3_higher_ballot_fences_lower_proposal() {
    let mut cluster = three(0);
    let held = cluster
        .net()
        .hold_kind("Accept", ATHENS, [BYZANTIUM, CYRENE]);
    cluster.net().drop_kind("Prepare", BYZANTIUM, ATHENS);
    cluster.net().drop_kind("Commit", BYZANTIUM, ATHENS);
    let alice = paxos::execute(&mut cluster, ALICE, ATHENS, 1, set("k", "alice"));
    until_accepting(&mut cluster, ATHENS);
    assert_eq!(
        server(&cluster, ATHENS).proposing_ballot(),
        Some(&Ballot::new(1, ATHENS))
    );
    let bob = paxos::execute(&mut cluster, BOB, BYZANTIUM, 1, set("k", "bob"));
    let bob = decided(&mut cluster, &bob, BOB);
    assert!(bob.won, "byzantium's higher ballot gets bob's value chosen");
    cluster.net().release(held);
    let alice = decided(&mut cluster, &alice, ALICE);
    assert!(!alice.won, "athens's lower proposal must not be chosen");
    assert_eq!(
        alice.chosen,
        RequestId::new(BOB, 1),
        "athens's retry must adopt bob's value"
    );
    let refusals = cluster
        .trace()
        .render()
        .matches("Reject { ballot: Ballot { round: 1, node: athens }")
        .count();
    assert_eq!(
        refusals, 2,
        "byzantium and cyrene must both refuse (1, athens)"
    );
    for id in [BYZANTIUM, CYRENE] {
        let accepted = server(&cluster, id)
            .accepted()
            .expect("accepted bob's value");
        assert_eq!(
            accepted.value.request,
            RequestId::new(BOB, 1),
            "{id} must never accept alice's fenced proposal"
        );
    }
    assert!(
        !matches!(
            server(&cluster, ATHENS).proposer_phase(),
            Some(Phase::Accepting { .. })
        ),
        "athens's run must be over"
    );
}
