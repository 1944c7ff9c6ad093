//! The `littles-law` binary: answers with their working, charts, and exit codes.

use std::path::Path;
use std::process::{Command, Output};

fn littles_law(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_littles-law"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the littles-law binary should start")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn lab_with_defaults_reproduces_the_worked_answers() {
    let dir = tempfile::tempdir().unwrap();
    let output = littles_law(&["lab"], dir.path());
    assert!(output.status.success(), "lab failed: {}", stderr(&output));
    let text = stdout(&output);
    for answer in [
        "= 0.95704",
        "0.0570509 ms",
        "17528.2 IOPS",
        "12269.7 IOPS",
        "R 1.140 ms",
        "= 3 disks",
        "27344 KiB/s",
    ] {
        assert!(
            text.contains(answer),
            "the lab output should contain `{answer}`:\n{text}"
        );
    }
}

#[test]
fn lab_takes_a_learners_own_reading() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "lab",
        "--iops",
        "1000",
        "--await-ms",
        "2",
        "--util",
        "50%",
        "--aqu",
        "2",
        "--target-iops",
        "1500",
        "--latency-ms",
        "5",
    ];
    let text = stdout(&littles_law(&args, dir.path()));
    assert!(
        text.contains("L = lambda x W = 1000 /s x 2 ms"),
        "Q1 should use the given numbers:\n{text}"
    );
    assert!(
        text.contains("S = U / X = 0.5 / 1000 /s"),
        "Q2 should use the given utilisation:\n{text}"
    );
}

#[test]
fn analyze_reads_a_saved_iostat_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = fixture("iostat_sysstat12.txt");
    let output = littles_law(
        &["analyze", "--iostat-file", &log, "--device", "vdb"],
        dir.path(),
    );
    assert!(
        output.status.success(),
        "analyze failed: {}",
        stderr(&output)
    );
    let text = stdout(&output);
    assert!(
        text.contains("3 intervals of vdb"),
        "three reports mention vdb:\n{text}"
    );
    assert!(
        text.contains("6836.0     0.140    0.957     0.96    39.0"),
        "the lab's interval with L next to aqu-sz:\n{text}"
    );
    assert!(
        text.contains("Caveat: vdb serves many requests in parallel"),
        "virtio disks get the %util caveat:\n{text}"
    );
}

#[test]
fn watch_prints_iostat_columns_from_diskstats() {
    let dir = tempfile::tempdir().unwrap();
    let stats = fixture("diskstats_20_fields_t0.txt");
    let args = [
        "watch",
        "--device",
        "vdb",
        "--diskstats",
        &stats,
        "--interval",
        "10ms",
        "--count",
        "2",
    ];
    let output = littles_law(&args, dir.path());
    assert!(output.status.success(), "watch failed: {}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("lambda*W") && text.contains("aqu-sz"),
        "the header should put lambda*W next to aqu-sz:\n{text}"
    );
    assert_eq!(
        text.lines().filter(|l| l.starts_with("vdb")).count(),
        2,
        "one row per interval:\n{text}"
    );
}

#[test]
fn load_reports_the_application_side_and_removes_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let output = littles_law(
        &[
            "load",
            "--file",
            "io.bin",
            "--duration",
            "200ms",
            "--qd",
            "2",
            "--file-size",
            "4M",
        ],
        dir.path(),
    );
    assert!(output.status.success(), "load failed: {}", stderr(&output));
    let text = stdout(&output);
    for line in [
        "lambda (throughput)",
        "W (mean latency)",
        "p99",
        "p999",
        "L = lambda x W",
        "sampled in flight",
    ] {
        assert!(
            text.contains(line),
            "the load report should show `{line}`:\n{text}"
        );
    }
    assert!(
        !dir.path().join("io.bin").exists(),
        "the load file must be removed"
    );
}

