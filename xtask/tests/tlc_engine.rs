//! The TLC engine end to end, with a stand-in `java` that replays a recorded TLC log, so
//! the command line, the work directory, parsing, comparison, the summary and the exit
//! codes are checked without Java or TLC.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const FAKE_JAVA: &str = r#"#!/bin/sh
if [ "$1" = "-version" ]; then
    echo "openjdk version \"${FAKE_JAVA_VERSION:-17.0.15}\" 2025-04-15" >&2
    exit 0
fi
case "$*" in
    *-config*) ;;
    *)
        # The runner's probe: TLC without a spec.
        if [ -n "$FAKE_TLC_BEFORE_SPEC_TE" ]; then
            echo "TLC2 Version 2.15 of Day Month 20?? (rev: d5b5a7f)"
            echo "Error: Error: unrecognized option: -noGenerateSpecTE"
        else
            echo "TLC2 Version 2.18 of Day Month 20?? (rev: 0000000)"
            echo "Error: Missing input TLA+ module."
        fi
        exit 1
        ;;
esac
pwd > "$FAKE_JAVA_RECORD"
for argument in "$@"; do echo "$argument" >> "$FAKE_JAVA_RECORD"; done
cat "$FAKE_JAVA_OUTPUT"
exit "$FAKE_JAVA_EXIT"
"#;

struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    /// A workspace with one module, configurations `Good` (expects PromiseKept violated),
    /// `Relaxed` (the same, without deadlock checking) and a fake java and jar.
    fn new() -> Setup {
        let dir = tempfile::tempdir().expect("temporary directory");
        let root = dir.path();
        let tla = root.join("tla");
        std::fs::create_dir_all(&tla).expect("tla dir");
        std::fs::create_dir_all(root.join("jdk/bin")).expect("jdk dir");
        let java = root.join("jdk/bin/java");
        std::fs::write(&java, FAKE_JAVA).expect("fake java");
        std::fs::set_permissions(&java, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let jar = root.join("tla2tools.jar");
        std::fs::write(&jar, b"stand-in jar").expect("fake jar");
        let sha = xtask::download::sha256_file(&jar).expect("hash");
        std::fs::write(tla.join("Model.tla"), "---- MODULE Model ----\n====\n").expect("module");
        std::fs::write(tla.join("Good.cfg"), "INIT Init\n").expect("cfg");
        std::fs::write(tla.join("Relaxed.cfg"), "INIT Init\n").expect("cfg");
        std::fs::write(
            tla.join("expected.toml"),
            format!(
                r#"
[tlc]
version = "1.7.4"
url = "https://example.invalid/tla2tools.jar"
sha256 = "{sha}"
min_java = 11

[tla-rs]
package = "tla-checker"
version = "0.24.11"
binary = "tla"

[[spec]]
name = "Good"
module = "Model"
expect = "violation"
invariant = "PromiseKept"

[[spec]]
name = "Relaxed"
module = "Model"
expect = "violation"
invariant = "PromiseKept"
check_deadlock = false
"#
            ),
        )
        .expect("manifest");
        Setup { dir }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn run(
        &self,
        arguments: &[&str],
        log: &str,
        exit: i32,
        java_version: &str,
    ) -> (Option<i32>, String) {
        self.run_with(arguments, log, exit, java_version, &[])
    }

    fn run_with(
        &self,
        arguments: &[&str],
        log: &str,
        exit: i32,
        java_version: &str,
        extra_env: &[(&str, &str)],
    ) -> (Option<i32>, String) {
        let fixture =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/tlc/{log}.log"));
        let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(arguments)
            .envs(extra_env.iter().copied())
            .env("XTASK_WORKSPACE_ROOT", self.root())
            .env("JAVA_HOME", self.root().join("jdk"))
            .env("TLA2TOOLS_JAR", self.root().join("tla2tools.jar"))
            .env("FAKE_JAVA_RECORD", self.root().join("java-arguments"))
            .env("FAKE_JAVA_OUTPUT", fixture)
            .env("FAKE_JAVA_EXIT", exit.to_string())
            .env("FAKE_JAVA_VERSION", java_version)
            .env_remove("TLC_JAVA_OPTS")
            .output()
            .expect("xtask runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.code(), text)
    }

    fn java_arguments(&self) -> Vec<String> {
        std::fs::read_to_string(self.root().join("java-arguments"))
            .expect("java was called")
            .lines()
            .map(str::to_string)
            .collect()
    }
}

#[test]
fn tlc_runs_in_target_with_the_documented_flags_and_matches_the_expectation() {
    let setup = Setup::new();
    let (code, text) = setup.run(&["tlc", "Good", "--show-trace"], "violation", 12, "17.0.15");
    assert_eq!(
        code,
        Some(0),
        "the expected violation is a success:\n{text}"
    );
    let arguments = setup.java_arguments();
    let work = setup.root().join("target/tla/Good");
    assert_eq!(
        Path::new(&arguments[0]).canonicalize().expect("cwd"),
        work.canonicalize().expect("work dir"),
        "TLC runs in target/tla/<Spec>/"
    );
    let flags = arguments[1..].join(" ");
    assert!(flags.starts_with("-XX:+UseParallelGC -cp "), "{flags}");
    assert!(
        flags.ends_with(
            "tlc2.TLC -config Good.cfg -metadir states -workers 1 -cleanup -noGenerateSpecTE -terse Model.tla"
        ),
        "{flags}"
    );
    assert!(work.join("tlc.log").is_file(), "the log is kept");
    assert!(
        work.join("Model.tla").is_file() && work.join("Good.cfg").is_file(),
        "the spec is copied"
    );
    let tla_files: Vec<_> = std::fs::read_dir(setup.root().join("tla"))
        .expect("tla")
        .collect();
    assert_eq!(tla_files.len(), 4, "nothing is written into tla/");
    assert!(
        text.contains("State 4: <Restart>"),
        "--show-trace prints the counterexample:\n{text}"
    );
}

/// The TLC on PyPI (a build of January 2020) rejects `-noGenerateSpecTE`, which later
/// builds need so that they write no trace-explorer files: the runner asks the jar and
/// passes the option only to a TLC that takes it.
#[test]
fn a_tlc_that_rejects_no_generate_spec_te_is_run_without_it() {
    let setup = Setup::new();
    let (code, text) = setup.run_with(
        &["tlc", "Good"],
        "violation",
        12,
        "17.0.15",
        &[("FAKE_TLC_BEFORE_SPEC_TE", "1")],
    );
    assert_eq!(code, Some(0), "the older TLC must run the spec:\n{text}");
    let flags = setup.java_arguments()[1..].join(" ");
    assert!(
        flags.ends_with(
            "tlc2.TLC -config Good.cfg -metadir states -workers 1 -cleanup -terse Model.tla"
        ),
        "the option the older TLC rejects must be left out: {flags}"
    );
    let probe = std::fs::read_to_string(setup.root().join("target/tla/probe.log"))
        .expect("the probe's answer is logged");
    assert!(
        probe.contains("TLC2 Version 2.15"),
        "the probe must have asked the jar: {probe}"
    );
}

#[test]
fn disabling_deadlock_checking_passes_minus_deadlock_to_tlc() {
    let setup = Setup::new();
    let (code, text) = setup.run(&["tlc", "Relaxed"], "violation", 12, "17.0.15");
    assert_eq!(code, Some(0), "{text}");
    assert!(
        setup.java_arguments().contains(&"-deadlock".to_string()),
        "check_deadlock = false"
    );
}

#[test]
fn a_result_other_than_the_expectation_exits_1() {
    let setup = Setup::new();
    let (code, text) = setup.run(&["tlc", "Good"], "pass", 0, "17.0.15");
    assert_eq!(
        code,
        Some(1),
        "a pass where a violation is expected fails:\n{text}"
    );
    assert!(
        text.contains("FAIL") && text.contains("expected violation of PromiseKept, got pass"),
        "{text}"
    );
    let (code, text) = setup.run(&["tlc", "Good"], "parse-error", 150, "17.0.15");
    assert_eq!(
        code,
        Some(1),
        "a parse error is a failed check, not a success:\n{text}"
    );
}

#[test]
fn tlc_all_writes_a_summary_and_fails_on_an_orphan_configuration() {
    let setup = Setup::new();
    let (code, text) = setup.run(&["tlc-all"], "violation", 12, "17.0.15");
    assert_eq!(code, Some(0), "{text}");
    let summary =
        std::fs::read_to_string(setup.root().join("target/tla/summary.json")).expect("summary");
    let json: serde_json::Value = serde_json::from_str(&summary).expect("summary is JSON");
    let names: Vec<&str> = json["specs"]
        .as_array()
        .expect("specs")
        .iter()
        .map(|s| s["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, vec!["Good", "Relaxed"], "one row per spec, sorted");

    std::fs::write(setup.root().join("tla/Orphan.cfg"), "INIT Init\n").expect("orphan");
    let (code, text) = setup.run(&["tlc-all"], "violation", 12, "17.0.15");
    assert_eq!(
        code,
        Some(1),
        "a configuration without expectation fails tlc-all:\n{text}"
    );
    assert!(text.contains("Orphan.cfg has no expectation"), "{text}");
}

#[test]
fn a_too_old_java_exits_2_before_running_anything() {
    let setup = Setup::new();
    let (code, text) = setup.run(&["tlc", "Good"], "violation", 12, "1.8.0_292");
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("Java 8") && text.contains("Nothing was run"),
        "{text}"
    );
    assert!(
        !setup.root().join("java-arguments").exists(),
        "TLC was not started"
    );
}
