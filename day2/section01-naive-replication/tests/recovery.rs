//! The "three-phase" server's recovery: a coordinator that staged an operation on a
//! majority and disappeared before committing it everywhere. The next coordinator's query
//! finds the orphan and finishes it.

mod support;
use common::{Cluster, RpcError};
use naive_replication::client::{increment, new_value};
use naive_replication::{Config, Msg, ThreePhaseServer};
use support::*;

/// COMMITs from athens to the others are dropped; alice's +10 is applied on athens only.
/// Returns the cluster with byzantium and cyrene holding +10 staged.
fn orphan_on_byzantium_and_cyrene(config: Config) -> Cluster<Msg> {
    let mut cluster = three_phase(config);
    cluster
        .net()
        .drop_kind("Commit", ATHENS, [BYZANTIUM, CYRENE]);
    let _unawaited = cluster.call(ALICE, ATHENS, increment(KEY, 10));
    await_values::<ThreePhaseServer>(&mut cluster, &[ATHENS], 10, 10);
    for id in [BYZANTIUM, CYRENE] {
        assert_eq!(
            value::<ThreePhaseServer>(&cluster, id),
            None,
            "{id} only staged +10"
        );
    }
    cluster.net().clear_rules();
    cluster
}

/// The original's recovery test, with a corrected server: athens is cut off after
/// staging +10 everywhere and applying it alone; bob's +20 at byzantium makes byzantium
/// find the orphan, finish it on byzantium and cyrene, and then run bob's own +20.
#[test]
fn step3_three_phase_coordinator_failure_recovery() {
    for style in STYLES {
        let config = Config::default().with_style(style);
        let mut cluster = orphan_on_byzantium_and_cyrene(config);
        cluster.partition(&[&[ATHENS], &[BYZANTIUM, CYRENE, ALICE, BOB]]);
        let reply = cluster.call(BOB, BYZANTIUM, increment(KEY, 20));
        await_values::<ThreePhaseServer>(&mut cluster, &[BYZANTIUM, CYRENE], 10, 30);
        assert_eq!(
            new_value(cluster.run(&reply)),
            Ok(30),
            "{style:?}: bob's +20 runs after the recovered +10, and bob is told so"
        );
        await_values::<ThreePhaseServer>(&mut cluster, &[BYZANTIUM, CYRENE], 30, 5);
        assert_eq!(
            value::<ThreePhaseServer>(&cluster, ATHENS),
            Some(10),
            "{style:?}: the cut-off athens is untouched"
        );
    }
}

/// Negative control (the original, in both coordinator styles): the request that triggered
/// the recovery is dropped.
/// Bob is never answered and his +20 is never applied.
#[test]
fn step3_original_recovery_drops_the_triggering_request() {
    for style in STYLES {
        let mut cluster = orphan_on_byzantium_and_cyrene(Config::original().with_style(style));
        cluster.partition(&[&[ATHENS], &[BYZANTIUM, CYRENE, ALICE, BOB]]);
        let reply = cluster.call(BOB, BYZANTIUM, increment(KEY, 20));
        assert_eq!(
            cluster.run(&reply),
            Err(RpcError::Timeout {
                after_ticks: CLIENT_TIMEOUT_TICKS
            }),
            "{style:?}: the original never answers bob"
        );
        assert_eq!(
            values::<ThreePhaseServer>(&cluster),
            [Some(10), Some(10), Some(10)],
            "{style:?}: the orphan was finished, bob's +20 silently lost"
        );
    }
}

/// Negative control (the original): athens, which already applied +10, is reachable
/// during the recovery; it stages +10 again and applies it a second time.
#[test]
fn step3_three_phase_recovery_double_applies_on_reachable_old_coordinator() {
    let mut cluster = orphan_on_byzantium_and_cyrene(Config::original());
    let _dropped = cluster.call(BOB, BYZANTIUM, increment(KEY, 20));
    cluster.tick_n(20);
    assert_eq!(
        values::<ThreePhaseServer>(&cluster),
        [Some(20), Some(10), Some(10)],
        "the original applies +10 twice on athens"
    );
}

