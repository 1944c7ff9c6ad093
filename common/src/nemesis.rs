//! The nemesis: faults drawn from a seed under a fault budget.
//!
//! A fault plan is a list of [`FaultSpec`]s — a fault, when it starts, how long it lasts.
//! [`FaultPlan::new`] turns specs into timed steps (start and stop), dropping any fault
//! that would exceed the **fault budget**: at most `max_faulty` servers down, paused or
//! cut off at the same time, so that a correct protocol can still make progress.
//!
//! Faults that do not take a node away (added latency, duplication, clock jumps and
//! drift, failing disk writes) do not count against the budget.
//!
//! The same plan can come from the seed ([`FaultPlan::random`]) or from proptest (enable
//! the `proptest` feature for `strategy::fault_specs`), which shrinks a failing schedule
//! to the few faults that matter.

use crate::cluster::{Cluster, NodeStatus};
use crate::id::ProcessId;
use crate::msg::Message;
use crate::net::RuleId;
use crate::rng::SimRng;
use crate::store::CrashPolicy;
use crate::time::Tick;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// One fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Cut these servers off from every other node (a minority partition).
    Partition(Vec<ProcessId>),
    /// Cut every link of one node.
    Isolate(ProcessId),
    /// Cut the link from `from` to `to` only.
    OneWay {
        /// Sender side.
        from: ProcessId,
        /// Receiver side.
        to: ProcessId,
    },
    /// Drop messages on the link at random, both ways, with this probability (per mille).
    Lossy {
        /// One end.
        a: ProcessId,
        /// Other end.
        b: ProcessId,
        /// Loss probability in thousandths.
        per_mille: u32,
    },
    /// Add latency to every message on the link, both ways.
    DelayLink {
        /// One end.
        a: ProcessId,
        /// Other end.
        b: ProcessId,
        /// Extra ticks.
        ticks: Tick,
    },
    /// Hold every message to a node until the fault ends, then deliver them all.
    Hold(ProcessId),
    /// Duplicate messages with this probability (per mille) everywhere.
    Duplicate(u32),
    /// Crash a node; it restarts when the fault ends.
    Crash(ProcessId),
    /// Crash a node while its disk is writing: a random prefix of its unsynced writes
    /// survives and the next one is torn (discarded on reload); it restarts when the
    /// fault ends.
    CrashTorn(ProcessId),
    /// Freeze a node; it resumes when the fault ends.
    Pause(ProcessId),
    /// Jump a node's clock by this many milliseconds (it stays jumped).
    ClockJump(ProcessId, i64),
    /// Make a node's clock drift (ppm) until the fault ends.
    ClockDrift(ProcessId, i64),
    /// Fail the next n storage operations of a node.
    DiskFail(ProcessId, u32),
}

impl Fault {
    /// Servers this fault takes away while active (counted against the budget).
    pub fn affected(&self) -> Vec<ProcessId> {
        match self {
            Fault::Partition(nodes) => nodes.clone(),
            Fault::Isolate(n)
            | Fault::Crash(n)
            | Fault::CrashTorn(n)
            | Fault::Pause(n)
            | Fault::Hold(n) => vec![n.clone()],
            Fault::OneWay { from, .. } => vec![from.clone()],
            Fault::Lossy { .. }
            | Fault::DelayLink { .. }
            | Fault::Duplicate(_)
            | Fault::ClockJump(..)
            | Fault::ClockDrift(..)
            | Fault::DiskFail(..) => Vec::new(),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Partition(nodes) => write!(f, "partition {nodes:?} from the rest"),
            Fault::Isolate(n) => write!(f, "isolate {n}"),
            Fault::OneWay { from, to } => write!(f, "cut {from} -> {to}"),
            Fault::Lossy { a, b, per_mille } => {
                write!(f, "lose {per_mille}‰ of messages between {a} and {b}")
            }
            Fault::DelayLink { a, b, ticks } => write!(f, "delay {a} <-> {b} by {ticks} ticks"),
            Fault::Hold(n) => write!(f, "hold messages to {n}"),
            Fault::Duplicate(per_mille) => write!(f, "duplicate {per_mille}‰ of messages"),
            Fault::Crash(n) => write!(f, "crash {n}"),
            Fault::CrashTorn(n) => {
                write!(f, "crash {n} keeping a random subset of unsynced writes")
            }
            Fault::Pause(n) => write!(f, "pause {n}"),
            Fault::ClockJump(n, ms) => write!(f, "jump {n}'s clock by {ms} ms"),
            Fault::ClockDrift(n, ppm) => write!(f, "drift {n}'s clock by {ppm} ppm"),
            Fault::DiskFail(n, ops) => write!(f, "fail {n}'s next {ops} storage ops"),
        }
    }
}

