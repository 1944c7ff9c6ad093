//! Real crashes: a node restarts from what it synced. A correct acceptor never
//! contradicts a reply it sent before the crash; one that replies before its write is
//! synced does, and two values get chosen.

mod support;
use common::{Cluster, ClusterError};
use paxos::{Config, Decision, Msg, RequestId, Server};
use support::*;

/// Storage delay of the crash schedule, in ticks: long enough for a crash to land
/// between a reply and the sync behind it.
const DISK_TICKS: u64 = 5;

/// The schedule of the `BrokenDurableDecision` counterexample, played on a cluster:
/// 1. cyrene is cut off; alice asks athens, which gets promises and acceptances from
///    itself and byzantium;
/// 2. byzantium crashes the moment athens has learned the decision, and restarts;
/// 3. cyrene rejoins and athens is cut off; bob asks cyrene, whose majority is
///    {byzantium, cyrene}.
///
/// Returns alice's decision and bob's (or the invariant violation that stopped the run).
fn crash_between_reply_and_sync(config: Config) -> (Decision, Result<Decision, ClusterError>) {
    let mut cluster = cluster_with(0, &THREE, config, slow_store(DISK_TICKS));
    cluster.isolate(CYRENE);
    let alice = paxos::execute(
        &mut cluster,
        ALICE,
        ATHENS,
        1,
        set("title", "Paxos Made Simple"),
    );
    if let Err(e) = cluster.tick_until(|c| c.node::<Server>(ATHENS).committed().is_some()) {
        panic!("athens must learn its value is chosen: {e}");
    }
    cluster.crash(BYZANTIUM);
    let alice = decided(&mut cluster, &alice, ALICE);
    cluster.restart(BYZANTIUM);
    cluster.reconnect(CYRENE);
    cluster.isolate(ATHENS);
    let bob = paxos::execute(
        &mut cluster,
        BOB,
        CYRENE,
        1,
        set("title", "The Part-Time Parliament"),
    );
    let bob = run_checked(&mut cluster, &bob).map(|reply| {
        paxos::decision(reply).unwrap_or_else(|e| panic!("bob must get a decision: {e}"))
    });
    (alice, bob)
}

/// Tick until `reply` completes, returning an invariant violation instead of panicking.
fn run_checked(
    cluster: &mut Cluster<Msg>,
    reply: &common::Promise<Msg>,
) -> Result<Result<Msg, common::RpcError>, ClusterError> {
    cluster.tick_until(|_| !reply.is_pending())?;
    Ok(reply.result().expect("completed"))
}

#[test]
fn step3_durable_acceptor_keeps_the_chosen_value_across_a_crash_after_its_reply() {
    let (alice, bob) = crash_between_reply_and_sync(Config::default());
    assert!(
        alice.won,
        "alice's value was chosen by athens and byzantium"
    );
    let bob = bob.unwrap_or_else(|e| panic!("the correct acceptor must keep every invariant: {e}"));
    assert!(
        !bob.won,
        "byzantium remembered its acceptance, so cyrene must adopt alice's value"
    );
    assert_eq!(bob.chosen, RequestId::new(ALICE, 1));
    check_history(&[alice, bob]).unwrap_or_else(|e| panic!("{e}"));
}

/// Negative control: the same schedule with the acceptor that replies before its write
/// is synced. byzantium forgets the acceptance it announced, cyrene's majority sees no
/// value, and bob's value is chosen too: the invariant checker must catch it.
#[test]
fn step3_reply_before_sync_lets_two_values_be_chosen() {
    let (alice, bob) = crash_between_reply_and_sync(Config::reply_before_sync());
    assert!(alice.won, "alice was told her value was chosen");
    match bob {
        Err(ClusterError::Invariant { name, message, .. }) => {
            assert_eq!(
                name, "one value is committed",
                "caught by the wrong check: {message}"
            );
            assert!(message.contains("two values chosen"), "{message}");
        }
        Err(other) => panic!("expected the agreement invariant to fire, got {other}"),
        Ok(bob) => {
            // Without the invariant the clients themselves see the damage.
            let history = check_history(&[alice, bob.clone()]);
            panic!(
                "two values must be caught by the invariant first; bob saw {bob:?}, history check: {history:?}"
            );
        }
    }
}

