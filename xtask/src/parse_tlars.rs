//! Reads the text output of the `tla` binary (the `tla-checker` crate) into an [`Outcome`].
//!
//! The binary exits 0 on success and 1 on any failure, so the verdict comes from its
//! text: `Model checking complete. No errors found.`, `Invariant <k> (<Name>) violated!`,
//! `Deadlock detected!`, `State limit reached`, `Depth limit exceeded`, and errors about
//! the module or the configuration on standard error. Counterexamples are printed as
//! `State <i> of <n>` blocks of `name = value` lines (a changed variable is followed by
//! `  (was: <old>) *`), separated by `--[ <Action> ]-->` lines.

use crate::outcome::{Outcome, TraceState, Verdict};

/// Parses the combined output (standard output, then standard error) of one run.
/// `exit_code` is the process's exit status, if it exited normally.
pub fn parse(output: &str, exit_code: Option<i32>) -> Outcome {
    let mut outcome = Outcome::with_verdict(Verdict::Error(String::new()));
    outcome.trace = parse_trace(output);
    outcome.version = output
        .lines()
        .find_map(|l| l.trim().strip_prefix("tla "))
        .filter(|v| v.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .map(|v| format!("tla-rs {v}"));
    for line in output.lines() {
        let line = line.trim();
        if let Some(n) = number_after(line, "Reachable states:") {
            outcome.distinct_states = Some(n);
        } else if let Some(n) = number_after(line, "States explored:") {
            outcome.distinct_states.get_or_insert(n);
        } else if let Some(n) = number_after(line, "Max depth:") {
            outcome.depth = Some(n);
        }
    }
    outcome.verdict = verdict(output, exit_code);
    if outcome.verdict == Verdict::Pass {
        // A complete search leaves nothing to explore.
        outcome.states_left = Some(0);
    }
    outcome
}

fn verdict(output: &str, exit_code: Option<i32>) -> Verdict {
    let lines: Vec<&str> = output.lines().map(str::trim).collect();
    if let Some(name) = lines.iter().find_map(|l| violated_invariant(l)) {
        return Verdict::InvariantViolated(name);
    }
    if lines.contains(&"Deadlock detected!") {
        return Verdict::Deadlock;
    }
    if let Some(line) = lines
        .iter()
        .find(|l| l.starts_with("State limit reached") || l.starts_with("Depth limit exceeded"))
    {
        return Verdict::Incomplete(format!("tla-rs stopped early: {line}"));
    }
    if let Some(line) = lines.iter().find(|l| {
        l.contains("did not parse")
            || l.contains("failed to parse")
            || l.contains("parse error")
            || l.starts_with("error: unexpected")
    }) {
        // The "failed to parse operator" warning comes first; the error line that names
        // the position is more useful, so prefer a line starting with "error".
        let best = lines
            .iter()
            .find(|l| l.starts_with("error") && (l.contains("parse")))
            .unwrap_or(line);
        return Verdict::ParseError(best.to_string());
    }
    if let Some(line) = lines
        .iter()
        .find(|l| l.starts_with("error applying") || l.starts_with("failed to read config"))
    {
        return Verdict::ConfigError(line.to_string());
    }
    if exit_code == Some(0) && lines.contains(&"Model checking complete. No errors found.") {
        return Verdict::Pass;
    }
    if let Some(line) = lines.iter().find(|l| l.starts_with("error")) {
        return Verdict::Error(line.to_string());
    }
    Verdict::Error(format!(
        "unrecognised tla-rs output (exit code {})",
        exit_code.map_or("none".to_string(), |c| c.to_string())
    ))
}

/// `Invariant 1 (Name) violated!` → `Name`.
fn violated_invariant(line: &str) -> Option<String> {
    let rest = line.strip_prefix("Invariant ")?;
    let rest = rest.strip_suffix(" violated!")?;
    let open = rest.find('(')?;
    let close = rest.rfind(')')?;
    (open < close).then(|| rest[open + 1..close].to_string())
}

fn number_after(line: &str, label: &str) -> Option<u64> {
    let rest = line.strip_prefix(label)?.trim();
    let digits: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

fn parse_trace(output: &str) -> Vec<TraceState> {
    let mut trace: Vec<TraceState> = Vec::new();
    let mut pending_action: Option<String> = None;
    let mut in_state = false;
    for raw in output.lines() {
        let line = raw.trim();
        if let Some(rest) = line.strip_prefix("State ")
            && let Some(first) = rest.split_whitespace().next()
            && first.parse::<usize>().is_ok()
            && (rest.contains(" of ") || rest.trim() == first)
        {
            trace.push(TraceState {
                index: trace.len() + 1,
                action: pending_action.take(),
                variables: Vec::new(),
            });
            in_state = true;
            continue;
        }
        if let Some(action) = line
            .strip_prefix("--[")
            .and_then(|l| l.strip_suffix("]-->"))
        {
            pending_action = Some(action.trim().to_string());
            in_state = false;
            continue;
        }
        if line.is_empty() {
            in_state = false;
            continue;
        }
        if in_state
            && raw.starts_with("  ")
            && let Some((name, value)) = line.split_once(" = ")
            && let Some(state) = trace.last_mut()
        {
            let name = name.trim();
            if !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                state
                    .variables
                    .push((name.to_string(), strip_change_marker(value.trim())));
            }
        }
    }
    trace
}

/// `v  (was: old) *` → `v`.
fn strip_change_marker(value: &str) -> String {
    let value = value.strip_suffix(" *").unwrap_or(value);
    match value.rfind("  (was: ") {
        Some(at) => value[..at].trim_end().to_string(),
        None => value.to_string(),
    }
}
