//! `cargo xtask cluster <section>`: a local cluster of a section's real server binary.
//!
//! Everything about a running cluster is in one directory, `target/cluster/<section>/`:
//!
//! ```text
//! cluster.txt          the server binary and the --peers list (read by --kill/--restart)
//! <node>.pid           the pid of the node's running process (absent: not running)
//! <node>.log           the node's standard output and error, appended across restarts
//! <node>/data/         the node's data directory (journal, start count, files)
//! ```
//!
//! The command that starts the cluster stays in the foreground and, on Ctrl-C, stops
//! every node that has a pid file, restarted ones included. `--kill <node>` and
//! `--restart <node>`, run from another terminal, find the node through these files:
//! kill is `SIGKILL` (a crash: nothing is flushed), restart starts the binary again on
//! the same address and data directory and waits until it listens. Nodes run in their
//! own process group, so Ctrl-C reaches only the foreground command, which then stops
//! them in order.
//!
//! A section joins by one line in [`SECTIONS`]: its package and the names of its
//! server and client binaries (built on `common::real::app`).
// The cluster command runs real processes: it waits on the clock and sleeps between
// polls, which the determinism bans forbid on simulated paths.
#![allow(clippy::disallowed_methods)]

use crate::Failure;
use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A section that ships `*-server` and `*-client` binaries.
#[derive(Debug, Clone, Copy)]
pub struct ClusterSection {
    /// The package (and section) name, as `cargo xtask cluster <name>` takes it.
    pub package: &'static str,
    /// The server binary.
    pub server: &'static str,
    /// The client binary.
    pub client: &'static str,
    /// An example operation for the client, printed with the cluster's addresses.
    pub example: &'static str,
}

/// Every section with real binaries. Adding one is one line here.
pub const SECTIONS: &[ClusterSection] = &[
    ClusterSection {
        package: "quorums",
        server: "quorums-server",
        client: "quorums-client",
        example: "put title alice",
    },
    ClusterSection {
        package: "paxos",
        server: "paxos-server",
        client: "paxos-client",
        example: "set title alice",
    },
    ClusterSection {
        package: "multipaxos",
        server: "multipaxos-server",
        client: "multipaxos-client",
        example: "put title alice",
    },
    ClusterSection {
        package: "raft",
        server: "raft-server",
        client: "raft-client",
        example: "put title alice",
    },
];

/// Node names, in order (the course's servers).
pub const NAMES: [&str; 7] = [
    "athens",
    "byzantium",
    "cyrene",
    "delphi",
    "ephesus",
    "sparta",
    "thebes",
];
/// How long a node may take to say it listens.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(50);

/// What `cluster` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterAction {
    /// Start `nodes` servers on ports `base_port..` (0: ephemeral), in the foreground.
    Start {
        /// How many servers.
        nodes: usize,
        /// First port; 0 lets the system choose each.
        base_port: u16,
        /// Remove the nodes' data directories first.
        fresh: bool,
    },
    /// `SIGKILL` one node of a running cluster.
    Kill(String),
    /// Start a killed node again.
    Restart(String),
    /// Stop every node of the cluster (when its foreground command is gone).
    Stop,
}

/// The parsed `cluster` command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterArgs {
    /// The section.
    pub section: String,
    /// What to do.
    pub action: ClusterAction,
}

/// The usage of `cluster`.
pub const USAGE: &str = "\
  cluster <section> [--nodes N] [--base-port P] [--fresh]
                        start N (default 3) servers of the section on 127.0.0.1, ports
                        P.. (default 7001; 0: ephemeral), a data directory and log each
                        under target/cluster/<section>/; Ctrl-C stops them all
  cluster <section> --kill <node>     SIGKILL one node of the running cluster
  cluster <section> --restart <node>  start it again from its data directory
  cluster <section> --stop            stop every node (if the foreground command is gone)";

fn usage(message: String) -> Failure {
    Failure::Usage(format!("{message}\nusage:\n{USAGE}"))
}

