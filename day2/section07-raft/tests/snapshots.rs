//! Step 5: snapshots and log compaction — a follower far behind repaired by
//! InstallSnapshot in chunks, restarts from a snapshot plus the log after it, a crash at
//! every step of an installation, the follower's installation rule (Figure 13), bad
//! snapshots refused without losing anything, and storage that stays bounded under a
//! long write workload. The oracle checks every tick; tick bounds are stated.

mod support;

use common::{Cluster, CrashPolicy};
use raft::{
    Command, Config, Configuration, Msg, Operation, RequestId, Role, Server, SnapshotData,
    StateMachine,
};
use support::*;

/// Snapshots every 16 applied entries, sent in chunks of 64 bytes.
fn compacting() -> Config {
    Config::with_snapshots(16, 64)
}

/// Write `count` values over eight keys through `leader`, as `client` from `first_seq`.
fn write_many(
    cluster: &mut Cluster<Msg>,
    client: &str,
    leader: &str,
    first_seq: u64,
    count: u64,
) -> u64 {
    let mut last = 0;
    for seq in first_seq..first_seq + count {
        let key = format!("k{}", seq % 8);
        let reply = execute(cluster, client, leader, seq, set(&key, &format!("v{seq}")));
        last = reply.index;
    }
    last
}

/// A cluster of three compacting servers with a leader, and a follower cut off while
/// the leader writes 60 entries: the follower's next entry is long discarded.
fn follower_far_behind(seed: u64) -> (Cluster<Msg>, String, String, u64) {
    let mut cluster = cluster_with(seed, &THREE, compacting());
    let leader = until_leader(&mut cluster, 100);
    let follower = THREE
        .iter()
        .find(|id| **id != leader)
        .expect("three servers")
        .to_string();
    cluster.isolate(&follower);
    let last = write_many(&mut cluster, ALICE, &leader, 1, 60);
    cluster.tick_n(2);
    (cluster, leader, follower, last)
}

/// A follower cut off while the leader applies and compacts 60 entries is brought up to
/// date by the leader's snapshot, sent in several chunks, within 100 ticks of its return;
/// its store is then the leader's.
#[test]
fn step5_a_follower_far_behind_is_repaired_by_snapshot() {
    let (mut cluster, leader, follower, last) = follower_far_behind(51);
    let at_leader = server(&cluster, &leader);
    assert!(
        at_leader.snapshot_index() >= 48,
        "the leader compacted its log (snapshot through {})",
        at_leader.snapshot_index()
    );
    assert!(
        server(&cluster, &follower).last_index() < at_leader.snapshot_index(),
        "the follower's next entry is no longer in the leader's log"
    );
    let snapshot_size = at_leader.snapshot_size();
    let returned = cluster.now();
    cluster.reconnect(&follower);
    until_applied(&mut cluster, &[follower.as_str()], last, 100);
    let (f, l) = (server(&cluster, &follower), server(&cluster, &leader));
    assert_eq!(f.stats().snapshots_installed, 1, "one snapshot repaired it");
    let chunks: Vec<(u64, usize, bool)> = cluster
        .trace()
        .events()
        .filter(|e| {
            matches!(e.kind, common::trace::TraceKind::Send { .. })
                && e.node == leader.as_str()
                && e.peer.as_ref().is_some_and(|p| *p == follower.as_str())
                && e.tick >= returned
        })
        .filter_map(|e| match &e.body {
            Some(Msg::InstallSnapshot {
                offset, data, done, ..
            }) => Some((*offset, data.len(), *done)),
            _ => None,
        })
        .collect();
    let expected: Vec<(u64, usize, bool)> = (0..snapshot_size.div_ceil(64))
        .map(|i| {
            let start = i * 64;
            let len = (snapshot_size - start).min(64);
            (start as u64, len, start + len == snapshot_size)
        })
        .collect();
    assert_eq!(
        chunks, expected,
        "the {snapshot_size}-byte snapshot travels in chunks of 64 bytes, in order, each sent once on this clean network: (offset, length, last)"
    );
    assert_eq!(
        f.state_machine().entries(),
        l.state_machine().entries(),
        "the follower's store is the leader's"
    );
    assert!(
        f.snapshot_index() > 0 && f.log().len() < 64,
        "the follower now compacts too: snapshot through {}, {} entries after it",
        f.snapshot_index(),
        f.log().len()
    );
}

