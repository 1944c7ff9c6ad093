//! The Raft invariant oracle, checked after every simulated tick over every node that is
//! up. It keeps ghost state — what it has seen so far — and checks the properties of
//! Figure 3 of the paper, each as one named invariant:
//!
//! * **election safety**: at most one leader per term, ever;
//! * **one vote per term**: a node never announces votes for two candidates in one
//!   term, even across a crash and restart;
//! * **log matching**: two logs with an entry of the same index and term hold the same
//!   entry there and the same term before it (so, by induction, the same prefix);
//! * **leader completeness**: a node that becomes leader of a term holds every entry
//!   committed in an earlier term, at its index;
//! * **state machine safety**: no two nodes commit (or apply) different entries at an
//!   index, and a committed entry never leaves a node's log below its commit index;
//! * **one change at a time**: a leader's log never holds two uncommitted
//!   configuration entries (membership changes go one server at a time);
//! * **monotonic commit and apply**: within one incarnation, commit and apply indexes
//!   never go back, and a node applies only committed entries, in order, once, so its
//!   store equals the committed log applied to an empty store.

use common::{Cluster, ClusterView, ProcessId};
use raft::{Entry, Index, Msg, Server, StateMachine, Term};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

#[derive(Default)]
struct NodeGhost {
    incarnation: u32,
    commit: Index,
    applied: Index,
    reference: StateMachine,
    /// (incarnation, writes submitted, commit) when its tail was last checked.
    checked: Option<(u32, u64, Index)>,
}

#[derive(Default)]
pub struct Ghost {
    /// term -> the node that led it.
    leaders: BTreeMap<Term, String>,
    /// (node, term) pairs already checked for leader completeness.
    completeness_checked: BTreeMap<(String, Term), ()>,
    /// The committed log, entry `i` at `i - 1`.
    committed: Vec<Entry>,
    /// Per committed entry, the term in which it was first seen committed (the term of
    /// the node that had committed it; never below the committing leader's term).
    committed_in: Vec<Term>,
    /// (index, term) -> (the entry, the term of the entry before it).
    seen: BTreeMap<(Index, Term), (Entry, Term)>,
    /// (node, term) -> the candidate it voted for.
    votes: BTreeMap<(String, Term), ProcessId>,
    nodes: BTreeMap<String, NodeGhost>,
    /// Elections observed (distinct terms with a leader).
    pub elections: u64,
}

impl Ghost {
    /// The committed log seen so far.
    pub fn committed(&self) -> &[Entry] {
        &self.committed
    }
}

/// Install the oracle; the returned handle lets a test read the ghost state.
pub fn install(cluster: &mut Cluster<Msg>) -> Rc<RefCell<Ghost>> {
    let ghost = Rc::new(RefCell::new(Ghost::default()));
    let g = Rc::clone(&ghost);
    cluster.add_invariant(
        "state machine safety and monotonic commit and apply",
        move |view| check_commit_and_apply(&mut g.borrow_mut(), view),
    );
    let g = Rc::clone(&ghost);
    cluster.add_invariant("log matching", move |view| {
        check_log_matching(&mut g.borrow_mut(), view)
    });
    let g = Rc::clone(&ghost);
    cluster.add_invariant("election safety and leader completeness", move |view| {
        check_leaders(&mut g.borrow_mut(), view)
    });
    let g = Rc::clone(&ghost);
    cluster.add_invariant("one vote per term", move |view| {
        check_votes(&mut g.borrow_mut(), view)
    });
    ghost
}

fn check_commit_and_apply(ghost: &mut Ghost, view: &ClusterView<'_, Msg>) -> Result<(), String> {
    // Learn the committed log from every node's retained entries first: one node may
    // already have compacted entries (step 5) that another, checked later, still holds.
    loop {
        let known = ghost.committed.len();
        for (_, node) in view.nodes::<Server>() {
            while (ghost.committed.len() as Index) < node.commit_index() {
                let index = ghost.committed.len() as Index + 1;
                let Some(entry) = node.entry(index) else {
                    break;
                };
                ghost.committed.push(entry.clone());
                ghost.committed_in.push(node.term());
            }
        }
        // A node may apply, commit and compact an entry within one tick, before the
        // oracle sees it committed anywhere. Its snapshot names the last entry's index
        // and term, and the entries before it follow by log matching from the ones seen
        // in logs (each seen entry records the term of the entry before it).
        for (_, node) in view.nodes::<Server>() {
            let known_len = ghost.committed.len() as Index;
            if node.snapshot_index() <= known_len {
                continue;
            }
            let mut chain = Vec::new();
            let (mut index, mut term) = (node.snapshot_index(), node.snapshot_term());
            while index > known_len {
                let Some((entry, before)) = ghost.seen.get(&(index, term)) else {
                    break;
                };
                chain.push(entry.clone());
                (index, term) = (index - 1, *before);
            }
            if index == known_len {
                for entry in chain.into_iter().rev() {
                    ghost.committed.push(entry);
                    ghost.committed_in.push(node.term());
                }
            }
        }
        if ghost.committed.len() == known {
            break;
        }
    }
    for (id, node) in view.nodes::<Server>() {
        let id = id.to_string();
        let state = ghost.nodes.entry(id.clone()).or_default();
        if state.incarnation != node.incarnation() {
            *state = NodeGhost {
                incarnation: node.incarnation(),
                ..NodeGhost::default()
            };
        }
        let commit = node.commit_index();
        if commit < state.commit {
            return Err(format!(
                "{id}'s commit index went back from {} to {commit}",
                state.commit
            ));
        }
        for index in state.commit + 1..=commit {
            if index <= node.snapshot_index() {
                // Compacted: the snapshot stands for entries this node applied, which
                // the oracle saw committed; its store is compared with them below.
                if index as usize > ghost.committed.len() {
                    return Err(format!(
                        "{id} holds a snapshot through index {} but only {} entries were ever seen committed",
                        node.snapshot_index(),
                        ghost.committed.len()
                    ));
                }
                continue;
            }
            let Some(entry) = node.entry(index) else {
                return Err(format!(
                    "{id} marks index {index} committed but its log ends at {}",
                    node.last_index()
                ));
            };
            match ghost.committed.get(index as usize - 1) {
                Some(known) if known != entry => {
                    return Err(format!(
                        "two entries committed at index {index}: {known} was committed before, now {id} commits {entry}"
                    ));
                }
                Some(_) => {}
                None => {
                    ghost.committed.push(entry.clone());
                    ghost.committed_in.push(node.term());
                }
            }
        }
        state.commit = commit;
        if commit > node.snapshot_index()
            && node.entry(commit) != ghost.committed.get(commit as usize - 1)
        {
            return Err(format!(
                "{id}'s log no longer holds the committed entry at its commit index {commit}"
            ));
        }
        let applied = node.last_applied();
        if applied < state.applied {
            return Err(format!(
                "{id}'s applied index went back from {} to {applied}",
                state.applied
            ));
        }
        if applied > commit {
            return Err(format!(
                "{id} applied through {applied}, past its commit index {commit}"
            ));
        }
        if applied > state.applied {
            for index in state.applied + 1..=applied {
                let entry = &ghost.committed[index as usize - 1];
                state.reference.apply(index, &entry.command);
            }
            state.applied = applied;
            if *node.state_machine() != state.reference {
                return Err(format!(
                    "{id} applied through index {applied}, but its store differs from the committed log applied once, in order"
                ));
            }
        }
    }
    Ok(())
}

