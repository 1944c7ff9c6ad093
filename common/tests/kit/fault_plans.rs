//! proptest drives the fault schedule: the correct register survives any schedule within
//! the budget, and a failure of a register that serves reads from one replica's copy
//! shrinks to the single fault that makes that copy stale.

use crate::support::register::{Mode, RegisterWorkload, Replica};
use common::NetConfig;
use common::check::models::KvRegister;
use common::nemesis::{FaultPlan, strategy};
use common::sim::{self, Check, SimConfig};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestError, TestRunner};

fn run(
    seed: u64,
    plan: FaultPlan,
    mode: Mode,
    clients: usize,
) -> Result<sim::Exercised, Box<sim::SeedFailure>> {
    let net = NetConfig {
        latency: (1, 1),
        ..NetConfig::default()
    };
    let config = SimConfig {
        chaos_ticks: 400,
        quiesce_ticks: 400,
        net,
        clients,
        plan: Some(plan),
        ..SimConfig::new(seed)
    };
    let mut workload = RegisterWorkload::default();
    sim::run(
        &config,
        |b| b.build(move |_, _| Replica::new(mode)),
        &mut workload,
        &KvRegister::new(0),
        Check::Linearizable,
    )
    .into_result()
}

proptest! {
    // A fixed seed: CI explores the same schedules every time (PROPTEST_RNG_SEED overrides).
    #![proptest_config(Config { cases: 48, failure_persistence: None, rng_seed: RngSeed::Fixed(1), ..Config::default() })]

    /// Any schedule of up to eight faults, one server away at a time.
    #[test]
    fn the_abd_register_survives_any_fault_schedule(
        seed in 0u64..10_000,
        specs in strategy::fault_specs(sim::server_names(3), 400, 8, 80),
    ) {
        let plan = FaultPlan::new(specs, &sim::server_names(3), 1);
        if let Err(failure) = run(seed, plan, Mode::Correct, 3) {
            prop_assert!(false, "seed {seed} failed: {}\n{}", failure.failure, failure.report);
        }
    }
}

#[test]
fn a_failing_schedule_shrinks_to_the_faults_that_matter() {
    let servers = sim::server_names(3);
    // One client and equal latencies: operations never overlap and every replica applies a
    // write before the client hears back, so local reads are only stale after a fault.
    // proptest searches workload seeds and fault schedules together, then shrinks both.
    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(1),
        ..Config::default()
    });
    let strategy = (
        0u64..200,
        strategy::fault_specs(servers.clone(), 400, 20, 80),
    );
    let outcome = runner.run(&strategy, |(seed, specs)| {
        let plan = FaultPlan::new(specs, &servers, 1);
        prop_assert!(run(seed, plan, Mode::LocalRead, 1).is_ok());
        Ok(())
    });
    let Err(TestError::Fail(_, (seed, minimal))) = outcome else {
        panic!(
            "proptest must find a fault schedule that breaks the local-read register, got {outcome:?}"
        );
    };
    let plan = FaultPlan::new(minimal, &servers, 1);
    println!("seed {seed}, shrunk fault schedule:\n{plan}");
    assert!(
        run(seed, FaultPlan::default(), Mode::LocalRead, 1).is_ok(),
        "without faults seed {seed} must pass: the bug needs a fault"
    );
    assert!(
        run(seed, plan.clone(), Mode::LocalRead, 1).is_err(),
        "the shrunk schedule must still break the register"
    );
    assert!(
        !plan.is_empty() && plan.faults().len() <= 2,
        "shrinking must leave one or two faults; the shrunk schedule is:\n{plan}"
    );
    assert!(
        plan.faults().iter().any(|f| !f.fault.affected().is_empty()),
        "the fault must take a replica away (cut off, crashed or paused), got:\n{plan}"
    );
}