/// A fault with its start tick and duration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultSpec {
    /// Tick before which the fault is applied.
    pub start: Tick,
    /// Ticks until it is undone (0: instantaneous faults such as a clock jump).
    pub duration: Tick,
    /// The fault.
    pub fault: Fault,
}

/// A planned action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepAction {
    /// Start fault number `id`.
    Start(usize, Fault),
    /// Undo fault number `id`.
    Stop(usize),
}

/// A step of a plan: at `tick`, do `action`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// Applied just before this tick runs.
    pub tick: Tick,
    /// What to do.
    pub action: StepAction,
}

/// Relative weights of each kind of fault when a plan is drawn at random (0 = never).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultMix {
    /// Minority partitions.
    pub partition: u32,
    /// Isolating one node.
    pub isolate: u32,
    /// One-way link cuts.
    pub one_way: u32,
    /// Random message loss on a link.
    pub lossy: u32,
    /// Added latency on a link.
    pub delay: u32,
    /// Holding a node's incoming messages.
    pub hold: u32,
    /// Message duplication.
    pub duplicate: u32,
    /// Crash and restart.
    pub crash: u32,
    /// Crash keeping a random subset of unsynced writes.
    pub crash_torn: u32,
    /// Pause and resume.
    pub pause: u32,
    /// Clock jumps.
    pub clock_jump: u32,
    /// Clock drift.
    pub clock_drift: u32,
    /// Failing storage operations.
    pub disk_fail: u32,
}

impl FaultMix {
    /// No faults.
    pub fn none() -> Self {
        FaultMix {
            partition: 0,
            isolate: 0,
            one_way: 0,
            lossy: 0,
            delay: 0,
            hold: 0,
            duplicate: 0,
            crash: 0,
            crash_torn: 0,
            pause: 0,
            clock_jump: 0,
            clock_drift: 0,
            disk_fail: 0,
        }
    }

    /// Network faults only: partitions, cuts, lossy links, delays, holds, duplication.
    pub fn network() -> Self {
        FaultMix {
            partition: 3,
            isolate: 2,
            one_way: 2,
            lossy: 2,
            delay: 3,
            hold: 1,
            duplicate: 1,
            ..Self::none()
        }
    }

    /// Network faults plus crashes (with and without torn state), pauses and failing disks.
    pub fn network_and_crashes() -> Self {
        FaultMix {
            crash: 3,
            crash_torn: 2,
            pause: 1,
            disk_fail: 1,
            ..Self::network()
        }
    }

    /// Everything, clocks included.
    pub fn all() -> Self {
        FaultMix {
            clock_jump: 1,
            clock_drift: 1,
            ..Self::network_and_crashes()
        }
    }

    fn weights(&self) -> [u32; 13] {
        [
            self.partition,
            self.isolate,
            self.one_way,
            self.delay,
            self.hold,
            self.duplicate,
            self.crash,
            self.crash_torn,
            self.pause,
            self.clock_jump,
            self.clock_drift,
            self.disk_fail,
            self.lossy,
        ]
    }
}

/// How faults are drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultConfig {
    /// Which faults, and how often relative to each other.
    pub mix: FaultMix,
    /// The budget: at most this many servers away at once (default: a minority).
    pub max_faulty: Option<usize>,
    /// Mean ticks between the starts of two faults.
    pub mean_gap_ticks: Tick,
    /// Range of a fault's duration in ticks.
    pub duration_ticks: (Tick, Tick),
}

