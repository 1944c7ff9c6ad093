//! Step 3: the bugs of the Java section (R1–R15), each fixed, each with the test named
//! after it. Most drive one server by hand (`Solo`), so the step they check is all that
//! happens.

mod support;

use common::sim::{self, Check};
use common::{ProcessId, Redirect};
use raft::{Config, Msg, RequestId, Role, Server};
use support::sim::{KvCas, KvWorkload, fault_config};
use support::*;

fn fresh(config: Config) -> Server {
    Server::new(&ProcessId::new(ATHENS), config)
}

/// R1: a follower whose log is longer than what the request verified answers with the
/// last index the request covered, never its whole log.
#[test]
fn step3_r1_follower_reports_only_the_verified_prefix_as_matched() {
    let mut node = solo(quiet());
    node.act(|s, ctx| {
        for _ in 0..4 {
            s.append_for_test(ctx, 1);
        }
    });
    node.tick_n(2);
    node.deliver(BYZANTIUM, append(BYZANTIUM, 2, (1, 1), &[], 0));
    node.tick_n(2);
    assert_eq!(
        appended(&node.take_sent()),
        vec![(true, 1)],
        "a heartbeat that verified index 1 proves a match at 1, not at 4"
    );
}

/// R2: votes that arrive for an earlier election of the same candidate are not
/// counted: two late grants for term 1 do not make a term-2 candidate leader.
#[test]
fn step3_r2_late_votes_from_previous_term_are_ignored() {
    let mut node = one_of_five(quiet());
    node.act(|s, ctx| s.start_election(ctx));
    node.tick_n(2);
    node.act(|s, ctx| s.start_election(ctx));
    node.tick_n(2);
    assert_eq!(
        node.process().term(),
        2,
        "the second election runs in term 2"
    );
    for voter in [BYZANTIUM, CYRENE] {
        node.deliver(
            voter,
            Msg::Vote {
                term: 1,
                granted: true,
                pre_vote: false,
            },
        );
    }
    assert_eq!(
        node.process().role(),
        Role::Candidate,
        "late term-1 grants must not elect a term-2 candidate"
    );
    for voter in [BYZANTIUM, CYRENE] {
        node.deliver(
            voter,
            Msg::Vote {
                term: 2,
                granted: true,
                pre_vote: false,
            },
        );
    }
    assert_eq!(
        node.process().role(),
        Role::Leader,
        "term-2 grants from a majority of five do"
    );
}

/// Athens among five servers, driven by hand.
fn one_of_five(config: Config) -> common::solo::Solo<Server> {
    common::solo::Solo::new(ATHENS, FIVE, fresh(config))
}

/// R3: a candidate that steps down on an AppendEntries of its own term keeps the vote
/// it cast for itself, so it cannot vote for a second candidate in that term.
#[test]
fn step3_r3_candidate_keeps_vote_after_stepping_down_in_same_term() {
    let mut node = one_of_five(quiet());
    node.act(|s, ctx| s.start_election(ctx));
    node.tick_n(2);
    node.deliver(BYZANTIUM, append(BYZANTIUM, 1, (0, 0), &[], 0));
    node.tick_n(2);
    assert_eq!(
        node.process().role(),
        Role::Follower,
        "the candidate follows byzantium"
    );
    assert_eq!(
        node.process().voted_for().map(ProcessId::as_str),
        Some(ATHENS),
        "it keeps its term-1 vote for itself"
    );
    node.take_sent();
    node.deliver(CYRENE, vote_request(CYRENE, 1, 0, 0));
    node.tick_n(2);
    assert_eq!(
        votes_to(&node.take_sent(), CYRENE),
        vec![(1, false)],
        "a second candidate of term 1 is refused"
    );
}

/// R4: a client whose entry was replaced by another leader's entry at the same index
/// is never told the other entry's outcome: it is sent to the leader again.
#[test]
fn step3_r4_client_reply_matches_own_entry_after_leader_change() {
    let mut cluster = three(31);
    let old = until_leader(&mut cluster, 100);
    let others: Vec<&str> = THREE.into_iter().filter(|id| *id != old).collect();
    cluster.partition(&[&[old.as_str()], &others]);
    let alice = raft::execute(&mut cluster, ALICE, &old, 1, set("k", "alice"));
    cluster.tick_n(3);
    let index = server(&cluster, &old).last_index();
    let new = until_leader_among(&mut cluster, &others, 200);
    execute(&mut cluster, BOB, &new, 1, set("k", "bob"));
    cluster.heal_all();
    let answer = cluster.run(&alice);
    assert!(
        matches!(answer, Ok(Msg::NotLeader { .. })),
        "alice must be sent to the leader, not told another entry's outcome: {answer:?}"
    );
    let replaced = server(&cluster, &old).entry(index).cloned();
    assert!(
        replaced.is_some_and(|e| e.command.request() != Some(&RequestId::new(ALICE, 1))),
        "the old leader's entry at index {index} was replaced by the new leader's"
    );
}

