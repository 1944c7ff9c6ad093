//! Ask a real Paxos cluster to choose an operation, and print the decision.
//!
//! ```text
//! paxos-client --servers athens=127.0.0.1:7001,... [--to athens] set title alice
//! paxos-client --servers ... increment visits
//! ```
//!
//! The request id is this client's id and sequence number 1; an `Undecided` or
//! `NotDurable` answer, or no answer, sends the *same* request to the next server
//! (asking again with the same id is how a Paxos client learns the outcome). Exit codes
//! are `common::real::exit`'s: 0 decided (whether or not this request won), 2 bad
//! arguments, 5 no server reachable, 6 no decision within `--timeout-ms`.
use common::Redirect;
use common::real::app::{self, CLIENT_USAGE, ClientArgs, ClientSession};
use paxos::{Msg, Operation, RequestId};

const BINARY: &str = "paxos-client";

fn usage() -> String {
    format!("{BINARY} {CLIENT_USAGE} (set KEY VALUE | increment KEY)")
}

fn operation(words: &[String]) -> Result<Operation, String> {
    match words {
        [op, key, value] if op == "set" => Ok(Operation::set(key, value)),
        [op, key] if op == "increment" => Ok(Operation::increment(key)),
        [] => Err("missing operation".into()),
        other => Err(format!("unknown operation `{}`", other.join(" "))),
    }
}

/// A decision is the answer; anything else is worth asking the next server.
fn redirect(reply: &Msg) -> Redirect {
    match reply {
        Msg::Executed { .. } => Redirect::Done,
        _ => Redirect::Elsewhere,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (flags, words) = match ClientArgs::parse(&args) {
        Ok(parsed) => parsed,
        Err(e) => common::cli::exit_usage(&format!("{BINARY}: {e}"), &usage()),
    };
    let operation = operation(&words)
        .unwrap_or_else(|e| common::cli::exit_usage(&format!("{BINARY}: {e}"), &usage()));
    let mut session: ClientSession<Msg> =
        ClientSession::connect("paxos", &flags).unwrap_or_else(|e| app::exit_with(BINARY, &e));
    let request = RequestId::new(session.id(), 1);
    let msg = Msg::Execute {
        request: request.clone(),
        operation,
    };
    let reply = session
        .call_following(&flags.to, msg, redirect)
        .unwrap_or_else(|e| app::exit_with(BINARY, &e));
    match reply {
        Ok(Msg::Executed {
            won,
            chosen,
            result,
            ..
        }) => {
            let verdict = if won { "won" } else { "lost" };
            println!(
                "request {request} {verdict}: the chosen request is {chosen}, result {result}"
            );
        }
        Ok(other) => app::exit_request_failed(BINARY, &format!("no decision: {other:?}")),
        Err(e) => app::exit_request_failed(
            BINARY,
            &format!(
                "no decision within {} ms ({e}); the outcome is unknown",
                flags.timeout_ms
            ),
        ),
    }
}
