//! Stock models: register, compare-and-set register, key-value map, counter, append-only
//! log. Each comes with its operation type, which renders the way Jepsen shows it.
//!
//! All of them use [`Ret`] for outputs: `Ret::Done` for an acknowledged update,
//! `Ret::Value(v)` for what a read returned, `Ret::Swapped(b)` for a compare-and-set.

use super::Model;
use crate::history::{Op, ToValue, Value};
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::hash::Hash;
use std::marker::PhantomData;

/// What a client was told.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ret<V> {
    /// An update was acknowledged.
    Done,
    /// A read returned this value.
    Value(V),
    /// A compare-and-set succeeded (`true`) or found a different value (`false`).
    Swapped(bool),
}

impl<V: ToValue> ToValue for Ret<V> {
    fn to_value(&self) -> Value {
        match self {
            Ret::Done => Value::Nil,
            Ret::Value(v) => v.to_value(),
            Ret::Swapped(b) => Value::Bool(*b),
        }
    }
}

/// Values a stock model can hold.
pub trait Data: Clone + Eq + Hash + Debug + ToValue {}
impl<T: Clone + Eq + Hash + Debug + ToValue> Data for T {}

/// A read of `state` is explained by `output` (unknown outputs explain anything).
fn read_matches<V: PartialEq>(state: &V, output: Option<&Ret<V>>) -> bool {
    match output {
        None => true,
        Some(Ret::Value(v)) => v == state,
        Some(_) => false,
    }
}

/// An update is explained by `output` (an acknowledgement or nothing known).
fn update_matches<V>(output: Option<&Ret<V>>) -> bool {
    matches!(output, None | Some(Ret::Done))
}

/// Operations on a single register.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RegisterOp<V> {
    /// Read the value (output `Ret::Value`).
    Read,
    /// Overwrite the value (output `Ret::Done`).
    Write(V),
}

impl<V: ToValue> Op for RegisterOp<V> {
    fn f(&self) -> &str {
        match self {
            RegisterOp::Read => "read",
            RegisterOp::Write(_) => "write",
        }
    }
    fn value(&self) -> Value {
        match self {
            RegisterOp::Read => Value::Nil,
            RegisterOp::Write(v) => v.to_value(),
        }
    }
}

/// A read/write register holding `V`, starting at `initial`.
#[derive(Clone, Debug)]
pub struct Register<V> {
    /// The value before any write.
    pub initial: V,
}

impl<V> Register<V> {
    /// A register that reads `initial` until written.
    pub fn new(initial: V) -> Self {
        Register { initial }
    }
}

impl<V: Data> Model for Register<V> {
    type Input = RegisterOp<V>;
    type Output = Ret<V>;
    type State = V;

    fn init(&self) -> V {
        self.initial.clone()
    }

    fn step(&self, state: &V, input: &RegisterOp<V>, output: Option<&Ret<V>>) -> Option<V> {
        match input {
            RegisterOp::Read => read_matches(state, output).then(|| state.clone()),
            RegisterOp::Write(v) => update_matches(output).then(|| v.clone()),
        }
    }
}

/// Operations on a compare-and-set register.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CasOp<V> {
    /// Read the value (output `Ret::Value`).
    Read,
    /// Overwrite the value (output `Ret::Done`).
    Write(V),
    /// Set `new` if the value is `expected` (output `Ret::Swapped`).
    ///
    /// For a Knossos cross-check, record a compare-and-set that found another value as
    /// `fail`: Knossos reads every `ok` cas as a successful one.
    Cas {
        /// The value the register must hold.
        expected: V,
        /// The value to set.
        new: V,
    },
}

impl<V: ToValue> Op for CasOp<V> {
    fn f(&self) -> &str {
        match self {
            CasOp::Read => "read",
            CasOp::Write(_) => "write",
            CasOp::Cas { .. } => "cas",
        }
    }
    fn value(&self) -> Value {
        match self {
            CasOp::Read => Value::Nil,
            CasOp::Write(v) => v.to_value(),
            CasOp::Cas { expected, new } => Value::vector([expected.to_value(), new.to_value()]),
        }
    }
    fn completed_value(&self, output: Value) -> Value {
        match self {
            CasOp::Read => output,
            _ => self.value(),
        }
    }
}

/// A register with compare-and-set, starting at `initial`.
#[derive(Clone, Debug)]
pub struct CasRegister<V> {
    /// The value before any write.
    pub initial: V,
}

impl<V> CasRegister<V> {
    /// A register that reads `initial` until written.
    pub fn new(initial: V) -> Self {
        CasRegister { initial }
    }
}

impl<V: Data> Model for CasRegister<V> {
    type Input = CasOp<V>;
    type Output = Ret<V>;
    type State = V;

    fn init(&self) -> V {
        self.initial.clone()
    }

