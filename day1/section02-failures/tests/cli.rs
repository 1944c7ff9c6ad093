//! The `failures` binary: the default report, the subcommands, charts and exit codes.

use std::path::Path;
use std::process::{Command, Output};

fn failures(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_failures"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the failures binary should start")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn default_output_matches_the_lab_script_plus_the_numbers_it_omitted() {
    let dir = tempfile::tempdir().unwrap();
    let output = failures(&[], dir.path());
    assert!(
        output.status.success(),
        "the default report failed: {}",
        stderr(&output)
    );
    let golden = include_str!("golden/default_report.txt");
    assert_eq!(
        stdout(&output),
        golden,
        "the default report drifted from tests/golden/default_report.txt"
    );
    for line in [
        "p = 1 day / MTTF = 1 / 1095 = 0.000913 (0.0913%)",
        "1 - p = 0.999087 (99.9087%)",
        "(1 - p)^10000 = 0.000108 (0.0108%)",
        "1 - (1 - p)^10000 = 0.999892 (99.99%)",
        "N x p = 10000 / 1095 = 9.1324 failures per day",
        "MTTF / N = 26280 h / 10000 = 2.628 h (about 2 h 38 min)",
    ] {
        assert!(
            golden.contains(line),
            "the report should contain the lab's line `{line}`"
        );
    }
}

#[test]
fn table_prints_every_fleet_size_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let output = failures(
        &["table", "--mttf", "1095d", "--n", "100,1000,100000"],
        dir.path(),
    );
    assert!(output.status.success(), "table failed: {}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("100 |       0.912684 |       0.087316"),
        "row for 100 disks missing:\n{text}"
    );
    assert!(
        text.contains("1000 |       0.401054 |       0.598946"),
        "row for 1000 disks missing:\n{text}"
    );
}

#[test]
fn need_shows_its_working_and_the_rounded_up_fleet() {
    let dir = tempfile::tempdir().unwrap();
    let output = failures(&["need", "--mttf", "3y", "--prob", "50%"], dir.path());
    let text = stdout(&output);
    assert!(
        text.contains("= 758.65"),
        "the exact solution should be shown:\n{text}"
    );
    assert!(
        text.contains("round up: 759 disks"),
        "the answer should be 759 disks:\n{text}"
    );
}

#[test]
fn replicas_compares_closed_form_and_simulation_and_writes_a_chart() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "replicas",
        "--r",
        "1..3",
        "--objects",
        "1e4",
        "--n",
        "1000",
        "--years",
        "2",
        "--svg",
        "loss.svg",
    ];
    let output = failures(&args, dir.path());
    assert!(
        output.status.success(),
        "replicas failed: {}",
        stderr(&output)
    );
    let text = stdout(&output);
    assert!(
        text.contains("MTTF^r / (r x MTTR^(r-1))"),
        "the closed form should be written out:\n{text}"
    );
    let svg =
        std::fs::read_to_string(dir.path().join("loss.svg")).expect("the chart should be written");
    assert!(
        svg.starts_with("<svg") && svg.contains("closed form") && svg.contains("simulated"),
        "the chart should show both series"
    );
}

#[test]
fn simulate_prints_days_gaps_and_quiet_stretch_and_writes_a_chart() {
    let dir = tempfile::tempdir().unwrap();
    let output = failures(
        &[
            "simulate", "--days", "7", "--seed", "42", "--svg", "days.svg",
        ],
        dir.path(),
    );
    assert!(
        output.status.success(),
        "simulate failed: {}",
        stderr(&output)
    );
    let text = stdout(&output);
    assert_eq!(
        text.lines()
            .filter(|l| l.contains(" | ") && l.trim_start().starts_with(char::is_numeric))
            .count(),
        7,
        "one row per day:\n{text}"
    );
    assert!(
        text.contains("Longest stretch without a failure"),
        "the quiet stretch is missing:\n{text}"
    );
    let svg =
        std::fs::read_to_string(dir.path().join("days.svg")).expect("the chart should be written");
    assert_eq!(
        svg.matches("<rect x=").count() - 2,
        7,
        "one bar per day (plus two legend swatches)"
    );
}

#[test]
fn the_same_seed_prints_the_same_simulation() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["simulate", "--days", "5", "--seed", "7", "--svg", "a.svg"];
    assert_eq!(
        stdout(&failures(&args, dir.path())),
        stdout(&failures(&args, dir.path())),
        "seed 7 must replay"
    );
}

