//! A node that missed commits learns the committed slots it lacks from a peer, in slot
//! order, each executed once — without a client having to run a ballot through it.

mod support;
use common::StoreConfig;
use common::trace::TraceKind;
use paxoslog::{Config, Msg, Server};
use support::*;

/// Count the messages of `kind` that `node` sent so far.
fn sent_by(cluster: &common::Cluster<Msg>, node: &str, kind: &str) -> usize {
    cluster
        .trace()
        .events()
        .filter(|e| {
            e.node == node && matches!(e.kind, TraceKind::Send { .. }) && e.msg == Some(kind)
        })
        .count()
}

/// The Java learner had no catch-up: a node that missed a commit kept its gap until
/// some later walk re-committed the index. Here cyrene misses slot 2's commit, so it
/// learns slot 3 but cannot execute it; once its catch-up requests get through it
/// executes slots 2 and 3, in order, each once.
#[test]
fn dropped_commit_leaves_gap_then_heals() {
    let mut cluster = three(0);
    execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    until_executed(&mut cluster, &THREE, 1);
    cluster.net().drop_nth_kind("Commit", ATHENS, CYRENE, 1);
    let no_catch_up = cluster
        .net()
        .drop_kind("CatchUp", CYRENE, [ATHENS, BYZANTIUM]);
    execute(&mut cluster, ALICE, ATHENS, 2, set("x", "2"));
    execute(&mut cluster, ALICE, ATHENS, 3, set("x", "3"));
    if let Err(e) = cluster.tick_until(|c| c.node::<Server>(CYRENE).committed(3).is_some()) {
        panic!("slot 3's commit must reach cyrene: {e}");
    }
    cluster.tick_n(10);
    let cyrene = server(&cluster, CYRENE);
    assert!(
        cyrene.committed(2).is_none(),
        "slot 2's only commit to cyrene was dropped"
    );
    assert_eq!(
        cyrene.executed_through(),
        1,
        "cyrene knows slot 3 but must not execute it across the gap at slot 2"
    );
    assert_eq!(
        cyrene.state_machine().get("x"),
        Some("1"),
        "cyrene's store reflects slot 1 only"
    );
    cluster.net().release(no_catch_up);
    until_executed(&mut cluster, &[CYRENE], 3);
    let cyrene = server(&cluster, CYRENE);
    assert_eq!(
        cyrene.state_machine().get("x"),
        Some("3"),
        "slots 2 and 3 must execute in order"
    );
    assert_eq!(
        cyrene.state_machine().operations_run(),
        3,
        "each slot must execute exactly once"
    );
    assert_eq!(
        executed_log(&cluster, CYRENE),
        executed_log(&cluster, ATHENS),
        "cyrene's log must equal athens's"
    );
}

/// cyrene is cut off while five writes go through athens. After it reconnects, nobody
/// sends it a request: its catch-up timer alone brings it level, and it runs no ballot.
#[test]
fn a_node_that_missed_commits_catches_up_without_a_client_request() {
    let mut cluster = three(0);
    cluster.isolate(CYRENE);
    for seq in 1..=5 {
        execute(&mut cluster, ALICE, ATHENS, seq, set("k", &seq.to_string()));
    }
    assert_eq!(
        server(&cluster, CYRENE).executed_through(),
        0,
        "cyrene heard nothing"
    );
    cluster.reconnect(CYRENE);
    let interval = Config::default().catch_up_interval_ticks;
    if let Err(e) = cluster.tick_until_within(3 * interval, |c| {
        c.node::<Server>(CYRENE).executed_through() == 5
    }) {
        panic!("cyrene must catch up on its own within three catch-up intervals: {e}");
    }
    assert_eq!(
        sent_by(&cluster, CYRENE, "Prepare"),
        0,
        "catching up must not need a ballot"
    );
    assert_eq!(
        executed_log(&cluster, CYRENE),
        executed_log(&cluster, ATHENS),
        "after catching up, cyrene's log must equal athens's"
    );
}

