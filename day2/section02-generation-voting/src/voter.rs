//! The voter: grant each number at most once, and never forget a grant.

use crate::config::VoterMode;
use crate::messages::Msg;
use crate::server::{GenerationServer, PROMISE_KEY, RESOURCE_KEY};
use common::{Ctx, Envelope};

impl GenerationServer {
    /// `Prepare(generation)`: vote for it if it is above every earlier vote.
    pub(crate) fn on_prepare(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        env: Envelope<Msg>,
        generation: u64,
    ) {
        // exercise: promise only a generation above the current promise; update memory first, persist, and reply Promise only once the write is durable
        // solution-begin
        if generation <= self.promised {
            ctx.reply(
                &env,
                Msg::Reject {
                    promised: self.promised,
                },
            );
            return;
        }
        // Memory first: a second prepare for the same number, arriving while the write is
        // in flight, must already be rejected.
        self.promised = generation;
        match self.config.voter {
            VoterMode::PersistBeforeReply => {
                let written =
                    move |node: &mut Self, ctx: &mut Ctx<'_, Self>, result: Result<(), _>| {
                        node.after_promise_written(ctx, &env, generation, result)
                    };
                if let Err(e) = ctx.persist(PROMISE_KEY, &generation, written) {
                    panic!("a u64 promise must always encode: {e}");
                }
            }
            VoterMode::ReplyBeforePersist => {
                ctx.reply(&env, Msg::Promise { generation });
                if let Err(e) = ctx.persist(PROMISE_KEY, &generation, |_, _, _| {}) {
                    panic!("a u64 promise must always encode: {e}");
                }
            }
            VoterMode::Volatile => ctx.reply(&env, Msg::Promise { generation }),
        }
        // solution-end
    }

    /// The promise's write completed (or failed): announce the vote only if it is durable
    /// and still this voter's promise.
    fn after_promise_written(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        env: &Envelope<Msg>,
        generation: u64,
        written: Result<(), common::StoreError>,
    ) {
        assert!(
            self.promised >= generation,
            "a voter's promise must never go down while it runs"
        );
        // A newer prepare arrived while this write was in flight: the earlier vote is
        // durable but outdated, so it is reported as a rejection. That is what makes an
        // overtaken election lose instead of winning a number nobody wants.
        let answer = if written.is_ok() && self.promised == generation {
            Msg::Promise { generation }
        } else {
            Msg::Reject {
                promised: self.promised,
            }
        };
        ctx.reply(env, answer);
    }

    /// `Write(generation, value)` to the resource this server guards: refuse it if a
    /// higher generation was seen (voted for, or carried by an earlier write); otherwise
    /// store it, durably, and acknowledge it only once it is on disk.
    pub(crate) fn on_write(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        env: Envelope<Msg>,
        generation: u64,
        value: String,
    ) {
        // exercise: fence: refuse a write whose generation is below the highest this server has seen (its promise or an earlier write); otherwise store it in memory first, persist it under RESOURCE_KEY, and answer Written only once it is durable
        // solution-begin
        let seen = self
            .promised
            .max(self.stored.as_ref().map_or(0, |(g, _)| *g));
        if generation < seen {
            ctx.reply(&env, Msg::Fenced { seen });
            return;
        }
        // Memory first: an older write arriving while this one is in flight must already
        // be fenced by it.
        let write = (generation, value);
        self.stored = Some(write.clone());
        let written = move |node: &mut Self, ctx: &mut Ctx<'_, Self>, result: Result<(), _>| {
            node.after_resource_written(ctx, &env, generation, result)
        };
        if let Err(e) = ctx.persist(RESOURCE_KEY, &write, written) {
            panic!("a (generation, value) write must always encode: {e}");
        }
        // solution-end
    }

    /// The resource's write completed (or failed): acknowledge it only if it is durable.
    /// A failed write is not acknowledged; the raised high-water mark stays in memory,
    /// which only fences more, never less.
    fn after_resource_written(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        env: &Envelope<Msg>,
        generation: u64,
        written: Result<(), common::StoreError>,
    ) {
        assert!(
            self.stored.as_ref().is_some_and(|(g, _)| *g >= generation),
            "the resource's high-water mark must never go down while it runs"
        );
        let answer = match written {
            Ok(()) => Msg::Written { generation },
            Err(_) => Msg::WriteFailed { generation },
        };
        ctx.reply(env, answer);
    }
}
