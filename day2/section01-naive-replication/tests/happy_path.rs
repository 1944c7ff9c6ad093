//! Every server variant does its job when nothing goes wrong.

mod support;
use naive_replication::client::{get, increment, new_value, read_value};
use naive_replication::{Config, NaiveServer, SingleServer, ThreePhaseServer, TwoPhaseServer};
use support::*;

#[test]
fn single_server_applies_each_operation_and_answers_with_the_new_value() {
    let mut cluster = single();
    let first = cluster.call(ALICE, ATHENS, increment(KEY, 2));
    assert_eq!(
        new_value(cluster.run(&first)),
        Ok(2),
        "2 after adding 2 to nothing"
    );
    let second = cluster.call(ALICE, ATHENS, increment(KEY, 3));
    assert_eq!(
        new_value(cluster.run(&second)),
        Ok(5),
        "5 after adding 3 to 2"
    );
    let read = cluster.call(ALICE, ATHENS, get(KEY));
    assert_eq!(
        read_value(cluster.run(&read)),
        Ok(Some(5)),
        "a read sees both increments"
    );
    assert_eq!(cluster.node::<SingleServer>(ATHENS).counters.applied(), 2);
    assert_eq!(
        value::<SingleServer>(&cluster, ATHENS),
        Some(5),
        "the server shows its counters to the tests like every other server"
    );
}

/// Naive replication, the original's test: REPLICATE delayed on both follower links; the
/// client is told "2" while neither follower has the value.
#[test]
fn step1_client_sees_success_before_followers_apply_replication() {
    let mut cluster = naive();
    cluster
        .net()
        .delay_kind("Replicate", ATHENS, [BYZANTIUM, CYRENE], 5);
    let reply = cluster.call(ALICE, ATHENS, increment(KEY, 2));
    assert_eq!(
        new_value(cluster.run(&reply)),
        Ok(2),
        "the leader acknowledges at once"
    );
    assert_eq!(
        values::<NaiveServer>(&cluster),
        [Some(2), None, None],
        "acknowledged while no follower has the write"
    );
    // Lag, not loss: the delayed messages still arrive.
    await_values::<NaiveServer>(&mut cluster, &SERVERS, 2, 10);
}

/// "Two-phase", the original's test, with the payload and the followers asserted too.
#[test]
fn step2_client_sees_success_after_commit_executes_on_coordinator() {
    let mut cluster = two_phase(Config::default());
    let reply = cluster.call(ALICE, ATHENS, increment(KEY, 2));
    assert_eq!(
        new_value(cluster.run(&reply)),
        Ok(2),
        "the coordinator's new value"
    );
    assert_eq!(
        value::<TwoPhaseServer>(&cluster, ATHENS),
        Some(2),
        "the coordinator applied before answering"
    );
    await_values::<TwoPhaseServer>(&mut cluster, &SERVERS, 2, 5);
}

#[test]
fn step2_two_phase_answers_after_a_majority_accepted_which_takes_four_ticks() {
    let mut cluster = two_phase(Config::default());
    let start = cluster.now();
    let reply = cluster.call(ALICE, ATHENS, increment(KEY, 1));
    cluster.run(&reply).expect("the increment must succeed");
    assert_eq!(
        cluster.now() - start,
        4,
        "client -> coordinator -> accept round trip -> client is four ticks"
    );
}

#[test]
fn step3_three_phase_happy_path() {
    for style in STYLES {
        let mut cluster = three_phase(Config::default().with_style(style));
        let reply = cluster.call(ALICE, ATHENS, increment(KEY, 5));
        assert_eq!(
            new_value(cluster.run(&reply)),
            Ok(5),
            "{style:?}: the new value"
        );
        await_values::<ThreePhaseServer>(&mut cluster, &SERVERS, 5, 5);
        assert!(
            cluster
                .node::<ThreePhaseServer>(ATHENS)
                .participant
                .staged
                .is_empty(),
            "{style:?}: nothing may stay staged after a commit"
        );
    }
}

