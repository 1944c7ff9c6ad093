//! Helpers shared by the test files that work on the fixture workspace in git.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use xtask::exercise;

/// The small workspace with the shape of the course (tests/fixtures/exercise-workspace).
pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exercise-workspace")
}

/// Runs `git <arguments>` in `dir` with a fixed identity; panics with git's message when it
/// fails.
pub fn git(dir: &Path, arguments: &[&str]) -> String {
    let output = Command::new("git")
        .args(["-c", "user.name=test", "-c", "user.email=test@localhost"])
        .args(arguments)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {arguments:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A git repository on branch main holding a copy of the fixture workspace.
pub fn scratch_repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    exercise::copy_workspace(&fixture(), dir.path()).expect("copy the fixture");
    git(dir.path(), &["init", "--quiet", "--initial-branch=main"]);
    std::fs::write(dir.path().join(".gitignore"), "/target\n").expect("write .gitignore");
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "--quiet", "-m", "solutions"]);
    dir
}

/// The demo section's lib.rs in the work tree at `root`.
pub fn lib_rs(root: &Path) -> String {
    std::fs::read_to_string(root.join("day1/section01-demo/src/lib.rs")).expect("read demo lib.rs")
}
