//! The seeded queue simulator against the closed forms.
//!
//! Every test uses a fixed seed; to replay one with another seed, change the constant.

use littles_law::model::{self, ModelError};
use littles_law::sim::{CUSTOMERS_MAX, QueueConfig, Service, SimError, simulate, sweep};

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

/// One customer, constant service S. The window runs from 0 to the last arrival, which is
/// this customer's: it finds the server free, never waits, and is still in service when
/// the window closes. So λ = 1 / window, W = S, but no departure falls inside the window
/// (X = 0), and L = 0 (it arrived at the window's last instant), while the most ever in
/// the system is one.
#[test]
fn step3_a_lone_customer_never_waits_and_is_still_in_service_when_the_window_closes() {
    let config = QueueConfig::at_utilisation(S, 0.5, Service::Deterministic, 1, 1, SEED);
    let run = simulate(&config).unwrap();
    assert!(
        run.window_s > 0.0,
        "the window ends at the arrival, after time 0"
    );
    assert_eq!(
        run.arrival_rate_per_s,
        1.0 / run.window_s,
        "one arrival in the window: lambda = 1 / window"
    );
    assert_eq!(run.mean_wait_s, 0.0, "the server was free: no wait");
    assert_eq!(run.waited_fraction, 0.0, "nobody had to wait");
    assert_eq!(
        run.mean_response_s, S,
        "the response time is the service time alone"
    );
    assert_eq!(
        run.throughput_per_s, 0.0,
        "the customer departs after the window closes: no departure inside it"
    );
    assert_eq!(
        run.mean_in_system, 0.0,
        "the customer arrived at the window's last instant: nobody in the system before"
    );
    assert_eq!(run.max_in_system, 1, "at most one customer in the system");
    assert_eq!(
        run.busy_fraction,
        S / run.window_s,
        "the server's busy time, S, over the window"
    );
}

/// The window includes its end: a departure at the very instant of the last arrival
/// counts toward X. A service of 1e-30 s is below the clock's resolution at these
/// arrival times (about a millisecond apart), so every customer departs at the instant
/// it arrives, the last one exactly as the window closes. All of them count as departed
/// (X = λ), nobody waits, and the queue never holds more than one.
#[test]
fn step3_a_departure_at_the_instant_the_window_closes_counts_toward_the_throughput() {
    let config = QueueConfig {
        arrival_rate_per_s: 1000.0,
        service_time_s: 1e-30,
        service: Service::Deterministic,
        servers: 1,
        customers: 1000,
        seed: SEED,
    };
    let run = simulate(&config).unwrap();
    assert_eq!(
        run.mean_response_s, 0.0,
        "the premise: the clock cannot tell a departure from its arrival"
    );
    assert_eq!(
        run.throughput_per_s, run.arrival_rate_per_s,
        "all 1000 customers, the last one included, depart inside the window"
    );
    assert_eq!(run.max_in_system, 1, "one customer at a time in the system");
    assert_eq!(run.waited_fraction, 0.0, "nobody waits");
    assert_eq!(
        run.mean_in_system, 0.0,
        "nobody spends measurable time in the system"
    );
}

/// Each customer's response time is its wait plus its service, so with constant service
/// the mean response minus the mean wait is exactly S; the mean wait itself is close to
/// Pollaczek–Khinchine's Wq = S · U / (2 (1 − U)).
#[test]
fn step3_the_response_time_is_the_wait_plus_the_service() {
    let u = 0.7;
    let config = QueueConfig::at_utilisation(S, u, Service::Deterministic, 1, 50_000, SEED);
    let run = simulate(&config).unwrap();
    assert!(
        relative(run.mean_response_s - run.mean_wait_s, S) < 1e-9,
        "seed {SEED}: W - Wq = {} s should be the service time {S} s",
        run.mean_response_s - run.mean_wait_s
    );
    let analytic_wait = S * u / (2.0 * (1.0 - u));
    let error = relative(run.mean_wait_s, analytic_wait);
    assert!(
        error < 0.05,
        "seed {SEED}: M/D/1 at 70% waits {} s on average, Pollaczek-Khinchine says {analytic_wait} s ({:.1}% off)",
        run.mean_wait_s,
        error * 100.0
    );
}

/// The busy fraction is per server: four servers at 80% are each busy 80% of the time
/// (the utilisation law, U = X · S / c), not 320%.
#[test]
fn step3_each_of_four_servers_is_busy_the_offered_fraction_of_the_time() {
    let config = QueueConfig::at_utilisation(S, 0.8, Service::Exponential, 4, 50_000, SEED);
    let run = simulate(&config).unwrap();
    assert!(
        (run.busy_fraction - 0.8).abs() < 0.02,
        "seed {SEED}: each of 4 servers should be busy 80% of the time, got {:.4}",
        run.busy_fraction
    );
}

/// The largest run accepted has 50 million customers (about 800 MB of arrival and
/// departure times); one more is refused, with the limit in the message. The count is
/// checked first, so a run at the limit with no server is refused for the missing
/// server, without simulating anyone.
#[test]
fn step3_fifty_million_customers_are_within_the_limit_and_one_more_is_refused() {
    let no_server = QueueConfig {
        servers: 0,
        customers: CUSTOMERS_MAX,
        ..QueueConfig::at_utilisation(S, 0.5, Service::Exponential, 1, 1, SEED)
    };
    assert_eq!(
        simulate(&no_server),
        Err(SimError::Model(ModelError::NoServers)),
        "50 million customers pass the count check; the run is refused for its missing server"
    );
    let one_more = QueueConfig {
        customers: CUSTOMERS_MAX + 1,
        ..no_server
    };
    let error = simulate(&one_more).unwrap_err();
    assert_eq!(
        error,
        SimError::Customers(CUSTOMERS_MAX + 1),
        "one customer over the limit is refused for its count"
    );
    assert_eq!(
        error.to_string(),
        "the number of customers must be between 1 and 50000000, got 50000001",
        "the message gives the limit and the count asked for"
    );
}

/// A queue needs arrivals and a service that takes time: a zero arrival rate or a zero
/// service time is refused, naming the input.
#[test]
fn step3_a_zero_arrival_rate_or_service_time_is_refused_by_name() {
    let good = QueueConfig::at_utilisation(S, 0.5, Service::Exponential, 1, 10, SEED);
    assert_eq!(
        simulate(&QueueConfig {
            arrival_rate_per_s: 0.0,
            ..good
        }),
        Err(SimError::NotPositive {
            what: "arrival rate",
            value: 0.0
        }),
        "no arrivals: there is no queue to measure"
    );
    assert_eq!(
        simulate(&QueueConfig {
            service_time_s: 0.0,
            ..good
        }),
        Err(SimError::NotPositive {
            what: "service time",
            value: 0.0
        }),
        "a service that takes no time"
    );
    let error = simulate(&QueueConfig {
        arrival_rate_per_s: 0.0,
        ..good
    })
    .expect_err("a zero arrival rate is refused");
    assert_eq!(
        error.to_string(),
        "the arrival rate must be a finite number above zero, got 0",
        "the message says what zero fails to be (it is not negative: it is not above zero)"
    );
}
