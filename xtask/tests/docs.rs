//! The `cargo test` commands quoted in the READMEs select tests.
//!
//! A replay command that names a test without its module path or test binary runs zero
//! tests and exits 0, which reads as "the failure is gone". Every quoted command with a
//! test filter or a `--test` target (the `SIM_SEED=… cargo test …` replay commands among
//! them) is run here with libtest's `--list`, which applies the filters and `--exact` but
//! runs nothing, and must select at least one test. Commands with placeholders
//! (`<seed>`, `<test>`) are templates and are skipped; so are commands without a filter,
//! which select every test of their package.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn readmes(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if path.is_dir() {
            if !(name == "target" || name.starts_with('.') || name == "fixtures") {
                readmes(&path, out);
            }
        } else if name == "README.md" {
            out.push(path);
        }
    }
}

/// A quoted command: its environment assignments and the arguments after `cargo`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Quoted {
    env: Vec<(String, String)>,
    args: Vec<String>,
    source: String,
}

/// The `cargo test` commands of one line of Markdown: in a code block the rest of the
/// line up to a `#` comment, inside backticks up to the closing backtick. `open` says
/// whether an inline code span opened on an earlier line of the paragraph is still open.
fn commands_in_line(line: &str, source: &str, open: bool) -> Vec<Quoted> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(found_at) = line[from..].find("cargo test") {
        let at = from + found_at;
        let before = &line[..at];
        let in_backticks = (before.matches('`').count() + usize::from(open)) % 2 == 1;
        let start = if in_backticks {
            before.rfind('`').map_or(0, |b| b + 1)
        } else {
            before[from..]
                .rfind(['(', '`'])
                .map_or(from, |b| from + b + 1)
        };
        // Of what precedes `cargo test`, keep only the environment assignments right
        // before it (`replay with: SIM_SEED=1 cargo test …` quotes the command after
        // the colon).
        let start = line[start..at]
            .split_whitespace()
            .rev()
            .take_while(|word| {
                word.split_once('=').is_some_and(|(name, _)| {
                    !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c == '_')
                })
            })
            .last()
            .and_then(|first| line[start..at].rfind(first).map(|i| start + i))
            .unwrap_or(at);
        let tail = &line[at..];
        let end = if in_backticks {
            tail.find('`').unwrap_or(tail.len())
        } else {
            tail.find(" #").unwrap_or(tail.len())
        };
        let text = format!("{}{}", &line[start..at], &tail[..end]);
        from = at + end;
        let mut env = Vec::new();
        let mut words = text.split_whitespace().peekable();
        while let Some(word) = words.peek() {
            match word.split_once('=') {
                Some((name, value)) if name.chars().all(|c| c.is_ascii_uppercase() || c == '_') => {
                    env.push((name.to_string(), value.to_string()));
                    words.next();
                }
                _ => break,
            }
        }
        let args: Vec<String> = words.skip(1).map(str::to_string).collect();
        found.push(Quoted {
            env,
            args,
            source: format!("{source}: {}", text.trim()),
        });
    }
    found
}

/// Whether a command narrows the tests: a filter before `--` or a `--test` target.
fn narrows(args: &[String]) -> bool {
    let before: Vec<&String> = args.iter().take_while(|a| *a != "--").collect();
    let mut k = 1; // after `test`
    while k < before.len() {
        let arg = before[k].as_str();
        match arg {
            "--test" => return true,
            "-p" | "--package" | "--example" | "--bench" | "--features" | "--target-dir" => k += 2,
            flag if flag.starts_with('-') => k += 1,
            _ => return true,
        }
    }
    false
}

fn quoted_commands(root: &Path) -> Vec<Quoted> {
    let mut files = Vec::new();
    readmes(root, &mut files);
    let mut commands = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read a README");
        let relative = file
            .strip_prefix(root)
            .unwrap_or(&file)
            .display()
            .to_string();
        let mut in_code_block = false;
        let mut open = false;
        for (number, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("```") {
                in_code_block = !in_code_block;
                open = false;
                continue;
            }
            let source = format!("{relative}:{}", number + 1);
            commands.extend(commands_in_line(line, &source, open && !in_code_block));
            open = if in_code_block || line.trim().is_empty() {
                false
            } else {
                (line.matches('`').count() + usize::from(open)) % 2 == 1
            };
        }
    }
    commands
}

