//! Every knob of the store in one place: quorum sizes, timeouts (in ticks), read repair
//! and how versions are made.

use crate::messages::Version;
use common::Tick;
use thiserror::Error;

/// When and how a read fixes the replicas it found stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ReadRepair {
    /// Never: a stale replica stays stale until a later write reaches it (the default,
    /// as in the original, so the basic lessons show the raw quorum behaviour).
    #[default]
    Off,
    /// Send the newest version to the stale replicas and answer the client at once.
    /// Nothing waits for the repair or retries it.
    Async,
    /// Answer the client only once a majority of all replicas holds the version returned
    /// (ABD's write-back phase). If that cannot be confirmed the read fails.
    Sync,
}

/// How the coordinator stamps a write, and how replicas compare versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Versioning {
    /// The original's scheme: the coordinator's wall clock, compared alone. Two writes
    /// stamped in the same millisecond tie, each replica keeps whichever arrived first,
    /// and the replicas can disagree forever. Kept to demonstrate that bug.
    TimestampOnly,
    /// The coordinator's wall clock, ties broken by the coordinator's id (the default).
    /// Versions are unique and totally ordered, so replicas converge; clock skew still
    /// lets an older write win (last-write-wins trusts the clocks).
    #[default]
    WallClock,
    /// A hybrid logical clock: the timestamp is the larger of the wall clock and one more
    /// than any version this node has seen, ties broken by node id. A write stamped by a
    /// node that has seen a version is ordered after it, whatever the clocks say.
    Hybrid,
}

impl Versioning {
    /// Whether `incoming` should replace `stored` on a replica.
    pub fn is_newer(self, incoming: &Version, stored: &Version) -> bool {
        match self {
            Versioning::TimestampOnly => incoming.timestamp > stored.timestamp,
            Versioning::WallClock | Versioning::Hybrid => incoming > stored,
        }
    }
}

/// A quorum configuration that cannot work.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// R or W is zero or above the number of replicas.
    #[error("{which} = {value} is outside 1..={replicas} for {replicas} replicas")]
    QuorumOutOfRange {
        /// "R" or "W".
        which: &'static str,
        /// The configured size.
        value: usize,
        /// N.
        replicas: usize,
    },
    /// The coordinator would give up after the client, so clients would see timeouts
    /// instead of definite answers.
    #[error(
        "coordinator timeout {coordinator_ticks} must be below the client timeout {client_ticks}"
    )]
    CoordinatorOutlivesClient {
        /// Coordinator timeout in ticks.
        coordinator_ticks: Tick,
        /// Client timeout in ticks.
        client_ticks: Tick,
    },
}

/// The store's configuration. Every default is documented beside its field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// W: acknowledgements a write needs (default `None`: a majority of the replicas).
    pub write_quorum: Option<usize>,
    /// R: answers a read needs (default `None`: a majority of the replicas).
    pub read_quorum: Option<usize>,
    /// How long the coordinator waits for each replica, in ticks (default 10). Shorter
    /// than [`Config::client_timeout_ticks`], so a client hears "quorum not reached"
    /// instead of timing out.
    pub coordinator_timeout_ticks: Tick,
    /// How long a client waits for its coordinator, in ticks (default 20). The cluster's
    /// request timeout should be set to this.
    pub client_timeout_ticks: Tick,
    /// Read repair mode (default [`ReadRepair::Off`]).
    pub read_repair: ReadRepair,
    /// How versions are stamped and compared (default [`Versioning::WallClock`]).
    pub versioning: Versioning,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            write_quorum: None,
            read_quorum: None,
            coordinator_timeout_ticks: 10,
            client_timeout_ticks: 20,
            read_repair: ReadRepair::Off,
            versioning: Versioning::WallClock,
        }
    }
}

impl Config {
    /// The default configuration with read repair set to `mode`.
    pub fn with_read_repair(mode: ReadRepair) -> Self {
        Config {
            read_repair: mode,
            ..Config::default()
        }
    }

    /// The majority of `replicas`: any two majorities share a replica.
    pub fn majority(replicas: usize) -> usize {
        replicas / 2 + 1
    }

    /// W for `replicas` replicas.
    pub fn w(&self, replicas: usize) -> usize {
        self.write_quorum.unwrap_or(Self::majority(replicas))
    }

    /// R for `replicas` replicas.
    pub fn r(&self, replicas: usize) -> usize {
        self.read_quorum.unwrap_or(Self::majority(replicas))
    }

    /// Whether every read quorum meets every write quorum (R + W > N).
    pub fn quorums_intersect(&self, replicas: usize) -> bool {
        self.r(replicas) + self.w(replicas) > replicas
    }

