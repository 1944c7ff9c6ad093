//! The `failures` command line: each subcommand prints its answer with the working.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::args::{Flags, UsageError, parse_count, parse_count_list, parse_probability};
use crate::fleet::{self, Model, PeriodStats};
use crate::replication::{self, Repair};
use crate::sim::{FleetConfig, FleetRun, ReplicaConfig, ReplicaRun};
use crate::svg::{Chart, Series, Style};
use crate::units::trim_number;
use crate::{Afr, FailuresError, Mttf, TimeSpan};

/// Usage text printed by `failures help`.
pub const USAGE: &str = "\
failures: why a fleet of reliable disks fails every day

USAGE
  failures                         the lab report: 10000 disks, MTTF 3y, one day
  failures fleet    [--mttf 3y | --afr 2%] [--n 10000] [--period 1d] [--model linear|exp]
  failures table    [--mttf 3y | --afr 2%] [--n 1,10,100,1000,10000,100000] [--period 1d] [--model linear|exp]
  failures need     [--mttf 3y | --afr 2%] [--prob 0.99] [--period 1d] [--model linear|exp]
  failures replicas [--mttf 3y | --afr 2%] [--mttr 24h] [--r 1..5] [--objects 1e6] [--n 10000]
                    [--years 10] [--seed 42] [--svg target/charts/failures-replicas.svg]
  failures simulate [--mttf 3y | --afr 2%] [--n 10000] [--days 30] [--seed 42]
                    [--svg target/charts/failures-per-day.svg]
  failures help

UNITS
  durations: number + unit, one of min, h, d, w, y (a year is 365 days): 3y, 1095d, 26280h
  AFR: a percentage, 2%   probabilities: 0.99 or 99%   counts: 10000, 1e6, 1_000_000

CHARTS
  written under target/charts/ of the current directory unless --svg says otherwise.

EXIT CODES
  0 success, 2 bad command line, 3 invalid value (quoted as typed), 4 could not write a file
";

