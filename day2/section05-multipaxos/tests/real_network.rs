//! The section's unchanged `Server`, run as three real processes on loopback by
//! `common::real`: a client follows `NotLeader` hints over TCP, and a `SIGKILL`ed server
//! restarts from its journal without losing an acknowledged write (judged by the
//! linearizability checker on the recorded history).

use common::check::{
    self,
    models::{KvOp, KvRegister, Ret},
};
use common::history::History;
use common::real::app::{ClientArgs, ClientSession};
use common::real::local::LocalCluster;
use common::{ProcessId, RpcError};
use multipaxos::{Msg, Operation, Outcome, RequestId};

const SERVER: &str = env!("CARGO_BIN_EXE_multipaxos-server");
const NODES: [&str; 3] = ["athens", "byzantium", "cyrene"];

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
        let session = ClientSession::connect("multipaxos", &args)
            .unwrap_or_else(|e| panic!("client connect: {e}"));
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
            .call_following(&ProcessId::new(via), msg, multipaxos::redirect)
            .expect("the client's storage is memory and cannot fail")
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
fn a_sigkilled_server_restarts_from_its_journal_and_no_acknowledged_write_is_lost() {
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
    cluster.kill("athens").unwrap_or_else(|e| panic!("{e}"));
    for i in 6..9 {
        // A majority is alive: the writes are acknowledged, whoever leads now.
        assert!(
            tester.put("byzantium", &format!("k{}", i % 3), &format!("v{i}")),
            "two of three servers must acknowledge write {i}"
        );
    }
    cluster.restart("athens").unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !cluster
            .log("athens")
            .contains(" 0 journal records replayed; start #2"),
        "the restarted athens must replay its journal:\n{}",
        cluster.log("athens")
    );
    cluster.kill("cyrene").unwrap_or_else(|e| panic!("{e}"));
    // Now athens must be part of every majority: it must remember what it acknowledged.
    for key in ["k0", "k1", "k2"] {
        let read = tester.get("athens", key);
        assert!(
            read.is_some(),
            "athens and byzantium must answer a read of {key}"
        );
    }
    assert_eq!(
        tester.get("athens", "k2"),
        Some(Some("v8".into())),
        "the last acknowledged write of k2 must be read back"
    );
    let verdict = check::linearizable(&KvRegister::new(None), &tester.history);
    assert!(
        verdict.is_ok(),
        "the recorded history must be linearizable: {verdict}"
    );
}
