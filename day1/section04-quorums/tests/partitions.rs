//! Partitions: a majority keeps working, a minority's failed write is not a no-op, and
//! reads that skip or race the quorum see the past.

mod support;

use common::check::{self};
use quorums::client::{Recorder, found_value, model};
use quorums::lab::{build_cluster, stored, wait_until_all_hold};
use quorums::{Config, GetOutcome, SetOutcome};
use support::*;

const MINORITY_CLIENT: &str = "minority-client";
const MAJORITY_CLIENT: &str = "majority-client";

/// Five nodes split {athens, byzantium} | {cyrene, delphi, sparta}: the minority's write
/// fails but stays on both minority replicas; the majority's later write wins after
/// the heal because it is newer.
#[test]
fn step2_split_brain_prevented_majority_value_wins_after_heal() {
    let mut cluster = five(Config::default());
    let recorder = Recorder::new();
    cluster.add_client(MINORITY_CLIENT);
    cluster.add_client(MAJORITY_CLIENT);
    assert_eq!(
        recorder.set_and_wait(&mut cluster, MAJORITY_CLIENT, CYRENE, "title", "initial"),
        SetOutcome::Ok
    );
    wait_until_all_hold(&mut cluster, "title", "initial", SETTLE_TICKS)
        .expect("the initial write must reach all five");

    cluster.partition(&[&[ATHENS, BYZANTIUM], &[CYRENE, DELPHI, SPARTA]]);
    let minority =
        recorder.set_and_wait(&mut cluster, MINORITY_CLIENT, ATHENS, "title", "minority");
    assert_eq!(
        minority,
        SetOutcome::QuorumNotReached {
            acks: 2,
            required: 3
        },
        "two of five replicas are not a majority"
    );
    for node in [ATHENS, BYZANTIUM] {
        assert_eq!(
            stored(&cluster, node, "title").as_deref(),
            Some("minority"),
            "a failed write is not undone: {node} keeps it"
        );
    }
    let majority =
        recorder.set_and_wait(&mut cluster, MAJORITY_CLIENT, CYRENE, "title", "majority");
    assert_eq!(
        majority,
        SetOutcome::Ok,
        "three of five replicas are a majority"
    );
    cluster.tick_n(SETTLE_TICKS);
    for node in [CYRENE, DELPHI, SPARTA] {
        assert_eq!(
            stored(&cluster, node, "title").as_deref(),
            Some("majority"),
            "{node} is in the majority"
        );
    }

    cluster.heal_all();
    let read = recorder.get_and_wait(&mut cluster, MAJORITY_CLIENT, CYRENE, "title");
    assert_eq!(
        found_value(&read),
        Some("majority"),
        "the majority's write is newer than the failed minority write, so it must win: {read:?}"
    );
    assert_linearizable(&recorder);
}

/// A client that reads one replica's local state skips the quorum: athens, cut off
/// from the majority, still says v0 after v1 was acknowledged. Each client's own view
/// is consistent, so the history is sequentially consistent but not linearizable.
#[test]
fn step1_local_stale_read_breaks_linearizability_not_sc() {
    let mut cluster = five(Config::default());
    cluster.add_client("client1");
    let recorder = Recorder::new();
    assert_eq!(
        recorder.set_and_wait(&mut cluster, "client1", CYRENE, "title", "v0"),
        SetOutcome::Ok
    );
    wait_until_all_hold(&mut cluster, "title", "v0", SETTLE_TICKS).expect("v0 must reach all five");
    cluster.partition(&[&[CYRENE, DELPHI, SPARTA], &[ATHENS, BYZANTIUM]]);
    assert_eq!(
        recorder.set_and_wait(&mut cluster, "client1", CYRENE, "title", "v1"),
        SetOutcome::Ok
    );
    let local = recorder.local_read(&cluster, "client2", ATHENS, "title");
    assert_eq!(
        local.as_deref(),
        Some("v0"),
        "athens missed v1 behind the partition"
    );

    let history = recorder.history();
    assert_eq!(
        history.to_text(),
        "0 t0 client1 invoke write [\"title\" \"v0\"]\n\
         1 t4 client1 ok write [\"title\" \"v0\"]\n\
         2 t4 client1 invoke write [\"title\" \"v1\"]\n\
         3 t8 client1 ok write [\"title\" \"v1\"]\n\
         4 t8 client2 invoke read [\"title\" nil]\n\
         5 t8 client2 ok read [\"title\" \"v0\"]\n",
        "the recorded history"
    );
    let linearizable = check::linearizable(&model(), &history);
    assert!(
        linearizable.is_violation(),
        "v0 read after v1 was acknowledged cannot be linearizable: {linearizable}"
    );
    let sequential = check::sequential(&model(), &history);
    assert!(
        sequential.is_ok(),
        "client2 may be ordered before v1: {sequential}"
    );
}

