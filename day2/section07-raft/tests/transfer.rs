//! Step 7: leadership transfer — the leader brings the target up to date and sends
//! `TimeoutNow`; the target wins at once even though the voters have just heard from
//! the old leader; a lagging target and a non-voter are refused.

mod support;
use common::ProcessId;
use raft::operator::{AdminAction, Plan};
use raft::{Config, MembershipChange, Msg, Server, Term};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use support::membership::{OPERATOR, cluster_with_spares, refusal, transfer};
use support::*;

/// Three voters under check-quorum (voters ignore vote requests while their leader is
/// alive): the leader hands over to a follower, which leads the next term within a few
/// ticks of the answer; the old leader follows it.
#[test]
fn step7_the_target_of_a_transfer_leads_the_next_term() {
    let mut cluster = three(71);
    cluster.add_client(OPERATOR);
    let old = until_leader(&mut cluster, 200);
    execute(&mut cluster, ALICE, &old, 1, set("k", "1"));
    let term = server(&cluster, &old).term();
    let target = THREE
        .iter()
        .copied()
        .find(|s| *s != old)
        .expect("a follower");
    let call = cluster.call(
        OPERATOR,
        &old,
        Msg::TransferLeadership {
            request: raft::RequestId::new(OPERATOR, 1),
            to: ProcessId::new(target),
        },
    );
    let answer = cluster.run(&call);
    assert!(
        matches!(answer, Ok(Msg::LeadershipTransferred { term: t, .. }) if t == term + 1),
        "the old leader itself answers as it steps down for the next term: {answer:?}"
    );
    let new = until_leader(&mut cluster, 20);
    assert_eq!(new, target, "the target leads");
    assert_eq!(
        server(&cluster, target).term(),
        term + 1,
        "with one election, in the next term"
    );
    let reply = execute(&mut cluster, ALICE, target, 2, set("k", "2"));
    assert_eq!(reply.outcome, stored("2"), "the new leader commits writes");
}

/// Three voters, clients writing throughout: the operator transfers leadership to
/// byzantium, then to cyrene. Both transfers complete, the leader of each term a transfer
/// reported is its target, the oracle holds after every tick and the clients' history is
/// linearizable.
#[test]
fn step7_transfer_leadership_while_clients_write() {
    let script = [
        AdminAction::Transfer(ProcessId::new(BYZANTIUM)),
        AdminAction::Transfer(ProcessId::new(CYRENE)),
    ];
    let sim_config = common::sim::SimConfig {
        faults: common::nemesis::FaultConfig::none(),
        ..raft::sweep::membership_fault_config(7)
    };
    let leaders: Rc<RefCell<BTreeMap<Term, String>>> = Rc::default();
    let seen = Rc::clone(&leaders);
    let (result, log) = raft::sweep::run_membership_with(
        &sim_config,
        &Config::default(),
        Plan::Script(script.clone().into()),
        40,
        move |cluster| {
            support::oracle::install(cluster);
            cluster.add_invariant("record leaders", move |view| {
                for (id, node) in view.nodes::<Server>() {
                    if node.is_leader() {
                        seen.borrow_mut().insert(node.term(), id.to_string());
                    }
                }
                Ok(())
            });
        },
    );
    let figures =
        result.unwrap_or_else(|failure| panic!("{}\n{}", failure.failure, failure.report));
    assert_eq!(
        log.done,
        script.to_vec(),
        "both transfers complete, in order"
    );
    for (term, target) in &log.transfers {
        assert_eq!(
            leaders.borrow().get(term).map(String::as_str),
            Some(target.as_str()),
            "the leader of term {term} must be the transfer's target"
        );
    }
    assert!(
        figures.completed_ops >= 20,
        "clients wrote throughout: only {} operations completed",
        figures.completed_ops
    );
}

