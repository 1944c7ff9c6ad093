//! `RealNode`: one process driven by real time, real TCP and a real disk.
//!
//! It is one more implementation of [`Env`], beside the simulator's cluster and
//! [`crate::solo::Solo`], and drives the same [`Node`] dispatch. Its loop:
//!
//! 1. When the system clock has moved into a new tick ([`TICK_MS`] each), set `now` to
//!    it and run the node's due request timeouts, due timers and `on_tick` (once, even
//!    if several ticks passed while the node was busy).
//! 2. Deliver the messages that have arrived (its own messages to itself first, then
//!    the network's, at most [`DELIVERY_BATCH`] before looking at the clock again).
//! 3. Complete the storage operations the handlers submitted: append every batch to the
//!    journal, **one `fdatasync` for all of them** if any asked for durability (group
//!    commit), then run their callbacks in submission order. Callbacks may submit more;
//!    repeat until none is pending.
//! 4. Wait for a message until the next tick boundary.
//!
//! A disk error (a failed append or `fdatasync`) is fatal: the node stops with
//! [`RealError::Storage`] rather than go on with state it may have lost.
#![allow(clippy::disallowed_methods)]

use super::journal::{FileKv, JournalError, Replay};
use super::log::Logger;
use super::transport::Transport;
use super::{RealError, TICK_MS};
use crate::error::StoreError;
use crate::fileio::{Dir, LocalDir, NodeDir, SimFs};
use crate::id::ProcessId;
use crate::msg::{Envelope, Message, PeerKind};
use crate::node::Node;
use crate::process::{Ctx, Env, NodeMeta, Process};
use crate::rng::SimRng;
use crate::store::{Durability, StoreImage, StoreOpId, WriteBatch};
use crate::time::Tick;
use crate::trace::{TraceEvent, TraceKind};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Messages delivered before the loop looks at the clock again.
pub const DELIVERY_BATCH: usize = 256;
/// The file in a data directory that counts the node's starts.
pub const INCARNATION_FILE: &str = "incarnation";

/// How to run one node.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// The section whose messages the node speaks (checked in every handshake).
    pub section: String,
    /// This node.
    pub id: ProcessId,
    /// Server (listens on its own entry of `servers`) or client (listens nowhere).
    pub kind: PeerKind,
    /// Every server and its address, in cluster order.
    pub servers: Vec<(ProcessId, SocketAddr)>,
    /// Where a server keeps its journal and files; `None` keeps storage in memory
    /// (a client: nothing it stores needs to survive).
    pub data_dir: Option<PathBuf>,
    /// Seed of the node's random stream (`ctx.rng()`).
    pub seed: u64,
    /// The default request timeout, in ticks.
    pub request_timeout_ticks: Tick,
    /// Log every trace event (deliveries, timers, writes), not only notes and failures.
    pub verbose: bool,
}

/// What a node found when it started.
#[derive(Clone, Debug)]
pub struct StartReport {
    /// Where it listens (servers).
    pub listen: Option<SocketAddr>,
    /// Its data directory (servers).
    pub data_dir: Option<PathBuf>,
    /// What replaying the journal found (servers).
    pub replay: Option<Replay>,
    /// How many times this data directory was started before.
    pub incarnation: u32,
}

enum Storage {
    File(Box<FileKv>),
    Memory(StoreImage),
}

/// A storage operation and how it ended.
type Completion = (StoreOpId, Result<(), StoreError>);

enum PendingOp {
    Write(WriteBatch, Durability),
    Sync,
}

struct World<M> {
    id: ProcessId,
    kind: PeerKind,
    start: Instant,
    now: Tick,
    rng: SimRng,
    request_timeout: Tick,
    storage: Storage,
    pending: Vec<(StoreOpId, PendingOp)>,
    next_op: u64,
    files: NodeDir,
    transport: Transport<M>,
    loopback: VecDeque<Envelope<M>>,
    log: Logger,
    verbose: bool,
}

impl<M: Message + Send> Env<M> for World<M> {
    fn now(&self) -> Tick {
        self.now
    }

    fn wall_ms(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }

    fn rng(&mut self) -> &mut SimRng {
        &mut self.rng
    }

    fn request_timeout(&self) -> Tick {
        self.request_timeout
    }

    fn send(&mut self, envelope: Envelope<M>) {
        if self.verbose {
            let event =
                TraceEvent::at_receiver(self.now, TraceKind::Send { deliver_at: None }, &envelope);
            self.log.line(event.to_string());
        }
        if envelope.to == self.id {
            self.loopback.push_back(envelope);
        } else {
            self.transport.send(&envelope);
        }
    }

    fn record(&mut self, event: TraceEvent<M>) {
        // A client drops late replies to attempts it already gave up on all the time
        // (a redirect answered after a timeout): only a server's drops are news.
        let always = match event.kind {
            TraceKind::Note | TraceKind::StoreFailed => true,
            TraceKind::Drop(_) | TraceKind::RequestTimeout => self.kind == PeerKind::Server,
            _ => false,
        };
        if always || self.verbose {
            self.log.line(event.to_string());
        }
    }