/// A restarted node starts from what its disk holds: the snapshot as its state machine
/// (committed and applied through the snapshot's last index, before it hears from
/// anyone) and the entries after it.
#[test]
fn step5_a_restarted_node_starts_from_its_snapshot_and_log_suffix() {
    let mut cluster = cluster_with(52, &THREE, compacting());
    let leader = until_leader(&mut cluster, 100);
    let last = write_many(&mut cluster, ALICE, &leader, 1, 40);
    until_applied(&mut cluster, &THREE, last, 50);
    cluster.tick_n(2);
    let follower = THREE.iter().find(|id| **id != leader).expect("a follower");
    let image = cluster.store(follower).durable().log().clone();
    let snapshot = image.snapshot().expect("the follower compacted").clone();
    let data = SnapshotData::decode(&snapshot.data).expect("the snapshot decodes");
    cluster.crash(follower);
    cluster.restart(follower);
    let s = server(&cluster, follower);
    assert_eq!(
        s.snapshot_index(),
        snapshot.last_index,
        "the snapshot index is the one on disk"
    );
    assert_eq!(
        (s.commit_index(), s.last_applied()),
        (snapshot.last_index, snapshot.last_index),
        "committed and applied through the snapshot at once"
    );
    assert_eq!(
        s.state_machine(),
        &data.state_machine,
        "the state machine is the snapshot's"
    );
    assert_eq!(
        s.log().len(),
        image.len(),
        "and the log is the suffix after the snapshot"
    );
    assert_eq!(
        s.last_index(),
        image.last_index(),
        "the last index is the disk's"
    );
    until_applied(&mut cluster, &THREE, last, 100);
}

/// Every node snapshots, all three crash and restart: the cluster elects a leader within
/// 200 ticks and every write is read back.
#[test]
fn step5_snapshot_and_restart_of_every_node_lose_nothing() {
    let mut cluster = cluster_with(53, &THREE, compacting());
    let leader = until_leader(&mut cluster, 100);
    let last = write_many(&mut cluster, ALICE, &leader, 1, 50);
    until_applied(&mut cluster, &THREE, last, 50);
    cluster.tick_n(2);
    for id in THREE {
        assert!(
            server(&cluster, id).snapshot_index() > 0,
            "{id} compacted before the crash"
        );
    }
    for id in THREE {
        cluster.crash(id);
    }
    for id in THREE {
        cluster.restart(id);
    }
    let leader = until_leader(&mut cluster, 200);
    for (seq, key) in (1..=8).map(|k| (k, format!("k{}", k % 8))) {
        let newest = (1..=50).rev().find(|n| n % 8 == seq % 8).expect("written");
        let reply = execute(&mut cluster, BOB, &leader, seq, get(&key));
        assert_eq!(
            reply.outcome,
            read(Some(&format!("v{newest}"))),
            "{key} holds its last write after every node restarted from its snapshot"
        );
    }
}

/// Client sessions travel in the snapshot: after every node restarted from a snapshot
/// covering a write, retrying that write is answered with its first outcome and index,
/// and does not apply again.
#[test]
fn step5_a_retried_request_is_recognised_after_a_restart_from_a_snapshot() {
    let mut cluster = cluster_with(54, &THREE, compacting());
    let leader = until_leader(&mut cluster, 100);
    let first = execute(&mut cluster, CAROL, &leader, 1, cas("c", None, "one"));
    let last = write_many(&mut cluster, ALICE, &leader, 1, 40);
    until_applied(&mut cluster, &THREE, last, 50);
    cluster.tick_n(2);
    for id in THREE {
        assert!(
            server(&cluster, id).snapshot_index() > first.index,
            "{id}'s snapshot covers carol's write at index {}",
            first.index
        );
        cluster.crash(id);
    }
    for id in THREE {
        cluster.restart(id);
    }
    let leader = until_leader(&mut cluster, 200);
    let retried = execute(&mut cluster, CAROL, &leader, 1, cas("c", None, "one"));
    assert_eq!(
        (retried.index, &retried.outcome),
        (first.index, &first.outcome),
        "the retry is told the first outcome, at the first index"
    );
    let runs = server(&cluster, &leader).state_machine().operations_run();
    let again = execute(&mut cluster, CAROL, &leader, 1, cas("c", None, "one"));
    assert_eq!(
        again.outcome, first.outcome,
        "a second retry is told the first outcome too"
    );
    assert_eq!(
        server(&cluster, &leader).state_machine().operations_run(),
        runs,
        "a duplicate never runs"
    );
}

