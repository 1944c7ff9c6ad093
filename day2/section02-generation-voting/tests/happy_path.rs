//! Elections in a healthy or simply partitioned cluster: the original's scenarios.

mod support;
use generation_voting::client::ClientError;
use generation_voting::{Config, GenerationServer};
use support::*;

/// The original's rotating-majority test: each request goes to a different majority,
/// and each number is above every earlier one because every two majorities share a
/// voter that remembers.
#[test]
fn step2_generations_stay_monotonic_across_rotating_majority_partitions() {
    let mut cluster = three(Config::default());
    cluster.partition(&[&[ATHENS, BYZANTIUM, ALICE, BOB, CAROL], &[CYRENE]]);
    assert_eq!(next_generation(&mut cluster, ALICE, ATHENS), Ok(1));
    assert_eq!(
        [promised(&cluster, ATHENS), promised(&cluster, BYZANTIUM)],
        [1, 1]
    );

    cluster.heal_all();
    cluster.partition(&[&[BYZANTIUM, CYRENE, ALICE, BOB, CAROL], &[ATHENS]]);
    assert_eq!(
        next_generation(&mut cluster, BOB, BYZANTIUM),
        Ok(2),
        "byzantium knows 1, so it proposes 2"
    );
    assert_eq!(
        [promised(&cluster, BYZANTIUM), promised(&cluster, CYRENE)],
        [2, 2]
    );

    cluster.heal_all();
    cluster.partition(&[&[ATHENS, CYRENE, ALICE, BOB, CAROL], &[BYZANTIUM]]);
    assert_eq!(next_generation(&mut cluster, BOB, CYRENE), Ok(3));
    assert_eq!(
        [promised(&cluster, ATHENS), promised(&cluster, CYRENE)],
        [3, 3]
    );
    assert_eq!(next_generation(&mut cluster, BOB, CYRENE), Ok(4));
    assert_eq!(
        [promised(&cluster, ATHENS), promised(&cluster, CYRENE)],
        [4, 4]
    );
    assert_eq!(
        promised(&cluster, BYZANTIUM),
        2,
        "byzantium was cut off since 2"
    );

    // Byzantium proposes 3, is rejected by voters at 4, learns 4 from the rejections,
    // and wins 5 on its second attempt.
    cluster.heal_all();
    assert_eq!(next_generation(&mut cluster, ALICE, BYZANTIUM), Ok(5));
    assert!(
        cluster.node::<GenerationServer>(BYZANTIUM).highest_seen() >= 5,
        "byzantium must have learnt the higher numbers"
    );
}

/// The original ran this on real sockets with a random seed and checked every voter
/// immediately; here it is deterministic, and the last voter is awaited explicitly.
#[test]
fn step2_different_nodes_can_coordinate_elections() {
    let mut cluster = three(Config::default());
    assert_eq!(next_generation(&mut cluster, ALICE, ATHENS), Ok(1));
    assert_eq!(next_generation(&mut cluster, ALICE, BYZANTIUM), Ok(2));
    assert_eq!(next_generation(&mut cluster, ALICE, CYRENE), Ok(3));
    cluster
        .tick_until_within(5, |c| THREE.iter().all(|id| promised(c, id) == 3))
        .expect("every voter must reach 3 shortly after the third election");
}

/// The original's overlapping test with its own (loose) expectations: three requests to
/// athens before any tick; none is answered yet; then every one is resolved, at least
/// one succeeds, the successful numbers are unique, and every voter ends at the largest.
#[test]
fn step2_overlapping_requests_produce_unique_generations() {
    let mut cluster = three(Config::default());
    let replies: Vec<_> = [ALICE, BOB, CAROL]
        .iter()
        .map(|client| cluster.call(client, ATHENS, generation_voting::Msg::NextGeneration))
        .collect();
    assert!(
        replies.iter().all(|r| r.is_pending()),
        "nothing is answered before a tick"
    );
    cluster
        .tick_until(|_| replies.iter().all(|r| !r.is_pending()))
        .expect("every request must be resolved");
    let mut won: Vec<u64> = replies.iter().filter_map(|r| decoded(r).ok()).collect();
    assert!(
        !won.is_empty(),
        "at least one overlapping request must succeed"
    );
    won.sort_unstable();
    assert!(
        won.windows(2).all(|w| w[0] < w[1]),
        "successful numbers must be unique: {won:?}"
    );
    let largest = *won.last().expect("not empty");
    cluster
        .tick_until_within(5, |c| THREE.iter().all(|id| promised(c, id) == largest))
        .expect("every voter must end at the largest successful number");
}

/// The original's overlapping test, with the expectation its branch had: three requests
/// to athens in one tick; exactly one wins (the newest), the two older ones are told
/// explicitly that they were superseded, and every voter ends at the winning number.
#[test]
fn step2_exactly_one_of_overlapping_elections_wins() {
    let mut cluster = three(Config::default());
    let replies: Vec<_> = [ALICE, BOB, CAROL]
        .iter()
        .map(|client| cluster.call(client, ATHENS, generation_voting::Msg::NextGeneration))
        .collect();
    assert!(
        replies.iter().all(|r| r.is_pending()),
        "nothing is answered before a tick"
    );
    cluster
        .tick_until_within(20, |_| replies.iter().all(|r| !r.is_pending()))
        .expect("all three requests must be answered explicitly, well before any timeout");
    let answers: Vec<_> = replies.iter().map(decoded).collect();
    assert_eq!(
        answers,
        [
            Err(ClientError::Superseded { by: 3 }),
            Err(ClientError::Superseded { by: 3 }),
            Ok(3)
        ],
        "only the newest election may win"
    );
    cluster
        .tick_until_within(5, |c| THREE.iter().all(|id| promised(c, id) == 3))
        .expect("every voter must end at the winning number");
}

