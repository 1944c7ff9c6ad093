//! `cargo xtask exercise`, `solution`, `branches` and `verify-exercises`.
//!
//! A *section* is a workspace member under `day1/` or `day2/` whose Rust files contain
//! fences (see [`crate::fence`]); it is named by its package (`paxos`) or its folder
//! (`section03-paxos`).
//!
//! - `exercise [<section>...]` rewrites the fenced regions into `todo!("<hint>")` in place.
//! - `solution [<section>...] [--from <rev>]` puts the solution back, region by region,
//!   from the same files at `<rev>` (default `main`, the branch that holds the solutions).
//! - `branches [--base <rev>] [--force]` creates the local branches `exercises` (every
//!   section stubbed) and `solution/<section>` (the exercises with that one section
//!   solved), in a temporary git worktree under `target/`, so the current checkout is never
//!   switched. It records the commit it made for each branch and refuses to replace a
//!   branch whose tip is anything else (the participant's commits) unless given `--force`,
//!   which first keeps the old tip as `backup/<branch>-<commit>`.
//! - `verify-exercises [<section>...]` checks, in a copy of the workspace under
//!   `target/exercise-check/run-<pid>/` (one per run, so concurrent runs do not collide),
//!   that each section's exercise form compiles without warnings, that its tests fail on
//!   it, and that its solution form passes them. It builds into the workspace's
//!   target directory, so dependencies already compiled by `cargo test` are reused.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::Failure;
use crate::fence;
use crate::git;
use crate::process;

/// A section crate and its fenced files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Package name (`paxos`).
    pub package: String,
    /// Folder relative to the workspace root (`day2/section03-paxos`).
    pub dir: String,
    /// Files with fences, relative to the workspace root, sorted.
    pub fenced_files: Vec<String>,
}

impl Section {
    /// The folder's last component (`section03-paxos`).
    pub fn folder(&self) -> &str {
        self.dir.rsplit('/').next().unwrap_or(&self.dir)
    }
}

fn read(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| Failure::io("read", path, &e))
}

fn write(path: &Path, text: &str) -> Result<(), Failure> {
    std::fs::write(path, text).map_err(|e| Failure::io("write", path, &e))
}

