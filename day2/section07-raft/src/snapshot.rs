//! Step 5: snapshots and log compaction.
//!
//! ## The failure this answers
//!
//! Steps 1 to 4 keep every entry for ever. A server that has applied a million writes
//! to a key-value store of ten keys keeps a million entries on disk, replays them all
//! when it restarts, and a follower that was away for a day receives all of them again.
//! The log is only a means to agree on the store's state; once an entry is applied
//! *and* known committed, the store itself says everything the prefix of the log said.
//!
//! ## The rules
//!
//! 1. **What may be compacted.** A node snapshots its state machine at its last applied
//!    index — only committed entries are applied, so the snapshot never contains an
//!    entry that may still be replaced (`Server::maybe_compact`, checked every tick;
//!    the entries it covers may still be on their way to the disk: writes complete in
//!    order, so the snapshot's write lands after theirs). The snapshot carries the store *and the client
//!    sessions* (a retried request must still be recognised after a restart), the
//!    index and term of its last entry (the next AppendEntries' consistency check needs
//!    that term, and the entry is gone), and the configuration in force at that index
//!    (step 6: the configuration entries it covers are gone too).
//! 2. **One atomic write.** The snapshot and the discarding of the log it covers are one
//!    [`common::WriteBatch`] (`install_snapshot`): a crash keeps both or neither. There is
//!    no moment with the log trimmed and the snapshot missing (data lost), nor with the
//!    snapshot written and the log still applied from index 1 on top of it (entries
//!    applied twice). A restarted node loads the snapshot as its state machine, sets its
//!    commit and applied indexes to the snapshot's last index, and keeps the entries
//!    after it.
//! 3. **A follower behind the leader's first entry gets the snapshot.** When the entry
//!    a follower needs next is discarded, the leader sends its snapshot in
//!    `InstallSnapshot` chunks of [`crate::Config::snapshot_chunk_bytes`], one chunk
//!    outstanding at a time; each `SnapshotAck` says how many bytes the follower holds,
//!    so a lost chunk is resent from the right offset and a restarted follower makes the
//!    leader start again from 0. The follower keeps the chunks in memory and installs
//!    only a complete snapshot.
//! 4. **Installing (Figure 13 of the paper).** A snapshot that does not go past the
//!    follower's commit index is old news: it is acknowledged and dropped. Otherwise
//!    the follower replaces its state machine with the snapshot's, and keeps the entries
//!    after the snapshot **only if its log holds the snapshot's last entry** (same index,
//!    same term): then the suffix agrees with the leader's log. If not, every entry goes
//!    (`Server::retained_after`). It answers `installed` only once the snapshot is
//!    durable: the leader then counts it as matching through the snapshot's last index.
//!
//! ## What it costs and saves
//!
//! A snapshot is the store's size, not the history's: with snapshots every 64 entries
//! the log stays below 64 entries plus what a tick brings in, however long the run
//! (the test `step5_storage_stays_bounded_under_a_long_write_workload`, and the chart in
//! the README). The price is the snapshot's write and, for a far-behind follower, its
//! transfer — which is why a leader keeps a window of entries and prefers AppendEntries
//! whenever the follower's next entry is still in the log.

use crate::membership::configuration_from;
use crate::messages::{Entry, Index, Msg, Term};
use crate::replication::SnapshotProgress;
use crate::server::{Role, Server};
use crate::storage::SnapshotData;
use common::{Ctx, Envelope, ProcessId};

/// A snapshot a follower is receiving: the chunks so far.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IncomingSnapshot {
    /// The term of the leader sending it.
    pub term: Term,
    /// The snapshot's last index and term.
    pub last_index: Index,
    /// The term of the entry at `last_index`.
    pub last_term: Term,
    /// The bytes received, in order.
    pub data: Vec<u8>,
}

impl Server {
    /// Take a snapshot at the last applied index once `snapshot_every` applied entries
    /// have piled up in the log. Checked at every tick, as a real server compacts in the
    /// background, not inside the step that applied the entries.
    ///
    /// The entries it covers may still be on their way to this node's disk (a leader
    /// commits what a majority of followers stored, its own write still in flight). That
    /// is safe because writes complete in order: the snapshot's write, which discards
    /// them, lands after the writes that stored them; a crash in between keeps a prefix
    /// of the writes, so the disk holds either the entries or the snapshot.
    pub(crate) fn maybe_compact(&mut self, ctx: &mut Ctx<'_, Self>) {
        let Some(every) = self.config.snapshot_every else {
            return;
        };
        if self.halted.is_some() {
            return;
        }
        // exercise: once `every` applied entries are in the log after the snapshot, call take_snapshot(ctx, index) at the last applied index (the state machine is the state at exactly that index)
        // solution-begin
        if self.last_applied >= self.snapshot_index + every {
            self.take_snapshot(ctx, self.last_applied);
        }
        // solution-end
    }

