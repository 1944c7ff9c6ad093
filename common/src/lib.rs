//! The deterministic simulation kit (crate docs are written below as it grows).
pub mod fileio;
pub mod id;
pub mod rng;
pub mod time;
