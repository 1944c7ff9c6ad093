//! The starting point: one server, no replication.

use crate::counters::{Counters, HasCounters};
use crate::messages::Msg;
use common::{Ctx, Envelope, Process};

/// One server that applies every operation and answers. Correct and linearizable while
/// it runs; a single point of failure, and (nothing persisted) a crash erases everything.
#[derive(Debug, Default)]
pub struct SingleServer {
    /// The state machine.
    pub counters: Counters,
}

impl SingleServer {
    /// An empty server.
    pub fn new() -> Self {
        Self::default()
    }
}

impl HasCounters for SingleServer {
    fn counters(&self) -> &Counters {
        &self.counters
    }
}

impl Process for SingleServer {
    type Msg = Msg;

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, env: Envelope<Msg>) {
        match &env.body {
            Msg::Execute { op } => {
                let value = self.counters.apply(op);
                ctx.reply(&env, Msg::Executed { value });
            }
            Msg::Get { key } => {
                let value = self.counters.get(key);
                ctx.reply(&env, Msg::Value { value });
            }
            other => ctx.note(format!(
                "single server ignores {}",
                common::Message::kind(other)
            )),
        }
    }
}
