//! Step 6: membership changes one server at a time — a new server joins as a learner and
//! is promoted once caught up, followers and the leader are removed, changes go through
//! partitions, one change at a time and the own-term-entry rule are enforced, a removed
//! server does not disrupt the cluster, and the broken twin that adds two voters at once
//! is caught electing two leaders in one term.

mod support;
use common::ProcessId;
use raft::operator::{AdminAction, Plan};
use raft::{Command, Config, MembershipChange, Msg, RequestId};
use support::membership::{
    OPERATOR, add, change, cluster_with_spares, configuration, names, refusal, remove,
};
use support::*;

fn ids(names: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    ids.sort();
    ids
}

/// Three voters; delphi is added with `Cluster::add_server`. Until a leader adds it, it
/// has no configuration of its own and never campaigns; the leader adds it as a learner,
/// catches it up, then promotes it in a second configuration entry.
#[test]
fn step6_a_new_server_joins_as_a_learner_catches_up_then_becomes_a_voter() {
    let mut cluster = three(61);
    cluster.add_client(OPERATOR);
    let leader = until_leader(&mut cluster, 200);
    for seq in 1..=20 {
        execute(
            &mut cluster,
            ALICE,
            &leader,
            seq,
            set("k", &seq.to_string()),
        );
    }
    cluster.add_server(DELPHI);
    cluster.tick_n(200);
    let delphi = server(&cluster, DELPHI);
    assert_eq!(
        (delphi.stats().pre_votes, delphi.stats().elections),
        (0, 0),
        "a server outside every configuration never campaigns"
    );
    assert!(
        !delphi.is_voter(),
        "delphi is not a voter before it is added"
    );
    assert_eq!(
        delphi.config().voters,
        Some(THREE.iter().map(|v| ProcessId::new(*v)).collect()),
        "its first configuration is the three servers the cluster was built with"
    );
    let leader = current_leader(&cluster).expect("the cluster still has a leader");
    let configuration = add(&mut cluster, &leader, 1, DELPHI);
    assert_eq!(
        names(&configuration.voters),
        ids(&[ATHENS, BYZANTIUM, CYRENE, DELPHI]),
        "delphi is a voter once the change is done"
    );
    let log = server(&cluster, &leader).log().to_vec();
    let learner_at = log.iter().position(|e| {
        matches!(&e.command, Command::Configuration(c) if c.learners.iter().any(|l| l == DELPHI))
    });
    let voter_at = log
        .iter()
        .position(|e| matches!(&e.command, Command::Configuration(c) if c.is_voter(DELPHI)));
    assert!(
        matches!((learner_at, voter_at), (Some(l), Some(v)) if l < v),
        "delphi must first be added as a learner, then promoted: {learner_at:?} then {voter_at:?}"
    );
    let last = server(&cluster, &leader).commit_index();
    until_applied(&mut cluster, &[DELPHI], last, 200);
    let read_back = execute(&mut cluster, BOB, &leader, 1, get("k"));
    assert_eq!(
        read_back.outcome,
        read(Some("20")),
        "the cluster still serves reads"
    );
}

/// Five voters; two followers are removed one at a time. The quorum now comes from the
/// three remaining voters: with one more follower crashed, two of three still commit,
/// which five voters with three away could not.
#[test]
fn step6_a_removed_follower_no_longer_counts_in_the_majority() {
    let mut cluster = five(62);
    cluster.add_client(OPERATOR);
    let leader = until_leader(&mut cluster, 200);
    execute(&mut cluster, ALICE, &leader, 1, set("k", "1"));
    let followers: Vec<&str> = FIVE.iter().copied().filter(|s| *s != leader).collect();
    remove(&mut cluster, &leader, 1, followers[0]);
    let configuration = remove(&mut cluster, &leader, 2, followers[1]);
    assert_eq!(configuration.voters.len(), 3, "three voters remain");
    assert_eq!(
        server(&cluster, &leader).match_index(followers[0]),
        None,
        "the leader no longer replicates to a removed server"
    );
    cluster.crash(followers[2]);
    let reply = execute(&mut cluster, ALICE, &leader, 2, set("k", "v"));
    assert_eq!(
        reply.outcome,
        stored("v"),
        "two of the three voters commit, though three of the five processes are away"
    );
}

