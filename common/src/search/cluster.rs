//! A schedule of the search, replayed in the simulator: [`Model::replay_in_cluster`]
//! builds a scripted [`Cluster`] of the model's servers and takes the schedule's steps
//! there, checking the model's invariants on the cluster's nodes after each one.

use super::{Bounds, Model, Step, View};
use crate::cluster::Cluster;
use crate::error::ScriptError;
use crate::id::ProcessId;
use crate::msg::Envelope;
use crate::process::Process;
use crate::trace::Trace;
use std::fmt;
use std::hash::Hash;
use std::rc::Rc;

/// The first invariant of the model broken during a replay in the cluster, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokenAt {
    /// How many steps had been taken (0: broken in the initial state).
    pub step: usize,
    /// The invariant's name.
    pub invariant: String,
    /// What it said was wrong.
    pub reason: String,
}

/// A schedule replayed in a scripted [`Cluster`] (see [`Model::replay_in_cluster`]).
pub struct ClusterReplay<P: Process> {
    cluster: Cluster<P::Msg>,
    servers: Vec<ProcessId>,
    first_broken: Option<BrokenAt>,
}

impl<P: Process> ClusterReplay<P> {
    /// The cluster, in the state the schedule leads to.
    pub fn cluster(&self) -> &Cluster<P::Msg> {
        &self.cluster
    }

    /// The cluster's trace: one tick per step, each message held from its send to the
    /// step that delivers it; [`crate::picture::SequenceDiagram::from_trace`] draws it.
    pub fn trace(&self) -> &Trace<P::Msg> {
        self.cluster.trace()
    }

    /// The model's servers, in model order (the lanes to draw first).
    pub fn servers(&self) -> &[ProcessId] {
        &self.servers
    }

    /// The process of server `id`, unless it is crashed.
    pub fn node(&self, id: &str) -> Option<&P> {
        self.cluster.try_node::<P>(id)
    }

    /// What the clients were told, in order.
    pub fn replies(&self) -> &[Envelope<P::Msg>] {
        self.cluster.outside_messages()
    }

    /// The first invariant of the model that failed on the cluster's nodes, after how
    /// many steps; `None` if every invariant held after every step.
    pub fn first_broken(&self) -> Option<&BrokenAt> {
        self.first_broken.as_ref()
    }
}

/// The search's view of a cluster's nodes: their processes, their storage and what the
/// clients were told.
fn check<P>(model: &Model<P>, cluster: &Cluster<P::Msg>) -> Option<(String, String)>
where
    P: Process + Clone + Hash + fmt::Debug,
{
    let mut replies: Vec<&Envelope<P::Msg>> = Vec::new();
    for reply in cluster.outside_messages() {
        if !replies.iter().any(|seen| super::same(seen, reply)) {
            replies.push(reply);
        }
    }
    let in_flight = cluster
        .held_for_steps()
        .iter()
        .filter(|e| model.servers.contains(&e.to))
        .count();
    let view = View {
        servers: &model.servers,
        nodes: model
            .servers
            .iter()
            .map(|id| cluster.try_node::<P>(id.as_str()))
            .collect(),
        durable: model
            .servers
            .iter()
            .map(|id| cluster.store(id.as_str()).durable())
            .collect(),
        pending: model
            .servers
            .iter()
            .map(|id| cluster.store(id.as_str()).pending())
            .collect(),
        replies,
        in_flight,
    };
    model
        .invariants
        .iter()
        .find_map(|(name, check)| check(&view).err().map(|why| (name.clone(), why)))
}

