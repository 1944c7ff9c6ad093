//! The `/proc/diskstats` reader: field layouts, iostat's columns, wrap-around, and
//! finding the device behind a path.

use std::path::Path;

use littles_law::diskstats::{
    DiskRates, DiskstatsError, counter_delta, find_device, mount_for, parse_diskstats, split_dev,
};

const T0: &str = include_str!("fixtures/diskstats_20_fields_t0.txt");
const T1: &str = include_str!("fixtures/diskstats_20_fields_t1.txt");

fn close(actual: f64, expected: f64, tolerance: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: got {actual}, expected {expected} ± {tolerance}"
    );
}

#[test]
fn step1_twenty_field_lines_of_recent_kernels_parse() {
    let devices = parse_diskstats(T0).unwrap();
    let names: Vec<&str> = devices.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        ["loop0", "vda", "vda1", "vdb"],
        "every device line, in file order"
    );
    let vdb = find_device(&devices, "vdb").unwrap();
    assert_eq!((vdb.major, vdb.minor), (253, 16), "major:minor of vdb");
    assert_eq!(vdb.writes, 1_000_000, "field 5, writes completed");
    assert_eq!(vdb.in_flight, 1, "field 9, I/Os in flight");
    assert_eq!(
        vdb.time_in_queue_ms, 960_000,
        "field 11, weighted milliseconds"
    );
}

#[test]
fn step1_eighteen_field_lines_with_discard_counters_parse() {
    let devices = parse_diskstats(include_str!("fixtures/diskstats_18_fields.txt")).unwrap();
    let sda = find_device(&devices, "sda").unwrap();
    assert_eq!(
        (sda.reads, sda.writes, sda.io_ticks_ms),
        (48_211, 92_110, 112_033),
        "counters 1, 5 and 10 of sda"
    );
}

#[test]
fn step1_fourteen_field_lines_of_older_kernels_parse() {
    let devices = parse_diskstats(include_str!("fixtures/diskstats_14_fields.txt")).unwrap();
    assert_eq!(devices.len(), 2, "sda and sdb");
    let sdb = find_device(&devices, "sdb").unwrap();
    assert_eq!(
        (sdb.sectors_read, sdb.sectors_written),
        (800, 1600),
        "counters 3 and 7 of sdb"
    );
}

/// Two samples one second apart, built so that the interval reproduces the lab's
/// iostat line for vdb: 6836 w/s, 27,344 wkB/s, w_await 0.14 ms, aqu-sz 0.96, 39% util.
#[test]
fn step1_rates_between_two_samples_reproduce_the_lab_iostat_line() {
    let (t0, t1) = (parse_diskstats(T0).unwrap(), parse_diskstats(T1).unwrap());
    let rates = DiskRates::between(
        find_device(&t0, "vdb").unwrap(),
        find_device(&t1, "vdb").unwrap(),
        1.0,
    )
    .unwrap();
    close(rates.r_per_s, 0.0, 0.0, "r/s");
    close(rates.w_per_s, 6836.0, 1e-9, "w/s");
    close(
        rates.wkb_per_s,
        27_344.0,
        1e-9,
        "wkB/s = 54,688 sectors x 512 B / 1024",
    );
    close(
        rates.w_await_ms,
        0.14,
        0.0005,
        "w_await = 957 ms / 6836 writes",
    );
    close(
        rates.r_await_ms,
        0.0,
        0.0,
        "r_await with no reads is 0, as in iostat",
    );
    close(
        rates.aqu_sz,
        0.96,
        1e-9,
        "aqu-sz = 960 weighted ms / 1000 ms",
    );
    close(rates.util_pct, 39.0, 1e-9, "%util = 390 busy ms / 1000 ms");
    close(
        rates.little_l(),
        rates.aqu_sz,
        0.01,
        "lambda x W against aqu-sz: the kernel's own bookkeeping",
    );
}

#[test]
fn step1_rates_scale_with_the_interval() {
    let (t0, t1) = (parse_diskstats(T0).unwrap(), parse_diskstats(T1).unwrap());
    let (a, b) = (
        find_device(&t0, "vdb").unwrap(),
        find_device(&t1, "vdb").unwrap(),
    );
    let two_seconds = DiskRates::between(a, b, 2.0).unwrap();
    close(
        two_seconds.w_per_s,
        3418.0,
        1e-9,
        "the same writes over 2 s are half the rate",
    );
    close(
        two_seconds.w_await_ms,
        0.14,
        0.0005,
        "await is per operation and does not depend on the interval",
    );
}

