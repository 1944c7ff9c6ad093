//! The seeded fault runner for Raft: the section's sweep workload and fault mix
//! ([`raft::sweep`]) with the invariant oracle checked after every tick.

use super::oracle;
use common::Cluster;
use common::sim::{Exercised, SeedFailure, SimConfig};
use raft::Config;
use raft::operator::{OperatorLog, Plan};
#[allow(unused_imports)]
pub use raft::sweep::{KvCas, KvWorkload, fault_config};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// Run one seed with servers configured by `config`.
pub fn run_seed(seed: u64, config: &Config) -> Result<Exercised, Box<SeedFailure>> {
    run_with(&fault_config(seed), config, true)
}

/// [`fault_config`] on five servers: the fault budget is two servers, so two faults can
/// overlap (one node crashed while another is cut off).
pub fn five_server_config(seed: u64) -> SimConfig {
    SimConfig {
        servers: common::sim::server_names(5),
        ..fault_config(seed)
    }
}

/// Run one five-server seed with servers configured by `config`.
pub fn run_five_server_seed(seed: u64, config: &Config) -> Result<Exercised, Box<SeedFailure>> {
    run_with(&five_server_config(seed), config, true)
}

/// Run one seed, checking only the clients' history (no per-tick oracle): what a
/// black-box test of the service would see.
pub fn run_seed_history_only(seed: u64, config: &Config) -> Result<Exercised, Box<SeedFailure>> {
    run_with(&fault_config(seed), config, false)
}

/// Run `sim_config` with servers configured by `config`, the oracle installed if
/// `oracle_on`.
pub fn run_with(
    sim_config: &SimConfig,
    config: &Config,
    oracle_on: bool,
) -> Result<Exercised, Box<SeedFailure>> {
    raft::sweep::run_with(sim_config, config, |cluster| {
        if oracle_on {
            oracle::install(cluster);
        }
    })
}

/// Swarm testing: the seed also draws the cluster (3 or 5 servers), the clients, the
/// latencies, the storage delay and crash policy, and which kinds of fault occur. Random
/// loss is moved from every link to the links between servers only.
pub fn swarm_config(seed: u64) -> SimConfig {
    let mut config = SimConfig::swarm(seed);
    config.net.loss = 0.0;
    config.chaos_ticks = 300;
    config.client_timeout = 250;
    config.client_attempt_timeout = Some(60);
    config.quiesce_ticks = 600;
    config.faults.mix.disk_fail = 0;
    config
}

/// Run one swarm seed with servers configured by `config`.
pub fn run_swarm_seed(seed: u64, config: &Config) -> Result<Exercised, Box<SeedFailure>> {
    run_with(&swarm_config(seed), config, true)
}

/// How much of step 5 a run exercised: snapshots taken and installed, chunks sent, and
/// restarts that found a snapshot on disk (summed over every incarnation of every node).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SnapshotTally {
    pub taken: u64,
    pub installed: u64,
    pub chunks: u64,
    pub restarts_from_snapshot: u64,
}

impl SnapshotTally {
    pub fn add(&mut self, other: SnapshotTally) {
        self.taken += other.taken;
        self.installed += other.installed;
        self.chunks += other.chunks;
        self.restarts_from_snapshot += other.restarts_from_snapshot;
    }
}

/// What the servers did with snapshots, per incarnation of each node: its counters and
/// whether it found a snapshot on disk when it started.
pub type SnapshotsSeen = Rc<RefCell<BTreeMap<(String, u32), (raft::Stats, bool)>>>;

/// Count what the servers do with snapshots into `seen`: a hook that reads them after
/// every tick and never fails a run.
pub fn count_snapshots(cluster: &mut Cluster<raft::Msg>, seen: &SnapshotsSeen) {
    let hook = Rc::clone(seen);
    cluster.add_invariant("(counts snapshots; never fails)", move |view| {
        let mut seen = hook.borrow_mut();
        for (id, node) in view.nodes::<raft::Server>() {
            let key = (id.to_string(), node.incarnation());
            let from_disk = seen
                .get(&key)
                .map_or(node.snapshot_index() > 0 && node.stats().writes == 0, |s| {
                    s.1
                });
            seen.insert(key, (node.stats(), from_disk));
        }
        Ok(())
    });
}

/// The sums of what [`count_snapshots`] saw.
pub fn tally(seen: &SnapshotsSeen) -> SnapshotTally {
    let mut tally = SnapshotTally::default();
    for ((_, incarnation), (stats, from_disk)) in seen.borrow().iter() {
        tally.taken += stats.snapshots_taken;
        tally.installed += stats.snapshots_installed;
        tally.chunks += stats.snapshot_chunks_sent;
        tally.restarts_from_snapshot += u64::from(*incarnation > 0 && *from_disk);
    }
    tally
}

/// Run one seed with the oracle, and count what the servers did with snapshots.
pub fn run_seed_counting_snapshots(
    sim_config: &SimConfig,
    config: &Config,
) -> Result<(Exercised, SnapshotTally), Box<SeedFailure>> {
    let seen = SnapshotsSeen::default();
    let exercised = raft::sweep::run_with(sim_config, config, |cluster| {
        oracle::install(cluster);
        count_snapshots(cluster, &seen);
    })?;
    Ok((exercised, tally(&seen)))
}

/// Run one seed of the membership sweep ([`raft::sweep::membership_fault_config`]): an
/// operator adds spares (learner, then voter), removes voters (never below three) and
/// transfers leadership, one request at a time, with the oracle after every tick.
pub fn run_membership_seed(
    seed: u64,
    config: &Config,
) -> (
    Result<Exercised, Box<SeedFailure>>,
    OperatorLog,
    SnapshotTally,
) {
    let seen = SnapshotsSeen::default();
    let plan = Plan::Random {
        min_voters: 3,
        max_voters: 5,
    };
    let result = raft::sweep::run_membership_with(
        &raft::sweep::membership_fault_config(seed),
        config,
        plan,
        MEMBERSHIP_GAP_TICKS,
        |cluster| {
            oracle::install(cluster);
            count_snapshots(cluster, &seen);
        },
    );
    (result.0, result.1, tally(&seen))
}

/// Ticks between two actions of the sweep's operator.
pub const MEMBERSHIP_GAP_TICKS: common::Tick = 10;