/// Parse the arguments after `cluster`.
pub fn parse(args: &[String]) -> Result<ClusterArgs, Failure> {
    let mut iter = args.iter();
    let section = iter
        .next()
        .filter(|s| !s.starts_with('-'))
        .ok_or_else(|| usage("`cluster` needs a section".into()))?
        .clone();
    let mut nodes = 3usize;
    let mut base_port = 7001u16;
    let mut fresh = false;
    let mut action = None;
    let value = |iter: &mut std::slice::Iter<'_, String>, flag: &str| {
        iter.next()
            .filter(|v| !v.starts_with("--"))
            .cloned()
            .ok_or_else(|| usage(format!("{flag} needs a value")))
    };
    while let Some(arg) = iter.next() {
        let set = |action: &mut Option<ClusterAction>, new: ClusterAction| {
            if action.replace(new).is_some() {
                return Err(usage(
                    "give at most one of --kill, --restart, --stop".into(),
                ));
            }
            Ok(())
        };
        match arg.as_str() {
            "--nodes" => {
                let text = value(&mut iter, "--nodes")?;
                nodes = text
                    .parse()
                    .ok()
                    .filter(|n| (1..=NAMES.len()).contains(n))
                    .ok_or_else(|| {
                        usage(format!("--nodes must be 1..={}, got {text}", NAMES.len()))
                    })?;
            }
            "--base-port" => {
                let text = value(&mut iter, "--base-port")?;
                base_port = text
                    .parse()
                    .ok()
                    .filter(|p: &u16| *p == 0 || *p <= u16::MAX - NAMES.len() as u16)
                    .ok_or_else(|| {
                        usage(format!("--base-port must be a port number, got {text}"))
                    })?;
            }
            "--fresh" => fresh = true,
            "--kill" => set(
                &mut action,
                ClusterAction::Kill(value(&mut iter, "--kill")?),
            )?,
            "--restart" => set(
                &mut action,
                ClusterAction::Restart(value(&mut iter, "--restart")?),
            )?,
            "--stop" => set(&mut action, ClusterAction::Stop)?,
            other => return Err(usage(format!("unknown option {other} for `cluster`"))),
        }
    }
    let action = action.unwrap_or(ClusterAction::Start {
        nodes,
        base_port,
        fresh,
    });
    Ok(ClusterArgs { section, action })
}

fn section(name: &str) -> Result<ClusterSection, Failure> {
    SECTIONS
        .iter()
        .find(|s| s.package == name)
        .copied()
        .ok_or_else(|| {
            let known: Vec<&str> = SECTIONS.iter().map(|s| s.package).collect();
            usage(format!(
                "section {name:?} has no server binary; these do: {}",
                known.join(", ")
            ))
        })
}

/// Whether a process with this pid is alive (not gone, not a zombie).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

fn read_pid(dir: &Path, node: &str) -> Option<u32> {
    std::fs::read_to_string(dir.join(format!("{node}.pid")))
        .ok()
        .and_then(|t| t.trim().parse().ok())
}

fn signal(pid: u32, name: &str) -> Result<(), Failure> {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .map_err(|e| Failure::Environment(format!("cannot run kill: {e}")))?;
    if !status.success() && alive(pid) {
        return Err(Failure::Environment(format!("kill -{name} {pid} failed")));
    }
    Ok(())
}

/// The cluster description written at start.
struct Layout {
    dir: PathBuf,
    binary: PathBuf,
    peers: String,
}

