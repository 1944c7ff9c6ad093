//! The `littles-law` command line. Each subcommand prints its numbers with their units
//! and, where it answers a question, the working.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::args::{Flags, UsageError, parse_count, parse_list};
use crate::diskstats::{self, DiskCounters, DiskRates, DiskstatsError};
use crate::iostat_text::{self, IostatError};
use crate::lab::{self, LabInputs};
use crate::loadgen::{self, Arrivals, LoadConfig, LoadError, LoadReport, Pattern};
use crate::model::{self, ModelError};
use crate::sim::{self, Service, SimError};
use crate::svg::{Chart, Series, Style};
use crate::units::{self, UnitError};

/// Usage text printed by `littles-law help`.
pub const USAGE: &str = "\
littles-law: Little's law, the utilisation law and the queueing hockey stick

USAGE
  littles-law lab      [--iops 6836] [--await-ms 0.14] [--util 39%] [--aqu 0.96] [--bs 4K]
                       [--target-iops 30000] [--latency-ms 0.5] [--cap 70%] [--high-util 95%]
  littles-law analyze  --iostat-file FILE --device NAME [--cap 70%]
  littles-law watch    (--device NAME | --path PATH) [--interval 1s] [--count N] [--diskstats FILE]
  littles-law load     --file NEW_FILE [--bs 4K] [--duration 10s] [--qd 1 | --rate 5k [--workers 64]]
                       [--direct] [--random] [--fdatasync] [--file-size 64M] [--seed 42]
  littles-law sweep    --file NEW_FILE (--qd 1,2,4,8,16 | --rate 1k..20k [--steps 8]) [--step-duration 3s]
                       [--bs 4K] [--direct] [--random] [--fdatasync] [--file-size 64M] [--seed 42]
                       [--csv FILE] [--svg target/charts/littles-law-sweep.svg]
  littles-law simulate [--service-ms 0.057] [--util 10%..99% [--steps 10] | --util 0.5,0.9]
                       [--model mm1|md1|mmc] [--servers 1] [--customers 200000] [--seed 42]
                       [--svg target/charts/littles-law-simulate.svg]
  littles-law help

UNITS
  sizes 512B, 4K (= 4KiB), 1M, 1G; durations 500ms, 10s, 2min; rates per second 5000, 5k, 5k/s;
  utilisation 39% or 0.39 (a bare 39 is refused); flags ending in -ms are milliseconds.

STEPS
  --steps N splits a range (10%..99%, 1k..20k) into N points, N >= 2; a list is used as given,
  so --steps with a list is refused.

CHARTS
  written under target/charts/ of the current directory unless --svg says otherwise.

EXIT CODES
  0 success, 2 bad command line, 3 invalid value (out of range, an unknown device, a --path
  that does not exist), 4 I/O error, 5 O_DIRECT not supported or misaligned,
  130 interrupted by Ctrl-C (the load file is removed)
";

