//! A quorum key-value replica over real TCP: the section's [`quorums::Replica`],
//! unchanged, run by `common::real`. Its data lives in memory (the section leaves
//! durability out), so a restarted replica comes back empty: reads may then miss a
//! write that only it and one other replica held.
//!
//! ```text
//! cargo run -p quorums --bin quorums-server -- --id athens \
//!     --peers athens=127.0.0.1:7001,byzantium=127.0.0.1:7002,cyrene=127.0.0.1:7003 \
//!     --data-dir target/cluster/quorums/athens/data
//! ```
fn main() {
    common::real::app::server_main("quorums", "quorums-server", |id, _servers| {
        quorums::Replica::new(id, quorums::Config::default())
    });
}
