//! Exhaustive search (`common::search`): instead of a sample of seeds, every
//! interleaving of a small configuration — every delivery order, every storage
//! completion, every point at which a server may crash and restart — breadth first, so
//! that a broken voter is caught with the shortest schedule there is.
//!
//! The state counts below are asserted: a change to the protocol's state or to the
//! search shows up here, and the counts are the ones the common README compares with the
//! TLA+ model `DurableDecision`.

use common::picture::{Fate, MarkKind, SequenceDiagram};
use common::search::{Bounds, Model, Report, View};
use generation_voting::{Config, GenerationServer, Msg, PROMISE_KEY, VoterMode};
use std::collections::BTreeSet;

const SERVERS: [&str; 3] = ["athens", "byzantium", "cyrene"];

/// Two elections on three servers: alice asks athens, bob asks byzantium, each
/// coordinator tries once.
fn two_elections(voter: VoterMode, bounds: Bounds) -> Model<GenerationServer> {
    let config = Config {
        max_attempts: 1,
        ..Config::default()
    }
    .with_voter(voter);
    Model::new(SERVERS, move |_| GenerationServer::new(config))
        .request("alice", "athens", Msg::NextGeneration)
        .request("bob", "byzantium", Msg::NextGeneration)
        .bounds(bounds)
        .invariant("no generation is handed to two clients", unique_generations)
}

fn unique_generations(view: &View<'_, GenerationServer>) -> Result<(), String> {
    let handed: Vec<(&str, u64)> = view
        .replies()
        .iter()
        .filter_map(|r| match r.body {
            Msg::Generation { generation } => Some((r.to.as_str(), generation)),
            _ => None,
        })
        .collect();
    for (i, (a, g)) in handed.iter().enumerate() {
        if let Some((b, _)) = handed[i + 1..].iter().find(|(b, h)| h == g && b != a) {
            return Err(format!("generation {g} was handed to {a} and to {b}"));
        }
    }
    Ok(())
}

/// A running voter never holds a promise below one it announced: the `PromiseKept`
/// invariant of the TLA+ model.
fn promise_kept(view: &View<'_, GenerationServer>) -> Result<(), String> {
    for reply in view.replies() {
        if let Msg::Promise { generation } = reply.body
            && let Some(voter) = view.node(reply.from.as_str())
            && voter.promised() < generation
        {
            return Err(format!(
                "{} promised {generation} and now holds {}",
                reply.from,
                voter.promised()
            ));
        }
    }
    Ok(())
}

/// One voter probed with prepares for generations 1 to 3, each deliverable any number of
/// times (the network is the set of messages ever sent), with `crashes` crashes: the
/// `DurableDecision` model for one node.
fn one_voter(voter: VoterMode, crashes: u32) -> Model<GenerationServer> {
    let mut model = Model::new(["athens"], move |_| {
        GenerationServer::new(Config::default().with_voter(voter))
    })
    .bounds(
        Bounds::depth(100)
            .crashes(crashes)
            .duplications(Bounds::UNLIMITED),
    )
    .invariant("a voter keeps every promise it announced", promise_kept)
    .projection(durable_decision_variables);
    for generation in 1..=3 {
        model = model.request("proposer", "athens", Msg::Prepare { generation });
    }
    model
}

/// A state seen through the variables of the TLA+ model `DurableDecision` for one node:
/// the promise in memory, on disk, the write in flight, the promises announced, and
/// whether the node is down.
fn durable_decision_variables(view: &View<'_, GenerationServer>) -> String {
    let durable: u64 = view
        .durable("athens")
        .and_then(|d| d.load(PROMISE_KEY).ok().flatten())
        .unwrap_or(0);
    let node = view.node("athens");
    let memory = node.map_or(durable, GenerationServer::promised);
    let pending = if view.storage_pending("athens") > 0 {
        memory
    } else {
        0
    };
    let mut announced: Vec<u64> = view
        .replies()
        .iter()
        .filter_map(|r| match r.body {
            Msg::Promise { generation } => Some(generation),
            _ => None,
        })
        .collect();
    announced.sort_unstable();
    announced.dedup();
    format!(
        "{memory} {durable} {pending} {announced:?} {}",
        node.is_none()
    )
}

fn passes(report: &Report<Msg>) {
    assert!(
        report.violation.is_none(),
        "the correct voter must keep every invariant: {report}"
    );
}

#[test]
fn step2_every_interleaving_of_two_elections_with_a_crash_hands_each_generation_out_once() {
    let report = two_elections(VoterMode::PersistBeforeReply, Bounds::depth(40).crashes(1)).check();
    println!("{report}");
    passes(&report);
    assert!(
        report.complete,
        "the bound holds the whole state space: {report}"
    );
    assert_eq!(
        report.states, 420_642,
        "distinct states of two elections with one crash"
    );
}