/// Three voters; the leader is asked to remove itself. It keeps replicating without
/// counting itself, steps down once the configuration without it commits, never
/// campaigns again, and the two others elect a leader that serves writes.
#[test]
fn step6_removing_the_leader_steps_it_down_and_the_others_elect_a_new_leader() {
    let mut cluster = three(63);
    cluster.add_client(OPERATOR);
    let old = until_leader(&mut cluster, 200);
    execute(&mut cluster, ALICE, &old, 1, set("k", "1"));
    let configuration = remove(&mut cluster, &old, 1, &old);
    assert!(
        !configuration.is_voter(&old),
        "the committed configuration leaves the old leader out"
    );
    let others: Vec<&str> = THREE.iter().copied().filter(|s| *s != old).collect();
    let new = until_leader_among(&mut cluster, &others, 300);
    assert!(
        !server(&cluster, &old).is_leader(),
        "the removed leader has stepped down"
    );
    let elections = server(&cluster, &old).stats().elections;
    let reply = execute(&mut cluster, ALICE, &new, 2, set("k", "2"));
    assert_eq!(reply.outcome, stored("2"), "the new leader commits writes");
    cluster.tick_n(300);
    assert_eq!(
        server(&cluster, &old).stats().elections,
        elections,
        "the removed server never stands for election"
    );
}

/// Three voters and a spare. The leader is cut off alone while delphi is being added:
/// its learner entry cannot commit, and the majority side elects a leader that does the
/// change. After the heal the old leader's uncommitted configuration is truncated and
/// every server ends on the same configuration. Then a follower is partitioned away and
/// removed by the majority.
#[test]
fn step6_add_and_remove_under_partitions() {
    let mut cluster = cluster_with_spares(64, &THREE, &[DELPHI], Config::default());
    let old = until_leader_among(&mut cluster, &THREE, 200);
    execute(&mut cluster, ALICE, &old, 1, set("k", "1"));
    let majority: Vec<&str> = THREE
        .iter()
        .copied()
        .filter(|s| *s != old)
        .chain([DELPHI])
        .collect();
    cluster.partition(&[&[old.as_str()], &majority]);
    let configuration = add(&mut cluster, &old, 1, DELPHI);
    assert!(
        configuration.is_voter(DELPHI),
        "the majority side adds delphi"
    );
    cluster.heal_all();
    let leader = until_leader(&mut cluster, 300);
    let last = server(&cluster, &leader).commit_index();
    until_applied(&mut cluster, &[&old, DELPHI], last, 300);
    assert_eq!(
        configuration_of_all(&cluster, &[ATHENS, BYZANTIUM, CYRENE, DELPHI]),
        vec![configuration.clone(); 4],
        "after the heal every server uses the committed configuration"
    );
    let follower = [ATHENS, BYZANTIUM, CYRENE, DELPHI]
        .into_iter()
        .find(|s| *s != leader)
        .expect("a follower");
    let rest: Vec<&str> = [ATHENS, BYZANTIUM, CYRENE, DELPHI]
        .into_iter()
        .filter(|s| *s != follower)
        .collect();
    cluster.partition(&[&[follower], &rest]);
    let configuration = remove(&mut cluster, &leader, 2, follower);
    assert!(
        !configuration.is_member(follower),
        "three of four voters remove the partitioned follower"
    );
    let reply = execute(&mut cluster, BOB, &leader, 1, set("k", "2"));
    assert_eq!(reply.outcome, stored("2"), "the three voters commit writes");
}

fn configuration_of_all(
    cluster: &common::Cluster<Msg>,
    servers: &[&str],
) -> Vec<raft::Configuration> {
    servers.iter().map(|s| configuration(cluster, s)).collect()
}

