//! Randomised runs under faults — drops, duplication, reordering delays, partitions,
//! one-way links, holds, pauses, crashes with restart that lose unsynced writes, clock
//! jumps and drift — with the Raft oracle after every tick and the linearizability check
//! of the clients' history at the end; runs under a leader-hunting adversary; and the
//! three negative controls the same checks must catch.

mod support;
use common::sim::{self, Exercised};
use raft::Config;
use support::hunt::run_hunt;
use support::sim::{
    SnapshotTally, fault_config, run_five_server_seed, run_membership_seed, run_seed,
    run_seed_counting_snapshots, run_seed_history_only, run_swarm_seed,
};

/// Seeds run by default (CI); `SIM_ITERS` raises it, `SIM_SEED` replays one.
const CI_SEEDS: u64 = 1_000;
/// Five-server seeds run by default.
const WIDE_SEEDS: u64 = 500;
/// A negative control must be caught within this many seeds.
const CONTROL_SEEDS: u64 = 100;

/// At least seven in ten operations were answered: the history is not mostly unknown
/// outcomes, so the linearizability check has something to bite on.
fn assert_mostly_answered(figures: &Exercised, run: &str) {
    assert!(
        figures.completed_ops * 10 >= figures.invoked_ops * 7,
        "only {} of {} operations were answered {run}",
        figures.completed_ops,
        figures.invoked_ops
    );
}

/// The leader-hunting adversary cut at least ten leaders a seed.
fn assert_leaders_were_hunted(figures: &Exercised) {
    assert!(
        figures.planned_faults >= 10 * figures.seeds,
        "the adversary cut only {} leaders over {} seeds",
        figures.planned_faults,
        figures.seeds
    );
}

/// Swarm seeds issued at least four operations each.
fn assert_swarm_busy(figures: &Exercised) {
    assert!(
        figures.invoked_ops >= 4 * figures.seeds,
        "only {} operations over {} swarm seeds",
        figures.invoked_ops,
        figures.seeds
    );
}

/// Three servers under every fault kind of the sweep: the oracle holds after every tick
/// and the clients' history of sets, ReadIndex gets and compare-and-swaps is
/// linearizable.
#[test]
fn step3_random_faults_keep_raft_safe_and_linearizable() {
    let summary = sim::sweep(CI_SEEDS, |seed| run_seed(seed, &Config::default()));
    if summary.seeds.replay {
        return;
    }
    let figures = summary.exercised;
    println!("{figures:?}");
    assert!(
        figures.planned_faults >= 8 * figures.seeds,
        "the fault plans held only {} faults over {} seeds: the sweep is barely under faults",
        figures.planned_faults,
        figures.seeds
    );
    assert!(
        figures.seeds_with_a_crash * 10 >= figures.seeds * 8,
        "only {} of {} seeds crashed a server: recovery is barely exercised",
        figures.seeds_with_a_crash,
        figures.seeds
    );
    assert_mostly_answered(&figures, "on three servers");
}

/// The same faults on five servers, where two servers may be away at once.
#[test]
fn step3_five_servers_stay_safe_and_linearizable() {
    let summary = sim::sweep(WIDE_SEEDS, |seed| {
        run_five_server_seed(seed, &Config::default())
    });
    if !summary.seeds.replay {
        let figures = summary.exercised;
        assert_mostly_answered(&figures, "on five servers");
    }
}

/// Swarm mode: each seed also draws the cluster size (3 or 5), the clients, latencies,
/// storage delay, crash policy and which fault kinds occur.
#[test]
fn step3_swarm_configurations_stay_safe_and_linearizable() {
    let summary = sim::sweep(WIDE_SEEDS, |seed| run_swarm_seed(seed, &Config::default()));
    if !summary.seeds.replay {
        assert_swarm_busy(&summary.exercised);
    }
}

/// Figure 2 alone, without pre-vote and check-quorum: the same faults, the same checks.
#[test]
fn step3_without_pre_vote_and_check_quorum_raft_stays_safe() {
    let summary = sim::sweep(WIDE_SEEDS, |seed| {
        run_seed(seed, &Config::without_pre_vote_and_check_quorum())
    });
    if !summary.seeds.replay {
        let figures = summary.exercised;
        assert_mostly_answered(&figures, "without pre-vote and check-quorum");
    }
}

