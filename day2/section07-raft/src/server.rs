//! The Raft server: the state every node holds, its persistence and recovery, the
//! dispatch, the tick, and the follower's side of AppendEntries. Elections are in
//! [`crate::election`], the leader's replication in [`crate::replication`], reads in
//! [`crate::reads`].

use crate::config::{AckTiming, Config, VotePersistence};
use crate::membership::{Configuration, PendingChange};
use crate::messages::{ConflictHint, Entry, Index, Msg, RequestId, Term};
use crate::reads::PendingRead;
use crate::replication::Progress;
use crate::snapshot::IncomingSnapshot;
use crate::state_machine::{Applied, StateMachine};
use crate::storage::{self, HARD_STATE_KEY, HardState};
use crate::transfer::PendingTransfer;
use common::{
    Ctx, Durability, Envelope, Message, Process, ProcessId, StoreError, Tick, WriteBatch,
};
use std::collections::{BTreeMap, BTreeSet};

/// What a node is doing in the current term.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Follows the leader of its term (if it knows one) and votes.
    Follower,
    /// Asks whether it could win an election, without raising its term (pre-vote).
    PreCandidate,
    /// Runs an election in its current term.
    Candidate,
    /// Won its term's election: appends client commands and replicates its log.
    Leader,
}

/// A client waiting at the leader for its entry to be applied.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Waiter {
    pub(crate) envelope: Envelope<Msg>,
    pub(crate) request: RequestId,
    /// The entry the client waits for: its index *and* term. An entry applied at that
    /// index with another term is someone else's (bug R4 keyed replies by index only).
    pub(crate) index: Index,
    pub(crate) term: Term,
}

/// What a node has done since it started (counters for tests and measurements).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Stats {
    /// Real elections started (terms this node ran in).
    pub elections: u64,
    /// Pre-vote rounds started.
    pub pre_votes: u64,
    /// AppendEntries (heartbeats included) sent to other servers.
    pub appends_sent: u64,
    /// Protocol messages sent to other servers (votes, appends and their answers).
    pub messages_to_servers: u64,
    /// Disk writes submitted.
    pub writes: u64,
    /// Times this node stepped down from leader because it lost contact with a majority.
    pub check_quorum_step_downs: u64,
    /// AppendEntries refused because they would have replaced a committed entry (always
    /// 0 with a correct leader).
    pub refused_truncations: u64,
    /// Times the counting rule committed an entry of an earlier term by counting (always
    /// 0 under the current-term rule): the moments Figure 8 needs.
    pub old_term_commits: u64,
    /// Snapshots this node took of its own state machine (step 5).
    pub snapshots_taken: u64,
    /// Snapshots this node installed from a leader.
    pub snapshots_installed: u64,
    /// `InstallSnapshot` chunks sent to followers.
    pub snapshot_chunks_sent: u64,
}