/// A restarted node asks a peer at once instead of waiting for the timer.
#[test]
fn a_restarted_node_asks_for_what_it_missed_at_once() {
    let mut cluster = three(0);
    execute(&mut cluster, ALICE, ATHENS, 1, set("k", "1"));
    until_executed(&mut cluster, &THREE, 1);
    cluster.crash(CYRENE);
    for seq in 2..=4 {
        execute(&mut cluster, ALICE, ATHENS, seq, set("k", &seq.to_string()));
    }
    cluster.restart(CYRENE);
    assert_eq!(
        server(&cluster, CYRENE).executed_through(),
        1,
        "the restarted node replays the one slot it had"
    );
    let interval = Config::default().catch_up_interval_ticks;
    if let Err(e) = cluster.tick_until_within(interval / 2, |c| {
        c.node::<Server>(CYRENE).executed_through() == 4
    }) {
        panic!(
            "a restarted node must ask for the slots it missed at once, not at its next timer: {e}"
        );
    }
}

/// A node 40 slots behind learns them in batches of at most `catch_up_batch_slots`,
/// asking again as soon as a batch is learned.
#[test]
fn a_node_far_behind_catches_up_in_batches() {
    let mut cluster = three(0);
    cluster.isolate(CYRENE);
    for seq in 1..=40 {
        execute(&mut cluster, ALICE, ATHENS, seq, set("k", &seq.to_string()));
    }
    let asked_before = sent_by(&cluster, CYRENE, "CatchUp");
    cluster.reconnect(CYRENE);
    until_executed(&mut cluster, &[CYRENE], 40);
    let replies: Vec<usize> = cluster
        .trace()
        .events()
        .filter(|e| {
            e.peer.as_ref().is_some_and(|p| *p == CYRENE)
                && matches!(e.kind, TraceKind::Send { .. })
        })
        .filter_map(|e| match &e.body {
            Some(Msg::CatchUpReply { entries, .. }) if !entries.is_empty() => Some(entries.len()),
            _ => None,
        })
        .collect();
    let batch = Config::default().catch_up_batch_slots;
    assert!(
        replies.len() >= 2 && replies.iter().all(|n| *n <= batch),
        "40 slots must come in several batches of at most {batch}, came as {replies:?}"
    );
    assert!(
        sent_by(&cluster, CYRENE, "CatchUp") > asked_before,
        "cyrene must have asked"
    );
    assert_eq!(
        executed_log(&cluster, CYRENE),
        executed_log(&cluster, ATHENS),
        "after catching up, cyrene's log must equal athens's"
    );
}

/// A proposer that learns from a `Decided` answer that its slot is taken learns the
/// value and moves on, without a ballot for the decided slot's successor being wasted.
#[test]
fn a_proposer_behind_learns_decided_slots_from_the_acceptors() {
    let mut cluster = three(0);
    cluster.net().drop_kind("Commit", ATHENS, CYRENE);
    cluster
        .net()
        .drop_kind("CatchUp", CYRENE, [ATHENS, BYZANTIUM]);
    execute(&mut cluster, ALICE, ATHENS, 1, set("k", "1"));
    execute(&mut cluster, ALICE, ATHENS, 2, set("k", "2"));
    assert!(
        server(&cluster, CYRENE).committed(1).is_none(),
        "cyrene heard no commit"
    );
    let reply = execute(&mut cluster, CAROL, CYRENE, 1, get("k"));
    assert_eq!(
        reply.outcome,
        read(Some("2")),
        "carol's read must come after both writes"
    );
    assert_eq!(reply.slot, 3, "the read goes into the first free slot");
    let slots: Vec<u64> = prepares_sent_by(&cluster, CYRENE)
        .into_iter()
        .map(|(slot, _)| slot)
        .collect();
    assert_eq!(
        slots,
        vec![1, 2, 3],
        "cyrene tries slots 1 and 2 once each, learns them Decided, and wins slot 3"
    );
}

/// Settings with the catch-up timer pushed beyond every test: what catches a node up
/// must then be one of the prompt mechanisms.
fn without_the_timer() -> Config {
    Config {
        catch_up_interval_ticks: 100_000,
        ..Config::default()
    }
}

/// A node that missed slots learns of them from a peer's `Prepare` or `Accept`, which
/// say how far the sender has executed: it asks that peer at once, without waiting for
/// its timer or a commit (here every commit to it is lost).
#[test]
fn a_prepare_from_a_peer_further_ahead_makes_a_lagging_node_ask_at_once() {
    let mut cluster = cluster_with(0, &THREE, without_the_timer(), StoreConfig::default());
    cluster.isolate(CYRENE);
    for seq in 1..=3 {
        execute(&mut cluster, ALICE, ATHENS, seq, set("k", &seq.to_string()));
    }
    cluster.reconnect(CYRENE);
    cluster.net().drop_kind("Commit", ATHENS, CYRENE);
    execute(&mut cluster, ALICE, ATHENS, 4, set("k", "4"));
    if let Err(e) =
        cluster.tick_until_within(20, |c| c.node::<Server>(CYRENE).executed_through() >= 3)
    {
        panic!("athens's prepare for slot 4 says it executed slot 3: cyrene must ask it: {e}");
    }
    assert_eq!(
        server(&cluster, CYRENE).state_machine().operations_run(),
        server(&cluster, CYRENE).executed_through(),
        "each slot cyrene learned executed once"
    );
}