/// R5 (reads): see `reads.rs` — followers redirect, deposed leaders cannot answer, and
/// reads are linearizable. Here: a follower's local state is never served.
#[test]
fn step3_r5_a_follower_never_answers_a_read_from_local_state() {
    let mut cluster = three(32);
    let leader = until_leader(&mut cluster, 100);
    execute(&mut cluster, ALICE, &leader, 1, set("k", "v"));
    let follower = THREE.into_iter().find(|id| *id != leader).unwrap_or(ATHENS);
    let call = raft::execute(&mut cluster, BOB, follower, 1, get("k"));
    let answer = cluster.run(&call);
    assert_eq!(
        answer.map(|m| raft::redirect(&m)),
        Ok(Redirect::To(ProcessId::new(leader.as_str()))),
        "the follower redirects the read to the leader"
    );
}

/// R6: a single-node cluster commits and applies (the Java leader advanced its commit
/// index only when a peer answered, so alone it never did).
#[test]
fn step3_r6_single_node_cluster_commits() {
    let mut cluster = cluster_with(33, &[ATHENS], Config::default());
    until_leader(&mut cluster, 100);
    let write = execute(&mut cluster, ALICE, ATHENS, 1, set("k", "alone"));
    assert_eq!(write.outcome, stored("alone"), "the write is applied");
    let read_back = execute(&mut cluster, ALICE, ATHENS, 2, get("k"));
    assert_eq!(
        read_back.outcome,
        read(Some("alone")),
        "and read back by ReadIndex"
    );
}

/// R7: an entry the old leader replicated but could not commit is committed by the new
/// leader's no-op within 50 ticks of its election, with no client write; without the
/// no-op it stays uncommitted for 200 ticks.
#[test]
fn step3_r7_new_leader_commits_inherited_entries_via_noop() {
    for noop in [true, false] {
        let config = Config {
            noop_on_election: noop,
            ..Config::default()
        };
        let mut cluster = cluster_with(34, &THREE, config);
        let old = until_leader(&mut cluster, 100);
        execute(&mut cluster, ALICE, &old, 1, set("k", "1"));
        for id in THREE {
            cluster.net().drop_kind("Appended", id, old.as_str());
        }
        let _pending = raft::execute(&mut cluster, ALICE, &old, 2, set("k", "inherited"));
        let others: Vec<String> = THREE
            .iter()
            .filter(|id| **id != old)
            .map(|s| s.to_string())
            .collect();
        cluster.tick();
        let inherited = server(&cluster, &old).last_index();
        cluster
            .tick_until_within(20, |c| {
                others
                    .iter()
                    .all(|id| c.node::<Server>(id).last_index() >= inherited)
            })
            .unwrap_or_else(|e| panic!("the followers store the entry: {e}"));
        cluster.crash(&old);
        cluster.net().clear_rules();
        let ids: Vec<&str> = others.iter().map(String::as_str).collect();
        let new = until_leader_among(&mut cluster, &ids, 200);
        let elected = cluster.now();
        let got = cluster.tick_until_within(if noop { 50 } else { 200 }, |c| {
            c.node::<Server>(&new).commit_index() >= inherited
        });
        if noop {
            got.unwrap_or_else(|e| panic!("the no-op commits the inherited entry: {e}"));
            assert!(
                cluster.now() - elected <= 50,
                "within 50 ticks of the election"
            );
        } else {
            assert!(
                got.is_err(),
                "without a no-op the inherited entry stays uncommitted (bug R7)"
            );
        }
    }
}

/// R8: with equal fixed election timeouts every node times out in the same tick, votes
/// for itself, and the vote splits for ever; the seeded jitter elects a leader.
#[test]
fn step3_r8_equal_fixed_timeouts_split_the_vote_for_ever() {
    let fixed = Config {
        election_timeout_ticks: (20, 20),
        ..Config::without_pre_vote_and_check_quorum()
    };
    let mut cluster = cluster_with(35, &THREE, fixed);
    cluster.tick_n(500);
    assert!(
        leaders(&cluster).is_empty(),
        "equal fixed timeouts never elect a leader"
    );
    let jittered = Config {
        election_timeout_ticks: (20, 40),
        ..Config::without_pre_vote_and_check_quorum()
    };
    let mut cluster = cluster_with(35, &THREE, jittered);
    until_leader(&mut cluster, 200);
}

