//! `cargo xtask branches` run again after a participant committed work on the branches it
//! made: the work is never dropped. Each test works in a scratch git repository holding a
//! copy of the fixture workspace.

mod support;

use std::path::Path;
use std::process::Command;

use support::{git, scratch_repository};
use xtask::exercise::{self, BranchState};

const DEMO: &str = "day1/section01-demo/src/lib.rs";

fn tip(repo: &Path, branch: &str) -> String {
    git(repo, &["rev-parse", branch]).trim().to_string()
}

fn branches(repo: &Path) -> Vec<String> {
    git(repo, &["branch", "--format=%(refname:short)"])
        .lines()
        .map(str::to_string)
        .collect()
}

/// Switches to `exercises`, writes the participant's attempt into the demo section and
/// commits it; returns the commit's hash.
fn commit_an_attempt_on_exercises(repo: &Path, subject: &str) -> String {
    git(repo, &["switch", "--quiet", "exercises"]);
    let path = repo.join(DEMO);
    let text = std::fs::read_to_string(&path).expect("read demo lib.rs");
    let attempt = text.replacen(
        "todo!(\"promise only to a ballot above the current promise\");",
        "let accepted = ballot > self.promised;\n        self.promised = self.promised.max(ballot);\n        accepted",
        1,
    );
    assert_ne!(
        attempt, text,
        "the exercise form must hold the stub to replace"
    );
    std::fs::write(&path, attempt).expect("write the attempt");
    git(repo, &["commit", "--quiet", "-am", subject]);
    tip(repo, "HEAD")
}

