//! One regression test per known bug, of the Java original or of an earlier version of
//! this section, named after the bug.

mod support;
use common::Cluster;
use common::trace::TraceKind;
use paxos::{Ballot, ClientError, Config, Msg, RejectReason, RequestId, Server};
use std::collections::BTreeMap;
use support::*;

/// Java re-applied every commit: a second increment re-ran Paxos, rediscovered the
/// chosen increment, committed it again and every counter went to 2 (reported as
/// success). Here the second request loses, and each node applies the value once.
#[test]
fn step3_second_increment_is_not_reapplied() {
    let mut cluster = three(0);
    let first = paxos::execute(&mut cluster, ALICE, ATHENS, 1, increment("counter"));
    assert_eq!(decided(&mut cluster, &first, ALICE).result, "1");
    let second = paxos::execute(&mut cluster, BOB, BYZANTIUM, 1, increment("counter"));
    let bob = decided(&mut cluster, &second, BOB);
    assert!(
        !bob.won,
        "the second increment must not be reported as chosen"
    );
    assert_eq!(
        bob.result, "1",
        "bob must see the chosen increment's result, not 2"
    );
    until_all_applied(&mut cluster, &THREE);
    cluster.tick_n(50);
    for id in THREE {
        let sm = server(&cluster, id).state_machine();
        assert_eq!(
            sm.counter("counter"),
            1,
            "{id} must count the chosen increment once"
        );
        assert_eq!(
            sm.applied_count(),
            1,
            "{id} must apply exactly one operation"
        );
    }
}

/// Every message is delivered twice: a duplicate prepare must not be refused (its
/// refusal would overtake the promise waiting for its write and fail the round forever),
/// and a duplicate commit is acknowledged again but not applied again.
#[test]
fn step3_duplicated_messages_neither_block_the_round_nor_reapply_the_commit() {
    let mut cluster = three(0);
    cluster.net().set_duplicate(1.0);
    let reply = paxos::execute(&mut cluster, ALICE, ATHENS, 1, increment("counter"));
    decided(&mut cluster, &reply, ALICE);
    until_all_applied(&mut cluster, &THREE);
    cluster.tick_n(30);
    for id in THREE {
        assert_eq!(
            server(&cluster, id).state_machine().counter("counter"),
            1,
            "{id} received every commit twice and must still count once"
        );
    }
}

/// Java never sent COMMIT_RESPONSE, so every commit round ended in a timeout. Here each
/// node acknowledges the commit once it is durable, and the proposer's commit requests
/// all complete.
#[test]
fn step3_commit_response_is_sent_so_the_commit_round_does_not_time_out() {
    let mut cluster = three(0);
    let reply = paxos::execute(&mut cluster, ALICE, ATHENS, 1, increment("counter"));
    decided(&mut cluster, &reply, ALICE);
    cluster.tick_n(100);
    let events: Vec<_> = cluster.trace().events().collect();
    let acknowledged = events
        .iter()
        .filter(|e| e.kind == TraceKind::Deliver && e.msg == Some("Committed"))
        .count();
    assert_eq!(
        acknowledged, 3,
        "every node must acknowledge the commit to the proposer"
    );
    let timeouts: Vec<String> = events
        .iter()
        .filter(|e| e.kind == TraceKind::RequestTimeout)
        .map(|e| e.to_string())
        .collect();
    assert!(
        timeouts.is_empty(),
        "no request of a healthy run may time out: {timeouts:?}"
    );
}

