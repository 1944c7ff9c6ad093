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

/// Fails with a usage error when the work tree has uncommitted changes to tracked files.
pub fn require_clean(dir: &Path, command: &str) -> Result<(), Failure> {
    let dirty = dirty_files(dir)?;
    if dirty.is_empty() {
        return Ok(());
    }
    let shown: Vec<&str> = dirty.iter().take(10).map(String::as_str).collect();
    Err(Failure::Usage(format!(
        "`cargo xtask {command}` refuses to run on a work tree with uncommitted changes:\n{}{}\n\
         Commit your work first (it stays in git history){}",
        shown.join("\n"),
        if dirty.len() > shown.len() {
            "\n..."
        } else {
            ""
        },
        if command == "branches" {
            "."
        } else {
            ", or pass --force to overwrite it."
        }
    )))
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