/// The workspace members under `day1/` and `day2/` (globs of the form `dir/*` expanded).
fn section_members(root: &Path) -> Result<Vec<String>, Failure> {
    let manifest_path = root.join("Cargo.toml");
    let table: toml::Table = read(&manifest_path)?.parse().map_err(|e| {
        Failure::Check(format!(
            "{} is not valid TOML: {e}",
            manifest_path.display()
        ))
    })?;
    let members = table
        .get("workspace")
        .and_then(|w| w.get("members"))
        .and_then(|m| m.as_array())
        .cloned()
        .unwrap_or_default();
    let mut found = Vec::new();
    for member in members.iter().filter_map(|m| m.as_str()) {
        let member = member.trim_end_matches('/');
        if !(member.starts_with("day1/") || member.starts_with("day2/")) {
            continue;
        }
        if let Some(parent) = member.strip_suffix("/*") {
            let dir = root.join(parent);
            let entries = std::fs::read_dir(&dir).map_err(|e| Failure::io("list", &dir, &e))?;
            for entry in entries.flatten() {
                if entry.path().join("Cargo.toml").is_file() {
                    found.push(format!("{parent}/{}", entry.file_name().to_string_lossy()));
                }
            }
        } else {
            found.push(member.to_string());
        }
    }
    found.sort();
    Ok(found)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Failure> {
    let entries = std::fs::read_dir(dir).map_err(|e| Failure::io("list", dir, &e))?;
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                rust_files(&path, out)?;
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// Every section member with its fenced files (possibly none). A malformed fence is a
/// check failure naming the file and line.
pub fn discover(root: &Path) -> Result<Vec<Section>, Failure> {
    let mut sections = Vec::new();
    for member in section_members(root)? {
        let dir = root.join(&member);
        let manifest_path = dir.join("Cargo.toml");
        let table: toml::Table = read(&manifest_path)?.parse().map_err(|e| {
            Failure::Check(format!(
                "{} is not valid TOML: {e}",
                manifest_path.display()
            ))
        })?;
        let package = table
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str())
            .ok_or_else(|| {
                Failure::Check(format!("{} has no package name", manifest_path.display()))
            })?
            .to_string();
        let mut files = Vec::new();
        rust_files(&dir, &mut files)?;
        let mut fenced_files = Vec::new();
        for file in files {
            let text = read(&file)?;
            let regions = fence::regions(&text)
                .map_err(|e| Failure::Check(format!("{}: {e}", file.display())))?;
            if !regions.is_empty() {
                let relative = file.strip_prefix(root).unwrap_or(&file);
                fenced_files.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
        sections.push(Section {
            package,
            dir: member,
            fenced_files,
        });
    }
    Ok(sections)
}

/// The fenced sections named in `names` (all fenced sections when empty). An unknown name
/// is a usage error that lists the sections that have fences.
pub fn select(all: &[Section], names: &[String]) -> Result<Vec<Section>, Failure> {
    let fenced: Vec<&Section> = all.iter().filter(|s| !s.fenced_files.is_empty()).collect();
    if names.is_empty() {
        return Ok(fenced.into_iter().cloned().collect());
    }
    let mut chosen = Vec::new();
    for name in names {
        let found = all
            .iter()
            .find(|s| &s.package == name || s.folder() == name || &s.dir == name);
        match found {
            Some(section) if !section.fenced_files.is_empty() => {
                if !chosen.contains(section) {
                    chosen.push(section.clone());
                }
            }
            Some(section) => {
                return Err(Failure::Usage(format!(
                    "section {} has no exercise fences yet",
                    section.package
                )));
            }
            None => {
                let known: Vec<&str> = fenced.iter().map(|s| s.package.as_str()).collect();
                return Err(Failure::Usage(format!(
                    "unknown section {name:?}; sections with exercises: {}",
                    if known.is_empty() {
                        "(none yet)".to_string()
                    } else {
                        known.join(", ")
                    }
                )));
            }
        }
    }
    Ok(chosen)
}

fn no_fences_message() -> &'static str {
    "no section has exercise fences yet (`// exercise: <hint>` + `// solution-begin` ... `// solution-end`); nothing to do"
}

/// Rewrites every fenced file of `sections` under `root` into its exercise form; returns
/// the number of regions stubbed.
pub fn apply_exercise(root: &Path, sections: &[Section]) -> Result<usize, Failure> {
    let mut count = 0;
    for section in sections {
        for file in &section.fenced_files {
            let path = root.join(file);
            let text = read(&path)?;
            count += fence::regions(&text)
                .map_err(|e| Failure::Check(format!("{file}: {e}")))?
                .len();
            let exercise =
                fence::to_exercise(&text).map_err(|e| Failure::Check(format!("{file}: {e}")))?;
            if exercise != text {
                write(&path, &exercise)?;
            }
        }
    }
    Ok(count)
}

/// Puts back the solution of every fenced file of `sections` under `root`, reading the
/// solution text with `solution_of(relative path)`.
pub fn apply_solution(
    root: &Path,
    sections: &[Section],
    solution_of: &dyn Fn(&str) -> Result<String, Failure>,
) -> Result<usize, Failure> {
    let mut count = 0;
    for section in sections {
        for file in &section.fenced_files {
            let path = root.join(file);
            let current = read(&path)?;
            let solution = solution_of(file)?;
            let restored = fence::restore(&current, &solution)
                .map_err(|e| Failure::Check(format!("{file}: {e}")))?;
            count += fence::regions(&restored)
                .map_err(|e| Failure::Check(format!("{file}: {e}")))?
                .len();
            if restored != current {
                write(&path, &restored)?;
            }
        }
    }
    Ok(count)
}

/// `cargo xtask exercise [<section>...] [--force]`.
pub fn cmd_exercise(root: &Path, names: &[String], force: bool) -> Result<(), Failure> {
    let sections = select(&discover(root)?, names)?;
    if sections.is_empty() {
        println!("{}", no_fences_message());
        return Ok(());
    }
    if !force {
        git::require_clean(root, "exercise")?;
    }
    for section in &sections {
        let count = apply_exercise(root, std::slice::from_ref(section))?;
        println!(
            "{}: {count} region(s) in {} file(s) replaced by todo!()",
            section.package,
            section.fenced_files.len()
        );
    }
    println!(
        "Run `cargo test -p <section>` and make the tests pass; `cargo xtask solution <section>` shows the reference."
    );
    Ok(())
}

/// `cargo xtask solution [<section>...] [--from <rev>] [--force]`.
pub fn cmd_solution(root: &Path, names: &[String], from: &str, force: bool) -> Result<(), Failure> {
    let sections = select(&discover(root)?, names)?;
    if sections.is_empty() {
        println!("{}", no_fences_message());
        return Ok(());
    }
    if !force {
        git::require_clean(root, "solution")?;
    }
    let solution_of = |file: &str| {
        git::show(root, from, &format!("./{file}")).map_err(|e| {
            Failure::Environment(format!(
                "cannot read the solution of {file} from `{from}` (pass --from <branch or commit> that holds the solutions): {e}"
            ))
        })
    };
    for section in &sections {
        let count = apply_solution(root, std::slice::from_ref(section), &solution_of)?;
        println!(
            "{}: {count} region(s) restored from {from}",
            section.package
        );
    }
    Ok(())
}

fn commit(worktree: &Path, message: &str) -> Result<(), Failure> {
    let has_identity = git::git(worktree, &["config", "user.email"]).is_ok();
    let mut args: Vec<&str> = Vec::new();
    if !has_identity {
        args.extend([
            "-c",
            "user.name=cargo xtask",
            "-c",
            "user.email=xtask@localhost",
        ]);
    }
    args.extend([
        "commit",
        "--quiet",
        "--no-verify",
        "--allow-empty",
        "-a",
        "-m",
        message,
    ]);
    git::git(worktree, &args).map(|_| ())
}

/// The git config key under which `branches` records the commit it made for `branch`
/// (`branch.<name>.xtaskProduced`). Git drops it when the branch is deleted.
fn produced_key(branch: &str) -> String {
    format!("branch.{branch}.xtaskProduced")
}

/// What `branches` would do to one branch it manages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BranchState {
    /// The branch does not exist: it is created.
    Missing,
    /// The branch's tip is the commit `branches` made last time: replacing it loses
    /// nothing.
    Produced,
    /// The branch holds commits `branches` did not make (listed `<hash> <subject>`,
    /// newest first): replacing it needs `--force`, and a backup is kept.
    Foreign {
        /// The branch's current tip (full hash).
        tip: String,
        /// Whether `branches` has a record of making this branch at all.
        recorded: bool,
        /// The commits at risk.
        commits: Vec<String>,
    },
}

/// Whether `branch` can be replaced without losing commits: its tip must be the commit
/// `branches` recorded when it made the branch.
pub fn branch_state(root: &Path, branch: &str, base_commit: &str) -> Result<BranchState, Failure> {
    let Some(tip) = git::resolve(root, &format!("refs/heads/{branch}")) else {
        return Ok(BranchState::Missing);
    };
    let recorded = git::git(root, &["config", "--get", &produced_key(branch)])
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    match recorded {
        Some(produced) if produced == tip => Ok(BranchState::Produced),
        Some(produced) => {
            // A recorded commit that no longer exists (garbage-collected) says nothing about
            // which commits are the participant's; then everything not on the base is.
            let not = if git::resolve(root, &produced).is_some() {
                produced
            } else {
                base_commit.to_string()
            };
            Ok(BranchState::Foreign {
                commits: git::commits_between(root, &not, &tip)?,
                tip,
                recorded: true,
            })
        }
        None => Ok(BranchState::Foreign {
            commits: git::commits_between(root, base_commit, &tip)?,
            tip,
            recorded: false,
        }),
    }
}

/// The branch `backup/<branch>-<12 hex digits of its tip>` that keeps a replaced tip.
pub fn backup_name(branch: &str, tip: &str) -> String {
    format!("backup/{branch}-{}", &tip[..tip.len().min(12)])
}

fn refusal(at_risk: &[(String, BranchState)]) -> Failure {
    let mut text = String::from(
        "`cargo xtask branches` would replace branches that hold commits it did not make:\n",
    );
    for (branch, state) in at_risk {
        if let BranchState::Foreign {
            commits, recorded, ..
        } = state
        {
            let origin = if *recorded {
                "made after `cargo xtask branches` created it"
            } else {
                "and `cargo xtask branches` has no record of creating it"
            };
            text.push_str(&format!(
                "  {branch}: {} commit(s) {origin}:\n",
                commits.len()
            ));
            for commit in commits.iter().take(20) {
                text.push_str(&format!("    {commit}\n"));
            }
            if commits.len() > 20 {
                text.push_str(&format!("    ... and {} more\n", commits.len() - 20));
            }
        }
    }
    text.push_str(
        "Nothing was changed. Keep working on these branches as they are, or regenerate them \
         with `cargo xtask branches --force`: each branch above is first saved as \
         backup/<branch>-<commit>, and you can carry your commits over with `git cherry-pick`.",
    );
    Failure::Refused(text)
}

/// `cargo xtask branches [--base <rev>] [--force]`.
///
/// A branch is replaced only when its tip is the commit this command made for it last
/// time (recorded in the branch's git config) or when `force` is given; then a tip that
/// holds other commits is kept as a backup branch first.
pub fn cmd_branches(root: &Path, base: &str, force: bool) -> Result<(), Failure> {
    git::require_clean(root, "branches")?;
    let base_commit = git::git(
        root,
        &["rev-parse", "--verify", &format!("{base}^{{commit}}")],
    )?
    .trim()
    .to_string();
    let sections = select(&discover(root)?, &[])?;
    if sections.is_empty() {
        println!("{}", no_fences_message());
        return Ok(());
    }
    let mut names = vec!["exercises".to_string()];
    names.extend(sections.iter().map(|s| format!("solution/{}", s.package)));
    let mut states = Vec::new();
    for name in &names {
        states.push((name.clone(), branch_state(root, name, &base_commit)?));
    }
    let at_risk: Vec<(String, BranchState)> = states
        .iter()
        .filter(|(_, state)| matches!(state, BranchState::Foreign { .. }))
        .cloned()
        .collect();
    if !at_risk.is_empty() && !force {
        return Err(refusal(&at_risk));
    }
    let checked_out = git::checked_out_branches(root)?;
    let busy: Vec<&str> = states
        .iter()
        .filter(|(name, state)| *state != BranchState::Missing && checked_out.contains(name))
        .map(|(name, _)| name.as_str())
        .collect();
    if !busy.is_empty() {
        return Err(Failure::Refused(format!(
            "branch {} is checked out, and git does not move a checked-out branch. Nothing was \
             changed. Switch to another branch (`git switch main`) and run `cargo xtask branches` again{}.",
            busy.join(", "),
            if at_risk.is_empty() {
                "; it holds no commit of yours, so nothing is lost"
            } else {
                " with --force; the commits listed by a run without --force are kept in backup branches"
            }
        )));
    }

    let worktree = root.join("target").join("xtask-branches");
    if worktree.exists() {
        let _ = git::git(
            root,
            &["worktree", "remove", "--force", &worktree.to_string_lossy()],
        );
        if worktree.exists() {
            std::fs::remove_dir_all(&worktree).map_err(|e| Failure::io("remove", &worktree, &e))?;
        }
        let _ = git::git(root, &["worktree", "prune"]);
    }
    if let Some(parent) = worktree.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Failure::io("create", parent, &e))?;
    }
    let worktree_text = worktree.to_string_lossy().into_owned();
    git::git(
        root,
        &[
            "worktree",
            "add",
            "--quiet",
            "--detach",
            &worktree_text,
            &base_commit,
        ],
    )?;
    let built = build_branches(root, &worktree, &base_commit, &sections);
    let cleanup = git::git(root, &["worktree", "remove", "--force", &worktree_text]);
    let built = built?;
    cleanup?;

    for ((name, state), (built_name, commit)) in states.iter().zip(&built) {
        debug_assert_eq!(
            name, built_name,
            "branches are built in the order they were checked"
        );
        if let BranchState::Foreign { tip, commits, .. } = state {
            let backup = backup_name(name, tip);
            git::git(root, &["branch", "--force", &backup, tip])?;
            println!(
                "kept the previous {name} ({} commit(s) not made by this command) as {backup}",
                commits.len()
            );
        }
        git::git(root, &["branch", "--force", name, commit])?;
        git::git(root, &["config", &produced_key(name), commit])?;
    }
    println!(
        "created branch exercises (every section stubbed) from {base} ({})",
        &base_commit[..base_commit.len().min(12)]
    );
    for section in &sections {
        println!(
            "created branch solution/{0}: see the exercise with `git diff exercises solution/{0}`",
            section.package
        );
    }
    println!("To start: git switch exercises");
    Ok(())
}

