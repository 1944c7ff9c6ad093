//! Requests, timeouts and quorum fan-out.

use crate::support::*;
use common::{NetConfig, PartitionMode, RpcError};

#[test]
fn a_timed_out_request_fires_its_callback_once_with_a_timeout_error() {
    let mut cluster = three_nodes(1);
    cluster.isolate(BYZANTIUM);
    let result = cluster.call(
        ALICE,
        ATHENS,
        Msg::PingVia {
            to: BYZANTIUM.into(),
            timeout: 5,
        },
    );
    assert_eq!(
        cluster.run(&result),
        Ok(Msg::PingResult { ok: false }),
        "the ping must time out"
    );
    cluster.reconnect(BYZANTIUM);
    cluster.tick_n(20);
    assert_eq!(
        cluster.node::<Node>(ATHENS).ping_callbacks,
        1,
        "a timed-out callback must never fire again"
    );
}

#[test]
fn a_late_reply_after_the_timeout_is_dropped_and_traced() {
    let mut cluster = three_nodes(1);
    cluster.net().delay_kind("Pong", BYZANTIUM, ATHENS, 10);
    let result = cluster.call(
        ALICE,
        ATHENS,
        Msg::PingVia {
            to: BYZANTIUM.into(),
            timeout: 3,
        },
    );
    assert_eq!(cluster.run(&result), Ok(Msg::PingResult { ok: false }));
    cluster.tick_n(15);
    assert_eq!(cluster.node::<Node>(ATHENS).ping_callbacks, 1);
    assert!(
        cluster.trace().render().contains("DROP Pong"),
        "the late Pong must be traced as dropped:\n{}",
        cluster.trace().render()
    );
}

#[test]
fn the_client_gets_a_timeout_when_the_server_is_unreachable() {
    let mut cluster = three_nodes(1);
    cluster.isolate(ATHENS);
    let reply = cluster.call_with_timeout(ALICE, ATHENS, Msg::Get, 7);
    assert_eq!(
        cluster.run(&reply),
        Err(RpcError::Timeout { after_ticks: 7 })
    );
}

#[test]
fn a_quorum_succeeds_with_a_majority_and_does_not_wait_for_the_rest() {
    let mut cluster = three_nodes(1);
    cluster.net().hold_kind("Voted", CYRENE, ATHENS);
    let result = cluster.call(ALICE, ATHENS, Msg::Collect { required: None });
    assert_eq!(
        cluster.run(&result),
        Ok(Msg::Collected {
            succeeded: true,
            accepted: 2,
            replies: 2
        })
    );
}

#[test]
fn a_quorum_fails_as_soon_as_success_is_impossible() {
    let mut cluster = three_nodes(1);
    cluster.node_mut::<Node>(ATHENS).vote = false;
    cluster.node_mut::<Node>(BYZANTIUM).vote = false;
    cluster.net().hold_kind("Voted", CYRENE, ATHENS);
    let result = cluster.call(ALICE, ATHENS, Msg::Collect { required: None });
    let tick = cluster.now();
    assert_eq!(
        cluster.run(&result),
        Ok(Msg::Collected {
            succeeded: false,
            accepted: 0,
            replies: 2
        })
    );
    assert!(
        cluster.now() - tick <= 4,
        "two rejections of three must fail at once, not after a timeout (took {} ticks)",
        cluster.now() - tick
    );
}

#[test]
fn a_quorum_tolerates_a_minority_of_timeouts() {
    let mut cluster = three_nodes(1);
    cluster.isolate(CYRENE);
    let result = cluster.call(ALICE, ATHENS, Msg::Collect { required: Some(2) });
    assert_eq!(
        cluster.run(&result),
        Ok(Msg::Collected {
            succeeded: true,
            accepted: 2,
            replies: 2
        })
    );
}

#[test]
fn a_duplicated_reply_counts_once() {
    let mut cluster = three_nodes_with(3, |b| {
        b.net(NetConfig {
            duplicate: 1.0,
            ..NetConfig::default()
        })
    });
    // Every server votes no except athens: with duplicates counted twice, athens alone
    // would reach a majority of 2.
    cluster.node_mut::<Node>(BYZANTIUM).vote = false;
    cluster.node_mut::<Node>(CYRENE).vote = false;
    let result = cluster.call(ALICE, ATHENS, Msg::Collect { required: None });
    assert_eq!(
        cluster.run(&result),
        Ok(Msg::Collected {
            succeeded: false,
            accepted: 1,
            replies: 3
        })
    );
}

#[test]
fn a_partition_at_send_and_delivery_loses_a_reply_already_in_flight() {
    let mut cluster = three_nodes_with(0, |b| {
        b.net(NetConfig {
            latency: (3, 3),
            partition_mode: PartitionMode::AtSendAndDelivery,
            ..NetConfig::default()
        })
    });
    let result = cluster.call_with_timeout(
        ALICE,
        ATHENS,
        Msg::PingVia {
            to: BYZANTIUM.into(),
            timeout: 20,
        },
        50,
    );
    cluster.tick_n(4); // the ping reaches byzantium at tick 6 at the earliest
    cluster.tick_n(3); // the pong is in flight towards athens
    cluster.partition(&[&[ATHENS, ALICE], &[BYZANTIUM]]);
    assert_eq!(
        cluster.run(&result),
        Ok(Msg::PingResult { ok: false }),
        "the pong in flight must be lost"
    );
}

#[test]
fn a_partition_at_send_lets_a_reply_already_in_flight_arrive() {
    let mut cluster = three_nodes_with(0, |b| {
        b.net(NetConfig {
            latency: (3, 3),
            ..NetConfig::default()
        })
    });
    let result = cluster.call_with_timeout(
        ALICE,
        ATHENS,
        Msg::PingVia {
            to: BYZANTIUM.into(),
            timeout: 20,
        },
        50,
    );
    cluster.tick_n(7);
    cluster.partition(&[&[ATHENS, ALICE], &[BYZANTIUM]]);
    assert_eq!(
        cluster.run(&result),
        Ok(Msg::PingResult { ok: true }),
        "a packet on the wire still arrives"
    );
}

#[test]
fn a_held_message_is_delivered_exactly_once_after_release() {
    let mut cluster = three_nodes(1);
    let rule = cluster.net().hold_kind("Ping", ATHENS, BYZANTIUM);
    let _ = cluster.call(
        ALICE,
        ATHENS,
        Msg::PingVia {
            to: BYZANTIUM.into(),
            timeout: 100,
        },
    );
    cluster.tick_n(30);
    assert_eq!(cluster.node::<Node>(BYZANTIUM).pings, 0, "held");
    cluster.net().release(rule);
    cluster.tick_n(30);
    assert_eq!(
        cluster.node::<Node>(BYZANTIUM).pings,
        1,
        "released exactly once"
    );
}

#[test]
fn drop_nth_drops_only_that_message_of_its_kind() {
    let mut cluster = three_nodes(1);
    cluster.net().drop_nth_kind("Ping", ATHENS, BYZANTIUM, 2);
    for _ in 0..3 {
        let r = cluster.call(
            ALICE,
            ATHENS,
            Msg::PingVia {
                to: BYZANTIUM.into(),
                timeout: 5,
            },
        );
        cluster.run(&r).expect("alice's call must complete");
    }
    assert_eq!(
        cluster.node::<Node>(BYZANTIUM).pings,
        2,
        "only the second ping is lost"
    );
}
