//! Generations as fencing tokens: once a server has seen a newer generation, a request
//! carrying an older one is refused, so a stale leader cannot complete a majority write.

mod support;
use generation_voting::client::{ClientError, write, written};
use generation_voting::{Config, GenerationServer};
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
