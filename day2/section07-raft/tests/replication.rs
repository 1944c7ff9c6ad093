//! Step 2: log replication and the commit rule — the Java section's replication test,
//! what a Raft lab suite checks of agreement (followers that leave and return,
//! concurrent clients, rejoining leaders, long divergent logs, RPC counts), the
//! conflicting-suffix repair, and Figure 8 with the commit rule switched. The oracle
//! checks every tick; tick bounds are stated in each test.

mod support;

use common::{Cluster, ClusterError};
use raft::{CommitRule, Config, Msg, Server};
use support::*;

/// Java `basic_replication_reaches_all_nodes`: the leader answers a client's write
/// with success, and within 50 ticks every state machine holds the value.
#[test]
fn step2_basic_replication_reaches_all_nodes() {
    let mut cluster = three(11);
    let leader = until_leader(&mut cluster, 100);
    for id in THREE.iter().filter(|id| **id != leader) {
        assert!(!server(&cluster, id).is_leader(), "{id} must not lead");
    }
    let reply = execute(
        &mut cluster,
        ALICE,
        &leader,
        1,
        set("title", "Raft Consensus"),
    );
    assert_eq!(
        reply.outcome,
        stored("Raft Consensus"),
        "the write succeeds"
    );
    until_applied(&mut cluster, &THREE, reply.index, 50);
    for id in THREE {
        assert_eq!(
            server(&cluster, id).state_machine().get("title"),
            Some("Raft Consensus"),
            "{id}'s state machine must hold the value"
        );
    }
}

/// A client's write waits at the leader until its entry is applied there: the leader
/// shows one waiting client while the entry is replicated, and none once the client is
/// answered, by which time the entry is on the leader's disk.
#[test]
fn step2_a_client_waits_at_the_leader_until_its_entry_applies() {
    let mut cluster = three(11);
    let leader = until_leader(&mut cluster, 100);
    let call = raft::execute(&mut cluster, ALICE, &leader, 1, set("title", "Raft"));
    let who = leader.clone();
    cluster
        .tick_until_within(5, |c| server(c, &who).waiting_clients() == 1)
        .expect("alice's write waits at the leader while its entry is replicated");
    let reply = answered(&mut cluster, &call, ALICE);
    let node = server(&cluster, &leader);
    assert_eq!(node.waiting_clients(), 0, "alice was answered");
    assert!(
        node.durable_last() >= reply.index,
        "the leader answers only for an entry on its own disk (durable through {}, entry {})",
        node.durable_last(),
        reply.index
    );
}

/// Lab "agreement despite a disconnected follower": writes commit without it; when it
/// returns it catches up within 100 ticks, and later writes reach all three.
#[test]
fn step2_agreement_with_a_disconnected_and_reconnected_follower() {
    let mut cluster = three(12);
    let leader = until_leader(&mut cluster, 100);
    execute(&mut cluster, ALICE, &leader, 1, set("k", "1"));
    let follower = THREE.into_iter().find(|id| *id != leader).unwrap_or(ATHENS);
    cluster.isolate(follower);
    for seq in 2..=4 {
        execute(
            &mut cluster,
            ALICE,
            &leader,
            seq,
            set("k", &seq.to_string()),
        );
    }
    cluster.heal_all();
    let last = execute(&mut cluster, ALICE, &leader, 5, set("k", "5"));
    until_applied(&mut cluster, &THREE, last.index, 100);
    assert_eq!(
        server(&cluster, follower).state_machine().get("k"),
        Some("5"),
        "the returning follower applies every write"
    );
}

/// Lab "no agreement without a majority": five servers, three followers cut off; the
/// leader's write does not commit in 200 ticks. Healed, it commits and so do new
/// writes.
#[test]
fn step2_no_agreement_without_a_majority() {
    let mut cluster = five(13);
    let leader = until_leader(&mut cluster, 150);
    let followers: Vec<&str> = FIVE.into_iter().filter(|id| *id != leader).collect();
    for id in &followers[..3] {
        cluster.isolate(id);
    }
    let pending = raft::execute(&mut cluster, ALICE, &leader, 1, set("k", "lost?"));
    let commit = server(&cluster, &leader).commit_index();
    cluster.tick_n(40);
    assert_eq!(
        server(&cluster, &leader).commit_index(),
        commit,
        "nothing commits on two of five servers"
    );
    cluster.heal_all();
    let _ = cluster.run(&pending);
    let now = until_leader(&mut cluster, 200);
    let reply = execute(&mut cluster, BOB, &now, 1, set("k", "after"));
    until_applied(&mut cluster, &FIVE, reply.index, 100);
}