/// Three voters and two spares; delphi is crashed, so its catch-up cannot finish. While
/// that change is in progress, a second one is refused; adding two servers in one
/// request is refused under the one-server rule.
#[test]
fn step6_one_change_at_a_time_is_enforced() {
    let mut cluster = cluster_with_spares(65, &THREE, &[DELPHI, EPHESUS], Config::default());
    let leader = until_leader_among(&mut cluster, &THREE, 200);
    execute(&mut cluster, ALICE, &leader, 1, set("k", "1"));
    cluster.crash(DELPHI);
    let first = {
        let request = RequestId::new(OPERATOR, 1);
        let change = MembershipChange::AddServer(ProcessId::new(DELPHI));
        cluster.call(OPERATOR, &leader, Msg::ChangeMembership { request, change })
    };
    cluster.tick_n(5);
    let second = change(
        &mut cluster,
        &leader,
        2,
        MembershipChange::AddServer(ProcessId::new(EPHESUS)),
    );
    let reason = refusal(&second);
    assert!(
        reason.contains("in progress") || reason.contains("one change at a time"),
        "a second change while the first is in progress is refused: {reason}"
    );
    let both = MembershipChange::AddVoters([DELPHI, EPHESUS].map(ProcessId::new).into());
    cluster.restart(DELPHI);
    let answer = cluster.run(&first);
    assert!(
        matches!(answer, Ok(Msg::MembershipChanged { .. })),
        "the first change completes once delphi is back: {answer:?}"
    );
    let reason = refusal(&change(&mut cluster, &leader, 3, both));
    assert!(
        reason.contains("one server at a time"),
        "two servers in one entry are refused: {reason}"
    );
    let one = MembershipChange::AddVoters([EPHESUS].map(ProcessId::new).into());
    let reason = refusal(&change(&mut cluster, &leader, 4, one));
    assert!(
        reason.contains("each as a learner first"),
        "so is one server made a voter at once, without catching up as a learner: {reason}"
    );
}

/// Regression (the single-server-change bug): a leader proposes a change only once it has
/// committed an entry of its own term. A new leader cut off from its followers right after
/// its election refuses the change; once its no-op commits, it accepts it.
#[test]
fn step6_regression_a_leader_proposes_no_change_before_committing_an_entry_of_its_term() {
    let mut cluster = cluster_with_spares(66, &THREE, &[DELPHI], Config::default());
    let leader = until_leader_among(&mut cluster, &THREE, 200);
    let old_term = server(&cluster, &leader).term();
    // Depose it: the other two elect one of them in a later term.
    let others: Vec<&str> = THREE.iter().copied().filter(|s| *s != leader).collect();
    cluster.partition(&[&[leader.as_str()], &others]);
    if let Err(e) = cluster.tick_until_within(300, |c| {
        others.iter().any(|s| {
            c.node::<raft::Server>(s).is_leader() && c.node::<raft::Server>(s).term() > old_term
        })
    }) {
        panic!("the majority must elect a new leader: {e}");
    }
    let new = others
        .iter()
        .copied()
        .find(|s| server(&cluster, s).is_leader())
        .expect("a new leader");
    // Its no-op is appended but cannot commit: cut it off from its follower at once.
    cluster.partition(&[
        &[new],
        &[others
            .iter()
            .copied()
            .find(|s| *s != new)
            .expect("a follower")],
    ]);
    assert!(
        server(&cluster, new).commit_index() < server(&cluster, new).last_index(),
        "the new leader has not committed its no-op yet"
    );
    let answer = change(
        &mut cluster,
        new,
        1,
        MembershipChange::AddServer(ProcessId::new(DELPHI)),
    );
    let reason = refusal(&answer);
    assert!(
        reason.contains("entry of its term"),
        "a leader without a committed entry of its term refuses changes: {reason}"
    );
    cluster.heal_all();
    let leader = until_leader(&mut cluster, 300);
    let configuration = add(&mut cluster, &leader, 2, DELPHI);
    assert!(
        configuration.is_voter(DELPHI),
        "once an entry of its term has committed, the change goes through"
    );
}