/// Why a command failed, which decides the exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The command line could not be understood (exit code 2).
    #[error("{0}\nrun `failures help` for usage")]
    Usage(#[from] UsageError),
    /// A value was understood but is not valid (exit code 3).
    #[error("invalid input: {0}")]
    Invalid(#[from] FailuresError),
    /// A flag's value is not valid (exit code 3): the message quotes the flag and the text
    /// as it was typed, not a value converted from it.
    #[error("invalid input: --{flag} `{typed}`: {reason}")]
    Flag {
        /// The flag, without its dashes.
        flag: &'static str,
        /// Its value as typed.
        typed: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A chart could not be written (exit code 4).
    #[error("could not write {path}: {source}")]
    Io {
        /// The file that could not be written.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Invalid(_) | CliError::Flag { .. } => 3,
            CliError::Io { .. } => 4,
        }
    }
}

/// Runs the command line `args` (without the program name) and returns what to print.
pub fn run(args: &[String]) -> Result<String, CliError> {
    let Some((command, rest)) = args.split_first() else {
        return default_report();
    };
    match command.as_str() {
        "help" | "--help" | "-h" => Ok(USAGE.to_string()),
        "fleet" => fleet_command(rest),
        "table" => table_command(rest),
        "need" => need_command(rest),
        "replicas" => replicas_command(rest),
        "simulate" => simulate_command(rest),
        other => Err(UsageError(format!(
            "unknown command `{other}`: use fleet, table, need, replicas, simulate or help"
        ))
        .into()),
    }
}

fn usage(message: String) -> CliError {
    CliError::Usage(UsageError(message))
}

/// The error for flag `flag` typed as `typed`: the reason without the value the library
/// converted it to (`--mttf 0y` is not "0 h", `--prob 100%` is not "1").
fn flag_error(flag: &'static str, typed: &str, error: FailuresError) -> CliError {
    let reason = match error {
        FailuresError::NonPositiveMttf { .. } => "MTTF must be greater than zero".to_string(),
        FailuresError::AfrOutOfRange { .. } => {
            "the annual failure rate must be strictly between 0% and 100%".to_string()
        }
        FailuresError::ProbabilityOutOfRange { .. } => {
            "must be strictly between 0 and 1 (0% and 100%)".to_string()
        }
        FailuresError::ZeroDuration { .. } => "must be greater than zero".to_string(),
        other => other.to_string(),
    };
    CliError::Flag {
        flag,
        typed: typed.to_string(),
        reason,
    }
}

fn mttf_flag(flags: &Flags) -> Result<Mttf, CliError> {
    match (flags.get("mttf"), flags.get("afr")) {
        (Some(_), Some(_)) => Err(usage("give either --mttf or --afr, not both".to_string())),
        (Some(text), None) => Mttf::parse(text).map_err(|e| flag_error("mttf", text, e)),
        (None, Some(text)) => Afr::parse(text)
            .map(Mttf::from_afr)
            .map_err(|e| flag_error("afr", text, e)),
        (None, None) => Ok(Mttf::parse("3y")?),
    }
}

fn span_flag(flags: &Flags, name: &'static str, default: &str) -> Result<TimeSpan, CliError> {
    let text = flags.get(name).unwrap_or(default);
    let span = TimeSpan::parse(text).map_err(|e| flag_error(name, text, e))?;
    if span.hours() <= 0.0 {
        return Err(flag_error(
            name,
            text,
            FailuresError::ZeroDuration { what: "a duration" },
        ));
    }
    Ok(span)
}

fn count_flag(flags: &Flags, name: &str, default: u64) -> Result<u64, CliError> {
    match flags.get(name) {
        None => Ok(default),
        Some(text) => parse_count(text)
            .ok_or_else(|| usage(format!("--{name} `{text}` is not a whole number"))),
    }
}

fn model_flag(flags: &Flags) -> Result<Model, CliError> {
    match flags.get("model").unwrap_or("linear") {
        "linear" => Ok(Model::Linear),
        "exp" | "exponential" => Ok(Model::Exponential),
        other => Err(usage(format!("--model `{other}`: use linear or exp"))),
    }
}

/// Where a chart goes: `--svg PATH` as given, or `target/charts/<name>` of the current
/// directory (created if needed: the build directory, never the repository's files).
fn svg_flag(flags: &Flags, name: &str) -> Result<PathBuf, CliError> {
    if let Some(path) = flags.get("svg") {
        return Ok(PathBuf::from(path));
    }
    let dir = Path::new("target").join("charts");
    std::fs::create_dir_all(&dir).map_err(|source| CliError::Io {
        path: dir.clone(),
        source,
    })?;
    Ok(dir.join(name))
}

fn write_chart(path: &Path, chart: &Chart) -> Result<String, CliError> {
    std::fs::write(path, chart.render()).map_err(|source| CliError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(format!("Chart written to {}\n", path.display()))
}

/// A probability with six decimals, switching to scientific notation when six
/// decimals would hide it (the all-survive probability of a large fleet).
pub fn probability(value: f64) -> String {
    if value == 0.0 {
        "0".to_string()
    } else if value < 1e-4 {
        format!("{value:.3e}")
    } else if value > 1.0 - 1e-6 && value < 1.0 {
        format!("1 - {:.3e}", 1.0 - value)
    } else {
        format!("{value:.6}")
    }
}

fn describe_period(period: TimeSpan) -> String {
    let (human, hours) = (period.human(), period.to_string());
    if human == hours {
        human
    } else {
        format!("{human} ({hours})")
    }
}

fn describe_mttf(mttf: Mttf) -> String {
    format!(
        "{} = {} days = {} (AFR {:.2}% with exponential lifetimes, {:.2}% in the linear model)",
        mttf.span().human(),
        trim_number(mttf.span().days(), 2),
        mttf.span(),
        mttf.afr().fraction() * 100.0,
        mttf.linear_afr() * 100.0
    )
}

/// The report of the original lab script, same inputs and rounding, plus the two
/// numbers the lab quotes but the script never printed.
fn default_report() -> Result<String, CliError> {
    let mttf = Mttf::parse("3y")?;
    let disks = 10_000;
    let stats = fleet::daily_stats(mttf, disks, Model::Linear)?;
    let mttf_days = mttf.span().days();
    let gap = stats.mean_gap.unwrap_or(mttf.span());
    let mut out = String::new();
    let _ = writeln!(out, "Failure math for a fleet of disks");
    let _ = writeln!(out, "  MTTF of one disk: 3 years = {mttf_days:.0} days");
    let _ = writeln!(out, "  Fleet size:       {disks} disks");
    let _ = writeln!(out, "  Period:           1 day");
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Step 1. Probability that one disk fails on a given day"
    );
    let _ = writeln!(
        out,
        "  p = 1 day / MTTF = 1 / {mttf_days:.0} = {:.6} ({:.4}%)",
        stats.p_fail,
        stats.p_fail * 100.0
    );
    let _ = writeln!(out, "Step 2. Probability that one disk survives the day");
    let _ = writeln!(
        out,
        "  1 - p = {:.6} ({:.4}%)",
        stats.p_survive,
        stats.p_survive * 100.0
    );
    let _ = writeln!(
        out,
        "Step 3. Probability that all {disks} disks survive the day"
    );
    let _ = writeln!(
        out,
        "  (1 - p)^{disks} = {:.6} ({:.4}%)",
        stats.p_all_survive,
        stats.p_all_survive * 100.0
    );
    let _ = writeln!(
        out,
        "Step 4. Probability that at least one disk fails today"
    );
    let _ = writeln!(
        out,
        "  1 - (1 - p)^{disks} = {:.6} ({:.2}%)",
        stats.p_any_fail,
        stats.p_any_fail * 100.0
    );
    let _ = writeln!(out, "Step 5. Expected failures per day");
    let _ = writeln!(
        out,
        "  N x p = {disks} / {mttf_days:.0} = {:.4} failures per day",
        stats.expected_failures
    );
    let _ = writeln!(
        out,
        "Step 6. Mean time between failures somewhere in the fleet"
    );
    let _ = writeln!(
        out,
        "  MTTF / N = {:.0} h / {disks} = {:.3} h (about {})",
        mttf.span().hours(),
        gap.hours(),
        gap.human()
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "One disk fails about once in 3 years. {disks} of them fail about {:.0} times a day,",
        stats.expected_failures
    );
    let _ = writeln!(
        out,
        "and a day without any failure has a chance of {:.4}%. Failure is routine at scale:",
        stats.p_all_survive * 100.0
    );
    let _ = writeln!(out, "replication is mandatory.");
    Ok(out)
}

fn fleet_command(args: &[String]) -> Result<String, CliError> {
    let flags = Flags::parse("fleet", args, &["mttf", "afr", "n", "period", "model"], &[])?;
    let mttf = mttf_flag(&flags)?;
    let disks = count_flag(&flags, "n", 10_000)?;
    let period = span_flag(&flags, "period", "1d")?;
    let model = model_flag(&flags)?;
    let stats = fleet::period_stats(mttf, disks, period, model)?;
    let mut out = String::new();
    let _ = writeln!(out, "Fleet of {disks} disks, MTTF {}", describe_mttf(mttf));
    let _ = writeln!(
        out,
        "Period {}, model {}",
        describe_period(period),
        model.name()
    );
    if disks == 0 {
        let _ = writeln!(
            out,
            "An empty fleet: nothing can fail, every probability below is trivial."
        );
    }
    let _ = writeln!(out);
    let ratio = format!("{} / {}", period, mttf.span());
    let p_working = match model {
        Model::Linear => format!("period / MTTF = {ratio}"),
        Model::Exponential => format!("1 - exp(-period / MTTF) = 1 - exp(-{ratio})"),
    };
    let _ = writeln!(
        out,
        "p, one disk fails in the period:   {p_working} = {:.9}",
        stats.p_fail
    );
    let _ = writeln!(
        out,
        "1 - p, one disk survives:          {:.9}",
        stats.p_survive
    );
    let _ = writeln!(
        out,
        "all {disks} survive:  (1 - p)^{disks} = exp({disks} x ln(1 - p)) = {}",
        probability(stats.p_all_survive)
    );
    let _ = writeln!(
        out,
        "at least one fails:  1 - (1 - p)^{disks} = {} ({:.4}%)",
        probability(stats.p_any_fail),
        stats.p_any_fail * 100.0
    );
    let _ = writeln!(
        out,
        "expected failures in the period:  {} = {:.4}",
        if model == Model::Linear {
            "N x p"
        } else {
            "N x period / MTTF"
        },
        stats.expected_failures
    );
    match stats.mean_gap {
        Some(gap) => {
            let _ = writeln!(
                out,
                "mean time between failures:       MTTF / N = {} / {disks} = {} (about {})",
                mttf.span(),
                gap,
                gap.human()
            );
        }
        None => {
            let _ = writeln!(
                out,
                "mean time between failures:       none, the fleet is empty"
            );
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Expected failures grow linearly with N; the chance of at least one failure saturates at 1."
    );
    Ok(out)
}

fn table_row(stats: &PeriodStats) -> String {
    let gap = stats
        .mean_gap
        .map_or("-".to_string(), |g| format!("{} ({})", g, g.human()));
    format!(
        "{:>9} | {:>14} | {:>14} | {:>12} | {}",
        stats.disks,
        probability(stats.p_all_survive),
        probability(stats.p_any_fail),
        trim_number(stats.expected_failures, 6),
        gap
    )
}

fn table_command(args: &[String]) -> Result<String, CliError> {
    let flags = Flags::parse("table", args, &["mttf", "afr", "n", "period", "model"], &[])?;
    let mttf = mttf_flag(&flags)?;
    let fleets = match flags.get("n") {
        None => vec![1, 10, 100, 1_000, 10_000, 100_000],
        Some(text) => parse_count_list(text).ok_or_else(|| {
            usage(format!(
                "--n `{text}`: give counts like 1,10,100 or a range 1..5"
            ))
        })?,
    };
    let period = span_flag(&flags, "period", "1d")?;
    let model = model_flag(&flags)?;
    let mut out = String::new();
    let _ = writeln!(out, "MTTF {}", describe_mttf(mttf));
    let _ = writeln!(out, "Period {}, model {}", period.human(), model.name());
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:>9} | {:>14} | {:>14} | {:>12} | mean gap between failures",
        "disks", "P(all survive)", "P(>=1 fails)", "E[failures]"
    );
    for disks in fleets {
        let stats = fleet::period_stats(mttf, disks, period, model)?;
        let _ = writeln!(out, "{}", table_row(&stats));
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "E[failures] is linear in the fleet size; P(>=1 fails) saturates at 1 and hides it."
    );
    Ok(out)
}

