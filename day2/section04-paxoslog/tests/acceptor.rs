//! One acceptor, driven by hand (`common::solo::Solo`): what it answers to each
//! `Prepare` and `Accept`, per slot, and when — relative to its durable write.

mod support;
use common::solo::Solo;
use common::{Envelope, ProcessId};
use paxoslog::{Ballot, Config, Msg, Operation, Proposal, RejectReason, RequestId, Server, Value};
use support::{ATHENS, BYZANTIUM, CYRENE, THREE};

/// athens alone, with `config`; the catch-up request it sends at start is discarded.
fn acceptor(config: Config) -> Solo<Server> {
    let mut solo = Solo::new(ATHENS, THREE, Server::new(&ProcessId::new(ATHENS), config));
    solo.take_sent();
    solo
}

fn ballot(round: u64, node: &str) -> Ballot {
    Ballot::new(round, node)
}

fn value(client: &str, key: &str, v: &str) -> Value {
    Value {
        request: RequestId::new(client, 1),
        operation: Operation::set(key, v),
    }
}

fn prepare(slot: u64, ballot: Ballot) -> Msg {
    Msg::Prepare {
        slot,
        ballot,
        executed_through: 0,
    }
}

fn accept(slot: u64, ballot: Ballot, value: Value) -> Msg {
    Msg::Accept {
        slot,
        proposal: Proposal { ballot, value },
        executed_through: 0,
    }
}

/// The one message the acceptor sent since the last look, failing if it sent another
/// number of messages.
fn only_reply(solo: &mut Solo<Server>, what: &str) -> Msg {
    let sent: Vec<Envelope<Msg>> = solo.take_sent();
    assert_eq!(
        sent.len(),
        1,
        "{what}: the acceptor must send exactly one reply, sent {sent:?}"
    );
    sent.into_iter().next().map(|e| e.body).expect("one reply")
}

#[test]
fn acceptor_replies_only_after_its_write_is_durable() {
    let mut solo = acceptor(Config::default());
    solo.store_mut().set_delay(5, 5);
    solo.request(BYZANTIUM, prepare(1, ballot(3, BYZANTIUM)));
    for tick in 1..5 {
        solo.tick();
        assert!(
            solo.take_sent().is_empty(),
            "the promise must wait for its write to be durable (tick {tick} of 5)"
        );
    }
    solo.tick();
    let reply = only_reply(&mut solo, "once the write is durable");
    assert_eq!(
        reply,
        Msg::Promise {
            slot: 1,
            ballot: ballot(3, BYZANTIUM),
            accepted: None
        },
        "a fresh slot promises the ballot and reports nothing accepted"
    );
    let on_disk = paxoslog::storage::load_slot(solo.store().durable(), 1)
        .expect("the record decodes")
        .expect("slot 1's record is on disk");
    assert_eq!(
        on_disk.promised,
        ballot(3, BYZANTIUM),
        "the disk must hold the promise the acceptor announced"
    );
}

#[test]
fn acceptor_rejects_a_prepare_below_its_promise_for_that_slot_at_once() {
    let mut solo = acceptor(Config::default());
    solo.request(BYZANTIUM, prepare(1, ballot(5, BYZANTIUM)));
    solo.tick();
    solo.take_sent();
    let writes_before = solo.store().completed().0;
    solo.request(CYRENE, prepare(1, ballot(3, CYRENE)));
    let reply = only_reply(&mut solo, "a lower ballot");
    assert_eq!(
        reply,
        Msg::Reject {
            slot: 1,
            ballot: ballot(3, CYRENE),
            promised: ballot(5, BYZANTIUM),
            reason: RejectReason::PromisedHigher
        },
        "a lower ballot must be refused at once, naming the promise to jump past"
    );
    solo.tick_n(3);
    assert_eq!(
        solo.store().completed().0,
        writes_before,
        "a refusal changes nothing, so it writes nothing"
    );
}

#[test]
fn promises_are_per_slot() {
    let mut solo = acceptor(Config::default());
    solo.request(BYZANTIUM, prepare(1, ballot(9, BYZANTIUM)));
    solo.tick();
    solo.take_sent();
    solo.request(CYRENE, prepare(2, ballot(2, CYRENE)));
    solo.tick();
    let reply = only_reply(&mut solo, "another slot");
    assert!(
        matches!(reply, Msg::Promise { slot: 2, .. }),
        "a promise of round 9 in slot 1 must not block round 2 in slot 2, got {reply:?}"
    );
}

#[test]
fn a_promise_reports_what_its_slot_accepted_and_nothing_from_other_slots() {
    let mut solo = acceptor(Config::default());
    let v = value("alice", "x", "1");
    solo.request(BYZANTIUM, accept(1, ballot(2, BYZANTIUM), v.clone()));
    solo.tick();
    solo.take_sent();
    solo.request(CYRENE, prepare(2, ballot(3, CYRENE)));
    solo.tick();
    assert_eq!(
        only_reply(&mut solo, "slot 2"),
        Msg::Promise {
            slot: 2,
            ballot: ballot(3, CYRENE),
            accepted: None
        },
        "slot 2 accepted nothing: slot 1's value must not leak into its promise"
    );
    solo.request(CYRENE, prepare(1, ballot(3, CYRENE)));
    solo.tick();
    assert_eq!(
        only_reply(&mut solo, "slot 1"),
        Msg::Promise {
            slot: 1,
            ballot: ballot(3, CYRENE),
            accepted: Some(Proposal {
                ballot: ballot(2, BYZANTIUM),
                value: v
            })
        },
        "the promise for slot 1 must report the proposal accepted there"
    );
}

