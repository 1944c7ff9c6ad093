//! The cluster's tick order and latency model.

use crate::support::*;

#[test]
fn a_request_response_round_trip_costs_two_ticks() {
    let mut cluster = three_nodes(1);
    let start = cluster.now();
    let reply = cluster.call(ALICE, ATHENS, Msg::Get);
    cluster.tick();
    assert!(
        reply.is_pending(),
        "the request arrives at tick +1, the reply cannot be back yet"
    );
    cluster.tick();
    assert_eq!(
        reply.value(),
        Some(Msg::Value { value: None }),
        "request at +1, reply at +2"
    );
    assert_eq!(cluster.now(), start + 2);
}

#[test]
fn a_client_to_coordinator_to_quorum_to_client_call_costs_four_ticks() {
    let mut cluster = three_nodes(1);
    let reply = cluster.call(ALICE, ATHENS, Msg::Collect { required: None });
    cluster.tick_n(3);
    assert!(
        reply.is_pending(),
        "client->coordinator, coordinator->replicas, replicas->coordinator take 3 ticks"
    );
    cluster.tick();
    assert_eq!(
        reply.value(),
        Some(Msg::Collected {
            succeeded: true,
            accepted: 2,
            replies: 2
        })
    );
}

#[test]
fn a_self_message_is_delivered_next_tick_and_never_reenters_the_handler() {
    let mut cluster = three_nodes(1);
    cluster.act::<Node, _>(ATHENS, |_, ctx| ctx.send(ATHENS, Msg::Loop { n: 3 }));
    cluster.tick();
    assert_eq!(
        cluster.node::<Node>(ATHENS).loops_seen,
        vec![3],
        "one hop per tick on the loopback lane"
    );
    cluster.tick_n(3);
    assert_eq!(cluster.node::<Node>(ATHENS).loops_seen, vec![3, 2, 1, 0]);
}

#[test]
fn on_tick_runs_once_per_tick_for_every_live_node() {
    let mut cluster = three_nodes(1);
    cluster.tick_n(10);
    cluster.crash(CYRENE);
    cluster.tick_n(5);
    assert_eq!(cluster.node::<Node>(ATHENS).ticks, 15);
    assert!(
        cluster.try_node::<Node>(CYRENE).is_none(),
        "a crashed node has no memory to inspect"
    );
}

#[test]
fn reading_a_node_has_no_effect_on_the_run() {
    let mut cluster = three_nodes(1);
    let _ = cluster.call(ALICE, ATHENS, Msg::Put { value: 1 });
    cluster.tick_n(3);
    let before = (cluster.now(), cluster.trace_hash());
    let _ = cluster.node::<Node>(ATHENS).value;
    let _ = cluster.store(ATHENS).get(VALUE_KEY);
    let _ = cluster.report();
    assert_eq!(
        (cluster.now(), cluster.trace_hash()),
        before,
        "inspection must not tick or trace (tickloom's getStorageValue did)"
    );
}

#[test]
fn a_waiting_list_answers_when_the_event_happens_or_the_deadline_passes() {
    let mut cluster = three_nodes(1);
    let released = cluster.call(ALICE, ATHENS, Msg::Wait { key: 7 });
    let expired = cluster.call(ALICE, ATHENS, Msg::Wait { key: 8 });
    cluster.tick_n(2);
    let _ = cluster.call(ALICE, ATHENS, Msg::Release { key: 7 });
    assert_eq!(cluster.run(&released), Ok(Msg::Released));
    assert_eq!(
        cluster.run(&expired),
        Ok(Msg::TimedOut),
        "the waiter for key 8 must be answered at its deadline"
    );
}
