//! Seeded key-value workloads for checker tests and the checker benchmark.
//!
//! [`kv_history`] simulates clients talking to a store with random request and response
//! delays. With `stale_read_percent = 0` the store is linearizable: every operation takes
//! effect at one tick between its invocation and its response. With stale reads turned
//! on, some reads return the value a key had before its latest write, which is how a
//! lagging replica misbehaves.
#![allow(dead_code)]

use common::check::models::{KvOp, Ret};
use common::history::History;
use common::id::OpId;
use common::rng::SimRng;
use common::time::Tick;
use std::collections::BTreeMap;

/// A key-value history as the stock `KvRegister` model checks it.
pub type KvHistory = History<KvOp<&'static str, i64>, Ret<i64>>;

/// The keys a workload may use.
pub const KEYS: [&str; 8] = ["k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"];

/// Shape of a generated workload.
#[derive(Clone, Debug)]
pub struct Workload {
    /// Concurrent clients.
    pub clients: usize,
    /// Distinct keys.
    pub keys: usize,
    /// Operations to invoke in total.
    pub ops: usize,
    /// Upper bound of each of the two delays: invocation → effect, effect → response.
    pub delay_ticks_max: u64,
    /// Upper bound of a client's pause between operations.
    pub think_ticks_max: u64,
    /// Percentage of operations whose response is lost (recorded as `info`). A lost
    /// write still takes effect, later, half of the time.
    pub lost_percent: u64,
    /// Percentage of reads answered from the key's previous value (a store bug).
    pub stale_read_percent: u64,
}

impl Workload {
    /// The benchmark's shape: 10 clients, 5 keys, overlapping requests.
    pub fn benchmark(ops: usize) -> Self {
        Workload {
            clients: 10,
            keys: 5,
            ops,
            delay_ticks_max: 6,
            think_ticks_max: 4,
            lost_percent: 0,
            stale_read_percent: 0,
        }
    }
}

struct InFlight {
    op: OpId,
    input: KvOp<&'static str, i64>,
    apply_at: Tick,
    respond_at: Tick,
    output: Option<Ret<i64>>,
    lost: bool,
}

/// Generates a history from `seed` (see the module docs).
pub fn kv_history(seed: u64, workload: &Workload) -> KvHistory {
    let mut rng = SimRng::derive(seed, "workload");
    let mut history = KvHistory::new();
    let mut store: BTreeMap<&str, (i64, i64)> = BTreeMap::new(); // key -> (previous, current)
    let mut busy: Vec<Option<InFlight>> = (0..workload.clients).map(|_| None).collect();
    let mut next_invoke: Vec<Tick> = vec![0; workload.clients];
    let mut late_writes: Vec<(Tick, &str, i64)> = Vec::new();
    let mut invoked = 0;
    let mut next_value = 1;
    let mut tick: Tick = 0;
    while invoked < workload.ops || busy.iter().any(Option::is_some) || !late_writes.is_empty() {
        late_writes.retain(|(at, key, value)| {
            if *at == tick {
                let entry = store.entry(*key).or_insert((0, 0));
                *entry = (entry.1, *value);
                false
            } else {
                true
            }
        });
        for c in 0..workload.clients {
            if busy[c].is_none() && invoked < workload.ops && next_invoke[c] <= tick {
                assert!(workload.keys <= KEYS.len(), "at most {} keys", KEYS.len());
                let key = KEYS[rng.below(workload.keys)];
                let input = if rng.chance(0.5) {
                    KvOp::Read(key)
                } else {
                    next_value += 1;
                    KvOp::Write(key, next_value - 1)
                };
                let op = history.invoke(format!("c{c}"), input.clone(), tick);
                invoked += 1;
                let apply_at = tick + rng.range(0, workload.delay_ticks_max);
                let respond_at = apply_at + rng.range(0, workload.delay_ticks_max);
                let lost = rng.range(1, 100) <= workload.lost_percent;
                busy[c] = Some(InFlight {
                    op,
                    input,
                    apply_at,
                    respond_at,
                    output: None,
                    lost,
                });
            }
            let Some(flight) = busy[c].as_mut() else {
                continue;
            };
            if flight.output.is_none() && flight.apply_at == tick {
                flight.output = Some(match &flight.input {
                    KvOp::Read(key) => {
                        let (previous, current) = store.get(*key).copied().unwrap_or((0, 0));
                        let stale = rng.range(1, 100) <= workload.stale_read_percent;
                        Ret::Value(if stale { previous } else { current })
                    }
                    KvOp::Write(key, value) => {
                        if flight.lost && rng.chance(0.5) {
                            // The write is delayed past the client's timeout, or lost.
                            if rng.chance(0.5) {
                                let at = flight.respond_at + 1 + rng.range(0, 10);
                                late_writes.push((at, *key, *value));
                            }
                        } else {
                            let entry = store.entry(*key).or_insert((0, 0));
                            *entry = (entry.1, *value);
                        }
                        Ret::Done
                    }
                });
            }
            if flight.respond_at == tick {
                let output = flight
                    .output
                    .take()
                    .expect("the effect tick is never after the response tick");
                if flight.lost {
                    history.info(flight.op, tick);
                } else {
                    history.ok(flight.op, output, tick);
                }
                busy[c] = None;
                next_invoke[c] = tick + rng.range(1, workload.think_ticks_max.max(1));
            }
        }
        tick += 1;
    }
    history
}

/// The independent checker (todc-utils' Wing–Gong–Lowe search) on a key-value history.
pub mod todc {
    use super::KvHistory;
    use common::check::models::{KvOp, Ret};
    use common::history::{EventKind, Outcome};
    use todc_utils::linearizability::WGLChecker;
    use todc_utils::{Action, History, Specification};

