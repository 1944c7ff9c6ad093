//! # Quorum reads and writes, and what they do not guarantee
//!
//! ## The failure this answers
//!
//! One copy of the data dies with its machine. Several copies survive a machine, but
//! now every write must reach them and every read must choose among them, while some
//! copies are unreachable. Waiting for *all* replicas makes one slow or dead node stop
//! everything; answering from *one* replica returns whatever that replica happens to
//! have missed.
//!
//! A **quorum** is the middle way. With N replicas, a write waits for W
//! acknowledgements and a read for R answers. If **R + W > N**, every read quorum shares
//! at least one replica with every write quorum, so a read always hears from someone who
//! has the last *successful* write. With majorities (R = W = ⌊N/2⌋ + 1) the store keeps
//! working while a minority is down or cut off.
//!
//! ## The protocol, step by step
//!
//! Every replica is also a coordinator: a client sends its request to any of them.
//!
//! 1. **Write** (`ClientSet`). The coordinator stamps the value with a [`Version`]:
//!    its wall clock in milliseconds and its own node id. It sends `InternalSet` to all
//!    N replicas, itself included.
//! 2. A replica keeps the incoming version only if it is **newer** than what it holds
//!    (last-write-wins), and acknowledges either way: holding something newer is as good
//!    as having stored the write, which would lose to it anyway.
//! 3. After **W** acknowledgements the coordinator answers [`SetOutcome::Ok`]. If W
//!    cannot be reached before its timeout it answers [`SetOutcome::QuorumNotReached`].
//!    It gives up before the client does, so the client usually gets this definite
//!    answer rather than its own [`SetOutcome::Timeout`].
//! 4. **Read** (`ClientGet`). The coordinator sends `InternalGet` to all N and waits for
//!    **R** answers. It returns the newest version among them ([`GetOutcome::Found`]), or
//!    [`GetOutcome::NotFound`] if none holds the key, or
//!    [`GetOutcome::QuorumNotReached`] (never "not found" when it simply does not know).
//! 5. **Read repair** ([`ReadRepair`]). Answers older than the chosen version, from the
//!    first R replicas or arriving later, mark **stale** replicas; only those are sent
//!    the chosen version. In `Async` mode the client is answered at once. In `Sync` mode
//!    the coordinator answers only when a **majority of all N** is known to hold the
//!    chosen version, and fails the read if it cannot confirm that.
//!
//! ## Invariants
//!
//! * A replica never replaces a version by an older one (the store's only rule).
//! * A coordinator never stamps two writes with the same version (asserted in
//!   `next_version`): versions are `(timestamp, node)` and a coordinator's timestamps
//!   strictly increase.
//! * With majority quorums and `Sync` repair, a read returns only a version that a
//!   majority holds, so every later read (which meets that majority) returns it or
//!   something newer.
//!
//! ## What quorums do **not** give you
//!
//! * **A failed write is not a no-op.** `QuorumNotReached` and `Timeout` mean "unknown":
//!   the replicas that stored the write keep it (the coordinator's own copy first), and a
//!   later read may return it. A client must record such a write as `info`, never
//!   `fail`, and must assume it may still take effect.
//! * **Last-write-wins trusts the clocks.** A coordinator whose clock runs behind stamps
//!   a newer write as older, and it silently loses, even to a write that *failed*. A
//!   hybrid logical clock ([`Versioning::Hybrid`]) orders a write after every version
//!   its coordinator has seen, but not after versions it never saw.
//! * **Quorums alone are not linearizable.** A write in progress can be seen by one
//!   read and missed by a later one whose quorum happens not to include the replicas it
//!   reached (the race of DDIA, chapter 9). Synchronous read repair closes that gap:
//!   with clocks in lockstep every history of the randomized simulation is linearizable.
//! * **R + W ≤ N** does not even promise that: a read quorum can miss the last
//!   successful write entirely.
//!
//! ## Where the code is
//!
//! * [`messages`]: the one message `enum`, versions and outcomes.
//! * [`server`]: the replica and coordinator ([`Replica`]).
//! * [`config`]: R, W, timeouts, read repair and versioning, with defaults.
//! * [`client`]: typed client helpers and the history recorder.
//! * [`lab`]: building clusters and printing per-tick timelines for the examples.
//! * [`simulation`]: the seeded randomized simulation and its configurations.
//!
//! ## What this section leaves out, and why
//!
//! * **Durability.** Replicas keep their data in memory, so crashes are not simulated:
//!   a restarted replica would come back empty. The write-ahead log of section 3 is what
//!   a durable replica would stand on.
//! * **Hinted handoff and anti-entropy.** A replica that missed writes stays stale until
//!   a read of that key repairs it. Dynamo-style stores add background Merkle-tree
//!   comparisons; they change how fast replicas converge, not what a read may return.
//! * **Request deduplication.** A duplicated client request is coordinated twice and
//!   stamped twice, and the second copy can overwrite a newer write. The simulation
//!   therefore does not duplicate messages; the idempotent receiver pattern fixes this.
//! * **Coordinator failover in the client.** A client whose coordinator is cut off
//!   times out, although a majority may be alive. Retrying elsewhere is easy, but each
//!   retry of a write is another indeterminate operation to record.
//! * **Sloppy quorums, vector clocks and siblings.** Last-write-wins discards concurrent
//!   writes by design; keeping them needs version vectors and application merges, a
//!   different lesson.
pub mod client;
pub mod config;
pub mod lab;
pub mod messages;
pub mod server;
pub mod simulation;

pub use config::{Config, ConfigError, ReadRepair, Versioning};
pub use messages::{GetOutcome, Msg, SetOutcome, Version, VersionedValue};
pub use server::{Replica, ReplicaStats};
