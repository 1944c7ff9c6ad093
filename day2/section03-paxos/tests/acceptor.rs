//! The acceptor's rules, driven with raw phase messages from a test client: what it
//! promises, what it accepts, what it reports, and when it answers.

mod support;
use common::Promise;
use paxos::{Ballot, Msg, Proposal, RejectReason, RequestId, Value};
use support::*;

fn prepare(cluster: &mut common::Cluster<Msg>, to: &str, ballot: &Ballot) -> Promise<Msg> {
    cluster.call(
        ALICE,
        to,
        Msg::Prepare {
            ballot: ballot.clone(),
        },
    )
}

fn accept(cluster: &mut common::Cluster<Msg>, to: &str, proposal: &Proposal) -> Promise<Msg> {
    cluster.call(
        ALICE,
        to,
        Msg::Accept {
            proposal: proposal.clone(),
        },
    )
}

fn proposal(round: u64, node: &str, value: &str) -> Proposal {
    Proposal {
        ballot: Ballot::new(round, node),
        value: Value {
            request: RequestId::new(ALICE, round),
            operation: set("title", value),
        },
    }
}

#[test]
fn step1_acceptor_promises_a_ballot_above_its_promise() {
    let mut cluster = three(0);
    let ballot = Ballot::new(5, ATHENS);
    let reply = prepare(&mut cluster, BYZANTIUM, &ballot);
    assert_eq!(
        cluster.run(&reply),
        Ok(Msg::Promise {
            ballot: ballot.clone(),
            accepted: None
        }),
        "a fresh acceptor must promise any real ballot and report nothing accepted"
    );
    assert_eq!(server(&cluster, BYZANTIUM).promised(), &ballot);
}

#[test]
fn step1_acceptor_rejects_prepare_below_its_promise() {
    let mut cluster = three(0);
    let high = Ballot::new(5, ATHENS);
    let promised = prepare(&mut cluster, BYZANTIUM, &high);
    cluster
        .run(&promised)
        .expect("the first prepare is answered");
    let low = Ballot::new(4, CYRENE);
    let reply = prepare(&mut cluster, BYZANTIUM, &low);
    assert_eq!(
        cluster.run(&reply),
        Ok(Msg::Reject {
            ballot: low,
            promised: high.clone(),
            reason: RejectReason::PromisedHigher
        }),
        "a lower ballot must be rejected, and the rejection must name the promise"
    );
    assert_eq!(
        server(&cluster, BYZANTIUM).promised(),
        &high,
        "a rejected prepare must not change the promise"
    );
}

/// Same round, lower node id: ballots order by round, then by node.
#[test]
fn step1_acceptor_rejects_prepare_of_the_same_round_from_a_lower_node() {
    let mut cluster = three(0);
    let promised = prepare(&mut cluster, BYZANTIUM, &Ballot::new(3, CYRENE));
    cluster.run(&promised).expect("answered");
    let reply = prepare(&mut cluster, BYZANTIUM, &Ballot::new(3, ATHENS));
    assert!(
        matches!(cluster.run(&reply), Ok(Msg::Reject { .. })),
        "(3, athens) is below (3, cyrene) and must be rejected"
    );
}

/// Ballots are unique to their proposer, so a prepare of the ballot already promised is
/// a duplicate: it is promised again (after its own write), never refused.
#[test]
fn step1_acceptor_promises_a_duplicate_prepare_again() {
    let mut cluster = three(0);
    let ballot = Ballot::new(2, ATHENS);
    let first = prepare(&mut cluster, BYZANTIUM, &ballot);
    cluster.run(&first).expect("answered");
    let again = prepare(&mut cluster, BYZANTIUM, &ballot);
    assert!(
        matches!(cluster.run(&again), Ok(Msg::Promise { .. })),
        "a duplicate prepare of the promised ballot must be promised again"
    );
}

#[test]
fn step1_acceptor_accepts_at_its_promise_and_reports_it_in_later_promises() {
    let mut cluster = three(0);
    let p = proposal(3, ATHENS, "Paxos");
    let promised = prepare(&mut cluster, BYZANTIUM, &p.ballot);
    cluster.run(&promised).expect("answered");
    let accepted = accept(&mut cluster, BYZANTIUM, &p);
    assert_eq!(
        cluster.run(&accepted),
        Ok(Msg::Accepted {
            ballot: p.ballot.clone()
        }),
        "a proposal at the promised ballot must be accepted"
    );
    let later = prepare(&mut cluster, BYZANTIUM, &Ballot::new(4, CYRENE));
    assert_eq!(
        cluster.run(&later),
        Ok(Msg::Promise {
            ballot: Ballot::new(4, CYRENE),
            accepted: Some(p)
        }),
        "a later promise must carry the accepted proposal so the next proposer adopts it"
    );
}