    fn store(&self) -> &StoreImage {
        match &self.storage {
            Storage::File(kv) => kv.image(),
            Storage::Memory(image) => image,
        }
    }

    fn write(&mut self, batch: WriteBatch, durability: Durability) -> StoreOpId {
        self.next_op += 1;
        let id = StoreOpId(self.next_op);
        self.pending.push((id, PendingOp::Write(batch, durability)));
        id
    }

    fn sync(&mut self) -> StoreOpId {
        self.next_op += 1;
        let id = StoreOpId(self.next_op);
        self.pending.push((id, PendingOp::Sync));
        id
    }

    fn dir(&self) -> NodeDir {
        self.files.clone()
    }
}

impl<M: Message + Send> World<M> {
    /// Append every pending batch, sync once if any needs it, and return the outcomes in
    /// submission order.
    fn complete_storage(&mut self) -> Result<Vec<Completion>, JournalError> {
        let mut done = Vec::new();
        let mut needs_sync = false;
        for (id, op) in std::mem::take(&mut self.pending) {
            let result = match op {
                PendingOp::Sync => {
                    needs_sync = true;
                    Ok(())
                }
                PendingOp::Write(batch, durability) => {
                    needs_sync |= durability == Durability::Sync;
                    match &mut self.storage {
                        Storage::File(kv) => kv.append(&batch)?,
                        Storage::Memory(image) => image.check(&batch).map(|()| image.apply(&batch)),
                    }
                }
            };
            done.push((id, result));
        }
        if needs_sync && let Storage::File(kv) = &mut self.storage {
            kv.sync()?;
        }
        Ok(done)
    }
}

/// One process running for real.
pub struct RealNode<P: Process> {
    node: Node<P>,
    world: World<P::Msg>,
    report: StartReport,
}