/// R9: a vote request of a higher term that is refused (a stale log) does not restart
/// the voter's election timer: it still times out on schedule.
#[test]
fn step3_r9_a_refused_vote_request_does_not_restart_the_election_timer() {
    let config = Config {
        election_timeout_ticks: (30, 30),
        ..quiet()
    };
    let mut node = solo(config);
    node.act(|s, ctx| s.append_for_test(ctx, 1));
    node.tick_n(20);
    node.deliver(BYZANTIUM, vote_request(BYZANTIUM, 5, 0, 0));
    node.tick_n(2);
    assert_eq!(
        votes_to(&node.take_sent(), BYZANTIUM),
        vec![(5, false)],
        "a candidate with an empty log is refused"
    );
    node.tick_n(9);
    assert_eq!(
        node.process().role(),
        Role::Candidate,
        "the timer kept running: the node stands 30 ticks after it started, not 30 after the refusal"
    );
}

/// R10: a candidate that learns of a higher term from a vote reply steps down to it.
#[test]
fn step3_r10_candidate_steps_down_on_a_higher_term_in_a_vote_reply() {
    let mut node = solo(quiet());
    node.act(|s, ctx| s.start_election(ctx));
    node.tick_n(2);
    node.deliver(
        BYZANTIUM,
        Msg::Vote {
            term: 7,
            granted: false,
            pre_vote: false,
        },
    );
    assert_eq!(
        node.process().role(),
        Role::Follower,
        "the candidate steps down"
    );
    assert_eq!(node.process().term(), 7, "to the higher term");
}

/// R11: the conflict hint lets the leader skip a follower's whole conflicting term: a
/// follower with 50 entries of term 2 where the leader has term 3 is repaired after one
/// rejection, not fifty.
#[test]
fn step3_r11_conflict_hint_skips_a_whole_term() {
    let mut node = solo(quiet());
    node.act(|s, ctx| {
        s.append_for_test(ctx, 1);
        for _ in 0..50 {
            s.append_for_test(ctx, 2);
        }
    });
    node.tick_n(2);
    node.take_sent();
    node.deliver(BYZANTIUM, append(BYZANTIUM, 3, (51, 3), &[], 0));
    node.tick_n(2);
    let hint = node.take_sent().into_iter().find_map(|e| match e.body {
        Msg::Appended {
            success: false,
            conflict,
            ..
        } => conflict,
        _ => None,
    });
    let hint = hint.expect("the follower rejects with a conflict hint");
    assert_eq!(hint.term, Some(2), "it names its conflicting term");
    assert_eq!(hint.first_index, 2, "and that term's first index");
    let leader_terms = [1u64, 3, 3];
    let next = raft::next_after_conflict(hint, 3, |i| {
        if i == 0 {
            Some(0)
        } else {
            leader_terms.get(i as usize - 1).copied()
        }
    });
    assert_eq!(
        next, 2,
        "the leader resumes at index 2: one round trip for the whole term"
    );
}

/// R12: a follower advances its commit index only to the last index the request
/// covered, even when the leader's commit index is higher.
#[test]
fn step3_r12_follower_commits_only_what_the_request_covers() {
    let mut node = solo(quiet());
    node.act(|s, ctx| {
        for _ in 0..5 {
            s.append_for_test(ctx, 1);
        }
    });
    node.tick_n(2);
    node.deliver(BYZANTIUM, append(BYZANTIUM, 1, (2, 1), &[], 5));
    assert_eq!(
        node.process().commit_index(),
        2,
        "the request verified the log through index 2 only"
    );
}

/// R13: a follower refuses a write with the leader's id as a hint, and the client
/// follows it to an answer.
#[test]
fn step3_r13_non_leader_rejects_with_a_leader_hint() {
    let mut cluster = three(36);
    let leader = until_leader(&mut cluster, 100);
    let follower = THREE.into_iter().find(|id| *id != leader).unwrap_or(ATHENS);
    let call = raft::execute(&mut cluster, ALICE, follower, 1, set("k", "v"));
    let answer = cluster.run(&call);
    assert!(
        matches!(&answer, Ok(Msg::NotLeader { hint: Some(h), .. }) if h.as_str() == leader),
        "the follower names the leader: {answer:?}"
    );
    let followed = execute(&mut cluster, ALICE, follower, 1, set("k", "v"));
    assert_eq!(
        followed.outcome,
        stored("v"),
        "following the hint reaches the leader"
    );
}