#[test]
fn sweep_writes_csv_and_a_chart_of_the_measured_curve() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "sweep",
        "--file",
        "io.bin",
        "--qd",
        "1,2",
        "--step-duration",
        "100ms",
        "--file-size",
        "4M",
        "--csv",
        "s.csv",
        "--svg",
        "s.svg",
    ];
    let output = littles_law(&args, dir.path());
    assert!(output.status.success(), "sweep failed: {}", stderr(&output));
    let csv = std::fs::read_to_string(dir.path().join("s.csv")).expect("the CSV should be written");
    assert_eq!(
        csv.lines().count(),
        3,
        "a header and one row per queue depth:\n{csv}"
    );
    let svg =
        std::fs::read_to_string(dir.path().join("s.svg")).expect("the chart should be written");
    assert!(
        svg.contains("measured") && svg.contains("S / (1 - U)"),
        "the chart should show measured and analytic curves"
    );
    assert!(
        !dir.path().join("io.bin").exists(),
        "the load file must be removed after the sweep"
    );
}

#[test]
fn simulate_prints_simulated_next_to_analytic_and_writes_a_chart() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "simulate",
        "--service-ms",
        "0.057",
        "--util",
        "10%..90%",
        "--steps",
        "5",
        "--customers",
        "20000",
        "--svg",
        "h.svg",
    ];
    let output = littles_law(&args, dir.path());
    assert!(
        output.status.success(),
        "simulate failed: {}",
        stderr(&output)
    );
    let text = stdout(&output);
    assert!(
        text.contains("M/M/1 queue, S = 0.057 ms"),
        "the header should name the queue:\n{text}"
    );
    assert_eq!(
        text.lines()
            .filter(|l| l.trim_start().starts_with("0."))
            .count(),
        5,
        "five utilisation rows:\n{text}"
    );
    let svg =
        std::fs::read_to_string(dir.path().join("h.svg")).expect("the chart should be written");
    assert_eq!(
        svg.matches("<circle").count(),
        5,
        "one simulated marker per utilisation"
    );
}

#[test]
fn simulate_replays_with_the_same_seed() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "simulate",
        "--model",
        "mmc",
        "--servers",
        "3",
        "--util",
        "0.5,0.8",
        "--customers",
        "5000",
        "--seed",
        "9",
        "--svg",
        "a.svg",
    ];
    assert_eq!(
        stdout(&littles_law(&args, dir.path())),
        stdout(&littles_law(&args, dir.path())),
        "seed 9 must replay"
    );
}

