//! What a section's `*-server` and `*-client` binaries are made of.
//!
//! * [`server_main`]: the whole server binary — strict flags, the data directory, the
//!   listening socket, one line on standard output saying where it listens and what its
//!   journal held, then the loop of [`RealNode`] until the process is killed.
//! * [`ClientArgs`] and [`ClientSession`]: the common part of a client CLI. A session is
//!   the kit's generic [`Client`] process run by this runtime; the section's binary
//!   parses its own operation (`put k v`, `propose v`) and calls through the session,
//!   following "not the leader" redirects where the protocol has them.
//!
//! Exit codes are those of [`super::exit`].
#![allow(clippy::disallowed_methods)]

use super::node::{NodeConfig, RealNode};
use super::{RealError, TICK_MS, exit};
use crate::cli::{Flags, UsageError, parse_count};
use crate::client::{Client, Follow, Redirect};
use crate::error::RpcError;
use crate::id::ProcessId;
use crate::msg::{Message, PeerKind};
use crate::process::Process;
use crate::promise::Promise;
use crate::time::Tick;
use std::io::Write;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The flags every server takes.
pub const SERVER_USAGE: &str = "--id NAME --peers NAME=HOST:PORT,... --data-dir DIR \
     [--seed N] [--request-timeout-ticks N] [--verbose]";
/// The flags every client takes, before its operation.
pub const CLIENT_USAGE: &str = "--servers NAME=HOST:PORT,... [--to NAME] [--id NAME] \
     [--timeout-ms N] [--connect-timeout-ms N] [--verbose]";
/// A server's default request timeout (1 s).
pub const DEFAULT_REQUEST_TIMEOUT_TICKS: Tick = 100;

/// Parse `name=host:port,name=host:port,...` into ids and addresses, in order.
///
/// ```
/// let servers = common::real::app::parse_servers("athens=127.0.0.1:7001,byzantium=127.0.0.1:7002").unwrap();
/// assert_eq!(servers.len(), 2);
/// assert_eq!(servers[1].0, "byzantium");
/// assert!(common::real::app::parse_servers("athens").is_err());
/// ```
pub fn parse_servers(text: &str) -> Result<Vec<(ProcessId, SocketAddr)>, UsageError> {
    let mut servers: Vec<(ProcessId, SocketAddr)> = Vec::new();
    for entry in text.split(',').filter(|e| !e.is_empty()) {
        let Some((name, addr)) = entry.split_once('=') else {
            return Err(UsageError(format!(
                "`{entry}` is not NAME=HOST:PORT (for example athens=127.0.0.1:7001)"
            )));
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(UsageError(format!(
                "`{name}` is not a node name (letters, digits, - and _)"
            )));
        }
        let resolved = addr
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .ok_or_else(|| UsageError(format!("`{addr}` is not a HOST:PORT address")))?;
        if servers.iter().any(|(id, _)| id.as_str() == name) {
            return Err(UsageError(format!("node `{name}` is listed twice")));
        }
        servers.push((ProcessId::new(name), resolved));
    }
    if servers.is_empty() {
        return Err(UsageError("the server list is empty".into()));
    }
    Ok(servers)
}

fn parse_number(flags: &Flags, name: &str, default: u64) -> Result<u64, UsageError> {
    match flags.get(name) {
        None => Ok(default),
        Some(text) => parse_count(text)
            .ok_or_else(|| UsageError(format!("--{name} must be a whole number, got `{text}`"))),
    }
}

/// The parsed flags of a server.
#[derive(Clone, Debug)]
pub struct ServerArgs {
    /// `--id`.
    pub id: ProcessId,
    /// `--peers`: every server of the cluster, this one included.
    pub servers: Vec<(ProcessId, SocketAddr)>,
    /// `--data-dir`.
    pub data_dir: PathBuf,
    /// `--seed` (default: a hash of the id).
    pub seed: u64,
    /// `--request-timeout-ticks` (default [`DEFAULT_REQUEST_TIMEOUT_TICKS`]).
    pub request_timeout_ticks: Tick,
    /// `--verbose`: log every delivery, timer and write.
    pub verbose: bool,
}