/// Three voters; a follower is removed and then hears nothing more. It times out and asks
/// for pre-votes, but the voters, who hear from their leader, refuse them: the leader's
/// term never moves and writes keep committing.
#[test]
fn step6_a_removed_server_does_not_disrupt_the_cluster() {
    let mut cluster = three(67);
    cluster.add_client(OPERATOR);
    let leader = until_leader(&mut cluster, 200);
    let removed = THREE
        .iter()
        .copied()
        .find(|s| *s != leader)
        .expect("a follower");
    execute(&mut cluster, ALICE, &leader, 1, set("k", "1"));
    remove(&mut cluster, &leader, 1, removed);
    let term = server(&cluster, &leader).term();
    cluster.tick_n(500);
    let reply = execute(&mut cluster, ALICE, &leader, 2, set("k", "v"));
    assert_eq!(
        reply.outcome,
        stored("v"),
        "the cluster keeps committing writes"
    );
    assert!(
        server(&cluster, removed).stats().pre_votes > 0,
        "the removed server, not knowing it was removed, tried to campaign"
    );
    assert!(
        server(&cluster, &leader).is_leader() && server(&cluster, &leader).term() == term,
        "the leader was never deposed: still leading term {term}"
    );
}

/// Three voters and two spares, clients writing throughout: the operator adds delphi and
/// ephesus, then removes athens and byzantium (whichever of them leads). Every change
/// completes, the final configuration is the three others, the oracle holds after every
/// tick and the clients' history is linearizable.
#[test]
fn step6_grow_three_to_five_to_three_while_clients_write() {
    let script = [
        AdminAction::Add(ProcessId::new(DELPHI)),
        AdminAction::Add(ProcessId::new(EPHESUS)),
        AdminAction::Remove(ProcessId::new(ATHENS)),
        AdminAction::Remove(ProcessId::new(BYZANTIUM)),
    ];
    let sim_config = common::sim::SimConfig {
        faults: common::nemesis::FaultConfig::none(),
        chaos_ticks: 600,
        ..raft::sweep::membership_fault_config(6)
    };
    let (result, log) = raft::sweep::run_membership_with(
        &sim_config,
        &Config::default(),
        Plan::Script(script.clone().into()),
        20,
        |cluster| {
            support::oracle::install(cluster);
        },
    );
    let figures =
        result.unwrap_or_else(|failure| panic!("{}\n{}", failure.failure, failure.report));
    assert_eq!(
        log.done,
        script.to_vec(),
        "every change completes, in order"
    );
    assert_eq!(
        names(&log.configuration.voters),
        ids(&[CYRENE, DELPHI, EPHESUS]),
        "the cluster ends on the three other voters"
    );
    assert!(
        figures.completed_ops >= 20,
        "clients wrote throughout: only {} operations completed",
        figures.completed_ops
    );
}

/// Negative control: adding two voters in one configuration entry (no joint consensus).
/// From {athens, byzantium, cyrene} to five voters, the leader and the two new servers
/// are a majority of the new configuration while the other two are a majority of the
/// old one: both sides elect a leader in the same term, and the oracle catches it.
#[test]
fn step6_adding_two_voters_at_once_is_caught_electing_two_leaders_in_one_term() {
    // No election starts on its own: the scenario decides who stands, and when.
    let config = Config {
        change_rule: raft::ChangeRule::ManyAtOnce,
        ..quiet()
    };
    let mut cluster = cluster_with_spares(68, &THREE, &[DELPHI, EPHESUS], config);
    cluster.act::<raft::Server, _>(ATHENS, |s, ctx| s.start_election(ctx));
    let leader = until_leader_among(&mut cluster, &THREE, 200);
    execute(&mut cluster, ALICE, &leader, 1, set("k", "1"));
    let old: Vec<&str> = THREE.iter().copied().filter(|s| *s != leader).collect();
    cluster.partition(&[&[leader.as_str(), DELPHI, EPHESUS], &old]);
    let both = MembershipChange::AddVoters([DELPHI, EPHESUS].map(ProcessId::new).into());
    let answer = change(&mut cluster, &leader, 1, both);
    assert!(
        matches!(answer, Msg::MembershipChanged { .. }),
        "the broken leader commits five voters with three of them: {answer:?}"
    );
    let term = server(&cluster, &leader).term();
    // The new side first: delphi, with the whole log, wins term + 1 with three of five.
    cluster.act::<raft::Server, _>(DELPHI, |s, ctx| s.start_election(ctx));
    cluster
        .tick_until_within(50, |c| c.node::<raft::Server>(DELPHI).is_leader())
        .unwrap_or_else(|e| panic!("delphi must win with the votes of the new majority: {e}"));
    // Then the old side: two of the three old voters elect one of them in the same term.
    cluster.act::<raft::Server, _>(old[0], |s, ctx| s.start_election(ctx));
    let caught = cluster.tick_until_within(100, |_| false);
    let found = match caught {
        Err(e) => e.to_string(),
        Ok(_) => panic!("the run must fail"),
    };
    assert!(
        found.contains(&format!("two leaders in term {}", term + 1)),
        "the oracle must catch two leaders in term {}: {found}",
        term + 1
    );
}

