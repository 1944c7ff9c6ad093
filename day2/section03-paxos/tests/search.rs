//! Exhaustive search (`common::search`) of single-decree Paxos: every delivery order,
//! storage completion and crash of two proposals on three servers, breadth first.
//!
//! Each proposer tries one ballot and the commit is not retransmitted, so the state space
//! is finite. The counts are asserted: the common README compares them with the TLA+
//! model `Paxos`.
//!
//! A broken twin's counterexample needs two complete rounds (about thirty steps), deeper
//! than a breadth-first search of every interleaving can go in seconds. So the search
//! runs in two stages, as one would by hand: the first finds the shortest schedule that
//! gets alice's value chosen and learned; the second starts from there
//! ([`Model::after`]) and finds the shortest continuation that breaks an invariant.

use common::picture::SequenceDiagram;
use common::search::{Bounds, Model, Step, View, Violation};
use paxos::{Config, Msg, Operation, RequestId, Server};

const SERVERS: [&str; 3] = ["athens", "byzantium", "cyrene"];

/// Alice asks athens to set x = 1; with two proposers, bob asks byzantium to set x = 2.
fn model(base: Config, bounds: Bounds, proposers: usize) -> Model<Server> {
    let config = Config {
        max_attempts: 1,
        commit_retries: 0,
        ..base
    };
    let mut model = Model::new(SERVERS, move |id| Server::new(id, config.clone()))
        .bounds(bounds)
        .invariant("every node learns the same value", one_value)
        .invariant("at most one client is told it won", one_winner);
    let asks = [("alice", "athens", "1"), ("bob", "byzantium", "2")];
    for (client, server, value) in asks.into_iter().take(proposers) {
        let request = RequestId::new(client, 1);
        let operation = Operation::set("x", value);
        model = model.request(client, server, Msg::Execute { request, operation });
    }
    model
}

fn one_value(view: &View<'_, Server>) -> Result<(), String> {
    let mut learned = view
        .running()
        .filter_map(|(id, s)| s.committed().map(|v| (id, v)));
    if let Some((first, value)) = learned.next()
        && let Some((other, different)) = learned.find(|(_, v)| *v != value)
    {
        return Err(format!(
            "{first} learned {value} but {other} learned {different}"
        ));
    }
    match view.running().find(|(_, s)| s.conflicting_commits() > 0) {
        Some((id, _)) => Err(format!("{id} was told of a second chosen value")),
        None => Ok(()),
    }
}

fn one_winner(view: &View<'_, Server>) -> Result<(), String> {
    let winners: Vec<&str> = view
        .replies()
        .iter()
        .filter(|r| matches!(r.body, Msg::Executed { won: true, .. }))
        .map(|r| r.to.as_str())
        .collect();
    match winners.as_slice() {
        [a, b, ..] if a != b => Err(format!("{a} and {b} were both told they won")),
        _ => Ok(()),
    }
}

/// Replay the counterexample in the simulator (a scripted cluster of the model's
/// servers): the same invariant must break for the same reason at the same step, and
/// every server must end where the search's own replay leaves it. Returns the drawing
/// of the cluster's trace.
fn replays_in_the_cluster(model: &Model<Server>, violation: &Violation<Msg>) -> SequenceDiagram {
    let steps = violation.schedule.len();
    let in_cluster = model
        .replay_in_cluster(&violation.schedule)
        .expect("the counterexample replays in the simulator");
    let broken = in_cluster
        .first_broken()
        .expect("the cluster's nodes break an invariant too");
    assert_eq!(
        (broken.step, &broken.invariant, &broken.reason),
        (steps, &violation.invariant, &violation.reason),
        "in the cluster the same invariant breaks for the same reason, after all {steps} steps \
         and not before"
    );
    let replay = model
        .replay(&violation.schedule)
        .expect("a counterexample replays");
    for id in SERVERS {
        assert_eq!(
            format!("{:?}", in_cluster.node(id)),
            format!("{:?}", replay.node(id)),
            "{id} ends in the same state in the cluster as in the search's replay"
        );
    }
    let diagram = SequenceDiagram::from_trace(in_cluster.trace()).lanes(in_cluster.servers());
    assert_eq!(diagram.ticks(), (0, steps as u64), "one tick per step");
    diagram
}

/// The first stage: the shortest schedule after which athens has learned a value.
fn alice_chosen(base: Config) -> Vec<Step<Msg>> {
    let report = model(base, Bounds::depth(20), 2)
        .invariant("nothing is learned yet", |view| match view.node("athens") {
            Some(s) if s.committed().is_some() => Err("athens learned a value".into()),
            _ => Ok(()),
        })
        .check();
    report
        .violation
        .expect("a value can be chosen and learned")
        .schedule
}

#[test]
fn step3_every_interleaving_of_two_proposers_with_a_crash_learns_one_value() {
    let report = model(Config::default(), Bounds::depth(16).crashes(1), 2).check();
    println!("{report}");
    assert!(
        report.violation.is_none(),
        "correct Paxos must keep every invariant: {report}"
    );
    assert_eq!(report.depth, 16, "the search goes as deep as its bound");
    assert_eq!(
        report.states, 284_554,
        "distinct states within 16 steps and one crash"
    );
}

