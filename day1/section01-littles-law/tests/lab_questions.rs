//! The lab's six questions, answered from its sample iostat line, as tests.
//!
//! Sample line (device vdb): w/s 6836, w_await 0.14 ms, aqu-sz 0.96, %util 39.
//! Each answer is checked twice where the lab rounds along the way: the lab's chain
//! (S rounded to 0.057 ms) and the unrounded one. Tolerances are stated per test.

use littles_law::lab::{LabInputs, answer};
use littles_law::model::{self, ModelError};

fn lab() -> littles_law::lab::LabAnswers {
    answer(LabInputs::default()).expect("the lab's own inputs are valid")
}

fn assert_near(actual: f64, expected: f64, tolerance: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: got {actual}, expected {expected} ± {tolerance}"
    );
}

/// Q1, tolerance 1e-9 for the arithmetic and ±0.01 against iostat's rounded aqu-sz.
#[test]
fn step2_q1_littles_law_matches_aqu_sz() {
    let answers = lab();
    assert_near(answers.little_l, 0.95704, 1e-9, "L = 6836/s x 0.14 ms");
    assert_near(
        answers.little_l,
        0.96,
        0.01,
        "L = lambda W should match iostat's aqu-sz of 0.96",
    );
}

/// Q2, tolerance 1e-10 ms on the unrounded S.
#[test]
fn step2_q2_service_time_from_utilisation() {
    let answers = lab();
    assert_near(
        answers.service_time_ms,
        0.0570509,
        1e-7,
        "S = 0.39 / 6836 in ms",
    );
    assert_near(
        answers.service_time_ms_lab,
        0.057,
        1e-12,
        "the lab's S rounded to 0.057 ms",
    );
}

/// Q3, tolerance 0.05 IOPS.
#[test]
fn step2_q3_max_iops_at_saturation() {
    let answers = lab();
    assert_near(
        answers.max_iops_lab,
        17_543.86,
        0.05,
        "1 / 0.057 ms (the lab's rounded S)",
    );
    assert_near(
        answers.max_iops,
        17_528.2,
        0.05,
        "1 / S without intermediate rounding",
    );
}

/// Q4, tolerance 0.05 IOPS.
#[test]
fn step2_q4_safe_iops_at_70_percent() {
    let answers = lab();
    assert_near(answers.safe_iops_lab, 12_280.7, 0.05, "0.7 / 0.057 ms");
    assert_near(answers.safe_iops, 12_269.7, 0.05, "0.7 / S unrounded");
}

/// Q5, tolerance 0.0005 ms (three decimals, as the lab prints them).
#[test]
fn step2_q5_response_time_near_saturation() {
    let answers = lab();
    assert_near(
        answers.high_rate_lab,
        16_625.0,
        1e-9,
        "the lab's arrival rate 0.95 x 17,500",
    );
    assert_near(answers.high_rate, 16_651.8, 0.05, "0.95 / S unrounded");
    assert_near(
        answers.high_wait_ms_lab,
        1.083,
        0.0005,
        "Wq = 0.057 ms x 0.95 / 0.05",
    );
    assert_near(
        answers.high_response_ms_lab,
        1.140,
        0.0005,
        "R = 0.057 ms / 0.05",
    );
    assert_near(
        answers.high_wait_ms,
        1.0840,
        0.0005,
        "Wq with the unrounded S",
    );
    assert_near(
        answers.high_response_ms,
        1.1410,
        0.0005,
        "R with the unrounded S",
    );
    let slowdown = answers.high_response_ms_lab / answers.inputs.await_ms;
    assert_near(
        slowdown,
        8.14,
        0.01,
        "R at 95% against the measured 0.14 ms",
    );
}

#[test]
fn step2_q5_at_full_utilisation_there_is_no_finite_response_time() {
    let s = 0.057e-3;
    for u in [1.0, 1.2] {
        assert!(
            matches!(
                model::mm1_response_s(s, u),
                Err(ModelError::Unstable { .. })
            ),
            "U = {u}: the queue is unstable, the response time must be an error, not a number"
        );
        assert!(
            matches!(model::mm1_wait_s(s, u), Err(ModelError::Unstable { .. })),
            "U = {u}: the wait must be an error, not a number"
        );
    }
}