/// Regression for the double apply: every server remembers what it applied, so the
/// re-sent ACCEPT and COMMIT leave athens alone, and every replica ends at 10 + 20.
#[test]
fn step3_recovery_does_not_double_apply_on_reachable_old_coordinator() {
    for style in STYLES {
        let mut cluster = orphan_on_byzantium_and_cyrene(Config::default().with_style(style));
        let reply = cluster.call(BOB, BYZANTIUM, increment(KEY, 20));
        assert_eq!(
            new_value(cluster.run(&reply)),
            Ok(30),
            "{style:?}: bob's answer"
        );
        await_values::<ThreePhaseServer>(&mut cluster, &SERVERS, 30, 5);
        for id in SERVERS {
            let applied = &cluster.node::<ThreePhaseServer>(id).participant.applied;
            assert!(
                applied.values().all(|times| *times == 1),
                "{style:?}: {id} applied an operation more than once: {applied:?}"
            );
        }
    }
}

/// Two orphans: A (+10, athens, smaller id) was staged by athens and byzantium and
/// applied on athens (alice was told 10); B (+1, cyrene, larger id) was staged on cyrene
/// only and never acknowledged. Athens is then cut off, and bob calls byzantium.
fn two_orphans(config: Config) -> Cluster<Msg> {
    let mut cluster = three_phase(config);
    // B: cyrene's ACCEPTs are lost; only cyrene stages it, bob is told it failed.
    cluster
        .net()
        .drop_kind("Accept", CYRENE, [ATHENS, BYZANTIUM]);
    let b = cluster.call(BOB, CYRENE, increment(KEY, 1));
    assert!(
        matches!(cluster.run(&b), Ok(Msg::Failed { .. })),
        "B reaches no majority"
    );
    cluster.net().clear_rules();
    // A: athens's query does not reach cyrene (so it does not see B), its ACCEPT to cyrene
    // and its COMMITs are lost.
    cluster.net().drop_kind("Query", ATHENS, CYRENE);
    cluster.net().drop_kind("Accept", ATHENS, CYRENE);
    cluster
        .net()
        .drop_kind("Commit", ATHENS, [BYZANTIUM, CYRENE]);
    let a = cluster.call(ALICE, ATHENS, increment(KEY, 10));
    assert_eq!(
        new_value(cluster.run(&a)),
        Ok(10),
        "alice is told A succeeded"
    );
    cluster.net().clear_rules();
    cluster.partition(&[&[ATHENS], &[BYZANTIUM, CYRENE, ALICE, BOB]]);
    cluster
}

/// Negative control (the original): "largest id wins" finishes B and abandons A, which
/// a client was told had succeeded. The survivors and athens disagree for good.
#[test]
fn step3_three_phase_wrong_tiebreak_diverges() {
    let mut cluster = two_orphans(Config::original());
    let _dropped = cluster.call(BOB, BYZANTIUM, increment(KEY, 20));
    cluster.tick_n(50);
    assert_eq!(
        values::<ThreePhaseServer>(&cluster),
        [Some(10), Some(1), Some(1)],
        "the survivors applied the unacknowledged B and lost the acknowledged A"
    );
}

/// Regression for the tie-break: recovery finishes every reported orphan, so A (which
/// alice was told about) reaches the survivors, and so does B, then bob's +20.
#[test]
fn step3_recovery_finishes_the_operation_the_old_coordinator_applied() {
    for style in STYLES {
        let mut cluster = two_orphans(Config::default().with_style(style));
        let reply = cluster.call(BOB, BYZANTIUM, increment(KEY, 20));
        assert_eq!(
            new_value(cluster.run(&reply)),
            Ok(31),
            "{style:?}: A (+10) and B (+1) recovered, then bob's +20"
        );
        await_values::<ThreePhaseServer>(&mut cluster, &[BYZANTIUM, CYRENE], 31, 5);
    }
}

