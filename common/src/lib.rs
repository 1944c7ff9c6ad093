//! The deterministic simulation kit (crate docs are written below as it grows).
pub mod check;
pub mod history;
pub mod id;
pub mod rng;
pub mod time;