/// A Raft node. Its whole state is plain data: it clones, compares and hashes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Server {
    pub(crate) config: Config,
    pub(crate) id: ProcessId,
    pub(crate) incarnation: u32,
    // ----- persistent (Figure 2), in memory ahead of the disk while a write is in flight
    pub(crate) current_term: Term,
    pub(crate) voted_for: Option<ProcessId>,
    /// The entries after the snapshot: entry `i` is `log[i - snapshot_index - 1]`.
    pub(crate) log: Vec<Entry>,
    /// The last index the snapshot covers (0: no snapshot, the log starts at 1).
    pub(crate) snapshot_index: Index,
    /// The term of the entry at `snapshot_index`.
    pub(crate) snapshot_term: Term,
    /// The snapshot's encoded bytes: what is on disk, and what a leader sends.
    pub(crate) snapshot_bytes: Vec<u8>,
    /// A snapshot taken or installed in memory that the next write must store.
    pub(crate) snapshot_dirty: bool,
    /// Chunks of a leader's snapshot received so far.
    pub(crate) incoming: Option<IncomingSnapshot>,
    // ----- volatile
    pub(crate) role: Role,
    /// The leader of the current term, once known.
    pub(crate) leader: Option<ProcessId>,
    pub(crate) commit_index: Index,
    pub(crate) last_applied: Index,
    pub(crate) state_machine: StateMachine,
    /// Ticks since the timer was last restarted (a valid AppendEntries, a vote granted,
    /// a new election); for a leader, ticks since the last check-quorum.
    pub(crate) election_elapsed: Tick,
    /// This round's randomised election timeout.
    pub(crate) election_timeout: Tick,
    pub(crate) heartbeat_elapsed: Tick,
    /// Votes (or pre-votes) granted in the current election.
    pub(crate) votes: BTreeSet<ProcessId>,
    /// Leader only: what it knows of each follower.
    pub(crate) progress: BTreeMap<ProcessId, Progress>,
    /// Leader only: index of the first entry of its term (its no-op).
    pub(crate) term_start: Index,
    pub(crate) waiting: Vec<Waiter>,
    pub(crate) reads: Vec<PendingRead>,
    pub(crate) read_round: u64,
    // ----- membership (see `membership.rs`) and leadership transfer (`transfer.rs`)
    /// The configuration the log starts from, with the index that set it: the bootstrap
    /// configuration at index 0 (a snapshot would carry its own).
    pub(crate) base_configuration: (Index, Configuration),
    /// The latest configuration in the log (committed or not) and its index.
    pub(crate) configuration: (Index, Configuration),
    /// Leader only: an operator's membership change in progress.
    pub(crate) change: Option<PendingChange>,
    /// Leader only: a leadership transfer in progress.
    pub(crate) transfer: Option<PendingTransfer>,
    /// The current election was started by a leader's `TimeoutNow`.
    pub(crate) election_by_transfer: bool,
    // ----- persistence bookkeeping
    /// The lowest log index changed in memory since the last write was submitted.
    pub(crate) log_dirty_from: Option<Index>,
    pub(crate) hard_state_dirty: bool,
    pub(crate) writes_in_flight: u32,
    /// The log's length on disk after the last completed write.
    pub(crate) durable_last: Index,
    /// A write failed: the node stops (fail-stop) until it is restarted.
    pub(crate) halted: Option<StoreError>,
    /// The votes this incarnation has announced (sent to a candidate, or counted for
    /// itself once durable), by term: what the oracle holds against every incarnation.
    pub(crate) announced_votes: BTreeMap<Term, ProcessId>,
    pub(crate) stats: Stats,
}

impl Server {
    /// A server with `config`. Its durable state is loaded in `on_start`.
    pub fn new(id: &ProcessId, config: Config) -> Self {
        Server {
            config,
            id: id.clone(),
            incarnation: 0,
            current_term: 0,
            voted_for: None,
            log: Vec::new(),
            snapshot_index: 0,
            snapshot_term: 0,
            snapshot_bytes: Vec::new(),
            snapshot_dirty: false,
            incoming: None,
            role: Role::Follower,
            leader: None,
            commit_index: 0,
            last_applied: 0,
            state_machine: StateMachine::new(),
            election_elapsed: 0,
            election_timeout: 0,
            heartbeat_elapsed: 0,
            votes: BTreeSet::new(),
            progress: BTreeMap::new(),
            term_start: 0,
            waiting: Vec::new(),
            reads: Vec::new(),
            read_round: 0,
            base_configuration: (0, Configuration::default()),
            configuration: (0, Configuration::default()),
            change: None,
            transfer: None,
            election_by_transfer: false,
            log_dirty_from: None,
            hard_state_dirty: false,
            writes_in_flight: 0,
            durable_last: 0,
            halted: None,
            announced_votes: BTreeMap::new(),
            stats: Stats::default(),
        }
    }

    // ----- what tests and the oracle read -----

