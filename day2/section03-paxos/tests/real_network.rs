//! The section's unchanged `Server`, run as three real processes on loopback by
//! `common::real`: they decide over TCP, a `SIGKILL`ed server restarts from its journal
//! without forgetting the decision, and garbage on a socket closes only that socket.
//!
//! Every wait is bounded and fails with what it waited for and the node's log; ports
//! are ephemeral and each test has its own temporary directory.

use common::check::{self, Model, models::Ret};
use common::history::{History, Op, Value};
use common::real::app::{ClientArgs, ClientSession};
use common::real::frame::{self, Hello, MAX_FRAME_BYTES, TAG_MESSAGE};
use common::real::local::{LocalCluster, poll_until};
use common::{OpId, ProcessId, Promise};
use paxos::{Msg, Operation, RequestId};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

const SERVER: &str = env!("CARGO_BIN_EXE_paxos-server");
const CLIENT: &str = env!("CARGO_BIN_EXE_paxos-client");
const NODES: [&str; 3] = ["athens", "byzantium", "cyrene"];
/// Generous bounds for a loaded 2-core machine; a healthy run takes milliseconds.
const WAIT: Duration = Duration::from_secs(30);

fn cluster(dir: &tempfile::TempDir) -> LocalCluster {
    LocalCluster::start(SERVER, &NODES, dir.path()).unwrap_or_else(|e| panic!("cluster start: {e}"))
}

fn session(cluster: &LocalCluster, id: &str) -> ClientSession<Msg> {
    let args = [
        "--servers".to_string(),
        cluster.servers_arg(),
        "--id".into(),
        id.into(),
        "--timeout-ms".into(),
        "10000".into(),
        "--connect-timeout-ms".into(),
        "10000".into(),
    ];
    let (args, rest) = ClientArgs::parse(&args).expect("the test's client flags parse");
    assert!(rest.is_empty());
    ClientSession::connect("paxos", &args).unwrap_or_else(|e| panic!("client connect: {e}"))
}

/// Single-decree consensus as a sequential object: the first proposal to take effect is
/// chosen, and every answer names the chosen request.
struct Consensus;

#[derive(Clone, Debug)]
struct Propose(String);

impl Op for Propose {
    fn f(&self) -> &str {
        "propose"
    }
    fn value(&self) -> Value {
        Value::Str(self.0.clone())
    }
}

impl Model for Consensus {
    type Input = Propose;
    type Output = Ret<String>;
    type State = Option<String>;

    fn init(&self) -> Option<String> {
        None
    }

    fn step(
        &self,
        state: &Option<String>,
        input: &Propose,
        output: Option<&Ret<String>>,
    ) -> Option<Option<String>> {
        let chosen = state.clone().unwrap_or_else(|| input.0.clone());
        match output {
            None => Some(Some(chosen)),
            Some(Ret::Value(told)) if *told == chosen => Some(Some(chosen)),
            Some(_) => None,
        }
    }
}

/// Proposals in flight, recorded in a history at the client's ticks.
struct Recorder {
    history: History<Propose, Ret<String>>,
    in_flight: Vec<(OpId, Promise<Msg>)>,
    next_seq: u64,
}

impl Recorder {
    fn new() -> Self {
        Recorder {
            history: History::new(),
            in_flight: Vec::new(),
            next_seq: 0,
        }
    }

    /// Propose through `server` on behalf of the logical client `who`.
    fn propose(&mut self, session: &mut ClientSession<Msg>, who: &str, server: &str) {
        self.next_seq += 1;
        let request = RequestId::new(session.id(), self.next_seq);
        let op = self
            .history
            .invoke(who, Propose(request.to_string()), session.now());
        let msg = Msg::Execute {
            request,
            operation: Operation::set("title", who),
        };
        let promise = session
            .start_call(&ProcessId::new(server), msg, session.timeout_ticks())
            .expect("the client's storage is memory and cannot fail");
        self.in_flight.push((op, promise));
    }

    /// Run until every proposal is answered (or timed out), completing each at the tick
    /// its answer arrived.
    fn settle(&mut self, session: &mut ClientSession<Msg>) {
        while !self.in_flight.is_empty() {
            let pending: Vec<Promise<Msg>> =
                self.in_flight.iter().map(|(_, p)| p.clone()).collect();
            let any = session
                .run_until(WAIT, || pending.iter().any(|p| !p.is_pending()))
                .expect("the client's storage is memory and cannot fail");
            assert!(any, "proposals still unanswered after {WAIT:?}");
            let now = session.now();
            let (done, still): (Vec<_>, Vec<_>) = std::mem::take(&mut self.in_flight)
                .into_iter()
                .partition(|(_, p)| !p.is_pending());
            self.in_flight = still;
            for (op, promise) in done {
                match promise.result() {
                    Some(Ok(Msg::Executed { chosen, .. })) => {
                        self.history.ok(op, Ret::Value(chosen.to_string()), now)
                    }
                    _ => self.history.info(op, now),
                }
            }
        }
    }

