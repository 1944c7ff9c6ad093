//! How fast the simulated Raft cluster runs on this machine.
//!
//! 1. **Committed operations per wall-clock second**, for 3 and 5 servers, with client
//!    writes batched (entries appended during a tick are written and sent once, at the
//!    end of the tick) and unbatched (each write persisted and sent on its own: the
//!    baseline, measured in the same run). Twelve closed-loop clients send a new `Set`
//!    to the leader as soon as their last one is answered, for 5,000 ticks. Each row also
//!    prints the simulated throughput (operations per 1,000 ticks) and the disk writes
//!    per committed operation; the ratio column compares the batched row with the
//!    unbatched row of the same cluster.
//! 2. **Seeds per second of the fault sweep**: the first 200 seeds of the section's sweep
//!    (faults, crashes, the linearizability check; the per-tick oracle lives in the tests
//!    and is not included), against a baseline measured in the same run: the same
//!    simulations with no faults and no history check.
//!
//! Run it with `cargo run --release -p raft --example raft_bench`. The simulated columns
//! depend only on the seeds and reprint exactly; the wall-clock columns depend on the
//! machine and its load.

use common::nemesis::FaultConfig;
use common::sim::SimConfig;
use common::{Cluster, NetConfig, Promise, StoreConfig, Tick};
use raft::{Config, Msg, Operation, Server};

const TICKS: Tick = 5_000;
const CLIENTS: usize = 12;
const SWEEP_SEEDS: u64 = 200;

struct Row {
    servers: usize,
    batched: bool,
    committed: u64,
    writes: u64,
    wall_seconds: f64,
}

impl Row {
    fn per_wall_second(&self) -> f64 {
        self.committed as f64 / self.wall_seconds
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.is_empty() {
        common::cli::exit_usage(
            &format!("`raft_bench` takes no arguments, got {args:?}"),
            "raft_bench",
        );
    }
    println!("== committed operations per wall-clock second ({CLIENTS} clients, {TICKS} ticks)");
    println!(
        "| servers | client writes | committed | per 1,000 ticks | disk writes per op | per wall-clock second | ratio to unbatched |"
    );
    println!("|---|---|---|---|---|---|---|");
    for servers in [3, 5] {
        let unbatched = throughput(servers, false);
        let batched = throughput(servers, true);
        for row in [&unbatched, &batched] {
            println!(
                "| {} | {} | {} | {:.1} | {:.2} | {:.0} | {:.2} |",
                row.servers,
                if row.batched {
                    "batched"
                } else {
                    "one at a time"
                },
                row.committed,
                row.committed as f64 * 1_000.0 / TICKS as f64,
                row.writes as f64 / row.committed.max(1) as f64,
                row.per_wall_second(),
                row.per_wall_second() / unbatched.per_wall_second()
            );
        }
    }
    println!("\n== seeds per second of the fault sweep ({SWEEP_SEEDS} seeds)");
    let (faulty, passed) = sweep_speed(true);
    let (quiet, _) = sweep_speed(false);
    println!("| run | seeds | seeds per second | ratio to baseline |");
    println!("|---|---|---|---|");
    println!(
        "| faults, crashes and the linearizability check ({passed} passed) | {SWEEP_SEEDS} | {faulty:.1} | {:.2} |",
        faulty / quiet
    );
    println!("| baseline: no faults, no history check | {SWEEP_SEEDS} | {quiet:.1} | 1.00 |");
}

fn throughput(servers: usize, batched: bool) -> Row {
    let names = common::sim::server_names(servers);
    let builder = Cluster::builder()
        .seed(1)
        .servers(names.iter().map(|n| n.as_str().to_string()))
        .net(NetConfig {
            latency: (1, 2),
            trace_payloads: false,
            ..NetConfig::default()
        })
        .store(StoreConfig {
            delay: (1, 2),
            ..StoreConfig::default()
        })
        .request_timeout(200)
        .trace_capacity(1_000)
        .fold_trace("Heartbeat");
    let config = Config {
        batch_client_writes: batched,
        ..Config::default()
    };
    let mut cluster = raft::build(builder, config);
    let clients: Vec<String> = (0..CLIENTS).map(|i| format!("c{i}")).collect();
    for c in &clients {
        cluster.add_client(c.as_str());
    }
    if cluster
        .tick_until_within(500, |c| {
            names
                .iter()
                .any(|n| c.node::<Server>(n.as_str()).is_leader())
        })
        .is_err()
    {
        eprintln!("no leader within 500 ticks");
        std::process::exit(1);
    }
    let leader = names
        .iter()
        .find(|n| cluster.node::<Server>(n.as_str()).is_leader())
        .map(|n| n.as_str().to_string())
        .unwrap_or_default();
    let writes_before: u64 = names
        .iter()
        .map(|n| cluster.node::<Server>(n.as_str()).stats().writes)
        .sum();
    let mut seqs = [0u64; CLIENTS];
    let mut calls: Vec<Option<Promise<Msg>>> = (0..CLIENTS).map(|_| None).collect();
    let mut committed = 0;
    #[allow(clippy::disallowed_methods)] // a benchmark measures wall-clock time
    let started = std::time::Instant::now();
    let end = cluster.now() + TICKS;
    while cluster.now() < end {
        for i in 0..CLIENTS {
            let done = calls[i].as_ref().is_none_or(|c| !c.is_pending());
            if !done {
                continue;
            }
            if let Some(call) = calls[i].take()
                && matches!(cluster.run(&call), Ok(Msg::Executed { .. }))
            {
                committed += 1;
            }
            seqs[i] += 1;
            let op = Operation::set(format!("k{}", seqs[i] % 4), format!("c{i}-{}", seqs[i]));
            calls[i] = Some(raft::execute(
                &mut cluster,
                &clients[i],
                &leader,
                seqs[i],
                op,
            ));
        }
        cluster.tick();
    }
    let wall_seconds = started.elapsed().as_secs_f64();
    let writes: u64 = names
        .iter()
        .map(|n| cluster.node::<Server>(n.as_str()).stats().writes)
        .sum::<u64>()
        - writes_before;
    Row {
        servers,
        batched,
        committed,
        writes,
        wall_seconds,
    }
}

/// Seeds per wall-clock second of the sweep (with faults and the history check) or of
/// its baseline; and how many seeds passed.
fn sweep_speed(faults: bool) -> (f64, u64) {
    #[allow(clippy::disallowed_methods)] // a benchmark measures wall-clock time
    let started = std::time::Instant::now();
    let mut passed = 0;
    for seed in 0..SWEEP_SEEDS {
        let mut sim_config: SimConfig = raft::sweep::fault_config(seed);
        if !faults {
            sim_config.faults = FaultConfig::none();
            sim_config.max_states = 0;
        }
        let outcome = if faults {
            raft::sweep::run_with(&sim_config, &Config::default(), |_| {})
        } else {
            raft::sweep::run_unchecked(&sim_config, &Config::default())
        };
        passed += u64::from(outcome.is_ok());
    }
    (SWEEP_SEEDS as f64 / started.elapsed().as_secs_f64(), passed)
}