/// R14: a retried request (same id) after a lost answer is applied once: a
/// compare-and-swap retried reports its first outcome, not a failed second swap.
#[test]
fn step3_r14_a_retried_request_is_applied_once() {
    let mut cluster = three(37);
    let leader = until_leader(&mut cluster, 100);
    cluster
        .net()
        .drop_nth_kind("Executed", leader.as_str(), ALICE, 1);
    let first = raft::execute(&mut cluster, ALICE, &leader, 1, cas("k", None, "v"));
    let lost = cluster.run(&first);
    assert!(lost.is_err(), "the first answer is lost: {lost:?}");
    let retry = execute(&mut cluster, ALICE, &leader, 1, cas("k", None, "v"));
    assert_eq!(
        retry.outcome,
        raft::Outcome::Swapped {
            swapped: true,
            previous: None
        },
        "the retry reports the first application's outcome"
    );
    let runs = server(&cluster, &leader).state_machine().operations_run();
    assert_eq!(runs, 1, "the swap ran once");
    assert_eq!(
        entries_of(&cluster, &leader, ALICE, 1),
        1,
        "the retry was answered from the session, without a second entry"
    );
}

/// How many entries of `leader`'s log hold request `seq` of `client`.
fn entries_of(cluster: &common::Cluster<Msg>, leader: &str, client: &str, seq: u64) -> usize {
    server(cluster, leader)
        .log()
        .iter()
        .filter(|e| e.command.request() == Some(&RequestId::new(client, seq)))
        .count()
}

/// A request overtaken by a later one of the same client (a stale retry) is answered
/// `Superseded` at once from the client's session, without entering the log.
#[test]
fn step3_an_overtaken_request_is_answered_superseded_without_an_entry() {
    let mut cluster = three(36);
    let leader = until_leader(&mut cluster, 100);
    execute(&mut cluster, ALICE, &leader, 1, set("k", "1"));
    execute(&mut cluster, ALICE, &leader, 2, set("k", "2"));
    let stale = raft::execute(&mut cluster, ALICE, &leader, 1, set("k", "1"));
    let answer = cluster.run(&stale);
    assert!(
        matches!(answer, Ok(Msg::Superseded { latest: 2, .. })),
        "request 1 after request 2: {answer:?}"
    );
    assert_eq!(
        entries_of(&cluster, &leader, ALICE, 1),
        1,
        "the stale retry took no entry"
    );
}

/// A follower never truncates a committed entry, whoever asks: an AppendEntries that
/// would replace one (only a broken leader sends it, such as Figure 8's counting rule) is
/// refused, counted, and the log is left as it was.
#[test]
fn step3_a_follower_refuses_to_replace_a_committed_entry() {
    let mut node = solo(quiet());
    node.deliver(BYZANTIUM, append(BYZANTIUM, 1, (0, 0), &[1; 6], 4));
    node.tick_n(2);
    assert_eq!(
        node.process().commit_index(),
        4,
        "entries 1 to 4 are committed"
    );
    node.take_sent();
    node.deliver(CYRENE, append(CYRENE, 2, (2, 1), &[2, 2], 4));
    node.tick_n(2);
    assert_eq!(
        appended(&node.take_sent()),
        vec![(false, 0)],
        "replacing entries 3 and 4 is refused"
    );
    let s = node.process();
    assert_eq!(
        (s.last_index(), s.term_at(4), s.stats().refused_truncations),
        (6, Some(1), 1),
        "the log keeps its six entries of term 1, and the refusal is counted"
    );
}

/// R15: nothing in a run is random that is not drawn from the seed (the Java section
/// tagged appends with random UUIDs): the same seed replays the same run, event for
/// event, and another seed does not.
#[test]
fn step3_r15_a_seed_replays_exactly() {
    let hash = |seed| {
        let mut workload = KvWorkload::default();
        sim::run(
            &fault_config(seed),
            |builder| raft::build(builder, Config::default()),
            &mut workload,
            &KvCas,
            Check::Linearizable,
        )
        .trace_hash
    };
    assert_eq!(
        hash(7),
        hash(7),
        "two runs of seed 7 must have the same trace hash"
    );
    assert_ne!(
        hash(7),
        hash(8),
        "different seeds must explore different runs"
    );
}

