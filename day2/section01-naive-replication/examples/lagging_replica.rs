//! Naive replication tells a client "done" before any follower has the write.
//!
//! Alice increments a counter at athens; athens's REPLICATE to byzantium is slow. Bob,
//! who starts after alice was answered, increments the same counter at byzantium and is
//! told 1 as well. No single counter answers 1 twice: the history check says why.
//!
//! Run with `cargo run -p naive-replication --example lagging_replica`. Add `--html <file>`,
//! `--mermaid <file>` or `--svg <file>` to draw the run (the README's picture is
//! `--svg docs/lagging-replica.svg`).

use common::Cluster;
use common::check;
use common::picture::{PictureFiles, SequenceDiagram};
use common::sim::{Recorder, Workload};
use naive_replication::history::{CounterOp, CounterWorkload, IncrementCounter};
use naive_replication::{HasCounters, Msg, NaiveServer};

const SERVERS: [&str; 3] = ["athens", "byzantium", "cyrene"];

fn show_replicas(cluster: &Cluster<Msg>, key: &str) {
    for id in SERVERS {
        let value = cluster.node::<NaiveServer>(id).counters().get(key);
        let shown = value.map_or("absent".to_string(), |v| v.to_string());
        println!("    {id:<10} {shown}");
    }
}

fn main() {
    let pictures = PictureFiles::only_from_args("lagging_replica");
    let workload = CounterWorkload::default();
    let key = workload.key.clone();
    let mut cluster = Cluster::builder()
        .seed(7)
        .servers(SERVERS)
        .request_timeout(50)
        .build(|_, _| NaiveServer::new());
    cluster.add_client("alice");
    cluster.add_client("bob");
    let recorder: Recorder<CounterOp, i64> = Recorder::new();
    let call = |cluster: &mut Cluster<Msg>, client: &str, server: &str, op: CounterOp| {
        let mut w = workload.clone();
        let msg = w.request(&client.into(), &op);
        let input = op.clone();
        let reply = recorder.call(cluster, client, server, op.clone(), msg, move |r| {
            w.clone().interpret(&input, r)
        });
        let answer = cluster.run(&reply);
        println!("  {client} -> {server}: {op:?} answered {answer:?}");
    };

    println!("1. REPLICATE from athens to byzantium takes 6 ticks instead of 1.");
    cluster
        .net()
        .delay_kind("Replicate", "athens", "byzantium", 5);
    println!("2. alice adds 1 at athens:");
    call(&mut cluster, "alice", "athens", CounterOp::Increment(1));
    println!("   replicas right after alice's answer:");
    show_replicas(&cluster, &key);
    println!("3. bob, after alice was answered, adds 1 at byzantium:");
    call(&mut cluster, "bob", "byzantium", CounterOp::Increment(1));
    cluster.tick_n(10);
    println!("   replicas once everything arrived (they agree: increments commute):");
    show_replicas(&cluster, &key);

    let history = recorder.history();
    println!("\nthe history clients saw:\n{}", history.to_text());
    println!("timeline:\n{}", history.timeline());
    let verdict = check::linearizable(&IncrementCounter, &history);
    println!("linearizability check: {verdict}");
    println!("\nthe trace of the run:\n{}", cluster.trace().render());
    let title = "naive replication: bob is told 1 by a replica that has not seen alice's increment";
    pictures.write_or_exit(&SequenceDiagram::of_cluster(&cluster).title(title));
}
