//! The seeded simulation runner: random workloads under random faults, then a check.
//!
//! One **seed** decides everything about a run: the cluster's configuration (in swarm
//! mode), the workload, the network's latencies and losses, and the nemesis's fault plan.
//! A run has three phases:
//!
//! 1. **chaos** — clients issue operations (one outstanding per client) while the nemesis
//!    applies its plan under the fault budget;
//! 2. **quiesce** — every fault is undone (links healed, rules removed, paused nodes
//!    resumed, crashed nodes restarted), clients stop issuing, and every operation still
//!    outstanding must finish within `quiesce_ticks`; then each client may issue a final
//!    operation that must succeed (a **liveness** check: a healed cluster makes progress);
//! 3. **check** — the recorded history is checked for linearizability (or sequential
//!    consistency) against a model, and the cluster's invariants must have held on every
//!    tick.
//!
//! [`sweep`] runs many seeds. The seed of a failing run is printed with a command that
//! replays exactly that run (`SIM_SEED=… cargo test -p … <test>`), and the run's fault
//! plan, trace, history and timeline are written under `target/sim-failures/`, with
//! pictures of the run (a message sequence diagram and the history's timeline with the
//! counterexample highlighted; see [`crate::picture`]). Only failed runs are drawn.
//!
//! | variable | effect |
//! |---|---|
//! | `SIM_SEED=s` | run only seed `s` (replay) in every sweep; negative controls ignore it unless `SIM_TEST` names them |
//! | `SIM_TEST=name` | scope `SIM_SEED` to the test of that name: every other test runs its usual seeds |
//! | `SIM_ITERS=n` | run `n` seeds instead of the test's default |
//! | `SIM_BASE_SEED=b` | start the sweep at seed `b`; `SIM_BASE_SEED=random` draws a fresh base (printed) |
//! | `SIM_FULL_TRACE=1` | keep every trace event the cluster kept in the run's record, not only the last 60 |

use crate::check::{Checker, Model, Verdict};
use crate::client::{Follow, Redirect};
use crate::cluster::{Cluster, ClusterBuilder};
use crate::error::RpcError;
use crate::history::{History, Op, ToValue};
use crate::id::{OpId, ProcessId};
use crate::msg::Message;
use crate::nemesis::{FaultConfig, FaultMix, FaultPlan, Nemesis};
use crate::net::NetConfig;
use crate::picture::{HistoryTimeline, Pictures, SequenceDiagram};
use crate::promise::Promise;
use crate::rng::SimRng;
use crate::store::{CrashPolicy, StoreConfig};
use crate::time::Tick;
use std::cell::RefCell;
use std::fmt;
use std::path::PathBuf;
use std::rc::Rc;

/// What a client learned about one operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer<O> {
    /// It happened, with this output.
    Ok(O),
    /// It definitely did not happen (rejected before taking any effect).
    Fail,
    /// Unknown: it may have happened or not (a timeout, a crash, a partial failure).
    Info,
}

/// Everything a run depends on besides the protocol and the workload.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// The seed of everything.
    pub seed: u64,
    /// Server names.
    pub servers: Vec<ProcessId>,
    /// Number of clients (named `c1`, `c2`, ...).
    pub clients: usize,
    /// Length of the chaos phase.
    pub chaos_ticks: Tick,
    /// Budget of the quiesce phase (outstanding operations and final operations).
    pub quiesce_ticks: Tick,
    /// Probability that an idle client issues an operation in a tick.
    pub op_probability: f64,
    /// The clients' request timeout in ticks (an operation that times out is `info`).
    pub client_timeout: Tick,
    /// Ticks one attempt of a client's call may take before the client tries another
    /// server (default `None`: the whole `client_timeout`, one attempt unless a reply
    /// redirects the client).
    pub client_attempt_timeout: Option<Tick>,
    /// The cluster's default request timeout for server-to-server requests.
    pub request_timeout: Tick,
    /// Network settings.
    pub net: NetConfig,
    /// Storage settings.
    pub store: StoreConfig,
    /// How the nemesis draws faults.
    pub faults: FaultConfig,
    /// The checker's state budget per partition.
    pub max_states: u64,
    /// Postcard-encode every message (catches messages a real network could not carry).
    pub roundtrip_codec: bool,
    /// A fault plan to apply instead of drawing one from the seed (proptest uses this
    /// to shrink a failing schedule).
    pub plan: Option<FaultPlan>,
}

/// The names used for `n` servers: the course's names (see [`crate::names`]), then `s5`,
/// `s6`, ...
pub fn server_names(n: usize) -> Vec<ProcessId> {
    use crate::names::{ATHENS, BYZANTIUM, CYRENE, DELPHI, EPHESUS};
    const NAMES: [&str; 5] = [ATHENS, BYZANTIUM, CYRENE, DELPHI, EPHESUS];
    (0..n)
        .map(|i| {
            NAMES
                .get(i)
                .map(ProcessId::new)
                .unwrap_or_else(|| ProcessId::new(format!("s{i}")))
        })
        .collect()
}

impl SimConfig {
    /// Three servers, three clients, 1,000 ticks of network faults, then 500 ticks to
    /// settle.
    pub fn new(seed: u64) -> Self {
        SimConfig {
            seed,
            servers: server_names(3),
            clients: 3,
            chaos_ticks: 1000,
            quiesce_ticks: 500,
            op_probability: 0.1,
            client_timeout: 60,
            client_attempt_timeout: None,
            request_timeout: 20,
            net: NetConfig {
                latency: (1, 3),
                ..NetConfig::default()
            },
            store: StoreConfig::default(),
            faults: FaultConfig::default(),
            max_states: 2_000_000,
            roundtrip_codec: false,
            plan: None,
        }
    }

