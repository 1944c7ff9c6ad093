//! Building a cluster for a lesson, and printing what happens in it tick by tick.

use crate::config::{Config, ConfigError};
use crate::messages::Msg;
use crate::server::Replica;
use common::{Cluster, ClusterBuilder, Tick};
use std::fmt::Write as _;

/// Build a cluster of `servers` replicas running `config`, seeded with `seed`. The
/// cluster's request timeout (the clients' timeout) is `config.client_timeout_ticks`.
pub fn build_cluster(
    servers: &[&str],
    config: Config,
    seed: u64,
) -> Result<Cluster<Msg>, ConfigError> {
    config.validate(servers.len())?;
    let client_timeout = config.client_timeout_ticks;
    Ok(Cluster::builder()
        .seed(seed)
        .servers(servers.iter().copied())
        .request_timeout(client_timeout)
        .budget(client_timeout * 50)
        .build(move |id, _peers| Replica::new(id, config.clone())))
}

/// Build a cluster of `config` replicas from a builder that already names the servers
/// and the seed (e.g. `common::sim::SimConfig::builder`).
pub fn build_cluster_from(builder: ClusterBuilder, config: Config) -> Cluster<Msg> {
    builder.build(move |id, _peers| Replica::new(id, config.clone()))
}

/// The value replica `node` holds under `key` (a local read, no quorum).
pub fn stored(cluster: &Cluster<Msg>, node: &str, key: &str) -> Option<String> {
    cluster
        .node::<Replica>(node)
        .local_value(key)
        .map(str::to_owned)
}

/// Whether every replica holds `value` under `key`.
pub fn all_hold(cluster: &Cluster<Msg>, key: &str, value: &str) -> bool {
    cluster
        .servers()
        .iter()
        .all(|id| stored(cluster, id.as_str(), key).as_deref() == Some(value))
}

/// Tick until every replica holds `value` under `key`, for at most `budget` ticks.
/// Returns the tick at which they did, or an error describing who holds what.
pub fn wait_until_all_hold(
    cluster: &mut Cluster<Msg>,
    key: &str,
    value: &str,
    budget: Tick,
) -> Result<Tick, String> {
    cluster
        .tick_until_within(budget, |c| all_hold(c, key, value))
        .map_err(|_| {
            format!(
                "replicas did not converge on {key}={value:?} within {budget} ticks: {}",
                replica_states(cluster)
            )
        })
}

/// One line per replica: its clock and every version it stores.
pub fn replica_states(cluster: &Cluster<Msg>) -> String {
    let mut out = String::new();
    for id in cluster.servers() {
        let replica = cluster.node::<Replica>(id.as_str());
        let entries: Vec<String> = replica
            .entries()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let _ = write!(
            out,
            "\n    {:<10} clock {:>5}  {}",
            id.as_str(),
            cluster.wall_ms(id.as_str()),
            if entries.is_empty() {
                "(empty)".to_owned()
            } else {
                entries.join(", ")
            }
        );
    }
    out
}

fn replica_data(cluster: &Cluster<Msg>) -> String {
    let mut out = String::new();
    for id in cluster.servers() {
        for (k, v) in cluster.node::<Replica>(id.as_str()).entries() {
            let _ = write!(out, "{id}:{k}={v};");
        }
    }
    out
}

/// Prints a cluster's run as a per-tick timeline: the trace events of each tick, then
/// every replica's clock and stored versions whenever the stored versions changed.
#[derive(Debug, Default)]
pub struct Timeline {
    printed: u64,
    last_data: String,
}

impl Timeline {
    /// A timeline that has printed nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The events recorded since the last call, and the replica states if they changed.
    pub fn take(&mut self, cluster: &Cluster<Msg>) -> String {
        let trace = cluster.trace();
        let fresh = (trace.total() - self.printed) as usize;
        self.printed = trace.total();
        let kept: Vec<_> = trace.events().collect();
        let mut out = String::new();
        for event in &kept[kept.len().saturating_sub(fresh)..] {
            let _ = writeln!(out, "  {event}");
        }
        let data = replica_data(cluster);
        if !out.is_empty() && data != self.last_data {
            let _ = writeln!(out, "  replicas:{}", replica_states(cluster));
            self.last_data = data;
        }
        out
    }

    /// Tick `n` times, printing each tick's events.
    pub fn tick_n(&mut self, cluster: &mut Cluster<Msg>, n: Tick) {
        for _ in 0..n {
            cluster.tick();
            print!("{}", self.take(cluster));
        }
    }

    /// Tick until `done` holds (within the cluster budget), printing each tick.
    pub fn tick_until(
        &mut self,
        cluster: &mut Cluster<Msg>,
        mut done: impl FnMut(&Cluster<Msg>) -> bool,
    ) {
        let budget = cluster.budget();
        for _ in 0..budget {
            if done(cluster) {
                return;
            }
            cluster.tick();
            print!("{}", self.take(cluster));
        }
        panic!(
            "the lesson's condition did not hold within {budget} ticks:\n{}",
            cluster.report()
        );
    }
}
