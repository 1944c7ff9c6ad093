//! Command-line parsing for the `failures` tool: the strict flag parser and counts come
//! from `common::cli`; list and probability parsing are this tool's own.

pub use common::cli::{Flags, UsageError, parse_count};

use crate::units::parse_plain_number;

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