/// A single voter: adding a server the cluster does not know, or removing the last
/// voter, is refused with the reason.
#[test]
fn step6_unknown_servers_and_an_empty_configuration_are_refused() {
    let mut cluster = cluster_with_spares(69, &[ATHENS], &[], Config::default());
    let leader = until_leader_among(&mut cluster, &[ATHENS], 200);
    execute(&mut cluster, ALICE, &leader, 1, set("k", "1"));
    let unknown = MembershipChange::AddServer(ProcessId::new("nobody"));
    let reason = refusal(&change(&mut cluster, &leader, 1, unknown));
    assert!(
        reason.contains("unknown server"),
        "an unknown server is refused: {reason}"
    );
    let last = MembershipChange::RemoveServer(ProcessId::new(ATHENS));
    let reason = refusal(&change(&mut cluster, &leader, 2, last));
    assert!(
        reason.contains("no voters"),
        "the last voter stays: {reason}"
    );
}

/// A follower uses a configuration entry as soon as it is appended, before it commits;
/// when a later leader truncates that entry, the follower falls back to the configuration
/// before it (here the bootstrap one). A restart recomputes it from the log on disk.
#[test]
fn step6_a_configuration_is_used_when_appended_and_dropped_when_truncated() {
    let mut solo = solo(quiet());
    solo.tick();
    let grown = raft::Configuration::new([ATHENS, BYZANTIUM, CYRENE, DELPHI]);
    let entries = |term, command| vec![raft::Entry { term, command }];
    solo.deliver(
        BYZANTIUM,
        Msg::AppendEntries {
            term: 1,
            leader: ProcessId::new(BYZANTIUM),
            prev_log_index: 0,
            prev_log_term: 0,
            entries: entries(1, Command::Configuration(grown.clone())),
            leader_commit: 0,
            read_round: 0,
        },
    );
    solo.tick_n(3);
    assert_eq!(
        solo.process().configuration(),
        &grown,
        "the appended, uncommitted configuration is in force at once"
    );
    solo.restart(raft::Server::new(&ProcessId::new(ATHENS), quiet()));
    solo.tick();
    assert_eq!(
        solo.process().configuration(),
        &grown,
        "a restart recomputes the configuration from the log on disk"
    );
    solo.deliver(
        CYRENE,
        Msg::AppendEntries {
            term: 2,
            leader: ProcessId::new(CYRENE),
            prev_log_index: 0,
            prev_log_term: 0,
            entries: entries(2, Command::NoOp),
            leader_commit: 0,
            read_round: 0,
        },
    );
    solo.tick_n(3);
    assert_eq!(
        solo.process().configuration(),
        &raft::Configuration::new(THREE),
        "with the entry truncated, the bootstrap configuration is back"
    );
}

/// Three voters and a spare that is down: it never catches up, so after
/// `catch_up_rounds` rounds the leader refuses the addition and removes the learner.
#[test]
fn step6_a_learner_that_never_catches_up_is_refused_and_removed() {
    let config = Config {
        catch_up_rounds: 2,
        ..Config::default()
    };
    let mut cluster = cluster_with_spares(70, &THREE, &[DELPHI], config);
    let leader = until_leader_among(&mut cluster, &THREE, 200);
    execute(&mut cluster, ALICE, &leader, 1, set("k", "1"));
    cluster.crash(DELPHI);
    let answer = change(
        &mut cluster,
        &leader,
        1,
        MembershipChange::AddServer(ProcessId::new(DELPHI)),
    );
    let reason = refusal(&answer);
    assert!(
        reason.contains("did not catch up within 2 rounds"),
        "a learner that cannot keep up is refused: {reason}"
    );
    cluster
        .tick_until_within(100, |c| {
            let leader = c.node::<raft::Server>(&leader);
            !leader.configuration().is_member(DELPHI)
                && leader.commit_index() >= leader.configuration_index()
        })
        .unwrap_or_else(|e| panic!("the learner must be removed again: {e}"));
}

