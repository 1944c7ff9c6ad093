//! Crash, restart and pause: what survives and what does not.

use crate::support::*;
use common::{CrashPolicy, NodeStatus, StoreConfig};

#[test]
fn a_restarted_node_recovers_what_it_synced() {
    let mut cluster = three_nodes(1);
    let stored = cluster.call(ALICE, ATHENS, Msg::Put { value: 42 });
    assert_eq!(cluster.run(&stored), Ok(Msg::Stored));
    cluster.crash(ATHENS);
    assert_eq!(cluster.status(ATHENS), NodeStatus::Down);
    cluster.restart(ATHENS);
    let node = cluster.node::<Node>(ATHENS);
    assert!(node.recovered, "on_start must see a new incarnation");
    assert_eq!(
        node.value,
        Some(42),
        "an acknowledged durable write must survive the crash"
    );
}

#[test]
fn a_crash_loses_a_write_that_was_acknowledged_before_it_was_durable() {
    let mut cluster = three_nodes_with(0, |b| {
        b.store(StoreConfig {
            delay: (5, 5),
            ..StoreConfig::default()
        })
    });
    let stored = cluster.call(ALICE, ATHENS, Msg::PutUnsafe { value: 7 });
    assert_eq!(
        cluster.run(&stored),
        Ok(Msg::Stored),
        "the unsafe server acknowledges at once"
    );
    cluster.crash(ATHENS);
    cluster.restart(ATHENS);
    assert_eq!(
        cluster.node::<Node>(ATHENS).value,
        None,
        "the acknowledged write was still queued: it is lost"
    );
}

#[test]
fn with_the_keep_prefix_policy_an_unsynced_write_survives_on_some_seeds_and_not_on_others() {
    let mut survived = 0;
    for seed in 0..40 {
        let mut cluster = common::Cluster::builder()
            .seed(seed)
            .servers([ATHENS])
            .store(StoreConfig {
                crash_policy: CrashPolicy::KeepPrefix,
                ..StoreConfig::default()
            })
            .build(|_, _| Node::new());
        cluster.act::<Node, _>(ATHENS, |_, ctx| {
            ctx.write(
                common::WriteBatch::new().put("k", b"v".to_vec()),
                common::Durability::Buffered,
                |_, _, _| {},
            );
        });
        cluster.tick();
        assert_eq!(cluster.store(ATHENS).get("k"), Some(&b"v"[..]));
        cluster.crash(ATHENS);
        survived += usize::from(cluster.store(ATHENS).get("k").is_some());
    }
    assert!(
        survived > 0 && survived < 40,
        "a one-write prefix is kept or lost by the seed, about half each; got {survived}/40 kept"
    );
}

#[test]
fn a_reply_addressed_to_a_crashed_incarnation_is_dropped() {
    let mut cluster = three_nodes(1);
    cluster.net().delay_kind("Pong", BYZANTIUM, ATHENS, 10);
    let _ = cluster.call(
        ALICE,
        ATHENS,
        Msg::PingVia {
            to: BYZANTIUM.into(),
            timeout: 100,
        },
    );
    cluster.tick_n(3);
    assert_eq!(
        cluster.node::<Node>(BYZANTIUM).pings,
        1,
        "the ping arrived; the pong is on its way"
    );
    cluster.restart(ATHENS);
    cluster.tick_n(15);
    assert_eq!(
        cluster.node::<Node>(ATHENS).ping_callbacks,
        0,
        "the new incarnation must not run the old one's callback"
    );
    assert!(
        cluster
            .trace()
            .render()
            .contains("DROP Pong #0.1 (no waiter (late or stale reply))"),
        "the stale reply must be traced:\n{}",
        cluster.trace().tail(10)
    );
}

#[test]
fn messages_to_a_crashed_node_are_dropped_until_it_restarts() {
    let mut cluster = three_nodes(1);
    cluster.crash(BYZANTIUM);
    let failed = cluster.call(
        ALICE,
        ATHENS,
        Msg::PingVia {
            to: BYZANTIUM.into(),
            timeout: 5,
        },
    );
    assert_eq!(cluster.run(&failed), Ok(Msg::PingResult { ok: false }));
    assert!(
        cluster
            .trace()
            .render()
            .contains("DROP Ping #0.1 (node down)"),
        "{}",
        cluster.trace().tail(10)
    );
    cluster.restart(BYZANTIUM);
    let ok = cluster.call(
        ALICE,
        ATHENS,
        Msg::PingVia {
            to: BYZANTIUM.into(),
            timeout: 5,
        },
    );
    assert_eq!(cluster.run(&ok), Ok(Msg::PingResult { ok: true }));
}