fn need_command(args: &[String]) -> Result<String, CliError> {
    let flags = Flags::parse(
        "need",
        args,
        &["mttf", "afr", "prob", "period", "model"],
        &[],
    )?;
    let mttf = mttf_flag(&flags)?;
    let target_text = flags.get("prob").unwrap_or("0.99");
    let target = parse_probability(target_text)
        .ok_or_else(|| usage(format!("--prob `{target_text}`: write 0.99 or 99%")))?;
    if !(target > 0.0 && target < 1.0) {
        return Err(flag_error(
            "prob",
            target_text,
            FailuresError::ProbabilityOutOfRange {
                what: "the target probability",
                value: target,
            },
        ));
    }
    let period = span_flag(&flags, "period", "1d")?;
    let model = model_flag(&flags)?;
    let p = fleet::failure_probability(mttf, period, model)?;
    let size = fleet::fleet_size_for_probability(p, target)?;
    let mut out = String::new();
    let _ = writeln!(out, "MTTF {}", describe_mttf(mttf));
    let _ = writeln!(
        out,
        "One disk fails within {} with probability p = {:.9} ({})",
        period.human(),
        p,
        model.name()
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "Solve 1 - (1 - p)^N = {target} for N:");
    let _ = writeln!(
        out,
        "  N = ln(1 - {target}) / ln(1 - p) = {:.6} / {:.9} = {:.2}",
        (-target).ln_1p(),
        (-p).ln_1p(),
        size.exact
    );
    let _ = writeln!(out, "  round up: {} disks", size.disks);
    let _ = writeln!(
        out,
        "  check: P(>=1 fails) is {:.5} with {} disks and {:.5} with {}",
        size.p_below,
        size.disks - 1,
        size.p_at,
        size.disks
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "From {} disks on, a failure within {} is more likely than {target}.",
        size.disks,
        period.human()
    );
    Ok(out)
}