/// Java generations were a bare per-node counter, so two proposers both used
/// generation 1. Ballots carry the node id: every prepared ballot has one owner.
#[test]
fn step3_generations_of_two_proposers_never_collide() {
    let mut cluster = three(0);
    let a = paxos::execute(&mut cluster, ALICE, ATHENS, 1, set("title", "A"));
    let b = paxos::execute(&mut cluster, BOB, BYZANTIUM, 1, set("title", "B"));
    let c = paxos::execute(&mut cluster, CAROL, CYRENE, 1, set("title", "C"));
    for (who, p) in [(ALICE, &a), (BOB, &b), (CAROL, &c)] {
        decided(&mut cluster, p, who);
    }
    let mut owner: BTreeMap<Ballot, String> = BTreeMap::new();
    for event in cluster.trace().events() {
        if let (TraceKind::Send { .. }, Some(Msg::Prepare { ballot })) = (&event.kind, &event.body)
        {
            let sender = event.node.to_string();
            let first = owner
                .entry(ballot.clone())
                .or_insert_with(|| sender.clone());
            assert_eq!(
                *first, sender,
                "ballot {ballot} was prepared by two proposers"
            );
            assert_eq!(
                ballot.node.as_str(),
                sender,
                "a proposer prepares only its own ballots"
            );
        }
    }
    assert!(
        owner.len() >= 3,
        "three proposers must each have prepared a ballot"
    );
}

/// Java retried with generation + 1 whatever the rejection said, so a proposer far
/// behind could not catch up within its 5 attempts. Here the next round jumps past the
/// promise reported in the rejection.
#[test]
fn step3_retry_jumps_past_the_promise_reported_in_a_rejection() {
    let mut cluster = three(0);
    let high = Ballot::new(40, CYRENE);
    for acceptor in [BYZANTIUM, CYRENE] {
        let p = cluster.call(
            CAROL,
            acceptor,
            Msg::Prepare {
                ballot: high.clone(),
            },
        );
        cluster.run(&p).expect("the acceptor promises round 40");
    }
    let reply = paxos::execute(&mut cluster, ALICE, ATHENS, 1, increment("counter"));
    let alice = decided(&mut cluster, &reply, ALICE);
    assert!(alice.won, "with no competing value alice must win");
    assert_eq!(
        server(&cluster, ATHENS).round_reserved(),
        41,
        "round 1 is rejected with promise 40, so the retry must use round 41, not 2"
    );
}

/// Java's generation counter lived in memory: a restarted proposer started again at 1
/// and could reuse a generation it had already proposed in. Rounds are reserved
/// durably before use, so a new incarnation never prepares a ballot it used before.
#[test]
fn step3_volatile_generation_counter_cannot_reuse_a_ballot_after_restart() {
    let mut cluster = three(0);
    cluster.store_mut(ATHENS).set_delay(3, 3);
    let cut = cluster
        .net()
        .drop_kind("Prepare", ATHENS, [BYZANTIUM, CYRENE]);
    let first = paxos::execute_within(&mut cluster, ALICE, ATHENS, 1, set("k", "first"), 20);
    if let Err(e) = cluster.tick_until(|c| c.node::<Server>(ATHENS).proposing_ballot().is_some()) {
        panic!("athens must prepare its first ballot: {e}");
    }
    // Crash before athens's own promise of that ballot reaches its disk.
    let crashed_at = cluster.now();
    cluster.crash(ATHENS);
    cluster.restart(ATHENS);
    assert_eq!(
        server(&cluster, ATHENS).round_reserved(),
        1,
        "the reserved round must survive the crash"
    );
    cluster.net().release(cut);
    let _ = cluster.run(&first);
    let again = paxos::execute(&mut cluster, ALICE, ATHENS, 2, set("k", "second"));
    decided(&mut cluster, &again, ALICE);
    let prepared = |before: bool| -> Vec<Ballot> {
        cluster
            .trace()
            .events()
            .filter(|e| e.node == ATHENS && (e.tick <= crashed_at) == before)
            .filter_map(|e| match (&e.kind, &e.body) {
                (TraceKind::Send { .. }, Some(Msg::Prepare { ballot })) => Some(ballot.clone()),
                _ => None,
            })
            .collect()
    };
    let old = prepared(true);
    let new = prepared(false);
    assert!(
        !old.is_empty() && !new.is_empty(),
        "athens prepares in both incarnations"
    );
    for ballot in &new {
        assert!(
            !old.contains(ballot),
            "the restarted athens reused ballot {ballot} of its previous incarnation"
        );
    }
}