/// Why a command failed; decides the exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The command line could not be understood (2).
    #[error("{0}\nrun `littles-law help` for usage")]
    Usage(#[from] UsageError),
    /// A value could not be parsed (3).
    #[error("invalid value: {0}")]
    Unit(#[from] UnitError),
    /// A flag's value is out of range, or names a device or path that does not exist (3).
    /// The message quotes the flag and the text as it was typed.
    #[error("invalid value: {0}")]
    Invalid(String),
    /// A formula refused its inputs (3).
    #[error("invalid input: {0}")]
    Model(#[from] ModelError),
    /// A simulation refused its inputs (3).
    #[error("invalid input: {0}")]
    Sim(#[from] SimError),
    /// A saved iostat log could not be parsed (3).
    #[error("{0}")]
    Iostat(#[from] IostatError),
    /// Reading diskstats or resolving a device failed (3, or 4 for I/O).
    #[error("{0}")]
    Diskstats(#[from] DiskstatsError),
    /// The load generator failed (3, 4 or 5).
    #[error("{0}")]
    Load(#[from] LoadError),
    /// Reading or writing a file failed (4).
    #[error("could not access {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

impl CliError {
    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Unit(_)
            | CliError::Invalid(_)
            | CliError::Model(_)
            | CliError::Sim(_)
            | CliError::Iostat(_) => 3,
            CliError::Diskstats(DiskstatsError::Io { .. }) | CliError::Io { .. } => 4,
            CliError::Diskstats(_) => 3,
            CliError::Load(
                LoadError::DirectIoUnsupported { .. } | LoadError::BlockNotAligned { .. },
            ) => 5,
            CliError::Load(LoadError::Io { .. }) => 4,
            CliError::Load(_) => 3,
        }
    }
}

/// What a successful command printed and how the process should exit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Text for standard output.
    pub text: String,
    /// 0, or 130 when the command was cut short by Ctrl-C.
    pub exit_code: u8,
}

impl Output {
    fn done(text: String) -> Self {
        Output { text, exit_code: 0 }
    }
}

/// Runs one command line (without the program name). `stop` is set by the Ctrl-C
/// handler; long-running commands check it and finish cleanly.
pub fn run(args: &[String], stop: &AtomicBool) -> Result<Output, CliError> {
    let Some((command, rest)) = args.split_first() else {
        return Ok(Output::done(USAGE.to_string()));
    };
    match command.as_str() {
        "help" | "--help" | "-h" => Ok(Output::done(USAGE.to_string())),
        "lab" => lab_command(rest).map(Output::done),
        "analyze" => analyze_command(rest).map(Output::done),
        "watch" => watch_command(rest, stop),
        "load" => load_command(rest, stop),
        "sweep" => sweep_command(rest, stop),
        "simulate" => simulate_command(rest).map(Output::done),
        other => Err(UsageError(format!(
            "unknown command `{other}`: use lab, analyze, watch, load, sweep, simulate or help"
        ))
        .into()),
    }
}

fn usage(message: String) -> CliError {
    CliError::Usage(UsageError(message))
}

fn parsed<T>(
    flags: &Flags,
    name: &str,
    default: T,
    parse: impl Fn(&str) -> Result<T, UnitError>,
) -> Result<T, CliError> {
    match flags.get(name) {
        None => Ok(default),
        Some(text) => Ok(parse(text)?),
    }
}

/// A flag parsed like [`parsed`], then checked: `check` returns why the value is out of
/// range, and the error quotes the flag and what was typed, never a converted value
/// (`--util 150%`, not "utilisation 1.5").
fn checked<T: Copy>(
    flags: &Flags,
    name: &str,
    default: T,
    parse: impl Fn(&str) -> Result<T, UnitError>,
    check: impl Fn(T) -> Option<&'static str>,
) -> Result<T, CliError> {
    let value = parsed(flags, name, default, parse)?;
    match (flags.get(name), check(value)) {
        (Some(text), Some(reason)) => {
            Err(CliError::Invalid(format!("--{name} `{text}`: {reason}")))
        }
        _ => Ok(value),
    }
}

/// Must be above zero.
fn positive(value: f64) -> Option<&'static str> {
    (value <= 0.0).then_some("must be above zero")
}

/// A utilisation a queue can run at: below 100%.
fn stable_utilisation(value: f64) -> Option<&'static str> {
    if value >= 1.0 {
        Some("must be below 100%: at or above it the queue grows without bound")
    } else {
        None
    }
}

/// A measured or capped utilisation: at most 100%.
fn at_most_full(value: f64) -> Option<&'static str> {
    (value > 1.0)
        .then_some("must be at most 100%: a resource cannot be busy more than all the time")
}

/// The values of a list flag (`0.5,0.9`) or a range flag (`10%..99%`, split into `--steps`
/// points). `--steps` only makes sense with a range, and a range needs two points.
fn list_or_range(
    flags: &Flags,
    name: &str,
    default_text: &str,
    default_steps: u64,
    parse: impl Fn(&str) -> Result<f64, UnitError>,
    expected: &str,
) -> Result<Vec<f64>, CliError> {
    let text = flags.get(name).unwrap_or(default_text);
    let is_range = text.contains("..");
    if let Some(steps_text) = flags.get("steps") {
        if !is_range {
            return Err(usage(match flags.get(name) {
                Some(_) => format!(
                    "--steps `{steps_text}` splits a range (low..high); --{name} `{text}` is a list, used as given"
                ),
                None => format!(
                    "--steps `{steps_text}` splits a range: give --{name} as one (the default is a list)"
                ),
            }));
        }
        if count(flags, "steps", default_steps)? < 2 {
            return Err(usage(format!(
                "--steps `{steps_text}`: a range needs at least 2 steps (its two ends)"
            )));
        }
    }
    let steps = count(flags, "steps", default_steps)? as usize;
    parse_list(text, steps, parse).ok_or_else(|| usage(format!("--{name} `{text}`: {expected}")))
}

fn count(flags: &Flags, name: &str, default: u64) -> Result<u64, CliError> {
    match flags.get(name) {
        None => Ok(default),
        Some(text) => parse_count(text)
            .ok_or_else(|| usage(format!("--{name} `{text}` is not a whole number"))),
    }
}

fn required<'a>(flags: &'a Flags, name: &str, command: &str) -> Result<&'a str, CliError> {
    flags
        .get(name)
        .ok_or_else(|| usage(format!("`{command}` needs --{name}")))
}

