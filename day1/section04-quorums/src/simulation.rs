//! The randomized simulation: several clients read and write a few keys through random
//! coordinators while the nemesis partitions, delays and holds messages (and, in the
//! skewed variants, jumps and drifts clocks). Every history is then checked for
//! linearizability.
//!
//! [`Variant`] names the configurations the lesson compares; [`run_seed`] runs one seed
//! of one variant with `common`'s runner.

use crate::client::{FailedWrites, KvInput, KvOutput, model, read_answer, write_answer};
use crate::config::{Config, ReadRepair};
use crate::lab::build_cluster_from;
use crate::messages::{GetOutcome, Msg, SetOutcome};
use common::check::models::KvOp;
use common::nemesis::{FaultConfig, FaultMix};
use common::sim::{self, Answer, Check, SimConfig, SimRun, Workload};
use common::{ProcessId, RpcError, SimRng};
use std::collections::BTreeMap;

/// One configuration of the store and of the simulated world.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// R = W = 1, no read repair, clocks in lockstep.
    OneReplicaQuorums,
    /// Majority quorums, no read repair, clocks in lockstep.
    MajorityNoRepair,
    /// Majority quorums, asynchronous read repair, clocks in lockstep.
    MajorityAsyncRepair,
    /// Majority quorums, synchronous read repair, clocks in lockstep: linearizable.
    MajoritySyncRepair,
    /// Majority quorums, synchronous read repair, clocks jumping and drifting.
    MajoritySyncRepairClockSkew,
    /// As [`Variant::MajoritySyncRepair`], but failed writes are recorded as `fail`:
    /// the checker then rejects histories of a correct store (a recording bug).
    MajoritySyncRepairFailedWritesAsFail,
}

impl Variant {
    /// Every variant, weakest first.
    pub const ALL: [Variant; 6] = [
        Variant::OneReplicaQuorums,
        Variant::MajorityNoRepair,
        Variant::MajorityAsyncRepair,
        Variant::MajoritySyncRepair,
        Variant::MajoritySyncRepairClockSkew,
        Variant::MajoritySyncRepairFailedWritesAsFail,
    ];

    /// A short description for the results table.
    pub fn describe(self) -> &'static str {
        match self {
            Variant::OneReplicaQuorums => "R = W = 1, no read repair",
            Variant::MajorityNoRepair => "majority R, W; no read repair",
            Variant::MajorityAsyncRepair => "majority R, W; async read repair",
            Variant::MajoritySyncRepair => "majority R, W; sync read repair; clocks in lockstep",
            Variant::MajoritySyncRepairClockSkew => "majority R, W; sync read repair; clock skew",
            Variant::MajoritySyncRepairFailedWritesAsFail => {
                "as above in lockstep, failed writes recorded as fail"
            }
        }
    }

    /// The store's configuration.
    pub fn config(self) -> Config {
        let base = Config {
            coordinator_timeout_ticks: 10,
            client_timeout_ticks: 40,
            ..Config::default()
        };
        match self {
            Variant::OneReplicaQuorums => Config {
                read_quorum: Some(1),
                write_quorum: Some(1),
                ..base
            },
            Variant::MajorityNoRepair => base,
            Variant::MajorityAsyncRepair => Config {
                read_repair: ReadRepair::Async,
                ..base
            },
            Variant::MajoritySyncRepair
            | Variant::MajoritySyncRepairClockSkew
            | Variant::MajoritySyncRepairFailedWritesAsFail => Config {
                read_repair: ReadRepair::Sync,
                ..base
            },
        }
    }

    /// Whether clocks are jumped and drifted.
    pub fn skews_clocks(self) -> bool {
        self == Variant::MajoritySyncRepairClockSkew
    }

    /// How failed writes are recorded.
    pub fn failed_writes(self) -> FailedWrites {
        match self {
            Variant::MajoritySyncRepairFailedWritesAsFail => FailedWrites::Fail,
            _ => FailedWrites::Info,
        }
    }

    /// Whether every history of this variant must be linearizable.
    pub fn expected_linearizable(self) -> bool {
        self == Variant::MajoritySyncRepair
    }
}

/// The simulated world for `variant` and `seed`: three replicas, three clients, 600
/// ticks of network faults (partitions, isolation, one-way cuts, delays, holds) with
/// latency 1 to 3 ticks, plus clock jumps and drift for the skewed variant.
///
/// Crashes are left out because this section keeps replicas in memory (a restarted
/// replica would come back empty), and message duplication because the coordinator does
/// not deduplicate client requests (a duplicated write is re-stamped later and can
/// overwrite a newer one; see the idempotent receiver pattern).
pub fn sim_config(variant: Variant, seed: u64) -> SimConfig {
    let config = variant.config();
    let mix = FaultMix {
        delay: 6,
        hold: 2,
        duplicate: 0,
        clock_jump: if variant.skews_clocks() { 3 } else { 0 },
        clock_drift: if variant.skews_clocks() { 1 } else { 0 },
        ..FaultMix::network()
    };
    SimConfig {
        chaos_ticks: 600,
        quiesce_ticks: 300,
        op_probability: 0.15,
        client_timeout: config.client_timeout_ticks,
        request_timeout: config.coordinator_timeout_ticks,
        faults: FaultConfig {
            mix,
            mean_gap_ticks: 20,
            ..FaultConfig::default()
        },
        ..SimConfig::new(seed)
    }
}

