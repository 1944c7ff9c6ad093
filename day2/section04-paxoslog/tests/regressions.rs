//! One regression test per known weakness of the Java section (its spec, section 5),
//! each named after the bug it prevents.

mod support;
use common::trace::TraceKind;
use common::{Cluster, StoreConfig};
use paxoslog::{Ballot, ClientError, Config, Msg, RequestId, Slot};
use std::collections::BTreeMap;
use support::*;

/// Prepares sent by anyone after tick `after`, as (sender, slot).
fn prepares_after(cluster: &Cluster<Msg>, after: u64) -> Vec<(String, Slot)> {
    cluster
        .trace()
        .events()
        .filter(|e| e.tick > after)
        .filter_map(|e| match (&e.kind, &e.body) {
            (TraceKind::Send { .. }, Some(Msg::Prepare { slot, .. })) => {
                Some((e.node.to_string(), *slot))
            }
            _ => None,
        })
        .collect()
}

/// Java walked every new request from index 0, re-running prepare, propose and commit
/// on every decided index (quadratic, and it re-committed history). A new request
/// starts at the first slot its node does not know to be committed.
#[test]
fn new_request_does_not_walk_the_log_from_slot_zero() {
    let mut cluster = three(0);
    for seq in 1..=5 {
        execute(&mut cluster, ALICE, ATHENS, seq, set("k", &seq.to_string()));
    }
    until_executed(&mut cluster, &THREE, 5);
    let before = cluster.now();
    let reply = execute(&mut cluster, BOB, BYZANTIUM, 1, set("k", "6"));
    assert_eq!(reply.slot, 6, "the sixth request goes into slot 6");
    let prepared = prepares_after(&cluster, before);
    assert!(
        !prepared.is_empty() && prepared.iter().all(|(_, slot)| *slot == 6),
        "the sixth request must prepare slot 6 only, never a decided slot; prepared {prepared:?}"
    );
}

/// Java identified "my" index by value equality: all no-op reads are equal, so a second
/// read could stop at an earlier no-op index the node had already executed, and wait
/// for ever. Entries carry request ids: every read gets its own slot and the latest
/// value.
#[test]
fn repeated_gets_return_latest_value() {
    let mut cluster = three(0);
    execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    let first = execute(&mut cluster, ALICE, ATHENS, 2, get("x"));
    let again = execute(&mut cluster, ALICE, ATHENS, 3, get("x"));
    execute(&mut cluster, BOB, BYZANTIUM, 1, set("x", "2"));
    let latest = execute(&mut cluster, ALICE, ATHENS, 4, get("x"));
    assert_eq!(
        first.outcome,
        read(Some("1")),
        "the first read sees alice's write"
    );
    assert_eq!(
        again.outcome,
        read(Some("1")),
        "an equal second read must be answered too, from its own slot"
    );
    assert_eq!(
        latest.outcome,
        read(Some("2")),
        "a read after bob's acknowledged write must see it"
    );
    assert_eq!(
        [first.slot, again.slot, latest.slot],
        [2, 3, 5],
        "equal reads must each occupy a slot of their own"
    );
}

/// The same bug with writes: two equal sets of one client are two entries.
#[test]
fn duplicate_sets_each_get_their_own_slot() {
    let mut cluster = three(0);
    let first = execute(&mut cluster, ALICE, ATHENS, 1, set("x", "same"));
    let second = execute(&mut cluster, ALICE, ATHENS, 2, set("x", "same"));
    assert_eq!(
        (first.slot, second.slot),
        (1, 2),
        "two requests with equal operations must get two slots"
    );
    until_executed(&mut cluster, &THREE, 2);
    assert_eq!(
        server(&cluster, CYRENE).state_machine().operations_run(),
        2,
        "both requests must run"
    );
}

