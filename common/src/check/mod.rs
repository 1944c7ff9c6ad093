//! Consistency checkers: is a recorded [`History`] explained by a sequential model?
//!
//! # Linearizability
//!
//! A history is **linearizable** when every operation can be given a single instant, its
//! *linearization point*, somewhere between its invocation and its completion, such that
//! running the operations one by one in the order of those instants on a sequential
//! model (a register, a key-value map, a counter) gives exactly the outputs the clients
//! saw. Operations that overlap in time may be ordered either way; an operation that
//! completed before another was invoked must come first. To a client, a linearizable
//! system behaves like a single copy of the data: once anyone has read a new value,
//! nobody reads an older one afterwards.
//!
//! # Sequential consistency
//!
//! **Sequential consistency** is weaker: the operations must still fit one sequential
//! order that explains every output, but that order only has to respect each client's
//! *program order* (its own operations, in the order it issued them), not real time.
//! A reader may see a stale value after another client has already seen the new one,
//! as long as each client's own view never goes backwards. Every linearizable history
//! is sequentially consistent; the converse fails (see the quorum example in this
//! crate's tests).
//!
//! # Unknown outcomes: `info`
//!
//! An operation recorded as `info` (or never completed) has an unknown outcome. The
//! checkers let it take effect at any point after its invocation, with any output, or
//! never. This is why a client must record a timed-out write as `info` and not as
//! `fail`: the write may have reached a replica and show up later. Recorded as `fail`
//! ("definitely did not happen"), that later appearance makes a correct system look
//! broken; recorded as `info`, the checker considers both possibilities.
//!
//! Under sequential consistency an `info` operation must still come after its client's
//! earlier operations, but it does not hold back the client's later ones: its request
//! may still be in flight while the client moves on.
//!
//! # How the search works
//!
//! [`Checker::linearizable`] is the Wing–Gong search with Lowe's memoisation, as in
//! Porcupine: invocations and completions are kept in a list in real-time order; the
//! search repeatedly linearizes an operation whose invocation comes before the first
//! remaining completion, backtracking when it reaches a completion it cannot satisfy, and
//! it remembers every (set of linearized operations, model state) pair it has already
//! explored so it never explores one twice. A model may split a history into independent
//! parts ([`Model::partition`], e.g. one per key); each part is checked on its own, which
//! is sound for linearizability (it is *compositional*) and makes large histories cheap.
//! [`Checker::sequential`] runs the same memoised search with per-client program order
//! in place of real time; partitioning does not apply to it, because sequential
//! consistency is not compositional. It first looks for a linearization (per partition,
//! merged into one order), which is also a valid sequential order and is much cheaper
//! to find; only a history that is not linearizable needs the program-order search.
//!
//! A search that explores more states than the budget stops with [`Verdict::GaveUp`],
//! which is neither a pass nor a failure.
//!
//! # Example
//!
//! ```
//! use common::check::{self, models::{Register, RegisterOp, Ret}};
//! use common::history::History;
//!
//! // alice writes 1; bob reads 1 while the write is in flight; carol, who starts after
//! // bob finished, reads the old value 0. Not linearizable, but sequentially consistent.
//! let mut h = History::new();
//! let w = h.invoke("alice", RegisterOp::Write(1), 0);
//! let r1 = h.invoke("bob", RegisterOp::Read, 1);
//! h.ok(r1, Ret::Value(1), 2);
//! let r2 = h.invoke("carol", RegisterOp::Read, 3);
//! h.ok(r2, Ret::Value(0), 4);
//! h.ok(w, Ret::Done, 5);
//!
//! let register = Register::new(0);
//! let verdict = check::linearizable(&register, &h);
//! assert!(verdict.is_violation(), "a stale read after a fresh one: {verdict}");
//! assert!(check::sequential(&register, &h).is_ok());
//! ```

pub mod models;
mod search;

use crate::history::{History, Op, Timeline, ToValue, Value};
use crate::id::OpId;
use std::fmt;
use std::hash::Hash;

