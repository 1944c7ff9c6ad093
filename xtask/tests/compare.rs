//! Comparing an outcome with its expectation.

use xtask::manifest::{EngineKind, EnginePins, Expectation, SpecEntry};
use xtask::outcome::{Outcome, TraceState, Verdict, compare};

fn entry(expect: Expectation) -> SpecEntry {
    SpecEntry {
        name: "Spec".to_string(),
        module: "Spec".to_string(),
        expect,
        timeout_secs: 60,
        check_deadlock: true,
        tlc: None,
        tla_rs: None,
    }
}

fn violation(name: &str) -> Expectation {
    Expectation::Violation {
        invariant: name.to_string(),
    }
}

fn passed(distinct: u64) -> Outcome {
    let mut outcome = Outcome::with_verdict(Verdict::Pass);
    outcome.distinct_states = Some(distinct);
    outcome.states_left = Some(0);
    outcome
}

fn violated(name: &str, trace_states: usize) -> Outcome {
    let mut outcome = Outcome::with_verdict(Verdict::InvariantViolated(name.to_string()));
    outcome.trace = (1..=trace_states)
        .map(|index| TraceState {
            index,
            action: None,
            variables: Vec::new(),
        })
        .collect();
    outcome
}

#[test]
fn pass_matches_pass_expectation_without_pins() {
    let result = compare(&entry(Expectation::Pass), EngineKind::Tlc, &passed(10));
    assert!(
        result.ok,
        "an unpinned pass is a pass: {:?}",
        result.problems
    );
}

#[test]
fn pass_with_the_pinned_state_count_is_ok_and_a_different_count_fails() {
    let mut spec = entry(Expectation::Pass);
    spec.tlc = Some(EnginePins {
        distinct_states: Some(12167),
        trace_states: None,
    });
    assert!(
        compare(&spec, EngineKind::Tlc, &passed(12167)).ok,
        "the pinned count matches"
    );
    let wrong = compare(&spec, EngineKind::Tlc, &passed(12168));
    assert!(!wrong.ok, "a changed state space must fail");
    assert!(
        wrong.problems[0].contains("12167") && wrong.problems[0].contains("12168"),
        "{:?}",
        wrong.problems
    );
}

#[test]
fn pins_of_one_engine_do_not_apply_to_the_other() {
    let mut spec = entry(Expectation::Pass);
    spec.tlc = Some(EnginePins {
        distinct_states: Some(12167),
        trace_states: None,
    });
    assert!(
        compare(&spec, EngineKind::TlaRs, &passed(999)).ok,
        "a TLC count must not be checked against tla-rs"
    );
}

#[test]
fn pass_with_states_left_on_the_queue_is_not_a_pass() {
    let mut outcome = passed(10);
    outcome.states_left = Some(3);
    assert!(!compare(&entry(Expectation::Pass), EngineKind::Tlc, &outcome).ok);
}

#[test]
fn expected_invariant_violation_is_ok() {
    let result = compare(
        &entry(violation("Agreement")),
        EngineKind::Tlc,
        &violated("Agreement", 5),
    );
    assert!(result.ok, "{:?}", result.problems);
}

#[test]
fn violation_of_another_invariant_fails() {
    let result = compare(
        &entry(violation("Agreement")),
        EngineKind::Tlc,
        &violated("TypeOK", 2),
    );
    assert!(
        !result.ok,
        "the checker found something, but not what the spec is about"
    );
    assert!(
        result.problems[0].contains("TypeOK"),
        "{:?}",
        result.problems
    );
}

#[test]
fn deadlock_parse_error_and_incomplete_fail_a_violation_expectation() {
    for verdict in [
        Verdict::Deadlock,
        Verdict::ParseError("line 3".to_string()),
        Verdict::ConfigError("no NEXT".to_string()),
        Verdict::Incomplete("state limit".to_string()),
        Verdict::Error("timed out".to_string()),
    ] {
        let result = compare(
            &entry(violation("Agreement")),
            EngineKind::TlaRs,
            &Outcome::with_verdict(verdict.clone()),
        );
        assert!(
            !result.ok,
            "{verdict:?} must not satisfy an expected violation"
        );
    }
}

#[test]
fn violation_when_a_pass_is_expected_fails() {
    let result = compare(
        &entry(Expectation::Pass),
        EngineKind::Tlc,
        &violated("Agreement", 3),
    );
    assert!(!result.ok);
    assert!(
        result.problems[0].contains("expected pass"),
        "{:?}",
        result.problems
    );
}

#[test]
fn counterexample_longer_than_the_pinned_bound_fails() {
    let mut spec = entry(violation("Agreement"));
    spec.tla_rs = Some(EnginePins {
        distinct_states: None,
        trace_states: Some(4),
    });
    assert!(
        compare(&spec, EngineKind::TlaRs, &violated("Agreement", 4)).ok,
        "at the bound is fine"
    );
    assert!(
        compare(&spec, EngineKind::TlaRs, &violated("Agreement", 3)).ok,
        "shorter is fine"
    );
    assert!(
        !compare(&spec, EngineKind::TlaRs, &violated("Agreement", 5)).ok,
        "longer must fail"
    );
}
