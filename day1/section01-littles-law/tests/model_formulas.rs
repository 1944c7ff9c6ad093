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
