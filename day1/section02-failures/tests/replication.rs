//! Replicas on distinct disks: the closed-form MTTDL and a Monte Carlo that checks it.

use failures::replication::{Repair, expected_losses, loss_probability, mttdl};
use failures::sim::{
    FleetConfig, PLACEMENTS_MAX, REPLICAS_MAX, ReplicaConfig, ReplicaRun, failures,
};
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

/// A single copy is lost when its disk fails, repaired or not: with no repair time its
/// MTTDL is still the MTTF. From two copies on, an instant repair would make the data
/// immortal, so a zero MTTR is refused, naming the repair time.
#[test]
fn step4_one_copy_needs_no_repair_time_but_two_copies_do() {
    let instant = TimeSpan::from_hours(0.0).unwrap();
    assert_eq!(
        mttdl(mttf(), instant, 1, Repair::Parallel),
        Ok(mttf().span()),
        "one copy with an instant repair still lives as long as its disk"
    );
    let error = mttdl(mttf(), instant, 2, Repair::Parallel).unwrap_err();
    assert_eq!(
        error,
        FailuresError::ZeroDuration {
            what: "the repair time (MTTR)"
        },
        "two copies with an instant repair must be refused for the repair time"
    );
    assert_eq!(
        error.to_string(),
        "the repair time (MTTR) must be greater than zero",
        "the message names the repair time"
    );
}

/// A million objects with two copies each lose 1e6 × 365 / 599,512.5 ≈ 608.8 objects in
/// an average year: the `lost/y closed` column of `failures replicas`.
#[test]
fn step4_a_million_two_copy_objects_lose_about_609_a_year_on_average() {
    let two = mttdl(mttf(), one_day(), 2, Repair::Parallel).unwrap();
    let lost = expected_losses(two, TimeSpan::from_years(1.0).unwrap(), 1_000_000);
    assert!(
        (lost - 608.828_006).abs() < 1e-6,
        "expected objects lost per year among a million with two copies: 608.828006, got {lost}"
    );
}

/// The simulator's loss rate is its loss events per object-hour watched, and for two
/// copies it is close to 1 / MTTDL (seed 42 and the 8 % band of the loss-count claim).
#[test]
fn step4_the_simulated_loss_rate_is_losses_per_object_hour_close_to_one_over_mttdl() {
    let run = ReplicaRun::simulate(two_replica_config(42)).unwrap();
    assert_eq!(
        run.object_hours,
        200_000.0 * 20.0 * 8_760.0,
        "200,000 objects watched for 20 years of 8,760 hours"
    );
    let closed = mttdl(mttf(), one_day(), 2, Repair::Parallel).unwrap();
    let ratio = run.loss_rate_per_object_hour() * closed.hours();
    assert!(
        (ratio - 1.0).abs() < 0.08,
        "seed 42: simulated loss rate {:e} per object-hour, 1 / MTTDL = {:e} (ratio {ratio:.3})",
        run.loss_rate_per_object_hour(),
        1.0 / closed.hours()
    );
}

/// Nine copies is the most the simulator accepts, and nine distinct disks can hold them;
/// a tenth copy is refused, and so are nine copies on a fleet one disk short.
#[test]
fn step4_nine_copies_fit_on_nine_disks_and_a_tenth_copy_or_a_missing_disk_is_refused() {
    let nine = ReplicaConfig {
        fleet: FleetConfig {
            disks: 9,
            mttf: mttf(),
            mttr: one_day(),
            duration: TimeSpan::from_years(1.0).unwrap(),
            seed: 1,
        },
        objects: 100,
        replicas: REPLICAS_MAX,
    };
    let run = ReplicaRun::simulate(nine);
    assert!(
        run.as_ref().is_ok_and(|run| run.loss_events == 0),
        "nine copies on nine disks are simulated, and lose nothing in a year: {run:?}"
    );
    let mut ten = nine;
    ten.fleet.disks = 10;
    ten.replicas = REPLICAS_MAX + 1;
    let error = ReplicaRun::simulate(ten).unwrap_err();
    assert_eq!(
        error,
        FailuresError::TooLarge {
            what: "the replica count",
            value: 10,
            limit: 9
        },
        "a tenth copy is beyond the simulator's limit"
    );
    assert_eq!(
        error.to_string(),
        "the replica count is too large for this lab (10 > 9)",
        "the message quotes the count and the limit"
    );
    let mut short = nine;
    short.fleet.disks = 8;
    assert_eq!(
        ReplicaRun::simulate(short),
        Err(FailuresError::NotEnoughDisks {
            replicas: 9,
            disks: 8
        }),
        "nine copies cannot sit on eight distinct disks"
    );
}