fn caught(config: &Config, what: &str) -> String {
    let failure = sim::find_failure(CONTROL_SEEDS, |seed| run_seed(seed, config).map(drop))
        .unwrap_or_else(|| {
            panic!("the fault runner must catch {what} within {CONTROL_SEEDS} seeds")
        });
    println!("caught {what} on seed {}", failure.seed);
    failure.failure.to_string()
}

/// Negative control: a voter that keeps its vote in memory only votes again after a
/// restart, in the same term.
#[test]
fn step3_a_voter_that_does_not_persist_its_vote_is_caught_within_100_seeds() {
    let found = caught(
        &Config::vote_in_memory(),
        "a voter that does not persist its vote",
    );
    assert!(
        found.contains("voted twice") || found.contains("two leaders"),
        "the forgetful voter must be caught voting twice, not for another reason: {found}"
    );
}

/// Negative control: a follower that acknowledges entries before they are durable can
/// lose, in a crash, entries the leader counted as stored.
#[test]
fn step3_a_follower_that_acks_before_its_entries_are_durable_is_caught_within_100_seeds() {
    let found = caught(
        &Config::ack_before_sync(),
        "a follower that acknowledges before its sync",
    );
    assert!(
        found.contains("two entries committed")
            || found.contains("leader completeness")
            || found.contains("no longer holds the committed entry")
            || found.contains("commit index went back")
            || found.contains("history check failed"),
        "the early acknowledgement must be caught losing a committed entry: {found}"
    );
}

/// Seeds of the leader-hunting adversary run by default.
const HUNT_SEEDS: u64 = 500;

/// Five servers under the leader-hunting adversary (leaders cut off right after their
/// election and right after each commit): the oracle holds after every tick.
#[test]
fn step3_leader_hunting_keeps_committed_entries() {
    let summary = sim::sweep(HUNT_SEEDS, |seed| run_hunt(seed, &Config::default()));
    if !summary.seeds.replay {
        assert_leaders_were_hunted(&summary.exercised);
    }
}

/// Negative control (Figure 8): a leader that commits any entry stored on a majority,
/// whatever its term. The leader-hunting adversary produces the figure's situation, and
/// the oracle must see a new leader without a committed entry (or two entries committed
/// at one index) within 100 seeds.
#[test]
fn step3_the_counting_commit_rule_is_caught_within_100_seeds() {
    let failure = sim::find_failure(CONTROL_SEEDS, |seed| {
        run_hunt(seed, &Config::counting_commit_rule()).map(drop)
    })
    .expect("the leader-hunting adversary must catch the counting commit rule");
    let found = failure.failure.to_string();
    println!("caught the counting commit rule on seed {}", failure.seed);
    assert!(
        found.contains("leader completeness") || found.contains("two entries committed"),
        "the counting rule must be caught losing a committed entry, not for another reason: {found}"
    );
}

/// The early-acknowledging follower seen from outside: without the oracle, the
/// linearizability check of the clients' history alone must catch it within 100 seeds
/// (an acknowledged write disappears).
#[test]
fn step3_the_history_check_alone_catches_the_early_acknowledging_follower_within_100_seeds() {
    let failure = sim::find_failure(CONTROL_SEEDS, |seed| {
        run_seed_history_only(seed, &Config::ack_before_sync()).map(drop)
    })
    .expect("the linearizability check must catch a follower that acknowledges before its sync");
    let found = failure.failure.to_string();
    println!("the history check alone caught it on seed {}", failure.seed);
    assert!(
        found.contains("history check failed"),
        "without the oracle, only the history check can catch it: {found}"
    );
}

/// Step 5: the same faults with log compaction on — a snapshot every 8 applied entries,
/// sent in chunks of 48 bytes — so crashes restart nodes from snapshots and followers
/// that were away are repaired by InstallSnapshot under loss, duplication and
/// reordering: the oracle holds after every tick and the history is linearizable.
#[test]
fn step5_compaction_under_an_unreliable_network_keeps_raft_safe_and_linearizable() {
    let tally = std::cell::Cell::new(SnapshotTally::default());
    let summary = sim::sweep(CI_SEEDS, |seed| {
        let (exercised, counted) =
            run_seed_counting_snapshots(&fault_config(seed), &Config::with_snapshots(8, 48))?;
        let mut sum = tally.get();
        sum.add(counted);
        tally.set(sum);
        Ok(exercised)
    });
    if summary.seeds.replay {
        return;
    }
    let (figures, tally) = (summary.exercised, tally.get());
    println!("{figures:?}\n{tally:?}");
    assert!(
        tally.installed * 10 >= figures.seeds,
        "only {} snapshots were installed over {} seeds: InstallSnapshot is barely exercised",
        tally.installed,
        figures.seeds
    );
    assert!(
        tally.restarts_from_snapshot * 2 >= figures.seeds,
        "only {} restarts found a snapshot on disk over {} seeds",
        tally.restarts_from_snapshot,
        figures.seeds
    );
    assert_mostly_answered(&figures, "with snapshots on");
}

