//! The seeded fault runner for Raft: the section's sweep workload and fault mix
//! ([`raft::sweep`]) with the invariant oracle checked after every tick.

use super::oracle;
use common::sim::{Exercised, SeedFailure, SimConfig};
use raft::Config;
use raft::operator::{OperatorLog, Plan};
#[allow(unused_imports)]
pub use raft::sweep::{KvCas, KvWorkload, fault_config};

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

/// Run one seed of the membership sweep ([`raft::sweep::membership_fault_config`]): an
/// operator adds spares (learner, then voter), removes voters (never below three) and
/// transfers leadership, one request at a time, with the oracle after every tick.
pub fn run_membership_seed(
    seed: u64,
    config: &Config,
) -> (Result<Exercised, Box<SeedFailure>>, OperatorLog) {
    let plan = Plan::Random {
        min_voters: 3,
        max_voters: 5,
    };
    raft::sweep::run_membership_with(
        &raft::sweep::membership_fault_config(seed),
        config,
        plan,
        MEMBERSHIP_GAP_TICKS,
        |cluster| {
            oracle::install(cluster);
        },
    )
}

/// Ticks between two actions of the sweep's operator.
pub const MEMBERSHIP_GAP_TICKS: common::Tick = 10;