impl ServerArgs {
    /// Parse a server's command line (without the program name).
    pub fn parse(args: &[String]) -> Result<Self, UsageError> {
        let valued = ["id", "peers", "data-dir", "seed", "request-timeout-ticks"];
        let flags = Flags::parse("server", args, &valued, &["verbose"])?;
        let need = |name: &str| {
            flags
                .get(name)
                .ok_or_else(|| UsageError(format!("--{name} is required")))
        };
        let id = ProcessId::new(need("id")?);
        let servers = parse_servers(need("peers")?)?;
        if !servers.iter().any(|(s, _)| *s == id) {
            return Err(UsageError(format!(
                "--peers must list this server `{id}` with its own address"
            )));
        }
        Ok(ServerArgs {
            seed: parse_number(&flags, "seed", id.stable_hash())?,
            request_timeout_ticks: parse_number(
                &flags,
                "request-timeout-ticks",
                DEFAULT_REQUEST_TIMEOUT_TICKS,
            )?
            .max(1),
            data_dir: PathBuf::from(need("data-dir")?),
            verbose: flags.switch("verbose"),
            id,
            servers,
        })
    }

    /// The node configuration for `section`.
    pub fn node_config(&self, section: &str) -> NodeConfig {
        NodeConfig {
            section: section.to_owned(),
            id: self.id.clone(),
            kind: PeerKind::Server,
            servers: self.servers.clone(),
            data_dir: Some(self.data_dir.clone()),
            seed: self.seed,
            request_timeout_ticks: self.request_timeout_ticks,
            verbose: self.verbose,
        }
    }
}

/// The whole server binary of `section`: parse the command line, start the node built
/// by `factory(id, servers)`, print where it listens, run until killed.
///
/// Exit codes: 2 bad flags, 3 unusable data directory or corrupt journal, 4 cannot
/// listen, 7 the disk failed while running.
pub fn server_main<P, F>(section: &str, binary: &str, factory: F) -> !
where
    P: Process,
    P::Msg: Send,
    F: Fn(&ProcessId, &[ProcessId]) -> P,
{
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = format!("{binary} {SERVER_USAGE}");
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("usage: {usage}");
        std::process::exit(0);
    }
    let parsed = match ServerArgs::parse(&args) {
        Ok(parsed) => parsed,
        Err(e) => crate::cli::exit_usage(&format!("{binary}: {e}"), &usage),
    };
    let ids: Vec<ProcessId> = parsed.servers.iter().map(|(id, _)| id.clone()).collect();
    let id = parsed.id.clone();
    let mut node = match RealNode::start(parsed.node_config(section), || factory(&id, &ids)) {
        Ok(node) => node,
        Err(e) => {
            eprintln!("{binary}: {e}");
            std::process::exit(e.exit_code());
        }
    };
    let report = node.report();
    let replay = report
        .replay
        .map(|r| {
            let torn = if r.torn_tail_bytes > 0 {
                format!(", a torn tail of {} bytes cut", r.torn_tail_bytes)
            } else {
                String::new()
            };
            format!("{} journal records replayed{torn}", r.records)
        })
        .unwrap_or_default();
    println!(
        "{id} ({section}) listening on {}; data in {} ({replay}); start #{}; tick {TICK_MS} ms",
        report
            .listen
            .map(|a| a.to_string())
            .unwrap_or_else(|| "?".into()),
        parsed.data_dir.display(),
        report.incarnation + 1,
    );
    let _ = std::io::stdout().flush();
    loop {
        if let Err(e) = node.run_for(Duration::from_secs(3600)) {
            eprintln!("{binary}: stopping: {e}");
            std::process::exit(e.exit_code());
        }
    }
}

/// The parsed common flags of a client.
#[derive(Clone, Debug)]
pub struct ClientArgs {
    /// `--servers`.
    pub servers: Vec<(ProcessId, SocketAddr)>,
    /// `--to`: the server to ask first (default: the first of `--servers`).
    pub to: ProcessId,
    /// `--id` (default: `client-<pid>-<ms>`, unique per run, so request ids built from
    /// it never repeat an earlier run's).
    pub id: ProcessId,
    /// `--timeout-ms`: how long one operation may take (default 5000).
    pub timeout_ms: u64,
    /// `--connect-timeout-ms`: how long to wait for a first connection (default 3000).
    pub connect_timeout_ms: u64,
    /// `--verbose`.
    pub verbose: bool,
}

