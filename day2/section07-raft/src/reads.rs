//! Linearizable reads by ReadIndex (§6.4 of the Raft dissertation), without writing the
//! read to the log.
//!
//! A leader may answer a read from its own state machine only if no other leader could
//! have committed a write it has not applied. So it:
//! 1. waits until the no-op of its term has committed (until then it does not know the
//!    full committed prefix: entries of earlier terms may be committed that it has not
//!    marked committed);
//! 2. records its commit index as the read's *read index*;
//! 3. starts a heartbeat round and waits until a majority has answered an AppendEntries
//!    of that round in its term: at that moment it was still the leader, so nothing was
//!    committed that it did not know of;
//! 4. waits until it has applied the read index, and answers from its state machine.
//!
//! A round starts at the end of a tick, so the reads that arrived during the tick share
//! it. A follower (or a node that is no
//! longer the leader) answers `NotLeader` instead: the Java section answered reads from
//! any node's local state, so a client could read a value older than one it had already
//! seen acknowledged (bug R5).

use crate::messages::{Index, Msg, Operation, Outcome, RequestId};
use crate::server::{Role, Server};
use common::{Ctx, Envelope};

/// A read waiting at the leader.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PendingRead {
    pub(crate) envelope: Envelope<Msg>,
    pub(crate) request: RequestId,
    pub(crate) key: String,
    /// The commit index when the read's round started (`None` until then).
    pub(crate) read_index: Option<Index>,
    /// The heartbeat round that confirms leadership for this read.
    pub(crate) round: u64,
}

impl Server {
    /// A `Get` arrived at the leader.
    pub(crate) fn start_read(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        envelope: Envelope<Msg>,
        request: RequestId,
        operation: Operation,
    ) {
        let _ = ctx;
        self.reads.push(PendingRead {
            envelope,
            request,
            key: operation.key().to_string(),
            read_index: None,
            round: 0,
        });
    }

    /// End of a tick: give every read that arrived since the last round, once this term's
    /// no-op has committed, the commit index as its read index and one new heartbeat
    /// round, shared by all of them.
    pub(crate) fn start_read_round(&mut self, ctx: &mut Ctx<'_, Self>) {
        // exercise: once this term's no-op has committed (commit_index >= term_start), give every read without a read index the commit index and a new round (read_round + 1), and send every follower a heartbeat at once
        // solution-begin
        if self.commit_index < self.term_start || self.reads.iter().all(|r| r.read_index.is_some())
        {
            return;
        }
        self.read_round += 1;
        for read in self.reads.iter_mut().filter(|r| r.read_index.is_none()) {
            read.read_index = Some(self.commit_index);
            read.round = self.read_round;
        }
        for peer in self.replication_targets() {
            self.heartbeat(ctx, &peer);
        }
        // solution-end
        self.serve_reads(ctx);
    }

    /// Answer the reads whose round a majority has acknowledged in this term and whose
    /// read index is applied.
    pub(crate) fn serve_reads(&mut self, ctx: &mut Ctx<'_, Self>) {
        if self.role != Role::Leader || self.reads.is_empty() {
            return;
        }
        // exercise: the confirmed round is the highest round a majority (this node counting with its latest round) has answered; answer from the state machine every read whose round is confirmed and whose read index is applied
        // solution-begin
        let confirmed = self.configuration().quorum_value(|id| {
            if *id == self.id {
                Some(self.read_round)
            } else {
                self.progress.get(id).map(|p| p.acked_round)
            }
        });
        let applied = self.last_applied;
        let (ready, waiting): (Vec<PendingRead>, Vec<PendingRead>) =
            std::mem::take(&mut self.reads)
                .into_iter()
                .partition(|r| r.round <= confirmed && r.read_index.is_some_and(|i| i <= applied));
        self.reads = waiting;
        for read in ready {
            let value = self.state_machine.get(&read.key).map(str::to_string);
            let answer = Msg::Executed {
                request: read.request,
                index: read.read_index.unwrap_or(applied),
                outcome: Outcome::Read { value },
            };
            ctx.reply(&read.envelope, answer);
        }
        // solution-end
    }
}