impl Layout {
    fn read(dir: &Path) -> Result<Self, Failure> {
        let path = dir.join("cluster.txt");
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Failure::Environment(format!(
                "no cluster here ({}: {e}); start one with `cargo xtask cluster <section>`",
                path.display()
            ))
        })?;
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name).map(str::trim))
                .map(str::to_owned)
                .ok_or_else(|| Failure::Environment(format!("{} lacks `{name}`", path.display())))
        };
        Ok(Layout {
            dir: dir.to_path_buf(),
            binary: PathBuf::from(field("binary ")?),
            peers: field("peers ")?,
        })
    }

    fn nodes(&self) -> Vec<String> {
        self.peers
            .split(',')
            .filter_map(|e| e.split_once('=').map(|(n, _)| n.to_owned()))
            .collect()
    }

    fn log(&self, node: &str) -> PathBuf {
        self.dir.join(format!("{node}.log"))
    }

    fn listen_count(&self, node: &str) -> usize {
        std::fs::read_to_string(self.log(node))
            .map(|t| t.matches("listening on").count())
            .unwrap_or(0)
    }

    /// Start `node` in its own process group, append to its log, write its pid file.
    fn spawn(&self, node: &str) -> Result<std::process::Child, Failure> {
        use std::os::unix::process::CommandExt;
        let log_path = self.log(node);
        let log = File::options()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| Failure::io("open", &log_path, &e))?;
        let err = log
            .try_clone()
            .map_err(|e| Failure::io("open", &log_path, &e))?;
        let child = Command::new(&self.binary)
            .args(["--id", node, "--peers", &self.peers, "--data-dir"])
            .arg(self.dir.join(node).join("data"))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(err))
            .process_group(0)
            .spawn()
            .map_err(|e| Failure::io("start", &self.binary, &e))?;
        let pid_path = self.dir.join(format!("{node}.pid"));
        std::fs::write(&pid_path, format!("{}\n", child.id()))
            .map_err(|e| Failure::io("write", &pid_path, &e))?;
        Ok(child)
    }

    /// Wait until `node` has said it listens `starts` times in all.
    fn wait_listening(&self, node: &str, starts: usize, pid: u32) -> Result<(), Failure> {
        let deadline = Instant::now() + LISTEN_TIMEOUT;
        while self.listen_count(node) < starts {
            let tail = || {
                let log = std::fs::read_to_string(self.log(node)).unwrap_or_default();
                let lines: Vec<&str> = log.lines().collect();
                lines[lines.len().saturating_sub(10)..].join("\n")
            };
            if !alive(pid) {
                return Err(Failure::Check(format!(
                    "{node} exited before listening; the end of its log:\n{}",
                    tail()
                )));
            }
            if Instant::now() >= deadline {
                return Err(Failure::Check(format!(
                    "{node} did not listen within {LISTEN_TIMEOUT:?}; the end of its log:\n{}",
                    tail()
                )));
            }
            std::thread::sleep(POLL);
        }
        Ok(())
    }

    fn running(&self) -> Vec<(String, u32)> {
        self.nodes()
            .into_iter()
            .filter_map(|n| {
                read_pid(&self.dir, &n)
                    .filter(|p| alive(*p))
                    .map(|p| (n, p))
            })
            .collect()
    }

    /// Stop every node with a live pid file and remove the pid files.
    fn stop_all(&self) {
        for node in self.nodes() {
            if let Some(pid) = read_pid(&self.dir, &node)
                && alive(pid)
            {
                let _ = signal(pid, "TERM");
            }
            let _ = std::fs::remove_file(self.dir.join(format!("{node}.pid")));
        }
    }
}

/// Run `cargo xtask cluster`.
pub fn cmd_cluster(root: &Path, args: &ClusterArgs) -> Result<(), Failure> {
    let section = section(&args.section)?;
    let dir = crate::target_dir(root)
        .join("cluster")
        .join(section.package);
    match &args.action {
        ClusterAction::Start {
            nodes,
            base_port,
            fresh,
        } => start(root, section, &dir, *nodes, *base_port, *fresh),
        ClusterAction::Kill(node) => kill(&dir, node),
        ClusterAction::Restart(node) => restart(&dir, node),
        ClusterAction::Stop => {
            let layout = Layout::read(&dir)?;
            let running = layout.running();
            layout.stop_all();
            println!(
                "stopped {} node(s) of the {} cluster",
                running.len(),
                section.package
            );
            Ok(())
        }
    }
}

