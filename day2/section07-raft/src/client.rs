//! Typed client helpers: build a cluster, send a request, read the reply.

use crate::config::Config;
use crate::error::ClientError;
use crate::messages::{Index, Msg, Operation, Outcome, RequestId};
use crate::server::Server;
use common::{Cluster, ClusterBuilder, Follow, ProcessId, Promise, Redirect, RpcError, Tick};
use std::collections::BTreeSet;

/// A request's outcome as a client sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The request answered.
    pub request: RequestId,
    /// The log index it was applied at (for a ReadIndex read: its read index).
    pub index: Index,
    /// What applying it produced.
    pub outcome: Outcome,
}

/// Build a cluster of Raft servers with `config`.
///
/// The first configuration is explicit: unless `config.voters` names it, it is the
/// servers the cluster is built with, recorded at the first server's creation, so a
/// restart or [`Cluster::add_server`] never changes it (a server added later starts
/// outside the configuration and waits for a leader to add it).
pub fn build(builder: ClusterBuilder, config: Config) -> Cluster<Msg> {
    let first = std::cell::OnceCell::new();
    builder.build(move |id, peers| {
        let mut config = config.clone();
        if config.voters.is_none() {
            // The factory gets a server's peers (the others): add the server itself.
            let voters = first.get_or_init(|| {
                let mut voters: BTreeSet<ProcessId> = peers.iter().cloned().collect();
                voters.insert(id.clone());
                voters
            });
            config.voters = Some(BTreeSet::clone(voters));
        }
        Server::new(id, config)
    })
}

/// Where a reply sends a client next: a `NotLeader` reply to its hint, or, without one,
/// to the next server.
pub fn redirect(reply: &Msg) -> Redirect {
    match reply {
        Msg::NotLeader {
            hint: Some(hint), ..
        } => Redirect::To(hint.clone()),
        Msg::NotLeader { hint: None, .. } => Redirect::Elsewhere,
        _ => Redirect::Done,
    }
}

/// Send request `seq` of `client` to `server` (no redirects followed).
pub fn execute(
    cluster: &mut Cluster<Msg>,
    client: &str,
    server: &str,
    seq: u64,
    operation: Operation,
) -> Promise<Msg> {
    let request = RequestId::new(client, seq);
    cluster.call(client, server, Msg::Execute { request, operation })
}

/// Send request `seq` of `client` to `server`, following `NotLeader` hints for at most
/// `timeout` ticks.
pub fn execute_following(
    cluster: &mut Cluster<Msg>,
    client: &str,
    server: &str,
    seq: u64,
    operation: Operation,
    timeout: Tick,
) -> Promise<Msg> {
    let request = RequestId::new(client, seq);
    let follow = Follow::new(timeout, redirect).attempt_timeout(timeout / 4);
    cluster.call_following(client, server, Msg::Execute { request, operation }, follow)
}

/// Read an answer to `Execute` as an outcome, or say why there is none.
pub fn reply(answer: Result<Msg, RpcError>) -> Result<Reply, ClientError> {
    match answer? {
        Msg::Executed {
            request,
            index,
            outcome,
        } => Ok(Reply {
            request,
            index,
            outcome,
        }),
        Msg::NotLeader { hint, .. } => Err(ClientError::NotLeader { hint }),
        Msg::Superseded { latest, .. } => Err(ClientError::Superseded { latest }),
        other => Err(ClientError::UnexpectedReply(common::Message::kind(&other))),
    }
}
