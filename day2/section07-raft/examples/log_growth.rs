//! Storage over time, with and without log compaction: three servers, three clients
//! writing as fast as they are answered to eight keys for 3,000 ticks; a follower is
//! down from tick 1,000 to tick 1,400 and comes back far behind. Every 50 ticks the run
//! records the longest log on any server's disk (entries) and the largest snapshot
//! (bytes).
//!
//! Run it with `cargo run -p raft --example log_growth`; add `--svg <file>` to draw the
//! chart. The run is seeded: the same seed prints the same numbers on every machine.

use common::chart::{Chart, Series, Style};
use common::cli::{Flags, exit_usage};
use common::{Cluster, Promise, Tick};
use raft::{Config, Msg, Operation, Server};

const SERVERS: [&str; 3] = ["athens", "byzantium", "cyrene"];
const CLIENTS: [&str; 3] = ["alice", "bob", "carol"];
const SEED: u64 = 7;
const TICKS: Tick = 3_000;
const SAMPLE_EVERY: Tick = 50;
const SNAPSHOT_EVERY: u64 = 64;
const DOWN: (Tick, Tick) = (1_000, 1_400);

/// One sample: the tick, the longest log on disk (entries), the largest snapshot (bytes).
type Sample = (Tick, u64, u64);

struct Run {
    samples: Vec<Sample>,
    committed: u64,
    installed: u64,
}

fn run(config: Config) -> Run {
    let builder = Cluster::builder()
        .seed(SEED)
        .servers(SERVERS)
        .request_timeout(200)
        .budget(TICKS + 1_000);
    let mut cluster = raft::build(builder, config);
    for client in CLIENTS {
        cluster.add_client(client);
    }
    let mut calls: Vec<Option<Promise<Msg>>> = vec![None; CLIENTS.len()];
    let mut seqs = [0u64; CLIENTS.len()];
    let mut samples = Vec::new();
    let down = SERVERS[2];
    while cluster.now() < TICKS {
        for (i, client) in CLIENTS.iter().enumerate() {
            if calls[i].as_ref().is_none_or(|c| !c.is_pending()) {
                seqs[i] += 1;
                let key = format!("k{}", (seqs[i] + i as u64) % 8);
                let value = format!("{client}-{}", seqs[i]);
                let to = SERVERS[(seqs[i] as usize + i) % 2];
                calls[i] = Some(raft::execute_following(
                    &mut cluster,
                    client,
                    to,
                    seqs[i],
                    Operation::set(key, value),
                    200,
                ));
            }
        }
        cluster.tick();
        let now = cluster.now();
        if now == DOWN.0 {
            cluster.crash(down);
        }
        if now == DOWN.1 {
            cluster.restart(down);
        }
        if now.is_multiple_of(SAMPLE_EVERY) {
            let mut longest = 0u64;
            let mut snapshot = 0u64;
            for id in SERVERS {
                let log = cluster.store(id).durable().log();
                longest = longest.max(log.len() as u64);
                snapshot = snapshot.max(log.snapshot().map_or(0, |s| s.data.len() as u64));
            }
            samples.push((now, longest, snapshot));
        }
    }
    let committed = SERVERS
        .iter()
        .filter_map(|id| cluster.try_node::<Server>(id))
        .map(Server::commit_index)
        .max()
        .unwrap_or(0);
    let installed = cluster
        .try_node::<Server>(down)
        .map_or(0, |s| s.stats().snapshots_installed);
    Run {
        samples,
        committed,
        installed,
    }
}

fn main() {
    let usage = "log_growth [--svg <file>]";
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flags = Flags::parse("log_growth", &args, &["svg"], &[])
        .unwrap_or_else(|e| exit_usage(&e.to_string(), usage));
    let without = run(Config::default());
    let with = run(Config::with_snapshots(SNAPSHOT_EVERY, 1024));
    let max_of = |r: &Run, f: fn(&Sample) -> u64| r.samples.iter().map(f).max().unwrap_or(0);
    println!(
        "seed {SEED}; three servers, three closed-loop clients over eight keys, {TICKS} ticks; {} down from tick {} to {}",
        SERVERS[2], DOWN.0, DOWN.1
    );
    println!("figures:raft-log-growth begin");
    println!(
        "| run | entries committed | longest log on disk at the end | longest log on disk, ever | largest snapshot | snapshots installed by the returning follower |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, r) in [
        ("without snapshots", &without),
        (
            &*format!("a snapshot every {SNAPSHOT_EVERY} applied entries"),
            &with,
        ),
    ] {
        let end = r.samples.last().map_or(0, |s| s.1);
        println!(
            "| {name} | {} | {end} entries | {} entries | {} bytes | {} |",
            r.committed,
            max_of(r, |s| s.1),
            max_of(r, |s| s.2),
            r.installed
        );
    }
    println!("figures:raft-log-growth end");
    if let Some(file) = flags.get("svg") {
        let line = |r: &Run| r.samples.iter().map(|s| (s.0 as f64, s.1 as f64)).collect();
        let chart = Chart {
            title: format!(
                "Longest log on any server's disk (a follower down from tick {} to {})",
                DOWN.0, DOWN.1
            ),
            x_label: "tick".into(),
            y_label: "log entries on disk".into(),
            log_y: false,
            series: vec![
                Series {
                    name: "without snapshots".into(),
                    color: "#d62728",
                    style: Style::Line,
                    points: line(&without),
                },
                Series {
                    name: format!("snapshot every {SNAPSHOT_EVERY}"),
                    color: "#1f77b4",
                    style: Style::Line,
                    points: line(&with),
                },
            ],
        };
        if let Err(e) = std::fs::write(file, chart.render()) {
            eprintln!("cannot write {file}: {e}");
            std::process::exit(1);
        }
        println!("wrote {file}");
    }
}
