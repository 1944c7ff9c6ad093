//! # `common` — a deterministic simulator for distributed protocols
//!
//! Every protocol of the workshop (quorum reads and writes, generation voting, Paxos,
//! Multi-Paxos, Raft) runs on this crate. It simulates a whole cluster — processes,
//! network, clocks and disks — in one thread, tick by tick, from one seed. The same seed
//! always produces the same run, so a failure found once can be replayed, stepped
//! through and fixed.
//!
//! ## Why simulate?
//!
//! The bugs of distributed systems live in timing: a message that arrives after a
//! timeout, a node that crashes between writing and syncing, two elections that overlap.
//! On real machines these interleavings are rare and unrepeatable. Here they are a seed
//! away, and faults (partitions, delays, losses, crashes with lost writes, skewed
//! clocks) are verbs a test calls.
//!
//! ## Writing a process
//!
//! A process is a state machine over one message `enum`. Handlers receive `&mut self`
//! and a [`Ctx`]; everything they do is an *effect* requested through the `Ctx`:
//!
//! ```
//! use common::{Ctx, Envelope, Message, Process};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
//! pub enum Msg {
//!     Incr,
//!     Count { value: u64 },
//! }
//!
//! impl Message for Msg {
//!     fn kind(&self) -> &'static str {
//!         match self {
//!             Msg::Incr => "Incr",
//!             Msg::Count { .. } => "Count",
//!         }
//!     }
//! }
//!
//! /// A counter that remembers its value across crashes.
//! #[derive(Default)]
//! pub struct Counter {
//!     value: u64,
//! }
//!
//! impl Process for Counter {
//!     type Msg = Msg;
//!
//!     fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
//!         // First boot or restart: recover what was synced.
//!         self.value = ctx.load("count").expect("decodes").unwrap_or(0);
//!     }
//!
//!     fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, env: Envelope<Msg>) {
//!         if env.body == Msg::Incr {
//!             let next = self.value + 1;
//!             // Persist first, reply only once the write is durable.
//!             ctx.persist("count", &next, move |node: &mut Self, ctx, written| {
//!                 if written.is_ok() {
//!                     node.value = next;
//!                     ctx.reply(&env, Msg::Count { value: next });
//!                 }
//!             })
//!             .expect("a u64 encodes");
//!         }
//!     }
//! }
//! # fn main() {}
//! ```
//!
//! ## Writing a test
//!
//! A [`Cluster`] runs the processes. Tests talk to servers through a generic client,
//! advance time, apply faults and inspect state without side effects:
//!
//! ```
//! # use common::{Ctx, Envelope, Message, Process};
//! # use serde::{Deserialize, Serialize};
//! # #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
//! # pub enum Msg { Incr, Count { value: u64 } }
//! # impl Message for Msg {
//! #     fn kind(&self) -> &'static str { match self { Msg::Incr => "Incr", Msg::Count { .. } => "Count" } }
//! # }
//! # #[derive(Default)]
//! # pub struct Counter { value: u64 }
//! # impl Process for Counter {
//! #     type Msg = Msg;
//! #     fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) { self.value = ctx.load("count").unwrap().unwrap_or(0); }
//! #     fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, env: Envelope<Msg>) {
//! #         let next = self.value + 1;
//! #         ctx.persist("count", &next, move |node: &mut Self, ctx, written| {
//! #             if written.is_ok() { node.value = next; ctx.reply(&env, Msg::Count { value: next }); }
//! #         }).unwrap();
//! #     }
//! # }
//! use common::{Cluster, RpcError};
//!
//! let mut cluster = Cluster::builder()
//!     .seed(1)
//!     .servers(["athens"])
//!     .request_timeout(10)
//!     .build(|_id, _peers| Counter::default());
//! cluster.add_client("alice");
//!
//! // A call returns a promise; `run` ticks until it completes.
//! let reply = cluster.call("alice", "athens", Msg::Incr);
//! assert_eq!(cluster.run(&reply), Ok(Msg::Count { value: 1 }));
//!
//! // The acknowledged value was synced, so it survives a crash and restart.
//! cluster.crash("athens");
//! cluster.restart("athens");
//! assert_eq!(cluster.node::<Counter>("athens").value, 1);
//!
//! // A cut-off server means a timeout: the client cannot know whether it happened.
//! cluster.isolate("athens");
//! let reply = cluster.call("alice", "athens", Msg::Incr);
//! assert_eq!(cluster.run(&reply), Err(RpcError::Timeout { after_ticks: 10 }));
//! ```
//!
//! ## The rules of the simulated world
//!
//! * **Time** is the cluster tick ([`Tick`]). Nothing sent in tick *t* arrives before
//!   *t + 1*, so a round trip costs at least two ticks. The exact order of one tick is
//!   documented in [`cluster`].
//! * **The network** ([`net`]) delivers in `(tick, send order)`, FIFO per link by
//!   default, and applies partitions, rules (drop, drop the n-th, delay, hold, clog),
//!   loss and duplication. A node's message to itself takes a loopback lane.
//! * **Storage** ([`store`]) — a key-value map and a log per node, plus files
//!   ([`fileio`]) — has a page cache and a disk: a crash keeps what was synced and, by
//!   the node's [`CrashPolicy`], perhaps a prefix of what was not, never half a batch.
//! * **Crash** drops a node's memory, timers and callbacks and power-cuts all of its
//!   storage; **restart** builds a new incarnation from its factory and durable storage;
//!   **pause** freezes it. Servers can join and leave ([`Cluster::add_server`],
//!   [`Cluster::remove_server`]).
//! * **Randomness** comes from one seed split into labelled streams ([`rng`]).
//! * **The trace** ([`trace`]) records every event; its hash proves a run replays.
//!
//! ## One process, several drivers
//!
//! A handler reaches the world only through its [`Ctx`], and a `Ctx` only through the
//! [`Env`] trait. The dispatch rules (a reply to its callback, a timeout to its callback,
//! timers in deadline order) live once, in [`Node`]. The [`Cluster`] drives nodes under
//! the simulator; [`solo::Solo`] drives one node by hand and collects what it sends, for
//! tests of a single step; [`search`] drives every interleaving of a small cluster, breadth
//! first, to find the shortest schedule that breaks an invariant; a real network runtime
//! is one more implementation of `Env`.
//! The callbacks live beside the process, not in it, so a protocol's state stays plain
//! data that can be cloned, compared and hashed, and [`Continuations`] describes what a
//! node waits for as data too.
//!
//! ## Determinism guardrails
//!
//! Simulated code must not read the wall clock, start threads, use unseeded randomness
//! or iterate hash maps; the workspace's `clippy.toml` forbids them. Use
//! `BTreeMap`/`BTreeSet`, [`Ctx::now`], [`Ctx::wall_ms`] and [`Ctx::rng`].
//!
//! ## What is not here
//!
//! No protocol lives in this crate: quorum replication, Paxos and Raft are what the
//! sections ask you to write. There is no async runtime either: explicit callbacks that
//! receive the node keep every step of a protocol visible.
pub mod chart;
pub mod check;
pub mod cli;
pub mod client;
pub mod cluster;
pub mod echo;
pub mod error;
pub mod fileio;
pub mod history;
pub mod id;
pub mod msg;
pub mod names;
pub mod nemesis;
pub mod net;
pub mod node;
pub mod picture;
pub mod process;
pub mod promise;
pub mod quorum;
#[cfg(feature = "real")]
pub mod real;
pub mod rng;
pub mod search;
pub mod sim;
pub mod solo;
pub mod store;
pub mod time;
pub mod trace;
pub mod waiting;
pub mod workload;

pub use client::{Client, Follow, Redirect};
pub use cluster::{Cluster, ClusterBuilder, ClusterView, NodeStatus};
pub use error::{ClusterError, RpcError, ScriptError, StoreError};
pub use id::{CorrId, OpId, ProcessId, TimerId};
pub use msg::{Envelope, Message, PeerKind};
pub use net::{NetConfig, PartitionMode, RuleId};
pub use node::{Continuations, Node};
pub use process::{Ctx, Env, Process};
pub use promise::Promise;
pub use quorum::{QuorumMode, QuorumOutcome, QuorumPolicy};
pub use rng::SimRng;
pub use store::{CrashPolicy, Durability, LogImage, SimKv, StoreConfig, StoreImage, WriteBatch};
pub use time::Tick;
pub use waiting::WaitingList;