/// A sequential specification that histories are checked against.
///
/// A section crate defines its own model in a few lines:
///
/// ```
/// use common::check::{Model, models::Ret};
///
/// /// A set of integers with `add` and `contains`.
/// struct IntSet;
/// #[derive(Clone, Debug)]
/// enum SetOp { Add(i64), Contains(i64) }
///
/// impl Model for IntSet {
///     type Input = SetOp;
///     type Output = Ret<bool>;
///     type State = std::collections::BTreeSet<i64>;
///     fn init(&self) -> Self::State { Default::default() }
///     fn step(&self, s: &Self::State, input: &SetOp, output: Option<&Ret<bool>>) -> Option<Self::State> {
///         match (input, output) {
///             (SetOp::Add(x), None | Some(Ret::Done)) => {
///                 let mut next = s.clone();
///                 next.insert(*x);
///                 Some(next)
///             }
///             (SetOp::Contains(_), None) => Some(s.clone()),
///             (SetOp::Contains(x), Some(Ret::Value(seen))) if s.contains(x) == *seen => Some(s.clone()),
///             _ => None,
///         }
///     }
/// }
/// ```
pub trait Model {
    /// What a client asks (implements [`Op`] for rendering).
    type Input;
    /// What a client is told (implements [`ToValue`] for rendering).
    type Output;
    /// The model's state. It is compared and hashed by the search's memo.
    type State: Clone + Eq + Hash + fmt::Debug;

    /// The initial state.
    fn init(&self) -> Self::State;

    /// Applies `input` to `state`. `output` is what the client saw, or `None` when the
    /// outcome is unknown (`info`), in which case any output is acceptable. Returns the
    /// next state, or `None` when this output is impossible in this state.
    fn step(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: Option<&Self::Output>,
    ) -> Option<Self::State>;

    /// The independent part of the model an operation touches (e.g. its key), if the
    /// model can be split. Operations with different keys must never affect each other.
    /// If any operation returns `None`, the history is checked as a whole.
    fn partition(&self, input: &Self::Input) -> Option<Value> {
        let _ = input;
        None
    }
}

/// Which consistency model a verdict is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Consistency {
    /// Real-time order must be respected.
    Linearizability,
    /// Only each client's program order must be respected.
    SequentialConsistency,
}

impl fmt::Display for Consistency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Consistency::Linearizability => "linearizable",
            Consistency::SequentialConsistency => "sequentially consistent",
        })
    }
}

/// A sequential order of one part of a history that explains it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartOrder {
    /// The partition key (`None` when the history was checked as a whole).
    pub key: Option<Value>,
    /// The operations in the order they took effect. `info` operations that are left
    /// out never took effect in this explanation.
    pub order: Vec<OpId>,
}

/// Why a history is not consistent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counterexample {
    /// The consistency model that was violated.
    pub consistency: Consistency,
    /// The partition that failed (`None` when checked as a whole).
    pub key: Option<Value>,
    /// The longest order the search could build before getting stuck.
    pub prefix: Vec<OpId>,
    /// The model state after `prefix` (its `Debug` form).
    pub state_after_prefix: String,
    /// The operations that could not be placed next: every candidate at the deepest
    /// point of the search, including the one whose completion blocked it.
    pub stuck: Vec<OpId>,
    /// A timeline of the operations around the failure, with notes.
    pub timeline: String,
}

/// The search stopped before reaching an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GaveUp {
    /// The consistency model being checked.
    pub consistency: Consistency,
    /// The (first) partition whose search ran out of budget. The other partitions were
    /// still checked, and none of them is a violation.
    pub key: Option<Value>,
    /// States explored in that partition.
    pub states_explored: u64,
    /// The budget per partition.
    pub max_states: u64,
}

/// The outcome of a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Consistent: one order per partition explains the history.
    Ok(Vec<PartOrder>),
    /// Not consistent.
    Violation(Counterexample),
    /// The state budget ran out: no verdict.
    GaveUp(GaveUp),
}

impl Verdict {
    /// `true` when the history is consistent.
    pub fn is_ok(&self) -> bool {
        matches!(self, Verdict::Ok(_))
    }
    /// `true` when the history is definitely not consistent.
    pub fn is_violation(&self) -> bool {
        matches!(self, Verdict::Violation(_))
    }
    /// `true` when the search ran out of budget.
    pub fn gave_up(&self) -> bool {
        matches!(self, Verdict::GaveUp(_))
    }
    /// The explaining order when the history is checked as a single part (or the
    /// concatenation of the parts' orders, in key order).
    pub fn order(&self) -> Option<Vec<OpId>> {
        match self {
            Verdict::Ok(parts) => {
                Some(parts.iter().flat_map(|p| p.order.iter().copied()).collect())
            }
            _ => None,
        }
    }
    /// The counterexample of a violation.
    pub fn counterexample(&self) -> Option<&Counterexample> {
        match self {
            Verdict::Violation(c) => Some(c),
            _ => None,
        }
    }
}