/// The leader-hunting adversary with snapshots every 4 entries: leaders cut off right
/// after they commit, so followers fall behind compacted logs again and again.
#[test]
fn step5_leader_hunting_with_snapshots_keeps_committed_entries() {
    let summary = sim::sweep(HUNT_SEEDS, |seed| {
        run_hunt(seed, &Config::with_snapshots(4, 32))
    });
    if !summary.seeds.replay {
        assert_leaders_were_hunted(&summary.exercised);
    }
}

/// Swarm mode with snapshots: each seed also draws the cluster, clients, latencies,
/// storage and fault kinds.
#[test]
fn step5_swarm_configurations_with_snapshots_stay_safe_and_linearizable() {
    let summary = sim::sweep(WIDE_SEEDS, |seed| {
        run_swarm_seed(seed, &Config::with_snapshots(8, 48))
    });
    if !summary.seeds.replay {
        assert_swarm_busy(&summary.exercised);
    }
}

/// The same on five servers, two of which may be away at once.
#[test]
fn step5_five_servers_with_snapshots_stay_safe_and_linearizable() {
    let summary = sim::sweep(WIDE_SEEDS, |seed| {
        run_five_server_seed(seed, &Config::with_snapshots(8, 48))
    });
    if !summary.seeds.replay {
        let figures = summary.exercised;
        assert_mostly_answered(&figures, "on five servers with snapshots");
    }
}

/// Membership changes and snapshots under faults: five server processes, the first
/// configuration three voters, and an operator that adds spares (learner, then voter),
/// removes voters (never below three) and transfers leadership during the chaos, while
/// every server snapshots every 8 applied entries (so a new learner is often caught up by
/// InstallSnapshot, and a snapshot must carry the configuration) and the fault plan may
/// crash any of the five. The oracle holds after every tick, the clients' history is
/// linearizable, and the changes, transfers and snapshot installations actually happen.
#[test]
fn step6_membership_changes_and_snapshots_under_faults_stay_safe_and_linearizable() {
    let mut changes = 0;
    let mut transfers = 0;
    let mut refused = 0;
    let mut snapshots = SnapshotTally::default();
    let summary = sim::sweep(CI_SEEDS, |seed| {
        let (result, log, counted) = run_membership_seed(seed, &Config::with_snapshots(8, 48));
        changes += log.changes;
        transfers += log.transfers.len() as u64;
        refused += log.refused;
        snapshots.add(counted);
        result
    });
    if summary.seeds.replay {
        return;
    }
    let seeds = summary.exercised.seeds;
    println!(
        "{:?}; membership changes {changes}, transfers {transfers}, refused {refused}; {snapshots:?}",
        summary.exercised
    );
    assert!(
        changes >= 2 * seeds,
        "only {changes} membership changes completed over {seeds} seeds: the sweep barely changes membership"
    );
    assert!(
        transfers >= seeds / 2,
        "only {transfers} leadership transfers completed over {seeds} seeds"
    );
    assert!(
        snapshots.installed * 10 >= seeds,
        "only {} snapshots installed over {seeds} seeds",
        snapshots.installed
    );
}

