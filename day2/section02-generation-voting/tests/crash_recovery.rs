//! Real crashes: a voter restarts from what it synced. Persisting the promise before
//! announcing it is what keeps a number from being won twice.

mod support;
use common::check;
use common::history::History;
use common::{Cluster, StoreConfig};
use generation_voting::history::{GenerationClock, NextGeneration};
use generation_voting::{Config, GenerationServer, Msg, VoterMode};
use support::*;

#[test]
fn step1_restart_preserves_promise() {
    let mut cluster = three(Config::default());
    let vote = cluster.call(ALICE, BYZANTIUM, Msg::Prepare { generation: 7 });
    assert_eq!(cluster.run(&vote), Ok(Msg::Promise { generation: 7 }));
    cluster.crash(BYZANTIUM);
    cluster.restart(BYZANTIUM);
    assert_eq!(
        promised(&cluster, BYZANTIUM),
        7,
        "the promise must be recovered from storage"
    );
    let again = cluster.call(ALICE, BYZANTIUM, Msg::Prepare { generation: 7 });
    assert_eq!(
        cluster.run(&again),
        Ok(Msg::Reject { promised: 7 }),
        "a restarted voter must not vote for 7 a second time"
    );
    let higher = cluster.call(ALICE, BYZANTIUM, Msg::Prepare { generation: 8 });
    assert_eq!(cluster.run(&higher), Ok(Msg::Promise { generation: 8 }));
}

/// Byzantium's disk refuses the write of its vote for 7. The vote is not durable, so a
/// crash could forget it: byzantium must refuse at once rather than announce it.
#[test]
fn step1_voter_refuses_to_promise_when_its_write_fails() {
    let mut cluster = three(Config::default());
    cluster.store_mut(BYZANTIUM).fail_next(1);
    let vote = cluster.call(ALICE, BYZANTIUM, Msg::Prepare { generation: 7 });
    let answer = cluster.run(&vote);
    assert!(
        matches!(answer, Ok(Msg::Reject { .. })),
        "a vote that could not be made durable must be refused, got {answer:?}"
    );
    assert_eq!(
        durable_promise(&cluster, BYZANTIUM),
        0,
        "the failed write left nothing on disk"
    );
}

/// Slow disks (5 ticks a write): byzantium takes a prepare for 7, and a prepare for 8
/// arrives while the vote for 7 is still being written. When that write lands, 7 is no
/// longer byzantium's promise: it must answer 7 with a refusal naming 8, and promise 8.
#[test]
fn step1_voter_overtaken_while_its_write_is_in_flight_refuses_the_older_vote() {
    let mut cluster = three(Config::default());
    cluster.store_mut(BYZANTIUM).set_delay(5, 5);
    let seven = cluster.call(ALICE, BYZANTIUM, Msg::Prepare { generation: 7 });
    cluster.tick_n(2);
    assert_eq!(
        promised(&cluster, BYZANTIUM),
        7,
        "byzantium has promised 7 in memory"
    );
    assert!(
        seven.result().is_none(),
        "the vote for 7 must still be on its way to disk"
    );
    let eight = cluster.call(BOB, BYZANTIUM, Msg::Prepare { generation: 8 });
    assert_eq!(
        cluster.run(&seven),
        Ok(Msg::Reject { promised: 8 }),
        "a vote overtaken by 8 while it was written must not be announced as a promise"
    );
    assert_eq!(cluster.run(&eight), Ok(Msg::Promise { generation: 8 }));
}

/// Two answers, alice's then bob's (bob asked after alice was answered), as a history.
fn two_answers(alice: (u64, u64, u64), bob: (u64, u64, u64)) -> History<NextGeneration, u64> {
    let mut h = History::new();
    let a = h.invoke(ALICE, NextGeneration, alice.0);
    h.ok(a, alice.2, alice.1);
    let b = h.invoke(BOB, NextGeneration, bob.0);
    h.ok(b, bob.2, bob.1);
    h
}

/// Alice wins at athens with athens and byzantium while cyrene is cut off; both voters
/// restart; bob then asks cyrene, whose majority is cyrene and byzantium. Returns the two
/// answers as a history (invocation tick, completion tick, number).
fn win_restart_win_again(config: Config) -> (Cluster<Msg>, History<NextGeneration, u64>) {
    let mut cluster = three(config);
    cluster.partition(&[&[ATHENS, BYZANTIUM, ALICE, BOB, CAROL], &[CYRENE]]);
    let alice_start = cluster.now();
    let alice = next_generation(&mut cluster, ALICE, ATHENS).expect("athens and byzantium elect");
    let alice_end = cluster.now();
    cluster.tick_n(5);
    for id in [ATHENS, BYZANTIUM] {
        cluster.crash(id);
        cluster.restart(id);
    }
    cluster.heal_all();
    cluster.partition(&[&[BYZANTIUM, CYRENE, ALICE, BOB, CAROL], &[ATHENS]]);
    let bob_start = cluster.now();
    let bob = next_generation(&mut cluster, BOB, CYRENE).expect("cyrene and byzantium elect");
    let bob_end = cluster.now();
    let history = two_answers((alice_start, alice_end, alice), (bob_start, bob_end, bob));
    (cluster, history)
}