/// Java never rebuilt the state machine after a restart, although the committed value
/// was on disk. Here a restarted node applies its durable commit in `on_start`.
#[test]
fn step3_state_machine_is_rebuilt_from_durable_commit_after_restart() {
    let mut cluster = three(0);
    let reply = paxos::execute(&mut cluster, ALICE, ATHENS, 1, increment("counter"));
    decided(&mut cluster, &reply, ALICE);
    until_all_applied(&mut cluster, &THREE);
    cluster.crash(BYZANTIUM);
    cluster.restart(BYZANTIUM);
    let node = server(&cluster, BYZANTIUM);
    assert_eq!(
        node.state_machine().counter("counter"),
        1,
        "the restarted node must rebuild its counter from the durable commit"
    );
    let late = paxos::execute(&mut cluster, BOB, BYZANTIUM, 1, increment("counter"));
    let bob = decided(&mut cluster, &late, BOB);
    assert_eq!(
        (bob.won, bob.result.as_str()),
        (false, "1"),
        "the restarted node must answer from the rebuilt state"
    );
}

/// Java decided "did my operation win?" by value equality, so two clients proposing
/// equal operations were both told they won. The value carries the request id.
#[test]
fn step3_equal_operations_from_two_clients_have_one_winner() {
    for seed in 0..10 {
        let mut cluster = three(seed);
        let a = paxos::execute(&mut cluster, ALICE, ATHENS, 1, increment("counter"));
        let b = paxos::execute(&mut cluster, BOB, BYZANTIUM, 1, increment("counter"));
        let alice = decided(&mut cluster, &a, ALICE);
        let bob = decided(&mut cluster, &b, BOB);
        assert!(
            alice.won ^ bob.won,
            "seed {seed}: equal increments from two clients must have one winner, got alice={} bob={}",
            alice.won,
            bob.won
        );
    }
}

/// The request id also tells a client whose answer was lost that its operation won,
/// when it asks again with the same id at another node.
#[test]
fn step3_a_client_that_lost_its_answer_learns_it_won_by_asking_again() {
    let mut cluster = three(0);
    cluster.net().drop_kind("Executed", ATHENS, ALICE);
    let lost = paxos::execute_within(&mut cluster, ALICE, ATHENS, 7, increment("counter"), 30);
    assert!(
        cluster.run(&lost).is_err(),
        "the answer was dropped: alice times out"
    );
    let again = paxos::execute(&mut cluster, ALICE, BYZANTIUM, 7, increment("counter"));
    let alice = decided(&mut cluster, &again, ALICE);
    assert!(
        alice.won,
        "the chosen value carries alice's request id 7: she won"
    );
    assert_eq!(alice.chosen, RequestId::new(ALICE, 7));
}

/// Java's commit overwrote the accepted generation but kept the old promise, so a node
/// that learned only through the commit held accepted > promised. Here the commit
/// raises the promise with it.
#[test]
fn step3_commit_never_leaves_the_accepted_ballot_above_the_promise() {
    let mut cluster = three(0);
    cluster.net().drop_kind("Prepare", ATHENS, CYRENE);
    cluster.net().drop_kind("Accept", ATHENS, CYRENE);
    let reply = paxos::execute(&mut cluster, ALICE, ATHENS, 1, set("k", "v"));
    decided(&mut cluster, &reply, ALICE);
    until_all_applied(&mut cluster, &THREE);
    let cyrene = server(&cluster, CYRENE);
    let accepted = cyrene
        .accepted()
        .expect("the commit records the chosen proposal");
    assert!(
        accepted.ballot <= *cyrene.promised(),
        "cyrene learned only through the commit: accepted {} must not exceed promise {}",
        accepted.ballot,
        cyrene.promised()
    );
    assert_eq!(accepted.ballot, Ballot::new(1, ATHENS));
}