#[test]
fn bad_command_lines_exit_with_code_2() {
    let dir = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (vec!["dig"], "unknown command"),
        (vec!["lab", "--iopz", "5"], "unknown flag --iopz"),
        (vec!["lab", "--iops"], "needs a value"),
        (vec!["load", "--duration", "1s"], "needs --file"),
        (
            vec!["load", "--file", "x", "--qd", "2", "--rate", "5k"],
            "not both",
        ),
        (
            vec!["load", "--file", "x", "--direct=yes"],
            "takes no value",
        ),
        (vec!["analyze", "--device", "vdb"], "needs --iostat-file"),
        (
            vec!["load", "--file", "x", "--qd", "4", "--workers", "8"],
            "--workers serves an open loop",
        ),
        (vec!["watch"], "--device NAME or --path PATH"),
        (vec!["simulate", "--model", "gg1"], "use mm1, md1 or mmc"),
    ] {
        let output = littles_law(&args, dir.path());
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
fn invalid_values_exit_with_code_3_and_name_the_unit() {
    let dir = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (
            vec!["lab", "--util", "39"],
            "a percentage like 39% or a fraction like 0.39",
        ),
        (vec!["lab", "--iops", "-5"], "not a non-negative number"),
        (
            vec!["lab", "--util", "100%"],
            "--util `100%`: must be below 100%",
        ),
        (vec!["lab", "--iops", "0"], "--iops `0`: must be above zero"),
        (
            vec!["lab", "--latency-ms", "0.05"],
            "no number of disks can meet it",
        ),
        (
            vec!["load", "--file", "x", "--bs", "4096"],
            "a size with a unit",
        ),
        (
            vec!["load", "--file", "x", "--duration", "10"],
            "a duration with a unit",
        ),
        (
            vec!["simulate", "--util", "0.5,1.0", "--svg", "x.svg"],
            "--util `0.5,1.0`: every utilisation must be below 100%",
        ),
    ] {
        let output = littles_law(&args, dir.path());
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
fn a_missing_log_or_unwritable_chart_exits_with_code_4() {
    let dir = tempfile::tempdir().unwrap();
    let missing = littles_law(
        &["analyze", "--iostat-file", "nope.txt", "--device", "vdb"],
        dir.path(),
    );
    assert_eq!(
        missing.status.code(),
        Some(4),
        "a missing log is an I/O error: {}",
        stderr(&missing)
    );
    let chart = littles_law(
        &[
            "simulate",
            "--util",
            "0.5",
            "--customers",
            "100",
            "--svg",
            "no/dir/x.svg",
        ],
        dir.path(),
    );
    assert_eq!(
        chart.status.code(),
        Some(4),
        "an unwritable chart is an I/O error: {}",
        stderr(&chart)
    );
}

#[test]
fn a_misaligned_direct_block_exits_with_code_5() {
    let dir = tempfile::tempdir().unwrap();
    let output = littles_law(
        &[
            "load",
            "--file",
            "x.bin",
            "--bs",
            "100B",
            "--file-size",
            "1K",
            "--direct",
            "--duration",
            "50ms",
        ],
        dir.path(),
    );
    assert_eq!(
        output.status.code(),
        Some(5),
        "O_DIRECT with 100 B blocks must fail loudly: {}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("logical block size"),
        "the message should explain the alignment: {}",
        stderr(&output)
    );
}

#[test]
fn refusing_to_overwrite_an_existing_file_exits_with_code_3() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.bin"), b"data").unwrap();
    let output = littles_law(
        &["load", "--file", "keep.bin", "--duration", "50ms"],
        dir.path(),
    );
    assert_eq!(
        output.status.code(),
        Some(3),
        "an existing file is refused: {}",
        stderr(&output)
    );
    assert_eq!(
        std::fs::read(dir.path().join("keep.bin")).unwrap(),
        b"data",
        "and left as it was"
    );
}

/// Ctrl-C during `load`: the handler raises the stop flag, the run ends at the next
/// write, the file is removed and the process exits with 130.
#[test]
fn ctrl_c_during_load_removes_the_file_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("interrupted.bin");
    let mut child = Command::new(env!("CARGO_BIN_EXE_littles-law"))
        .args([
            "load",
            "--file",
            "interrupted.bin",
            "--duration",
            "60s",
            "--file-size",
            "4M",
        ])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the littles-law binary should start");
    // Wait (bounded) until the load file exists, so the handler is installed and the run is on.
    for _ in 0..20_000 {
        if file.exists() || child.try_wait().ok().flatten().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert!(
        file.exists(),
        "the load file should exist while the load runs"
    );
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    assert!(
        sent.is_ok_and(|s| s.success()),
        "sending SIGINT to the load generator failed"
    );
    let output = child
        .wait_with_output()
        .expect("the interrupted load should exit");
    assert_eq!(
        output.status.code(),
        Some(130),
        "an interrupted load exits with 130: {}",
        stderr(&output)
    );
    assert!(
        stdout(&output).contains("(interrupted)"),
        "the report should say it was interrupted:\n{}",
        stdout(&output)
    );
    assert!(!file.exists(), "Ctrl-C must not leave the load file behind");
}

/// The faults this guards against: an error that quoted a converted value ("utilisation
/// 1.5") where the learner typed `150%`, or a computed NaN for a zero service time.
#[test]
fn out_of_range_values_are_quoted_as_typed() {
    let dir = tempfile::tempdir().unwrap();
    for (args, typed, converted) in [
        (vec!["simulate", "--util", "150%"], "--util `150%`", "1.5"),
        (vec!["lab", "--util", "120%"], "--util `120%`", "1.2"),
        (vec!["lab", "--cap", "0%"], "--cap `0%`", "is zero"),
        (
            vec!["simulate", "--service-ms", "0"],
            "--service-ms `0`",
            "NaN",
        ),
    ] {
        let output = littles_law(&args, dir.path());
        assert_eq!(
            output.status.code(),
            Some(3),
            "{args:?} is an invalid value: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(typed) && !stderr(&output).contains(converted),
            "{args:?}: the error must quote `{typed}` as typed, not the converted `{converted}`: {}",
            stderr(&output)
        );
    }
}

/// The fault this guards against: `--steps 0` (or 1) was silently ignored with a list and
/// blamed the range with a range.
#[test]
fn steps_below_two_or_with_a_list_are_refused_and_say_why() {
    let dir = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (
            vec!["simulate", "--util", "10%..90%", "--steps", "0"],
            "a range needs at least 2 steps",
        ),
        (
            vec!["simulate", "--util", "10%..90%", "--steps", "1"],
            "a range needs at least 2 steps",
        ),
        (
            vec!["simulate", "--util", "0.5,0.9", "--steps", "4"],
            "is a list, used as given",
        ),
        (vec!["simulate", "--steps", "0"], "the default is a list"),
        (
            vec!["sweep", "--file", "x", "--qd", "1,2", "--steps", "0"],
            "is a list, used as given",
        ),
    ] {
        let output = littles_law(&args, dir.path());
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?} is a usage error: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(needle),
            "{args:?}: stderr should say `{needle}`: {}",
            stderr(&output)
        );
    }
    assert!(
        !dir.path().join("x").exists(),
        "a refused sweep must not create its load file"
    );
}

