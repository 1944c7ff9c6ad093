//! `cargo xtask status`: fences still to write, and PASS/FAIL per step, on a copy of the
//! fixture workspace; and the parsers it reads cargo's output with.

mod support;

use std::path::Path;

use support::fixture;
use xtask::exercise;
use xtask::status::{self, FenceCount, Grade};

#[test]
fn a_test_belongs_to_the_step_its_name_or_module_starts_with() {
    for (name, step) in [
        ("step1_acceptor_rejects_a_lower_ballot", Some(1)),
        ("on_sim_file::step12_truncate_keeps_the_prefix", Some(12)),
        ("step3::tail::a_torn_tail_is_cut", Some(3)),
        ("step3_recovery::a_torn_tail_is_cut", Some(3)),
        ("steps_are_counted", None),
        ("a_test_about_step1_", None),
        ("stepx_not_a_number", None),
        ("step", None),
    ] {
        assert_eq!(status::step_of(name), step, "step of {name}");
    }
}

#[test]
fn cargo_output_is_read_for_tests_counts_and_the_first_failure() {
    let listing = "step1_a: test\nstep2_b: test\n\n2 tests, 0 benchmarks\nsome_bench: benchmark\n";
    assert_eq!(
        status::listed_tests(listing),
        vec!["step1_a".to_string(), "step2_b".to_string()],
        "only the `: test` lines are tests"
    );
    let run = "\
test step2_b ... ok
test step2_c ... FAILED
test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 3 filtered out; finished in 0.01s
test result: ok. 4 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s
";
    assert_eq!(
        status::result_counts(run),
        (5, 1),
        "passed and failed are summed over the test binaries"
    );
    assert_eq!(
        status::first_failure(run).as_deref(),
        Some("step2_c"),
        "the first failing test is named"
    );
}

fn write_participant_answer(root: &Path) {
    let path = root.join("day1/section01-demo/src/lib.rs");
    let text = std::fs::read_to_string(&path).expect("read demo lib.rs");
    let answered = text.replacen(
        "todo!(\"promise only to a ballot above the current promise\");",
        "let accepted = ballot > self.promised;\n        self.promised = self.promised.max(ballot);\n        accepted",
        1,
    );
    assert_ne!(
        answered, text,
        "the exercise form must hold the stub to replace"
    );
    std::fs::write(&path, answered).expect("write the answer");
}

#[test]
fn status_counts_the_fences_left_and_grades_each_step() {
    let copy = tempfile::tempdir().expect("temporary directory");
    exercise::copy_workspace(&fixture(), copy.path()).expect("copy the fixture");
    exercise::cmd_exercise(copy.path(), &[], true).expect("stub every section");
    write_participant_answer(copy.path());
    let sections = exercise::discover(copy.path()).expect("discover");
    let logs = copy.path().join("logs");
    std::fs::create_dir_all(&logs).expect("log directory");

    let demo = status::section_status(copy.path(), &sections[0], &logs).expect("cargo runs");
    assert_eq!(
        demo.fences,
        FenceCount { total: 3, todo: 2 },
        "one of demo's three fences is written"
    );
    assert!(demo.has_steps, "demo's tests are grouped by step");
    let labels: Vec<&str> = demo.rows.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(
        labels,
        vec!["step 1", "step 2"],
        "one row per step, in order"
    );
    assert_eq!(
        demo.rows[0].grade,
        Grade::Pass { passed: 1 },
        "step 1 is written, so its test passes; see {}",
        demo.rows[0].log.display()
    );
    match &demo.rows[1].grade {
        Grade::Fail {
            passed: 0,
            failed: 2,
            first: Some(first),
        } => assert!(
            first.starts_with("step2_"),
            "the first failure of step 2 is one of its tests: {first}"
        ),
        other => panic!(
            "step 2 is still todo!(), so both its tests fail, got {other:?}; see {}",
            demo.rows[1].log.display()
        ),
    }

    let untested = status::section_status(copy.path(), &sections[1], &logs).expect("cargo runs");
    assert!(
        !untested.has_steps,
        "untested's test carries no step prefix"
    );
    let report = status::render(&[demo, untested]);
    assert!(
        report.contains("demo: 1 of 3 fence(s) written, 2 still todo!()"),
        "{report}"
    );
    assert!(
        report.contains("  step 1     PASS") && report.contains("  step 2     FAIL"),
        "each step says PASS or FAIL:\n{report}"
    );
    assert!(
        report.contains("no steps") && report.contains("all tests  PASS"),
        "a section without steps says so and runs as one group:\n{report}"
    );
}