impl Default for FaultConfig {
    fn default() -> Self {
        FaultConfig {
            mix: FaultMix::network(),
            max_faulty: None,
            mean_gap_ticks: 40,
            duration_ticks: (10, 80),
        }
    }
}

impl FaultConfig {
    /// No faults at all.
    pub fn none() -> Self {
        FaultConfig {
            mix: FaultMix::none(),
            ..Self::default()
        }
    }

    /// The budget for `servers` servers.
    pub fn budget(&self, servers: usize) -> usize {
        self.max_faulty.unwrap_or(servers.saturating_sub(1) / 2)
    }
}

/// A timed fault schedule that respects a budget.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultPlan {
    steps: Vec<Step>,
    faults: Vec<FaultSpec>,
}

impl fmt::Display for FaultPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.faults.is_empty() {
            return writeln!(f, "(no faults)");
        }
        for (id, spec) in self.faults.iter().enumerate() {
            writeln!(
                f,
                "  #{id:<3} t{:>5} for {:>4} ticks: {}",
                spec.start, spec.duration, spec.fault
            )?;
        }
        Ok(())
    }
}

impl FaultPlan {
    /// Keep the specs that fit the budget and lay out their start and stop steps.
    ///
    /// Specs are considered in start order. One is dropped if it targets a node that is
    /// already away, or if, together with the faults active when it starts, it would take
    /// more than `max_faulty` servers away. Because every fault kept earlier started no
    /// later, checking at the start is enough: the set of active faults only shrinks until
    /// the next kept fault starts.
    pub fn new(mut specs: Vec<FaultSpec>, servers: &[ProcessId], max_faulty: usize) -> Self {
        specs.sort_by_key(|s| s.start);
        let mut kept: Vec<FaultSpec> = Vec::new();
        for spec in specs {
            let affected = spec.fault.affected();
            if affected.iter().any(|n| !servers.contains(n)) {
                continue;
            }
            let mut away: BTreeSet<ProcessId> = BTreeSet::new();
            for other in &kept {
                if other.start <= spec.start && spec.start < other.start + other.duration.max(1) {
                    away.extend(other.fault.affected());
                }
            }
            if affected.iter().any(|n| away.contains(n)) {
                continue;
            }
            if away.len() + affected.len() > max_faulty && !affected.is_empty() {
                continue;
            }
            kept.push(spec);
        }
        let mut steps = Vec::new();
        for (id, spec) in kept.iter().enumerate() {
            steps.push(Step {
                tick: spec.start,
                action: StepAction::Start(id, spec.fault.clone()),
            });
            if spec.duration > 0 {
                steps.push(Step {
                    tick: spec.start + spec.duration,
                    action: StepAction::Stop(id),
                });
            }
        }
        steps.sort_by_key(|s| s.tick);
        FaultPlan {
            steps,
            faults: kept,
        }
    }