    /// Keys the adapter supports (`k0`..`k7`).
    pub const KEYS_MAX: usize = 8;

    /// A todc operation: the call carries `None` for a read, the response the value.
    #[derive(Clone, Debug)]
    pub enum KvAction {
        /// Read key index, value read.
        Read(usize, Option<i64>),
        /// Write key index, value.
        Write(usize, i64),
    }

    /// A map of `KEYS_MAX` registers starting at 0.
    pub struct KvSpec;

    impl Specification for KvSpec {
        type State = [i64; KEYS_MAX];
        type Operation = KvAction;

        fn init() -> Self::State {
            [0; KEYS_MAX]
        }

        fn apply(op: &KvAction, state: &Self::State) -> (bool, Self::State) {
            match op {
                KvAction::Read(k, Some(v)) => (state[*k] == *v, *state),
                KvAction::Read(_, None) => (false, *state),
                KvAction::Write(k, v) => {
                    let mut next = *state;
                    next[*k] = *v;
                    (true, next)
                }
            }
        }
    }

    fn key_index(key: &str) -> usize {
        let index: usize = key
            .strip_prefix('k')
            .and_then(|n| n.parse().ok())
            .expect("generated keys are named k0, k1, ...");
        assert!(
            index < KEYS_MAX,
            "the todc adapter supports {KEYS_MAX} keys"
        );
        index
    }

    /// Converts `history` for todc; info writes `i` for which `take_effect(i)` holds get
    /// a response after everything else (they took effect at some point), the others and
    /// info reads are left out (they never took effect, or did not matter).
    /// With `only_key`, only that key's operations are kept.
    pub fn actions(
        history: &KvHistory,
        take_effect: impl Fn(usize) -> bool,
        only_key: Option<usize>,
    ) -> Vec<(usize, Action<KvAction>)> {
        let clients = history.clients();
        let client_number = |op: &common::history::Operation<KvOp<&str, i64>, Ret<i64>>| {
            clients
                .iter()
                .position(|c| c == op.client())
                .expect("every client of an operation is listed")
        };
        let info_writes: Vec<_> = history
            .ops()
            .filter(|op| op.is_indefinite() && matches!(op.input(), KvOp::Write(..)))
            .map(|op| op.id())
            .collect();
        let mut actions = Vec::new();
        let mut tail = Vec::new();
        for event in history.events() {
            let op = history.op(event.op).expect("events belong to operations");
            let info_index = info_writes.iter().position(|&id| id == op.id());
            let included = match (op.outcome(), info_index) {
                (Outcome::Fail, _) => false,
                (Outcome::Ok(_), _) => true,
                (_, Some(i)) => take_effect(i),
                (_, None) => false, // an info read does not affect anything
            };
            if !included || only_key.is_some_and(|k| k != key_index(op.input().key())) {
                continue;
            }
            // Info writes get their own process, since their response moves to the end.
            let process = match info_index {
                Some(i) => clients.len() + i,
                None => client_number(op),
            };
            let action = match (op.input(), event.kind, op.output()) {
                (KvOp::Read(k), EventKind::Invoke, _) => KvAction::Read(key_index(k), None),
                (KvOp::Read(k), _, Some(Ret::Value(v))) => KvAction::Read(key_index(k), Some(*v)),
                (KvOp::Write(k, v), _, _) => KvAction::Write(key_index(k), *v),
                (input, kind, output) => panic!("unexpected {input:?} {kind} {output:?}"),
            };
            match event.kind {
                EventKind::Invoke => {
                    actions.push((process, Action::Call(action.clone())));
                    if info_index.is_some() {
                        tail.push((process, Action::Response(action)));
                    }
                }
                EventKind::Ok => actions.push((process, Action::Response(action))),
                EventKind::Fail | EventKind::Info => {}
            }
        }
        actions.extend(tail);
        actions
    }

    /// todc's verdict: linearizable for some choice of which info writes took effect.
    pub fn linearizable(history: &KvHistory) -> bool {
        let info_writes = history
            .ops()
            .filter(|op| op.is_indefinite() && matches!(op.input(), KvOp::Write(..)))
            .count();
        assert!(info_writes <= 12, "too many info writes to enumerate");
        (0..1u64 << info_writes).any(|mask| {
            let actions = actions(history, |i| mask & (1 << i) != 0, None);
            actions.is_empty()
                || WGLChecker::<KvSpec>::is_linearizable(History::from_actions(actions))
        })
    }

    /// todc's verdict with every info write given a response after everything else:
    /// each may then take effect anywhere after its invocation, last of all included,
    /// where nothing reads it, which is the same as never. Linear in the number of info
    /// writes, where [`linearizable`] enumerates which of them took effect.
    pub fn linearizable_with_late_info_writes(history: &KvHistory) -> bool {
        let actions = actions(history, |_| true, None);
        actions.is_empty() || WGLChecker::<KvSpec>::is_linearizable(History::from_actions(actions))
    }

    /// todc's verdict on each key's part of a history, checked separately (the same split
    /// our checker makes), every info write given a response after everything else (see
    /// [`linearizable_with_late_info_writes`]).
    pub fn linearizable_per_key(history: &KvHistory) -> bool {
        (0..KEYS_MAX).all(|key| {
            let actions = actions(history, |_| true, Some(key));
            actions.is_empty()
                || WGLChecker::<KvSpec>::is_linearizable(History::from_actions(actions))
        })
    }
}
