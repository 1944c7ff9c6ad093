//! One recovery, two ways of writing the coordinator.
//!
//! Athens stages +10 on every server and applies it, but its COMMITs are lost and it is
//! cut off. Bob's +20 at byzantium makes byzantium query a majority, find the orphan,
//! finish it, and then run bob's operation. The scenario runs once with the callback
//! coordinator and once with the state-machine coordinator; the traces are identical.
//!
//! Run with `cargo run -p naive-replication --example coordinator_styles`. Add
//! `--html <file>`, `--mermaid <file>` or `--svg <file>` to draw the run (either style:
//! the traces are the same).

use common::Cluster;
use common::picture::{PictureFiles, SequenceDiagram};
use naive_replication::client::{increment, new_value};
use naive_replication::{Config, CoordinatorStyle, HasCounters, Msg, ThreePhaseServer};

const SERVERS: [&str; 3] = ["athens", "byzantium", "cyrene"];

fn run(style: CoordinatorStyle) -> Cluster<Msg> {
    let config = Config::default().with_style(style);
    let mut cluster = Cluster::builder()
        .servers(SERVERS)
        .request_timeout(100)
        .build(move |_, _| ThreePhaseServer::new(config));
    cluster.add_client("alice");
    cluster.add_client("bob");
    cluster
        .net()
        .drop_kind("Commit", "athens", ["byzantium", "cyrene"]);
    let alice = cluster.call("alice", "athens", increment("k", 10));
    println!(
        "  alice +10 at athens: {:?}",
        new_value(cluster.run(&alice))
    );
    cluster.net().clear_rules();
    cluster.partition(&[&["athens"], &["byzantium", "cyrene", "alice", "bob"]]);
    let bob = cluster.call("bob", "byzantium", increment("k", 20));
    println!("  bob +20 at byzantium: {:?}", new_value(cluster.run(&bob)));
    cluster.tick_n(3);
    for id in SERVERS {
        let value = cluster.node::<ThreePhaseServer>(id).counters().get("k");
        println!("  {id:<10} {value:?}");
    }
    cluster
}

fn main() {
    let pictures = PictureFiles::only_from_args("coordinator_styles");
    println!("callbacks:");
    let callbacks = run(CoordinatorStyle::Callbacks);
    println!("state machine:");
    let machine = run(CoordinatorStyle::StateMachine);
    println!(
        "\ntrace hashes: callbacks {:016x}, state machine {:016x} ({})",
        callbacks.trace_hash(),
        machine.trace_hash(),
        if callbacks.trace_hash() == machine.trace_hash() {
            "identical: the same protocol"
        } else {
            "different!"
        }
    );
    println!("\nthe trace (either style):\n{}", machine.trace().render());
    let title = "recovery: byzantium finds athens's orphaned +10 and finishes it";
    pictures.write_or_exit(&SequenceDiagram::of_cluster(&machine).title(title));
}
