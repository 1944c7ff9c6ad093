//! The seeded fault runner for Paxos: clients propose unique values under a random fault
//! plan, and the history is checked against a write-once register (the sequential
//! specification of single-decree consensus).

use super::install_invariants;
use common::check::Model;
use common::history::{Op, ToValue, Value as HistoryValue};
use common::nemesis::{FaultConfig, FaultMix};
use common::sim::{self, Answer, Check, Exercised, SeedFailure, SimConfig, Workload};
use common::{NetConfig, ProcessId, RpcError, SimRng, StoreConfig};
use paxos::{Config, Msg, Operation, RequestId};
use std::collections::BTreeMap;

/// "Propose my request as the value", as the history records it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Propose(pub RequestId);

impl Op for Propose {
    fn f(&self) -> &str {
        "propose"
    }
    fn value(&self) -> HistoryValue {
        self.0.to_string().to_value()
    }
}

/// What a client was told: whose request was chosen, and whether it was its own.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Told {
    pub chosen: RequestId,
    pub won: bool,
}

impl ToValue for Told {
    fn to_value(&self) -> HistoryValue {
        (self.chosen.to_string(), self.won).to_value()
    }
}

/// Single-decree consensus as a sequential object: the first proposal to take effect
/// is chosen; every proposal answers with the chosen one, and `won` exactly for it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Decree;

impl Model for Decree {
    type Input = Propose;
    type Output = Told;
    type State = Option<RequestId>;

    fn init(&self) -> Self::State {
        None
    }

    fn step(
        &self,
        state: &Self::State,
        input: &Propose,
        output: Option<&Told>,
    ) -> Option<Self::State> {
        let chosen = state.clone().unwrap_or_else(|| input.0.clone());
        match output {
            None => Some(Some(chosen)),
            Some(told) if told.chosen == chosen && told.won == (chosen == input.0) => {
                Some(Some(chosen))
            }
            Some(_) => None,
        }
    }
}

/// Each client proposes its own requests (`c1#1`, `c1#2`, ...) to random servers.
#[derive(Debug, Default)]
pub struct Proposals {
    next_seq: BTreeMap<ProcessId, u64>,
}

impl Proposals {
    fn fresh(&mut self, client: &ProcessId) -> Propose {
        let seq = self.next_seq.entry(client.clone()).or_insert(0);
        *seq += 1;
        Propose(RequestId::new(client.clone(), *seq))
    }
}

impl Workload<Msg> for Proposals {
    type Input = Propose;
    type Output = Told;

    fn next_op(&mut self, _rng: &mut SimRng, client: &ProcessId) -> Option<Propose> {
        Some(self.fresh(client))
    }

    fn request(&mut self, _client: &ProcessId, input: &Propose) -> Msg {
        Msg::Execute {
            request: input.0.clone(),
            operation: Operation::set("decree", input.0.to_string()),
        }
    }

    fn interpret(&mut self, _input: &Propose, reply: Result<Msg, RpcError>) -> Answer<Told> {
        match reply {
            Ok(Msg::Executed { chosen, won, .. }) => Answer::Ok(Told { chosen, won }),
            // Gave up or timed out: the proposal may still be chosen later.
            _ => Answer::Info,
        }
    }

    fn final_op(&mut self, client: &ProcessId) -> Option<Propose> {
        Some(self.fresh(client))
    }
}

/// The fault mix of the sweep: drops (random loss between servers), delays, duplication, partitions,
/// isolation, one-way cuts, pauses, failing disk writes, and crashes with restart.
/// Storage is slow (1 to 4 ticks per write) and a crash loses every write not yet synced,
/// so an acceptor that replies before its sync is exposed.
pub fn fault_config(seed: u64) -> SimConfig {
    SimConfig {
        chaos_ticks: 120,
        quiesce_ticks: 600,
        op_probability: 0.5,
        client_timeout: 300,
        request_timeout: 20,
        net: NetConfig {
            latency: (1, 2),
            ..NetConfig::default()
        },
        store: StoreConfig {
            delay: (4, 16),
            ..StoreConfig::default()
        },
        faults: FaultConfig {
            mix: FaultMix {
                crash: 25,
                ..FaultMix::network_and_crashes()
            },
            mean_gap_ticks: 4,
            duration_ticks: (1, 12),
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

/// Swarm testing: the seed also draws the cluster (3 or 5 servers), the clients, the
/// latencies, the storage delay and crash policy, and which kinds of fault occur. Random
/// loss is moved from every link to the links between servers only, as in
/// [`fault_config`].
pub fn swarm_config(seed: u64) -> SimConfig {
    let mut config = SimConfig::swarm(seed);
    config.net.loss = 0.0;
    config.chaos_ticks = 300;
    config.client_timeout = 300;
    config.quiesce_ticks = 600;
    config
}

/// Run one swarm seed with servers configured by `config`.
pub fn run_swarm_seed(seed: u64, config: &Config) -> Result<Exercised, Box<SeedFailure>> {
    run_with(&swarm_config(seed), config)
}

fn run_with(sim_config: &SimConfig, config: &Config) -> Result<Exercised, Box<SeedFailure>> {
    let config = config.clone();
    let mut workload = Proposals::default();
    let run = sim::run(
        sim_config,
        move |builder| {
            let mut cluster = paxos::build(builder, config);
            cluster.set_loss_between_servers(SERVER_LOSS);
            install_invariants(&mut cluster);
            cluster
        },
        &mut workload,
        &Decree,
        Check::Linearizable,
    );
    run.into_result()
}
