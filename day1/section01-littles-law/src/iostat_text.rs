//! Reading saved `iostat -x` output, so a learner can analyse a log after the fact.
//!
//! The parser reads each `Device` header row and maps columns by name, so it accepts
//! both sysstat generations:
//!
//! - new (sysstat ≥ 11.5): `r/s w/s rkB/s wkB/s ... r_await w_await aqu-sz ... %util`
//! - old: `Device: rrqm/s wrqm/s r/s w/s rkB/s wkB/s avgrq-sz avgqu-sz await r_await w_await svctm %util`,
//!   and the oldest, which has a single `await` for reads and writes alike.
//!
//! `avg-cpu` blocks, the banner line and timestamps are skipped. Decimal commas
//! (`0,96` in some locales) are read as points.

use crate::diskstats::DiskRates;

/// A saved log that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IostatError {
    /// A header lacks a column the analysis needs.
    #[error("iostat header on line {line} has no `{column}` column (is this `iostat -x` output?)")]
    MissingColumn {
        /// 1-based line of the header.
        line: usize,
        /// The missing column, with its alternatives.
        column: &'static str,
    },
    /// A device row does not match its header.
    #[error("iostat line {line}: {reason}")]
    Malformed {
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        reason: String,
    },
    /// The text has no `Device` header at all.
    #[error("no `Device` header found: expected the output of `iostat -x`")]
    NoHeader,
}

/// One device row of one report interval.
#[derive(Debug, Clone, PartialEq)]
pub struct IostatSample {
    /// 1-based index of the report (iostat prints one per interval; the first is
    /// the average since boot).
    pub interval: usize,
    /// Device name.
    pub device: String,
    /// The columns.
    pub rates: DiskRates,
}

#[derive(Debug, Clone, Copy)]
struct Columns {
    r_per_s: usize,
    w_per_s: usize,
    rkb_per_s: Option<usize>,
    wkb_per_s: Option<usize>,
    r_await: usize,
    w_await: usize,
    aqu_sz: usize,
    util: usize,
    count: usize,
}

fn header_columns(names: &[&str], line: usize) -> Result<Columns, IostatError> {
    let find = |candidates: &[&str]| names.iter().position(|n| candidates.contains(n));
    let need = |candidates: &[&str], column: &'static str| {
        find(candidates).ok_or(IostatError::MissingColumn { line, column })
    };
    let single_await = find(&["await"]);
    let r_await = find(&["r_await"]).or(single_await);
    let w_await = find(&["w_await"]).or(single_await);
    Ok(Columns {
        r_per_s: need(&["r/s"], "r/s")?,
        w_per_s: need(&["w/s"], "w/s")?,
        rkb_per_s: find(&["rkB/s"]),
        wkb_per_s: find(&["wkB/s"]),
        r_await: r_await.ok_or(IostatError::MissingColumn {
            line,
            column: "r_await or await",
        })?,
        w_await: w_await.ok_or(IostatError::MissingColumn {
            line,
            column: "w_await or await",
        })?,
        aqu_sz: need(&["aqu-sz", "avgqu-sz"], "aqu-sz or avgqu-sz")?,
        util: need(&["%util"], "%util")?,
        count: names.len(),
    })
}

/// Parses every device row of every report in a saved `iostat -x` log.
pub fn parse_iostat(text: &str) -> Result<Vec<IostatSample>, IostatError> {
    let mut samples = Vec::new();
    let mut columns: Option<Columns> = None;
    let mut interval = 0;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let fields: Vec<&str> = raw.split_whitespace().collect();
        let Some(&first) = fields.first() else {
            columns = None; // a blank line ends a device block
            continue;
        };
        if first == "Device" || first == "Device:" {
            columns = Some(header_columns(&fields, line)?);
            interval += 1;
            continue;
        }
        let Some(cols) = columns else { continue };
        if fields.len() != cols.count {
            return Err(IostatError::Malformed {
                line,
                reason: format!("{} fields but the header has {}", fields.len(), cols.count),
            });
        }
        let value = |i: usize| -> Result<f64, IostatError> {
            fields[i]
                .replace(',', ".")
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| IostatError::Malformed {
                    line,
                    reason: format!("`{}` is not a number", fields[i]),
                })
        };
        let optional = |i: Option<usize>| i.map_or(Ok(0.0), value);
        samples.push(IostatSample {
            interval,
            device: first.to_string(),
            rates: DiskRates {
                r_per_s: value(cols.r_per_s)?,
                w_per_s: value(cols.w_per_s)?,
                rkb_per_s: optional(cols.rkb_per_s)?,
                wkb_per_s: optional(cols.wkb_per_s)?,
                r_await_ms: value(cols.r_await)?,
                w_await_ms: value(cols.w_await)?,
                aqu_sz: value(cols.aqu_sz)?,
                util_pct: value(cols.util)?,
            },
        });
    }
    if interval == 0 {
        return Err(IostatError::NoHeader);
    }
    Ok(samples)
}
