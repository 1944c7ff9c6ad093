//! The failure detector's trade-off, measured: for each heartbeat interval and election
//! timeout, on a network that loses 10% of the messages between servers and delays each
//! by 1 to 4 ticks, how long the cluster takes to notice a crashed leader and to settle
//! on a new one, and how often a follower suspects a leader that is alive.
//!
//! Per configuration and seed: three servers elect a leader; then 2,000 healthy ticks
//! count false suspicions (a follower's election timer firing while the leader runs)
//! and needless elections (a follower standing for election, past its pre-vote); then the
//! leader crashes, and the run measures the ticks to the first suspicion and to a new
//! leader that the surviving follower follows.
//!
//! Run it with `cargo run -p heartbeats --example detector_tradeoff`; add `--svg <file>`
//! to draw the chart (time to a new leader against false suspicions). The table is
//! seeded: the same seeds print the same numbers on every machine.

use common::chart::{Chart, Series, Style};
use common::cli::{Flags, exit_usage};
use common::{Cluster, NetConfig, Tick};
use heartbeats::{Config, Msg, Server};

const SERVERS: [&str; 3] = ["athens", "byzantium", "cyrene"];
const SEEDS: u64 = 20;
const HEALTHY_TICKS: Tick = 2_000;
const LOSS: f64 = 0.10;
const LATENCY: (Tick, Tick) = (1, 4);
const INTERVALS: [Tick; 3] = [2, 5, 10];
const TIMEOUTS: [Tick; 5] = [10, 20, 30, 40, 80];
/// Ticks after which a run that has not settled is counted as stuck.
const GIVE_UP_TICKS: Tick = 3_000;

/// What one configuration measured over all seeds.
#[derive(Debug, Default)]
struct Measured {
    detect_ticks: Vec<Tick>,
    new_leader_ticks: Vec<Tick>,
    false_suspicions: u64,
    needless_elections: u64,
    healthy_ticks: Tick,
    stuck: u64,
}

fn mean(values: &[Tick]) -> f64 {
    if values.is_empty() {
        f64::NAN
    } else {
        values.iter().sum::<Tick>() as f64 / values.len() as f64
    }
}

fn max(values: &[Tick]) -> Tick {
    values.iter().copied().max().unwrap_or(0)
}

fn settled_leader(cluster: &Cluster<Msg>, among: &[&str]) -> Option<String> {
    let leaders: Vec<&&str> = among
        .iter()
        .filter(|id| {
            cluster
                .try_node::<Server>(id)
                .is_some_and(Server::is_leader)
        })
        .collect();
    let [leader] = leaders.as_slice() else {
        return None;
    };
    let leader = leader.to_string();
    let followed = among.iter().all(|id| {
        **id == leader
            || cluster.try_node::<Server>(id).is_some_and(|s| {
                *s.role()
                    == heartbeats::Role::Follower {
                        leader: Some(leader.as_str().into()),
                    }
            })
    });
    followed.then_some(leader)
}

fn counts(cluster: &Cluster<Msg>, among: &[&str]) -> (u64, u64) {
    among.iter().fold((0, 0), |(s, e), id| {
        let stats = cluster.node::<Server>(id).stats();
        (s + stats.pre_votes, e + stats.elections)
    })
}

