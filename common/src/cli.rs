//! Strict, hand-written command-line parsing for the labs' tools: `--flag value`,
//! `--flag=value` and bare switches such as `--direct`. Unknown, repeated or valueless
//! flags are errors, and numbers are parsed strictly (no sign, no trailing text). It keeps
//! the tools free of a heavy argument-parsing dependency.

use std::collections::BTreeMap;

/// A plain non-negative number: digits, an optional fraction and exponent (`2.5`,
/// `1e6`), nothing else.
///
/// ```
/// use common::cli::parse_plain_number;
/// assert_eq!(parse_plain_number("1e3"), Some(1000.0));
/// assert_eq!(parse_plain_number("-1"), None);
/// assert_eq!(parse_plain_number("12abc"), None);
/// ```
pub fn parse_plain_number(text: &str) -> Option<f64> {
    let ok = !text.is_empty()
        && text.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    if !ok {
        return None;
    }
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
}

/// A command line that could not be understood; the CLI exits with code 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Prints `message` and the usage line, and ends the process with exit code 2 (a
/// command line that could not be understood).
pub fn exit_usage(message: &str, usage: &str) -> ! {
    eprintln!("{message}\nusage: {usage}");
    std::process::exit(2)
}

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
    /// use common::cli::Flags;
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