    /// Every chosen request the servers reported.
    fn chosen(&self) -> Vec<String> {
        self.history
            .ops()
            .filter_map(|op| match op.output() {
                Some(Ret::Value(v)) => Some(v.clone()),
                _ => None,
            })
            .collect()
    }
}

#[test]
fn three_real_servers_decide_over_tcp_and_the_cli_reports_the_decision() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let cluster = cluster(&dir);
    let run = |to: &str, value: &str| {
        Command::new(CLIENT)
            .args(["--servers", &cluster.servers_arg(), "--to", to])
            .args(["--timeout-ms", "10000", "--connect-timeout-ms", "10000"])
            .args(["set", "title", value])
            .output()
            .expect("the client binary runs")
    };
    let first = run("athens", "alice");
    let first_out = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success() && first_out.contains("won"),
        "the first proposal must win: {first:?}"
    );
    let second = run("cyrene", "bob");
    let second_out = String::from_utf8_lossy(&second.stdout);
    assert!(
        second.status.success()
            && second_out.contains("lost")
            && second_out.contains("result alice"),
        "a later proposal must learn alice's decision from another server: {second:?}"
    );
}

#[test]
fn a_sigkilled_server_restarts_from_its_journal_and_no_decision_is_lost() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut cluster = cluster(&dir);
    let mut client = session(&cluster, "tester");
    let mut recorder = Recorder::new();
    // Four clients race through all three servers.
    for (who, server) in [
        ("alice", "athens"),
        ("bob", "byzantium"),
        ("carol", "cyrene"),
        ("dave", "athens"),
    ] {
        recorder.propose(&mut client, who, server);
    }
    recorder.settle(&mut client);
    assert!(
        !recorder.chosen().is_empty(),
        "at least one of four proposals must be decided on a healthy cluster"
    );

    // athens dies without a chance to flush anything, then comes back from its journal.
    cluster.kill("athens").unwrap_or_else(|e| panic!("{e}"));
    // While athens is down, the two others still decide (a majority).
    recorder.propose(&mut client, "erin", "byzantium");
    recorder.settle(&mut client);
    cluster.restart("athens").unwrap_or_else(|e| panic!("{e}"));
    let log = cluster.log("athens");
    assert!(
        log.contains("start #2") && !log.contains(" 0 journal records replayed; start #2"),
        "the restarted athens must replay its journal:\n{log}"
    );
    // The restarted node is asked first: it must answer from what it synced.
    let reconnected = poll_until(WAIT, || {
        let _ = client.run_until(Duration::from_millis(20), || false);
        client.is_connected(&ProcessId::new("athens"))
    });
    assert!(
        reconnected,
        "the client must reconnect to the restarted athens"
    );
    for (who, server) in [
        ("frank", "athens"),
        ("grace", "cyrene"),
        ("heidi", "athens"),
    ] {
        recorder.propose(&mut client, who, server);
    }
    recorder.settle(&mut client);

    let chosen = recorder.chosen();
    // Every server knows the decision or can learn it from a live majority, and the
    // client's connection to the restarted athens is new: no proposal goes unanswered
    // (a lane that wrote into the dead connection once lost these, and timed out).
    assert_eq!(
        chosen.len(),
        recorder.history.len(),
        "every proposal must be answered; the history:\n{:?}",
        recorder.history
    );
    assert!(
        chosen.windows(2).all(|w| w[0] == w[1]),
        "every server, before and after the crash, must report the same chosen request: {chosen:?}"
    );
    let verdict = check::linearizable(&Consensus, &recorder.history);
    assert!(
        verdict.is_ok(),
        "the recorded history must be linearizable single-decree consensus: {verdict}"
    );
}

/// Bytes written to a fresh connection to `addr`; returns whether the node closed it
/// (end of stream or reset) within the wait.
fn closed_after(addr: std::net::SocketAddr, bytes: &[u8]) -> bool {
    let mut stream = TcpStream::connect(addr).expect("the node accepts connections");
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("a read timeout can be set");
    let _ = stream.write_all(bytes);
    // Half-close: the node sees the end of the stream right after these bytes (a
    // truncated frame ends there), while its answer can still be read.
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut buf = [0u8; 4096];
    poll_until(WAIT, || match stream.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false, // the node's handshake; keep reading
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    })
}

