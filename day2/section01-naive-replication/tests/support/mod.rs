//! Cluster builders and readers shared by the scenario tests.
#![allow(dead_code)]

// Not every test file uses every name.
#[allow(unused_imports)]
pub use common::names::{ALICE, ATHENS, BOB, BYZANTIUM, CYRENE};
use common::{Cluster, Process};
use naive_replication::{
    Config, CoordinatorStyle, HasCounters, Msg, NaiveServer, SingleServer, ThreePhaseServer,
    TwoPhaseServer,
};

pub const SERVERS: [&str; 3] = [ATHENS, BYZANTIUM, CYRENE];
pub const KEY: &str = "counter_key";

/// Client request timeout in ticks: long enough for a query, two recoveries and a
/// proposal (each phase at most `phase_timeout_ticks` = 10).
pub const CLIENT_TIMEOUT_TICKS: u64 = 100;

/// Both ways of writing the three-phase coordinator: every three-phase scenario runs
/// against each.
pub const STYLES: [CoordinatorStyle; 2] =
    [CoordinatorStyle::Callbacks, CoordinatorStyle::StateMachine];

fn cluster<P: Process<Msg = Msg>>(make: impl Fn() -> P + 'static) -> Cluster<Msg> {
    let mut cluster = Cluster::builder()
        .seed(1)
        .servers(SERVERS)
        .request_timeout(CLIENT_TIMEOUT_TICKS)
        .build(move |_, _| make());
    cluster.add_client(ALICE);
    cluster.add_client(BOB);
    cluster
}

pub fn single() -> Cluster<Msg> {
    let mut cluster = Cluster::builder()
        .servers([ATHENS])
        .request_timeout(CLIENT_TIMEOUT_TICKS)
        .build(|_, _| SingleServer::new());
    cluster.add_client(ALICE);
    cluster
}

pub fn naive() -> Cluster<Msg> {
    cluster(NaiveServer::new)
}

pub fn two_phase(config: Config) -> Cluster<Msg> {
    cluster(move || TwoPhaseServer::new(config))
}

pub fn three_phase(config: Config) -> Cluster<Msg> {
    cluster(move || ThreePhaseServer::new(config))
}

/// Node `id`'s local value of `key`.
pub fn value<P: Process<Msg = Msg> + HasCounters>(cluster: &Cluster<Msg>, id: &str) -> Option<i64> {
    cluster.node::<P>(id).counters().get(KEY)
}

/// Every server's local value of `key`, in cluster order.
pub fn values<P: Process<Msg = Msg> + HasCounters>(cluster: &Cluster<Msg>) -> [Option<i64>; 3] {
    SERVERS.map(|id| value::<P>(cluster, id))
}

/// Tick until every listed server holds `expected`, within `budget` ticks; panics with
/// the cluster report otherwise.
pub fn await_values<P: Process<Msg = Msg> + HasCounters>(
    cluster: &mut Cluster<Msg>,
    ids: &[&str],
    expected: i64,
    budget: u64,
) {
    let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    if let Err(e) = cluster.tick_until_within(budget, |c| {
        ids.iter().all(|id| value::<P>(c, id) == Some(expected))
    }) {
        panic!("servers {ids:?} never all held {expected}: {e}");
    }
}
