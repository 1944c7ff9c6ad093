//! The real runtime's log: one line per event on standard error, stamped with the UTC
//! time of day and the node.
#![allow(clippy::disallowed_methods)]

use std::time::{SystemTime, UNIX_EPOCH};

/// Writes log lines for one node.
#[derive(Clone, Debug)]
pub struct Logger {
    node: String,
}

impl Logger {
    /// A logger whose lines name `node`.
    pub fn new(node: impl Into<String>) -> Self {
        Logger { node: node.into() }
    }

    /// Write one line: `HH:MM:SS.mmm node: text`.
    pub fn line(&self, text: impl AsRef<str>) {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let day = ms % 86_400_000;
        eprintln!(
            "{:02}:{:02}:{:02}.{:03} {}: {}",
            day / 3_600_000,
            day / 60_000 % 60,
            day / 1000 % 60,
            day % 1000,
            self.node,
            text.as_ref()
        );
    }
}