    /// Snapshot the state machine, which has applied exactly through `at`, discard the
    /// log through `at` in memory and write both in one batch.
    pub(crate) fn take_snapshot(&mut self, ctx: &mut Ctx<'_, Self>, at: Index) {
        assert_eq!(
            at, self.last_applied,
            "a snapshot is of the state machine as applied"
        );
        debug_assert!(
            self.log_dirty_from.is_none_or(|from| from > at),
            "every change to an applied (so committed) entry was written before"
        );
        let Some(last_term) = self.term_at(at) else {
            return;
        };
        // The configuration in force at `at`: later entries may hold newer ones, which
        // stay in the log.
        let configuration = configuration_from(
            self.base_configuration.clone(),
            (self.base_configuration.0 + 1..=at).filter_map(|i| self.entry(i).map(|e| (i, e))),
        );
        let data = SnapshotData {
            last_index: at,
            last_term,
            state_machine: self.state_machine.clone(),
            configuration: configuration.clone(),
        };
        let bytes = match data.encode() {
            Ok(bytes) => bytes,
            Err(e) => {
                ctx.note(format!("cannot encode a snapshot, keeping the log: {e}"));
                return;
            }
        };
        let drop = usize::try_from(at - self.snapshot_index).unwrap_or(usize::MAX);
        self.log.drain(..drop.min(self.log.len()));
        self.snapshot_index = at;
        self.snapshot_term = last_term;
        self.snapshot_bytes = bytes;
        self.snapshot_dirty = true;
        self.base_configuration = configuration;
        self.stats.snapshots_taken += 1;
        ctx.note(format!(
            "snapshots its store through index {at} ({} bytes) and discards the log before it",
            self.snapshot_bytes.len()
        ));
        self.persist(ctx, |_, _| {});
    }

    /// Leader: send `peer` the next chunk of the current snapshot.
    pub(crate) fn send_snapshot_chunk(&mut self, ctx: &mut Ctx<'_, Self>, peer: &ProcessId) {
        let (last_index, size) = (self.snapshot_index, self.snapshot_bytes.len() as u64);
        let Some(progress) = self.progress.get_mut(peer) else {
            return;
        };
        let state = progress.snapshot.get_or_insert(SnapshotProgress {
            last_index,
            acked: 0,
        });
        if state.last_index != last_index || state.acked > size {
            // A newer snapshot replaced the one being sent: start over.
            *state = SnapshotProgress {
                last_index,
                acked: 0,
            };
        }
        let offset = state.acked;
        progress.inflight = 1;
        let end = (offset + self.config.snapshot_chunk_bytes as u64).min(size);
        let data = self.snapshot_bytes[offset as usize..end as usize].to_vec();
        self.stats.snapshot_chunks_sent += 1;
        let msg = Msg::InstallSnapshot {
            term: self.current_term,
            leader: self.id.clone(),
            last_index,
            last_term: self.snapshot_term,
            offset,
            data,
            done: end == size,
        };
        self.send_to(ctx, peer, msg);
    }