/// The sweep's shape, as the essay states it: 400 ticks of chaos, in which every planned
/// fault starts (the latest of 20 seeds starts in the last quarter of them), then the
/// cluster heals and gets a budget of 600 ticks for the outstanding and the final
/// operations; a run ends within it.
#[test]
fn step3_a_sweep_seed_plans_its_faults_within_400_ticks_of_chaos_then_quiesces_within_600() {
    let mut latest = 0;
    for seed in 0..20 {
        let config = fault_config(seed);
        assert_eq!(config.quiesce_ticks, 600, "the quiesce budget");
        let run = sim::run(
            &config,
            |builder| raft::build(builder, Config::default()),
            &mut raft::sweep::KvWorkload::default(),
            &raft::sweep::KvCas,
            sim::Check::Linearizable,
        );
        assert!(
            run.failure.is_none(),
            "seed {seed} passes: {:?}",
            run.failure
        );
        let starts = run.plan.faults().iter().map(|f| f.start);
        latest = latest.max(starts.max().unwrap_or(0));
        assert!(
            run.ticks > 400 && run.ticks <= 400 + 2 * 600,
            "seed {seed}: chaos, then at most the quiesce budget for outstanding and final operations ({} ticks)",
            run.ticks
        );
    }
    assert!(
        (300..400).contains(&latest),
        "every fault starts within the chaos; the latest at tick {latest}"
    );
}

/// The rest of the sweep's shape, as the essay and `sweep::fault_config` describe it:
/// three servers and four clients, each idle client starting an operation with
/// probability 0.3 a tick, giving up after 300 ticks and trying another server after
/// 60; servers' own requests time out after 20 ticks; links take 1 to 2 ticks (plus the
/// 3 % loss between servers added when the cluster is built); disks 1 to 6 ticks a
/// write; the fault mix weighs crashes 20 and torn crashes 6, never fails a disk write,
/// starts a fault every 12 ticks on average for 2 to 40 ticks; every message goes
/// through the wire codec. The figures the README reports were measured with it.
#[test]
fn step3_the_sweep_is_configured_as_the_essay_describes() {
    let config = fault_config(7);
    assert_eq!(
        (config.servers.len(), config.clients, config.op_probability),
        (3, 4, 0.3)
    );
    assert_eq!(
        (
            config.client_timeout,
            config.client_attempt_timeout,
            config.request_timeout
        ),
        (300, Some(60), 20)
    );
    assert_eq!((config.net.latency, config.store.delay), ((1, 2), (1, 6)));
    let mix = &config.faults.mix;
    assert_eq!((mix.crash, mix.crash_torn, mix.disk_fail), (20, 6, 0));
    assert_eq!(
        (config.faults.mean_gap_ticks, config.faults.duration_ticks),
        (12, (2, 40))
    );
    assert!(config.roundtrip_codec, "messages go through the codec");
    assert_eq!(raft::sweep::SERVER_LOSS, 0.03);
}

/// The membership sweep starts from a first configuration of three voters among its five
/// server processes, the other two spares outside it, which the operator may add.
#[test]
fn step6_the_membership_sweep_starts_with_three_voters_among_five_servers() {
    let voters = std::cell::RefCell::new(Vec::new());
    let (result, _) = raft::sweep::run_membership_with(
        &raft::sweep::membership_fault_config(1),
        &Config::default(),
        raft::operator::Plan::Script(Default::default()),
        50,
        |cluster| {
            *voters.borrow_mut() = cluster
                .servers()
                .iter()
                .map(|id| {
                    cluster
                        .node::<raft::Server>(id.as_str())
                        .configuration()
                        .voters
                        .len()
                })
                .collect();
        },
    );
    result.unwrap_or_else(|e| panic!("seed 1 passes: {e:?}"));
    assert_eq!(
        *voters.borrow(),
        vec![3; 5],
        "every one of the five servers starts with the first configuration's three voters"
    );
}

/// The benchmark's baseline, `sweep::run_unchecked`, is the run of a seed without the
/// history check (and without the loss between servers): it runs the same operations and
/// faults as the checked run of the same seed on a lossless network.
#[test]
fn step3_the_unchecked_baseline_runs_the_same_seeds_unchecked() {
    for seed in 0..5 {
        let checked = sim::run(
            &fault_config(seed),
            |builder| raft::build(builder, Config::default()),
            &mut raft::sweep::KvWorkload::default(),
            &raft::sweep::KvCas,
            sim::Check::Linearizable,
        )
        .into_result()
        .unwrap_or_else(|e| panic!("seed {seed} passes: {e:?}"));
        let unchecked = raft::sweep::run_unchecked(&fault_config(seed), &Config::default())
            .unwrap_or_else(|e| panic!("seed {seed} runs: {e:?}"));
        assert!(checked.invoked_ops > 0, "seed {seed} runs operations");
        assert_eq!(unchecked, checked, "seed {seed}: the same run, unchecked");
    }
}