    fn step(&self, state: &V, input: &CasOp<V>, output: Option<&Ret<V>>) -> Option<V> {
        match input {
            CasOp::Read => read_matches(state, output).then(|| state.clone()),
            CasOp::Write(v) => update_matches(output).then(|| v.clone()),
            CasOp::Cas { expected, new } => {
                let swaps = state == expected;
                match output {
                    None => Some(if swaps { new.clone() } else { state.clone() }),
                    Some(Ret::Swapped(true)) if swaps => Some(new.clone()),
                    Some(Ret::Swapped(false)) if !swaps => Some(state.clone()),
                    _ => None,
                }
            }
        }
    }
}

/// Operations on a key-value map of registers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KvOp<K, V> {
    /// Read a key (output `Ret::Value`).
    Read(K),
    /// Write a key (output `Ret::Done`).
    Write(K, V),
}

impl<K, V> KvOp<K, V> {
    /// The key the operation touches.
    pub fn key(&self) -> &K {
        match self {
            KvOp::Read(k) | KvOp::Write(k, _) => k,
        }
    }
}

/// Rendered as Jepsen's `independent` tuples: `:value [key value]`.
impl<K: ToValue, V: ToValue> Op for KvOp<K, V> {
    fn f(&self) -> &str {
        match self {
            KvOp::Read(_) => "read",
            KvOp::Write(..) => "write",
        }
    }
    fn value(&self) -> Value {
        match self {
            KvOp::Read(k) => Value::vector([k.to_value(), Value::Nil]),
            KvOp::Write(k, v) => Value::vector([k.to_value(), v.to_value()]),
        }
    }
    fn completed_value(&self, output: Value) -> Value {
        match self {
            KvOp::Read(k) => Value::vector([k.to_value(), output]),
            KvOp::Write(..) => self.value(),
        }
    }
}

/// A map from keys `K` to independent registers of `V`; every key reads `initial` until
/// written. Partitioned by key, so each key is checked on its own.
#[derive(Clone, Debug)]
pub struct KvRegister<K, V> {
    /// The value of a key that was never written.
    pub initial: V,
    keys: PhantomData<fn() -> K>,
}

impl<K, V> KvRegister<K, V> {
    /// A map whose unwritten keys read `initial`.
    pub fn new(initial: V) -> Self {
        KvRegister {
            initial,
            keys: PhantomData,
        }
    }
}

impl<K: Data + Ord, V: Data> Model for KvRegister<K, V> {
    type Input = KvOp<K, V>;
    type Output = Ret<V>;
    type State = BTreeMap<K, V>;

    fn init(&self) -> Self::State {
        BTreeMap::new()
    }

    fn step(
        &self,
        state: &Self::State,
        input: &KvOp<K, V>,
        output: Option<&Ret<V>>,
    ) -> Option<Self::State> {
        match input {
            KvOp::Read(k) => {
                let current = state.get(k).unwrap_or(&self.initial);
                read_matches(current, output).then(|| state.clone())
            }
            KvOp::Write(k, v) => update_matches(output).then(|| {
                let mut next = state.clone();
                next.insert(k.clone(), v.clone());
                next
            }),
        }
    }

    fn partition(&self, input: &KvOp<K, V>) -> Option<Value> {
        Some(input.key().to_value())
    }
}

/// Operations on a counter.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CounterOp {
    /// Add one (output `Ret::Done`).
    Inc,
    /// Add a (possibly negative) amount (output `Ret::Done`).
    Add(i64),
    /// Read the total (output `Ret::Value`).
    Read,
}

impl Op for CounterOp {
    fn f(&self) -> &str {
        match self {
            CounterOp::Inc => "inc",
            CounterOp::Add(_) => "add",
            CounterOp::Read => "read",
        }
    }
    fn value(&self) -> Value {
        match self {
            CounterOp::Inc | CounterOp::Read => Value::Nil,
            CounterOp::Add(n) => Value::Int(*n),
        }
    }
}

/// A counter starting at 0.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counter;

impl Model for Counter {
    type Input = CounterOp;
    type Output = Ret<i64>;
    type State = i64;

    fn init(&self) -> i64 {
        0
    }

    fn step(&self, state: &i64, input: &CounterOp, output: Option<&Ret<i64>>) -> Option<i64> {
        match input {
            CounterOp::Inc => update_matches(output).then(|| state.wrapping_add(1)),
            CounterOp::Add(n) => update_matches(output).then(|| state.wrapping_add(*n)),
            CounterOp::Read => read_matches(state, output).then_some(*state),
        }
    }
}

/// Operations on an append-only log.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LogOp<V> {
    /// Append an entry (output `Ret::Done`).
    Append(V),
    /// Read the whole log (output `Ret::Value(entries)`).
    Read,
}

impl<V: ToValue> Op for LogOp<V> {
    fn f(&self) -> &str {
        match self {
            LogOp::Append(_) => "append",
            LogOp::Read => "read",
        }
    }
    fn value(&self) -> Value {
        match self {
            LogOp::Append(v) => v.to_value(),
            LogOp::Read => Value::Nil,
        }
    }
}

