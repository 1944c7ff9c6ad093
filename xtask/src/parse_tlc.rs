//! Reads TLC's plain-text output into an [`Outcome`].
//!
//! TLC's exit code gives the category (0 success, 10 assumption violated, 11 deadlock,
//! 12 safety violation, 13 property violation, 14 `Assert` failed, 75–77 evaluation
//! failure, 150 parse error, 151 configuration error, 152 state space too large,
//! 153 system error, 255 other); its text gives the details:
//!
//! ```text
//! Model checking completed. No error has been found.
//! Error: Invariant ResponseImpliesDurable is violated.
//! Error: Invariant TypeOK is violated by the initial state:
//! Error: Deadlock reached.
//! State 2: <ReceivePrepare line 52, col 5 to line 58, col 60 of module BrokenDurableDecision>
//! /\ memPromised = (n1 :> 1 @@ n2 :> 0 @@ n3 :> 0)
//! 160519 states generated, 12167 distinct states found, 0 states left on queue.
//! The depth of the complete state graph search is 22.
//! ```
//!
//! SANY's parse errors (`***Parse Error***`, `*** Errors: 1`, `Fatal errors while parsing
//! TLA+ spec`) and configuration errors (`TLC found an error in the configuration file`)
//! are recognised from the text too, so old releases that exit 1 for them still classify.

use crate::outcome::{Outcome, TraceState, Verdict};

/// Parses the combined output of one TLC run. `exit_code` is the JVM's exit status.
pub fn parse(output: &str, exit_code: Option<i32>) -> Outcome {
    let mut outcome = Outcome::with_verdict(Verdict::Error(String::new()));
    outcome.trace = parse_trace(output);
    for line in output.lines() {
        let line = line.trim();
        if line.starts_with("TLC2 Version ") {
            outcome.version = Some(line.to_string());
        } else if line.contains(" states generated, ") && line.contains(" distinct states found") {
            let numbers = numbers_in(line);
            if numbers.len() >= 3 {
                outcome.generated_states = Some(numbers[0]);
                outcome.distinct_states = Some(numbers[1]);
                outcome.states_left = Some(numbers[2]);
            }
        } else if let Some(rest) =
            line.strip_prefix("The depth of the complete state graph search is ")
        {
            outcome.depth = numbers_in(rest).first().copied();
        }
    }
    outcome.verdict = verdict(output, exit_code);
    outcome
}

fn verdict(output: &str, exit_code: Option<i32>) -> Verdict {
    let lines: Vec<&str> = output.lines().map(str::trim).collect();
    let has = |needle: &str| lines.iter().any(|l| l.contains(needle));
    if let Some(name) = lines.iter().find_map(|l| violated_invariant(l)) {
        return Verdict::InvariantViolated(name);
    }
    if has("Error: Deadlock reached.") || exit_code == Some(11) {
        return Verdict::Deadlock;
    }
    if has("***Parse Error***")
        || has("Fatal errors while parsing TLA+ spec")
        || has("*** Errors:")
        || exit_code == Some(150)
    {
        return Verdict::ParseError(first_error_detail(&lines, "parse error (see the log)"));
    }
    if has("TLC found an error in the configuration file")
        || has("Error: The configuration file")
        || exit_code == Some(151)
    {
        return Verdict::ConfigError(first_error_detail(
            &lines,
            "configuration error (see the log)",
        ));
    }
    if exit_code == Some(0) && has("Model checking completed. No error has been found.") {
        return Verdict::Pass;
    }
    let category = match exit_code {
        Some(10) => "an assumption is violated",
        Some(12) => "a safety property is violated",
        Some(13) => "a temporal or action property is violated",
        Some(14) => "an Assert failed",
        Some(75..=77) => "evaluation failed",
        Some(152) => "the state space is too large",
        Some(153) => "TLC hit a system error",
        Some(0) => "TLC exited 0 without its success line",
        _ => "TLC failed",
    };
    Verdict::Error(format!(
        "{category} (exit code {}): {}",
        exit_code.map_or("none".to_string(), |c| c.to_string()),
        first_error_detail(&lines, "no error message")
    ))
}

/// `Error: Invariant X is violated.` or `... is violated by the initial state:` → `X`.
fn violated_invariant(line: &str) -> Option<String> {
    let rest = line.strip_prefix("Error: Invariant ")?;
    let end = rest.find(" is violated")?;
    Some(rest[..end].trim().to_string())
}

fn first_error_detail(lines: &[&str], fallback: &str) -> String {
    lines
        .iter()
        .find(|l| {
            (l.starts_with("Error:") && !l.starts_with("Error: The behavior up to"))
                || l.starts_with("***Parse Error***")
                || l.starts_with("Encountered")
                || l.starts_with("Unknown operator")
                || l.starts_with("line ")
        })
        .map(|l| l.to_string())
        .unwrap_or_else(|| fallback.to_string())
}

fn numbers_in(text: &str) -> Vec<u64> {
    let mut numbers = Vec::new();
    let mut current = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            current.push(c);
        } else if c == ',' && !current.is_empty() {
            // thousands separator inside a number, as some TLC versions print
        } else if !current.is_empty() {
            if let Ok(n) = current.parse() {
                numbers.push(n);
            }
            current.clear();
        }
    }
    numbers
}

/// `State 2: <Action line ...>` followed by `/\ name = value` lines; a value may continue
/// on following lines that do not start a new conjunct.
fn parse_trace(output: &str) -> Vec<TraceState> {
    let mut trace: Vec<TraceState> = Vec::new();
    let mut in_state = false;
    for raw in output.lines() {
        let line = raw.trim_end();
        if let Some(rest) = line.strip_prefix("State ")
            && let Some((number, header)) = rest.split_once(':')
            && number.trim().parse::<usize>().is_ok()
        {
            trace.push(TraceState {
                index: trace.len() + 1,
                action: action_name(header.trim()),
                variables: Vec::new(),
            });
            in_state = true;
            continue;
        }
        // An initial state that violates an invariant is printed without a `State 1:`
        // header, right after the error line.
        if line.starts_with("Error: Invariant ")
            && line.ends_with("is violated by the initial state:")
        {
            trace.push(TraceState {
                index: trace.len() + 1,
                action: None,
                variables: Vec::new(),
            });
            in_state = true;
            continue;
        }
        if !in_state {
            continue;
        }
        let Some(state) = trace.last_mut() else {
            continue;
        };
        if line.trim().is_empty() {
            in_state = false;
        } else if let Some(conjunct) = line.trim_start().strip_prefix("/\\ ")
            && let Some((name, value)) = conjunct.split_once(" = ")
        {
            state
                .variables
                .push((name.trim().to_string(), value.trim().to_string()));
        } else if let Some((_, value)) = state.variables.last_mut() {
            value.push(' ');
            value.push_str(line.trim());
        } else if let Some((name, value)) = line.split_once(" = ") {
            // A single-variable spec prints `x = 1` without the conjunction.
            state
                .variables
                .push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    trace
}

/// `<Initial predicate>` → none; `<Crash line 3, col 1 to ... of module M>` → `Crash`;
/// `<Crash(n1) line ...>` → `Crash(n1)`.
fn action_name(header: &str) -> Option<String> {
    let inner = header.strip_prefix('<')?;
    let inner = inner.split('>').next().unwrap_or(inner);
    if inner.starts_with("Initial predicate") {
        return None;
    }
    let name = match inner.find(" line ") {
        Some(at) => &inner[..at],
        None => inner,
    };
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_string())
}
