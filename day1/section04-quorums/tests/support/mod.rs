//! Names and builders shared by the scenario tests.
#![allow(dead_code)]

use common::Cluster;
// Not every test file uses every name.
#[allow(unused_imports)]
pub use common::names::{ALICE, ATHENS, BOB, BYZANTIUM, CYRENE, DELPHI, SPARTA};
use quorums::lab::build_cluster;
use quorums::{Config, Msg};

/// Ticks a write or read may take on a healthy network (4) with room to spare.
pub const SETTLE_TICKS: u64 = 10;

/// athens, byzantium and cyrene with `config`, seed 0, and the client alice.
pub fn three(config: Config) -> Cluster<Msg> {
    let mut cluster = build_cluster(&[ATHENS, BYZANTIUM, CYRENE], config, 0)
        .expect("the test's configuration must be valid");
    cluster.add_client(ALICE);
    cluster
}

/// The five-node cluster of the partition lessons, seed 0, no clients.
pub fn five(config: Config) -> Cluster<Msg> {
    build_cluster(&[ATHENS, BYZANTIUM, CYRENE, DELPHI, SPARTA], config, 0)
        .expect("the test's configuration must be valid")
}

/// The history `recorder` holds must be linearizable (its text is shown if not).
pub fn assert_linearizable(recorder: &quorums::client::Recorder) {
    let history = recorder.history();
    let verdict = common::check::linearizable(&quorums::client::model(), &history);
    assert!(
        verdict.is_ok(),
        "the recorded history must be linearizable: {verdict}\n{}",
        history.to_text()
    );
}