/// A node more than one batch behind asks again as soon as a batch is learned, not at
/// its next timer: 40 slots arrive in two requests right after a restart.
#[test]
fn a_node_far_behind_asks_again_as_soon_as_a_batch_is_learned() {
    let mut cluster = cluster_with(0, &THREE, without_the_timer(), StoreConfig::default());
    cluster.crash(CYRENE);
    for seq in 1..=40 {
        execute(&mut cluster, ALICE, ATHENS, seq, set("k", &seq.to_string()));
    }
    let before = sent_by(&cluster, CYRENE, "CatchUp");
    cluster.restart(CYRENE);
    if let Err(e) =
        cluster.tick_until_within(30, |c| c.node::<Server>(CYRENE).executed_through() == 40)
    {
        panic!("cyrene must learn all 40 slots in batches right after its restart: {e}");
    }
    cluster.tick_n(10);
    assert_eq!(
        sent_by(&cluster, CYRENE, "CatchUp") - before,
        2,
        "40 slots take two batches of {}, and a node that learned the last batch and is \
         no longer behind does not ask again",
        Config::default().catch_up_batch_slots
    );
}

/// A node has at most one catch-up request in flight: while one is unanswered, its timer
/// does not send another, until the request times out. Here every answer to cyrene is
/// lost, its timer fires every 10 ticks, and a request times out after 100.
#[test]
fn a_node_has_one_catch_up_request_in_flight_until_it_is_answered_or_times_out() {
    let config = Config {
        catch_up_interval_ticks: 10,
        catch_up_timeout_ticks: 100,
        ..Config::default()
    };
    let mut cluster = cluster_with(0, &THREE, config, StoreConfig::default());
    cluster
        .net()
        .drop_kind("CatchUpReply", [ATHENS, BYZANTIUM], CYRENE);
    cluster.tick_n(95);
    assert_eq!(
        sent_by(&cluster, CYRENE, "CatchUp"),
        1,
        "cyrene asked once when it started; nine timer ticks since must not ask again \
         while that request is unanswered"
    );
    cluster.tick_n(20);
    assert_eq!(
        sent_by(&cluster, CYRENE, "CatchUp"),
        2,
        "once the first request timed out, the next timer tick asks again"
    );
}

/// A request still waiting at a node is told it was superseded as soon as a newer
/// request of the same client executes there, not when its own wait ends. Alice's
/// request 1 waits at cyrene, whose ballots reach no one; her request 2 executes through
/// athens, and cyrene learns it from athens's commit.
#[test]
fn a_waiting_request_is_superseded_as_soon_as_a_newer_one_of_its_client_executes() {
    let mut cluster = three(0);
    cluster
        .net()
        .drop_kind("Prepare", CYRENE, [ATHENS, BYZANTIUM]);
    let old = paxoslog::execute(&mut cluster, ALICE, CYRENE, 1, set("k", "1"));
    cluster.tick_n(5);
    assert_eq!(
        server(&cluster, CYRENE).waiting_clients(),
        1,
        "request 1 waits at cyrene"
    );
    let newer = execute(&mut cluster, ALICE, ATHENS, 2, set("k", "2"));
    until_executed(&mut cluster, &[CYRENE], newer.slot);
    let executed_at = cluster.now();
    match cluster.run(&old) {
        Ok(Msg::Superseded { latest, .. }) => {
            assert_eq!(latest, 2, "the answer names alice's request that executed")
        }
        other => panic!("request 1 must be told it was superseded, got {other:?}"),
    }
    assert!(
        cluster.now() <= executed_at + 2,
        "cyrene answers when request 2 executes (tick {executed_at}), not at the end of \
         the wait; answered at tick {}",
        cluster.now()
    );
}

