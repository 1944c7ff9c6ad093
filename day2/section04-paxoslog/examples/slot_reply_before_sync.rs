//! The negative control, step by step: an acceptor that replies before its slot's record
//! is synced crashes in between, forgets what it accepted, and a second value is chosen
//! for slot 1. The same schedule with the correct acceptor keeps the first value and
//! puts the second write in slot 2.
//!
//! Run it with `cargo run -p paxoslog --example slot_reply_before_sync`. Add `--html <file>`,
//! `--mermaid <file>` or `--svg <file>` to draw the broken acceptor's run.

use common::picture::{PictureFiles, SequenceDiagram};
use common::{Cluster, StoreConfig};
use paxoslog::{AcceptorMode, Config, Msg, Operation, Server};

fn main() {
    let pictures = PictureFiles::only_from_args("slot_reply_before_sync");
    for mode in [AcceptorMode::ReplyBeforeSync, AcceptorMode::Durable] {
        let cluster = play(mode);
        if mode == AcceptorMode::ReplyBeforeSync {
            let title = "an acceptor replies before its slot is synced, crashes, and forgets";
            pictures.write_or_exit(&SequenceDiagram::of_cluster(&cluster).title(title));
        }
        println!();
    }
}

/// Plays the schedule with acceptors in `mode`; returns the cluster, to be drawn.
fn play(mode: AcceptorMode) -> Cluster<Msg> {
    println!("=== acceptor mode {mode:?} (every write takes 5 ticks to sync) ===");
    let builder = Cluster::builder()
        .seed(0)
        .servers(["athens", "byzantium", "cyrene"])
        .store(StoreConfig {
            delay: (5, 5),
            ..StoreConfig::default()
        })
        .request_timeout(400);
    let config = Config {
        acceptor_mode: mode,
        ..Config::default()
    };
    let mut cluster = paxoslog::build(builder, config);
    cluster.add_client("alice");
    cluster.add_client("bob");

    println!("1. cyrene is cut off; alice asks athens to set title = \"A\"");
    cluster.isolate("cyrene");
    let alice = paxoslog::execute(
        &mut cluster,
        "alice",
        "athens",
        1,
        Operation::set("title", "A"),
    );
    if let Err(e) = cluster.tick_until(|c| c.node::<Server>("athens").committed(1).is_some()) {
        println!("   athens never decided slot 1: {e}");
        return cluster;
    }
    println!(
        "2. tick {}: athens knows slot 1 is chosen (athens and byzantium accepted A)",
        cluster.now()
    );
    show_disk(&cluster, "byzantium");
    println!("3. byzantium crashes now; alice is answered");
    cluster.crash("byzantium");
    report("alice", &mut cluster, &alice);
    println!("4. cyrene rejoins, athens is cut off, byzantium restarts");
    cluster.reconnect("cyrene");
    cluster.isolate("athens");
    cluster.restart("byzantium");
    let record = cluster.node::<Server>("byzantium").slot(1).cloned();
    println!(
        "   byzantium's slot 1 after the restart: accepted {:?}",
        record.and_then(|r| r.accepted).map(|p| p.value.to_string())
    );
    println!("5. bob asks cyrene to set title = \"B\"");
    let bob = paxoslog::execute(
        &mut cluster,
        "bob",
        "cyrene",
        1,
        Operation::set("title", "B"),
    );
    report("bob", &mut cluster, &bob);
    let slot1: Vec<String> = ["athens", "byzantium", "cyrene"]
        .iter()
        .map(|id| {
            let value = cluster
                .node::<Server>(id)
                .committed(1)
                .map(|v| v.to_string())
                .unwrap_or_else(|| "nothing".into());
            format!("{id}: {value}")
        })
        .collect();
    println!("6. slot 1 as each node committed it: {}", slot1.join("; "));
    cluster
}

fn show_disk(cluster: &Cluster<Msg>, id: &str) {
    let record = paxoslog::storage::load_slot(cluster.store(id).durable(), 1).unwrap_or_default();
    let accepted = record.and_then(|r| r.accepted).map(|p| p.value.to_string());
    println!("   {id}'s disk holds, for slot 1: accepted = {accepted:?}");
}

fn report(who: &str, cluster: &mut Cluster<Msg>, call: &common::Promise<Msg>) {
    match paxoslog::reply(cluster.run(call)) {
        Ok(r) => println!(
            "   {who} is told: slot {}, {} (tick {})",
            r.slot,
            r.outcome,
            cluster.now()
        ),
        Err(e) => println!("   {who}: {e}"),
    }
}
