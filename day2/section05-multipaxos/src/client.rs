//! Typed client helpers: build a cluster, send a request, read the reply.

use crate::config::Config;
use crate::error::ClientError;
use crate::messages::{Msg, Operation, Outcome, RequestId, Slot};
use crate::server::Server;
use common::{Cluster, ClusterBuilder, Follow, Promise, Redirect, RpcError, Tick};

/// A request's outcome as a client sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The request answered.
    pub request: RequestId,
    /// The slot that holds it.
    pub slot: Slot,
    /// What executing it produced.
    pub outcome: Outcome,
}

/// Build a cluster of Multi-Paxos servers with `config`.
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
            slot,
            outcome,
        } => Ok(Reply {
            request,
            slot,
            outcome,
        }),
        Msg::NotLeader { hint, .. } => Err(ClientError::NotLeader { hint }),
        Msg::Superseded { latest, .. } => Err(ClientError::Superseded { latest }),
        other => Err(ClientError::UnexpectedReply(common::Message::kind(&other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::ProcessId;

    #[test]
    fn a_not_leader_reply_sends_the_client_to_the_hint_or_elsewhere_and_any_other_is_the_answer() {
        let request = RequestId::new("alice", 1);
        let hinted = Msg::NotLeader {
            request: request.clone(),
            hint: Some(ProcessId::new("athens")),
        };
        assert_eq!(
            redirect(&hinted),
            Redirect::To(ProcessId::new("athens")),
            "a hint names the leader to try"
        );
        let unhinted = Msg::NotLeader {
            request: request.clone(),
            hint: None,
        };
        assert_eq!(
            redirect(&unhinted),
            Redirect::Elsewhere,
            "without a hint the client tries the next server"
        );
        let answered = Msg::Executed {
            request,
            slot: 1,
            outcome: Outcome::Read { value: None },
        };
        assert_eq!(
            redirect(&answered),
            Redirect::Done,
            "an outcome is the answer"
        );
    }
}
