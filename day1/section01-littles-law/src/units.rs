//! Strict parsing of sizes, durations, rates and utilisations, each with its unit.

use std::time::Duration;

/// A value that could not be parsed; the message says what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    /// Text that is not a number in the expected form.
    #[error("`{text}` is not {expected}")]
    Malformed {
        /// The text as typed.
        text: String,
        /// What was expected, e.g. "a size like 4K or 1MiB".
        expected: &'static str,
    },
}

fn malformed(text: &str, expected: &'static str) -> UnitError {
    UnitError::Malformed {
        text: text.to_string(),
        expected,
    }
}

pub use common::cli::parse_plain_number;

fn split_unit(text: &str) -> (&str, &str) {
    let at = text
        .find(|c: char| c.is_ascii_alphabetic() || c == '%' || c == '/')
        .unwrap_or(text.len());
    text.split_at(at)
}

/// A size in bytes: `512B`, `4K` or `4KiB`, `1M` or `1MiB`, `1G` or `1GiB` (powers of 1024).
///
/// ```
/// use littles_law::units::parse_size;
/// assert_eq!(parse_size("4K").unwrap(), 4096);
/// assert_eq!(parse_size("64MiB").unwrap(), 64 << 20);
/// assert!(parse_size("4096").is_err(), "a size needs a unit");
/// ```
pub fn parse_size(text: &str) -> Result<u64, UnitError> {
    const EXPECTED: &str = "a size with a unit: 512B, 4K, 4KiB, 1M, 1MiB or 1G";
    let (number, unit) = split_unit(text);
    let multiplier: u64 = match unit {
        "B" => 1,
        "K" | "KiB" => 1 << 10,
        "M" | "MiB" => 1 << 20,
        "G" | "GiB" => 1 << 30,
        _ => return Err(malformed(text, EXPECTED)),
    };
    let value = parse_plain_number(number).ok_or_else(|| malformed(text, EXPECTED))?;
    let bytes = value * multiplier as f64;
    if bytes.fract() != 0.0 || bytes > 1e15 {
        return Err(malformed(text, EXPECTED));
    }
    Ok(bytes as u64)
}

/// A duration: `500ms`, `60s`, `2min`, `1h`.
pub fn parse_duration(text: &str) -> Result<Duration, UnitError> {
    const EXPECTED: &str = "a duration with a unit: 500ms, 60s, 2min or 1h";
    let (number, unit) = split_unit(text);
    let seconds_per_unit = match unit {
        "ms" => 1e-3,
        "s" => 1.0,
        "min" => 60.0,
        "h" => 3600.0,
        _ => return Err(malformed(text, EXPECTED)),
    };
    let value = parse_plain_number(number).ok_or_else(|| malformed(text, EXPECTED))?;
    let seconds = value * seconds_per_unit;
    if seconds > 1e7 {
        return Err(malformed(text, EXPECTED));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// A rate in operations per second: `5000`, `5k`, `5k/s`, `1.2M`.
pub fn parse_rate(text: &str) -> Result<f64, UnitError> {
    const EXPECTED: &str = "a rate in operations per second, like 5000, 5k or 5k/s";
    let body = text.strip_suffix("/s").unwrap_or(text);
    let (number, unit) = split_unit(body);
    let multiplier = match unit {
        "" => 1.0,
        "k" => 1e3,
        "M" => 1e6,
        _ => return Err(malformed(text, EXPECTED)),
    };
    parse_plain_number(number)
        .map(|v| v * multiplier)
        .ok_or_else(|| malformed(text, EXPECTED))
}

/// A utilisation: a percentage `39%`, or a fraction `0.39` in [0, 1]. `39` alone is
/// refused, because it could mean either.
///
/// ```
/// use littles_law::units::parse_utilisation;
/// assert_eq!(parse_utilisation("39%").unwrap(), 0.39);
/// assert_eq!(parse_utilisation("0.39").unwrap(), 0.39);
/// assert!(parse_utilisation("39").is_err());
/// ```
pub fn parse_utilisation(text: &str) -> Result<f64, UnitError> {
    const EXPECTED: &str = "a utilisation: a percentage like 39% or a fraction like 0.39";
    let value = match text.strip_suffix('%') {
        Some(percent) => parse_plain_number(percent).map(|p| p / 100.0),
        None => parse_plain_number(text),
    };
    value
        .filter(|&u| u <= 1.0 || text.ends_with('%'))
        .ok_or_else(|| malformed(text, EXPECTED))
}

/// A value with a unit in the flag name (`--await-ms 0.14`, `--iops 6836`): a plain
/// non-negative number.
pub fn parse_number(text: &str) -> Result<f64, UnitError> {
    parse_plain_number(text).ok_or_else(|| malformed(text, "a non-negative number"))
}
