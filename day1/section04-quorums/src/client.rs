//! Typed client helpers: a write or a read through a chosen coordinator, answered with a
//! [`SetOutcome`] or [`GetOutcome`] instead of a raw message.
//!
//! The client is `common`'s generic client; these helpers only translate. A client
//! timeout becomes `Timeout`, an outcome like any other, so a test handles every path
//! with one `match`.

use crate::messages::{GetOutcome, Msg, SetOutcome};
use common::{Cluster, Promise, RpcError};

/// Ask `coordinator` to write `key = value` on behalf of `client`.
pub fn set(
    cluster: &mut Cluster<Msg>,
    client: &str,
    coordinator: &str,
    key: &str,
    value: &str,
) -> Promise<SetOutcome> {
    let msg = Msg::ClientSet {
        key: key.to_owned(),
        value: value.to_owned(),
    };
    translate(
        cluster.call(client, coordinator, msg),
        |reply| match reply {
            Ok(Msg::ClientSetReply { outcome, .. }) => outcome,
            Ok(other) => panic!("a write must be answered with ClientSetReply, got {other:?}"),
            Err(_) => SetOutcome::Timeout,
        },
    )
}

/// Ask `coordinator` to read `key` on behalf of `client`.
pub fn get(
    cluster: &mut Cluster<Msg>,
    client: &str,
    coordinator: &str,
    key: &str,
) -> Promise<GetOutcome> {
    let msg = Msg::ClientGet {
        key: key.to_owned(),
    };
    translate(
        cluster.call(client, coordinator, msg),
        |reply| match reply {
            Ok(Msg::ClientGetReply { outcome, .. }) => outcome,
            Ok(other) => panic!("a read must be answered with ClientGetReply, got {other:?}"),
            Err(_) => GetOutcome::Timeout,
        },
    )
}

/// Write and tick until the outcome is known (the client's timeout bounds it).
pub fn set_and_wait(
    cluster: &mut Cluster<Msg>,
    client: &str,
    coordinator: &str,
    key: &str,
    value: &str,
) -> SetOutcome {
    let promise = set(cluster, client, coordinator, key, value);
    settle(cluster, &promise)
}

/// Read and tick until the outcome is known (the client's timeout bounds it).
pub fn get_and_wait(
    cluster: &mut Cluster<Msg>,
    client: &str,
    coordinator: &str,
    key: &str,
) -> GetOutcome {
    let promise = get(cluster, client, coordinator, key);
    settle(cluster, &promise)
}

/// The value a read returned, if it found one.
pub fn found_value(outcome: &GetOutcome) -> Option<&str> {
    match outcome {
        GetOutcome::Found(v) => Some(v.value.as_str()),
        _ => None,
    }
}

fn settle<T: Clone + 'static>(cluster: &mut Cluster<Msg>, promise: &Promise<T>) -> T {
    match cluster.run(promise) {
        Ok(outcome) => outcome,
        Err(e) => unreachable!("typed promises always complete with an outcome, got {e}"),
    }
}

fn translate<T: 'static>(
    reply: Promise<Msg>,
    map: impl FnOnce(Result<Msg, RpcError>) -> T + 'static,
) -> Promise<T> {
    let typed = Promise::new();
    let settle = typed.clone();
    reply.on_complete(move |result| settle.complete(map(result.clone())));
    typed
}
