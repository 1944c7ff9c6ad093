//! A Raft key-value server over real TCP, its term, vote and log in a journal under
//! `--data-dir`: the section's [`raft::Server`], unchanged, run by `common::real`.
//!
//! ```text
//! cargo run -p raft --bin raft-server -- --id athens \
//!     --peers athens=127.0.0.1:7001,byzantium=127.0.0.1:7002,cyrene=127.0.0.1:7003 \
//!     --data-dir target/cluster/raft/athens/data
//! ```
fn main() {
    common::real::app::server_main("raft", "raft-server", |id, _servers| {
        raft::Server::new(id, raft::Config::default())
    });
}