    /// Draw a plan for `ticks` ticks of chaos from `rng`.
    pub fn random(
        rng: &mut SimRng,
        servers: &[ProcessId],
        config: &FaultConfig,
        ticks: Tick,
    ) -> Self {
        let weights = config.mix.weights();
        let total: u32 = weights.iter().sum();
        let mut specs = Vec::new();
        if total == 0 || servers.is_empty() {
            return FaultPlan::default();
        }
        let mut t = 0;
        loop {
            t += 1 + rng.range(0, config.mean_gap_ticks.saturating_mul(2));
            if t >= ticks {
                break;
            }
            let duration = rng.range(config.duration_ticks.0, config.duration_ticks.1);
            let mut pick = rng.range(0, u64::from(total) - 1) as u32;
            let kind = weights.iter().position(|w| {
                if pick < *w {
                    true
                } else {
                    pick -= w;
                    false
                }
            });
            let node = servers[rng.below(servers.len())].clone();
            let other = servers[rng.below(servers.len())].clone();
            let fault = match kind {
                Some(0) => {
                    let mut shuffled = servers.to_vec();
                    rng.shuffle(&mut shuffled);
                    let size = 1 + rng.below(config.budget(servers.len()).max(1));
                    Fault::Partition(shuffled.into_iter().take(size).collect())
                }
                Some(1) => Fault::Isolate(node),
                Some(2) if node != other => Fault::OneWay {
                    from: node,
                    to: other,
                },
                Some(3) if node != other => Fault::DelayLink {
                    a: node,
                    b: other,
                    ticks: rng.range(1, 10),
                },
                Some(4) => Fault::Hold(node),
                Some(5) => Fault::Duplicate(rng.range(50, 300) as u32),
                Some(6) => Fault::Crash(node),
                Some(7) => Fault::CrashTorn(node),
                Some(8) => Fault::Pause(node),
                Some(9) => Fault::ClockJump(node, rng.range(0, 2_000) as i64 - 1_000),
                Some(10) => Fault::ClockDrift(node, rng.range(0, 200_000) as i64 - 100_000),
                Some(11) => Fault::DiskFail(node, rng.range(1, 3) as u32),
                Some(12) if node != other => Fault::Lossy {
                    a: node,
                    b: other,
                    per_mille: rng.range(100, 600) as u32,
                },
                _ => continue,
            };
            let duration = match fault {
                Fault::ClockJump(..) | Fault::DiskFail(..) => 0,
                _ => duration,
            };
            specs.push(FaultSpec {
                start: t,
                duration,
                fault,
            });
        }
        FaultPlan::new(specs, servers, config.budget(servers.len()))
    }

    /// The faults kept, numbered by their position.
    pub fn faults(&self) -> &[FaultSpec] {
        &self.faults
    }

    /// The timed steps, in tick order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// No faults.
    pub fn is_empty(&self) -> bool {
        self.faults.is_empty()
    }
}

/// Applies a plan to a cluster, step by step, and undoes it for the quiet phase.
#[derive(Debug)]
pub struct Nemesis {
    plan: FaultPlan,
    next: usize,
    cuts: BTreeMap<usize, Vec<(ProcessId, ProcessId)>>,
    rules: BTreeMap<usize, Vec<RuleId>>,
    /// The duplication rate in force before each duplication fault, restored when it ends.
    duplicate_before: BTreeMap<usize, f64>,
}

impl Nemesis {
    /// A nemesis that will apply `plan`.
    pub fn new(plan: FaultPlan) -> Self {
        Nemesis {
            plan,
            next: 0,
            cuts: BTreeMap::new(),
            rules: BTreeMap::new(),
            duplicate_before: BTreeMap::new(),
        }
    }

    /// The plan.
    pub fn plan(&self) -> &FaultPlan {
        &self.plan
    }

    /// Apply every step planned for the coming tick (`cluster.now() + 1`) or earlier.
    pub fn apply_due<M: Message>(&mut self, cluster: &mut Cluster<M>) {
        let upcoming = cluster.now() + 1;
        while let Some(step) = self.plan.steps.get(self.next) {
            if step.tick > upcoming {
                break;
            }
            let action = step.action.clone();
            self.next += 1;
            match action {
                StepAction::Start(id, fault) => self.start(cluster, id, &fault),
                StepAction::Stop(id) => self.stop(cluster, id),
            }
        }
    }

    fn all_nodes<M: Message>(cluster: &Cluster<M>) -> Vec<ProcessId> {
        cluster.nodes().to_vec()
    }

