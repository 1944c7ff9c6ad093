//! Clocks: last-write-wins trusts them. Skew lets an older write win, equal readings
//! used to split the replicas for good, and a hybrid clock orders what it has seen.

mod support;

use common::Cluster;
use common::check;
use quorums::client::{Recorder, found_value, get_and_wait, model, set_and_wait};
use quorums::lab::{all_hold, build_cluster, stored, wait_until_all_hold};
use quorums::{Config, Msg, ReadRepair, Replica, SetOutcome, Versioning};
use support::*;

const MINORITY_CLIENT: &str = "minority-client";
const MAJORITY_CLIENT: &str = "majority-client";

/// Five nodes split {athens, byzantium} | {cyrene, delphi, sparta}. The minority's write
/// fails but stays on athens and byzantium with timestamp ts1. Cyrene's clock is set to
/// ts1 - 10, so the majority's later, successful write gets an older timestamp. After the
/// heal, a read through athens returns the failed minority write. `reader` does that read.
fn skewed_majority_loses_to_failed_minority_write(
    recorder: &Recorder,
    reader: &str,
) -> Cluster<Msg> {
    let mut cluster = five(Config::default());
    cluster.add_client(MAJORITY_CLIENT);
    cluster.add_client(MINORITY_CLIENT);
    if reader != MINORITY_CLIENT {
        cluster.add_client(reader);
    }
    assert_eq!(
        recorder.set_and_wait(&mut cluster, MAJORITY_CLIENT, CYRENE, "title", "v0"),
        SetOutcome::Ok
    );
    wait_until_all_hold(&mut cluster, "title", "v0", SETTLE_TICKS).expect("v0 must reach all five");
    cluster.partition(&[&[ATHENS, BYZANTIUM], &[CYRENE, DELPHI, SPARTA]]);

    let minority =
        recorder.set_and_wait(&mut cluster, MINORITY_CLIENT, ATHENS, "title", "minority");
    assert!(
        matches!(minority, SetOutcome::QuorumNotReached { .. }),
        "two of five cannot acknowledge"
    );
    let ts1 = cluster
        .node::<Replica>(ATHENS)
        .local("title")
        .expect("athens keeps the failed write")
        .version
        .timestamp;
    assert_eq!(
        stored(&cluster, BYZANTIUM, "title").as_deref(),
        Some("minority")
    );

    cluster.clock(CYRENE).set_ms(ts1 - 10);
    let majority =
        recorder.set_and_wait(&mut cluster, MAJORITY_CLIENT, CYRENE, "title", "majority");
    assert_eq!(
        majority,
        SetOutcome::Ok,
        "the majority side still accepts writes"
    );
    let ts2 = cluster
        .node::<Replica>(CYRENE)
        .local("title")
        .expect("cyrene stored the majority write")
        .version
        .timestamp;
    assert!(
        ts2 < ts1,
        "cyrene's clock runs behind: the later write is stamped older ({ts2} < {ts1})"
    );

    cluster.heal_all();
    let read = recorder.get_and_wait(&mut cluster, reader, ATHENS, "title");
    assert_eq!(
        found_value(&read),
        Some("minority"),
        "last-write-wins picks the larger timestamp: the failed minority write, {read:?}"
    );
    cluster
}

/// Recorded as the original did, with the minority write as `fail` ("it did not
/// happen"), reading its value is impossible under any order: neither linearizable nor
/// sequentially consistent.
#[test]
fn step2_clock_skew_lets_failed_minority_write_win() {
    let recorder = Recorder::recording_failed_writes_as_fail();
    skewed_majority_loses_to_failed_minority_write(&recorder, MINORITY_CLIENT);
    let history = recorder.history();
    assert_eq!(
        history.to_edn(),
        "[{:process 0, :type :invoke, :f :write, :value [\"title\" \"v0\"], :index 0, :tick 0, :process-name \"majority-client\"}\n \
         {:process 0, :type :ok, :f :write, :value [\"title\" \"v0\"], :index 1, :tick 4, :process-name \"majority-client\"}\n \
         {:process 1, :type :invoke, :f :write, :value [\"title\" \"minority\"], :index 2, :tick 4, :process-name \"minority-client\"}\n \
         {:process 1, :type :fail, :f :write, :value [\"title\" \"minority\"], :index 3, :tick 16, :process-name \"minority-client\"}\n \
         {:process 0, :type :invoke, :f :write, :value [\"title\" \"majority\"], :index 4, :tick 16, :process-name \"majority-client\"}\n \
         {:process 0, :type :ok, :f :write, :value [\"title\" \"majority\"], :index 5, :tick 20, :process-name \"majority-client\"}\n \
         {:process 1, :type :invoke, :f :read, :value [\"title\" nil], :index 6, :tick 20, :process-name \"minority-client\"}\n \
         {:process 1, :type :ok, :f :read, :value [\"title\" \"minority\"], :index 7, :tick 24, :process-name \"minority-client\"}]\n",
        "the recorded history"
    );
    let linearizable = check::linearizable(&model(), &history);
    assert!(
        linearizable.is_violation(),
        "a read of a write recorded as never having happened: {linearizable}"
    );
    let sequential = check::sequential(&model(), &history);
    assert!(
        sequential.is_violation(),
        "no order of any kind explains it: {sequential}"
    );
}

