//! The memoised searches behind [`Checker`](super::Checker).

use super::{Consistency, Counterexample, GaveUp, Model, PartOrder, Verdict};
use crate::history::{History, Op, Outcome, ToValue, Value};
use crate::id::{OpId, ProcessId};
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{BuildHasherDefault, Hasher};

/// Completion time of an operation whose outcome is unknown: after everything.
const NEVER: u64 = u64::MAX;
/// End of the entry list.
const NIL: usize = usize::MAX;
/// Operations shown at most in a counterexample's timeline.
const TIMELINE_OPS_MAX: usize = 24;
/// Operations of the explained prefix shown before the stuck ones.
const TIMELINE_CONTEXT_OPS: usize = 5;

/// An operation as the search sees it.
struct Candidate<'h, I, O> {
    id: OpId,
    input: &'h I,
    /// `None` for `info` and pending operations (output unknown).
    output: Option<&'h O>,
    client: usize,
    /// Invocation sequence number.
    call: u64,
    /// Completion sequence number, or [`NEVER`] when the outcome is unknown.
    ret: u64,
}

impl<I, O> Clone for Candidate<'_, I, O> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I, O> Copy for Candidate<'_, I, O> {}

impl<I, O> Candidate<'_, I, O> {
    fn definite(&self) -> bool {
        self.ret != NEVER
    }
}

/// What one partition's search found (indices into the partition's candidates).
enum Found<S> {
    Order(Vec<usize>),
    Stuck(Stuck<S>),
    GaveUp(u64),
}

/// The deepest point a failed search reached.
struct Stuck<S> {
    prefix: Vec<usize>,
    state: S,
    stuck: Vec<usize>,
}

/// A small, fast, deterministic hasher (FxHash's multiply-rotate) for the memo.
#[derive(Default)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }
    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, word: usize) {
        self.write_u64(word as u64);
    }
}

/// The memo of explored (linearized set, model state) pairs. Only membership is ever
/// asked; it is never iterated, so its hash order cannot leak into any result. A hash
/// set is used rather than a `BTreeSet`: on the 10,000-operation benchmark the ordered
/// set made the linearizability check about twice as slow (and would force `Ord` on
/// every model state).
#[allow(clippy::disallowed_types)]
type Memo<S> = std::collections::HashSet<(Box<[u64]>, S), BuildHasherDefault<FxHasher>>;

/// A set of operation indices.
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: usize) -> Self {
        Bits(vec![0; n.div_ceil(64)])
    }
    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    fn clear(&mut self, i: usize) {
        self.0[i / 64] &= !(1 << (i % 64));
    }
    fn contains(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }
}

/// Tries `op` from `state`; on a new (set, state) pair returns the next state with the
/// op's bit set, else leaves `placed` as it was.
fn try_step<M: Model>(
    model: &M,
    memo: &mut Memo<M::State>,
    placed: &mut Bits,
    state: &M::State,
    op: usize,
    candidate: &Candidate<'_, M::Input, M::Output>,
) -> Option<M::State> {
    let next = model.step(state, candidate.input, candidate.output)?;
    placed.set(op);
    if memo.insert((placed.0.clone().into_boxed_slice(), next.clone())) {
        Some(next)
    } else {
        placed.clear(op);
        None
    }
}

