//! Step 7, the durable key-value store (`kv_store::recover_state`): log the command,
//! fsync, apply; recover from the newest snapshot plus the log after it. Also the command
//! encoding it logs.

mod support;

use common::rng::SimRng;
use proptest::prelude::*;
use std::sync::Arc;
use support::{config, local_dir, sim_fs};
use wal::DurableKvStore;
use wal::command::{Command, CommandError, CommandKind, TXN_SET_VALUE};
use wal::{Config, ManualClock};

#[test]
fn step7_kv_state_recovered_from_wal_after_restart() {
    let root = sim_fs(1).dir("node");
    let mut store = DurableKvStore::open(root.clone()).expect("open");
    store.put("title", "Microservices").expect("put");
    store.put("author", "Martin").expect("put");
    store.put("newTitle", "Distributed Systems").expect("put");
    store.close().expect("close");
    let store = DurableKvStore::open(root).expect("reopen");
    assert_eq!(store.get("title"), Some("Microservices"));
    assert_eq!(store.get("author"), Some("Martin"));
    assert_eq!(store.get("newTitle"), Some("Distributed Systems"));
}

#[test]
fn step7_kv_state_recovered_from_real_files_after_restart() {
    let (_guard, dir) = local_dir();
    let mut store = DurableKvStore::open(dir.clone()).expect("open");
    store.put("a", "1").expect("put");
    store.put("a", "2").expect("put");
    drop(store);
    let store = DurableKvStore::open(dir).expect("reopen");
    assert_eq!(store.get("a"), Some("2"), "later values win on replay");
}

#[test]
fn step7_every_acknowledged_put_survives_a_power_cut() {
    for seed in 0..20 {
        let fs = sim_fs(seed);
        let root = fs.dir("node");
        let mut store = DurableKvStore::open(root.clone()).expect("open");
        for i in 0..5 {
            store.put(&format!("k{i}"), &format!("v{i}")).expect("put");
        }
        drop(store);
        fs.crash(&mut SimRng::new(seed));
        let store = DurableKvStore::open(root).expect("recover");
        assert_eq!(
            store.values().len(),
            5,
            "seed {seed}: an acknowledged put was lost"
        );
    }
}

#[test]
fn set_value_encodes_to_the_documented_30_bytes() {
    let command = Command {
        client_id: 7,
        request_number: 3,
        kind: CommandKind::SetValue {
            key: "key".into(),
            value: "value".into(),
            attach_lease: String::new(),
        },
    };
    let mut expected = vec![0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 3, 0, 0, 0, 1, 0, 3];
    expected.extend_from_slice(b"key");
    expected.extend_from_slice(&[0, 5]);
    expected.extend_from_slice(b"value");
    expected.extend_from_slice(&[0, 0]);
    assert_eq!(command.encode().expect("encode"), expected);
    assert_eq!(expected.len(), 30);
}

#[test]
fn bad_command_bytes_are_errors_not_panics() {
    assert_eq!(Command::decode(&[0; 5]), Err(CommandError::Truncated(0)));
    let mut unknown = Command::set("k", "v").encode().expect("encode");
    unknown[15] = 99;
    assert_eq!(
        Command::decode(&unknown),
        Err(CommandError::UnknownType(99))
    );
    let mut composite = Command {
        client_id: -1,
        request_number: 0,
        kind: CommandKind::Composite(vec![]),
    }
    .encode()
    .expect("encode");
    composite[16..20].copy_from_slice(&(-1i32).to_be_bytes());
    assert_eq!(Command::decode(&composite), Err(CommandError::Negative(-1)));
    let too_long = Command::set("k".repeat(70_000), "v");
    assert_eq!(too_long.encode(), Err(CommandError::StringTooLong(70_000)));
}

/// A command no client sent (`Command::set`) carries the client id −1, as the workshop's
/// encoding writes it: eight bytes of 0xFF.
#[test]
fn a_command_from_no_client_encodes_its_client_as_minus_one() {
    let bytes = Command::set("k", "v").encode().expect("encode");
    assert_eq!(bytes[..8], [0xFF; 8], "client id −1, big-endian");
    assert_eq!(wal::command::NO_CLIENT, -1);
}