/// The faults this guards against: `analyze` called an unknown device a usage error (2)
/// while `watch` called it an invalid value (3); and `watch --path` of a path that does
/// not exist measured the device of its parent directory instead.
#[test]
fn an_unknown_device_or_a_missing_watch_path_is_an_invalid_value_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let iostat = fixture("iostat_sysstat12.txt");
    let stats = fixture("diskstats_20_fields_t0.txt");
    let missing = dir.path().join("no-such-dir/file");
    let missing = missing.to_str().expect("utf-8 path");
    for (args, needle) in [
        (
            vec!["analyze", "--iostat-file", &iostat, "--device", "nope"],
            "`nope` does not appear",
        ),
        (
            vec![
                "watch",
                "--device",
                "nope",
                "--diskstats",
                &stats,
                "--count",
                "1",
            ],
            "`nope` is not in",
        ),
        (
            vec![
                "watch",
                "--path",
                missing,
                "--count",
                "1",
                "--interval",
                "10ms",
            ],
            "does not exist",
        ),
    ] {
        let output = littles_law(&args, dir.path());
        assert_eq!(
            output.status.code(),
            Some(3),
            "{args:?}: an unknown device or path is an invalid value: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(needle),
            "{args:?}: stderr should say `{needle}`: {}",
            stderr(&output)
        );
        assert!(
            stdout(&output).is_empty(),
            "{args:?}: nothing may be measured: {}",
            stdout(&output)
        );
    }
}

/// The fault this guards against: the M/M/c and M/D/1 summaries printed the M/M/1 formula.
#[test]
fn each_model_summary_states_its_own_formula() {
    let dir = tempfile::tempdir().unwrap();
    for (model, formula) in [
        ("mm1", "R follows S / (1 - U)"),
        ("md1", "R follows S + S U / (2 (1 - U))"),
        ("mmc", "R follows S + C(4, U) S / (4 (1 - U))"),
    ] {
        let args = [
            "simulate",
            "--model",
            model,
            "--util",
            "0.5",
            "--customers",
            "2000",
            "--svg",
            "m.svg",
        ];
        let output = littles_law(&args, dir.path());
        assert!(output.status.success(), "{model}: {}", stderr(&output));
        assert!(
            stdout(&output).contains(formula),
            "{model}: the summary must state `{formula}`:\n{}",
            stdout(&output)
        );
    }
}

#[test]
fn charts_go_under_target_charts_unless_svg_says_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["simulate", "--util", "0.5", "--customers", "2000"];
    let output = littles_law(&args, dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        dir.path()
            .join("target/charts/littles-law-simulate.svg")
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