pub(super) fn check<M>(
    model: &M,
    history: &History<M::Input, M::Output>,
    consistency: Consistency,
    max_states: u64,
    linearizable_first: bool,
) -> Verdict
where
    M: Model,
    M::Input: Op,
    M::Output: ToValue,
{
    let mut clients: BTreeMap<&ProcessId, usize> = BTreeMap::new();
    let mut candidates = Vec::new();
    for op in history.ops() {
        let next_client = clients.len();
        let client = *clients.entry(op.client()).or_insert(next_client);
        let (output, ret) = match (op.outcome(), op.completion()) {
            (Outcome::Fail, _) => continue, // definitely did not happen
            (Outcome::Ok(output), Some(done)) => (Some(output), done.seq),
            _ => (None, NEVER),
        };
        candidates.push(Candidate {
            id: op.id(),
            input: op.input(),
            output,
            client,
            call: op.invoke_seq(),
            ret,
        });
    }
    if consistency == Consistency::SequentialConsistency && linearizable_first {
        // A linearization respects every client's program order, so it is also a
        // sequentially consistent order, and real-time order prunes the search hard.
        if let Some(order) = whole_linearization(model, &candidates, max_states) {
            return Verdict::Ok(vec![PartOrder { key: None, order }]);
        }
    }
    let parts = match consistency {
        Consistency::Linearizability => split(model, &candidates),
        // Sequential consistency is not compositional: check the history as a whole.
        Consistency::SequentialConsistency => vec![(None, candidates)],
    };
    let mut orders = Vec::new();
    // A partition that runs out of budget does not stop the others: a violation
    // elsewhere is still a definite answer.
    let mut gave_up = None;
    for (key, part) in parts {
        let found = match consistency {
            Consistency::Linearizability => linearize(model, &part, max_states),
            Consistency::SequentialConsistency => {
                sequentialize(model, &part, clients.len(), max_states)
            }
        };
        match found {
            Found::Order(order) => orders.push(PartOrder {
                key,
                order: order.iter().map(|&i| part[i].id).collect(),
            }),
            Found::GaveUp(states_explored) => {
                gave_up = gave_up.or(Some(GaveUp {
                    consistency,
                    key,
                    states_explored,
                    max_states,
                }));
            }
            Found::Stuck(stuck) => {
                return Verdict::Violation(counterexample::<M>(
                    history,
                    consistency,
                    key,
                    &part,
                    stuck,
                ));
            }
        }
    }
    match gave_up {
        Some(gave_up) => Verdict::GaveUp(gave_up),
        None => Verdict::Ok(orders),
    }
}

type Part<'h, I, O> = (Option<Value>, Vec<Candidate<'h, I, O>>);

/// Splits candidates by the model's partition key (all in one part if any has none).
fn split<'h, M: Model>(
    model: &M,
    candidates: &[Candidate<'h, M::Input, M::Output>],
) -> Vec<Part<'h, M::Input, M::Output>> {
    let keys: Option<Vec<Value>> = candidates
        .iter()
        .map(|c| model.partition(c.input))
        .collect();
    let Some(keys) = keys else {
        return vec![(None, candidates.to_vec())];
    };
    if candidates.is_empty() {
        return vec![(None, Vec::new())];
    }
    let mut parts: BTreeMap<Value, Vec<_>> = BTreeMap::new();
    for (key, candidate) in keys.into_iter().zip(candidates) {
        parts.entry(key).or_default().push(*candidate);
    }
    parts.into_iter().map(|(k, v)| (Some(k), v)).collect()
}

