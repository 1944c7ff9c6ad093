//! The generation-voting server: every server is a voter, and the server a client asks
//! becomes the coordinator of that client's election.

use crate::config::Config;
use crate::messages::Msg;
use common::{Ctx, Envelope, Process};

/// Storage key of a voter's promise: the highest generation it voted for.
pub const PROMISE_KEY: &str = "generation";

/// Storage key of the fenced resource: the last accepted write and its generation, which
/// is also the resource's high-water mark (the highest generation it has accepted).
pub const RESOURCE_KEY: &str = "resource";

/// A server: voter, election coordinator, and a fenced resource.
///
/// Its state is plain data (it clones, compares and hashes): the callbacks it waits on
/// live beside it, in the node's runtime.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GenerationServer {
    pub(crate) config: Config,
    /// Voter: the highest generation this server voted for. Durable under
    /// [`PROMISE_KEY`] before any vote for it is announced (in the correct mode).
    pub(crate) promised: u64,
    /// Coordinator: the highest generation this server proposed or saw reported in a
    /// rejection. The next candidate goes above it. Memory only: after a restart the
    /// durable promise (at least the last self-vote) is a safe floor.
    pub(crate) highest_seen: u64,
    /// Coordinator: the candidate of the newest election started here. An election with
    /// a lower candidate is obsolete: its client is answered `Superseded`.
    pub(crate) latest_started: u64,
    /// Coordinator: numbers this incarnation won, in order (for tests and examples).
    pub(crate) won: Vec<u64>,
    /// Resource: the last accepted fenced write, with its generation. Raised in memory
    /// before it is written (so a racing older write is already fenced), and durable
    /// under [`RESOURCE_KEY`] before the write is acknowledged.
    pub(crate) stored: Option<(u64, String)>,
}

impl GenerationServer {
    /// A server with the given settings; its state is loaded in `on_start`.
    pub fn new(config: Config) -> Self {
        GenerationServer {
            config,
            promised: 0,
            highest_seen: 0,
            latest_started: 0,
            won: Vec::new(),
            stored: None,
        }
    }

    /// The highest generation this server voted for (its promise, in memory).
    pub fn promised(&self) -> u64 {
        self.promised
    }

    /// The highest generation this server proposed or saw in a rejection.
    pub fn highest_seen(&self) -> u64 {
        self.highest_seen
    }

    /// The candidate of the newest election started here (0 before any).
    pub fn latest_started(&self) -> u64 {
        self.latest_started
    }

    /// The numbers elections coordinated here won, since the last restart.
    pub fn won(&self) -> &[u64] {
        &self.won
    }

    /// The resource's content: the last accepted write and its generation (in memory: a
    /// write still on its way to storage is already here).
    pub fn stored(&self) -> Option<&(u64, String)> {
        self.stored.as_ref()
    }
}

impl Process for GenerationServer {
    type Msg = Msg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        let recovered: Option<u64> = ctx.load(PROMISE_KEY).unwrap_or_else(|e| {
            panic!("a voter's stored promise must decode (only it writes it): {e}")
        });
        self.promised = recovered.unwrap_or(0);
        self.highest_seen = self.promised;
        if self.promised > 0 {
            ctx.note(format!("recovered promise {}", self.promised));
        }
        self.stored = ctx.load(RESOURCE_KEY).unwrap_or_else(|e| {
            panic!("the resource's stored write must decode (only the resource writes it): {e}")
        });
        if let Some((generation, _)) = &self.stored {
            ctx.note(format!("recovered a write of generation {generation}"));
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, env: Envelope<Msg>) {
        match env.body {
            Msg::NextGeneration => self.start_election(ctx, env, 1),
            Msg::Prepare { generation } => self.on_prepare(ctx, env, generation),
            Msg::Write {
                generation,
                ref value,
            } => {
                let value = value.clone();
                self.on_write(ctx, env, generation, value)
            }
            Msg::Generation { .. }
            | Msg::Superseded { .. }
            | Msg::ElectionFailed { .. }
            | Msg::Promise { .. }
            | Msg::Reject { .. }
            | Msg::Written { .. }
            | Msg::WriteFailed { .. }
            | Msg::Fenced { .. } => ctx.note(format!("unexpected {:?}", env.body)),
        }
    }
}
