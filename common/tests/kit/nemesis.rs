//! The nemesis applies a plan step by step and undoes it; quiesce undoes everything.

use common::echo::{EchoMsg, EchoServer};
use common::nemesis::{Fault, FaultPlan, FaultSpec, Nemesis};
use common::{Cluster, NodeStatus, ProcessId};

fn cluster() -> Cluster<EchoMsg> {
    let mut cluster = Cluster::builder()
        .servers(["athens", "byzantium", "cyrene"])
        .request_timeout(5)
        .build(|_, _| EchoServer::new(3));
    cluster.add_client("alice");
    cluster
}

fn servers() -> Vec<ProcessId> {
    ["athens", "byzantium", "cyrene"]
        .into_iter()
        .map(ProcessId::new)
        .collect()
}

fn relay_works(cluster: &mut Cluster<EchoMsg>) -> bool {
    let relayed = cluster.call(
        "alice",
        "athens",
        EchoMsg::Relay {
            text: "x".into(),
            via: "byzantium".into(),
        },
    );
    matches!(cluster.run(&relayed), Ok(EchoMsg::Relayed { by: Some(_) }))
}

fn run_until(cluster: &mut Cluster<EchoMsg>, nemesis: &mut Nemesis, tick: u64) {
    while cluster.now() < tick {
        nemesis.apply_due(cluster);
        cluster.tick();
    }
}

#[test]
fn a_lossy_link_drops_messages_while_it_lasts_and_heals_after() {
    let (a, b) = (ProcessId::new("athens"), ProcessId::new("byzantium"));
    let spec = FaultSpec {
        start: 1,
        duration: 50,
        fault: Fault::Lossy {
            a,
            b,
            per_mille: 1000,
        },
    };
    let mut nemesis = Nemesis::new(FaultPlan::new(vec![spec], &servers(), 1));
    let mut cluster = cluster();
    run_until(&mut cluster, &mut nemesis, 1);
    assert!(
        !relay_works(&mut cluster),
        "every message between athens and byzantium must be lost"
    );
    assert!(
        cluster.trace().render().contains("(loss)"),
        "the drops must be traced as loss"
    );
    run_until(&mut cluster, &mut nemesis, 60);
    assert!(
        relay_works(&mut cluster),
        "the link must deliver again once the fault ends"
    );
}

#[test]
fn ending_one_cut_never_heals_a_link_another_fault_still_cuts() {
    let specs = vec![
        FaultSpec {
            start: 1,
            duration: 100,
            fault: Fault::Isolate(ProcessId::new("byzantium")),
        },
        FaultSpec {
            start: 2,
            duration: 10,
            fault: Fault::OneWay {
                from: ProcessId::new("athens"),
                to: ProcessId::new("cyrene"),
            },
        },
    ];
    let mut nemesis = Nemesis::new(FaultPlan::new(specs, &servers(), 2));
    let mut cluster = cluster();
    run_until(&mut cluster, &mut nemesis, 20);
    assert!(
        cluster.net().sim().is_cut("athens", "byzantium"),
        "the isolation must outlive the shorter one-way cut"
    );
    assert!(
        !cluster.net().sim().is_cut("athens", "cyrene"),
        "the one-way cut has ended"
    );
}

#[test]
fn quiesce_undoes_every_fault() {
    let specs = vec![
        FaultSpec {
            start: 1,
            duration: 500,
            fault: Fault::Crash(ProcessId::new("cyrene")),
        },
        FaultSpec {
            start: 1,
            duration: 500,
            fault: Fault::Hold(ProcessId::new("byzantium")),
        },
        FaultSpec {
            start: 1,
            duration: 500,
            fault: Fault::Lossy {
                a: ProcessId::new("athens"),
                b: ProcessId::new("byzantium"),
                per_mille: 1000,
            },
        },
        FaultSpec {
            start: 1,
            duration: 500,
            fault: Fault::Duplicate(500),
        },
    ];
    let mut nemesis = Nemesis::new(FaultPlan::new(specs, &servers(), 2));
    let mut cluster = cluster();
    run_until(&mut cluster, &mut nemesis, 5);
    assert_eq!(cluster.status("cyrene"), NodeStatus::Down);
    nemesis.quiesce(&mut cluster);
    assert_eq!(
        cluster.status("cyrene"),
        NodeStatus::Up,
        "crashed nodes restart"
    );
    assert!(cluster.net().sim().rules().is_empty(), "rules are removed");
    assert_eq!(
        cluster.net().sim().config().duplicate,
        0.0,
        "duplication stops"
    );
    assert!(
        relay_works(&mut cluster),
        "a healed network delivers between athens and byzantium"
    );
}
