//! Three clients ask three different servers to append, in the same tick. The three
//! proposers duel for slot 1; the winner's value is chosen there, the losers adopt it or
//! learn it `Decided`, and move on to slots 2 and 3. Every replica ends with the same
//! log.
//!
//! Run it with `cargo run -p paxoslog --example concurrent_appenders [seed]`. Add
//! `--html <file>`, `--mermaid <file>` or `--svg <file>` to draw the run (the README's
//! picture is `--svg docs/appenders.svg`).

use common::picture::{PictureFiles, SequenceDiagram};
use common::trace::TraceKind;
use common::{Cluster, NetConfig};
use paxoslog::{Operation, Server};

const SERVERS: [&str; 3] = ["athens", "byzantium", "cyrene"];
const CLIENTS: [&str; 3] = ["alice", "bob", "carol"];

fn main() {
    let usage = format!("concurrent_appenders [seed] {}", PictureFiles::USAGE);
    let (pictures, args) = PictureFiles::from_args("concurrent_appenders", &usage);
    let seed = match args.as_slice() {
        [] => 3,
        [seed] => seed.parse::<u64>().unwrap_or_else(|_| {
            common::cli::exit_usage(
                "`concurrent_appenders`: the seed must be a whole number",
                &usage,
            )
        }),
        _ => common::cli::exit_usage("`concurrent_appenders`: one seed at most", &usage),
    };
    let builder = Cluster::builder()
        .seed(seed)
        .servers(SERVERS)
        .net(NetConfig {
            latency: (1, 3),
            ..NetConfig::default()
        })
        .request_timeout(400);
    let mut cluster = paxoslog::build(builder, paxoslog::Config::default());
    for client in CLIENTS {
        cluster.add_client(client);
    }

    println!("== seed {seed}: three clients, three proposers, one log");
    let calls: Vec<_> = CLIENTS
        .iter()
        .zip(SERVERS)
        .map(|(client, server)| {
            println!("   {client} asks {server} to set title = {client:?}");
            let op = Operation::set("title", *client);
            (
                *client,
                paxoslog::execute(&mut cluster, client, server, 1, op),
            )
        })
        .collect();
    for (client, call) in &calls {
        match paxoslog::reply(cluster.run(call)) {
            Ok(r) => println!(
                "   {client}: slot {} -> {} (tick {})",
                r.slot,
                r.outcome,
                cluster.now()
            ),
            Err(e) => println!("   {client}: {e}"),
        }
    }
    cluster.tick_n(20);

    println!("\n== what the proposers did (notes and refusals) ==");
    for event in cluster.trace().events() {
        let interesting = match event.kind {
            TraceKind::Note => !event.detail.starts_with("recovered"),
            TraceKind::Deliver => matches!(event.msg, Some("Reject") | Some("Decided")),
            _ => false,
        };
        if interesting {
            println!("{event}");
        }
    }

    println!("\n== every replica's executed log ==");
    for id in SERVERS {
        let node = cluster.node::<Server>(id);
        let log: Vec<String> = node
            .executed_log()
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{}: {v}", i + 1))
            .collect();
        println!("   {id:<9} {}", log.join(" | "));
    }
    println!(
        "\ntrace hash {:#018x}: the same seed replays the same duel",
        cluster.trace_hash()
    );
    let title = format!("seed {seed}: three appenders duel for slot 1, then move on");
    pictures.write_or_exit(&SequenceDiagram::of_cluster(&cluster).title(title));
}
