//! The exhaustive search's shortest counterexample for the voter that replies before its
//! write is durable: two elections (alice asks athens, bob asks byzantium) on three
//! servers, every interleaving with at most one crash, breadth first. It prints the
//! schedule, replays it in the simulator (a scripted cluster that takes the schedule's
//! steps, one tick each) and, with `--svg <file>` (or `--html`, `--mermaid`), draws the
//! cluster's trace; the README's picture is `--svg docs/shortest-counterexample.svg`.
//! The search is deterministic: no seed, the same picture every time.
//!
//! Run it with `cargo run -p generation-voting --example shortest_counterexample`.

use common::picture::{PictureFiles, SequenceDiagram};
use common::search::{Bounds, Model};
use generation_voting::{Config, GenerationServer, Msg, VoterMode};

fn main() {
    let pictures = PictureFiles::only_from_args("shortest_counterexample");
    let config = Config {
        max_attempts: 1,
        ..Config::default()
    }
    .with_voter(VoterMode::ReplyBeforePersist);
    let model = Model::new(["athens", "byzantium", "cyrene"], move |_| {
        GenerationServer::new(config)
    })
    .request("alice", "athens", Msg::NextGeneration)
    .request("bob", "byzantium", Msg::NextGeneration)
    .bounds(Bounds::depth(20).crashes(1))
    .invariant("no generation is handed to two clients", |view| {
        let handed: Vec<(&str, u64)> = view
            .replies()
            .iter()
            .filter_map(|r| match r.body {
                Msg::Generation { generation } => Some((r.to.as_str(), generation)),
                _ => None,
            })
            .collect();
        match handed.as_slice() {
            [(a, g), (b, h), ..] if g == h && a != b => {
                Err(format!("generation {g} was handed to {a} and to {b}"))
            }
            _ => Ok(()),
        }
    });
    let report = model.check();
    println!("== every interleaving of two elections, one crash, a voter that replies first");
    println!("{report}");
    let Some(violation) = report.violation else {
        println!("no counterexample within the bound");
        std::process::exit(1);
    };
    // Replayed in the simulator: a scripted cluster of the three servers takes the
    // schedule's steps, one tick each, and its trace is what the picture draws.
    let replay = match model.replay_in_cluster(&violation.schedule) {
        Ok(replay) => replay,
        Err(e) => {
            eprintln!("the counterexample does not replay in the cluster: {e}");
            std::process::exit(1);
        }
    };
    match replay.first_broken() {
        Some(broken) => println!(
            "replayed in the cluster: '{}' broken after step {}: {}",
            broken.invariant, broken.step, broken.reason
        ),
        None => {
            eprintln!("the counterexample breaks no invariant when replayed in the cluster");
            std::process::exit(1);
        }
    }
    let title = format!(
        "the shortest schedule ({} steps) that hands one generation to two clients",
        violation.schedule.len()
    );
    pictures.write_or_exit(
        &SequenceDiagram::from_trace(replay.trace())
            .lanes(replay.servers())
            .title(title),
    );
}
