//! # Generation voting
//!
//! ESSAY
#![deny(missing_docs)]

pub mod client;
pub mod config;
mod coordinator;
pub mod history;
pub mod messages;
pub mod server;
mod voter;

pub use config::{Config, VoterMode};
pub use messages::Msg;
pub use server::{GenerationServer, PROMISE_KEY};
