//! The seeded fault runner for Multi-Paxos: clients issue sets, gets and
//! compare-and-swaps on a few keys under a random fault plan, the invariants are checked
//! after every tick, and the history is checked for linearizability against a
//! key-value store with compare-and-swap.

use super::install_invariants;
use common::nemesis::{FaultConfig, FaultMix};
use common::sim::{self, Check, Exercised, SeedFailure, SimConfig};
use common::workload::{KvCasClient, KvCasWorkload};
use common::{NetConfig, ProcessId, Redirect, StoreConfig};
use multipaxos::{Config, Msg, Operation, Outcome, RequestId};

/// The history's operations and outputs, and the model that checks them, are the kit's
/// key-value map with compare-and-swap; this section only maps them to its messages.
pub use common::check::models::{KvCas, KvCasOp as KvCmd, KvCasRet};

/// The operation a client sends for a history operation.
pub fn operation(cmd: &KvCmd) -> Operation {
    match cmd {
        KvCmd::Set { key, value } => Operation::set(key, value),
        KvCmd::Get { key } => Operation::get(key),
        KvCmd::Cas { key, expected, new } => Operation::cas(key, expected.as_deref(), new),
    }
}

/// What a client was told, in the model's terms: the outcome exactly as the server
/// reported it.
pub fn told(outcome: Outcome) -> KvCasRet {
    match outcome {
        Outcome::Stored { value } => KvCasRet::Stored { value },
        Outcome::Read { value } => KvCasRet::Read { value },
        Outcome::Swapped { swapped, previous } => KvCasRet::Swapped { swapped, previous },
    }
}

/// How this section's messages carry the kit's key-value workload.
pub struct Client;

impl KvCasClient for Client {
    type Msg = Msg;

    fn request(client: &ProcessId, seq: u64, op: &KvCmd) -> Msg {
        Msg::Execute {
            request: RequestId::new(client.clone(), seq),
            operation: operation(op),
        }
    }

    fn told(reply: &Msg) -> Option<KvCasRet> {
        match reply {
            Msg::Executed { outcome, .. } => Some(told(outcome.clone())),
            _ => None,
        }
    }

    /// `NotLeader { hint }` sends the client to the hint (or, without one, to the next
    /// server) with the same request id: safe, since a request executes at most once.
    fn redirect(reply: &Msg) -> Redirect {
        multipaxos::redirect(reply)
    }
}

/// Each client sends sets of unique values, gets, and compare-and-swaps (expecting a
/// value it saw or wrote, or an absent key), with its own request ids: the kit's
/// workload ([`common::workload`]) over this section's messages.
pub type KvWorkload = KvCasWorkload<Client>;

/// The fault mix of the sweep: message loss between servers, delays, duplication,
/// partitions, isolation, one-way cuts, holds, pauses, failing disk writes, clock jumps
/// and drift, and crashes with restart. Storage is slow (2 to 8 ticks per write) and a
/// crash loses every unsynced write (or, for a torn crash, keeps a random prefix of
/// them), so an acceptor that replies before its sync is exposed.
pub fn fault_config(seed: u64) -> SimConfig {
    SimConfig {
        chaos_ticks: 500,
        quiesce_ticks: 600,
        clients: 4,
        op_probability: 0.3,
        client_timeout: 300,
        client_attempt_timeout: Some(100),
        request_timeout: 20,
        net: NetConfig {
            latency: (1, 2),
            ..NetConfig::default()
        },
        store: StoreConfig {
            delay: (2, 10),
            ..StoreConfig::default()
        },
        faults: FaultConfig {
            mix: FaultMix {
                crash: 20,
                crash_torn: 6,
                ..FaultMix::all()
            },
            mean_gap_ticks: 12,
            duration_ticks: (2, 30),
            ..FaultConfig::default()
        },
        roundtrip_codec: true,
        ..SimConfig::new(seed)
    }
}

/// Probability that a message between two servers is lost.
pub const SERVER_LOSS: f64 = 0.03;

/// Run one seed with servers configured by `config`.
pub fn run_seed(seed: u64, config: &Config) -> Result<Exercised, Box<SeedFailure>> {
    run_with(&fault_config(seed), config)
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
    run_with(&five_server_config(seed), config)
}

/// Swarm testing: the seed also draws the cluster (3 or 5 servers), the clients, the
/// latencies, the storage delay and crash policy, and which kinds of fault occur. Random
/// loss is moved from every link to the links between servers only.
pub fn swarm_config(seed: u64) -> SimConfig {
    let mut config = SimConfig::swarm(seed);
    config.net.loss = 0.0;
    config.chaos_ticks = 300;
    config.client_timeout = 250;
    config.quiesce_ticks = 600;
    config
}

/// Run one swarm seed with servers configured by `config`.
pub fn run_swarm_seed(seed: u64, config: &Config) -> Result<Exercised, Box<SeedFailure>> {
    run_with(&swarm_config(seed), config)
}

/// Run one seed with servers configured by `config`, checking only the clients'
/// history (no per-tick invariants): what a black-box test of the service would see.
pub fn run_seed_history_only(seed: u64, config: &Config) -> Result<Exercised, Box<SeedFailure>> {
    let config = config.clone();
    let mut workload = KvWorkload::default();
    let run = sim::run(
        &fault_config(seed),
        move |builder| {
            let mut cluster = multipaxos::build(builder, config);
            cluster.set_loss_between_servers(SERVER_LOSS);
            cluster
        },
        &mut workload,
        &KvCas,
        Check::Linearizable,
    );
    run.into_result()
}

fn run_with(sim_config: &SimConfig, config: &Config) -> Result<Exercised, Box<SeedFailure>> {
    let config = config.clone();
    let mut workload = KvWorkload::default();
    let run = sim::run(
        sim_config,
        move |builder| {
            let mut cluster = multipaxos::build(builder, config);
            cluster.set_loss_between_servers(SERVER_LOSS);
            install_invariants(&mut cluster);
            cluster
        },
        &mut workload,
        &KvCas,
        Check::Linearizable,
    );
    run.into_result()
}