    /// Follower: a chunk of the leader's snapshot.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn on_install_snapshot(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        env: &Envelope<Msg>,
        term: Term,
        leader: ProcessId,
        (last_index, last_term): (Index, Term),
        offset: u64,
        data: Vec<u8>,
        done: bool,
    ) {
        let to = env.from.clone();
        if term < self.current_term {
            let answer = self.snapshot_ack(last_index, 0, false);
            self.send_to(ctx, &to, answer);
            return;
        }
        if term > self.current_term || self.role != Role::Follower {
            self.become_follower(ctx, term, Some(leader.clone()));
        }
        self.leader = Some(leader);
        self.reset_election_timer(ctx);
        if last_index <= self.commit_index {
            // Old news: this node already holds everything the snapshot covers.
            self.incoming = None;
            let answer = self.snapshot_ack(last_index, 0, true);
            self.persist(ctx, move |node, ctx| {
                if node.current_term == term {
                    node.send_to(ctx, &to, answer);
                }
            });
            return;
        }
        let incoming = self.incoming.get_or_insert_with(|| IncomingSnapshot {
            term,
            last_index,
            last_term,
            data: Vec::new(),
        });
        if (incoming.term, incoming.last_index, incoming.last_term) != (term, last_index, last_term)
        {
            *incoming = IncomingSnapshot {
                term,
                last_index,
                last_term,
                data: Vec::new(),
            };
        }
        if offset == incoming.data.len() as u64 {
            incoming.data.extend_from_slice(&data);
        }
        let received = incoming.data.len() as u64;
        if !done || offset + data.len() as u64 != received {
            // More to come, or a chunk out of order: say where to continue.
            let answer = self.snapshot_ack(last_index, received, false);
            self.send_to(ctx, &to, answer);
            return;
        }
        let Some(incoming) = self.incoming.take() else {
            return;
        };
        let snapshot = match SnapshotData::decode(&incoming.data) {
            Ok(s) if s.last_index == last_index && s.last_term == last_term => s,
            Ok(_) | Err(_) => {
                ctx.note(format!(
                    "discards a snapshot through index {last_index} that does not decode to what its chunks announced"
                ));
                let answer = self.snapshot_ack(last_index, 0, false);
                self.send_to(ctx, &to, answer);
                return;
            }
        };
        self.install_snapshot(ctx, snapshot, incoming.data);
        let answer = self.snapshot_ack(last_index, received, true);
        self.persist(ctx, move |node, ctx| {
            if node.current_term == term {
                node.send_to(ctx, &to, answer);
            }
        });
    }

    fn snapshot_ack(&self, last_index: Index, received: u64, installed: bool) -> Msg {
        Msg::SnapshotAck {
            term: self.current_term,
            last_index,
            received,
            installed,
        }
    }

    /// Figure 13, receiver steps 6 to 8: replace the state machine with the snapshot's;
    /// keep the log after the snapshot only if the log holds the snapshot's last entry,
    /// else discard all of it. The change is written by the next `persist`, snapshot
    /// first.
    pub(crate) fn install_snapshot(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        snapshot: SnapshotData,
        bytes: Vec<u8>,
    ) {
        assert!(
            snapshot.last_index > self.commit_index,
            "only a snapshot past the commit index is installed"
        );
        self.log = self.retained_after(snapshot.last_index, snapshot.last_term);
        self.snapshot_index = snapshot.last_index;
        self.snapshot_term = snapshot.last_term;
        self.snapshot_bytes = bytes;
        self.state_machine = snapshot.state_machine;
        self.commit_index = snapshot.last_index;
        self.last_applied = snapshot.last_index;
        self.base_configuration = snapshot.configuration;
        self.refresh_configuration();
        self.snapshot_dirty = true;
        // Rewrite whatever follows the snapshot: the disk may hold a conflicting suffix.
        self.log_dirty_from = None;
        self.mark_log_dirty(self.snapshot_index + 1);
        self.stats.snapshots_installed += 1;
        ctx.note(format!(
            "installs a snapshot through index {} (term {}), keeping {} entries after it",
            self.snapshot_index,
            self.snapshot_term,
            self.log.len()
        ));
    }

    /// Figure 13, receiver steps 6 and 7: the entries to keep after a snapshot through
    /// `last_index` of `last_term` — those after it if this log holds that very entry
    /// (same index, same term: by log matching the suffix agrees with the leader's log
    /// up to where it ends), none otherwise.
    pub fn retained_after(&self, last_index: Index, last_term: Term) -> Vec<Entry> {
        // exercise: if this log holds an entry at last_index of last_term, return the entries after it (a copy); otherwise return no entries
        // solution-begin
        if self.term_at(last_index) != Some(last_term) {
            return Vec::new();
        }
        let keep_from = usize::try_from(last_index - self.snapshot_index)
            .unwrap_or(usize::MAX)
            .min(self.log.len());
        self.log[keep_from..].to_vec()
        // solution-end
    }

    /// Leader: a follower's answer to a snapshot chunk.
    pub(crate) fn on_snapshot_ack(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        from: &ProcessId,
        term: Term,
        last_index: Index,
        received: u64,
        installed: bool,
    ) {
        if !self.is_answer_to_this_leader(ctx, term) {
            return;
        }
        let Some(progress) = self.progress.get_mut(from) else {
            return;
        };
        progress.active = true;
        if installed {
            // The follower holds everything through the snapshot, durably.
            if last_index > progress.match_index {
                progress.match_index = last_index;
                progress.progressed = true;
            }
            progress.next_index = progress.match_index + 1;
            progress.snapshot = None;
            progress.inflight = 0;
            progress.probing = false;
            self.advance_commit(ctx);
        } else {
            match progress.snapshot.as_mut() {
                Some(state) if state.last_index == last_index => {
                    if received > state.acked {
                        progress.progressed = true;
                    }
                    state.acked = received;
                    progress.inflight = 0;
                }
                _ => return,
            }
        }
        self.send_appends(ctx, from);
    }
}