/// One linearization of the whole history, if it is linearizable.
///
/// Each partition is linearized on its own, then the partitions' orders are merged: the
/// next operation is the head of some partition's order that no operation still to be
/// placed precedes in real time. Linearizability is compositional (Herlihy and Wing),
/// so the per-partition orders and real time never conflict and the merge cannot get
/// stuck; if it ever did, the whole history is searched instead.
fn whole_linearization<M: Model>(
    model: &M,
    candidates: &[Candidate<'_, M::Input, M::Output>],
    max_states: u64,
) -> Option<Vec<OpId>> {
    let parts = split(model, candidates);
    let mut orders = Vec::new();
    for (_, part) in &parts {
        match linearize(model, part, max_states) {
            Found::Order(order) => orders.push(order),
            Found::Stuck(_) | Found::GaveUp(_) => return None,
        }
    }
    // Definite operations not placed yet, by completion: the first one blocks every
    // operation invoked after it completed.
    let mut waiting: BTreeSet<(u64, OpId)> = parts
        .iter()
        .flat_map(|(_, part)| part.iter())
        .filter(|c| c.definite())
        .map(|c| (c.ret, c.id))
        .collect();
    let mut heads = vec![0usize; parts.len()];
    let total: usize = orders.iter().map(Vec::len).sum();
    let mut merged = Vec::with_capacity(total);
    while merged.len() < total {
        let blocked_after = waiting.first().map_or(NEVER, |&(ret, _)| ret);
        let next = (0..parts.len()).find(|&p| {
            orders[p]
                .get(heads[p])
                .is_some_and(|&i| parts[p].1[i].call < blocked_after)
        });
        let Some(p) = next else {
            return linearize_whole(model, candidates, max_states);
        };
        let op = parts[p].1[orders[p][heads[p]]];
        heads[p] += 1;
        waiting.remove(&(op.ret, op.id));
        merged.push(op.id);
    }
    Some(merged)
}

/// [`linearize`] over the unsplit history, as operation ids.
fn linearize_whole<M: Model>(
    model: &M,
    candidates: &[Candidate<'_, M::Input, M::Output>],
    max_states: u64,
) -> Option<Vec<OpId>> {
    match linearize(model, candidates, max_states) {
        Found::Order(order) => Some(order.iter().map(|&i| candidates[i].id).collect()),
        Found::Stuck(_) | Found::GaveUp(_) => None,
    }
}

/// Wing–Gong search with Lowe's memoisation over one partition.
fn linearize<M: Model>(
    model: &M,
    ops: &[Candidate<'_, M::Input, M::Output>],
    max_states: u64,
) -> Found<M::State> {
    let n = ops.len();
    // Entry i < n is the invocation of op i; entry n + i is its completion.
    let time = |e: usize| if e < n { ops[e].call } else { ops[e - n].ret };
    let mut order: Vec<usize> = (0..2 * n).collect();
    order.sort_by_key(|&e| (time(e), e));
    let head = 2 * n;
    let mut next = vec![NIL; 2 * n + 1];
    let mut prev = vec![NIL; 2 * n + 1];
    let mut last = head;
    for &e in &order {
        next[last] = e;
        prev[e] = last;
        last = e;
    }
    let lift = |next: &mut [usize], prev: &mut [usize], e: usize| {
        let (p, q) = (prev[e], next[e]);
        next[p] = q;
        if q != NIL {
            prev[q] = p;
        }
    };
    let unlift = |next: &mut [usize], prev: &mut [usize], e: usize| {
        let (p, q) = (prev[e], next[e]);
        next[p] = e;
        if q != NIL {
            prev[q] = e;
        }
    };

    let mut placed = Bits::new(n);
    let mut memo: Memo<M::State> = Memo::default();
    let mut stack: Vec<(usize, M::State)> = Vec::new();
    let mut state = model.init();
    let mut explored = 0u64;
    let mut deepest: Option<Stuck<M::State>> = None;
    let mut entry = next[head];
    loop {
        if entry == NIL {
            return Found::Order(stack.iter().map(|(op, _)| *op).collect());
        }
        if entry < n {
            let op = entry;
            if explored == max_states {
                return Found::GaveUp(explored);
            }
            explored += 1;
            if let Some(next_state) = try_step(model, &mut memo, &mut placed, &state, op, &ops[op])
            {
                stack.push((op, std::mem::replace(&mut state, next_state)));
                lift(&mut next, &mut prev, op);
                lift(&mut next, &mut prev, n + op);
                entry = next[head];
            } else {
                entry = next[entry];
            }
            continue;
        }
        // A completion: everything invoked before it has been tried.
        if !ops[entry - n].definite() {
            // Only operations of unknown outcome remain: they never took effect.
            return Found::Order(stack.iter().map(|(op, _)| *op).collect());
        }
        if deepest
            .as_ref()
            .is_none_or(|d| stack.len() > d.prefix.len())
        {
            let mut stuck = Vec::new();
            let mut e = next[head];
            while e != entry {
                if e < n {
                    stuck.push(e);
                }
                e = next[e];
            }
            deepest = Some(Stuck {
                prefix: stack.iter().map(|(op, _)| *op).collect(),
                state: state.clone(),
                stuck,
            });
        }
        let Some((op, previous)) = stack.pop() else {
            let deepest = deepest.unwrap_or_else(|| {
                unreachable!("a failed search records its deepest point before giving up")
            });
            return Found::Stuck(deepest);
        };
        unlift(&mut next, &mut prev, n + op);
        unlift(&mut next, &mut prev, op);
        placed.clear(op);
        state = previous;
        entry = next[op];
    }
}

/// A level of the sequential-consistency search: the candidates and the next to try.
struct Frame {
    candidates: Vec<usize>,
    tried: usize,
}

/// The memoised search with per-client program order in place of real time.
fn sequentialize<M: Model>(
    model: &M,
    ops: &[Candidate<'_, M::Input, M::Output>],
    client_count: usize,
    max_states: u64,
) -> Found<M::State> {
    // Per client: its definite operations in program order, and its operations of
    // unknown outcome with the number of its definite operations that precede them.
    let mut definite: Vec<Vec<usize>> = vec![Vec::new(); client_count];
    let mut unknown: Vec<Vec<(usize, usize)>> = vec![Vec::new(); client_count];
    let mut sorted: Vec<usize> = (0..ops.len()).collect();
    sorted.sort_by_key(|&i| ops[i].call);
    for &i in &sorted {
        let c = ops[i].client;
        if ops[i].definite() {
            definite[c].push(i);
        } else {
            unknown[c].push((i, definite[c].len()));
        }
    }
    let mut position = vec![0usize; client_count];
    let mut remaining: usize = definite.iter().map(Vec::len).sum();
    let mut placed = Bits::new(ops.len());
    let candidates_at = |position: &[usize], placed: &Bits| {
        let mut out = Vec::new();
        for c in 0..client_count {
            if let Some(&op) = definite[c].get(position[c]) {
                out.push(op);
            }
            for &(op, after) in &unknown[c] {
                if after <= position[c] && !placed.contains(op) {
                    out.push(op);
                }
            }
        }
        // Try operations in real-time order first: real histories are mostly in order.
        out.sort_by_key(|&op| ops[op].call);
        out
    };

    let mut memo: Memo<M::State> = Memo::default();
    let mut state = model.init();
    let mut stack: Vec<(usize, M::State)> = Vec::new();
    let mut frames = vec![Frame {
        candidates: candidates_at(&position, &placed),
        tried: 0,
    }];
    let mut explored = 0u64;
    let mut deepest: Option<Stuck<M::State>> = None;
    loop {
        if remaining == 0 {
            return Found::Order(stack.iter().map(|(op, _)| *op).collect());
        }
        let frame = frames
            .last_mut()
            .unwrap_or_else(|| unreachable!("the search keeps one frame per placed op, plus one"));
        if frame.tried == frame.candidates.len() {
            if deepest
                .as_ref()
                .is_none_or(|d| stack.len() > d.prefix.len())
            {
                deepest = Some(Stuck {
                    prefix: stack.iter().map(|(op, _)| *op).collect(),
                    state: state.clone(),
                    stuck: frame.candidates.clone(),
                });
            }
            frames.pop();
            let Some((op, previous)) = stack.pop() else {
                let deepest = deepest.unwrap_or_else(|| {
                    unreachable!("a failed search records its deepest point before giving up")
                });
                return Found::Stuck(deepest);
            };
            if ops[op].definite() {
                position[ops[op].client] -= 1;
                remaining += 1;
            }
            placed.clear(op);
            state = previous;
            continue;
        }
        let op = frame.candidates[frame.tried];
        frame.tried += 1;
        if explored == max_states {
            return Found::GaveUp(explored);
        }
        explored += 1;
        if let Some(next_state) = try_step(model, &mut memo, &mut placed, &state, op, &ops[op]) {
            if ops[op].definite() {
                position[ops[op].client] += 1;
                remaining -= 1;
            }
            stack.push((op, std::mem::replace(&mut state, next_state)));
            frames.push(Frame {
                candidates: candidates_at(&position, &placed),
                tried: 0,
            });
        }
    }
}

fn counterexample<M>(
    history: &History<M::Input, M::Output>,
    consistency: Consistency,
    key: Option<Value>,
    part: &[Candidate<'_, M::Input, M::Output>],
    found: Stuck<M::State>,
) -> Counterexample
where
    M: Model,
    M::Input: Op,
    M::Output: ToValue,
{
    let prefix: Vec<OpId> = found.prefix.iter().map(|&i| part[i].id).collect();
    let stuck: Vec<OpId> = found.stuck.iter().map(|&i| part[i].id).collect();
    // Show the stuck operations, the last few that took effect, and whatever overlaps
    // the stuck operations in time.
    let mut shown: Vec<OpId> = stuck.clone();
    let context = prefix.len().saturating_sub(TIMELINE_CONTEXT_OPS);
    shown.extend(prefix[context..].iter().copied());
    let lo = found.stuck.iter().map(|&i| part[i].call).min().unwrap_or(0);
    let hi = found
        .stuck
        .iter()
        .map(|&i| {
            if part[i].definite() {
                part[i].ret
            } else {
                part[i].call
            }
        })
        .max()
        .unwrap_or(0);
    for c in part {
        if shown.len() >= TIMELINE_OPS_MAX {
            break;
        }
        if c.call <= hi && c.ret >= lo && !shown.contains(&c.id) {
            shown.push(c.id);
        }
    }
    let timeline = super::counterexample_timeline(history, &prefix, &stuck, &shown);
    Counterexample {
        consistency,
        key,
        prefix,
        state_after_prefix: format!("{:?}", found.state),
        stuck,
        timeline,
    }
}