/// A crash of the follower at every tick of a snapshot's installation — while chunks
/// arrive, after the last one, with the install written but not synced, and after —
/// with the unsynced writes lost or a prefix of them kept: after its restart it catches
/// up within 150 ticks, its store equals the leader's, and the oracle (which replays the
/// committed log against every store) saw nothing applied twice.
#[test]
fn step5_a_crash_at_every_step_of_snapshot_installation_loses_nothing() {
    // The installation's window, measured on an undisturbed run of the same seed.
    let (mut cluster, _, follower, last) = follower_far_behind(55);
    cluster.reconnect(&follower);
    let start = cluster.now();
    cluster
        .tick_until_within(100, |c| {
            let f = c.node::<Server>(&follower);
            f.snapshot_index() > 0 && c.store(&follower).durable().log().snapshot().is_some()
        })
        .expect("the snapshot is installed and durable within 100 ticks");
    let window = cluster.now() - start + 2;
    assert!(
        window >= 4,
        "the installation spans several ticks ({window})"
    );
    println!("the installation spans {window} ticks");
    let mut crashes = 0;
    for policy in [CrashPolicy::LoseUnsynced, CrashPolicy::KeepPrefix] {
        for crash_at in 0..=window {
            let (mut cluster, leader, follower, last_write) = follower_far_behind(55);
            assert_eq!(last_write, last, "the same seed replays the same run");
            cluster.reconnect(&follower);
            cluster.tick_n(crash_at);
            cluster.crash_with(&follower, policy);
            cluster.tick_n(3);
            cluster.restart(&follower);
            crashes += 1;
            until_applied(&mut cluster, &[follower.as_str()], last, 150);
            let (f, l) = (server(&cluster, &follower), server(&cluster, &leader));
            assert_eq!(
                f.state_machine().entries(),
                l.state_machine().entries(),
                "crashed {crash_at} ticks into the installation ({policy:?}): the store is the leader's"
            );
        }
    }
    assert_eq!(
        crashes,
        2 * (window + 1),
        "one crash per tick of the window, per crash policy"
    );
}

/// One follower, driven by hand: its log holds entries 1..=6 of term 1 and it has
/// committed none.
fn follower_with_six_entries() -> common::solo::Solo<Server> {
    let mut node = solo(quiet());
    node.act(|s, ctx| {
        for _ in 0..6 {
            s.append_for_test(ctx, 1);
        }
    });
    node.tick_n(2);
    node.take_sent();
    node
}

/// A snapshot's bytes: the store after applying no-ops and one write through
/// `last_index`.
fn snapshot_through(last_index: u64, last_term: u64) -> Vec<u8> {
    let mut store = StateMachine::new();
    store.apply(
        1,
        &Command::Client {
            request: RequestId::new(ALICE, 1),
            operation: Operation::set("a", "1"),
        },
    );
    for index in 2..=last_index {
        store.apply(index, &Command::NoOp);
    }
    SnapshotData {
        last_index,
        last_term,
        state_machine: store,
        configuration: (0, Configuration::new(THREE)),
    }
    .encode()
    .expect("a snapshot encodes")
}

fn install(term: u64, last: (u64, u64), offset: u64, data: &[u8], done: bool) -> Msg {
    Msg::InstallSnapshot {
        term,
        leader: BYZANTIUM.into(),
        last_index: last.0,
        last_term: last.1,
        offset,
        data: data.to_vec(),
        done,
    }
}

fn acks(sent: &[common::Envelope<Msg>]) -> Vec<(u64, bool)> {
    sent.iter()
        .filter_map(|e| match e.body {
            Msg::SnapshotAck {
                received,
                installed,
                ..
            } => Some((received, installed)),
            _ => None,
        })
        .collect()
}

