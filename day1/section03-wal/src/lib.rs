//! x
pub mod clock;
pub mod error;
pub mod frame;
pub mod log;
pub mod retention;
pub mod segment;
pub use error::{Result, WalError};
pub use log::{Config, Wal};
pub mod cleaner;
pub mod command;
pub mod group_commit;
pub mod inspect;
pub mod kv_log;
pub mod kv_store;
pub mod snapshot;
pub mod torn;