/// Equal operations from two clients, at the same moment, through two nodes: each is
/// told about its own request, in its own slot.
#[test]
fn equal_operations_from_two_clients_are_told_apart_by_request_id() {
    for seed in 0..10 {
        let mut cluster = three(seed);
        let a = paxoslog::execute(&mut cluster, ALICE, ATHENS, 1, set("x", "same"));
        let b = paxoslog::execute(&mut cluster, BOB, BYZANTIUM, 1, set("x", "same"));
        let alice = answered(&mut cluster, &a, ALICE);
        let bob = answered(&mut cluster, &b, BOB);
        assert_eq!(alice.request, RequestId::new(ALICE, 1), "seed {seed}");
        assert_eq!(bob.request, RequestId::new(BOB, 1), "seed {seed}");
        assert_ne!(
            alice.slot, bob.slot,
            "seed {seed}: two clients' equal operations must occupy two slots"
        );
    }
}

/// Java completed a read whose attempts ran out with the node's local (possibly stale)
/// value, ignoring the failure. Here athens holds x=1 but is cut off while bob writes
/// x=2 on the majority side: alice's read through athens must fail as `Undecided`,
/// never return the stale 1.
#[test]
fn failed_read_is_not_reported_as_a_successful_read() {
    let config = Config {
        max_attempts: 2,
        ..Config::default()
    };
    let mut cluster = cluster_with(0, &THREE, config, StoreConfig::default());
    execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    until_executed(&mut cluster, &THREE, 1);
    cluster.partition(&[&[ATHENS, ALICE], &[BYZANTIUM, CYRENE, BOB]]);
    execute(&mut cluster, BOB, BYZANTIUM, 1, set("x", "2"));
    assert_eq!(
        server(&cluster, ATHENS).state_machine().get("x"),
        Some("1"),
        "athens holds a stale value it could answer from"
    );
    let call = paxoslog::execute(&mut cluster, ALICE, ATHENS, 2, get("x"));
    assert_eq!(
        paxoslog::reply(cluster.run(&call)),
        Err(ClientError::Undecided { attempts: 2 }),
        "a read that could not be placed in the log must be reported as undecided"
    );
}

/// Java keyed a waiting client by index (`index_<i>_client`), so a later registration
/// for the same index replaced an earlier one and its client was never answered.
/// Three clients waiting at one node are each answered with their own outcome.
#[test]
fn three_requests_waiting_at_one_node_are_each_answered() {
    let mut cluster = three(0);
    let calls: Vec<_> = [(ALICE, "a"), (BOB, "b"), (CAROL, "c")]
        .into_iter()
        .map(|(client, v)| {
            let call = paxoslog::execute(&mut cluster, client, ATHENS, 1, set("k", v));
            (client, v, call)
        })
        .collect();
    let mut slots = Vec::new();
    for (client, v, call) in &calls {
        let reply = answered(&mut cluster, call, client);
        assert_eq!(
            reply.outcome,
            stored(v),
            "{client} must be told about its own write"
        );
        slots.push(reply.slot);
    }
    slots.sort();
    assert_eq!(slots, vec![1, 2, 3], "three requests, three slots");
}

/// Java answered the client when the coordinator executed the index, before any
/// follower had it and before any durable write. Here the answer is sent only once a
/// majority has durably accepted the entry and the coordinator's commit is durable.
#[test]
fn client_is_answered_only_after_a_majority_accepted_durably() {
    let mut cluster = cluster_with(0, &THREE, Config::default(), slow_store(5));
    let call = paxoslog::execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    let answered_at = |c: &Cluster<Msg>| {
        c.trace().events().any(|e| {
            e.node == ATHENS
                && e.msg == Some("Executed")
                && matches!(e.kind, TraceKind::Send { .. })
        })
    };
    if let Err(e) = cluster.tick_until(answered_at) {
        panic!("athens must answer alice: {e}");
    }
    let holding: Vec<&str> = THREE
        .into_iter()
        .filter(|id| {
            let record = durable(&cluster, id, 1);
            record.committed.is_some()
                || record
                    .accepted
                    .is_some_and(|p| p.value.request == RequestId::new(ALICE, 1))
        })
        .collect();
    assert!(
        holding.len() >= 2,
        "when alice is answered a majority must hold her entry on disk; only {holding:?} do"
    );
    assert!(
        durable(&cluster, ATHENS, 1).committed.is_some(),
        "athens answers only from a durable commit"
    );
    answered(&mut cluster, &call, ALICE);
}