/// Negative control (the original as it is now): promises live in memory only. After
/// the restarts byzantium votes for 1 again and the same number is handed out twice;
/// the history check catches the duplicate.
#[test]
fn step2_negative_control_volatile_generation_duplicates() {
    let (_cluster, history) =
        win_restart_win_again(Config::default().with_voter(VoterMode::Volatile));
    let numbers: Vec<u64> = history
        .ops()
        .filter_map(|op| op.output().copied())
        .collect();
    assert_eq!(numbers, [1, 1], "the volatile voter must hand out 1 twice");
    let verdict = check::linearizable(&GenerationClock, &history);
    assert!(
        verdict.is_violation(),
        "the checker must catch the duplicate: {verdict}"
    );
}

/// The same scenario with durable promises: byzantium remembers 1, so bob gets 2.
#[test]
fn step2_durable_promises_survive_the_restarts_and_the_next_number_is_higher() {
    let (_cluster, history) = win_restart_win_again(Config::default());
    let numbers: Vec<u64> = history
        .ops()
        .filter_map(|op| op.output().copied())
        .collect();
    assert_eq!(
        numbers,
        [1, 2],
        "bob's election must go above the remembered 1"
    );
    let verdict = check::linearizable(&GenerationClock, &history);
    assert!(verdict.is_ok(), "{verdict}");
}

/// Slow disks (5 ticks a write); byzantium crashes while its vote for 1 is being written.
/// Returns the cluster, alice's pending request and the tick alice asked at.
fn crash_voter_during_write(config: Config) -> (Cluster<Msg>, common::Promise<Msg>) {
    let mut cluster = Cluster::builder()
        .servers(THREE)
        .store(StoreConfig {
            delay: (5, 5),
            ..StoreConfig::default()
        })
        .request_timeout(CLIENT_TIMEOUT_TICKS)
        .build(move |_, _| GenerationServer::new(config));
    for client in [ALICE, BOB] {
        cluster.add_client(client);
    }
    cluster.partition(&[&[ATHENS, BYZANTIUM, ALICE, BOB], &[CYRENE]]);
    let alice = cluster.call(ALICE, ATHENS, Msg::NextGeneration);
    cluster.tick_n(4); // byzantium took the prepare at tick 2; its write completes at 7
    assert_eq!(
        promised(&cluster, BYZANTIUM),
        1,
        "byzantium has promised 1 in memory"
    );
    assert_eq!(
        durable_promise(&cluster, BYZANTIUM),
        0,
        "but not yet on disk"
    );
    cluster.crash(BYZANTIUM);
    (cluster, alice)
}

/// The vote was never announced, so the crash loses nothing that was counted: athens
/// cannot win 1, and the restarted byzantium may vote for 1 again without creating a
/// second winner of 1.
#[test]
fn step2_no_reply_before_durable_write() {
    let (mut cluster, alice) = crash_voter_during_write(Config::default());
    cluster.tick_n(2);
    assert!(
        cluster.node::<GenerationServer>(ATHENS).won().is_empty(),
        "athens must not have counted byzantium's unwritten vote"
    );
    cluster.restart(BYZANTIUM);
    assert_eq!(
        promised(&cluster, BYZANTIUM),
        0,
        "the unwritten vote is forgotten"
    );
    cluster.heal_all();
    cluster.partition(&[&[BYZANTIUM, CYRENE, BOB], &[ATHENS, ALICE]]);
    let bob = next_generation(&mut cluster, BOB, CYRENE);
    let alice = decoded_after(&mut cluster, &alice);
    assert_eq!(bob, Ok(1), "cyrene and byzantium may now elect 1");
    assert_ne!(alice, Ok(1), "alice must not also hold 1");
}

/// Negative control: a voter that replies before its write is durable. Athens wins 1 on
/// byzantium's announced vote; byzantium crashes before the write lands, restarts
/// without it, and votes for 1 again: 1 is handed out twice.
#[test]
fn step2_negative_control_reply_before_persist_duplicates() {
    let (mut cluster, alice) =
        crash_voter_during_write(Config::default().with_voter(VoterMode::ReplyBeforePersist));
    let alice_number = decoded_after(&mut cluster, &alice);
    assert_eq!(
        alice_number,
        Ok(1),
        "athens counted byzantium's announced vote"
    );
    cluster.restart(BYZANTIUM);
    cluster.heal_all();
    cluster.partition(&[&[BYZANTIUM, CYRENE, BOB], &[ATHENS, ALICE]]);
    assert_eq!(
        next_generation(&mut cluster, BOB, CYRENE),
        Ok(1),
        "byzantium forgot its vote and grants 1 again: a duplicate"
    );
}

fn decoded_after(
    cluster: &mut Cluster<Msg>,
    reply: &common::Promise<Msg>,
) -> Result<u64, generation_voting::client::ClientError> {
    generation_voting::client::generation(cluster.run(reply))
}