#[test]
fn step2_q6_disks_needed_for_30k_iops() {
    let answers = lab();
    assert_eq!(
        answers.disks_by_cap_lab, 3,
        "the lab: ceil(30,000 / 12,300) = ceil(2.439)"
    );
    assert_eq!(
        answers.disks_by_cap, 3,
        "unrounded: ceil(30,000 / 12,269.7) = ceil(2.445)"
    );
}

/// The lab's Q6 claims each of the three disks runs at 70%; it runs at 57%.
#[test]
fn step2_q6_three_disks_run_at_57_percent_not_70() {
    let plan = lab().plan_at_cap;
    assert_near(
        plan.utilisation,
        0.5705,
        0.0005,
        "10,000 IOPS x 0.05705 ms per disk",
    );
    assert_near(
        plan.response_ms,
        0.1328,
        0.0005,
        "M/M/1 response with three disks",
    );
}

/// The latency target (< 0.5 ms) that the lab's Q6 never checked: two disks meet it,
/// but break the 70% policy.
#[test]
fn step2_q6_latency_target_alone_would_allow_two_disks() {
    let plan = lab().disks_by_latency;
    assert_eq!(plan.disks, 2, "two disks already keep R under 0.5 ms");
    assert_near(plan.utilisation, 0.8558, 0.0005, "15,000 IOPS per disk");
    assert_near(plan.response_ms, 0.3957, 0.0005, "S / (1 - 0.856)");
    assert!(plan.utilisation > 0.7, "but two disks break the 70% cap");
}

/// 6836 x 4 KiB = 27,344 KiB/s; the lab quotes 27,400 KB/s (a rounded reading), so 0.5%.
#[test]
fn step2_throughput_from_iops_and_block_size() {
    let answers = lab();
    assert_near(
        answers.bandwidth_kib_per_s,
        27_344.0,
        1e-9,
        "6836 x 4096 B in KiB/s",
    );
    let relative = (answers.bandwidth_kib_per_s - 27_400.0).abs() / 27_400.0;
    assert!(
        relative < 0.005,
        "the lab's 27,400 KB/s should be within 0.5%, is {:.2}% off",
        relative * 100.0
    );
}

/// The hockey-stick table (S = 0.057 ms), to four significant digits.
#[test]
fn step2_hockey_stick_table_for_s_0_057_ms() {
    let table = [
        (0.39, 0.0934),
        (0.5, 0.114),
        (0.7, 0.190),
        (0.8, 0.285),
        (0.9, 0.570),
        (0.95, 1.140),
        (0.99, 5.700),
    ];
    for (u, expected_ms) in table {
        let r_ms = model::mm1_response_s(0.057e-3, u).unwrap() * 1e3;
        assert!(
            (r_ms - expected_ms).abs() / expected_ms < 5e-4,
            "U = {u}: R = {r_ms:.5} ms, the table says {expected_ms} ms"
        );
    }
}

#[test]
fn step2_response_time_grows_hyperbolically_not_exponentially() {
    let s = 1.0;
    // Halving the headroom doubles the response time: R(1 - h/2) = 2 R(1 - h).
    for headroom in [0.4, 0.2, 0.1, 0.02] {
        let wide = model::mm1_response_s(s, 1.0 - headroom).unwrap();
        let narrow = model::mm1_response_s(s, 1.0 - headroom / 2.0).unwrap();
        assert!(
            (narrow / wide - 2.0).abs() < 1e-9,
            "halving the headroom from {headroom} should double R exactly: {wide} -> {narrow}"
        );
    }
}

#[test]
fn step2_the_printed_answers_show_their_working() {
    let text = lab().render();
    for step in [
        "L = lambda x W = 6836 /s x 0.14 ms",
        "S = U / X = 0.39 / 6836 /s",
        "X_max = 1 / S",
        "X_safe = 0.7 / S",
        "Wq = S x U / (1 - U)",
        "R  = S + Wq = S / (1 - U)",
        "ceil(30000 / 12269.7) = ceil(2.445) = 3 disks",
        "by the latency target alone: 2 disk(s)",
        "57.1% (not 70%)",
    ] {
        assert!(
            text.contains(step),
            "the lab answers should show `{step}`:\n{text}"
        );
    }
}

#[test]
fn step2_a_latency_target_below_the_service_time_is_unreachable() {
    let inputs = LabInputs {
        latency_target_ms: 0.01,
        ..LabInputs::default()
    };
    assert!(
        answer(inputs).is_err(),
        "no number of disks answers faster than one service time"
    );
}
