//! Building a cluster for a lesson, and printing what happens in it tick by tick: the
//! helpers behind the tests and the examples.

use crate::client::{Recorder, model};
use crate::config::{Config, ConfigError};
use crate::messages::{GetOutcome, Msg, SetOutcome};
use crate::server::Replica;
use common::check;
use common::{Cluster, ClusterBuilder, ClusterError, Promise, Tick};
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

    /// Tick until `done` holds (within the cluster budget), printing each tick; a stuck
    /// cluster is reported as an error with what was pending.
    pub fn tick_until(
        &mut self,
        cluster: &mut Cluster<Msg>,
        mut done: impl FnMut(&Cluster<Msg>) -> bool,
    ) -> Result<Tick, ClusterError> {
        let budget = cluster.budget();
        for _ in 0..budget {
            if done(cluster) {
                return Ok(cluster.now());
            }
            cluster.try_tick()?;
            print!("{}", self.take(cluster));
        }
        if done(cluster) {
            return Ok(cluster.now());
        }
        Err(ClusterError::Stuck {
            ticks: budget,
            now: cluster.now(),
            report: cluster.report(),
        })
    }
}

/// A lesson run for a learner: a cluster, a recorder and a timeline printed to stdout as
/// the ticks go by. Every request is recorded; [`Lesson::finish`] prints the history and
/// the checkers' verdicts.
#[derive(Debug)]
pub struct Lesson {
    /// The cluster (faults and clocks are applied to it directly).
    pub cluster: Cluster<Msg>,
    /// What clients saw.
    pub recorder: Recorder,
    timeline: Timeline,
}

impl Lesson {
    /// A cluster of `servers` running `config` (seed 0) with `clients`, recording failed
    /// writes as `info`.
    pub fn new(servers: &[&str], config: Config, clients: &[&str]) -> Result<Self, ConfigError> {
        Self::with_recorder(servers, config, clients, Recorder::new())
    }

    /// As [`Lesson::new`] with a given recorder.
    pub fn with_recorder(
        servers: &[&str],
        config: Config,
        clients: &[&str],
        recorder: Recorder,
    ) -> Result<Self, ConfigError> {
        let mut cluster = build_cluster(servers, config, 0)?;
        for client in clients {
            cluster.add_client(*client);
        }
        let mut timeline = Timeline::new();
        timeline.take(&cluster);
        Ok(Lesson {
            cluster,
            recorder,
            timeline,
        })
    }

    /// Print a step of the story.
    pub fn say(&self, text: &str) {
        println!("\n== {text}");
    }

    /// Start a recorded write; the timeline prints as it runs ([`Lesson::wait`]).
    pub fn start_set(
        &mut self,
        client: &str,
        coordinator: &str,
        key: &str,
        value: &str,
    ) -> Promise<SetOutcome> {
        self.recorder
            .set(&mut self.cluster, client, coordinator, key, value)
    }

    /// Start a recorded read.
    pub fn start_get(&mut self, client: &str, coordinator: &str, key: &str) -> Promise<GetOutcome> {
        self.recorder
            .get(&mut self.cluster, client, coordinator, key)
    }

    /// Tick, printing the timeline, until `promise` completes; returns its outcome.
    pub fn wait<T: Clone + std::fmt::Debug + 'static>(
        &mut self,
        promise: &Promise<T>,
    ) -> Result<T, ClusterError> {
        self.tick_until(|_| !promise.is_pending())?;
        let outcome = promise
            .value()
            .unwrap_or_else(|| unreachable!("typed promises complete with an outcome"));
        println!("  => {outcome:?}");
        Ok(outcome)
    }

    /// A recorded write, run to its outcome.
    pub fn set(
        &mut self,
        client: &str,
        coordinator: &str,
        key: &str,
        value: &str,
    ) -> Result<SetOutcome, ClusterError> {
        self.flush();
        println!("\n-- {client} writes {key}={value:?} through {coordinator}");
        let promise = self.start_set(client, coordinator, key, value);
        self.wait(&promise)
    }

    /// A recorded read, run to its outcome.
    pub fn get(
        &mut self,
        client: &str,
        coordinator: &str,
        key: &str,
    ) -> Result<GetOutcome, ClusterError> {
        self.flush();
        println!("\n-- {client} reads {key} through {coordinator}");
        let promise = self.start_get(client, coordinator, key);
        self.wait(&promise)
    }

    /// Tick `n` times, printing the timeline.
    pub fn tick_n(&mut self, n: Tick) {
        self.timeline.tick_n(&mut self.cluster, n);
    }

    /// Tick until `done` holds, printing the timeline.
    pub fn tick_until(
        &mut self,
        done: impl FnMut(&Cluster<Msg>) -> bool,
    ) -> Result<Tick, ClusterError> {
        self.timeline.tick_until(&mut self.cluster, done)
    }

    /// Print what happened since the last tick (faults applied between ticks).
    pub fn flush(&mut self) {
        print!("{}", self.timeline.take(&self.cluster));
    }

    /// Print the replicas, the history (text and EDN) and both checkers' verdicts; returns
    /// whether the history is linearizable.
    pub fn finish(&mut self) -> bool {
        self.flush();
        println!("\n== replicas at the end:{}", replica_states(&self.cluster));
        let history = self.recorder.history();
        println!("\n== history\n{}", history.to_text());
        println!("== history (EDN, for Knossos)\n{}", history.to_edn());
        println!("== timeline\n{}", history.timeline());
        let linearizable = check::linearizable(&model(), &history);
        let sequential = check::sequential(&model(), &history);
        println!("== linearizable? {}\n{linearizable}", linearizable.is_ok());
        println!(
            "\n== sequentially consistent? {}\n{sequential}",
            sequential.is_ok()
        );
        linearizable.is_ok()
    }
}
