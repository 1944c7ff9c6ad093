//! Seeded Monte Carlo: watch the randomness the closed forms average away.
//!
//! Each disk lives an exponentially distributed lifetime (mean MTTF), is down for a
//! fixed repair time (MTTR, zero for "replaced at once"), then starts a fresh life.
//! All randomness comes from one seed: stream 0 of a ChaCha8 generator draws the
//! lifetimes disk by disk, stream 1 places the replicas, so changing the object count
//! never changes when disks fail.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{FailuresError, Mttf, TimeSpan};

/// Largest fleet the simulator accepts.
pub const DISKS_MAX: u64 = 10_000_000;
/// Largest number of failure events one run may generate (about its memory bound).
pub const FAILURES_MAX: u64 = 50_000_000;
/// Largest objects × replicas product the replica simulator accepts.
pub const PLACEMENTS_MAX: u64 = 20_000_000;
/// Largest replica count the replica simulator accepts.
pub const REPLICAS_MAX: u32 = 9;

const LIFETIME_STREAM: u64 = 0;
const PLACEMENT_STREAM: u64 = 1;

/// One disk failure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Failure {
    /// Hours since the start of the run.
    pub at_hours: f64,
    /// Which disk failed (0-based).
    pub disk: u32,
}

/// What to simulate: a fleet of identical disks over a span of time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FleetConfig {
    /// Number of disks.
    pub disks: u64,
    /// Mean lifetime of a disk.
    pub mttf: Mttf,
    /// How long a failed disk stays down before its replacement starts a new life.
    pub mttr: TimeSpan,
    /// Simulated span.
    pub duration: TimeSpan,
    /// Seed for every random draw.
    pub seed: u64,
}

/// Draws an exponential variate with the given mean by inverse transform.
pub fn exponential(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    let u: f64 = rng.random(); // in [0, 1), so 1 − u is in (0, 1] and the log is finite
    -mean * (-u).ln_1p()
}

fn lifetime_rng(seed: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(LIFETIME_STREAM);
    rng
}

/// Every failure in the run, in time order (ties broken by disk number).
pub fn failures(config: &FleetConfig) -> Result<Vec<Failure>, FailuresError> {
    if config.disks > DISKS_MAX {
        return Err(FailuresError::TooLarge {
            what: "the fleet",
            value: config.disks,
            limit: DISKS_MAX,
        });
    }
    if config.duration.hours() <= 0.0 {
        return Err(FailuresError::ZeroDuration {
            what: "the simulated span",
        });
    }
    let expected = config.disks as f64 * config.duration.hours() / config.mttf.span().hours();
    if expected > FAILURES_MAX as f64 / 2.0 {
        return Err(FailuresError::TooLarge {
            what: "the expected number of failures",
            value: expected as u64,
            limit: FAILURES_MAX / 2,
        });
    }
    let mean = config.mttf.span().hours();
    let end = config.duration.hours();
    let mut rng = lifetime_rng(config.seed);
    let mut events = Vec::new();
    for disk in 0..config.disks {
        let disk = u32::try_from(disk).expect("invariant: DISKS_MAX fits in u32");
        let mut at = exponential(&mut rng, mean);
        while at < end {
            events.push(Failure { at_hours: at, disk });
            if events.len() as u64 > FAILURES_MAX {
                return Err(FailuresError::TooLarge {
                    what: "the number of failures",
                    value: events.len() as u64,
                    limit: FAILURES_MAX,
                });
            }
            at += config.mttr.hours() + exponential(&mut rng, mean);
        }
    }
    events.sort_by(|a, b| a.at_hours.total_cmp(&b.at_hours).then(a.disk.cmp(&b.disk)));
    Ok(events)
}

/// A fleet run summarised the way the lab looks at it.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetRun {
    /// The configuration that produced it.
    pub config: FleetConfig,
    /// Every failure in time order.
    pub failures: Vec<Failure>,
}

impl FleetRun {
    /// Simulates `config`.
    pub fn simulate(config: FleetConfig) -> Result<Self, FailuresError> {
        Ok(FleetRun {
            failures: failures(&config)?,
            config,
        })
    }

    /// Number of failures on each simulated day (a final partial day included).
    pub fn per_day(&self) -> Vec<u64> {
        let days = self.config.duration.days().ceil().max(1.0) as usize;
        let mut counts = vec![0; days];
        for failure in &self.failures {
            let day = ((failure.at_hours / 24.0) as usize).min(days - 1);
            counts[day] += 1;
        }
        counts
    }

    /// Hours between consecutive failures anywhere in the fleet.
    pub fn gaps_hours(&self) -> Vec<f64> {
        self.failures
            .windows(2)
            .map(|pair| pair[1].at_hours - pair[0].at_hours)
            .collect()
    }

