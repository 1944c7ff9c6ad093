//! Naive replication: apply, answer, then push the change to the followers.

use crate::counters::{Counters, HasCounters};
use crate::messages::{Msg, Operation};
use common::{Ctx, Envelope, Message, Process};

/// A server of the naive scheme. Whichever server a client calls acts as the leader for
/// that request; every other server is a follower for it.
#[derive(Debug, Default)]
pub struct NaiveServer {
    /// The state machine.
    pub counters: Counters,
    /// `Replicate` messages applied here (as a follower).
    pub replicated: u64,
}

impl NaiveServer {
    /// An empty server.
    pub fn new() -> Self {
        Self::default()
    }

    /// The leader's whole protocol: apply locally, acknowledge, then tell the followers
    /// without waiting for them.
    fn lead(&mut self, ctx: &mut Ctx<'_, Self>, env: &Envelope<Msg>, op: &Operation) {
        // exercise: apply the operation, answer the client with the new value, then send Replicate to every peer (no waiting)
        // solution-begin
        let value = self.counters.apply(op);
        ctx.reply(env, Msg::Executed { value });
        for peer in ctx.peers().to_vec() {
            ctx.send(peer, Msg::Replicate { op: op.clone() });
        }
        // solution-end
    }
}

impl HasCounters for NaiveServer {
    fn counters(&self) -> &Counters {
        &self.counters
    }
}

impl Process for NaiveServer {
    type Msg = Msg;

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, env: Envelope<Msg>) {
        match &env.body {
            Msg::Execute { op } => self.lead(ctx, &env, op),
            Msg::Replicate { op } => {
                // A follower adds blindly: no id, no order, no acknowledgement.
                self.counters.apply(op);
                self.replicated += 1;
            }
            Msg::Get { key } => {
                let value = self.counters.get(key);
                ctx.reply(&env, Msg::Value { value });
            }
            other => ctx.note(format!("naive server ignores {}", other.kind())),
        }
    }
}