fn known_node(layout: &Layout, node: &str) -> Result<(), Failure> {
    if layout.nodes().iter().any(|n| n == node) {
        return Ok(());
    }
    Err(usage(format!(
        "no node {node:?} in this cluster; its nodes are {}",
        layout.nodes().join(", ")
    )))
}

fn kill(dir: &Path, node: &str) -> Result<(), Failure> {
    let layout = Layout::read(dir)?;
    known_node(&layout, node)?;
    let Some(pid) = read_pid(dir, node).filter(|p| alive(*p)) else {
        return Err(Failure::Refused(format!("{node} is not running")));
    };
    signal(pid, "KILL")?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(pid) && Instant::now() < deadline {
        std::thread::sleep(POLL);
    }
    let _ = std::fs::remove_file(dir.join(format!("{node}.pid")));
    println!("killed {node} (pid {pid}, SIGKILL: nothing flushed)");
    println!(
        "restart it from its data directory with: cargo xtask cluster {} --restart {node}",
        dir.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("<section>")
    );
    Ok(())
}

fn restart(dir: &Path, node: &str) -> Result<(), Failure> {
    let layout = Layout::read(dir)?;
    known_node(&layout, node)?;
    if let Some(pid) = read_pid(dir, node).filter(|p| alive(*p)) {
        return Err(Failure::Refused(format!(
            "{node} is running (pid {pid}); kill it first with --kill {node}"
        )));
    }
    let starts = layout.listen_count(node) + 1;
    let child = layout.spawn(node)?;
    layout.wait_listening(node, starts, child.id())?;
    let log = std::fs::read_to_string(layout.log(node)).unwrap_or_default();
    let line = log
        .lines()
        .rfind(|l| l.contains("listening on"))
        .unwrap_or("");
    println!("restarted {node} (pid {}): {line}", child.id());
    Ok(())
}