/// Java generations were a bare per-node counter bumped by one per retry, with no jump
/// past a rejection (rejections did not even carry the promise). Here the retry jumps
/// past the promise named in the rejection.
#[test]
fn retry_jumps_past_the_promise_reported_in_a_rejection() {
    let mut cluster = three(0);
    let high = Ballot::new(40, CYRENE);
    for acceptor in [BYZANTIUM, CYRENE] {
        let prepare = Msg::Prepare {
            slot: 1,
            ballot: high.clone(),
            executed_through: 0,
        };
        let promised = cluster.call(CAROL, acceptor, prepare);
        assert!(
            matches!(cluster.run(&promised), Ok(Msg::Promise { .. })),
            "{acceptor} promises round 40 in slot 1"
        );
    }
    let reply = execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    assert_eq!(
        reply.slot, 1,
        "with nothing accepted in slot 1, alice's write takes it"
    );
    assert_eq!(
        prepares_sent_by(&cluster, ATHENS),
        vec![(1, Ballot::new(1, ATHENS)), (1, Ballot::new(41, ATHENS))],
        "round 1 is refused with promise 40, so the retry must use round 41, not 2"
    );
}

/// The Java scenario of weakness 2: after ten writes through athens, cyrene's counter
/// lagged every generation used, and its first request failed after three attempts.
/// Here cyrene has seen the rounds in the prepares it answered, and places its write
/// with one ballot in slot 11.
#[test]
fn lagging_proposer_catches_up() {
    let mut cluster = three(0);
    for seq in 1..=10 {
        execute(&mut cluster, ALICE, ATHENS, seq, set("k", &seq.to_string()));
    }
    let reply = execute(&mut cluster, CAROL, CYRENE, 1, set("k", "cyrene"));
    assert_eq!(reply.slot, 11, "cyrene's write goes into slot 11");
    let prepared = prepares_sent_by(&cluster, CYRENE);
    assert_eq!(
        prepared.len(),
        1,
        "cyrene must need a single ballot, got {prepared:?}"
    );
    assert!(
        prepared[0].1.round > 10,
        "cyrene's ballot must be above the ten rounds athens used, got {}",
        prepared[0].1
    );
}

/// Java generations were not unique: two proposers both used generation 1. Ballots
/// carry the node id, so every ballot prepared in a slot has one owner.
#[test]
fn ballots_of_two_proposers_never_collide() {
    let mut cluster = three(0);
    let calls: Vec<_> = [(ALICE, ATHENS), (BOB, BYZANTIUM), (CAROL, CYRENE)]
        .into_iter()
        .map(|(client, node)| {
            (
                client,
                paxoslog::execute(&mut cluster, client, node, 1, set("t", client)),
            )
        })
        .collect();
    for (client, call) in &calls {
        answered(&mut cluster, call, client);
    }
    let mut owner: BTreeMap<(Slot, Ballot), String> = BTreeMap::new();
    for event in cluster.trace().events() {
        if let (TraceKind::Send { .. }, Some(Msg::Prepare { slot, ballot, .. })) =
            (&event.kind, &event.body)
        {
            let sender = event.node.to_string();
            assert_eq!(
                ballot.node.as_str(),
                sender,
                "a proposer prepares only its own ballots"
            );
            let first = owner
                .entry((*slot, ballot.clone()))
                .or_insert_with(|| sender.clone());
            assert_eq!(
                *first, sender,
                "ballot {ballot} was prepared by two proposers"
            );
        }
    }
    assert!(owner.len() >= 3, "three proposers must each have prepared");
}

