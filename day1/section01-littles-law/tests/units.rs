//! How sizes, durations and rates are read from the command line: every unit, and the
//! limits of each.

use std::time::Duration;

use littles_law::units::{parse_duration, parse_rate, parse_size};

/// Sizes count in powers of 1024, with a short or an IEC name for each unit, and a
/// fraction of a unit is fine as long as the bytes come out whole.
#[test]
fn every_size_unit_is_a_power_of_1024() {
    for (text, bytes) in [
        ("512B", 512),
        ("4K", 4096),
        ("4KiB", 4096),
        ("1.5K", 1536),
        ("1M", 1 << 20),
        ("1MiB", 1 << 20),
        ("1G", 1 << 30),
        ("2GiB", 2 << 30),
    ] {
        assert_eq!(parse_size(text), Ok(bytes), "`{text}` in bytes");
    }
}

/// A size is a whole number of bytes, at most 10^15 (about 909 TiB): half a byte and
/// 10^15 + 1 bytes are refused, with the forms a size may take.
#[test]
fn a_size_is_a_whole_number_of_bytes_up_to_ten_to_the_fifteen() {
    assert_eq!(
        parse_size("1000000000000000B"),
        Ok(1_000_000_000_000_000),
        "10^15 bytes is the largest size accepted"
    );
    for refused in ["1000000000000001B", "0.5B"] {
        assert_eq!(
            parse_size(refused).map_err(|error| error.to_string()),
            Err(format!(
                "`{refused}` is not a size with a unit: 512B, 4K, 4KiB, 1M, 1MiB or 1G"
            )),
            "`{refused}`: over 10^15 bytes, or not a whole number of bytes"
        );
    }
}

/// Durations read in milliseconds, seconds, minutes or hours.
#[test]
fn a_duration_reads_in_milliseconds_seconds_minutes_or_hours() {
    for (text, duration) in [
        ("500ms", Duration::from_millis(500)),
        ("60s", Duration::from_secs(60)),
        ("2min", Duration::from_secs(120)),
        ("1h", Duration::from_secs(3600)),
    ] {
        assert_eq!(parse_duration(text), Ok(duration), "`{text}` as a duration");
    }
}

/// The longest duration accepted is ten million seconds (about 116 days); one second
/// more is refused, with the forms a duration may take.
#[test]
fn the_longest_duration_accepted_is_ten_million_seconds_and_one_more_is_refused() {
    assert_eq!(
        parse_duration("10000000s"),
        Ok(Duration::from_secs(10_000_000)),
        "ten million seconds is the longest duration accepted"
    );
    assert_eq!(
        parse_duration("10000001s").map_err(|error| error.to_string()),
        Err("`10000001s` is not a duration with a unit: 500ms, 60s, 2min or 1h".to_string()),
        "one second over the limit"
    );
}

/// A rate is operations per second: a plain number, or with `k` (thousands) or `M`
/// (millions), optionally followed by `/s`. Any other suffix is refused.
#[test]
fn a_rate_is_per_second_with_an_optional_k_or_m_and_an_optional_per_second() {
    for (text, per_s) in [
        ("5000", 5000.0),
        ("5000/s", 5000.0),
        ("5k", 5000.0),
        ("5k/s", 5000.0),
        ("0.5k", 500.0),
        ("1.2M", 1_200_000.0),
    ] {
        assert_eq!(
            parse_rate(text),
            Ok(per_s),
            "`{text}` in operations per second"
        );
    }
    for refused in ["5K", "5G", "5/min"] {
        assert_eq!(
            parse_rate(refused).map_err(|error| error.to_string()),
            Err(format!(
                "`{refused}` is not a rate in operations per second, like 5000, 5k or 5k/s"
            )),
            "`{refused}` has no rate unit"
        );
    }
}
