//! Every example of every section refuses arguments it does not understand, with a usage
//! message and a nonzero exit, instead of ignoring them and running something else.
//!
//! The examples are built with `cargo build --examples` (already done by a workspace
//! `cargo test`, so usually a no-op) and run with arguments no example takes; a refused
//! run stops before simulating anything, so the whole check takes a second or two.

use std::path::{Path, PathBuf};
use std::process::Command;

use xtask::exercise;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// `(package, example name)` for every `examples/*.rs` of the day 1 and day 2 sections.
fn section_examples(root: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for section in exercise::discover(root).expect("the workspace's sections") {
        let dir = root.join(&section.dir).join("examples");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.strip_suffix(".rs").map(str::to_string)
            })
            .collect();
        names.sort();
        found.extend(names.into_iter().map(|n| (section.package.clone(), n)));
    }
    found
}

/// Builds the examples of `package` and returns `(example name, executable)`.
fn build_examples(root: &Path, package: &str) -> Vec<(String, PathBuf)> {
    let output = Command::new(env!("CARGO"))
        .args([
            "build",
            "--quiet",
            "--examples",
            "-p",
            package,
            "--message-format=json",
        ])
        .current_dir(root)
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "the examples of {package} must build: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut built = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let is_example = message["target"]["kind"]
            .as_array()
            .is_some_and(|kinds| kinds.iter().any(|k| k == "example"));
        if let (true, Some(name), Some(exe)) = (
            is_example,
            message["target"]["name"].as_str(),
            message["executable"].as_str(),
        ) {
            built.push((name.to_string(), PathBuf::from(exe)));
        }
    }
    built
}

#[test]
fn every_example_of_every_section_refuses_an_unknown_argument() {
    let root = workspace_root();
    let examples = section_examples(&root);
    assert!(
        examples.len() >= 13,
        "the sections have at least 13 examples; found only {examples:?}"
    );
    let mut packages: Vec<&str> = examples.iter().map(|(p, _)| p.as_str()).collect();
    packages.dedup();
    let mut executables = Vec::new();
    for package in packages {
        for (name, exe) in build_examples(&root, package) {
            executables.push((package.to_string(), name, exe));
        }
    }
    for (package, name) in &examples {
        // Two sections may have examples of the same name (paxos and paxoslog both
        // show reply_before_sync): match the package too.
        let exe = executables
            .iter()
            .find(|(in_package, built, _)| in_package == package && built == name)
            .map(|(_, _, exe)| exe)
            .unwrap_or_else(|| panic!("{package}'s example {name} was not built"));
        // `bogus` is no mode, seed or switch of any example; `1 2` is one argument too many
        // even for the examples that take a seed.
        for arguments in [&["bogus"][..], &["1", "2"][..]] {
            let output = Command::new(exe)
                .args(arguments)
                .output()
                .expect("the example runs");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(
                output.status.code(),
                Some(2),
                "`cargo run -p {package} --example {name} {}` must refuse its arguments with exit 2, not run; stderr: {stderr}",
                arguments.join(" ")
            );
            assert!(
                stderr.contains("usage:") && stderr.contains(name.as_str()),
                "{name}: the refusal must show the example's usage: {stderr}"
            );
        }
    }
}

/// Cargo puts every example binary of the workspace in one `target/<profile>/examples/`
/// folder: two examples of one name overwrite each other, and `cargo run --example`
/// may run the wrong section's.
#[test]
fn no_two_sections_have_an_example_of_the_same_name() {
    let examples = section_examples(&workspace_root());
    let mut seen = std::collections::BTreeMap::new();
    for (package, name) in &examples {
        if let Some(other) = seen.insert(name.clone(), package.clone()) {
            panic!("the example `{name}` exists in both {other} and {package}: rename one");
        }
    }
    assert!(
        seen.len() >= 13,
        "expected every section example, found {seen:?}"
    );
}
