//! Identifiers: who a process is, which request a reply answers, which timer fired.
//!
//! None of them is random. A [`CorrId`] is a counter scoped to one *incarnation* of a
//! node, so a reply that was addressed to a node before it crashed can be recognised
//! and dropped after it restarts.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::num::NonZeroU64;
use std::sync::{Mutex, OnceLock};

/// The name of a process (a server or a client), e.g. `athens` or `alice`.
///
/// One word, cheap to clone (a pointer copy), `Send` and `Sync`: every distinct name is interned
/// once for the life of the program (a workshop has a few dozen), so an id is a pointer
/// to its interned name, two ids are equal exactly when they point to the same entry,
/// and cloning touches no reference count. Ordered by name, so that every collection
/// keyed by process iterates in the same order on every run (no order ever depends on
/// where a name was interned). It carries a stable hash of its name, which the trace
/// uses without rehashing the text on every event.
pub struct ProcessId(&'static IdInner);

impl Clone for ProcessId {
    fn clone(&self) -> Self {
        ProcessId(self.0)
    }
}

struct IdInner {
    stable_hash: u64,
    name: &'static str,
}

/// FNV-1a: a hash that does not change between runs or Rust releases.
fn stable_hash(name: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// Every name seen so far. It only grows, and nothing ever iterates it, so which thread
/// or test interned a name first cannot change any run.
fn interned(name: &str) -> &'static IdInner {
    static NAMES: OnceLock<Mutex<BTreeMap<&'static str, &'static IdInner>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(|| Mutex::new(BTreeMap::new()))
        .lock()
        // Inserting cannot leave the map half-changed, so a poisoned lock is still good.
        .unwrap_or_else(|poison| poison.into_inner());
    if let Some(inner) = names.get(name) {
        return inner;
    }
    let name: &'static str = Box::leak(name.into());
    let inner: &'static IdInner = Box::leak(Box::new(IdInner {
        stable_hash: stable_hash(name),
        name,
    }));
    names.insert(name, inner);
    inner
}

impl ProcessId {
    /// A process id from its name.
    pub fn new(name: impl AsRef<str>) -> Self {
        ProcessId(interned(name.as_ref()))
    }

    /// The name as a string slice.
    pub fn as_str(&self) -> &'static str {
        self.0.name
    }

    /// A hash of the name that is the same on every run and every machine.
    pub fn stable_hash(&self) -> u64 {
        self.0.stable_hash
    }
}

impl PartialEq for ProcessId {
    fn eq(&self, other: &Self) -> bool {
        // Interned: one entry per name.
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for ProcessId {}

impl PartialOrd for ProcessId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ProcessId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if std::ptr::eq(self.0, other.0) {
            return std::cmp::Ordering::Equal;
        }
        self.0.name.cmp(other.0.name)
    }
}

impl std::hash::Hash for ProcessId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Hash as the str does, as `Borrow<str>` requires.
        self.0.name.hash(state);
    }
}

impl fmt::Debug for ProcessId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for ProcessId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for ProcessId {
    fn from(name: &str) -> Self {
        ProcessId::new(name)
    }
}

impl From<String> for ProcessId {
    fn from(name: String) -> Self {
        ProcessId::new(name)
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
        self.as_str()
    }
}

impl PartialEq<str> for ProcessId {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ProcessId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::borrow::Borrow<str> for ProcessId {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl Serialize for ProcessId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
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
/// waiting under it. After a crash and restart the node's incarnation changes, so a
/// late reply to a request of the previous life matches nothing and is dropped.
///
/// Packed into one non-zero word (24 bits of incarnation, 40 of counter), so an
/// `Option<CorrId>` costs eight bytes in every envelope and trace event.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CorrId(NonZeroU64);

impl CorrId {
    const SEQ_BITS: u32 = 40;

    /// The id of request number `seq` (from 1) of `incarnation` (from 0).
    pub fn new(incarnation: u32, seq: u64) -> Self {
        assert!(
            incarnation < 1 << 24,
            "a node restarts fewer than 2^24 times"
        );
        assert!(
            seq > 0 && seq < 1 << Self::SEQ_BITS,
            "request numbers run from 1 below 2^40"
        );
        let packed = (u64::from(incarnation) << Self::SEQ_BITS) | seq;
        CorrId(NonZeroU64::new(packed).expect("seq is at least 1, so the packed id is not zero"))
    }

    /// Incarnation of the sending node: 0 on first boot, +1 on every restart.
    pub fn incarnation(self) -> u32 {
        (self.0.get() >> Self::SEQ_BITS) as u32
    }

    /// Per-incarnation counter.
    pub fn seq(self) -> u64 {
        self.0.get() & ((1 << Self::SEQ_BITS) - 1)
    }

    /// The packed form.
    pub fn raw(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Debug for CorrId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}.{}", self.incarnation(), self.seq())
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
    fn ids_made_apart_from_the_same_name_are_equal_and_hash_alike() {
        let a = ProcessId::new(String::from("a name made at run time, longer than most"));
        let b = ProcessId::new("a name made at run time, longer than most");
        assert_eq!(a, b, "the same name must give the same id");
        assert_ne!(a, ProcessId::new("another name"));
        let hash = |id: &ProcessId| {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            id.hash(&mut h);
            h.finish()
        };
        assert_eq!(hash(&a), hash(&b));
        let as_str = |s: &str| {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            s.hash(&mut h);
            h.finish()
        };
        assert_eq!(
            hash(&a),
            as_str(a.as_str()),
            "Borrow<str> needs the str's hash"
        );
        let decoded: ProcessId =
            postcard::from_bytes(&postcard::to_allocvec(&a).expect("encodes")).expect("decodes");
        assert_eq!(decoded, a, "an id survives the wire");
    }

    #[test]
    fn ids_cross_threads() {
        let id = ProcessId::new("delphi");
        let back = std::thread::scope(|s| s.spawn(|| ProcessId::new("delphi")).join())
            .expect("the thread returns its id");
        assert_eq!(back, id, "an id made on another thread is the same id");
    }

    #[test]
    fn corr_ids_of_a_later_incarnation_sort_after_earlier_ones() {
        let old = CorrId::new(0, 99);
        let new = CorrId::new(1, 1);
        assert!(
            old < new,
            "a restart must never reuse an earlier life's correlation ids"
        );
        assert_eq!(
            (new.incarnation(), new.seq()),
            (1, 1),
            "the packed id must unpack to its parts"
        );
        assert_eq!(
            std::mem::size_of::<Option<CorrId>>(),
            8,
            "an optional id must stay one word"
        );
    }
}