    /// Swarm testing: the seed also draws the configuration — 3 or 5 servers, 1 to 4
    /// clients, latencies, loss, storage delay, and a random subset of fault kinds — so
    /// different seeds explore different corners instead of the same one harder.
    pub fn swarm(seed: u64) -> Self {
        let mut rng = SimRng::derive(seed, "swarm");
        let servers = if rng.chance(0.5) { 3 } else { 5 };
        let max_latency = rng.range(1, 5);
        let mut mix = FaultMix::network_and_crashes();
        for weight in [
            &mut mix.partition,
            &mut mix.isolate,
            &mut mix.one_way,
            &mut mix.delay,
            &mut mix.hold,
            &mut mix.duplicate,
            &mut mix.crash,
            &mut mix.crash_torn,
            &mut mix.pause,
            &mut mix.disk_fail,
        ] {
            if rng.chance(0.4) {
                *weight = 0;
            }
        }
        SimConfig {
            servers: server_names(servers),
            clients: 1 + rng.below(4),
            op_probability: [0.05, 0.1, 0.3][rng.below(3)],
            net: NetConfig {
                latency: (1, max_latency),
                loss: [0.0, 0.0, 0.01, 0.05][rng.below(4)],
                fifo: rng.chance(0.7),
                ..NetConfig::default()
            },
            store: StoreConfig {
                delay: (1, rng.range(1, 4)),
                crash_policy: if rng.chance(0.5) {
                    CrashPolicy::LoseUnsynced
                } else {
                    CrashPolicy::KeepPrefix
                },
                ..StoreConfig::default()
            },
            faults: FaultConfig {
                mix,
                mean_gap_ticks: rng.range(10, 80),
                ..FaultConfig::default()
            },
            ..Self::new(seed)
        }
    }

    /// The client names.
    pub fn client_names(&self) -> Vec<ProcessId> {
        (1..=self.clients)
            .map(|i| ProcessId::new(format!("c{i}")))
            .collect()
    }

    /// A cluster builder with this configuration's seed, servers, network, storage and
    /// timeouts: pass it on to `build(factory)`.
    pub fn builder(&self) -> ClusterBuilder {
        Cluster::builder()
            .seed(self.seed)
            .servers(self.servers.clone())
            .net(self.net.clone())
            .store(self.store.clone())
            .request_timeout(self.request_timeout)
            .budget(self.quiesce_ticks)
            .roundtrip_codec(self.roundtrip_codec)
    }
}

/// What clients do: which operations, sent how, and what the replies mean.
///
/// Every method takes `&mut self`, so a workload can keep state of its own: per-client
/// request ids, the last leader a client heard of, counts for a report.
pub trait Workload<M: Message> {
    /// An operation as the history records it.
    type Input: Clone + fmt::Debug + Op;
    /// A result as the history records it.
    type Output: Clone + fmt::Debug + ToValue;

    /// The next operation of an idle client, or `None` to stay idle this tick. Use a
    /// small key space and unique written values so that the check has teeth.
    fn next_op(&mut self, rng: &mut SimRng, client: &ProcessId) -> Option<Self::Input>;

    /// Which server the client sends `input` to (default: one drawn at random).
    fn target(
        &mut self,
        rng: &mut SimRng,
        client: &ProcessId,
        servers: &[ProcessId],
        input: &Self::Input,
    ) -> ProcessId {
        let _ = (client, input);
        servers[rng.below(servers.len())].clone()
    }

    /// The request message for `input`. It is built once per operation: a client that
    /// follows redirects re-sends this same message (with the same request id, if the
    /// protocol puts one in it) to each server it tries.
    fn request(&mut self, client: &ProcessId, input: &Self::Input) -> M;

    /// What the reply (or its absence) means for the history. A write that timed out or
    /// failed part-way must be [`Answer::Info`], never [`Answer::Fail`].
    fn interpret(
        &mut self,
        input: &Self::Input,
        reply: Result<M, RpcError>,
    ) -> Answer<Self::Output>;

    /// Whether a reply is the answer or sends the client elsewhere (default: every reply
    /// is the answer). A protocol with a leader maps `NotLeader { hint }` to
    /// [`Redirect::To`] or [`Redirect::Elsewhere`], and the client tries again there.
    fn redirect(reply: &M) -> Redirect
    where
        Self: Sized,
    {
        let _ = reply;
        Redirect::Done
    }

    /// Put client `id` in the cluster (default: the generic [`crate::Client`]). Override
    /// it, with [`Workload::call`], to run a client process of the section's own.
    fn add_client(&mut self, cluster: &mut Cluster<M>, id: &ProcessId) {
        cluster.add_client(id.clone());
    }

    /// Send `msg` from `client` to `server` and return the promise of its answer
    /// (default: the generic client, following [`Workload::redirect`] within `follow`).
    fn call(
        &mut self,
        cluster: &mut Cluster<M>,
        client: &ProcessId,
        server: &ProcessId,
        msg: M,
        follow: Follow<M>,
    ) -> Promise<M>
    where
        Self: Sized,
    {
        cluster.call_following(client.as_str(), server.as_str(), msg, follow)
    }

    /// An operation each client issues once the cluster has healed; it must complete with
    /// [`Answer::Ok`] (default: none, no liveness requirement beyond finishing).
    fn final_op(&mut self, client: &ProcessId) -> Option<Self::Input> {
        let _ = client;
        None
    }
}

/// Which consistency the history must satisfy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Check {
    /// Linearizability (real-time order).
    #[default]
    Linearizable,
    /// Sequential consistency (per-client order).
    Sequential,
    /// No history check (invariants and liveness only).
    None,
}

