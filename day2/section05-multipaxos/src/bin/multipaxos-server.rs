//! A Multi-Paxos key-value server over real TCP, its log and acceptor state in a
//! journal under `--data-dir`: the section's [`multipaxos::Server`], unchanged, run by
//! `common::real`.
//!
//! ```text
//! cargo run -p multipaxos --bin multipaxos-server -- --id athens \
//!     --peers athens=127.0.0.1:7001,byzantium=127.0.0.1:7002,cyrene=127.0.0.1:7003 \
//!     --data-dir target/cluster/multipaxos/athens/data
//! ```
fn main() {
    common::real::app::server_main("multipaxos", "multipaxos-server", |id, _servers| {
        multipaxos::Server::new(id, multipaxos::Config::default())
    });
}