fn replicas_command(args: &[String]) -> Result<String, CliError> {
    let flags = Flags::parse(
        "replicas",
        args,
        &[
            "mttf", "afr", "mttr", "r", "objects", "n", "years", "seed", "svg",
        ],
        &[],
    )?;
    let mttf = mttf_flag(&flags)?;
    let mttr = span_flag(&flags, "mttr", "24h")?;
    let r_text = flags.get("r").unwrap_or("1..5");
    let replica_counts = parse_count_list(r_text)
        .filter(|list| list.iter().all(|&r| r <= u64::from(u32::MAX)))
        .ok_or_else(|| {
            usage(format!(
                "--r `{r_text}`: give a range like 1..5 or a list like 2,3"
            ))
        })?;
    let objects = count_flag(&flags, "objects", 1_000_000)?;
    let disks = count_flag(&flags, "n", 10_000)?;
    let years = count_flag(&flags, "years", 10)?;
    if years == 0 {
        return Err(flag_error(
            "years",
            flags.get("years").unwrap_or("0"),
            FailuresError::ZeroDuration {
                what: "the simulated span",
            },
        ));
    }
    let seed = count_flag(&flags, "seed", 42)?;
    let duration = TimeSpan::from_years(years as f64)?;
    let year = TimeSpan::from_years(1.0)?;
    let mut out = String::new();
    let _ = writeln!(out, "MTTF {}", describe_mttf(mttf));
    let _ = writeln!(
        out,
        "MTTR {} ({}); {objects} objects, each on r distinct disks of {disks}; simulated {years} years, seed {seed}",
        mttr.human(),
        mttr
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Closed form (an approximation, valid while MTTR << MTTF):"
    );
    let _ = writeln!(
        out,
        "  MTTDL = MTTF^r / (r x MTTR^(r-1))    every failed disk is rebuilt independently"
    );
    let _ = writeln!(
        out,
        "  textbook MTTF^r / (r! x MTTR^(r-1)) assumes one repair at a time; same for r = 2"
    );
    let _ = writeln!(
        out,
        "  P(an object is lost within a year) = 1 - exp(-1 y / MTTDL)"
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:>2} | {:>14} | {:>14} | {:>12} | {:>12} | {:>14} | {:>12}",
        "r", "MTTDL (years)", "textbook", "P(loss)/y", "simulated", "lost/y closed", "lost/y sim"
    );
    let mut closed_points = Vec::new();
    let mut textbook_points = Vec::new();
    let mut simulated_points = Vec::new();
    for &r in &replica_counts {
        let r = u32::try_from(r).map_err(|_| usage(format!("--r {r} is too large")))?;
        let parallel = replication::mttdl(mttf, mttr, r, Repair::Parallel)?;
        let textbook = replication::mttdl(mttf, mttr, r, Repair::OneAtATime)?;
        let p_closed = replication::loss_probability(parallel, year);
        let lost_closed = replication::expected_losses(parallel, year, objects);
        let run = ReplicaRun::simulate(ReplicaConfig {
            fleet: FleetConfig {
                disks,
                mttf,
                mttr,
                duration,
                seed,
            },
            objects,
            replicas: r,
        })?;
        let rate_per_year = run.loss_rate_per_object_hour() * year.hours();
        let p_simulated = -(-rate_per_year).exp_m1();
        let simulated = if run.loss_events == 0 {
            format!("0 in {years}y")
        } else {
            format!("{p_simulated:.3e}")
        };
        let _ = writeln!(
            out,
            "{r:>2} | {:>14} | {:>14} | {:>12.3e} | {:>12} | {:>14.4} | {:>12.4}",
            years_text(parallel),
            years_text(textbook),
            p_closed,
            simulated,
            lost_closed,
            run.loss_events as f64 / years as f64
        );
        closed_points.push((f64::from(r), p_closed));
        textbook_points.push((f64::from(r), replication::loss_probability(textbook, year)));
        if run.loss_events > 0 {
            simulated_points.push((f64::from(r), p_simulated));
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Each extra replica divides the loss rate by about MTTF / MTTR = {:.0}.",
        mttf.span().hours() / mttr.hours()
    );
    let _ = writeln!(
        out,
        "Simulated zeros mean no loss in {} object-years: the closed form is the only way to see that far.",
        objects.saturating_mul(years)
    );
    let chart = Chart {
        title: format!(
            "Data loss per object per year, MTTF {}, MTTR {}",
            mttf.span().human(),
            mttr.human()
        ),
        x_label: "replicas per object (r)".to_string(),
        y_label: "P(object lost within a year), log scale".to_string(),
        log_y: true,
        series: vec![
            Series {
                name: "closed form".to_string(),
                color: "#1f77b4",
                style: Style::Line,
                points: closed_points,
            },
            Series {
                name: "textbook r!".to_string(),
                color: "#aaaaaa",
                style: Style::Line,
                points: textbook_points,
            },
            Series {
                name: "simulated".to_string(),
                color: "#d62728",
                style: Style::Markers,
                points: simulated_points,
            },
        ],
    };
    out.push_str(&write_chart(
        &svg_flag(&flags, "failures-replicas.svg")?,
        &chart,
    )?);
    Ok(out)
}