/// An append-only log of `V`, initially empty. A read returns every entry in order.
#[derive(Clone, Copy, Debug)]
pub struct AppendLog<V>(PhantomData<fn() -> V>);

impl<V> AppendLog<V> {
    /// An empty log.
    pub fn new() -> Self {
        AppendLog(PhantomData)
    }
}

impl<V> Default for AppendLog<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V: Data> Model for AppendLog<V> {
    type Input = LogOp<V>;
    type Output = Ret<Vec<V>>;
    type State = Vec<V>;

    fn init(&self) -> Vec<V> {
        Vec::new()
    }

    fn step(
        &self,
        state: &Vec<V>,
        input: &LogOp<V>,
        output: Option<&Ret<Vec<V>>>,
    ) -> Option<Vec<V>> {
        match input {
            LogOp::Append(v) => update_matches(output).then(|| {
                let mut next = state.clone();
                next.push(v.clone());
                next
            }),
            LogOp::Read => read_matches(state, output).then(|| state.clone()),
        }
    }
}

/// An operation on a map of string registers with compare-and-swap (see [`KvCas`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KvCasOp {
    /// Store a value.
    Set {
        /// The key.
        key: String,
        /// The value stored.
        value: String,
    },
    /// Read a key.
    Get {
        /// The key.
        key: String,
    },
    /// Store `new` if the key holds `expected` (`None`: absent).
    Cas {
        /// The key.
        key: String,
        /// The value the key must hold for the swap.
        expected: Option<String>,
        /// The value stored if it does.
        new: String,
    },
}

impl KvCasOp {
    /// The key the operation is on.
    pub fn key(&self) -> &str {
        match self {
            KvCasOp::Set { key, .. } | KvCasOp::Get { key } | KvCasOp::Cas { key, .. } => key,
        }
    }
}

/// Rendered as Jepsen's `independent` tuples: `:value [key value]`.
impl Op for KvCasOp {
    fn f(&self) -> &str {
        match self {
            KvCasOp::Set { .. } => "write",
            KvCasOp::Get { .. } => "read",
            KvCasOp::Cas { .. } => "cas",
        }
    }

    fn value(&self) -> Value {
        match self {
            KvCasOp::Set { key, value } => (key.as_str(), value.as_str()).to_value(),
            KvCasOp::Get { key } => (key.as_str(), Value::Nil).to_value(),
            KvCasOp::Cas { key, expected, new } => {
                let pair = (expected.clone(), new.as_str()).to_value();
                (key.as_str(), pair).to_value()
            }
        }
    }

    fn completed_value(&self, output: Value) -> Value {
        match self {
            KvCasOp::Get { key } => (key.as_str(), output).to_value(),
            _ => self.value(),
        }
    }
}

/// What a client of a [`KvCas`] map was told: everything the server said.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KvCasRet {
    /// A set stored this value.
    Stored {
        /// The value stored.
        value: String,
    },
    /// A read found this value.
    Read {
        /// The value, `None` if absent.
        value: Option<String>,
    },
    /// A compare-and-swap's verdict and the value it found.
    Swapped {
        /// Whether it swapped.
        swapped: bool,
        /// The value the key held before.
        previous: Option<String>,
    },
}

impl ToValue for KvCasRet {
    fn to_value(&self) -> Value {
        match self {
            KvCasRet::Stored { value } => value.to_value(),
            KvCasRet::Read { value } => value.to_value(),
            KvCasRet::Swapped { swapped, previous } => (*swapped, previous.clone()).to_value(),
        }
    }
}

/// A map of string registers with set, get and compare-and-swap, checked key by key.
/// Outputs carry everything the server says — a set's stored value, a read's value, a
/// swap's verdict *and* the value it found — so a stale or invented answer is caught.
#[derive(Clone, Copy, Debug, Default)]
pub struct KvCas;

impl Model for KvCas {
    type Input = KvCasOp;
    type Output = KvCasRet;
    type State = Option<String>;

    fn init(&self) -> Self::State {
        None
    }

    fn step(
        &self,
        state: &Option<String>,
        input: &KvCasOp,
        output: Option<&KvCasRet>,
    ) -> Option<Option<String>> {
        let (next, expected) = match input {
            KvCasOp::Set { value, .. } => (
                Some(value.clone()),
                KvCasRet::Stored {
                    value: value.clone(),
                },
            ),
            KvCasOp::Get { .. } => (
                state.clone(),
                KvCasRet::Read {
                    value: state.clone(),
                },
            ),
            KvCasOp::Cas { expected, new, .. } => {
                let swaps = state == expected;
                let next = if swaps {
                    Some(new.clone())
                } else {
                    state.clone()
                };
                let ret = KvCasRet::Swapped {
                    swapped: swaps,
                    previous: state.clone(),
                };
                (next, ret)
            }
        };
        match output {
            None => Some(next),
            Some(told) if *told == expected => Some(next),
            Some(_) => None,
        }
    }

    fn partition(&self, input: &KvCasOp) -> Option<Value> {
        Some(input.key().to_value())
    }
}