/// Three voters; the target is cut off and writes go on without it, so it stays behind.
/// While the transfer is in progress the leader holds writes (it sends them to the
/// target: its log must stop growing away from the target's) and refuses a second
/// transfer; a retry of the first (the same request id) takes over its answer. After an
/// election timeout it refuses the transfer and accepts writes again, still leading its
/// term.
#[test]
fn step7_a_transfer_to_a_lagging_target_is_refused_and_the_leader_resumes() {
    let mut cluster = three(72);
    cluster.add_client(OPERATOR);
    let leader = until_leader(&mut cluster, 200);
    let target = THREE
        .iter()
        .copied()
        .find(|s| *s != leader)
        .expect("a follower");
    let others: Vec<&str> = THREE.iter().copied().filter(|s| *s != target).collect();
    cluster.partition(&[&[target], &others]);
    for seq in 1..=5 {
        execute(
            &mut cluster,
            ALICE,
            &leader,
            seq,
            set("k", &seq.to_string()),
        );
    }
    let term = server(&cluster, &leader).term();
    let asked = cluster.now();
    let pending = cluster.call(
        OPERATOR,
        &leader,
        Msg::TransferLeadership {
            request: raft::RequestId::new(OPERATOR, 1),
            to: ProcessId::new(target),
        },
    );
    cluster.tick_n(2);
    let held = raft::execute(&mut cluster, BOB, &leader, 1, set("k", "held"));
    let answer = cluster.run(&held);
    assert!(
        matches!(&answer, Ok(Msg::NotLeader { hint: Some(h), .. }) if *h == ProcessId::new(target)),
        "while the transfer is in progress, a write is sent to its target: {answer:?}"
    );
    let transfer_to = |to: &str, seq| Msg::TransferLeadership {
        request: raft::RequestId::new(OPERATOR, seq),
        to: ProcessId::new(to),
    };
    let other = third_server(&leader, target);
    let second = cluster.call(OPERATOR, &leader, transfer_to(other, 2));
    let answer = cluster
        .run(&second)
        .unwrap_or_else(|e| panic!("the second transfer must be answered: {e}"));
    assert!(
        refusal(&answer).contains("another change or transfer is in progress"),
        "one transfer at a time: {answer:?}"
    );
    let retry = cluster.call(OPERATOR, &leader, transfer_to(target, 1));
    let answer = cluster
        .run(&retry)
        .unwrap_or_else(|e| panic!("the retried transfer must be answered: {e}"));
    drop(pending);
    assert_eq!(
        cluster.now() - asked,
        32,
        "the answer comes 32 ticks after the request: the leader gives up once the transfer has run for more than an election timeout (30 ticks), and the messages take their ticks"
    );
    let reason = refusal(&answer);
    assert!(
        reason.contains("stayed behind"),
        "a target that cannot catch up is refused: {reason}"
    );
    let reply = execute(&mut cluster, ALICE, &leader, 6, set("k", "6"));
    assert_eq!(
        reply.outcome,
        stored("6"),
        "the leader accepts writes again"
    );
    assert!(
        server(&cluster, &leader).is_leader() && server(&cluster, &leader).term() == term,
        "the leader still leads term {term}"
    );
}

/// Three voters and two spares; delphi is a learner (its catch-up cannot finish while it
/// is down) and ephesus is not a member. A transfer to either is refused at once.
#[test]
fn step7_a_transfer_to_a_learner_or_a_non_member_is_refused_at_once() {
    let mut cluster = cluster_with_spares(73, &THREE, &[DELPHI, EPHESUS], Config::default());
    let leader = until_leader_among(&mut cluster, &THREE, 200);
    execute(&mut cluster, ALICE, &leader, 1, set("k", "1"));
    cluster.crash(DELPHI);
    let request = raft::RequestId::new(OPERATOR, 1);
    let add = MembershipChange::AddServer(ProcessId::new(DELPHI));
    let _pending = cluster.call(
        OPERATOR,
        &leader,
        Msg::ChangeMembership {
            request,
            change: add,
        },
    );
    cluster
        .tick_until_within(20, |c| {
            c.node::<Server>(&leader)
                .configuration()
                .learners
                .iter()
                .any(|l| l == DELPHI)
        })
        .unwrap_or_else(|e| panic!("delphi must become a learner: {e}"));
    for (seq, to) in [(2, DELPHI), (3, EPHESUS)] {
        let before = cluster.now();
        let reason = refusal(&transfer(&mut cluster, &leader, seq, to));
        assert!(
            reason.contains("not a voter"),
            "a transfer to {to} is refused because it cannot lead: {reason}"
        );
        assert!(
            cluster.now() - before <= 4,
            "the refusal to {to} comes at once, not after a timeout"
        );
    }
}

