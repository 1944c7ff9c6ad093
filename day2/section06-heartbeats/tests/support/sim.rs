//! The seeded fault runner for Multi-Paxos with heartbeats: clients issue sets, gets and
//! compare-and-swaps on a few keys under a random fault plan, the invariants are checked
//! after every tick, and the history is checked for linearizability against a
//! key-value store with compare-and-swap.

use super::install_invariants;
use common::nemesis::{FaultConfig, FaultMix};
use common::sim::{self, Check, Exercised, SeedFailure, SimConfig};
use common::workload::{KvCasClient, KvCasWorkload};
use common::{Cluster, NetConfig, ProcessId, Redirect, StoreConfig};
use heartbeats::{Config, Msg, Operation, Outcome, RequestId, Role, Server};
use std::cell::Cell;

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
        heartbeats::redirect(reply)
    }
}

/// Each client sends sets of unique values, gets, and compare-and-swaps (expecting a
/// value it saw or wrote, or an absent key), with its own request ids: the kit's
/// workload ([`common::workload`]) over this section's messages.
pub type KvWorkload = KvCasWorkload<Client>;

/// The fault mix of the sweep: leader crashes and restarts (with and without torn
/// unsynced writes), minority partitions, isolation, one-way cuts, lossy links, delays,
/// pauses, clock jumps and drift, duplicated messages and failing disk writes. Crashes,
/// partitions, one-way cuts and lossy links are weighted up: they are what a failure
/// detector must tell apart from a slow leader.
pub fn fault_config(seed: u64) -> SimConfig {
    SimConfig {
        chaos_ticks: 500,
        quiesce_ticks: QUIESCE_TICKS,
        clients: 3,
        op_probability: 0.2,
        client_timeout: 200,
        client_attempt_timeout: Some(60),
        request_timeout: 20,
        net: NetConfig {
            latency: (1, 2),
            ..NetConfig::default()
        },
        store: StoreConfig {
            delay: (1, 4),
            ..StoreConfig::default()
        },
        faults: FaultConfig {
            mix: FaultMix {
                crash: 18,
                crash_torn: 4,
                partition: 6,
                isolate: 4,
                one_way: 6,
                lossy: 6,
                clock_drift: 3,
                clock_jump: 1,
                pause: 3,
                ..FaultMix::all()
            },
            mean_gap_ticks: 25,
            duration_ticks: (5, 80),
            ..FaultConfig::default()
        },
        roundtrip_codec: true,
        ..SimConfig::new(seed)
    }
}

/// The liveness bound, part one: within this many ticks of the faults healing, one
/// server leads and every other follows it.
pub const LEADER_AFTER_HEAL_TICKS: u64 = 200;
/// The liveness bound, part two: every client request outstanding when the faults heal
/// completes (answered or timed out) within this many ticks, and then each client's final
/// request must succeed within as many again.
pub const QUIESCE_TICKS: u64 = 400;

/// Probability that a message between two servers is lost.
pub const SERVER_LOSS: f64 = 0.02;

thread_local! {
    /// The longest time from healing to a settled leader seen on this thread.
    static SLOWEST_RECOVERY: Cell<u64> = const { Cell::new(0) };
}

/// Forget the slowest recovery (call before a sweep on this thread).
pub fn reset_slowest_recovery() {
    SLOWEST_RECOVERY.with(|c| c.set(0));
}

/// The longest time from healing to a settled leader since the last reset.
pub fn slowest_recovery() -> u64 {
    SLOWEST_RECOVERY.with(Cell::get)
}

/// The liveness check after healing: by `healed_at + LEADER_AFTER_HEAL_TICKS` one server
/// must have led with every other following it (checked on every tick, reported as a
/// violation at the bound).
pub fn install_leader_after_heal(cluster: &mut Cluster<Msg>, healed_at: u64) {
    let servers: Vec<String> = cluster.servers().iter().map(|s| s.to_string()).collect();
    let mut settled = false;
    cluster.add_invariant("a leader soon after the faults heal", move |view| {
        let now = view.now();
        if settled || now <= healed_at {
            return Ok(());
        }
        let leaders: Vec<&String> = servers
            .iter()
            .filter(|id| view.node::<Server>(id).is_some_and(Server::is_leader))
            .collect();
        if let [leader] = leaders.as_slice() {
            let follows = servers.iter().all(|id| {
                id == *leader
                    || view.node::<Server>(id).is_some_and(|s| {
                        *s.role()
                            == Role::Follower {
                                leader: Some(leader.as_str().into()),
                            }
                    })
            });
            if follows {
                settled = true;
                let took = now - healed_at;
                SLOWEST_RECOVERY.with(|c| c.set(c.get().max(took)));
                return Ok(());
            }
        }
        if now >= healed_at + LEADER_AFTER_HEAL_TICKS {
            return Err(format!(
                "liveness: no settled leader {LEADER_AFTER_HEAL_TICKS} ticks after the faults healed (leaders now: {leaders:?})"
            ));
        }
        Ok(())
    });
}

/// Run one seed with servers configured by `config`.
pub fn run_seed(seed: u64, config: &Config) -> Result<Exercised, Box<SeedFailure>> {
    run_with(&fault_config(seed), config)
}

/// [`fault_config`] on five servers: two servers may be away at once.
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

/// Three servers that boot together on a network with one fixed latency and no faults:
/// the set-up in which equal election timeouts split every vote.
pub fn lockstep_config(seed: u64) -> SimConfig {
    SimConfig {
        chaos_ticks: 200,
        net: NetConfig {
            latency: (1, 1),
            ..NetConfig::default()
        },
        faults: FaultConfig::none(),
        ..fault_config(seed)
    }
}

/// Run one lockstep seed with servers configured by `config`.
pub fn run_lockstep_seed(seed: u64, config: &Config) -> Result<Exercised, Box<SeedFailure>> {
    run_with_loss(&lockstep_config(seed), config, 0.0)
}

/// Run one seed with servers configured by `config`, checking the clients' history and
/// per-slot agreement only — not the generation invariant, nor liveness: what a test
/// that does not know about leaders would see.
pub fn run_seed_without_generation_check(
    seed: u64,
    config: &Config,
) -> Result<Exercised, Box<SeedFailure>> {
    let config = config.clone();
    let mut workload = KvWorkload::default();
    let run = sim::run(
        &fault_config(seed),
        move |builder| {
            let mut cluster = heartbeats::build(builder, config);
            cluster.set_loss_between_servers(SERVER_LOSS);
            super::install_slot_invariants(&mut cluster);
            cluster
        },
        &mut workload,
        &KvCas,
        Check::Linearizable,
    );
    run.into_result()
}

fn run_with(sim_config: &SimConfig, config: &Config) -> Result<Exercised, Box<SeedFailure>> {
    run_with_loss(sim_config, config, SERVER_LOSS)
}

fn run_with_loss(
    sim_config: &SimConfig,
    config: &Config,
    loss: f64,
) -> Result<Exercised, Box<SeedFailure>> {
    let config = config.clone();
    let healed_at = sim_config.chaos_ticks;
    let mut workload = KvWorkload::default();
    let run = sim::run(
        sim_config,
        move |builder| {
            let mut cluster = heartbeats::build(builder, config);
            if loss > 0.0 {
                cluster.set_loss_between_servers(loss);
            }
            install_invariants(&mut cluster);
            install_leader_after_heal(&mut cluster, healed_at);
            cluster
        },
        &mut workload,
        &KvCas,
        Check::Linearizable,
    );
    run.into_result()
}