/// Where a chart goes: `--svg PATH` as given, or `target/charts/<name>` of the current
/// directory (created if needed: the build directory, never the repository's files).
fn chart_path(flags: &Flags, name: &str) -> Result<PathBuf, CliError> {
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

fn write_file(path: &Path, contents: &str) -> Result<(), CliError> {
    std::fs::write(path, contents).map_err(|source| CliError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn lab_command(args: &[String]) -> Result<String, CliError> {
    let flags = Flags::parse(
        "lab",
        args,
        &[
            "iops",
            "await-ms",
            "util",
            "aqu",
            "bs",
            "target-iops",
            "latency-ms",
            "cap",
            "high-util",
        ],
        &[],
    )?;
    let d = LabInputs::default();
    let inputs = LabInputs {
        iops: checked(&flags, "iops", d.iops, units::parse_number, positive)?,
        await_ms: parsed(&flags, "await-ms", d.await_ms, units::parse_number)?,
        utilisation: checked(
            &flags,
            "util",
            d.utilisation,
            units::parse_utilisation,
            stable_utilisation,
        )?,
        aqu_sz: parsed(&flags, "aqu", d.aqu_sz, units::parse_number)?,
        block_bytes: parsed(&flags, "bs", d.block_bytes, units::parse_size)?,
        target_iops: checked(
            &flags,
            "target-iops",
            d.target_iops,
            units::parse_number,
            positive,
        )?,
        latency_target_ms: checked(
            &flags,
            "latency-ms",
            d.latency_target_ms,
            units::parse_number,
            positive,
        )?,
        utilisation_cap: checked(
            &flags,
            "cap",
            d.utilisation_cap,
            units::parse_utilisation,
            |cap| positive(cap).or(at_most_full(cap)),
        )?,
        high_utilisation: checked(
            &flags,
            "high-util",
            d.high_utilisation,
            units::parse_utilisation,
            stable_utilisation,
        )?,
    };
    Ok(lab::answer(inputs)?.render())
}

fn analyze_command(args: &[String]) -> Result<String, CliError> {
    let flags = Flags::parse("analyze", args, &["iostat-file", "device", "cap"], &[])?;
    let path = PathBuf::from(required(&flags, "iostat-file", "analyze")?);
    let device = required(&flags, "device", "analyze")?;
    let cap = parsed(&flags, "cap", 0.7, units::parse_utilisation)?;
    let text = std::fs::read_to_string(&path).map_err(|source| CliError::Io {
        path: path.clone(),
        source,
    })?;
    let samples: Vec<_> = iostat_text::parse_iostat(&text)?
        .into_iter()
        .filter(|s| s.device == device)
        .collect();
    if samples.is_empty() {
        return Err(CliError::Invalid(format!(
            "--device `{device}` does not appear in {}",
            path.display()
        )));
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} intervals of {device} from {}",
        samples.len(),
        path.display()
    );
    let _ = writeln!(
        out,
        "lambda = r/s + w/s; W = ops-weighted await; L = lambda x W; S = U / X; X_max = 1 / S; X_safe = {cap} / S"
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:>4} {:>10} {:>9} {:>8} {:>8} {:>7} {:>10} {:>10} {:>10}",
        "#", "lambda/s", "W ms", "L=lW", "aqu-sz", "%util", "S ms", "X_max/s", "X_safe/s"
    );
    for sample in &samples {
        let r = &sample.rates;
        let (lambda, w_ms) = (r.ops_per_s(), r.await_ms());
        let s = model::service_time_s((r.util_pct / 100.0).min(1.0), lambda);
        let (s_ms, x_max, x_safe) = match s {
            Ok(s) if s > 0.0 => (
                format!("{:.4}", s * 1e3),
                format!("{:.0}", 1.0 / s),
                format!("{:.0}", cap / s),
            ),
            _ => ("-".to_string(), "-".to_string(), "-".to_string()),
        };
        let _ = writeln!(
            out,
            "{:>4} {:>10.1} {:>9.3} {:>8.3} {:>8.2} {:>7.1} {:>10} {:>10} {:>10}",
            sample.interval,
            lambda,
            w_ms,
            r.little_l(),
            r.aqu_sz,
            r.util_pct,
            s_ms,
            x_max,
            x_safe
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "The first interval is the average since boot. L and aqu-sz agree by the kernel's bookkeeping;"
    );
    let _ = writeln!(
        out,
        "a gap means requests straddled the interval edges, or discards and flushes were counted."
    );
    if device.starts_with("nvme") || device.starts_with("vd") || device.starts_with("xvd") {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Caveat: {device} serves many requests in parallel. %util only says \"at least one request was"
        );
        let _ = writeln!(
            out,
            "in flight\", so it reaches 100% long before the device saturates; S = U / X is then busy time"
        );
        let _ = writeln!(
            out,
            "per operation, not service time, and X_max = 1 / S underestimates the real capacity."
        );
    }
    Ok(out)
}

/// Resolves `--device NAME` or `--path PATH` to a device name.
fn device_flag(flags: &Flags, command: &str) -> Result<String, CliError> {
    match (flags.get("device"), flags.get("path")) {
        (Some(_), Some(_)) => Err(usage(format!(
            "`{command}`: give --device or --path, not both"
        ))),
        (Some(name), None) => Ok(name.to_string()),
        (None, Some(path)) => {
            // Only `load` may name a file it is about to create; here the path must exist,
            // or the device of its parent directory would be measured instead.
            if !Path::new(path).exists() {
                return Err(CliError::Invalid(format!(
                    "--path `{path}` does not exist: give a file or directory on the device to watch"
                )));
            }
            Ok(diskstats::device_for_path(Path::new(path))?)
        }
        (None, None) => Err(usage(format!(
            "`{command}` needs --device NAME or --path PATH"
        ))),
    }
}

fn sample(diskstats_path: &Path, device: &str) -> Result<DiskCounters, CliError> {
    let devices = diskstats::read_diskstats(diskstats_path)?;
    Ok(diskstats::find_device(&devices, device)?.clone())
}

const WATCH_HEADER: &str =
    "Device        r/s      w/s    rkB/s    wkB/s  r_await  w_await   aqu-sz  lambda*W    %util";

fn watch_row(device: &str, r: &DiskRates) -> String {
    format!(
        "{device:<9} {:>8.2} {:>8.2} {:>8.1} {:>8.1} {:>8.3} {:>8.3} {:>8.3} {:>9.3} {:>8.2}",
        r.r_per_s,
        r.w_per_s,
        r.rkb_per_s,
        r.wkb_per_s,
        r.r_await_ms,
        r.w_await_ms,
        r.aqu_sz,
        r.little_l(),
        r.util_pct
    )
}

// Real measurement, not simulated code: a mini iostat samples the kernel on the wall clock.
#[allow(clippy::disallowed_methods)]
fn watch_command(args: &[String], stop: &AtomicBool) -> Result<Output, CliError> {
    use std::io::Write as _;
    let flags = Flags::parse(
        "watch",
        args,
        &["device", "path", "interval", "count", "diskstats"],
        &[],
    )?;
    let device = device_flag(&flags, "watch")?;
    let interval = parsed(
        &flags,
        "interval",
        Duration::from_secs(1),
        units::parse_duration,
    )?;
    if interval.is_zero() {
        return Err(usage("--interval must be positive".to_string()));
    }
    let limit = count(&flags, "count", u64::MAX)?;
    let source = PathBuf::from(flags.get("diskstats").unwrap_or("/proc/diskstats"));
    let mut previous = sample(&source, &device)?;
    let mut previous_at = std::time::Instant::now();
    let mut printed = 0;
    let mut stdout = std::io::stdout();
    while printed < limit && !stop.load(Ordering::Relaxed) {
        std::thread::sleep(interval);
        let next = sample(&source, &device)?;
        let now = std::time::Instant::now();
        let rates = DiskRates::between(&previous, &next, (now - previous_at).as_secs_f64())?;
        if printed % 20 == 0 {
            let _ = writeln!(stdout, "{WATCH_HEADER}");
        }
        let _ = writeln!(stdout, "{}", watch_row(&device, &rates));
        let _ = stdout.flush();
        (previous, previous_at) = (next, now);
        printed += 1;
    }
    Ok(Output {
        text: String::new(),
        exit_code: if stop.load(Ordering::Relaxed) { 130 } else { 0 },
    })
}

const LOAD_FLAGS: [&str; 10] = [
    "file",
    "bs",
    "duration",
    "qd",
    "rate",
    "workers",
    "file-size",
    "seed",
    "steps",
    "step-duration",
];

fn load_config(
    flags: &Flags,
    command: &str,
    duration_flag: &str,
    default_duration: Duration,
) -> Result<LoadConfig, CliError> {
    let path = PathBuf::from(required(flags, "file", command)?);
    let mut config = LoadConfig::new(
        path,
        parsed(
            flags,
            duration_flag,
            default_duration,
            units::parse_duration,
        )?,
    );
    config.block_bytes = parsed(flags, "bs", config.block_bytes, units::parse_size)?;
    config.file_bytes = parsed(flags, "file-size", config.file_bytes, units::parse_size)?;
    config.seed = count(flags, "seed", config.seed)?;
    config.direct = flags.switch("direct");
    config.fdatasync = flags.switch("fdatasync");
    config.pattern = if flags.switch("random") {
        Pattern::Random
    } else {
        Pattern::Sequential
    };
    Ok(config)
}

fn describe_load(config: &LoadConfig) -> String {
    let arrivals = match config.arrivals {
        Arrivals::ClosedLoop { workers } => format!("closed loop, queue depth {workers}"),
        Arrivals::OpenLoop {
            rate_per_s,
            workers,
        } => format!("open loop, Poisson arrivals at {rate_per_s:.0}/s, {workers} workers"),
    };
    format!(
        "{} B {} writes{}{} to {}, {arrivals}, {:.3} s, seed {}",
        config.block_bytes,
        match config.pattern {
            Pattern::Sequential => "sequential",
            Pattern::Random => "random",
        },
        if config.direct {
            " with O_DIRECT"
        } else {
            " through the page cache"
        },
        if config.fdatasync {
            " + fdatasync each"
        } else {
            ""
        },
        config.path.display(),
        config.duration.as_secs_f64(),
        config.seed
    )
}

/// Device-side view of a run: the device name and its columns, when resolvable.
fn device_of(path: &Path) -> Result<String, String> {
    diskstats::device_for_path(path).map_err(|e| e.to_string())
}

fn render_report(report: &LoadReport) -> String {
    let h = &report.histogram;
    let ms = |ns: u64| ns as f64 / 1e6;
    let mut out = String::new();
    if report.direct {
        let _ = writeln!(
            out,
            "O_DIRECT {}, buffer aligned to {} B ({})",
            if report.direct_confirmed {
                "in effect (confirmed in /proc/self/fdinfo)"
            } else {
                "requested"
            },
            report.alignment_bytes,
            report.alignment_source
        );
    }
    let _ = writeln!(out, "Application side:");
    let _ = writeln!(
        out,
        "  writes completed     {} in {:.3} s{}",
        report.ops,
        report.elapsed_s,
        if report.interrupted {
            " (interrupted)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        "  lambda (throughput)  {:.1} /s",
        report.throughput_per_s()
    );
    let _ = writeln!(
        out,
        "  W (mean latency)     {:.4} ms   p50 {:.4} ms, p99 {:.4} ms, p999 {:.4} ms, max {:.4} ms",
        report.mean_latency_s() * 1e3,
        ms(h.quantile(0.5)),
        ms(h.quantile(0.99)),
        ms(h.quantile(0.999)),
        ms(h.max_ns())
    );
    let _ = writeln!(
        out,
        "  L = lambda x W       {:.1} /s x {:.6} ms = {:.3}",
        report.throughput_per_s(),
        report.mean_latency_s() * 1e3,
        report.little_l()
    );
    let _ = writeln!(
        out,
        "  sampled in flight    {:.3} (mean of {} samples)",
        report.sampled_in_flight, report.samples
    );
    if report.dropped > 0 {
        let _ = writeln!(
            out,
            "  dropped arrivals     {} (backlog full: the offered rate exceeds what the disk carries)",
            report.dropped
        );
    }
    out
}

fn device_section(
    device: &Result<String, String>,
    before: Option<&DiskCounters>,
    after: Option<&DiskCounters>,
    elapsed_s: f64,
) -> String {
    let mut out = String::new();
    match (device, before, after) {
        (Ok(name), Some(b), Some(a)) => {
            if let Ok(rates) = DiskRates::between(b, a, elapsed_s) {
                let _ = writeln!(
                    out,
                    "Device side ({name}, /proc/diskstats over the run; other processes count too):"
                );
                let _ = writeln!(out, "{WATCH_HEADER}");
                let _ = writeln!(out, "{}", watch_row(name, &rates));
            }
        }
        (Err(reason), _, _) => {
            let _ = writeln!(out, "Device side: not available ({reason})");
        }
        _ => {
            let _ = writeln!(out, "Device side: /proc/diskstats could not be read");
        }
    }
    out
}

fn arrivals_from(flags: &Flags, qd: Option<u32>, rate: Option<f64>) -> Result<Arrivals, CliError> {
    let workers = |default: u64| -> Result<u32, CliError> {
        let n = count(flags, "workers", default)?;
        u32::try_from(n).map_err(|_| usage(format!("--workers {n} is too large")))
    };
    if rate.is_none() && flags.get("workers").is_some() {
        return Err(usage(
            "--workers serves an open loop (--rate); in a closed loop the queue depth --qd is the number of workers"
                .to_string(),
        ));
    }
    Ok(match (qd, rate) {
        (Some(_), Some(_)) => {
            return Err(usage(
                "give --qd (closed loop) or --rate (open loop), not both".to_string(),
            ));
        }
        (None, Some(rate_per_s)) => Arrivals::OpenLoop {
            rate_per_s,
            workers: workers(64)?,
        },
        (Some(workers), None) => Arrivals::ClosedLoop { workers },
        (None, None) => Arrivals::ClosedLoop { workers: 1 },
    })
}

/// One load run bracketed by two diskstats samples; returns the samples and the
/// wall-clock time between them.
// Real I/O measurement, not simulated code: the device interval is wall-clock time.
#[allow(clippy::disallowed_methods)]
fn measured_run(
    config: &LoadConfig,
    device: &Result<String, String>,
    stop: &AtomicBool,
) -> Result<(LoadReport, Option<DiskCounters>, Option<DiskCounters>, f64), CliError> {
    let proc = Path::new("/proc/diskstats");
    let before = device.as_ref().ok().and_then(|d| sample(proc, d).ok());
    let began = std::time::Instant::now();
    let report = loadgen::run(config, stop)?;
    let window_s = began.elapsed().as_secs_f64();
    let after = device.as_ref().ok().and_then(|d| sample(proc, d).ok());
    Ok((report, before, after, window_s))
}

fn load_command(args: &[String], stop: &AtomicBool) -> Result<Output, CliError> {
    let flags = Flags::parse(
        "load",
        args,
        &LOAD_FLAGS[..8],
        &["direct", "random", "fdatasync"],
    )?;
    let mut config = load_config(&flags, "load", "duration", Duration::from_secs(10))?;
    let qd = match flags.get("qd") {
        None => None,
        Some(text) => Some(
            parse_count(text)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| usage(format!("--qd `{text}` is not a whole number")))?,
        ),
    };
    let rate = flags.get("rate").map(units::parse_rate).transpose()?;
    config.arrivals = arrivals_from(&flags, qd, rate)?;
    let device = device_of(&config.path);
    let (report, before, after, window_s) = measured_run(&config, &device, stop)?;
    let mut out = format!("Load: {}\n", describe_load(&config));
    out.push_str(&render_report(&report));
    out.push_str(&device_section(
        &device,
        before.as_ref(),
        after.as_ref(),
        window_s,
    ));
    let _ = writeln!(out, "The file was removed.");
    Ok(Output {
        text: out,
        exit_code: if report.interrupted { 130 } else { 0 },
    })
}

/// One measured step of a sweep.
struct Step {
    label: String,
    report: LoadReport,
    device: Option<DiskRates>,
}

fn sweep_command(args: &[String], stop: &AtomicBool) -> Result<Output, CliError> {
    let flags = Flags::parse(
        "sweep",
        args,
        &[&LOAD_FLAGS[..], &["csv", "svg"]].concat(),
        &["direct", "random", "fdatasync"],
    )?;
    if flags.get("duration").is_some() {
        return Err(usage(
            "`sweep` takes --step-duration, the duration of each step".to_string(),
        ));
    }
    let base = load_config(&flags, "sweep", "step-duration", Duration::from_secs(3))?;
    if flags.get("qd").is_some() && flags.get("workers").is_some() {
        return Err(usage(
            "--workers serves an open loop (--rate); in a closed loop the queue depth --qd is the number of workers"
                .to_string(),
        ));
    }
    let plan: Vec<(String, Arrivals)> = match (flags.get("qd"), flags.get("rate")) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(usage(
                "`sweep` needs --qd LIST (closed loop) or --rate RANGE (open loop)".to_string(),
            ));
        }
        (Some(text), None) => Some(list_or_range(
            &flags,
            "qd",
            text,
            8,
            units::parse_number,
            "give whole queue depths like 1,2,4,8",
        )?)
        .filter(|l| {
            l.iter()
                .all(|&q| q >= 1.0 && q.fract() == 0.0 && q <= f64::from(loadgen::WORKERS_MAX))
        })
        .ok_or_else(|| {
            usage(format!(
                "--qd `{text}`: give whole queue depths like 1,2,4,8"
            ))
        })?
        .into_iter()
        .map(|q| {
            (
                format!("qd={q}"),
                Arrivals::ClosedLoop { workers: q as u32 },
            )
        })
        .collect(),
        (None, Some(text)) => {
            let workers = u32::try_from(count(&flags, "workers", 64)?)
                .map_err(|_| usage("--workers is too large".to_string()))?;
            list_or_range(
                &flags,
                "rate",
                text,
                8,
                units::parse_rate,
                "give rates like 1k,5k or a range 1k..20k",
            )?
            .into_iter()
            .map(|rate_per_s| {
                (
                    format!("rate={rate_per_s:.0}/s"),
                    Arrivals::OpenLoop {
                        rate_per_s,
                        workers,
                    },
                )
            })
            .collect()
        }
    };
    let device = device_of(&base.path);
    let mut measured = Vec::new();
    let mut first = base.clone();
    if let Some((_, arrivals)) = plan.first() {
        first.arrivals = *arrivals;
    }
    let labels: Vec<&str> = plan.iter().map(|(label, _)| label.as_str()).collect();
    let mut out = format!(
        "Sweep: {} steps ({}), starting with {}\n",
        plan.len(),
        labels.join(", "),
        describe_load(&first)
    );
    if let Err(reason) = &device {
        let _ = writeln!(
            out,
            "Device side not available ({reason}): utilisation is estimated as X / X_max observed."
        );
    }
    for (label, arrivals) in plan {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let mut config = base.clone();
        config.arrivals = arrivals;
        let (report, before, after, window_s) = measured_run(&config, &device, stop)?;
        let rates = match (before, after) {
            (Some(b), Some(a)) => DiskRates::between(&b, &a, window_s).ok(),
            _ => None,
        };
        measured.push(Step {
            label,
            report,
            device: rates,
        });
    }
    if measured.is_empty() {
        return Ok(Output {
            text: out,
            exit_code: 130,
        });
    }
    let x_max = measured
        .iter()
        .map(|s| s.report.throughput_per_s())
        .fold(0.0, f64::max);
    let utilisation = |s: &Step| match s.device {
        Some(r) => (r.util_pct / 100.0).min(1.0),
        None if x_max > 0.0 => s.report.throughput_per_s() / x_max,
        None => 0.0,
    };
    // Service time from the lightest step, where almost nothing queues.
    let service_s = measured[0].report.mean_latency_s();
    let mut csv = String::from(
        "step,throughput_per_s,mean_latency_ms,p99_latency_ms,little_l,sampled_in_flight,utilisation,device_w_per_s,device_w_await_ms,device_aqu_sz\n",
    );
    for s in &measured {
        let r = &s.report;
        let (dw, da, dq) = s.device.map_or((f64::NAN, f64::NAN, f64::NAN), |d| {
            (d.ops_per_s(), d.await_ms(), d.aqu_sz)
        });
        let _ = writeln!(
            csv,
            "{},{:.1},{:.4},{:.4},{:.3},{:.3},{:.3},{:.1},{:.4},{:.3}",
            s.label,
            r.throughput_per_s(),
            r.mean_latency_s() * 1e3,
            r.histogram.quantile(0.99) as f64 / 1e6,
            r.little_l(),
            r.sampled_in_flight,
            utilisation(s),
            dw,
            da,
            dq
        );
    }
    out.push('\n');
    out.push_str(&csv);
    let _ = writeln!(out);
    let r_max = measured
        .iter()
        .map(|s| s.report.mean_latency_s())
        .fold(0.0, f64::max);
    let x_top = x_max.max(f64::MIN_POSITIVE);
    let _ = writeln!(
        out,
        "{:<14} {:<22} {:<22} {:<22}",
        "step", "X (throughput)", "R (mean latency)", "U (utilisation)"
    );
    for s in &measured {
        let bar =
            |v: f64, top: f64| "#".repeat(((v / top) * 20.0).round().clamp(0.0, 20.0) as usize);
        let _ = writeln!(
            out,
            "{:<14} {:<22} {:<22} {:<22}",
            s.label,
            bar(s.report.throughput_per_s(), x_top),
            bar(s.report.mean_latency_s(), r_max.max(f64::MIN_POSITIVE)),
            bar(utilisation(s), 1.0)
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Analytic curve: R = S / (1 - U) with S = {:.4} ms, the latency of the lightest step.",
        service_s * 1e3
    );
    if let Some(path) = flags.get("csv") {
        write_file(Path::new(path), &csv)?;
        let _ = writeln!(out, "CSV written to {path}");
    }
    let measured_points: Vec<(f64, f64)> = measured
        .iter()
        .map(|s| (utilisation(s), s.report.mean_latency_s() * 1e3))
        .collect();
    let analytic: Vec<(f64, f64)> = (0..=98)
        .map(|i| f64::from(i) / 100.0)
        .filter_map(|u| {
            model::mm1_response_s(service_s, u)
                .ok()
                .map(|r| (u, r * 1e3))
        })
        .filter(|&(_, r)| r <= r_max * 1e3 * 1.5)
        .collect();
    let chart = Chart {
        title: "Measured response time against utilisation".to_string(),
        x_label: "utilisation U".to_string(),
        y_label: "mean response time R (ms)".to_string(),
        log_y: false,
        series: vec![
            Series {
                name: "measured".to_string(),
                color: "#d62728",
                style: Style::Markers,
                points: measured_points,
            },
            Series {
                name: "S / (1 - U)".to_string(),
                color: "#1f77b4",
                style: Style::Line,
                points: analytic,
            },
        ],
    };
    let svg = chart_path(&flags, "littles-law-sweep.svg")?;
    write_file(&svg, &chart.render())?;
    let _ = writeln!(out, "Chart written to {}", svg.display());
    Ok(Output {
        text: out,
        exit_code: if stop.load(Ordering::Relaxed) { 130 } else { 0 },
    })
}