    fn start<M: Message>(&mut self, cluster: &mut Cluster<M>, id: usize, fault: &Fault) {
        cluster.record_fault(format!("nemesis #{id}: {fault}"));
        match fault {
            Fault::Partition(minority) => {
                let mut links = Vec::new();
                for a in minority {
                    for b in Self::all_nodes(cluster)
                        .into_iter()
                        .filter(|b| !minority.contains(b))
                    {
                        links.push((a.clone(), b.clone()));
                        links.push((b, a.clone()));
                    }
                }
                self.cut(cluster, id, links);
            }
            Fault::Isolate(node) => {
                let mut links = Vec::new();
                for b in Self::all_nodes(cluster).into_iter().filter(|b| b != node) {
                    links.push((node.clone(), b.clone()));
                    links.push((b, node.clone()));
                }
                self.cut(cluster, id, links);
            }
            Fault::OneWay { from, to } => self.cut(cluster, id, vec![(from.clone(), to.clone())]),
            Fault::Lossy { a, b, per_mille } => {
                let mut net = cluster.net();
                let p = f64::from(*per_mille) / 1000.0;
                net.set_link_loss(a.as_str(), b.as_str(), p);
                net.set_link_loss(b.as_str(), a.as_str(), p);
            }
            Fault::DelayLink { a, b, ticks } => {
                let mut net = cluster.net();
                let one = net.add_rule(crate::net::Rule {
                    from: a.into(),
                    to: b.into(),
                    kind: None,
                    action: crate::net::Action::Delay(*ticks),
                    until: None,
                });
                let two = net.add_rule(crate::net::Rule {
                    from: b.into(),
                    to: a.into(),
                    kind: None,
                    action: crate::net::Action::Delay(*ticks),
                    until: None,
                });
                self.rules.insert(id, vec![one, two]);
            }
            Fault::Hold(node) => {
                let rule = cluster.net().hold(crate::net::Sel::Any, node);
                self.rules.insert(id, vec![rule]);
            }
            Fault::Duplicate(per_mille) => {
                cluster.net().set_duplicate(f64::from(*per_mille) / 1000.0)
            }
            Fault::Crash(node) => {
                if cluster.status(node.as_str()) != NodeStatus::Down {
                    cluster.crash(node.as_str());
                }
            }
            Fault::CrashTorn(node) => {
                if cluster.status(node.as_str()) != NodeStatus::Down {
                    cluster.crash_with(node.as_str(), CrashPolicy::TearLastWrite);
                }
            }
            Fault::Pause(node) => cluster.pause(node.as_str()),
            Fault::ClockJump(node, ms) => cluster.clock(node.as_str()).skew(*ms),
            Fault::ClockDrift(node, ppm) => cluster.clock(node.as_str()).drift(*ppm),
            Fault::DiskFail(node, ops) => cluster.store_mut(node.as_str()).fail_next(*ops),
        }
    }

    fn stop<M: Message>(&mut self, cluster: &mut Cluster<M>, id: usize) {
        let Some(spec) = self.plan.faults.get(id).cloned() else {
            return;
        };
        cluster.record_fault(format!("nemesis #{id} ends: {}", spec.fault));
        match &spec.fault {
            Fault::Partition(_) | Fault::Isolate(_) | Fault::OneWay { .. } => {
                self.cuts.remove(&id);
                self.recut(cluster);
            }
            Fault::Lossy { a, b, .. } => {
                let mut net = cluster.net();
                let base = net.sim().config().loss;
                net.set_link_loss(a.as_str(), b.as_str(), base);
                net.set_link_loss(b.as_str(), a.as_str(), base);
            }
            Fault::DelayLink { .. } | Fault::Hold(_) => {
                for rule in self.rules.remove(&id).unwrap_or_default() {
                    cluster.net().release(rule);
                }
            }
            Fault::Duplicate(_) => {
                let before = self.duplicate_before.remove(&id).unwrap_or(0.0);
                cluster.net().set_duplicate(before);
            }
            Fault::Crash(node) | Fault::CrashTorn(node) => {
                if cluster.status(node.as_str()) == NodeStatus::Down {
                    cluster.restart(node.as_str());
                }
            }
            Fault::Pause(node) => cluster.resume(node.as_str()),
            Fault::ClockDrift(node, _) => cluster.clock(node.as_str()).drift(0),
            Fault::ClockJump(..) | Fault::DiskFail(..) => {}
        }
    }