/// Figure 13: a snapshot through index 4 of term 1 — an entry this log holds — keeps
/// the entries after it; one through index 4 of term 2 (which this log does not hold)
/// discards the whole log. Both are answered `installed` only after the write.
#[test]
fn step5_install_keeps_a_matching_suffix_and_drops_a_conflicting_one() {
    let mut node = follower_with_six_entries();
    let bytes = snapshot_through(4, 1);
    node.deliver(BYZANTIUM, install(1, (4, 1), 0, &bytes, true));
    assert!(
        acks(&node.take_sent()).is_empty(),
        "no answer before the install is durable"
    );
    node.tick_n(2);
    assert_eq!(
        acks(&node.take_sent()),
        vec![(bytes.len() as u64, true)],
        "installed, once durable"
    );
    let s = node.process();
    assert_eq!(
        (s.snapshot_index(), s.last_index()),
        (4, 6),
        "the snapshot covers 1..=4 and the log still ends at 6"
    );
    assert_eq!(
        s.log().len(),
        2,
        "entries 5 and 6 agree with the leader: kept"
    );
    assert_eq!(
        s.state_machine().get("a"),
        Some("1"),
        "the store is the snapshot's"
    );

    let mut node = follower_with_six_entries();
    let bytes = snapshot_through(4, 2);
    node.deliver(BYZANTIUM, install(2, (4, 2), 0, &bytes, true));
    node.tick_n(2);
    let s = node.process();
    assert_eq!(
        (s.snapshot_index(), s.last_index(), s.log().len()),
        (4, 4, 0),
        "the log disagrees at the snapshot's last entry: all of it goes"
    );
    let durable = node.store().durable().log();
    assert_eq!(
        (durable.first_index(), durable.last_index()),
        (5, 4),
        "and on disk too"
    );
}

/// Chunks arrive in order or are asked for again: a chunk that skips ahead is answered
/// with the offset the follower holds, and only the complete snapshot is installed.
#[test]
fn step5_a_chunk_out_of_order_is_asked_for_again_from_the_held_offset() {
    let mut node = follower_with_six_entries();
    let bytes = snapshot_through(8, 1);
    let (a, rest) = bytes.split_at(10);
    node.deliver(BYZANTIUM, install(1, (8, 1), 0, a, false));
    node.deliver(BYZANTIUM, install(1, (8, 1), 20, &rest[10..], true));
    assert_eq!(
        acks(&node.take_sent()),
        vec![(10, false), (10, false)],
        "the skipped chunk is asked for from offset 10"
    );
    assert_eq!(node.process().snapshot_index(), 0, "nothing installed yet");
    node.deliver(BYZANTIUM, install(1, (8, 1), 10, rest, true));
    node.tick_n(2);
    assert_eq!(
        acks(&node.take_sent()),
        vec![(bytes.len() as u64, true)],
        "the last chunk completes the snapshot, installed once durable"
    );
    assert_eq!(
        node.process().snapshot_index(),
        8,
        "the complete snapshot is installed"
    );
}

/// Bad input loses nothing: a snapshot whose bytes do not decode to what its chunks
/// announced is refused (the leader is told to start over at 0) and the log, the store
/// and the disk are untouched.
#[test]
fn step5_a_snapshot_that_does_not_decode_is_refused_and_loses_nothing() {
    let mut node = follower_with_six_entries();
    let before = node.process().clone();
    let disk = node.store().durable().clone();
    node.deliver(BYZANTIUM, install(1, (8, 1), 0, b"not a snapshot", true));
    let wrong = snapshot_through(7, 1);
    node.deliver(BYZANTIUM, install(1, (8, 1), 0, &wrong, true));
    node.tick_n(2);
    assert_eq!(
        acks(&node.take_sent()),
        vec![(0, false), (0, false)],
        "both bad snapshots are refused, and the leader told to start over at 0"
    );
    let s = node.process();
    assert_eq!(
        (s.snapshot_index(), s.log(), s.state_machine()),
        (0, before.log(), before.state_machine())
    );
    assert_eq!(
        node.store().durable().log(),
        disk.log(),
        "nothing was written"
    );
}