/// The same run recorded honestly: the failed write is `info` (it may take effect
/// later, or never), and, as Jepsen does after an indeterminate operation, the read is
/// issued by a fresh client. Now an order exists: v0, majority, then the minority write
/// lands, then the read. Linearizable! The store did nothing wrong by its own rules;
/// what a client must take from a failed write is "it may still happen, and win".
#[test]
fn step2_clock_skew_history_is_linearizable_when_the_failed_write_is_recorded_as_info() {
    let recorder = Recorder::new();
    skewed_majority_loses_to_failed_minority_write(&recorder, "minority-client-2");
    let history = recorder.history();
    assert!(
        history
            .to_text()
            .contains("minority-client info write [\"title\" \"minority\"]"),
        "the failed write must be recorded as info:\n{}",
        history.to_text()
    );
    let linearizable = check::linearizable(&model(), &history);
    assert!(
        linearizable.is_ok(),
        "the minority write may take effect after the majority write: {linearizable}"
    );
    assert!(check::sequential(&model(), &history).is_ok());
}

/// alice (through athens) and bob (through byzantium) write in the same tick, so both
/// coordinators stamp the same millisecond; athens's write reaches cyrene late.
fn tied_writes(versioning: Versioning, read_repair: ReadRepair) -> Cluster<Msg> {
    let config = Config {
        versioning,
        read_repair,
        ..Config::default()
    };
    let mut cluster = three(config);
    cluster.add_client(BOB);
    cluster.net().delay_kind("InternalSet", ATHENS, CYRENE, 3);
    let from_athens = quorums::client::set(&mut cluster, ALICE, ATHENS, "title", "from-athens");
    let from_byzantium =
        quorums::client::set(&mut cluster, BOB, BYZANTIUM, "title", "from-byzantium");
    assert_eq!(cluster.run(&from_athens), Ok(SetOutcome::Ok));
    assert_eq!(cluster.run(&from_byzantium), Ok(SetOutcome::Ok));
    cluster.tick_n(SETTLE_TICKS);
    let athens = cluster.node::<Replica>(ATHENS).local("title").cloned();
    let byzantium = cluster.node::<Replica>(BYZANTIUM).local("title").cloned();
    let (athens, byzantium) = (
        athens.expect("athens holds a value"),
        byzantium.expect("byzantium holds a value"),
    );
    assert_eq!(
        athens.version.timestamp, byzantium.version.timestamp,
        "the two writes must carry the same timestamp for this lesson"
    );
    cluster
}

/// Regression for the original's tie bug: two writes with the same timestamp were never
/// reconciled and the replicas disagreed forever. With the node id as tie-break every
/// replica keeps byzantium's write ("byzantium" > "athens"), whatever the arrival order.
#[test]
fn step1_tied_timestamps_converge_with_node_id_tiebreak() {
    let mut cluster = tied_writes(Versioning::WallClock, ReadRepair::Off);
    wait_until_all_hold(&mut cluster, "title", "from-byzantium", SETTLE_TICKS)
        .expect("tied writes must converge on the one with the larger node id, without any read");
}

/// The original's scheme, kept to show the bug: cyrene saw byzantium's write first and
/// keeps it, athens and byzantium keep athens's, and not even synchronous read repair
/// reconciles them, because a tie is never "newer".
#[test]
fn step2_timestamp_only_versions_let_tied_writes_diverge_forever() {
    let mut cluster = tied_writes(Versioning::TimestampOnly, ReadRepair::Sync);
    assert_eq!(
        stored(&cluster, ATHENS, "title").as_deref(),
        Some("from-athens")
    );
    assert_eq!(
        stored(&cluster, CYRENE, "title").as_deref(),
        Some("from-byzantium")
    );
    for coordinator in [ATHENS, BYZANTIUM, CYRENE] {
        get_and_wait(&mut cluster, ALICE, coordinator, "title");
    }
    cluster.tick_n(100);
    assert!(
        !all_hold(&cluster, "title", "from-athens")
            && !all_hold(&cluster, "title", "from-byzantium"),
        "with timestamp-only versions the replicas stay split, even after repairs: athens {:?}, cyrene {:?}",
        stored(&cluster, ATHENS, "title"),
        stored(&cluster, CYRENE, "title")
    );
}

/// Regression for the original rejecting timestamps <= 0: its INTERNAL_SET constructor
/// threw inside the coordinator when a clock was set to zero or below.
#[test]
fn step1_coordinator_with_clock_at_zero_still_writes() {
    let mut cluster = three(Config::default());
    cluster.clock(ATHENS).skew(-1_000_000);
    assert_eq!(
        cluster.wall_ms(ATHENS),
        0,
        "a clock set far back reads zero"
    );
    let outcome = set_and_wait(&mut cluster, ALICE, ATHENS, "title", "at-zero");
    assert_eq!(
        outcome,
        SetOutcome::Ok,
        "a zero timestamp is a valid, if very old, version"
    );
    let stored = cluster
        .node::<Replica>(ATHENS)
        .local("title")
        .cloned()
        .expect("athens stored it");
    assert_eq!(stored.version.timestamp, 0);
}

