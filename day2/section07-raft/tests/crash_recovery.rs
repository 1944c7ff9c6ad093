//! Step 3: durability — term, vote and log synced before any answer that depends on
//! them, restart from storage, and what a lab suite checks of persistence: every node
//! crashed and restarted, minorities crashed again and again, a leader crashed with
//! writes in flight. The oracle checks every tick; tick bounds are stated.

mod support;

use common::{CrashPolicy, StoreConfig};
use raft::{Config, Server};
use support::*;

/// Term, vote and log survive a crash of every node; after the restart the cluster
/// elects a leader within 200 ticks and every replica applies the old writes again.
#[test]
fn step3_persistent_state_survives_restart() {
    let mut cluster = three(21);
    let leader = until_leader(&mut cluster, 100);
    let first = execute(&mut cluster, ALICE, &leader, 1, set("k", "1"));
    let second = execute(&mut cluster, ALICE, &leader, 2, set("j", "2"));
    until_applied(&mut cluster, &THREE, second.index, 50);
    let before: Vec<(u64, usize)> = THREE
        .iter()
        .map(|id| {
            (
                server(&cluster, id).term(),
                server(&cluster, id).log().len(),
            )
        })
        .collect();
    for id in THREE {
        cluster.crash(id);
    }
    for id in THREE {
        cluster.restart(id);
    }
    for (id, (term, len)) in THREE.iter().zip(before) {
        let s = server(&cluster, id);
        assert_eq!(s.term(), term, "{id} recovers its term");
        assert_eq!(s.log().len(), len, "{id} recovers its whole log");
        assert_eq!(s.commit_index(), 0, "the commit index is volatile");
    }
    let leader = until_leader(&mut cluster, 200);
    until_applied(&mut cluster, &THREE, second.index, 100);
    let read_back = execute(&mut cluster, BOB, &leader, 1, get("k"));
    assert_eq!(
        read_back.outcome,
        read(Some("1")),
        "index {}'s write survives",
        first.index
    );
}

/// Lab "persistence 2": for ten rounds a seeded-random minority crashes while clients
/// write, and restarts; every acknowledged write is applied everywhere at the end.
#[test]
fn step3_repeated_crashes_of_a_minority_lose_no_acknowledged_write() {
    let mut cluster = five(22);
    let mut rng = common::SimRng::derive(22, "persist2");
    let mut last = 0;
    for round in 1..=10u64 {
        let leader = until_leader(&mut cluster, 300);
        let reply = execute(
            &mut cluster,
            ALICE,
            &leader,
            round,
            set("k", &round.to_string()),
        );
        last = last.max(reply.index);
        let mut ids = FIVE.to_vec();
        rng.shuffle(&mut ids);
        for id in &ids[..2] {
            cluster.crash(id);
        }
        cluster.tick_n(rng.range(1, 30));
        for id in &ids[..2] {
            cluster.restart(id);
        }
    }
    until_leader(&mut cluster, 300);
    until_applied(&mut cluster, &FIVE, last, 300);
    for id in FIVE {
        assert_eq!(
            server(&cluster, id).state_machine().get("k"),
            Some("10"),
            "{id} applies the last acknowledged write"
        );
    }
}

/// Lab "persistence 3" with lost unsynced writes: the leader and a follower crash
/// (keeping a random prefix of unsynced writes) right after a write is acknowledged;
/// the write survives, applied once.
#[test]
fn step3_a_crashed_leader_loses_no_acknowledged_write() {
    let mut cluster = three(23);
    for id in THREE {
        cluster.set_crash_policy(id, CrashPolicy::KeepPrefix);
    }
    for round in 1..=5u64 {
        let leader = until_leader(&mut cluster, 300);
        let follower = THREE.into_iter().find(|id| *id != leader).unwrap_or(ATHENS);
        let reply = execute(
            &mut cluster,
            ALICE,
            &leader,
            round,
            cas("k", None, &round.to_string()),
        );
        cluster.crash(&leader);
        cluster.crash(follower);
        cluster.tick_n(5);
        cluster.restart(&leader);
        cluster.restart(follower);
        let leader = until_leader(&mut cluster, 300);
        let check = execute(&mut cluster, BOB, &leader, round, get("k"));
        assert_eq!(
            check.outcome,
            read(Some("1")),
            "round {round}: the first acknowledged swap (index {}) survives, and later swaps expecting an absent key fail",
            reply.index
        );
    }
}

