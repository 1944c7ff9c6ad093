//! Invariants, budgets and reports.

use crate::support::*;
use common::ClusterError;

#[test]
fn a_stuck_condition_reports_pending_messages_rules_and_the_trace_tail() {
    let mut cluster = three_nodes(1);
    cluster.net().hold_kind("Ping", ATHENS, BYZANTIUM);
    cluster.partition(&[&[ATHENS, BYZANTIUM, ALICE], &[CYRENE]]);
    let _ = cluster.call(
        ALICE,
        ATHENS,
        Msg::PingVia {
            to: BYZANTIUM.into(),
            timeout: 500,
        },
    );
    let err = cluster
        .tick_until_within(20, |c| c.node::<Node>(BYZANTIUM).pings > 0)
        .expect_err("the ping is held, so byzantium can never see it");
    let ClusterError::Stuck { ticks, report, .. } = &err else {
        panic!("expected Stuck, got {err}")
    };
    assert_eq!(*ticks, 20);
    for needle in [
        "messages held: 1",
        "Hold",
        "cut links: [athens->cyrene",
        "waiting for replies",
        "send Ping",
    ] {
        assert!(
            report.contains(needle),
            "the report must mention {needle:?}:\n{report}"
        );
    }
}

#[test]
fn an_invariant_is_checked_after_every_tick_and_names_itself_when_violated() {
    let mut cluster = three_nodes(1);
    cluster.add_invariant("value never exceeds 10", |view| {
        for (id, node) in view.nodes::<Node>() {
            if node.value.is_some_and(|v| v > 10) {
                return Err(format!("{id} holds {:?}", node.value));
            }
        }
        Ok(())
    });
    let ok = cluster.call(ALICE, ATHENS, Msg::Put { value: 3 });
    cluster.run(&ok).expect("3 is allowed");
    let _ = cluster.call(ALICE, ATHENS, Msg::Put { value: 11 });
    let err = cluster
        .tick_until(|_| false)
        .expect_err("the invariant must fire");
    match err {
        ClusterError::Invariant { name, message, .. } => {
            assert_eq!(name, "value never exceeds 10");
            assert!(message.contains("athens holds Some(11)"), "{message}");
        }
        other => panic!("expected an invariant violation, got {other}"),
    }
}

#[test]
#[should_panic(expected = "the promise is still pending")]
fn run_panics_with_a_report_when_the_budget_runs_out() {
    let mut cluster = three_nodes(1);
    cluster.set_budget(30);
    cluster.net().hold_kind("Get", ALICE, ATHENS);
    let get = cluster.call_with_timeout(ALICE, ATHENS, Msg::Get, 1000);
    let _ = cluster.run(&get);
}

#[test]
fn clock_controls_set_skew_and_drift_one_node_only() {
    let mut cluster = three_nodes(1);
    cluster.tick_n(10);
    assert_eq!(cluster.wall_ms(ATHENS), 1010);
    cluster.clock(ATHENS).set_ms(500);
    cluster.clock(BYZANTIUM).skew(-200);
    cluster.clock(CYRENE).drift(100_000); // 10 % fast
    cluster.tick_n(100);
    assert_eq!(cluster.wall_ms(ATHENS), 600);
    assert_eq!(cluster.wall_ms(BYZANTIUM), 910);
    assert_eq!(cluster.wall_ms(CYRENE), 1120);
    assert_eq!(cluster.wall_ms(ALICE), 1110, "other clocks are untouched");
}