/// Clients read and write two keys with unique values through random coordinators.
#[derive(Debug)]
pub struct KvWorkload {
    keys: Vec<String>,
    written: BTreeMap<ProcessId, u64>,
    failed_writes: FailedWrites,
}

impl KvWorkload {
    /// Two keys, `x` and `y`; failed writes recorded as `failed_writes` says.
    pub fn new(failed_writes: FailedWrites) -> Self {
        KvWorkload {
            keys: vec!["x".to_owned(), "y".to_owned()],
            written: BTreeMap::new(),
            failed_writes,
        }
    }
}

impl Workload<Msg> for KvWorkload {
    type Input = KvInput;
    type Output = KvOutput;

    fn next_op(&mut self, rng: &mut SimRng, client: &ProcessId) -> Option<KvInput> {
        let key = self.keys[rng.below(self.keys.len())].clone();
        if rng.chance(0.3) {
            let n = self.written.entry(client.clone()).or_insert(0);
            *n += 1;
            Some(KvOp::Write(key, Some(format!("{client}-{n}"))))
        } else {
            Some(KvOp::Read(key))
        }
    }

    fn request(&mut self, _client: &ProcessId, input: &KvInput) -> Msg {
        match input {
            KvOp::Read(key) => Msg::ClientGet { key: key.clone() },
            KvOp::Write(key, value) => Msg::ClientSet {
                key: key.clone(),
                value: value.clone().unwrap_or_default(),
            },
        }
    }

    fn interpret(&mut self, input: &KvInput, reply: Result<Msg, RpcError>) -> Answer<KvOutput> {
        match (input, reply) {
            (KvOp::Write(..), Ok(Msg::ClientSetReply { outcome, .. })) => {
                write_answer(&outcome, self.failed_writes)
            }
            (KvOp::Write(..), _) => write_answer(&SetOutcome::Timeout, self.failed_writes),
            (KvOp::Read(_), Ok(Msg::ClientGetReply { outcome, .. })) => read_answer(&outcome),
            (KvOp::Read(_), _) => read_answer(&GetOutcome::Timeout),
        }
    }

    fn final_op(&mut self, _client: &ProcessId) -> Option<KvInput> {
        Some(KvOp::Read(self.keys[0].clone()))
    }
}

/// Run one seed of `variant` and check its history for linearizability.
pub fn run_seed(variant: Variant, seed: u64) -> SimRun<KvInput, KvOutput> {
    let sim = sim_config(variant, seed);
    let config = variant.config();
    let mut workload = KvWorkload::new(variant.failed_writes());
    sim::run(
        &sim,
        |builder| build_cluster_from(builder, config),
        &mut workload,
        &model(),
        Check::Linearizable,
    )
}

/// How one variant fared over a range of seeds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tally {
    /// The variant.
    pub variant: Variant,
    /// Seeds run.
    pub seeds: u64,
    /// Histories the checker proved not linearizable.
    pub violations: u64,
    /// Runs where the checker ran out of budget (neither pass nor violation).
    pub gave_up: u64,
    /// Runs that failed for another reason (liveness after healing, invariants).
    pub other_failures: u64,
    /// The first seed whose history was not linearizable.
    pub first_violation: Option<u64>,
    /// Operations recorded, over all runs.
    pub operations: u64,
}

impl Tally {
    /// Fraction of seeds whose history is not linearizable.
    pub fn violation_rate(&self) -> f64 {
        if self.seeds == 0 {
            0.0
        } else {
            self.violations as f64 / self.seeds as f64
        }
    }
}

/// Run `seeds` of `variant` and count what the checker found.
pub fn tally(variant: Variant, seeds: impl IntoIterator<Item = u64>) -> Tally {
    let mut tally = Tally {
        variant,
        seeds: 0,
        violations: 0,
        gave_up: 0,
        other_failures: 0,
        first_violation: None,
        operations: 0,
    };
    for seed in seeds {
        let run = run_seed(variant, seed);
        tally.seeds += 1;
        tally.operations += run.history.len() as u64 / 2;
        match (&run.verdict, &run.failure) {
            (Some(verdict), _) if verdict.is_violation() => {
                tally.violations += 1;
                tally.first_violation.get_or_insert(seed);
            }
            (Some(verdict), _) if verdict.gave_up() => tally.gave_up += 1,
            (_, Some(_)) => tally.other_failures += 1,
            _ => {}
        }
    }
    tally
}

/// The results as a Markdown table, one row per tally.
pub fn table(tallies: &[Tally]) -> String {
    let mut out = String::from(
        "| configuration | seeds | not linearizable | first failing seed |\n|---|---:|---:|---:|\n",
    );
    for t in tallies {
        let first = t.first_violation.map_or("-".to_owned(), |s| s.to_string());
        out.push_str(&format!(
            "| {} | {} | {} ({:.1} %) | {} |\n",
            t.variant.describe(),
            t.seeds,
            t.violations,
            100.0 * t.violation_rate(),
            first
        ));
    }
    out
}
