//! What a model checker run ended in, independent of which checker ran it, and the
//! comparison of that outcome with the spec's expectation.

use crate::manifest::{EngineKind, Expectation, SpecEntry};

/// The kind of result a checker run ended in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The whole reachable state space was explored and every invariant holds.
    Pass,
    /// An invariant is false in a reachable state; the name is the invariant's.
    InvariantViolated(String),
    /// A reachable state has no successor and deadlock checking was on.
    Deadlock,
    /// The spec did not parse or failed semantic checks (unknown operator, ...).
    ParseError(String),
    /// The model configuration (`.cfg`) was rejected.
    ConfigError(String),
    /// The checker stopped at a state or depth limit before exploring everything, so a
    /// pass cannot be claimed.
    Incomplete(String),
    /// Anything else: an evaluation error, a crash, a timeout, output we do not recognise.
    Error(String),
}

impl Verdict {
    /// Short form for summary tables: `pass`, `violated X`, `deadlock`, ...
    pub fn short(&self) -> String {
        match self {
            Verdict::Pass => "pass".to_string(),
            Verdict::InvariantViolated(name) => format!("violated {name}"),
            Verdict::Deadlock => "deadlock".to_string(),
            Verdict::ParseError(_) => "parse error".to_string(),
            Verdict::ConfigError(_) => "config error".to_string(),
            Verdict::Incomplete(_) => "incomplete".to_string(),
            Verdict::Error(_) => "error".to_string(),
        }
    }

    /// The detail message carried by error verdicts, if any.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Verdict::ParseError(detail)
            | Verdict::ConfigError(detail)
            | Verdict::Incomplete(detail)
            | Verdict::Error(detail) => Some(detail),
            _ => None,
        }
    }
}

/// One state of a counterexample trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceState {
    /// 1-based position in the trace.
    pub index: usize,
    /// The action that produced this state (`None` for the initial state or when the
    /// checker does not say).
    pub action: Option<String>,
    /// Variable name and its value as the checker printed it, in the checker's order.
    pub variables: Vec<(String, String)>,
}

/// Everything we read from one checker run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// What the run ended in.
    pub verdict: Verdict,
    /// Distinct (reachable) states found.
    pub distinct_states: Option<u64>,
    /// States generated, counting duplicates (TLC only).
    pub generated_states: Option<u64>,
    /// States still waiting on TLC's queue when it stopped (0 after a complete search).
    pub states_left: Option<u64>,
    /// Depth of the search (TLC: complete state graph depth; tla-rs: maximum depth).
    pub depth: Option<u64>,
    /// The counterexample, empty when there is none.
    pub trace: Vec<TraceState>,
    /// The checker's version banner, when it printed one.
    pub version: Option<String>,
}

impl Outcome {
    /// An outcome with only a verdict.
    pub fn with_verdict(verdict: Verdict) -> Outcome {
        Outcome {
            verdict,
            distinct_states: None,
            generated_states: None,
            states_left: None,
            depth: None,
            trace: Vec::new(),
            version: None,
        }
    }
}

/// The result of comparing an outcome with its expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// True when the outcome is what the manifest expects.
    pub ok: bool,
    /// Why not, in words, one reason per line; empty when `ok`.
    pub problems: Vec<String>,
}

/// Compares `outcome` (from `engine`) with what `entry` expects.
///
/// A pass must be a complete search (no states left on the queue) and, when the manifest
/// pins a distinct-state count for this engine, must match it. A violation must name the
/// expected invariant; a different invariant, a deadlock, a parse or configuration error
/// is a failure even though the checker "found something". A pinned trace length for this
/// engine is an upper bound.
pub fn compare(entry: &SpecEntry, engine: EngineKind, outcome: &Outcome) -> Comparison {
    let mut problems = Vec::new();
    let pins = entry.pins(engine);
    match (&entry.expect, &outcome.verdict) {
        (Expectation::Pass, Verdict::Pass) => {
            if let Some(left) = outcome.states_left
                && left != 0
            {
                problems.push(format!(
                    "the search ended with {left} states left on the queue, so it was not complete"
                ));
            }
            if let Some(expected) = pins.and_then(|p| p.distinct_states) {
                match outcome.distinct_states {
                    Some(actual) if actual == expected => {}
                    Some(actual) => problems.push(format!(
                        "expected {expected} distinct states, found {actual}: the model's state space changed"
                    )),
                    None => problems.push(format!(
                        "expected {expected} distinct states, but the checker's output did not report a count"
                    )),
                }
            }
        }
        (Expectation::Violation { invariant }, Verdict::InvariantViolated(actual)) => {
            if actual != invariant {
                problems.push(format!(
                    "expected invariant {invariant} to be violated, but {actual} was violated first"
                ));
            } else if let Some(max) = pins.and_then(|p| p.trace_states) {
                let length = outcome.trace.len() as u64;
                if length == 0 {
                    problems.push(format!(
                        "expected a counterexample of at most {max} states, but no trace was parsed"
                    ));
                } else if length > max {
                    problems.push(format!(
                        "expected a counterexample of at most {max} states, got {length}"
                    ));
                }
            }
        }
        (expect, actual) => {
            let wanted = match expect {
                Expectation::Pass => "pass".to_string(),
                Expectation::Violation { invariant } => format!("violation of {invariant}"),
            };
            let mut line = format!("expected {wanted}, got {}", actual.short());
            if let Some(detail) = actual.detail() {
                line.push_str(": ");
                line.push_str(detail);
            }
            problems.push(line);
        }
    }
    Comparison {
        ok: problems.is_empty(),
        problems,
    }
}

/// Renders a counterexample showing, for each state after the first, only the variables
/// whose value changed.
pub fn render_trace_changes(trace: &[TraceState]) -> String {
    let mut out = String::new();
    let mut previous: Option<&TraceState> = None;
    for state in trace {
        let action = state.action.as_deref().unwrap_or(if previous.is_none() {
            "initial state"
        } else {
            "step"
        });
        out.push_str(&format!("State {}: <{action}>\n", state.index));
        let mut shown = 0;
        for (name, value) in &state.variables {
            let before = previous.and_then(|p| {
                p.variables
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.as_str())
            });
            if previous.is_none() || before != Some(value.as_str()) {
                out.push_str(&format!("  {name} = {value}\n"));
                shown += 1;
            }
        }
        if shown == 0 {
            out.push_str("  (no variable changed)\n");
        }
        previous = Some(state);
    }
    out
}