fn check_log_matching(ghost: &mut Ghost, view: &ClusterView<'_, Msg>) -> Result<(), String> {
    for (id, node) in view.nodes::<Server>() {
        let state = ghost.nodes.entry(id.to_string()).or_default();
        let fingerprint = (node.incarnation(), node.stats().writes, node.commit_index());
        if state.checked == Some(fingerprint) {
            continue;
        }
        state.checked = Some(fingerprint);
        // Entries up to the commit index are checked against the committed log; check
        // the tail, and the last committed entry as the anchor of the tail.
        let from = node.commit_index().max(node.snapshot_index() + 1);
        for index in from..=node.last_index() {
            let entry = node.entry(index).expect("index within the log");
            let before = node.term_at(index - 1).expect("index within the log");
            match ghost.seen.get(&(index, entry.term)) {
                None => {
                    ghost
                        .seen
                        .insert((index, entry.term), (entry.clone(), before));
                }
                Some((known, known_before)) if known != entry || *known_before != before => {
                    return Err(format!(
                        "log matching: {id} holds {entry} at index {index} after a term-{before} entry, but another log holds {known} there after a term-{known_before} entry"
                    ));
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}

fn check_leaders(ghost: &mut Ghost, view: &ClusterView<'_, Msg>) -> Result<(), String> {
    for (id, node) in view.nodes::<Server>() {
        if !node.is_leader() {
            continue;
        }
        let term = node.term();
        match ghost.leaders.get(&term) {
            Some(other) if other != id.as_str() => {
                return Err(format!("two leaders in term {term}: {other} and {id}"));
            }
            Some(_) => {}
            None => {
                ghost.leaders.insert(term, id.to_string());
                ghost.elections += 1;
            }
        }
        // One change at a time: a leader's log holds at most one configuration entry
        // that is not committed (anywhere: a leader's own commit index may lag behind).
        let committed = (ghost.committed.len() as Index).max(node.commit_index());
        let uncommitted = (committed + 1..=node.last_index())
            .filter(|&i| {
                node.entry(i)
                    .is_some_and(|e| matches!(e.command, raft::Command::Configuration(_)))
            })
            .count();
        if uncommitted > 1 {
            return Err(format!(
                "one change at a time: {id} leads term {term} with {uncommitted} uncommitted configurations"
            ));
        }
        let key = (id.to_string(), term);
        if ghost.completeness_checked.contains_key(&key) {
            continue;
        }
        ghost.completeness_checked.insert(key, ());
        // Figure 3: an entry committed in a term is in the log of the leader of every
        // higher term. (A leader of an older term may still be elected late, by votes
        // cast before the entry committed; it is deposed at its first contact.)
        for (i, (entry, committed_in)) in
            ghost.committed.iter().zip(&ghost.committed_in).enumerate()
        {
            let index = i as Index + 1;
            let held = if index < node.snapshot_index() {
                true // compacted into the snapshot, whose store the oracle compares
            } else if index == node.snapshot_index() {
                node.snapshot_term() == entry.term
            } else {
                node.entry(index) == Some(entry)
            };
            if *committed_in < term && !held {
                return Err(format!(
                    "leader completeness: {id} leads term {term} without the committed entry {entry} at index {index}"
                ));
            }
        }
    }
    Ok(())
}

fn check_votes(ghost: &mut Ghost, view: &ClusterView<'_, Msg>) -> Result<(), String> {
    // Only an announced vote counts: a vote in memory that was never sent may be cast
    // again after a crash. Votes are announced in increasing terms; the last two are new.
    for (id, node) in view.nodes::<Server>() {
        for (term, vote) in node.announced_votes().iter().rev().take(2) {
            let key = (id.to_string(), *term);
            match ghost.votes.get(&key) {
                Some(earlier) if earlier != vote => {
                    return Err(format!(
                        "{id} voted twice in term {term}: for {earlier}, then for {vote}"
                    ));
                }
                Some(_) => {}
                None => {
                    ghost.votes.insert(key, vote.clone());
                }
            }
        }
    }
    Ok(())
}