#[test]
fn step1_acceptor_rejects_accept_below_its_promise() {
    let mut cluster = three(0);
    let promised = prepare(&mut cluster, BYZANTIUM, &Ballot::new(7, CYRENE));
    cluster.run(&promised).expect("answered");
    let p = proposal(6, ATHENS, "stale");
    let reply = accept(&mut cluster, BYZANTIUM, &p);
    assert_eq!(
        cluster.run(&reply),
        Ok(Msg::Reject {
            ballot: p.ballot,
            promised: Ballot::new(7, CYRENE),
            reason: RejectReason::PromisedHigher
        }),
        "a proposal below the promise must be rejected"
    );
    assert_eq!(
        server(&cluster, BYZANTIUM).accepted(),
        None,
        "a rejected proposal must not be recorded as accepted"
    );
}

/// An `Accept` above the promise (its prepare never reached this acceptor) is accepted,
/// and raises the promise with it.
#[test]
fn step1_accept_above_the_promise_raises_the_promise() {
    let mut cluster = three(0);
    let p = proposal(9, CYRENE, "late joiner");
    let reply = accept(&mut cluster, BYZANTIUM, &p);
    assert!(matches!(cluster.run(&reply), Ok(Msg::Accepted { .. })));
    assert_eq!(
        server(&cluster, BYZANTIUM).promised(),
        &p.ballot,
        "accepting a ballot must promise it too"
    );
}

/// Storage takes 5 ticks: the promise must not be announced before it is on disk.
#[test]
fn step1_acceptor_replies_only_after_its_write_is_durable() {
    let mut cluster = cluster_with(0, &THREE, paxos::Config::default(), slow_store(5));
    let ballot = Ballot::new(1, ATHENS);
    let reply = prepare(&mut cluster, BYZANTIUM, &ballot);
    cluster.tick_n(5);
    assert!(
        reply.is_pending(),
        "the promise must wait for its write (submitted at tick 1, durable at tick 6)"
    );
    assert_eq!(
        durable(&cluster, BYZANTIUM).promised,
        Ballot::zero(),
        "the write is still in flight"
    );
    assert!(
        cluster.run(&reply).is_ok(),
        "the promise must follow the write"
    );
    assert_eq!(
        durable(&cluster, BYZANTIUM).promised,
        ballot,
        "when the promise is received it must already be on disk"
    );
}

/// The broken acceptor of the negative control answers while its write is in flight: the
/// one-step counterexample of the `BrokenDurableDecision` model (`ResponseImpliesDurable`).
#[test]
fn step1_reply_before_sync_acceptor_announces_a_promise_that_is_not_on_disk() {
    let mut cluster = cluster_with(0, &THREE, paxos::Config::reply_before_sync(), slow_store(5));
    let ballot = Ballot::new(1, ATHENS);
    let reply = prepare(&mut cluster, BYZANTIUM, &ballot);
    assert!(
        cluster.run(&reply).is_ok(),
        "the broken acceptor answers at once"
    );
    assert_eq!(
        durable(&cluster, BYZANTIUM).promised,
        Ballot::zero(),
        "the promise is out while the disk still says nothing was promised"
    );
    cluster.crash(BYZANTIUM);
    cluster.restart(BYZANTIUM);
    assert_eq!(
        server(&cluster, BYZANTIUM).promised(),
        &Ballot::zero(),
        "after a crash the broken acceptor has forgotten the promise it gave"
    );
}

#[test]
fn step1_acceptor_restart_keeps_promise_and_accept() {
    let mut cluster = three(0);
    let p = proposal(5, ATHENS, "durable");
    let promised = prepare(&mut cluster, BYZANTIUM, &p.ballot);
    cluster.run(&promised).expect("answered");
    let accepted = accept(&mut cluster, BYZANTIUM, &p);
    cluster.run(&accepted).expect("answered");
    cluster.crash(BYZANTIUM);
    cluster.restart(BYZANTIUM);
    let lower = prepare(&mut cluster, BYZANTIUM, &Ballot::new(4, CYRENE));
    assert!(
        matches!(cluster.run(&lower), Ok(Msg::Reject { promised, .. }) if promised == p.ballot),
        "after a restart the acceptor must still refuse ballots below its promise"
    );
    let higher = prepare(&mut cluster, BYZANTIUM, &Ballot::new(6, CYRENE));
    assert_eq!(
        cluster.run(&higher),
        Ok(Msg::Promise {
            ballot: Ballot::new(6, CYRENE),
            accepted: Some(p)
        }),
        "after a restart the acceptor must still report what it accepted"
    );
}