/// Makes the commits of every branch in the detached `worktree`, without touching any
/// branch; returns `(branch, commit)` in the order `exercises`, `solution/<section>`...
fn build_branches(
    root: &Path,
    worktree: &Path,
    base_commit: &str,
    sections: &[Section],
) -> Result<Vec<(String, String)>, Failure> {
    let head = |dir: &Path| -> Result<String, Failure> {
        Ok(git::git(dir, &["rev-parse", "HEAD"])?.trim().to_string())
    };
    // The worktree's paths are the same relative paths as in the main checkout.
    let count = apply_exercise(worktree, sections)?;
    commit(
        worktree,
        &format!(
            "Exercises: {count} solution region(s) replaced by todo!() (cargo xtask branches)"
        ),
    )?;
    let exercises = head(worktree)?;
    let mut built = vec![("exercises".to_string(), exercises.clone())];
    for section in sections {
        git::git(worktree, &["checkout", "--quiet", "--detach", &exercises])?;
        let solution_of = |file: &str| git::show(root, base_commit, &format!("./{file}"));
        apply_solution(worktree, std::slice::from_ref(section), &solution_of)?;
        commit(
            worktree,
            &format!(
                "Solution of the {} exercises (cargo xtask branches)",
                section.package
            ),
        )?;
        built.push((format!("solution/{}", section.package), head(worktree)?));
    }
    Ok(built)
}

