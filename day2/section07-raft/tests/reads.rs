//! Step 4: clients and reads — ReadIndex reads that are linearizable without entering
//! the log, followers and deposed leaders that refuse to answer from local state, and
//! clients that follow `NotLeader` hints.

mod support;

use common::ProcessId;
use raft::{Config, Msg, ReadMode, Server};
use support::*;

/// A read after an acknowledged write sees it, answered by ReadIndex: no entry is
/// appended for the read, and the read index is at least the write's index.
#[test]
fn step4_reads_are_linearizable() {
    let mut cluster = three(41);
    let leader = until_leader(&mut cluster, 100);
    let write = execute(&mut cluster, ALICE, &leader, 1, set("k", "v1"));
    let log_before = server(&cluster, &leader).last_index();
    let read_back = execute(&mut cluster, BOB, &leader, 1, get("k"));
    assert_eq!(
        read_back.outcome,
        read(Some("v1")),
        "the read sees the acknowledged write"
    );
    assert!(
        read_back.index >= write.index,
        "the read index covers the write"
    );
    assert_eq!(
        server(&cluster, &leader).last_index(),
        log_before,
        "a ReadIndex read appends nothing to the log"
    );
}

/// A new leader answers no read before the no-op of its term has committed: until then
/// it does not know the whole committed prefix.
#[test]
fn step4_a_new_leader_reads_only_after_its_no_op_commits() {
    let mut cluster = three(42);
    let leader = until_leader(&mut cluster, 100);
    execute(&mut cluster, ALICE, &leader, 1, set("k", "v"));
    let followers: Vec<&str> = THREE.into_iter().filter(|id| *id != leader).collect();
    cluster.crash(&leader);
    let new = until_leader_among(&mut cluster, &followers, 200);
    let noop = server(&cluster, &new).last_index();
    let call = raft::execute(&mut cluster, BOB, &new, 1, get("k"));
    let who = new.clone();
    cluster
        .tick_until_within(100, |c| {
            !call.is_pending() || c.node::<Server>(&who).commit_index() >= noop
        })
        .unwrap_or_else(|e| panic!("the read or the no-op completes: {e}"));
    assert!(
        call.is_pending() || server(&cluster, &new).commit_index() >= noop,
        "no read is answered before the term's no-op commits"
    );
    let answer = answered(&mut cluster, &call, BOB);
    assert_eq!(
        answer.outcome,
        read(Some("v")),
        "then it reads the committed value"
    );
}

/// A follower redirects a read to the leader it knows; the client follows the hint.
#[test]
fn step4_follower_redirects_reads() {
    let mut cluster = three(43);
    let leader = until_leader(&mut cluster, 100);
    execute(&mut cluster, ALICE, &leader, 1, set("k", "v"));
    let follower = THREE.into_iter().find(|id| *id != leader).unwrap_or(ATHENS);
    let call = raft::execute(&mut cluster, BOB, follower, 1, get("k"));
    let answer = cluster.run(&call);
    assert!(
        matches!(&answer, Ok(Msg::NotLeader { hint: Some(h), .. }) if *h == ProcessId::new(leader.as_str())),
        "the follower refuses and names the leader: {answer:?}"
    );
    let followed = execute(&mut cluster, BOB, follower, 1, get("k"));
    assert_eq!(
        followed.outcome,
        read(Some("v")),
        "following the hint, the read succeeds"
    );
}

/// A leader cut off from the others cannot confirm its leadership: a read sent to it is
/// never answered with a value — while the others elect a new leader and commit a new
/// write — and it is told to go elsewhere once the old leader steps down.
#[test]
fn step4_deposed_leader_cannot_serve_reads() {
    let mut cluster = three(44);
    let old = until_leader(&mut cluster, 100);
    execute(&mut cluster, ALICE, &old, 1, set("k", "old"));
    let others: Vec<&str> = THREE.into_iter().filter(|id| *id != old).collect();
    cluster.partition(&[&[old.as_str()], &others]);
    let stale = raft::execute(&mut cluster, BOB, &old, 1, get("k"));
    let new = until_leader_among(&mut cluster, &others, 200);
    execute(&mut cluster, ALICE, &new, 2, set("k", "new"));
    let answer = cluster.run(&stale);
    assert!(
        !matches!(answer, Ok(Msg::Executed { .. })),
        "the deposed leader must not answer from its stale state: {answer:?}"
    );
    cluster.heal_all();
    let fresh = execute(&mut cluster, BOB, &old, 2, get("k"));
    assert_eq!(
        fresh.outcome,
        read(Some("new")),
        "through the new leader the read sees the new write"
    );
}

