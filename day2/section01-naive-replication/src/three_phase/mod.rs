//! The "three-phase" server: before proposing anything, ask a majority what is staged
//! and unapplied (query), finish that (recovery), then run the two phases for the new
//! operation.
//!
//! Not the atomic-commitment protocol 3PC: there is no pre-commit state and no abort.
//! The query phase is what makes a coordinator's crash between accept and commit
//! survivable, because any majority overlaps the majority that staged the orphan.
//!
//! The coordinator is written twice, once per [`CoordinatorStyle`]: as nested callbacks
//! ([`callbacks`]) and as an explicit state machine ([`state_machine`]). They send the
//! same messages in the same order.

pub mod callbacks;
pub mod state_machine;

use crate::config::{Behaviour, Config, CoordinatorStyle};
use crate::counters::{Counters, HasCounters};
use crate::messages::{Msg, Operation, TxnId};
use crate::participant::Participant;
use crate::two_phase::Replica;
use common::{Ctx, Envelope, Process, ProcessId};
use std::collections::{BTreeMap, VecDeque};

/// The "three-phase" server. Whichever server a client calls coordinates that request;
/// every server is a participant.
#[derive(Debug)]
pub struct ThreePhaseServer {
    /// Staged and applied operations, and the counters.
    pub participant: Participant,
    config: Config,
    next_seq: u64,
    /// In-flight coordinations of the state-machine style, by local id.
    coordinations: BTreeMap<u64, state_machine::Coordination>,
    next_coordination: u64,
}

impl ThreePhaseServer {
    /// A server with the given settings.
    pub fn new(config: Config) -> Self {
        ThreePhaseServer {
            participant: Participant::new(config.behaviour),
            config,
            next_seq: 0,
            coordinations: BTreeMap::new(),
            next_coordination: 0,
        }
    }

    /// Requests the state-machine coordinator is working on (always 0 for callbacks).
    pub fn coordinations_in_flight(&self) -> usize {
        self.coordinations.len()
    }
}

/// What a recovering coordinator finishes, given the `Pending` replies of a query
/// majority.
///
/// Corrected: every reported operation, once each, in id order. Any operation a
/// majority staged (and so any operation that may have been applied somewhere) is
/// reported by at least one server of every majority, so none is left behind.
/// Original: only the one with the largest id — an arbitrary choice that can finish an
/// operation nobody acknowledged and abandon one a client was told succeeded.
pub fn recovery_plan(
    behaviour: Behaviour,
    replies: &BTreeMap<ProcessId, Msg>,
) -> VecDeque<(TxnId, Operation)> {
    // exercise: collect the orphans to finish from the query replies: all of them in id order (corrected), or only the largest id (original)
    // solution-begin
    let mut reported: BTreeMap<TxnId, Operation> = BTreeMap::new();
    for reply in replies.values() {
        if let Msg::Pending { staged } = reply {
            for (txn, op) in staged {
                reported.insert(txn.clone(), op.clone());
            }
        }
    }
    match behaviour {
        Behaviour::Corrected => reported.into_iter().collect(),
        Behaviour::Original => reported.pop_last().into_iter().collect(),
    }
    // solution-end
}

impl Replica for ThreePhaseServer {
    fn participant_mut(&mut self) -> &mut Participant {
        &mut self.participant
    }
}

impl HasCounters for ThreePhaseServer {
    fn counters(&self) -> &Counters {
        &self.participant.counters
    }
}

impl Process for ThreePhaseServer {
    type Msg = Msg;

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, env: Envelope<Msg>) {
        if let Msg::Execute { op } = &env.body {
            let op = op.clone();
            match self.config.coordinator {
                CoordinatorStyle::Callbacks => self.coordinate_with_callbacks(ctx, env, op),
                CoordinatorStyle::StateMachine => self.start_coordination(ctx, env, op),
            }
        } else if !self.participant.on_message(ctx, &env) {
            ctx.note(format!("three-phase server ignores {:?}", env.body));
        }
    }
}