/// Copies the workspace at `from` into `to`, without `target/`, `.git` or `target-*`
/// folders, keeping modification times so cargo's incremental builds stay valid.
pub fn copy_workspace(from: &Path, to: &Path) -> Result<(), Failure> {
    if to.exists() {
        std::fs::remove_dir_all(to).map_err(|e| Failure::io("remove", to, &e))?;
    }
    copy_tree(from, to, true)
}

fn copy_tree(from: &Path, to: &Path, top: bool) -> Result<(), Failure> {
    std::fs::create_dir_all(to).map_err(|e| Failure::io("create", to, &e))?;
    let entries = std::fs::read_dir(from).map_err(|e| Failure::io("list", from, &e))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name_text = name.to_string_lossy();
        let path = entry.path();
        let file_type = entry
            .file_type()
            .map_err(|e| Failure::io("inspect", &path, &e))?;
        if file_type.is_dir() {
            let skip = name_text == ".git"
                || name_text == "target"
                || (top && name_text.starts_with("target-"));
            if !skip {
                copy_tree(&path, &to.join(&name), false)?;
            }
        } else if file_type.is_file() {
            let target = to.join(&name);
            std::fs::copy(&path, &target).map_err(|e| Failure::io("copy", &path, &e))?;
            if let Ok(modified) = entry.metadata().and_then(|m| m.modified()) {
                let _ = std::fs::File::options()
                    .write(true)
                    .open(&target)
                    .and_then(|f| f.set_modified(modified));
            }
        }
    }
    Ok(())
}

