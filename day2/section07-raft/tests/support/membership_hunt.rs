//! A membership-hunting adversary: the fault schedule that splits an old configuration
//! from a new one.
//!
//! Five server processes, the first configuration `{athens, byzantium, cyrene}` and two
//! spares. An operator grows the cluster to five voters — one server at a time (delphi,
//! then ephesus) or, with the broken [`raft::ChangeRule::ManyAtOnce`], both in one entry —
//! while three clients write. The adversary watches the leaders every tick: when one
//! appends a configuration entry, it soon cuts the leader and the servers that entry made
//! voters off from the rest, for a while (the fault plan that makes two majorities that do
//! not intersect, if the change allows them). The oracle checks every tick.

use super::hunt::HuntWriters;
use super::membership::OPERATOR;
use super::{FIVE, oracle};
use common::sim::{Exercised, Failure, SeedFailure};
use common::{ClusterBuilder, Follow, ProcessId, Promise, SimRng, StoreConfig, Tick};
use raft::{Config, Configuration, MembershipChange, Msg, RequestId, Server};
use std::collections::BTreeSet;

/// Ticks of the hunt, then ticks healed.
pub const HUNT_TICKS: Tick = 600;
const SETTLE_TICKS: Tick = 200;

/// The changes the operator asks for, in order.
fn changes(config: &Config) -> Vec<MembershipChange> {
    let spares = [FIVE[3], FIVE[4]].map(ProcessId::new);
    if config.change_rule == raft::ChangeRule::ManyAtOnce {
        vec![MembershipChange::AddVoters(spares.into())]
    } else {
        spares
            .into_iter()
            .map(MembershipChange::AddServer)
            .collect()
    }
}

/// Run one seed of the membership hunt with servers configured by `config`.
pub fn run_membership_hunt(seed: u64, config: &Config) -> Result<Exercised, Box<SeedFailure>> {
    let first = Configuration::new(FIVE[..3].iter().copied());
    let builder = ClusterBuilder::new()
        .seed(seed)
        .servers(FIVE)
        .store(StoreConfig {
            delay: (1, 3),
            ..StoreConfig::default()
        })
        .request_timeout(60);
    let server_config = Config {
        voters: Some(first.voters.clone()),
        ..config.clone()
    };
    let mut cluster = raft::build(builder, server_config);
    cluster
        .net()
        .set_partition_mode(common::PartitionMode::AtSendAndDelivery);
    let mut writers = HuntWriters::new(&mut cluster);
    cluster.add_client(OPERATOR);
    oracle::install(&mut cluster);
    let mut rng = SimRng::derive(seed, "membership-hunt");
    let mut todo = changes(config);
    let mut admin: Option<Promise<Msg>> = None;
    let mut admin_seq = 0;
    let mut seen: BTreeSet<(String, u64)> = BTreeSet::new();
    let mut split: Option<(Tick, Tick, Vec<String>)> = None;
    let mut exercised = Exercised {
        seeds: 1,
        ..Exercised::default()
    };
    for tick in 0..HUNT_TICKS + SETTLE_TICKS {
        let hunting = tick < HUNT_TICKS;
        writers.step(&mut cluster, &mut rng, hunting, &mut exercised);
        // The operator: one change at a time, the next once the last is done.
        if admin.as_ref().is_some_and(|a| !a.is_pending()) {
            let answer = cluster.run(admin.as_ref().expect("checked"));
            if matches!(answer, Ok(Msg::MembershipChanged { .. })) {
                todo.remove(0);
            }
            admin = None;
        }
        if admin.is_none() && hunting && tick % 10 == 0 && !todo.is_empty() {
            admin_seq += 1;
            let request = RequestId::new(OPERATOR, admin_seq);
            let msg = Msg::ChangeMembership {
                request,
                change: todo[0].clone(),
            };
            let follow = Follow::new(120, raft::redirect).attempt_timeout(60);
            let to = FIVE[rng.below(3)];
            admin = Some(cluster.call_following(OPERATOR, to, msg, follow));
        }
        // The adversary: a leader that appends a configuration is soon cut off together
        // with the voters that configuration added.
        let now = cluster.now();
        for (id, node) in cluster.view().nodes::<Server>() {
            let appended = (id.to_string(), node.configuration_index());
            if !hunting || !node.is_leader() || node.configuration_index() == 0 {
                continue;
            }
            if split.is_none() && seen.insert(appended) && rng.chance(0.8) {
                let mut side: Vec<String> = node
                    .configuration()
                    .voters
                    .iter()
                    .filter(|v| !first.is_voter(v.as_str()))
                    .map(ToString::to_string)
                    .collect();
                side.push(id.to_string());
                let start = now + rng.range(0, 3);
                split = Some((start, start + rng.range(30, 120), side));
                exercised.planned_faults += 1;
            }
        }
        cluster.heal_all();
        if let Some((start, end, side)) = &split {
            if *start <= now && now < *end {
                let side: Vec<&str> = side.iter().map(String::as_str).collect();
                let rest: Vec<&str> = FIVE.iter().copied().filter(|s| !side.contains(s)).collect();
                cluster.partition(&[&side, &rest]);
            } else if now >= *end {
                split = None;
            }
        }
        if let Err(e) = cluster.try_tick() {
            let trace = cluster.trace().tail(300);
            let report = format!(
                "membership hunt, seed {seed}: {e}\n{}\ntrace tail:\n{trace}",
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
