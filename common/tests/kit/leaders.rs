//! The kit for protocols with a leader and a changing membership: clients that follow
//! `NotLeader { hint }` with the same request, invariants with ghost state of their own,
//! servers added and removed at run time, and the seeded runner with all three.

use common::check::models::{Register, RegisterOp, Ret};
use common::names::{ALICE, ATHENS, BYZANTIUM, CYRENE, DELPHI};
use common::sim::{self, Answer, Check, SimConfig, Workload};
use common::{
    Cluster, Ctx, Envelope, Follow, Message, Process, ProcessId, Redirect, RpcError, SimRng,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A toy register with a fixed leader: only the leader applies writes, once per request
/// id; the others point at it (or, when asked to, give no hint).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum Msg {
    Write {
        client: ProcessId,
        seq: u64,
        value: u64,
    },
    Read {
        client: ProcessId,
        seq: u64,
    },
    Done {
        value: Option<u64>,
    },
    NotLeader {
        hint: Option<ProcessId>,
    },
}

impl Message for Msg {
    fn kind(&self) -> &'static str {
        match self {
            Msg::Write { .. } => "Write",
            Msg::Read { .. } => "Read",
            Msg::Done { .. } => "Done",
            Msg::NotLeader { .. } => "NotLeader",
        }
    }
}

