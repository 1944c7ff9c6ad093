//! `wal`: inspect, repair and measure write-ahead logs, and show the torn-write lesson.
//!
//! Hand-written argument parsing; every bad input is a message and an exit code, never a
//! panic.

use common::fileio::{Dir, FileIo, LocalDir};
use std::process::ExitCode;
use std::time::{Duration, Instant};
use wal::frame::{DEFAULT_MAX_ENTRY_BYTES, EntryType};
use wal::group_commit::{GroupCommit, GroupCommitConfig};
use wal::inspect::{self, Verdict};
use wal::{Config, Wal, WalError};

/// Success.
const EXIT_OK: u8 = 0;
/// `verify`/`recover --dry-run`: a torn tail that recovery would cut.
const EXIT_TORN_TAIL: u8 = 1;
/// Bad command line.
const EXIT_USAGE: u8 = 2;
/// An I/O or other runtime error.
const EXIT_ERROR: u8 = 3;
/// Corruption that recovery refuses to repair.
const EXIT_CORRUPT: u8 = 4;

const USAGE: &str = "\
usage: wal <command> [arguments]

commands:
  dump <dir>                 list every frame: type, index, generation, timestamp, crc ok/bad
  verify <dir>               check every frame; exit 0 clean, 1 torn tail, 4 corrupt
  recover <dir> [--dry-run]  run recovery (cut a torn tail); --dry-run only reports
  recover <dir> --discard-corrupt-tail
                             the operator's repair when a bad frame in the last segment is
                             followed by valid frames: cut there, losing those entries
  truncate <dir> <index>     remove <index> and every later entry
  append <dir> <text>...     append each text as one entry (fsynced)
  bench [--dir <path>] [--seconds <s>] [--payload <bytes>]
                             fsync cost: raw loops vs the WAL vs group commit
  torn-demo [--trials <n>] [--seed <n>]
                             a record larger than a sector, overwritten in place, vs two slots
  help                       this text

exit codes: 0 ok, 1 torn tail found, 2 usage error, 3 I/O error, 4 corruption";

struct Failure {
    code: u8,
    message: String,
}

fn usage(message: impl Into<String>) -> Failure {
    Failure {
        code: EXIT_USAGE,
        message: format!("{}\n\n{USAGE}", message.into()),
    }
}

