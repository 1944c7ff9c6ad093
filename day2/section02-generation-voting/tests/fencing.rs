//! Generations as fencing tokens: once a server has seen a newer generation, a request
//! carrying an older one is refused, so a stale leader cannot complete a majority write.

mod support;
use common::{Cluster, StoreConfig};
use generation_voting::client::{ClientError, write, written};
use generation_voting::{Config, GenerationServer, Msg, RESOURCE_KEY};
use support::*;

/// Alice got generation 1 from athens; while athens was cut off, bob got 2 from
/// byzantium. Alice (a stale leader that does not know it) writes with 1 everywhere:
/// every server that has seen 2 refuses, so her write never reaches a majority. Bob's
/// write with 2 is accepted everywhere, after which even athens refuses alice.
#[test]
fn step3_stale_generation_write_is_rejected_by_every_node_that_saw_a_newer_one() {
    let mut cluster = three(Config::default());
    let stale = next_generation(&mut cluster, ALICE, ATHENS).expect("alice gets a generation");
    cluster.partition(&[&[ATHENS], &[BYZANTIUM, CYRENE, ALICE, BOB, CAROL]]);
    let fresh = next_generation(&mut cluster, BOB, BYZANTIUM).expect("bob gets a newer one");
    assert_eq!((stale, fresh), (1, 2));
    cluster.heal_all();

    let mut accepted = 0;
    for id in THREE {
        let reply = cluster.call(ALICE, id, write(stale, "from alice"));
        let seen_newer = promised(&cluster, id) > stale;
        match written(cluster.run(&reply)) {
            Ok(_) => {
                assert!(
                    !seen_newer,
                    "{id} has seen a newer generation and must refuse alice"
                );
                accepted += 1;
            }
            Err(ClientError::Fenced { seen }) => {
                assert!(
                    seen_newer,
                    "{id} refused alice without having seen a newer generation"
                );
                assert_eq!(
                    seen, fresh,
                    "{id} must report the generation that fenced alice"
                );
            }
            Err(other) => panic!("{id}: unexpected answer {other}"),
        }
    }
    assert_eq!(
        accepted, 1,
        "only athens, which never saw 2, takes the stale write"
    );

    for id in THREE {
        let reply = cluster.call(BOB, id, write(fresh, "from bob"));
        assert_eq!(
            written(cluster.run(&reply)),
            Ok(fresh),
            "{id} must accept the newest generation"
        );
    }
    let reply = cluster.call(ALICE, ATHENS, write(stale, "from alice, again"));
    assert_eq!(
        written(cluster.run(&reply)),
        Err(ClientError::Fenced { seen: fresh }),
        "athens has now seen bob's write with 2 and must refuse 1"
    );
    assert_eq!(
        cluster.node::<GenerationServer>(ATHENS).stored(),
        Some(&(fresh, "from bob".to_string())),
        "the refused write must not have replaced bob's"
    );
}

/// The same leader writing twice with its own generation is fine: fencing refuses only
/// lower generations.
#[test]
fn step3_a_leader_may_write_repeatedly_with_its_own_generation() {
    let mut cluster = three(Config::default());
    let mine = next_generation(&mut cluster, ALICE, ATHENS).expect("alice gets a generation");
    for value in ["first", "second"] {
        let reply = cluster.call(ALICE, BYZANTIUM, write(mine, value));
        assert_eq!(
            written(cluster.run(&reply)),
            Ok(mine),
            "write {value:?} must be accepted"
        );
    }
}

/// The resource used to keep its content and high-water mark in memory only: after a
/// crash and restart it took a write of a generation older than one it had already
/// acknowledged. No election runs here, so no promise fences the old write: only the
/// resource's own durable high-water mark can.
#[test]
fn restarted_resource_refuses_a_generation_below_one_it_accepted() {
    let mut cluster = three(Config::default());
    let newer = cluster.call(BOB, BYZANTIUM, write(2, "from bob"));
    assert_eq!(
        written(cluster.run(&newer)),
        Ok(2),
        "byzantium must accept bob's write of generation 2"
    );
    assert_eq!(
        promised(&cluster, BYZANTIUM),
        0,
        "byzantium voted for nothing, so only the resource itself can fence"
    );
    cluster.crash(BYZANTIUM);
    cluster.restart(BYZANTIUM);
    let older = cluster.call(ALICE, BYZANTIUM, write(1, "from alice"));
    assert_eq!(
        written(cluster.run(&older)),
        Err(ClientError::Fenced { seen: 2 }),
        "after its restart byzantium must still refuse generation 1, having accepted 2"
    );
    assert_eq!(
        cluster.node::<GenerationServer>(BYZANTIUM).stored(),
        Some(&(2, "from bob".to_string())),
        "the restarted resource must hold bob's acknowledged write"
    );
}

/// Disks take 5 ticks. A write is acknowledged only once it is on disk; a crash before
/// that loses it without anyone having been told it was stored.
#[test]
fn a_write_is_acknowledged_only_once_it_is_durable() {
    let mut cluster = Cluster::builder()
        .servers(THREE)
        .store(StoreConfig {
            delay: (5, 5),
            ..StoreConfig::default()
        })
        .request_timeout(CLIENT_TIMEOUT_TICKS)
        .build(|_, _| GenerationServer::new(Config::default()));
    cluster.add_client(ALICE);
    let durable_write = |cluster: &Cluster<Msg>| {
        cluster
            .store(ATHENS)
            .load_durable::<(u64, String)>(RESOURCE_KEY)
            .expect("a stored write decodes")
    };

    let first = cluster.call(ALICE, ATHENS, write(3, "first"));
    cluster.tick_n(3);
    assert!(
        first.result().is_none(),
        "athens must not acknowledge the write while it is still on its way to disk"
    );
    let answer = cluster.run(&first);
    assert_eq!(
        written(answer),
        Ok(3),
        "the write must then be acknowledged"
    );
    assert_eq!(
        durable_write(&cluster),
        Some((3, "first".to_string())),
        "an acknowledged write must already be on disk"
    );

    let second = cluster.call(ALICE, ATHENS, write(4, "second"));
    cluster.tick_n(3);
    cluster.crash(ATHENS);
    cluster.restart(ATHENS);
    assert!(
        !matches!(second.result(), Some(Ok(Msg::Written { .. }))),
        "a write lost in the crash must never have been acknowledged"
    );
    assert_eq!(
        cluster.node::<GenerationServer>(ATHENS).stored(),
        Some(&(3, "first".to_string())),
        "the restarted athens must hold the last durable write, not the lost one"
    );
}