    fn cut<M: Message>(
        &mut self,
        cluster: &mut Cluster<M>,
        id: usize,
        links: Vec<(ProcessId, ProcessId)>,
    ) {
        self.cuts.insert(id, links);
        self.recut(cluster);
    }

    /// Re-derive the cut links from every active cut, so ending one fault never heals a
    /// link another active fault still cuts.
    fn recut<M: Message>(&self, cluster: &mut Cluster<M>) {
        cluster.heal_all();
        let links: BTreeSet<&(ProcessId, ProcessId)> = self.cuts.values().flatten().collect();
        for (from, to) in links {
            cluster.one_way(from.as_str(), to.as_str());
        }
    }

    /// End every fault and heal the network: heal all links, remove rules (releasing
    /// held messages), stop random loss and duplication (a healed network delivers every
    /// message once), stop drift, resume paused nodes and restart crashed ones. Clock
    /// offsets stay: healing the network does not fix a jumped clock. Storage failures
    /// injected but not yet happened are forgotten.
    pub fn quiesce<M: Message>(&mut self, cluster: &mut Cluster<M>) {
        cluster.record_fault("nemesis: quiesce (heal, release, resume, restart)");
        self.next = self.plan.steps.len();
        self.cuts.clear();
        self.rules.clear();
        self.duplicate_before.clear();
        cluster.heal_all();
        let mut net = cluster.net();
        // Heal, remove rules (releasing held messages) and forget per-link loss and latency.
        net.reset();
        net.set_duplicate(0.0);
        net.set_loss(0.0);
        for id in Self::all_nodes(cluster) {
            match cluster.status(id.as_str()) {
                NodeStatus::Down => cluster.restart(id.as_str()),
                NodeStatus::Paused => cluster.resume(id.as_str()),
                NodeStatus::Up | NodeStatus::Removed => {}
            }
            cluster.clock(id.as_str()).drift(0);
            cluster.store_mut(id.as_str()).clear_injected_failures();
        }
    }
}

/// Proptest strategies for fault schedules (feature `proptest`): a failing schedule
/// shrinks to the faults that matter.
#[cfg(feature = "proptest")]
pub mod strategy {
    use super::{Fault, FaultSpec};
    use crate::id::ProcessId;
    use crate::time::Tick;
    use proptest::prelude::*;

    /// One fault on one of `servers`.
    pub fn fault(servers: Vec<ProcessId>) -> impl Strategy<Value = Fault> {
        let n = servers.len();
        let s = servers.clone();
        let node = move |i: usize| s[i % n].clone();
        (0usize..8, 0usize..n, 1usize..n.max(2), 1u64..10).prop_map(move |(kind, i, j, ticks)| {
            let a = node(i);
            let b = node(i + j);
            match kind {
                0 => Fault::Partition(vec![a]),
                1 => Fault::Isolate(a),
                2 => Fault::OneWay { from: a, to: b },
                3 => Fault::DelayLink { a, b, ticks },
                4 => Fault::Hold(a),
                5 => Fault::Crash(a),
                6 => Fault::CrashTorn(a),
                _ => Fault::Pause(a),
            }
        })
    }