/// One row of the verify-exercises report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Section package.
    pub package: String,
    /// The exercise form compiles (tests included).
    pub exercise_compiles: bool,
    /// `cargo test -p <section>` fails on the exercise form.
    pub exercise_tests_fail: bool,
    /// `cargo test -p <section>` passes on the solution form.
    pub solution_passes: bool,
    /// Warnings of the section's own code in the exercise build (a stub that leaves a
    /// variable unused, see [`crate::stub`], or anything else): the exercise form must
    /// compile cleanly, so a participant sees only the warnings of their own code.
    pub exercise_warnings: Vec<String>,
    /// Where the logs of the three steps are.
    pub logs: Vec<String>,
}

impl Verification {
    /// All checks hold.
    pub fn ok(&self) -> bool {
        self.exercise_compiles
            && self.exercise_tests_fail
            && self.solution_passes
            && self.exercise_warnings.is_empty()
    }
}

/// The warnings of a build log, each as its message and the `-->` location after it;
/// cargo's "generated N warnings" summaries are not counted.
pub fn exercise_warnings(log: &str) -> Vec<String> {
    let lines: Vec<&str> = log.lines().collect();
    let mut found = Vec::new();
    for (k, line) in lines.iter().enumerate() {
        let Some(message) = line.strip_prefix("warning: ") else {
            continue;
        };
        if message.contains(" generated ") && message.contains(" warning") {
            continue;
        }
        let location = lines
            .get(k + 1)
            .map(|l| l.trim().trim_start_matches("--> "))
            .filter(|l| !l.is_empty())
            .unwrap_or("");
        let warning = format!("{message} at {location}");
        if !found.contains(&warning) {
            found.push(warning);
        }
    }
    found
}

