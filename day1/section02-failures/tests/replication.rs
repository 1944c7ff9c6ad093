//! Replicas on distinct disks: the closed-form MTTDL and a Monte Carlo that checks it.

use failures::replication::{Repair, expected_losses, loss_probability, mttdl};
use failures::sim::{FleetConfig, ReplicaConfig, ReplicaRun};
use failures::{FailuresError, Mttf, TimeSpan};

fn mttf() -> Mttf {
    Mttf::parse("3y").unwrap()
}

fn one_day() -> TimeSpan {
    TimeSpan::parse("1d").unwrap()
}

#[test]
fn step4_two_replicas_with_a_one_day_repair_last_mttf_squared_over_twice_mttr() {
    for repair in [Repair::Parallel, Repair::OneAtATime] {
        let two = mttdl(mttf(), one_day(), 2, repair).unwrap();
        assert!(
            (two.days() - 599_512.5).abs() < 1e-6,
            "{repair:?}: MTTDL for r = 2 should be 1095^2 / 2 = 599512.5 days, got {}",
            two.days()
        );
    }
}

#[test]
fn step4_one_replica_is_lost_as_often_as_its_disk_fails() {
    let one = mttdl(mttf(), one_day(), 1, Repair::Parallel).unwrap();
    assert_eq!(
        one,
        mttf().span(),
        "a single copy lives exactly as long as its disk"
    );
}

#[test]
fn step4_the_textbook_factorial_assumes_one_repair_at_a_time() {
    let parallel = mttdl(mttf(), one_day(), 3, Repair::Parallel).unwrap();
    let serial = mttdl(mttf(), one_day(), 3, Repair::OneAtATime).unwrap();
    assert!(
        (parallel.days() - 1095f64.powi(3) / 3.0).abs() < 1.0,
        "parallel repair: MTTF^3 / (3 MTTR^2)"
    );
    assert!(
        (serial.days() - 1095f64.powi(3) / 6.0).abs() < 1.0,
        "one repair at a time: MTTF^3 / (3! MTTR^2)"
    );
}

#[test]
fn step4_each_extra_replica_divides_the_loss_rate_by_about_mttf_over_mttr() {
    let mut previous = mttdl(mttf(), one_day(), 2, Repair::Parallel).unwrap();
    for r in 3..=5u32 {
        let next = mttdl(mttf(), one_day(), r, Repair::Parallel).unwrap();
        let gain = next.hours() / previous.hours();
        let expected = 1095.0 * f64::from(r - 1) / f64::from(r);
        assert!(
            (gain - expected).abs() < 1e-6 * expected,
            "going to {r} replicas should multiply MTTDL by 1095 x {}/{r}, got {gain}",
            r - 1
        );
        previous = next;
    }
}

#[test]
fn step4_zero_replicas_or_zero_repair_time_are_rejected() {
    assert_eq!(
        mttdl(mttf(), one_day(), 0, Repair::Parallel),
        Err(FailuresError::ZeroReplicas)
    );
    assert!(
        mttdl(
            mttf(),
            TimeSpan::from_hours(0.0).unwrap(),
            2,
            Repair::Parallel
        )
        .is_err(),
        "an instant repair makes MTTDL infinite: it must be an error, not a number"
    );
}

fn two_replica_config(seed: u64) -> ReplicaConfig {
    ReplicaConfig {
        fleet: FleetConfig {
            disks: 2_000,
            mttf: mttf(),
            mttr: one_day(),
            duration: TimeSpan::from_years(20.0).unwrap(),
            seed,
        },
        objects: 200_000,
        replicas: 2,
    }
}

/// 200,000 objects on 2,000 disks for 20 years: about 2,400 expected losses. With
/// that many events the standard error is about 2 %; losses cluster (one unlucky pair
/// of disks loses every object they share), so the tolerance is 8 %.
#[test]
fn step4_monte_carlo_loss_count_agrees_with_the_closed_form_for_two_replicas() {
    let config = two_replica_config(42);
    let run = ReplicaRun::simulate(config).unwrap();
    let closed = mttdl(mttf(), one_day(), 2, Repair::Parallel).unwrap();
    let expected = expected_losses(closed, config.fleet.duration, config.objects);
    let error = (run.loss_events as f64 - expected).abs() / expected;
    println!(
        "two replicas: simulated {} losses, closed form {expected:.1}, error {:.2}%",
        run.loss_events,
        error * 100.0
    );
    assert!(
        error < 0.08,
        "seed 42: simulated {} lost objects but MTTF^2/(2 MTTR) predicts {expected:.1} ({:.1}% off)",
        run.loss_events,
        error * 100.0
    );
}

/// With one replica every object on a failed disk is lost: the rate is 1 / MTTF
/// (slightly less, because a disk in repair cannot fail again).
#[test]
fn step4_monte_carlo_single_copy_losses_follow_the_disk_failure_rate() {
    let mut config = two_replica_config(7);
    config.replicas = 1;
    config.objects = 20_000;
    let run = ReplicaRun::simulate(config).unwrap();
    let expected = config.objects as f64 * config.fleet.duration.hours() / mttf().span().hours();
    let error = (run.loss_events as f64 - expected).abs() / expected;
    assert!(
        error < 0.05,
        "seed 7: {} single-copy losses, expected about {expected:.0} ({:.1}% off)",
        run.loss_events,
        error * 100.0
    );
}

#[test]
fn step4_more_replicas_lose_fewer_objects_in_the_same_fleet_history() {
    let mut losses = Vec::new();
    for replicas in 1..=3 {
        let mut config = two_replica_config(3);
        config.replicas = replicas;
        losses.push(ReplicaRun::simulate(config).unwrap().loss_events);
    }
    assert!(
        losses[0] > losses[1] && losses[1] > losses[2],
        "losses for 1, 2, 3 replicas should strictly fall, got {losses:?}"
    );
}

#[test]
fn step4_the_same_seed_replays_the_same_losses_and_another_seed_does_not() {
    let first = ReplicaRun::simulate(two_replica_config(11)).unwrap();
    let again = ReplicaRun::simulate(two_replica_config(11)).unwrap();
    let other = ReplicaRun::simulate(two_replica_config(12)).unwrap();
    assert_eq!(first, again, "seed 11 must replay exactly");
    assert_ne!(
        first, other,
        "seeds 11 and 12 should give different histories"
    );
}

#[test]
fn step4_replicas_need_as_many_distinct_disks() {
    let mut config = two_replica_config(1);
    config.fleet.disks = 2;
    config.replicas = 3;
    assert_eq!(
        ReplicaRun::simulate(config),
        Err(FailuresError::NotEnoughDisks {
            replicas: 3,
            disks: 2
        }),
        "three replicas cannot sit on two distinct disks"
    );
}

#[test]
fn step4_annual_loss_probability_of_two_replicas_is_about_six_in_ten_thousand() {
    let two = mttdl(mttf(), one_day(), 2, Repair::Parallel).unwrap();
    let p = loss_probability(two, TimeSpan::from_years(1.0).unwrap());
    // 1 - exp(-365 / 599512.5) = 6.0864e-4
    assert!(
        (p - 6.0864e-4).abs() < 1e-8,
        "P(lose a 2-replica object within a year) = {p:e}"
    );
}