#[test]
fn accepting_raises_the_slots_promise_to_the_accepted_ballot() {
    let mut solo = acceptor(Config::default());
    solo.request(
        BYZANTIUM,
        accept(4, ballot(7, BYZANTIUM), value("bob", "y", "2")),
    );
    solo.tick();
    assert_eq!(
        only_reply(&mut solo, "a fresh slot"),
        Msg::Accepted {
            slot: 4,
            ballot: ballot(7, BYZANTIUM)
        },
        "a fresh slot accepts any ballot"
    );
    let record = solo.process().slot(4).expect("slot 4 is known").clone();
    assert_eq!(
        record.promised,
        ballot(7, BYZANTIUM),
        "an acceptance is also a promise: the accepted ballot must never exceed the promise"
    );
}

#[test]
fn an_accept_below_the_slots_promise_is_rejected_and_writes_nothing() {
    let mut solo = acceptor(Config::default());
    solo.request(CYRENE, prepare(1, ballot(6, CYRENE)));
    solo.tick();
    solo.take_sent();
    solo.request(
        BYZANTIUM,
        accept(1, ballot(4, BYZANTIUM), value("bob", "y", "2")),
    );
    let reply = only_reply(&mut solo, "a stale accept");
    assert!(
        matches!(&reply, Msg::Reject { promised, reason: RejectReason::PromisedHigher, .. } if *promised == ballot(6, CYRENE)),
        "an accept below the promise must be refused, naming the promise, got {reply:?}"
    );
    solo.tick_n(2);
    assert_eq!(
        solo.process().slot(1).and_then(|r| r.accepted.clone()),
        None,
        "the refused proposal must not be recorded"
    );
}

#[test]
fn a_duplicate_prepare_of_the_promised_ballot_is_promised_again() {
    let mut solo = acceptor(Config::default());
    solo.store_mut().set_delay(3, 3);
    solo.request(BYZANTIUM, prepare(1, ballot(2, BYZANTIUM)));
    solo.request(BYZANTIUM, prepare(1, ballot(2, BYZANTIUM)));
    solo.tick_n(3);
    let sent = solo.take_sent();
    assert_eq!(sent.len(), 2, "both copies must be answered, got {sent:?}");
    assert!(
        sent.iter().all(|e| matches!(e.body, Msg::Promise { .. })),
        "a network duplicate of the promised ballot must not be refused: a refusal would overtake the promise, got {sent:?}"
    );
}

#[test]
fn a_committed_slot_answers_decided_instead_of_voting() {
    let mut solo = acceptor(Config::default());
    let chosen = value("alice", "x", "1");
    solo.deliver(
        BYZANTIUM,
        Msg::Commit {
            slot: 1,
            value: chosen.clone(),
            executed_through: 1,
        },
    );
    solo.tick();
    solo.take_sent();
    let writes_before = solo.store().completed().0;
    solo.request(CYRENE, prepare(1, ballot(50, CYRENE)));
    assert_eq!(
        only_reply(&mut solo, "a prepare for a committed slot"),
        Msg::Decided {
            slot: 1,
            value: chosen.clone()
        },
        "a committed slot must tell the proposer its value, however high the ballot"
    );
    solo.request(
        CYRENE,
        accept(1, ballot(51, CYRENE), value("carol", "x", "9")),
    );
    assert_eq!(
        only_reply(&mut solo, "an accept for a committed slot"),
        Msg::Decided {
            slot: 1,
            value: chosen
        },
        "a committed slot must never accept another value"
    );
    solo.tick_n(2);
    assert_eq!(
        solo.store().completed().0,
        writes_before,
        "answering Decided writes nothing"
    );
}

#[test]
fn a_failed_storage_write_is_rejected_not_ignored() {
    let mut solo = acceptor(Config::default());
    solo.store_mut().fail_next(1);
    solo.request(BYZANTIUM, prepare(1, ballot(2, BYZANTIUM)));
    solo.tick();
    let reply = only_reply(&mut solo, "a failed write");
    assert!(
        matches!(
            reply,
            Msg::Reject {
                reason: RejectReason::StorageFailed,
                ..
            }
        ),
        "a promise that could not be made durable must be refused at once, got {reply:?}"
    );
}

/// The negative control's acceptor, one step: it announces a promise that is not on
/// disk, and after a crash it has forgotten it.
#[test]
fn reply_before_sync_acceptor_announces_a_promise_that_is_not_on_disk() {
    let mut solo = acceptor(Config::reply_before_sync());
    solo.store_mut().set_delay(5, 5);
    solo.request(BYZANTIUM, prepare(1, ballot(3, BYZANTIUM)));
    let reply = only_reply(&mut solo, "the broken acceptor");
    assert!(
        matches!(reply, Msg::Promise { .. }),
        "the broken acceptor promises at once, got {reply:?}"
    );
    let on_disk = paxoslog::storage::load_slot(solo.store().durable(), 1).expect("decodes");
    assert_eq!(on_disk, None, "the promise it announced is not on disk yet");
    solo.crash();
    solo.restart(Server::new(
        &ProcessId::new(ATHENS),
        Config::reply_before_sync(),
    ));
    assert_eq!(
        solo.process().slot(1),
        None,
        "after the crash the acceptor has forgotten the promise it announced"
    );
}
