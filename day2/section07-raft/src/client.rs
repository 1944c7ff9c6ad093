//! Typed client helpers: build a cluster, send a request, read the reply.

use crate::config::Config;
use crate::error::ClientError;
use crate::messages::{Index, Msg, Operation, Outcome, RequestId};
use crate::server::Server;
use common::{Cluster, ClusterBuilder, Follow, Promise, Redirect, RpcError, Tick};

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
pub fn build(builder: ClusterBuilder, config: Config) -> Cluster<Msg> {
    builder.build(move |id, _peers| Server::new(id, config.clone()))
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