/// A snapshot that does not go past the commit index is old news: acknowledged as
/// installed (the follower holds all it covers) without replacing anything; one from an
/// older term is refused with the follower's term.
#[test]
fn step5_an_old_or_stale_snapshot_is_not_installed() {
    let mut node = follower_with_six_entries();
    node.deliver(BYZANTIUM, append(BYZANTIUM, 3, (0, 0), &[1; 6], 5));
    node.tick_n(2);
    node.take_sent();
    assert_eq!(
        node.process().commit_index(),
        5,
        "set-up: the follower has committed through 5"
    );
    node.deliver(
        BYZANTIUM,
        install(3, (4, 1), 0, &snapshot_through(4, 1), true),
    );
    node.tick_n(2);
    assert_eq!(
        acks(&node.take_sent()),
        vec![(0, true)],
        "old news is acknowledged as installed"
    );
    assert_eq!(
        node.process().snapshot_index(),
        0,
        "nothing replaced: index 4 is committed here already"
    );
    node.deliver(
        BYZANTIUM,
        install(2, (9, 2), 0, &snapshot_through(9, 2), true),
    );
    let sent = node.take_sent();
    assert!(
        matches!(
            sent.as_slice(),
            [common::Envelope {
                body: Msg::SnapshotAck {
                    term: 3,
                    installed: false,
                    ..
                },
                ..
            }]
        ),
        "a term-2 leader is told term 3: {sent:?}"
    );
    assert_eq!(
        node.process().snapshot_index(),
        0,
        "a stale leader's snapshot is not installed"
    );
}

/// Storage stays bounded: 600 writes on three servers with a snapshot every 64 applied
/// entries keep every log below 64 entries plus one tick's arrivals, on disk and in
/// memory, at every tick; without snapshots the logs hold every entry.
#[test]
fn step5_storage_stays_bounded_under_a_long_write_workload() {
    fn longest_log(config: Config) -> (u64, usize, u64) {
        let mut cluster = cluster_with(56, &THREE, config);
        let leader = until_leader(&mut cluster, 100);
        let (mut longest, mut largest_snapshot) = (0u64, 0usize);
        let mut last = 0;
        for seq in 1..=600u64 {
            let call = raft::execute_following(
                &mut cluster,
                ALICE,
                &leader,
                seq,
                set(&format!("k{}", seq % 8), &format!("v{seq}")),
                CLIENT_TIMEOUT,
            );
            while call.is_pending() {
                cluster.tick();
                for id in THREE {
                    let s = server(&cluster, id);
                    let disk = cluster.store(id).durable().log().len() as u64;
                    longest = longest.max(s.log().len() as u64).max(disk);
                    largest_snapshot = largest_snapshot.max(s.snapshot_size());
                }
            }
            last = answered(&mut cluster, &call, ALICE).index;
        }
        (longest, largest_snapshot, last)
    }
    let (longest, snapshot, last) = longest_log(Config::with_snapshots(64, 1024));
    println!(
        "with snapshots every 64 entries: longest log {longest} entries, largest snapshot {snapshot} bytes, {last} entries written"
    );
    assert!(last > 600, "every write committed ({last} entries)");
    assert!(
        longest <= 64 + 4,
        "with snapshots every 64 entries the longest log held {longest} entries"
    );
    assert!(
        snapshot < 600,
        "a snapshot is the store's size (8 keys, one session), not the history's: {snapshot} bytes"
    );
    let (without, _, _) = longest_log(Config::default());
    assert!(
        without >= last,
        "without snapshots the log holds all {last} entries ({without})"
    );
}

/// Snapshots and membership together: a server added after the leader compacted its log
/// joins as a learner behind the leader's first entry, is caught up by InstallSnapshot,
/// and is promoted to voter. A follower that was cut off during the change and comes back
/// after the configuration entries were compacted learns the new configuration from the
/// snapshot alone; and a restart from a node's own snapshot keeps the configuration too.
#[test]
fn step5_a_snapshot_carries_the_configuration_to_new_and_returning_servers() {
    let mut cluster = cluster_with(57, &THREE, compacting());
    cluster.add_client(support::membership::OPERATOR);
    let leader = until_leader(&mut cluster, 100);
    let away = THREE
        .iter()
        .copied()
        .find(|id| *id != leader)
        .expect("a follower");
    write_many(&mut cluster, ALICE, &leader, 1, 40);
    assert!(
        server(&cluster, &leader).snapshot_index() >= 32,
        "set-up: the leader compacted its log (snapshot through {})",
        server(&cluster, &leader).snapshot_index()
    );
    cluster.isolate(away);
    cluster.add_server(DELPHI);
    let configuration = support::membership::add(&mut cluster, &leader, 1, DELPHI);
    assert!(configuration.is_voter(DELPHI), "delphi is promoted");
    let last = write_many(&mut cluster, ALICE, &leader, 41, 40);
    until_applied(&mut cluster, &[DELPHI], last, 200);
    let delphi = server(&cluster, DELPHI);
    assert_eq!(
        delphi.stats().snapshots_installed,
        1,
        "the entries delphi needed were discarded: a snapshot caught it up"
    );
    assert!(delphi.is_voter(), "delphi knows it votes");
    assert!(
        delphi.snapshot_index() > server(&cluster, &leader).configuration_index(),
        "delphi has since compacted the configuration entries itself"
    );
    assert_eq!(
        delphi.state_machine().entries(),
        server(&cluster, &leader).state_machine().entries()
    );
    cluster.reconnect(away);
    until_applied(&mut cluster, &[away], last, 200);
    assert!(
        server(&cluster, away).stats().snapshots_installed >= 1,
        "{away} came back behind the leader's first entry"
    );
    assert_eq!(
        server(&cluster, away).configuration(),
        &configuration,
        "{away} learned the four-voter configuration from the snapshot: its entry is gone"
    );
    cluster.crash(DELPHI);
    cluster.restart(DELPHI);
    assert_eq!(
        server(&cluster, DELPHI).configuration(),
        &configuration,
        "after a restart from its own snapshot delphi still knows the configuration"
    );
}