/// The broken run, seen by clients alone (no invariants installed): both are told they
/// won, which the history check rejects.
#[test]
fn step3_reply_before_sync_tells_two_clients_that_they_won() {
    let builder = common::ClusterBuilder::new()
        .seed(0)
        .servers(THREE)
        .store(slow_store(DISK_TICKS))
        .request_timeout(CLIENT_TIMEOUT);
    let mut cluster = paxos::build(builder, Config::reply_before_sync());
    cluster.add_client(ALICE);
    cluster.add_client(BOB);
    cluster.isolate(CYRENE);
    let alice = paxos::execute(&mut cluster, ALICE, ATHENS, 1, set("title", "A"));
    if let Err(e) = cluster.tick_until(|c| c.node::<Server>(ATHENS).committed().is_some()) {
        panic!("athens must decide: {e}");
    }
    cluster.crash(BYZANTIUM);
    let alice = decided(&mut cluster, &alice, ALICE);
    cluster.restart(BYZANTIUM);
    cluster.reconnect(CYRENE);
    cluster.isolate(ATHENS);
    let bob = paxos::execute(&mut cluster, BOB, CYRENE, 1, set("title", "B"));
    let bob = decided(&mut cluster, &bob, BOB);
    assert!(
        alice.won && bob.won,
        "the broken acceptor lets both clients win"
    );
    let verdict = check_history(&[alice, bob]);
    assert!(
        verdict.is_err_and(|e| e.contains("two chosen values")),
        "the history check must reject two chosen values"
    );
}

/// Every node crashes and restarts after the decision: the committed value, the state
/// machine built from it, and the answer to a late client all survive.
#[test]
fn step3_committed_value_survives_a_full_cluster_restart() {
    let mut cluster = three(0);
    let reply = paxos::execute(&mut cluster, ALICE, ATHENS, 1, increment("counter"));
    decided(&mut cluster, &reply, ALICE);
    until_all_applied(&mut cluster, &THREE);
    for id in THREE {
        cluster.crash(id);
    }
    for id in THREE {
        cluster.restart(id);
    }
    for id in THREE {
        let node = server(&cluster, id);
        assert_eq!(
            node.committed().map(|v| v.request.clone()),
            Some(RequestId::new(ALICE, 1))
        );
        assert_eq!(
            node.state_machine().counter("counter"),
            1,
            "{id} must rebuild its counter"
        );
    }
    let late = paxos::execute(&mut cluster, BOB, CYRENE, 1, increment("counter"));
    assert_eq!(decided(&mut cluster, &late, BOB).result, "1");
}

/// A proposer that crashes in the middle of its run loses the run (memory) but not its
/// acceptor's promises: the clients it served time out, and a later request through it
/// still reaches the one decision.
#[test]
fn step3_proposer_crash_mid_run_leaves_one_decision() {
    for crash_after in 1..12 {
        let mut cluster = three(crash_after);
        let alice = paxos::execute_within(&mut cluster, ALICE, ATHENS, 1, increment("counter"), 40);
        let bob = paxos::execute(&mut cluster, BOB, BYZANTIUM, 1, increment("counter"));
        cluster.tick_n(crash_after);
        cluster.crash(ATHENS);
        let bob = decided(&mut cluster, &bob, BOB);
        let _ = cluster.run(&alice);
        cluster.restart(ATHENS);
        let again = paxos::execute(&mut cluster, ALICE, ATHENS, 1, increment("counter"));
        let alice = decided(&mut cluster, &again, ALICE);
        check_history(&[alice, bob])
            .unwrap_or_else(|e| panic!("crash after {crash_after} ticks: {e}"));
        until_all_applied(&mut cluster, &THREE);
        for id in THREE {
            assert_eq!(
                server(&cluster, id).state_machine().counter("counter"),
                1,
                "crash after {crash_after} ticks: {id} must count the one chosen increment"
            );
        }
    }
}

/// Bad input loses no data: byzantium's acceptor record is damaged while it is down (the
/// bytes no longer decode). Starting blank would forget its promises, so it stays silent
/// instead, says why, and leaves the damaged record for an operator to look at; the other
/// two still decide.
#[test]
fn step3_a_node_whose_stored_record_does_not_decode_stays_silent_instead_of_starting_blank() {
    use common::WriteBatch;
    let mut cluster = three(0);
    cluster.crash(BYZANTIUM);
    let garbage = b"not an acceptor record".to_vec();
    cluster
        .store_mut(BYZANTIUM)
        .write_to_disk(WriteBatch::new().put(paxos::ACCEPTOR_KEY, garbage.clone()))
        .expect("a put always fits");
    cluster.restart(BYZANTIUM);

    let error = server(&cluster, BYZANTIUM).recovery_error();
    assert!(
        error.is_some_and(|e| e.to_string().contains("decode")),
        "byzantium must say its record does not decode, got {error:?}"
    );
    let prepare = cluster.call(
        ALICE,
        BYZANTIUM,
        Msg::Prepare {
            ballot: paxos::Ballot::new(1, ATHENS),
        },
    );
    assert!(
        matches!(cluster.run(&prepare), Err(common::RpcError::Timeout { .. })),
        "a node that cannot recover must not promise anything"
    );
    assert_eq!(
        cluster.store(BYZANTIUM).get(paxos::ACCEPTOR_KEY),
        Some(garbage.as_slice()),
        "the damaged record is left as it was"
    );
    let reply = paxos::execute(&mut cluster, ALICE, ATHENS, 1, increment("counter"));
    let decision = decided(&mut cluster, &reply, "alice");
    assert!(
        decision.won,
        "athens and cyrene still decide alice's request"
    );
}
