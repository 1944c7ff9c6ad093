//! Typed client helpers: a write or a read through a chosen coordinator, answered with a
//! [`SetOutcome`] or [`GetOutcome`] instead of a raw message, and optionally recorded in
//! a [`KvHistory`] for the consistency checkers.
//!
//! The client process is `common`'s generic [`Client`]; these helpers only send through
//! it and translate. A client timeout becomes `Timeout`, an outcome like any other, so a
//! test handles every path with one `match`.
//!
//! # How outcomes are recorded
//!
//! | outcome | history | why |
//! |---|---|---|
//! | write `Ok` | `ok` | W replicas hold it |
//! | write `QuorumNotReached`, `Timeout` | `info` | some replicas may hold it and it may win later |
//! | read `Found(v)` / `NotFound` | `ok v` / `ok nil` | |
//! | read `QuorumNotReached` | `fail` | a read changes nothing, so a failed read did not happen |
//! | read `Timeout` | `info` | |
//!
//! [`Recorder::recording_failed_writes_as_fail`] records failed writes as `fail` instead,
//! as the original's clock-skew test did, to show how that changes a checker's verdict.

use crate::messages::{GetOutcome, Msg, SetOutcome};
use common::check::models::{KvOp, KvRegister, Ret};
use common::history::History;
use common::sim::Answer;
use common::{Client, Cluster, Envelope, OpId, Promise, RpcError, Tick};

/// An operation on the store, as the checkers see it: a key and an optional value
/// (`None` is "never written").
pub type KvInput = KvOp<String, Option<String>>;
/// What a client was told.
pub type KvOutput = Ret<Option<String>>;
/// A recorded history of the store.
pub type KvHistory = History<KvInput, KvOutput>;

/// The sequential model the store's histories are checked against: independent
/// registers, one per key, each reading `nil` until written.
pub fn model() -> KvRegister<String, Option<String>> {
    KvRegister::new(None)
}

/// Ask `coordinator` to write `key = value` on behalf of `client` (not recorded).
pub fn set(
    cluster: &mut Cluster<Msg>,
    client: &str,
    coordinator: &str,
    key: &str,
    value: &str,
) -> Promise<SetOutcome> {
    send_set(cluster, client, coordinator, key, value, None)
}

/// Ask `coordinator` to read `key` on behalf of `client` (not recorded).
pub fn get(
    cluster: &mut Cluster<Msg>,
    client: &str,
    coordinator: &str,
    key: &str,
) -> Promise<GetOutcome> {
    send_get(cluster, client, coordinator, key, None)
}

/// Write and tick until the outcome is known (the client's timeout bounds it).
pub fn set_and_wait(
    cluster: &mut Cluster<Msg>,
    client: &str,
    coordinator: &str,
    key: &str,
    value: &str,
) -> SetOutcome {
    let promise = set(cluster, client, coordinator, key, value);
    settle(cluster, &promise)
}

/// Read and tick until the outcome is known (the client's timeout bounds it).
pub fn get_and_wait(
    cluster: &mut Cluster<Msg>,
    client: &str,
    coordinator: &str,
    key: &str,
) -> GetOutcome {
    let promise = get(cluster, client, coordinator, key);
    settle(cluster, &promise)
}

/// The value a read returned, if it found one.
pub fn found_value(outcome: &GetOutcome) -> Option<&str> {
    match outcome {
        GetOutcome::Found(v) => Some(v.value.as_str()),
        _ => None,
    }
}

/// How a write that did not reach its quorum is recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailedWrites {
    /// `info`: the outcome is unknown (honest, the default).
    Info,
    /// `fail`: claims the write did not happen, which is false for a quorum store.
    Fail,
}

/// Issues requests like [`set`] and [`get`] and records each one in a shared history,
/// invocation and completion at the exact tick they happen. The history itself is kept by
/// `common`'s recorder; this one adds the typed outcomes and how failed writes are labelled.
#[derive(Clone)]
pub struct Recorder {
    inner: common::sim::Recorder<KvInput, KvOutput>,
    failed_writes: FailedWrites,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("operations", &self.inner.history().len())
            .field("failed_writes", &self.failed_writes)
            .finish()
    }
}

impl Default for Recorder {
    fn default() -> Self {
        Self::new()
    }
}

impl Recorder {
    /// A recorder that records failed and timed-out writes as `info`.
    pub fn new() -> Self {
        Self::with(FailedWrites::Info)
    }

    /// A recorder that records failed writes as `fail`: the original's mistake.
    pub fn recording_failed_writes_as_fail() -> Self {
        Self::with(FailedWrites::Fail)
    }

    fn with(failed_writes: FailedWrites) -> Self {
        Recorder {
            inner: common::sim::Recorder::new(),
            failed_writes,
        }
    }

    /// A copy of the history recorded so far.
    pub fn history(&self) -> KvHistory {
        self.inner.history().clone()
    }

    /// Write through `coordinator`, recorded.
    pub fn set(
        &self,
        cluster: &mut Cluster<Msg>,
        client: &str,
        coordinator: &str,
        key: &str,
        value: &str,
    ) -> Promise<SetOutcome> {
        send_set(cluster, client, coordinator, key, value, Some(self.clone()))
    }

    /// Read through `coordinator`, recorded.
    pub fn get(
        &self,
        cluster: &mut Cluster<Msg>,
        client: &str,
        coordinator: &str,
        key: &str,
    ) -> Promise<GetOutcome> {
        send_get(cluster, client, coordinator, key, Some(self.clone()))
    }

