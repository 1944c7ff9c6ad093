//! The durable key-value store and its command encoding.

mod support;

use common::rng::SimRng;
use proptest::prelude::*;
use support::{local_dir, sim_fs};
use wal::DurableKvStore;
use wal::command::{Command, CommandError, CommandKind};

#[test]
fn kv_state_recovered_from_wal_after_restart() {
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
fn kv_state_recovered_from_real_files_after_restart() {
    let (_guard, dir) = local_dir();
    let mut store = DurableKvStore::open(dir.clone()).expect("open");
    store.put("a", "1").expect("put");
    store.put("a", "2").expect("put");
    drop(store);
    let store = DurableKvStore::open(dir).expect("reopen");
    assert_eq!(store.get("a"), Some("2"), "later values win on replay");
}

#[test]
fn every_acknowledged_put_survives_a_power_cut() {
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