#[test]
fn bad_command_lines_exit_with_code_2_and_say_why() {
    let dir = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (vec!["explode"], "unknown command"),
        (vec!["fleet", "--disks", "5"], "unknown flag --disks"),
        (vec!["fleet", "--n"], "needs a value"),
        (vec!["fleet", "--n", "1", "--n", "2"], "given twice"),
        (vec!["fleet", "--n", "1.5"], "not a whole number"),
        (
            vec!["fleet", "--mttf", "3y", "--afr", "2%"],
            "either --mttf or --afr",
        ),
        (vec!["fleet", "--model", "weibull"], "use linear or exp"),
    ] {
        let output = failures(&args, dir.path());
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?} should be a usage error: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(needle),
            "{args:?}: stderr should mention `{needle}`: {}",
            stderr(&output)
        );
    }
}

#[test]
fn invalid_values_exit_with_code_3_and_name_the_value() {
    let dir = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (
            vec!["fleet", "--mttf", "0y"],
            "MTTF must be greater than zero",
        ),
        (
            vec!["fleet", "--mttf", "-3y"],
            "MTTF must be greater than zero",
        ),
        (vec!["fleet", "--mttf", "3"], "has no time unit"),
        (
            vec!["fleet", "--mttf", "3years"],
            "unknown time unit `years`",
        ),
        (vec!["fleet", "--afr", "150%"], "between 0% and 100%"),
        (vec!["need", "--prob", "1"], "strictly between 0 and 1"),
        (
            vec!["replicas", "--r", "0..2", "--svg", "x.svg"],
            "at least 1",
        ),
    ] {
        let output = failures(&args, dir.path());
        assert_eq!(
            output.status.code(),
            Some(3),
            "{args:?} should be an invalid-value error: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(needle),
            "{args:?}: stderr should mention `{needle}`: {}",
            stderr(&output)
        );
    }
}

#[test]
fn an_unwritable_chart_exits_with_code_4() {
    let dir = tempfile::tempdir().unwrap();
    let output = failures(
        &["simulate", "--days", "1", "--svg", "no/such/dir/x.svg"],
        dir.path(),
    );
    assert_eq!(
        output.status.code(),
        Some(4),
        "writing into a missing directory should fail with code 4"
    );
    assert!(
        stderr(&output).contains("could not write"),
        "stderr should say which file: {}",
        stderr(&output)
    );
}

/// The fault this guards against: errors quoted the value converted from what was typed
/// (`--mttf 0y` reported "got 0 h", `--prob 100%` reported "got 1").
#[test]
fn invalid_values_are_quoted_as_typed() {
    let dir = tempfile::tempdir().unwrap();
    for (args, typed, converted) in [
        (vec!["fleet", "--mttf", "0y"], "--mttf `0y`", "0 h"),
        (vec!["fleet", "--mttf", "-3y"], "--mttf `-3y`", "-26280"),
        (vec!["need", "--prob", "100%"], "--prob `100%`", "got 1"),
        (
            vec!["fleet", "--period", "0d"],
            "--period `0d`",
            "the period",
        ),
        (
            vec!["replicas", "--years", "0", "--objects", "10"],
            "--years `0`",
            "simulated span",
        ),
    ] {
        let output = failures(&args, dir.path());
        assert_eq!(
            output.status.code(),
            Some(3),
            "{args:?} is an invalid value: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(typed) && !stderr(&output).contains(converted),
            "{args:?}: the error must quote `{typed}` as typed, not `{converted}`: {}",
            stderr(&output)
        );
    }
}

#[test]
fn charts_go_under_target_charts_unless_svg_says_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let output = failures(&["simulate", "--n", "100", "--days", "3"], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        dir.path()
            .join("target/charts/failures-per-day.svg")
            .is_file(),
        "the default chart belongs under target/charts/: {}",
        stdout(&output)
    );
    let left_in_place: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "svg"))
        .collect();
    assert!(
        left_in_place.is_empty(),
        "no chart may land in the working directory: {left_in_place:?}"
    );
}

/// `fleet`, `table` and `need` say which model gave p: the lab's linear one by default,
/// the exponential one with `--model exp`.
#[test]
fn the_reports_name_the_failure_model_they_use() {
    let dir = tempfile::tempdir().unwrap();
    for (args, model) in [
        (vec!["fleet"], "linear (p = period / MTTF)"),
        (
            vec!["table", "--model", "exp"],
            "exponential (p = 1 - exp(-period / MTTF))",
        ),
        (
            vec!["need", "--model", "exp"],
            "exponential (p = 1 - exp(-period / MTTF))",
        ),
    ] {
        let output = failures(&args, dir.path());
        assert!(
            output.status.success(),
            "{args:?} failed: {}",
            stderr(&output)
        );
        assert!(
            stdout(&output).contains(model),
            "{args:?} should name the model `{model}`:\n{}",
            stdout(&output)
        );
    }
}