/// Lab "concurrent starts": three clients write at once; each write gets its own
/// index, and every server applies all three within 100 ticks.
#[test]
fn step2_concurrent_client_writes_all_commit_at_distinct_indexes() {
    let mut cluster = three(14);
    let leader = until_leader(&mut cluster, 100);
    let calls: Vec<_> = [ALICE, BOB, CAROL]
        .iter()
        .map(|c| raft::execute(&mut cluster, c, &leader, 1, set(c, "v")))
        .collect();
    let mut indexes: Vec<u64> = calls
        .iter()
        .zip([ALICE, BOB, CAROL])
        .map(|(call, c)| answered(&mut cluster, call, c).index)
        .collect();
    indexes.sort_unstable();
    indexes.dedup();
    assert_eq!(indexes.len(), 3, "three writes, three distinct indexes");
    until_applied(&mut cluster, &THREE, indexes[2], 100);
}

/// Lab "rejoin of a partitioned leader", and bug R1: the old leader keeps two writes
/// it could not replicate; the new leader commits others; when the old leader returns,
/// its tail is replaced, nothing is committed falsely, and no leader index passes the
/// end of its log.
#[test]
fn step2_rejoining_old_leader_with_unreplicated_tail() {
    let mut cluster = three(15);
    let old = until_leader(&mut cluster, 100);
    execute(&mut cluster, ALICE, &old, 1, set("k", "agreed"));
    let others: Vec<&str> = THREE.into_iter().filter(|id| *id != old).collect();
    // Cut the old leader off from the servers only: clients still reach it.
    cluster.partition(&[&[old.as_str()], &others]);
    let lost: Vec<_> = (2..=3)
        .map(|seq| raft::execute(&mut cluster, ALICE, &old, seq, set("k", "lost")))
        .collect();
    cluster.tick_n(5);
    assert!(
        server(&cluster, &old).last_index() >= 4,
        "the old leader appended the two writes it cannot replicate"
    );
    let new = until_leader_among(&mut cluster, &others, 200);
    let reply = execute(&mut cluster, BOB, &new, 1, set("k", "new"));
    cluster.heal_all();
    let more = execute(&mut cluster, BOB, &new, 2, set("j", "more"));
    until_applied(&mut cluster, &THREE, more.index, 100);
    for call in &lost {
        let answer = cluster.run(call);
        assert!(
            !matches!(answer, Ok(Msg::Executed { .. })),
            "a write the old leader could not replicate must not be reported applied: {answer:?}"
        );
    }
    for id in THREE {
        assert_eq!(
            server(&cluster, id).state_machine().get("k"),
            Some("new"),
            "{id} holds the new leader's write at index {}",
            reply.index
        );
    }
    let leader = server(&cluster, &new);
    for peer in THREE.iter().filter(|p| **p != new) {
        assert!(
            leader.next_index(peer).unwrap_or(0) <= leader.last_index() + 1,
            "the leader's next index for {peer} never passes its log (bug R1)"
        );
    }
}

/// A follower holding entries of an old term that the leader does not have has exactly
/// that suffix truncated and replaced; its matching prefix is kept.
#[test]
fn step2_conflicting_tail_is_truncated_and_repaired() {
    let mut cluster = three(16);
    let first = until_leader(&mut cluster, 100);
    execute(&mut cluster, ALICE, &first, 1, set("a", "1"));
    let agreed = server(&cluster, &first).last_index();
    let others: Vec<&str> = THREE.into_iter().filter(|id| *id != first).collect();
    cluster.partition(&[&[first.as_str()], &others]);
    for seq in 2..=4 {
        let _ = raft::execute(&mut cluster, ALICE, &first, seq, set("a", "stale"));
    }
    cluster.tick_n(5);
    let stale_terms = terms(&cluster, &first);
    assert!(
        stale_terms.len() as u64 > agreed,
        "the cut-off leader appended entries only it holds"
    );
    let second = until_leader_among(&mut cluster, &others, 200);
    for seq in 1..=2 {
        execute(&mut cluster, BOB, &second, seq, set("b", &seq.to_string()));
    }
    cluster.heal_all();
    let who = first.clone();
    let leader = second.clone();
    cluster
        .tick_until_within(100, |c| {
            c.node::<Server>(&who).log() == c.node::<Server>(&leader).log()
        })
        .unwrap_or_else(|e| panic!("the old leader's log must be repaired to the leader's: {e}"));
    let repaired = terms(&cluster, &first);
    assert_eq!(
        &repaired[..agreed as usize],
        &stale_terms[..agreed as usize],
        "the matching prefix is kept"
    );
}