/// DDIA's figure of a quorum race (Kleppmann, ch. 9): the write of x=1 reaches athens
/// but is slow to reach byzantium and cyrene. Alice reads through byzantium with athens
/// in her quorum and sees 1; bob reads later through byzantium with cyrene in his quorum
/// and sees 0. Each read was a correct quorum read, yet the new value was seen and then
/// unseen: not linearizable. (Nobody's own view goes back, so it is sequentially
/// consistent.) The delayed writes were already in flight, so they land across the
/// later partition.
#[test]
fn step2_ddia_link_delay_race_alice_new_then_bob_old() {
    let config = Config {
        coordinator_timeout_ticks: 30,
        client_timeout_ticks: 40,
        ..Config::default()
    };
    let mut cluster =
        build_cluster(&[ATHENS, BYZANTIUM, CYRENE], config, 0).expect("valid configuration");
    for client in ["writer", ALICE, BOB] {
        cluster.add_client(client);
    }
    let recorder = Recorder::new();
    assert_eq!(
        recorder.set_and_wait(&mut cluster, "writer", ATHENS, "x", "0"),
        SetOutcome::Ok
    );
    wait_until_all_hold(&mut cluster, "x", "0", SETTLE_TICKS)
        .expect("x=0 must reach every replica");

    let slow = cluster
        .net()
        .delay_kind("InternalSet", ATHENS, [BYZANTIUM, CYRENE], 12);
    let write = recorder.set(&mut cluster, "writer", ATHENS, "x", "1");
    cluster
        .tick_until_within(SETTLE_TICKS, |c| {
            stored(c, ATHENS, "x").as_deref() == Some("1")
        })
        .expect("athens stores x=1 at once: its own write is not delayed");
    assert_eq!(stored(&cluster, BYZANTIUM, "x").as_deref(), Some("0"));
    assert_eq!(stored(&cluster, CYRENE, "x").as_deref(), Some("0"));
    cluster.net().release(slow);

    cluster.partition(&[&[BYZANTIUM], &[CYRENE]]);
    let alice = recorder.get_and_wait(&mut cluster, ALICE, BYZANTIUM, "x");
    assert_eq!(
        found_value(&alice),
        Some("1"),
        "alice's quorum {{byzantium, athens}} includes athens"
    );
    cluster.heal_all();
    cluster.partition(&[&[BYZANTIUM], &[ATHENS]]);
    let bob = recorder.get_and_wait(&mut cluster, BOB, BYZANTIUM, "x");
    assert_eq!(
        found_value(&bob),
        Some("0"),
        "bob's quorum {{byzantium, cyrene}} has not seen x=1 yet"
    );
    assert!(
        write.is_pending(),
        "the writer is still waiting for its acknowledgements"
    );

    assert_eq!(
        cluster.run(&write),
        Ok(SetOutcome::Ok),
        "athens and cyrene acknowledge x=1 in the end"
    );
    wait_until_all_hold(&mut cluster, "x", "1", SETTLE_TICKS)
        .expect("the delayed writes were in flight before the partition, so they land anyway");

    let history = recorder.history();
    assert_eq!(
        history.to_text(),
        "0 t0 writer invoke write [\"x\" \"0\"]\n\
         1 t4 writer ok write [\"x\" \"0\"]\n\
         2 t4 writer invoke write [\"x\" \"1\"]\n\
         3 t6 alice invoke read [\"x\" nil]\n\
         4 t10 alice ok read [\"x\" \"1\"]\n\
         5 t10 bob invoke read [\"x\" nil]\n\
         6 t14 bob ok read [\"x\" \"0\"]\n\
         7 t20 writer ok write [\"x\" \"1\"]\n",
        "the recorded history: the writer's ok comes last, after both reads"
    );
    let linearizable = check::linearizable(&model(), &history);
    assert!(
        linearizable.is_violation(),
        "bob read 0 after alice read 1: {linearizable}"
    );
    let sequential = check::sequential(&model(), &history);
    assert!(
        sequential.is_ok(),
        "alice and bob each see a consistent order: {sequential}"
    );
}

/// With R = W = 1 of 3, a write acknowledged by athens alone and a read answered by
/// cyrene alone need not meet: cyrene, cut off, answers with the old value. The same
/// situation with majority quorums makes the read fail instead of lying.
#[test]
fn step2_stale_read_when_read_and_write_quorums_do_not_intersect() {
    let one = Config {
        read_quorum: Some(1),
        write_quorum: Some(1),
        ..Config::default()
    };
    assert!(!one.quorums_intersect(3), "R + W = 2 <= N = 3");
    for (config, expect_stale) in [(one, true), (Config::default(), false)] {
        let mut cluster = three(config.clone());
        cluster.add_client(BOB);
        let recorder = Recorder::new();
        assert_eq!(
            recorder.set_and_wait(&mut cluster, ALICE, ATHENS, "title", "v0"),
            SetOutcome::Ok
        );
        wait_until_all_hold(&mut cluster, "title", "v0", SETTLE_TICKS)
            .expect("v0 must reach every replica");
        cluster.partition(&[&[CYRENE], &[ATHENS, BYZANTIUM]]);
        assert_eq!(
            recorder.set_and_wait(&mut cluster, ALICE, ATHENS, "title", "v1"),
            SetOutcome::Ok
        );
        let read = recorder.get_and_wait(&mut cluster, BOB, CYRENE, "title");
        let verdict = check::linearizable(&model(), &recorder.history());
        if expect_stale {
            assert_eq!(
                found_value(&read),
                Some("v0"),
                "R = 1 lets cyrene answer alone, with the old value"
            );
            assert!(
                verdict.is_violation(),
                "a stale read after an acknowledged write: {verdict}"
            );
        } else {
            assert!(
                matches!(read, GetOutcome::QuorumNotReached { .. }),
                "with R = 2 cyrene cannot answer alone, got {read:?}"
            );
            assert!(
                verdict.is_ok(),
                "a failed read tells nothing false: {verdict}"
            );
        }
    }
}