/// Java only logged a failed storage write and sent nothing, leaving the proposer to
/// time out. Here the acceptor rejects at once, saying why.
#[test]
fn step1_failed_storage_write_is_rejected_not_ignored() {
    let mut cluster = three(0);
    cluster.store_mut(BYZANTIUM).fail_next(1);
    let ballot = Ballot::new(1, ATHENS);
    let reply = cluster.call(
        ALICE,
        BYZANTIUM,
        Msg::Prepare {
            ballot: ballot.clone(),
        },
    );
    let asked_at = cluster.now();
    let answer = cluster.run(&reply);
    assert!(
        matches!(
            answer,
            Ok(Msg::Reject {
                reason: RejectReason::StorageFailed,
                ..
            })
        ),
        "a promise that could not be made durable must be refused, got {answer:?}"
    );
    assert!(
        cluster.now() - asked_at <= 3,
        "the refusal must come right after the failed write, not after a timeout"
    );
    assert_eq!(
        durable(&cluster, BYZANTIUM).promised,
        Ballot::zero(),
        "nothing was written"
    );
}

/// Java mixed `int` generations in messages with `long` in state. Rounds are `u64`
/// everywhere: a promise beyond 32 bits is compared and jumped past correctly.
#[test]
fn step3_mixed_integer_widths_cannot_truncate_a_round() {
    let mut cluster = three(0);
    let huge = Ballot::new((1 << 33) + 5, CYRENE);
    for acceptor in [BYZANTIUM, CYRENE] {
        let p = cluster.call(
            CAROL,
            acceptor,
            Msg::Prepare {
                ballot: huge.clone(),
            },
        );
        cluster.run(&p).expect("promised");
    }
    let reply = paxos::execute(&mut cluster, ALICE, ATHENS, 1, increment("counter"));
    assert!(decided(&mut cluster, &reply, ALICE).won);
    assert_eq!(server(&cluster, ATHENS).round_reserved(), (1 << 33) + 6);
}

/// Java's proposer stopped silently after 5 failed attempts, leaving its client to time
/// out. Here the waiting clients are told `Undecided` (outcome unknown) as soon as the
/// proposer gives up.
#[test]
fn step2_exhausted_retries_answer_undecided_instead_of_silence() {
    let config = paxos::Config {
        max_attempts: 2,
        ..paxos::Config::default()
    };
    let mut cluster = cluster_with(0, &THREE, config.clone(), common::StoreConfig::default());
    cluster.partition(&[&[ATHENS, ALICE], &[BYZANTIUM, CYRENE]]);
    let asked_at = cluster.now();
    let reply = paxos::execute(&mut cluster, ALICE, ATHENS, 1, increment("counter"));
    let answer = cluster.run(&reply);
    assert_eq!(
        paxos::decision(answer),
        Err(paxos::ClientError::Undecided { attempts: 2 }),
        "a proposer that gives up must say so instead of leaving alice to time out"
    );
    // Each attempt: a 1-tick round reservation, then a phase that times out; one
    // backoff between them; alice's round trip.
    let waited = cluster.now() - asked_at;
    let (_, backoff_max) = config.backoff_window(1);
    let bound = 2 * (1 + config.phase_timeout_ticks) + backoff_max + 2;
    assert!(
        waited <= bound,
        "alice must be told as soon as the second attempt times out (within {bound} ticks), not after {waited} ticks"
    );
}

/// Alice's value is chosen by athens and byzantium while cyrene is cut off; cyrene then
/// rejoins with a disk that refuses `fail` (every write, when `None`), and the
/// proposer's commit retransmissions reach it. Returns the cluster.
fn commit_reaches_cyrene_with_a_failing_disk(fail: Option<u32>) -> Cluster<Msg> {
    let mut cluster = three(0);
    cluster.partition(&[&[ATHENS, BYZANTIUM, ALICE, BOB, CAROL], &[CYRENE]]);
    let reply = paxos::execute(&mut cluster, ALICE, ATHENS, 1, set("k", "v"));
    let alice = decided(&mut cluster, &reply, ALICE);
    assert!(alice.won, "alice's value must be chosen without cyrene");
    match fail {
        Some(writes) => cluster.store_mut(CYRENE).fail_next(writes),
        None => cluster.store_mut(CYRENE).set_failure_rate(1.0),
    }
    cluster.heal_all();
    cluster
}

/// Failed storage writes at `id` so far (each one a `StoreFailed` trace event).
fn failed_writes(cluster: &Cluster<Msg>, id: &str) -> usize {
    cluster
        .trace()
        .events()
        .filter(|e| e.kind == TraceKind::StoreFailed && e.node.as_str() == id)
        .count()
}