/// How many tests `command` selects, asked with `--list`.
fn selected(root: &Path, command: &Quoted) -> usize {
    let mut args = command.args.clone();
    if !args.iter().any(|a| a == "--") {
        args.push("--".to_string());
    }
    args.retain(|a| a != "--nocapture");
    args.push("--list".to_string());
    let output = Command::new(env!("CARGO"))
        .args(&args)
        .envs(command.env.iter().map(|(k, v)| (k, v)))
        .current_dir(root)
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "{}: `cargo {}` failed: {}",
        command.source,
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| l.ends_with(": test"))
        .count()
}

#[test]
fn a_command_after_a_label_keeps_only_its_environment() {
    let found = commands_in_line(
        "replay with: SIM_SEED=14 SIM_TEST=a::b cargo test -p common --test kit a::b -- --exact",
        "README.md:1",
        false,
    );
    assert_eq!(found.len(), 1, "one command on the line");
    assert_eq!(
        found[0].env,
        vec![
            ("SIM_SEED".to_string(), "14".to_string()),
            ("SIM_TEST".to_string(), "a::b".to_string())
        ],
        "the label before the command is not part of it"
    );
    assert_eq!(
        found[0].args[0], "test",
        "the words after `cargo` are its arguments"
    );
}

#[test]
fn quoted_commands_are_found_with_their_environment_and_placeholders() {
    let line = "(`SIM_SEED=<seed> cargo test -p quorums --test simulation <test> -- --exact`) and `cargo test -p wal step3` runs";
    let found = commands_in_line(line, "x", false);
    assert_eq!(found.len(), 2, "both quoted commands are found: {found:?}");
    assert_eq!(
        found[0].env,
        vec![("SIM_SEED".to_string(), "<seed>".to_string())],
        "the environment assignment is kept apart"
    );
    assert_eq!(found[1].args, vec!["test", "-p", "wal", "step3"]);
    let block = "SIM_ITERS=1000 cargo test -p naive-replication --test simulation three_phase_never  # more seeds";
    let found = commands_in_line(block, "x", false);
    assert_eq!(
        found[0].args.last().map(String::as_str),
        Some("three_phase_never"),
        "a comment after the command is not part of it: {found:?}"
    );
    assert!(narrows(&found[0].args), "a filter narrows the tests");
    let all = commands_in_line("cargo test -p paxos   # every scenario", "x", false);
    assert!(
        !narrows(&all[0].args),
        "`-p paxos` alone selects every test"
    );
    let continued = commands_in_line("--all-targets`, `cargo test -p wal step1`, and", "x", true);
    assert_eq!(
        continued[0].args,
        vec!["test", "-p", "wal", "step1"],
        "a code span opened on the line before is closed by the first backtick"
    );
}

#[test]
fn every_quoted_test_command_selects_at_least_one_test() {
    let root = workspace_root();
    let commands: Vec<Quoted> = quoted_commands(&root)
        .into_iter()
        .filter(|c| narrows(&c.args))
        .filter(|c| {
            !c.args.iter().any(|a| a.contains('<')) && !c.env.iter().any(|(_, v)| v.contains('<'))
        })
        .collect();
    let replays = commands
        .iter()
        .filter(|c| c.env.iter().any(|(k, _)| k == "SIM_SEED"))
        .count();
    assert!(
        replays >= 2,
        "the READMEs quote SIM_SEED replay commands (the top-level one and paxos's); found {replays} in {commands:?}"
    );
    let empty: Vec<String> = commands
        .iter()
        .filter(|c| selected(&root, c) == 0)
        .map(|c| c.source.clone())
        .collect();
    assert!(
        empty.is_empty(),
        "these quoted commands run no test at all (a missing module path, test binary or renamed test):\n{}",
        empty.join("\n")
    );
}