/// Why a run failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// A cluster invariant was violated.
    Invariant(String),
    /// The history is not consistent.
    Inconsistent(String),
    /// The checker ran out of budget (treated as a failure: raise `max_states` or shrink
    /// the workload).
    GaveUp(String),
    /// After healing, an operation did not complete, or a final operation did not succeed.
    Liveness(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Invariant(m) => write!(f, "invariant violated: {m}"),
            Failure::Inconsistent(m) => write!(f, "history check failed: {m}"),
            Failure::GaveUp(m) => write!(f, "checker gave up: {m}"),
            Failure::Liveness(m) => write!(f, "no progress after healing: {m}"),
        }
    }
}

/// The record of one run.
#[derive(Debug)]
pub struct SimRun<I, O> {
    /// The seed.
    pub seed: u64,
    /// The configuration used.
    pub config: SimConfig,
    /// The fault plan applied.
    pub plan: FaultPlan,
    /// What clients saw.
    pub history: History<I, O>,
    /// The checker's verdict (`None` when not checked or the run failed before).
    pub verdict: Option<Verdict>,
    /// Why it failed, if it did.
    pub failure: Option<Failure>,
    /// The last trace events of the run.
    pub trace_tail: String,
    /// The hash of the whole trace.
    pub trace_hash: u64,
    /// Ticks simulated.
    pub ticks: Tick,
    /// The cluster's diagnostic report at the end of a failed run (empty if it passed).
    pub cluster_report: String,
    /// The pictures of a failed run: its message sequence diagram and its history's
    /// timeline (`None` if it passed: a sweep does not spend time drawing passing runs).
    pub pictures: Option<Pictures>,
}

struct InFlightOp<M, I> {
    op: OpId,
    input: I,
    promise: Promise<M>,
    final_op: bool,
}

/// The client side of a run: who is busy with what, and the history.
struct Driver<'w, M: Message, W: Workload<M>> {
    workload: &'w mut W,
    rng: SimRng,
    clients: Vec<ProcessId>,
    busy: Vec<Option<InFlightOp<M, W::Input>>>,
    history: History<W::Input, W::Output>,
    client_timeout: Tick,
    client_attempt_timeout: Option<Tick>,
}

impl<M: Message, W: Workload<M>> Driver<'_, M, W> {
    fn issue(&mut self, cluster: &mut Cluster<M>, index: usize, input: W::Input, final_op: bool) {
        let client = self.clients[index].clone();
        let server = self
            .workload
            .target(&mut self.rng, &client, cluster.servers(), &input);
        let op = self
            .history
            .invoke(client.clone(), input.clone(), cluster.now());
        let msg = self.workload.request(&client, &input);
        let mut follow = Follow::new(self.client_timeout, W::redirect);
        if let Some(ticks) = self.client_attempt_timeout {
            follow = follow.attempt_timeout(ticks);
        }
        let promise = self.workload.call(cluster, &client, &server, msg, follow);
        self.busy[index] = Some(InFlightOp {
            op,
            input,
            promise,
            final_op,
        });
    }

    /// Idle clients may start an operation.
    fn maybe_issue(&mut self, cluster: &mut Cluster<M>, probability: f64) {
        for index in 0..self.clients.len() {
            if self.busy[index].is_some() || !self.rng.chance(probability) {
                continue;
            }
            let client = self.clients[index].clone();
            if let Some(input) = self.workload.next_op(&mut self.rng, &client) {
                self.issue(cluster, index, input, false);
            }
        }
    }

    /// Record every completed operation. Returns final operations that did not succeed.
    fn poll(&mut self, now: Tick) -> Vec<String> {
        let mut unsuccessful_finals = Vec::new();
        for slot in &mut self.busy {
            let Some(result) = slot.as_ref().and_then(|f| f.promise.result()) else {
                continue;
            };
            let Some(flight) = slot.take() else { continue };
            let answer = self.workload.interpret(&flight.input, result);
            let succeeded = matches!(answer, Answer::Ok(_));
            match answer {
                Answer::Ok(output) => self.history.ok(flight.op, output, now),
                Answer::Fail => self.history.fail(flight.op, now),
                Answer::Info => self.history.info(flight.op, now),
            }
            if flight.final_op && !succeeded {
                unsuccessful_finals.push(format!(
                    "final operation {} {:?} did not succeed",
                    flight.op, flight.input
                ));
            }
        }
        unsuccessful_finals
    }

    fn idle(&self) -> bool {
        self.busy.iter().all(Option::is_none)
    }

    fn outstanding(&self) -> Vec<String> {
        self.busy
            .iter()
            .zip(&self.clients)
            .filter_map(|(b, c)| b.as_ref().map(|f| format!("{c}: {} {:?}", f.op, f.input)))
            .collect()
    }
}

