//! The command line: parsing, usage errors and exit codes, run as the real binary.

use std::process::Command;

use xtask::cli::{self, Command as Parsed};
use xtask::manifest::EngineKind;

fn args(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

fn xtask(arguments: &str) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args(arguments))
        .env("TLA_RS_BIN", "/nonexistent/tla")
        .output()
        .expect("the xtask binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), text)
}

#[test]
fn tlc_options_are_parsed() {
    match cli::parse(&args("tlc Paxos --engine tla-rs --show-trace --offline")).expect("valid") {
        Parsed::Tlc { spec, options } => {
            assert_eq!(spec, "Paxos");
            assert_eq!(options.engine, EngineKind::TlaRs);
            assert!(options.show_trace && options.offline);
        }
        other => panic!("parsed as {other:?}"),
    }
}

#[test]
fn branches_takes_force_and_a_base() {
    match cli::parse(&args("branches --force --base v2")).expect("valid") {
        Parsed::Branches { base, force } => {
            assert_eq!(base, "v2", "--base must be kept");
            assert!(force, "--force must be kept");
        }
        other => panic!("parsed as {other:?}"),
    }
}

#[test]
fn status_takes_sections_and_no_flags() {
    match cli::parse(&args("status wal paxos")).expect("valid") {
        Parsed::Status { sections } => assert_eq!(
            sections,
            vec!["wal".to_string(), "paxos".to_string()],
            "the sections are kept in order"
        ),
        other => panic!("parsed as {other:?}"),
    }
    let error = cli::parse(&args("status --force")).expect_err("status has no --force");
    assert_eq!(error.exit_code(), 64, "an unknown flag is a usage error");
}

#[test]
fn usage_errors_have_their_own_exit_code() {
    for bad in [
        "",
        "frobnicate",
        "tlc",
        "tlc A B",
        "tlc A --engine java",
        "tlc-all --explore",
        "branches paxos",
        "tlc A --jar",
    ] {
        let error = cli::parse(&args(bad)).expect_err(bad);
        assert_eq!(error.exit_code(), 64, "`{bad}` is a usage error");
    }
}

#[test]
fn an_unknown_spec_exits_64_and_lists_the_known_specs() {
    let (code, text) = xtask("tlc NoSuchSpec --engine tla-rs");
    assert_eq!(code, Some(64), "{text}");
    assert!(
        text.contains("DurableDecision") && text.contains("BrokenPaxos"),
        "{text}"
    );
}

#[test]
fn a_missing_tla_rs_binary_exits_2_with_the_install_command() {
    let (code, text) = xtask("tlc DurableDecision --engine tla-rs");
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("cargo install tla-checker --version"),
        "{text}"
    );
    assert!(text.contains("Nothing was run"), "{text}");
}

#[test]
fn help_succeeds_and_lists_every_command() {
    let (code, text) = xtask("help");
    assert_eq!(code, Some(0));
    for command in [
        "tlc <Spec>",
        "tlc-all",
        "tlc-fetch",
        "exercise",
        "solution",
        "branches",
        "verify-exercises",
        "status",
    ] {
        assert!(text.contains(command), "help must mention {command}");
    }
}
