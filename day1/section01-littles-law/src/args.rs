//! Strict, hand-written command-line parsing: `--flag value`, `--flag=value` and bare
//! switches such as `--direct`. Unknown, repeated or valueless flags are errors.

use std::collections::BTreeMap;

use crate::units::parse_plain_number;

/// A command line that could not be understood; the CLI exits with code 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The flags of one subcommand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flags {
    values: BTreeMap<String, String>,
    switches: Vec<String>,
}

impl Flags {
    /// Parses `args` (everything after the subcommand). `valued` flags take a value,
    /// `switches` take none.
    ///
    /// ```
    /// use littles_law::args::Flags;
    /// let args: Vec<String> = ["--bs", "4K", "--direct"].map(String::from).to_vec();
    /// let flags = Flags::parse("load", &args, &["bs"], &["direct"]).unwrap();
    /// assert_eq!(flags.get("bs"), Some("4K"));
    /// assert!(flags.switch("direct"));
    /// ```
    pub fn parse(
        command: &str,
        args: &[String],
        valued: &[&str],
        switches: &[&str],
    ) -> Result<Self, UsageError> {
        let mut flags = Flags::default();
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            let Some(body) = arg.strip_prefix("--") else {
                return Err(UsageError(format!(
                    "`{command}`: unexpected argument `{arg}` (flags look like --name value)"
                )));
            };
            let (name, inline) = match body.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (body, None),
            };
            if switches.contains(&name) {
                if inline.is_some() {
                    return Err(UsageError(format!(
                        "`{command}`: --{name} is a switch and takes no value"
                    )));
                }
                if flags.switches.iter().any(|s| s == name) {
                    return Err(UsageError(format!(
                        "`{command}`: flag --{name} given twice"
                    )));
                }
                flags.switches.push(name.to_string());
                continue;
            }
            if !valued.contains(&name) {
                let known: Vec<String> = valued
                    .iter()
                    .chain(switches)
                    .map(|a| format!("--{a}"))
                    .collect();
                return Err(UsageError(format!(
                    "`{command}`: unknown flag --{name}; it accepts {}",
                    known.join(", ")
                )));
            }
            let value = match inline {
                Some(value) => value.to_string(),
                None => rest
                    .next()
                    .ok_or_else(|| UsageError(format!("`{command}`: flag --{name} needs a value")))?
                    .clone(),
            };
            if flags.values.insert(name.to_string(), value).is_some() {
                return Err(UsageError(format!(
                    "`{command}`: flag --{name} given twice"
                )));
            }
        }
        Ok(flags)
    }

    /// The value of `--name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Whether the switch `--name` was given.
    pub fn switch(&self, name: &str) -> bool {
        self.switches.iter().any(|s| s == name)
    }
}

/// A whole count such as `8`, `1e6` or `200_000`.
pub fn parse_count(text: &str) -> Option<u64> {
    let cleaned = text.replace('_', "");
    if !cleaned.is_empty() && cleaned.chars().all(|c| c.is_ascii_digit()) {
        return cleaned.parse().ok();
    }
    let value = parse_plain_number(&cleaned)?;
    (value.fract() == 0.0 && value <= 9.007_199_254_740_992e15).then_some(value as u64)
}

/// A list `a,b,c`, or a range `a..b` split into `steps` evenly spaced values, each
/// parsed by `parse`.
///
/// ```
/// use littles_law::args::parse_list;
/// use littles_law::units::parse_rate;
/// assert_eq!(parse_list("1k..4k", 4, parse_rate), Some(vec![1000.0, 2000.0, 3000.0, 4000.0]));
/// assert_eq!(parse_list("1,2,4", 0, parse_rate), Some(vec![1.0, 2.0, 4.0]));
/// ```
pub fn parse_list<E>(
    text: &str,
    steps: usize,
    parse: impl Fn(&str) -> Result<f64, E>,
) -> Option<Vec<f64>> {
    if let Some((lo, hi)) = text.split_once("..") {
        let (lo, hi) = (parse(lo).ok()?, parse(hi).ok()?);
        if lo >= hi || steps < 2 {
            return None;
        }
        let step = (hi - lo) / (steps - 1) as f64;
        return Some(
            (0..steps)
                .map(|i| {
                    if i + 1 == steps {
                        hi
                    } else {
                        lo + step * i as f64
                    }
                })
                .collect(),
        );
    }
    text.split(',').map(|part| parse(part).ok()).collect()
}