fn start(
    root: &Path,
    section: ClusterSection,
    dir: &Path,
    nodes: usize,
    base_port: u16,
    fresh: bool,
) -> Result<(), Failure> {
    std::fs::create_dir_all(dir).map_err(|e| Failure::io("create", dir, &e))?;
    if let Ok(layout) = Layout::read(dir) {
        let running = layout.running();
        if !running.is_empty() {
            let list: Vec<String> = running
                .iter()
                .map(|(n, p)| format!("{n} (pid {p})"))
                .collect();
            return Err(Failure::Refused(format!(
                "a {} cluster is already running: {}; stop it with Ctrl-C in its terminal or \
                 `cargo xtask cluster {} --stop`",
                section.package,
                list.join(", "),
                section.package
            )));
        }
    }
    println!("building {} ...", section.package);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let built = Command::new(cargo)
        .args(["build", "--quiet", "-p", section.package, "--bins"])
        .current_dir(root)
        .status()
        .map_err(|e| Failure::Environment(format!("cannot run cargo: {e}")))?;
    if !built.success() {
        return Err(Failure::Check(format!(
            "`cargo build -p {} --bins` failed",
            section.package
        )));
    }
    let binary = crate::target_dir(root).join("debug").join(section.server);
    let names = &NAMES[..nodes];
    // Check (or choose) the ports: every listener is held until all are bound.
    let listeners: Vec<TcpListener> = names
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let port = if base_port == 0 {
                0
            } else {
                base_port + i as u16
            };
            TcpListener::bind(("127.0.0.1", port)).map_err(|e| {
                Failure::Environment(format!(
                    "cannot use port {port} on 127.0.0.1 ({e}); choose another --base-port, or 0"
                ))
            })
        })
        .collect::<Result<_, _>>()?;
    let peers: Vec<String> = names
        .iter()
        .zip(&listeners)
        .map(|(n, l)| l.local_addr().map(|a| format!("{n}={a}")))
        .collect::<Result<_, _>>()
        .map_err(|e| Failure::Environment(format!("cannot read a port: {e}")))?;
    drop(listeners);
    let peers = peers.join(",");
    for node in names {
        if fresh {
            let data = dir.join(node);
            if data.exists() {
                std::fs::remove_dir_all(&data).map_err(|e| Failure::io("remove", &data, &e))?;
            }
            let _ = std::fs::remove_file(dir.join(format!("{node}.log")));
        }
    }
    let cluster_txt = dir.join("cluster.txt");
    std::fs::write(
        &cluster_txt,
        format!("binary {}\npeers {peers}\n", binary.display()),
    )
    .map_err(|e| Failure::io("write", &cluster_txt, &e))?;
    let layout = Layout::read(dir)?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .map_err(|e| Failure::Environment(format!("cannot catch Ctrl-C: {e}")))?;
    let mut children = Vec::new();
    for node in names {
        let starts = layout.listen_count(node) + 1;
        let child = layout.spawn(node)?;
        let pid = child.id();
        children.push(child);
        if let Err(e) = layout.wait_listening(node, starts, pid) {
            layout.stop_all();
            return Err(e);
        }
    }
    println!(
        "\n{} cluster of {nodes} on 127.0.0.1 (logs and data under {}):",
        section.package,
        dir.display()
    );
    for (node, child) in names.iter().zip(&children) {
        let log = std::fs::read_to_string(layout.log(node)).unwrap_or_default();
        let line = log
            .lines()
            .rfind(|l| l.contains("listening on"))
            .unwrap_or("");
        println!(
            "  {node:<10} pid {:<7} log {}",
            child.id(),
            layout.log(node).display()
        );
        println!("             {line}");
    }
    println!(
        "\ntry:  cargo run -q -p {} --bin {} -- --servers {peers} {}",
        section.package, section.client, section.example
    );
    println!(
        "lab:  cargo xtask cluster {} --kill {}    |  --restart {}",
        section.package, names[0], names[0]
    );
    println!("stop: Ctrl-C\n");
    let mut reported = vec![false; children.len()];
    while !stop.load(Ordering::SeqCst) {
        for (i, child) in children.iter_mut().enumerate() {
            if !reported[i]
                && let Ok(Some(status)) = child.try_wait()
            {
                reported[i] = true;
                println!(
                    "{} exited ({status}); restart with `cargo xtask cluster {} --restart {}`",
                    names[i], section.package, names[i]
                );
            }
        }
        std::thread::sleep(POLL);
    }
    layout.stop_all();
    for child in &mut children {
        let _ = child.wait();
    }
    println!(
        "stopped the {} cluster (data kept; --fresh starts empty)",
        section.package
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn the_help_text_lists_every_cluster_option() {
        assert!(
            crate::cli::USAGE.contains(USAGE),
            "cargo xtask help must show the cluster usage"
        );
    }

    #[test]
    fn cluster_flags_parse_and_conflicting_actions_are_refused() {
        let start = parse(&args(&["paxos", "--nodes", "5", "--base-port", "0"])).expect("parses");
        assert_eq!(
            start.action,
            ClusterAction::Start {
                nodes: 5,
                base_port: 0,
                fresh: false
            }
        );
        let kill = parse(&args(&["paxos", "--kill", "athens"])).expect("parses");
        assert_eq!(kill.action, ClusterAction::Kill("athens".into()));
        assert!(parse(&args(&["paxos", "--kill", "athens", "--stop"])).is_err());
        assert!(
            parse(&args(&["paxos", "--nodes", "9"])).is_err(),
            "more nodes than names"
        );
        assert!(
            parse(&args(&["--nodes", "3"])).is_err(),
            "the section comes first"
        );
        assert!(parse(&args(&["paxos", "--bogus"])).is_err());
    }

    #[test]
    fn every_cluster_section_names_binaries_of_its_own_package() {
        for s in SECTIONS {
            assert!(
                s.server.starts_with(s.package) && s.client.starts_with(s.package),
                "{} must ship <package>-server and <package>-client",
                s.package
            );
        }
    }
}