/// Lab "backup": five servers; the leader and one follower hold 60 entries nobody
/// else has, while the other three commit 60 entries of a later term; then the stale
/// pair rejoins. With the conflict hint, the new leader repairs each of them in a
/// handful of round trips, not one per entry (bug R11): within 150 ticks and at most
/// 30 AppendEntries per repaired follower beyond the heartbeats.
#[test]
fn step2_long_divergence_catch_up_with_conflict_hint() {
    let config = Config {
        max_entries_per_append: 16,
        ..Config::default()
    };
    let mut cluster = cluster_with(17, &FIVE, config);
    let old = until_leader(&mut cluster, 150);
    let partner = FIVE.into_iter().find(|id| *id != old).unwrap_or(ATHENS);
    let rest: Vec<&str> = FIVE
        .into_iter()
        .filter(|id| *id != old && *id != partner)
        .collect();
    cluster.partition(&[&[old.as_str(), partner], &rest]);
    for seq in 1..=60 {
        let _ = raft::execute(
            &mut cluster,
            ALICE,
            &old,
            seq,
            set("stale", &seq.to_string()),
        );
    }
    cluster.tick_n(10);
    assert!(
        server(&cluster, partner).last_index() >= 60,
        "the stale pair holds the stale entries"
    );
    let new = until_leader_among(&mut cluster, &rest, 300);
    let mut last = 0;
    for seq in 1..=60 {
        let call = raft::execute(&mut cluster, BOB, &new, seq, set("fresh", &seq.to_string()));
        if seq % 20 == 0 {
            last = answered(&mut cluster, &call, BOB).index;
        }
    }
    let before = server(&cluster, &new).stats().appends_sent;
    cluster.heal_all();
    until_applied(&mut cluster, &FIVE, last, 150);
    let sent = server(&cluster, &new).stats().appends_sent - before;
    let heartbeats = 150 / server(&cluster, &new).config().heartbeat_ticks * 4;
    assert!(
        sent <= heartbeats + 2 * 30,
        "repairing two followers took {sent} AppendEntries (heartbeats allow {heartbeats})"
    );
    for id in FIVE {
        assert_eq!(
            server(&cluster, id).state_machine().get("stale"),
            None,
            "{id} never applies an uncommitted stale entry"
        );
    }
}

/// Lab "RPC counts": with batching, ten sequential writes cost at most 10 messages
/// between servers each (the AppendEntries and answers, plus heartbeats meanwhile); an
/// idle leader sends only heartbeats: 2 per follower per heartbeat interval.
#[test]
fn step2_rpc_counts_per_agreement_are_bounded() {
    let mut cluster = three(18);
    let leader = until_leader(&mut cluster, 100);
    cluster.tick_n(10);
    let total = |c: &Cluster<Msg>| -> u64 {
        THREE
            .iter()
            .map(|id| c.node::<Server>(id).stats().messages_to_servers)
            .sum()
    };
    let before = total(&cluster);
    for seq in 1..=10 {
        execute(
            &mut cluster,
            ALICE,
            &leader,
            seq,
            set("k", &seq.to_string()),
        );
    }
    let per_write = (total(&cluster) - before) as f64 / 10.0;
    println!("{per_write} messages between servers per agreement");
    assert!(
        per_write <= 10.0,
        "an agreement cost {per_write} messages between servers"
    );
    let idle_start = total(&cluster);
    cluster.tick_n(100);
    let idle = total(&cluster) - idle_start;
    let heartbeat = server(&cluster, &leader).config().heartbeat_ticks;
    assert!(
        idle <= 100 / heartbeat * 2 * 2 + 4,
        "an idle cluster sent {idle} messages in 100 ticks"
    );
}

/// A configuration for Figure 8: no spontaneous elections (a test decides who stands),
/// no pre-vote or check-quorum, and one entry per AppendEntries so an old entry can
/// reach a follower before the new leader's no-op does.
fn figure8_config(rule: CommitRule) -> Config {
    Config {
        election_timeout_ticks: (5_000, 6_000),
        pre_vote: false,
        check_quorum: false,
        max_entries_per_append: 1,
        commit_rule: rule,
        ..Config::default()
    }
}