fn simulate_command(args: &[String]) -> Result<String, CliError> {
    let flags = Flags::parse(
        "simulate",
        args,
        &[
            "service-ms",
            "util",
            "steps",
            "model",
            "servers",
            "customers",
            "seed",
            "svg",
        ],
        &[],
    )?;
    let service_ms = checked(&flags, "service-ms", 0.057, units::parse_number, positive)?;
    let utilisations = list_or_range(
        &flags,
        "util",
        "0.1,0.2,0.3,0.39,0.5,0.6,0.7,0.8,0.9,0.95,0.99",
        10,
        units::parse_utilisation,
        "give 10%..99% or a list like 0.5,0.9",
    )?;
    if let Some(text) = flags.get("util")
        && let Some(reason) = utilisations
            .iter()
            .find_map(|&u| positive(u).or(stable_utilisation(u)))
    {
        return Err(CliError::Invalid(format!(
            "--util `{text}`: every utilisation {reason}"
        )));
    }
    let (service, default_servers) = match flags.get("model").unwrap_or("mm1") {
        "mm1" => (Service::Exponential, 1),
        "md1" => (Service::Deterministic, 1),
        "mmc" => (Service::Exponential, 4),
        other => return Err(usage(format!("--model `{other}`: use mm1, md1 or mmc"))),
    };
    let servers = u32::try_from(count(&flags, "servers", default_servers)?)
        .map_err(|_| usage("--servers is too large".to_string()))?;
    if service == Service::Deterministic && servers != 1 {
        return Err(usage("--model md1 has exactly one server".to_string()));
    }
    let customers = count(&flags, "customers", 200_000)?;
    let seed = count(&flags, "seed", 42)?;
    let points = sim::sweep(
        service_ms / 1e3,
        service,
        servers,
        &utilisations,
        customers,
        seed,
    )?;
    let name =
        sim::QueueConfig::at_utilisation(service_ms / 1e3, 0.5, service, servers, customers, seed)
            .kendall();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{name} queue, S = {service_ms} ms, {customers} customers per point, seed {seed}"
    );
    let _ = writeln!(
        out,
        "Measured over the window from 0 to the last arrival: L (time-average in system), lambda, W."
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:>6} {:>10} {:>12} {:>12} {:>8} {:>9} {:>9} {:>8} {:>8}",
        "U", "lambda/s", "R sim ms", "R model ms", "error", "L", "lambda*W", "P(wait)", "model"
    );
    for p in &points {
        let run = &p.run;
        let little = run.arrival_rate_per_s * run.mean_response_s;
        let p_wait_model = model::erlang_c(servers, p.utilisation).map_or(f64::NAN, |c| {
            if service == Service::Deterministic {
                p.utilisation
            } else {
                c
            }
        });
        let _ = writeln!(
            out,
            "{:>6.3} {:>10.1} {:>12.4} {:>12.4} {:>7.2}% {:>9.3} {:>9.3} {:>8.3} {:>8.3}",
            p.utilisation,
            run.arrival_rate_per_s,
            run.mean_response_s * 1e3,
            p.analytic_response_s * 1e3,
            (run.mean_response_s / p.analytic_response_s - 1.0) * 100.0,
            run.mean_in_system,
            little,
            run.waited_fraction,
            p_wait_model
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "L and lambda*W agree at every load: Little's law needs no assumption about the distributions."
    );
    let formula = match (service, servers) {
        (Service::Deterministic, _) => {
            "S + S U / (2 (1 - U)) (Pollaczek-Khinchine: half the M/M/1 wait)".to_string()
        }
        (Service::Exponential, 1) => "S / (1 - U)".to_string(),
        (Service::Exponential, c) => {
            format!("S + C({c}, U) S / ({c} (1 - U)) (Erlang C: C is the chance of waiting)")
        }
    };
    let _ = writeln!(
        out,
        "R follows {formula}: flat at first, then the hockey stick. Near U = 1 the simulation converges"
    );
    let _ = writeln!(
        out,
        "slowly (queues take ~1/(1-U)^2 service times to forget their start): try more --customers."
    );
    let chart = Chart {
        title: format!("{name}: response time against utilisation, S = {service_ms} ms"),
        x_label: "utilisation U".to_string(),
        y_label: "mean response time R (ms)".to_string(),
        log_y: false,
        series: vec![
            Series {
                name: "simulated".to_string(),
                color: "#d62728",
                style: Style::Markers,
                points: points
                    .iter()
                    .map(|p| (p.utilisation, p.run.mean_response_s * 1e3))
                    .collect(),
            },
            Series {
                name: "analytic".to_string(),
                color: "#1f77b4",
                style: Style::Line,
                points: points
                    .iter()
                    .map(|p| (p.utilisation, p.analytic_response_s * 1e3))
                    .collect(),
            },
        ],
    };
    let svg = chart_path(&flags, "littles-law-simulate.svg")?;
    write_file(&svg, &chart.render())?;
    let _ = writeln!(out, "Chart written to {}", svg.display());
    Ok(out)
}