impl<P> Model<P>
where
    P: Process + Clone + Hash + fmt::Debug,
{
    /// Replay `schedule` in the simulator: a [`Cluster`] built with
    /// [`ClusterBuilder::scripted`](crate::ClusterBuilder::scripted) of the model's
    /// servers (from the model's factory), with the model's client requests in flight
    /// from the start, takes the schedule's steps ([`Cluster::step`]); the model's
    /// invariants are checked on the cluster's nodes before the first step and after
    /// each one ([`ClusterReplay::first_broken`]). Under a network that is the set of
    /// messages ever sent ([`Bounds::UNLIMITED`] duplications) a delivery keeps its
    /// message in flight, as in the search.
    ///
    /// The cluster's clock advances one tick per step, where the search's processes
    /// always read tick 0, and each node keeps one random stream, where the search
    /// restarts it at every step: a process that keeps the tick or a random draw in its
    /// state (not only in a timer's deadline) can differ between the two replays.
    pub fn replay_in_cluster(
        &self,
        schedule: &[Step<P::Msg>],
    ) -> Result<ClusterReplay<P>, ScriptError> {
        let factory = Rc::clone(&self.factory);
        let mut cluster = Cluster::builder()
            .servers(self.servers.iter().cloned())
            .scripted()
            .build(move |id, _| factory(id));
        for request in &self.requests {
            cluster.inject(request.clone())?;
        }
        let set_network = self.bounds.duplications == Bounds::UNLIMITED;
        let mut first_broken = check(self, &cluster).map(|(invariant, reason)| BrokenAt {
            step: 0,
            invariant,
            reason,
        });
        for step in schedule {
            match step {
                Step::Deliver(e) if set_network => cluster.step(&Step::Duplicate(e.clone()))?,
                _ => cluster.step(step)?,
            }
            if first_broken.is_none() {
                first_broken = check(self, &cluster).map(|(invariant, reason)| BrokenAt {
                    step: cluster.steps_taken(),
                    invariant,
                    reason,
                });
            }
        }
        Ok(ClusterReplay {
            cluster,
            servers: self.servers.clone(),
            first_broken,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ScriptError;
    use crate::id::{CorrId, TimerId};
    use crate::picture::{Fate, SequenceDiagram};
    use crate::store::{Durability, WriteBatch};
    use crate::{Ctx, Message};
    use serde::{Deserialize, Serialize};

    #[derive(Clone, Debug, Serialize, Deserialize)]
    enum Msg {
        Put(u64),
        Ack(u64),
        Ping,
        Pong,
    }

    impl Message for Msg {
        fn kind(&self) -> &'static str {
            match self {
                Msg::Put(_) => "Put",
                Msg::Ack(_) => "Ack",
                Msg::Ping => "Ping",
                Msg::Pong => "Pong",
            }
        }
    }

    /// Keeps a total: a put is written (buffered), acknowledged when the write completes
    /// and synced after. A timer pings the peer; answers and timeouts are counted.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
    struct Keeper {
        total: u64,
        timers: u64,
        pongs: u64,
        timeouts: u64,
    }

    impl Process for Keeper {
        type Msg = Msg;

        fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
            self.total = ctx.load("total").ok().flatten().unwrap_or(0);
            ctx.set_timer(10);
        }

        fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, _: TimerId) {
            self.timers += 1;
            let peer = ctx.peers()[0].clone();
            ctx.request(
                peer,
                Msg::Ping,
                50,
                |keeper: &mut Self, _, answer| match answer {
                    Ok(_) => keeper.pongs += 1,
                    Err(_) => keeper.timeouts += 1,
                },
            );
        }

        fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, env: Envelope<Msg>) {
            match env.body {
                Msg::Ping => ctx.reply(&env, Msg::Pong),
                Msg::Put(v) => {
                    let total = self.total + v;
                    let bytes = crate::store::encode(&total).expect("a number encodes");
                    let batch = WriteBatch::new().put("total", bytes);
                    ctx.write(
                        batch,
                        Durability::Buffered,
                        move |k: &mut Self, ctx, done| {
                            if done.is_ok() {
                                k.total = total;
                                ctx.reply(&env, Msg::Ack(v));
                                ctx.sync(|_: &mut Self, _, _| {});
                            }
                        },
                    );
                }
                Msg::Ack(_) | Msg::Pong => {}
            }
        }
    }

    fn model() -> Model<Keeper> {
        Model::new(["athens", "byzantium"], |_| Keeper::default())
            .request("alice", "athens", Msg::Put(5))
            .bounds(
                Bounds::depth(12)
                    .crashes(1)
                    .losses(1)
                    .duplications(1)
                    .timeouts(true)
                    .ticks(1),
            )
            .invariant("no total above what was put", |view| {
                match view.running().find(|(_, k)| k.total > 5) {
                    Some((id, k)) => Err(format!("{id} holds {}", k.total)),
                    None => Ok(()),
                }
            })
    }

    fn envelope(
        from: &str,
        to: &str,
        corr: Option<CorrId>,
        reply_to: Option<CorrId>,
        body: Msg,
    ) -> Envelope<Msg> {
        Envelope {
            from: ProcessId::new(from),
            to: ProcessId::new(to),
            corr,
            in_reply_to: reply_to,
            body,
        }
    }

    /// Every kind of step: a delivery, a storage completion, timers, a duplicate, a
    /// late reply, a loss, a timeout, a crash that loses an unsynced write, a restart.
    fn every_kind_of_step() -> Vec<Step<Msg>> {
        let (athens, byzantium) = (ProcessId::new("athens"), ProcessId::new("byzantium"));
        let put = envelope(
            "alice",
            "athens",
            Some(CorrId::new(0, 1)),
            None,
            Msg::Put(5),
        );
        let ping = envelope(
            "athens",
            "byzantium",
            Some(CorrId::new(0, 1)),
            None,
            Msg::Ping,
        );
        let pong = envelope(
            "byzantium",
            "athens",
            None,
            Some(CorrId::new(0, 1)),
            Msg::Pong,
        );
        let back = envelope(
            "byzantium",
            "athens",
            Some(CorrId::new(0, 1)),
            None,
            Msg::Ping,
        );
        vec![
            Step::Deliver(put),
            Step::Storage(athens.clone()),
            Step::Timer(athens.clone(), TimerId(1)),
            Step::Deliver(ping),
            Step::Duplicate(pong.clone()),
            Step::Deliver(pong),
            Step::Timer(byzantium.clone(), TimerId(1)),
            Step::Lose(back),
            Step::Timeout(byzantium.clone(), CorrId::new(0, 1)),
            Step::Tick(byzantium),
            Step::Crash(athens.clone()),
            Step::Restart(athens),
        ]
    }

    #[test]
    fn a_passing_schedule_leaves_the_cluster_where_the_search_replay_ends() {
        let model = model();
        let schedule = every_kind_of_step();
        let enabled = self::model()
            .after(schedule.clone())
            .bounds(Bounds {
                max_depth: 0,
                ..model.bounds
            })
            .check();
        assert!(
            enabled.violation.is_none(),
            "every step is one the search itself could take: {enabled}"
        );
        let search = model
            .replay(&schedule)
            .expect("the schedule replays in the search");
        let cluster = model
            .replay_in_cluster(&schedule)
            .expect("the schedule replays in the cluster");
        assert_eq!(
            cluster.first_broken(),
            None,
            "the schedule breaks no invariant"
        );
        assert_eq!(
            cluster.cluster().steps_taken(),
            schedule.len(),
            "every step was taken"
        );
        for (i, id) in model.servers.iter().enumerate() {
            assert_eq!(
                format!("{:?}", cluster.node(id.as_str())),
                format!("{:?}", search.node(id.as_str())),
                "{id}'s process is the same after both replays"
            );
            assert_eq!(
                cluster.cluster().store(id.as_str()).durable(),
                &search.nodes[i].disk.durable,
                "{id}'s disk is the same after both replays"
            );
            assert_eq!(
                cluster.cluster().store(id.as_str()).pending(),
                search.nodes[i].disk.pending.len(),
                "{id} waits for as many storage operations after both replays"
            );
            let waits = cluster.cluster().continuations::<Keeper>(id.as_str());
            let search_waits = search.nodes[i]
                .node
                .process()
                .map(|_| search.nodes[i].node.continuations());
            assert_eq!(
                waits.map(|w| (w.timers.len(), w.requests.len(), w.storage)),
                search_waits.map(|w| (w.timers.len(), w.requests.len(), w.storage)),
                "{id} waits for the same timers, requests and writes after both replays"
            );
        }
        let athens = cluster.node("athens").expect("athens restarted");
        assert_eq!(
            (athens.total, athens.pongs),
            (0, 0),
            "the crash lost the unsynced write of 5 and the memory of the pong"
        );
        let byzantium = cluster.node("byzantium").expect("byzantium runs");
        assert_eq!(byzantium.timeouts, 1, "the lost ping timed out");
        let texts = |m: &[Envelope<Msg>]| {
            let mut t: Vec<String> = m.iter().map(|e| format!("{e:?}")).collect();
            t.sort();
            t
        };
        assert_eq!(
            texts(cluster.replies()),
            texts(search.replies()),
            "alice was told the same in both replays"
        );
        assert_eq!(
            texts(cluster.cluster().held_for_steps()),
            texts(search.in_flight()),
            "the same messages are still in flight after both replays"
        );
    }

    #[test]
    fn the_cluster_trace_draws_each_step_at_its_own_tick() {
        let schedule = every_kind_of_step();
        let replay = model().replay_in_cluster(&schedule).expect("it replays");
        assert_eq!(
            replay.cluster().now(),
            schedule.len() as u64,
            "one tick per step"
        );
        let diagram = SequenceDiagram::from_trace(replay.trace()).lanes(replay.servers());
        let arrow = |kind: &str| {
            diagram
                .arrows()
                .iter()
                .filter(|a| a.kind == kind)
                .map(|a| (a.sent, a.end, a.fate.clone(), a.duplicate))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            arrow("Put"),
            vec![(Some(0), Some(1), Fate::Delivered, false)],
            "the put is in flight from the start and delivered by step 1"
        );
        assert_eq!(
            arrow("Ping"),
            vec![
                (Some(3), Some(4), Fate::Delivered, false),
                (Some(7), Some(8), Fate::Lost("loss".into()), false),
            ],
            "athens's ping arrives at step 4; byzantium's is lost at step 8"
        );
        assert_eq!(
            arrow("Pong"),
            vec![
                (
                    Some(4),
                    Some(6),
                    Fate::Lost("no waiter (late or stale reply)".into()),
                    false
                ),
                (Some(5), Some(5), Fate::Delivered, true),
            ],
            "the pong's copy is answered at step 5, the original arrives late at step 6"
        );
        assert!(
            diagram.arrows().iter().all(|a| !a.lost_at_sender()),
            "a copy delivered in the tick it was made is drawn as delivered, not as a drop"
        );
    }

    #[test]
    fn a_counterexample_breaks_the_same_invariant_at_the_same_step_in_the_cluster() {
        let model = model().invariant("an acknowledged total is on disk", |view| {
            let durable: Option<u64> = view
                .durable("athens")
                .and_then(|d| d.load("total").ok().flatten());
            match view.replies().first().map(|r| &r.body) {
                Some(Msg::Ack(v)) if durable != Some(*v) => {
                    Err(format!("{v} acknowledged, disk holds {durable:?}"))
                }
                _ => Ok(()),
            }
        });
        let violation = model
            .check()
            .violation
            .expect("the early acknowledgement is caught");
        assert_eq!(
            violation.schedule.len(),
            2,
            "a delivery and a write: {violation}"
        );
        let replay = model
            .replay_in_cluster(&violation.schedule)
            .expect("it replays");
        assert_eq!(
            replay.first_broken(),
            Some(&BrokenAt {
                step: 2,
                invariant: violation.invariant.clone(),
                reason: violation.reason.clone(),
            }),
            "the cluster breaks the same invariant, for the same reason, after as many steps"
        );
    }

    #[test]
    fn a_step_that_cannot_be_taken_is_an_error_that_names_the_step_and_changes_nothing() {
        let model = model();
        let mut schedule = every_kind_of_step();
        let first = schedule[0].clone();
        schedule.insert(1, first);
        let Err(error) = model.replay_in_cluster(&schedule) else {
            panic!("a put delivered twice must not replay");
        };
        assert!(
            matches!(&error, ScriptError::NotInFlight { step: 2, message } if message.contains("Put(5)")),
            "the second delivery of the put names step 2 and the put: {error}"
        );
        let mut cluster = Cluster::builder()
            .servers(["athens", "byzantium"])
            .scripted()
            .build(|_, _| Keeper::default());
        let athens = ProcessId::new("athens");
        let refused = [
            (
                Step::Storage(athens.clone()),
                "athens has no storage operation pending",
            ),
            (
                Step::Timer(athens.clone(), TimerId(7)),
                "athens has no timer 7",
            ),
            (Step::Restart(athens.clone()), "athens is not down"),
            (
                Step::Crash(ProcessId::new("nowhere")),
                "nowhere is not a node",
            ),
        ];
        for (step, why) in refused {
            let error = cluster.step(&step).expect_err("the step is not enabled");
            assert!(
                error.to_string().starts_with("step 1: ") && error.to_string().contains(why),
                "'{step}' is refused as step 1 because {why}: {error}"
            );
        }
        assert_eq!(
            (cluster.now(), cluster.steps_taken()),
            (0, 0),
            "a refused step takes no tick and counts as no step"
        );
        cluster
            .step(&Step::Crash(athens.clone()))
            .expect("a running node crashes");
        let error = cluster
            .step(&Step::Crash(athens))
            .expect_err("a crashed node cannot crash");
        assert!(
            error.to_string().starts_with("step 2: athens is Down"),
            "a crash of a crashed node is refused as step 2: {error}"
        );
    }

    #[test]
    fn a_cluster_that_runs_on_its_clock_has_no_script_and_refuses_steps() {
        let mut cluster = Cluster::builder()
            .servers(["athens", "byzantium"])
            .build(|_, _| Keeper::default());
        assert!(!cluster.is_scripted(), "scripting is off by default");
        assert_eq!(
            cluster.step(&Step::Crash(ProcessId::new("athens"))),
            Err(ScriptError::NotScripted),
            "a timed cluster takes no steps"
        );
        cluster.tick_n(12);
        assert_eq!(
            cluster.node::<Keeper>("athens").pongs,
            1,
            "the timed cluster fires its timers and delivers its messages by itself"
        );
        assert!(
            cluster.held_for_steps().is_empty(),
            "nothing is held for steps"
        );
    }

    #[test]
    #[should_panic(expected = "a scripted cluster moves only by steps")]
    fn a_scripted_cluster_refuses_to_tick() {
        let mut cluster = Cluster::builder()
            .servers(["athens"])
            .scripted()
            .build(|_, _| Keeper::default());
        cluster.tick();
    }
}
