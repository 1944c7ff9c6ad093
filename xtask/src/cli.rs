//! Hand-written command-line parsing (no argument-parsing crate: it keeps the build lean).

use std::path::PathBuf;

use crate::Failure;
use crate::manifest::EngineKind;
use crate::runner::RunOptions;

/// A parsed command.
#[derive(Debug, Clone)]
pub enum Command {
    /// `help`, `-h`, `--help`.
    Help,
    /// `tlc <Spec>`.
    Tlc {
        /// Spec name.
        spec: String,
        /// Options.
        options: RunOptions,
    },
    /// `tlc-all`.
    TlcAll {
        /// Options.
        options: RunOptions,
    },
    /// `tlc-fetch [--from <file>] [--offline]`.
    TlcFetch {
        /// A jar downloaded by hand.
        from: Option<PathBuf>,
        /// Do not download.
        offline: bool,
    },
    /// `exercise [<section>...] [--force]`.
    Exercise {
        /// Sections (all when empty).
        sections: Vec<String>,
        /// Run on a dirty work tree.
        force: bool,
    },
    /// `solution [<section>...] [--from <rev>] [--force]`.
    Solution {
        /// Sections (all when empty).
        sections: Vec<String>,
        /// Where the solutions are.
        from: String,
        /// Run on a dirty work tree.
        force: bool,
    },
    /// `branches [--base <rev>] [--force]`.
    Branches {
        /// The commit holding the solutions.
        base: String,
        /// Replace branches holding commits the command did not make (keeping a backup).
        force: bool,
    },
    /// `verify-exercises [<section>...]`.
    VerifyExercises {
        /// Sections (all when empty).
        sections: Vec<String>,
    },
    /// `figures [--check]`.
    Figures {
        /// Compare only; fail listing the blocks that changed.
        check: bool,
    },
    /// `status [<section>...]`.
    Status {
        /// Sections (all when empty).
        sections: Vec<String>,
    },
    /// `cluster <section> ...`.
    Cluster(crate::cluster::ClusterArgs),
    /// `mutants <section> ...`.
    Mutants(crate::mutants::MutantsArgs),
}

/// The text of `cargo xtask help`.
pub const USAGE: &str = "\
usage: cargo xtask <command> [options]

TLA+ model checking (specs in tla/, expectations in tla/expected.toml):
  tlc <Spec>            run one spec and compare the result with its expectation
  tlc-all               run every spec in sorted order; writes target/tla/summary.json
  tlc-fetch             put the pinned, verified tla2tools.jar into the user cache
      --from <file>       import a jar downloaded by hand instead of downloading

  options of tlc and tlc-all:
      --engine tlc|tla-rs  checker to use (default tlc; tla-rs needs no Java)
      --jar <path>         use this tla2tools.jar: the pinned release, or a build accepted
                           in tla/expected.toml (also: TLA2TOOLS_JAR)
      --allow-unverified-jar  run a jar whose SHA-256 differs from the pinned one
      --tla-bin <path>     the tla-rs binary (also: TLA_RS_BIN)
      --offline            never download (also: CARGO_NET_OFFLINE=true)
      --show-trace         print counterexamples, changed variables only
      --verbose            print the checker's whole log
      --explore            (tlc only) report the result without comparing it

Exercises (solution code is fenced by // solution-begin ... // solution-end):
  exercise [<section>...]   replace the fenced solutions with todo!(\"<hint>\")
  solution [<section>...]   put the solutions back (from --from <rev>, default main)
      --force               run even with uncommitted changes (they are overwritten)
  branches [--base <rev>]   create branches exercises and solution/<section>; refuses to
                            replace a branch holding commits it did not make
      --force               replace them anyway, keeping each old tip as backup/<branch>-<commit>
  verify-exercises [<section>...]
                            exercise form compiles, its tests fail; solution passes
  status [<section>...]     fences still todo!() per section, and PASS/FAIL per step
                            (runs `cargo test -p <section> -- step<N>_` for each step)

README figures from seeded runs (between <!-- figures:<id> begin/end --> markers) and
the pictures of runs the READMEs embed (SVG files drawn by section examples):
  figures               rerun the code that prints and draws them; write them in place
      --check             write nothing; fail listing the blocks and pictures that changed

Real processes over TCP (the sections' *-server binaries on common::real):
  cluster <section> [--nodes N] [--base-port P] [--fresh]
                        start N (default 3) servers of the section on 127.0.0.1, ports
                        P.. (default 7001; 0: ephemeral), a data directory and log each
                        under target/cluster/<section>/; Ctrl-C stops them all
  cluster <section> --kill <node>     SIGKILL one node of the running cluster
  cluster <section> --restart <node>  start it again from its data directory
  cluster <section> --stop            stop every node (if the foreground command is gone)

Mutation testing (cargo-mutants, installed by you: cargo install cargo-mutants --locked;
not part of CI, run before a section is called done):
  mutants <section> [--list] [--jobs N] [--sim-iters N] [-- <cargo mutants options>]
                        mutate the section's protocol code (common: the linearizability
                        checker) with .cargo/mutants.toml, run its tests on each mutant;
                        results in target/mutants/<section>/mutants.out/
      --list              list the mutants, run nothing
      --jobs N            mutants built and tested at once (default 1)
      --sim-iters N       SIM_ITERS for the tests (default: each sweep's own seed count)

exit codes: 0 ok, 1 a check failed, 2 environment problem,
            3 refused to overwrite your work (nothing was changed), 64 usage error";

fn value(args: &mut std::slice::Iter<'_, String>, flag: &str) -> Result<String, Failure> {
    args.next()
        .filter(|v| !v.starts_with("--"))
        .cloned()
        .ok_or_else(|| Failure::Usage(format!("{flag} needs a value\n\n{USAGE}")))
}

fn unknown(flag: &str, command: &str) -> Failure {
    Failure::Usage(format!("unknown option {flag} for `{command}`\n\n{USAGE}"))
}

fn run_options(
    args: &mut std::slice::Iter<'_, String>,
    command: &str,
    positional: &mut Vec<String>,
) -> Result<RunOptions, Failure> {
    let mut options = RunOptions::default();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--engine" => {
                let name = value(args, "--engine")?;
                options.engine = EngineKind::parse(&name).ok_or_else(|| {
                    Failure::Usage(format!(
                        "unknown engine {name:?}; the engines are: tlc, tla-rs"
                    ))
                })?;
            }
            "--jar" => options.jar = Some(PathBuf::from(value(args, "--jar")?)),
            "--tla-bin" => options.tla_bin = Some(PathBuf::from(value(args, "--tla-bin")?)),
            "--offline" => options.offline = true,
            "--allow-unverified-jar" => options.allow_unverified_jar = true,
            "--show-trace" => options.show_trace = true,
            "--verbose" | "-v" => options.verbose = true,
            "--explore" if command == "tlc" => options.explore = true,
            flag if flag.starts_with('-') => return Err(unknown(flag, command)),
            other => positional.push(other.to_string()),
        }
    }
    Ok(options)
}

