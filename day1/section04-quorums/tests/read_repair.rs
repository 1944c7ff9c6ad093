//! Read repair: a read that finds stale replicas brings them up to date, only them, and
//! in sync mode answers only once a majority holds what it returns.

mod support;

use common::Cluster;
use common::check;
use common::trace::TraceKind;
use quorums::client::{Recorder, found_value, model};
use quorums::lab::{build_cluster, stored, wait_until_all_hold};
use quorums::{Config, GetOutcome, Msg, ReadRepair, Replica, SetOutcome};
use support::*;

fn holders(cluster: &Cluster<Msg>, key: &str, value: &str) -> usize {
    cluster
        .servers()
        .iter()
        .filter(|id| stored(cluster, id.as_str(), key).as_deref() == Some(value))
        .count()
}

fn repair_messages(cluster: &Cluster<Msg>) -> u64 {
    cluster
        .servers()
        .iter()
        .map(|id| cluster.node::<Replica>(id.as_str()).stats().repair_messages)
        .sum()
}

/// Writes `old` everywhere, then `new` with cyrene cut off, then heals: cyrene is stale.
fn stale_cyrene(
    recorder: &Recorder,
    mode: ReadRepair,
    key: &str,
    old: &str,
    new: &str,
) -> Cluster<Msg> {
    let mut cluster = three(Config::with_read_repair(mode));
    assert_eq!(
        recorder.set_and_wait(&mut cluster, ALICE, ATHENS, key, old),
        SetOutcome::Ok
    );
    wait_until_all_hold(&mut cluster, key, old, SETTLE_TICKS)
        .expect("the old value must reach every replica");
    cluster.partition(&[&[CYRENE], &[ATHENS, BYZANTIUM]]);
    assert_eq!(
        recorder.set_and_wait(&mut cluster, ALICE, ATHENS, key, new),
        SetOutcome::Ok
    );
    cluster.tick_n(SETTLE_TICKS);
    assert_eq!(stored(&cluster, ATHENS, key).as_deref(), Some(new));
    assert_eq!(stored(&cluster, BYZANTIUM, key).as_deref(), Some(new));
    assert_eq!(
        stored(&cluster, CYRENE, key).as_deref(),
        Some(old),
        "cyrene missed the new value"
    );
    cluster.heal_all();
    cluster
}

/// When the read returns, a majority holds the value (that is all sync repair promises);
/// cyrene, whose stale answer came after the quorum, is repaired from its late answer.
#[test]
fn step2_sync_read_repair_updates_stale_replica() {
    let recorder = Recorder::new();
    let mut cluster = stale_cyrene(&recorder, ReadRepair::Sync, "title", "v_old", "v_new");
    let read = recorder.get_and_wait(&mut cluster, ALICE, ATHENS, "title");
    assert_eq!(
        found_value(&read),
        Some("v_new"),
        "the read must return the newest version"
    );
    assert!(
        holders(&cluster, "title", "v_new") >= 2,
        "sync repair answers only once a majority holds the value"
    );
    wait_until_all_hold(&mut cluster, "title", "v_new", SETTLE_TICKS)
        .expect("cyrene must be repaired");
    assert_linearizable(&recorder);
}

#[test]
fn step2_async_read_repair_eventually_updates_stale_replica() {
    let recorder = Recorder::new();
    let mut cluster = stale_cyrene(&recorder, ReadRepair::Async, "config:version", "1.0", "2.0");
    let read = recorder.get_and_wait(&mut cluster, ALICE, ATHENS, "config:version");
    assert_eq!(found_value(&read), Some("2.0"));
    wait_until_all_hold(&mut cluster, "config:version", "2.0", SETTLE_TICKS)
        .expect("async repair must reach cyrene");
    assert_linearizable(&recorder);
}

/// Athens coordinates a read while its question to byzantium is held, so the first R
/// answers are its own (new) and cyrene's (stale): no late stale answer is left to
/// trigger a repair. The read returns the newest version, and the asynchronous repair
/// it sends with the answer brings cyrene up to date.
#[test]
fn step2_async_read_repair_updates_a_stale_replica_among_the_first_r_answers() {
    let recorder = Recorder::new();
    let mut cluster = stale_cyrene(&recorder, ReadRepair::Async, "title", "v_old", "v_new");
    let held = cluster.net().hold_kind("InternalGet", ATHENS, BYZANTIUM);
    let read = recorder.get_and_wait(&mut cluster, ALICE, ATHENS, "title");
    assert_eq!(
        found_value(&read),
        Some("v_new"),
        "the read must return the newest version"
    );
    cluster.net().release(held);
    wait_until_all_hold(&mut cluster, "title", "v_new", SETTLE_TICKS)
        .expect("the stale replica that answered within the quorum must be repaired");
    cluster.tick_n(SETTLE_TICKS);
    assert_eq!(
        repair_messages(&cluster),
        1,
        "one repair, to cyrene, the one stale replica"
    );
    assert_linearizable(&recorder);
}

