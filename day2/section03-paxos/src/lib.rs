//! # Paxos (placeholder essay)
pub mod acceptor;
pub mod client;
pub mod config;
pub mod error;
pub mod learner;
pub mod messages;
pub mod proposer;
pub mod server;
pub mod state_machine;

pub use client::{Decision, build, decision, execute, execute_within};
pub use config::{AcceptorMode, Config};
pub use error::ClientError;
pub use messages::{Ballot, Msg, Operation, Proposal, RejectReason, RequestId, Value};
pub use proposer::{Phase, ProposerRun, choose_value};
pub use server::{ACCEPTOR_KEY, AcceptorState, Applied, PROPOSER_KEY, Server};
pub use state_machine::StateMachine;
