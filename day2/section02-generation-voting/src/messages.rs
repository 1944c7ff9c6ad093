//! Every message of the section, in one `enum`.

use common::Message;
use serde::{Deserialize, Serialize};

/// The messages of generation voting, and of the fenced resource the servers guard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Msg {
    /// Client → any server: run an election and hand me a new generation number. The
    /// server that receives it is the election's coordinator.
    NextGeneration,
    /// Coordinator → client: this number was won by a majority of votes; nobody else
    /// will ever be handed it.
    Generation {
        /// The number won.
        generation: u64,
    },
    /// Coordinator → client: a newer election started at this coordinator overtook yours
    /// (a later request to the same server). Explicit, so the client does not wait for a
    /// timeout (the original never answered).
    Superseded {
        /// The newer election's number.
        by: u64,
    },
    /// Coordinator → client: no majority voted for any of this coordinator's attempts
    /// (it is on the minority side of a partition, or kept losing duels).
    ElectionFailed {
        /// Elections tried.
        attempts: u32,
        /// The highest number this coordinator has seen in use, for diagnosis.
        highest_seen: u64,
    },
    /// Coordinator → every server (itself included): will you vote for `generation`?
    /// Also usable by a test client to probe one voter directly.
    Prepare {
        /// The proposed number.
        generation: u64,
    },
    /// Voter → coordinator: yes, and I have made that durable: I will never vote for
    /// `generation` (or anything lower) again.
    Promise {
        /// The number voted for.
        generation: u64,
    },
    /// Voter → coordinator: no, I already promised `promised`, which is at least as high.
    /// The coordinator uses it to pick its next candidate above it.
    Reject {
        /// The voter's current promise.
        promised: u64,
    },
    /// A holder of `generation` → a server, as a guarded resource: store `value`. The
    /// generation is a fencing token: a server that has seen a higher one refuses.
    Write {
        /// The writer's generation.
        generation: u64,
        /// What to store.
        value: String,
    },
    /// Server → writer: stored, durably: a crash and restart will not forget it, nor
    /// let an older generation through again.
    Written {
        /// The generation the write carried.
        generation: u64,
    },
    /// Server → writer: the write passed the fence but its storage write failed, so it
    /// is not acknowledged. Explicit, so the writer retries instead of waiting for a
    /// timeout.
    WriteFailed {
        /// The generation the write carried.
        generation: u64,
    },
    /// Server → writer: refused, this server has seen `seen`, which is higher. The writer
    /// is a stale leader and must stop.
    Fenced {
        /// The highest generation this server has seen.
        seen: u64,
    },
}

impl Message for Msg {
    fn kind(&self) -> &'static str {
        match self {
            Msg::NextGeneration => "NextGeneration",
            Msg::Generation { .. } => "Generation",
            Msg::Superseded { .. } => "Superseded",
            Msg::ElectionFailed { .. } => "ElectionFailed",
            Msg::Prepare { .. } => "Prepare",
            Msg::Promise { .. } => "Promise",
            Msg::Reject { .. } => "Reject",
            Msg::Write { .. } => "Write",
            Msg::Written { .. } => "Written",
            Msg::WriteFailed { .. } => "WriteFailed",
            Msg::Fenced { .. } => "Fenced",
        }
    }
}
