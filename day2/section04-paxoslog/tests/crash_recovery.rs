//! Real crashes: a node restarts from what it synced. It keeps every slot's promise,
//! acceptance and commit, and rebuilds its store from its contiguous committed prefix.
//! An acceptor that replies before its write is synced lets a second value be chosen.

mod support;
use common::{Cluster, ClusterError, Promise, RpcError};
use paxoslog::{Ballot, Config, Msg, RejectReason, Reply, Server};
use support::*;

/// Storage delay of the crash schedules, in ticks: long enough for a crash to land
/// between a reply and the sync behind it.
const DISK_TICKS: u64 = 5;

/// Tick until `call` completes, returning an invariant violation instead of panicking.
fn run_checked(
    cluster: &mut Cluster<Msg>,
    call: &Promise<Msg>,
) -> Result<Result<Msg, RpcError>, ClusterError> {
    cluster.tick_until(|_| !call.is_pending())?;
    Ok(call.result().expect("completed"))
}

/// The schedule of the negative control, on slot 1:
/// 1. cyrene is cut off; alice asks athens to set the title; athens gets promises and
///    acceptances from itself and byzantium;
/// 2. byzantium crashes the moment athens knows slot 1 is chosen, and alice is told;
/// 3. cyrene rejoins, athens is cut off and byzantium restarts; bob asks cyrene to set
///    the title, and cyrene's majority is {byzantium, cyrene}.
///
/// Returns alice's reply and bob's (or the invariant violation that stopped the run).
fn crash_between_reply_and_sync(
    config: Config,
    invariants: bool,
) -> (Reply, Result<Reply, ClusterError>) {
    let mut cluster = if invariants {
        cluster_with(0, &THREE, config, slow_store(DISK_TICKS))
    } else {
        let builder = common::ClusterBuilder::new()
            .seed(0)
            .servers(THREE)
            .store(slow_store(DISK_TICKS))
            .request_timeout(CLIENT_TIMEOUT);
        let mut cluster = paxoslog::build(builder, config);
        cluster.add_client(ALICE);
        cluster.add_client(BOB);
        cluster
    };
    cluster.isolate(CYRENE);
    let alice = paxoslog::execute(&mut cluster, ALICE, ATHENS, 1, set("title", "A"));
    if let Err(e) = cluster.tick_until(|c| c.node::<Server>(ATHENS).committed(1).is_some()) {
        panic!("athens must learn that slot 1 is chosen: {e}");
    }
    cluster.crash(BYZANTIUM);
    let alice = answered(&mut cluster, &alice, ALICE);
    // (Reconnecting cyrene restores all its links, so athens is cut off after it.)
    cluster.reconnect(CYRENE);
    cluster.isolate(ATHENS);
    cluster.restart(BYZANTIUM);
    let bob = paxoslog::execute(&mut cluster, BOB, CYRENE, 1, set("title", "B"));
    let bob = run_checked(&mut cluster, &bob).map(|answer| {
        paxoslog::reply(answer).unwrap_or_else(|e| panic!("bob must be told an outcome: {e}"))
    });
    (alice, bob)
}

#[test]
fn durable_acceptor_keeps_a_slots_value_across_a_crash_after_its_reply() {
    let (alice, bob) = crash_between_reply_and_sync(Config::default(), true);
    assert_eq!(
        (alice.slot, alice.outcome),
        (1, stored("A")),
        "alice's write was chosen for slot 1 by athens and byzantium"
    );
    let bob = bob.unwrap_or_else(|e| panic!("the correct acceptor must keep every invariant: {e}"));
    assert_eq!(
        bob.slot, 2,
        "byzantium remembered its acceptance, so cyrene adopts alice's write for slot 1 and puts bob's in slot 2"
    );
}

/// The negative control: the same schedule with the acceptor that replies before its
/// write is synced. byzantium forgets the acceptance it announced, cyrene's majority
/// sees no value for slot 1, and bob's write is chosen for it too.
#[test]
fn reply_before_write_lets_two_values_be_chosen_for_one_slot() {
    let (alice, bob) = crash_between_reply_and_sync(Config::reply_before_sync(), true);
    assert_eq!(alice.slot, 1, "alice was told her write is in slot 1");
    match bob {
        Err(ClusterError::Invariant { name, message, .. }) => {
            assert_eq!(
                name, "one value per slot",
                "caught by the wrong check: {message}"
            );
            assert!(
                message.contains("two values chosen for slot 1"),
                "the violation must name slot 1: {message}"
            );
        }
        Err(other) => panic!("expected the agreement invariant to fire, got {other}"),
        Ok(bob) => {
            panic!("two values for slot 1 must be caught by the invariant first; bob saw {bob:?}")
        }
    }
}