/// A retry that reaches the leader while the first attempt still waits in its log, in
/// its term, takes no second entry: the leader answers the retry when that one entry
/// applies (the state machine would run a second entry once too, but it would cost a
/// log slot and a round of replication).
#[test]
fn step3_a_retry_of_a_request_waiting_in_the_leaders_log_takes_no_second_entry() {
    let mut cluster = three(38);
    let leader = until_leader(&mut cluster, 100);
    execute(&mut cluster, BOB, &leader, 1, set("warm", "up"));
    let followers: Vec<&str> = THREE.into_iter().filter(|id| *id != leader).collect();
    let held: Vec<_> = followers
        .iter()
        .map(|f| cluster.net().hold_kind("Appended", *f, leader.as_str()))
        .collect();
    let _first = raft::execute(&mut cluster, ALICE, &leader, 1, set("k", "v"));
    cluster.tick_n(3);
    let retry = raft::execute(&mut cluster, ALICE, &leader, 1, set("k", "v"));
    cluster.tick_n(3);
    for rule in held {
        cluster.net().release(rule);
    }
    let answer = answered(&mut cluster, &retry, ALICE);
    assert_eq!(answer.outcome, stored("v"), "the retry is answered");
    let entries = server(&cluster, &leader)
        .log()
        .iter()
        .filter(|e| e.command.request() == Some(&raft::RequestId::new(ALICE, 1)))
        .count();
    assert_eq!(entries, 1, "alice's request is in the log once");
}

/// Like R2 for votes: an acknowledgement from this node's earlier leadership (term 1)
/// that arrives once it leads term 2 is not counted. It says what the follower stored
/// then, which a leader of another term may have replaced since; a leader of term 2
/// learns where a follower's log matches its own from answers of term 2 only.
#[test]
fn step3_late_acknowledgements_from_a_previous_term_are_ignored() {
    let mut node = solo(quiet());
    let grant = |term| Msg::Vote {
        term,
        granted: true,
        pre_vote: false,
    };
    node.act(|s, ctx| s.start_election(ctx));
    node.tick_n(2);
    node.deliver(BYZANTIUM, grant(1));
    node.tick_n(2);
    node.act(|s, ctx| s.start_election(ctx));
    node.tick_n(2);
    node.deliver(CYRENE, grant(2));
    node.tick_n(2);
    let s = node.process();
    assert!(
        s.is_leader() && s.term() == 2 && s.last_index() == 2,
        "athens leads term 2, with the no-ops of terms 1 and 2"
    );
    node.deliver(BYZANTIUM, stored_through(1, 1));
    let s = node.process();
    assert_eq!(
        s.match_index(BYZANTIUM),
        Some(0),
        "the term-1 answer does not move byzantium's match index"
    );
}

/// The tests' set-up helper `append_for_test` puts a node where a leader of the entry's
/// term would have: the term rises to the entry's, and an entry of an older term never
/// lowers it.
#[test]
fn step3_the_test_setup_append_raises_the_term_and_never_lowers_it() {
    let mut node = solo(quiet());
    node.act(|s, ctx| s.append_for_test(ctx, 3));
    assert_eq!(
        node.process().term(),
        3,
        "an entry of term 3 raises the term to 3"
    );
    node.act(|s, ctx| s.append_for_test(ctx, 2));
    assert_eq!(
        node.process().term(),
        3,
        "an entry of term 2 leaves it at 3"
    );
    let terms: Vec<raft::Term> = node.process().log().iter().map(|e| e.term).collect();
    assert_eq!(terms, vec![3, 2], "both entries are in the log, in order");
}

/// A leader deposed by the AppendEntries of a newer leader answers the clients waiting
/// at it `NotLeader`, naming the new leader: their writes may still be applied, and a
/// retry there with the same request id gets the outcome once.
#[test]
fn step3_a_deposed_leader_sends_its_waiting_clients_to_the_new_leader() {
    let mut cluster = cluster_with(39, &THREE, Config::without_pre_vote_and_check_quorum());
    let old = until_leader(&mut cluster, 100);
    let others: Vec<&str> = THREE.into_iter().filter(|id| *id != old).collect();
    cluster.partition(&[&[old.as_str()], &others]);
    let waiting = raft::execute(&mut cluster, ALICE, &old, 1, set("k", "v"));
    let new = until_leader_among(&mut cluster, &others, 200);
    assert!(
        waiting.is_pending(),
        "alice waits at the isolated old leader"
    );
    cluster.heal_all();
    let answer = cluster.run(&waiting);
    assert!(
        matches!(&answer, Ok(Msg::NotLeader { hint: Some(h), .. }) if *h == ProcessId::new(new.as_str())),
        "deposed by {new}'s AppendEntries, {old} sends alice there: {answer:?}"
    );
}
