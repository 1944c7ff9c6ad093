//! Helpers of the membership and transfer scenarios: a cluster with spare servers
//! outside the first configuration, an operator that sends admin requests following
//! `NotLeader` hints, and readers of a node's configuration.

use super::{ALICE, BOB, CAROL, CLIENT_TIMEOUT, oracle};
use common::{Cluster, ClusterBuilder, Follow, ProcessId, StoreConfig};
use raft::{Config, Configuration, MembershipChange, Msg, RequestId, Server};
use std::collections::BTreeSet;

/// The operator's name: a generic client that sends admin requests.
pub const OPERATOR: &str = "operator";

/// A cluster of `voters` (the first configuration) and `spares` (server processes outside
/// it), with `config`, the three clients, the operator and the oracle.
pub fn cluster_with_spares(
    seed: u64,
    voters: &[&str],
    spares: &[&str],
    config: Config,
) -> Cluster<Msg> {
    let builder = ClusterBuilder::new()
        .seed(seed)
        .servers(voters.iter().chain(spares).copied())
        .store(StoreConfig::default())
        .request_timeout(CLIENT_TIMEOUT)
        .budget(20_000);
    let config = Config {
        voters: Some(voters.iter().map(|v| ProcessId::new(*v)).collect()),
        ..config
    };
    let mut cluster = raft::build(builder, config);
    for client in [ALICE, BOB, CAROL, OPERATOR] {
        cluster.add_client(client);
    }
    oracle::install(&mut cluster);
    cluster
}

/// Send an admin request built from request id `seq` of the operator to `server`,
/// following `NotLeader` hints for up to `CLIENT_TIMEOUT` ticks, and return the answer.
/// An attempt waits half of that: a learner's catch-up may take several rounds.
pub fn admin(
    cluster: &mut Cluster<Msg>,
    server: &str,
    seq: u64,
    msg: impl FnOnce(RequestId) -> Msg,
) -> Msg {
    let follow = Follow::new(CLIENT_TIMEOUT, raft::redirect).attempt_timeout(CLIENT_TIMEOUT / 2);
    let call = cluster.call_following(OPERATOR, server, msg(RequestId::new(OPERATOR, seq)), follow);
    cluster.run(&call).unwrap_or_else(|e| {
        panic!(
            "the operator's request {seq} must be answered: {e}\n{}",
            cluster.report()
        )
    })
}

/// Ask for `change`; return the answer.
pub fn change(cluster: &mut Cluster<Msg>, server: &str, seq: u64, change: MembershipChange) -> Msg {
    admin(cluster, server, seq, |request| Msg::ChangeMembership {
        request,
        change,
    })
}

/// Ask for `change` and expect it done; return the committed configuration.
pub fn changed(
    cluster: &mut Cluster<Msg>,
    server: &str,
    seq: u64,
    what: MembershipChange,
) -> Configuration {
    match change(cluster, server, seq, what.clone()) {
        Msg::MembershipChanged { configuration, .. } => configuration,
        other => panic!("{what:?} must be done, got {other:?}\n{}", cluster.report()),
    }
}

/// Add `id` (learner, then voter), expecting success.
pub fn add(cluster: &mut Cluster<Msg>, server: &str, seq: u64, id: &str) -> Configuration {
    changed(
        cluster,
        server,
        seq,
        MembershipChange::AddServer(ProcessId::new(id)),
    )
}

/// Remove `id`, expecting success.
pub fn remove(cluster: &mut Cluster<Msg>, server: &str, seq: u64, id: &str) -> Configuration {
    changed(
        cluster,
        server,
        seq,
        MembershipChange::RemoveServer(ProcessId::new(id)),
    )
}

/// Ask the leader (found from `server`) to hand over to `to`; return the answer.
pub fn transfer(cluster: &mut Cluster<Msg>, server: &str, seq: u64, to: &str) -> Msg {
    let to = ProcessId::new(to);
    admin(cluster, server, seq, |request| Msg::TransferLeadership {
        request,
        to,
    })
}

/// The reason of a `Refused` answer, failing the test on any other answer.
pub fn refusal(answer: &Msg) -> String {
    match answer {
        Msg::Refused { reason, .. } => reason.clone(),
        other => panic!("the request must be refused, got {other:?}"),
    }
}

/// `id`'s latest configuration.
pub fn configuration(cluster: &Cluster<Msg>, id: &str) -> Configuration {
    cluster.node::<Server>(id).configuration().clone()
}

/// The voters of a configuration, as names.
pub fn names(ids: &BTreeSet<ProcessId>) -> Vec<String> {
    ids.iter().map(ToString::to_string).collect()
}
