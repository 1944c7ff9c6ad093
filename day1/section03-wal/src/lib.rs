//! # Write-ahead log
//!
//! ## The failure it answers
//!
//! A server keeps its state in memory and acknowledges a client's write. Then the power
//! goes. If the change was only in memory, the acknowledged write is gone, and in a
//! replicated system a node that forgets what it promised (a vote, an accepted value) can
//! break the protocol for everyone.
//!
//! The write-ahead log is the answer: **before** changing in-memory state, append the
//! change to a sequential file and force it to disk (`fdatasync`). After a restart, replay
//! the log to rebuild the state. Appending is sequential, so it is the cheapest durable
//! write a disk offers; the state itself can be written lazily or never.
//!
//! ## The log, step by step
//!
//! 1. **Frame every entry** ([`frame`]): length, type, generation, index, timestamp, a
//!    CRC-32 over the header fields *and* the data, then the data. The length lets a
//!    reader find the next frame; the checksum lets it tell a complete frame from a torn
//!    or rotten one.
//! 2. **Append and sync** ([`Wal::append`]): the next index is `last_index + 1`; write the
//!    frame at the end of valid data, then `fdatasync`. Only then is the entry
//!    acknowledged. [`Wal::append_unsynced`] + [`Wal::flush`] split the two steps, which
//!    is what group commit ([`group_commit`]) needs: many entries, one fdatasync.
//! 3. **Segments** ([`segment`]): the log is a directory of files
//!    `wal_<base>.log`, each holding entries `base + 1 ..`. When the open segment is
//!    full, it is synced and a new one is created *and the directory synced* (a new file
//!    is not durable until its directory entry is). Old segments can then be deleted
//!    whole.
//! 4. **Recovery** (on [`Wal::open`]): scan every segment and verify every checksum. The
//!    only damage a crash can do to a correct log is a torn tail: the last, unsynced
//!    append cut short or half-written, with nothing valid after it. Recovery cuts the
//!    last segment back to its last valid frame and reports the bytes discarded. A bad
//!    frame anywhere else, or one followed by a valid frame, is not a torn append but
//!    corruption, and the log refuses to open, naming the segment and offset: cutting or
//!    skipping it could lose acknowledged entries. Giving them up is the operator's call
//!    ([`inspect::discard_corrupt_tail`], `wal recover --discard-corrupt-tail`). A power
//!    cut inside a group-commit batch can also leave a torn frame before a surviving one
//!    of the same (unacknowledged) batch; the bytes cannot tell the two apart, so recovery
//!    refuses there too rather than guess.
//! 5. **Truncate** ([`Wal::truncate`]): remove an index and everything after it (a Raft
//!    follower does this when its log conflicts with the leader's). Durable before it
//!    returns, so the removed entries cannot reappear after a crash.
//! 6. **Cleaning** ([`retention`], [`Wal::maintain`]): once a [`snapshot`] holds the state
//!    up to index *i*, segments whose entries are all ≤ *i* can go; or segments older
//!    than a retention period can. Both are pure functions of the segment list and a
//!    time, run by an explicit call (or an optional [`cleaner::BackgroundCleaner`]).
//! 7. **Padding** (optional, [`frame::padding_data_len`]): end every flush on a block
//!    boundary with a padding frame, so the next write never shares a block with data
//!    that was already synced (an idea from BookKeeper's journal).
//!
//! ## Invariants
//!
//! * Indices are dense and increasing: entry *k* of the segment with base *b* has index
//!   *b + 1 + k*, and each segment's base is the previous segment's last index.
//! * An entry is acknowledged only after an fdatasync that covers it returned.
//! * Recovery returns exactly a prefix of what was written: never garbage, never an entry
//!   after a hole.
//! * Reads verify the checksum again: a bit flipped on disk or on the way is an error,
//!   never data.
//! * After a failed write or fsync the log stops ([`WalError::Poisoned`]) until it is
//!   reopened: after a failed fsync nobody knows what is on disk, and retrying the fsync
//!   can report success for data the kernel already dropped.
//!
//! Everything runs on `common`'s [`common::fileio`] layer, so the same log is tested on a
//! simulated disk (power cuts, torn sectors, failing fsync, bit flips, all replayable
//! from a seed) and on real files.
//!
//! ## What this section leaves out
//!
//! * Pre-allocating segment files (`fallocate`) and `O_DIRECT`: they change performance,
//!   not the lesson, and need `unsafe` or platform crates.
//! * CRC32C: the frame uses CRC-32 (IEEE) from `crc32fast`; a hardware CRC32C is faster
//!   but the protection against torn writes and bit rot is the same.
//! * Replication: one node's log. Later sections replicate it.
//! * RocksDB: the key-value-backed log ([`kv_log`]) runs on an ordered-map trait; a real
//!   store would be one more implementation of it.

pub mod cleaner;
pub mod clock;
pub mod command;
pub mod error;
pub mod frame;
pub mod group_commit;
pub mod inspect;
pub mod kv_log;
pub mod kv_store;
pub mod log;
pub mod retention;
pub mod segment;
pub mod snapshot;
pub mod torn;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Result, WalError};
pub use frame::{Entry, EntryType, Frame};
pub use kv_store::DurableKvStore;
pub use log::{Config, RecoveryReport, Wal, Warning};
