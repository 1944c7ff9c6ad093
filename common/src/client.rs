//! The generic client: a process that sends requests for a test and keeps the answers
//! in [`Promise`]s.
//!
//! Most sections need no client code of their own: a test calls
//! `cluster.call(ALICE, ATHENS, Msg::Get { .. })` and polls or runs the promise.
//! Messages that arrive at the client without being a reply to one of its requests are
//! kept in its inbox, in arrival order.

use crate::error::RpcError;
use crate::id::ProcessId;
use crate::msg::{Envelope, Message};
use crate::process::{Ctx, Process};
use crate::promise::Promise;
use crate::time::Tick;
use std::marker::PhantomData;

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
}

impl<M: Message> Process for Client<M> {
    type Msg = M;

    fn on_message(&mut self, _ctx: &mut Ctx<'_, Self>, env: Envelope<M>) {
        self.inbox.push(env);
    }
}