/// Seeds of the membership hunt.
const HUNT_SEEDS: u64 = 300;

/// The membership hunt (`tests/support/membership_hunt.rs`) with the correct rule: the
/// cluster grows one server at a time while each new configuration's leader is cut off
/// with the servers it added; the oracle holds after every tick.
#[test]
fn step6_one_server_at_a_time_survives_the_membership_hunt() {
    let summary = common::sim::sweep(HUNT_SEEDS, |seed| {
        support::membership_hunt::run_membership_hunt(seed, &Config::default())
    });
    if !summary.seeds.replay {
        assert!(
            summary.exercised.planned_faults >= summary.exercised.seeds,
            "the adversary split only {} configurations over {} seeds",
            summary.exercised.planned_faults,
            summary.exercised.seeds
        );
    }
}

/// Negative control in a sweep: the same hunt with two voters added in one entry. The
/// leader and the two new servers commit as a majority of five while the two others
/// elect and commit as a majority of the old three; the oracle must catch it.
#[test]
fn step6_adding_two_voters_at_once_is_caught_by_the_membership_hunt() {
    let failure = common::sim::find_failure(HUNT_SEEDS, |seed| {
        support::membership_hunt::run_membership_hunt(seed, &Config::many_servers_at_once())
            .map(drop)
    })
    .expect("the membership hunt must catch two voters added at once");
    let found = failure.failure.to_string();
    println!(
        "caught two voters added at once on seed {}: {found}",
        failure.seed
    );
    assert!(
        found.contains("two leaders")
            || found.contains("two entries committed")
            || found.contains("leader completeness"),
        "two voters at once must be caught by two disjoint majorities: {found}"
    );
}

/// A leader driven by hand: athens, among five server processes of which the first
/// configuration names three, elected in term 1 with byzantium's vote, its no-op
/// committed with byzantium's acknowledgement.
fn solo_leader_of_three_among_five() -> common::solo::Solo<raft::Server> {
    let config = Config {
        voters: Some(THREE.iter().map(|v| ProcessId::new(*v)).collect()),
        ..quiet()
    };
    let mut node = common::solo::Solo::new(
        ATHENS,
        FIVE,
        raft::Server::new(&ProcessId::new(ATHENS), config),
    );
    node.act(|s, ctx| s.start_election(ctx));
    node.tick_n(2);
    node.deliver(
        BYZANTIUM,
        Msg::Vote {
            term: 1,
            granted: true,
            pre_vote: false,
        },
    );
    node.tick_n(2);
    node.deliver(BYZANTIUM, stored_through(1, 1));
    assert!(
        node.process().is_leader() && node.process().commit_index() == 1,
        "athens leads term 1 and committed its no-op"
    );
    node.take_sent();
    node
}

/// A server the leader starts replicating to gets the next index Figure 2 gives every
/// follower of a new leader: just after the leader's last entry (here the configuration
/// entry that made it a learner). The leader then probes it with an empty AppendEntries
/// naming that entry, and walks back from the learner's answer.
#[test]
fn step6_a_new_learners_next_index_starts_after_the_leaders_last_entry() {
    let mut node = solo_leader_of_three_among_five();
    node.request(
        OPERATOR,
        Msg::ChangeMembership {
            request: RequestId::new(OPERATOR, 1),
            change: MembershipChange::AddServer(ProcessId::new(DELPHI)),
        },
    );
    let leader = node.process();
    assert_eq!(
        (leader.last_index(), leader.configuration().learners.len()),
        (2, 1),
        "the configuration with delphi as a learner is entry 2"
    );
    assert_eq!(
        leader.next_index(DELPHI),
        Some(3),
        "delphi's next index is the leader's last index + 1"
    );
    node.tick_n(4);
    let probes = appends_to(&node.take_sent(), DELPHI);
    assert_eq!(
        probes,
        vec![(2, 0)],
        "delphi's first AppendEntries is the heartbeat's probe after entry 2, with no entries"
    );
}

