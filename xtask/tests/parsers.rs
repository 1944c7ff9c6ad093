//! The checker-output parsers on recorded logs: tla-rs logs captured from real runs,
//! TLC logs written in TLC's format (see fixtures/README.md).

use std::path::PathBuf;

use xtask::outcome::{Verdict, render_trace_changes};
use xtask::{parse_tlars, parse_tlc};

fn fixture(engine: &str, name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(engine)
        .join(format!("{name}.log"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture {} is missing: {e}", path.display()))
}

#[test]
fn tla_rs_pass_is_a_pass_with_the_durable_decision_state_count() {
    let outcome = parse_tlars::parse(&fixture("tla-rs", "pass"), Some(0));
    assert_eq!(
        outcome.verdict,
        Verdict::Pass,
        "a clean run must read as a pass"
    );
    assert_eq!(
        outcome.distinct_states,
        Some(12167),
        "reachable states of DurableDecision"
    );
    assert_eq!(outcome.depth, Some(22), "max depth of DurableDecision");
    assert_eq!(outcome.states_left, Some(0), "a pass is a complete search");
    assert!(outcome.trace.is_empty(), "a pass has no counterexample");
}

#[test]
fn tla_rs_violation_names_the_invariant_and_yields_the_trace() {
    let outcome = parse_tlars::parse(&fixture("tla-rs", "violation"), Some(1));
    assert_eq!(
        outcome.verdict,
        Verdict::InvariantViolated("PromiseKept".to_string())
    );
    let actions: Vec<Option<&str>> = outcome.trace.iter().map(|s| s.action.as_deref()).collect();
    assert_eq!(
        actions,
        vec![None, Some("ReceivePrepare"), Some("Crash"), Some("Restart")],
        "the forgotten-promise counterexample: ack, crash, restart"
    );
    let last = outcome.trace.last().expect("the trace has a final state");
    assert_eq!(
        last.variables.len(),
        6,
        "every variable of the final state is parsed"
    );
    let crashed = last
        .variables
        .iter()
        .find(|(n, _)| n == "crashed")
        .expect("crashed is in the state");
    assert_eq!(
        crashed.1, "(n1 :> false @@ n2 :> false @@ n3 :> false)",
        "the change marker `(was: ...) *` must be stripped from values"
    );
}

#[test]
fn tla_rs_deadlock_is_a_deadlock_with_its_trace() {
    let outcome = parse_tlars::parse(&fixture("tla-rs", "deadlock"), Some(1));
    assert_eq!(outcome.verdict, Verdict::Deadlock);
    assert_eq!(
        outcome.trace.len(),
        3,
        "the trace to the deadlock state has 3 states"
    );
}

#[test]
fn tla_rs_syntax_error_is_a_parse_error() {
    let outcome = parse_tlars::parse(&fixture("tla-rs", "parse-error"), Some(1));
    match outcome.verdict {
        Verdict::ParseError(detail) => assert!(
            detail.contains("line 5"),
            "the detail should locate the error: {detail}"
        ),
        other => panic!("a syntax error must read as a parse error, got {other:?}"),
    }
}

#[test]
fn tla_rs_missing_next_is_a_config_error() {
    let outcome = parse_tlars::parse(&fixture("tla-rs", "config-error"), Some(1));
    assert!(
        matches!(outcome.verdict, Verdict::ConfigError(ref d) if d.contains("Nxt")),
        "a NEXT that does not exist is a configuration error, got {:?}",
        outcome.verdict
    );
}

#[test]
fn tla_rs_state_limit_is_incomplete_never_a_pass() {
    let outcome = parse_tlars::parse(&fixture("tla-rs", "state-limit"), Some(1));
    assert!(
        matches!(outcome.verdict, Verdict::Incomplete(_)),
        "a search cut short by --max-states proves nothing, got {:?}",
        outcome.verdict
    );
}

#[test]
fn tla_rs_undefined_name_is_an_error() {
    let outcome = parse_tlars::parse(&fixture("tla-rs", "eval-error"), Some(1));
    assert!(
        matches!(outcome.verdict, Verdict::Error(ref d) if d.contains("undefined variable")),
        "an evaluation error must surface its message, got {:?}",
        outcome.verdict
    );
}

#[test]
fn tla_rs_success_text_with_a_failing_exit_code_is_not_a_pass() {
    let outcome = parse_tlars::parse(&fixture("tla-rs", "pass"), Some(1));
    assert_ne!(
        outcome.verdict,
        Verdict::Pass,
        "exit code 1 must never read as a pass"
    );
}

#[test]
fn tlc_pass_is_a_pass_with_counts_and_depth() {
    let outcome = parse_tlc::parse(&fixture("tlc", "pass"), Some(0));
    assert_eq!(outcome.verdict, Verdict::Pass);
    assert_eq!(
        outcome.distinct_states,
        Some(12167),
        "distinct states found"
    );
    assert_eq!(outcome.generated_states, Some(65068), "states generated");
    assert_eq!(outcome.states_left, Some(0), "states left on queue");
    assert_eq!(
        outcome.depth,
        Some(22),
        "depth of the complete state graph search"
    );
    assert!(
        outcome
            .version
            .as_deref()
            .is_some_and(|v| v.starts_with("TLC2 Version")),
        "the version banner is kept: {:?}",
        outcome.version
    );
}

#[test]
fn tlc_violation_names_the_invariant_and_yields_the_trace() {
    let outcome = parse_tlc::parse(&fixture("tlc", "violation"), Some(12));
    assert_eq!(
        outcome.verdict,
        Verdict::InvariantViolated("PromiseKept".to_string())
    );
    let actions: Vec<Option<&str>> = outcome.trace.iter().map(|s| s.action.as_deref()).collect();
    assert_eq!(
        actions,
        vec![None, Some("ReceivePrepare"), Some("Crash"), Some("Restart")]
    );
    assert_eq!(
        outcome.trace[1].variables[0],
        (
            "memPromised".to_string(),
            "(n1 :> 1 @@ n2 :> 0 @@ n3 :> 0)".to_string()
        ),
        "`/\\ name = value` conjuncts become variables"
    );
    assert_eq!(
        outcome.states_left,
        Some(97),
        "a violation stops with states on the queue"
    );
}

#[test]
fn tlc_violation_by_the_initial_state_is_a_violation() {
    let outcome = parse_tlc::parse(&fixture("tlc", "violation-initial"), Some(12));
    assert_eq!(
        outcome.verdict,
        Verdict::InvariantViolated("TypeOK".to_string())
    );
    assert_eq!(
        outcome.trace.len(),
        1,
        "the violating initial state is the whole counterexample"
    );
}

/// TLC prints a violating initial state without a `State 1:` header; with several
/// variables they come as conjunctions.
#[test]
fn tlc_initial_state_counterexample_is_one_state_with_every_variable() {
    let outcome = parse_tlc::parse(&fixture("tlc", "violation-initial-conjunctions"), Some(12));
    assert_eq!(
        outcome.verdict,
        Verdict::InvariantViolated("QuorumsIntersect".to_string())
    );
    assert_eq!(
        outcome.trace.len(),
        1,
        "a violating initial state is a counterexample of one state"
    );
    let variables: Vec<(&str, &str)> = outcome.trace[0]
        .variables
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    assert_eq!(
        variables,
        [("writeQuorum", "{2}"), ("readQuorum", "{1}"), ("n", "2")],
        "every variable of the initial state must be read"
    );
    assert_eq!(
        outcome.trace[0].action, None,
        "an initial state has no action"
    );
}

#[test]
fn tlc_deadlock_is_a_deadlock_with_single_variable_states() {
    let outcome = parse_tlc::parse(&fixture("tlc", "deadlock"), Some(11));
    assert_eq!(outcome.verdict, Verdict::Deadlock);
    let values: Vec<&str> = outcome
        .trace
        .iter()
        .map(|s| s.variables[0].1.as_str())
        .collect();
    assert_eq!(
        values,
        vec!["0", "1", "2"],
        "a one-variable state prints `x = v` without `/\\`"
    );
}

#[test]
fn tlc_parse_error_is_a_parse_error_even_with_exit_code_1() {
    for exit_code in [Some(150), Some(1), Some(255)] {
        let outcome = parse_tlc::parse(&fixture("tlc", "parse-error"), exit_code);
        assert!(
            matches!(outcome.verdict, Verdict::ParseError(_)),
            "SANY's parse error with exit code {exit_code:?} must read as a parse error, got {:?}",
            outcome.verdict
        );
    }
}

#[test]
fn tlc_config_error_is_a_config_error() {
    let outcome = parse_tlc::parse(&fixture("tlc", "config-error"), Some(151));
    assert!(
        matches!(outcome.verdict, Verdict::ConfigError(ref d) if d.contains("Nxt")),
        "got {:?}",
        outcome.verdict
    );
}

#[test]
fn tlc_success_line_with_a_failing_exit_code_is_not_a_pass() {
    let outcome = parse_tlc::parse(&fixture("tlc", "pass"), Some(255));
    assert!(
        matches!(outcome.verdict, Verdict::Error(_)),
        "got {:?}",
        outcome.verdict
    );
}

#[test]
fn tlc_and_tla_rs_agree_on_the_same_counterexample() {
    let tlc = parse_tlc::parse(&fixture("tlc", "violation"), Some(12));
    let tla_rs = parse_tlars::parse(&fixture("tla-rs", "violation"), Some(1));
    assert_eq!(
        tlc.verdict, tla_rs.verdict,
        "both engines report the same invariant"
    );
    let names = |o: &xtask::outcome::Outcome| -> Vec<Vec<String>> {
        o.trace
            .iter()
            .map(|s| s.variables.iter().map(|(n, _)| n.clone()).collect())
            .collect()
    };
    assert_eq!(
        names(&tlc),
        names(&tla_rs),
        "both traces have the same states and variables"
    );
}

#[test]
fn shown_trace_lists_only_the_variables_that_changed() {
    let outcome = parse_tlars::parse(&fixture("tla-rs", "violation"), Some(1));
    let shown = render_trace_changes(&outcome.trace);
    let restart = shown
        .split("<Restart>")
        .nth(1)
        .expect("the Restart step is shown");
    assert!(
        restart.contains("crashed ="),
        "the restart changes `crashed`:\n{shown}"
    );
    assert!(
        !restart.contains("memPromised ="),
        "unchanged variables are hidden:\n{shown}"
    );
    let initial = shown
        .split("State 2")
        .next()
        .expect("the initial state is shown");
    assert_eq!(
        initial.matches(" = ").count(),
        6,
        "the initial state shows every variable:\n{shown}"
    );
}
