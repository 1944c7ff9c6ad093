//! Cluster builders and readers shared by the scenario tests.
#![allow(dead_code)]

// Not every test file uses every name.
#[allow(unused_imports)]
pub use common::names::{
    ALICE, ATHENS, BOB, BYZANTIUM, CAROL, CYRENE, DELPHI, EPHESUS, FIVE, THREE,
};
use common::{Cluster, Promise};
use generation_voting::client::{ClientError, generation};
use generation_voting::{Config, GenerationServer, Msg, PROMISE_KEY};

/// Client request timeout: longer than five lost elections with their pauses
/// (5 × (10 + 10) ticks), so every request ends with an explicit answer.
pub const CLIENT_TIMEOUT_TICKS: u64 = 200;

pub fn cluster_of(servers: &[&str], seed: u64, config: Config) -> Cluster<Msg> {
    let mut cluster = Cluster::builder()
        .seed(seed)
        .servers(servers.iter().copied())
        .request_timeout(CLIENT_TIMEOUT_TICKS)
        .build(move |_, _| GenerationServer::new(config));
    for client in [ALICE, BOB, CAROL] {
        cluster.add_client(client);
    }
    cluster
}

pub fn three(config: Config) -> Cluster<Msg> {
    cluster_of(&THREE, 1, config)
}

/// The promise of a running server.
pub fn promised(cluster: &Cluster<Msg>, id: &str) -> u64 {
    cluster.node::<GenerationServer>(id).promised()
}

/// The promise a server has made durable (what a crash now would leave).
pub fn durable_promise(cluster: &Cluster<Msg>, id: &str) -> u64 {
    cluster
        .store(id)
        .load_durable::<u64>(PROMISE_KEY)
        .expect("a stored promise decodes")
        .unwrap_or(0)
}

/// Ask `server` (through `client`) for a generation and run until the answer.
pub fn next_generation(
    cluster: &mut Cluster<Msg>,
    client: &str,
    server: &str,
) -> Result<u64, ClientError> {
    let reply = cluster.call(client, server, Msg::NextGeneration);
    generation(cluster.run(&reply))
}

/// Decode a promise that has completed.
pub fn decoded(reply: &Promise<Msg>) -> Result<u64, ClientError> {
    generation(reply.result().expect("the request must have completed"))
}