fn follow_hints(reply: &Msg) -> Redirect {
    match reply {
        Msg::NotLeader { hint: Some(h) } => Redirect::To(h.clone()),
        Msg::NotLeader { hint: None } => Redirect::Elsewhere,
        _ => Redirect::Done,
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct Server {
    leader: bool,
    give_hints: bool,
    value: Option<u64>,
    /// Request id -> how many times it was applied (must stay 1).
    applied: BTreeMap<(ProcessId, u64), u32>,
    servers_seen: Vec<ProcessId>,
}

impl Process for Server {
    type Msg = Msg;

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, env: Envelope<Msg>) {
        self.servers_seen = ctx.all_nodes().to_vec();
        if !self.leader {
            let hint = self.give_hints.then(|| ProcessId::new(ATHENS));
            ctx.reply(&env, Msg::NotLeader { hint });
            return;
        }
        match env.body.clone() {
            Msg::Write { client, seq, value } => {
                let count = self.applied.entry((client, seq)).or_insert(0);
                if *count == 0 {
                    self.value = Some(value);
                }
                *count += 1;
                ctx.reply(&env, Msg::Done { value: self.value });
            }
            Msg::Read { .. } => ctx.reply(&env, Msg::Done { value: self.value }),
            Msg::Done { .. } | Msg::NotLeader { .. } => {}
        }
    }
}

fn cluster(give_hints: bool) -> Cluster<Msg> {
    let mut cluster = Cluster::builder()
        .seed(5)
        .servers([ATHENS, BYZANTIUM, CYRENE])
        .request_timeout(20)
        .build(move |id, _| Server {
            leader: id == ATHENS,
            give_hints,
            ..Server::default()
        });
    cluster.add_client(ALICE);
    cluster
}

fn write(seq: u64, value: u64) -> Msg {
    Msg::Write {
        client: ALICE.into(),
        seq,
        value,
    }
}

#[test]
fn a_client_follows_the_hint_to_the_leader_with_the_same_request() {
    let mut cluster = cluster(true);
    let reply = cluster.call_following(ALICE, CYRENE, write(1, 10), Follow::new(50, follow_hints));
    assert_eq!(cluster.run(&reply), Ok(Msg::Done { value: Some(10) }));
    let leader = cluster.node::<Server>(ATHENS);
    assert_eq!(
        leader.applied.get(&(ProcessId::new(ALICE), 1)),
        Some(&1),
        "the redirected request is the same request, applied once"
    );
    let sent = cluster.node::<common::Client<Msg>>(ALICE).sent();
    assert_eq!(sent, 2, "one attempt at cyrene, one at the hinted leader");
}

#[test]
fn without_a_hint_the_client_tries_the_next_servers_in_turn() {
    let mut cluster = cluster(false);
    let reply = cluster.call_following(
        ALICE,
        BYZANTIUM,
        write(1, 11),
        Follow::new(60, follow_hints),
    );
    assert_eq!(cluster.run(&reply), Ok(Msg::Done { value: Some(11) }));
    let sent = cluster.node::<common::Client<Msg>>(ALICE).sent();
    assert_eq!(sent, 3, "byzantium, then cyrene, then athens (the leader)");
}

#[test]
fn an_attempt_that_times_out_moves_on_and_a_retry_is_applied_once() {
    let mut cluster = cluster(true);
    // The leader's first answer is lost, so the client retries: first cyrene (no
    // answer from athens in time), which points back at athens.
    cluster.net().drop_nth_kind("Done", ATHENS, ALICE, 1);
    let follow = Follow::new(80, follow_hints).attempt_timeout(8);
    let reply = cluster.call_following(ALICE, ATHENS, write(7, 70), follow);
    assert_eq!(cluster.run(&reply), Ok(Msg::Done { value: Some(70) }));
    assert_eq!(
        cluster
            .node::<Server>(ATHENS)
            .applied
            .get(&(ProcessId::new(ALICE), 7)),
        Some(&2),
        "the leader saw the request twice (the retry carried the same id) ..."
    );
    assert_eq!(
        cluster.node::<Server>(ATHENS).value,
        Some(70),
        "... and applied it once"
    );
}

#[test]
fn a_call_that_never_finds_an_answer_times_out_after_its_whole_budget() {
    let mut cluster = cluster(true);
    cluster.crash(ATHENS);
    let started = cluster.now();
    let follow = Follow::new(40, follow_hints).attempt_timeout(5);
    let reply = cluster.call_following(ALICE, BYZANTIUM, write(1, 1), follow);
    assert_eq!(
        cluster.run(&reply),
        Err(RpcError::Timeout { after_ticks: 40 })
    );
    let took = cluster.now() - started;
    assert!(
        (40..=42).contains(&took),
        "the call should end when its 40-tick budget runs out, it took {took}"
    );
}

#[test]
fn an_invariant_keeps_its_own_ghost_state_across_ticks() {
    let mut cluster = cluster(true);
    // Ghost state: the leader's value must never change back to one it already left.
    let mut history: Vec<u64> = Vec::new();
    cluster.add_invariant("the leader never returns to an old value", move |view| {
        let Some(leader) = view.node::<Server>(ATHENS) else {
            return Ok(());
        };
        if let Some(v) = leader.value
            && history.last() != Some(&v)
        {
            if history.contains(&v) {
                return Err(format!("value went back to {v} after {history:?}"));
            }
            history.push(v);
        }
        Ok(())
    });
    for (seq, value) in [(1, 1), (2, 2), (3, 3)] {
        let reply = cluster.call_following(
            ALICE,
            ATHENS,
            write(seq, value),
            Follow::new(30, follow_hints),
        );
        cluster.run(&reply).expect("the leader answers");
    }
    let back = cluster.call_following(ALICE, ATHENS, write(4, 1), Follow::new(30, follow_hints));
    let err = cluster
        .tick_until(|_| !back.is_pending())
        .expect_err("returning to value 1 must trip the invariant");
    assert!(
        err.to_string()
            .contains("value went back to 1 after [1, 2, 3]"),
        "the ghost state names the whole history: {err}"
    );
}

#[test]
fn a_server_added_at_run_time_is_in_every_nodes_view_of_the_servers() {
    let mut cluster = cluster(true);
    cluster.add_server(DELPHI);
    assert_eq!(cluster.servers(), &[ATHENS, BYZANTIUM, CYRENE, DELPHI]);
    let reply = cluster.call_following(ALICE, DELPHI, write(1, 5), Follow::new(30, follow_hints));
    assert_eq!(
        cluster.run(&reply),
        Ok(Msg::Done { value: Some(5) }),
        "the new server redirects too"
    );
    assert_eq!(
        cluster.node::<Server>(ATHENS).servers_seen,
        vec![
            ProcessId::new(ATHENS),
            ProcessId::new(BYZANTIUM),
            ProcessId::new(CYRENE),
            ProcessId::new(DELPHI)
        ],
        "an old server sees the new one in ctx.all_nodes()"
    );
    assert_eq!(
        cluster.node::<common::Client<Msg>>(ALICE).servers().len(),
        3,
        "the generic client keeps the list it was built with; its ctx.peers() is what changed"
    );
    assert_eq!(
        cluster.act::<common::Client<Msg>, _>(ALICE, |_, ctx| ctx.peers().len()),
        4,
        "a client's peers are every server, the new one included"
    );
}

#[test]
fn a_removed_server_is_gone_from_every_view_and_messages_to_it_are_dropped() {
    let mut cluster = cluster(true);
    cluster.remove_server(CYRENE);
    assert_eq!(cluster.servers(), &[ATHENS, BYZANTIUM]);
    assert_eq!(cluster.status(CYRENE), common::NodeStatus::Removed);
    let peers = cluster.act::<Server, _>(ATHENS, |_, ctx| ctx.peers().to_vec());
    assert_eq!(
        peers,
        vec![ProcessId::new(BYZANTIUM)],
        "athens no longer counts cyrene"
    );
    let reply = cluster.call_with_timeout(ALICE, CYRENE, write(1, 1), 10);
    assert_eq!(
        cluster.run(&reply),
        Err(RpcError::Timeout { after_ticks: 10 })
    );
    cluster.restart(CYRENE);
    assert_eq!(
        cluster.status(CYRENE),
        common::NodeStatus::Removed,
        "a removed server does not come back with a restart (the nemesis restarts everything)"
    );
}

/// Writes and reads of one register, each with a per-client request id, sent to a
/// random server: only the leader answers, so every operation needs the redirect.
#[derive(Default)]
struct LeaderWorkload {
    next_value: u64,
    next_seq: BTreeMap<ProcessId, u64>,
    redirected: u64,
}

impl Workload<Msg> for LeaderWorkload {
    type Input = RegisterOp<Option<u64>>;
    type Output = Ret<Option<u64>>;

    fn next_op(&mut self, rng: &mut SimRng, _client: &ProcessId) -> Option<Self::Input> {
        if rng.chance(0.5) {
            self.next_value += 1;
            Some(RegisterOp::Write(Some(self.next_value)))
        } else {
            Some(RegisterOp::Read)
        }
    }

    fn request(&mut self, client: &ProcessId, input: &Self::Input) -> Msg {
        let seq = self.next_seq.entry(client.clone()).or_insert(0);
        *seq += 1;
        match input {
            RegisterOp::Write(value) => Msg::Write {
                client: client.clone(),
                seq: *seq,
                value: value.unwrap_or_default(),
            },
            _ => Msg::Read {
                client: client.clone(),
                seq: *seq,
            },
        }
    }

    fn interpret(
        &mut self,
        input: &Self::Input,
        reply: Result<Msg, RpcError>,
    ) -> Answer<Self::Output> {
        match (input, reply) {
            (RegisterOp::Write(_), Ok(Msg::Done { .. })) => Answer::Ok(Ret::Done),
            (_, Ok(Msg::Done { value })) => Answer::Ok(Ret::Value(value)),
            (RegisterOp::Read, _) => Answer::Fail,
            _ => Answer::Info,
        }
    }

    fn redirect(reply: &Msg) -> Redirect {
        follow_hints(reply)
    }

    fn call(
        &mut self,
        cluster: &mut Cluster<Msg>,
        client: &ProcessId,
        server: &ProcessId,
        msg: Msg,
        follow: Follow<Msg>,
    ) -> common::Promise<Msg> {
        if server != ATHENS {
            self.redirected += 1;
        }
        cluster.call_following(client.as_str(), server.as_str(), msg, follow)
    }
}

#[test]
fn the_seeded_runner_drives_clients_that_follow_the_leader() {
    let mut workload = LeaderWorkload::default();
    let mut config = SimConfig::new(3);
    config.faults.mix = common::nemesis::FaultMix::none();
    config.chaos_ticks = 300;
    let run = sim::run(
        &config,
        |builder| {
            builder.build(|id, _| Server {
                leader: id == ATHENS,
                give_hints: true,
                ..Server::default()
            })
        },
        &mut workload,
        &Register::new(None),
        Check::Linearizable,
    );
    assert!(run.passed(), "{}", run.report());
    let text = run.history.to_text();
    let invoked = text.lines().filter(|l| l.contains(" invoke ")).count();
    let ok = text.lines().filter(|l| l.contains(" ok ")).count();
    assert!(
        invoked >= 20,
        "the clients should issue many operations, got {invoked}"
    );
    assert_eq!(
        ok, invoked,
        "without faults every operation must reach the leader and succeed:\n{text}"
    );
    assert!(
        workload.redirected > 10,
        "most operations start at a follower and need the redirect, got {}",
        workload.redirected
    );
}
