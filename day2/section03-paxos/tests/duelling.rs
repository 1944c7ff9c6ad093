//! Duelling proposers: three proposers that keep pre-empting each other. Randomised
//! backoff separates them, so every run ends with one value chosen and every client
//! answered.

mod support;
use common::NetConfig;
use common::trace::TraceKind;
use paxos::{Config, Decision, RequestId};
use support::*;

/// What one duel ended with.
struct Duel {
    /// Every client's answer.
    decisions: Vec<Decision>,
    /// Ticks until the last client was answered.
    took: u64,
    /// Whether any proposer lost an attempt and backed off (a real duel).
    backed_off: bool,
    /// The request each server applied, once all have applied one.
    learned: Vec<(&'static str, RequestId)>,
}

/// Three clients ask three different servers in the same tick, over a network with
/// variable latency.
fn three_way_duel(seed: u64, config: Config) -> Duel {
    let builder = common::ClusterBuilder::new()
        .seed(seed)
        .servers(THREE)
        .net(NetConfig {
            latency: (1, 3),
            ..NetConfig::default()
        })
        .request_timeout(CLIENT_TIMEOUT)
        .budget(CLIENT_TIMEOUT);
    let mut cluster = paxos::build(builder, config);
    for client in [ALICE, BOB, CAROL] {
        cluster.add_client(client);
    }
    install_invariants(&mut cluster);
    let calls = [(ALICE, ATHENS), (BOB, BYZANTIUM), (CAROL, CYRENE)].map(|(client, node)| {
        (
            client,
            paxos::execute(&mut cluster, client, node, 1, set("k", client)),
        )
    });
    let mut decisions = Vec::new();
    for (client, call) in &calls {
        decisions.push(decided(&mut cluster, call, client));
    }
    let took = cluster.now();
    let backed_off = cluster
        .trace()
        .events()
        .any(|e| e.kind == TraceKind::Note && e.detail.contains("retrying in"));
    until_all_applied(&mut cluster, &THREE);
    let learned = THREE
        .iter()
        .map(|id| {
            let applied = server(&cluster, id)
                .applied()
                .expect("every server has applied the decision");
            (*id, applied.value.request.clone())
        })
        .collect();
    Duel {
        decisions,
        took,
        backed_off,
        learned,
    }
}

/// Seeds of the duel sweep.
const DUEL_SEEDS: u64 = 200;

/// No duel may need as long as two phase timeouts: randomised backoff, not timeouts,
/// separates the proposers (the slowest of the 200 seeds took 23 ticks when this was
/// written; the client timeout is 400).
const DUEL_TICKS_MAX: u64 = 40;

/// Three proposers start in the same tick on 200 seeds: each duel ends with exactly one
/// winner, every server learns that winner, and every client is answered within
/// `DUEL_TICKS_MAX` ticks. At least half the seeds must really duel, a proposer losing
/// an attempt and backing off (199 of 200 when this was written).
#[test]
fn step3_duelling_proposers_terminate_with_backoff() {
    let mut duels = 0;
    for seed in 0..DUEL_SEEDS {
        let duel = three_way_duel(seed, Config::default());
        let winners: Vec<&RequestId> = duel
            .decisions
            .iter()
            .filter(|d| d.won)
            .map(|d| &d.request)
            .collect();
        assert_eq!(
            winners.len(),
            1,
            "seed {seed}: exactly one of three clients must win, winners {winners:?}"
        );
        check_history(&duel.decisions).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        for (id, learned) in &duel.learned {
            assert_eq!(
                learned, winners[0],
                "seed {seed}: {id} learned {learned}, but the clients were told {} won",
                winners[0]
            );
        }
        assert!(
            duel.took <= DUEL_TICKS_MAX,
            "seed {seed}: the duel took {} ticks, more than two phase timeouts ({DUEL_TICKS_MAX})",
            duel.took
        );
        duels += u64::from(duel.backed_off);
    }
    assert!(
        duels >= DUEL_SEEDS / 2,
        "only {duels} of {DUEL_SEEDS} seeds made a proposer back off: the scenario no longer tests duelling"
    );
}

/// The backoff window doubles per retry up to its cap.
#[test]
fn backoff_window_doubles_up_to_its_cap() {
    let config = Config::default();
    let windows: Vec<_> = (1..=6).map(|retry| config.backoff_window(retry)).collect();
    assert_eq!(
        windows,
        vec![(1, 8), (1, 16), (1, 32), (1, 32), (1, 32), (1, 32)],
        "the window must start at 8 ticks, double, and stop at the 32-tick cap"
    );
}
