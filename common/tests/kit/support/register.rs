//! A small replicated key-value register used to demonstrate the seeded runner.
//!
//! The correct mode is the ABD algorithm with a server as coordinator: a write asks a
//! majority for their newest version, stores `(newest + 1, coordinator)` on a majority,
//! then answers; a read asks a majority, writes the newest value back to a majority (so
//! no later read can see an older one), then answers. Replicas persist before they
//! acknowledge, so a crash loses nothing acknowledged.
//!
//! The broken mode acknowledges a write as soon as the coordinator has stored it itself,
//! replicating in the background: a read served by a majority that has not heard of the
//! write yet returns the old value after the write was acknowledged.

use common::check::models::{KvOp, Ret};
use common::sim::{Answer, Workload};
use common::{Ctx, Envelope, Message, Process, ProcessId, QuorumPolicy, RpcError, SimRng};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A version: (counter, coordinator, the coordinator's write number). Ordered, so every
/// two versions compare; unique, because one coordinator may run several writes at once
/// (with only (counter, coordinator), two concurrent writes through the same node would
/// carry the same version with different values).
pub type Version = (u64, ProcessId, u64);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegMsg {
    Write {
        key: u8,
        value: i64,
    },
    Read {
        key: u8,
    },
    WriteOk,
    ReadOk {
        value: Option<i64>,
    },
    /// The coordinator could not reach a majority (the write may have partly happened).
    Unavailable,
    Query {
        key: u8,
    },
    QueryReply {
        version: Option<Version>,
        value: Option<i64>,
    },
    Store {
        key: u8,
        version: Version,
        value: i64,
    },
    StoreAck,
}

impl Message for RegMsg {
    fn kind(&self) -> &'static str {
        match self {
            RegMsg::Write { .. } => "Write",
            RegMsg::Read { .. } => "Read",
            RegMsg::WriteOk => "WriteOk",
            RegMsg::ReadOk { .. } => "ReadOk",
            RegMsg::Unavailable => "Unavailable",
            RegMsg::Query { .. } => "Query",
            RegMsg::QueryReply { .. } => "QueryReply",
            RegMsg::Store { .. } => "Store",
            RegMsg::StoreAck => "StoreAck",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// ABD: majority read, write-back, majority write.
    Correct,
    /// Acknowledge a write once stored locally; replicate afterwards.
    AckBeforeReplicating,
    /// A coordinator answers reads from its own copy, without asking a majority: stale
    /// once it has missed a write (it was cut off or down).
    LocalRead,
}

pub struct Replica {
    mode: Mode,
    /// Durable cells: what has been written and synced.
    cells: BTreeMap<u8, (Version, i64)>,
    /// Keys with a write in flight, and the stores waiting for it to finish.
    writing: BTreeMap<u8, Vec<QueuedStore>>,
    /// Writes coordinated by this node (in this incarnation).
    writes: u64,
    /// Client requests already started, with the tick they arrived. A duplicated request
    /// must not run twice: a second run of a write would give its value a newer version
    /// and bring it back after later writes. The network delivers a duplicate within a
    /// few ticks of the original, so remembering requests for `DEDUP_TICKS` suffices.
    seen: BTreeMap<(ProcessId, common::CorrId), u64>,
}

const DEDUP_TICKS: u64 = 100;

type Then = Box<dyn FnOnce(&mut Replica, &mut Ctx<'_, Replica>)>;
type QueuedStore = (Version, i64, Then);

fn key_name(key: u8) -> String {
    format!("cell/{key}")
}

fn newest(outcome: &common::QuorumOutcome<RegMsg>) -> Option<(Version, i64)> {
    outcome
        .replies
        .values()
        .filter_map(|m| match m {
            RegMsg::QueryReply {
                version: Some(v),
                value: Some(x),
            } => Some((v.clone(), *x)),
            _ => None,
        })
        .max()
}

impl Replica {
    pub fn new(mode: Mode) -> Self {
        Replica {
            mode,
            cells: BTreeMap::new(),
            writing: BTreeMap::new(),
            writes: 0,
            seen: BTreeMap::new(),
        }
    }

    /// Store `version` durably unless the cell already holds something at least as new,
    /// then continue. Writes to one key are done one at a time: each is judged against
    /// what is durable, never against a write still queued, which may yet fail; and a
    /// newer version is never overwritten on disk by an older one completing after it.
    fn store(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        key: u8,
        version: Version,
        value: i64,
        then: impl FnOnce(&mut Self, &mut Ctx<'_, Self>) + 'static,
    ) {
        if let Some(waiting) = self.writing.get_mut(&key) {
            waiting.push((version, value, Box::new(then)));
            return;
        }
        if self.cells.get(&key).is_some_and(|(v, _)| *v >= version) {
            return then(self, ctx);
        }
        self.writing.insert(key, Vec::new());
        let record = (version, value);
        ctx.persist(
            key_name(key),
            &record.clone(),
            move |node: &mut Self, ctx, written| {
                if written.is_ok() {
                    node.cells.insert(key, record);
                    then(node, ctx);
                }
                for (version, value, then) in node.writing.remove(&key).unwrap_or_default() {
                    node.store(ctx, key, version, value, then);
                }
            },
        )
        .expect("a version and a value always encode");
    }

    fn write(&mut self, ctx: &mut Ctx<'_, Self>, request: Envelope<RegMsg>, key: u8, value: i64) {
        let targets = ctx.all_nodes().to_vec();
        ctx.quorum(
            &targets,
            RegMsg::Query { key },
            QuorumPolicy::majority(),
            move |node: &mut Self, ctx, outcome| {
                if !outcome.succeeded {
                    return ctx.reply(&request, RegMsg::Unavailable);
                }
                let counter = newest(&outcome).map(|((c, _, _), _)| c).unwrap_or(0) + 1;
                node.writes += 1;
                // The incarnation keeps write numbers unique across restarts too.
                let version = (
                    counter,
                    ctx.id().clone(),
                    (u64::from(ctx.incarnation()) << 32) | node.writes,
                );
                if node.mode == Mode::AckBeforeReplicating {
                    let req = request.clone();
                    return node.store(ctx, key, version.clone(), value, move |_, ctx| {
                        ctx.reply(&req, RegMsg::WriteOk);
                        let targets = ctx.all_nodes().to_vec();
                        ctx.quorum(
                            &targets,
                            RegMsg::Store {
                                key,
                                version,
                                value,
                            },
                            QuorumPolicy::majority(),
                            |_, _, _| {},
                        );
                    });
                }
                let targets = ctx.all_nodes().to_vec();
                ctx.quorum(
                    &targets,
                    RegMsg::Store {
                        key,
                        version,
                        value,
                    },
                    QuorumPolicy::majority(),
                    move |_, ctx, stored| {
                        let answer = if stored.succeeded {
                            RegMsg::WriteOk
                        } else {
                            RegMsg::Unavailable
                        };
                        ctx.reply(&request, answer);
                    },
                );
            },
        );
    }

    fn read(&mut self, ctx: &mut Ctx<'_, Self>, request: Envelope<RegMsg>, key: u8) {
        if self.mode == Mode::LocalRead {
            let value = self.cells.get(&key).map(|(_, v)| *v);
            return ctx.reply(&request, RegMsg::ReadOk { value });
        }
        let targets = ctx.all_nodes().to_vec();
        ctx.quorum(
            &targets,
            RegMsg::Query { key },
            QuorumPolicy::majority(),
            move |_, ctx, outcome| {
                if !outcome.succeeded {
                    return ctx.reply(&request, RegMsg::Unavailable);
                }
                let Some((version, value)) = newest(&outcome) else {
                    return ctx.reply(&request, RegMsg::ReadOk { value: None });
                };
                // Write back, so that no later read returns an older value than this one.
                let targets = ctx.all_nodes().to_vec();
                ctx.quorum(
                    &targets,
                    RegMsg::Store {
                        key,
                        version,
                        value,
                    },
                    QuorumPolicy::majority(),
                    move |_, ctx, stored| {
                        let answer = if stored.succeeded {
                            RegMsg::ReadOk { value: Some(value) }
                        } else {
                            RegMsg::Unavailable
                        };
                        ctx.reply(&request, answer);
                    },
                );
            },
        );
    }
}

impl Process for Replica {
    type Msg = RegMsg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        for key in 0..=u8::MAX {
            if let Ok(Some(record)) = ctx.load::<(Version, i64)>(key_name(key)) {
                self.cells.insert(key, record);
            }
        }
    }

    fn on_tick(&mut self, ctx: &mut Ctx<'_, Self>) {
        let now = ctx.now();
        self.seen
            .retain(|_, arrived| now.saturating_sub(*arrived) < DEDUP_TICKS);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, env: Envelope<RegMsg>) {
        if matches!(env.body, RegMsg::Write { .. } | RegMsg::Read { .. }) {
            let id = (
                env.from.clone(),
                env.corr
                    .expect("clients send requests with a correlation id"),
            );
            if self.seen.insert(id, ctx.now()).is_some() {
                return ctx.note("duplicate request ignored");
            }
        }
        match env.body.clone() {
            RegMsg::Write { key, value } => self.write(ctx, env, key, value),
            RegMsg::Read { key } => self.read(ctx, env, key),
            RegMsg::Query { key } => {
                let (version, value) = match self.cells.get(&key) {
                    Some((v, x)) => (Some(v.clone()), Some(*x)),
                    None => (None, None),
                };
                ctx.reply(&env, RegMsg::QueryReply { version, value });
            }
            RegMsg::Store {
                key,
                version,
                value,
            } => self.store(ctx, key, version, value, move |_, ctx| {
                ctx.reply(&env, RegMsg::StoreAck)
            }),
            RegMsg::WriteOk
            | RegMsg::ReadOk { .. }
            | RegMsg::Unavailable
            | RegMsg::QueryReply { .. }
            | RegMsg::StoreAck => {}
        }
    }
}

/// Reads and writes over three keys, with unique written values.
#[derive(Default)]
pub struct RegisterWorkload {
    next_value: i64,
}

impl Workload<RegMsg> for RegisterWorkload {
    type Input = KvOp<i64, i64>;
    type Output = Ret<i64>;

    fn next_op(&mut self, rng: &mut SimRng, _client: &ProcessId) -> Option<Self::Input> {
        let key = rng.below(3) as i64;
        if rng.chance(0.5) {
            self.next_value += 1;
            Some(KvOp::Write(key, self.next_value))
        } else {
            Some(KvOp::Read(key))
        }
    }

    fn request(&mut self, _client: &ProcessId, input: &Self::Input) -> RegMsg {
        match input {
            KvOp::Read(k) => RegMsg::Read { key: *k as u8 },
            KvOp::Write(k, v) => RegMsg::Write {
                key: *k as u8,
                value: *v,
            },
        }
    }

    fn interpret(
        &mut self,
        input: &Self::Input,
        reply: Result<RegMsg, RpcError>,
    ) -> Answer<Self::Output> {
        match (input, reply) {
            (KvOp::Read(_), Ok(RegMsg::ReadOk { value })) => {
                Answer::Ok(Ret::Value(value.unwrap_or(0)))
            }
            (KvOp::Write(..), Ok(RegMsg::WriteOk)) => Answer::Ok(Ret::Done),
            // A read that failed changed nothing.
            (KvOp::Read(_), _) => Answer::Fail,
            // A write that timed out or found no majority may still have been stored.
            (KvOp::Write(..), _) => Answer::Info,
        }
    }

    fn final_op(&mut self, _client: &ProcessId) -> Option<Self::Input> {
        Some(KvOp::Read(0))
    }
}
