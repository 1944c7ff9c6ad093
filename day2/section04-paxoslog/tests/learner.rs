//! One learner, driven by hand (`common::solo::Solo`): how it records commits, when it
//! executes them, and how it answers and asks for catch-up.

mod support;
use common::solo::Solo;
use common::{Envelope, ProcessId};
use paxoslog::{Ballot, CommittedEntry, Config, Msg, Operation, RequestId, Server, Slot, Value};
use support::{ATHENS, BYZANTIUM, CYRENE, THREE};

/// athens alone, with `config`, its start-up catch-up request answered: nothing to learn.
fn learner(config: Config) -> Solo<Server> {
    let mut solo = Solo::new(ATHENS, THREE, Server::new(&ProcessId::new(ATHENS), config));
    for asked in solo.take_sent() {
        answer(&mut solo, &asked, Vec::new(), 0);
    }
    solo
}

/// Deliver the reply to the catch-up request `asked`.
fn answer(
    solo: &mut Solo<Server>,
    asked: &Envelope<Msg>,
    entries: Vec<CommittedEntry>,
    executed_through: Slot,
) {
    solo.deliver_envelope(Envelope {
        from: asked.to.clone(),
        to: asked.from.clone(),
        corr: None,
        in_reply_to: asked.corr,
        body: Msg::CatchUpReply {
            entries,
            executed_through,
        },
    });
}

fn set(client: &str, seq: u64, key: &str, v: &str) -> Value {
    Value {
        request: RequestId::new(client, seq),
        operation: Operation::set(key, v),
    }
}

fn commit(slot: Slot, value: Value) -> Msg {
    Msg::Commit {
        slot,
        value,
        executed_through: 0,
    }
}

/// The Java learner refused a commit for an index where it had promised a higher
/// generation, and kept a gap it could never fill. A chosen value is final: the
/// learner records it whatever it promised.
#[test]
fn commit_is_learned_even_below_a_higher_promise() {
    let mut solo = learner(Config::default());
    solo.request(
        CYRENE,
        Msg::Prepare {
            slot: 1,
            ballot: Ballot::new(9, CYRENE),
            executed_through: 0,
        },
    );
    solo.tick();
    solo.deliver(BYZANTIUM, commit(1, set("alice", 1, "x", "1")));
    solo.tick();
    let node = solo.process();
    assert_eq!(
        node.executed_through(),
        1,
        "the commit must be learned and executed despite the promise of round 9"
    );
    assert_eq!(
        node.state_machine().get("x"),
        Some("1"),
        "the learned commit must be applied"
    );
}

/// A chosen value is final. Told that a different value was chosen for a slot it has
/// already committed, the learner keeps the value it learned (in memory, on disk and in
/// its state machine) and counts the conflict, so the safety checks can report it.
#[test]
fn a_commit_of_a_different_value_for_a_committed_slot_is_refused_and_counted() {
    let mut solo = learner(Config::default());
    let chosen = set("alice", 1, "x", "1");
    solo.deliver(BYZANTIUM, commit(1, chosen.clone()));
    solo.tick();
    solo.deliver(CYRENE, commit(1, set("bob", 1, "x", "2")));
    solo.tick();
    let node = solo.process();
    assert_eq!(
        node.committed(1),
        Some(&chosen),
        "the value learned first stays committed"
    );
    assert_eq!(
        node.state_machine().get("x"),
        Some("1"),
        "the conflicting value must never be applied"
    );
    assert_eq!(
        node.conflicting_commits(),
        1,
        "the learner must count the conflicting commit"
    );
}

#[test]
fn a_slot_executes_only_once_its_commit_is_durable() {
    let mut solo = learner(Config::default());
    solo.store_mut().set_delay(4, 4);
    solo.deliver(BYZANTIUM, commit(1, set("alice", 1, "x", "1")));
    for tick in 1..4 {
        solo.tick();
        let node = solo.process();
        assert!(
            node.committed(1).is_some(),
            "the commit is known in memory at once"
        );
        assert_eq!(
            node.executed_through(),
            0,
            "tick {tick}: the slot must not execute before its commit is on disk"
        );
    }
    solo.tick();
    assert_eq!(
        solo.process().executed_through(),
        1,
        "the slot executes as soon as its commit is durable"
    );
    assert!(
        solo.process().commit_is_durable(1),
        "an executed slot's commit is durable"
    );
}