/// A restarted voter never votes twice in a term: it granted byzantium term 5, synced,
/// crashed and restarted, and refuses cyrene in term 5.
#[test]
fn step3_restarted_node_does_not_vote_twice_in_a_term() {
    let mut node = solo(quiet());
    node.deliver(BYZANTIUM, vote_request(BYZANTIUM, 5, 0, 0));
    node.tick_n(3);
    assert_eq!(
        votes_to(&node.take_sent(), BYZANTIUM),
        vec![(5, true)],
        "the vote is granted once durable"
    );
    node.crash();
    node.restart(Server::new(&common::ProcessId::new(ATHENS), quiet()));
    assert_eq!(node.process().term(), 5, "the term survives the restart");
    node.deliver(CYRENE, vote_request(CYRENE, 5, 0, 0));
    node.tick_n(3);
    assert_eq!(
        votes_to(&node.take_sent(), CYRENE),
        vec![(5, false)],
        "the restarted voter remembers its vote for byzantium"
    );
}

/// The durable-decision pattern on the follower: with a 5-tick disk, the answer to an
/// AppendEntries leaves only once the entries are synced; a crash before then loses the
/// entries and no answer was ever sent.
#[test]
fn step3_follower_acks_only_after_entries_are_durable() {
    let mut node = solo(quiet());
    node.store_mut().set_delay(5, 5);
    node.deliver(BYZANTIUM, append(BYZANTIUM, 1, (0, 0), &[1, 1], 0));
    node.tick_n(4);
    assert!(
        appended(&node.take_sent()).is_empty(),
        "no answer while the entries are not durable"
    );
    node.tick_n(2);
    assert_eq!(
        appended(&node.take_sent()),
        vec![(true, 2)],
        "the answer follows the sync"
    );
    node.deliver(BYZANTIUM, append(BYZANTIUM, 1, (2, 1), &[1], 0));
    node.tick_n(2);
    node.crash();
    node.restart(Server::new(&common::ProcessId::new(ATHENS), quiet()));
    assert_eq!(
        node.process().last_index(),
        2,
        "the entry whose write had not completed is lost, and it was never acknowledged"
    );
}

/// The broken twin acknowledges at once, before the sync: the leader may count an
/// entry that a crash then erases.
#[test]
fn step3_the_early_acknowledging_twin_answers_before_its_sync() {
    let config = Config {
        ack_timing: raft::AckTiming::BeforeSync,
        ..quiet()
    };
    let mut node = solo(config.clone());
    node.store_mut().set_delay(5, 5);
    node.deliver(BYZANTIUM, append(BYZANTIUM, 1, (0, 0), &[1, 1], 0));
    assert_eq!(
        appended(&node.take_sent()),
        vec![(true, 2)],
        "the twin answers at once"
    );
    node.crash();
    node.restart(Server::new(&common::ProcessId::new(ATHENS), config));
    assert_eq!(
        node.process().last_index(),
        0,
        "and forgets what it acknowledged"
    );
}

/// A store that loses every unsynced write: a node whose writes are all synced before
/// they count loses nothing it acknowledged, whatever the store delay.
#[test]
fn step3_slow_disks_keep_acknowledged_writes() {
    let builder = common::ClusterBuilder::new()
        .seed(24)
        .servers(THREE)
        .store(StoreConfig {
            delay: (3, 8),
            ..StoreConfig::default()
        })
        .request_timeout(CLIENT_TIMEOUT);
    let mut cluster = raft::build(builder, Config::default());
    cluster.add_client(ALICE);
    support::oracle::install(&mut cluster);
    let leader = until_leader(&mut cluster, 300);
    let reply = execute(&mut cluster, ALICE, &leader, 1, set("k", "durable"));
    for id in THREE {
        cluster.crash(id);
        cluster.restart(id);
    }
    let leader = until_leader(&mut cluster, 300);
    until_applied(&mut cluster, &[leader.as_str()], reply.index, 200);
    assert_eq!(
        server(&cluster, &leader).state_machine().get("k"),
        Some("durable"),
        "the acknowledged write survives crashing every node"
    );
}

