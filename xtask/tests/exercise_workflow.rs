//! The exercise commands on a small fixture workspace (tests/fixtures/exercise-workspace):
//! section discovery, exercise/solution in place, branches in a scratch git repository,
//! and verify-exercises building the fixture with cargo.

mod support;

use std::process::Command;

use support::{fixture, git, lib_rs, scratch_repository};
use xtask::exercise;

#[test]
fn sections_are_the_fenced_members_under_day1_and_day2() {
    let sections = exercise::discover(&fixture()).expect("discover");
    let names: Vec<(&str, usize)> = sections
        .iter()
        .map(|s| (s.package.as_str(), s.fenced_files.len()))
        .collect();
    assert_eq!(
        names,
        vec![("demo", 1), ("untested", 1)],
        "common/ is not a section"
    );
    assert_eq!(
        sections[0].fenced_files,
        vec!["day1/section01-demo/src/lib.rs".to_string()]
    );
}

#[test]
fn a_section_is_named_by_package_or_folder_and_unknown_names_list_the_sections() {
    let sections = exercise::discover(&fixture()).expect("discover");
    let by_folder =
        exercise::select(&sections, &["section01-demo".to_string()]).expect("folder name");
    assert_eq!(by_folder[0].package, "demo");
    let error = exercise::select(&sections, &["paxos".to_string()]).expect_err("no such section");
    assert_eq!(error.exit_code(), 64);
    assert!(error.to_string().contains("demo, untested"), "{error}");
}

#[test]
fn exercise_then_solution_round_trips_and_both_refuse_a_dirty_tree() {
    let repo = scratch_repository();
    let original = lib_rs(repo.path());
    exercise::cmd_exercise(repo.path(), &["demo".to_string()], false)
        .expect("exercise on a clean tree");
    let stubbed = lib_rs(repo.path());
    assert!(
        stubbed.contains("todo!(\"promise only to a ballot above the current promise\");"),
        "{stubbed}"
    );
    assert!(
        !stubbed.contains("self.promised = ballot;"),
        "the solution is gone"
    );

    let refused = exercise::cmd_solution(repo.path(), &[], "main", false).expect_err("dirty tree");
    assert_eq!(
        refused.exit_code(),
        3,
        "uncommitted work is never overwritten silently, and a dirty tree is not a usage error: {refused}"
    );
    assert!(
        refused.to_string().contains("uncommitted changes")
            && refused
                .to_string()
                .contains("day1/section01-demo/src/lib.rs"),
        "the refusal must say why and name the changed file: {refused}"
    );
    exercise::cmd_solution(repo.path(), &[], "main", true).expect("forced restore from main");
    assert_eq!(
        lib_rs(repo.path()),
        original,
        "the solution is restored byte for byte"
    );
}

#[test]
fn branches_hold_the_exercises_and_one_solved_section_each_without_switching_branch() {
    let repo = scratch_repository();
    let head_before = git(repo.path(), &["rev-parse", "HEAD"]);
    exercise::cmd_branches(repo.path(), "HEAD", false).expect("branches from a clean main");

    assert_eq!(
        git(repo.path(), &["branch", "--show-current"]).trim(),
        "main",
        "still on main"
    );
    assert_eq!(
        git(repo.path(), &["rev-parse", "HEAD"]),
        head_before,
        "main did not move"
    );
    assert_eq!(
        git(repo.path(), &["status", "--porcelain"]),
        "",
        "the work tree is untouched"
    );

    let exercises = git(
        repo.path(),
        &["show", "exercises:day1/section01-demo/src/lib.rs"],
    );
    assert_eq!(
        exercises.matches("todo!(").count(),
        3,
        "every region of demo is stubbed"
    );
    let untested = git(
        repo.path(),
        &["show", "exercises:day2/section01-untested/src/lib.rs"],
    );
    assert!(
        untested.contains("todo!(\"multiply by two\");"),
        "every section is stubbed"
    );

    let diff = git(repo.path(), &["diff", "exercises", "solution/demo"]);
    assert!(
        diff.contains("+        self.promised = ballot;"),
        "the diff shows the solution:\n{diff}"
    );
    assert!(
        diff.contains("-        todo!("),
        "the diff removes the stub:\n{diff}"
    );
    assert!(
        !diff.contains("section01-untested"),
        "solution/demo solves only demo:\n{diff}"
    );

    std::fs::write(
        repo.path().join("day1/section01-demo/src/lib.rs"),
        "// edited\n",
    )
    .expect("edit");
    let refused = exercise::cmd_branches(repo.path(), "HEAD", false).expect_err("dirty tree");
    assert_eq!(
        refused.exit_code(),
        3,
        "a dirty tree has its own exit code, not the usage error's: {refused}"
    );
}

#[test]
fn verify_exercises_passes_a_good_section_and_flags_tests_that_miss_the_fences() {
    let sections = exercise::discover(&fixture()).expect("discover");
    let work = tempfile::tempdir().expect("temporary directory");
    let target = work.path().join("target");
    let rows = exercise::verify(&fixture(), &sections, work.path(), &target).expect("cargo runs");
    let demo = &rows[0];
    assert_eq!(demo.package, "demo");
    assert!(
        demo.exercise_compiles,
        "todo!() stubs must compile; see {}",
        demo.logs[0]
    );
    assert!(
        demo.exercise_tests_fail,
        "demo's tests must fail on the stubs; see {}",
        demo.logs[1]
    );
    assert!(
        demo.solution_passes,
        "demo's solution must pass; see {}",
        demo.logs[2]
    );
    assert!(
        demo.exercise_warnings.is_empty(),
        "the exercise form must compile without warnings: {:?}; see {}",
        demo.exercise_warnings,
        demo.logs[0]
    );
    assert!(demo.ok());
    let untested = &rows[1];
    assert!(
        untested.exercise_compiles && untested.solution_passes,
        "{untested:?}"
    );
    assert!(
        !untested.exercise_tests_fail && !untested.ok(),
        "tests that pass on the stubs do not test the exercise: {untested:?}"
    );
    assert!(
        lib_rs(&fixture()).contains("self.promised = ballot;"),
        "verification works on a copy and never touches the workspace"
    );
}

#[test]
fn verify_exercises_says_so_when_no_section_has_fences() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let member = dir.path().join("day1/section01-plain");
    std::fs::create_dir_all(member.join("src")).expect("member dir");
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[workspace]\nmembers = [\"day1/section01-plain\"]\n",
    )
    .expect("workspace manifest");
    std::fs::write(
        member.join("Cargo.toml"),
        "[package]\nname = \"plain\"\nversion = \"0.1.0\"\n",
    )
    .expect("member manifest");
    std::fs::write(member.join("src/lib.rs"), "pub fn f() {}\n").expect("lib.rs");
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("verify-exercises")
        .env("XTASK_WORKSPACE_ROOT", dir.path())
        .output()
        .expect("xtask runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "nothing to verify is not a failure: {text}"
    );
    assert!(
        text.contains("no section has exercise fences yet"),
        "the output must say so: {text}"
    );
}
