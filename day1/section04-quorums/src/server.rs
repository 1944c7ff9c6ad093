//! The replica: every node stores versioned values and can coordinate client requests.

use crate::config::{Config, ReadRepair, Versioning};
use crate::messages::{GetOutcome, Msg, SetOutcome, Version, VersionedValue};
use common::{Ctx, Envelope, Message, Process, ProcessId, QuorumPolicy};
use std::collections::{BTreeMap, BTreeSet};

/// Counters a test or a lesson can read: what the replica did, not what it holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplicaStats {
    /// Read-repair writes this node sent as a coordinator (one per target replica).
    pub repair_messages: u64,
    /// Writes this node applied because they were newer than what it held.
    pub applied: u64,
    /// Writes this node acknowledged without applying (it held an equal or newer version).
    pub ignored: u64,
}

/// A replica of the key-value store, and the coordinator of the requests sent to it.
#[derive(Debug)]
pub struct Replica {
    id: ProcessId,
    config: Config,
    /// The replica's data. In memory only: this section models no crashes.
    data: BTreeMap<String, VersionedValue>,
    /// The highest timestamp this node has stamped or seen (used by the hybrid clock).
    highest_seen: u64,
    /// The timestamp of the last write this node stamped as a coordinator.
    last_stamped: Option<u64>,
    stats: ReplicaStats,
    /// Reads this node coordinates that still wait for answers, by read id.
    reads: BTreeMap<u64, PendingRead>,
    next_read: u64,
}

/// What a coordinated read decided.
#[derive(Debug, Default)]
struct ReadDecision {
    /// The version returned to the client, if one was found.
    chosen: Option<VersionedValue>,
    /// Replicas already sent a repair, so a late answer does not repair them twice.
    repaired: BTreeSet<ProcessId>,
}

/// A read in progress at its coordinator.
#[derive(Debug)]
struct PendingRead {
    /// The client's request, to answer.
    request: Envelope<Msg>,
    key: String,
    /// R.
    required: usize,
    /// N: answers or failures to wait for before forgetting the read.
    expected: usize,
    /// Answers in arrival order.
    answers: Vec<(ProcessId, Option<VersionedValue>)>,
    /// Replicas that did not answer in time.
    failed: usize,
    /// Set once the client's answer is decided; later answers only trigger repairs.
    decision: Option<ReadDecision>,
}

impl Replica {
    /// A replica named `id` with `config`.
    pub fn new(id: &ProcessId, config: Config) -> Self {
        Replica {
            id: id.clone(),
            config,
            data: BTreeMap::new(),
            highest_seen: 0,
            last_stamped: None,
            stats: ReplicaStats::default(),
            reads: BTreeMap::new(),
            next_read: 0,
        }
    }