/// Run one seed: build the cluster with `build(config.builder())` (add invariants
/// there), drive `workload` under the nemesis, heal, then check the history against
/// `model`.
pub fn run<M, W, Mo>(
    config: &SimConfig,
    build: impl FnOnce(ClusterBuilder) -> Cluster<M>,
    workload: &mut W,
    model: &Mo,
    check: Check,
) -> SimRun<W::Input, W::Output>
where
    M: Message,
    W: Workload<M>,
    Mo: Model<Input = W::Input, Output = W::Output>,
{
    let mut cluster = build(config.builder());
    let clients = config.client_names();
    for client in &clients {
        workload.add_client(&mut cluster, client);
    }
    let plan = match &config.plan {
        Some(plan) => plan.clone(),
        None => FaultPlan::random(
            &mut SimRng::derive(config.seed, "nemesis"),
            &config.servers,
            &config.faults,
            config.chaos_ticks,
        ),
    };
    let mut nemesis = Nemesis::new(plan.clone());
    let mut driver = Driver {
        workload,
        rng: SimRng::derive(config.seed, "workload"),
        busy: clients.iter().map(|_| None).collect(),
        clients,
        history: History::new(),
        client_timeout: config.client_timeout,
        client_attempt_timeout: config.client_attempt_timeout,
    };
    let failure = drive(config, &mut cluster, &mut nemesis, &mut driver).err();
    let verdict = match (&failure, check) {
        (None, Check::Linearizable) => Some(
            Checker::new()
                .max_states(config.max_states)
                .linearizable(model, &driver.history),
        ),
        (None, Check::Sequential) => Some(
            Checker::new()
                .max_states(config.max_states)
                .sequential(model, &driver.history),
        ),
        _ => None,
    };
    let failure = failure.or_else(|| match &verdict {
        Some(Verdict::Violation(_)) => Some(Failure::Inconsistent(
            verdict
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        )),
        Some(Verdict::GaveUp(_)) => Some(Failure::GaveUp(
            verdict
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        )),
        _ => None,
    });
    let cluster_report = if failure.is_some() {
        cluster.report()
    } else {
        String::new()
    };
    let pictures = failure.as_ref().map(|failure| {
        let title = format!(
            "seed {}: {}",
            config.seed,
            failure.to_string().lines().next().unwrap_or_default()
        );
        draw_pictures(&title, &cluster, &driver.history, model, verdict.as_ref())
    });
    SimRun {
        seed: config.seed,
        config: config.clone(),
        plan,
        history: driver.history,
        verdict,
        failure,
        trace_tail: if std::env::var("SIM_FULL_TRACE").is_ok() {
            cluster.trace().render()
        } else {
            cluster.trace().tail(60)
        },
        trace_hash: cluster.trace_hash(),
        ticks: cluster.now(),
        cluster_report,
        pictures,
    }
}

/// The pictures of a failed run: the whole kept trace as a sequence diagram, and the
/// history's timeline, restricted to the failing key and highlighted when the checker
/// found a counterexample.
fn draw_pictures<M, Mo>(
    title: &str,
    cluster: &Cluster<M>,
    history: &History<Mo::Input, Mo::Output>,
    model: &Mo,
    verdict: Option<&Verdict>,
) -> Pictures
where
    M: Message,
    Mo: Model,
    Mo::Input: Op,
    Mo::Output: ToValue,
{
    let diagram = SequenceDiagram::of_cluster(cluster).title(title);
    let timeline = match verdict.and_then(Verdict::counterexample) {
        Some(counterexample) => HistoryTimeline::of_violation(history, model, counterexample),
        None => HistoryTimeline::new(history),
    };
    Pictures {
        sequence_html: diagram.to_html(),
        sequence_mermaid: diagram.to_mermaid(),
        history_html: timeline.title(title).to_html(),
    }
}

fn drive<M: Message, W: Workload<M>>(
    config: &SimConfig,
    cluster: &mut Cluster<M>,
    nemesis: &mut Nemesis,
    driver: &mut Driver<'_, M, W>,
) -> Result<(), Failure> {
    let invariant = |e: crate::error::ClusterError| match e {
        // The cluster report goes to the artefacts; the failure itself stays one line.
        crate::error::ClusterError::Invariant {
            name,
            tick,
            message,
            ..
        } => Failure::Invariant(format!("'{name}' at tick {tick}: {message}")),
        other => Failure::Invariant(other.to_string()),
    };
    // Chaos.
    for _ in 0..config.chaos_ticks {
        nemesis.apply_due(cluster);
        driver.maybe_issue(cluster, config.op_probability);
        cluster.try_tick().map_err(invariant)?;
        driver.poll(cluster.now());
    }
    // Quiesce: heal everything; what is outstanding must finish.
    nemesis.quiesce(cluster);
    let deadline = cluster.now() + config.quiesce_ticks;
    while !driver.idle() && cluster.now() < deadline {
        cluster.try_tick().map_err(invariant)?;
        driver.poll(cluster.now());
    }
    if !driver.idle() {
        return Err(Failure::Liveness(format!(
            "still outstanding after healing: {}",
            driver.outstanding().join("; ")
        )));
    }
    // Liveness: one final operation per client must succeed.
    for index in 0..driver.clients.len() {
        let client = driver.clients[index].clone();
        if let Some(input) = driver.workload.final_op(&client) {
            driver.issue(cluster, index, input, true);
        }
    }
    let mut unsuccessful = Vec::new();
    while !driver.idle() && cluster.now() < deadline + config.quiesce_ticks {
        cluster.try_tick().map_err(invariant)?;
        unsuccessful.extend(driver.poll(cluster.now()));
    }
    if !driver.idle() {
        unsuccessful.push(format!(
            "final operations still outstanding: {}",
            driver.outstanding().join("; ")
        ));
    }
    if unsuccessful.is_empty() {
        Ok(())
    } else {
        Err(Failure::Liveness(unsuccessful.join("; ")))
    }
}

impl<I: Op + fmt::Debug, O: ToValue + fmt::Debug> SimRun<I, O> {
    /// `true` when the run passed every check.
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }

    /// A full account of the run for a failure message or an artefact file.
    pub fn report(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "seed {}: {} after {} ticks\n",
            self.seed,
            self.failure
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_else(|| "passed".into()),
            self.ticks
        ));
        out.push_str(&format!("fault plan:\n{}", self.plan));
        out.push_str(&format!(
            "history ({} operations):\n{}",
            self.history.len(),
            self.history.to_text()
        ));
        out.push_str(&format!("timeline:\n{}", self.history.timeline()));
        out.push_str(&format!("last trace events:\n{}", self.trace_tail));
        out
    }

    /// The files written for a failed run: name and contents (the pictures last, when
    /// the run drew them).
    pub fn artefacts(&self) -> Vec<(&'static str, String)> {
        let mut files = vec![
            ("summary.txt", self.report()),
            ("plan.txt", self.plan.to_string()),
            ("history.txt", self.history.to_text()),
            ("history.edn", self.history.to_edn()),
            ("timeline.txt", self.history.timeline()),
            ("trace-tail.txt", self.trace_tail.clone()),
            ("cluster-report.txt", self.cluster_report.clone()),
            ("config.txt", format!("{:#?}", self.config)),
            ("README.txt", ARTEFACTS_GUIDE.to_string()),
        ];
        if let Some(pictures) = &self.pictures {
            files.extend(pictures.files());
        }
        files
    }
}