#[test]
fn a_paused_node_keeps_its_memory_and_handles_waiting_messages_on_resume() {
    let mut cluster = three_nodes(1);
    let stored = cluster.call(ALICE, ATHENS, Msg::Put { value: 5 });
    cluster.run(&stored).expect("stored");
    cluster.pause(ATHENS);
    let get = cluster.call(ALICE, ATHENS, Msg::Get);
    cluster.tick_n(10);
    assert!(get.is_pending(), "a paused node answers nothing");
    let ticks_before = cluster.node::<Node>(ATHENS).ticks;
    cluster.resume(ATHENS);
    assert_eq!(
        cluster.run(&get),
        Ok(Msg::Value { value: Some(5) }),
        "memory is kept across a pause"
    );
    assert!(cluster.node::<Node>(ATHENS).ticks > ticks_before);
}

#[test]
fn a_failed_storage_write_is_never_acknowledged() {
    let mut cluster = three_nodes(1);
    cluster.store_mut(ATHENS).fail_next(1);
    let stored = cluster.call_with_timeout(ALICE, ATHENS, Msg::Put { value: 9 }, 10);
    assert!(
        cluster.run(&stored).is_err(),
        "the server must not reply Stored when its write failed"
    );
    assert_eq!(cluster.store(ATHENS).get(VALUE_KEY), None);
    assert!(cluster.trace().render().contains("storage FAILED"));
}

/// Append `entries` to athens's log, one buffered batch each, then one synced batch.
fn append_then_sync(cluster: &mut common::Cluster<Msg>, buffered: u8) {
    cluster.act::<Node, _>(ATHENS, |_, ctx| {
        ctx.write(
            common::WriteBatch::new().append(vec![0]),
            common::Durability::Sync,
            |_, _, _| {},
        );
        for i in 1..=buffered {
            ctx.write(
                common::WriteBatch::new()
                    .put(format!("meta{i}"), vec![i])
                    .append(vec![i]),
                common::Durability::Buffered,
                |_, _, _| {},
            );
        }
    });
    cluster.tick();
}

#[test]
fn a_restarted_node_reloads_its_log_as_a_prefix_of_what_it_appended() {
    let mut lengths = std::collections::BTreeSet::new();
    for seed in 0..30 {
        let mut cluster = three_nodes_with(seed, |b| {
            b.store(StoreConfig {
                crash_policy: CrashPolicy::KeepPrefix,
                ..StoreConfig::default()
            })
        });
        append_then_sync(&mut cluster, 4);
        assert_eq!(
            cluster.store(ATHENS).log().last_index(),
            5,
            "all five appends completed"
        );
        cluster.crash(ATHENS);
        cluster.restart(ATHENS);
        let len = cluster.act::<Node, _>(ATHENS, |_, ctx| ctx.log().last_index());
        assert!(len >= 1, "seed {seed}: the synced first entry must survive");
        for i in 1..len {
            let entry = cluster.store(ATHENS).log().get(i + 1).map(<[u8]>::to_vec);
            assert_eq!(
                entry,
                Some(vec![i as u8]),
                "seed {seed}: entry {} is out of order",
                i + 1
            );
            assert!(
                cluster.store(ATHENS).get(format!("meta{i}")).is_some(),
                "seed {seed}: entry {} survived without the key written in its batch",
                i + 1
            );
        }
        lengths.insert(len);
    }
    assert!(
        lengths.len() >= 4,
        "a prefix of varying length should survive: {lengths:?}"
    );
}

#[test]
fn the_nemesis_torn_crash_discards_the_last_unsynced_write_and_says_so() {
    let mut cluster = three_nodes(2);
    append_then_sync(&mut cluster, 3);
    cluster.crash_with(ATHENS, CrashPolicy::TearLastWrite);
    let recovery = cluster
        .store(ATHENS)
        .last_recovery()
        .expect("athens crashed");
    assert_eq!(recovery.unsynced, 3);
    assert!(recovery.torn_discarded && recovery.kept < 3, "{recovery:?}");
    assert_eq!(
        cluster.store(ATHENS).log().last_index(),
        1 + recovery.kept as u64,
        "the log holds the synced entry and the kept prefix, not the torn write"
    );
    assert!(
        cluster
            .trace()
            .render()
            .contains("the next one torn and discarded"),
        "the crash is traced with what happened to the disk"
    );
    assert_eq!(
        cluster.store(ATHENS).config().crash_policy,
        CrashPolicy::LoseUnsynced,
        "a one-off torn crash leaves the node's own policy as it was"
    );
}
