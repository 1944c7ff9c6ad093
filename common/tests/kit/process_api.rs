//! The process API apart from the simulator: the same handlers driven by hand through
//! `Solo`, a node's state and what it waits for as plain data, and one crash for all of
//! a node's storage (key-value map, log and files).

use crate::support::{ALICE, ATHENS, BYZANTIUM, CYRENE, Msg, Node, VALUE_KEY, three_nodes};
use common::fileio::{Dir, FileIo};
use common::solo::Solo;
use common::{CrashPolicy, Durability, WriteBatch};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

#[test]
fn a_handler_driven_by_hand_shows_the_write_before_the_reply() {
    let mut solo = Solo::new(ATHENS, [ATHENS, BYZANTIUM], Node::new());
    solo.request(ALICE, Msg::Put { value: 7 });
    assert!(
        solo.take_sent().is_empty(),
        "a durable put must not answer before its write completes"
    );
    assert_eq!(solo.store().pending(), 1, "the put submitted one write");
    solo.tick();
    let sent = solo.take_sent();
    assert_eq!(sent.len(), 1, "the write completed, so the reply goes out");
    assert_eq!(sent[0].to, ALICE);
    assert_eq!(sent[0].body, Msg::Stored);
    assert!(
        sent[0].in_reply_to.is_some(),
        "the reply answers alice's request"
    );
    assert_eq!(solo.store().load_durable::<u64>(VALUE_KEY), Ok(Some(7)));
}

#[test]
fn a_solo_crash_loses_what_was_not_synced_and_the_restart_recovers_the_rest() {
    let mut solo = Solo::new(ATHENS, [ATHENS], Node::new());
    solo.request(ALICE, Msg::Put { value: 1 });
    solo.tick();
    solo.request(ALICE, Msg::PutUnsafe { value: 2 });
    assert_eq!(
        solo.process().value,
        Some(2),
        "the unsafe put changed memory at once"
    );
    solo.crash();
    solo.restart(Node::new());
    assert_eq!(
        solo.process().value,
        Some(1),
        "the restarted node knows only the synced value"
    );
    assert!(solo.process().recovered, "on_start saw a later incarnation");
}

#[test]
fn a_nodes_protocol_state_is_plain_data_that_clones_compares_and_hashes() {
    // The support node holds a WaitingList of envelopes; the paxos, generation-voting and
    // naive-replication servers derive Clone + Eq + Hash (see their tests). Here: the
    // part that lives outside the process, what it waits for, is data too.
    let mut cluster = three_nodes(1);
    let before = cluster.continuations::<Node>(ATHENS).expect("athens is up");
    let _reply = cluster.call(
        ALICE,
        ATHENS,
        Msg::PingVia {
            to: BYZANTIUM.into(),
            timeout: 30,
        },
    );
    cluster.tick_n(2);
    let waiting = cluster.continuations::<Node>(ATHENS).expect("athens is up");
    assert_eq!(
        waiting.requests.len(),
        1,
        "athens waits for byzantium's pong: {waiting:?}"
    );
    assert_eq!(waiting.requests[0].1, BYZANTIUM);
    assert_ne!(
        waiting, before,
        "a pending request changes what the node waits for"
    );
    let copy = waiting.clone();
    let hash = |c: &common::Continuations| {
        let mut h = DefaultHasher::new();
        c.hash(&mut h);
        h.finish()
    };
    assert_eq!(copy, waiting);
    assert_eq!(
        hash(&copy),
        hash(&waiting),
        "equal continuations hash equal"
    );
    cluster.tick_n(3);
    assert_eq!(
        cluster
            .continuations::<Node>(ATHENS)
            .map(|c| c.requests.len()),
        Some(0),
        "the pong arrived: nothing is pending any more"
    );
    assert_eq!(
        cluster
            .continuations::<Node>(CYRENE)
            .map(|c| c.requests.len()),
        Some(0)
    );
}

#[test]
fn storage_images_compare_and_hash_as_data() {
    let mut a = Solo::new(ATHENS, [ATHENS], Node::new());
    let mut b = Solo::new(ATHENS, [ATHENS], Node::new());
    for solo in [&mut a, &mut b] {
        solo.act(|_, ctx| {
            ctx.write(
                WriteBatch::new().put("k", vec![1]).append(vec![9]),
                Durability::Sync,
                |_, _, _| {},
            );
        });
        solo.tick();
    }
    assert_eq!(a.store().durable(), b.store().durable());
    let hash = |image: &common::StoreImage| {
        let mut h = DefaultHasher::new();
        image.hash(&mut h);
        h.finish()
    };
    assert_eq!(hash(a.store().durable()), hash(b.store().durable()));
    assert_eq!(
        a.store().log().get(1),
        Some(&[9u8][..]),
        "the append is entry 1"
    );
}

