//! The basic quorum scenarios: writes reach a majority, reads overlap every write quorum.

mod support;

use common::Cluster;
use common::echo::{EchoMsg, EchoServer};
use quorums::client::{Recorder, found_value};
use quorums::lab::{stored, wait_until_all_hold};
use quorums::{Config, GetOutcome, Msg, Replica, SetOutcome, Version, VersionedValue};
use support::*;

#[test]
fn step1_quorum_write_succeeds_and_reaches_all() {
    let mut cluster = three(Config::default());
    let recorder = Recorder::new();
    let outcome = recorder.set_and_wait(&mut cluster, ALICE, ATHENS, "title", "Microservices");
    assert_eq!(
        outcome,
        SetOutcome::Ok,
        "a write on a healthy cluster must succeed"
    );
    wait_until_all_hold(&mut cluster, "title", "Microservices", SETTLE_TICKS)
        .expect("every replica must eventually store a write sent to all of them");
    assert_linearizable(&recorder);
}

/// cyrene misses the write; later the read quorum {athens, cyrene} still meets the
/// write quorum {athens, byzantium} in athens, which holds the value.
#[test]
fn step2_quorum_read_overlaps_write_quorum() {
    let mut cluster = three(Config::default());
    let recorder = Recorder::new();
    cluster.partition(&[&[CYRENE], &[ATHENS, BYZANTIUM]]);
    let written =
        recorder.set_and_wait(&mut cluster, ALICE, ATHENS, "title", "Distributed Systems");
    assert_eq!(
        written,
        SetOutcome::Ok,
        "athens and byzantium are a majority"
    );
    cluster.heal_all();
    cluster.partition(&[&[BYZANTIUM], &[ATHENS, CYRENE]]);
    assert_eq!(
        stored(&cluster, CYRENE, "title"),
        None,
        "cyrene must have missed the write"
    );

    let read = recorder.get_and_wait(&mut cluster, ALICE, ATHENS, "title");
    assert_eq!(
        found_value(&read),
        Some("Distributed Systems"),
        "the read quorum must meet the write quorum in athens, got {read:?}"
    );
    assert_linearizable(&recorder);
}

#[test]
fn step2_sequential_reads_follow_shifting_quorums() {
    let mut cluster = three(Config::default());
    let recorder = Recorder::new();
    cluster.partition(&[&[CYRENE], &[ATHENS, BYZANTIUM]]);
    assert_eq!(
        recorder.set_and_wait(&mut cluster, ALICE, ATHENS, "title", "v1"),
        SetOutcome::Ok
    );
    cluster.heal_all();
    cluster.partition(&[&[BYZANTIUM], &[ATHENS, CYRENE]]);
    let first = recorder.get_and_wait(&mut cluster, ALICE, ATHENS, "title");
    assert_eq!(
        found_value(&first),
        Some("v1"),
        "read through {{athens, cyrene}} must see v1"
    );

    assert_eq!(
        recorder.set_and_wait(&mut cluster, ALICE, ATHENS, "title", "v2"),
        SetOutcome::Ok
    );
    cluster.heal_all();
    cluster.partition(&[&[CYRENE], &[ATHENS, BYZANTIUM]]);
    assert_eq!(
        stored(&cluster, BYZANTIUM, "title").as_deref(),
        Some("v1"),
        "byzantium must still hold v1"
    );
    let second = recorder.get_and_wait(&mut cluster, ALICE, ATHENS, "title");
    assert_eq!(
        found_value(&second),
        Some("v2"),
        "read through {{athens, byzantium}} must pick athens's newer v2 over byzantium's v1"
    );
    assert_linearizable(&recorder);
}

