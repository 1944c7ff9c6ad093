//! The negative control, step by step: an acceptor that replies before its write is
//! synced crashes in between, forgets what it accepted, and a second value is chosen.
//! The same schedule with the correct acceptor keeps the first value.
//!
//! Run it with `cargo run -p paxos --example reply_before_sync`. Add `--html <file>`,
//! `--mermaid <file>` or `--svg <file>` to draw the broken acceptor's run.

use common::picture::{PictureFiles, SequenceDiagram};
use common::{Cluster, StoreConfig};
use paxos::{AcceptorMode, Config, Msg, Operation, Server};

fn main() {
    let pictures = PictureFiles::only_from_args("reply_before_sync");
    for mode in [AcceptorMode::ReplyBeforeSync, AcceptorMode::Durable] {
        let cluster = play(mode);
        if mode == AcceptorMode::ReplyBeforeSync {
            let title = "an acceptor replies before its write is synced, crashes, and forgets";
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
    let mut cluster = paxos::build(builder, config);
    cluster.add_client("alice");
    cluster.add_client("bob");

    println!("1. cyrene is cut off; alice asks athens to set title = \"A\"");
    cluster.isolate("cyrene");
    let alice = paxos::execute(
        &mut cluster,
        "alice",
        "athens",
        1,
        Operation::set("title", "A"),
    );
    if let Err(e) = cluster.tick_until(|c| c.node::<Server>("athens").committed().is_some()) {
        println!("   athens never decided: {e}");
        return cluster;
    }
    println!(
        "2. tick {}: athens learned that A is chosen (athens and byzantium accepted it)",
        cluster.now()
    );
    show_disk(&cluster, "byzantium");
    println!("3. byzantium crashes now, and restarts");
    cluster.crash("byzantium");
    report("alice", &mut cluster, &alice);
    cluster.restart("byzantium");
    let after = cluster.node::<Server>("byzantium");
    println!(
        "   byzantium restarted with promise {} and accepted {:?}",
        after.promised(),
        after.accepted().map(|p| p.value.to_string())
    );
    println!("4. cyrene rejoins, athens is cut off; bob asks cyrene to set title = \"B\"");
    cluster.reconnect("cyrene");
    cluster.isolate("athens");
    let bob = paxos::execute(
        &mut cluster,
        "bob",
        "cyrene",
        1,
        Operation::set("title", "B"),
    );
    report("bob", &mut cluster, &bob);
    let values: Vec<String> = ["athens", "byzantium", "cyrene"]
        .iter()
        .map(|id| {
            let chosen = cluster
                .node::<Server>(id)
                .committed()
                .map(|v| v.to_string())
                .unwrap_or_else(|| "nothing".into());
            format!("{id}: {chosen}")
        })
        .collect();
    println!("5. committed values: {}", values.join("; "));
    cluster
}

fn show_disk(cluster: &Cluster<Msg>, id: &str) {
    let disk: Option<paxos::AcceptorState> = cluster
        .store(id)
        .load_durable(paxos::ACCEPTOR_KEY)
        .unwrap_or_default();
    let accepted = disk.and_then(|d| d.accepted).map(|p| p.value.to_string());
    println!("   {id}'s disk holds accepted = {accepted:?}");
}

fn report(who: &str, cluster: &mut Cluster<Msg>, call: &common::Promise<Msg>) {
    match paxos::decision(cluster.run(call)) {
        Ok(d) => println!(
            "   {who} is told: won={} chosen={} (tick {})",
            d.won,
            d.chosen,
            cluster.now()
        ),
        Err(e) => println!("   {who}: {e}"),
    }
}