#[test]
fn garbage_truncated_and_oversized_frames_close_their_connection_and_the_node_keeps_serving() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let cluster = cluster(&dir);
    let addr = cluster.addr("athens").expect("athens has an address");
    let hello = frame::encode_hello(&Hello::new("paxos", ProcessId::new("mallory")));
    let with_hello = |rest: &[u8]| [hello.as_slice(), rest].concat();

    let mut oversized = ((MAX_FRAME_BYTES + 1) as u32).to_be_bytes().to_vec();
    oversized.extend_from_slice(&[0; 4]);
    let mut bad_checksum = frame::encode_tagged(TAG_MESSAGE, b"not an envelope");
    let last = bad_checksum.len() - 1;
    bad_checksum[last] ^= 0xff;
    let whole = frame::encode_tagged(TAG_MESSAGE, &[7; 32]);
    let cases: [(&str, Vec<u8>); 7] = [
        (
            "an HTTP request instead of a handshake",
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        ),
        (
            "a handshake for another section",
            frame::encode_hello(&Hello::new("raft", ProcessId::new("mallory"))),
        ),
        ("an oversized frame", with_hello(&oversized)),
        ("a frame that fails its checksum", with_hello(&bad_checksum)),
        (
            "a frame of an unknown type",
            with_hello(&frame::encode_tagged(42, b"?")),
        ),
        (
            "a frame that does not decode as an envelope",
            with_hello(&whole),
        ),
        ("a truncated frame", with_hello(&whole[..whole.len() / 2])),
    ];
    for (what, bytes) in &cases {
        assert!(
            closed_after(addr, bytes),
            "athens must close the connection after {what}"
        );
    }
    cluster
        .wait_for_log("athens", "closing connection from", cases.len(), WAIT)
        .unwrap_or_else(|e| panic!("every refused connection must be logged with its reason: {e}"));
    let log = cluster.log("athens");
    for reason in [
        "section \"raft\"",
        "bad frame length",
        "checksum mismatch",
        "unknown frame type 42",
        "undecodable envelope",
        "truncated frame",
    ] {
        assert!(
            log.contains(reason),
            "athens must log the reason {reason:?}:\n{log}"
        );
    }

    // The node is still up and still serves.
    let mut client = session(&cluster, "after-garbage");
    let reply = client
        .call(
            &ProcessId::new("athens"),
            Msg::Execute {
                request: RequestId::new(client.id(), 1),
                operation: Operation::set("title", "alice"),
            },
        )
        .expect("the client's storage is memory");
    assert!(
        matches!(reply, Ok(Msg::Executed { won: true, .. })),
        "athens must still decide after refusing garbage: {reply:?}"
    );
}

#[test]
fn bad_flags_an_unusable_data_directory_and_unreachable_servers_have_distinct_exit_codes() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let code = |out: std::process::Output| out.status.code();
    let bad_flag = Command::new(SERVER)
        .args(["--id", "athens", "--bogus"])
        .output();
    assert_eq!(
        bad_flag.map(code).ok().flatten(),
        Some(2),
        "an unknown flag is a usage error (2)"
    );

    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, "x").expect("a file");
    let unusable = Command::new(SERVER)
        .args([
            "--id",
            "athens",
            "--peers",
            "athens=127.0.0.1:0",
            "--data-dir",
        ])
        .arg(&file)
        .output()
        .expect("the server binary runs");
    assert_eq!(
        unusable.status.code(),
        Some(3),
        "a data directory that is a file is exit code 3: {unusable:?}"
    );
    assert!(String::from_utf8_lossy(&unusable.stderr).contains("data directory"));

    let port = common::real::local::free_ports(1).expect("a free port")[0];
    let unreachable = Command::new(CLIENT)
        .args([
            "--servers",
            &format!("athens={port}"),
            "--connect-timeout-ms",
            "300",
        ])
        .args(["set", "k", "v"])
        .output()
        .expect("the client binary runs");
    assert_eq!(
        unreachable.status.code(),
        Some(5),
        "no reachable server is exit code 5: {unreachable:?}"
    );
    assert!(
        String::from_utf8_lossy(&unreachable.stderr).contains("no server reachable within 300 ms")
    );
}