    /// The longest stretch without any failure, counting from the start and to the end.
    pub fn longest_quiet(&self) -> TimeSpan {
        let mut previous = 0.0;
        let mut longest: f64 = 0.0;
        for failure in &self.failures {
            longest = longest.max(failure.at_hours - previous);
            previous = failure.at_hours;
        }
        longest = longest.max(self.config.duration.hours() - previous);
        TimeSpan::from_hours(longest).unwrap_or(self.config.duration)
    }
}

/// Objects with `replicas` copies on distinct random disks of a failing fleet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplicaConfig {
    /// The fleet the replicas live on.
    pub fleet: FleetConfig,
    /// Number of objects stored.
    pub objects: u64,
    /// Copies per object, each on a different disk.
    pub replicas: u32,
}

/// What a replica run observed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplicaRun {
    /// Disk failures in the run.
    pub disk_failures: u64,
    /// Times an object lost its last replica. A lost object is counted, then restored
    /// (as if from a backup), so the object count stays constant and the count is
    /// directly comparable with objects × span / MTTDL.
    pub loss_events: u64,
    /// Object-hours observed: objects × simulated hours.
    pub object_hours: f64,
}

impl ReplicaRun {
    /// Simulates `config`: an object is lost when a disk fails while every other disk
    /// holding that object is still down.
    pub fn simulate(config: ReplicaConfig) -> Result<Self, FailuresError> {
        let fleet = config.fleet;
        let replicas = config.replicas;
        if replicas == 0 {
            return Err(FailuresError::ZeroReplicas);
        }
        if replicas > REPLICAS_MAX {
            return Err(FailuresError::TooLarge {
                what: "the replica count",
                value: u64::from(replicas),
                limit: u64::from(REPLICAS_MAX),
            });
        }
        if u64::from(replicas) > fleet.disks {
            return Err(FailuresError::NotEnoughDisks {
                replicas,
                disks: fleet.disks,
            });
        }
        let placements = config.objects.saturating_mul(u64::from(replicas));
        if placements > PLACEMENTS_MAX {
            return Err(FailuresError::TooLarge {
                what: "objects × replicas",
                value: placements,
                limit: PLACEMENTS_MAX,
            });
        }
        let events = failures(&fleet)?;
        let placement = Placement::random(fleet.disks, config.objects, replicas, fleet.seed);
        let mut down_until = vec![f64::NEG_INFINITY; fleet.disks as usize];
        let mut loss_events = 0;
        for failure in &events {
            let now = failure.at_hours;
            for &object in placement.objects_on(failure.disk) {
                let others_down = placement
                    .disks_of(object)
                    .iter()
                    .filter(|&&disk| disk != failure.disk)
                    .all(|&disk| down_until[disk as usize] > now);
                if others_down {
                    loss_events += 1;
                }
            }
            down_until[failure.disk as usize] = now + fleet.mttr.hours();
        }
        Ok(ReplicaRun {
            disk_failures: events.len() as u64,
            loss_events,
            object_hours: config.objects as f64 * fleet.duration.hours(),
        })
    }

    /// Measured loss rate per object per hour.
    pub fn loss_rate_per_object_hour(&self) -> f64 {
        self.loss_events as f64 / self.object_hours
    }
}

/// Which disks hold which object, and the reverse index.
struct Placement {
    replicas: usize,
    /// `disks[object * replicas ..][..replicas]` are the disks of `object`.
    disks: Vec<u32>,
    /// Objects on disk `d` are `members[starts[d]..starts[d + 1]]`.
    starts: Vec<usize>,
    members: Vec<u32>,
}

impl Placement {
    fn random(disks: u64, objects: u64, replicas: u32, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(PLACEMENT_STREAM);
        let replicas = replicas as usize;
        let disk_count = u32::try_from(disks).expect("invariant: DISKS_MAX fits in u32");
        let mut chosen = Vec::with_capacity((objects as usize) * replicas);
        for _ in 0..objects {
            let first = chosen.len();
            while chosen.len() - first < replicas {
                let disk = rng.random_range(0..disk_count);
                if !chosen[first..].contains(&disk) {
                    chosen.push(disk);
                }
            }
        }
        let mut starts = vec![0usize; disks as usize + 1];
        for &disk in &chosen {
            starts[disk as usize + 1] += 1;
        }
        for index in 1..starts.len() {
            starts[index] += starts[index - 1];
        }
        let mut fill = starts.clone();
        let mut members = vec![0u32; chosen.len()];
        for (slot, &disk) in chosen.iter().enumerate() {
            let object =
                u32::try_from(slot / replicas).expect("invariant: PLACEMENTS_MAX fits in u32");
            members[fill[disk as usize]] = object;
            fill[disk as usize] += 1;
        }
        Placement {
            replicas,
            disks: chosen,
            starts,
            members,
        }
    }

    fn objects_on(&self, disk: u32) -> &[u32] {
        let disk = disk as usize;
        &self.members[self.starts[disk]..self.starts[disk + 1]]
    }

    fn disks_of(&self, object: u32) -> &[u32] {
        let first = object as usize * self.replicas;
        &self.disks[first..first + self.replicas]
    }
}