/// Bytes after a whole command are refused, and the error counts them: after the outer
/// command, and after a command inside a composite (whose length says where it ends).
#[test]
fn bytes_after_a_command_are_refused_and_counted() {
    let mut bytes = Command::set("k", "v").encode().expect("encode");
    bytes.extend_from_slice(&[1, 2, 3]);
    assert_eq!(
        Command::decode(&bytes),
        Err(CommandError::TrailingBytes(3)),
        "three bytes after the command"
    );
    let inner = Command::set("k", "v").encode().expect("encode");
    let mut composite = Command {
        client_id: 1,
        request_number: 2,
        kind: CommandKind::Composite(vec![]),
    }
    .encode()
    .expect("encode");
    composite[16..20].copy_from_slice(&1i32.to_be_bytes());
    composite.extend_from_slice(&(inner.len() as i32 + 2).to_be_bytes());
    composite.extend_from_slice(&inner);
    composite.extend_from_slice(&[9, 9]);
    assert_eq!(
        Command::decode(&composite),
        Err(CommandError::TrailingBytes(2)),
        "the inner command's length covers two bytes more than the command"
    );
}

/// A composite of a composite of … of a `SetValue`: with the outer command at depth 0,
/// a command at depth 16 (`MAX_NESTING`) decodes, and one at depth 17 is refused, so bad
/// input cannot run the decoder's recursion as deep as it likes.
#[test]
fn composites_nest_sixteen_deep_and_no_deeper() {
    let nested = |depth: usize| {
        let mut command = Command::set("k", "v");
        for _ in 0..depth {
            command = Command {
                client_id: 1,
                request_number: 1,
                kind: CommandKind::Composite(vec![command]),
            };
        }
        command
    };
    let deepest = nested(wal::command::MAX_NESTING);
    let bytes = deepest.encode().expect("encode");
    assert_eq!(
        Command::decode(&bytes),
        Ok(deepest),
        "a SetValue inside 16 composites is at depth 16"
    );
    let too_deep = nested(wal::command::MAX_NESTING + 1)
        .encode()
        .expect("encode");
    assert_eq!(
        Command::decode(&too_deep),
        Err(CommandError::TooDeep),
        "a SetValue inside 17 composites is at depth 17"
    );
}

