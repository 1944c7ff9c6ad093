//! # Naive replication, and majority-quorum replication with separate execution
//!
//! ESSAY
#![deny(missing_docs)]

pub mod client;
pub mod config;
pub mod counters;
pub mod history;
pub mod messages;
pub mod naive;
pub mod participant;
pub mod single;
pub mod three_phase;
pub mod two_phase;

pub use config::{Behaviour, Config, CoordinatorStyle};
pub use counters::{Counters, HasCounters};
pub use messages::{Failure, Msg, Operation, TxnId};
pub use naive::NaiveServer;
pub use participant::Participant;
pub use single::SingleServer;
pub use three_phase::ThreePhaseServer;
pub use two_phase::{Replica, TwoPhaseServer};
