//! The formulas beyond the lab's numbers: validation, Erlang C, M/D/1, capacity.

use littles_law::model::{self, ModelError};

#[test]
fn step2_negative_or_non_finite_inputs_are_rejected() {
    assert!(
        matches!(
            model::littles_law_l(-1.0, 0.1),
            Err(ModelError::Invalid { .. })
        ),
        "a negative arrival rate"
    );
    assert!(
        matches!(
            model::littles_law_l(1.0, f64::NAN),
            Err(ModelError::Invalid { .. })
        ),
        "a NaN response time"
    );
    assert!(
        matches!(
            model::mm1_response_s(-0.001, 0.5),
            Err(ModelError::Invalid { .. })
        ),
        "a negative service time"
    );
    assert!(
        matches!(
            model::mm1_response_s(0.001, -0.1),
            Err(ModelError::NotAFraction { .. })
        ),
        "a negative utilisation"
    );
}

#[test]
fn step2_zero_throughput_leaves_the_service_time_undefined() {
    assert_eq!(
        model::service_time_s(0.39, 0.0),
        Err(ModelError::Zero { what: "throughput" }),
        "S = U / X with X = 0 must be an error"
    );
    assert!(
        model::disks_needed(30_000.0, 0.0).is_err(),
        "a disk that carries nothing cannot be planned with"
    );
}

#[test]
fn step2_utilisation_law_round_trips() {
    let s = model::service_time_s(0.39, 6836.0).unwrap();
    let u = model::utilisation(6836.0, s).unwrap();
    assert!(
        (u - 0.39).abs() < 1e-12,
        "U = X S should give back 0.39, got {u}"
    );
}

#[test]
fn step2_erlang_c_with_one_server_is_the_utilisation() {
    for u in [0.1, 0.5, 0.9] {
        let c = model::erlang_c(1, u).unwrap();
        assert!((c - u).abs() < 1e-12, "M/M/1: P(wait) = U = {u}, got {c}");
    }
}

#[test]
fn step2_erlang_c_matches_the_textbook_value_for_two_servers() {
    // c = 2, a = 1 (U = 0.5): C = (a^2/2! * 2/(2-a)) / (1 + a + a^2/2! * 2/(2-a)) = 1/3.
    let c = model::erlang_c(2, 0.5).unwrap();
    assert!(
        (c - 1.0 / 3.0).abs() < 1e-12,
        "C(2, 1) should be 1/3, got {c}"
    );
}

#[test]
fn step2_mmc_with_one_server_reduces_to_mm1() {
    let s = 0.057e-3;
    for u in [0.3, 0.7, 0.95] {
        let mmc = model::mmc_response_s(s, 1, u).unwrap();
        let mm1 = model::mm1_response_s(s, u).unwrap();
        assert!(
            (mmc - mm1).abs() < 1e-15,
            "U = {u}: M/M/1 {mm1} vs M/M/c with c = 1 {mmc}"
        );
    }
}

#[test]
fn step2_pooling_servers_cuts_the_wait_at_the_same_utilisation() {
    let s = 1.0;
    let one = model::mmc_wait_s(s, 1, 0.9).unwrap();
    let four = model::mmc_wait_s(s, 4, 0.9).unwrap();
    assert!(
        four < one / 2.0,
        "four pooled servers at 90% should wait far less than one: {four} vs {one}"
    );
}

#[test]
fn step2_constant_service_halves_the_queueing_delay() {
    let s = 1.0;
    for u in [0.5, 0.9] {
        let md1_wait = model::md1_response_s(s, u).unwrap() - s;
        let mm1_wait = model::mm1_wait_s(s, u).unwrap();
        assert!(
            (md1_wait * 2.0 - mm1_wait).abs() < 1e-12,
            "U = {u}: M/D/1 waits half as long as M/M/1"
        );
    }
}

#[test]
fn step2_disks_needed_rounds_up_but_never_past_an_exact_fit() {
    assert_eq!(
        model::disks_needed(30_000.0, 10_000.0).unwrap(),
        3,
        "an exact fit needs no spare disk"
    );
    assert_eq!(
        model::disks_needed(30_001.0, 10_000.0).unwrap(),
        4,
        "one IOPS over needs another disk"
    );
    assert_eq!(
        model::disks_needed(0.0, 10_000.0).unwrap(),
        0,
        "no load, no disks"
    );
}

#[test]
fn step2_saturation_throughput_is_the_inverse_service_time() {
    let x = model::max_throughput_per_s(0.057e-3, 1.0).unwrap();
    assert!(
        (x - 17_543.859_649).abs() < 1e-3,
        "1 / 0.057 ms = 17,543.86, got {x}"
    );
    assert!(
        model::max_throughput_per_s(0.057e-3, 1.5).is_err(),
        "a cap above 100% is not a utilisation"
    );
}

/// The fleet is always the smallest that carries the target. For every per-disk
/// capacity here and every k up to 300, a target of exactly k disks' worth (k × each, as
/// the computer multiplies it) needs k disks, even where the division comes out a hair
/// above k (0.1 × 3 / 0.1 = 3.0000000000000004); a thousandth of a disk more needs k + 1.
#[test]
fn step2_the_fleet_is_the_smallest_that_carries_the_target_even_on_the_boundary() {
    let mut divisions_rounded_up = 0;
    for each in [0.1, 0.3, 1.0 / 3.0, 1.1, 12_300.0, 0.7 / 0.057e-3] {
        for k in 0..=300u64 {
            let exact_fit = k as f64 * each;
            if (exact_fit / each).ceil() > k as f64 {
                divisions_rounded_up += 1;
            }
            assert_eq!(
                model::disks_needed(exact_fit, each).unwrap(),
                k,
                "{exact_fit} IOPS is exactly {k} disks of {each} IOPS each: no spare disk"
            );
            let a_bit_more = (k as f64 + 0.001) * each;
            assert_eq!(
                model::disks_needed(a_bit_more, each).unwrap(),
                k + 1,
                "{a_bit_more} IOPS is a thousandth of a disk over {k} disks of {each} IOPS each"
            );
        }
    }
    assert!(
        divisions_rounded_up > 0,
        "the targets should include some whose division rounds up past the exact fit"
    );
}

/// The guard rounds one way only. 23.8 IOPS on disks of 0.7 IOPS each: the division
/// gives exactly 34, though 34 × 0.7 in doubles is 23.799999999999997, a hair below the
/// target. The question is asked in decimals, where 34 × 0.7 is 23.8: 34 disks carry it,
/// and the plan does not buy a 35th for a rounding error.
#[test]
fn step2_a_division_that_comes_out_whole_is_not_rounded_up_for_a_product_a_hair_short() {
    let (target, each) = (23.8, 0.7);
    assert_eq!(target / each, 34.0, "the quotient is whole");
    assert!(34.0 * each < target, "the product falls a hair short");
    assert_eq!(
        model::disks_needed(target, each).unwrap(),
        34,
        "34 disks of 0.7 IOPS carry 23.8 IOPS"
    );
}