const S1: &str = ATHENS;
const S2: &str = BYZANTIUM;
const S3: &str = CYRENE;
const S4: &str = DELPHI;
const S5: &str = EPHESUS;

/// Make `id` stand until it leads (at most five terms, 20 ticks each).
fn stand(cluster: &mut Cluster<Msg>, id: &str) -> Result<(), ClusterError> {
    for _ in 0..5 {
        cluster.act::<Server, _>(id, |s, ctx| s.start_election(ctx));
        for _ in 0..20 {
            cluster.try_tick()?;
            if cluster.node::<Server>(id).is_leader() {
                return Ok(());
            }
        }
    }
    panic!(
        "{id} must win an election within five terms\n{}",
        cluster.report()
    );
}

fn tick_until(
    cluster: &mut Cluster<Msg>,
    budget: u64,
    what: &str,
    mut done: impl FnMut(&Cluster<Msg>) -> bool,
) -> Result<(), ClusterError> {
    for _ in 0..budget {
        if done(cluster) {
            return Ok(());
        }
        cluster.try_tick()?;
    }
    panic!("{what} within {budget} ticks\n{}", cluster.report());
}

/// Figure 8, steps 1 to 3: S1 leads term 2 and its no-op reaches S2 only; S5 leads
/// term 3 and keeps its no-op to itself; S1 leads term 4 and copies its term-2 entry
/// to S3 and S4, so it is on a majority, but S1's term-4 no-op is not.
fn figure8_up_to_step3(cluster: &mut Cluster<Msg>) -> Result<(), ClusterError> {
    stand(cluster, S1)?;
    tick_until(cluster, 50, "every server stores S1's term-1 no-op", |c| {
        FIVE.iter().all(|id| c.node::<Server>(id).last_index() == 1)
    })?;
    for id in [S3, S4, S5] {
        cluster.net().drop_kind("AppendEntries", S1, id);
    }
    stand(cluster, S1)?;
    tick_until(cluster, 50, "S2 stores S1's term-2 entry", |c| {
        c.node::<Server>(S2).term_at(2) == Some(2)
    })?;
    cluster.isolate(S1);
    cluster.net().clear_rules();
    for id in [S1, S2, S3, S4] {
        cluster.net().drop_kind("AppendEntries", S5, id);
    }
    stand(cluster, S5)?;
    let s5_term = cluster.node::<Server>(S5).term();
    assert_eq!(
        cluster.node::<Server>(S5).term_at(2),
        Some(s5_term),
        "S5 holds its own no-op at index 2"
    );
    cluster.heal_all();
    cluster.net().clear_rules();
    cluster.isolate(S5);
    cluster.isolate(S2);
    stand(cluster, S1)?;
    // Let S3 and S4 receive S1's term-2 entry, and nothing after it.
    let mut cut = Vec::new();
    tick_until(cluster, 50, "S3 and S4 store S1's term-2 entry", |c| {
        cut.clear();
        for id in [S3, S4] {
            if c.node::<Server>(id).term_at(2) == Some(2) {
                cut.push(id);
            }
        }
        cut.len() == 2
    })?;
    for id in [S3, S4] {
        cluster.net().drop_kind("AppendEntries", S1, id);
    }
    cluster.tick_n(20);
    Ok(())
}

/// Figure 8 with the current-term rule: the term-2 entry is on a majority (S1, S3,
/// S4) but S1 does not commit it by counting; once S1's term-4 no-op reaches them it
/// commits both, and S5 (whose log ends in term 3) can no longer win.
#[test]
fn step2_figure8_old_term_entry_is_not_committed_by_counting() {
    let mut cluster = cluster_with(19, &FIVE, figure8_config(CommitRule::CurrentTerm));
    figure8_up_to_step3(&mut cluster).unwrap_or_else(|e| panic!("{e}"));
    let s1 = server(&cluster, S1);
    assert!(
        s1.commit_index() < 2,
        "the term-2 entry on a majority must not be committed by counting (commit index {})",
        s1.commit_index()
    );
    assert_eq!(s1.match_index(S3), Some(2), "S3 stores index 2");
    cluster.net().clear_rules();
    cluster
        .tick_until_within(50, |c| c.node::<Server>(S1).commit_index() >= 3)
        .unwrap_or_else(|e| panic!("S1 commits its no-op and the entry before it: {e}"));
    assert_eq!(
        server(&cluster, S1).stats().old_term_commits,
        0,
        "the entry of term 2 committed with the no-op of S1's term, never by counting"
    );
    cluster.isolate(S1);
    cluster.heal_all();
    cluster.isolate(S1);
    for _ in 0..4 {
        cluster.act::<Server, _>(S5, |s, ctx| s.start_election(ctx));
        cluster.tick_n(20);
        assert!(
            !server(&cluster, S5).is_leader(),
            "S5 lacks a committed entry and must be denied votes"
        );
    }
}