/// Five replicas, R = 2, W = 3: "new" reaches athens, byzantium and cyrene while delphi
/// and sparta are cut off, so they keep "old".
fn stale_delphi_and_sparta(recorder: &Recorder) -> Cluster<Msg> {
    let config = Config {
        read_quorum: Some(2),
        write_quorum: Some(3),
        ..Config::with_read_repair(ReadRepair::Sync)
    };
    let mut cluster = five(config);
    cluster.add_client(ALICE);
    assert_eq!(
        recorder.set_and_wait(&mut cluster, ALICE, ATHENS, "title", "old"),
        SetOutcome::Ok
    );
    wait_until_all_hold(&mut cluster, "title", "old", SETTLE_TICKS)
        .expect("the old value must reach every replica");
    cluster.partition(&[&[ATHENS, BYZANTIUM, CYRENE, ALICE], &[DELPHI, SPARTA]]);
    assert_eq!(
        recorder.set_and_wait(&mut cluster, ALICE, ATHENS, "title", "new"),
        SetOutcome::Ok
    );
    cluster.tick_n(SETTLE_TICKS);
    cluster.heal_all();
    assert_eq!(holders(&cluster, "title", "new"), 3);
    cluster
}

/// Hold sparta's questions to byzantium, cyrene and delphi, so a read through sparta hears
/// only itself (old) and athens (new).
fn sparta_hears_only_athens(cluster: &mut Cluster<Msg>) -> Vec<common::RuleId> {
    [BYZANTIUM, CYRENE, DELPHI]
        .into_iter()
        .map(|to| cluster.net().hold_kind("InternalGet", SPARTA, to))
        .collect()
}

/// A read through sparta (R = 2) hears sparta (old) and athens (new): one holder, one
/// stale answerer, and a majority of five is three. Repairing sparta alone cannot make a
/// majority, so sync repair also writes to the replicas that did not answer, and answers
/// once two of the four repairs are acknowledged: a majority holds "new".
#[test]
fn step2_sync_read_repair_below_a_majority_also_repairs_replicas_that_did_not_answer() {
    let recorder = Recorder::new();
    let mut cluster = stale_delphi_and_sparta(&recorder);
    let held = sparta_hears_only_athens(&mut cluster);
    let read = recorder.get_and_wait(&mut cluster, ALICE, SPARTA, "title");
    assert_eq!(found_value(&read), Some("new"));
    assert!(
        holders(&cluster, "title", "new") >= 3,
        "sync repair answers only once a majority (3 of 5) holds the value"
    );
    assert_eq!(
        cluster.node::<Replica>(SPARTA).stats().repair_messages,
        4,
        "sparta repairs itself and the three replicas that did not answer"
    );
    for rule in held {
        cluster.net().release(rule);
    }
    wait_until_all_hold(&mut cluster, "title", "new", SETTLE_TICKS)
        .expect("every replica ends with the new value");
    assert_linearizable(&recorder);
}

/// The same read, but only the repair of sparta itself gets through: athens and sparta
/// hold "new", two of the three a majority needs. The read fails, and says how many
/// replicas hold the value it could not vouch for.
#[test]
fn step2_a_failed_sync_repair_reports_how_many_replicas_hold_the_value() {
    let recorder = Recorder::new();
    let mut cluster = stale_delphi_and_sparta(&recorder);
    let _held = sparta_hears_only_athens(&mut cluster);
    for to in [BYZANTIUM, CYRENE, DELPHI] {
        cluster.net().drop_kind("InternalSet", SPARTA, to);
    }
    let read = recorder.get_and_wait(&mut cluster, ALICE, SPARTA, "title");
    assert_eq!(
        read,
        GetOutcome::QuorumNotReached {
            answers: 2,
            required: 3
        },
        "athens held it and sparta's own repair was acknowledged: 2 of the 3 needed"
    );
    assert_linearizable(&recorder);
}