/// The broken run seen by clients alone (no invariants installed): alice and bob are
/// both told that slot 1 holds their own write.
#[test]
fn reply_before_write_tells_two_clients_that_slot_one_holds_their_write() {
    let (alice, bob) = crash_between_reply_and_sync(Config::reply_before_sync(), false);
    let bob = bob.expect("no invariants are installed");
    assert_eq!(
        (alice.slot, bob.slot),
        (1, 1),
        "the broken acceptor lets two different writes be told they hold slot 1"
    );
    assert_ne!(
        alice.outcome, bob.outcome,
        "alice and bob were told different contents for the one slot 1"
    );
}

#[test]
fn restart_preserves_log_and_promises() {
    let mut cluster = three(0);
    execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    execute(&mut cluster, ALICE, ATHENS, 2, set("y", "2"));
    until_executed(&mut cluster, &THREE, 2);
    let high = Ballot::new(40, CYRENE);
    let prepare = Msg::Prepare {
        slot: 3,
        ballot: high.clone(),
        executed_through: 2,
    };
    let promised = cluster.call(CAROL, BYZANTIUM, prepare);
    assert!(
        matches!(cluster.run(&promised), Ok(Msg::Promise { .. })),
        "byzantium promises round 40 in slot 3"
    );
    let before = server(&cluster, BYZANTIUM).state_machine().clone();
    cluster.crash(BYZANTIUM);
    cluster.restart(BYZANTIUM);
    let node = server(&cluster, BYZANTIUM);
    assert_eq!(node.incarnation(), 1, "byzantium restarted once");
    assert_eq!(
        node.executed_through(),
        2,
        "both committed slots are replayed"
    );
    assert_eq!(
        *node.state_machine(),
        before,
        "the rebuilt store must equal the one before the crash"
    );
    assert_eq!(
        node.slot(3).map(|r| r.promised.clone()),
        Some(high.clone()),
        "slot 3's promise must survive the restart"
    );
    let lower = Msg::Prepare {
        slot: 3,
        ballot: Ballot::new(39, ATHENS),
        executed_through: 2,
    };
    let refused = cluster.call(CAROL, BYZANTIUM, lower);
    assert!(
        matches!(
            cluster.run(&refused),
            Ok(Msg::Reject { promised, reason: RejectReason::PromisedHigher, .. }) if promised == high
        ),
        "after the restart a lower ballot in slot 3 must still be refused"
    );
}

#[test]
fn state_machine_rebuilt_from_committed_prefix_on_restart() {
    let mut cluster = three(0);
    execute(
        &mut cluster,
        ALICE,
        ATHENS,
        1,
        set("title", "Microservices"),
    );
    execute(
        &mut cluster,
        BOB,
        BYZANTIUM,
        1,
        cas("title", Some("Microservices"), "Patterns"),
    );
    execute(&mut cluster, CAROL, CYRENE, 1, set("author", "Unmesh"));
    until_executed(&mut cluster, &THREE, 3);
    let before: Vec<_> = THREE
        .iter()
        .map(|id| server(&cluster, id).state_machine().clone())
        .collect();
    for id in THREE {
        cluster.crash(id);
    }
    for id in THREE {
        cluster.restart(id);
    }
    for (id, before) in THREE.iter().zip(&before) {
        let node = server(&cluster, id);
        assert_eq!(
            node.executed_through(),
            3,
            "{id} must replay all three slots"
        );
        assert_eq!(
            node.state_machine(),
            before,
            "{id}'s rebuilt store (sessions included) must equal the one before the crash"
        );
    }
    let read = execute(&mut cluster, ALICE, CYRENE, 2, get("title"));
    assert_eq!(
        read.outcome,
        super_read("Patterns"),
        "a read after the restart must see the swapped title"
    );
    assert_eq!(read.slot, 4, "the read goes after the replayed prefix");
}

fn super_read(v: &str) -> paxoslog::Outcome {
    read(Some(v))
}