fn cargo_in(copy: &Path, target_dir: &Path, args: &[&str], log: &Path) -> Result<bool, Failure> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(args)
        .current_dir(copy)
        .env("CARGO_TARGET_DIR", target_dir)
        .env_remove("CARGO_MANIFEST_DIR");
    let finished = process::run_logged(&mut command, log, Duration::from_secs(3600))?;
    Ok(finished.exit_code == Some(0))
}

/// Verifies `sections` of the workspace at `root`, in a copy at `work` built into
/// `target_dir`.
pub fn verify(
    root: &Path,
    sections: &[Section],
    work: &Path,
    target_dir: &Path,
) -> Result<Vec<Verification>, Failure> {
    let copy = work.join("workspace");
    let logs = work.join("logs");
    copy_workspace(root, &copy)?;
    std::fs::create_dir_all(&logs).map_err(|e| Failure::io("create", &logs, &e))?;
    let mut rows = Vec::new();
    for section in sections {
        println!("verifying {} ...", section.package);
        let package = section.package.as_str();
        let originals: Vec<(PathBuf, String)> = section
            .fenced_files
            .iter()
            .map(|f| {
                let path = copy.join(f);
                read(&path).map(|text| (path, text))
            })
            .collect::<Result<_, _>>()?;
        apply_exercise(&copy, std::slice::from_ref(section))?;
        let compile_log = logs.join(format!("{package}-exercise-build.log"));
        let test_log = logs.join(format!("{package}-exercise-test.log"));
        let solution_log = logs.join(format!("{package}-solution-test.log"));
        let exercise_compiles = cargo_in(
            &copy,
            target_dir,
            &["test", "-p", package, "--no-run"],
            &compile_log,
        )?;
        let exercise_warnings = if exercise_compiles {
            exercise_warnings(&read(&compile_log)?)
        } else {
            Vec::new()
        };
        let exercise_tests_fail = exercise_compiles
            && !cargo_in(
                &copy,
                target_dir,
                &["test", "-p", package, "--no-fail-fast"],
                &test_log,
            )?;
        for (path, text) in &originals {
            write(path, text)?;
        }
        let solution_passes = cargo_in(&copy, target_dir, &["test", "-p", package], &solution_log)?;
        rows.push(Verification {
            package: section.package.clone(),
            exercise_compiles,
            exercise_tests_fail,
            solution_passes,
            exercise_warnings,
            logs: vec![
                compile_log.display().to_string(),
                test_log.display().to_string(),
                solution_log.display().to_string(),
            ],
        });
    }
    Ok(rows)
}

