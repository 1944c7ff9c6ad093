//! The few git operations the exercise commands need, run through the `git` binary.

use std::path::Path;
use std::process::Command;

use crate::Failure;

/// Runs `git <args>` in `dir` and returns its standard output; a failure names the command
/// and git's message.
pub fn git(dir: &Path, args: &[&str]) -> Result<String, Failure> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| Failure::Environment(format!("cannot run git: {e}")))?;
    if !output.status.success() {
        return Err(Failure::Environment(format!(
            "`git {}` failed in {}: {}",
            args.join(" "),
            dir.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The tracked files with uncommitted changes (staged or not), as `git status` prints
/// them; empty for a clean work tree. Untracked files do not count.
pub fn dirty_files(dir: &Path) -> Result<Vec<String>, Failure> {
    let status = git(dir, &["status", "--porcelain", "--untracked-files=no"])?;
    Ok(status
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.to_string())
        .collect())
}

/// Refuses ([`Failure::Refused`], exit 3) when the work tree has uncommitted changes to
/// tracked files: the command would overwrite them, or (for `branches`) would build from
/// a commit that does not hold them.
pub fn require_clean(dir: &Path, command: &str) -> Result<(), Failure> {
    let dirty = dirty_files(dir)?;
    if dirty.is_empty() {
        return Ok(());
    }
    let shown: Vec<&str> = dirty.iter().take(10).map(String::as_str).collect();
    Err(Failure::Refused(format!(
        "the work tree has uncommitted changes, and `cargo xtask {command}` {}:\n{}{}\n\
         Nothing was changed. Commit your work first (it stays in git history){}",
        if command == "branches" {
            "builds the branches from commits only"
        } else {
            "would overwrite them"
        },
        shown.join("\n"),
        if dirty.len() > shown.len() {
            format!("\n... and {} more", dirty.len() - shown.len())
        } else {
            String::new()
        },
        if command == "branches" {
            "."
        } else {
            ", or pass --force to overwrite it."
        }
    )))
}

/// The commit `rev` names, as a full hash, or `None` when it names nothing.
pub fn resolve(dir: &Path, rev: &str) -> Option<String> {
    git(
        dir,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .ok()
    .map(|s| s.trim().to_string())
    .filter(|s| !s.is_empty())
}

/// The branches checked out in any worktree of the repository (`main`, `exercises`, ...).
pub fn checked_out_branches(dir: &Path) -> Result<Vec<String>, Failure> {
    let listing = git(dir, &["worktree", "list", "--porcelain"])?;
    Ok(listing
        .lines()
        .filter_map(|l| l.strip_prefix("branch refs/heads/"))
        .map(str::to_string)
        .collect())
}

/// `<short hash> <subject>` of every commit reachable from `tip` but not from `not`,
/// newest first.
pub fn commits_between(dir: &Path, not: &str, tip: &str) -> Result<Vec<String>, Failure> {
    let log = git(dir, &["log", "--format=%h %s", tip, "--not", not, "--"])?;
    Ok(log
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect())
}

/// The content of `path` (relative to the repository root) at `rev`.
pub fn show(dir: &Path, rev: &str, path: &str) -> Result<String, Failure> {
    git(dir, &["show", &format!("{rev}:{path}")])
}

/// The repository's top-level directory.
pub fn toplevel(dir: &Path) -> Result<String, Failure> {
    Ok(git(dir, &["rev-parse", "--show-toplevel"])?
        .trim()
        .to_string())
}