/// Crash-safety of compaction itself: a follower crashes in the tick it snapshots (its
/// write not yet synced) and, in a second run, one tick later, losing its unsynced
/// writes or keeping a prefix of them. Its disk holds either the whole log or the
/// snapshot with the log after it — never a trimmed log without its snapshot — and after
/// the restart its store equals the leader's, with the oracle checking that nothing was
/// applied twice.
#[test]
fn step5_a_crash_while_a_snapshot_is_written_keeps_the_log_or_the_snapshot() {
    let mut outcomes = std::collections::BTreeSet::new();
    for policy in [CrashPolicy::LoseUnsynced, CrashPolicy::KeepPrefix] {
        for delay in 0..=1 {
            let mut cluster = cluster_with(58, &THREE, compacting());
            let leader = until_leader(&mut cluster, 100);
            let follower = THREE
                .iter()
                .copied()
                .find(|id| *id != leader)
                .expect("a follower");
            let mut seq = 0;
            while server(&cluster, follower).stats().snapshots_taken == 0 {
                seq += 1;
                let call = raft::execute_following(
                    &mut cluster,
                    ALICE,
                    &leader,
                    seq,
                    set("k", &seq.to_string()),
                    CLIENT_TIMEOUT,
                );
                while call.is_pending() && server(&cluster, follower).stats().snapshots_taken == 0 {
                    cluster.tick();
                }
            }
            cluster.tick_n(delay);
            cluster.crash_with(follower, policy);
            let disk = cluster.store(follower).durable().log().clone();
            match disk.snapshot() {
                None => assert_eq!(
                    disk.first_index(),
                    1,
                    "{policy:?}, {delay} ticks: no snapshot on disk, so no entry may be gone"
                ),
                Some(snapshot) => assert_eq!(
                    disk.first_index(),
                    snapshot.last_index + 1,
                    "{policy:?}, {delay} ticks: the log starts right after the snapshot"
                ),
            }
            outcomes.insert(disk.snapshot().is_some());
            cluster.restart(follower);
            let last = execute(&mut cluster, BOB, &leader, 1, set("j", "after")).index;
            until_applied(&mut cluster, &[follower], last, 200);
            assert_eq!(
                server(&cluster, follower).state_machine().entries(),
                server(&cluster, &leader).state_machine().entries(),
                "{policy:?}, {delay} ticks: the store after the restart is the leader's"
            );
        }
    }
    assert_eq!(
        outcomes.len(),
        2,
        "the runs crash both before and after the snapshot reached the disk"
    );
}

