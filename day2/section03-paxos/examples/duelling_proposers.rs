//! Three clients ask three different servers to set the same key, in the same tick.
//! The three proposers pre-empt each other until randomised backoff lets one finish;
//! exactly one value is chosen and every client is told which.
//!
//! Run it with `cargo run -p paxos --example duelling_proposers [seed]`. Add `--html <file>`,
//! `--mermaid <file>` or `--svg <file>` to draw the duel (the README's picture is
//! `--svg docs/duel.svg`).

use common::picture::{PictureFiles, SequenceDiagram};
use common::trace::TraceKind;
use common::{Cluster, NetConfig};
use paxos::{Config, Msg};

const SERVERS: [&str; 3] = ["athens", "byzantium", "cyrene"];
const CLIENTS: [&str; 3] = ["alice", "bob", "carol"];

fn main() {
    let usage = format!("duelling_proposers [seed] {}", PictureFiles::USAGE);
    let (pictures, args) = PictureFiles::from_args("duelling_proposers", &usage);
    let seed = match args.as_slice() {
        [] => 36,
        [seed] => seed.parse::<u64>().unwrap_or_else(|_| {
            common::cli::exit_usage(
                "`duelling_proposers`: the seed must be a whole number",
                &usage,
            )
        }),
        _ => common::cli::exit_usage("`duelling_proposers`: one seed at most", &usage),
    };
    let builder = Cluster::builder()
        .seed(seed)
        .servers(SERVERS)
        .net(NetConfig {
            latency: (1, 3),
            ..NetConfig::default()
        })
        .request_timeout(400);
    let mut cluster = paxos::build(builder, Config::default());
    for client in CLIENTS {
        cluster.add_client(client);
    }

    println!("== seed {seed}: three clients, three proposers, one key");
    let calls: Vec<_> = CLIENTS
        .iter()
        .zip(SERVERS)
        .map(|(client, server)| {
            let value = format!("{client}'s title");
            println!("   {client} asks {server} to set title = {value:?}");
            let op = paxos::Operation::set("title", value);
            (*client, paxos::execute(&mut cluster, client, server, 1, op))
        })
        .collect();
    for (client, call) in &calls {
        match paxos::decision(cluster.run(call)) {
            Ok(d) => println!(
                "   {client}: won={} chosen={} result={:?} (tick {})",
                d.won,
                d.chosen,
                d.result,
                cluster.now()
            ),
            Err(e) => println!("   {client}: {e}"),
        }
    }

    println!("\n== what the proposers did (notes, refusals and answers) ==");
    print!("{}", protocol_story(&cluster));
    println!(
        "\ntrace hash {:#018x}: the same seed replays the same duel",
        cluster.trace_hash()
    );
    let title = format!("seed {seed}: three proposers duel for one key");
    pictures.write_or_exit(&SequenceDiagram::of_cluster(&cluster).title(title));
}

/// The proposers' notes, every refusal, and the answers to the clients.
fn protocol_story(cluster: &Cluster<Msg>) -> String {
    let mut out = String::new();
    for event in cluster.trace().events() {
        let interesting = match event.kind {
            TraceKind::Note => true,
            TraceKind::Deliver => matches!(event.msg, Some("Reject") | Some("Executed")),
            _ => false,
        };
        if interesting {
            out.push_str(&event.to_string());
            out.push('\n');
        }
    }
    out
}