/// Years, plainly while they are readable, in scientific notation beyond.
fn years_text(span: TimeSpan) -> String {
    let years = span.years();
    if years < 1e5 {
        format!("{years:.1}")
    } else {
        format!("{years:.3e}")
    }
}

fn simulate_command(args: &[String]) -> Result<String, CliError> {
    let flags = Flags::parse(
        "simulate",
        args,
        &["mttf", "afr", "n", "days", "seed", "svg"],
        &[],
    )?;
    let mttf = mttf_flag(&flags)?;
    let disks = count_flag(&flags, "n", 10_000)?;
    let days = count_flag(&flags, "days", 30)?;
    let seed = count_flag(&flags, "seed", 42)?;
    if days == 0 {
        return Err(flag_error(
            "days",
            flags.get("days").unwrap_or("0"),
            FailuresError::ZeroDuration { what: "--days" },
        ));
    }
    let config = FleetConfig {
        disks,
        mttf,
        mttr: TimeSpan::from_hours(0.0)?,
        duration: TimeSpan::from_days(days as f64)?,
        seed,
    };
    if disks == 0 {
        return Ok("An empty fleet never fails: nothing to simulate.\n".to_string());
    }
    let run = FleetRun::simulate(config)?;
    let per_day = run.per_day();
    let expected_per_day = disks as f64 * 24.0 / mttf.span().hours();
    let mean_gap_hours = mttf.span().hours() / disks.max(1) as f64;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Simulated {disks} disks for {days} days, seed {seed}; failed disks are replaced at once"
    );
    let _ = writeln!(out, "MTTF {}", describe_mttf(mttf));
    let _ = writeln!(
        out,
        "Expected {expected_per_day:.2} failures per day (N / MTTF in days), one every {} on average",
        TimeSpan::from_hours(mean_gap_hours)?.human()
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "day | failures");
    let widest = per_day.iter().copied().max().unwrap_or(0).max(1);
    for (day, &count) in per_day.iter().enumerate() {
        let bar = "#".repeat((count * 50).div_ceil(widest) as usize);
        let _ = writeln!(out, "{:>3} | {count:>8} {bar}", day + 1);
    }
    let total = run.failures.len();
    let quiet_days = per_day.iter().filter(|&&c| c == 0).count();
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{total} failures in {days} days: {:.2} per day (expected {expected_per_day:.2}), fewest {} and most {} in a day, {quiet_days} days without any",
        total as f64 / days as f64,
        per_day.iter().min().copied().unwrap_or(0),
        per_day.iter().max().copied().unwrap_or(0)
    );
    let gaps = run.gaps_hours();
    if !gaps.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Gaps between consecutive failures (h), against the exponential distribution they should follow:"
        );
        let width = mean_gap_hours / 2.0;
        let buckets = 10;
        for bucket in 0..=buckets {
            let lo = width * bucket as f64;
            let hi = if bucket == buckets {
                f64::INFINITY
            } else {
                lo + width
            };
            let seen = gaps.iter().filter(|&&g| g >= lo && g < hi).count();
            let expected =
                gaps.len() as f64 * ((-lo / mean_gap_hours).exp() - (-hi / mean_gap_hours).exp());
            let range = if hi.is_finite() {
                format!("[{lo:>7.2}, {hi:>7.2})")
            } else {
                format!("[{lo:>7.2},     inf)")
            };
            let _ = writeln!(
                out,
                "  {range} {seen:>6} seen, {expected:>8.1} expected {}",
                "#".repeat(seen.min(60))
            );
        }
    }
    let quiet = run.longest_quiet();
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Longest stretch without a failure: {} ({}), against a mean gap of {}",
        quiet.human(),
        quiet,
        TimeSpan::from_hours(mean_gap_hours)?.human()
    );
    let chart = Chart {
        title: format!(
            "Failures per day: {disks} disks, MTTF {}, seed {seed}",
            mttf.span().human()
        ),
        x_label: "day".to_string(),
        y_label: "failures that day".to_string(),
        log_y: false,
        series: vec![
            Series {
                name: "simulated".to_string(),
                color: "#1f77b4",
                style: Style::Bars,
                points: per_day
                    .iter()
                    .enumerate()
                    .map(|(d, &c)| ((d + 1) as f64, c as f64))
                    .collect(),
            },
            Series {
                name: "expected N/MTTF".to_string(),
                color: "#d62728",
                style: Style::Line,
                points: vec![(1.0, expected_per_day), (days as f64, expected_per_day)],
            },
        ],
    };
    out.push_str(&write_chart(
        &svg_flag(&flags, "failures-per-day.svg")?,
        &chart,
    )?);
    Ok(out)
}
