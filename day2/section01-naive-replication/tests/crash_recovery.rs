//! Real crashes: a crashed server loses its memory, and nothing in this section is
//! persisted. The three-phase query still rescues an orphan, because the survivors hold
//! it; a restarted server, though, comes back empty.

mod support;
use naive_replication::client::{get, increment, new_value, read_value};
use naive_replication::{Config, SingleServer, ThreePhaseServer};
use support::*;

/// Athens staged +10 on a majority, applied it, and crashed before its COMMITs left:
/// the survivors find the orphan with their query and finish it.
#[test]
fn step3_survivors_finish_the_orphan_of_a_crashed_coordinator() {
    for style in STYLES {
        let mut cluster = three_phase(Config::default().with_style(style));
        cluster
            .net()
            .drop_kind("Commit", ATHENS, [BYZANTIUM, CYRENE]);
        let reply = cluster.call(ALICE, ATHENS, increment(KEY, 10));
        assert_eq!(
            new_value(cluster.run(&reply)),
            Ok(10),
            "{style:?}: alice is told 10"
        );
        cluster.crash(ATHENS);
        cluster.net().clear_rules();
        let reply = cluster.call(BOB, BYZANTIUM, increment(KEY, 20));
        assert_eq!(
            new_value(cluster.run(&reply)),
            Ok(30),
            "{style:?}: the acknowledged +10 survives the coordinator's crash"
        );
        await_values::<ThreePhaseServer>(&mut cluster, &[BYZANTIUM, CYRENE], 30, 5);
    }
}

/// Nothing is persisted here: a restarted server has no counters and no staged
/// operations, and its local reads are wrong until something overwrites them. Durable
/// state is the subject of the write-ahead log section and of generation voting.
#[test]
fn step3_restarted_server_remembers_nothing_in_this_section() {
    let mut cluster = three_phase(Config::default());
    let reply = cluster.call(ALICE, ATHENS, increment(KEY, 10));
    assert_eq!(new_value(cluster.run(&reply)), Ok(10));
    await_values::<ThreePhaseServer>(&mut cluster, &SERVERS, 10, 5);
    cluster.crash(CYRENE);
    cluster.restart(CYRENE);
    let read = cluster.call(BOB, CYRENE, get(KEY));
    assert_eq!(
        read_value(cluster.run(&read)),
        Ok(None),
        "the restarted cyrene lost the committed +10"
    );
    // The next operation still succeeds (a majority is up) and cyrene applies only it.
    let reply = cluster.call(ALICE, ATHENS, increment(KEY, 1));
    assert_eq!(new_value(cluster.run(&reply)), Ok(11));
    await_values::<ThreePhaseServer>(&mut cluster, &[CYRENE], 1, 5);
}

/// The coordinator crashes before anything reached a majority: the client times out, and
/// its outcome stays unknown (here: it was never applied anywhere).
#[test]
fn step3_coordinator_crash_before_the_accept_quorum_leaves_the_client_with_a_timeout() {
    let mut cluster = three_phase(Config::default());
    let reply = cluster.call(ALICE, ATHENS, increment(KEY, 10));
    cluster.tick_n(2); // the query is out; athens has not proposed yet
    cluster.crash(ATHENS);
    assert!(
        matches!(cluster.run(&reply), Err(common::RpcError::Timeout { .. })),
        "nobody is left to answer alice"
    );
    cluster.restart(ATHENS);
    cluster.tick_n(10);
    assert_eq!(
        [BYZANTIUM, CYRENE].map(|id| value::<ThreePhaseServer>(&cluster, id)),
        [None, None],
        "an operation that was never proposed is applied nowhere"
    );
}

/// The starting point's flaw: one server, nothing persisted. A crash and restart erase an
/// acknowledged increment, and while it is down nobody can answer at all.
#[test]
fn single_server_loses_everything_on_crash() {
    let mut cluster = single();
    let reply = cluster.call(ALICE, ATHENS, increment(KEY, 5));
    assert_eq!(new_value(cluster.run(&reply)), Ok(5), "alice is told 5");
    cluster.crash(ATHENS);
    let while_down = cluster.call(ALICE, ATHENS, get(KEY));
    assert!(
        matches!(
            cluster.run(&while_down),
            Err(common::RpcError::Timeout { .. })
        ),
        "a crashed single server cannot answer"
    );
    cluster.restart(ATHENS);
    assert_eq!(
        cluster.node::<SingleServer>(ATHENS).counters.get(KEY),
        None,
        "the restarted server has lost the acknowledged increment"
    );
}
