//! The "two-phase" server under faults: what a majority of accepts buys, and where it
//! still blocks.

mod support;
use naive_replication::client::{increment, new_value};
use naive_replication::{Config, Failure, Msg, TwoPhaseServer};
use support::*;

/// Regression for the original's silent failure path: a coordinator cut off from the
/// majority answers with an explicit, decodable failure as soon as its accept phase times
/// out, long before the client's own timeout. (The original said nothing, then sent an
/// empty payload the client could not decode.)
#[test]
fn step2_coordinator_timeout_reply_is_a_decodable_failure() {
    let mut cluster = two_phase(Config::default());
    cluster.partition(&[&[ATHENS, ALICE], &[BYZANTIUM, CYRENE, BOB]]);
    let start = cluster.now();
    let reply = cluster.call(ALICE, ATHENS, increment(KEY, 1));
    let answer = cluster.run(&reply);
    assert_eq!(
        answer,
        Ok(Msg::Failed {
            reason: Failure::AcceptQuorumLost {
                accepted: 1,
                required: 2
            }
        }),
        "the client must be told the accept phase reached only the coordinator"
    );
    let waited = cluster.now() - start;
    let phase_timeout = Config::default().phase_timeout_ticks;
    assert!(
        waited <= phase_timeout + 2,
        "the failure must come as soon as the coordinator's accept phase times out ({phase_timeout} ticks, plus alice's round trip), not after {waited} ticks"
    );
    assert_eq!(
        values::<TwoPhaseServer>(&cluster),
        [None, None, None],
        "an operation staged on a minority is applied nowhere"
    );
}

/// COMMITs from athens are dropped, then athens is cut off: the followers keep the
/// staged operation forever and never apply it. Nothing in this server finishes it.
#[test]
fn step2_two_phase_blocks_after_coordinator_loss() {
    let mut cluster = two_phase(Config::default());
    cluster
        .net()
        .drop_kind("Commit", ATHENS, [BYZANTIUM, CYRENE]);
    let reply = cluster.call(ALICE, ATHENS, increment(KEY, 10));
    assert_eq!(new_value(cluster.run(&reply)), Ok(10), "alice is told 10");
    cluster.isolate(ATHENS);
    cluster.tick_n(500);
    for id in [BYZANTIUM, CYRENE] {
        let node = cluster.node::<TwoPhaseServer>(id);
        assert_eq!(
            node.participant.staged.len(),
            1,
            "{id} must still hold the orphaned operation staged"
        );
        assert_eq!(
            node.participant.counters.get(KEY),
            None,
            "{id} never applies it"
        );
    }
}

/// Negative control (the original): ACCEPT to cyrene is lost, so cyrene ignores the
/// COMMIT (it carries only an id there) and diverges for good.
#[test]
fn step2_two_phase_commit_without_accept_is_ignored() {
    let mut cluster = two_phase(Config::original());
    cluster.net().drop_kind("Accept", ATHENS, CYRENE);
    let reply = cluster.call(ALICE, ATHENS, increment(KEY, 4));
    assert_eq!(new_value(cluster.run(&reply)), Ok(4));
    cluster.tick_n(50);
    assert_eq!(
        values::<TwoPhaseServer>(&cluster),
        [Some(4), Some(4), None],
        "the original's cyrene never applies a commit it did not stage"
    );
}

/// Regression for the ignored commit: the COMMIT carries the operation, so the server that
/// missed the ACCEPT applies it anyway (a majority staged it, so it is decided).
#[test]
fn step2_commit_applies_on_a_server_that_missed_the_accept() {
    let mut cluster = two_phase(Config::default());
    cluster.net().drop_kind("Accept", ATHENS, CYRENE);
    let reply = cluster.call(ALICE, ATHENS, increment(KEY, 4));
    assert_eq!(new_value(cluster.run(&reply)), Ok(4));
    await_values::<TwoPhaseServer>(&mut cluster, &SERVERS, 4, 5);
}

/// Every message is delivered twice, the client's request included. Each operation id
/// is applied once per server, but the duplicated request becomes a second operation:
/// de-duplicating client requests (an idempotency key per request) is left out of this
/// section, and this test shows what that costs.
#[test]
fn step2_duplicated_messages_apply_each_operation_once_but_a_duplicated_request_twice() {
    let mut cluster = two_phase(Config::default());
    cluster.net().set_duplicate(1.0);
    let reply = cluster.call(ALICE, ATHENS, increment(KEY, 4));
    assert_eq!(new_value(cluster.run(&reply)), Ok(4));
    cluster.tick_n(20);
    for id in SERVERS {
        let applied = &cluster.node::<TwoPhaseServer>(id).participant.applied;
        assert_eq!(
            applied.len(),
            2,
            "{id}: the duplicated request became a second operation"
        );
        assert!(
            applied.values().all(|times| *times == 1),
            "{id}: a duplicated ACCEPT or COMMIT must not apply an operation twice: {applied:?}"
        );
    }
    assert_eq!(
        values::<TwoPhaseServer>(&cluster),
        [Some(8); 3],
        "alice asked for +4 once and every replica added 8"
    );
}