/// A client that has waited `client_wait_ticks` at a node that cannot get a majority is
/// answered `Undecided`, with the number of ballots that failed for it, long before the
/// proposer would give up on its own; the run for its request ends.
#[test]
fn a_client_that_waited_too_long_is_answered_undecided_with_the_attempts_made() {
    let config = Config {
        client_wait_ticks: 60,
        max_attempts: 1_000,
        ..Config::default()
    };
    let mut cluster = cluster_with(0, &THREE, config, StoreConfig::default());
    cluster
        .net()
        .drop_kind("Prepare", ATHENS, [BYZANTIUM, CYRENE]);
    let call = paxoslog::execute(&mut cluster, ALICE, ATHENS, 1, set("k", "v"));
    cluster
        .tick_until_within(60, |c| {
            c.node::<Server>(ATHENS)
                .proposer()
                .is_some_and(|run| run.failed_attempts() > 0)
        })
        .expect("athens's prepares reach no majority, and its attempts fail");
    match cluster.run(&call) {
        Ok(Msg::Undecided { attempts, .. }) => {
            assert!(
                attempts > 0,
                "the answer counts the ballots that failed, got {attempts}"
            );
            assert_eq!(
                server(&cluster, ATHENS).proposer_stats().failed_attempts,
                u64::from(attempts),
                "athens's counts hold the same failed attempts"
            );
            assert!(
                cluster.now() < 200,
                "alice is answered after about 60 ticks, not when the proposer gives up"
            );
        }
        other => panic!("alice must be told her request is undecided, got {other:?}"),
    }
    let athens = server(&cluster, ATHENS);
    assert!(
        athens.proposer().is_none() && athens.waiting_clients() == 0,
        "the run for alice's request ended with her wait"
    );
}

/// A commit is written once, even when the write is slower than the catch-up timer: the
/// timer writes again only commits whose write failed, not one still in flight. Every
/// storage write here takes 30 ticks and the timer fires every 20.
#[test]
fn a_commit_still_being_written_is_not_written_again_by_the_timer() {
    let config = Config {
        phase_timeout_ticks: 200,
        ..Config::default()
    };
    let mut cluster = cluster_with(0, &THREE, config, slow_store(30));
    let before: Vec<u64> = THREE
        .iter()
        .map(|id| cluster.store(id).completed().0)
        .collect();
    let placed = execute(&mut cluster, ALICE, ATHENS, 1, set("k", "1"));
    until_executed(&mut cluster, &THREE, placed.slot);
    cluster.tick_n(100);
    let writes: Vec<u64> = THREE
        .iter()
        .zip(before)
        .map(|(id, before)| cluster.store(id).completed().0 - before)
        .collect();
    assert_eq!(
        writes,
        vec![4, 3, 3],
        "athens writes its round reservation, its promise, its acceptance and the commit; \
         byzantium and cyrene the promise, the acceptance and the commit: each once"
    );
}

/// A backoff timer outlives the run that set it when the run ends with its client's
/// wait; when it fires it must not start an attempt of the next run, which has a backoff
/// of its own. Every backoff here is 50 ticks: alice's run fails at tick 20 and ends at
/// her wait's end at tick 40 with its timer set for tick 70; bob's run prepares at tick
/// 40, fails at 60 and backs off until 110, and bob's wait ends first, at tick 80.
#[test]
fn a_backoff_timer_of_a_run_that_ended_does_not_start_an_attempt_of_the_next() {
    let config = Config {
        client_wait_ticks: 30,
        backoff_min_ticks: 50,
        backoff_first_max_ticks: 50,
        backoff_cap_ticks: 50,
        ..Config::default()
    };
    let mut cluster = cluster_with(0, &THREE, config, StoreConfig::default());
    cluster
        .net()
        .drop_kind("Prepare", ATHENS, [BYZANTIUM, CYRENE]);
    let alice = paxoslog::execute(&mut cluster, ALICE, ATHENS, 1, set("k", "a"));
    cluster.tick_n(35);
    let bob = paxoslog::execute(&mut cluster, BOB, ATHENS, 1, set("k", "b"));
    for (who, call) in [("alice", &alice), ("bob", &bob)] {
        match cluster.run(call) {
            Ok(Msg::Undecided { .. }) => {}
            other => panic!("{who}'s wait ends with Undecided, got {other:?}"),
        }
    }
    cluster.tick_n(60);
    let rounds: Vec<u64> = prepares_sent_by(&cluster, ATHENS)
        .iter()
        .map(|(_, ballot)| ballot.round)
        .collect();
    assert_eq!(
        rounds,
        vec![1, 2],
        "one prepare for alice's run (tick 2) and one for bob's (tick 40); alice's old \
         timer at tick 72 must not start another for bob"
    );
}
