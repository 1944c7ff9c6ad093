//! `cargo xtask status [<section>...]`: where a participant stands, section by section.
//!
//! For each section with fences it counts the regions still holding their exercise stub
//! (the `todo!` line; see [`crate::fence::holds_stub`]) against those written, then runs
//! the section's tests step by step (`cargo test -p <section> -- step<N>_`) and says PASS
//! or FAIL per step, the way MIT's distributed-systems labs grade each part. A test
//! belongs to step *N* when its name starts with `step<N>_` or a module around it is
//! `step<N>` or starts with `step<N>_`; tests outside every step are run once more as "other". A section whose
//! tests carry no step prefix is run as one row and said so. The command reports; it
//! exits 0 whatever the tests do (1 only when a fence is malformed).
//!
//! The logs of every run are kept in `target/xtask-status/`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::Failure;
use crate::exercise::{self, Section};
use crate::fence;
use crate::process;

/// How long one step's tests may run before they count as hanging.
const STEP_LIMIT: Duration = Duration::from_secs(900);

/// The fences of a section: how many regions, and how many still hold their stub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FenceCount {
    /// Regions in the section.
    pub total: usize,
    /// Regions that still hold their `todo!` stub.
    pub todo: usize,
}

/// Counts the fenced regions of `section` under `root` that still hold their stub.
pub fn count_fences(root: &Path, section: &Section) -> Result<FenceCount, Failure> {
    let mut count = FenceCount { total: 0, todo: 0 };
    for file in &section.fenced_files {
        let path = root.join(file);
        let text = std::fs::read_to_string(&path).map_err(|e| Failure::io("read", &path, &e))?;
        let regions = fence::regions(&text).map_err(|e| Failure::Check(format!("{file}: {e}")))?;
        count.total += regions.len();
        count.todo += regions
            .iter()
            .filter(|r| fence::holds_stub(&text, r))
            .count();
    }
    Ok(count)
}

/// The step a test belongs to: `N` when a segment of its path is `step<N>` (a module) or
/// starts with `step<N>_`.
pub fn step_of(test: &str) -> Option<u32> {
    test.split("::").find_map(|segment| {
        let digits = segment.strip_prefix("step")?;
        let end = digits
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(digits.len());
        let (number, rest) = digits.split_at(end);
        if number.is_empty() || !(rest.is_empty() || rest.starts_with('_')) {
            return None;
        }
        number.parse().ok()
    })
}

/// The libtest filters that select the tests of step `step`: `step<N>_` and `step<N>::`.
pub fn step_filters(step: u32) -> [String; 2] {
    [format!("step{step}_"), format!("step{step}::")]
}

/// The test names in the output of `cargo test -- --list` (lines `name: test`).
pub fn listed_tests(output: &str) -> Vec<String> {
    output
        .lines()
        .filter_map(|line| line.strip_suffix(": test"))
        .map(str::to_string)
        .collect()
}

/// Passed and failed tests summed over the `test result:` lines of a `cargo test` run.
pub fn result_counts(output: &str) -> (usize, usize) {
    let number_before = |line: &str, word: &str| -> usize {
        line.split(';')
            .find(|part| part.trim_end().ends_with(word))
            .and_then(|part| part.split_whitespace().rev().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    output
        .lines()
        .filter(|l| l.starts_with("test result:"))
        .fold((0, 0), |(passed, failed), line| {
            (
                passed + number_before(line, "passed"),
                failed + number_before(line, "failed"),
            )
        })
}

/// The first failing test named in a `cargo test` run, if any.
pub fn first_failure(output: &str) -> Option<String> {
    output.lines().find_map(|line| {
        line.strip_prefix("test ")
            .and_then(|rest| rest.strip_suffix(" ... FAILED"))
            .map(str::to_string)
    })
}

/// What one group of tests did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grade {
    /// Every test of the group passed (and there was at least one).
    Pass {
        /// Tests run.
        passed: usize,
    },
    /// Some test failed, or none ran.
    Fail {
        /// Tests that passed.
        passed: usize,
        /// Tests that failed.
        failed: usize,
        /// The first failing test.
        first: Option<String>,
    },
    /// The tests did not finish within the time limit.
    Hung,
    /// The section does not compile.
    BuildFailed,
}

/// One row of the status table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRow {
    /// `step 3`, `other` or `all tests`.
    pub label: String,
    /// The outcome.
    pub grade: Grade,
    /// The log of the run.
    pub log: PathBuf,
    /// How long the run took (building included, when something had to be built).
    pub elapsed: Duration,
}

/// The status of one section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionStatus {
    /// Package name.
    pub package: String,
    /// Its fences.
    pub fences: FenceCount,
    /// Whether its tests are grouped by step.
    pub has_steps: bool,
    /// One row per step (then "other"), or one "all tests" row.
    pub rows: Vec<StepRow>,
}

fn cargo_test(
    root: &Path,
    package: &str,
    filter: &[&str],
    log: &Path,
) -> Result<process::Finished, Failure> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["test", "-p", package, "--no-fail-fast", "--"])
        .args(filter)
        .current_dir(root)
        .env_remove("CARGO_MANIFEST_DIR");
    process::run_logged(&mut command, log, STEP_LIMIT)
}

