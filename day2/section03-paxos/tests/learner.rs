//! The learner's rules, driven with raw `Commit` messages from a test client: a chosen
//! value is final, and learning it leaves the acceptor's record consistent with it.
//!
//! These clusters run without the safety invariants of `support`: a conflicting commit
//! is exactly what the tests send, to see the learner refuse it.

mod support;
use common::{Cluster, ClusterBuilder, Promise, StoreConfig};
use paxos::{Ballot, Config, Msg, Proposal, RequestId, Value};
use support::*;

/// Three servers, default configuration and storage, no invariants installed.
fn bare_three() -> Cluster<Msg> {
    let builder = ClusterBuilder::new()
        .servers(THREE)
        .store(StoreConfig::default())
        .request_timeout(CLIENT_TIMEOUT)
        .budget(2_000);
    let mut cluster = paxos::build(builder, Config::default());
    cluster.add_client(ALICE);
    cluster
}

/// `title := text`, requested by alice as her request `number`.
fn value(number: u64, text: &str) -> Value {
    Value {
        request: RequestId::new(ALICE, number),
        operation: set("title", text),
    }
}

fn proposal(round: u64, node: &str, value: &Value) -> Proposal {
    Proposal {
        ballot: Ballot::new(round, node),
        value: value.clone(),
    }
}

fn commit(cluster: &mut Cluster<Msg>, to: &str, proposal: &Proposal) -> Promise<Msg> {
    cluster.call(
        ALICE,
        to,
        Msg::Commit {
            proposal: proposal.clone(),
        },
    )
}

/// `to` accepts `proposal` (asserted).
fn accept(cluster: &mut Cluster<Msg>, to: &str, proposal: &Proposal) {
    let accept = cluster.call(
        ALICE,
        to,
        Msg::Accept {
            proposal: proposal.clone(),
        },
    );
    assert_eq!(
        cluster.run(&accept),
        Ok(Msg::Accepted {
            ballot: proposal.ballot.clone()
        }),
        "{to} must accept {proposal:?} before the commit arrives"
    );
}

/// `to` learns that `proposal` is chosen and acknowledges it (asserted).
fn learn(cluster: &mut Cluster<Msg>, to: &str, proposal: &Proposal) {
    let learned = commit(cluster, to, proposal);
    assert_eq!(
        cluster.run(&learned),
        Ok(Msg::Committed {
            ballot: proposal.ballot.clone()
        }),
        "{to} must acknowledge the commit of {proposal:?}"
    );
}

/// Byzantium learns that `title := v` is chosen, then is told `title := w` was: a
/// chosen value is final, so it keeps `v` (in memory and on disk), counts the conflict,
/// and does not acknowledge the second commit.
#[test]
fn step3_learner_refuses_a_commit_of_a_different_value_than_it_holds() {
    let mut cluster = bare_three();
    let chosen = proposal(1, ATHENS, &value(1, "v"));
    let first = commit(&mut cluster, BYZANTIUM, &chosen);
    assert_eq!(
        cluster.run(&first),
        Ok(Msg::Committed {
            ballot: chosen.ballot.clone()
        })
    );
    let other = proposal(2, CYRENE, &value(2, "w"));
    let second = commit(&mut cluster, BYZANTIUM, &other);
    let answer = cluster.run(&second);
    assert!(
        !matches!(answer, Ok(Msg::Committed { .. })),
        "a commit of a different value must not be acknowledged, got {answer:?}"
    );
    let byzantium = server(&cluster, BYZANTIUM);
    assert_eq!(
        byzantium.committed(),
        Some(&chosen.value),
        "the value learned first stays the committed one"
    );
    assert_eq!(
        durable(&cluster, BYZANTIUM).committed,
        Some(chosen.value.clone()),
        "the disk keeps the value learned first"
    );
    assert_eq!(
        byzantium.conflicting_commits(),
        1,
        "the learner must count the conflicting commit, so checks can report it"
    );
}

/// Byzantium accepted `v` in ballot 1 of athens; `v` is then chosen in ballot 3 of
/// cyrene. Learning the commit raises both the promise and the accepted proposal to
/// ballot 3, in memory and on disk: the record says what a majority accepted last.
#[test]
fn step3_learner_raises_its_accepted_ballot_to_the_commits() {
    let mut cluster = bare_three();
    let v = value(1, "v");
    let early = proposal(1, ATHENS, &v);
    accept(&mut cluster, BYZANTIUM, &early);
    let chosen = proposal(3, CYRENE, &v);
    learn(&mut cluster, BYZANTIUM, &chosen);
    let byzantium = server(&cluster, BYZANTIUM);
    assert_eq!(
        byzantium.accepted(),
        Some(&chosen),
        "the accepted proposal must be raised to the commit's ballot"
    );
    assert_eq!(byzantium.promised(), &chosen.ballot);
    let on_disk = durable(&cluster, BYZANTIUM);
    assert_eq!(on_disk.accepted, Some(chosen.clone()));
    assert_eq!(on_disk.promised, chosen.ballot);
}

/// Byzantium accepted `v` in ballot 5 of cyrene, then hears that `v` was chosen in the
/// older ballot 1 of athens. The commit never lowers the promise or the accepted
/// proposal: both stay at ballot 5.
#[test]
fn step3_learner_never_lowers_its_accepted_ballot_to_an_older_commits() {
    let mut cluster = bare_three();
    let v = value(1, "v");
    let late = proposal(5, CYRENE, &v);
    accept(&mut cluster, BYZANTIUM, &late);
    let chosen = proposal(1, ATHENS, &v);
    learn(&mut cluster, BYZANTIUM, &chosen);
    let byzantium = server(&cluster, BYZANTIUM);
    assert_eq!(
        byzantium.accepted(),
        Some(&late),
        "an older commit must not lower the accepted proposal"
    );
    assert_eq!(
        byzantium.promised(),
        &late.ballot,
        "an older commit must not lower the promise"
    );
}

/// Byzantium has made `v` durable and applied it. The commit comes again (a proposer
/// that did not hear the acknowledgement) and this time the write fails: nothing is
/// lost, since the decision is already on disk, so byzantium acknowledges at once — it
/// neither writes again nor gives up on a decision it holds.
#[test]
fn step3_a_repeated_commit_whose_write_fails_is_acknowledged_since_the_first_is_durable() {
    let mut cluster = bare_three();
    let chosen = proposal(1, ATHENS, &value(1, "v"));
    learn(&mut cluster, BYZANTIUM, &chosen);
    assert!(
        server(&cluster, BYZANTIUM).applied().is_some(),
        "byzantium applied v once its commit was durable"
    );
    // More failures than a learner ever writes a commit.
    cluster.store_mut(BYZANTIUM).fail_next(100);
    learn(&mut cluster, BYZANTIUM, &chosen);
    let byzantium = server(&cluster, BYZANTIUM);
    assert!(
        byzantium.commit_write_failure().is_none(),
        "a failed write of a decision already durable is no failure: {:?}",
        byzantium.commit_write_failure()
    );
    assert_eq!(
        durable(&cluster, BYZANTIUM).committed,
        Some(chosen.value),
        "byzantium's first write of the decision is on its disk"
    );
}
