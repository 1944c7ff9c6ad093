//! The echo process: the smallest protocol, used by `common`'s own tests, the example
//! and the benchmark.
//!
//! A server answers every `Echo` with an `EchoReply` carrying the same text. A server
//! can also `Relay` a text to a peer and report whether the peer echoed it back, which
//! exercises requests, timeouts and callbacks.

use crate::id::ProcessId;
use crate::msg::{Envelope, Message};
use crate::process::{Ctx, Process};
use serde::{Deserialize, Serialize};

/// The echo protocol's messages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EchoMsg {
    /// Please send this text back.
    Echo {
        /// The text.
        text: String,
    },
    /// The text, sent back.
    EchoReply {
        /// The text that was received.
        text: String,
        /// Who echoed it.
        by: ProcessId,
    },
    /// Ask the receiving server to echo `text` through `via` and report the outcome.
    Relay {
        /// The text.
        text: String,
        /// The peer to ask.
        via: ProcessId,
    },
    /// Outcome of a relay: `Some(by)` if the peer echoed, `None` on timeout.
    Relayed {
        /// Who echoed, if anyone did.
        by: Option<ProcessId>,
    },
}

impl Message for EchoMsg {
    fn kind(&self) -> &'static str {
        match self {
            EchoMsg::Echo { .. } => "Echo",
            EchoMsg::EchoReply { .. } => "EchoReply",
            EchoMsg::Relay { .. } => "Relay",
            EchoMsg::Relayed { .. } => "Relayed",
        }
    }
}

/// An echo server.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct EchoServer {
    /// Number of echoes answered.
    pub echoed: u64,
    /// Relay timeout in ticks.
    pub relay_timeout: u64,
}

impl EchoServer {
    /// A server whose relays time out after `relay_timeout` ticks.
    pub fn new(relay_timeout: u64) -> Self {
        EchoServer {
            echoed: 0,
            relay_timeout,
        }
    }
}

impl Process for EchoServer {
    type Msg = EchoMsg;

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, env: Envelope<EchoMsg>) {
        match &env.body {
            EchoMsg::Echo { text } => {
                self.echoed += 1;
                let reply = EchoMsg::EchoReply {
                    text: text.clone(),
                    by: ctx.id().clone(),
                };
                ctx.reply(&env, reply);
            }
            EchoMsg::Relay { text, via } => {
                let request = env.clone();
                let echo = EchoMsg::Echo { text: text.clone() };
                ctx.request(
                    via.clone(),
                    echo,
                    self.relay_timeout,
                    move |_node: &mut Self, ctx, reply| {
                        let by = match reply {
                            Ok(Envelope {
                                body: EchoMsg::EchoReply { by, .. },
                                ..
                            }) => Some(by),
                            _ => None,
                        };
                        ctx.reply(&request, EchoMsg::Relayed { by });
                    },
                );
            }
            EchoMsg::EchoReply { .. } | EchoMsg::Relayed { .. } => {
                ctx.note(format!("unexpected {} from {}", env.body.kind(), env.from));
            }
        }
    }
}