#[test]
fn step3_three_phase_multiple_operations() {
    for style in STYLES {
        let mut cluster = three_phase(Config::default().with_style(style));
        let first = cluster.call(ALICE, ATHENS, increment(KEY, 3));
        assert_eq!(
            new_value(cluster.run(&first)),
            Ok(3),
            "{style:?}: first increment"
        );
        let second = cluster.call(ALICE, ATHENS, increment(KEY, 7));
        assert_eq!(
            new_value(cluster.run(&second)),
            Ok(10),
            "{style:?}: second increment"
        );
        await_values::<ThreePhaseServer>(&mut cluster, &SERVERS, 10, 5);
        assert_eq!(
            cluster
                .node::<ThreePhaseServer>(ATHENS)
                .coordinations_in_flight(),
            0,
            "{style:?}: every coordination must be finished"
        );
    }
}

/// The state-machine coordinator keeps one entry per request it is working on, and drops
/// it when the request is answered; the callback coordinator keeps its state in closures
/// and its table stays empty.
#[test]
fn step3_the_state_machine_coordinator_holds_an_entry_while_a_request_is_in_flight() {
    for (style, while_in_flight) in [(STYLES[0], 0), (STYLES[1], 1)] {
        let mut cluster = three_phase(Config::default().with_style(style));
        let reply = cluster.call(ALICE, ATHENS, increment(KEY, 3));
        let mut seen = Vec::new();
        while reply.is_pending() {
            cluster.tick();
            seen.push(
                cluster
                    .node::<ThreePhaseServer>(ATHENS)
                    .coordinations_in_flight(),
            );
        }
        assert_eq!(
            new_value(reply.result().expect("answered")),
            Ok(3),
            "{style:?}: an increment of 3 on a fresh counter is answered 3"
        );
        assert!(
            seen.contains(&while_in_flight) && seen.iter().all(|n| *n <= while_in_flight),
            "{style:?}: {while_in_flight} coordination(s) while the request was in flight, \
             tick by tick: {seen:?}"
        );
        assert_eq!(
            seen.last(),
            Some(&0),
            "{style:?}: the entry is dropped once the client is answered"
        );
    }
}

/// Regression for the original's timing dependency: with slow COMMITs the second
/// request's query finds the first operation still staged; the original swallows the
/// request, the corrected server finishes the first operation (once) and runs the second.
#[test]
fn step3_next_request_is_not_swallowed_when_commits_are_slow() {
    for style in STYLES {
        let mut cluster = three_phase(Config::default().with_style(style));
        cluster
            .net()
            .delay_kind("Commit", ATHENS, [BYZANTIUM, CYRENE], 6);
        let first = cluster.call(ALICE, ATHENS, increment(KEY, 3));
        assert_eq!(
            new_value(cluster.run(&first)),
            Ok(3),
            "{style:?}: first increment"
        );
        let second = cluster.call(ALICE, ATHENS, increment(KEY, 7));
        assert_eq!(
            new_value(cluster.run(&second)),
            Ok(10),
            "{style:?}: the second request must be answered, and +3 counted once"
        );
        await_values::<ThreePhaseServer>(&mut cluster, &SERVERS, 10, 20);
        cluster.tick_n(20);
        assert_eq!(
            values::<ThreePhaseServer>(&cluster),
            [Some(10); 3],
            "{style:?}: the late original commits must not apply +3 again"
        );
    }
}

#[test]
fn step3_the_original_swallows_the_next_request_when_commits_are_slow_and_double_applies() {
    let mut cluster = three_phase(Config::original());
    cluster
        .net()
        .delay_kind("Commit", ATHENS, [BYZANTIUM, CYRENE], 6);
    let first = cluster.call(ALICE, ATHENS, increment(KEY, 3));
    assert_eq!(new_value(cluster.run(&first)), Ok(3));
    let second = cluster.call(ALICE, ATHENS, increment(KEY, 7));
    assert!(
        matches!(cluster.run(&second), Err(common::RpcError::Timeout { .. })),
        "the original drops the request that triggered a recovery: the client only times out"
    );
    assert_eq!(
        value::<ThreePhaseServer>(&cluster, ATHENS),
        Some(6),
        "the original re-stages +3 on the coordinator that already applied it, and applies it again"
    );
}
