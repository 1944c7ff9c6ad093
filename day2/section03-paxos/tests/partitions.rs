//! Partitions, lost messages and node failures: a majority decides, a minority cannot,
//! and nodes that missed the commit learn the value later, applying it once.

mod support;
use paxos::{Config, RequestId, Server};
use support::*;

/// athens alone cannot get a majority of promises: nothing is chosen while it is cut
/// off. After the partition heals, alice's request (asked again with the same id)
/// is chosen.
#[test]
fn step3_minority_partition_cannot_choose() {
    let mut cluster = three(0);
    cluster.partition(&[&[ATHENS, ALICE], &[BYZANTIUM, CYRENE]]);
    let cut_off = paxos::execute_within(&mut cluster, ALICE, ATHENS, 1, increment("counter"), 150);
    let answer = cluster.run(&cut_off);
    assert!(
        paxos::decision(answer.clone()).is_err(),
        "a minority must not report a decision, got {answer:?}"
    );
    for id in THREE {
        assert!(
            server(&cluster, id).committed().is_none(),
            "{id} must not commit anything"
        );
    }
    for id in [BYZANTIUM, CYRENE] {
        assert!(
            server(&cluster, id).accepted().is_none(),
            "{id} never heard from athens and must not have accepted anything"
        );
    }
    cluster.heal_all();
    let again = paxos::execute(&mut cluster, ALICE, ATHENS, 1, increment("counter"));
    assert!(
        decided(&mut cluster, &again, ALICE).won,
        "once healed, alice's request is chosen"
    );
}

/// cyrene is cut off; athens and byzantium are a majority and decide without it. Once
/// healed, cyrene learns the same value.
#[test]
fn step3_majority_chooses_while_a_minority_is_cut_off() {
    let mut cluster = three(0);
    cluster.isolate(CYRENE);
    let reply = paxos::execute(&mut cluster, ALICE, ATHENS, 1, increment("counter"));
    assert!(decided(&mut cluster, &reply, ALICE).won);
    assert!(
        server(&cluster, CYRENE).committed().is_none(),
        "cyrene heard nothing"
    );
    cluster.reconnect(CYRENE);
    let late = paxos::execute(&mut cluster, BOB, CYRENE, 1, increment("counter"));
    let bob = decided(&mut cluster, &late, BOB);
    assert_eq!(
        bob.chosen,
        RequestId::new(ALICE, 1),
        "cyrene must learn alice's value"
    );
    until_all_applied(&mut cluster, &THREE);
    for id in THREE {
        assert_eq!(server(&cluster, id).state_machine().counter("counter"), 1);
    }
}

/// Every `Commit` to cyrene is dropped (retransmissions too), so cyrene has accepted the
/// value but not learned it. A later request through cyrene runs a ballot, finds the
/// accepted value, commits it to itself and applies it exactly once.
#[test]
fn step3_lost_commit_is_learned_later() {
    let mut cluster = three(0);
    cluster
        .net()
        .drop_kind("Commit", [ATHENS, BYZANTIUM], CYRENE);
    let reply = paxos::execute(&mut cluster, ALICE, ATHENS, 1, increment("counter"));
    decided(&mut cluster, &reply, ALICE);
    cluster.tick_n(300);
    let cyrene = server(&cluster, CYRENE);
    assert!(
        cyrene.committed().is_none(),
        "every commit to cyrene was dropped"
    );
    assert_eq!(cyrene.state_machine().counter("counter"), 0);
    let late = paxos::execute(&mut cluster, BOB, CYRENE, 1, increment("counter"));
    let bob = decided(&mut cluster, &late, BOB);
    assert!(!bob.won, "bob's increment came after the decision");
    assert_eq!(
        bob.chosen,
        RequestId::new(ALICE, 1),
        "cyrene must learn the chosen value"
    );
    assert_eq!(bob.result, "1");
    cluster.tick_n(50);
    for id in THREE {
        assert_eq!(
            server(&cluster, id).state_machine().counter("counter"),
            1,
            "{id} must apply the chosen increment exactly once"
        );
    }
}

/// Only the first `Commit` to cyrene is lost: the proposer retransmits to the node that
/// did not acknowledge, and cyrene learns without any new request.
#[test]
fn step3_lost_commit_is_retransmitted_until_acknowledged() {
    let mut cluster = three(0);
    cluster.net().drop_nth_kind("Commit", ATHENS, CYRENE, 1);
    let reply = paxos::execute(&mut cluster, ALICE, ATHENS, 1, increment("counter"));
    decided(&mut cluster, &reply, ALICE);
    let budget = Config::default().phase_timeout_ticks + Config::default().commit_retry_ticks + 10;
    if let Err(e) =
        cluster.tick_until_within(budget, |c| c.node::<Server>(CYRENE).applied().is_some())
    {
        panic!("the retransmitted commit must reach cyrene: {e}");
    }
    cluster.tick_n(50);
    assert_eq!(
        server(&cluster, CYRENE).state_machine().counter("counter"),
        1
    );
}

/// Five servers: with two of them down, the other three are a majority and decide; the
/// two learn the value when they come back.
#[test]
fn step3_five_node_cluster_tolerates_two_failures() {
    let mut cluster = five(0);
    cluster.crash(DELPHI);
    cluster.crash(EPHESUS);
    let reply = paxos::execute(&mut cluster, ALICE, ATHENS, 1, increment("counter"));
    assert!(
        decided(&mut cluster, &reply, ALICE).won,
        "three of five must decide"
    );
    let other = paxos::execute(&mut cluster, BOB, CYRENE, 1, increment("counter"));
    assert_eq!(
        decided(&mut cluster, &other, BOB).chosen,
        RequestId::new(ALICE, 1)
    );
    cluster.restart(DELPHI);
    cluster.restart(EPHESUS);
    for (client, node) in [(CAROL, DELPHI), (BOB, EPHESUS)] {
        let late = paxos::execute(&mut cluster, client, node, 9, increment("counter"));
        assert_eq!(
            decided(&mut cluster, &late, client).chosen,
            RequestId::new(ALICE, 1),
            "{node} must learn the value chosen while it was down"
        );
    }
    until_all_applied(&mut cluster, &FIVE);
    for id in FIVE {
        assert_eq!(server(&cluster, id).state_machine().counter("counter"), 1);
    }
}

/// Five servers with three down: two cannot form a majority, so nothing is chosen.
#[test]
fn step2_five_node_cluster_cannot_choose_with_three_failures() {
    let mut cluster = five(0);
    for id in [CYRENE, DELPHI, EPHESUS] {
        cluster.crash(id);
    }
    let reply = paxos::execute_within(&mut cluster, ALICE, ATHENS, 1, increment("counter"), 200);
    assert!(
        paxos::decision(cluster.run(&reply)).is_err(),
        "two of five must not decide"
    );
    for id in [ATHENS, BYZANTIUM] {
        assert!(
            server(&cluster, id).committed().is_none(),
            "{id} must not commit"
        );
    }
}
