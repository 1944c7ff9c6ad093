//! Command-line parsing for the `littles-law` tool: the strict flag parser and counts come
//! from `common::cli`; the list parser is this tool's own.

pub use common::cli::{Flags, UsageError, parse_count};

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
