//! The seeded queue simulator against the closed forms.
//!
//! Every test uses a fixed seed; to replay one with another seed, change the constant.

use littles_law::model;
use littles_law::sim::{QueueConfig, Service, SimError, simulate, sweep};

const SEED: u64 = 42;
const S: f64 = 0.057e-3;

fn relative(actual: f64, expected: f64) -> f64 {
    (actual - expected).abs() / expected
}

/// M/M/1 at U = 0.5 with a million customers: R within 2% of S / (1 − U), and the
/// measured time-average L within 1% of the measured λ · W.
#[test]
fn step3_mm1_at_half_load_matches_s_over_one_minus_u_and_littles_law() {
    let config = QueueConfig::at_utilisation(S, 0.5, Service::Exponential, 1, 1_000_000, SEED);
    let run = simulate(&config).unwrap();
    let analytic = S / (1.0 - 0.5);
    let error = relative(run.mean_response_s, analytic);
    println!(
        "M/M/1 U=0.5 seed {SEED}: R = {:.6} ms, S/(1-U) = {:.6} ms, error {:.3}%",
        run.mean_response_s * 1e3,
        analytic * 1e3,
        error * 100.0
    );
    assert!(
        error < 0.02,
        "seed {SEED}: simulated R {} s is {:.2}% from S/(1-U) = {analytic} s",
        run.mean_response_s,
        error * 100.0
    );
    let little = run.arrival_rate_per_s * run.mean_response_s;
    assert!(
        relative(run.mean_in_system, little) < 0.01,
        "seed {SEED}: time-average L = {} but lambda W = {little}",
        run.mean_in_system
    );
}

#[test]
fn step3_littles_law_holds_at_every_load_and_for_every_queue() {
    for (service, servers) in [
        (Service::Exponential, 1),
        (Service::Deterministic, 1),
        (Service::Exponential, 4),
    ] {
        for u in [0.2, 0.6, 0.9] {
            let config = QueueConfig::at_utilisation(S, u, service, servers, 100_000, SEED);
            let run = simulate(&config).unwrap();
            let little = run.arrival_rate_per_s * run.mean_response_s;
            assert!(
                relative(run.mean_in_system, little) < 0.01,
                "{} at U = {u}: L = {} but lambda W = {little}",
                config.kendall(),
                run.mean_in_system
            );
        }
    }
}

#[test]
fn step3_md1_matches_pollaczek_khinchine() {
    let config = QueueConfig::at_utilisation(S, 0.7, Service::Deterministic, 1, 400_000, SEED);
    let run = simulate(&config).unwrap();
    let analytic = model::md1_response_s(S, 0.7).unwrap();
    let error = relative(run.mean_response_s, analytic);
    assert!(
        error < 0.03,
        "seed {SEED}: M/D/1 at 70% R = {} s vs {analytic} s ({:.2}% off)",
        run.mean_response_s,
        error * 100.0
    );
}

#[test]
fn step3_mmc_waiting_probability_matches_erlang_c() {
    let config = QueueConfig::at_utilisation(S, 0.8, Service::Exponential, 4, 400_000, SEED);
    let run = simulate(&config).unwrap();
    let erlang = model::erlang_c(4, 0.8).unwrap();
    assert!(
        (run.waited_fraction - erlang).abs() < 0.02,
        "seed {SEED}: {:.4} of customers waited, Erlang C says {erlang:.4}",
        run.waited_fraction
    );
    let analytic = config.analytic_response_s().unwrap();
    let error = relative(run.mean_response_s, analytic);
    assert!(
        error < 0.03,
        "seed {SEED}: M/M/4 at 80% R = {} s vs {analytic} s ({:.2}% off)",
        run.mean_response_s,
        error * 100.0
    );
}

#[test]
fn step3_measured_throughput_equals_the_arrival_rate_below_saturation() {
    let config = QueueConfig::at_utilisation(S, 0.7, Service::Exponential, 1, 200_000, SEED);
    let run = simulate(&config).unwrap();
    assert!(
        relative(run.arrival_rate_per_s, config.arrival_rate_per_s) < 0.01,
        "measured lambda should match the configured one"
    );
    assert!(
        relative(run.throughput_per_s, run.arrival_rate_per_s) < 0.01,
        "a stable queue completes what arrives: X = lambda"
    );
    assert!(
        (run.busy_fraction - 0.7).abs() < 0.01,
        "the utilisation law: busy fraction {} should be U = 0.7",
        run.busy_fraction
    );
}

#[test]
fn step3_the_simulated_curve_is_a_hockey_stick() {
    let points = sweep(
        S,
        Service::Exponential,
        1,
        &[0.1, 0.5, 0.8, 0.9, 0.95],
        100_000,
        SEED,
    )
    .unwrap();
    let responses: Vec<f64> = points.iter().map(|p| p.run.mean_response_s).collect();
    assert!(
        responses.windows(2).all(|w| w[0] < w[1]),
        "R must rise with utilisation: {responses:?}"
    );
    let flat = responses[1] - responses[0];
    let steep = responses[4] - responses[3];
    assert!(
        steep > 3.0 * flat,
        "from 90% to 95% R should rise more than three times as much as from 10% to 50%"
    );
}

#[test]
fn step3_a_seed_replays_exactly() {
    let config = QueueConfig::at_utilisation(S, 0.8, Service::Exponential, 2, 50_000, 7);
    assert_eq!(
        simulate(&config).unwrap(),
        simulate(&config).unwrap(),
        "seed 7 must replay bit for bit"
    );
    let other = QueueConfig { seed: 8, ..config };
    assert_ne!(
        simulate(&config).unwrap(),
        simulate(&other).unwrap(),
        "seeds 7 and 8 should differ"
    );
}

#[test]
fn step3_an_unstable_queue_has_no_analytic_answer() {
    let config = QueueConfig::at_utilisation(S, 1.0, Service::Exponential, 1, 1000, SEED);
    assert!(
        config.analytic_response_s().is_err(),
        "U = 1 has no finite mean response time"
    );
    assert!(
        sweep(S, Service::Exponential, 1, &[0.5, 1.0], 1000, SEED).is_err(),
        "a sweep through U = 1 must fail"
    );
}

#[test]
fn step3_nonsense_queues_are_rejected() {
    let good = QueueConfig::at_utilisation(S, 0.5, Service::Exponential, 1, 1000, SEED);
    assert!(
        matches!(
            simulate(&QueueConfig {
                customers: 0,
                ..good
            }),
            Err(SimError::Customers(0))
        ),
        "zero customers"
    );
    assert!(
        simulate(&QueueConfig { servers: 0, ..good }).is_err(),
        "zero servers"
    );
    assert!(
        simulate(&QueueConfig {
            service_time_s: -1.0,
            ..good
        })
        .is_err(),
        "a negative service time"
    );
}