#[test]
fn step1_incomplete_write_leaves_minority_stale() {
    let mut cluster = three(Config::default());
    let recorder = Recorder::new();
    assert_eq!(
        recorder.set_and_wait(&mut cluster, ALICE, ATHENS, "title", "v1"),
        SetOutcome::Ok
    );
    wait_until_all_hold(&mut cluster, "title", "v1", SETTLE_TICKS)
        .expect("v1 must reach every replica");
    cluster.partition(&[&[CYRENE], &[ATHENS, BYZANTIUM]]);
    assert_eq!(
        recorder.set_and_wait(&mut cluster, ALICE, ATHENS, "title", "v2"),
        SetOutcome::Ok
    );
    cluster.tick_n(SETTLE_TICKS);
    assert_eq!(stored(&cluster, ATHENS, "title").as_deref(), Some("v2"));
    assert_eq!(stored(&cluster, BYZANTIUM, "title").as_deref(), Some("v2"));
    assert_eq!(
        stored(&cluster, CYRENE, "title").as_deref(),
        Some("v1"),
        "nothing brings a cut-off replica up to date without read repair"
    );
    assert_linearizable(&recorder);
}

/// The original's client saw a timeout here, because coordinator and client waited
/// equally long. The coordinator now gives up first and says so.
#[test]
fn step1_write_fails_without_majority() {
    let mut cluster = three(Config::default());
    let recorder = Recorder::new();
    cluster.partition(&[&[ATHENS], &[BYZANTIUM, CYRENE]]);
    let started = cluster.now();
    let outcome = recorder.set_and_wait(&mut cluster, ALICE, ATHENS, "title", "Microservices");
    assert_eq!(
        outcome,
        SetOutcome::QuorumNotReached {
            acks: 1,
            required: 2
        },
        "only athens acknowledged: the coordinator must report the missing quorum"
    );
    let config = Config::default();
    let waited = cluster.now() - started;
    assert!(
        waited <= config.coordinator_timeout_ticks + 2,
        "the coordinator must answer as soon as its own timeout ({} ticks) ends, plus alice's round trip, not after {waited} ticks",
        config.coordinator_timeout_ticks
    );
    assert_linearizable(&recorder);
}

/// Regression for the original's equal client and replica timeouts: the client always
/// timed out first, so a failed write never reached it as a definite answer.
#[test]
fn coordinator_times_out_before_client_so_failures_are_definite() {
    let config = Config::default();
    assert!(config.coordinator_timeout_ticks < config.client_timeout_ticks);
    let mut cluster = three(config);
    let recorder = Recorder::new();
    cluster.partition(&[&[ATHENS], &[BYZANTIUM, CYRENE]]);
    let read = recorder.get_and_wait(&mut cluster, ALICE, ATHENS, "title");
    assert_eq!(
        read,
        GetOutcome::QuorumNotReached {
            answers: 1,
            required: 2
        },
        "a read without a quorum must say so, not time out and not claim the key is missing"
    );
    assert_linearizable(&recorder);
}

/// Every replica runs with the configuration the cluster was built with, and reports it:
/// what a test or a lab reads back is what the protocol uses.
#[test]
fn every_replica_reports_the_configuration_it_runs_with() {
    let config = Config {
        read_quorum: Some(1),
        write_quorum: Some(3),
        ..Config::with_read_repair(quorums::ReadRepair::Sync)
    };
    let cluster = three(config.clone());
    for id in [ATHENS, BYZANTIUM, CYRENE] {
        assert_eq!(
            cluster.node::<quorums::Replica>(id).config(),
            &config,
            "{id} must run with the cluster's configuration"
        );
    }
}