/// A read of every replica (R = N) succeeds when every replica answers: a read decides
/// it cannot reach its quorum only when too few replicas are left to answer.
#[test]
fn step2_a_read_of_every_replica_succeeds_when_all_answer() {
    let config = Config {
        read_quorum: Some(3),
        ..Config::default()
    };
    let mut cluster = three(config);
    let recorder = Recorder::new();
    assert_eq!(
        recorder.set_and_wait(&mut cluster, ALICE, ATHENS, "title", "v"),
        SetOutcome::Ok
    );
    wait_until_all_hold(&mut cluster, "title", "v", SETTLE_TICKS)
        .expect("the value must reach every replica");
    let read = recorder.get_and_wait(&mut cluster, ALICE, BYZANTIUM, "title");
    assert_eq!(
        found_value(&read),
        Some("v"),
        "three of three answered: the read must succeed, got {read:?}"
    );
    assert_linearizable(&recorder);
}

/// A read through cyrene (stale) that hears only itself and athens: athens holds the
/// value, cyrene's own repair makes two of three, a majority. Sync repair writes to
/// cyrene alone; byzantium, which did not answer, is left to later reads.
#[test]
fn step2_sync_read_repair_writes_only_to_the_stale_answerers_when_they_make_a_majority() {
    let recorder = Recorder::new();
    let mut cluster = stale_cyrene(&recorder, ReadRepair::Sync, "title", "v_old", "v_new");
    let held = cluster.net().hold_kind("InternalGet", CYRENE, BYZANTIUM);
    let read = recorder.get_and_wait(&mut cluster, ALICE, CYRENE, "title");
    assert_eq!(found_value(&read), Some("v_new"));
    assert_eq!(
        cluster.node::<Replica>(CYRENE).stats().repair_messages,
        1,
        "repairing cyrene makes a majority: no other replica is written"
    );
    cluster.net().release(held);
    assert_linearizable(&recorder);
}

/// The second price is written 10 ticks after the first, so its timestamp is larger,
/// and repair spreads the larger one.
#[test]
fn step2_read_repair_picks_latest_timestamp() {
    let mut cluster = three(Config::with_read_repair(ReadRepair::Sync));
    let recorder = Recorder::new();
    assert_eq!(
        recorder.set_and_wait(&mut cluster, ALICE, ATHENS, "stock:price", "100"),
        SetOutcome::Ok
    );
    wait_until_all_hold(&mut cluster, "stock:price", "100", SETTLE_TICKS)
        .expect("100 must reach every replica");
    let ts1 = cluster
        .node::<Replica>(CYRENE)
        .local("stock:price")
        .expect("cyrene holds 100")
        .version
        .timestamp;
    cluster.partition(&[&[CYRENE], &[ATHENS, BYZANTIUM]]);
    cluster.tick_n(10);
    assert_eq!(
        recorder.set_and_wait(&mut cluster, ALICE, ATHENS, "stock:price", "150"),
        SetOutcome::Ok
    );
    let ts2 = cluster
        .node::<Replica>(ATHENS)
        .local("stock:price")
        .expect("athens holds 150")
        .version
        .timestamp;
    assert!(
        ts2 > ts1,
        "the later write must carry the larger timestamp ({ts2} > {ts1})"
    );
    cluster.heal_all();
    assert_eq!(
        found_value(&recorder.get_and_wait(&mut cluster, ALICE, ATHENS, "stock:price")),
        Some("150")
    );
    wait_until_all_hold(&mut cluster, "stock:price", "150", SETTLE_TICKS)
        .expect("cyrene must be repaired to 150");
    assert_linearizable(&recorder);
}