    /// This replica's id.
    pub fn id(&self) -> &ProcessId {
        &self.id
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What this replica holds under `key`: a *local* read that skips the quorum.
    pub fn local(&self, key: &str) -> Option<&VersionedValue> {
        self.data.get(key)
    }

    /// The value (without version) this replica holds under `key`.
    pub fn local_value(&self, key: &str) -> Option<&str> {
        self.data.get(key).map(|v| v.value.as_str())
    }

    /// Every key and version this replica holds, in key order.
    pub fn entries(&self) -> &BTreeMap<String, VersionedValue> {
        &self.data
    }

    /// The counters.
    pub fn stats(&self) -> &ReplicaStats {
        &self.stats
    }

    /// Stamp a new write with this coordinator's version.
    ///
    /// Two writes can reach one coordinator in the same millisecond; with the same
    /// `(timestamp, node)` they would tie again and replicas could keep different values.
    /// So a coordinator never reuses a timestamp: if its clock has not moved past its
    /// last stamp, it takes the last stamp plus one (the original's scheme keeps the raw
    /// reading, and its bug).
    fn next_version(&mut self, ctx: &Ctx<'_, Self>) -> Version {
        let wall = ctx.wall_ms();
        let after_last = self.last_stamped.map_or(wall, |last| wall.max(last + 1));
        let timestamp = match self.config.versioning {
            Versioning::TimestampOnly => wall,
            Versioning::WallClock => after_last,
            Versioning::Hybrid => after_last.max(self.highest_seen + 1),
        };
        assert!(
            self.config.versioning == Versioning::TimestampOnly
                || self.last_stamped.is_none_or(|last| timestamp > last),
            "a coordinator must never stamp two writes with the same version"
        );
        self.last_stamped = Some(timestamp);
        self.highest_seen = self.highest_seen.max(timestamp);
        Version {
            timestamp,
            node: self.id.clone(),
        }
    }

    /// Remember a version seen in a message (only the hybrid clock uses it).
    fn observe(&mut self, version: &Version) {
        self.highest_seen = self.highest_seen.max(version.timestamp);
    }

    /// Coordinator: stamp the write, send it to every replica, answer after W acks.
    fn coordinate_set(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        request: Envelope<Msg>,
        key: String,
        value: String,
    ) {
        // exercise: stamp a version, send InternalSet to every replica (this one included) and reply Ok after W acknowledgements, QuorumNotReached otherwise
        // solution-begin
        let version = self.next_version(ctx);
        ctx.note(format!(
            "coordinates write {key}={value:?} as version {version}"
        ));
        let replicas = ctx.all_nodes().to_vec();
        let required = self.config.w(replicas.len());
        let policy = QuorumPolicy::count(required)
            .timeout(self.config.coordinator_timeout_ticks)
            .accept(|reply| matches!(reply, Msg::InternalSetReply { .. }));
        let write = Msg::InternalSet {
            key: key.clone(),
            value: VersionedValue { value, version },
        };
        ctx.quorum(
            &replicas,
            write,
            policy,
            move |_node: &mut Self, ctx, outcome| {
                let outcome = if outcome.succeeded {
                    SetOutcome::Ok
                } else {
                    SetOutcome::QuorumNotReached {
                        acks: outcome.accepted.len(),
                        required: outcome.required,
                    }
                };
                ctx.reply(&request, Msg::ClientSetReply { key, outcome });
            },
        );
        // solution-end
    }

    /// Replica: keep the incoming version if it is newer than the stored one.
    fn on_internal_set(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        request: Envelope<Msg>,
        key: String,
        incoming: VersionedValue,
    ) {
        // exercise: store the incoming version only if nothing is stored or it is newer (Versioning::is_newer); acknowledge either way
        // solution-begin
        self.observe(&incoming.version);
        let applied = match self.data.get(&key) {
            None => true,
            Some(stored) => self
                .config
                .versioning
                .is_newer(&incoming.version, &stored.version),
        };
        if applied {
            self.stats.applied += 1;
            self.data.insert(key.clone(), incoming);
        } else {
            self.stats.ignored += 1;
        }
        ctx.reply(&request, Msg::InternalSetReply { key, applied });
        // solution-end
    }

    /// Coordinator: ask every replica, decide after R answers, keep listening to the
    /// others so late stale answers are repaired too.
    fn coordinate_get(&mut self, ctx: &mut Ctx<'_, Self>, request: Envelope<Msg>, key: String) {
        let replicas = ctx.all_nodes().to_vec();
        self.next_read += 1;
        let read_id = self.next_read;
        let pending = PendingRead {
            request,
            key: key.clone(),
            required: self.config.r(replicas.len()),
            expected: replicas.len(),
            answers: Vec::new(),
            failed: 0,
            decision: None,
        };
        self.reads.insert(read_id, pending);
        for target in replicas {
            let from = target.clone();
            let ask = Msg::InternalGet { key: key.clone() };
            let timeout = self.config.coordinator_timeout_ticks;
            ctx.request(target, ask, timeout, move |node: &mut Self, ctx, reply| {
                let answer = match reply {
                    Ok(Envelope {
                        body: Msg::InternalGetReply { value, .. },
                        ..
                    }) => Some(value),
                    Ok(_) | Err(_) => None,
                };
                node.on_read_answer(ctx, read_id, from, answer);
            });
        }
    }

    /// Coordinator: one replica answered (`Some`) or failed to (`None`).
    fn on_read_answer(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        read_id: u64,
        from: ProcessId,
        answer: Option<Option<VersionedValue>>,
    ) {
        let Some(read) = self.reads.get_mut(&read_id) else {
            return;
        };
        let late = answer.clone();
        match answer {
            Some(value) => read.answers.push((from.clone(), value)),
            None => read.failed += 1,
        }
        let heard = read.answers.len() + read.failed;
        assert!(
            heard <= read.expected,
            "a read must hear from each replica at most once"
        );
        let finished = heard == read.expected;
        match &mut read.decision {
            None if read.answers.len() >= read.required => {
                let (request, key, answers) =
                    (read.request.clone(), read.key.clone(), read.answers.clone());
                let decision = self.decide_read(ctx, request, key, &answers);
                if let Some(read) = self.reads.get_mut(&read_id) {
                    read.decision = Some(decision);
                }
            }
            None if read.answers.len() + (read.expected - heard) < read.required => {
                let outcome = GetOutcome::QuorumNotReached {
                    answers: read.answers.len(),
                    required: read.required,
                };
                let key = read.key.clone();
                ctx.reply(&read.request, Msg::ClientGetReply { key, outcome });
                read.decision = Some(ReadDecision::default());
            }
            None => {}
            Some(decision) => {
                // A late answer: repair it if it is older than what the read returned
                // (not newer: a concurrent write may have reached it) and nobody has
                // repaired it yet.
                let versioning = self.config.versioning;
                if let (Some(latest), Some(value)) = (decision.chosen.clone(), late)
                    && self.config.read_repair != ReadRepair::Off
                    && value.as_ref() != Some(&latest)
                    && value
                        .as_ref()
                        .is_none_or(|v| !versioning.is_newer(&v.version, &latest.version))
                    && decision.repaired.insert(from.clone())
                {
                    let key = read.key.clone();
                    self.repair_async(ctx, &key, &latest, &[from]);
                }
            }
        }
        if finished {
            self.reads.remove(&read_id);
        }
    }

    /// Coordinator: R replicas answered: pick the newest version, repair the stale
    /// replicas, answer the client (or, in sync mode, arrange to answer after the
    /// repair). Returns what was chosen and who was repaired.
    fn decide_read(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        request: Envelope<Msg>,
        key: String,
        answers: &[(ProcessId, Option<VersionedValue>)],
    ) -> ReadDecision {
        // exercise: pick the newest version among the answers (newest_answer), find the stale replicas, then repair per the mode: Off answers at once, Async repairs and answers, Sync answers only once a majority holds the version (repair_sync)
        // solution-begin
        let Some(latest) = newest_answer(self.config.versioning, answers) else {
            ctx.reply(
                &request,
                Msg::ClientGetReply {
                    key,
                    outcome: GetOutcome::NotFound,
                },
            );
            return ReadDecision::default();
        };
        self.observe(&latest.version);
        let stale: Vec<ProcessId> = answers
            .iter()
            .filter(|(_, value)| value.as_ref() != Some(&latest))
            .map(|(from, _)| from.clone())
            .collect();
        let repaired = match self.config.read_repair {
            ReadRepair::Off => {
                let outcome = GetOutcome::Found(latest.clone());
                ctx.reply(&request, Msg::ClientGetReply { key, outcome });
                BTreeSet::new()
            }
            ReadRepair::Async => {
                self.repair_async(ctx, &key, &latest, &stale);
                let outcome = GetOutcome::Found(latest.clone());
                ctx.reply(&request, Msg::ClientGetReply { key, outcome });
                stale.into_iter().collect()
            }
            ReadRepair::Sync => {
                let answered: Vec<ProcessId> =
                    answers.iter().map(|(from, _)| from.clone()).collect();
                self.repair_sync(ctx, request, key, latest.clone(), stale, &answered)
            }
        };
        ReadDecision {
            chosen: Some(latest),
            repaired,
        }
        // solution-end
    }

    /// Send `latest` to each stale replica; nothing waits for the acknowledgements.
    fn repair_async(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        key: &str,
        latest: &VersionedValue,
        stale: &[ProcessId],
    ) {
        for target in stale {
            self.stats.repair_messages += 1;
            let repair = Msg::InternalSet {
                key: key.to_owned(),
                value: latest.clone(),
            };
            let timeout = self.config.coordinator_timeout_ticks;
            ctx.request(
                target.clone(),
                repair,
                timeout,
                |_node: &mut Self, ctx, reply| {
                    if let Err(e) = reply {
                        ctx.note(format!("async read repair lost: {e}"));
                    }
                },
            );
        }
    }

    /// Make sure a majority of all replicas holds `latest` before answering the client.
    ///
    /// The replicas that answered with `latest` already hold it. The stale ones that
    /// answered are repaired; if they are not enough to make a majority, the replicas
    /// that did not answer are repaired too, and the first `needed` acknowledgements
    /// settle it.
    fn repair_sync(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        request: Envelope<Msg>,
        key: String,
        latest: VersionedValue,
        stale: Vec<ProcessId>,
        answered: &[ProcessId],
    ) -> BTreeSet<ProcessId> {
        let replicas = ctx.all_nodes().to_vec();
        let majority = Config::majority(replicas.len());
        let holding = answered.len() - stale.len();
        let needed = majority.saturating_sub(holding);
        if needed == 0 {
            // A majority already holds it; still bring the stale answerers up to date.
            self.repair_async(ctx, &key, &latest, &stale);
            ctx.reply(
                &request,
                Msg::ClientGetReply {
                    key,
                    outcome: GetOutcome::Found(latest),
                },
            );
            return stale.into_iter().collect();
        }
        let mut targets = stale;
        if targets.len() < needed {
            targets.extend(replicas.iter().filter(|r| !answered.contains(r)).cloned());
        }
        assert!(
            holding + targets.len() >= majority,
            "sync read repair must target enough replicas to reach a majority"
        );
        self.stats.repair_messages += targets.len() as u64;
        let policy = QuorumPolicy::count(needed)
            .timeout(self.config.coordinator_timeout_ticks)
            .accept(|reply| matches!(reply, Msg::InternalSetReply { .. }));
        let repair = Msg::InternalSet {
            key: key.clone(),
            value: latest.clone(),
        };
        ctx.quorum(
            &targets,
            repair,
            policy,
            move |_node: &mut Self, ctx, outcome| {
                let outcome = if outcome.succeeded {
                    GetOutcome::Found(latest)
                } else {
                    ctx.note("sync read repair could not reach a majority: the read fails");
                    GetOutcome::QuorumNotReached {
                        answers: holding + outcome.accepted.len(),
                        required: majority,
                    }
                };
                ctx.reply(&request, Msg::ClientGetReply { key, outcome });
            },
        );
        targets.into_iter().collect()
    }
}

/// The newest version among the answers, or `None` if no replica holds the key.
///
/// Under [`Versioning::TimestampOnly`] equal timestamps tie and the first answer (in
/// replica-name order) wins, which is as arbitrary as the original's map order.
pub fn newest_answer(
    versioning: Versioning,
    answers: &[(ProcessId, Option<VersionedValue>)],
) -> Option<VersionedValue> {
    let mut newest: Option<&VersionedValue> = None;
    for value in answers.iter().filter_map(|(_, value)| value.as_ref()) {
        let replace = match newest {
            None => true,
            Some(best) => versioning.is_newer(&value.version, &best.version),
        };
        if replace {
            newest = Some(value);
        }
    }
    newest.cloned()
}

impl Process for Replica {
    type Msg = Msg;

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, env: Envelope<Msg>) {
        match env.body.clone() {
            Msg::ClientSet { key, value } => self.coordinate_set(ctx, env, key, value),
            Msg::ClientGet { key } => self.coordinate_get(ctx, env, key),
            Msg::InternalSet { key, value } => self.on_internal_set(ctx, env, key, value),
            Msg::InternalGet { key } => {
                let value = self.data.get(&key).cloned();
                ctx.reply(&env, Msg::InternalGetReply { key, value });
            }
            Msg::ClientSetReply { .. }
            | Msg::ClientGetReply { .. }
            | Msg::InternalSetReply { .. }
            | Msg::InternalGetReply { .. } => {
                ctx.note(format!(
                    "ignored a stray {} from {}",
                    env.body.kind(),
                    env.from
                ));
            }
        }
    }
}