/// Cyrene's clock is 100 ms behind. It stores athens's write v1 as a replica, then
/// coordinates v2. With wall-clock versions v2 is stamped older than v1, so a read after
/// v2 was acknowledged still returns v1; with a hybrid logical clock cyrene stamps v2
/// above every version it has seen, and v2 wins.
#[test]
fn step2_hybrid_clock_orders_a_write_after_every_version_its_coordinator_has_seen() {
    for (versioning, expected) in [(Versioning::WallClock, "v1"), (Versioning::Hybrid, "v2")] {
        let config = Config {
            versioning,
            ..Config::default()
        };
        let mut cluster =
            build_cluster(&[ATHENS, BYZANTIUM, CYRENE], config, 0).expect("valid configuration");
        cluster.add_client(ALICE);
        cluster.clock(CYRENE).skew(-100);
        let recorder = Recorder::new();
        assert_eq!(
            recorder.set_and_wait(&mut cluster, ALICE, ATHENS, "title", "v1"),
            SetOutcome::Ok
        );
        wait_until_all_hold(&mut cluster, "title", "v1", SETTLE_TICKS)
            .expect("v1 must reach cyrene");
        assert_eq!(
            recorder.set_and_wait(&mut cluster, ALICE, CYRENE, "title", "v2"),
            SetOutcome::Ok
        );
        let read = recorder.get_and_wait(&mut cluster, ALICE, ATHENS, "title");
        assert_eq!(
            found_value(&read),
            Some(expected),
            "{versioning:?}: the read after v2 returned {read:?}"
        );
        let verdict = check::linearizable(&model(), &recorder.history());
        assert_eq!(
            verdict.is_ok(),
            versioning == Versioning::Hybrid,
            "{versioning:?}: only the hybrid clock keeps this single client's history linearizable: {verdict}"
        );
    }
}

/// The same with the roles swapped, so the tie-break cannot help: athens's clock is 100 ms
/// behind, and its name sorts before byzantium's. Athens stores byzantium's v1 as a
/// replica, then coordinates v2: the hybrid clock stamps v2 strictly above v1's
/// timestamp, so v2 wins even though a version with v1's timestamp and athens's name
/// would sort below v1.
#[test]
fn step2_hybrid_clock_orders_a_write_after_a_seen_version_even_when_its_name_sorts_first() {
    let config = Config {
        versioning: Versioning::Hybrid,
        ..Config::default()
    };
    let mut cluster =
        build_cluster(&[ATHENS, BYZANTIUM, CYRENE], config, 0).expect("valid configuration");
    cluster.add_client(ALICE);
    cluster.clock(ATHENS).skew(-100);
    let recorder = Recorder::new();
    assert_eq!(
        recorder.set_and_wait(&mut cluster, ALICE, BYZANTIUM, "title", "v1"),
        SetOutcome::Ok
    );
    wait_until_all_hold(&mut cluster, "title", "v1", SETTLE_TICKS).expect("v1 must reach athens");
    assert_eq!(
        recorder.set_and_wait(&mut cluster, ALICE, ATHENS, "title", "v2"),
        SetOutcome::Ok
    );
    let v1 = cluster
        .node::<Replica>(BYZANTIUM)
        .local("title")
        .cloned()
        .expect("byzantium holds a value")
        .version;
    let read = recorder.get_and_wait(&mut cluster, ALICE, CYRENE, "title");
    assert_eq!(
        found_value(&read),
        Some("v2"),
        "athens saw v1 ({v1}) before stamping v2: v2 must be ordered after it"
    );
    assert_linearizable(&recorder);
}

/// Found by the randomized simulation: alice and bob send writes that reach athens in
/// the same tick, so athens read the same millisecond twice. With equal versions
/// `(timestamp, athens)` replicas kept whichever arrived first and could disagree. A
/// coordinator now stamps each write strictly after its previous one.
#[test]
fn step1_two_writes_coordinated_in_the_same_millisecond_get_distinct_versions() {
    let mut cluster = three(Config::default());
    cluster.add_client(BOB);
    let first = quorums::client::set(&mut cluster, ALICE, ATHENS, "title", "from-alice");
    let second = quorums::client::set(&mut cluster, BOB, ATHENS, "title", "from-bob");
    assert_eq!(cluster.run(&first), Ok(SetOutcome::Ok));
    assert_eq!(cluster.run(&second), Ok(SetOutcome::Ok));
    wait_until_all_hold(&mut cluster, "title", "from-bob", SETTLE_TICKS)
        .expect("the write athens stamped second must win everywhere");
    let version = cluster
        .node::<Replica>(CYRENE)
        .local("title")
        .cloned()
        .expect("cyrene holds a value")
        .version;
    assert_eq!(
        version.timestamp, 1002,
        "both writes reached athens at tick 1 (its clock read 1001): the second is stamped 1002"
    );
}
