//! `cargo xtask mutants <section>`: mutation testing of one section's protocol code (or of
//! `common`'s linearizability checker) with `cargo-mutants`.
//!
//! A mutant is a small plausible bug — a `<` turned into `<=`, a condition replaced by
//! `true`, a function body replaced by a default — applied to a copy of the workspace; the
//! section's tests then run against it. A mutant the tests *catch* shows a claim holds
//! the code in place; one they *miss* is either a missing claim (write it, named as the
//! behaviour it proves) or *equivalent* (no test could tell it from the original: list
//! it, with why, in the section's `MUTANTS.md`).
//!
//! The configuration common to every section is `.cargo/mutants.toml` (what is never
//! examined: binaries, the real-network runtime, Display impls, the text of notes; the
//! timeout multiplier). This module adds what is particular to a section: its package,
//! the source files that hold its protocol code ([`SCOPES`]), and the tests to run. It is
//! not part of CI: a run takes from minutes to hours, and is made before a section is
//! called done.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::Failure;

/// The command that installs the tool, printed when it is missing.
pub const INSTALL: &str = "cargo install cargo-mutants --locked";

/// What one section's mutation run examines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    /// The name `cargo xtask mutants` takes: the package name (`paxos`).
    pub section: &'static str,
    /// The section's folder (`day2/section03-paxos`); its last component is accepted as a
    /// name too (`section03-paxos`).
    pub dir: &'static str,
    /// The package whose tests judge the mutants.
    pub package: &'static str,
    /// Globs (from the workspace root) of the files mutated: the protocol code.
    pub files: &'static [&'static str],
    /// Arguments for `cargo test` (after `--`): which of the package's tests run.
    pub test_args: &'static [&'static str],
}

/// Every section that can be mutated, in course order, then `common`'s checker.
///
/// A section's scope is its `src/` minus what `.cargo/mutants.toml` excludes everywhere
/// (binaries, `main.rs`), except where a section holds code that is not protocol: the
/// real-disk labs of Little's law, the command-line front ends of the day-1 labs, and
/// the quorum store's demo driver.
pub const SCOPES: &[Scope] = &[
    Scope {
        section: "littles-law",
        dir: "day1/section01-littles-law",
        package: "littles-law",
        files: &[
            "day1/section01-littles-law/src/model.rs",
            "day1/section01-littles-law/src/sim.rs",
            "day1/section01-littles-law/src/histogram.rs",
            "day1/section01-littles-law/src/units.rs",
        ],
        test_args: &[],
    },
    Scope {
        section: "failures",
        dir: "day1/section02-failures",
        package: "failures",
        files: &[
            "day1/section02-failures/src/fleet.rs",
            "day1/section02-failures/src/replication.rs",
            "day1/section02-failures/src/sim.rs",
            "day1/section02-failures/src/units.rs",
        ],
        test_args: &[],
    },
    Scope {
        section: "wal",
        dir: "day1/section03-wal",
        package: "wal",
        files: &["day1/section03-wal/src/**"],
        test_args: &[],
    },
    Scope {
        section: "quorums",
        dir: "day1/section04-quorums",
        package: "quorums",
        files: &[
            "day1/section04-quorums/src/server.rs",
            "day1/section04-quorums/src/client.rs",
            "day1/section04-quorums/src/config.rs",
        ],
        test_args: &[],
    },
    Scope {
        section: "naive-replication",
        dir: "day2/section01-naive-replication",
        package: "naive-replication",
        files: &["day2/section01-naive-replication/src/**"],
        test_args: &[],
    },
    Scope {
        section: "generation-voting",
        dir: "day2/section02-generation-voting",
        package: "generation-voting",
        files: &["day2/section02-generation-voting/src/**"],
        test_args: &[],
    },
    Scope {
        section: "paxos",
        dir: "day2/section03-paxos",
        package: "paxos",
        files: &["day2/section03-paxos/src/**"],
        test_args: &[],
    },
    Scope {
        section: "paxoslog",
        dir: "day2/section04-paxoslog",
        package: "paxoslog",
        files: &["day2/section04-paxoslog/src/**"],
        test_args: &[],
    },
    Scope {
        section: "multipaxos",
        dir: "day2/section05-multipaxos",
        package: "multipaxos",
        files: &["day2/section05-multipaxos/src/**"],
        test_args: &[],
    },
    Scope {
        section: "heartbeats",
        dir: "day2/section06-heartbeats",
        package: "heartbeats",
        files: &["day2/section06-heartbeats/src/**"],
        test_args: &[],
    },
    Scope {
        section: "raft",
        dir: "day2/section07-raft",
        package: "raft",
        files: &["day2/section07-raft/src/**"],
        test_args: &[],
    },
    Scope {
        section: "common",
        dir: "common",
        package: "common",
        files: &["common/src/check/**"],
        // The checker's own claims: its unit tests and the known and differential
        // histories. The simulator's suites use the checker but do not judge it.
        test_args: &["--lib", "--test", "check"],
    },
];