/// Runs the real binary on `repo`; returns the exit code and standard error.
fn xtask_branches(repo: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("branches")
        .args(extra)
        .env("XTASK_WORKSPACE_ROOT", repo)
        .output()
        .expect("xtask runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn rerunning_branches_after_commits_on_exercises_refuses_and_names_the_commits() {
    let repo = scratch_repository();
    exercise::cmd_branches(repo.path(), "HEAD", false).expect("first run on a clean main");
    let attempt = commit_an_attempt_on_exercises(repo.path(), "demo: my on_prepare");
    let solution_before = tip(repo.path(), "solution/demo");
    git(repo.path(), &["switch", "--quiet", "main"]);

    let (code, stderr) = xtask_branches(repo.path(), &[]);
    assert_eq!(
        code,
        Some(3),
        "a run that would drop the participant's commits must refuse with exit 3: {stderr}"
    );
    assert!(
        stderr.contains(&attempt[..7]) && stderr.contains("demo: my on_prepare"),
        "the refusal must name the commit at risk (hash and subject): {stderr}"
    );
    assert!(
        stderr.contains("--force") && stderr.contains("backup/"),
        "the refusal must say how to replace the branch and where the old tip would go: {stderr}"
    );
    assert_eq!(
        tip(repo.path(), "exercises"),
        attempt,
        "the exercises branch must still hold the participant's commit"
    );
    assert_eq!(
        tip(repo.path(), "solution/demo"),
        solution_before,
        "a refused run must change no branch at all"
    );
    assert!(
        !branches(repo.path())
            .iter()
            .any(|b| b.starts_with("backup/")),
        "a refused run makes no backup either: {:?}",
        branches(repo.path())
    );
}

#[test]
fn rerunning_branches_while_on_exercises_refuses_without_advising_a_switch_to_main() {
    let repo = scratch_repository();
    exercise::cmd_branches(repo.path(), "HEAD", false).expect("first run on a clean main");
    let attempt = commit_an_attempt_on_exercises(repo.path(), "demo: attempt one");

    let refused = exercise::cmd_branches(repo.path(), "HEAD", false)
        .expect_err("exercises holds a commit of the participant's");
    let message = refused.to_string();
    assert_eq!(refused.exit_code(), 3, "{message}");
    assert!(
        message.contains("demo: attempt one"),
        "the refusal must name the commit at risk: {message}"
    );
    assert!(
        !message.contains("git switch main") && !message.to_lowercase().contains("switch back"),
        "switching to main and running again would drop the commit; the message must not advise it: {message}"
    );
    assert_eq!(
        tip(repo.path(), "exercises"),
        attempt,
        "the branch must be unchanged"
    );
}

#[test]
fn branches_with_force_keeps_the_old_tip_as_a_backup_and_then_replaces_it() {
    let repo = scratch_repository();
    exercise::cmd_branches(repo.path(), "HEAD", false).expect("first run on a clean main");
    let attempt = commit_an_attempt_on_exercises(repo.path(), "demo: keep me");
    git(repo.path(), &["switch", "--quiet", "main"]);

    let (code, stderr) = xtask_branches(repo.path(), &["--force"]);
    assert_eq!(code, Some(0), "a forced run replaces the branch: {stderr}");
    let backup = exercise::backup_name("exercises", &attempt);
    assert_eq!(
        tip(repo.path(), &backup),
        attempt,
        "the replaced tip must be kept as {backup}"
    );
    let replaced = tip(repo.path(), "exercises");
    assert_ne!(replaced, attempt, "exercises must be regenerated");
    assert_eq!(
        tip(repo.path(), "exercises^"),
        tip(repo.path(), "main"),
        "the regenerated exercises branch is one commit on top of main"
    );
    assert_eq!(
        exercise::branch_state(repo.path(), "exercises", &tip(repo.path(), "main")).expect("state"),
        BranchState::Produced,
        "the new tip is recorded as the command's own, so the next run may replace it"
    );
}

#[test]
fn untouched_branches_are_regenerated_after_main_moves() {
    let repo = scratch_repository();
    exercise::cmd_branches(repo.path(), "HEAD", false).expect("first run on a clean main");
    let first_exercises = tip(repo.path(), "exercises");
    let path = repo.path().join(DEMO);
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, text.replace("n / 2 + 1", "(n / 2) + 1")).expect("write");
    git(repo.path(), &["commit", "--quiet", "-am", "a newer main"]);

    exercise::cmd_branches(repo.path(), "HEAD", false)
        .expect("branches the participant never committed on are replaced without --force");
    assert_ne!(
        tip(repo.path(), "exercises"),
        first_exercises,
        "exercises must be rebuilt"
    );
    assert_eq!(
        tip(repo.path(), "exercises^"),
        tip(repo.path(), "main"),
        "the rebuilt exercises branch starts from the newer main"
    );
    let solution = git(repo.path(), &["show", &format!("solution/demo:{DEMO}")]);
    assert!(
        solution.contains("(n / 2) + 1"),
        "solution/demo holds the newer solution:\n{solution}"
    );
    assert!(
        !branches(repo.path())
            .iter()
            .any(|b| b.starts_with("backup/")),
        "nothing of the participant's was replaced, so no backup is made: {:?}",
        branches(repo.path())
    );
}

#[test]
fn a_branch_the_command_never_made_is_not_replaced() {
    let repo = scratch_repository();
    git(repo.path(), &["branch", "exercises"]);
    let own = tip(repo.path(), "exercises");

    let refused = exercise::cmd_branches(repo.path(), "HEAD", false)
        .expect_err("an exercises branch of the participant's own");
    assert_eq!(refused.exit_code(), 3, "{refused}");
    assert!(
        refused.to_string().contains("no record of creating it"),
        "the refusal must say the branch was not made by the command: {refused}"
    );
    assert_eq!(
        tip(repo.path(), "exercises"),
        own,
        "the branch is unchanged"
    );
}

#[test]
fn a_forced_run_does_not_move_a_checked_out_branch() {
    let repo = scratch_repository();
    exercise::cmd_branches(repo.path(), "HEAD", false).expect("first run on a clean main");
    let attempt = commit_an_attempt_on_exercises(repo.path(), "demo: on the checked-out branch");

    let refused =
        exercise::cmd_branches(repo.path(), "main", true).expect_err("exercises is checked out");
    assert_eq!(refused.exit_code(), 3, "{refused}");
    assert!(
        refused.to_string().contains("checked out"),
        "the refusal must say the branch is checked out: {refused}"
    );
    assert_eq!(
        tip(repo.path(), "exercises"),
        attempt,
        "the checked-out branch is unchanged"
    );
    assert_eq!(
        git(repo.path(), &["status", "--porcelain"]),
        "",
        "the work tree is untouched"
    );
}
