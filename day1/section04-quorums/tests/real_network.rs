//! The section's unchanged `Replica`, run as three real processes on loopback by
//! `common::real`, driven through the `quorums-client` binary.

use common::real::local::LocalCluster;
use std::process::{Command, Output};

const SERVER: &str = env!("CARGO_BIN_EXE_quorums-server");
const CLIENT: &str = env!("CARGO_BIN_EXE_quorums-client");

fn client(cluster: &LocalCluster, to: &str, operation: &[&str]) -> Output {
    Command::new(CLIENT)
        .args(["--servers", &cluster.servers_arg(), "--to", to])
        .args(["--timeout-ms", "10000", "--connect-timeout-ms", "10000"])
        .args(operation)
        .output()
        .expect("the client binary runs")
}

/// A write acknowledged by a majority through athens is read back through cyrene,
/// whose read quorum must meet the write quorum; a key never written is "not found".
#[test]
fn a_write_through_one_real_replica_is_read_through_another() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let cluster = LocalCluster::start(SERVER, &["athens", "byzantium", "cyrene"], dir.path())
        .unwrap_or_else(|e| panic!("cluster start: {e}"));
    let put = client(&cluster, "athens", &["put", "title", "alice"]);
    assert!(
        put.status.success() && String::from_utf8_lossy(&put.stdout).contains("written"),
        "a majority of three live replicas must acknowledge the write: {put:?}"
    );
    let get = client(&cluster, "cyrene", &["get", "title"]);
    assert!(
        get.status.success() && String::from_utf8_lossy(&get.stdout).contains("title = alice"),
        "a majority read must see the acknowledged write: {get:?}"
    );
    let missing = client(&cluster, "byzantium", &["get", "nothing"]);
    assert!(
        missing.status.success() && String::from_utf8_lossy(&missing.stdout).contains("not found"),
        "a key never written is not found: {missing:?}"
    );
    let bad = client(&cluster, "athens", &["frobnicate"]);
    assert_eq!(
        bad.status.code(),
        Some(2),
        "an unknown operation is a usage error"
    );
}
