//! How fast does the exhaustive search (`common::search`) explore Paxos, and what does
//! symmetry reduction buy?
//!
//! Measured: distinct states per second for three nodes and two proposers (alice asks
//! athens, bob asks byzantium, one ballot each, one crash, schedules of up to 16 steps:
//! the bound of the section's search test). Symmetry is only sound between nodes the
//! protocol treats alike, and two proposers are not alike here: ballots with equal rounds
//! are ordered by node name, so swapping the proposers changes which ballot wins. The
//! nodes that only accept are alike; with two proposers there is one such node and
//! nothing to permute, so the symmetry run uses one proposer (athens) and lets byzantium
//! and cyrene, the two acceptors, be swapped. It prints both runs, and the baseline
//! measured in the same run for the ratio is the same search without symmetry.
//!
//! Run: `cargo run --release -p paxos --example search_speed` (a benchmark, not a test:
//! the numbers depend on the machine).

use common::search::{Bounds, Model, Report};
use paxos::{Config, Msg, Operation, RequestId, Server};

fn model(proposers: usize, bounds: Bounds) -> Model<Server> {
    let config = Config {
        max_attempts: 1,
        commit_retries: 0,
        ..Config::default()
    };
    let mut model = Model::new(["athens", "byzantium", "cyrene"], move |id| {
        Server::new(id, config.clone())
    })
    .bounds(bounds);
    let asks = [("alice", "athens", "1"), ("bob", "byzantium", "2")];
    for (client, server, value) in asks.into_iter().take(proposers) {
        let request = RequestId::new(client, 1);
        let operation = Operation::set("x", value);
        model = model.request(client, server, Msg::Execute { request, operation });
    }
    model
}

// A benchmark measures wall time by definition; this is not simulated code.
#[allow(clippy::disallowed_methods)]
fn timed(model: &Model<Server>) -> (Report<Msg>, f64) {
    let start = std::time::Instant::now();
    let report = model.check();
    (report, start.elapsed().as_secs_f64())
}

fn line(label: &str, report: &Report<Msg>, seconds: f64) -> f64 {
    let rate = report.states as f64 / seconds;
    println!(
        "{label:<44} {:>9} states {:>7.2} s {:>10.0} states/s",
        report.states, seconds, rate
    );
    rate
}

fn main() {
    if std::env::args().len() > 1 {
        common::cli::exit_usage(
            "`search_speed` takes no arguments",
            "search_speed (run with --release)",
        );
    }
    println!("== Paxos, 3 nodes, breadth-first search of every interleaving");
    let two = model(2, Bounds::depth(16).crashes(1));
    let (report, seconds) = timed(&two);
    let two_rate = line("2 proposers, depth 16, 1 crash", &report, seconds);

    let bounds = Bounds::depth(60).crashes(1);
    let (plain, plain_s) = timed(&model(1, bounds));
    let plain_rate = line("1 proposer, complete, 1 crash (baseline)", &plain, plain_s);
    let symmetric = model(1, bounds).symmetric([["byzantium"], ["cyrene"]]);
    let (reduced, reduced_s) = timed(&symmetric);
    let reduced_rate = line(
        "1 proposer, complete, 1 crash, symmetry",
        &reduced,
        reduced_s,
    );
    println!(
        "symmetry: {:.3}x the states, {:.2}x the time, {:.2}x the states/s of the baseline",
        reduced.states as f64 / plain.states as f64,
        reduced_s / plain_s,
        reduced_rate / plain_rate
    );
    println!(
        "2 proposers explore at {:.2}x the baseline's states/s",
        two_rate / plain_rate
    );
}
