//! placeholder

pub mod client;
pub mod config;
pub mod detector;
pub mod error;
pub mod leader;
pub mod messages;
pub mod server;
pub mod state_machine;
pub mod storage;

pub use client::{Reply, build, execute, execute_following, redirect, reply};
pub use config::{Config, StepDownMode, TimeoutMode};
pub use error::ClientError;
pub use leader::{Merged, Recovery, merge_reports, recovery_for};
pub use messages::{Ballot, Msg, Operation, Outcome, Proposal, RequestId, Slot, SlotReport, Value};
pub use server::{Role, Server, SlotState, Stats};
pub use state_machine::{Applied, Session, StateMachine};
pub use storage::{PROMISE_KEY, SlotRecord, slot_key};
