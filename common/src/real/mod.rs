//! The real-network runtime: the same protocol code as real processes over TCP.
//!
//! Every section is a sans-IO state machine that reaches the world only through
//! [`crate::Env`]. This module is one more driver of [`crate::Node`], beside the
//! simulator and [`crate::solo::Solo`], built on the system clock, threads, sockets and
//! files. It is compiled only with the `real` feature, and it is the only place in
//! the workspace allowed (by explicit `#[allow(clippy::disallowed_methods)]`) to read
//! the clock and start threads; nothing on a simulated path calls it.
//!
//! | | simulator | real runtime |
//! |---|---|---|
//! | time | the cluster tick | real ticks of [`TICK_MS`] (10 ms) since the node started |
//! | `wall_ms` | a per-node simulated clock | the system clock |
//! | `rng` | a labelled stream of the run's seed | a labelled stream of `--seed` (default: derived from the id) |
//! | network | [`crate::net`] | TCP, [`transport`]: framed, checksummed, with a handshake |
//! | storage | [`crate::SimKv`] | [`journal::FileKv`]: an append-only journal under `--data-dir`, group-committed with `fdatasync` |
//! | files (`ctx.dir()`) | [`crate::fileio::SimFs`] | `<data-dir>/files` |
//! | crash | `cluster.crash` | `kill -9`; restart replays the journal |
//!
//! Timers and request timeouts stay in ticks, so a section's `Config` means the same
//! in both worlds: a 20-tick phase timeout is 200 ms here.
//!
//! ## The pieces
//!
//! * [`frame`]: `length | crc32 | payload` frames, the handshake ([`frame::Hello`]: who
//!   is connecting, protocol version, section).
//! * [`transport`]: lanes to peers with bounded queues (full: drop), reconnect with
//!   backoff, inbound connections that answer clients on the socket they opened.
//! * [`journal`]: [`journal::FileKv`], the disk behind `ctx.store()` and `ctx.write`.
//! * [`node`]: [`node::RealNode`], the loop that drives a [`crate::Process`].
//! * [`app`]: what a section's binaries are made of — [`app::server_main`] and
//!   [`app::ClientSession`], with strict flags and distinct exit codes ([`exit`]).
//! * [`local`]: [`local::LocalCluster`], real server processes on loopback for integration
//!   tests (ephemeral ports, a data directory and log per node, `SIGKILL`, restart).
//! * [`bench`](mod@bench): the raw `fdatasync` rate of a disk, the baseline of every durable
//!   service's write throughput.
//!
//! ## A section's binaries
//!
//! A server is one call:
//!
//! ```no_run
//! # use common::echo::EchoServer;
//! fn main() {
//!     common::real::app::server_main("echo", "echo-server", |_id, _servers| EchoServer::new(5));
//! }
//! ```
//!
//! A client parses its operation, opens a [`app::ClientSession`] (itself a
//! [`crate::Client`] process run by this runtime) and calls.
pub mod app;
pub mod bench;
pub mod frame;
pub mod journal;
pub mod local;
pub mod log;
pub mod node;
pub mod transport;

use std::path::PathBuf;

/// The length of a tick in real time, in milliseconds.
pub const TICK_MS: u64 = 10;

/// Exit codes of the servers and clients built on this runtime.
pub mod exit {
    /// The command line could not be understood.
    pub const USAGE: i32 = 2;
    /// The data directory cannot be used (unreadable, not a directory, corrupt journal).
    pub const DATA_DIR: i32 = 3;
    /// The server cannot listen on its address (in use, not local).
    pub const LISTEN: i32 = 4;
    /// No server could be reached within the connect timeout.
    pub const UNREACHABLE: i32 = 5;
    /// The request failed or its outcome is unknown (timeout, undecided).
    pub const REQUEST_FAILED: i32 = 6;
    /// The disk failed while the server was running (a failed append or `fdatasync`).
    pub const STORAGE: i32 = 7;
}

/// Why a real node could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum RealError {
    /// A bad command line or configuration.
    #[error("{0}")]
    Usage(String),
    /// The data directory cannot be used.
    #[error("data directory {}: {reason}", path.display())]
    DataDir {
        /// The directory (or the file in it) that failed.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The journal cannot be opened, or the disk failed under it.
    #[error("storage: {0}")]
    Storage(#[from] journal::JournalError),
    /// The server cannot listen.
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        /// The address.
        addr: String,
        /// What the operating system said.
        reason: String,
    },
    /// No server answered the connection attempts.
    #[error("no server reachable within {waited_ms} ms (tried {tried})")]
    Unreachable {
        /// How long the client tried.
        waited_ms: u64,
        /// The addresses tried.
        tried: String,
    },
}

impl RealError {
    /// The exit code a binary ends with for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            RealError::Usage(_) => exit::USAGE,
            RealError::DataDir { .. } => exit::DATA_DIR,
            RealError::Storage(_) => exit::STORAGE,
            RealError::Listen { .. } => exit::LISTEN,
            RealError::Unreachable { .. } => exit::UNREACHABLE,
        }
    }
}