/// Java's generation counter lived in memory: a restarted proposer started again at 1.
/// Rounds are reserved durably in blocks before use, and a restarted node starts above
/// its whole reserved block, so it never reuses a ballot of its previous incarnation.
#[test]
fn volatile_generation_counter_cannot_reuse_a_ballot_after_restart() {
    let mut cluster = three(0);
    execute(&mut cluster, ALICE, ATHENS, 1, set("k", "1"));
    let crashed_at = cluster.now();
    let reserved = server(&cluster, ATHENS).round_reserved();
    assert!(reserved >= 1, "athens reserved rounds before using one");
    cluster.crash(ATHENS);
    cluster.restart(ATHENS);
    assert_eq!(
        server(&cluster, ATHENS).round_reserved(),
        reserved,
        "the reservation must survive the crash"
    );
    execute(&mut cluster, ALICE, ATHENS, 2, set("k", "2"));
    let rounds = |before: bool| -> Vec<u64> {
        cluster
            .trace()
            .events()
            .filter(|e| e.node == ATHENS && (e.tick <= crashed_at) == before)
            .filter_map(|e| match (&e.kind, &e.body) {
                (TraceKind::Send { .. }, Some(Msg::Prepare { ballot, .. })) => Some(ballot.round),
                _ => None,
            })
            .collect()
    };
    let (old, new) = (rounds(true), rounds(false));
    assert!(
        !old.is_empty() && !new.is_empty(),
        "athens prepares in both incarnations"
    );
    assert!(
        new.iter().all(|r| *r > reserved),
        "after a restart every round must be above the reserved block (up to {reserved}): used {new:?}"
    );
}

/// A client whose answer was lost retries the same request at another node. The request
/// is already in a slot: the retry is answered from that slot's outcome — a swap that
/// succeeded is reported as succeeded, not run again (which would report a failed swap).
#[test]
fn a_retried_request_that_committed_is_answered_from_its_slot() {
    let mut cluster = three(0);
    cluster.net().drop_kind("Executed", ATHENS, ALICE);
    let lost = paxoslog::execute_within(&mut cluster, ALICE, ATHENS, 7, cas("x", None, "a"), 30);
    assert!(
        cluster.run(&lost).is_err(),
        "the answer was dropped: alice times out"
    );
    until_executed(&mut cluster, &THREE, 1);
    let before = cluster.now();
    let retry = execute(&mut cluster, ALICE, BYZANTIUM, 7, cas("x", None, "a"));
    assert_eq!(
        (retry.slot, retry.outcome),
        (1, swapped(true, None)),
        "the retry must be answered from slot 1, where the swap succeeded"
    );
    assert!(
        prepares_after(&cluster, before).is_empty(),
        "a request known to be executed must not be proposed again"
    );
    cluster.tick_n(50);
    for id in THREE {
        assert_eq!(
            server(&cluster, id).executed_through(),
            1,
            "{id}: the retry must not occupy a second slot"
        );
    }
}

/// A client that retries at another node while its first attempt is still undecided.
/// The retry's proposer walks the same open slots as the first attempt's, so it meets
/// the first copy's slot, adopts it or finds it decided, and the request takes one
/// slot and takes effect once.
#[test]
fn a_retry_racing_its_first_attempt_takes_one_slot_and_effect_once() {
    for seed in 0..20 {
        let mut cluster = three(seed);
        // athens's accepts are slow, so alice gives up on it and asks byzantium.
        cluster
            .net()
            .delay_kind("Accept", ATHENS, [BYZANTIUM, CYRENE], 15);
        let first =
            paxoslog::execute_within(&mut cluster, ALICE, ATHENS, 1, cas("x", None, "a"), 8);
        assert!(
            cluster.run(&first).is_err(),
            "seed {seed}: the first attempt must time out for the retry to race it"
        );
        let retry = execute(&mut cluster, ALICE, BYZANTIUM, 1, cas("x", None, "a"));
        assert_eq!(
            (retry.slot, retry.outcome),
            (1, swapped(true, None)),
            "seed {seed}: the swap must be reported as the one that happened, in slot 1"
        );
        cluster.tick_n(100);
        for id in THREE {
            let node = server(&cluster, id);
            assert_eq!(
                node.executed_through(),
                1,
                "seed {seed}: {id}: the two attempts must end in one slot"
            );
            assert_eq!(
                node.state_machine().operations_run(),
                1,
                "seed {seed}: {id} must run alice's swap once"
            );
        }
    }
}