/// Read the start count of a data directory and store it plus one, durably.
fn bump_incarnation(dir: &Path) -> Result<u32, RealError> {
    let path = dir.join(INCARNATION_FILE);
    let bad = |reason: String| RealError::DataDir {
        path: path.clone(),
        reason,
    };
    let previous = match std::fs::read_to_string(&path) {
        Ok(text) => Some(
            text.trim()
                .parse::<u32>()
                .map_err(|e| bad(format!("not a start count ({e})")))?,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(bad(e.to_string())),
    };
    let incarnation = previous.map_or(0, |p| p + 1);
    let tmp = dir.join(format!("{INCARNATION_FILE}.tmp"));
    let write = || -> std::io::Result<()> {
        std::fs::write(&tmp, format!("{incarnation}\n"))?;
        std::fs::File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        std::fs::File::open(dir)?.sync_all()
    };
    write().map_err(|e| bad(e.to_string()))?;
    Ok(incarnation)
}

impl<P: Process> RealNode<P>
where
    P::Msg: Send,
{
    /// Open the data directory (replaying the journal), start listening and connecting,
    /// and run `on_start` of the process `make` builds (it may be called twice: a node
    /// restarted from a data directory is built as a fresh node advanced to its
    /// incarnation, then restarted).
    pub fn start(config: NodeConfig, mut make: impl FnMut() -> P) -> Result<Self, RealError> {
        let log = Logger::new(config.id.as_str());
        let (storage, files, replay, incarnation) = match &config.data_dir {
            Some(dir) => {
                let local = LocalDir::open(dir).map_err(|e| RealError::DataDir {
                    path: dir.clone(),
                    reason: e.to_string(),
                })?;
                let incarnation = bump_incarnation(dir)?;
                let kv = FileKv::open(dir).map_err(|e| RealError::DataDir {
                    path: dir.clone(),
                    reason: e.to_string(),
                })?;
                let replay = kv.replay();
                let files = local.subdir("files").map_err(|e| RealError::DataDir {
                    path: dir.join("files"),
                    reason: e.to_string(),
                })?;
                let storage = Storage::File(Box::new(kv));
                (storage, NodeDir::Local(files), Some(replay), incarnation)
            }
            None => {
                let fs = SimFs::with_seed(config.seed);
                (
                    Storage::Memory(StoreImage::default()),
                    NodeDir::Sim(fs.root()),
                    None,
                    0,
                )
            }
        };
        let listen = match config.kind {
            PeerKind::Server => {
                let own = config.servers.iter().find(|(id, _)| *id == config.id);
                let Some((_, addr)) = own else {
                    return Err(RealError::Usage(format!(
                        "server {} is not in the server list",
                        config.id
                    )));
                };
                Some(*addr)
            }
            PeerKind::Client => None,
        };
        let transport = Transport::start(
            &config.section,
            config.id.clone(),
            listen,
            &config.servers,
            log.clone(),
        )
        .map_err(|e| RealError::Listen {
            addr: listen.map(|a| a.to_string()).unwrap_or_default(),
            reason: e.to_string(),
        })?;
        let report = StartReport {
            listen: transport.local_addr(),
            data_dir: config.data_dir.clone(),
            replay,
            incarnation,
        };
        let servers = config.servers.iter().map(|(id, _)| id.clone()).collect();
        let meta = NodeMeta::new(config.id.clone(), config.kind, servers);
        let rng = SimRng::derive(config.seed, &format!("node:{}:{incarnation}", config.id));
        let mut world = World {
            id: config.id.clone(),
            kind: config.kind,
            start: Instant::now(),
            now: 0,
            rng,
            request_timeout: config.request_timeout_ticks,
            storage,
            pending: Vec::new(),
            next_op: 0,
            files,
            transport,
            loopback: VecDeque::new(),
            log,
            verbose: config.verbose,
        };
        let mut node = Node::new(meta, make());
        if incarnation > 0 {
            // Each crash of a node starts a new incarnation, and correlation ids carry the
            // incarnation: a late reply to a request of a previous life of this data
            // directory then matches nothing.
            for _ in 0..incarnation {
                node.crash();
            }
            node.restart(&mut world, make());
        } else {
            node.start(&mut world);
        }
        let mut real = RealNode {
            node,
            world,
            report,
        };
        real.settle_storage()?;
        Ok(real)
    }

    /// What the node found when it started.
    pub fn report(&self) -> &StartReport {
        &self.report
    }

    /// The current tick.
    pub fn now(&self) -> Tick {
        self.world.now
    }

    /// The process.
    pub fn process(&self) -> &P {
        self.node
            .process()
            .expect("a real node always has its process: it never crashes in place")
    }

    /// This node's id.
    pub fn process_id(&self) -> ProcessId {
        self.world.id.clone()
    }

    /// The network, for its counters and connection states.
    pub fn transport(&self) -> &Transport<P::Msg> {
        &self.world.transport
    }

    /// Run `f` as if from one of the node's handlers, then complete its storage.
    pub fn act<R>(&mut self, f: impl FnOnce(&mut P, &mut Ctx<'_, P>) -> R) -> Result<R, RealError> {
        let result = self
            .node
            .act(&mut self.world, f)
            .expect("a real node always has its process: it never crashes in place");
        self.settle_storage()?;
        Ok(result)
    }

    /// Run the loop until `deadline`.
    pub fn run_for(&mut self, duration: Duration) -> Result<(), RealError> {
        self.run_until(Instant::now() + duration, |_| false)
            .map(|_| ())
    }

    /// Run the loop until `done` holds (`Ok(true)`) or `deadline` passes (`Ok(false)`).
    pub fn run_until(
        &mut self,
        deadline: Instant,
        mut done: impl FnMut(&P) -> bool,
    ) -> Result<bool, RealError> {
        loop {
            if done(self.process()) {
                return Ok(true);
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(false);
            }
            self.advance_clock()?;
            let delivered = self.deliver_batch()?;
            if delivered == 0 {
                let elapsed = self.world.start.elapsed();
                let next_tick = Duration::from_millis((self.world.now + 1) * TICK_MS);
                let wait = next_tick
                    .saturating_sub(elapsed)
                    .min(deadline.saturating_duration_since(now));
                match self.world.transport.inbox().recv_timeout(wait) {
                    Ok(envelope) => {
                        self.node.deliver(&mut self.world, envelope);
                        self.settle_storage()?;
                    }
                    Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {}
                }
            }
        }
    }

    fn advance_clock(&mut self) -> Result<(), RealError> {
        let tick = self.world.start.elapsed().as_millis() as u64 / TICK_MS;
        if tick > self.world.now {
            self.world.now = tick;
            self.node.run_timers(&mut self.world);
            self.settle_storage()?;
        }
        Ok(())
    }

    fn deliver_batch(&mut self) -> Result<usize, RealError> {
        let mut delivered = 0;
        while delivered < DELIVERY_BATCH {
            let envelope = match self.world.loopback.pop_front() {
                Some(envelope) => envelope,
                None => match self.world.transport.inbox().try_recv() {
                    Ok(envelope) => envelope,
                    Err(_) => break,
                },
            };
            self.node.deliver(&mut self.world, envelope);
            delivered += 1;
        }
        if delivered > 0 {
            self.settle_storage()?;
        }
        Ok(delivered)
    }

    /// Complete storage operations until none is pending (callbacks may submit more).
    fn settle_storage(&mut self) -> Result<(), RealError> {
        while !self.world.pending.is_empty() {
            let done = self.world.complete_storage()?;
            for (id, result) in done {
                self.node.storage_done(&mut self.world, id, result);
            }
        }
        Ok(())
    }
}