/// Parses the arguments after `cargo xtask`.
pub fn parse(args: &[String]) -> Result<Command, Failure> {
    let Some((command, rest)) = args.split_first() else {
        return Err(Failure::Usage(format!("no command given\n\n{USAGE}")));
    };
    let mut iter = rest.iter();
    let mut positional = Vec::new();
    let parsed = match command.as_str() {
        "help" | "-h" | "--help" => Command::Help,
        "cluster" => return Ok(Command::Cluster(crate::cluster::parse(rest)?)),
        "mutants" => return Ok(Command::Mutants(crate::mutants::parse(rest)?)),
        "tlc" => {
            let options = run_options(&mut iter, "tlc", &mut positional)?;
            let spec = match positional.as_slice() {
                [one] => one.clone(),
                [] => {
                    return Err(Failure::Usage(format!(
                        "`tlc` needs a spec name\n\n{USAGE}"
                    )));
                }
                _ => {
                    return Err(Failure::Usage(format!(
                        "`tlc` takes one spec name, got {}",
                        positional.join(" ")
                    )));
                }
            };
            positional.clear();
            Command::Tlc { spec, options }
        }
        "tlc-all" => Command::TlcAll {
            options: run_options(&mut iter, "tlc-all", &mut positional)?,
        },
        "tlc-fetch" => {
            let mut from = None;
            let mut offline = false;
            while let Some(arg) = iter.next() {
                match arg.as_str() {
                    "--from" => from = Some(PathBuf::from(value(&mut iter, "--from")?)),
                    "--offline" => offline = true,
                    other => return Err(unknown(other, "tlc-fetch")),
                }
            }
            Command::TlcFetch { from, offline }
        }
        "figures" => {
            let mut check = false;
            for arg in iter.by_ref() {
                match arg.as_str() {
                    "--check" => check = true,
                    other => return Err(unknown(other, "figures")),
                }
            }
            Command::Figures { check }
        }
        "exercise" | "solution" | "branches" | "verify-exercises" | "status" => {
            let mut force = false;
            let mut from = "main".to_string();
            let mut base = "HEAD".to_string();
            while let Some(arg) = iter.next() {
                match (command.as_str(), arg.as_str()) {
                    ("exercise" | "solution" | "branches", "--force") => force = true,
                    ("solution", "--from") => from = value(&mut iter, "--from")?,
                    ("branches", "--base") => base = value(&mut iter, "--base")?,
                    (_, flag) if flag.starts_with('-') => return Err(unknown(flag, command)),
                    ("branches", other) => {
                        return Err(Failure::Usage(format!(
                            "`branches` takes no sections, got {other:?}"
                        )));
                    }
                    (_, other) => positional.push(other.to_string()),
                }
            }
            let sections = std::mem::take(&mut positional);
            match command.as_str() {
                "exercise" => Command::Exercise { sections, force },
                "solution" => Command::Solution {
                    sections,
                    from,
                    force,
                },
                "branches" => Command::Branches { base, force },
                "status" => Command::Status { sections },
                _ => Command::VerifyExercises { sections },
            }
        }
        other => {
            return Err(Failure::Usage(format!(
                "unknown command {other:?}\n\n{USAGE}"
            )));
        }
    };
    if !positional.is_empty() {
        return Err(Failure::Usage(format!(
            "`{command}` takes no arguments, got {}",
            positional.join(" ")
        )));
    }
    Ok(parsed)
}
