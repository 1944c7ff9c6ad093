//! `LocalCluster`: real server processes on 127.0.0.1, for integration tests.
//!
//! Each node is a child process of the test, started from a section's server binary
//! with a data directory and a log file (standard output and error) of its own under
//! one directory. Ports are ephemeral: the kit binds port 0 for every node at once,
//! notes the ports the system chose and releases them just before the servers bind
//! them. Every wait polls with a deadline and fails with a message that names what it
//! waited for and quotes the node's log; nothing sleeps to synchronise.
//!
//! [`LocalCluster::kill`] is `SIGKILL` (no chance to flush anything); a restarted node
//! reuses its port and data directory. Dropping the cluster kills what is still running.
#![allow(clippy::disallowed_methods)]

use crate::id::ProcessId;
use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a server may take to print that it listens (generous: a loaded 2-core
/// machine may be compiling something else).
pub const START_TIMEOUT: Duration = Duration::from_secs(30);
/// The pause between two polls of a condition.
pub const POLL: Duration = Duration::from_millis(10);

/// One server process.
#[derive(Debug)]
struct LocalNode {
    id: ProcessId,
    addr: SocketAddr,
    data_dir: PathBuf,
    log: PathBuf,
    child: Option<Child>,
    starts: usize,
}

/// Real server processes of one section on loopback.
#[derive(Debug)]
pub struct LocalCluster {
    binary: PathBuf,
    nodes: Vec<LocalNode>,
    extra_args: Vec<String>,
}

/// Poll `condition` every [`POLL`] until it holds or `timeout` passes.
pub fn poll_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(POLL);
    }
}

/// `n` free ports on 127.0.0.1, chosen by the system.
pub fn free_ports(n: usize) -> std::io::Result<Vec<SocketAddr>> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()?;
    listeners.iter().map(TcpListener::local_addr).collect()
}

impl LocalCluster {
    /// Start `binary` once per name, under `dir` (`<dir>/<name>/data`, `<dir>/<name>.log`),
    /// and wait until every node says it listens.
    pub fn start(binary: impl AsRef<Path>, names: &[&str], dir: &Path) -> Result<Self, String> {
        Self::start_with(binary, names, dir, &[])
    }

    /// [`LocalCluster::start`] with extra server flags (e.g. `--verbose`).
    pub fn start_with(
        binary: impl AsRef<Path>,
        names: &[&str],
        dir: &Path,
        extra_args: &[&str],
    ) -> Result<Self, String> {
        let ports = free_ports(names.len()).map_err(|e| format!("no free ports: {e}"))?;
        let nodes = names
            .iter()
            .zip(ports)
            .map(|(name, addr)| LocalNode {
                id: ProcessId::new(name),
                addr,
                data_dir: dir.join(name).join("data"),
                log: dir.join(format!("{name}.log")),
                child: None,
                starts: 0,
            })
            .collect();
        let mut cluster = LocalCluster {
            binary: binary.as_ref().to_path_buf(),
            nodes,
            extra_args: extra_args.iter().map(|s| s.to_string()).collect(),
        };
        for name in names {
            cluster.spawn(name)?;
        }
        for name in names {
            cluster.wait_listening(name)?;
        }
        Ok(cluster)
    }

    /// `name=host:port,...` for `--peers` and `--servers`.
    pub fn servers_arg(&self) -> String {
        let entries: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("{}={}", n.id, n.addr))
            .collect();
        entries.join(",")
    }

    /// Every server and its address.
    pub fn addresses(&self) -> Vec<(ProcessId, SocketAddr)> {
        self.nodes.iter().map(|n| (n.id.clone(), n.addr)).collect()
    }

    fn node(&self, name: &str) -> Result<&LocalNode, String> {
        self.nodes
            .iter()
            .find(|n| n.id.as_str() == name)
            .ok_or_else(|| format!("no node {name} in this cluster"))
    }

    fn node_mut(&mut self, name: &str) -> Result<&mut LocalNode, String> {
        self.nodes
            .iter_mut()
            .find(|n| n.id.as_str() == name)
            .ok_or_else(|| format!("no node {name} in this cluster"))
    }

    fn spawn(&mut self, name: &str) -> Result<(), String> {
        let peers = self.servers_arg();
        let binary = self.binary.clone();
        let extra = self.extra_args.clone();
        let node = self.node_mut(name)?;
        let log = File::options()
            .create(true)
            .append(true)
            .open(&node.log)
            .map_err(|e| format!("cannot open {}: {e}", node.log.display()))?;
        let err = log
            .try_clone()
            .map_err(|e| format!("cannot open {}: {e}", node.log.display()))?;
        let child = Command::new(&binary)
            .args(["--id", name, "--peers", &peers, "--data-dir"])
            .arg(&node.data_dir)
            .args(&extra)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(err))
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        node.child = Some(child);
        node.starts += 1;
        Ok(())
    }

    /// The node's log so far.
    pub fn log(&self, name: &str) -> String {
        self.node(name)
            .ok()
            .and_then(|n| std::fs::read_to_string(&n.log).ok())
            .unwrap_or_default()
    }

    /// Wait until `name`'s log contains `needle` `times` times in all.
    pub fn wait_for_log(
        &self,
        name: &str,
        needle: &str,
        times: usize,
        timeout: Duration,
    ) -> Result<(), String> {
        if poll_until(timeout, || self.log(name).matches(needle).count() >= times) {
            return Ok(());
        }
        Err(format!(
            "{name} did not log {needle:?} (x{times}) within {timeout:?}; its log:\n{}",
            self.log(name)
        ))
    }

    fn wait_listening(&mut self, name: &str) -> Result<(), String> {
        let starts = self.node(name)?.starts;
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if self.log(name).matches("listening on").count() >= starts {
                return Ok(());
            }
            let node = self.node_mut(name)?;
            if let Some(child) = node.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                node.child = None;
                return Err(format!(
                    "{name} exited ({status}) before listening; its log:\n{}",
                    self.log(name)
                ));
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "{name} did not listen within {START_TIMEOUT:?}; its log:\n{}",
                    self.log(name)
                ));
            }
            std::thread::sleep(POLL);
        }
    }

    /// `SIGKILL` the node and reap it.
    pub fn kill(&mut self, name: &str) -> Result<(), String> {
        let node = self.node_mut(name)?;
        let Some(mut child) = node.child.take() else {
            return Err(format!("{name} is not running"));
        };
        child
            .kill()
            .map_err(|e| format!("cannot kill {name}: {e}"))?;
        child
            .wait()
            .map_err(|e| format!("cannot reap {name}: {e}"))?;
        Ok(())
    }

    /// Start a killed node again from its data directory, on its port, and wait until
    /// it listens.
    pub fn restart(&mut self, name: &str) -> Result<(), String> {
        if self.node(name)?.child.is_some() {
            return Err(format!("{name} is still running"));
        }
        self.spawn(name)?;
        self.wait_listening(name)
    }

    /// Whether the node's process is alive.
    pub fn is_running(&mut self, name: &str) -> bool {
        match self.node_mut(name) {
            Ok(node) => match node.child.as_mut() {
                Some(child) => matches!(child.try_wait(), Ok(None)),
                None => false,
            },
            Err(_) => false,
        }
    }

    /// The node's data directory.
    pub fn data_dir(&self, name: &str) -> Option<PathBuf> {
        self.node(name).ok().map(|n| n.data_dir.clone())
    }

    /// The node's address.
    pub fn addr(&self, name: &str) -> Option<SocketAddr> {
        self.node(name).ok().map(|n| n.addr)
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            if let Some(mut child) = node.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}
