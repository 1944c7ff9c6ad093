//! Read and write a real Raft cluster, following `NotLeader` hints; or measure
//! its write throughput.
//!
//! ```text
//! raft-client --servers athens=127.0.0.1:7001,... put title alice
//! raft-client --servers ... get title
//! raft-client --servers ... cas title alice bob
//! raft-client --servers ... bench [--seconds 10] [--concurrency 16] [--sync-dir DIR]
//! ```
//!
//! `bench` first measures the raw `fdatasync` rate of `--sync-dir` (default: the
//! current directory; give the cluster's data directory's disk), then keeps
//! `--concurrency` writes in flight for `--seconds`, and prints throughput, latency
//! percentiles and the ratio of acknowledged writes to raw syncs. Exit codes are
//! `common::real::exit`'s: 0 answered, 2 bad arguments, 5 no server reachable, 6 no
//! answer within `--timeout-ms` (a write's outcome is then unknown).
use common::real::app::{self, CLIENT_USAGE, ClientArgs, ClientSession};
use common::real::bench::{fdatasync_rate, run_load};
use raft::{Msg, Operation, Outcome, RequestId};
use std::time::Duration;

const BINARY: &str = "raft-client";

fn usage() -> String {
    format!(
        "{BINARY} {CLIENT_USAGE} (put KEY VALUE | get KEY | cas KEY EXPECTED NEW \
         | bench [--seconds N] [--concurrency N] [--sync-dir DIR])"
    )
}

fn fail_usage(message: &str) -> ! {
    common::cli::exit_usage(&format!("{BINARY}: {message}"), &usage())
}

fn operation(words: &[String]) -> Option<Operation> {
    match words {
        [op, key, value] if op == "put" => Some(Operation::Set {
            key: key.clone(),
            value: value.clone(),
        }),
        [op, key] if op == "get" => Some(Operation::Get { key: key.clone() }),
        [op, key, expected, new] if op == "cas" => Some(Operation::CompareAndSwap {
            key: key.clone(),
            expected: Some(expected.clone()),
            new: new.clone(),
        }),
        _ => None,
    }
}

fn executed(reply: &Msg) -> bool {
    matches!(reply, Msg::Executed { .. })
}

fn bench(session: &mut ClientSession<Msg>, words: &[String]) {
    let flags =
        common::cli::Flags::parse("bench", words, &["seconds", "concurrency", "sync-dir"], &[])
            .unwrap_or_else(|e| fail_usage(&e.to_string()));
    let number = |name: &str, default: u64| match flags.get(name) {
        None => default,
        Some(text) => common::cli::parse_count(text)
            .filter(|n| *n > 0)
            .unwrap_or_else(|| fail_usage(&format!("--{name} must be a positive whole number"))),
    };
    let seconds = number("seconds", 10);
    let concurrency = number("concurrency", 16) as usize;
    let sync_dir = std::path::PathBuf::from(flags.get("sync-dir").unwrap_or("."));
    // The disk may be shared and its sync rate drift: measure it before and after the
    // load, and compare with the mean.
    let measure = || {
        fdatasync_rate(&sync_dir, Duration::from_secs(2), 128).unwrap_or_else(|e| {
            eprintln!(
                "{BINARY}: cannot measure fdatasync in {}: {e}",
                sync_dir.display()
            );
            std::process::exit(common::real::exit::DATA_DIR)
        })
    };
    let before = measure();
    let me = session.id();
    let first = session.servers()[0].clone();
    let report = run_load(
        session,
        concurrency,
        Duration::from_secs(seconds),
        |slot, seq| {
            let request = RequestId::new(format!("{me}-{slot}"), seq);
            let operation = Operation::Set {
                key: format!("k{}", seq % 64),
                value: format!("{slot}-{seq}"),
            };
            (first.clone(), Msg::Execute { request, operation })
        },
        raft::client::redirect,
        executed,
    )
    .unwrap_or_else(|e| app::exit_with(BINARY, &e));
    let after = measure();
    let baseline = (before.per_second() + after.per_second()) / 2.0;
    for (when, sync) in [("before", &before), ("after", &after)] {
        println!(
            "baseline {when}: raw fdatasync of a 128-byte append in {}: {:.0}/s (p50 {} us, p99 {} us)",
            sync_dir.display(),
            sync.per_second(),
            sync.latency.p50_us,
            sync.latency.p99_us
        );
    }
    let l = report.latency;
    println!(
        "raft: {} writes acknowledged in {:.1} s with {concurrency} in flight: {:.0}/s \
         (p50 {} us, p90 {} us, p99 {} us, max {} us); {} failed or timed out",
        report.ok,
        report.elapsed.as_secs_f64(),
        report.per_second(),
        l.p50_us,
        l.p90_us,
        l.p99_us,
        l.max_us,
        report.failed
    );
    println!(
        "ratio: {:.2} acknowledged writes per raw fdatasync (mean baseline {baseline:.0}/s)",
        report.per_second() / baseline.max(1e-9)
    );
}
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (flags, words) = ClientArgs::parse(&args).unwrap_or_else(|e| fail_usage(&e.to_string()));
    let is_bench = words.first().is_some_and(|w| w == "bench");
    let operation = if is_bench {
        None
    } else {
        Some(operation(&words).unwrap_or_else(|| fail_usage("missing or unknown operation")))
    };
    let mut session: ClientSession<Msg> =
        ClientSession::connect("raft", &flags).unwrap_or_else(|e| app::exit_with(BINARY, &e));
    let Some(operation) = operation else {
        bench(&mut session, &words[1..]);
        return;
    };
    let request = RequestId::new(session.id(), 1);
    let reply = session
        .call_following(
            &flags.to,
            Msg::Execute { request, operation },
            raft::client::redirect,
        )
        .unwrap_or_else(|e| app::exit_with(BINARY, &e));
    match reply {
        Ok(Msg::Executed { index, outcome, .. }) => match outcome {
            Outcome::Stored { value } => println!("stored {value} (index {index})"),
            Outcome::Read { value: Some(v) } => println!("{v} (index {index})"),
            Outcome::Read { value: None } => println!("not found (index {index})"),
            Outcome::Swapped { swapped, previous } => {
                println!("swapped: {swapped}, previous {previous:?} (index {index})")
            }
        },
        Ok(other) => app::exit_request_failed(BINARY, &format!("{other:?}")),
        Err(e) => app::exit_request_failed(
            BINARY,
            &format!(
                "no answer within {} ms ({e}); a write's outcome is unknown",
                flags.timeout_ms
            ),
        ),
    }
}
