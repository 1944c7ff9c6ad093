//! Finding Java and checking it is new enough for TLC.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

use crate::Failure;

/// A usable Java runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Java {
    /// The `java` executable.
    pub path: PathBuf,
    /// Its major version (8, 11, 17, ...).
    pub major: u32,
}

/// The major version in `java -version` output: `version "17.0.15"` → 17,
/// `version "1.8.0_292"` → 8, `version "21"` → 21.
pub fn parse_major_version(output: &str) -> Option<u32> {
    let line = output.lines().find(|l| l.contains("version \""))?;
    let start = line.find("version \"")? + "version \"".len();
    let rest = &line[start..];
    let quoted = &rest[..rest.find('"')?];
    let mut parts = quoted.split(['.', '_', '-', '+']);
    let first: u32 = parts.next()?.parse().ok()?;
    if first == 1 {
        parts.next()?.parse().ok()
    } else {
        Some(first)
    }
}

/// Finds `java` (`$JAVA_HOME/bin/java`, else `java` on `PATH`) and checks that its major
/// version is at least `min_major`. Any problem is an environment failure (exit 2).
pub fn find(java_home: Option<OsString>, min_major: u32) -> Result<Java, Failure> {
    let path = match java_home.filter(|h| !h.is_empty()) {
        Some(home) => PathBuf::from(home).join("bin").join("java"),
        None => PathBuf::from("java"),
    };
    let output = Command::new(&path).arg("-version").output().map_err(|e| {
        Failure::Environment(format!(
            "TLC needs Java {min_major} or newer, but {} cannot be run ({e}).\n\
             Nothing was run. Install a JDK (for example `apt-get install openjdk-17-jre-headless`),\n\
             set JAVA_HOME, or run the specs without Java: --engine tla-rs",
            path.display()
        ))
    })?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    let major = parse_major_version(&text).ok_or_else(|| {
        Failure::Environment(format!(
            "cannot read the version of {} from `java -version`:\n{text}",
            path.display()
        ))
    })?;
    if major < min_major {
        return Err(Failure::Environment(format!(
            "TLC needs Java {min_major} or newer, but {} is Java {major}.\n\
             Nothing was run. Install a newer JDK and set JAVA_HOME, or use --engine tla-rs",
            path.display()
        )));
    }
    Ok(Java { path, major })
}
