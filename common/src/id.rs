//! Identifiers: who a process is, which request a reply answers, which timer fired.
//!
//! None of them is random. A [`CorrId`] is a counter scoped to one *incarnation* of a
//! node, so a reply that was addressed to a node before it crashed can be recognised
//! and dropped after it restarts.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::rc::Rc;

/// The name of a process (a server or a client), e.g. `athens` or `alice`.
///
/// Cheap to clone (a shared string), ordered by name so that every collection keyed by
/// process iterates in the same order on every run.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProcessId(Rc<str>);

impl ProcessId {
    /// A process id from its name.
    pub fn new(name: impl AsRef<str>) -> Self {
        ProcessId(Rc::from(name.as_ref()))
    }

    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ProcessId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for ProcessId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for ProcessId {
    fn from(name: &str) -> Self {
        ProcessId::new(name)
    }
}

impl From<String> for ProcessId {
    fn from(name: String) -> Self {
        ProcessId(Rc::from(name))
    }
}

impl From<&String> for ProcessId {
    fn from(name: &String) -> Self {
        ProcessId::new(name)
    }
}

impl From<&ProcessId> for ProcessId {
    fn from(id: &ProcessId) -> Self {
        id.clone()
    }
}

impl AsRef<str> for ProcessId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for ProcessId {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for ProcessId {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl std::borrow::Borrow<str> for ProcessId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl Serialize for ProcessId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ProcessId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Ok(ProcessId::from(name))
    }
}

/// Correlation id of a request: which incarnation of the sender issued it, and a counter.
///
/// A reply carries the request's `CorrId` in `in_reply_to`, and is routed to the callback
/// registered under it. After a crash and restart the node's incarnation changes, so a
/// late reply to a request of the previous life matches nothing and is dropped.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CorrId {
    /// Incarnation of the sending node: 0 on first boot, +1 on every restart.
    pub incarnation: u32,
    /// Per-incarnation counter.
    pub seq: u64,
}

impl fmt::Debug for CorrId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}.{}", self.incarnation, self.seq)
    }
}

impl fmt::Display for CorrId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A timer set by a process; handed back to `on_timer` when it fires.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub struct TimerId(pub u64);

/// An operation recorded in a history (one invoke and at most one completion).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub struct OpId(pub u64);

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "op{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_ids_order_by_name_not_by_creation() {
        let mut ids = [
            ProcessId::new("cyrene"),
            ProcessId::new("athens"),
            ProcessId::new("byzantium"),
        ];
        ids.sort();
        let names: Vec<&str> = ids.iter().map(ProcessId::as_str).collect();
        assert_eq!(
            names,
            ["athens", "byzantium", "cyrene"],
            "ids must sort by name"
        );
    }

    #[test]
    fn corr_ids_of_a_later_incarnation_sort_after_earlier_ones() {
        let old = CorrId {
            incarnation: 0,
            seq: 99,
        };
        let new = CorrId {
            incarnation: 1,
            seq: 0,
        };
        assert!(
            old < new,
            "a restart must never reuse an earlier life's correlation ids"
        );
    }
}