/// Two writes reach athens in the same tick, so its clock reads the same millisecond for
/// both: athens still stamps them with distinct versions, the second above the first, and
/// each replica lists what it holds, key by key, with those versions.
#[test]
fn step1_writes_stamped_in_the_same_millisecond_get_distinct_increasing_versions() {
    let mut cluster = three(Config::default());
    cluster.add_client(BOB);
    let held: Vec<_> = [ALICE, BOB]
        .into_iter()
        .map(|client| cluster.net().hold(client, ATHENS))
        .collect();
    let first = quorums::client::set(&mut cluster, ALICE, ATHENS, "a", "1");
    let second = quorums::client::set(&mut cluster, BOB, ATHENS, "b", "2");
    cluster.tick_n(2);
    for rule in held {
        cluster.net().release(rule);
    }
    for (promise, who) in [(&first, ALICE), (&second, BOB)] {
        assert_eq!(
            cluster.run(promise),
            Ok(SetOutcome::Ok),
            "{who}'s write must succeed"
        );
    }
    cluster.tick_n(SETTLE_TICKS);
    for id in [ATHENS, BYZANTIUM, CYRENE] {
        let entries = cluster.node::<Replica>(id).entries();
        let keys: Vec<&str> = entries.keys().map(String::as_str).collect();
        assert_eq!(keys, ["a", "b"], "{id} must list both keys, in key order");
        let versions: Vec<&Version> = entries.values().map(|v| &v.version).collect();
        assert!(
            versions.iter().all(|v| v.node.as_str() == ATHENS),
            "athens stamped both writes: {versions:?}"
        );
        assert_ne!(
            versions[0].timestamp, versions[1].timestamp,
            "{id}: two writes stamped by one coordinator must never share a version"
        );
    }
}

/// A replica keeps a write only if it is newer than what it holds, and counts both
/// outcomes: applied for a newer version, ignored for an older one.
#[test]
fn step1_a_replica_applies_a_newer_version_ignores_an_older_one_and_counts_both() {
    let mut cluster = three(Config::default());
    let write = |timestamp: u64, value: &str| Msg::InternalSet {
        key: "title".into(),
        value: VersionedValue {
            value: value.into(),
            version: Version {
                timestamp,
                node: BYZANTIUM.into(),
            },
        },
    };
    for (timestamp, value, applied) in [(5, "new", true), (3, "old", false), (7, "newer", true)] {
        let reply = cluster.call(ALICE, CYRENE, write(timestamp, value));
        assert_eq!(
            cluster.run(&reply),
            Ok(Msg::InternalSetReply {
                key: "title".into(),
                applied
            }),
            "version {timestamp}"
        );
    }
    let cyrene = cluster.node::<Replica>(CYRENE);
    assert_eq!(cyrene.local_value("title"), Some("newer"));
    assert_eq!(
        (cyrene.stats().applied, cyrene.stats().ignored),
        (2, 1),
        "two writes applied, the older one ignored"
    );
}

/// Regression for the original's GET that answered "not found" when the quorum failed.
#[test]
fn step2_failed_read_is_not_reported_as_not_found() {
    let mut cluster = three(Config::default());
    let recorder = Recorder::new();
    assert_eq!(
        recorder.set_and_wait(&mut cluster, ALICE, ATHENS, "title", "v1"),
        SetOutcome::Ok
    );
    cluster.partition(&[&[ATHENS], &[BYZANTIUM, CYRENE]]);
    let read = recorder.get_and_wait(&mut cluster, ALICE, ATHENS, "title");
    assert!(
        matches!(read, GetOutcome::QuorumNotReached { .. }),
        "a read that could not reach R replicas must not look like a missing key, got {read:?}"
    );
    let missing = {
        cluster.heal_all();
        recorder.get_and_wait(&mut cluster, ALICE, ATHENS, "no-such-key")
    };
    assert_eq!(
        missing,
        GetOutcome::NotFound,
        "a key nobody holds is NotFound"
    );
    assert_linearizable(&recorder);
}

/// The echo protocol is the simulator's smoke test: a request to one of three servers
/// comes back with the same text in four ticks or fewer (one round trip is two).
#[test]
fn echo_roundtrip() {
    let mut cluster = Cluster::builder()
        .seed(0)
        .servers(["process-1", "process-2", "process-3"])
        .request_timeout(10)
        .build(|_id, _peers| EchoServer::new(5));
    cluster.add_client("client-1");
    let reply = cluster.call(
        "client-1",
        "process-1",
        EchoMsg::Echo {
            text: "hello".into(),
        },
    );
    let answer = cluster.run(&reply);
    assert_eq!(
        answer,
        Ok(EchoMsg::EchoReply {
            text: "hello".into(),
            by: "process-1".into()
        }),
        "the echo server must send the same text back"
    );
    assert_eq!(
        cluster.now(),
        2,
        "a request and its reply take one tick each"
    );
}
