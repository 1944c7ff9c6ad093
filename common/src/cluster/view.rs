//! What invariants see: a read-only view of every node.

use super::slot::{DynNode, NodeSlot};
use crate::id::ProcessId;
use crate::msg::Message;
use crate::node::Continuations;
use crate::process::Process;
use crate::store::SimKv;
use crate::time::Tick;
use std::collections::BTreeMap;

/// A read-only view of the cluster, given to invariants.
pub struct ClusterView<'a, M: Message> {
    pub(super) nodes: &'a [Box<dyn DynNode<M>>],
    pub(super) index: &'a BTreeMap<ProcessId, usize>,
    pub(super) now: Tick,
}

impl<'a, M: Message> ClusterView<'a, M> {
    /// The current tick.
    pub fn now(&self) -> Tick {
        self.now
    }

    /// The process of a running (or paused) node of type `P`; `None` if it is down or of
    /// another type.
    pub fn node<P: Process<Msg = M>>(&self, id: &str) -> Option<&'a P> {
        let slot = self.nodes.get(*self.index.get(id)?)?;
        slot.as_any().downcast_ref::<NodeSlot<P>>()?.node.process()
    }

    /// Every live node of type `P`, in cluster order.
    pub fn nodes<P: Process<Msg = M>>(&self) -> Vec<(&'a ProcessId, &'a P)> {
        self.nodes
            .iter()
            .filter_map(|slot| {
                let slot = slot.as_any().downcast_ref::<NodeSlot<P>>()?;
                Some((&slot.node.meta().id, slot.node.process()?))
            })
            .collect()
    }

    /// A node's storage.
    pub fn store(&self, id: &str) -> Option<&'a SimKv> {
        Some(&self.nodes.get(*self.index.get(id)?)?.io().kv)
    }

    /// What node `id` waits for (requests, timers, quorums, storage), as data; `None`
    /// if it is down or of another type.
    pub fn continuations<P: Process<Msg = M>>(&self, id: &str) -> Option<Continuations> {
        let slot = self.nodes.get(*self.index.get(id)?)?;
        let slot = slot.as_any().downcast_ref::<NodeSlot<P>>()?;
        slot.node.is_running().then(|| slot.node.continuations())
    }
}