impl ClientArgs {
    /// Parse the common flags, which come before the operation; returns them and the
    /// operation's words.
    pub fn parse(args: &[String]) -> Result<(Self, Vec<String>), UsageError> {
        let valued = ["servers", "to", "id", "timeout-ms", "connect-timeout-ms"];
        let switches = ["verbose"];
        let mut split = 0;
        while split < args.len() && args[split].starts_with("--") {
            let name = args[split].trim_start_matches("--");
            split += if valued.contains(&name) { 2 } else { 1 };
        }
        let split = split.min(args.len());
        let flags = Flags::parse("client", &args[..split], &valued, &switches)?;
        let servers = parse_servers(
            flags
                .get("servers")
                .ok_or_else(|| UsageError("--servers is required".into()))?,
        )?;
        let id = match flags.get("id") {
            Some(id) => ProcessId::new(id),
            None => {
                let ms = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_millis())
                    .unwrap_or(0);
                ProcessId::new(format!("client-{}-{ms}", std::process::id()))
            }
        };
        let to = match flags.get("to") {
            None => servers[0].0.clone(),
            Some(name) => servers
                .iter()
                .map(|(id, _)| id.clone())
                .find(|id| id.as_str() == name)
                .ok_or_else(|| UsageError(format!("--to {name}: not one of --servers")))?,
        };
        let parsed = ClientArgs {
            to,
            servers,
            id,
            timeout_ms: parse_number(&flags, "timeout-ms", 5000)?.max(TICK_MS),
            connect_timeout_ms: parse_number(&flags, "connect-timeout-ms", 3000)?,
            verbose: flags.switch("verbose"),
        };
        Ok((parsed, args[split..].to_vec()))
    }
}

/// A client of `section`: the kit's [`Client`] process, run by this runtime.
pub struct ClientSession<M: Message + Send> {
    node: RealNode<Client<M>>,
    servers: Vec<ProcessId>,
    timeout_ticks: Tick,
}

impl<M: Message + Send> ClientSession<M> {
    /// Start the client and wait (at most `--connect-timeout-ms`) until at least one
    /// server has accepted its connection and handshake.
    pub fn connect(section: &str, args: &ClientArgs) -> Result<Self, RealError> {
        let servers: Vec<ProcessId> = args.servers.iter().map(|(id, _)| id.clone()).collect();
        let timeout_ticks = args.timeout_ms.div_ceil(TICK_MS).max(1);
        let config = NodeConfig {
            section: section.to_owned(),
            id: args.id.clone(),
            kind: PeerKind::Client,
            servers: args.servers.clone(),
            data_dir: None,
            seed: args.id.stable_hash(),
            request_timeout_ticks: timeout_ticks,
            verbose: args.verbose,
        };
        let for_client = servers.clone();
        let mut node = RealNode::start(config, || Client::new(&for_client))?;
        let deadline = Instant::now() + Duration::from_millis(args.connect_timeout_ms);
        let connected =
            |node: &RealNode<Client<M>>| servers.iter().any(|s| node.transport().is_connected(s));
        while !connected(&node) {
            if Instant::now() >= deadline {
                let tried: Vec<String> = args
                    .servers
                    .iter()
                    .map(|(id, addr)| format!("{id}={addr}"))
                    .collect();
                return Err(RealError::Unreachable {
                    waited_ms: args.connect_timeout_ms,
                    tried: tried.join(", "),
                });
            }
            node.run_for(Duration::from_millis(TICK_MS))?;
        }
        Ok(ClientSession {
            node,
            servers,
            timeout_ticks,
        })
    }

    /// The servers, in the order given.
    pub fn servers(&self) -> &[ProcessId] {
        &self.servers
    }

    /// This client's id.
    pub fn id(&self) -> ProcessId {
        self.node.process_id()
    }

    /// The per-operation timeout, in ticks.
    pub fn timeout_ticks(&self) -> Tick {
        self.timeout_ticks
    }

    /// The client's current tick.
    pub fn now(&self) -> Tick {
        self.node.now()
    }

    /// Whether the connection to `server` is up.
    pub fn is_connected(&self, server: &ProcessId) -> bool {
        self.node.transport().is_connected(server)
    }

    /// Send `msg` to `server`; the promise settles with the reply or a timeout.
    pub fn start_call(
        &mut self,
        server: &ProcessId,
        msg: M,
        timeout: Tick,
    ) -> Result<Promise<M>, RealError> {
        let server = server.clone();
        self.node
            .act(move |client, ctx| client.call(ctx, server, msg, timeout))
    }

    /// Send `msg` to `server`, following redirects as `redirect` reads them (to the
    /// hinted server, or the next one in the list), for at most `timeout` ticks.
    pub fn start_following(
        &mut self,
        server: &ProcessId,
        msg: M,
        timeout: Tick,
        redirect: fn(&M) -> Redirect,
    ) -> Result<Promise<M>, RealError> {
        let server = server.clone();
        let attempt = (timeout / 3).max(1);
        let follow = Follow::new(timeout, redirect).attempt_timeout(attempt);
        self.node
            .act(move |client, ctx| client.call_following(ctx, server, msg, follow))
    }

