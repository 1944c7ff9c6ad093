//! Typed helpers for tests and examples: build a Paxos log cluster, send `Execute`, read
//! the answer as a [`Reply`]. The client process itself is `common`'s generic client.

use crate::config::Config;
use crate::error::ClientError;
use crate::messages::{Msg, Operation, Outcome, RequestId, Slot};
use crate::server::Server;
use common::{Cluster, ClusterBuilder, Promise, RpcError, Tick};

/// A request's outcome as its client sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The request answered.
    pub request: RequestId,
    /// The slot that holds it.
    pub slot: Slot,
    /// What executing it produced.
    pub outcome: Outcome,
}

/// Build a cluster of Paxos log servers from `builder`, every server with `config`.
pub fn build(builder: ClusterBuilder, config: Config) -> Cluster<Msg> {
    builder.build(move |id, _peers| Server::new(id, config.clone()))
}

/// Send request `seq` of `client` (an added generic client) to `server`.
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

/// [`execute`] with an explicit client timeout in ticks.
pub fn execute_within(
    cluster: &mut Cluster<Msg>,
    client: &str,
    server: &str,
    seq: u64,
    operation: Operation,
    timeout: Tick,
) -> Promise<Msg> {
    let request = RequestId::new(client, seq);
    cluster.call_with_timeout(client, server, Msg::Execute { request, operation }, timeout)
}

/// Read a reply (or its absence) as an outcome.
pub fn reply(answer: Result<Msg, RpcError>) -> Result<Reply, ClientError> {
    match answer? {
        Msg::Executed {
            request,
            slot,
            outcome,
        } => Ok(Reply {
            request,
            slot,
            outcome,
        }),
        Msg::Undecided { attempts, .. } => Err(ClientError::Undecided { attempts }),
        Msg::Superseded { latest, .. } => Err(ClientError::Superseded { latest }),
        other => Err(ClientError::UnexpectedReply(common::Message::kind(&other))),
    }
}
