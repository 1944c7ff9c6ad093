//! Workshop tooling behind `cargo xtask`.
//!
//! Two families of commands live here:
//!
//! - **TLA+ model checking** (`tlc`, `tlc-all`, `tlc-fetch`): run the specs in `tla/` with
//!   TLC (the default engine, a pinned and checksum-verified `tla2tools.jar`) or with the
//!   `tla` binary of the `tla-checker` crate (`--engine tla-rs`), parse the checker's
//!   output into one [`outcome::Outcome`], and compare it with `tla/expected.toml`.
//! - **Exercises** (`exercise`, `solution`, `branches`, `verify-exercises`, `status`): turn
//!   the fenced solution regions of the section crates into `todo!("<hint>")` stubs and
//!   back (see [`fence`]), and report a participant's progress step by step
//!   (see [`status`]).
//! - **Mutation testing** (`mutants`): run `cargo-mutants` on one section's protocol code
//!   (or `common`'s checker) with the workspace's `.cargo/mutants.toml` (see [`mutants`]).
//! - **Figures** (`figures`): the README tables that come from seeded runs, regenerated
//!   by running the code that prints them, or checked against it (see [`figures`]).
//!
//! Exit codes are part of the interface (see [`Failure::exit_code`]): 0 all good, 1 a check
//! failed (a spec's result differs from its expectation, an exercise does not behave),
//! 2 the environment is missing something (Java, the jar, the network, the `tla` binary,
//! git), 3 the command refused to overwrite your work (uncommitted changes, or commits on a
//! branch it would replace; nothing was changed), 64 the command line was wrong.

pub mod cli;
pub mod cluster;
pub mod download;
pub mod exercise;
pub mod fence;
pub mod figures;
pub mod git;
pub mod jar;
pub mod java;
pub mod manifest;
pub mod mutants;
pub mod outcome;
pub mod parse_tlars;
pub mod parse_tlc;
pub mod process;
pub mod runner;
pub mod status;
pub mod stub;

use std::path::{Path, PathBuf};

/// Why a command did not succeed; each kind maps to its own exit code.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The command line was wrong: unknown command, flag or spec name.
    #[error("{0}")]
    Usage(String),
    /// Something outside the repository is missing or broken (Java, the jar, the network,
    /// the `tla` binary, git, the file system). Nothing was checked.
    #[error("{0}")]
    Environment(String),
    /// A check ran and its result is wrong: a spec's result differs from its expectation,
    /// or an exercise does not compile / does not fail / its solution does not pass.
    #[error("{0}")]
    Check(String),
    /// The command would have overwritten work of the participant's (uncommitted changes,
    /// or commits on a branch it would replace) and stopped without changing anything.
    #[error("{0}")]
    Refused(String),
}

impl Failure {
    /// Exit code of the process: 1 check failed, 2 environment, 3 refused to overwrite
    /// work, 64 usage (BSD `EX_USAGE`).
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Check(_) => 1,
            Failure::Environment(_) => 2,
            Failure::Refused(_) => 3,
            Failure::Usage(_) => 64,
        }
    }

    /// How `cargo xtask` labels this kind of failure on standard error.
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::Usage(_) => "usage error",
            Failure::Environment(_) => "environment problem",
            Failure::Check(_) => "check failed",
            Failure::Refused(_) => "refused, to keep your work",
        }
    }

    /// An environment failure caused by an I/O error on `path`.
    pub fn io(action: &str, path: &Path, error: &std::io::Error) -> Failure {
        Failure::Environment(format!("cannot {action} {}: {error}", path.display()))
    }
}

/// The workspace root: the parent of this crate's manifest directory, unless
/// `XTASK_WORKSPACE_ROOT` points elsewhere (the tests use it to work on fixture workspaces).
pub fn workspace_root() -> PathBuf {
    if let Some(root) = std::env::var_os("XTASK_WORKSPACE_ROOT") {
        return PathBuf::from(root);
    }
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| manifest_dir.to_path_buf())
}

/// The workspace's target directory: `CARGO_TARGET_DIR` if set (relative to `root` unless
/// absolute), else `root/target`.
pub fn target_dir(root: &std::path::Path) -> std::path::PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        // `join` keeps an absolute path as it is.
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}