#[test]
fn step3_one_proposer_with_a_crash_is_searched_completely() {
    let report = model(Config::default(), Bounds::depth(60).crashes(1), 1).check();
    println!("{report}");
    assert!(
        report.violation.is_none(),
        "correct Paxos must keep every invariant: {report}"
    );
    assert!(
        report.complete,
        "one proposal with one crash is a finite space: {report}"
    );
    assert_eq!(
        report.states, 113_064,
        "distinct states of one proposal and one crash"
    );
}

#[test]
fn step3_symmetry_between_the_two_acceptors_halves_the_search() {
    let bounds = Bounds::depth(60).crashes(1);
    let plain = model(Config::default(), bounds, 1).check();
    let reduced = model(Config::default(), bounds, 1)
        .symmetric([["byzantium"], ["cyrene"]])
        .check();
    println!("without symmetry: {plain}\nwith symmetry: {reduced}");
    assert!(
        reduced.violation.is_none() && reduced.complete,
        "the reduced search completes and passes: {reduced}"
    );
    assert_eq!(
        reduced.states, 57_002,
        "byzantium and cyrene only accept: swapping them merges half of the {} states",
        plain.states
    );
}

#[test]
fn step2_search_catches_the_proposer_that_ignores_accepted_values() {
    let prefix = alice_chosen(Config::ignore_accepted_values());
    assert_eq!(
        prefix.len(),
        15,
        "alice's value is chosen and learned by athens in 15 steps"
    );
    let model = model(Config::ignore_accepted_values(), Bounds::depth(20), 2).after(prefix.clone());
    let report = model.check();
    println!("{report}");
    let violation = report
        .violation
        .as_ref()
        .expect("a proposer that ignores accepted values must be caught");
    assert_eq!(
        violation.schedule.len(),
        30,
        "bob's full round after alice's value is chosen: 15 more steps"
    );
    assert_eq!(
        violation.schedule[..prefix.len()],
        prefix[..],
        "the counterexample begins with the first stage's schedule"
    );
    let replay = model
        .replay(&violation.schedule)
        .expect("a counterexample replays");
    assert_eq!(
        replay.broken_invariant(&model).map(|(name, _)| name),
        Some(violation.invariant.clone()),
        "the replayed schedule breaks the same invariant"
    );
    let diagram = SequenceDiagram::from_trace(replay.trace()).lanes(replay.servers());
    assert!(
        diagram.arrows().len() >= 20,
        "the replay draws every message of both rounds: {} arrows",
        diagram.arrows().len()
    );
    let in_cluster = replays_in_the_cluster(&model, violation);
    assert_eq!(
        in_cluster.arrows().len(),
        diagram.arrows().len(),
        "the cluster's trace draws as many messages as the search's replay"
    );
}

#[test]
fn step1_search_catches_the_acceptor_that_replies_before_its_write_is_durable() {
    let prefix = alice_chosen(Config::reply_before_sync());
    assert_eq!(
        prefix.len(),
        11,
        "with replies before the writes, alice's value is learned in 11 steps"
    );
    let model = model(Config::reply_before_sync(), Bounds::depth(20).crashes(1), 2).after(prefix);
    let report = model.check();
    println!("{report}");
    let violation = report
        .violation
        .as_ref()
        .expect("an acceptor that replies before its write is durable must be caught");
    assert_eq!(
        violation.schedule.len(),
        24,
        "a crash that forgets an acceptance, then bob's round: 13 steps after the prefix"
    );
    assert!(
        violation
            .schedule
            .iter()
            .any(|s| matches!(s, Step::Crash(_))),
        "the broken acceptor does harm only through a crash"
    );
    let diagram = replays_in_the_cluster(&model, violation);
    assert!(
        diagram
            .marks()
            .iter()
            .any(|m| m.kind == common::picture::MarkKind::Crash),
        "the cluster's drawing shows the crash"
    );
    let correct = self::model(Config::default(), Bounds::depth(13).crashes(1), 2)
        .after(alice_chosen(Config::default()))
        .check();
    assert!(
        correct.violation.is_none(),
        "the correct acceptor survives the same search from its own first stage: {correct}"
    );
}

/// The TLA+ model's bound: two ballots, two values, no crash, and a network that is the
/// set of messages ever sent (each may arrive any number of times). Too large to finish:
/// the common README reports how far it gets.
#[test]
#[ignore = "a measurement for the common README's TLA+ comparison: 3,000,000 states, about 20 s"]
fn step3_the_tla_bound_passes_as_far_as_three_million_states() {
    let bounds = Bounds::depth(60)
        .duplications(Bounds::UNLIMITED)
        .max_states(3_000_000);
    let report = model(Config::default(), bounds, 2).check();
    println!("{report}");
    assert!(
        report.violation.is_none(),
        "correct Paxos keeps every invariant: {report}"
    );
}
