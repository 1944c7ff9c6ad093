//! The coordinator: run an election for a client, retry a lost one, answer explicitly.

use crate::messages::Msg;
use crate::server::GenerationServer;
use common::{Ctx, Envelope, QuorumOutcome, QuorumPolicy};

impl GenerationServer {
    /// Start attempt `attempt` of the election for `client`'s request: propose the next
    /// number above everything this server knows to every server, itself included.
    pub(crate) fn start_election(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        client: Envelope<Msg>,
        attempt: u32,
    ) {
        // exercise: pick the candidate above the promise and every number seen, remember it as the newest election, and ask every server for a Promise of exactly it
        // solution-begin
        let Some(candidate) = self.promised.max(self.highest_seen).checked_add(1) else {
            let highest_seen = self.highest_seen;
            ctx.reply(
                &client,
                Msg::ElectionFailed {
                    attempts: attempt,
                    highest_seen,
                },
            );
            return;
        };
        self.highest_seen = candidate;
        self.latest_started = candidate;
        ctx.note(format!("election for {candidate} (attempt {attempt})"));
        let targets = ctx.all_nodes().to_vec();
        let policy = QuorumPolicy::majority()
            .timeout(self.config.prepare_timeout_ticks)
            .accept(
                move |m: &Msg| matches!(m, Msg::Promise { generation } if *generation == candidate),
            );
        let prepare = Msg::Prepare {
            generation: candidate,
        };
        ctx.quorum(
            &targets,
            prepare,
            policy,
            move |node: &mut Self, ctx, outcome| {
                node.on_election_decided(ctx, client, candidate, attempt, outcome)
            },
        );
        // solution-end
    }

    /// The votes for `candidate` are in: answer the client, or retry after a pause.
    fn on_election_decided(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        client: Envelope<Msg>,
        candidate: u64,
        attempt: u32,
        outcome: QuorumOutcome<Msg>,
    ) {
        // exercise: learn the numbers rejections report; answer Superseded if a newer election started here, Generation if a majority promised, else retry after a random pause or give up
        // solution-begin
        for reply in outcome.replies.values() {
            if let Msg::Reject { promised } = reply {
                self.highest_seen = self.highest_seen.max(*promised);
            }
        }
        if self.latest_started > candidate {
            let by = self.latest_started;
            ctx.reply(&client, Msg::Superseded { by });
            return;
        }
        if outcome.succeeded {
            assert!(
                self.won.last().is_none_or(|last| *last < candidate),
                "a coordinator's won numbers must strictly increase"
            );
            self.won.push(candidate);
            ctx.note(format!("won {candidate}"));
            ctx.reply(
                &client,
                Msg::Generation {
                    generation: candidate,
                },
            );
            return;
        }
        if attempt >= self.config.max_attempts {
            let highest_seen = self.highest_seen;
            ctx.reply(
                &client,
                Msg::ElectionFailed {
                    attempts: attempt,
                    highest_seen,
                },
            );
            return;
        }
        let (low, high) = self.config.retry_backoff_ticks;
        let pause = ctx.rng().range(low, high);
        ctx.after(pause, move |node: &mut Self, ctx| {
            // A request that arrived during the pause started a newer election here.
            if node.latest_started > candidate {
                let by = node.latest_started;
                ctx.reply(&client, Msg::Superseded { by });
            } else {
                node.start_election(ctx, client, attempt + 1);
            }
        });
        // solution-end
    }
}