/// Write `name` = `data` in the node's directory; sync file and directory if `sync`.
fn write_file(cluster: &mut common::Cluster<Msg>, node: &str, name: &str, data: &[u8], sync: bool) {
    cluster.act::<Node, _>(node, |_, ctx| {
        let dir = ctx.dir();
        let mut file = dir.create(name).expect("a new name in an empty directory");
        file.write_at(0, data)
            .expect("the simulated disk is healthy");
        if sync {
            file.sync().expect("the simulated disk is healthy");
            dir.sync().expect("the simulated disk is healthy");
        }
    });
}

fn read_file(cluster: &mut common::Cluster<Msg>, node: &str, name: &str) -> Option<Vec<u8>> {
    cluster.act::<Node, _>(node, |_, ctx| {
        let file = ctx.dir().open(name).ok()?;
        let mut buf = vec![0; file.len().ok()? as usize];
        file.read_exact_at(0, &mut buf).ok()?;
        Some(buf)
    })
}

#[test]
fn one_crash_covers_a_nodes_files_as_well_as_its_key_value_store() {
    let mut cluster = three_nodes(3);
    write_file(&mut cluster, ATHENS, "synced", b"kept", true);
    write_file(&mut cluster, ATHENS, "unsynced", b"lost", false);
    assert_eq!(
        read_file(&mut cluster, ATHENS, "unsynced").as_deref(),
        Some(&b"lost"[..])
    );
    cluster.crash(ATHENS);
    cluster.restart(ATHENS);
    assert_eq!(
        read_file(&mut cluster, ATHENS, "synced").as_deref(),
        Some(&b"kept"[..]),
        "a synced file in a synced directory survives the node's crash"
    );
    assert_eq!(
        read_file(&mut cluster, ATHENS, "unsynced"),
        None,
        "a file never synced must not survive the node's crash (it did before files crashed with the node)"
    );
    assert_eq!(
        cluster.fs(ATHENS).stats().crashes,
        1,
        "the node's filesystem saw the power cut"
    );
    assert_eq!(
        cluster.fs(BYZANTIUM).stats().crashes,
        0,
        "other nodes' disks are untouched"
    );
}

#[test]
fn the_crash_policy_set_for_a_node_governs_its_files_too() {
    let mut cluster = three_nodes(4);
    cluster.set_crash_policy(ATHENS, CrashPolicy::KeepPrefix);
    assert_eq!(cluster.fs(ATHENS).config().crash, CrashPolicy::KeepPrefix);
    assert_eq!(
        cluster.store(ATHENS).config().crash_policy,
        CrashPolicy::KeepPrefix
    );
}

#[test]
fn ids_and_envelopes_can_cross_threads_for_a_real_network_runtime() {
    fn send_and_sync<T: Send + Sync>(_: &T) {}
    let id = common::ProcessId::new(ATHENS);
    send_and_sync(&id);
    let envelope = common::Envelope {
        from: id.clone(),
        to: common::ProcessId::new(BYZANTIUM),
        corr: None,
        in_reply_to: None,
        body: Msg::Ping,
    };
    send_and_sync(&envelope);
    let moved = std::thread::scope(|s| s.spawn(move || envelope.from).join());
    assert_eq!(moved.expect("the thread returns the id"), id);
}

#[test]
fn loss_between_servers_spares_the_links_to_clients() {
    let mut cluster = three_nodes(6);
    cluster.set_loss_between_servers(1.0);
    let reply = cluster.call(
        ALICE,
        ATHENS,
        Msg::PingVia {
            to: BYZANTIUM.into(),
            timeout: 10,
        },
    );
    assert_eq!(
        cluster.run(&reply),
        Ok(Msg::PingResult { ok: false }),
        "alice reaches athens, but athens's ping to byzantium is lost"
    );
    assert_eq!(
        cluster.node::<Node>(BYZANTIUM).pings,
        0,
        "no ping crossed a server link"
    );
}