/// A follower asked for a membership change does not act on it: it answers `NotLeader`
/// naming the leader it follows, so the operator can go there.
#[test]
fn step6_a_follower_sends_a_membership_change_to_its_leader() {
    let mut cluster = cluster_with_spares(69, &THREE, &[DELPHI], Config::default());
    let leader = until_leader_among(&mut cluster, &THREE, 200);
    let follower = THREE.into_iter().find(|id| *id != leader).unwrap_or(ATHENS);
    let call = cluster.call(
        OPERATOR,
        follower,
        Msg::ChangeMembership {
            request: RequestId::new(OPERATOR, 1),
            change: MembershipChange::AddServer(ProcessId::new(DELPHI)),
        },
    );
    let answer = cluster.run(&call);
    assert!(
        matches!(&answer, Ok(Msg::NotLeader { hint: Some(h), .. }) if *h == ProcessId::new(leader.as_str())),
        "{follower} refuses and names {leader}: {answer:?}"
    );
}

/// A leader that removes itself keeps leading until the configuration without it
/// commits (it replicates the entry but does not count itself), answers the operator,
/// and only then steps down.
#[test]
fn step6_a_leader_that_removes_itself_leads_until_the_removal_commits_then_steps_down() {
    let mut node = solo_leader_of_three_among_five();
    node.request(
        OPERATOR,
        Msg::ChangeMembership {
            request: RequestId::new(OPERATOR, 1),
            change: MembershipChange::RemoveServer(ProcessId::new(ATHENS)),
        },
    );
    assert_eq!(node.process().last_index(), 2, "the removal is entry 2");
    node.tick_n(10);
    assert!(
        node.process().is_leader(),
        "ten ticks later, the removal uncommitted, athens still leads"
    );
    for follower in [BYZANTIUM, CYRENE] {
        node.deliver(follower, stored_through(1, 2));
    }
    assert_eq!(
        node.process().commit_index(),
        2,
        "byzantium and cyrene commit it"
    );
    node.tick();
    let answered = node.take_sent().iter().any(|e| {
        e.to == OPERATOR
            && matches!(&e.body, Msg::MembershipChanged { configuration, .. }
                if !configuration.is_member(ATHENS))
    });
    assert!(answered, "athens tells the operator the removal is done");
    assert!(
        !node.process().is_leader(),
        "and steps down once it has committed"
    );
}

/// A learner whose catch-up a crashed leader left unfinished is caught up and promoted
/// by the next leader when the operator asks again: it is already in the configuration,
/// so the new leader resumes the catch-up without appending a second learner entry.
#[test]
fn step6_a_new_leader_resumes_a_learners_catch_up_without_appending_it_again() {
    let mut cluster = cluster_with_spares(70, &THREE, &[DELPHI], Config::default());
    let leader = until_leader_among(&mut cluster, &THREE, 200);
    execute(&mut cluster, ALICE, &leader, 1, set("k", "v"));
    cluster.isolate(DELPHI);
    let _unanswered = cluster.call(
        OPERATOR,
        &leader,
        Msg::ChangeMembership {
            request: RequestId::new(OPERATOR, 1),
            change: MembershipChange::AddServer(ProcessId::new(DELPHI)),
        },
    );
    let who = leader.clone();
    cluster
        .tick_until_within(50, |c| {
            let s = c.node::<raft::Server>(&who);
            let learner =
                s.configuration().is_member(DELPHI) && !s.configuration().is_voter(DELPHI);
            learner && s.configuration_index() <= s.commit_index()
        })
        .unwrap_or_else(|e| panic!("the configuration with learner delphi commits: {e}"));
    cluster.crash(&leader);
    let others: Vec<&str> = THREE.into_iter().filter(|id| *id != leader).collect();
    let new = until_leader_among(&mut cluster, &others, 300);
    execute(&mut cluster, BOB, &new, 1, set("k", "w"));
    cluster.reconnect(DELPHI);
    let configuration = add(&mut cluster, &new, 2, DELPHI);
    assert!(configuration.is_voter(DELPHI), "delphi is promoted");
    let entries = server(&cluster, &new)
        .log()
        .iter()
        .filter(|e| matches!(e.command, Command::Configuration(_)))
        .count();
    assert_eq!(
        entries, 2,
        "two configuration entries: the first leader's learner entry, and the promotion"
    );
}
