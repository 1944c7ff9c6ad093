//! Exhaustive search (`common::search`) of Raft's election: every delivery order,
//! storage completion, crash and tick of three servers, breadth first.
//!
//! Raft starts elections from `on_tick`, so the search takes tick steps: each calls one
//! server's `on_tick`, within a budget of ticks (`Bounds::ticks`). Election timeouts are
//! one tick, so one tick of a follower starts an election. Pre-vote and check-quorum are
//! off (the paper's Figure 2 election alone: pre-vote adds a round to every election
//! and a leader's check-quorum needs many ticks), and there are no client requests.
//!
//! The invariant is Election Safety: at most one leader per term, among the running
//! servers. The correct servers keep it in every schedule within the bound; the twin
//! whose voters keep their vote and term in memory only breaks it with one crash.

use common::search::{Bounds, Model, View};
use raft::{Config, Role, Server};
use std::collections::BTreeMap;

const SERVERS: [&str; 3] = ["athens", "byzantium", "cyrene"];

/// Three servers with one-tick election timeouts and Figure 2's election only.
fn model(base: Config, bounds: Bounds) -> Model<Server> {
    let config = Config {
        election_timeout_ticks: (1, 1),
        heartbeat_ticks: 4,
        pre_vote: false,
        check_quorum: false,
        ..base
    };
    Model::new(SERVERS, move |id| Server::new(id, config.clone()))
        .bounds(bounds)
        .invariant("at most one leader per term", one_leader_per_term)
}

fn one_leader_per_term(view: &View<'_, Server>) -> Result<(), String> {
    let mut leaders = BTreeMap::new();
    for (id, server) in view.running() {
        if server.role() == Role::Leader
            && let Some(other) = leaders.insert(server.term(), id)
        {
            return Err(format!(
                "{other} and {id} are both leaders of term {}",
                server.term()
            ));
        }
    }
    Ok(())
}

#[test]
fn step3_every_schedule_of_two_elections_with_a_crash_has_one_leader_per_term() {
    let report = model(Config::default(), Bounds::depth(14).crashes(1).ticks(2)).check();
    println!("{report}");
    assert!(
        report.violation.is_none(),
        "correct Raft must elect at most one leader per term: {report}"
    );
    assert_eq!(
        report.states, 591_997,
        "distinct states within 14 steps, 2 ticks and a crash"
    );
}

#[test]
fn step3_search_catches_a_vote_kept_in_memory_in_eight_steps_and_the_cluster_replays_it() {
    let model = model(
        Config::vote_in_memory(),
        Bounds::depth(12).crashes(1).ticks(2),
    );
    let report = model.check();
    println!("{report}");
    let violation = report
        .violation
        .expect("a voter that forgets its vote in a crash lets two leaders win one term");
    for step in &violation.schedule {
        println!("  {step}");
    }
    assert_eq!(violation.invariant, "at most one leader per term");
    assert_eq!(
        violation.schedule.len(),
        8,
        "the shortest schedule that breaks it"
    );
    let in_cluster = model
        .replay_in_cluster(&violation.schedule)
        .expect("the counterexample replays in the simulator");
    let broken = in_cluster
        .first_broken()
        .expect("the cluster's servers elect two leaders in one term too");
    assert_eq!(
        (broken.step, &broken.invariant, &broken.reason),
        (
            violation.schedule.len(),
            &violation.invariant,
            &violation.reason
        ),
        "in the cluster the same invariant breaks for the same reason at the same step"
    );
}