/// The server of the three that is neither `a` nor `b`.
fn third_server<'a>(a: &str, b: &str) -> &'a str {
    THREE
        .into_iter()
        .find(|s| *s != a && *s != b)
        .expect("three servers")
}

/// A follower asked to transfer leadership does not act on it: it answers `NotLeader`
/// naming the leader it follows.
#[test]
fn step7_a_follower_sends_a_transfer_request_to_its_leader() {
    let mut cluster = three(74);
    cluster.add_client(OPERATOR);
    let leader = until_leader(&mut cluster, 200);
    let follower = THREE
        .into_iter()
        .find(|s| *s != leader)
        .expect("a follower");
    let call = cluster.call(
        OPERATOR,
        follower,
        Msg::TransferLeadership {
            request: raft::RequestId::new(OPERATOR, 1),
            to: ProcessId::new(follower),
        },
    );
    let answer = cluster.run(&call);
    assert!(
        matches!(&answer, Ok(Msg::NotLeader { hint: Some(h), .. }) if *h == ProcessId::new(leader.as_str())),
        "{follower} names {leader}: {answer:?}"
    );
}

/// `TimeoutNow` makes a voter of the leader's term stand at once; anything else
/// ignores it: a node that has moved to another term, the leader itself, and a server
/// that is not a voter (it cannot lead).
#[test]
fn step7_timeout_now_is_ignored_in_another_term_by_a_leader_and_by_a_non_voter() {
    let follower_in_term_2 = |voters: &[&str]| {
        let config = Config {
            voters: Some(voters.iter().map(|v| ProcessId::new(*v)).collect()),
            ..quiet()
        };
        let mut node =
            common::solo::Solo::new(ATHENS, FIVE, Server::new(&ProcessId::new(ATHENS), config));
        node.deliver(BYZANTIUM, append(BYZANTIUM, 2, (0, 0), &[], 0));
        node
    };
    let stood = |node: &common::solo::Solo<Server>| node.process().stats().elections;
    let mut stale = follower_in_term_2(&THREE);
    stale.deliver(BYZANTIUM, Msg::TimeoutNow { term: 1 });
    assert_eq!(
        stood(&stale),
        0,
        "a TimeoutNow of term 1 in term 2 is stale"
    );
    let mut learner = follower_in_term_2(&[BYZANTIUM, CYRENE, DELPHI]);
    learner.deliver(BYZANTIUM, Msg::TimeoutNow { term: 2 });
    assert_eq!(
        stood(&learner),
        0,
        "a server outside the voters never stands"
    );
    let mut voter = follower_in_term_2(&THREE);
    voter.deliver(BYZANTIUM, Msg::TimeoutNow { term: 2 });
    assert_eq!(stood(&voter), 1, "a voter of term 2 stands at once");
    let mut leader =
        common::solo::Solo::new(ATHENS, THREE, Server::new(&ProcessId::new(ATHENS), quiet()));
    leader.act(|s, ctx| s.start_election(ctx));
    leader.tick_n(2);
    leader.deliver(
        BYZANTIUM,
        Msg::Vote {
            term: 1,
            granted: true,
            pre_vote: false,
        },
    );
    assert!(leader.process().is_leader());
    leader.deliver(BYZANTIUM, Msg::TimeoutNow { term: 1 });
    assert!(
        leader.process().is_leader() && stood(&leader) == 1,
        "the leader of term 1 ignores it"
    );
}