/// The scope named `name`: a section's package name or its folder's last component.
pub fn scope(name: &str) -> Result<&'static Scope, Failure> {
    SCOPES
        .iter()
        .find(|s| s.section == name || s.dir.rsplit('/').next() == Some(name))
        .ok_or_else(|| {
            let known: Vec<&str> = SCOPES.iter().map(|s| s.section).collect();
            Failure::Usage(format!(
                "unknown section {name:?} for `mutants`; the sections are: {}",
                known.join(", ")
            ))
        })
}

/// The usage of `mutants`.
pub const USAGE: &str = "\
  mutants <section> [--list] [--jobs N] [--sim-iters N] [-- <cargo mutants options>]
                        mutation testing of the section's protocol code (common: the
                        linearizability checker) with cargo-mutants and .cargo/mutants.toml;
                        results in target/mutants/<section>/mutants.out/
      --list              list the mutants, run nothing
      --jobs N            mutants built and tested at once (default 1)
      --sim-iters N       SIM_ITERS for the tests (default: each sweep's own seed count)";

/// A parsed `cargo xtask mutants` command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MutantsArgs {
    /// The section, as given (resolved by [`scope`]).
    pub section: String,
    /// List the mutants instead of testing them.
    pub list: bool,
    /// Mutants built and tested at once.
    pub jobs: u32,
    /// `SIM_ITERS` for the tests, if lowered (or raised).
    pub sim_iters: Option<u64>,
    /// Options passed on to `cargo mutants` unchanged (after `--`).
    pub extra: Vec<String>,
}

fn usage(message: String) -> Failure {
    Failure::Usage(format!("{message}\n\nusage:\n{USAGE}"))
}

fn number<T: std::str::FromStr>(
    iter: &mut std::slice::Iter<'_, String>,
    flag: &str,
) -> Result<T, Failure> {
    let text = iter
        .next()
        .ok_or_else(|| usage(format!("{flag} needs a value")))?;
    text.parse()
        .map_err(|_| usage(format!("{flag} takes a positive number, got {text:?}")))
}

/// Parses the arguments after `cargo xtask mutants`.
pub fn parse(args: &[String]) -> Result<MutantsArgs, Failure> {
    let mut iter = args.iter();
    let mut section = None;
    let mut list = false;
    let mut jobs = 1u32;
    let mut sim_iters = None;
    let mut extra = Vec::new();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--list" => list = true,
            "--jobs" | "-j" => jobs = number(&mut iter, "--jobs")?,
            "--sim-iters" => sim_iters = Some(number(&mut iter, "--sim-iters")?),
            "--" => extra.extend(iter.by_ref().cloned()),
            flag if flag.starts_with('-') => {
                return Err(usage(format!("unknown option {flag} for `mutants`")));
            }
            name if section.is_none() => section = Some(name.to_string()),
            other => {
                return Err(usage(format!(
                    "`mutants` takes one section, got a second: {other:?}"
                )));
            }
        }
    }
    let section = section.ok_or_else(|| usage("`mutants` needs a section".into()))?;
    if jobs == 0 {
        return Err(usage("--jobs must be at least 1".into()));
    }
    if sim_iters == Some(0) {
        return Err(usage("--sim-iters must be at least 1".into()));
    }
    Ok(MutantsArgs {
        section,
        list,
        jobs,
        sim_iters,
        extra,
    })
}

/// Where a section's results go, relative to the workspace root.
pub fn output_dir(scope: &Scope) -> String {
    format!("target/mutants/{}", scope.section)
}

/// The arguments of `cargo` for this run: `mutants --package .. --file .. [--list]
/// --jobs .. --output .. [extra] [-- test args]`.
pub fn cargo_args(scope: &Scope, args: &MutantsArgs) -> Vec<String> {
    let mut out: Vec<String> = vec!["mutants".into(), "--package".into(), scope.package.into()];
    for file in scope.files {
        out.push("--file".into());
        out.push((*file).into());
    }
    if args.list {
        out.push("--list".into());
    } else {
        out.push("--jobs".into());
        out.push(args.jobs.to_string());
        out.push("--output".into());
        out.push(output_dir(scope));
    }
    out.extend(args.extra.iter().cloned());
    if !args.list && !scope.test_args.is_empty() {
        out.push("--".into());
        out.extend(scope.test_args.iter().map(|a| (*a).to_string()));
    }
    out
}

