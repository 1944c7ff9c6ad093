//! Finding a verified `tla2tools.jar`.
//!
//! First match wins:
//! 1. `--jar <path>`;
//! 2. the `TLA2TOOLS_JAR` environment variable;
//! 3. the user cache, outside `target/` so `cargo clean` keeps it:
//!    `$TLC_CACHE_DIR/tla2tools-<version>.jar`, else
//!    `$XDG_CACHE_HOME/pods-workshop/tla2tools-<version>.jar`, else
//!    `~/.cache/pods-workshop/tla2tools-<version>.jar`;
//! 4. a download into that cache (not when offline).
//!
//! Whatever jar is chosen, its SHA-256 is checked against the manifest: the pinned
//! release, or (for a jar given with `--jar` or `TLA2TOOLS_JAR`) one of the builds listed
//! under `[[tlc.accepted]]`. A mismatch is an error unless `--allow-unverified-jar` is
//! given. When nothing works, the error names the
//! URL, the expected hash, the cache path and the alternatives, and the command exits 2.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::Failure;
use crate::download::{self, DownloadError, Policy};
use crate::manifest::TlcPin;

/// The environment variables that influence where the jar comes from, read once so the
/// lookup can be tested without touching the process environment.
#[derive(Debug, Clone, Default)]
pub struct JarEnv {
    /// `TLA2TOOLS_JAR`.
    pub tla2tools_jar: Option<OsString>,
    /// `TLC_CACHE_DIR`.
    pub tlc_cache_dir: Option<OsString>,
    /// `XDG_CACHE_HOME`.
    pub xdg_cache_home: Option<OsString>,
    /// `HOME`.
    pub home: Option<OsString>,
    /// True when `CARGO_NET_OFFLINE` is `true` or `1`.
    pub offline: bool,
}

impl JarEnv {
    /// Reads the variables from the process environment.
    pub fn from_process() -> JarEnv {
        let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        JarEnv {
            tla2tools_jar: non_empty("TLA2TOOLS_JAR"),
            tlc_cache_dir: non_empty("TLC_CACHE_DIR"),
            xdg_cache_home: non_empty("XDG_CACHE_HOME"),
            home: non_empty("HOME"),
            offline: std::env::var("CARGO_NET_OFFLINE")
                .is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1"),
        }
    }
}

/// Where the chosen jar came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JarSource {
    /// The `--jar` flag.
    Flag,
    /// The `TLA2TOOLS_JAR` variable.
    Environment,
    /// The user cache, already present.
    Cache,
    /// Downloaded into the user cache by this run.
    Downloaded,
}

/// A jar ready to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jar {
    /// Its path.
    pub path: PathBuf,
    /// How it was found.
    pub source: JarSource,
    /// Its SHA-256.
    pub sha256: String,
    /// False only when `--allow-unverified-jar` let a jar with another hash through.
    pub verified: bool,
    /// Which known build it is (the pinned release or an accepted build), by its hash;
    /// `None` for an unverified jar.
    pub build: Option<String>,
}

/// How to look for the jar.
#[derive(Debug, Clone)]
pub struct Lookup<'a> {
    /// The pinned release.
    pub pin: &'a TlcPin,
    /// The `--jar` flag.
    pub flag: Option<PathBuf>,
    /// The environment.
    pub env: JarEnv,
    /// `--offline` (or `CARGO_NET_OFFLINE`): never download.
    pub offline: bool,
    /// `--allow-unverified-jar`: accept a flag or variable jar whose hash differs.
    pub allow_unverified: bool,
    /// Download retries and limits.
    pub policy: Policy,
}

/// The cache file for `pin`, or `None` when no cache directory can be determined.
pub fn cache_path(pin: &TlcPin, env: &JarEnv) -> Option<PathBuf> {
    let file = format!("tla2tools-{}.jar", pin.version);
    if let Some(dir) = &env.tlc_cache_dir {
        return Some(PathBuf::from(dir).join(file));
    }
    let base = match (&env.xdg_cache_home, &env.home) {
        (Some(xdg), _) => PathBuf::from(xdg),
        (None, Some(home)) => PathBuf::from(home).join(".cache"),
        (None, None) => return None,
    };
    Some(base.join("pods-workshop").join(file))
}