/// athens, cut off, fails to write 100 but keeps it. client-b then writes 200 through
/// byzantium while athens is cut off again; 200 is newer, and repair overwrites athens's
/// leftover 100.
#[test]
fn step2_read_repair_after_failed_isolated_write() {
    let mut cluster = three(Config::with_read_repair(ReadRepair::Sync));
    let recorder = Recorder::new();
    cluster.add_client("client-b");
    assert_eq!(
        recorder.set_and_wait(&mut cluster, ALICE, ATHENS, "counter:visits", "0"),
        SetOutcome::Ok
    );
    wait_until_all_hold(&mut cluster, "counter:visits", "0", SETTLE_TICKS)
        .expect("0 must reach every replica");
    cluster.partition(&[&[ATHENS], &[BYZANTIUM, CYRENE]]);
    let failed = recorder.set_and_wait(&mut cluster, ALICE, ATHENS, "counter:visits", "100");
    assert!(
        matches!(failed, SetOutcome::QuorumNotReached { .. }),
        "athens alone is no majority"
    );
    assert_eq!(
        stored(&cluster, ATHENS, "counter:visits").as_deref(),
        Some("100"),
        "athens keeps its failed write"
    );
    cluster.heal_all();

    cluster.partition(&[&[ATHENS], &[BYZANTIUM, CYRENE]]);
    assert_eq!(
        recorder.set_and_wait(&mut cluster, "client-b", BYZANTIUM, "counter:visits", "200"),
        SetOutcome::Ok
    );
    cluster.heal_all();
    let read = recorder.get_and_wait(&mut cluster, "client-b", BYZANTIUM, "counter:visits");
    assert_eq!(
        found_value(&read),
        Some("200"),
        "200 is newer than the leftover 100"
    );
    wait_until_all_hold(&mut cluster, "counter:visits", "200", SETTLE_TICKS)
        .expect("repair must overwrite athens's 100");
    assert_linearizable(&recorder);
}

#[test]
fn step2_read_repair_multiple_keys() {
    let mut cluster = three(Config::with_read_repair(ReadRepair::Sync));
    let recorder = Recorder::new();
    for key in ["key1", "key2"] {
        assert_eq!(
            recorder.set_and_wait(&mut cluster, ALICE, ATHENS, key, "old"),
            SetOutcome::Ok
        );
    }
    cluster.tick_n(SETTLE_TICKS);
    cluster.partition(&[&[CYRENE], &[ATHENS, BYZANTIUM]]);
    for key in ["key1", "key2"] {
        assert_eq!(
            recorder.set_and_wait(&mut cluster, ALICE, ATHENS, key, &format!("{key}-new")),
            SetOutcome::Ok
        );
    }
    cluster.heal_all();
    for key in ["key1", "key2"] {
        let read = recorder.get_and_wait(&mut cluster, ALICE, ATHENS, key);
        assert_eq!(found_value(&read), Some(format!("{key}-new").as_str()));
    }
    for key in ["key1", "key2"] {
        wait_until_all_hold(&mut cluster, key, &format!("{key}-new"), SETTLE_TICKS)
            .expect("each key is repaired on its own");
    }
    assert_linearizable(&recorder);
}

/// Regression for the original broadcasting repair writes to all N replicas on every
/// read, even when they all agreed: nothing is stale, so nothing is sent.
#[test]
fn step2_read_repair_noop_when_replicas_agree() {
    for mode in [ReadRepair::Sync, ReadRepair::Async] {
        let mut cluster = three(Config::with_read_repair(mode));
        let recorder = Recorder::new();
        assert_eq!(
            recorder.set_and_wait(&mut cluster, ALICE, ATHENS, "title", "same"),
            SetOutcome::Ok
        );
        wait_until_all_hold(&mut cluster, "title", "same", SETTLE_TICKS)
            .expect("all replicas must converge");
        let read = recorder.get_and_wait(&mut cluster, ALICE, ATHENS, "title");
        assert_eq!(found_value(&read), Some("same"));
        cluster.tick_n(SETTLE_TICKS);
        assert_eq!(
            holders(&cluster, "title", "same"),
            3,
            "all replicas still hold the value"
        );
        assert_eq!(
            repair_messages(&cluster),
            0,
            "{mode:?}: replicas that agree must not be sent repairs"
        );
        assert_linearizable(&recorder);
    }
}