#[test]
fn step1_a_wrapped_32_bit_counter_still_gives_the_right_delta() {
    assert_eq!(
        counter_delta(u64::from(u32::MAX) - 9, 10),
        20,
        "ten before the wrap and ten after"
    );
    assert_eq!(counter_delta(100, 150), 50, "the ordinary case");
    assert_eq!(counter_delta(u64::MAX - 4, 5), 10, "a 64-bit wrap");
}

#[test]
fn step1_a_missing_device_is_reported_with_the_devices_that_exist() {
    let devices = parse_diskstats(T0).unwrap();
    let error = find_device(&devices, "nvme0n1").unwrap_err();
    assert!(
        matches!(&error, DiskstatsError::DeviceMissing { name, known } if name == "nvme0n1" && known.contains("vdb")),
        "the error should name the missing device and list vdb among the known ones: {error}"
    );
}

#[test]
fn step1_a_line_with_an_unexpected_field_count_is_rejected_with_its_number() {
    let text = format!("{T0}   8 0 sdz 1 2 3\n");
    let error = parse_diskstats(&text).unwrap_err();
    assert!(
        matches!(error, DiskstatsError::Malformed { line: 5, .. }),
        "line 5 has 6 fields and should be rejected: {error}"
    );
}

#[test]
fn step1_a_non_numeric_counter_is_rejected() {
    let error = parse_diskstats("   8 0 sda 1 2 x 4 5 6 7 8 9 10 11\n").unwrap_err();
    assert!(
        error.to_string().contains("`x` is not a counter"),
        "the message should quote the bad field: {error}"
    );
}

#[test]
fn step1_a_zero_or_negative_interval_is_rejected() {
    let devices = parse_diskstats(T0).unwrap();
    let vdb = find_device(&devices, "vdb").unwrap();
    for seconds in [0.0, -1.0, f64::NAN] {
        assert!(
            matches!(
                DiskRates::between(vdb, vdb, seconds),
                Err(DiskstatsError::BadInterval { .. })
            ),
            "an interval of {seconds} s cannot give rates"
        );
    }
}

const MOUNTINFO: &str = "\
22 1 253:1 / / rw,relatime - ext4 /dev/vda1 rw
30 22 0:45 / /var/lib/docker/overlay2/abc/merged rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/var/lib/docker/overlay2/abc/diff,workdir=/w
31 22 0:27 / /dev/shm rw,nosuid - tmpfs tmpfs rw,size=65536k
32 22 253:17 / /mnt/data\\040disk rw - xfs /dev/vdb1 rw
";

#[test]
fn step1_the_mount_holding_a_path_is_the_longest_matching_mount_point() {
    let root = mount_for(MOUNTINFO, Path::new("/home/learner/io.bin")).unwrap();
    assert_eq!(
        (root.mount_point.as_str(), root.source.as_str()),
        ("/", "/dev/vda1"),
        "a path under / only"
    );
    let shm = mount_for(MOUNTINFO, Path::new("/dev/shm/io.bin")).unwrap();
    assert_eq!(
        shm.fstype, "tmpfs",
        "/dev/shm is its own tmpfs mount, not the root file system"
    );
    let spaced = mount_for(MOUNTINFO, Path::new("/mnt/data disk/io.bin")).unwrap();
    assert_eq!(
        spaced.source, "/dev/vdb1",
        "mountinfo escapes spaces as \\040"
    );
}

#[test]
fn step1_an_overlay_mount_exposes_its_upper_directory() {
    let overlay = mount_for(
        MOUNTINFO,
        Path::new("/var/lib/docker/overlay2/abc/merged/tmp/io.bin"),
    )
    .unwrap();
    assert_eq!(
        (overlay.major, overlay.fstype.as_str()),
        (0, "overlay"),
        "overlayfs has an anonymous major 0 device"
    );
    assert!(
        overlay
            .super_options
            .contains("upperdir=/var/lib/docker/overlay2/abc/diff"),
        "the upper directory is where writes land, on a real block device"
    );
}

#[test]
fn step1_a_path_that_only_shares_a_prefix_is_not_inside_the_mount() {
    let entry = mount_for(MOUNTINFO, Path::new("/dev/shmem/file")).unwrap();
    assert_eq!(entry.mount_point, "/", "/dev/shmem is not under /dev/shm");
}

#[test]
fn step1_dev_t_splits_into_major_and_minor() {
    assert_eq!(
        split_dev(0xfd10),
        (253, 16),
        "253:16 in the classic 16-bit layout"
    );
    // glibc's makedev: minor bits above 0xff go to bits 20.., major bits above 0xfff to bits 44...
    let dev = (0x234u64 << 8) | (0x1000u64 << 32) | 0x45 | (0x12300u64 << 12);
    assert_eq!(
        split_dev(dev),
        (0x1234, 0x12345),
        "large majors and minors use the high bits"
    );
}