/// Finds (or downloads) the jar, following the order in the module documentation.
pub fn locate(lookup: &Lookup<'_>) -> Result<Jar, Failure> {
    if let Some(path) = &lookup.flag {
        return explicit(lookup, path, JarSource::Flag, "--jar");
    }
    if let Some(path) = &lookup.env.tla2tools_jar {
        return explicit(
            lookup,
            Path::new(path),
            JarSource::Environment,
            "TLA2TOOLS_JAR",
        );
    }
    let cache = cache_path(lookup.pin, &lookup.env);
    if let Some(cache) = &cache
        && cache.is_file()
    {
        let sha256 = hash(cache)?;
        if sha256 == lookup.pin.sha256 {
            return Ok(Jar {
                path: cache.clone(),
                source: JarSource::Cache,
                build: lookup.pin.identify(&sha256),
                sha256,
                verified: true,
            });
        }
        eprintln!(
            "warning: the cached {} has SHA-256 {sha256}, not the pinned {}; fetching it again",
            cache.display(),
            lookup.pin.sha256
        );
        std::fs::remove_file(cache).map_err(|e| Failure::io("remove", cache, &e))?;
    }
    let Some(cache) = cache else {
        return Err(unavailable(
            lookup,
            None,
            "no cache directory: set TLC_CACHE_DIR or HOME",
        ));
    };
    if lookup.offline || lookup.env.offline {
        return Err(unavailable(
            lookup,
            Some(&cache),
            "offline mode forbids downloading it",
        ));
    }
    eprintln!(
        "downloading TLC {} from {}",
        lookup.pin.version, lookup.pin.url
    );
    match download::download_verified(&lookup.pin.url, &lookup.pin.sha256, &cache, &lookup.policy) {
        Ok(()) => {
            eprintln!("verified and saved to {}", cache.display());
            Ok(Jar {
                path: cache,
                source: JarSource::Downloaded,
                sha256: lookup.pin.sha256.clone(),
                verified: true,
                build: lookup.pin.identify(&lookup.pin.sha256),
            })
        }
        Err(DownloadError::Io { path, error }) => Err(Failure::io("write", &path, &error)),
        Err(error) => Err(unavailable(lookup, Some(&cache), &error.to_string())),
    }
}

/// Copies a jar the user downloaded themselves into the cache, after verifying it
/// (`cargo xtask tlc-fetch --from <file>`). Returns the cache path.
pub fn import(pin: &TlcPin, env: &JarEnv, from: &Path) -> Result<PathBuf, Failure> {
    let cache = cache_path(pin, env).ok_or_else(|| {
        Failure::Environment("no cache directory: set TLC_CACHE_DIR or HOME".to_string())
    })?;
    if !from.is_file() {
        return Err(Failure::Environment(format!(
            "{} does not exist",
            from.display()
        )));
    }
    let sha256 = hash(from)?;
    if sha256 != pin.sha256 {
        return Err(Failure::Environment(format!(
            "{} has SHA-256 {sha256}, but TLC {} is pinned to {}; not importing it",
            from.display(),
            pin.version,
            pin.sha256
        )));
    }
    if let Some(parent) = cache.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Failure::io("create", parent, &e))?;
    }
    let partial = download::partial_path(&cache);
    std::fs::copy(from, &partial).map_err(|e| Failure::io("copy to", &partial, &e))?;
    std::fs::rename(&partial, &cache).map_err(|e| Failure::io("rename onto", &cache, &e))?;
    Ok(cache)
}

fn explicit(
    lookup: &Lookup<'_>,
    path: &Path,
    source: JarSource,
    via: &str,
) -> Result<Jar, Failure> {
    if !path.is_file() {
        return Err(Failure::Environment(format!(
            "{via} points to {}, which does not exist",
            path.display()
        )));
    }
    let sha256 = hash(path)?;
    let build = lookup.pin.identify(&sha256);
    let verified = build.is_some();
    if !verified && !lookup.allow_unverified {
        let accepted: String = lookup
            .pin
            .accepted
            .iter()
            .map(|jar| format!("\n  {} ({})", jar.sha256, jar.name))
            .collect();
        return Err(Failure::Environment(format!(
            "{via} points to {} with SHA-256 {sha256}, but TLC {} is pinned to {}{}{accepted}.\n\
             Use the pinned release, or pass --allow-unverified-jar to run a different TLC on purpose.",
            path.display(),
            lookup.pin.version,
            lookup.pin.sha256,
            if accepted.is_empty() {
                ""
            } else {
                ", and the other accepted builds are:"
            },
        )));
    }
    Ok(Jar {
        path: path.to_path_buf(),
        source,
        sha256,
        verified,
        build,
    })
}

fn hash(path: &Path) -> Result<String, Failure> {
    download::sha256_file(path).map_err(|e| Failure::io("read", path, &e))
}

/// The exit-2 message when no verified jar can be had.
fn unavailable(lookup: &Lookup<'_>, cache: Option<&Path>, reason: &str) -> Failure {
    let pin = lookup.pin;
    let cache_text = cache.map_or_else(
        || "(none: set TLC_CACHE_DIR)".to_string(),
        |c| c.display().to_string(),
    );
    Failure::Environment(format!(
        "TLC {version} (tla2tools.jar) is not available: {reason}.\n\
         Nothing was run.\n\
         \n\
         \x20 URL:              {url}\n\
         \x20 expected SHA-256: {sha}\n\
         \x20 cache path:       {cache_text}\n\
         \n\
         Any of these works:\n\
         \x20 - download the file elsewhere and import it: cargo xtask tlc-fetch --from <file>\n\
         \x20 - copy it to the cache path above\n\
         \x20 - point to it: TLA2TOOLS_JAR=<file> or --jar <file>\n\
         \x20 - run the specs without Java: --engine tla-rs",
        version = pin.version,
        url = pin.url,
        sha = pin.sha256,
    ))
}
