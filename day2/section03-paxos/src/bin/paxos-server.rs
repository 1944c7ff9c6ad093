//! A Paxos server over real TCP, with its acceptor record in a journal under
//! `--data-dir`: the section's [`paxos::Server`], unchanged, run by `common::real`.
//!
//! ```text
//! cargo run -p paxos --bin paxos-server -- --id athens \
//!     --peers athens=127.0.0.1:7001,byzantium=127.0.0.1:7002,cyrene=127.0.0.1:7003 \
//!     --data-dir target/cluster/paxos/athens/data
//! ```
fn main() {
    common::real::app::server_main("paxos", "paxos-server", |id, _servers| {
        paxos::Server::new(id, paxos::Config::default())
    });
}
