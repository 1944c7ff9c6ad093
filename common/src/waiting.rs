//! The Request Waiting List pattern, on its own.
//!
//! A server often has to answer a request later, when something else happens: a quorum
//! of replicas acknowledged, a log entry at index 7 was committed, a lease expired. A
//! [`WaitingList`] remembers *who is waiting for what* under an application key, with a
//! deadline, and hands the waiter back when the event happens or the deadline passes.
//!
//! What a waiter is, is up to the process: the client's request envelope to reply to
//! later, or a callback that receives the node (`Continuation`). Because the list gives
//! the waiter back instead of calling it, the process is free to use `&mut self` when it
//! answers.
//!
//! ```
//! use common::WaitingList;
//!
//! // A server waits for log index 7 to commit before answering the client that wrote it.
//! let mut waiting: WaitingList<u64, &str> = WaitingList::new();
//! waiting.add(7, 100, "reply to alice");
//! assert_eq!(waiting.complete(&7), Some("reply to alice"));
//! assert!(waiting.is_empty(), "a completed waiter is removed");
//!
//! waiting.add(8, 100, "reply to bob");
//! assert!(waiting.expire(99).is_empty(), "not yet due");
//! assert_eq!(waiting.expire(100), vec![(8, "reply to bob")], "due at its deadline");
//! ```

use crate::process::Ctx;
use crate::time::Tick;
use std::collections::BTreeMap;

/// A callback that continues work with the node when a waited-for event happens.
pub type Continuation<P, V> = Box<dyn for<'c> FnOnce(&mut P, &mut Ctx<'c, P>, V)>;

/// Waiters keyed by an application key, each with a deadline tick.
#[derive(Debug)]
pub struct WaitingList<K: Ord + Clone, W> {
    waiters: BTreeMap<K, (Tick, W)>,
}

impl<K: Ord + Clone, W> Default for WaitingList<K, W> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Ord + Clone, W> WaitingList<K, W> {
    /// An empty list.
    pub fn new() -> Self {
        WaitingList {
            waiters: BTreeMap::new(),
        }
    }

    /// Wait for `key` until `deadline` (an absolute tick). A second waiter for the same key
    /// replaces the first, which is returned.
    pub fn add(&mut self, key: K, deadline: Tick, waiter: W) -> Option<W> {
        self.waiters.insert(key, (deadline, waiter)).map(|(_, w)| w)
    }

    /// The event for `key` happened: remove and return its waiter.
    pub fn complete(&mut self, key: &K) -> Option<W> {
        self.waiters.remove(key).map(|(_, w)| w)
    }

    /// Remove and return every waiter whose key is at most `key` (e.g. everything up to
    /// a commit index), in key order.
    pub fn complete_up_to(&mut self, key: &K) -> Vec<(K, W)> {
        let rest = match self.waiters.keys().find(|k| *k > key).cloned() {
            Some(first_above) => self.waiters.split_off(&first_above),
            None => BTreeMap::new(),
        };
        let done = std::mem::replace(&mut self.waiters, rest);
        done.into_iter().map(|(k, (_, w))| (k, w)).collect()
    }

    /// Remove and return, in key order, every waiter whose deadline is at or before `now`.
    pub fn expire(&mut self, now: Tick) -> Vec<(K, W)> {
        let due: Vec<K> = self
            .waiters
            .iter()
            .filter(|(_, (deadline, _))| *deadline <= now)
            .map(|(k, _)| k.clone())
            .collect();
        due.into_iter()
            .filter_map(|k| self.waiters.remove(&k).map(|(_, w)| (k, w)))
            .collect()
    }

    /// Remove every waiter (e.g. on losing leadership), in key order.
    pub fn drain(&mut self) -> Vec<(K, W)> {
        std::mem::take(&mut self.waiters)
            .into_iter()
            .map(|(k, (_, w))| (k, w))
            .collect()
    }

    /// Whether anyone waits for `key`.
    pub fn contains(&self, key: &K) -> bool {
        self.waiters.contains_key(key)
    }

    /// Number of waiters.
    pub fn len(&self) -> usize {
        self.waiters.len()
    }

    /// No waiters.
    pub fn is_empty(&self) -> bool {
        self.waiters.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_returns_due_waiters_in_key_order_and_keeps_the_rest() {
        let mut w = WaitingList::new();
        w.add(3, 10, "c");
        w.add(1, 10, "a");
        w.add(2, 50, "b");
        assert_eq!(w.expire(10), vec![(1, "a"), (3, "c")]);
        assert_eq!(w.len(), 1, "the waiter with a later deadline must stay");
        assert!(w.contains(&2));
    }

    #[test]
    fn complete_up_to_releases_every_waiter_at_or_below_the_key() {
        let mut w = WaitingList::new();
        for i in 1..=5u64 {
            w.add(i, 100, i * 10);
        }
        assert_eq!(w.complete_up_to(&3), vec![(1, 10), (2, 20), (3, 30)]);
        assert_eq!(w.len(), 2, "indices 4 and 5 are not committed yet");
        assert_eq!(w.complete_up_to(&9).len(), 2);
        assert!(w.is_empty());
    }

    #[test]
    fn a_completed_waiter_is_never_expired_later() {
        let mut w = WaitingList::new();
        w.add("k", 5, ());
        assert!(w.complete(&"k").is_some());
        assert!(
            w.expire(100).is_empty(),
            "a waiter must be answered at most once"
        );
        assert!(w.complete(&"k").is_none());
    }
}