/// Only the stale replica is repaired: one repair message for one stale replica among
/// five, and the up-to-date replicas never see a repair write.
#[test]
fn step2_read_repair_targets_only_stale_replicas() {
    let mut cluster = five(Config::with_read_repair(ReadRepair::Async));
    let recorder = Recorder::new();
    cluster.add_client(ALICE);
    assert_eq!(
        recorder.set_and_wait(&mut cluster, ALICE, ATHENS, "title", "old"),
        SetOutcome::Ok
    );
    cluster.tick_n(SETTLE_TICKS);
    cluster.partition(&[&[SPARTA], &[ATHENS, BYZANTIUM, CYRENE, DELPHI]]);
    assert_eq!(
        recorder.set_and_wait(&mut cluster, ALICE, ATHENS, "title", "new"),
        SetOutcome::Ok
    );
    cluster.tick_n(SETTLE_TICKS);
    cluster.heal_all();
    let applied_before: Vec<u64> = [BYZANTIUM, CYRENE, DELPHI]
        .iter()
        .map(|id| {
            cluster.node::<Replica>(id).stats().applied
                + cluster.node::<Replica>(id).stats().ignored
        })
        .collect();
    assert_eq!(
        found_value(&recorder.get_and_wait(&mut cluster, ALICE, ATHENS, "title")),
        Some("new")
    );
    wait_until_all_hold(&mut cluster, "title", "new", SETTLE_TICKS)
        .expect("sparta must be repaired");
    cluster.tick_n(SETTLE_TICKS);
    assert_eq!(
        repair_messages(&cluster),
        1,
        "exactly one replica (sparta) was stale"
    );
    let applied_after: Vec<u64> = [BYZANTIUM, CYRENE, DELPHI]
        .iter()
        .map(|id| {
            cluster.node::<Replica>(id).stats().applied
                + cluster.node::<Replica>(id).stats().ignored
        })
        .collect();
    assert_eq!(
        applied_before, applied_after,
        "up-to-date replicas must not receive repair writes"
    );
    assert_linearizable(&recorder);
}

/// Regression for the original's sync repair replying with the value even when the
/// repair failed. athens keeps a failed write w that no other replica has; a read through
/// athens (quorum athens + cyrene) picks w, but the repair to cyrene is lost, so w is
/// still on athens alone. Answering w would let a later read miss it: new, then old.
/// The read must fail instead, and the history stays linearizable.
#[test]
fn step2_sync_repair_failure_is_not_reported_as_success() {
    let mut cluster = three(Config::with_read_repair(ReadRepair::Sync));
    cluster.add_client(BOB);
    let recorder = Recorder::new();
    assert_eq!(
        recorder.set_and_wait(&mut cluster, ALICE, ATHENS, "title", "old"),
        SetOutcome::Ok
    );
    wait_until_all_hold(&mut cluster, "title", "old", SETTLE_TICKS)
        .expect("old must reach every replica");
    cluster.partition(&[&[ATHENS], &[BYZANTIUM, CYRENE]]);
    let w = recorder.set_and_wait(&mut cluster, ALICE, ATHENS, "title", "w");
    assert!(
        matches!(w, SetOutcome::QuorumNotReached { .. }),
        "athens alone cannot acknowledge w"
    );
    cluster.heal_all();
    cluster.partition(&[&[ATHENS], &[BYZANTIUM]]);
    cluster.net().drop_kind("InternalSet", ATHENS, CYRENE);

    let read = recorder.get_and_wait(&mut cluster, ALICE, ATHENS, "title");
    assert_eq!(
        read,
        GetOutcome::QuorumNotReached {
            answers: 1,
            required: 2
        },
        "w is held by athens alone and the repair was lost: the read must not return it"
    );
    let later = recorder.get_and_wait(&mut cluster, BOB, BYZANTIUM, "title");
    assert_eq!(
        found_value(&later),
        Some("old"),
        "byzantium and cyrene never saw w"
    );
    let verdict = check::linearizable(&model(), &recorder.history());
    assert!(
        verdict.is_ok(),
        "a failed read and an indeterminate write explain everything: {verdict}"
    );
}

#[test]
fn step2_simple_sync_read_repair() {
    let mut cluster = build_cluster(
        &["node-a", "node-b", "node-c"],
        Config::with_read_repair(ReadRepair::Sync),
        0,
    )
    .expect("valid configuration");
    let recorder = Recorder::new();
    cluster.add_client("client-1");
    assert_eq!(
        recorder.set_and_wait(&mut cluster, "client-1", "node-a", "k", "v1"),
        SetOutcome::Ok
    );
    wait_until_all_hold(&mut cluster, "k", "v1", SETTLE_TICKS)
        .expect("v1 must reach every replica");
    cluster.partition(&[&["node-c"], &["node-a", "node-b"]]);
    assert_eq!(
        recorder.set_and_wait(&mut cluster, "client-1", "node-a", "k", "v2"),
        SetOutcome::Ok
    );
    assert_eq!(stored(&cluster, "node-c", "k").as_deref(), Some("v1"));
    cluster.heal_all();
    assert_eq!(
        found_value(&recorder.get_and_wait(&mut cluster, "client-1", "node-a", "k")),
        Some("v2")
    );
    wait_until_all_hold(&mut cluster, "k", "v2", 100)
        .expect("node-c must hold v2 within 100 ticks");
    assert_linearizable(&recorder);
}