impl From<WalError> for Failure {
    fn from(error: WalError) -> Self {
        let code = match error {
            WalError::Corrupt { .. } => EXIT_CORRUPT,
            _ => EXIT_ERROR,
        };
        Failure {
            code,
            message: error.to_string(),
        }
    }
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Self {
        Failure {
            code: EXIT_ERROR,
            message: format!("I/O error: {error}"),
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("wal: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

fn run(args: &[String]) -> Result<u8, Failure> {
    let Some((command, rest)) = args.split_first() else {
        return Err(usage("no command given"));
    };
    match command.as_str() {
        "dump" => dump(rest),
        "verify" => verify(rest),
        "recover" => recover(rest),
        "truncate" => truncate(rest),
        "append" => append(rest),
        "bench" => bench(rest),
        "torn-demo" => torn_demo(rest),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(EXIT_OK)
        }
        other => Err(usage(format!("unknown command {other:?}"))),
    }
}

/// An existing directory (the inspecting commands must not create one by accident).
fn existing_dir(path: Option<&String>) -> Result<LocalDir, Failure> {
    let path = path.ok_or_else(|| usage("missing <dir>"))?;
    if !std::path::Path::new(path).is_dir() {
        return Err(Failure {
            code: EXIT_ERROR,
            message: format!("{path} is not a directory"),
        });
    }
    Ok(LocalDir::open(path)?)
}

fn parse_number(flag: &str, value: Option<&String>) -> Result<u64, Failure> {
    let value = value.ok_or_else(|| usage(format!("{flag} needs a value")))?;
    value
        .parse()
        .map_err(|_| usage(format!("{flag}: {value:?} is not a non-negative integer")))
}

fn dump(args: &[String]) -> Result<u8, Failure> {
    if args.len() != 1 {
        return Err(usage("dump takes exactly one <dir>"));
    }
    let dir = existing_dir(args.first())?;
    let report = inspect::inspect(&dir, DEFAULT_MAX_ENTRY_BYTES)?;
    for stray in &report.stray_files {
        println!("warning: ignoring stray file {stray}");
    }
    for segment in &report.segments {
        println!(
            "{} (base {}, {} bytes)",
            segment.name, segment.base, segment.file_bytes
        );
        let file = dir.open(&segment.name)?;
        let mut bytes = vec![0u8; segment.file_bytes as usize];
        file.read_exact_at(0, &mut bytes)?;
        let (frames, stop) = wal::segment::dump(&bytes, DEFAULT_MAX_ENTRY_BYTES);
        println!(
            "  {:>10}  {:>8}  {:<8} {:>8} {:>10} {:>15}  crc",
            "offset", "bytes", "type", "index", "generation", "timestamp_ms"
        );
        for f in frames {
            let kind = match EntryType::from_code(f.type_code) {
                Some(EntryType::Data) => "data".to_string(),
                Some(EntryType::Padding) => "padding".to_string(),
                None => format!("?{}", f.type_code),
            };
            println!(
                "  {:>10}  {:>8}  {:<8} {:>8} {:>10} {:>15}  {}",
                f.offset,
                f.len,
                kind,
                f.index,
                f.generation,
                f.timestamp_ms,
                if f.crc_ok { "ok" } else { "BAD" }
            );
        }
        if let Some((offset, reason)) = stop {
            println!("  stopped at byte {offset}: {reason}");
        }
    }
    Ok(EXIT_OK)
}

fn print_verdict(verdict: &Verdict) -> u8 {
    match verdict {
        Verdict::Clean => {
            println!("clean: every frame verified");
            EXIT_OK
        }
        Verdict::TornTail {
            segment,
            offset,
            discarded_bytes,
            reason,
        } => {
            println!(
                "torn tail: {segment} is valid up to byte {offset}; recovery would discard {discarded_bytes} bytes ({reason})"
            );
            EXIT_TORN_TAIL
        }
        Verdict::CorruptBeforeValidFrames {
            segment,
            offset,
            reason,
            valid_offset,
            entries_at_risk,
            ..
        } => {
            println!(
                "corrupt: {segment} at byte {offset}: {reason}; a valid frame follows at byte {valid_offset}, \
                 so this is damage to data written before it, not a torn tail; recovery would refuse to open the log"
            );
            println!(
                "  entries after the damage: {}; `wal recover <dir> --discard-corrupt-tail` would cut them (only if they can be given up)",
                describe_indices(entries_at_risk)
            );
            EXIT_CORRUPT
        }
        Verdict::Corrupt {
            segment,
            offset,
            reason,
        } => {
            println!(
                "corrupt: {segment} at byte {offset}: {reason}; recovery would refuse to open the log"
            );
            EXIT_CORRUPT
        }
    }
}

/// `none`, `7`, or `7..=9 (3 entries)`.
fn describe_indices(indices: &[u64]) -> String {
    match indices {
        [] => "none (only padding)".to_string(),
        [one] => one.to_string(),
        [first, .., last] => format!("{first}..={last} ({} entries)", indices.len()),
    }
}

fn verify(args: &[String]) -> Result<u8, Failure> {
    if args.len() != 1 {
        return Err(usage("verify takes exactly one <dir>"));
    }
    let dir = existing_dir(args.first())?;
    let report = inspect::inspect(&dir, DEFAULT_MAX_ENTRY_BYTES)?;
    for stray in &report.stray_files {
        println!("warning: ignoring stray file {stray}");
    }
    let entries: usize = report
        .segments
        .iter()
        .map(|s| s.scan.data_frames().count())
        .sum();
    println!(
        "{} segments, {entries} valid entries",
        report.segments.len()
    );
    Ok(print_verdict(&report.verdict()))
}

fn recover(args: &[String]) -> Result<u8, Failure> {
    #[derive(PartialEq)]
    enum Mode {
        Recover,
        DryRun,
        DiscardCorruptTail,
    }
    let mode = match args {
        [_] => Mode::Recover,
        [_, flag] if flag == "--dry-run" => Mode::DryRun,
        [_, flag] if flag == "--discard-corrupt-tail" => Mode::DiscardCorruptTail,
        _ => {
            return Err(usage(
                "recover takes <dir> [--dry-run | --discard-corrupt-tail]",
            ));
        }
    };
    let dir = existing_dir(args.first())?;
    if mode == Mode::DryRun {
        let report = inspect::inspect(&dir, DEFAULT_MAX_ENTRY_BYTES)?;
        for stray in &report.stray_files {
            println!("warning: would ignore stray file {stray}");
        }
        return Ok(print_verdict(&report.verdict()));
    }
    if mode == Mode::DiscardCorruptTail {
        match inspect::discard_corrupt_tail(&dir, DEFAULT_MAX_ENTRY_BYTES)? {
            Some(cut) => println!(
                "discarded by the operator's decision: {} cut at byte {} ({} bytes; entries {})",
                cut.segment,
                cut.offset,
                cut.discarded_bytes,
                describe_indices(&cut.lost_entries)
            ),
            None => {
                println!("no bad frame before valid frames in the last segment; nothing discarded")
            }
        }
    }
    let wal = match Wal::open(dir, Config::default()) {
        Ok(wal) => wal,
        Err(error @ WalError::Corrupt { .. }) => {
            let mut failure = Failure::from(error);
            let again = existing_dir(args.first())
                .and_then(|dir| Ok(inspect::inspect(&dir, DEFAULT_MAX_ENTRY_BYTES)?.verdict()));
            if let Ok(Verdict::CorruptBeforeValidFrames {
                entries_at_risk, ..
            }) = again
            {
                failure.message.push_str(&format!(
                    "\nnothing was changed. Entries {} follow the damage; if they can be given up, run `wal recover {} --discard-corrupt-tail`",
                    describe_indices(&entries_at_risk),
                    args[0]
                ));
            }
            return Err(failure);
        }
        Err(error) => return Err(error.into()),
    };
    let report = wal.recovery_report();
    for warning in &report.warnings {
        println!("warning: {warning:?}");
    }
    println!(
        "recovered {} entries in {} segments; last index {}; discarded {} bytes",
        report.entries,
        report.segments,
        wal.last_index(),
        report.discarded_bytes()
    );
    Ok(EXIT_OK)
}

fn truncate(args: &[String]) -> Result<u8, Failure> {
    if args.len() != 2 {
        return Err(usage("truncate takes <dir> <index>"));
    }
    let index = parse_number("<index>", args.get(1))?;
    let dir = existing_dir(args.first())?;
    let mut wal = Wal::open(dir, Config::default())?;
    wal.truncate(index)?;
    println!("truncated: last index is now {}", wal.last_index());
    Ok(EXIT_OK)
}

fn append(args: &[String]) -> Result<u8, Failure> {
    if args.len() < 2 {
        return Err(usage("append takes <dir> <text>..."));
    }
    let path = &args[0];
    let mut wal = Wal::open(LocalDir::open(path)?, Config::default())?;
    for text in &args[1..] {
        let index = wal.append(text.as_bytes())?;
        println!("{index}");
    }
    Ok(EXIT_OK)
}

fn torn_demo(args: &[String]) -> Result<u8, Failure> {
    let (mut trials, mut seed) = (200u64, 1u64);
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        match flag.as_str() {
            "--trials" => trials = parse_number("--trials", rest.next())?.max(1),
            "--seed" => seed = parse_number("--seed", rest.next())?,
            other => return Err(usage(format!("torn-demo: unknown option {other:?}"))),
        }
    }
    let report = wal::torn::run_demo(trials, seed)?;
    println!(
        "An acceptor record (promised, accepted, 7 KiB payload = 7,200 bytes, 15 sectors of 512)"
    );
    println!("is updated from A (101, 202) to B (102, 203); the power fails before the fsync.");
    println!("Simulated disk, seed {seed}, {trials} power cuts per scheme:\n");
    print!("{}", report.table());
    if let Some(map) = &report.example_sectors {
        println!("\nOne torn in-place record, sector by sector (N = new, O = old):\n  {map}");
    }
    println!(
        "\nIn place, a power cut can leave half old, half new: the checksum catches it, but then\n\
         neither state is left. With two slots the write goes to the slot not holding the newest\n\
         record, so the newest durable state always survives."
    );
    Ok(EXIT_OK)
}

// ------------------------------------------------------------------------------------
// bench
// ------------------------------------------------------------------------------------

/// Real elapsed time: the benchmark measures a real disk.
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

struct Figure {
    name: String,
    ops: u64,
    elapsed: Duration,
    latencies_ns: Vec<u64>,
    extra: String,
}

impl Figure {
    fn rate(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn percentile_us(&self, p: f64) -> f64 {
        if self.latencies_ns.is_empty() {
            return 0.0;
        }
        let mut sorted = self.latencies_ns.clone();
        sorted.sort_unstable();
        let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted[rank.min(sorted.len() - 1)] as f64 / 1000.0
    }
}

fn fresh_dir(root: &std::path::Path, name: &str) -> Result<LocalDir, Failure> {
    let path = root.join(name);
    if path.exists() {
        std::fs::remove_dir_all(&path)?;
    }
    Ok(LocalDir::open(path)?)
}

/// One measured figure, run in slices so that a baseline and the figure compared with
/// it alternate and share whatever else the machine is doing.
enum Runner {
    /// `batch` writes of the payload, then one fdatasync.
    Raw {
        file: common::fileio::LocalFile,
        offset: u64,
        batch: u64,
    },
    /// The WAL, fsync per append.
    Wal(Box<Wal<LocalDir>>),
    /// The WAL behind group commit, with this many writer threads.
    Group {
        group: Box<GroupCommit<LocalDir>>,
        writers: usize,
    },
}

impl Runner {
    fn raw(root: &std::path::Path, batch: u64) -> Result<Self, Failure> {
        let dir = fresh_dir(root, &format!("raw-{batch}"))?;
        Ok(Runner::Raw {
            file: dir.create("raw.dat")?,
            offset: 0,
            batch,
        })
    }

    fn wal(root: &std::path::Path) -> Result<Self, Failure> {
        let wal = Wal::open(fresh_dir(root, "wal-fsync")?, Config::default())?;
        Ok(Runner::Wal(Box::new(wal)))
    }

    fn group(root: &std::path::Path, writers: usize) -> Result<Self, Failure> {
        let wal = Wal::open(
            fresh_dir(root, &format!("wal-gc-{writers}"))?,
            Config::default(),
        )?;
        let group = GroupCommit::start(wal, GroupCommitConfig::default());
        Ok(Runner::Group {
            group: Box::new(group),
            writers,
        })
    }

    fn name(&self) -> String {
        match self {
            Runner::Raw { batch: 1, .. } => "raw: write 1 KiB + fdatasync".into(),
            Runner::Raw { batch, .. } => format!("raw: {batch} writes + 1 fdatasync"),
            Runner::Wal(_) => "WAL: fsync per append".into(),
            Runner::Group { writers: 1, .. } => "WAL: group commit, 1 writer".into(),
            Runner::Group { writers, .. } => format!("WAL: group commit, {writers} writers"),
        }
    }

    /// Run for `budget`, adding to `figure`.
    fn run(
        &mut self,
        payload: &[u8],
        budget: Duration,
        figure: &mut Figure,
    ) -> Result<(), Failure> {
        let start = now();
        match self {
            Runner::Raw {
                file,
                offset,
                batch,
            } => {
                while start.elapsed() < budget {
                    let began = now();
                    for _ in 0..*batch {
                        file.write_at(*offset, payload)?;
                        *offset += payload.len() as u64;
                    }
                    file.sync()?;
                    let took = began.elapsed().as_nanos() as u64;
                    figure
                        .latencies_ns
                        .extend(std::iter::repeat_n(took, *batch as usize));
                }
            }
            Runner::Wal(wal) => {
                while start.elapsed() < budget {
                    let began = now();
                    wal.append(payload)?;
                    figure.latencies_ns.push(began.elapsed().as_nanos() as u64);
                }
            }
            Runner::Group { group, writers } => {
                let group: &GroupCommit<LocalDir> = group;
                let mut failure = None;
                // Scoped writer threads: the benchmark drives a real disk from real threads.
                std::thread::scope(|scope| {
                    let handles: Vec<_> = (0..*writers)
                        .map(|_| {
                            scope.spawn(|| {
                                let mut mine = Vec::new();
                                while start.elapsed() < budget {
                                    let began = now();
                                    if let Err(e) = group.append(payload.to_vec()).wait() {
                                        return (mine, Some(e.to_string()));
                                    }
                                    mine.push(began.elapsed().as_nanos() as u64);
                                }
                                (mine, None)
                            })
                        })
                        .collect();
                    for handle in handles {
                        match handle.join() {
                            Ok((mine, error)) => {
                                figure.latencies_ns.extend(mine);
                                failure = failure.take().or(error);
                            }
                            Err(_) => failure = Some("a writer thread panicked".to_string()),
                        }
                    }
                });
                if let Some(message) = failure {
                    return Err(Failure {
                        code: EXIT_ERROR,
                        message: format!("group commit failed: {message}"),
                    });
                }
                figure.extra = format!("{:.1} entries/fdatasync", group.stats().mean_batch());
            }
        }
        figure.elapsed += start.elapsed();
        figure.ops = figure.latencies_ns.len() as u64;
        Ok(())
    }
}

/// Measure `baseline` and `subject` in alternating slices.
fn measure_pair(
    mut baseline: Runner,
    mut subject: Runner,
    payload: &[u8],
    seconds: f64,
    rounds: u32,
) -> Result<(Figure, Figure), Failure> {
    let slice = Duration::from_secs_f64(seconds / f64::from(rounds));
    let mut figures = [baseline.name(), subject.name()].map(|name| Figure {
        name,
        ops: 0,
        elapsed: Duration::ZERO,
        latencies_ns: Vec::new(),
        extra: String::new(),
    });
    for _ in 0..rounds {
        baseline.run(payload, slice, &mut figures[0])?;
        subject.run(payload, slice, &mut figures[1])?;
    }
    let [base, subj] = figures;
    Ok((base, subj))
}

fn bench(args: &[String]) -> Result<u8, Failure> {
    let (mut dir, mut seconds, mut payload_bytes) = (None, 2.0f64, 1024u64);
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        match flag.as_str() {
            "--dir" => {
                dir = Some(
                    rest.next()
                        .ok_or_else(|| usage("--dir needs a path"))?
                        .clone(),
                )
            }
            "--seconds" => {
                let value = rest
                    .next()
                    .ok_or_else(|| usage("--seconds needs a value"))?;
                seconds = value
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s > 0.0 && *s <= 600.0)
                    .ok_or_else(|| {
                        usage(format!("--seconds: {value:?} is not a number in (0, 600]"))
                    })?;
            }
            "--payload" => {
                payload_bytes = parse_number("--payload", rest.next())?.clamp(1, 1 << 20)
            }
            other => return Err(usage(format!("bench: unknown option {other:?}"))),
        }
    }
    let temp = tempfile::tempdir()?;
    let root = match &dir {
        Some(path) => {
            let root = std::path::Path::new(path).join("wal-bench");
            std::fs::create_dir_all(&root)?;
            root
        }
        None => temp.path().to_path_buf(),
    };
    let payload = vec![b'A'; payload_bytes as usize];
    println!(
        "bench in {} ({seconds} s per figure, {payload_bytes}-byte entries)",
        root.display()
    );

    let rounds = 6;
    let (raw, fsync) = measure_pair(
        Runner::raw(&root, 1)?,
        Runner::wal(&root)?,
        &payload,
        seconds,
        rounds,
    )?;
    let (raw_rate, fsync_rate) = (raw.rate(), fsync.rate());
    let mut rows: Vec<(Figure, Option<f64>)> = vec![(raw, None), (fsync, Some(raw_rate))];
    let mut group_32_rate = 0.0;
    for writers in [1usize, 8, 32, 128] {
        let (baseline, group) = measure_pair(
            Runner::raw(&root, writers as u64)?,
            Runner::group(&root, writers)?,
            &payload,
            seconds,
            rounds,
        )?;
        if writers == 32 {
            group_32_rate = group.rate();
        }
        let reference = baseline.rate();
        rows.push((baseline, None));
        rows.push((group, Some(reference)));
    }
    println!(
        "\n| {:<34} | {:>11} | {:>9} | {:>9} | {:>15} | {:<24} |",
        "figure", "appends/s", "p50 µs", "p99 µs", "vs raw baseline", "note"
    );
    println!(
        "|{:-<36}|{:->13}|{:->11}|{:->11}|{:->17}|{:-<26}|",
        "", "", "", "", "", ""
    );
    for (figure, baseline) in &rows {
        let ratio = baseline.map_or("baseline".to_string(), |b| {
            format!("{:.2}×", figure.rate() / b.max(1e-9))
        });
        println!(
            "| {:<34} | {:>11.0} | {:>9.1} | {:>9.1} | {:>15} | {:<24} |",
            figure.name,
            figure.rate(),
            figure.percentile_us(0.5),
            figure.percentile_us(0.99),
            ratio,
            figure.extra
        );
    }
    println!(
        "\nWAL fsync per append / raw fdatasync loop: {:.2} (target ≥ 0.9)",
        fsync_rate / raw_rate.max(1e-9)
    );
    println!(
        "group commit, 32 writers / WAL fsync per append: {:.1}× (target ≥ 10×)",
        group_32_rate / fsync_rate.max(1e-9)
    );
    println!(
        "(baseline for a group commit row: the raw loop with one fdatasync per batch of that many writes)"
    );
    if dir.is_some() {
        std::fs::remove_dir_all(&root)?;
    }
    Ok(EXIT_OK)
}
