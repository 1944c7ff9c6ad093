//! A seeded discrete-event simulation of a FIFO queue: M/M/1, M/D/1 and M/M/c.
//!
//! Customers arrive in a Poisson stream (exponential gaps, mean 1/λ), queue in arrival
//! order, and take the first free of `c` servers; service is exponential (M) or
//! constant (D) with mean S. Each customer's arrival, start and departure are computed
//! exactly, so there is no time step and no rounding of the clock.
//!
//! The run then *measures*, over the window from time 0 to the last arrival:
//!
//! - λ, the arrival rate: customers / window;
//! - X, the throughput: departures inside the window / window;
//! - W, the mean response time (wait + service) of the customers;
//! - L, the time-average number in the system, by sweeping every arrival and departure
//!   in time order and integrating the queue length, which is how an observer of the
//!   queue (or the kernel's `time_in_queue` counter) sees it.
//!
//! L = λ·W is not an assumption of the simulator: it falls out of the measurement.
//!
//! Randomness: a ChaCha8 generator seeded once, stream 0 for arrival gaps and stream 1
//! for service times, so the same seed replays the same customers.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::model::{self, ModelError};

/// Largest number of customers one run accepts (memory: about 16 bytes each).
pub const CUSTOMERS_MAX: u64 = 50_000_000;

/// The service-time distribution (the second letter of Kendall's notation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Exponential with mean S (M/M/c).
    Exponential,
    /// Always exactly S (M/D/c).
    Deterministic,
}

/// One queue to simulate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueConfig {
    /// Mean arrival rate λ, customers per second.
    pub arrival_rate_per_s: f64,
    /// Mean service time S in seconds.
    pub service_time_s: f64,
    /// Service distribution.
    pub service: Service,
    /// Number of servers c.
    pub servers: u32,
    /// Customers to simulate.
    pub customers: u64,
    /// Seed for every random draw.
    pub seed: u64,
}

/// Why a simulation was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    /// The parameters make no sense for a queue.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// Too many or too few customers.
    #[error("the number of customers must be between 1 and {CUSTOMERS_MAX}, got {0}")]
    Customers(u64),
    /// A rate or a time that must be above zero (and finite) was not.
    #[error("the {what} must be a finite number above zero, got {value}")]
    NotPositive {
        /// Which input.
        what: &'static str,
        /// The rejected value.
        value: f64,
    },
}

impl QueueConfig {
    /// A queue with `servers` servers at per-server utilisation `utilisation`:
    /// λ = U · c / S.
    pub fn at_utilisation(
        service_time_s: f64,
        utilisation: f64,
        service: Service,
        servers: u32,
        customers: u64,
        seed: u64,
    ) -> Self {
        QueueConfig {
            arrival_rate_per_s: utilisation * f64::from(servers) / service_time_s,
            service_time_s,
            service,
            servers,
            customers,
            seed,
        }
    }

    /// Offered utilisation per server, U = λ · S / c.
    pub fn utilisation(&self) -> f64 {
        self.arrival_rate_per_s * self.service_time_s / f64::from(self.servers.max(1))
    }

    /// The textbook mean response time for this queue.
    pub fn analytic_response_s(&self) -> Result<f64, ModelError> {
        let u = self.utilisation();
        match (self.service, self.servers) {
            (_, 0) => Err(ModelError::NoServers),
            (Service::Exponential, 1) => model::mm1_response_s(self.service_time_s, u),
            (Service::Exponential, c) => model::mmc_response_s(self.service_time_s, c, u),
            (Service::Deterministic, 1) => model::md1_response_s(self.service_time_s, u),
            (Service::Deterministic, _) => Err(ModelError::Invalid {
                what: "servers for M/D/c (no closed form here; use one server)",
                value: f64::from(self.servers),
            }),
        }
    }

    /// A short Kendall name: `M/M/1`, `M/D/1`, `M/M/4`.
    pub fn kendall(&self) -> String {
        let service = match self.service {
            Service::Exponential => "M",
            Service::Deterministic => "D",
        };
        format!("M/{service}/{}", self.servers)
    }
}

/// What a run measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueRun {
    /// Customers simulated.
    pub customers: u64,
    /// Length of the observation window (0 to the last arrival), seconds.
    pub window_s: f64,
    /// Measured λ: customers / window.
    pub arrival_rate_per_s: f64,
    /// Measured X: departures inside the window / window.
    pub throughput_per_s: f64,
    /// Measured W: mean response time, seconds.
    pub mean_response_s: f64,
    /// Mean time spent waiting before service, seconds.
    pub mean_wait_s: f64,
    /// Measured L: time-average number in the system over the window.
    pub mean_in_system: f64,
    /// Fraction of customers that had to wait (compare with Erlang C).
    pub waited_fraction: f64,
    /// Largest number in the system at any moment.
    pub max_in_system: u64,
    /// Fraction of the window the servers were busy, averaged over servers.
    pub busy_fraction: f64,
}