fn write_ids(f: &mut fmt::Formatter<'_>, ids: &[OpId]) -> fmt::Result {
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{id}")?;
    }
    Ok(())
}

fn key_suffix(key: &Option<Value>) -> String {
    key.as_ref()
        .map(|k| format!(" (key {k})"))
        .unwrap_or_default()
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Ok(parts) => {
                let ops: usize = parts.iter().map(|p| p.order.len()).sum();
                write!(
                    f,
                    "consistent: {ops} operations took effect, in {} part(s)",
                    parts.len()
                )
            }
            Verdict::Violation(c) => {
                writeln!(f, "history is not {}{}", c.consistency, key_suffix(&c.key))?;
                write!(f, "longest explainable order ({} ops): ", c.prefix.len())?;
                write_ids(f, &c.prefix)?;
                writeln!(f)?;
                writeln!(f, "model state after it: {}", c.state_after_prefix)?;
                write!(f, "could not place next: ")?;
                write_ids(f, &c.stuck)?;
                writeln!(f)?;
                f.write_str(&c.timeline)
            }
            Verdict::GaveUp(g) => write!(
                f,
                "gave up checking whether the history is {}{}: explored {} states, budget {}",
                g.consistency,
                key_suffix(&g.key),
                g.states_explored,
                g.max_states
            ),
        }
    }
}

/// Default number of model states explored per partition before giving up.
pub const DEFAULT_MAX_STATES: u64 = 10_000_000;

/// A checker with a state budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checker {
    max_states: u64,
    linearizable_first: bool,
}

impl Default for Checker {
    fn default() -> Self {
        Checker {
            max_states: DEFAULT_MAX_STATES,
            linearizable_first: true,
        }
    }
}

impl Checker {
    /// A checker with the default budget ([`DEFAULT_MAX_STATES`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the budget: model steps tried per partition before giving up.
    pub fn max_states(mut self, max_states: u64) -> Self {
        self.max_states = max_states;
        self
    }

    /// Whether [`sequential`](Self::sequential) first looks for a linearization (on by
    /// default). A linearization is also a sequentially consistent order, and real time
    /// prunes the search so hard that large correct histories are checked in
    /// milliseconds. Turning it off runs the program-order search alone, which is only
    /// useful to test that search.
    pub fn linearizable_first(mut self, on: bool) -> Self {
        self.linearizable_first = on;
        self
    }

    /// Is `history` linearizable with respect to `model`?
    pub fn linearizable<M>(&self, model: &M, history: &History<M::Input, M::Output>) -> Verdict
    where
        M: Model,
        M::Input: Op,
        M::Output: ToValue,
    {
        search::check(
            model,
            history,
            Consistency::Linearizability,
            self.max_states,
            false,
        )
    }

    /// Is `history` sequentially consistent with respect to `model`?
    pub fn sequential<M>(&self, model: &M, history: &History<M::Input, M::Output>) -> Verdict
    where
        M: Model,
        M::Input: Op,
        M::Output: ToValue,
    {
        search::check(
            model,
            history,
            Consistency::SequentialConsistency,
            self.max_states,
            self.linearizable_first,
        )
    }
}

/// [`Checker::linearizable`] with the default budget.
pub fn linearizable<M>(model: &M, history: &History<M::Input, M::Output>) -> Verdict
where
    M: Model,
    M::Input: Op,
    M::Output: ToValue,
{
    Checker::new().linearizable(model, history)
}

/// [`Checker::sequential`] with the default budget.
pub fn sequential<M>(model: &M, history: &History<M::Input, M::Output>) -> Verdict
where
    M: Model,
    M::Input: Op,
    M::Output: ToValue,
{
    Checker::new().sequential(model, history)
}

/// Renders the counterexample timeline for `ops` of `history`.
pub(crate) fn counterexample_timeline<I: Op, O: ToValue>(
    history: &History<I, O>,
    prefix: &[OpId],
    stuck: &[OpId],
    shown: &[OpId],
) -> String {
    let mut timeline = Timeline::new(history).only(shown.iter().copied());
    for (i, id) in prefix.iter().enumerate() {
        if shown.contains(id) {
            timeline = timeline.note(*id, format!("took effect #{}", i + 1));
        }
    }
    for id in stuck {
        timeline = timeline.note(*id, "could not be placed").highlight(*id);
    }
    timeline.render()
}