    /// Up to `max` faults starting within `ticks`, lasting 1..=`max_duration` ticks.
    pub fn fault_specs(
        servers: Vec<ProcessId>,
        ticks: Tick,
        max: usize,
        max_duration: Tick,
    ) -> impl Strategy<Value = Vec<FaultSpec>> {
        proptest::collection::vec((0..ticks, 1..=max_duration, fault(servers)), 0..=max).prop_map(
            |v| {
                v.into_iter()
                    .map(|(start, duration, fault)| FaultSpec {
                        start,
                        duration,
                        fault,
                    })
                    .collect()
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn servers() -> Vec<ProcessId> {
        ["a", "b", "c", "d", "e"]
            .into_iter()
            .map(ProcessId::new)
            .collect()
    }

    fn away_at(plan: &FaultPlan, tick: Tick) -> BTreeSet<ProcessId> {
        plan.faults()
            .iter()
            .filter(|s| s.start <= tick && tick < s.start + s.duration.max(1))
            .flat_map(|s| s.fault.affected())
            .collect()
    }

    #[test]
    fn a_random_plan_never_takes_more_than_the_budget_away() {
        let config = FaultConfig {
            mix: FaultMix::all(),
            mean_gap_ticks: 5,
            ..FaultConfig::default()
        };
        for seed in 0..50 {
            let plan = FaultPlan::random(&mut SimRng::new(seed), &servers(), &config, 1000);
            assert!(
                !plan.is_empty(),
                "seed {seed}: a busy mix over 1000 ticks must plan some faults"
            );
            for t in 0..1100 {
                let away = away_at(&plan, t);
                assert!(
                    away.len() <= 2,
                    "seed {seed} tick {t}: {away:?} away exceeds the budget of 2 of 5\n{plan}"
                );
            }
        }
    }

    #[test]
    fn the_same_seed_draws_the_same_plan() {
        let config = FaultConfig {
            mix: FaultMix::all(),
            ..FaultConfig::default()
        };
        let a = FaultPlan::random(&mut SimRng::new(9), &servers(), &config, 500);
        let b = FaultPlan::random(&mut SimRng::new(9), &servers(), &config, 500);
        assert_eq!(a, b);
    }

    #[test]
    fn a_fault_on_a_node_already_away_is_dropped() {
        let specs = vec![
            FaultSpec {
                start: 10,
                duration: 50,
                fault: Fault::Crash(ProcessId::new("a")),
            },
            FaultSpec {
                start: 20,
                duration: 5,
                fault: Fault::Pause(ProcessId::new("a")),
            },
        ];
        let plan = FaultPlan::new(specs, &servers(), 2);
        assert_eq!(
            plan.faults().len(),
            1,
            "pausing a crashed node is not a second fault:\n{plan}"
        );
    }

    #[test]
    fn a_third_overlapping_crash_is_dropped_when_the_budget_is_two() {
        let specs = vec![
            FaultSpec {
                start: 10,
                duration: 100,
                fault: Fault::Crash(ProcessId::new("a")),
            },
            FaultSpec {
                start: 30,
                duration: 100,
                fault: Fault::Crash(ProcessId::new("b")),
            },
            FaultSpec {
                start: 20,
                duration: 100,
                fault: Fault::Crash(ProcessId::new("c")),
            },
        ];
        let plan = FaultPlan::new(specs, &servers(), 2);
        for t in 0..200 {
            assert!(away_at(&plan, t).len() <= 2, "tick {t}:\n{plan}");
        }
        let kept: Vec<&Fault> = plan.faults().iter().map(|s| &s.fault).collect();
        assert_eq!(
            kept,
            [
                &Fault::Crash(ProcessId::new("a")),
                &Fault::Crash(ProcessId::new("c"))
            ],
            "b starts last, while a and c are down"
        );
    }

    #[test]
    fn faults_that_do_not_take_nodes_away_ignore_the_budget() {
        let specs = (0..5)
            .map(|i| FaultSpec {
                start: 1,
                duration: 10,
                fault: Fault::ClockDrift(servers()[i].clone(), 1000),
            })
            .collect();
        assert_eq!(FaultPlan::new(specs, &servers(), 0).faults().len(), 5);
    }

    #[test]
    fn every_fault_that_lasts_is_undone_by_a_stop_step() {
        let plan = FaultPlan::random(
            &mut SimRng::new(3),
            &servers(),
            &FaultConfig {
                mix: FaultMix::all(),
                ..FaultConfig::default()
            },
            800,
        );
        for (id, spec) in plan.faults().iter().enumerate() {
            let stops = plan
                .steps()
                .iter()
                .filter(|s| s.action == StepAction::Stop(id))
                .count();
            let expected = usize::from(spec.duration > 0);
            assert_eq!(
                stops, expected,
                "fault #{id} ({}) must be stopped exactly {expected} time(s)",
                spec.fault
            );
        }
    }
}
