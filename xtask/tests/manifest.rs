//! tla/expected.toml: its rules, and the repository's own manifest against the specs.

use std::path::{Path, PathBuf};

use xtask::manifest::{self, EngineKind, Expectation, Manifest};

const HEADER: &str = r#"
[tlc]
version = "1.7.4"
url = "https://github.com/tlaplus/tlaplus/releases/download/v1.7.4/tla2tools.jar"
sha256 = "936a262061c914694dfd669a543be24573c45d5aa0ff20a8b96b23d01e050e88"
min_java = 11

[tla-rs]
package = "tla-checker"
version = "0.24.11"
binary = "tla"
"#;

fn repository_tla() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("tla")
}

#[test]
fn the_repository_manifest_is_valid_and_matches_the_specs_one_to_one() {
    let tla = repository_tla();
    let manifest = Manifest::load(&tla).expect("tla/expected.toml must parse");
    let problems = manifest::consistency_problems(&manifest, &tla).expect("tla/ is readable");
    assert!(
        problems.is_empty(),
        "tla/ and expected.toml disagree:\n{}",
        problems.join("\n")
    );
    assert!(
        manifest.specs.len() >= 15,
        "every spec and its broken twin are listed"
    );
}

#[test]
fn an_accepted_jar_needs_a_well_formed_hash() {
    let good = format!(
        "{HEADER}\n[[tlc.accepted]]\nname = \"another build\"\nsha256 = \"{}\"\n",
        "ab".repeat(32)
    );
    let manifest = Manifest::parse(&good).expect("an accepted build with a hash parses");
    assert_eq!(
        manifest.tlc.identify(&"ab".repeat(32)).as_deref(),
        Some("another build"),
        "an accepted build is identified by its hash"
    );
    assert_eq!(
        manifest.tlc.identify(&"cd".repeat(32)),
        None,
        "an unknown hash is no known build"
    );
    let bad = format!("{HEADER}\n[[tlc.accepted]]\nname = \"another build\"\nsha256 = \"ABC\"\n");
    let error = Manifest::parse(&bad).expect_err("a malformed accepted hash is refused");
    assert!(
        error.contains("[[tlc.accepted]] sha256"),
        "the error must name the table: {error}"
    );
}

#[test]
fn the_repository_manifest_pins_tlc_1_7_4_and_the_given_state_count() {
    let manifest = Manifest::load(&repository_tla()).expect("tla/expected.toml must parse");
    assert_eq!(manifest.tlc.version, "1.7.4");
    assert_eq!(
        manifest.tlc.sha256, "936a262061c914694dfd669a543be24573c45d5aa0ff20a8b96b23d01e050e88",
        "the published SHA-256 of tla2tools.jar v1.7.4"
    );
    let durable = manifest
        .spec("DurableDecision")
        .expect("DurableDecision is listed");
    assert_eq!(durable.expect, Expectation::Pass);
    assert_eq!(
        durable
            .pins(EngineKind::Tlc)
            .and_then(|p| p.distinct_states),
        Some(12167)
    );
}

#[test]
fn every_broken_spec_expects_a_violation_and_every_other_spec_a_pass() {
    let manifest = Manifest::load(&repository_tla()).expect("tla/expected.toml must parse");
    for spec in &manifest.specs {
        let broken = spec.name.starts_with("Broken");
        assert_eq!(
            matches!(spec.expect, Expectation::Violation { .. }),
            broken,
            "{}: a Broken* spec must expect a violation, any other a pass",
            spec.name
        );
        if !broken {
            let twin = format!("Broken{}", spec.name);
            assert!(
                manifest.specs.iter().any(|s| s.name == twin),
                "{} has no broken twin {twin}",
                spec.name
            );
        }
    }
}

#[test]
fn the_specs_are_sorted_by_name() {
    let manifest = Manifest::parse(&format!(
        "{HEADER}\n[[spec]]\nname = \"B\"\nexpect = \"pass\"\n[[spec]]\nname = \"A\"\nexpect = \"pass\"\n"
    ))
    .expect("valid manifest");
    let names: Vec<&str> = manifest.specs.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["A", "B"], "tlc-all runs specs in sorted order");
}

#[test]
fn a_violation_without_its_invariant_is_rejected() {
    let error = Manifest::parse(&format!(
        "{HEADER}\n[[spec]]\nname = \"A\"\nexpect = \"violation\"\n"
    ))
    .expect_err("a violation must name its invariant");
    assert!(error.contains("invariant"), "{error}");
}

#[test]
fn a_duplicate_spec_is_rejected() {
    let error = Manifest::parse(&format!(
        "{HEADER}\n[[spec]]\nname = \"A\"\nexpect = \"pass\"\n[[spec]]\nname = \"A\"\nexpect = \"pass\"\n"
    ))
    .expect_err("duplicates are ambiguous");
    assert!(error.contains("twice"), "{error}");
}

#[test]
fn a_malformed_hash_and_a_misspelt_field_are_rejected() {
    let bad_hash = HEADER.replace("936a262061", "XYZ");
    assert!(
        Manifest::parse(&bad_hash).is_err(),
        "a hash that is not 64 hex digits"
    );
    let typo = format!("{HEADER}\n[[spec]]\nname = \"A\"\nexpect = \"pass\"\ndistinct_state = 3\n");
    assert!(
        Manifest::parse(&typo).is_err(),
        "unknown fields are typos, not silently ignored"
    );
}

#[test]
fn an_unknown_spec_name_lists_the_known_ones() {
    let manifest = Manifest::load(&repository_tla()).expect("tla/expected.toml must parse");
    let error = manifest
        .spec("DurableDecisoin")
        .expect_err("a typo is not a spec");
    assert_eq!(error.exit_code(), 64, "an unknown spec is a usage error");
    let text = error.to_string();
    assert!(
        text.contains("DurableDecision") && text.contains("RaftLog"),
        "{text}"
    );
}

#[test]
fn a_config_without_expectation_and_an_expectation_without_config_are_both_reported() {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(dir.path().join("Orphan.cfg"), "INIT Init\n").expect("write");
    std::fs::write(dir.path().join("Orphan.tla"), "").expect("write");
    let manifest = Manifest::parse(&format!(
        "{HEADER}\n[[spec]]\nname = \"Ghost\"\nexpect = \"pass\"\n"
    ))
    .expect("valid manifest");
    let problems = manifest::consistency_problems(&manifest, dir.path()).expect("readable");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("Orphan.cfg has no expectation")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("Ghost.cfg does not exist")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("Ghost.tla does not exist")),
        "{problems:?}"
    );
}