fn run_one(config: &Config, seed: u64, measured: &mut Measured) {
    let builder = Cluster::builder()
        .seed(seed)
        .servers(SERVERS)
        .net(NetConfig {
            latency: LATENCY,
            ..NetConfig::default()
        })
        .request_timeout(100)
        .budget(GIVE_UP_TICKS * 4);
    let mut cluster = heartbeats::build(builder, config.clone());
    cluster.set_loss_between_servers(LOSS);
    if cluster
        .tick_until_within(GIVE_UP_TICKS, |c| settled_leader(c, &SERVERS).is_some())
        .is_err()
    {
        measured.stuck += 1;
        return;
    }
    // Healthy period: every suspicion is a false one (no process ever stops).
    let (suspicions, elections) = counts(&cluster, &SERVERS);
    cluster.tick_n(HEALTHY_TICKS);
    let (suspicions_after, elections_after) = counts(&cluster, &SERVERS);
    measured.false_suspicions += suspicions_after - suspicions;
    measured.needless_elections += elections_after - elections;
    measured.healthy_ticks += HEALTHY_TICKS;
    // Wait for a settled leader again, then crash it.
    let Ok(_) = cluster.tick_until_within(GIVE_UP_TICKS, |c| settled_leader(c, &SERVERS).is_some())
    else {
        measured.stuck += 1;
        return;
    };
    let Some(leader) = settled_leader(&cluster, &SERVERS) else {
        measured.stuck += 1;
        return;
    };
    let rest: Vec<&str> = SERVERS.iter().copied().filter(|s| **s != leader).collect();
    let crashed_at = cluster.now();
    let (before, _) = counts(&cluster, &rest);
    cluster.crash(&leader);
    let mut detected = None;
    while cluster.now() < crashed_at + GIVE_UP_TICKS {
        cluster.tick();
        if detected.is_none() && counts(&cluster, &rest).0 > before {
            detected = Some(cluster.now() - crashed_at);
        }
        if settled_leader(&cluster, &rest).is_some() {
            break;
        }
    }
    match (detected, settled_leader(&cluster, &rest)) {
        (Some(detect), Some(_)) => {
            measured.detect_ticks.push(detect);
            measured.new_leader_ticks.push(cluster.now() - crashed_at);
        }
        _ => measured.stuck += 1,
    }
}

fn main() {
    let usage = "detector_tradeoff [--svg <file>]";
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flags = Flags::parse("detector_tradeoff", &args, &["svg"], &[])
        .unwrap_or_else(|e| exit_usage(&e.to_string(), usage));
    let mut rows = Vec::new();
    for interval in INTERVALS {
        for timeout in TIMEOUTS {
            let config = Config::with_timing(interval, timeout);
            let mut measured = Measured::default();
            for seed in 0..SEEDS {
                run_one(&config, seed, &mut measured);
            }
            rows.push((interval, timeout, measured));
        }
    }
    println!(
        "{SEEDS} seeds per row; {:.0}% loss between servers, latency {} to {} ticks; timeouts drawn in [T, 2T)",
        LOSS * 100.0,
        LATENCY.0,
        LATENCY.1
    );
    println!("figures:heartbeats-detector begin");
    println!(
        "| heartbeat interval | election timeout T | detect a crash (mean / max) | new leader (mean / max) | false suspicions per 10,000 ticks | needless elections per 10,000 ticks | runs stuck |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for (interval, timeout, m) in &rows {
        let per = |n: u64| n as f64 * 10_000.0 / m.healthy_ticks.max(1) as f64;
        println!(
            "| {interval} | {timeout} | {:.1} / {} | {:.1} / {} | {:.1} | {:.1} | {} |",
            mean(&m.detect_ticks),
            max(&m.detect_ticks),
            mean(&m.new_leader_ticks),
            max(&m.new_leader_ticks),
            per(m.false_suspicions),
            per(m.needless_elections),
            m.stuck
        );
    }
    println!("figures:heartbeats-detector end");
    if let Some(file) = flags.get("svg") {
        let colors = ["#1f77b4", "#d62728", "#2ca02c"];
        let series = INTERVALS
            .iter()
            .zip(colors)
            .map(|(interval, color)| Series {
                name: format!("heartbeat every {interval}"),
                color,
                style: Style::Line,
                points: rows
                    .iter()
                    .filter(|(i, _, _)| i == interval)
                    .map(|(_, _, m)| {
                        let per =
                            m.false_suspicions as f64 * 10_000.0 / m.healthy_ticks.max(1) as f64;
                        (mean(&m.new_leader_ticks), per)
                    })
                    .collect(),
            })
            .collect();
        let chart = Chart {
            title: format!(
                "Failure detection: faster means more false suspicions ({:.0}% loss, T = {TIMEOUTS:?})",
                LOSS * 100.0
            ),
            x_label: "mean ticks from a leader crash to a new leader".into(),
            y_label: "false suspicions per 10,000 ticks".into(),
            log_y: false,
            series,
        };
        if let Err(e) = std::fs::write(file, chart.render()) {
            eprintln!("cannot write {file}: {e}");
            std::process::exit(1);
        }
        println!("wrote {file}");
    }
}