/// What runs exercised: a sweep adds these up, so a test can claim the seeds really ran
/// under faults and gave the checker work (a sweep that passes proves little if its
/// runs did nothing).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Exercised {
    /// Runs counted.
    pub seeds: u64,
    /// Client operations invoked.
    pub invoked_ops: u64,
    /// Client operations that completed with an output (the checker's material; the
    /// rest failed or have an unknown outcome, which the checker may place anywhere).
    pub completed_ops: u64,
    /// Faults in the runs' fault plans (after the fault budget).
    pub planned_faults: u64,
    /// Runs whose plan crashed at least one node.
    pub seeds_with_a_crash: u64,
}

impl Exercised {
    /// Add another run's (or sweep's) figures.
    pub fn add(&mut self, other: Exercised) {
        self.seeds += other.seeds;
        self.invoked_ops += other.invoked_ops;
        self.completed_ops += other.completed_ops;
        self.planned_faults += other.planned_faults;
        self.seeds_with_a_crash += other.seeds_with_a_crash;
    }
}

impl std::fmt::Display for Exercised {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let per_seed = |n: u64| n as f64 / self.seeds.max(1) as f64;
        write!(
            f,
            "{} seeds: {:.1} operations ({:.1} completed) and {:.1} planned faults a seed, a crash in {} of them",
            self.seeds,
            per_seed(self.invoked_ops),
            per_seed(self.completed_ops),
            per_seed(self.planned_faults),
            self.seeds_with_a_crash
        )
    }
}

/// What each artefact of a failed run holds, written beside them as `README.txt`.
pub const ARTEFACTS_GUIDE: &str = "\
How to read a failed simulation run
===================================
replay.txt          the command that replays exactly this run (same seed, same test)
summary.txt         everything in one file: the failure, the fault plan, the history,
                    the timeline and the last trace events
plan.txt            the faults the nemesis applied: which, when, for how long
history.txt         what each client invoked and what it got back, in tick order
                    (ok = happened, fail = did not happen, info = unknown)
history.edn         the same history for other checkers (Knossos, Porcupine)
timeline.txt        the history drawn per client; an open bar is an unknown outcome
trace-tail.txt      the last events of the run: sends, deliveries, drops, timers,
                    crashes, storage (SIM_FULL_TRACE=1 keeps the whole trace)
cluster-report.txt  each node's state when the run stopped: what it waited for,
                    messages in flight and held, rules, cut links
config.txt          the run's configuration (servers, clients, network, storage)
sequence.html       the run drawn as a message sequence diagram: one lane per node,
                    an arrow per message (a cross where it was lost, dashed for a
                    duplicate), down and paused nodes shaded, notes and faults written
                    beside; hover for the trace's lines, filter nodes and messages,
                    zoom. Open it in any browser (it loads nothing from the network)
sequence.mmd        the same diagram as Mermaid text (its last 400 statements), for a
                    code hosting site or a Mermaid viewer
history.html        the operations per client as bars in real-time order; when the
                    history check failed, only the failing key's operations: the ones
                    that took effect numbered in order, the ones that could not be
                    placed next in red, the rest dimmed

Start with the failure line in summary.txt, find its tick in trace-tail.txt, and read
backwards from there; history.html and sequence.html show the same story as pictures.
Replay with the command in replay.txt, adding SIM_FULL_TRACE=1.
";

/// A failed seed, ready to be reported.
#[derive(Debug, Clone)]
pub struct SeedFailure {
    /// The failing seed.
    pub seed: u64,
    /// Ticks simulated when it stopped.
    pub ticks: Tick,
    /// Why it failed.
    pub failure: Failure,
    /// The full account (plan, history, timeline, trace tail).
    pub report: String,
    /// Files to write under `target/sim-failures/`.
    pub artefacts: Vec<(&'static str, String)>,
    /// The folder they were written to, once they were ([`find_failure`] sets it).
    pub written_to: Option<PathBuf>,
}

impl<I: Op + fmt::Debug, O: ToValue + fmt::Debug> SimRun<I, O> {
    /// What this run exercised.
    pub fn exercised(&self) -> Exercised {
        use crate::nemesis::Fault;
        let faults = self.plan.faults();
        Exercised {
            seeds: 1,
            invoked_ops: self.history.ops().len() as u64,
            completed_ops: self
                .history
                .ops()
                .filter(|op| op.output().is_some())
                .count() as u64,
            planned_faults: faults.len() as u64,
            seeds_with_a_crash: u64::from(
                faults
                    .iter()
                    .any(|f| matches!(f.fault, Fault::Crash(_) | Fault::CrashTorn(_))),
            ),
        }
    }

    /// What the run exercised if it passed, else the failure with its report and
    /// artefacts.
    pub fn into_result(self) -> Result<Exercised, Box<SeedFailure>> {
        match &self.failure {
            None => Ok(self.exercised()),
            Some(failure) => Err(Box::new(SeedFailure {
                seed: self.seed,
                ticks: self.ticks,
                failure: failure.clone(),
                report: self.report(),
                artefacts: self.artefacts(),
                written_to: None,
            })),
        }
    }
}

/// Which seeds a sweep runs, from the environment (see the [module docs](self)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seeds {
    /// First seed.
    pub base: u64,
    /// Number of seeds.
    pub count: u64,
    /// Whether `SIM_SEED` asked for one exact seed.
    pub replay: bool,
}