/// `cargo xtask verify-exercises [<section>...]`.
pub fn cmd_verify(root: &Path, names: &[String]) -> Result<(), Failure> {
    let sections = select(&discover(root)?, names)?;
    if sections.is_empty() {
        println!("{}", no_fences_message());
        return Ok(());
    }
    // One directory per run: two runs on one checkout (a participant's and CI's, or two
    // terminals) must not rewrite each other's copy between their build and test steps.
    let work = root
        .join("target")
        .join("exercise-check")
        .join(format!("run-{}", std::process::id()));
    // The workspace's own target directory: registry dependencies are already built there
    // by `cargo test`. The copy's section crates sit at the same paths relative to their
    // workspace, so cargo gives their artifacts the same names as the originals': while a
    // run is in progress, building the same sections in the work tree competes for them.
    // When the run ends the copy is removed, and cargo rebuilds those sections for the
    // work tree on its next build (their recorded sources are gone).
    let target_dir = crate::target_dir(root);
    let rows = verify(root, &sections, &work, &target_dir);
    // The copy is only needed while verifying; the logs stay for reading.
    let _ = std::fs::remove_dir_all(work.join("workspace"));
    let rows = rows?;
    println!(
        "{:<24} {:<20} {:<24} {:<18} {:<20}",
        "section", "exercise compiles", "tests fail on exercise", "warnings", "solution passes"
    );
    let yes_no = |b: bool| if b { "yes" } else { "NO" };
    for row in &rows {
        println!(
            "{:<24} {:<20} {:<24} {:<18} {:<20}",
            row.package,
            yes_no(row.exercise_compiles),
            yes_no(row.exercise_tests_fail),
            if row.exercise_warnings.is_empty() {
                "none".to_string()
            } else {
                row.exercise_warnings.len().to_string()
            },
            yes_no(row.solution_passes)
        );
    }
    let failed: Vec<&Verification> = rows.iter().filter(|r| !r.ok()).collect();
    if failed.is_empty() {
        println!("all {} section(s) have working exercises", rows.len());
        return Ok(());
    }
    for row in &failed {
        if !row.exercise_compiles {
            println!(
                "{}: the exercise form does not compile; see {}",
                row.package, row.logs[0]
            );
        } else if !row.exercise_tests_fail {
            println!(
                "{}: the tests pass on the exercise form, so they do not exercise the fenced code; see {}",
                row.package, row.logs[1]
            );
        }
        for warning in &row.exercise_warnings {
            println!(
                "{}: the exercise form warns: {warning}; see {}",
                row.package, row.logs[0]
            );
        }
        if !row.solution_passes {
            println!(
                "{}: the solution form fails its tests; see {}",
                row.package, row.logs[2]
            );
        }
    }
    let names: Vec<&str> = failed.iter().map(|r| r.package.as_str()).collect();
    Err(Failure::Check(format!(
        "exercises broken in: {}",
        names.join(", ")
    )))
}