    /// This node's id.
    pub fn id(&self) -> &ProcessId {
        &self.id
    }
    /// How many times this node has restarted (0 on first boot).
    pub fn incarnation(&self) -> u32 {
        self.incarnation
    }
    /// The latest term this node has seen.
    pub fn term(&self) -> Term {
        self.current_term
    }
    /// The candidate this node voted for in its current term.
    pub fn voted_for(&self) -> Option<&ProcessId> {
        self.voted_for.as_ref()
    }
    /// What this node is doing in its term.
    pub fn role(&self) -> Role {
        self.role
    }
    /// Whether this node leads its term.
    pub fn is_leader(&self) -> bool {
        self.role == Role::Leader
    }
    /// The leader this node knows of in its term.
    pub fn leader(&self) -> Option<&ProcessId> {
        self.leader.as_ref()
    }
    /// The entries the log holds: without a snapshot the whole log, entry `i` at
    /// position `i - 1`; after one, the entries from `snapshot_index() + 1` on.
    pub fn log(&self) -> &[Entry] {
        &self.log
    }
    /// Index of the last entry (0 for an empty log; the snapshot's last index when the
    /// snapshot covers every entry).
    pub fn last_index(&self) -> Index {
        self.snapshot_index + self.log.len() as Index
    }
    /// Term of the last entry (0 for an empty log).
    pub fn last_term(&self) -> Term {
        self.log.last().map_or(self.snapshot_term, |e| e.term)
    }
    /// The entry at `index`, if the log holds one (`None` past the end, and for an
    /// index the snapshot covers: that entry was discarded).
    pub fn entry(&self, index: Index) -> Option<&Entry> {
        let at = usize::try_from(index.checked_sub(self.snapshot_index + 1)?).ok()?;
        self.log.get(at)
    }
    /// The term of the entry at `index` (0 for index 0, the snapshot's term at its last
    /// index, `None` past the end or before the snapshot's last index).
    pub fn term_at(&self, index: Index) -> Option<Term> {
        if index == self.snapshot_index {
            Some(self.snapshot_term)
        } else {
            self.entry(index).map(|e| e.term)
        }
    }
    /// The last index the snapshot covers (0 without a snapshot).
    pub fn snapshot_index(&self) -> Index {
        self.snapshot_index
    }
    /// The term of the entry at [`Server::snapshot_index`].
    pub fn snapshot_term(&self) -> Term {
        self.snapshot_term
    }
    /// The size of the snapshot in bytes (0 without one).
    pub fn snapshot_size(&self) -> usize {
        self.snapshot_bytes.len()
    }
    /// The highest index known committed here.
    pub fn commit_index(&self) -> Index {
        self.commit_index
    }
    /// The highest index applied to the state machine here.
    pub fn last_applied(&self) -> Index {
        self.last_applied
    }
    /// The replicated key-value store as applied here.
    pub fn state_machine(&self) -> &StateMachine {
        &self.state_machine
    }
    /// The log's length on disk after the last completed write.
    pub fn durable_last(&self) -> Index {
        self.durable_last
    }
    /// Leader only: the match index this node holds for `peer`.
    pub fn match_index(&self, peer: &str) -> Option<Index> {
        self.progress.get(peer).map(|p| p.match_index)
    }
    /// Leader only: the next index this node will send `peer`.
    pub fn next_index(&self, peer: &str) -> Option<Index> {
        self.progress.get(peer).map(|p| p.next_index)
    }
    /// This round's election timeout.
    pub fn election_timeout(&self) -> Tick {
        self.election_timeout
    }
    /// Clients waiting here for a write to apply.
    pub fn waiting_clients(&self) -> usize {
        self.waiting.len()
    }
    /// Reads waiting here for leadership to be confirmed or the log applied.
    pub fn pending_reads(&self) -> usize {
        self.reads.len()
    }
    /// The latest ReadIndex round this node started.
    pub fn read_round(&self) -> u64 {
        self.read_round
    }
    /// What this node has done since it started.
    pub fn stats(&self) -> Stats {
        self.stats
    }
    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }
    /// The votes this incarnation has announced, by term.
    pub fn announced_votes(&self) -> &BTreeMap<Term, ProcessId> {
        &self.announced_votes
    }
    /// A storage error that stopped this node, if any.
    pub fn halted(&self) -> Option<&StoreError> {
        self.halted.as_ref()
    }

    /// Test set-up: append a no-op of `term` to the log (raising the node's term to it if
    /// lower) and persist it, as if a leader of `term` had sent it.
    pub fn append_for_test(&mut self, ctx: &mut Ctx<'_, Self>, term: Term) {
        if term > self.current_term {
            self.current_term = term;
            self.hard_state_dirty = true;
        }
        self.append(Entry {
            term,
            command: crate::messages::Command::NoOp,
        });
        self.persist(ctx, |_, _| {});
    }

    // ----- terms and roles -----

    /// Restart the election timer with a fresh random timeout from the node's stream.
    pub(crate) fn reset_election_timer(&mut self, ctx: &mut Ctx<'_, Self>) {
        let (min, max) = self.config.election_timeout_ticks;
        self.election_elapsed = 0;
        self.election_timeout = ctx.rng().range(min, max.max(min));
    }

    /// Become a follower in `term` (at least the current term). The vote is forgotten
    /// only when the term increases: a candidate that steps down in its own term keeps
    /// the vote it cast for itself (bug R3 cleared it and could vote twice).
    pub(crate) fn become_follower(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        term: Term,
        leader: Option<ProcessId>,
    ) {
        assert!(
            term >= self.current_term,
            "a node never goes back to an older term"
        );
        if term > self.current_term {
            self.current_term = term;
            self.voted_for = None;
            self.hard_state_dirty = true;
        }
        if self.role != Role::Follower {
            ctx.note(format!("becomes follower in term {term}"));
        }
        let was_leading = self.role == Role::Leader;
        self.role = Role::Follower;
        self.leader = leader;
        self.votes.clear();
        self.progress.clear();
        if was_leading {
            // Only a leader holds clients, reads and admin requests.
            self.send_clients_away(ctx);
        }
    }

    /// Answer every waiting client and read `NotLeader`, with this node's leader hint.
    /// Their requests may still be applied: a client that retries elsewhere with the same
    /// id gets the outcome once.
    pub(crate) fn send_clients_away(&mut self, ctx: &mut Ctx<'_, Self>) {
        let hint = self.leader.clone().filter(|l| *l != self.id);
        self.answer_admin_requests(ctx, hint.clone());
        for waiter in std::mem::take(&mut self.waiting) {
            let msg = Msg::NotLeader {
                request: waiter.request,
                hint: hint.clone(),
            };
            ctx.reply(&waiter.envelope, msg);
        }
        for read in std::mem::take(&mut self.reads) {
            let msg = Msg::NotLeader {
                request: read.request,
                hint: hint.clone(),
            };
            ctx.reply(&read.envelope, msg);
        }
    }

    /// Count a message to another server and send it.
    pub(crate) fn send_to(&mut self, ctx: &mut Ctx<'_, Self>, to: &ProcessId, msg: Msg) {
        if *to != self.id {
            self.stats.messages_to_servers += 1;
        }
        ctx.send(to.clone(), msg);
    }

    // ----- the log in memory -----

    /// Remove the entries from `index` on (a conflicting suffix).
    pub(crate) fn truncate_from(&mut self, ctx: &mut Ctx<'_, Self>, index: Index) {
        assert!(
            index > self.commit_index,
            "a node never truncates a committed entry (index {index}, commit index {})",
            self.commit_index
        );
        ctx.note(format!("truncates its log from index {index}"));
        self.log
            .truncate(usize::try_from(index - self.snapshot_index - 1).unwrap_or(usize::MAX));
        self.mark_log_dirty(index);
        self.note_truncation(index);
    }

    /// Append `entry` at the end of the log.
    pub(crate) fn append(&mut self, entry: Entry) -> Index {
        self.log.push(entry);
        let index = self.last_index();
        self.mark_log_dirty(index);
        self.note_appended_configuration(index);
        index
    }

    pub(crate) fn mark_log_dirty(&mut self, index: Index) {
        self.log_dirty_from = Some(self.log_dirty_from.map_or(index, |d| d.min(index)));
    }

    // ----- persistence -----

    /// Write every change made in memory since the last write (term, vote, truncation,
    /// new entries) as one synced batch; run `then` when it is durable. With nothing to
    /// write and nothing in flight, `then` runs at once; with writes in flight, it runs
    /// when they are durable (writes complete in order).
    pub(crate) fn persist(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        then: impl for<'c> FnOnce(&mut Self, &mut Ctx<'c, Self>) + 'static,
    ) {
        if self.halted.is_some() {
            return;
        }
        let batch = match self.pending_batch() {
            Ok(batch) => batch,
            Err(e) => {
                self.halt(ctx, e);
                return;
            }
        };
        if batch.is_empty() && self.writes_in_flight == 0 {
            then(self, ctx);
            return;
        }
        self.stats.writes += 1;
        self.writes_in_flight += 1;
        let length = self.last_index();
        ctx.write(batch, Durability::Sync, move |node, ctx, result| {
            node.writes_in_flight -= 1;
            if let Err(e) = result {
                node.halt(ctx, e);
                return;
            }
            node.durable_last = length;
            node.after_durable(ctx);
            then(node, ctx);
        });
    }

    /// The batch that brings the disk up to memory: a new snapshot first (it discards
    /// the log it covers), then the term and vote, then the log's changed suffix.
    fn pending_batch(&mut self) -> Result<WriteBatch, StoreError> {
        let mut batch = WriteBatch::new();
        if self.snapshot_dirty {
            self.snapshot_dirty = false;
            batch = batch.install_snapshot(self.snapshot_index, self.snapshot_bytes.clone());
        }
        if self.hard_state_dirty
            && self.config.vote_persistence == VotePersistence::SyncedBeforeReply
        {
            let hard = HardState {
                term: self.current_term,
                voted_for: self.voted_for.clone(),
            };
            batch = batch.put(HARD_STATE_KEY, common::store::encode(&hard)?);
        }
        // The broken twin never writes its term and vote: they live in memory only.
        self.hard_state_dirty = false;
        if let Some(from) = self.log_dirty_from.take() {
            batch = batch.truncate_log_from(from);
            for entry in self
                .log
                .iter()
                .skip(usize::try_from(from - self.snapshot_index - 1).unwrap_or(usize::MAX))
            {
                batch = batch.append(common::store::encode(entry)?);
            }
        }
        Ok(batch)
    }

    /// A write failed: memory is now ahead of a disk that may have skipped the write, so
    /// the node stops answering until it is restarted from what the disk holds (as a real
    /// store must after a failed fsync).
    fn halt(&mut self, ctx: &mut Ctx<'_, Self>, error: StoreError) {
        ctx.note(format!("storage failed, halting until restart: {error}"));
        self.halted = Some(error);
        self.role = Role::Follower;
        self.progress.clear();
        self.waiting.clear();
        self.reads.clear();
        self.change = None;
        self.transfer = None;
    }

    /// A write completed: a leader counts its own disk towards the commit majority.
    fn after_durable(&mut self, ctx: &mut Ctx<'_, Self>) {
        if self.role == Role::Leader {
            self.advance_commit(ctx);
        }
    }

    /// Recover term, vote, snapshot and log from the disk: the state machine starts
    /// from the snapshot (committed and applied through its last index), and the log is
    /// the suffix after it.
    fn recover(&mut self, ctx: &mut Ctx<'_, Self>) -> Result<(), StoreError> {
        let hard = storage::load_hard_state(ctx.store())?;
        self.current_term = hard.term;
        self.voted_for = hard.voted_for;
        let snapshot = storage::load_snapshot(ctx.log())?.unwrap_or_default();
        if ctx.log().first_index() != snapshot.last_index + 1 {
            return Err(StoreError::Decode {
                key: "raft/log".into(),
                reason: format!(
                    "the log starts at index {} but the snapshot ends at {}",
                    ctx.log().first_index(),
                    snapshot.last_index
                ),
            });
        }
        self.snapshot_index = snapshot.last_index;
        self.snapshot_term = snapshot.last_term;
        self.snapshot_bytes = ctx
            .log()
            .snapshot()
            .map(|s| s.data.clone())
            .unwrap_or_default();
        self.state_machine = snapshot.state_machine;
        self.commit_index = self.snapshot_index;
        self.last_applied = self.snapshot_index;
        if self.snapshot_index > 0 {
            // The configuration entries the snapshot covers are gone: it carries the one
            // in force at its last index.
            self.base_configuration = snapshot.configuration;
        }
        self.log = storage::load_log(ctx.log())?;
        self.durable_last = self.last_index();
        let snapshot = if self.snapshot_index > 0 {
            format!(", a snapshot through index {}", self.snapshot_index)
        } else {
            String::new()
        };
        self.refresh_configuration();
        ctx.note(format!(
            "recovered term {}, vote {:?}{snapshot}, {} log entries",
            self.current_term,
            self.voted_for.as_ref().map(ProcessId::as_str),
            self.log.len()
        ));
        Ok(())
    }

    // ----- applying -----

    /// Apply every committed entry not yet applied, answering the clients that wait
    /// here for them.
    pub(crate) fn apply_committed(&mut self, ctx: &mut Ctx<'_, Self>) {
        while self.last_applied < self.commit_index {
            let index = self.last_applied + 1;
            let Some(entry) = self.entry(index).cloned() else {
                break;
            };
            let applied = self.state_machine.apply(index, &entry.command);
            self.last_applied = index;
            self.answer_waiters(ctx, index, &entry, applied);
        }
        self.serve_reads(ctx);
    }

    fn answer_waiters(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        index: Index,
        entry: &Entry,
        applied: Applied,
    ) {
        let (mine, others): (Vec<Waiter>, Vec<Waiter>) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|w| w.index == index);
        self.waiting = others;
        for waiter in mine {
            let own = waiter.term == entry.term && entry.command.request() == Some(&waiter.request);
            let answer = if !own {
                // Another entry won this index: the client's request was not applied
                // here. Send it to the leader again (bug R4 told it "success").
                Msg::NotLeader {
                    request: waiter.request,
                    hint: self.leader.clone(),
                }
            } else {
                match &applied {
                    Applied::Ran(outcome) | Applied::Duplicate { outcome, .. } => Msg::Executed {
                        request: waiter.request.clone(),
                        index: self
                            .state_machine
                            .session(&waiter.request.client)
                            .map_or(index, |s| s.index),
                        outcome: outcome.clone(),
                    },
                    Applied::Superseded { latest } => Msg::Superseded {
                        request: waiter.request,
                        latest: *latest,
                    },
                    Applied::NoOp => continue,
                }
            };
            ctx.reply(&waiter.envelope, answer);
        }
    }

    // ----- the follower's side of AppendEntries -----

    /// The consistency check, and on success the entries merged into the log. Returns
    /// the answer to send once the changes are durable.
    #[allow(clippy::too_many_arguments)]
    fn on_append_entries(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        env: &Envelope<Msg>,
        term: Term,
        leader: ProcessId,
        prev_log_index: Index,
        prev_log_term: Term,
        entries: Vec<Entry>,
        leader_commit: Index,
        read_round: u64,
    ) {
        if term < self.current_term {
            let answer = self.appended(false, 0, None, read_round);
            self.send_to(ctx, &env.from, answer);
            return;
        }
        if term > self.current_term || self.role != Role::Follower {
            self.become_follower(ctx, term, Some(leader.clone()));
        }
        self.leader = Some(leader);
        self.reset_election_timer(ctx);
        let checked = if prev_log_index < self.snapshot_index {
            // Entries the snapshot covers are committed, so they are the leader's too:
            // check and merge only what comes after the snapshot.
            let covered =
                usize::try_from(self.snapshot_index - prev_log_index).unwrap_or(usize::MAX);
            if entries.len() <= covered {
                Ok(prev_log_index + entries.len() as Index)
            } else {
                let (snapshot_index, snapshot_term) = (self.snapshot_index, self.snapshot_term);
                self.check_and_merge(ctx, snapshot_index, snapshot_term, &entries[covered..])
            }
        } else {
            self.check_and_merge(ctx, prev_log_index, prev_log_term, &entries)
        };
        let success = checked.is_ok();
        let answer = match checked {
            Err(hint) => self.appended(false, 0, Some(hint), read_round),
            Ok(match_index) => {
                // Commit only what this request proved we share with the leader (R12).
                let commit = leader_commit.min(match_index);
                if commit > self.commit_index {
                    self.commit_index = commit;
                    self.apply_committed(ctx);
                }
                self.appended(true, match_index, None, read_round)
            }
        };
        let to = env.from.clone();
        if success && self.config.ack_timing == AckTiming::BeforeSync {
            // The broken twin: the leader counts entries this node may lose in a crash.
            self.send_to(ctx, &to, answer);
            self.persist(ctx, |_, _| {});
            return;
        }
        self.persist(ctx, move |node, ctx| {
            // Answer only in the term the request was checked in: a node that has since
            // moved on lets the old leader find out from its next message.
            if node.current_term == term {
                node.send_to(ctx, &to, answer);
            }
        });
    }

    fn appended(
        &self,
        success: bool,
        match_index: Index,
        conflict: Option<ConflictHint>,
        read_round: u64,
    ) -> Msg {
        Msg::Appended {
            term: self.current_term,
            success,
            match_index,
            conflict,
            read_round,
        }
    }

    /// Figure 2, receiver steps 2–4: reject if the log has no entry at `prev_log_index`
    /// with `prev_log_term` (saying where the leader should look next); otherwise delete
    /// an existing entry that conflicts with a new one (same index, different term) and
    /// everything after it, and append the entries not already in the log. Returns the
    /// last index this request covers.
    pub(crate) fn check_and_merge(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        prev_log_index: Index,
        prev_log_term: Term,
        entries: &[Entry],
    ) -> Result<Index, ConflictHint> {
        // exercise: reject with a ConflictHint when the log has no entry at prev_log_index of prev_log_term; otherwise truncate only a conflicting suffix, append what is new, and return prev_log_index + entries.len()
        // solution-begin
        match self.term_at(prev_log_index) {
            None => {
                return Err(ConflictHint {
                    term: None,
                    first_index: self.last_index() + 1,
                });
            }
            Some(term) if term != prev_log_term => {
                let mut first_index = prev_log_index;
                while first_index > 1 && self.term_at(first_index - 1) == Some(term) {
                    first_index -= 1;
                }
                return Err(ConflictHint {
                    term: Some(term),
                    first_index,
                });
            }
            Some(_) => {}
        }
        for (offset, entry) in entries.iter().enumerate() {
            let index = prev_log_index + 1 + offset as Index;
            match self.term_at(index) {
                Some(term) if term == entry.term => continue,
                Some(term) if index <= self.commit_index => {
                    // Only a broken leader asks to replace a committed entry: refuse.
                    self.stats.refused_truncations += 1;
                    return Err(ConflictHint {
                        term: Some(term),
                        first_index: index,
                    });
                }
                Some(_) => self.truncate_from(ctx, index),
                None => {}
            }
            self.append(entry.clone());
        }
        Ok(prev_log_index + entries.len() as Index)
        // solution-end
    }

    // ----- clients -----

    fn on_execute(&mut self, ctx: &mut Ctx<'_, Self>, env: Envelope<Msg>) {
        let Msg::Execute { request, operation } = env.body.clone() else {
            return;
        };
        if let Some(answer) = self.answer_from_session(&request) {
            ctx.reply(&env, answer);
            return;
        }
        if self.role != Role::Leader {
            let hint = self.leader.clone().filter(|l| *l != self.id);
            ctx.reply(&env, Msg::NotLeader { request, hint });
            return;
        }
        let is_read = matches!(operation, crate::messages::Operation::Get { .. });
        if let Some(to) = self.transferring_to().filter(|_| !is_read) {
            // Writes are held during a transfer: the target's log must stop growing away.
            let hint = Some(to.clone());
            ctx.reply(&env, Msg::NotLeader { request, hint });
            return;
        }
        if matches!(operation, crate::messages::Operation::Get { .. })
            && self.config.read_mode == crate::config::ReadMode::ReadIndex
        {
            self.start_read(ctx, env, request, operation);
            return;
        }
        self.propose(ctx, env, request, operation);
    }

    /// The answer to a request this node has already applied, if it has.
    fn answer_from_session(&self, request: &RequestId) -> Option<Msg> {
        let session = self.state_machine.session(&request.client)?;
        if session.seq == request.seq {
            Some(Msg::Executed {
                request: request.clone(),
                index: session.index,
                outcome: session.outcome.clone(),
            })
        } else if session.seq > request.seq {
            Some(Msg::Superseded {
                request: request.clone(),
                latest: session.seq,
            })
        } else {
            None
        }
    }

    /// Check the invariants a node can check alone.
    fn assert_invariants(&self) {
        debug_assert!(
            self.last_applied <= self.commit_index,
            "a node applies only committed entries"
        );
        debug_assert!(
            self.commit_index <= self.last_index() || self.halted.is_some(),
            "a node's commit index never passes its log"
        );
        debug_assert!(
            self.role != Role::Leader || self.voted_for.as_ref() == Some(&self.id),
            "a leader voted for itself in its term"
        );
    }
}

