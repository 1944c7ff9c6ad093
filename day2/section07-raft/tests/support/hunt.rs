//! A leader-hunting adversary: the fault schedule that produces Figure 8.
//!
//! The kit's nemesis draws its faults in advance, blind to the protocol; the situation
//! of Figure 8 needs leaders that lose contact right after they are elected, while their
//! newest entries are on few servers. This adversary watches the cluster every tick and,
//! when a server becomes leader, cuts it off a seeded-random 0 to 12 ticks later (with
//! probability 0.7), for 5 to 60 ticks, never more than two of five servers at once,
//! while three clients keep writing. The oracle checks every tick; a violation is
//! reported through the kit's runner (`find_failure`, `sweep`) like any other seed.

use super::{ALICE, BOB, CAROL, FIVE, oracle};
use common::sim::{Exercised, Failure, SeedFailure};
use common::{Cluster, ClusterBuilder, Promise, SimRng, StoreConfig, Tick};
use raft::{Config, Msg, Operation, Server};
use std::collections::BTreeSet;

/// Ticks of the hunt, then ticks healed.
pub const HUNT_TICKS: Tick = 1000;
const SETTLE_TICKS: Tick = 200;

/// What the hunt's cluster runs: `config` with one entry per AppendEntries, so that a
/// new leader's inherited entries and its no-op reach followers in separate messages,
/// as in the paper's figure.
pub fn hunt_config(config: Config) -> Config {
    Config {
        max_entries_per_append: 1,
        ..config
    }
}

/// Run one seed of the hunt with servers configured by `config`.
pub fn run_hunt(seed: u64, config: &Config) -> Result<Exercised, Box<SeedFailure>> {
    let servers: Vec<&str> = FIVE.to_vec();
    let n = servers.len();
    let builder = ClusterBuilder::new()
        .seed(seed)
        .servers(servers.iter().copied())
        .store(StoreConfig {
            delay: (1, 3),
            ..StoreConfig::default()
        })
        .request_timeout(60);
    let mut cluster = raft::build(builder, hunt_config(config.clone()));
    // A cut also loses what is in flight: a leader cut right after its election may
    // never get its first AppendEntries out.
    cluster
        .net()
        .set_partition_mode(common::PartitionMode::AtSendAndDelivery);
    let mut writers = HuntWriters::new(&mut cluster);
    oracle::install(&mut cluster);
    let mut rng = SimRng::derive(seed, "leader-hunt");
    let mut seen: BTreeSet<(String, u64)> = BTreeSet::new();
    let mut commits: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    let mut cuts: Vec<(Tick, Tick, String)> = Vec::new();
    let mut exercised = Exercised {
        seeds: 1,
        ..Exercised::default()
    };
    for tick in 0..HUNT_TICKS + SETTLE_TICKS {
        let hunting = tick < HUNT_TICKS;
        writers.step(&mut cluster, &mut rng, hunting, &mut exercised);
        let now = cluster.now();
        for (id, node) in cluster.view().nodes::<Server>() {
            if !hunting || !node.is_leader() {
                continue;
            }
            let fresh = seen.insert((id.to_string(), node.term()));
            let committed =
                commits.insert(id.to_string(), node.commit_index()) != Some(node.commit_index());
            let delay = if committed && !fresh {
                // Right after its commit index moved: the followers do not know yet.
                Some(0)
            } else if fresh && rng.chance(0.5) {
                // Right after the election, often before its no-op is out.
                Some(rng.range(0, 2))
            } else if rng.chance(0.04) {
                // Some time into its leadership, possibly mid-replication.
                Some(0)
            } else {
                None
            };
            if let Some(delay) = delay {
                let start = now + delay;
                cuts.push((start, start + rng.range(5, 60), id.to_string()));
                exercised.planned_faults += 1;
            }
        }
        let active: Vec<String> = cuts
            .iter()
            .filter(|(start, end, _)| *start <= now && now < *end)
            .map(|(_, _, id)| id.clone())
            .collect();
        let mut cut: Vec<String> = Vec::new();
        for id in active {
            if cut.len() < (n - 1) / 2 && !cut.contains(&id) {
                cut.push(id);
            }
        }
        cluster.heal_all();
        for id in &cut {
            cluster.isolate(id);
        }
        if let Err(e) = cluster.try_tick() {
            let trace = cluster.trace().tail(300);
            let report = format!(
                "leader hunt, seed {seed}: {e}\n{}\ntrace tail:\n{trace}",
                cluster.report()
            );
            return Err(Box::new(SeedFailure {
                seed,
                ticks: cluster.now(),
                failure: Failure::Invariant(e.to_string()),
                report: report.clone(),
                artefacts: vec![("summary.txt", report), ("trace-tail.txt", trace)],
                written_to: None,
            }));
        }
    }
    Ok(exercised)
}

/// The writers of a hunt: three clients (alice, bob, carol) that, while the hunt is on,
/// each send a set of a unique value to a random server with probability 0.3 a tick when
/// idle, following leader hints for 60 ticks; answered sets are counted in `exercised`.
pub struct HuntWriters {
    calls: [Option<Promise<Msg>>; 3],
    seqs: [u64; 3],
}

impl HuntWriters {
    const CLIENTS: [&'static str; 3] = [ALICE, BOB, CAROL];

    /// Add the three clients to `cluster`.
    pub fn new(cluster: &mut Cluster<Msg>) -> Self {
        for client in Self::CLIENTS {
            cluster.add_client(client);
        }
        HuntWriters {
            calls: [None, None, None],
            seqs: [0; 3],
        }
    }

    /// One tick's worth: collect finished calls, start new ones while `hunting`.
    pub fn step(
        &mut self,
        cluster: &mut Cluster<Msg>,
        rng: &mut SimRng,
        hunting: bool,
        exercised: &mut Exercised,
    ) {
        for (i, client) in Self::CLIENTS.iter().enumerate() {
            if self.calls[i].as_ref().is_some_and(|c| !c.is_pending()) {
                if matches!(
                    cluster.run(self.calls[i].as_ref().expect("checked")),
                    Ok(Msg::Executed { .. })
                ) {
                    exercised.completed_ops += 1;
                }
                self.calls[i] = None;
            }
            if self.calls[i].is_none() && hunting && rng.chance(0.3) {
                self.seqs[i] += 1;
                let target = FIVE[rng.below(FIVE.len())];
                exercised.invoked_ops += 1;
                self.calls[i] = Some(raft::execute_following(
                    cluster,
                    client,
                    target,
                    self.seqs[i],
                    Operation::set("k", format!("{client}-{}", self.seqs[i])),
                    60,
                ));
            }
        }
    }
}
