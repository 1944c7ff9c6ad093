//! Three coordinators asked for a generation in the same tick.
//!
//! Athens, byzantium and cyrene each start an election for 1 at once. Each voter grants
//! 1 only once, so at most one of them can collect a majority; the others are rejected,
//! learn the number that beat them from the rejection, pause for a random number of
//! ticks and try again above it. Every client ends with a unique number or an explicit
//! failure.
//!
//! Run with `cargo run -p generation-voting --example duelling_coordinators [seed]`. Add
//! `--html <file>`, `--mermaid <file>` or `--svg <file>` to draw the duel (the README's
//! picture is `--svg docs/duel.svg`).

use common::Cluster;
use common::picture::{PictureFiles, SequenceDiagram};
use common::trace::TraceKind;
use generation_voting::client::generation;
use generation_voting::{Config, GenerationServer, Msg};

const SERVERS: [&str; 3] = ["athens", "byzantium", "cyrene"];
const CLIENTS: [&str; 3] = ["alice", "bob", "carol"];

fn main() {
    let usage = format!("duelling_coordinators [seed] {}", PictureFiles::USAGE);
    let (pictures, args) = PictureFiles::from_args("duelling_coordinators", &usage);
    let seed = match args.as_slice() {
        [] => 2,
        [seed] => seed.parse().unwrap_or_else(|_| {
            common::cli::exit_usage(
                "`duelling_coordinators`: the seed must be a whole number",
                &usage,
            )
        }),
        _ => common::cli::exit_usage("`duelling_coordinators`: one seed at most", &usage),
    };
    let mut cluster = Cluster::builder()
        .seed(seed)
        .servers(SERVERS)
        .latency(1, 3)
        .request_timeout(200)
        .build(|_, _| GenerationServer::new(Config::default()));
    for client in CLIENTS {
        cluster.add_client(client);
    }
    println!(
        "seed {seed}: alice asks athens, bob asks byzantium, carol asks cyrene, all at tick 0\n"
    );
    let replies: Vec<_> = CLIENTS
        .iter()
        .zip(SERVERS)
        .map(|(client, server)| cluster.call(client, server, Msg::NextGeneration))
        .collect();
    if let Err(e) = cluster.tick_until(|_| replies.iter().all(|r| !r.is_pending())) {
        println!("the duel did not end: {e}");
        return;
    }

    println!("what the coordinators did (their notes):");
    for event in cluster.trace().events() {
        if event.kind == TraceKind::Note {
            println!("  [t{:>3}] {:<10} {}", event.tick, event.node, event.detail);
        }
    }
    println!("\nwhat the clients were told:");
    for ((client, server), reply) in CLIENTS.iter().zip(SERVERS).zip(&replies) {
        let answer = generation(reply.result().expect("every request was answered"));
        match answer {
            Ok(number) => println!("  {client} (via {server}): generation {number}"),
            Err(e) => println!("  {client} (via {server}): {e}"),
        }
    }
    cluster.tick_n(5);
    println!("\nvoters' promises at the end:");
    for id in SERVERS {
        println!(
            "  {id:<10} {}",
            cluster.node::<GenerationServer>(id).promised()
        );
    }
    println!("\nthe full trace:\n{}", cluster.trace().render());
    let title = format!("seed {seed}: three coordinators ask for a generation at once");
    pictures.write_or_exit(&SequenceDiagram::of_cluster(&cluster).title(title));
}