impl Process for Server {
    type Msg = Msg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.incarnation = ctx.incarnation();
        let voters = match &self.config.voters {
            Some(voters) => voters.clone(),
            None => ctx.all_nodes().iter().cloned().collect(),
        };
        self.base_configuration = (0, Configuration::new(voters));
        self.configuration = self.base_configuration.clone();
        if let Err(e) = self.recover(ctx) {
            ctx.note(format!("cannot recover durable state, staying silent: {e}"));
            self.halted = Some(e);
        }
        self.reset_election_timer(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, env: Envelope<Msg>) {
        if self.halted.is_some() {
            return;
        }
        match env.body.clone() {
            Msg::Execute { .. } => self.on_execute(ctx, env),
            Msg::RequestVote {
                term,
                candidate,
                last_log_index,
                last_log_term,
                pre_vote,
                transfer,
            } => self.on_request_vote(
                ctx,
                &env,
                term,
                candidate,
                (last_log_index, last_log_term),
                (pre_vote, transfer),
            ),
            Msg::Vote {
                term,
                granted,
                pre_vote,
            } => self.on_vote(ctx, &env.from, term, granted, pre_vote),
            Msg::AppendEntries {
                term,
                leader,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
                read_round,
            } => self.on_append_entries(
                ctx,
                &env,
                term,
                leader,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
                read_round,
            ),
            Msg::Appended {
                term,
                success,
                match_index,
                conflict,
                read_round,
            } => self.on_appended(
                ctx,
                &env.from,
                term,
                success,
                match_index,
                conflict,
                read_round,
            ),
            Msg::InstallSnapshot {
                term,
                leader,
                last_index,
                last_term,
                offset,
                data,
                done,
            } => self.on_install_snapshot(
                ctx,
                &env,
                term,
                leader,
                (last_index, last_term),
                offset,
                data,
                done,
            ),
            Msg::SnapshotAck {
                term,
                last_index,
                received,
                installed,
            } => self.on_snapshot_ack(ctx, &env.from, term, last_index, received, installed),
            Msg::ChangeMembership { request, change } => {
                self.on_change_membership(ctx, env, request, change);
            }
            Msg::TransferLeadership { request, to } => {
                self.on_transfer_leadership(ctx, env, request, to);
            }
            Msg::TimeoutNow { term } => self.on_timeout_now(ctx, &env.from, term),
            Msg::Executed { .. }
            | Msg::NotLeader { .. }
            | Msg::Superseded { .. }
            | Msg::MembershipChanged { .. }
            | Msg::Refused { .. }
            | Msg::LeadershipTransferred { .. } => {
                ctx.note(format!(
                    "ignored stray {} from {}",
                    env.body.kind(),
                    env.from
                ));
            }
        }
        self.assert_invariants();
    }

    fn on_tick(&mut self, ctx: &mut Ctx<'_, Self>) {
        if self.halted.is_some() {
            return;
        }
        self.maybe_compact(ctx);
        match self.role {
            Role::Leader => {
                self.leader_tick(ctx);
                self.membership_tick(ctx);
                if self.role == Role::Leader {
                    self.transfer_tick(ctx);
                }
            }
            Role::Follower | Role::PreCandidate | Role::Candidate => {
                self.election_elapsed += 1;
                if self.election_elapsed >= self.election_timeout {
                    self.on_election_timeout(ctx);
                } else if self.role != Role::Follower
                    && self
                        .election_elapsed
                        .is_multiple_of(self.config.heartbeat_ticks)
                {
                    self.ask_again(ctx);
                }
            }
        }
        self.assert_invariants();
    }
}