/// The counts of a finished run, read from `mutants.out/outcomes.json`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Mutants generated.
    pub total: u64,
    /// Mutants a test caught.
    pub caught: u64,
    /// Mutants every test passed on.
    pub missed: u64,
    /// Mutants whose tests ran out of time (counted as caught by the habit: a hang is
    /// a failure a participant would see).
    pub timeout: u64,
    /// Mutants that did not build.
    pub unviable: u64,
}

/// Reads the counts from the text of `outcomes.json`.
pub fn counts(outcomes_json: &str) -> Result<Counts, String> {
    let value: serde_json::Value =
        serde_json::from_str(outcomes_json).map_err(|e| format!("not JSON: {e}"))?;
    let field = |name: &str| {
        value
            .get(name)
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| format!("no count {name:?}"))
    };
    Ok(Counts {
        total: field("total_mutants")?,
        caught: field("caught")?,
        missed: field("missed")?,
        timeout: field("timeout")?,
        unviable: field("unviable")?,
    })
}

fn installed() -> bool {
    Command::new("cargo")
        .args(["mutants", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Creates the folder a run writes its results into (`cargo mutants` creates only the
/// last component, and a fresh clone has no `target/mutants/`), and returns it.
pub fn prepare_output(root: &Path, scope: &Scope) -> Result<PathBuf, Failure> {
    let dir = root.join(output_dir(scope));
    std::fs::create_dir_all(&dir).map_err(|e| {
        Failure::Environment(format!(
            "cannot create the results folder {}: {e}",
            dir.display()
        ))
    })?;
    Ok(dir)
}

/// `cargo xtask mutants`: run (or list) one section's mutants and print the counts.
pub fn cmd_mutants(root: &Path, args: &MutantsArgs) -> Result<(), Failure> {
    let scope = scope(&args.section)?;
    if !installed() {
        return Err(Failure::Environment(format!(
            "cargo-mutants is not installed; install it (for yourself, it is no dependency \
             of the workshop) with:\n    {INSTALL}"
        )));
    }
    if !args.list {
        prepare_output(root, scope)?;
    }
    let cargo_args = cargo_args(scope, args);
    let mut command = Command::new("cargo");
    command
        .args(&cargo_args)
        .current_dir(root)
        // Each job builds in the `target/` of its own copy of the workspace. A target
        // directory set for your own builds would be shared by the jobs, which would then
        // wait on its lock one after another (and on yours).
        .env_remove("CARGO_TARGET_DIR");
    if let Some(n) = args.sim_iters {
        command.env("SIM_ITERS", n.to_string());
    }
    println!("cargo {}", cargo_args.join(" "));
    // Tooling, not simulated code: the run's duration is reported in wall-clock time.
    #[allow(clippy::disallowed_methods)]
    let started = Instant::now();
    let status = command
        .status()
        .map_err(|e| Failure::Environment(format!("cannot run cargo mutants: {e}")))?;
    if args.list {
        return if status.success() {
            Ok(())
        } else {
            Err(Failure::Check("cargo mutants --list failed".into()))
        };
    }
    let minutes = started.elapsed().as_secs_f64() / 60.0;
    let out = root.join(output_dir(scope)).join("mutants.out");
    let summary = std::fs::read_to_string(out.join("outcomes.json"))
        .map_err(|e| e.to_string())
        .and_then(|text| counts(&text));
    match &summary {
        Ok(c) => println!(
            "{}: {} mutants, {} caught, {} timed out, {} unviable, {} missed, in {minutes:.0} min \
             (results in {})",
            scope.section,
            c.total,
            c.caught,
            c.timeout,
            c.unviable,
            c.missed,
            out.display()
        ),
        Err(e) => println!("{}: no counts ({e}); see {}", scope.section, out.display()),
    }
    // cargo-mutants exits 2 when mutants were missed, 3 when some timed out (and none
    // was missed), 4 when the unmutated tests already fail. A timeout counts as caught: the
    // mutant made a test hang, which a participant would see as a failure.
    let none_missed = summary.as_ref().is_ok_and(|c| c.missed == 0);
    match status.code() {
        Some(0) => Ok(()),
        Some(3) if none_missed => {
            println!(
                "{}: no mutant survived (the timed-out ones made a test hang: caught)",
                scope.section
            );
            Ok(())
        }
        Some(2) | Some(3) => Err(Failure::Check(format!(
            "{}: mutants survived; each is a missing claim or an equivalent mutant to list \
             in {}/MUTANTS.md: see {}",
            scope.section,
            scope.dir,
            out.join("missed.txt").display()
        ))),
        Some(4) => Err(Failure::Check(format!(
            "{}: the tests fail without any mutant (the baseline); fix them first: see {}",
            scope.section,
            out.join("log").display()
        ))),
        _ => Err(Failure::Environment(format!(
            "cargo mutants stopped ({status}); see {}",
            out.join("debug.log").display()
        ))),
    }
}