fn exponential(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    let u: f64 = rng.random(); // [0, 1): the log argument 1 − u stays in (0, 1]
    -mean * (-u).ln_1p()
}

/// Simulates `config` and measures L, λ, X and W.
///
/// ```
/// use littles_law::sim::{simulate, QueueConfig, Service};
/// let config = QueueConfig::at_utilisation(1.0, 0.5, Service::Exponential, 1, 10_000, 7);
/// let run = simulate(&config).unwrap();
/// let little = run.arrival_rate_per_s * run.mean_response_s;
/// assert!((run.mean_in_system - little).abs() / little < 0.01, "L = λW");
/// ```
pub fn simulate(config: &QueueConfig) -> Result<QueueRun, SimError> {
    if config.customers == 0 || config.customers > CUSTOMERS_MAX {
        return Err(SimError::Customers(config.customers));
    }
    if config.servers == 0 {
        return Err(ModelError::NoServers.into());
    }
    for (what, value) in [
        ("arrival rate", config.arrival_rate_per_s),
        ("service time", config.service_time_s),
    ] {
        if !(value.is_finite() && value > 0.0) {
            return Err(SimError::NotPositive { what, value });
        }
    }
    let mut arrivals_rng = ChaCha8Rng::seed_from_u64(config.seed);
    arrivals_rng.set_stream(0);
    let mut service_rng = ChaCha8Rng::seed_from_u64(config.seed);
    service_rng.set_stream(1);

    // Min-heap of the times at which each server becomes free. Times are non-negative
    // floats, whose bit patterns sort in the same order as their values.
    let mut free_at: BinaryHeap<Reverse<u64>> = (0..config.servers)
        .map(|_| Reverse(0f64.to_bits()))
        .collect();
    let count = config.customers as usize;
    let mut arrivals = Vec::with_capacity(count);
    let mut departures = Vec::with_capacity(count);
    let (mut clock, mut response_sum, mut wait_sum, mut busy_sum) = (0.0, 0.0, 0.0, 0.0);
    let mut waited = 0u64;
    for _ in 0..count {
        clock += exponential(&mut arrivals_rng, 1.0 / config.arrival_rate_per_s);
        let service = match config.service {
            Service::Exponential => exponential(&mut service_rng, config.service_time_s),
            Service::Deterministic => config.service_time_s,
        };
        let Reverse(bits) = free_at
            .pop()
            .expect("invariant: the heap always holds one entry per server");
        let start = f64::from_bits(bits).max(clock);
        let departure = start + service;
        free_at.push(Reverse(departure.to_bits()));
        if start > clock {
            waited += 1;
        }
        wait_sum += start - clock;
        response_sum += departure - clock;
        busy_sum += service;
        arrivals.push(clock);
        departures.push(departure);
    }
    let window = clock;
    departures.sort_by(f64::total_cmp);

    // Sweep arrivals and departures in time order, integrating the queue length.
    let (mut in_system, mut max_in_system, mut area, mut last) = (0u64, 0u64, 0.0, 0.0);
    let (mut a, mut d) = (0, 0);
    while a < arrivals.len() || (d < departures.len() && departures[d] <= window) {
        let next_is_arrival =
            a < arrivals.len() && (d >= departures.len() || arrivals[a] <= departures[d]);
        let now = if next_is_arrival {
            arrivals[a]
        } else {
            departures[d]
        };
        area += in_system as f64 * (now - last);
        last = now;
        if next_is_arrival {
            in_system += 1;
            max_in_system = max_in_system.max(in_system);
            a += 1;
        } else {
            in_system -= 1;
            d += 1;
        }
    }
    // No tail to integrate: the sweep's last event is the last arrival, at the window's
    // end, or a departure at that same instant.
    let n = count as f64;
    Ok(QueueRun {
        customers: config.customers,
        window_s: window,
        arrival_rate_per_s: n / window,
        throughput_per_s: d as f64 / window,
        mean_response_s: response_sum / n,
        mean_wait_s: wait_sum / n,
        mean_in_system: area / window,
        waited_fraction: waited as f64 / n,
        max_in_system,
        busy_fraction: busy_sum / (window * f64::from(config.servers)),
    })
}

/// One point of a utilisation sweep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SweepPoint {
    /// Offered utilisation per server.
    pub utilisation: f64,
    /// What the simulation measured.
    pub run: QueueRun,
    /// The closed-form mean response time, seconds.
    pub analytic_response_s: f64,
}

/// Simulates the same queue at each utilisation in `utilisations`, all with one seed.
pub fn sweep(
    service_time_s: f64,
    service: Service,
    servers: u32,
    utilisations: &[f64],
    customers: u64,
    seed: u64,
) -> Result<Vec<SweepPoint>, SimError> {
    utilisations
        .iter()
        .map(|&utilisation| {
            let config = QueueConfig::at_utilisation(
                service_time_s,
                utilisation,
                service,
                servers,
                customers,
                seed,
            );
            Ok(SweepPoint {
                utilisation,
                analytic_response_s: config.analytic_response_s()?,
                run: simulate(&config)?,
            })
        })
        .collect()
}