/// Figure 8 with the counting rule: S1 commits its term-2 entry because it is on a
/// majority; then S5 wins term 5 with S2, S3 and S4 although it lacks it. The oracle must
/// report the new leader missing a committed entry (or, a moment later, two entries
/// committed at index 2).
#[test]
fn step2_figure8_the_counting_rule_lets_a_committed_entry_be_overwritten() {
    let mut cluster = cluster_with(19, &FIVE, figure8_config(CommitRule::Counting));
    figure8_up_to_step3(&mut cluster).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        server(&cluster, S1).commit_index(),
        2,
        "the counting rule commits the old entry stored on a majority"
    );
    assert_eq!(
        server(&cluster, S1).stats().old_term_commits,
        1,
        "one commit of an entry of an earlier term, by counting: the moment Figure 8 needs"
    );
    cluster.heal_all();
    cluster.net().clear_rules();
    cluster.isolate(S1);
    let outcome = (|| -> Result<(), ClusterError> {
        stand(&mut cluster, S5)?;
        for _ in 0..100 {
            cluster.try_tick()?;
        }
        Ok(())
    })();
    let error = outcome.expect_err("the oracle must catch the overwritten committed entry");
    let text = error.to_string();
    assert!(
        text.contains("two entries committed at index 2")
            || text.contains("without the committed entry t2 no-op at index 2"),
        "leader completeness or state machine safety must fire at index 2, got: {text}"
    );
}

/// Lab "Figure 8 (unreliable)": five servers on a lossy, reordering network; for 30
/// rounds the leader is cut off or crashed at a seeded random moment while clients
/// write; then everything heals and a final write commits everywhere within 400
/// ticks. The oracle checks every tick.
#[test]
fn step2_figure8_unreliable_network_keeps_agreement() {
    let mut cluster = five(20);
    cluster.net().set_loss(0.1);
    cluster.net().set_latency(1, 6);
    cluster
        .net()
        .set_partition_mode(common::PartitionMode::AtSend);
    let mut rng = common::SimRng::derive(20, "figure8-unreliable");
    let clients = [ALICE, BOB, CAROL];
    let mut seqs = [0u64; 3];
    for round in 0..30 {
        for (i, c) in clients.iter().enumerate() {
            if rng.chance(0.7) {
                seqs[i] += 1;
                let target = FIVE[rng.below(5)];
                let _ = raft::execute_following(
                    &mut cluster,
                    c,
                    target,
                    seqs[i],
                    set("k", &format!("{c}{round}")),
                    60,
                );
            }
        }
        cluster.tick_n(rng.range(5, 40));
        if let Some(leader) = current_leader(&cluster) {
            if rng.chance(0.5) {
                cluster.crash(&leader);
                cluster.tick_n(rng.range(1, 20));
                cluster.restart(&leader);
            } else {
                cluster.isolate(&leader);
                cluster.tick_n(rng.range(1, 30));
                cluster.heal_all();
            }
        }
    }
    cluster.net().set_loss(0.0);
    cluster.heal_all();
    cluster.tick_n(50);
    seqs[0] += 1;
    let call = raft::execute_following(
        &mut cluster,
        ALICE,
        ATHENS,
        seqs[0],
        set("final", "yes"),
        400,
    );
    let reply = answered(&mut cluster, &call, ALICE);
    until_applied(&mut cluster, &FIVE, reply.index, 400);
}

/// Sends of entry-carrying AppendEntries from `from` to `to` between ticks `after` and
/// `until` (inclusive), from the trace.
fn appends_sent(cluster: &Cluster<Msg>, from: &str, to: &str, after: u64, until: u64) -> usize {
    cluster
        .trace()
        .events()
        .filter(|e| {
            matches!(e.kind, common::trace::TraceKind::Send { .. })
                && e.msg == Some("AppendEntries")
                && e.node == from
                && e.peer.as_ref().is_some_and(|p| *p == to)
                && e.tick > after
                && e.tick <= until
        })
        .count()
}

