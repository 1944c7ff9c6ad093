//! Typed helpers for tests and examples: build a Paxos cluster, send `Execute`, read the
//! answer as a [`Decision`]. The client process itself is `common`'s generic client.

use crate::config::Config;
use crate::error::ClientError;
use crate::messages::{Msg, Operation, RequestId};
use crate::server::Server;
use common::{Cluster, ClusterBuilder, Promise, RpcError, Tick};

/// A decision as one client sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The request answered.
    pub request: RequestId,
    /// Whether the chosen value is this request's operation.
    pub won: bool,
    /// Whose operation was chosen.
    pub chosen: RequestId,
    /// The result of applying the chosen operation.
    pub result: String,
}

/// Build a cluster of Paxos servers from `builder`, every server with `config`.
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

/// Read a reply (or its absence) as a decision.
pub fn decision(reply: Result<Msg, RpcError>) -> Result<Decision, ClientError> {
    match reply? {
        Msg::Executed {
            request,
            won,
            chosen,
            result,
        } => Ok(Decision {
            request,
            won,
            chosen,
            result,
        }),
        Msg::Undecided { attempts, .. } => Err(ClientError::Undecided { attempts }),
        Msg::NotDurable { failed_writes, .. } => Err(ClientError::NotDurable { failed_writes }),
        other => Err(ClientError::UnexpectedReply(common::Message::kind(&other))),
    }
}
