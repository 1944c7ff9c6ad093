//! How many operations the Paxos log commits, and what duelling proposers cost.
//!
//! For a cluster of 3 and of 5 servers, `p` of the servers receive client requests
//! (`p` concurrent proposers), each from four clients that send a new `Set` as soon as
//! the last one is answered. The run lasts 20,000 ticks; a tick is 1 ms of simulated
//! time, a message takes 1 to 3 ticks, a synced write 1 or 2. For each row the example
//! prints the committed operations per simulated second, the mean latency, the ballots
//! prepared and failed per committed operation, and the simulator's own speed
//! (committed operations per wall-clock second). The one-proposer row of each cluster
//! is the baseline measured in the same run; the last column is each row's simulated
//! throughput relative to it.
//!
//! Run it with `cargo run --release -p paxoslog --example throughput [seed]`. The
//! simulated figures depend only on the seed (default 1) and reprint exactly; the
//! wall-clock column depends on the machine.

use common::{Cluster, NetConfig, Promise, StoreConfig, Tick};
use paxoslog::{Config, Msg, Operation, Server};

const TICKS: Tick = 20_000;
const CLIENTS_PER_PROPOSER: usize = 4;
const MS_PER_TICK: u64 = 1;
/// One-way message latency, drawn per message (FIFO per link).
const LATENCY_TICKS: (Tick, Tick) = (1, 3);
/// Time for a synced write, drawn per write.
const DISK_TICKS: (Tick, Tick) = (1, 2);

/// One row of the table.
struct Row {
    servers: usize,
    proposers: usize,
    committed: u64,
    mean_latency_ticks: f64,
    ballots: u64,
    failed: u64,
    wall_seconds: f64,
}

impl Row {
    fn per_simulated_second(&self) -> f64 {
        self.committed as f64 / (TICKS * MS_PER_TICK) as f64 * 1_000.0
    }

    fn per_wall_second(&self) -> f64 {
        self.committed as f64 / self.wall_seconds
    }
}

/// A client's request in flight: when it was sent, and its answer.
struct Outstanding {
    client: String,
    server: String,
    seq: u64,
    sent_at: Tick,
    call: Promise<Msg>,
}

fn send(cluster: &mut Cluster<Msg>, client: &str, server: &str, seq: u64) -> Outstanding {
    let op = Operation::set(format!("k{}", seq % 4), format!("{client}-{seq}"));
    Outstanding {
        client: client.to_string(),
        server: server.to_string(),
        seq,
        sent_at: cluster.now(),
        call: paxoslog::execute(cluster, client, server, seq, op),
    }
}

// The wall clock measures the simulator itself, from outside the simulated code.
#[allow(clippy::disallowed_methods)]
fn measure(seed: u64, servers: usize, proposers: usize) -> Row {
    let names = common::sim::server_names(servers);
    let builder = Cluster::builder()
        .seed(seed)
        .servers(names.clone())
        .net(NetConfig {
            latency: LATENCY_TICKS,
            trace_payloads: false,
            ..NetConfig::default()
        })
        .store(StoreConfig {
            delay: DISK_TICKS,
            ..StoreConfig::default()
        })
        .ms_per_tick(MS_PER_TICK)
        .request_timeout(2_000);
    let mut cluster = paxoslog::build(builder, Config::default());
    let started = std::time::Instant::now();
    let mut outstanding = Vec::new();
    for server in names.iter().take(proposers) {
        for c in 0..CLIENTS_PER_PROPOSER {
            let client = format!("{server}-client{c}");
            cluster.add_client(client.as_str());
            outstanding.push(send(&mut cluster, &client, server.as_str(), 1));
        }
    }
    let (mut committed, mut latency_total) = (0u64, 0u64);
    for _ in 0..TICKS {
        cluster.tick();
        for slot in &mut outstanding {
            let Some(answer) = slot.call.result() else {
                continue;
            };
            if paxoslog::reply(answer).is_ok() {
                committed += 1;
                latency_total += cluster.now() - slot.sent_at;
            }
            let (client, server, seq) = (slot.client.clone(), slot.server.clone(), slot.seq + 1);
            *slot = send(&mut cluster, &client, &server, seq);
        }
    }
    let wall_seconds = started.elapsed().as_secs_f64();
    let (mut ballots, mut failed) = (0, 0);
    for id in &names {
        let stats = cluster.node::<Server>(id.as_str()).proposer_stats();
        ballots += stats.ballots;
        failed += stats.failed_attempts;
    }
    Row {
        servers,
        proposers,
        committed,
        mean_latency_ticks: latency_total as f64 / committed.max(1) as f64,
        ballots,
        failed,
        wall_seconds,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "cargo run --release -p paxoslog --example throughput [seed]";
    let seed = match args.as_slice() {
        [] => 1,
        [seed] => seed.parse::<u64>().unwrap_or_else(|_| {
            common::cli::exit_usage(
                &format!("the seed must be a whole number, got `{seed}`"),
                usage,
            )
        }),
        _ => common::cli::exit_usage(&format!("one seed at most, got {args:?}"), usage),
    };
    println!(
        "seed {seed}; {TICKS} ticks of {MS_PER_TICK} ms; {CLIENTS_PER_PROPOSER} closed-loop clients per proposer; one-way latency {}..={} ticks, synced write {}..={} ticks",
        LATENCY_TICKS.0, LATENCY_TICKS.1, DISK_TICKS.0, DISK_TICKS.1
    );
    println!(
        "| servers | proposers | committed ops | ops / simulated s | mean latency (ticks) | ballots / op | failed attempts / op | ops / wall s | vs 1 proposer |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (servers, proposer_counts) in [(3, vec![1, 2, 3]), (5, vec![1, 2, 3, 5])] {
        let mut baseline = None;
        for proposers in proposer_counts {
            let row = measure(seed, servers, proposers);
            let base = *baseline.get_or_insert(row.per_simulated_second());
            let per_op = |n: u64| n as f64 / row.committed.max(1) as f64;
            println!(
                "| {} | {} | {} | {:.0} | {:.1} | {:.2} | {:.2} | {:.0} | {:.2} |",
                row.servers,
                row.proposers,
                row.committed,
                row.per_simulated_second(),
                row.mean_latency_ticks,
                per_op(row.ballots),
                per_op(row.failed),
                row.per_wall_second(),
                row.per_simulated_second() / base
            );
        }
    }
}
