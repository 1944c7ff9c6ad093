//! `cargo xtask mutants`: the command line, the mapping from a section to its package and
//! protocol files, and the reading of a run's counts (the run itself is not tested here:
//! it takes from minutes to hours).

use std::path::{Path, PathBuf};
use std::process::Command;

use xtask::cli::{self, Command as Parsed};
use xtask::mutants::{self, MutantsArgs, SCOPES};

fn args(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace")
        .to_path_buf()
}

fn parsed(text: &str) -> MutantsArgs {
    match cli::parse(&args(text)).expect("valid") {
        Parsed::Mutants(parsed) => parsed,
        other => panic!("{text:?} parsed as {other:?}"),
    }
}

fn usage_error(text: &str) -> String {
    match cli::parse(&args(text)) {
        Err(failure @ xtask::Failure::Usage(_)) => failure.to_string(),
        other => panic!("{text:?} must be a usage error, got {other:?}"),
    }
}

#[test]
fn mutants_takes_a_section_and_runs_one_job_at_the_sweeps_own_seed_count_by_default() {
    assert_eq!(
        parsed("mutants paxos"),
        MutantsArgs {
            section: "paxos".into(),
            list: false,
            jobs: 1,
            sim_iters: None,
            extra: vec![],
        }
    );
}

#[test]
fn mutants_options_are_parsed_and_what_follows_the_double_dash_is_passed_on() {
    let parsed = parsed("mutants wal --jobs 2 --sim-iters 20 --list -- --shard 1/4 --iterate");
    assert_eq!(parsed.section, "wal");
    assert_eq!(parsed.jobs, 2);
    assert_eq!(parsed.sim_iters, Some(20));
    assert!(parsed.list);
    assert_eq!(parsed.extra, args("--shard 1/4 --iterate"));
}

#[test]
fn mutants_command_line_mistakes_are_usage_errors_that_say_what_is_wrong() {
    assert!(usage_error("mutants").contains("needs a section"));
    assert!(usage_error("mutants paxos raft").contains("one section"));
    assert!(usage_error("mutants paxos --fast").contains("unknown option --fast"));
    assert!(usage_error("mutants paxos --jobs").contains("--jobs needs a value"));
    assert!(usage_error("mutants paxos --jobs two").contains("positive number"));
    assert!(usage_error("mutants paxos --jobs 0").contains("at least 1"));
    assert!(usage_error("mutants paxos --sim-iters 0").contains("at least 1"));
}

#[test]
fn a_section_is_named_by_its_package_or_its_folder() {
    let by_package = mutants::scope("paxos").expect("paxos is a section");
    let by_folder = mutants::scope("section03-paxos").expect("so is its folder");
    assert_eq!(by_package, by_folder);
    assert_eq!(by_package.package, "paxos");
    assert_eq!(by_package.files, ["day2/section03-paxos/src/**"]);
}

#[test]
fn common_means_the_checker_judged_by_its_own_tests() {
    let common = mutants::scope("common").expect("common is a scope");
    assert_eq!(common.package, "common");
    assert_eq!(common.files, ["common/src/check/**"]);
    assert_eq!(common.test_args, ["--lib", "--test", "check"]);
}

#[test]
fn an_unknown_section_is_a_usage_error_listing_the_known_ones() {
    let error = mutants::scope("zab").expect_err("there is no zab section");
    assert!(matches!(error, xtask::Failure::Usage(_)), "{error:?}");
    let text = error.to_string();
    assert!(text.contains("\"zab\""), "{text}");
    for scope in SCOPES {
        assert!(
            text.contains(scope.section),
            "{text} must list {}",
            scope.section
        );
    }
}

#[test]
fn every_section_of_the_workspace_has_a_scope_and_every_scope_names_files_that_exist() {
    let root = workspace_root();
    let sections = xtask::exercise::discover(&root).expect("the workspace's sections");
    for section in &sections {
        let scope = mutants::scope(&section.package)
            .unwrap_or_else(|e| panic!("{} has no mutation scope: {e}", section.package));
        assert_eq!(scope.dir, section.dir);
    }
    assert_eq!(
        SCOPES.len(),
        sections.len() + 1,
        "one scope per section, and common's checker"
    );
    for scope in SCOPES {
        for file in scope.files {
            let path = root.join(file.trim_end_matches("/**"));
            assert!(path.exists(), "{}: {file} does not exist", scope.section);
            assert!(
                file.starts_with(scope.dir),
                "{}: {file} is outside the section",
                scope.section
            );
        }
    }
}

#[test]
fn the_run_mutates_the_scopes_files_with_the_sections_tests_one_job_at_a_time() {
    let common = mutants::scope("common").expect("common");
    let run = mutants::cargo_args(common, &parsed("mutants common"));
    assert_eq!(
        run,
        args(
            "mutants --package common --file common/src/check/** --jobs 1 \
             --output target/mutants/common -- --lib --test check"
        )
    );
    let quorums = mutants::scope("quorums").expect("quorums");
    let run = mutants::cargo_args(quorums, &parsed("mutants quorums --jobs 2 -- --shard 1/2"));
    assert_eq!(
        run,
        args(
            "mutants --package quorums --file day1/section04-quorums/src/server.rs \
             --file day1/section04-quorums/src/client.rs --file day1/section04-quorums/src/config.rs \
             --jobs 2 --output target/mutants/quorums --shard 1/2"
        ),
        "no test arguments: every test of the package judges a mutant"
    );
}

#[test]
fn listing_runs_nothing_and_writes_no_results() {
    let common = mutants::scope("common").expect("common");
    let list = mutants::cargo_args(common, &parsed("mutants common --list"));
    assert_eq!(
        list,
        args("mutants --package common --file common/src/check/** --list")
    );
}

#[test]
fn the_counts_of_a_run_are_read_from_its_outcomes() {
    let json = r#"{"outcomes": [], "total_mutants": 73, "missed": 2, "caught": 60,
                   "timeout": 1, "unviable": 10, "success": 0, "failure": 0}"#;
    assert_eq!(
        mutants::counts(json),
        Ok(mutants::Counts {
            total: 73,
            caught: 60,
            missed: 2,
            timeout: 1,
            unviable: 10,
        })
    );
    let broken = mutants::counts(r#"{"total_mutants": 3}"#).expect_err("counts are missing");
    assert!(broken.contains("caught"), "{broken}");
}

#[test]
fn an_unknown_section_exits_with_the_usage_code_before_anything_runs() {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["mutants", "zab"])
        .output()
        .expect("the xtask binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(64), "{stderr}");
    assert!(stderr.contains("the sections are: littles-law"), "{stderr}");
}

#[test]
fn a_fresh_clone_gets_the_results_folder_the_run_writes_into() {
    let root = tempfile::tempdir().expect("a temporary workspace");
    let paxos = mutants::scope("paxos").expect("paxos");
    let dir = mutants::prepare_output(root.path(), paxos).expect("the folder is created");
    assert_eq!(dir, root.path().join("target/mutants/paxos"));
    assert!(dir.is_dir(), "{} was not created", dir.display());
    // A second run finds it there and is not refused.
    mutants::prepare_output(root.path(), paxos).expect("an existing folder is fine");
}