fn command_strategy() -> impl Strategy<Value = Command> {
    let leaf = (
        any::<i64>(),
        any::<i32>(),
        "[a-z]{0,8}",
        ".{0,8}",
        "[a-z0-9-]{0,8}",
        any::<bool>(),
    )
        .prop_map(
            |(client_id, request_number, key, value, extra, txn)| Command {
                client_id,
                request_number,
                kind: if txn {
                    CommandKind::TxnSetValue {
                        key,
                        value,
                        txn_id: extra,
                    }
                } else {
                    CommandKind::SetValue {
                        key,
                        value,
                        attach_lease: extra,
                    }
                },
            },
        );
    leaf.prop_recursive(3, 16, 4, |inner| {
        (
            any::<i64>(),
            any::<i32>(),
            proptest::collection::vec(inner, 0..4),
        )
            .prop_map(|(client_id, request_number, commands)| Command {
                client_id,
                request_number,
                kind: CommandKind::Composite(commands),
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 128,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(12),
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_command_round_trips_including_composites(command in command_strategy()) {
        let bytes = command.encode().expect("encode");
        prop_assert_eq!(Command::decode(&bytes).expect("decode"), command);
    }
}

#[test]
fn step7_a_store_recovers_from_its_snapshot_plus_the_entries_after_it() {
    let root = sim_fs(3).dir("node");
    let clock = Arc::new(ManualClock::new(1));
    let mut store =
        DurableKvStore::open_with(root.clone(), config(80), clock.clone()).expect("open");
    for i in 0..10 {
        store
            .put(&format!("k{}", i % 4), &format!("v{i}"))
            .expect("put");
    }
    let removed = store.snapshot().expect("snapshot");
    assert!(
        !removed.is_empty(),
        "segments covered by the snapshot are cleaned"
    );
    store.put("k0", "after snapshot").expect("put");
    store.put("k9", "new key").expect("put");
    let expected = store.values().clone();
    drop(store);
    let store = DurableKvStore::open_with(root, config(80), clock).expect("reopen");
    assert_eq!(
        store.values(),
        &expected,
        "snapshot + replay rebuilds the exact state"
    );
    assert!(
        store.wal().log_start_index() > 1,
        "the log no longer starts at 1"
    );
}

/// Cleaning may remove the segment that holds the snapshot's last entry: the log then
/// starts right after it. Recovery replays from the entry after the snapshot, so it never
/// asks for the entry the snapshot already holds. Here the snapshot covers the whole first
/// segment, which is gone.
#[test]
fn step7_a_store_recovers_when_cleaning_removed_the_segment_of_the_snapshots_last_entry() {
    use common::fileio::Dir;
    use wal::Wal;
    use wal::snapshot::{Snapshot, SnapshotStore};

    let root = sim_fs(5).dir("node");
    let clock = Arc::new(ManualClock::new(1));
    let mut wal = Wal::open_with_clock(
        root.subdir("wal").expect("the log's directory"),
        config(80),
        clock.clone(),
    )
    .expect("open the log");
    let mut state = std::collections::BTreeMap::new();
    let mut states = vec![state.clone()];
    for i in 1..=6 {
        let (key, value) = (format!("k{}", i % 3), format!("v{i}"));
        wal.append(&Command::set(&key, &value).encode().expect("encode"))
            .expect("append");
        state.insert(key, value);
        states.push(state.clone());
    }
    let covered = wal.segments()[0].last_index;
    assert!(
        covered < 6,
        "the entries fill more than one segment of 80 bytes"
    );
    let snapshots = SnapshotStore::new(root.subdir("snapshots").expect("the snapshots"));
    snapshots
        .save(&Snapshot {
            last_index: covered,
            last_generation: 0,
            payload: postcard::to_allocvec(&states[covered as usize]).expect("encode"),
        })
        .expect("save the snapshot");
    wal.note_snapshot(covered);
    wal.maintain().expect("clean");
    assert_eq!(
        wal.log_start_index(),
        covered + 1,
        "the segment ending at the snapshot's last entry is gone"
    );
    drop(wal);

    let store = DurableKvStore::open_with(root, config(80), clock).expect("recovery");
    assert_eq!(
        store.values(),
        &states[6],
        "the snapshot, then every entry after it"
    );
    assert_eq!(store.applied_index(), 6, "every entry is applied");
}

/// Bug 1: after a restart the next entry overwrote the start of the last segment, and the
/// third open of a key-value store failed.
#[test]
fn step7_bug_01_reopen_then_append_does_not_overwrite_the_log() {
    let fs = sim_fs(1);
    let root = fs.dir("node");
    let mut store = DurableKvStore::open(root.clone()).expect("open");
    store.put("title", "Microservices").expect("put");
    store.put("author", "Martin").expect("put");
    store.close().expect("close");
    let mut store = DurableKvStore::open(root.clone()).expect("second open");
    store
        .put("newTitle", "Distributed Systems")
        .expect("put after reopen");
    store.close().expect("close");
    let store = DurableKvStore::open(root).expect("the third open must succeed");
    assert_eq!(
        store.get("title"),
        Some("Microservices"),
        "the first put survives two reopens"
    );
    assert_eq!(store.get("author"), Some("Martin"));
    assert_eq!(store.get("newTitle"), Some("Distributed Systems"));
    assert_eq!(
        store.wal().last_index(),
        3,
        "three entries, none overwritten"
    );
}

/// Bug 12: a transactional set was written with the plain set's type id and decoded as a
/// set whose lease field held the transaction id.
#[test]
fn step7_bug_12_txn_set_value_decodes_as_its_own_type() {
    let command = Command::txn_set("k", "v", "txn-42");
    let bytes = command.encode().expect("encode");
    assert_eq!(
        &bytes[12..16],
        &TXN_SET_VALUE.to_be_bytes(),
        "its own type id on the wire"
    );
    let decoded = Command::decode(&bytes).expect("decode");
    assert!(
        matches!(&decoded.kind, CommandKind::TxnSetValue { txn_id, .. } if txn_id == "txn-42"),
        "a transactional set must come back as one, got {decoded:?}"
    );

    let root = sim_fs(12).dir("node");
    let mut store = DurableKvStore::open_with(
        root.clone(),
        Config::default(),
        Arc::new(ManualClock::new(0)),
    )
    .expect("open");
    store.txn_put("k", "v", "txn-42").expect("txn put");
    drop(store);
    let store = DurableKvStore::open(root).expect("reopen");
    assert_eq!(
        store.get("k"),
        Some("v"),
        "the transactional set is replayed"
    );
    let kind = store.wal().read_at(1).expect("entry").data;
    assert!(matches!(
        Command::decode(&kind).expect("decode").kind,
        CommandKind::TxnSetValue { .. }
    ));
}

/// A store whose log failed does not close as if all were well.
#[test]
fn step7_closing_a_store_whose_log_failed_reports_the_failure() {
    let fs = sim_fs(24);
    let mut store = DurableKvStore::open(fs.dir("node")).expect("open");
    store.put("k", "v").expect("put");
    fs.cut_power_after(0);
    store.put("k", "w").expect_err("the power is gone");
    assert!(
        store.close().is_err(),
        "close must report the failed log, not success"
    );
}
