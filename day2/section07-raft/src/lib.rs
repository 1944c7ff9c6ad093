//! # Raft
//!
//! (essay written at the end)

pub mod client;
pub mod config;
pub mod election;
pub mod error;
pub mod messages;
pub mod reads;
pub mod replication;
pub mod server;
pub mod state_machine;
pub mod storage;

pub use client::{Reply, build, execute, execute_following, redirect, reply};
pub use config::{AckTiming, CommitRule, Config, ReadMode, VotePersistence};
pub use election::{log_is_up_to_date, majority};
pub use error::ClientError;
pub use messages::{Command, ConflictHint, Entry, Index, Msg, Operation, Outcome, RequestId, Term};
pub use replication::{Progress, majority_match, next_after_conflict};
pub use server::{Role, Server, Stats};
pub use state_machine::{Applied, Session, StateMachine};
pub use storage::{HARD_STATE_KEY, HardState};
