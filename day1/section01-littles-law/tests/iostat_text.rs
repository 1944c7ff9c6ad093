//! Reading saved `iostat -x` logs from old and new sysstat versions.

use littles_law::iostat_text::{IostatError, parse_iostat};

#[test]
fn step1_new_sysstat_columns_are_read_by_name() {
    let samples = parse_iostat(include_str!("fixtures/iostat_sysstat12.txt")).unwrap();
    assert_eq!(samples.len(), 6, "three reports of two devices");
    let lab_line = samples
        .iter()
        .find(|s| s.interval == 2 && s.device == "vdb")
        .expect("vdb in the second report");
    let r = lab_line.rates;
    assert_eq!(
        (r.w_per_s, r.w_await_ms, r.aqu_sz, r.util_pct),
        (6836.0, 0.14, 0.96, 39.0),
        "the lab's line"
    );
    assert_eq!(r.wkb_per_s, 27_344.0, "wkB/s");
    assert!(
        (r.little_l() - 0.95704).abs() < 1e-9,
        "lambda x W from the parsed columns"
    );
}

#[test]
fn step1_mixed_reads_and_writes_weight_the_await_by_operations() {
    let samples = parse_iostat(include_str!("fixtures/iostat_sysstat12.txt")).unwrap();
    let mixed = samples
        .iter()
        .find(|s| s.interval == 3 && s.device == "vdb")
        .unwrap()
        .rates;
    let expected = (100.0 * 0.30 + 6900.0 * 0.15) / 7000.0;
    assert!(
        (mixed.await_ms() - expected).abs() < 1e-12,
        "W should be the ops-weighted mean {expected}, got {}",
        mixed.await_ms()
    );
}

#[test]
fn step1_old_sysstat_avgqu_sz_and_decimal_commas_are_understood() {
    let samples = parse_iostat(include_str!("fixtures/iostat_sysstat10.txt")).unwrap();
    assert_eq!(samples.len(), 2, "two reports of sda");
    assert_eq!(
        samples[0].rates.aqu_sz, 1.5,
        "avgqu-sz is the old name of aqu-sz"
    );
    assert_eq!(samples[0].rates.w_await_ms, 0.30, "w_await");
    let second = samples[1].rates;
    assert_eq!(
        (second.r_await_ms, second.aqu_sz, second.util_pct),
        (0.40, 1.0, 30.0),
        "0,40 and 30,00 read as decimals"
    );
}

#[test]
fn step1_the_oldest_single_await_column_serves_reads_and_writes() {
    let samples = parse_iostat(include_str!("fixtures/iostat_sysstat9.txt")).unwrap();
    let r = samples[0].rates;
    assert_eq!(
        (r.r_await_ms, r.w_await_ms),
        (5.0, 5.0),
        "one await for both directions"
    );
    assert!(
        (r.little_l() - 0.5).abs() < 1e-12,
        "100 ops/s x 5 ms = 0.5 = avgqu-sz"
    );
}

#[test]
fn step1_text_without_a_device_header_is_rejected() {
    assert_eq!(
        parse_iostat("avg-cpu: %user\n 1.0\n"),
        Err(IostatError::NoHeader),
        "not iostat -x output"
    );
}

#[test]
fn step1_a_header_without_utilisation_is_rejected_by_name() {
    let text = "Device r/s w/s r_await w_await aqu-sz\nsda 1 2 3 4 5\n";
    assert_eq!(
        parse_iostat(text),
        Err(IostatError::MissingColumn {
            line: 1,
            column: "%util"
        }),
        "%util is needed for the utilisation law"
    );
}

#[test]
fn step1_a_row_that_does_not_match_its_header_is_rejected_with_its_line() {
    let text = "Device r/s w/s r_await w_await aqu-sz %util\nsda 1 2 3\n";
    assert!(
        matches!(
            parse_iostat(text),
            Err(IostatError::Malformed { line: 2, .. })
        ),
        "line 2 has too few columns"
    );
}