impl Seeds {
    /// Read `SIM_SEED`, `SIM_ITERS` and `SIM_BASE_SEED`; without them, seeds
    /// `0..default_count`, so CI runs the same seeds every time. `SIM_SEED` counts only
    /// if `SIM_TEST` is unset or names the running test.
    pub fn from_env(default_count: u64) -> Result<Seeds, String> {
        Self::parse(
            scoped_seed(),
            std::env::var("SIM_ITERS").ok(),
            std::env::var("SIM_BASE_SEED").ok(),
            default_count,
        )
    }

    /// [`Seeds::from_env`] on given values (testable without touching the environment).
    pub fn parse(
        seed: Option<String>,
        iters: Option<String>,
        base: Option<String>,
        default_count: u64,
    ) -> Result<Seeds, String> {
        let number = |name: &str, value: &str| {
            value
                .trim()
                .parse::<u64>()
                .map_err(|_| format!("{name}={value:?} is not a whole number"))
        };
        if let Some(seed) = seed {
            return Ok(Seeds {
                base: number("SIM_SEED", &seed)?,
                count: 1,
                replay: true,
            });
        }
        let count = match iters {
            Some(n) => number("SIM_ITERS", &n)?,
            None => default_count,
        };
        let base = match base.as_deref() {
            None => 0,
            Some("random") => fresh_seed(),
            Some(b) => number("SIM_BASE_SEED", b)?,
        };
        Ok(Seeds {
            base,
            count,
            replay: false,
        })
    }

    /// The seeds, in order.
    pub fn iter(&self) -> impl Iterator<Item = u64> {
        (0..self.count).map(move |i| self.base.wrapping_add(i))
    }
}

/// A seed from the operating system's entropy, for exploring beyond the fixed CI seeds.
/// It is always printed before use, so the run can be replayed.
fn fresh_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded from the OS; this is the test harness, not simulated code.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0x5eed);
    hasher.finish()
}

/// The running test's name (the test harness names each test's thread after it).
fn running_test() -> Option<String> {
    let thread = std::thread::current();
    thread.name().filter(|n| *n != "main").map(str::to_string)
}

/// Whether `SIM_TEST`, if set, names the running test.
fn test_is_in_scope(sim_test: Option<&str>, running: Option<&str>) -> bool {
    match (sim_test, running) {
        (None, _) => true,
        (Some(wanted), Some(running)) => wanted == running,
        (Some(_), None) => false,
    }
}

/// `SIM_SEED`, if it applies to the running test.
fn scoped_seed() -> Option<String> {
    let seed = std::env::var("SIM_SEED").ok()?;
    let sim_test = std::env::var("SIM_TEST").ok();
    test_is_in_scope(sim_test.as_deref(), running_test().as_deref()).then_some(seed)
}

/// How `cargo test` selects the running test binary: `--lib` for a crate's unit tests,
/// `--test <name>` for an integration test file.
fn test_target(package: &str, exe_stem: Option<&str>) -> String {
    // Test binaries are named `<target>-<16 hex digits>`.
    let target = exe_stem.map(|stem| match stem.rsplit_once('-') {
        Some((name, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            name.to_string()
        }
        _ => stem.to_string(),
    });
    match target {
        Some(t) if t == package.replace('-', "_") => "--lib".to_string(),
        Some(t) => format!("--test {t}"),
        None => "<--lib or --test name>".to_string(),
    }
}

/// The command that replays `seed` of the running test, and only that test: it names
/// the test binary and the full test path, and scopes the seed to that test.
pub fn replay_command(seed: u64) -> String {
    let package = std::env::var("CARGO_PKG_NAME").unwrap_or_else(|_| "<package>".into());
    let exe = std::env::current_exe().ok();
    let stem = exe
        .as_ref()
        .and_then(|p| p.file_stem())
        .and_then(|s| s.to_str());
    let target = test_target(&package, stem);
    let test = running_test().unwrap_or_else(|| "<test name>".into());
    format!("SIM_SEED={seed} SIM_TEST={test} cargo test -p {package} {target} {test} -- --exact")
}

/// Where failure artefacts go: `target/sim-failures/` of the workspace.
pub fn failure_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            // Test binaries live in <target>/<profile>/deps/.
            std::env::current_exe()
                .ok()
                .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_path_buf()))
        });
    target
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("sim-failures")
}

/// Write a failure's artefacts under [`failure_dir`] (or its `expected/` folder, for
/// the failures a negative control looks for); returns the folder, or why it could not
/// be written.
pub fn write_artefacts(failure: &SeedFailure) -> Result<PathBuf, String> {
    write_artefacts_in(failure_dir(), failure)
}

fn write_artefacts_in(root: PathBuf, failure: &SeedFailure) -> Result<PathBuf, String> {
    let package = std::env::var("CARGO_PKG_NAME").unwrap_or_else(|_| "sim".into());
    let test = running_test()
        .unwrap_or_else(|| "run".into())
        .replace("::", "-");
    let dir = root.join(format!("{package}-{test}-seed-{}", failure.seed));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let command = replay_command(failure.seed);
    std::fs::write(dir.join("replay.txt"), format!("{command}\n"))
        .map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    for (name, contents) in &failure.artefacts {
        std::fs::write(dir.join(name), contents)
            .map_err(|e| format!("cannot write {name} in {}: {e}", dir.display()))?;
    }
    Ok(dir)
}

/// The first lines of a long text, with a note of how much was cut.
fn first_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= n {
        return text.trim_end().to_string();
    }
    format!(
        "{}\n  ... ({} more lines in summary.txt)",
        lines[..n].join("\n"),
        lines.len() - n
    )
}

/// The line naming a failure's pictures (empty when it has none).
fn pictures_line(failure: &SeedFailure) -> String {
    let pictures: Vec<&str> = failure
        .artefacts
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| PICTURE_FILES.contains(name))
        .collect();
    if pictures.is_empty() {
        String::new()
    } else {
        format!(
            "\npictures: {} (open the .html files in a browser)",
            pictures.join(", ")
        )
    }
}