#[test]
fn execution_stops_at_a_gap_and_resumes_in_slot_order() {
    let mut solo = learner(Config::default());
    solo.deliver(BYZANTIUM, commit(2, set("bob", 1, "x", "second")));
    solo.tick();
    assert_eq!(
        solo.process().executed_through(),
        0,
        "slot 2 must wait for slot 1"
    );
    assert!(
        solo.process().commit_is_durable(2),
        "slot 2's commit is durable all the same"
    );
    let asked: Vec<Msg> = solo.take_sent().into_iter().map(|e| e.body).collect();
    assert!(
        asked.contains(&Msg::CatchUp { from: 1 }),
        "a learner that sees a slot beyond a gap must ask for the gap at once, sent {asked:?}"
    );
    solo.deliver(CYRENE, commit(1, set("alice", 1, "x", "first")));
    solo.tick();
    let node = solo.process();
    assert_eq!(node.executed_through(), 2, "filling the gap executes both");
    assert_eq!(
        node.state_machine().get("x"),
        Some("second"),
        "slot 1 must execute before slot 2, so slot 2's value wins"
    );
}

#[test]
fn a_repeated_commit_is_written_once_and_applied_once() {
    let mut solo = learner(Config::default());
    solo.store_mut().set_delay(2, 2);
    let (writes_before, _) = solo.store().completed();
    solo.deliver(BYZANTIUM, commit(1, set("alice", 1, "x", "1")));
    solo.deliver(CYRENE, commit(1, set("alice", 1, "x", "1")));
    solo.tick_n(3);
    solo.deliver(BYZANTIUM, commit(1, set("alice", 1, "x", "1")));
    solo.tick_n(3);
    assert_eq!(
        solo.store().completed().0 - writes_before,
        1,
        "three copies of one commit must cost one write"
    );
    assert_eq!(
        solo.process().state_machine().operations_run(),
        1,
        "and be applied once"
    );
}

#[test]
fn a_failed_commit_write_is_written_again_by_the_catch_up_timer() {
    let config = Config::default();
    let interval = config.catch_up_interval_ticks;
    let mut solo = learner(config);
    solo.store_mut().fail_next(1);
    solo.deliver(BYZANTIUM, commit(1, set("alice", 1, "x", "1")));
    solo.tick();
    assert!(
        !solo.process().commit_is_durable(1),
        "the write failed: the commit is not durable"
    );
    assert_eq!(
        solo.process().executed_through(),
        0,
        "a commit that is not durable must not be executed"
    );
    solo.tick_n(interval + 1);
    assert_eq!(
        solo.process().executed_through(),
        1,
        "the catch-up timer must write the commit again, and then it executes"
    );
}

#[test]
fn a_catch_up_reply_commits_every_slot_in_one_write() {
    let mut solo = Solo::new(
        ATHENS,
        THREE,
        Server::new(&ProcessId::new(ATHENS), Config::default()),
    );
    let asked = solo
        .take_sent()
        .into_iter()
        .find(|e| matches!(e.body, Msg::CatchUp { from: 1 }))
        .expect("a starting node asks a peer for the committed slots from slot 1");
    let (writes_before, _) = solo.store().completed();
    let entries: Vec<CommittedEntry> = (1..=3)
        .map(|slot| CommittedEntry {
            slot,
            value: set("alice", slot, "x", &slot.to_string()),
        })
        .collect();
    answer(&mut solo, &asked, entries, 3);
    solo.tick();
    assert_eq!(
        solo.store().completed().0 - writes_before,
        1,
        "three learned slots must be written in one atomic batch"
    );
    assert_eq!(
        solo.process().executed_through(),
        3,
        "the three learned slots must execute once the batch is durable"
    );
    assert_eq!(
        solo.process().state_machine().get("x"),
        Some("3"),
        "in slot order, so slot 3's value wins"
    );
}

#[test]
fn a_catch_up_request_is_answered_with_a_bounded_batch_in_slot_order() {
    let config = Config {
        catch_up_batch_slots: 2,
        ..Config::default()
    };
    let mut solo = learner(config);
    for slot in [3, 1, 2] {
        solo.deliver(BYZANTIUM, commit(slot, set("alice", slot, "x", "v")));
    }
    solo.tick();
    solo.take_sent();
    solo.request(CYRENE, Msg::CatchUp { from: 1 });
    let sent = solo.take_sent();
    let Some(Msg::CatchUpReply {
        entries,
        executed_through,
    }) = sent.first().map(|e| e.body.clone())
    else {
        panic!("a catch-up request must be answered at once, sent {sent:?}");
    };
    let slots: Vec<Slot> = entries.iter().map(|e| e.slot).collect();
    assert_eq!(
        slots,
        vec![1, 2],
        "the reply must carry the first committed slots in order, at most the batch size"
    );
    assert_eq!(
        executed_through, 3,
        "the reply says how far the replier has executed, so the asker knows to ask again"
    );
}
