//! The workload and fault mix of the section's seeded fault sweep, shared by the tests
//! (which add the invariant oracle) and the benchmark: clients issue sets, gets
//! (answered by ReadIndex) and compare-and-swaps on a few keys under a random fault
//! plan, and the history is checked for linearizability against a key-value store with
//! compare-and-swap.

use crate::config::Config;
use crate::messages::{Msg, Operation, Outcome, RequestId};
use common::nemesis::{FaultConfig, FaultMix};
use common::sim::{self, Check, Exercised, SeedFailure, SimConfig};
use common::workload::{KvCasClient, KvCasWorkload};
use common::{Cluster, NetConfig, ProcessId, Redirect, StoreConfig};

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
    /// server) with the same request id: safe, since a request is applied at most once.
    fn redirect(reply: &Msg) -> Redirect {
        crate::client::redirect(reply)
    }
}

/// Each client sends sets of unique values, gets, and compare-and-swaps (expecting a
/// value it saw or wrote, or an absent key), with its own request ids: the kit's
/// workload ([`common::workload`]) over this section's messages.
pub type KvWorkload = KvCasWorkload<Client>;

/// The fault mix of the sweep: message loss between servers, delays (which reorder),
/// duplication, partitions, isolation, one-way cuts, holds, pauses, clock jumps and
/// drift, and crashes with restart — most of them losing every unsynced write, some
/// keeping a random prefix of them. Storage is slow (1 to 6 ticks per write), so a node
/// that answers before its sync is exposed. Failing disk writes are left out: a Raft
/// node stops on a failed write (see the essay) and would only test liveness.
pub fn fault_config(seed: u64) -> SimConfig {
    SimConfig {
        chaos_ticks: 400,
        quiesce_ticks: 600,
        clients: 4,
        op_probability: 0.3,
        client_timeout: 300,
        client_attempt_timeout: Some(60),
        request_timeout: 20,
        net: NetConfig {
            latency: (1, 2),
            ..NetConfig::default()
        },
        store: StoreConfig {
            delay: (1, 6),
            ..StoreConfig::default()
        },
        faults: FaultConfig {
            mix: FaultMix {
                crash: 20,
                crash_torn: 6,
                disk_fail: 0,
                ..FaultMix::all()
            },
            mean_gap_ticks: 12,
            duration_ticks: (2, 40),
            ..FaultConfig::default()
        },
        roundtrip_codec: true,
        ..SimConfig::new(seed)
    }
}

/// Probability that a message between two servers is lost.
pub const SERVER_LOSS: f64 = 0.03;

/// Run `sim_config` with servers configured by `config`; `prepare` runs on the cluster
/// before the run (the tests install their invariant oracle there).
pub fn run_with(
    sim_config: &SimConfig,
    config: &Config,
    prepare: impl FnOnce(&mut Cluster<Msg>),
) -> Result<Exercised, Box<SeedFailure>> {
    let config = config.clone();
    let mut workload = KvWorkload::default();
    let run = sim::run(
        sim_config,
        move |builder| {
            let mut cluster = crate::client::build(builder, config);
            cluster.set_loss_between_servers(SERVER_LOSS);
            prepare(&mut cluster);
            cluster
        },
        &mut workload,
        &KvCas,
        Check::Linearizable,
    );
    run.into_result()
}

/// The run without the loss between servers and without the history check: the
/// benchmark's baseline, whose configuration has no faults either.
pub fn run_unchecked(
    sim_config: &SimConfig,
    config: &Config,
) -> Result<Exercised, Box<SeedFailure>> {
    let config = config.clone();
    let mut workload = KvWorkload::default();
    let run = sim::run(
        sim_config,
        move |builder| crate::client::build(builder, config),
        &mut workload,
        &KvCas,
        Check::None,
    );
    run.into_result()
}

/// The operator's name in the membership sweep (it is not one of the history's clients).
pub const OPERATOR: &str = "operator";

/// The membership variant of the sweep: five server processes, of which the first three
/// form the first configuration and the other two are spares; the fault plan may crash
/// any of the five. An operator ([`crate::operator::Operator`]) changes the membership
/// during the chaos phase (see [`run_membership_with`]).
pub fn membership_fault_config(seed: u64) -> SimConfig {
    SimConfig {
        servers: sim::server_names(5),
        ..fault_config(seed)
    }
}

/// Run `sim_config` with servers configured by `config`, the first three servers as the
/// first configuration's voters, and an operator that follows `plan` until the end of the
/// chaos phase, one action every `gap_ticks` at most; `prepare` runs on the cluster
/// before the run. Returns the run's result and what the operator did.
pub fn run_membership_with(
    sim_config: &SimConfig,
    config: &Config,
    plan: crate::operator::Plan,
    gap_ticks: common::Tick,
    prepare: impl FnOnce(&mut Cluster<Msg>),
) -> (
    Result<Exercised, Box<SeedFailure>>,
    crate::operator::OperatorLog,
) {
    use crate::membership::Configuration;
    use crate::operator::{Operator, OperatorLog};
    let servers = sim_config.servers.clone();
    let first = Configuration::new(servers.iter().take(3).cloned());
    let config = Config {
        voters: Some(first.voters.clone()),
        ..config.clone()
    };
    let log = std::rc::Rc::new(std::cell::RefCell::new(OperatorLog::default()));
    let operator_log = std::rc::Rc::clone(&log);
    let until = sim_config.chaos_ticks;
    let mut workload = KvWorkload::default();
    let run = sim::run(
        sim_config,
        move |builder| {
            let mut cluster = crate::client::build(builder, config);
            cluster.set_loss_between_servers(SERVER_LOSS);
            cluster.add_client_with(OPERATOR, move |_, _| {
                Operator::new(
                    &servers,
                    first.clone(),
                    plan.clone(),
                    until,
                    gap_ticks,
                    std::rc::Rc::clone(&operator_log),
                )
            });
            prepare(&mut cluster);
            cluster
        },
        &mut workload,
        &KvCas,
        Check::Linearizable,
    );
    let result = run.into_result();
    let log = log.borrow().clone();
    (result, log)
}