/// The artefacts that are pictures of the run.
pub const PICTURE_FILES: [&str; 3] = ["sequence.html", "sequence.mmd", "history.html"];

/// The short account a failing sweep prints: the seed, what broke and when, the
/// command that replays it, and where the full story is.
pub fn failure_summary(
    failure: &SeedFailure,
    passed: u64,
    artefacts: &Result<PathBuf, String>,
) -> String {
    let written = match artefacts {
        Ok(dir) => format!(
            "artefacts: {} (start with summary.txt; README.txt explains each file){}",
            dir.display(),
            pictures_line(failure)
        ),
        Err(e) => format!("artefacts not written: {e}"),
    };
    format!(
        "simulation failed on seed {} after {passed} passing seed(s), at tick {}:\n  {}\nreplay with:\n    {}\n{written}",
        failure.seed,
        failure.ticks,
        first_lines(&failure.failure.to_string(), 12),
        replay_command(failure.seed)
    )
}

/// What a sweep did. It has no pass count: a sweep that returns passed every seed (a
/// failure panics). What it has is what the seeds exercised, for claims that can fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepSummary {
    /// The seeds run, every one of them passing.
    pub seeds: Seeds,
    /// What they exercised, added up (`seeds` counts the runs really made).
    pub exercised: Exercised,
}

/// Run `run_seed` on every seed of [`Seeds::from_env`]. The seeds are printed first.
/// On the first failing seed, its artefacts are written and the test panics with the
/// failure, its report and the command that replays it.
pub fn sweep(
    default_count: u64,
    mut run_seed: impl FnMut(u64) -> Result<Exercised, Box<SeedFailure>>,
) -> SweepSummary {
    let seeds =
        Seeds::from_env(default_count).unwrap_or_else(|e| panic!("bad simulation settings: {e}"));
    if seeds.replay {
        println!("replaying seed {}", seeds.base);
    } else {
        println!(
            "running seeds {}..{} (SIM_ITERS / SIM_BASE_SEED change this)",
            seeds.base,
            seeds.base.wrapping_add(seeds.count)
        );
    }
    let mut exercised = Exercised::default();
    for seed in seeds.iter() {
        match run_seed(seed) {
            Ok(run) => exercised.add(Exercised { seeds: 1, ..run }),
            Err(failure) => {
                let written = write_artefacts(&failure);
                panic!("{}", failure_summary(&failure, exercised.seeds, &written));
            }
        }
    }
    assert_eq!(
        exercised.seeds, seeds.count,
        "the sweep must run every seed it was asked for"
    );
    println!("{exercised}");
    SweepSummary { seeds, exercised }
}

/// Search seeds `0..max_seeds` for one on which `run_seed` fails (a negative control:
/// a broken protocol must be caught). Returns the first failure, with its replay command
/// printed and its artefacts written. With `SIM_SEED=s` and `SIM_TEST` naming this test
/// only seed `s` is run, so the printed command replays exactly the failing run; a
/// `SIM_SEED` without `SIM_TEST` is meant for a sweep and is ignored here.
pub fn find_failure<T>(
    max_seeds: u64,
    mut run_seed: impl FnMut(u64) -> Result<T, Box<SeedFailure>>,
) -> Option<Box<SeedFailure>> {
    // A negative control replays a seed only when SIM_TEST names it: a seed meant for
    // another test's sweep would make it search the wrong seed and fail spuriously.
    let named = std::env::var("SIM_TEST").ok().is_some() && scoped_seed().is_some();
    let seeds = match std::env::var("SIM_SEED") {
        Ok(seed) if named => Seeds::parse(Some(seed), None, None, max_seeds),
        Ok(seed) => {
            println!(
                "SIM_SEED={seed} ignored by this negative control (set SIM_TEST to its name to replay one of its seeds)"
            );
            Ok(Seeds {
                base: 0,
                count: max_seeds,
                replay: false,
            })
        }
        Err(_) => Ok(Seeds {
            base: 0,
            count: max_seeds,
            replay: false,
        }),
    };
    let seeds = seeds.unwrap_or_else(|e| panic!("bad simulation settings: {e}"));
    for seed in seeds.iter() {
        if let Err(mut failure) = run_seed(seed) {
            // Expected failures go apart, so target/sim-failures/ holds only real ones.
            let written = match write_artefacts_in(failure_dir().join("expected"), &failure) {
                Ok(dir) => {
                    let shown = dir.display().to_string();
                    failure.written_to = Some(dir);
                    shown
                }
                Err(e) => e,
            };
            println!(
                "seed {seed} fails as expected: {}\nreplay with: {}\nartefacts: {written}{}",
                first_lines(&failure.failure.to_string(), 6),
                replay_command(seed),
                pictures_line(&failure)
            );
            return Some(failure);
        }
    }
    None
}

/// Records every call a scenario test makes, so the test can check the history.
///
/// ```
/// use common::check::models::{Register, RegisterOp, Ret};
/// use common::echo::{EchoMsg, EchoServer};
/// use common::sim::{Answer, Recorder};
/// use common::Cluster;
///
/// let mut cluster = Cluster::builder().servers(["athens"]).build(|_, _| EchoServer::new(5));
/// cluster.add_client("alice");
/// let recorder: Recorder<RegisterOp<i64>, Ret<i64>> = Recorder::new();
/// // An echo is a read that returns what was sent: good enough to show the recording.
/// let reply = recorder.call(&mut cluster, "alice", "athens", RegisterOp::Read, EchoMsg::Echo { text: "7".into() }, |reply| match reply {
///     Ok(EchoMsg::EchoReply { text, .. }) => Answer::Ok(Ret::Value(text.parse().unwrap())),
///     _ => Answer::Info,
/// });
/// cluster.run(&reply).unwrap();
/// assert_eq!(recorder.history().to_text(), "0 t0 alice invoke read nil\n1 t2 alice ok read 7\n");
/// ```
pub struct Recorder<I, O> {
    history: Rc<RefCell<History<I, O>>>,
}

