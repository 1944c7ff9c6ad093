//! The section's unchanged `Server`, run as three real processes on loopback by
//! `common::real`: they elect a leader, a client follows `NotLeader` hints over TCP, a
//! `SIGKILL`ed leader restarts from its journal without losing an acknowledged write
//! (judged by the linearizability checker on the recorded history), and garbage on a
//! socket closes only that socket.
//!
//! Every wait is bounded; ports are ephemeral and each test has its own temporary
//! directory.

use common::check::{
    self,
    models::{KvOp, KvRegister, Ret},
};
use common::history::History;
use common::real::app::{ClientArgs, ClientSession};
use common::real::frame::{self, Hello, MAX_FRAME_BYTES, TAG_MESSAGE};
use common::real::local::{LocalCluster, poll_until};
use common::{ProcessId, RpcError};
use raft::{Msg, Operation, Outcome, RequestId};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const SERVER: &str = env!("CARGO_BIN_EXE_raft-server");
const NODES: [&str; 3] = ["athens", "byzantium", "cyrene"];
/// Generous bounds for a loaded 2-core machine; a healthy run takes milliseconds.
const WAIT: Duration = Duration::from_secs(30);

type KvHistory = History<KvOp<String, Option<String>>, Ret<Option<String>>>;

/// One client, one request at a time, every operation recorded at the client's ticks.
struct Tester {
    session: ClientSession<Msg>,
    history: KvHistory,
    seq: u64,
}

impl Tester {
    fn connect(cluster: &LocalCluster) -> Self {
        let args = [
            "--servers".to_string(),
            cluster.servers_arg(),
            "--id".into(),
            "tester".into(),
            "--timeout-ms".into(),
            "10000".into(),
            "--connect-timeout-ms".into(),
            "10000".into(),
        ];
        let (args, _) = ClientArgs::parse(&args).expect("the test's client flags parse");
        let session =
            ClientSession::connect("raft", &args).unwrap_or_else(|e| panic!("client connect: {e}"));
        Tester {
            session,
            history: History::new(),
            seq: 0,
        }
    }

    fn execute(&mut self, via: &str, operation: Operation) -> Result<Msg, RpcError> {
        self.seq += 1;
        let msg = Msg::Execute {
            request: RequestId::new("tester", self.seq),
            operation,
        };
        self.session
            .call_following(&ProcessId::new(via), msg, raft::redirect)
            .expect("the client's storage is memory and cannot fail")
    }

    /// The server that answers a read itself rather than with `NotLeader`: the leader.
    /// The read is not recorded; it changes nothing.
    fn leader(&mut self) -> String {
        for via in NODES {
            self.seq += 1;
            let msg = Msg::Execute {
                request: RequestId::new("tester", self.seq),
                operation: Operation::get("k0"),
            };
            let reply = self
                .session
                .call(&ProcessId::new(via), msg)
                .expect("the client's storage is memory and cannot fail");
            if matches!(reply, Ok(Msg::Executed { .. })) {
                return via.to_string();
            }
        }
        panic!("after acknowledged writes, one server must answer a read as the leader")
    }

    fn put(&mut self, via: &str, key: &str, value: &str) -> bool {
        let input = KvOp::Write(key.to_owned(), Some(value.to_owned()));
        let op = self.history.invoke("tester", input, self.session.now());
        let operation = Operation::Set {
            key: key.into(),
            value: value.into(),
        };
        let reply = self.execute(via, operation);
        let now = self.session.now();
        match reply {
            Ok(Msg::Executed { .. }) => {
                self.history.ok(op, Ret::Done, now);
                true
            }
            _ => {
                self.history.info(op, now);
                false
            }
        }
    }

    fn get(&mut self, via: &str, key: &str) -> Option<Option<String>> {
        let op = self
            .history
            .invoke("tester", KvOp::Read(key.to_owned()), self.session.now());
        let reply = self.execute(via, Operation::Get { key: key.into() });
        let now = self.session.now();
        match reply {
            Ok(Msg::Executed {
                outcome: Outcome::Read { value },
                ..
            }) => {
                self.history.ok(op, Ret::Value(value.clone()), now);
                Some(value)
            }
            _ => {
                self.history.fail(op, now);
                None
            }
        }
    }
}

#[test]
fn a_sigkilled_leader_restarts_from_its_journal_and_no_acknowledged_write_is_lost() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut cluster = LocalCluster::start(SERVER, &NODES, dir.path())
        .unwrap_or_else(|e| panic!("cluster start: {e}"));
    let mut tester = Tester::connect(&cluster);
    // Asked through each server in turn: the non-leaders answer NotLeader, followed.
    for (i, via) in NODES.iter().cycle().take(6).enumerate() {
        assert!(
            tester.put(via, &format!("k{}", i % 3), &format!("v{i}")),
            "a healthy cluster must acknowledge write {i} asked through {via}"
        );
    }
    let leader = tester.leader();
    let survivors: Vec<&str> = NODES.iter().copied().filter(|n| *n != leader).collect();
    cluster.kill(&leader).unwrap_or_else(|e| panic!("{e}"));
    for i in 6..9 {
        // A majority is alive: the two survivors elect a leader and acknowledge.
        assert!(
            tester.put(survivors[0], &format!("k{}", i % 3), &format!("v{i}")),
            "two of three servers must acknowledge write {i} after the leader {leader} died"
        );
    }
    cluster.restart(&leader).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !cluster
            .log(&leader)
            .contains(" 0 journal records replayed; start #2"),
        "the restarted {leader} must replay its journal:\n{}",
        cluster.log(&leader)
    );
    cluster.kill(survivors[1]).unwrap_or_else(|e| panic!("{e}"));
    // Now the old leader is part of every majority: it must remember its log.
    for key in ["k0", "k1", "k2"] {
        let read = tester.get(&leader, key);
        assert!(
            read.is_some(),
            "{leader} and {} must answer a read of {key}",
            survivors[0]
        );
    }
    assert_eq!(
        tester.get(&leader, "k2"),
        Some(Some("v8".into())),
        "the last acknowledged write of k2 must be read back"
    );
    let verdict = check::linearizable(&KvRegister::new(None), &tester.history);
    assert!(
        verdict.is_ok(),
        "the recorded history must be linearizable: {verdict}"
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
    let cluster = LocalCluster::start(SERVER, &NODES, dir.path())
        .unwrap_or_else(|e| panic!("cluster start: {e}"));
    let addr = cluster.addr("athens").expect("athens has an address");
    let hello = frame::encode_hello(&Hello::new("raft", ProcessId::new("mallory")));
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
            frame::encode_hello(&Hello::new("paxos", ProcessId::new("mallory"))),
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
        "section \"paxos\"",
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

    // The node is still up and still serves: a write through it (following its hint
    // if it does not lead) is acknowledged and read back.
    let mut tester = Tester::connect(&cluster);
    assert!(
        tester.put("athens", "title", "alice"),
        "the cluster must acknowledge a write through athens after it refused garbage"
    );
    assert_eq!(
        tester.get("athens", "title"),
        Some(Some("alice".into())),
        "the write must be read back through athens after it refused garbage"
    );
}