/// A follower that compacted through index 6 still takes an AppendEntries whose
/// previous entry its snapshot covers (a leader that had not heard of the compaction):
/// the entries the snapshot covers are committed, so they are the leader's too; it
/// checks and merges only what comes after the snapshot, and reports the request's
/// last index as matched. One wholly inside the snapshot is a success too.
#[test]
fn step5_an_append_reaching_back_into_the_snapshot_merges_only_what_comes_after_it() {
    let config = Config {
        snapshot_every: Some(4),
        ..quiet()
    };
    let mut node = solo(config);
    node.deliver(BYZANTIUM, append(BYZANTIUM, 1, (0, 0), &[1; 6], 6));
    node.tick_n(3);
    assert_eq!(
        (node.process().snapshot_index(), node.process().log().len()),
        (6, 0),
        "the follower applied six entries and compacted them"
    );
    node.take_sent();
    node.deliver(BYZANTIUM, append(BYZANTIUM, 1, (3, 1), &[1; 5], 8));
    node.tick_n(2);
    assert_eq!(
        appended(&node.take_sent()),
        vec![(true, 8)],
        "indexes 4 to 8 from after index 3: a success, matched through 8"
    );
    let s = node.process();
    assert_eq!(
        (s.snapshot_index(), s.last_index(), s.log().len()),
        (6, 8, 2),
        "entries 7 and 8 are appended after the snapshot"
    );
    node.deliver(BYZANTIUM, append(BYZANTIUM, 1, (2, 1), &[1; 3], 8));
    node.tick_n(2);
    assert_eq!(
        appended(&node.take_sent()),
        vec![(true, 5)],
        "indexes 3 to 5, all inside the snapshot: a success, matched through 5"
    );
}

/// A snapshot chunk is a leader's message like AppendEntries: a node of an older term
/// moves to the chunk's term and follows its sender, and a candidate of the same term
/// steps down to follow it; either way the acknowledgement carries the chunk's term, so
/// the leader counts it.
#[test]
fn step5_a_snapshot_chunk_makes_an_older_term_node_or_a_candidate_follow_its_leader() {
    let bytes = snapshot_through(4, 1);
    let mut node = solo(quiet());
    node.deliver(BYZANTIUM, install(2, (4, 1), 0, &bytes[..8], false));
    let s = node.process();
    assert_eq!(
        (s.term(), s.role(), s.leader().map(|l| l.to_string())),
        (2, Role::Follower, Some(BYZANTIUM.to_string())),
        "a node of term 0 moves to term 2 and follows byzantium"
    );
    let mut candidate = solo(quiet());
    candidate.act(|s, ctx| s.start_election(ctx));
    candidate.tick_n(2);
    assert_eq!(candidate.process().role(), Role::Candidate);
    candidate.deliver(BYZANTIUM, install(1, (4, 1), 0, &bytes[..8], false));
    assert_eq!(
        candidate.process().role(),
        Role::Follower,
        "a candidate of term 1 steps down for the leader of term 1"
    );
    for (sent, term) in [(node.take_sent(), 2), (candidate.take_sent(), 1)] {
        let terms: Vec<u64> = sent
            .iter()
            .filter_map(|e| match e.body {
                Msg::SnapshotAck { term, .. } => Some(term),
                _ => None,
            })
            .collect();
        assert_eq!(
            terms,
            vec![term],
            "one acknowledgement, in the chunk's term {term}"
        );
    }
}

/// Figure 13 on a follower that has compacted already: its log holds entries 7 to 10
/// after its own snapshot through 6; a leader's snapshot through 8 of term 1 matches
/// entry 8, so entries 9 and 10 stay (counted from the follower's snapshot, not from
/// index 1).
#[test]
fn step5_a_snapshot_installed_over_an_older_one_keeps_the_entries_after_it() {
    let config = Config {
        snapshot_every: Some(4),
        ..quiet()
    };
    let mut node = solo(config);
    node.deliver(BYZANTIUM, append(BYZANTIUM, 1, (0, 0), &[1; 10], 6));
    node.tick_n(3);
    assert_eq!(
        (node.process().snapshot_index(), node.process().last_index()),
        (6, 10),
        "a snapshot through 6, entries 7 to 10 after it"
    );
    let bytes = snapshot_through(8, 1);
    node.deliver(BYZANTIUM, install(1, (8, 1), 0, &bytes, true));
    node.tick_n(2);
    let s = node.process();
    assert_eq!(
        (s.snapshot_index(), s.last_index(), s.log().len()),
        (8, 10, 2),
        "the snapshot through 8 is installed, and entries 9 and 10 are kept"
    );
}