    /// [`Recorder::set`] and tick until the outcome is known.
    pub fn set_and_wait(
        &self,
        cluster: &mut Cluster<Msg>,
        client: &str,
        coordinator: &str,
        key: &str,
        value: &str,
    ) -> SetOutcome {
        let promise = self.set(cluster, client, coordinator, key, value);
        settle(cluster, &promise)
    }

    /// [`Recorder::get`] and tick until the outcome is known.
    pub fn get_and_wait(
        &self,
        cluster: &mut Cluster<Msg>,
        client: &str,
        coordinator: &str,
        key: &str,
    ) -> GetOutcome {
        let promise = self.get(cluster, client, coordinator, key);
        settle(cluster, &promise)
    }

    /// Record a read that `client` answered from `replica`'s local state, skipping the
    /// quorum (invocation and completion in the same instant).
    pub fn local_read(
        &self,
        cluster: &Cluster<Msg>,
        client: &str,
        replica: &str,
        key: &str,
    ) -> Option<String> {
        let value = crate::lab::stored(cluster, replica, key);
        let now = cluster.now();
        let op = self.inner.invoke(client, KvOp::Read(key.to_owned()), now);
        self.inner
            .complete(op, Answer::Ok(Ret::Value(value.clone())), now);
        value
    }

    fn invoke(&self, client: &str, input: KvInput, tick: Tick) -> OpId {
        self.inner.invoke(client, input, tick)
    }

    fn complete_set(&self, op: OpId, outcome: &SetOutcome, tick: Tick) {
        self.inner
            .complete(op, write_answer(outcome, self.failed_writes), tick);
    }

    fn complete_get(&self, op: OpId, outcome: &GetOutcome, tick: Tick) {
        self.inner.complete(op, read_answer(outcome), tick);
    }
}

/// What a write's outcome means for the history (see the table in the module docs).
pub fn write_answer(outcome: &SetOutcome, failed_writes: FailedWrites) -> Answer<KvOutput> {
    match (outcome, failed_writes) {
        (SetOutcome::Ok, _) => Answer::Ok(Ret::Done),
        (SetOutcome::QuorumNotReached { .. }, FailedWrites::Fail) => Answer::Fail,
        (SetOutcome::QuorumNotReached { .. } | SetOutcome::Timeout, _) => Answer::Info,
    }
}

/// What a read's outcome means for the history (see the table in the module docs).
pub fn read_answer(outcome: &GetOutcome) -> Answer<KvOutput> {
    match outcome {
        GetOutcome::Found(v) => Answer::Ok(Ret::Value(Some(v.value.clone()))),
        GetOutcome::NotFound => Answer::Ok(Ret::Value(None)),
        GetOutcome::QuorumNotReached { .. } => Answer::Fail,
        GetOutcome::Timeout => Answer::Info,
    }
}

fn send_set(
    cluster: &mut Cluster<Msg>,
    client: &str,
    coordinator: &str,
    key: &str,
    value: &str,
    recorder: Option<Recorder>,
) -> Promise<SetOutcome> {
    let op = recorder.as_ref().map(|r| {
        r.invoke(
            client,
            KvOp::Write(key.to_owned(), Some(value.to_owned())),
            cluster.now(),
        )
    });
    let msg = Msg::ClientSet {
        key: key.to_owned(),
        value: value.to_owned(),
    };
    send(cluster, client, coordinator, msg, move |reply, tick| {
        let outcome = match reply {
            Ok(Msg::ClientSetReply { outcome, .. }) => outcome,
            Ok(other) => panic!("a write must be answered with ClientSetReply, got {other:?}"),
            Err(_) => SetOutcome::Timeout,
        };
        if let (Some(recorder), Some(op)) = (recorder, op) {
            recorder.complete_set(op, &outcome, tick);
        }
        outcome
    })
}

fn send_get(
    cluster: &mut Cluster<Msg>,
    client: &str,
    coordinator: &str,
    key: &str,
    recorder: Option<Recorder>,
) -> Promise<GetOutcome> {
    let op = recorder
        .as_ref()
        .map(|r| r.invoke(client, KvOp::Read(key.to_owned()), cluster.now()));
    let msg = Msg::ClientGet {
        key: key.to_owned(),
    };
    send(cluster, client, coordinator, msg, move |reply, tick| {
        let outcome = match reply {
            Ok(Msg::ClientGetReply { outcome, .. }) => outcome,
            Ok(other) => panic!("a read must be answered with ClientGetReply, got {other:?}"),
            Err(_) => GetOutcome::Timeout,
        };
        if let (Some(recorder), Some(op)) = (recorder, op) {
            recorder.complete_get(op, &outcome, tick);
        }
        outcome
    })
}

/// Send `msg` from the generic client and translate the reply (or timeout) at the tick
/// it arrives.
fn send<T: Clone + 'static>(
    cluster: &mut Cluster<Msg>,
    client: &str,
    coordinator: &str,
    msg: Msg,
    translate: impl FnOnce(Result<Msg, RpcError>, Tick) -> T + 'static,
) -> Promise<T> {
    let promise = Promise::new();
    let settle = promise.clone();
    let coordinator = coordinator.to_owned();
    cluster.act::<Client<Msg>, _>(client, move |_client, ctx| {
        let timeout = ctx.request_timeout();
        ctx.request(
            coordinator,
            msg,
            timeout,
            move |_client: &mut Client<Msg>, ctx, reply: Result<Envelope<Msg>, RpcError>| {
                settle.complete(translate(reply.map(|env| env.body), ctx.now()));
            },
        );
    });
    promise
}

fn settle<T: Clone + 'static>(cluster: &mut Cluster<Msg>, promise: &Promise<T>) -> T {
    match cluster.run(promise) {
        Ok(outcome) => outcome,
        Err(e) => unreachable!("typed promises always complete with an outcome, got {e}"),
    }
}
