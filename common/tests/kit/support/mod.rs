//! A tiny protocol used by `common`'s integration tests: a durable register plus the
//! messages needed to exercise requests, quorums, timers and storage.
#![allow(dead_code)]

pub mod register;

// Not every test file uses every name.
#[allow(unused_imports)]
pub use common::names::{ALICE, ATHENS, BYZANTIUM, CYRENE};
use common::{Ctx, Envelope, Message, Process, ProcessId, QuorumPolicy, WaitingList};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Msg {
    /// Store `value` durably, reply `Stored` once it is synced.
    Put {
        value: u64,
    },
    /// Store `value` but reply before the write is durable (the classic bug).
    PutUnsafe {
        value: u64,
    },
    Stored,
    Get,
    Value {
        value: Option<u64>,
    },
    /// Ask for a vote; the receiver answers with its configured vote.
    Vote,
    Voted {
        yes: bool,
    },
    /// Ask the receiver to collect votes from every server (itself included).
    Collect {
        required: Option<usize>,
    },
    Collected {
        succeeded: bool,
        accepted: usize,
        replies: usize,
    },
    /// Ask the receiver to ping `to` with a request that times out after `timeout` ticks.
    PingVia {
        to: ProcessId,
        timeout: u64,
    },
    Ping,
    Pong,
    PingResult {
        ok: bool,
    },
    /// A message a node sends itself.
    Loop {
        n: u32,
    },
    /// Wait until someone calls Release with the same key.
    Wait {
        key: u64,
    },
    Release {
        key: u64,
    },
    Released,
    TimedOut,
}

impl Message for Msg {
    fn kind(&self) -> &'static str {
        match self {
            Msg::Put { .. } => "Put",
            Msg::PutUnsafe { .. } => "PutUnsafe",
            Msg::Stored => "Stored",
            Msg::Get => "Get",
            Msg::Value { .. } => "Value",
            Msg::Vote => "Vote",
            Msg::Voted { .. } => "Voted",
            Msg::Collect { .. } => "Collect",
            Msg::Collected { .. } => "Collected",
            Msg::PingVia { .. } => "PingVia",
            Msg::Ping => "Ping",
            Msg::Pong => "Pong",
            Msg::PingResult { .. } => "PingResult",
            Msg::Loop { .. } => "Loop",
            Msg::Wait { .. } => "Wait",
            Msg::Release { .. } => "Release",
            Msg::Released => "Released",
            Msg::TimedOut => "TimedOut",
        }
    }
}

/// The test server.
#[derive(Debug)]
pub struct Node {
    pub value: Option<u64>,
    pub vote: bool,
    pub pings: u32,
    pub ping_callbacks: u32,
    pub loops_seen: Vec<u32>,
    pub in_loop_handler: bool,
    pub ticks: u64,
    pub waiting: WaitingList<u64, Envelope<Msg>>,
    pub recovered: bool,
}

pub const VALUE_KEY: &str = "value";

impl Node {
    pub fn new() -> Self {
        Node {
            value: None,
            vote: true,
            pings: 0,
            ping_callbacks: 0,
            loops_seen: Vec::new(),
            in_loop_handler: false,
            ticks: 0,
            waiting: WaitingList::new(),
            recovered: false,
        }
    }
}

impl Default for Node {
    fn default() -> Self {
        Self::new()
    }
}

impl Process for Node {
    type Msg = Msg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.value = ctx.load(VALUE_KEY).expect("the stored value must decode");
        self.recovered = ctx.incarnation() > 0;
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, env: Envelope<Msg>) {
        match env.body.clone() {
            Msg::Put { value } => {
                let request = env.clone();
                ctx.persist(VALUE_KEY, &value, move |node: &mut Self, ctx, written| {
                    if written.is_ok() {
                        node.value = Some(value);
                        ctx.reply(&request, Msg::Stored);
                    }
                })
                .expect("a u64 always encodes");
            }
            Msg::PutUnsafe { value } => {
                self.value = Some(value);
                ctx.persist(VALUE_KEY, &value, |_, _, _| {})
                    .expect("a u64 always encodes");
                ctx.reply(&env, Msg::Stored);
            }
            Msg::Get => ctx.reply(&env, Msg::Value { value: self.value }),
            Msg::Vote => ctx.reply(&env, Msg::Voted { yes: self.vote }),
            Msg::Collect { required } => {
                let policy = match required {
                    Some(n) => QuorumPolicy::count(n),
                    None => QuorumPolicy::majority(),
                };
                let policy = policy.accept(|m: &Msg| matches!(m, Msg::Voted { yes: true }));
                let targets = ctx.all_nodes().to_vec();
                ctx.quorum(
                    &targets,
                    Msg::Vote,
                    policy,
                    move |_node: &mut Self, ctx, outcome| {
                        let reply = Msg::Collected {
                            succeeded: outcome.succeeded,
                            accepted: outcome.accepted.len(),
                            replies: outcome.replies.len(),
                        };
                        ctx.reply(&env, reply);
                    },
                );
            }
            Msg::PingVia { to, timeout } => {
                ctx.request(
                    to,
                    Msg::Ping,
                    timeout,
                    move |node: &mut Self, ctx, answer| {
                        node.ping_callbacks += 1;
                        ctx.reply(&env, Msg::PingResult { ok: answer.is_ok() });
                    },
                );
            }
            Msg::Ping => {
                self.pings += 1;
                ctx.reply(&env, Msg::Pong);
            }
            Msg::Loop { n } => {
                assert!(
                    !self.in_loop_handler,
                    "a self-message must never re-enter a running handler"
                );
                self.in_loop_handler = true;
                self.loops_seen.push(n);
                if n > 0 {
                    let me = ctx.id().clone();
                    ctx.send(me, Msg::Loop { n: n - 1 });
                }
                self.in_loop_handler = false;
            }
            Msg::Wait { key } => {
                let deadline = ctx.now() + 20;
                self.waiting.add(key, deadline, env);
            }
            Msg::Release { key } => {
                if let Some(waiter) = self.waiting.complete(&key) {
                    ctx.reply(&waiter, Msg::Released);
                }
            }
            Msg::Stored
            | Msg::Value { .. }
            | Msg::Voted { .. }
            | Msg::Collected { .. }
            | Msg::Pong
            | Msg::PingResult { .. }
            | Msg::Released
            | Msg::TimedOut => {}
        }
    }

    fn on_tick(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.ticks += 1;
        for (_, waiter) in self.waiting.expire(ctx.now()) {
            ctx.reply(&waiter, Msg::TimedOut);
        }
    }
}

/// Three servers and a client, default settings.
pub fn three_nodes(seed: u64) -> common::Cluster<Msg> {
    three_nodes_with(seed, |builder| builder)
}

/// Three servers and a client, with settings changed by `configure` (network, storage).
pub fn three_nodes_with(
    seed: u64,
    configure: impl FnOnce(common::ClusterBuilder) -> common::ClusterBuilder,
) -> common::Cluster<Msg> {
    let builder = common::Cluster::builder()
        .seed(seed)
        .servers([ATHENS, BYZANTIUM, CYRENE])
        .request_timeout(50);
    let mut cluster = configure(builder).build(|_, _| Node::new());
    cluster.add_client(ALICE);
    cluster
}