/// Bounded in-flight AppendEntries: a follower whose answers are lost receives at most
/// `max_inflight_appends` AppendEntries with entries between two heartbeats, however
/// many writes arrive one by one.
#[test]
fn step2_a_leader_keeps_at_most_max_inflight_appends_per_follower() {
    let config = Config {
        max_inflight_appends: 2,
        batch_client_writes: false,
        heartbeat_ticks: 10,
        ..Config::default()
    };
    let mut cluster = cluster_with(25, &THREE, config);
    let leader = until_leader(&mut cluster, 100);
    execute(&mut cluster, ALICE, &leader, 1, set("k", "0"));
    let slow = THREE.into_iter().find(|id| *id != leader).unwrap_or(ATHENS);
    cluster.net().drop_kind("Appended", slow, leader.as_str());
    let start = cluster.now();
    for seq in 2..=9 {
        let _ = raft::execute(
            &mut cluster,
            ALICE,
            &leader,
            seq,
            set("k", &seq.to_string()),
        );
        cluster.tick();
    }
    let sent = appends_sent(&cluster, &leader, slow, start, cluster.now());
    // Each heartbeat may resend the window (the answers are lost), so the bound is per
    // heartbeat interval begun in the window.
    let heartbeats = (cluster.now() - start) / 10 + 1;
    assert!(
        sent as u64 <= 2 * heartbeats,
        "eight writes sent {sent} AppendEntries to a silent follower; the bound allows 2 per heartbeat interval ({heartbeats} intervals)"
    );
}

/// Batching: writes arriving in one tick leave the leader in one AppendEntries per
/// follower and one disk write; unbatched, each write goes on its own.
#[test]
fn step2_client_writes_arriving_together_are_batched() {
    for (batched, expected_appends) in [(true, 1), (false, 3)] {
        // Rare heartbeats, so that only the writes send AppendEntries in the window.
        let config = Config {
            batch_client_writes: batched,
            heartbeat_ticks: 50,
            election_timeout_ticks: (150, 300),
            ..Config::default()
        };
        let mut cluster = cluster_with(26, &THREE, config);
        let leader = until_leader(&mut cluster, 400);
        execute(&mut cluster, ALICE, &leader, 1, set("warm", "up"));
        cluster.tick_n(2);
        let follower = THREE.into_iter().find(|id| *id != leader).unwrap_or(ATHENS);
        let writes_before = server(&cluster, &leader).stats().writes;
        let start = cluster.now();
        let calls: Vec<_> = [ALICE, BOB, CAROL]
            .iter()
            .enumerate()
            .map(|(i, c)| raft::execute(&mut cluster, c, &leader, 2 + i as u64, set(c, "v")))
            .collect();
        cluster.tick();
        cluster.tick();
        let sent = appends_sent(&cluster, &leader, follower, start, cluster.now());
        assert_eq!(
            sent, expected_appends,
            "three writes in one tick, batching {batched}: AppendEntries to {follower}"
        );
        let writes = server(&cluster, &leader).stats().writes - writes_before;
        assert_eq!(
            writes, expected_appends as u64,
            "three writes in one tick, batching {batched}: disk writes at the leader"
        );
        for (call, c) in calls.iter().zip([ALICE, BOB, CAROL]) {
            answered(&mut cluster, call, c);
        }
    }
}

/// A client gives a server that does not answer a quarter of its timeout, then tries
/// another: with a crashed follower as its first choice, alice's write is answered by
/// the leader after 50 to 100 ticks of a 200-tick timeout.
#[test]
fn step2_a_client_gives_a_silent_server_a_quarter_of_its_timeout_then_tries_another() {
    let mut cluster = three(8);
    let leader = until_leader(&mut cluster, 100);
    let follower = THREE.into_iter().find(|id| *id != leader).unwrap_or(ATHENS);
    cluster.crash(follower);
    let start = cluster.now();
    let call = raft::execute_following(&mut cluster, ALICE, follower, 1, set("x", "1"), 200);
    let reply = answered(&mut cluster, &call, ALICE);
    assert_eq!(
        reply.outcome,
        stored("1"),
        "the leader applied alice's write"
    );
    let waited = cluster.now() - start;
    assert!(
        (50..100).contains(&waited),
        "alice waits 50 ticks for {follower}, then finds the leader; answered after {waited}"
    );
}