/// The Java section's persisted version set the high-water mark to the largest
/// committed index at start-up, across gaps, and executed entries beyond a gap. Here
/// cyrene has slots 1 and 3 on disk but not slot 2: it restarts executed through slot 1
/// and executes slot 3 only after it learns slot 2.
#[test]
fn restart_replays_only_the_contiguous_committed_prefix() {
    let mut cluster = three(0);
    execute(&mut cluster, ALICE, ATHENS, 1, set("x", "1"));
    until_executed(&mut cluster, &THREE, 1);
    cluster.net().drop_nth_kind("Commit", ATHENS, CYRENE, 1);
    let no_catch_up = cluster
        .net()
        .drop_kind("CatchUp", CYRENE, [ATHENS, BYZANTIUM]);
    execute(&mut cluster, ALICE, ATHENS, 2, set("x", "2"));
    execute(&mut cluster, ALICE, ATHENS, 3, set("x", "3"));
    if let Err(e) = cluster.tick_until(|c| c.node::<Server>(CYRENE).commit_is_durable(3)) {
        panic!("slot 3's commit must be durable on cyrene: {e}");
    }
    cluster.crash(CYRENE);
    cluster.restart(CYRENE);
    let cyrene = server(&cluster, CYRENE);
    assert!(
        cyrene.committed(3).is_some(),
        "slot 3's commit survives the restart"
    );
    assert_eq!(
        cyrene.executed_through(),
        1,
        "the restarted node must stop replaying at the gap at slot 2"
    );
    assert_eq!(
        cyrene.state_machine().get("x"),
        Some("1"),
        "the rebuilt store reflects slot 1 only"
    );
    cluster.net().release(no_catch_up);
    until_executed(&mut cluster, &[CYRENE], 3);
    assert_eq!(
        server(&cluster, CYRENE).state_machine().get("x"),
        Some("3"),
        "once slot 2 is learned, slots 2 and 3 execute in order"
    );
}

/// A proposer that crashes in the middle of placing a request loses the run, not its
/// acceptor's records: the slot it was working on ends with one value, and alice's
/// request, retried with the same id, takes effect once.
#[test]
fn proposer_crash_mid_slot_leaves_one_value_in_that_slot() {
    for crash_after in 1..15 {
        let mut cluster = three(crash_after);
        let alice = paxoslog::execute_within(&mut cluster, ALICE, ATHENS, 1, set("x", "alice"), 40);
        let bob = paxoslog::execute(&mut cluster, BOB, BYZANTIUM, 1, set("y", "bob"));
        cluster.tick_n(crash_after);
        cluster.crash(ATHENS);
        answered(&mut cluster, &bob, BOB);
        let _ = cluster.run(&alice);
        cluster.restart(ATHENS);
        let again = execute(&mut cluster, ALICE, ATHENS, 1, set("x", "alice"));
        assert_eq!(
            again.outcome,
            stored("alice"),
            "crash after {crash_after} ticks: alice's retry must report her write"
        );
        let last = server(&cluster, ATHENS).executed_through();
        until_executed(&mut cluster, &THREE, last);
        for id in THREE {
            let node = server(&cluster, id);
            assert_eq!(
                node.state_machine().operations_run(),
                2,
                "crash after {crash_after} ticks: {id} must run alice's and bob's writes once each"
            );
            assert_eq!(
                node.state_machine().get("x"),
                Some("alice"),
                "crash after {crash_after} ticks: {id} must hold alice's write"
            );
            assert_eq!(
                node.state_machine().get("y"),
                Some("bob"),
                "crash after {crash_after} ticks: {id} must hold bob's write"
            );
        }
    }
}

/// A slot record that no longer decodes (a damaged disk, a record written by another
/// version) does not make a node start from a blank log, which would forget its promises
/// and acceptances: the node says why and stays silent, the record is left as it was for
/// an operator to inspect, and the other two go on placing requests.
#[test]
fn a_node_whose_stored_slot_record_does_not_decode_stays_silent_and_keeps_it() {
    use common::{ClusterBuilder, WriteBatch};
    // Without the section's invariants, which read every durable record and would stop
    // the run at the damaged one.
    let builder = ClusterBuilder::new()
        .seed(0)
        .servers(THREE)
        .request_timeout(CLIENT_TIMEOUT)
        .budget(3_000);
    let mut cluster = paxoslog::build(builder, Config::default());
    cluster.add_client(ALICE);
    cluster.crash(BYZANTIUM);
    let garbage = b"not a slot record".to_vec();
    cluster
        .store_mut(BYZANTIUM)
        .write_to_disk(WriteBatch::new().put(paxoslog::slot_key(1), garbage.clone()))
        .expect("a put always fits");
    cluster.restart(BYZANTIUM);

    let error = server(&cluster, BYZANTIUM).recovery_error();
    assert!(
        error.is_some_and(|e| e.to_string().contains("decode")),
        "byzantium must say its slot record does not decode, got {error:?}"
    );
    let prepare = cluster.call(
        ALICE,
        BYZANTIUM,
        Msg::Prepare {
            slot: 1,
            ballot: Ballot::new(1, ATHENS),
            executed_through: 0,
        },
    );
    assert!(
        matches!(cluster.run(&prepare), Err(RpcError::Timeout { .. })),
        "a node that cannot recover must not promise anything"
    );
    assert_eq!(
        cluster.store(BYZANTIUM).get(paxoslog::slot_key(1)),
        Some(garbage.as_slice()),
        "the damaged record is left as it was"
    );
    let reply = execute(&mut cluster, ALICE, ATHENS, 1, set("title", "Patterns"));
    assert_eq!(
        reply.outcome,
        stored("Patterns"),
        "athens and cyrene still place alice's request"
    );
}
