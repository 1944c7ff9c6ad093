//! What skipping phase 1 buys: Multi-Paxos against per-slot Paxos on the same workload.
//!
//! For a cluster of 3 and of 5 servers, athens is elected, then one or twelve clients send
//! it a new `Set` as soon as their last one is answered, for 20,000 ticks (a tick is 1 ms of
//! simulated time, a message takes 1 to 3 ticks, a synced write 1 or 2). The same run
//! is made twice: with [`PhaseOneMode::OncePerLeader`] (Multi-Paxos: one prepare, then
//! phase 2 only, pipelined) and with [`PhaseOneMode::EverySlot`] (the baseline: a fresh
//! prepare before every slot, one slot at a time, as per-slot Paxos does with a single
//! proposer). Each row prints the committed operations per simulated second, the mean
//! latency, the protocol messages between servers per committed operation, and the
//! simulator's own speed (operations per wall-clock second). The last column is the
//! simulated throughput relative to the per-slot row of the same cluster.
//!
//! Run it with `cargo run --release -p multipaxos --example phase_one_cost [seed]`. The
//! simulated figures depend only on the seed (default 1) and reprint exactly; the
//! wall-clock column depends on the machine.

use common::{Cluster, NetConfig, Promise, StoreConfig, Tick};
use multipaxos::{Config, Msg, Operation, PhaseOneMode, Server};

const TICKS: Tick = 20_000;
/// Closed-loop clients per run: one (no pipelining, so the rows isolate phase 1) and
/// twelve (the leader pipelines their slots).
const CLIENT_COUNTS: [usize; 2] = [1, 12];
const MS_PER_TICK: u64 = 1;
const LATENCY_TICKS: (Tick, Tick) = (1, 3);
const DISK_TICKS: (Tick, Tick) = (1, 2);

struct Row {
    servers: usize,
    clients: usize,
    mode: PhaseOneMode,
    committed: u64,
    mean_latency_ticks: f64,
    messages: u64,
    wall_seconds: f64,
}

impl Row {
    fn per_simulated_second(&self) -> f64 {
        self.committed as f64 / (TICKS * MS_PER_TICK) as f64 * 1_000.0
    }
}

struct Outstanding {
    client: String,
    seq: u64,
    sent_at: Tick,
    call: Promise<Msg>,
}

fn send(cluster: &mut Cluster<Msg>, leader: &str, client: &str, seq: u64) -> Outstanding {
    let op = Operation::set(format!("k{}", seq % 4), format!("{client}-{seq}"));
    Outstanding {
        client: client.to_string(),
        seq,
        sent_at: cluster.now(),
        call: multipaxos::execute(cluster, client, leader, seq, op),
    }
}

// The wall clock measures the simulator itself, from outside the simulated code.
#[allow(clippy::disallowed_methods)]
fn measure(seed: u64, servers: usize, clients: usize, mode: PhaseOneMode) -> Row {
    let names = common::sim::server_names(servers);
    let leader = names[0].to_string();
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
    let config = Config {
        phase_one: mode,
        ..Config::default()
    };
    let mut cluster = multipaxos::build(builder, config);
    cluster.act::<Server, _>(&leader, |s, ctx| s.start_election(ctx));
    let started = std::time::Instant::now();
    let mut outstanding = Vec::new();
    for c in 0..clients {
        let client = format!("client{c}");
        cluster.add_client(client.as_str());
        outstanding.push(send(&mut cluster, &leader, &client, 1));
    }
    let (mut committed, mut latency_total) = (0u64, 0u64);
    for _ in 0..TICKS {
        cluster.tick();
        for slot in &mut outstanding {
            let Some(answer) = slot.call.result() else {
                continue;
            };
            if multipaxos::reply(answer).is_ok() {
                committed += 1;
                latency_total += cluster.now() - slot.sent_at;
            }
            let (client, seq) = (slot.client.clone(), slot.seq + 1);
            *slot = send(&mut cluster, &leader, &client, seq);
        }
    }
    let wall_seconds = started.elapsed().as_secs_f64();
    let messages = names
        .iter()
        .map(|id| {
            cluster
                .node::<Server>(id.as_str())
                .stats()
                .messages_to_servers
        })
        .sum();
    Row {
        servers,
        clients,
        mode,
        committed,
        mean_latency_ticks: latency_total as f64 / committed.max(1) as f64,
        messages,
        wall_seconds,
    }
}

fn main() {
    let seed = match std::env::args().nth(1).map(|s| s.parse::<u64>()) {
        None => 1,
        Some(Ok(seed)) => seed,
        Some(Err(_)) => {
            eprintln!(
                "usage: cargo run --release -p multipaxos --example phase_one_cost [seed]   (the seed must be a whole number)"
            );
            std::process::exit(2);
        }
    };
    if std::env::args().nth(2).is_some() {
        eprintln!(
            "usage: cargo run --release -p multipaxos --example phase_one_cost [seed]   (one argument at most)"
        );
        std::process::exit(2);
    }
    println!(
        "seed {seed}; {TICKS} ticks of {MS_PER_TICK} ms; closed-loop clients at the leader; one-way latency {}..={} ticks, synced write {}..={} ticks",
        LATENCY_TICKS.0, LATENCY_TICKS.1, DISK_TICKS.0, DISK_TICKS.1
    );
    println!(
        "| servers | clients | phase 1 | committed ops | ops / simulated s | mean latency (ticks) | messages / op | ops / wall s | vs per-slot |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (servers, clients) in [3, 5]
        .into_iter()
        .flat_map(|s| CLIENT_COUNTS.map(|c| (s, c)))
    {
        let baseline = measure(seed, servers, clients, PhaseOneMode::EverySlot);
        let multi = measure(seed, servers, clients, PhaseOneMode::OncePerLeader);
        for row in [&baseline, &multi] {
            let mode = match row.mode {
                PhaseOneMode::EverySlot => "every slot",
                PhaseOneMode::OncePerLeader => "once per leader",
            };
            println!(
                "| {} | {} | {} | {} | {:.0} | {:.1} | {:.2} | {:.0} | {:.2} |",
                row.servers,
                row.clients,
                mode,
                row.committed,
                row.per_simulated_second(),
                row.mean_latency_ticks,
                row.messages as f64 / row.committed.max(1) as f64,
                row.committed as f64 / row.wall_seconds,
                row.per_simulated_second() / baseline.per_simulated_second()
            );
        }
    }
}