/// Reads through the log (the baseline mode) give the same answers; each read takes a
/// log entry.
#[test]
fn step4_reads_through_the_log_take_an_entry_each() {
    let config = Config {
        read_mode: ReadMode::ThroughLog,
        ..Config::default()
    };
    let mut cluster = cluster_with(45, &THREE, config);
    let leader = until_leader(&mut cluster, 100);
    execute(&mut cluster, ALICE, &leader, 1, set("k", "v"));
    let before = server(&cluster, &leader).last_index();
    let answer = execute(&mut cluster, BOB, &leader, 1, get("k"));
    assert_eq!(answer.outcome, read(Some("v")), "the read sees the write");
    assert_eq!(
        server(&cluster, &leader).last_index(),
        before + 1,
        "the read took an entry"
    );
}

/// A ReadIndex read waits at the leader until a heartbeat round confirms it still
/// leads: the leader shows one pending read, and none once the read is answered.
#[test]
fn step4_a_read_waits_at_the_leader_for_its_round() {
    let mut cluster = three(46);
    let leader = until_leader(&mut cluster, 100);
    execute(&mut cluster, ALICE, &leader, 1, set("k", "v"));
    let call = raft::execute(&mut cluster, BOB, &leader, 1, get("k"));
    let who = leader.clone();
    cluster
        .tick_until_within(5, |c| server(c, &who).pending_reads() == 1)
        .expect("bob's read waits at the leader for its round");
    let reply = answered(&mut cluster, &call, BOB);
    assert_eq!(reply.outcome, read(Some("v")), "bob reads v");
    assert_eq!(
        server(&cluster, &leader).pending_reads(),
        0,
        "the answered read no longer waits"
    );
}

/// Reads that arrive together share one heartbeat round.
#[test]
fn step4_concurrent_reads_share_one_round() {
    let mut cluster = three(46);
    let leader = until_leader(&mut cluster, 100);
    execute(&mut cluster, ALICE, &leader, 1, set("k", "v"));
    let rounds_before = server(&cluster, &leader).read_round();
    let calls: Vec<_> = [ALICE, BOB, CAROL]
        .iter()
        .map(|c| raft::execute(&mut cluster, c, &leader, 5, get("k")))
        .collect();
    for (call, c) in calls.iter().zip([ALICE, BOB, CAROL]) {
        assert_eq!(
            answered(&mut cluster, call, c).outcome,
            read(Some("v")),
            "{c} reads v"
        );
    }
    let rounds = server(&cluster, &leader).read_round() - rounds_before;
    assert_eq!(
        rounds, 1,
        "three reads arriving in one tick share one heartbeat round"
    );
}

/// Without the no-op (bug R7's configuration), a new leader has no entry of its term
/// to commit, so a read waits for the first client write of the term: only that commit
/// tells the leader the committed prefix. The read is then answered, and sees the write.
#[test]
fn step4_without_the_no_op_a_new_leader_answers_reads_only_after_a_write_of_its_term_commits() {
    let config = Config {
        noop_on_election: false,
        ..Config::default()
    };
    let mut cluster = cluster_with(44, &THREE, config);
    let leader = until_leader(&mut cluster, 100);
    assert_eq!(
        server(&cluster, &leader).last_index(),
        0,
        "no no-op appended"
    );
    let call = raft::execute(&mut cluster, BOB, &leader, 1, get("k"));
    cluster.tick_n(60);
    assert!(
        call.is_pending(),
        "60 ticks later the read still waits for an entry of the leader's term to commit"
    );
    execute(&mut cluster, ALICE, &leader, 1, set("k", "v"));
    let answer = answered(&mut cluster, &call, BOB);
    assert_eq!(
        answer.outcome,
        read(Some("v")),
        "then it is answered, after the write"
    );
}
