//! Messages and the envelope that carries them.

use crate::id::{CorrId, ProcessId};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Debug;

/// A section's message type: one `enum` with a variant per message, named by intent.
///
/// `kind` names the variant; fault rules (`drop_kind("Commit", ..)`) and traces match on
/// it, so it must be a stable, human-readable name.
///
/// ```
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Clone, Debug, Serialize, Deserialize)]
/// enum Msg {
///     Ping { n: u32 },
///     Pong { n: u32 },
/// }
///
/// impl common::Message for Msg {
///     fn kind(&self) -> &'static str {
///         match self {
///             Msg::Ping { .. } => "Ping",
///             Msg::Pong { .. } => "Pong",
///         }
///     }
/// }
/// # use common::Message;
/// assert_eq!(Msg::Ping { n: 1 }.kind(), "Ping");
/// ```
pub trait Message: Clone + Debug + Serialize + DeserializeOwned + 'static {
    /// The variant's name, e.g. `"Prepare"`.
    fn kind(&self) -> &'static str;
}

/// A message in flight: who sent it, to whom, and how it correlates with a request.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Envelope<M> {
    /// The sender.
    pub from: ProcessId,
    /// The destination.
    pub to: ProcessId,
    /// Set when the sender expects a reply (`Ctx::request`); the reply echoes it.
    pub corr: Option<CorrId>,
    /// Set on a reply (`Ctx::reply`): the request's correlation id. A reply is routed to
    /// the callback waiting under that id instead of to `on_message`.
    pub in_reply_to: Option<CorrId>,
    /// The message itself.
    pub body: M,
}

/// Whether a process is a server of the protocol or a client of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PeerKind {
    /// A protocol participant (a replica).
    Server,
    /// A process that sends requests to servers (a test client).
    Client,
}