/// Regression for "a query reports one staged operation": two orphans staged on the same
/// servers are both reported and both finished.
#[test]
fn step3_recovery_finishes_every_orphan_not_just_one() {
    for style in STYLES {
        let mut cluster = three_phase(Config::default().with_style(style));
        // Commits and the queries' view of each other are lost: two orphans pile up.
        cluster
            .net()
            .drop_kind("Commit", ATHENS, [BYZANTIUM, CYRENE]);
        cluster
            .net()
            .drop_kind("Query", ATHENS, [BYZANTIUM, CYRENE]);
        cluster
            .net()
            .drop_kind("Pending", [BYZANTIUM, CYRENE], ATHENS);
        let first = cluster.call(ALICE, ATHENS, increment(KEY, 1));
        assert!(
            matches!(cluster.run(&first), Ok(Msg::Failed { .. })),
            "{style:?}: athens's query reaches no majority"
        );
        cluster.net().clear_rules();
        // Now the queries get through but the commits do not: two staged operations.
        cluster
            .net()
            .drop_kind("Commit", ATHENS, [BYZANTIUM, CYRENE]);
        for delta in [2, 3] {
            let reply = cluster.call(ALICE, ATHENS, increment(KEY, delta));
            cluster.run(&reply).expect("athens's operations succeed");
        }
        cluster.net().clear_rules();
        let staged = cluster
            .node::<ThreePhaseServer>(BYZANTIUM)
            .participant
            .staged
            .len();
        assert!(
            staged >= 2,
            "{style:?}: byzantium must hold at least two orphans, holds {staged}"
        );
        cluster.partition(&[&[ATHENS], &[BYZANTIUM, CYRENE, ALICE, BOB]]);
        let reply = cluster.call(BOB, BYZANTIUM, increment(KEY, 20));
        assert_eq!(
            new_value(cluster.run(&reply)),
            Ok(25),
            "{style:?}: both orphans (+2, +3) finished before bob's +20"
        );
        assert!(
            cluster
                .node::<ThreePhaseServer>(BYZANTIUM)
                .participant
                .staged
                .is_empty(),
            "{style:?}: no orphan may be left behind"
        );
    }
}

/// The recovery test the original deleted, restored deterministically: COMMITs are held
/// (not lost), recovery finishes the orphan, and then the held COMMITs arrive late. They
/// must not apply +10 a second time.
#[test]
fn step3_late_commit_after_recovery_is_not_applied_twice() {
    for style in STYLES {
        let mut cluster = three_phase(Config::default().with_style(style));
        let held = cluster
            .net()
            .hold_kind("Commit", ATHENS, [BYZANTIUM, CYRENE]);
        let _unawaited = cluster.call(ALICE, ATHENS, increment(KEY, 10));
        cluster.tick_n(100);
        assert_eq!(
            values::<ThreePhaseServer>(&cluster),
            [Some(10), None, None],
            "{style:?}: with the commits held the followers only staged +10"
        );
        cluster.partition(&[&[ATHENS], &[BYZANTIUM, CYRENE, ALICE, BOB]]);
        let reply = cluster.call(BOB, BYZANTIUM, increment(KEY, 20));
        assert_eq!(
            new_value(cluster.run(&reply)),
            Ok(30),
            "{style:?}: bob's answer"
        );
        cluster.net().release(held);
        cluster.tick_n(10);
        assert_eq!(
            values::<ThreePhaseServer>(&cluster),
            [Some(10), Some(30), Some(30)],
            "{style:?}: the late commits of +10 must be ignored (30, not 40)"
        );
    }
}

/// The three-phase coordinator's first wait, the query, also ends in a decodable failure
/// when it times out (regression for the original's empty-payload timeout reply).
#[test]
fn step3_three_phase_query_timeout_reply_is_a_decodable_failure() {
    for style in STYLES {
        let mut cluster = three_phase(Config::default().with_style(style));
        cluster.partition(&[&[ATHENS, ALICE], &[BYZANTIUM, CYRENE, BOB]]);
        let start = cluster.now();
        let reply = cluster.call(ALICE, ATHENS, increment(KEY, 1));
        assert_eq!(
            cluster.run(&reply),
            Ok(Msg::Failed {
                reason: naive_replication::Failure::QueryQuorumLost {
                    answered: 1,
                    required: 2
                }
            }),
            "{style:?}: a coordinator cut off from the majority must say so, not go silent"
        );
        let waited = cluster.now() - start;
        let phase_timeout = Config::default().phase_timeout_ticks;
        assert!(
            waited <= phase_timeout + 2,
            "{style:?}: the failure must come as soon as the query times out ({phase_timeout} ticks, plus alice's round trip), not after {waited} ticks"
        );
    }
}
