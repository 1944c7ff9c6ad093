//! The generic client: a process that sends requests for a test and keeps the answers
//! in [`Promise`]s.
//!
//! Most sections need no client code of their own: a test calls
//! `cluster.call(ALICE, ATHENS, Msg::Get { .. })` and polls or runs the promise.
//! Messages that arrive at the client without being a reply to one of its requests are
//! kept in its inbox, in arrival order.
//!
//! For protocols with a leader, [`Client::call_following`] follows redirects: a reply
//! that says "not the leader, try `hint`" sends the *same* request (so the same request
//! id, and a server that de-duplicates applies it once) to the hinted server, or to the
//! next server when there is no hint, until an answer comes or the call's time runs out.

use crate::error::RpcError;
use crate::id::ProcessId;
use crate::msg::{Envelope, Message};
use crate::process::{Ctx, Process};
use crate::promise::Promise;
use crate::time::Tick;
use std::marker::PhantomData;

/// Where a reply sends a client next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Redirect {
    /// The reply is the answer.
    Done,
    /// Not the leader: try this server (the hint).
    To(ProcessId),
    /// Not the leader, and no hint: try the next server.
    Elsewhere,
}

/// How a call that follows redirects behaves.
#[derive(Debug)]
pub struct Follow<M> {
    /// Ticks for the whole call, every attempt included; then it fails with a timeout.
    pub timeout: Tick,
    /// Ticks one attempt may take before the client tries the next server (default in
    /// [`Follow::new`]: the whole timeout, so an unanswered attempt ends the call).
    pub attempt_timeout: Tick,
    /// Ticks to wait before retrying when a reply gives no hint.
    pub backoff: Tick,
    /// Reads a reply: the answer, or where to go next.
    pub redirect: fn(&M) -> Redirect,
}

impl<M> Clone for Follow<M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M> Copy for Follow<M> {}

impl<M> Follow<M> {
    /// Follow `redirect` for at most `timeout` ticks, one attempt at a time.
    pub fn new(timeout: Tick, redirect: fn(&M) -> Redirect) -> Self {
        Follow {
            timeout,
            attempt_timeout: timeout,
            backoff: 2,
            redirect,
        }
    }

    /// Give each attempt at most `ticks` before moving on to the next server.
    pub fn attempt_timeout(mut self, ticks: Tick) -> Self {
        self.attempt_timeout = ticks.max(1);
        self
    }
}

/// Every reply is the answer: a call that follows this never redirects.
pub fn no_redirect<M>(_reply: &M) -> Redirect {
    Redirect::Done
}

/// A test client for message type `M`.
#[derive(Debug)]
pub struct Client<M> {
    servers: Vec<ProcessId>,
    inbox: Vec<Envelope<M>>,
    sent: u64,
    _msg: PhantomData<M>,
}

impl<M: Message> Client<M> {
    /// A client that may call `servers`.
    pub fn new(servers: &[ProcessId]) -> Self {
        Client {
            servers: servers.to_vec(),
            inbox: Vec::new(),
            sent: 0,
            _msg: PhantomData,
        }
    }

    /// The servers this client may call.
    pub fn servers(&self) -> &[ProcessId] {
        &self.servers
    }

    /// Unsolicited messages received, oldest first.
    pub fn inbox(&self) -> &[Envelope<M>] {
        &self.inbox
    }

    /// Number of requests sent.
    pub fn sent(&self) -> u64 {
        self.sent
    }

    /// Send `msg` to `server` and return a promise of the reply body.
    pub fn call(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        server: impl Into<ProcessId>,
        msg: M,
        timeout: Tick,
    ) -> Promise<M> {
        let promise = Promise::new();
        let settle = promise.clone();
        self.sent += 1;
        ctx.request(
            server,
            msg,
            timeout,
            move |_client: &mut Self, _ctx, reply: Result<Envelope<M>, RpcError>| {
                settle.settle(reply.map(|env| env.body));
            },
        );
        promise
    }

    /// Send `msg` to `server`, following redirects as `follow` says; the promise gets
    /// the first reply that is an answer, or a timeout after `follow.timeout` ticks.
    pub fn call_following(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        server: impl Into<ProcessId>,
        msg: M,
        follow: Follow<M>,
    ) -> Promise<M> {
        let promise = Promise::new();
        let deadline = ctx.now() + follow.timeout.max(1);
        let attempt = Attempt {
            msg,
            deadline,
            follow,
            promise: promise.clone(),
        };
        self.attempt(ctx, server.into(), attempt);
        promise
    }

    fn attempt(&mut self, ctx: &mut Ctx<'_, Self>, target: ProcessId, attempt: Attempt<M>) {
        let now = ctx.now();
        if now >= attempt.deadline {
            let after_ticks = attempt.follow.timeout;
            attempt
                .promise
                .settle(Err(RpcError::Timeout { after_ticks }));
            return;
        }
        let ticks = (attempt.deadline - now).min(attempt.follow.attempt_timeout);
        self.sent += 1;
        let msg = attempt.msg.clone();
        let from = target.clone();
        ctx.request(target, msg, ticks, move |client: &mut Self, ctx, reply| {
            match reply {
                Ok(env) => match (attempt.follow.redirect)(&env.body) {
                    Redirect::Done => attempt.promise.settle(Ok(env.body)),
                    Redirect::To(hint) => client.attempt(ctx, hint, attempt),
                    Redirect::Elsewhere => client.retry_elsewhere(ctx, &from, attempt),
                },
                Err(RpcError::Timeout { after_ticks }) if ctx.now() >= attempt.deadline => {
                    // The call's own time is up: this attempt's timeout is the call's.
                    let after_ticks = attempt.follow.timeout.max(after_ticks);
                    attempt
                        .promise
                        .settle(Err(RpcError::Timeout { after_ticks }))
                }
                Err(RpcError::Timeout { .. }) => client.retry_elsewhere(ctx, &from, attempt),
                Err(other) => attempt.promise.settle(Err(other)),
            }
        });
    }

    fn retry_elsewhere(&mut self, ctx: &mut Ctx<'_, Self>, after: &ProcessId, attempt: Attempt<M>) {
        let next = match self.servers.iter().position(|s| s == after) {
            Some(i) => self.servers[(i + 1) % self.servers.len()].clone(),
            None => after.clone(),
        };
        let backoff = attempt.follow.backoff;
        ctx.after(backoff, move |client: &mut Self, ctx| {
            client.attempt(ctx, next, attempt)
        });
    }
}

/// One call in progress: the request (re-sent unchanged), its deadline, its promise.
struct Attempt<M> {
    msg: M,
    deadline: Tick,
    follow: Follow<M>,
    promise: Promise<M>,
}

impl<M: Message> Process for Client<M> {
    type Msg = M;

    fn on_message(&mut self, _ctx: &mut Ctx<'_, Self>, env: Envelope<M>) {
        self.inbox.push(env);
    }
}