    /// Check the configuration for a cluster of `replicas`.
    pub fn validate(&self, replicas: usize) -> Result<(), ConfigError> {
        for (which, value) in [("W", self.w(replicas)), ("R", self.r(replicas))] {
            if value == 0 || value > replicas {
                return Err(ConfigError::QuorumOutOfRange {
                    which,
                    value,
                    replicas,
                });
            }
        }
        if self.coordinator_timeout_ticks >= self.client_timeout_ticks {
            return Err(ConfigError::CoordinatorOutlivesClient {
                coordinator_ticks: self.coordinator_timeout_ticks,
                client_ticks: self.client_timeout_ticks,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majority_quorums_of_three_intersect_and_r1_w1_do_not() {
        let majority = Config::default();
        assert_eq!((majority.r(3), majority.w(3)), (2, 2));
        assert!(majority.quorums_intersect(3), "2 + 2 > 3 must intersect");
        let one = Config {
            read_quorum: Some(1),
            write_quorum: Some(1),
            ..Config::default()
        };
        assert!(!one.quorums_intersect(3), "1 + 1 <= 3 must not intersect");
    }

    /// Every read quorum meets every write quorum exactly when R + W > N: at R + W = N a
    /// read and a write can miss each other.
    #[test]
    fn quorums_intersect_exactly_when_r_plus_w_exceeds_n() {
        for (r, w, n, intersect) in [
            (2, 2, 3, true),
            (1, 3, 3, true),
            (3, 1, 3, true),
            (1, 2, 3, false),
            (2, 1, 3, false),
            (1, 1, 3, false),
            (3, 3, 5, true),
            (2, 3, 5, false),
        ] {
            let config = Config {
                read_quorum: Some(r),
                write_quorum: Some(w),
                ..Config::default()
            };
            assert_eq!(
                config.quorums_intersect(n),
                intersect,
                "R = {r}, W = {w}, N = {n}"
            );
        }
    }

    /// R and W must each lie in 1..=N: zero or more than N replicas is refused, naming
    /// the quorum, and N itself (every replica) is allowed.
    #[test]
    fn quorum_sizes_outside_one_to_n_are_rejected_and_n_is_accepted() {
        let with = |r: usize, w: usize| Config {
            read_quorum: Some(r),
            write_quorum: Some(w),
            ..Config::default()
        };
        assert_eq!(with(3, 3).validate(3), Ok(()), "R = W = N is allowed");
        assert_eq!(with(1, 1).validate(3), Ok(()), "R = W = 1 is allowed");
        for (r, w, which, value) in [
            (0, 2, "R", 0),
            (2, 0, "W", 0),
            (2, 4, "W", 4),
            (5, 2, "R", 5),
        ] {
            assert_eq!(
                with(r, w).validate(3),
                Err(ConfigError::QuorumOutOfRange {
                    which,
                    value,
                    replicas: 3
                }),
                "R = {r}, W = {w} of 3 replicas"
            );
        }
    }

    #[test]
    fn a_coordinator_that_outlives_its_client_is_rejected() {
        let config = Config {
            coordinator_timeout_ticks: 20,
            client_timeout_ticks: 20,
            ..Config::default()
        };
        assert!(matches!(
            config.validate(3),
            Err(ConfigError::CoordinatorOutlivesClient { .. })
        ));
        assert_eq!(Config::default().validate(3), Ok(()));
    }

    #[test]
    fn timestamp_only_versions_tie_while_wall_clock_versions_break_ties_by_node() {
        let a = Version {
            timestamp: 5,
            node: "athens".into(),
        };
        let b = Version {
            timestamp: 5,
            node: "byzantium".into(),
        };
        assert!(
            !Versioning::TimestampOnly.is_newer(&b, &a)
                && !Versioning::TimestampOnly.is_newer(&a, &b),
            "the original's comparison sees a tie: neither replaces the other"
        );
        assert!(
            Versioning::WallClock.is_newer(&b, &a) && !Versioning::WallClock.is_newer(&a, &b),
            "with the node tie-break exactly one of two tied writes wins everywhere"
        );
    }

    /// A version replaces only an older one: a later timestamp wins under every scheme,
    /// an earlier one never does, and a version is never newer than itself (a duplicated
    /// write is ignored, not applied again).
    #[test]
    fn a_version_replaces_only_an_older_one_never_itself() {
        let old = Version {
            timestamp: 4,
            node: "cyrene".into(),
        };
        let new = Version {
            timestamp: 5,
            node: "athens".into(),
        };
        for versioning in [
            Versioning::TimestampOnly,
            Versioning::WallClock,
            Versioning::Hybrid,
        ] {
            assert!(
                versioning.is_newer(&new, &old),
                "{versioning:?}: timestamp 5 must replace 4"
            );
            assert!(
                !versioning.is_newer(&old, &new),
                "{versioning:?}: timestamp 4 must not replace 5"
            );
            assert!(
                !versioning.is_newer(&new, &new),
                "{versioning:?}: a version is not newer than itself"
            );
        }
    }

    /// What a replica ends with after receiving `versions` in this order.
    fn last_write_wins(versioning: Versioning, versions: &[Version]) -> Version {
        let mut held = versions[0].clone();
        for v in &versions[1..] {
            if versioning.is_newer(v, &held) {
                held = v.clone();
            }
        }
        held
    }

    /// Property over 500 seeded shuffles of writes with colliding timestamps: with
    /// (timestamp, node) versions, every arrival order leaves a replica with the same
    /// winner, so replicas converge; with timestamps alone the order decides.
    #[test]
    fn last_write_wins_converges_whatever_the_arrival_order() {
        let mut rng = common::SimRng::derive(7, "arrival orders");
        let nodes = ["athens", "byzantium", "cyrene"];
        let mut timestamp_only_diverged = false;
        for _ in 0..500 {
            let mut versions: Vec<Version> = (0..6)
                .map(|_| Version {
                    timestamp: rng.range(1, 3),
                    node: nodes[rng.below(nodes.len())].into(),
                })
                .collect();
            let expected = versions.iter().max().cloned().expect("six versions");
            for _ in 0..4 {
                rng.shuffle(&mut versions);
                assert_eq!(
                    last_write_wins(Versioning::WallClock, &versions),
                    expected,
                    "a replica must end with the largest version whatever the order: {versions:?}"
                );
                let winner = last_write_wins(Versioning::TimestampOnly, &versions);
                timestamp_only_diverged |= winner != expected;
            }
        }
        assert!(
            timestamp_only_diverged,
            "with timestamps alone some arrival order must keep a different tied write"
        );
    }
}