fn grade(finished: &process::Finished) -> Grade {
    if finished.timed_out {
        return Grade::Hung;
    }
    let (passed, failed) = result_counts(&finished.output);
    let built = finished.output.contains("test result:");
    if !built && finished.exit_code != Some(0) {
        return Grade::BuildFailed;
    }
    if finished.exit_code == Some(0) && failed == 0 && passed > 0 {
        Grade::Pass { passed }
    } else {
        Grade::Fail {
            passed,
            failed,
            first: first_failure(&finished.output),
        }
    }
}

/// Counts the fences of `section` and runs its tests step by step.
pub fn section_status(
    root: &Path,
    section: &Section,
    logs: &Path,
) -> Result<SectionStatus, Failure> {
    let package = section.package.as_str();
    let fences = count_fences(root, section)?;
    let list_log = logs.join(format!("{package}-list.log"));
    let listing = cargo_test(root, package, &["--list"], &list_log)?;
    if listing.exit_code != Some(0) {
        return Ok(SectionStatus {
            package: package.to_string(),
            fences,
            has_steps: false,
            rows: vec![StepRow {
                label: "all tests".to_string(),
                grade: Grade::BuildFailed,
                log: list_log,
                elapsed: listing.elapsed,
            }],
        });
    }
    let tests = listed_tests(&listing.output);
    let steps: BTreeSet<u32> = tests.iter().filter_map(|t| step_of(t)).collect();
    let mut rows = Vec::new();
    for step in &steps {
        let log = logs.join(format!("{package}-step{step}.log"));
        let filters = step_filters(*step);
        let filter: Vec<&str> = filters.iter().map(String::as_str).collect();
        let finished = cargo_test(root, package, &filter, &log)?;
        rows.push(StepRow {
            label: format!("step {step}"),
            grade: grade(&finished),
            log,
            elapsed: finished.elapsed,
        });
    }
    let unstepped = tests.iter().filter(|t| step_of(t).is_none()).count();
    if steps.is_empty() || unstepped > 0 {
        let label = if steps.is_empty() {
            "all tests"
        } else {
            "other"
        };
        let log = logs.join(format!("{package}-{}.log", label.replace(' ', "-")));
        // Skipping every step's filters leaves the tests outside all steps.
        let skips: Vec<String> = steps.iter().flat_map(|step| step_filters(*step)).collect();
        let filter: Vec<&str> = skips.iter().flat_map(|s| ["--skip", s.as_str()]).collect();
        let finished = cargo_test(root, package, &filter, &log)?;
        rows.push(StepRow {
            label: label.to_string(),
            grade: grade(&finished),
            log,
            elapsed: finished.elapsed,
        });
    }
    Ok(SectionStatus {
        package: package.to_string(),
        fences,
        has_steps: !steps.is_empty(),
        rows,
    })
}

/// The report for `statuses`, as printed.
pub fn render(statuses: &[SectionStatus]) -> String {
    let mut out = String::new();
    for status in statuses {
        let FenceCount { total, todo } = status.fences;
        out.push_str(&format!(
            "{}: {} of {total} fence(s) written, {todo} still todo!()\n",
            status.package,
            total - todo
        ));
        if !status.has_steps {
            out.push_str(
                "  (no steps: its tests carry no step<N>_ prefix, so they run as one group)\n",
            );
        }
        for row in &status.rows {
            let detail = match &row.grade {
                Grade::Pass { passed } => format!("PASS  {passed} test(s)"),
                Grade::Fail {
                    passed,
                    failed,
                    first,
                } => {
                    let mut text = format!("FAIL  {passed}/{} test(s) pass", passed + failed);
                    if let Some(first) = first {
                        text.push_str(&format!("; first failure: {first}"));
                    } else if passed + failed == 0 {
                        text.push_str("; no test ran");
                    }
                    text
                }
                Grade::Hung => format!(
                    "FAIL  did not finish in {} s; see {}",
                    STEP_LIMIT.as_secs(),
                    row.log.display()
                ),
                Grade::BuildFailed => {
                    format!("FAIL  does not compile; see {}", row.log.display())
                }
            };
            out.push_str(&format!(
                "  {:<10} {detail}  ({:.1} s)\n",
                row.label,
                row.elapsed.as_secs_f64()
            ));
        }
    }
    out
}

/// `cargo xtask status [<section>...]`.
pub fn cmd_status(root: &Path, names: &[String]) -> Result<(), Failure> {
    let sections = exercise::select(&exercise::discover(root)?, names)?;
    if sections.is_empty() {
        println!("no section has exercise fences yet; nothing to report");
        return Ok(());
    }
    let logs = root.join("target").join("xtask-status");
    std::fs::create_dir_all(&logs).map_err(|e| Failure::io("create", &logs, &e))?;
    for section in &sections {
        eprintln!("running the tests of {} step by step ...", section.package);
        let status = section_status(root, section, &logs)?;
        print!("{}", render(std::slice::from_ref(&status)));
    }
    Ok(())
}