/// Athens driven by hand as the leader of term 1, compacting every 4 entries and sending
/// 16-byte chunks: six writes that byzantium acknowledged are committed, applied and
/// compacted; cyrene has answered nothing, so the leader sends it the snapshot. Returns
/// the node and the snapshot's last index.
fn leader_sending_a_snapshot() -> (common::solo::Solo<Server>, u64) {
    let config = Config {
        snapshot_every: Some(4),
        snapshot_chunk_bytes: 16,
        ..quiet()
    };
    let mut node = solo(config);
    node.act(|s, ctx| s.start_election(ctx));
    node.tick_n(2);
    node.deliver(
        BYZANTIUM,
        Msg::Vote {
            term: 1,
            granted: true,
            pre_vote: false,
        },
    );
    for seq in 1..=6 {
        node.request(
            ALICE,
            Msg::Execute {
                request: RequestId::new(ALICE, seq),
                operation: Operation::set("k", seq.to_string()),
            },
        );
    }
    node.tick_n(2);
    let last = node.process().last_index();
    node.deliver(BYZANTIUM, stored_through(1, last));
    node.tick_n(2);
    assert_eq!(
        node.process().snapshot_index(),
        last,
        "the leader compacted its log"
    );
    let mut first = Vec::new();
    for _ in 0..8 {
        node.tick();
        first = chunks_to_cyrene(&node.take_sent());
        if !first.is_empty() {
            break;
        }
    }
    assert_eq!(first, vec![(last, 0, 16)], "the first chunk goes to cyrene");
    (node, last)
}

/// The InstallSnapshot chunks in `sent` to cyrene: `(last_index, offset, length)`.
fn chunks_to_cyrene(sent: &[common::Envelope<Msg>]) -> Vec<(u64, u64, usize)> {
    sent.iter()
        .filter(|e| e.to == CYRENE)
        .filter_map(|e| match &e.body {
            Msg::InstallSnapshot {
                last_index,
                offset,
                data,
                ..
            } => Some((*last_index, *offset, data.len())),
            _ => None,
        })
        .collect()
}

fn snapshot_ack(last_index: u64, received: u64, installed: bool) -> Msg {
    Msg::SnapshotAck {
        term: 1,
        last_index,
        received,
        installed,
    }
}

/// The leader's side of the chunks: an acknowledgement of another snapshot moves
/// nothing; an acknowledgement that shows no progress (cyrene holds 0 bytes, as after a
/// restart) is answered with the chunk from there at once, and, as it was no progress,
/// that chunk is sent again at the next heartbeat if still unanswered.
#[test]
fn step5_the_leader_sends_chunks_from_the_offset_acknowledged_for_this_snapshot_and_resends_without_progress()
 {
    let (mut node, last) = leader_sending_a_snapshot();
    node.deliver(CYRENE, snapshot_ack(last - 1, 16, false));
    assert_eq!(
        chunks_to_cyrene(&node.take_sent()),
        vec![],
        "an acknowledgement of a snapshot through {} is not about this one",
        last - 1
    );
    node.deliver(CYRENE, snapshot_ack(last, 0, false));
    assert_eq!(
        chunks_to_cyrene(&node.take_sent()),
        vec![(last, 0, 16)],
        "cyrene holds nothing: the first chunk again, at once"
    );
    node.tick_n(4);
    assert_eq!(
        chunks_to_cyrene(&node.take_sent()),
        vec![(last, 0, 16)],
        "no progress since the last heartbeat: the heartbeat sends it again"
    );
}

/// Once cyrene has installed the snapshot, the leader replicates entries after it; a
/// duplicate of the `installed` answer is no progress, so a write sent since and not
/// answered is sent again at the next heartbeat.
#[test]
fn step5_a_duplicate_installed_answer_is_no_progress_and_the_heartbeat_resends_what_is_unanswered()
{
    let (mut node, last) = leader_sending_a_snapshot();
    let size = node.process().snapshot_size() as u64;
    node.deliver(CYRENE, snapshot_ack(last, size, true));
    assert_eq!(node.process().match_index(CYRENE), Some(last), "installed");
    node.tick_n(4);
    node.request(
        ALICE,
        Msg::Execute {
            request: RequestId::new(ALICE, 7),
            operation: Operation::set("k", "7"),
        },
    );
    node.tick();
    node.deliver(CYRENE, snapshot_ack(last, size, true));
    node.take_sent();
    let mut carried = Vec::new();
    for _ in 0..4 {
        node.tick();
        carried.extend(appends_to(&node.take_sent(), CYRENE));
    }
    assert_eq!(
        carried,
        vec![(last, 1)],
        "the heartbeat sends write {} again after the snapshot's last entry",
        last + 1
    );
}
