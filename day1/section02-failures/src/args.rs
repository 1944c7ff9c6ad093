//! Strict, hand-written command-line parsing: `--flag value` or `--flag=value`,
//! unknown or repeated flags are errors, and every value is parsed with its unit.

use std::collections::BTreeMap;

use crate::units::parse_plain_number;

/// A command line that could not be understood; the CLI exits with code 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The `--name value` pairs of one subcommand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flags {
    values: BTreeMap<String, String>,
}

impl Flags {
    /// Parses `args` (everything after the subcommand), accepting only `allowed` names.
    ///
    /// ```
    /// use failures::args::Flags;
    /// let args: Vec<String> = ["--mttf", "3y", "--n=100"].map(String::from).to_vec();
    /// let flags = Flags::parse("fleet", &args, &["mttf", "n"]).unwrap();
    /// assert_eq!(flags.get("n"), Some("100"));
    /// assert!(Flags::parse("fleet", &args, &["mttf"]).is_err(), "--n is not allowed");
    /// ```
    pub fn parse(command: &str, args: &[String], allowed: &[&str]) -> Result<Self, UsageError> {
        let mut values = BTreeMap::new();
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            let Some(body) = arg.strip_prefix("--") else {
                return Err(UsageError(format!(
                    "`{command}`: unexpected argument `{arg}` (flags look like --name value)"
                )));
            };
            let (name, value) = match body.split_once('=') {
                Some((name, value)) => (name.to_string(), value.to_string()),
                None => {
                    let value = rest.next().ok_or_else(|| {
                        UsageError(format!("`{command}`: flag --{body} needs a value"))
                    })?;
                    (body.to_string(), value.clone())
                }
            };
            if !allowed.contains(&name.as_str()) {
                let known: Vec<String> = allowed.iter().map(|a| format!("--{a}")).collect();
                return Err(UsageError(format!(
                    "`{command}`: unknown flag --{name}; it accepts {}",
                    if known.is_empty() {
                        "no flags".to_string()
                    } else {
                        known.join(", ")
                    }
                )));
            }
            if values.insert(name.clone(), value).is_some() {
                return Err(UsageError(format!(
                    "`{command}`: flag --{name} given twice"
                )));
            }
        }
        Ok(Flags { values })
    }

    /// The raw value of `--name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }
}

/// A whole count such as `10000`, `1e6` or `1_000_000`.
pub fn parse_count(text: &str) -> Option<u64> {
    let cleaned = text.replace('_', "");
    if !cleaned.is_empty() && cleaned.chars().all(|c| c.is_ascii_digit()) {
        return cleaned.parse().ok();
    }
    let value = parse_plain_number(&cleaned)?;
    (value.fract() == 0.0 && value <= 9.007_199_254_740_992e15).then_some(value as u64)
}

/// A comma-separated list of counts, or an inclusive range `a..b`.
///
/// ```
/// use failures::args::parse_count_list;
/// assert_eq!(parse_count_list("1..4"), Some(vec![1, 2, 3, 4]));
/// assert_eq!(parse_count_list("1,10,1e3"), Some(vec![1, 10, 1000]));
/// assert_eq!(parse_count_list("5..1"), None);
/// ```
pub fn parse_count_list(text: &str) -> Option<Vec<u64>> {
    if let Some((lo, hi)) = text.split_once("..") {
        let (lo, hi) = (parse_count(lo)?, parse_count(hi)?);
        return (lo <= hi && hi - lo <= 1000).then(|| (lo..=hi).collect());
    }
    text.split(',').map(parse_count).collect()
}

/// A probability written as a fraction (`0.99`) or a percentage (`99%`).
pub fn parse_probability(text: &str) -> Option<f64> {
    match text.strip_suffix('%') {
        Some(percent) => parse_plain_number(percent).map(|p| p / 100.0),
        None => parse_plain_number(text),
    }
}