/// A learner used to write a failed commit again without bound: a disk that refused
/// every write kept it retrying for ever, and a client waiting on it heard nothing
/// until its own timeout. Each commit now gets `commit_write_attempts` writes; then the
/// learner stops, applies and acknowledges nothing, reports the failure, and tells a
/// client asking it that it could not make the decision durable.
#[test]
fn commit_write_retries_are_bounded_and_the_failure_is_reported() {
    let attempts = Config::default().commit_write_attempts;
    let mut cluster = commit_reaches_cyrene_with_a_failing_disk(None);
    if let Err(e) =
        cluster.tick_until(|c| c.node::<Server>(CYRENE).commit_write_failure().is_some())
    {
        panic!("cyrene must give up writing the commit its disk keeps refusing: {e}");
    }
    let cyrene = server(&cluster, CYRENE);
    let failure = cyrene
        .commit_write_failure()
        .expect("cyrene reports the failure");
    assert_eq!(
        failure.failed_writes, attempts,
        "cyrene must give up after exactly commit_write_attempts writes"
    );
    assert!(
        cyrene.committed().is_some() && cyrene.applied().is_none(),
        "cyrene knows the decision but must not apply what it could not make durable"
    );
    assert_eq!(
        durable(&cluster, CYRENE).committed,
        None,
        "nothing reached cyrene's disk"
    );

    let asked_at = cluster.now();
    let bob = paxos::execute(&mut cluster, BOB, CYRENE, 1, set("k", "w"));
    let answer = paxos::decision(cluster.run(&bob));
    assert_eq!(
        answer,
        Err(ClientError::NotDurable {
            failed_writes: attempts
        }),
        "bob must be told that cyrene could not make the decision durable"
    );
    // One round of 1-tick writes, then bob's round trip.
    let waited = cluster.now() - asked_at;
    let bound = u64::from(attempts) + 2;
    assert!(
        waited <= bound,
        "bob must be told as soon as cyrene's {attempts} writes have failed (within {bound} ticks), not after {waited} ticks"
    );

    // The proposer retransmits the commit at most `commit_retries` times; after that
    // nothing may make cyrene write again.
    cluster.tick_n(300);
    let settled = failed_writes(&cluster, CYRENE);
    cluster.tick_n(300);
    assert_eq!(
        failed_writes(&cluster, CYRENE),
        settled,
        "cyrene must stop writing the commit once its attempts are used up"
    );
    assert_eq!(
        cluster.store(CYRENE).pending(),
        0,
        "no write may be left queued at cyrene"
    );
    assert_eq!(
        settled % attempts as usize,
        0,
        "every round of commit writes must stop after exactly {attempts} writes, saw {settled} failed writes"
    );
    let rounds_max = Config::default().commit_retries as usize + 2; // + bob's request
    assert!(
        settled <= rounds_max * attempts as usize,
        "at most one round of writes per commit delivery and client request, saw {settled} failed writes"
    );
}

/// The same failing learner, but the disk refuses only three writes: the retries make
/// the commit durable within the bound, cyrene applies and acknowledges it, and no
/// failure is reported.
#[test]
fn commit_becomes_durable_when_the_disk_recovers_within_the_bound() {
    let mut cluster = commit_reaches_cyrene_with_a_failing_disk(Some(3));
    assert!(
        Config::default().commit_write_attempts > 3,
        "the scenario needs more attempts than failing writes"
    );
    until_all_applied(&mut cluster, &THREE);
    assert_eq!(
        failed_writes(&cluster, CYRENE),
        3,
        "cyrene's disk must have refused three writes on the way"
    );
    assert_eq!(
        durable(&cluster, CYRENE)
            .committed
            .map(|value| value.request),
        Some(RequestId::new(ALICE, 1)),
        "cyrene must have made alice's chosen value durable"
    );
    assert!(
        server(&cluster, CYRENE).commit_write_failure().is_none(),
        "a commit that became durable must not be reported as failed"
    );
}