/// One client, sync repair: write v0, write v1 past a cut-off cyrene, read v1, wait for
/// cyrene's repair, read v1 again. The exact history, and it is linearizable.
#[test]
fn step2_sync_read_repair_single_client_history_is_linearizable() {
    let mut cluster = three(Config::with_read_repair(ReadRepair::Sync));
    let recorder = Recorder::new();
    assert_eq!(
        recorder.set_and_wait(&mut cluster, ALICE, ATHENS, "title", "v0"),
        SetOutcome::Ok
    );
    cluster.partition(&[&[CYRENE], &[ATHENS, BYZANTIUM]]);
    assert_eq!(
        recorder.set_and_wait(&mut cluster, ALICE, ATHENS, "title", "v1"),
        SetOutcome::Ok
    );
    cluster.heal_all();
    assert_eq!(
        found_value(&recorder.get_and_wait(&mut cluster, ALICE, ATHENS, "title")),
        Some("v1")
    );
    cluster
        .tick_until_within(SETTLE_TICKS, |c| {
            stored(c, CYRENE, "title").as_deref() == Some("v1")
        })
        .expect("cyrene must be repaired to v1");
    assert_eq!(
        found_value(&recorder.get_and_wait(&mut cluster, ALICE, ATHENS, "title")),
        Some("v1")
    );
    let history = recorder.history();
    assert_eq!(
        history.to_text(),
        "0 t0 alice invoke write [\"title\" \"v0\"]\n\
         1 t4 alice ok write [\"title\" \"v0\"]\n\
         2 t4 alice invoke write [\"title\" \"v1\"]\n\
         3 t8 alice ok write [\"title\" \"v1\"]\n\
         4 t8 alice invoke read [\"title\" nil]\n\
         5 t12 alice ok read [\"title\" \"v1\"]\n\
         6 t12 alice invoke read [\"title\" nil]\n\
         7 t16 alice ok read [\"title\" \"v1\"]\n",
        "the recorded history"
    );
    assert!(check::linearizable(&model(), &history).is_ok());
    assert!(check::sequential(&model(), &history).is_ok());
}

/// cyrene's answer to a read is held back; meanwhile bob writes v1 through cyrene. When
/// cyrene's late answer (v1) arrives it is newer than what the read returned (v0): it
/// must not be "repaired" with the older version.
#[test]
fn step2_late_answer_newer_than_the_returned_version_is_not_repaired() {
    let config = Config {
        read_repair: ReadRepair::Async,
        coordinator_timeout_ticks: 30,
        client_timeout_ticks: 40,
        ..Config::default()
    };
    let mut cluster = three(config);
    let recorder = Recorder::new();
    cluster.add_client(BOB);
    assert_eq!(
        recorder.set_and_wait(&mut cluster, ALICE, ATHENS, "title", "v0"),
        SetOutcome::Ok
    );
    wait_until_all_hold(&mut cluster, "title", "v0", SETTLE_TICKS)
        .expect("v0 must reach every replica");
    let held = cluster.net().hold_kind("InternalGet", ATHENS, CYRENE);
    let read = recorder.get_and_wait(&mut cluster, ALICE, ATHENS, "title");
    assert_eq!(
        found_value(&read),
        Some("v0"),
        "athens and byzantium answered v0"
    );
    assert_eq!(
        recorder.set_and_wait(&mut cluster, BOB, CYRENE, "title", "v1"),
        SetOutcome::Ok
    );
    cluster.net().release(held);
    cluster.tick_n(SETTLE_TICKS);
    let late_answers = cluster
        .trace()
        .events()
        .filter(|e| {
            e.kind == TraceKind::Deliver
                && e.msg == Some("InternalGetReply")
                && e.node == ATHENS
                && e.peer.as_ref().is_some_and(|p| p == CYRENE)
        })
        .count();
    assert_eq!(
        late_answers, 1,
        "cyrene's late answer must reach the read that waits for it"
    );
    assert_eq!(
        repair_messages(&cluster),
        0,
        "a late answer newer than the read's version is not stale"
    );
    assert_eq!(stored(&cluster, CYRENE, "title").as_deref(), Some("v1"));
    assert_linearizable(&recorder);
}