    /// Run until `promise` settles (its own timeout bounds the wait).
    pub fn wait(&mut self, promise: &Promise<M>) -> Result<Result<M, RpcError>, RealError> {
        // The promise's timeout fires from the node's timers; the margin covers a
        // loaded machine, and the fallback answer is a timeout like any other.
        let margin = Duration::from_millis(self.timeout_ticks * TICK_MS * 2 + 1000);
        let settled = self
            .node
            .run_until(Instant::now() + margin, |_| !promise.is_pending())?;
        if !settled {
            return Ok(Err(RpcError::Timeout {
                after_ticks: self.timeout_ticks,
            }));
        }
        Ok(promise.result().unwrap_or(Err(RpcError::Timeout {
            after_ticks: self.timeout_ticks,
        })))
    }

    /// Run the client until `done` holds (`Ok(true)`) or `timeout` passes (`Ok(false)`).
    pub fn run_until(
        &mut self,
        timeout: Duration,
        mut done: impl FnMut() -> bool,
    ) -> Result<bool, RealError> {
        self.node.run_until(Instant::now() + timeout, |_| done())
    }

    /// Call `server` and wait for the answer.
    pub fn call(&mut self, server: &ProcessId, msg: M) -> Result<Result<M, RpcError>, RealError> {
        let promise = self.start_call(server, msg, self.timeout_ticks)?;
        self.wait(&promise)
    }

    /// Call `server`, following redirects, and wait for the answer.
    pub fn call_following(
        &mut self,
        server: &ProcessId,
        msg: M,
        redirect: fn(&M) -> Redirect,
    ) -> Result<Result<M, RpcError>, RealError> {
        let promise = self.start_following(server, msg, self.timeout_ticks, redirect)?;
        self.wait(&promise)
    }
}

/// Print `error` for `binary` and exit with its code.
pub fn exit_with(binary: &str, error: &RealError) -> ! {
    eprintln!("{binary}: {error}");
    std::process::exit(error.exit_code())
}

/// Print that a request failed and exit with [`exit::REQUEST_FAILED`].
pub fn exit_request_failed(binary: &str, what: &str) -> ! {
    eprintln!("{binary}: {what}");
    std::process::exit(exit::REQUEST_FAILED)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn a_server_needs_its_id_among_the_peers_and_a_data_directory() {
        let ok = ServerArgs::parse(&words(
            "--id athens --peers athens=127.0.0.1:7001,byzantium=127.0.0.1:7002 --data-dir d",
        ))
        .expect("a complete command line parses");
        assert_eq!(ok.servers.len(), 2);
        assert_eq!(ok.request_timeout_ticks, DEFAULT_REQUEST_TIMEOUT_TICKS);
        assert_eq!(
            ok.seed,
            ProcessId::new("athens").stable_hash(),
            "the default seed is the id's"
        );
        for bad in [
            "--peers athens=127.0.0.1:7001 --data-dir d",
            "--id athens --peers byzantium=127.0.0.1:7002 --data-dir d",
            "--id athens --peers athens=127.0.0.1:7001",
            "--id athens --peers athens=nowhere --data-dir d",
            "--id athens --peers athens=127.0.0.1:7001,athens=127.0.0.1:7002 --data-dir d",
            "--id athens --peers athens=127.0.0.1:7001 --data-dir d --seed -1",
        ] {
            assert!(
                ServerArgs::parse(&words(bad)).is_err(),
                "`{bad}` must be refused"
            );
        }
    }

    #[test]
    fn a_client_splits_its_flags_from_its_operation() {
        let (args, rest) = ClientArgs::parse(&words(
            "--servers athens=127.0.0.1:7001,byzantium=127.0.0.1:7002 --to byzantium --verbose put k v",
        ))
        .expect("parses");
        assert_eq!(args.to, "byzantium");
        assert!(args.verbose);
        assert_eq!(rest, words("put k v"));
        assert!(
            args.id.as_str().starts_with("client-"),
            "a client without --id gets a fresh name"
        );
        assert!(
            ClientArgs::parse(&words("--servers athens=127.0.0.1:7001 --to cyrene get k")).is_err()
        );
        assert!(
            ClientArgs::parse(&words("get k")).is_err(),
            "--servers is required"
        );
    }
}
