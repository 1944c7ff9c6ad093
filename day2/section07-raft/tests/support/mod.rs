//! Shared set-up for the section's tests: cluster builders, the Raft invariant oracle
//! (checked after every tick), and helpers that elect, send and wait.
#![allow(dead_code)]

pub mod hunt;
pub mod membership;
pub mod membership_hunt;
pub mod oracle;
pub mod sim;

#[allow(unused_imports)]
pub use common::names::{
    ALICE, ATHENS, BOB, BYZANTIUM, CAROL, CYRENE, DELPHI, EPHESUS, FIVE, THREE,
};
use common::{Cluster, ClusterBuilder, Promise, StoreConfig, Tick};
use raft::{Config, Index, Msg, Operation, Outcome, Reply, Server, Term};

/// Client timeout of the scenario tests, in ticks.
pub const CLIENT_TIMEOUT: u64 = 300;

/// A cluster of `servers` with `config`, three clients, and the oracle installed.
pub fn cluster_with(seed: u64, servers: &[&str], config: Config) -> Cluster<Msg> {
    let builder = ClusterBuilder::new()
        .seed(seed)
        .servers(servers.iter().copied())
        .store(StoreConfig::default())
        .request_timeout(CLIENT_TIMEOUT)
        .budget(20_000);
    let mut cluster = raft::build(builder, config);
    for client in [ALICE, BOB, CAROL] {
        cluster.add_client(client);
    }
    oracle::install(&mut cluster);
    cluster
}

/// Three servers, default configuration.
pub fn three(seed: u64) -> Cluster<Msg> {
    cluster_with(seed, &THREE, Config::default())
}

/// Five servers, default configuration.
pub fn five(seed: u64) -> Cluster<Msg> {
    cluster_with(seed, &FIVE, Config::default())
}

pub fn server<'a>(cluster: &'a Cluster<Msg>, id: &str) -> &'a Server {
    cluster.node::<Server>(id)
}

/// The servers that are up and believe they lead, with their terms.
pub fn leaders(cluster: &Cluster<Msg>) -> Vec<(String, Term)> {
    cluster
        .servers()
        .iter()
        .filter_map(|id| {
            let s = cluster.try_node::<Server>(id.as_str())?;
            s.is_leader().then(|| (id.to_string(), s.term()))
        })
        .collect()
}

/// The leader of the highest term among the servers that are up, if any.
pub fn current_leader(cluster: &Cluster<Msg>) -> Option<String> {
    leaders(cluster)
        .into_iter()
        .max_by_key(|(_, term)| *term)
        .map(|(id, _)| id)
}

/// Tick until one of `among` leads a term that a majority of `among` is in, within
/// `budget` ticks; return it.
pub fn until_leader_among(cluster: &mut Cluster<Msg>, among: &[&str], budget: Tick) -> String {
    let ids: Vec<String> = among.iter().map(|s| s.to_string()).collect();
    let found = cluster.tick_until_within(budget, |c| leader_among(c, &ids).is_some());
    if let Err(e) = found {
        panic!(
            "one of {among:?} must be elected within {budget} ticks: {e}\n{}",
            cluster.report()
        );
    }
    leader_among(cluster, &ids).expect("a leader was just found")
}

fn leader_among(cluster: &Cluster<Msg>, ids: &[String]) -> Option<String> {
    let leader = ids.iter().find(|id| {
        cluster
            .try_node::<Server>(id)
            .is_some_and(|s| s.is_leader())
    })?;
    let term = cluster.node::<Server>(leader).term();
    let followers = ids
        .iter()
        .filter(|id| {
            cluster.try_node::<Server>(id).is_some_and(|s| {
                s.term() == term && s.leader().map(|l| l.as_str()) == Some(leader.as_str())
            })
        })
        .count();
    (followers >= raft::majority(ids.len())).then(|| leader.clone())
}

/// Tick until every server of the cluster that is up agrees on one leader.
pub fn until_leader(cluster: &mut Cluster<Msg>, budget: Tick) -> String {
    let servers: Vec<String> = cluster.servers().iter().map(|s| s.to_string()).collect();
    let ids: Vec<&str> = servers.iter().map(String::as_str).collect();
    until_leader_among(cluster, &ids, budget)
}

pub fn set(key: &str, value: &str) -> Operation {
    Operation::set(key, value)
}

pub fn get(key: &str) -> Operation {
    Operation::get(key)
}

pub fn cas(key: &str, expected: Option<&str>, new: &str) -> Operation {
    Operation::cas(key, expected, new)
}

pub fn stored(value: &str) -> Outcome {
    Outcome::Stored {
        value: value.into(),
    }
}

pub fn read(value: Option<&str>) -> Outcome {
    Outcome::Read {
        value: value.map(str::to_string),
    }
}