impl<I, O> Clone for Recorder<I, O> {
    fn clone(&self) -> Self {
        Recorder {
            history: Rc::clone(&self.history),
        }
    }
}

impl<I, O> Default for Recorder<I, O> {
    fn default() -> Self {
        Recorder {
            history: Rc::new(RefCell::new(History::new())),
        }
    }
}

impl<I: Clone + 'static, O: 'static> Recorder<I, O> {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Send `msg` from `client` to `server` as operation `input`, and record the
    /// invocation now and the completion when the reply (or timeout) arrives, as
    /// `interpret` classifies it. Returns the reply's promise.
    pub fn call<M: Message>(
        &self,
        cluster: &mut Cluster<M>,
        client: &str,
        server: &str,
        input: I,
        msg: M,
        interpret: impl Fn(Result<M, RpcError>) -> Answer<O> + 'static,
    ) -> Promise<M> {
        let op = self
            .history
            .borrow_mut()
            .invoke(client, input, cluster.now());
        let promise = cluster.call(client, server, msg);
        let history = Rc::clone(&self.history);
        let now = cluster.tick_clock();
        promise.on_complete(move |result| {
            let tick = now.get();
            let mut history = history.borrow_mut();
            match interpret(result.clone()) {
                Answer::Ok(output) => history.ok(op, output, tick),
                Answer::Fail => history.fail(op, tick),
                Answer::Info => history.info(op, tick),
            }
        });
        promise
    }

    /// Record an invocation made some other way; complete it with [`Recorder::complete`].
    pub fn invoke(&self, client: &str, input: I, tick: Tick) -> OpId {
        self.history.borrow_mut().invoke(client, input, tick)
    }

    /// Record the completion of an operation invoked with [`Recorder::invoke`].
    pub fn complete(&self, op: OpId, answer: Answer<O>, tick: Tick) {
        let mut history = self.history.borrow_mut();
        match answer {
            Answer::Ok(output) => history.ok(op, output, tick),
            Answer::Fail => history.fail(op, tick),
            Answer::Info => history.info(op, tick),
        }
    }

    /// The history so far.
    pub fn history(&self) -> std::cell::Ref<'_, History<I, O>> {
        self.history.borrow()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_settings_a_sweep_runs_the_default_seeds_from_zero() {
        let seeds = Seeds::parse(None, None, None, 100).expect("no settings is valid");
        assert_eq!(
            seeds,
            Seeds {
                base: 0,
                count: 100,
                replay: false
            }
        );
        assert_eq!(seeds.iter().take(3).collect::<Vec<_>>(), vec![0, 1, 2]);
    }

    #[test]
    fn sim_seed_replays_exactly_one_seed() {
        let seeds = Seeds::parse(Some("42".into()), Some("1000".into()), None, 100).expect("valid");
        assert_eq!(
            seeds.iter().collect::<Vec<_>>(),
            vec![42],
            "SIM_SEED wins over SIM_ITERS"
        );
        assert!(seeds.replay);
    }

    #[test]
    fn sim_iters_and_base_seed_move_the_sweep() {
        let seeds = Seeds::parse(None, Some("3".into()), Some("7".into()), 100).expect("valid");
        assert_eq!(seeds.iter().collect::<Vec<_>>(), vec![7, 8, 9]);
    }

    #[test]
    fn a_malformed_setting_is_a_clear_error() {
        let err = Seeds::parse(None, Some("many".into()), None, 10).expect_err("not a number");
        assert!(err.contains("SIM_ITERS") && err.contains("many"), "{err}");
    }

    #[test]
    fn swarm_configurations_differ_between_seeds_but_not_within_one() {
        let a = format!("{:?}", SimConfig::swarm(1));
        assert_eq!(a, format!("{:?}", SimConfig::swarm(1)));
        let distinct: std::collections::BTreeSet<String> = (0..20)
            .map(|s| format!("{:?}", SimConfig::swarm(s).net))
            .collect();
        assert!(
            distinct.len() > 5,
            "swarm mode should vary the network across seeds, got {} variants",
            distinct.len()
        );
    }

    #[test]
    fn sim_test_scopes_the_seed_to_the_named_test_only() {
        assert!(
            test_is_in_scope(None, Some("a::b")),
            "without SIM_TEST the seed applies"
        );
        assert!(
            test_is_in_scope(Some("a::b"), Some("a::b")),
            "the named test replays"
        );
        assert!(
            !test_is_in_scope(Some("a::b"), Some("a::c")),
            "another test keeps its seeds"
        );
        assert!(
            !test_is_in_scope(Some("a::b"), None),
            "an unnamed thread is not the test"
        );
    }

    #[test]
    fn the_replay_command_selects_the_test_binary() {
        assert_eq!(
            test_target("paxos", Some("paxos-0123456789abcdef")),
            "--lib"
        );
        assert_eq!(
            test_target(
                "naive-replication",
                Some("naive_replication-0123456789abcdef")
            ),
            "--lib"
        );
        assert_eq!(
            test_target("paxos", Some("simulation-0123456789abcdef")),
            "--test simulation"
        );
        assert_eq!(
            test_target("paxos", Some("fault-sweep")),
            "--test fault-sweep"
        );
    }

    #[test]
    fn the_replay_command_names_the_seed_and_the_running_test() {
        let command = replay_command(1234);
        assert!(
            command.starts_with("SIM_SEED=1234 SIM_TEST=sim::tests::the_replay_command_names_the_seed_and_the_running_test cargo test -p common --lib "),
            "{command}"
        );
        assert!(
            command.contains("the_replay_command_names_the_seed_and_the_running_test"),
            "{command}"
        );
    }
}
