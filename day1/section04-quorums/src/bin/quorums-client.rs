//! Write or read a key through one coordinator of a real quorum cluster.
//!
//! ```text
//! quorums-client --servers athens=127.0.0.1:7001,... [--to byzantium] put title alice
//! quorums-client --servers ... get title
//! ```
//!
//! Any replica coordinates, so there is no redirect to follow; the client asks `--to`
//! (default: the first server). Exit codes are `common::real::exit`'s: 0 the quorum
//! answered (a read that found nothing prints `not found`), 2 bad arguments, 5 no server
//! reachable, 6 quorum not reached or no answer (a write's outcome is then unknown).
use common::real::app::{self, CLIENT_USAGE, ClientArgs, ClientSession};
use quorums::{GetOutcome, Msg, SetOutcome};

const BINARY: &str = "quorums-client";

fn usage() -> String {
    format!("{BINARY} {CLIENT_USAGE} (put KEY VALUE | get KEY)")
}

fn request(words: &[String]) -> Result<Msg, String> {
    match words {
        [op, key, value] if op == "put" => Ok(Msg::ClientSet {
            key: key.clone(),
            value: value.clone(),
        }),
        [op, key] if op == "get" => Ok(Msg::ClientGet { key: key.clone() }),
        [] => Err("missing operation".into()),
        other => Err(format!("unknown operation `{}`", other.join(" "))),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (flags, words) = match ClientArgs::parse(&args) {
        Ok(parsed) => parsed,
        Err(e) => common::cli::exit_usage(&format!("{BINARY}: {e}"), &usage()),
    };
    let msg = request(&words)
        .unwrap_or_else(|e| common::cli::exit_usage(&format!("{BINARY}: {e}"), &usage()));
    let mut session: ClientSession<Msg> =
        ClientSession::connect("quorums", &flags).unwrap_or_else(|e| app::exit_with(BINARY, &e));
    let reply = session
        .call(&flags.to, msg)
        .unwrap_or_else(|e| app::exit_with(BINARY, &e));
    match reply {
        Ok(Msg::ClientSetReply {
            key,
            outcome: SetOutcome::Ok,
        }) => println!("{key}: written"),
        Ok(Msg::ClientGetReply {
            key,
            outcome: GetOutcome::Found(v),
        }) => {
            println!("{key} = {} (version {})", v.value, v.version)
        }
        Ok(Msg::ClientGetReply {
            key,
            outcome: GetOutcome::NotFound,
        }) => println!("{key}: not found"),
        Ok(other) => app::exit_request_failed(BINARY, &format!("{other:?}")),
        Err(e) => app::exit_request_failed(
            BINARY,
            &format!(
                "no answer from {} within {} ms ({e}); a write's outcome is unknown",
                flags.to, flags.timeout_ms
            ),
        ),
    }
}
