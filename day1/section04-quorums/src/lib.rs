//! Quorum key-value store (essay to come).
pub mod client;
pub mod config;
pub mod lab;
pub mod messages;
pub mod server;
pub mod simulation;

pub use config::{Config, ConfigError, ReadRepair, Versioning};
pub use messages::{GetOutcome, Msg, SetOutcome, Version, VersionedValue};
pub use server::{Replica, ReplicaStats};