/// The simulator keeps one entry per copy, so it limits objects × replicas: ten million
/// objects with two copies each (twenty million placements) are simulated, and one
/// object more is refused before anything runs.
#[test]
fn step4_twenty_million_placements_are_simulated_and_one_more_object_is_refused() {
    let at_limit = ReplicaConfig {
        fleet: FleetConfig {
            disks: 100,
            mttf: mttf(),
            mttr: one_day(),
            duration: TimeSpan::parse("1h").unwrap(),
            seed: 1,
        },
        objects: PLACEMENTS_MAX / 2,
        replicas: 2,
    };
    let run = ReplicaRun::simulate(at_limit);
    assert!(
        run.is_ok(),
        "20,000,000 placements are within the limit: {run:?}"
    );
    let mut one_more = at_limit;
    one_more.objects += 1;
    let error = ReplicaRun::simulate(one_more).unwrap_err();
    assert_eq!(
        error,
        FailuresError::TooLarge {
            what: "objects × replicas",
            value: 20_000_002,
            limit: 20_000_000
        },
        "one object more is two placements over the limit"
    );
    assert_eq!(
        error.to_string(),
        "objects × replicas is too large for this lab (20000002 > 20000000)",
        "the message quotes the placements and the limit"
    );
}

/// A failed disk is down for exactly MTTR. Two disks hold one object's two copies: when
/// the first disk's repair ends at the very instant the second fails, its copy is back
/// and nothing is lost; with an hour's longer repair the object is lost.
#[test]
fn step4_a_copy_repaired_at_the_instant_its_partner_fails_is_back_in_time() {
    let seed = 1;
    // A disk's first failure does not depend on the repair time: find both once.
    let probe = FleetConfig {
        disks: 2,
        mttf: Mttf::parse("10h").unwrap(),
        mttr: TimeSpan::from_hours(1e6).unwrap(),
        duration: TimeSpan::from_hours(1_000.0).unwrap(),
        seed,
    };
    let first = failures(&probe).unwrap();
    assert_eq!(
        first.len(),
        2,
        "seed {seed}: each disk fails once: {first:?}"
    );
    let (earlier, later) = (first[0].at_hours, first[1].at_hours);
    let repair_hours = later - earlier;
    assert_eq!(
        earlier + repair_hours,
        later,
        "seed {seed}: a repair of {repair_hours} h must end exactly at the second failure"
    );
    for (mttr_hours, lost) in [(repair_hours, 0), (repair_hours + 1.0, 1)] {
        let mut config = ReplicaConfig {
            fleet: probe,
            objects: 1,
            replicas: 2,
        };
        config.fleet.mttr = TimeSpan::from_hours(mttr_hours).unwrap();
        config.fleet.duration = TimeSpan::from_hours(later + 0.5).unwrap();
        let run = ReplicaRun::simulate(config).unwrap();
        assert_eq!(
            run.disk_failures, 2,
            "seed {seed}: the same two failures, at {earlier} h and {later} h"
        );
        assert_eq!(
            run.loss_events, lost,
            "seed {seed}: a repair of {mttr_hours} h after the failure at {earlier} h, \
             the partner fails at {later} h: {lost} object(s) lost"
        );
    }
}