/// Regression for the original's retry of an obsolete election: the two older
/// elections lose (their voters' promises moved on to 3 before the writes completed);
/// they must not retry with 4 and overtake the newest one.
#[test]
fn step2_superseded_election_does_not_retry_and_overtake_the_newest() {
    let mut cluster = three(Config::default());
    let replies: Vec<_> = [ALICE, BOB, CAROL]
        .iter()
        .map(|client| cluster.call(client, ATHENS, generation_voting::Msg::NextGeneration))
        .collect();
    cluster.tick_n(60);
    assert!(replies.iter().all(|r| !r.is_pending()));
    assert_eq!(
        THREE.map(|id| promised(&cluster, id)),
        [3, 3, 3],
        "no voter may ever have been asked for more than 3"
    );
    assert_eq!(cluster.node::<GenerationServer>(ATHENS).won(), &[3]);
    assert_eq!(
        cluster.node::<GenerationServer>(ATHENS).latest_started(),
        3,
        "the newest election started at athens is 3: no retry started a fourth"
    );
}

/// A lost election waits a random pause before it retries. A newer request that arrives
/// at the same coordinator during that pause starts a newer election, and the paused one
/// must then step aside (`Superseded`) instead of retrying over it: only the newest
/// request at a coordinator may win.
#[test]
fn step2_a_request_arriving_during_a_retry_pause_supersedes_the_paused_election() {
    // A long pause, so the second request surely arrives inside it.
    let config = Config {
        retry_backoff_ticks: (30, 31),
        ..Config::default()
    };
    let mut cluster = three(config);
    // Byzantium and cyrene move on to 2 while athens is cut off: athens still thinks 0.
    cluster.partition(&[&[BYZANTIUM, CYRENE, ALICE, BOB, CAROL], &[ATHENS]]);
    assert_eq!(
        next_generation(&mut cluster, ALICE, BYZANTIUM),
        Ok(1),
        "byzantium, with cyrene, wins generation 1"
    );
    assert_eq!(
        next_generation(&mut cluster, ALICE, BYZANTIUM),
        Ok(2),
        "and then generation 2, while athens still holds 0"
    );
    cluster.heal_all();

    // Athens proposes 1, is rejected by both voters, learns 2 and pauses.
    let paused = cluster.call(ALICE, ATHENS, generation_voting::Msg::NextGeneration);
    cluster
        .tick_until_within(20, |c| {
            c.node::<GenerationServer>(ATHENS).highest_seen() == 2
        })
        .expect("athens must learn 2 from the rejections of its first attempt");
    assert!(
        paused.is_pending(),
        "the lost election pauses before retrying"
    );

    // During the pause, a second request starts election 3 at athens.
    let newer = cluster.call(BOB, ATHENS, generation_voting::Msg::NextGeneration);
    cluster
        .tick_until_within(60, |_| !paused.is_pending() && !newer.is_pending())
        .expect("both requests must be answered explicitly");
    assert_eq!(
        [decoded(&paused), decoded(&newer)],
        [Err(ClientError::Superseded { by: 3 }), Ok(3)],
        "the paused election must step aside for the newer one, not retry over it"
    );
    assert_eq!(
        cluster.node::<GenerationServer>(ATHENS).latest_started(),
        3,
        "the paused election must not have started a fourth"
    );
}

/// Over many seeds, with random latencies and no FIFO order (voters see the prepares in
/// any order), overlapping requests to one coordinator still produce exactly one
/// generation and explicit answers for the others.
#[test]
fn step2_exactly_one_of_overlapping_elections_wins_whatever_the_message_order() {
    for seed in 0..50 {
        let mut cluster = common::Cluster::builder()
            .seed(seed)
            .servers(THREE)
            .net(common::NetConfig {
                latency: (1, 4),
                fifo: false,
                ..common::NetConfig::default()
            })
            .request_timeout(CLIENT_TIMEOUT_TICKS)
            .build(|_, _| GenerationServer::new(Config::default()));
        for client in [ALICE, BOB, CAROL] {
            cluster.add_client(client);
        }
        let replies: Vec<_> = [ALICE, BOB, CAROL]
            .iter()
            .map(|c| cluster.call(c, ATHENS, generation_voting::Msg::NextGeneration))
            .collect();
        cluster
            .tick_until_within(CLIENT_TIMEOUT_TICKS - 1, |_| {
                replies.iter().all(|r| !r.is_pending())
            })
            .unwrap_or_else(|e| panic!("seed {seed}: every request must be answered: {e}"));
        let won: Vec<u64> = replies.iter().filter_map(|r| decoded(r).ok()).collect();
        assert_eq!(
            won.len(),
            1,
            "seed {seed}: exactly one overlapping election may win: {won:?}"
        );
        assert!(
            replies
                .iter()
                .all(|r| !matches!(decoded(r), Err(ClientError::Rpc(_)))),
            "seed {seed}: no request may be left to time out"
        );
    }
}

/// The number a client receives is durable on a majority: a crash of any minority
/// afterwards cannot make it be handed out again.
#[test]
fn step2_a_won_number_is_durable_on_a_majority_before_the_client_hears_it() {
    let mut cluster = three(Config::default());
    let won = next_generation(&mut cluster, ALICE, ATHENS).expect("a healthy cluster elects");
    let durable = THREE
        .iter()
        .filter(|id| durable_promise(&cluster, id) >= won)
        .count();
    assert!(
        durable >= 2,
        "only {durable} voter(s) had made {won} durable when alice heard it"
    );
}