/// A failed write leaves memory ahead of a disk that may have skipped it, so the node
/// stops (fail-stop) until it is restarted from what its disk holds. Here the leader's
/// write of a client's entry fails: it halts and answers nothing, another node takes
/// over and serves the client's retry, and the old leader rejoins once restarted.
#[test]
fn step3_a_node_whose_write_fails_stops_until_it_is_restarted() {
    let mut cluster = three(23);
    let leader = until_leader(&mut cluster, 100);
    cluster.store_mut(&leader).fail_next(1);
    let lost = raft::execute(&mut cluster, ALICE, &leader, 1, set("k", "1"));
    cluster
        .tick_until_within(20, |c| server(c, &leader).halted().is_some())
        .unwrap_or_else(|e| panic!("{leader} must halt on its failed write: {e}"));
    cluster.tick_n(CLIENT_TIMEOUT);
    assert!(
        matches!(lost.result(), Some(Err(common::RpcError::Timeout { .. }))),
        "a halted leader answers nothing, got {:?}",
        lost.result()
    );
    let others: Vec<&str> = THREE.iter().copied().filter(|id| **id != leader).collect();
    let new_leader = until_leader_among(&mut cluster, &others, 300);
    let retried = execute(&mut cluster, ALICE, &new_leader, 1, set("k", "1"));
    assert_eq!(
        retried.outcome,
        stored("1"),
        "the retry is served by {new_leader}"
    );
    assert!(
        server(&cluster, &leader).halted().is_some(),
        "{leader} stays halted until it is restarted"
    );

    cluster.crash(&leader);
    cluster.restart(&leader);
    assert!(
        server(&cluster, &leader).halted().is_none(),
        "{leader} restarts from its disk and takes part again"
    );
    until_applied(&mut cluster, &THREE, retried.index, 200);
}

/// Bad input loses no data: a follower's stored term and vote are damaged while it is
/// down. Starting from term 0 with no vote could let it vote twice in a term, so it stays
/// silent instead, says why, and leaves the record as it was; the other two go on.
#[test]
fn step3_a_node_whose_stored_term_does_not_decode_stays_silent_and_keeps_the_record() {
    use common::WriteBatch;
    let mut cluster = three(24);
    let leader = until_leader(&mut cluster, 100);
    let first = execute(&mut cluster, ALICE, &leader, 1, set("k", "1"));
    until_applied(&mut cluster, &THREE, first.index, 50);
    let victim = *THREE.iter().find(|id| **id != leader).expect("a follower");
    cluster.crash(victim);
    let garbage = b"not a term and a vote".to_vec();
    cluster
        .store_mut(victim)
        .write_to_disk(WriteBatch::new().put(raft::HARD_STATE_KEY, garbage.clone()))
        .expect("a put always fits");
    cluster.restart(victim);

    let error = server(&cluster, victim).halted();
    assert!(
        error.is_some_and(|e| e.to_string().contains("decode")),
        "{victim} must say its term and vote do not decode, got {error:?}"
    );
    let second = execute(&mut cluster, ALICE, &leader, 2, set("k", "2"));
    assert_eq!(second.outcome, stored("2"), "the other two still commit");
    let behind = server(&cluster, victim).log().len();
    cluster.tick_n(100);
    assert_eq!(
        server(&cluster, victim).log().len(),
        behind,
        "{victim} takes no part: it appends nothing"
    );
    assert_eq!(
        cluster.store(victim).get(raft::HARD_STATE_KEY),
        Some(garbage.as_slice()),
        "the damaged record is left as it was"
    );
}