/// Run until `reply` completes and read it as an outcome, failing the test otherwise.
pub fn answered(cluster: &mut Cluster<Msg>, reply: &Promise<Msg>, who: &str) -> Reply {
    let answer = cluster.run(reply);
    raft::reply(answer.clone()).unwrap_or_else(|e| {
        panic!(
            "{who} must be told the outcome of its request, got {e} ({answer:?})\n{}",
            cluster.report()
        )
    })
}

/// Send request `seq` of `client` to `server`, following redirects, and wait for its
/// outcome.
pub fn execute(
    cluster: &mut Cluster<Msg>,
    client: &str,
    server: &str,
    seq: u64,
    operation: Operation,
) -> Reply {
    let call = raft::execute_following(cluster, client, server, seq, operation, CLIENT_TIMEOUT);
    answered(cluster, &call, client)
}

/// Tick until every server in `servers` has applied through `index`.
pub fn until_applied(cluster: &mut Cluster<Msg>, servers: &[&str], index: Index, budget: Tick) {
    let ids: Vec<String> = servers.iter().map(|s| s.to_string()).collect();
    if let Err(e) = cluster.tick_until_within(budget, |c| {
        ids.iter().all(|id| {
            c.try_node::<Server>(id)
                .is_some_and(|s| s.last_applied() >= index)
        })
    }) {
        panic!(
            "every replica of {servers:?} must apply through index {index} within {budget} ticks: {e}\n{}",
            cluster.report()
        );
    }
}

/// The terms of `id`'s log, in index order.
pub fn terms(cluster: &Cluster<Msg>, id: &str) -> Vec<Term> {
    server(cluster, id).log().iter().map(|e| e.term).collect()
}

/// One server (athens, among the three) driven by hand, with `config`.
pub fn solo(config: Config) -> common::solo::Solo<Server> {
    common::solo::Solo::new(
        ATHENS,
        THREE,
        Server::new(&common::ProcessId::new(ATHENS), config),
    )
}

/// A configuration for one-step tests: no pre-vote or check-quorum, and timeouts long
/// enough that no election starts on its own.
pub fn quiet() -> Config {
    Config {
        election_timeout_ticks: (1_000, 1_000),
        pre_vote: false,
        check_quorum: false,
        ..Config::default()
    }
}

/// A RequestVote from `candidate`.
pub fn vote_request(candidate: &str, term: Term, last_index: Index, last_term: Term) -> Msg {
    Msg::RequestVote {
        term,
        candidate: common::ProcessId::new(candidate),
        last_log_index: last_index,
        last_log_term: last_term,
        pre_vote: false,
        transfer: false,
    }
}

/// An AppendEntries from `leader` carrying no-ops of the given terms.
pub fn append(
    leader: &str,
    term: Term,
    prev: (Index, Term),
    entry_terms: &[Term],
    leader_commit: Index,
) -> Msg {
    Msg::AppendEntries {
        term,
        leader: common::ProcessId::new(leader),
        prev_log_index: prev.0,
        prev_log_term: prev.1,
        entries: entry_terms
            .iter()
            .map(|t| raft::Entry {
                term: *t,
                command: raft::Command::NoOp,
            })
            .collect(),
        leader_commit,
        read_round: 0,
    }
}

/// The votes in `sent` addressed to `to`: `(term, granted)`.
pub fn votes_to(sent: &[common::Envelope<Msg>], to: &str) -> Vec<(Term, bool)> {
    sent.iter()
        .filter(|e| e.to == to)
        .filter_map(|e| match e.body {
            Msg::Vote {
                term,
                granted,
                pre_vote: false,
            } => Some((term, granted)),
            _ => None,
        })
        .collect()
}

/// The answers to AppendEntries in `sent`: `(success, match_index)`.
pub fn appended(sent: &[common::Envelope<Msg>]) -> Vec<(bool, Index)> {
    sent.iter()
        .filter_map(|e| match e.body {
            Msg::Appended {
                success,
                match_index,
                ..
            } => Some((success, match_index)),
            _ => None,
        })
        .collect()
}

/// A follower's successful answer to AppendEntries of `term`: it stores the log through
/// `match_index`.
pub fn stored_through(term: Term, match_index: Index) -> Msg {
    Msg::Appended {
        term,
        success: true,
        match_index,
        conflict: None,
        read_round: 0,
    }
}

/// The AppendEntries in `sent` addressed to `to`: `(prev_log_index, entries carried)`.
pub fn appends_to(sent: &[common::Envelope<Msg>], to: &str) -> Vec<(Index, usize)> {
    sent.iter()
        .filter(|e| e.to == to)
        .filter_map(|e| match &e.body {
            Msg::AppendEntries {
                prev_log_index,
                entries,
                ..
            } => Some((*prev_log_index, entries.len())),
            _ => None,
        })
        .collect()
}