#[test]
fn step2_search_catches_reply_before_persist_with_a_twelve_step_schedule() {
    let model = two_elections(VoterMode::ReplyBeforePersist, Bounds::depth(40).crashes(1));
    let report = model.check();
    let violation = report
        .violation
        .as_ref()
        .expect("a voter that replies before its write is durable must be caught");
    println!("{report}");
    assert_eq!(
        violation.invariant, "no generation is handed to two clients",
        "the broken voter is caught for the harm it does, not for another reason"
    );
    assert_eq!(
        violation.schedule.len(),
        12,
        "two elections, a crash and a restart: the shortest schedule has 12 steps"
    );
    let replay = model
        .replay(&violation.schedule)
        .expect("a counterexample replays");
    assert_eq!(
        replay.broken_invariant(&model).map(|(name, _)| name),
        Some(violation.invariant.clone()),
        "the replayed schedule reaches a state that breaks the same invariant"
    );
    // The same schedule in the simulator: a scripted cluster takes the twelve steps.
    let in_cluster = model
        .replay_in_cluster(&violation.schedule)
        .expect("the counterexample replays in the simulator");
    let broken = in_cluster
        .first_broken()
        .expect("the cluster's nodes break an invariant too");
    assert_eq!(
        (broken.step, &broken.invariant, &broken.reason),
        (12, &violation.invariant, &violation.reason),
        "in the cluster the same invariant breaks for the same reason, at step 12 and not before"
    );
    for id in SERVERS {
        assert_eq!(
            format!("{:?}", in_cluster.node(id)),
            format!("{:?}", replay.node(id)),
            "{id} ends in the same state in the cluster as in the search's replay"
        );
    }
    let diagram = SequenceDiagram::from_trace(in_cluster.trace()).lanes(in_cluster.servers());
    assert_eq!(diagram.ticks(), (0, 12), "one tick per step");
    let told: Vec<&str> = diagram
        .arrows()
        .iter()
        .filter(|a| a.kind == "Generation" && a.fate == Fate::Delivered)
        .filter_map(|a| a.to.map(|lane| diagram.lane_names()[lane].as_str()))
        .collect();
    assert_eq!(
        told,
        ["alice", "bob"],
        "the drawing shows both clients told a generation"
    );
    assert!(
        diagram.marks().iter().any(|m| m.kind == MarkKind::Crash),
        "the drawing shows the crash that made a voter forget its promise"
    );
}

#[test]
fn step2_symmetry_merges_states_that_differ_only_by_which_coordinator_is_which() {
    let bounds = Bounds::depth(40).crashes(1);
    let plain = two_elections(VoterMode::PersistBeforeReply, bounds).check();
    let reduced = two_elections(VoterMode::PersistBeforeReply, bounds)
        .symmetric([["athens", "alice"], ["byzantium", "bob"]])
        .check();
    println!("without symmetry: {plain}\nwith symmetry: {reduced}");
    passes(&reduced);
    assert!(reduced.complete, "the reduced search completes: {reduced}");
    assert!(
        reduced.states * 10 < plain.states * 6,
        "swapping the two coordinators (with their clients) should merge close to half \
         of the states: {} of {}",
        reduced.states,
        plain.states
    );
    assert_eq!(reduced.states, 229_206, "distinct states up to symmetry");
    let broken = two_elections(VoterMode::ReplyBeforePersist, bounds)
        .symmetric([["athens", "alice"], ["byzantium", "bob"]])
        .check();
    assert_eq!(
        broken.violation.map(|v| v.schedule.len()),
        Some(12),
        "symmetry must not hide the broken voter nor lengthen its counterexample"
    );
}

/// The states of one node of the TLA+ model `DurableDecision` (generations 1 to 3), by
/// breadth-first search over its four actions, in the projection's text.
fn durable_decision_one_node() -> BTreeSet<String> {
    type State = (u64, u64, u64, Vec<u64>, bool);
    let text = |(m, d, p, r, c): &State| format!("{m} {d} {p} {r:?} {c}");
    let mut seen = BTreeSet::new();
    let mut queue: Vec<State> = vec![(0, 0, 0, Vec::new(), false)];
    while let Some(state) = queue.pop() {
        if !seen.insert(text(&state)) {
            continue;
        }
        let (m, d, p, r, c) = state;
        if c {
            queue.push((m, d, p, r, false));
            continue;
        }
        for g in (m + 1)..=3 {
            queue.push((g, d, g, r.clone(), false));
        }
        if p != 0 {
            let mut r2 = r.clone();
            if !r2.contains(&p) {
                r2.push(p);
                r2.sort_unstable();
            }
            queue.push((m, p, 0, r2, false));
        }
        queue.push((d, d, 0, r, true));
    }
    seen
}

#[test]
fn step1_one_voter_reaches_every_state_of_the_durable_decision_model() {
    let report = one_voter(VoterMode::PersistBeforeReply, 3).check();
    println!("{report}");
    passes(&report);
    assert!(
        report.complete,
        "three crashes bound the state space: {report}"
    );
    let model = durable_decision_one_node();
    assert_eq!(
        model.len(),
        23,
        "one node of DurableDecision has 23 states (TLC: 12,167 = 23^3 for three)"
    );
    let code = report.projected.expect("the model has a projection");
    let missing: Vec<&String> = model.difference(&code).collect();
    assert!(
        missing.is_empty(),
        "the voter must reach every state of the model, seen through its variables: \
         missing {missing:?}"
    );
    let extra: Vec<&String> = code.difference(&model).collect();
    println!("states of the code outside the model: {extra:?}");
    assert_eq!(
        extra.len(),
        10,
        "the code reaches 10 projected states the model has not: {extra:?}"
    );
}

#[test]
fn step1_search_catches_a_forgotten_promise_in_three_steps() {
    let report = one_voter(VoterMode::ReplyBeforePersist, 1).check();
    let violation = report
        .violation
        .expect("a voter that replies before its write is durable forgets a promise");
    assert_eq!(
        violation.schedule.len(),
        3,
        "prepare (answered at once), crash, restart: the model's 4-state trace"
    );
}
