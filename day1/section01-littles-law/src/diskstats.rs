//! A mini `iostat -x` computed from `/proc/diskstats`.
//!
//! The kernel keeps cumulative counters per block device. Two samples Δt seconds apart
//! give every column iostat prints:
//!
//! | column | from |
//! |---|---|
//! | r/s, w/s | Δ reads completed / Δt, Δ writes completed / Δt |
//! | rkB/s, wkB/s | Δ sectors × 512 / 1024 / Δt (sectors are always 512 bytes here) |
//! | r_await, w_await | Δ ms spent reading / Δ reads (0 when there were none) |
//! | aqu-sz | Δ weighted ms (time_in_queue) / (1000 Δt) |
//! | %util | 100 × Δ io_ticks ms / (1000 Δt) |
//!
//! aqu-sz and the awaits come from the same bookkeeping (each request adds its own
//! duration to both), so L ≈ λ·W holds *by construction* here: it is an identity of
//! the kernel's accounting, not an independent experiment. It drifts only through
//! requests still in flight at the interval edges and through discards and flushes.

use std::path::{Path, PathBuf};

/// Bytes per sector in `/proc/diskstats`, whatever the device's real sector size.
pub const SECTOR_BYTES: u64 = 512;

/// Why a diskstats sample or a device lookup failed.
#[derive(Debug, thiserror::Error)]
pub enum DiskstatsError {
    /// A line of `/proc/diskstats` did not have the expected shape.
    #[error("diskstats line {line}: {reason}")]
    Malformed {
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        reason: String,
    },
    /// The device is not in the sample.
    #[error("device `{name}` is not in /proc/diskstats (known: {known})")]
    DeviceMissing {
        /// The requested device.
        name: String,
        /// Devices that were present, comma separated.
        known: String,
    },
    /// The path lives on a file system without a block device (tmpfs, proc, ...).
    #[error("{path} is on a {fstype} file system, which has no block device to measure")]
    NoBlockDevice {
        /// The path asked about.
        path: PathBuf,
        /// Its file system type from mountinfo.
        fstype: String,
    },
    /// The two samples are not ordered in time.
    #[error("the interval between samples must be positive, got {seconds} s")]
    BadInterval {
        /// The rejected interval.
        seconds: f64,
    },
    /// Reading a kernel file failed.
    #[error("could not read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> DiskstatsError + '_ {
    move |source| DiskstatsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Cumulative counters of one device, as the kernel reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskCounters {
    /// Device major number.
    pub major: u32,
    /// Device minor number.
    pub minor: u32,
    /// Device name, e.g. `vda` or `nvme0n1p1`.
    pub name: String,
    /// Field 1: reads completed.
    pub reads: u64,
    /// Field 3: sectors read.
    pub sectors_read: u64,
    /// Field 4: milliseconds spent reading (summed over requests).
    pub read_ms: u64,
    /// Field 5: writes completed.
    pub writes: u64,
    /// Field 7: sectors written.
    pub sectors_written: u64,
    /// Field 8: milliseconds spent writing (summed over requests).
    pub write_ms: u64,
    /// Field 9: I/Os currently in flight (an instantaneous value, not a counter).
    pub in_flight: u64,
    /// Field 10: milliseconds during which at least one I/O was in flight.
    pub io_ticks_ms: u64,
    /// Field 11: weighted milliseconds: each ms multiplied by the I/Os in flight.
    pub time_in_queue_ms: u64,
}

/// Parses the text of `/proc/diskstats`. Lines have 14 fields (before Linux 4.18),
/// 18 (discard counters) or 20 (flush counters); blank lines are skipped.
pub fn parse_diskstats(text: &str) -> Result<Vec<DiskCounters>, DiskstatsError> {
    let mut devices = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        let malformed = |reason: String| DiskstatsError::Malformed {
            line: index + 1,
            reason,
        };
        if !matches!(fields.len(), 14 | 18 | 20) {
            return Err(malformed(format!(
                "{} fields, expected 14, 18 or 20",
                fields.len()
            )));
        }
        let number = |i: usize| -> Result<u64, DiskstatsError> {
            fields[i]
                .parse()
                .map_err(|_| malformed(format!("field {} `{}` is not a counter", i + 1, fields[i])))
        };
        let id = |i: usize| -> Result<u32, DiskstatsError> {
            u32::try_from(number(i)?)
                .map_err(|_| malformed(format!("device number `{}` too large", fields[i])))
        };
        // Fields 0..3 are major, minor, name; counter k (1-based) is at index k + 2.
        devices.push(DiskCounters {
            major: id(0)?,
            minor: id(1)?,
            name: fields[2].to_string(),
            reads: number(3)?,
            sectors_read: number(5)?,
            read_ms: number(6)?,
            writes: number(7)?,
            sectors_written: number(9)?,
            write_ms: number(10)?,
            in_flight: number(11)?,
            io_ticks_ms: number(12)?,
            time_in_queue_ms: number(13)?,
        });
    }
    Ok(devices)
}

/// Reads and parses `/proc/diskstats` (or another file with the same format).
pub fn read_diskstats(path: &Path) -> Result<Vec<DiskCounters>, DiskstatsError> {
    let text = std::fs::read_to_string(path).map_err(io_error(path))?;
    parse_diskstats(&text)
}

/// The counters of device `name` in a sample.
pub fn find_device<'a>(
    devices: &'a [DiskCounters],
    name: &str,
) -> Result<&'a DiskCounters, DiskstatsError> {
    devices
        .iter()
        .find(|d| d.name == name)
        .ok_or_else(|| DiskstatsError::DeviceMissing {
            name: name.to_string(),
            known: devices
                .iter()
                .map(|d| d.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// Difference of two readings of a kernel counter, tolerating one wrap-around.
///
/// On 32-bit kernels the counters are 32 bits wide; on 64-bit kernels 64 bits.
pub fn counter_delta(previous: u64, next: u64) -> u64 {
    if next >= previous {
        next - previous
    } else if previous <= u64::from(u32::MAX) {
        (u64::from(u32::MAX) - previous) + next + 1
    } else {
        next.wrapping_sub(previous)
    }
}

/// The iostat columns for one device over one interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DiskRates {
    /// Reads completed per second.
    pub r_per_s: f64,
    /// Writes completed per second.
    pub w_per_s: f64,
    /// KiB read per second.
    pub rkb_per_s: f64,
    /// KiB written per second.
    pub wkb_per_s: f64,
    /// Mean read latency in ms (queue + device), 0 with no reads.
    pub r_await_ms: f64,
    /// Mean write latency in ms (queue + device), 0 with no writes.
    pub w_await_ms: f64,
    /// Time-average number of requests in flight.
    pub aqu_sz: f64,
    /// Percentage of time with at least one request in flight.
    pub util_pct: f64,
}

impl DiskRates {
    /// The columns between two samples of the same device taken `interval_s` apart.
    pub fn between(
        previous: &DiskCounters,
        next: &DiskCounters,
        interval_s: f64,
    ) -> Result<Self, DiskstatsError> {
        if !(interval_s.is_finite() && interval_s > 0.0) {
            return Err(DiskstatsError::BadInterval {
                seconds: interval_s,
            });
        }
        let delta = |f: fn(&DiskCounters) -> u64| counter_delta(f(previous), f(next)) as f64;
        let reads = delta(|d| d.reads);
        let writes = delta(|d| d.writes);
        let per_op = |ms: f64, ops: f64| if ops == 0.0 { 0.0 } else { ms / ops };
        let kib = |sectors: f64| sectors * SECTOR_BYTES as f64 / 1024.0 / interval_s;
        Ok(DiskRates {
            r_per_s: reads / interval_s,
            w_per_s: writes / interval_s,
            rkb_per_s: kib(delta(|d| d.sectors_read)),
            wkb_per_s: kib(delta(|d| d.sectors_written)),
            r_await_ms: per_op(delta(|d| d.read_ms), reads),
            w_await_ms: per_op(delta(|d| d.write_ms), writes),
            aqu_sz: delta(|d| d.time_in_queue_ms) / (1000.0 * interval_s),
            util_pct: 100.0 * delta(|d| d.io_ticks_ms) / (1000.0 * interval_s),
        })
    }

    /// λ: all completed operations per second.
    pub fn ops_per_s(&self) -> f64 {
        self.r_per_s + self.w_per_s
    }

    /// W: the operation-weighted mean of r_await and w_await, in ms.
    pub fn await_ms(&self) -> f64 {
        mixed_await_ms(self.r_per_s, self.r_await_ms, self.w_per_s, self.w_await_ms)
    }

    /// L predicted by Little's law from the other columns: λ · W.
    pub fn little_l(&self) -> f64 {
        self.ops_per_s() * self.await_ms() / 1000.0
    }
}

/// Operation-weighted mean latency of reads and writes.
pub fn mixed_await_ms(r_per_s: f64, r_await_ms: f64, w_per_s: f64, w_await_ms: f64) -> f64 {
    let ops = r_per_s + w_per_s;
    if ops == 0.0 {
        0.0
    } else {
        (r_per_s * r_await_ms + w_per_s * w_await_ms) / ops
    }
}

/// One line of `/proc/self/mountinfo`, the parts needed to find a block device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountEntry {
    /// `major:minor` of the mount as the kernel reports it (0:N for virtual devices).
    pub major: u32,
    /// Minor number.
    pub minor: u32,
    /// Where it is mounted.
    pub mount_point: String,
    /// File system type, e.g. `ext4`, `overlay`, `tmpfs`.
    pub fstype: String,
    /// Mount source, e.g. `/dev/vda1` or `overlay`.
    pub source: String,
    /// Super-block options, e.g. `rw,lowerdir=...,upperdir=...`.
    pub super_options: String,
}

/// The mount that contains `path` (the longest mount point that is a prefix of it).
pub fn mount_for(mountinfo: &str, path: &Path) -> Option<MountEntry> {
    let mut best: Option<MountEntry> = None;
    for line in mountinfo.lines() {
        let Some((left, right)) = line.split_once(" - ") else {
            continue;
        };
        let left: Vec<&str> = left.split_whitespace().collect();
        let right: Vec<&str> = right.split_whitespace().collect();
        if left.len() < 5 || right.len() < 2 {
            continue;
        }
        let Some((major, minor)) = left[2].split_once(':') else {
            continue;
        };
        let (Ok(major), Ok(minor)) = (major.parse(), minor.parse()) else {
            continue;
        };
        let mount_point = unescape_mountinfo(left[4]);
        if !path.starts_with(&mount_point) {
            continue;
        }
        if best
            .as_ref()
            .is_none_or(|b| mount_point.len() >= b.mount_point.len())
        {
            best = Some(MountEntry {
                major,
                minor,
                mount_point,
                fstype: right[0].to_string(),
                source: right[1].to_string(),
                super_options: right.get(2).copied().unwrap_or("").to_string(),
            });
        }
    }
    best
}

fn unescape_mountinfo(text: &str) -> String {
    text.replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\")
}

/// Splits a Linux `dev_t` into (major, minor).
pub fn split_dev(dev: u64) -> (u32, u32) {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    (major as u32, minor as u32)
}

/// The block device name for `major:minor`, from `/sys/dev/block/M:m`.
pub fn device_name(major: u32, minor: u32) -> Result<String, DiskstatsError> {
    let link = PathBuf::from(format!("/sys/dev/block/{major}:{minor}"));
    let target = std::fs::read_link(&link).map_err(io_error(&link))?;
    target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| DiskstatsError::Io {
            path: link,
            source: std::io::Error::other("sysfs link without a device name"),
        })
}

/// The block device that holds `path` (or its parent directory, if `path` does not
/// exist yet). Handles the anonymous devices of overlayfs (major 0) through
/// `/proc/self/mountinfo`: the overlay's upper directory is resolved instead.
pub fn device_for_path(path: &Path) -> Result<String, DiskstatsError> {
    device_for_path_depth(path, 0)
}

fn device_for_path_depth(path: &Path, depth: u32) -> Result<String, DiskstatsError> {
    use std::os::unix::fs::MetadataExt;
    let existing = if path.exists() {
        path.to_path_buf()
    } else {
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf()
    };
    let absolute = std::fs::canonicalize(&existing).map_err(io_error(&existing))?;
    let metadata = std::fs::metadata(&absolute).map_err(io_error(&absolute))?;
    let (major, minor) = split_dev(metadata.dev());
    if major != 0 {
        return device_name(major, minor);
    }
    let mountinfo_path = Path::new("/proc/self/mountinfo");
    let mountinfo = std::fs::read_to_string(mountinfo_path).map_err(io_error(mountinfo_path))?;
    let no_device = |fstype: &str| DiskstatsError::NoBlockDevice {
        path: path.to_path_buf(),
        fstype: fstype.to_string(),
    };
    let mount = mount_for(&mountinfo, &absolute).ok_or_else(|| no_device("unknown"))?;
    if mount.fstype == "overlay"
        && depth < 4
        && let Some(upper) = mount
            .super_options
            .split(',')
            .find_map(|o| o.strip_prefix("upperdir="))
    {
        return device_for_path_depth(Path::new(upper), depth + 1);
    }
    if mount.source.starts_with("/dev/") {
        let source = Path::new(&mount.source);
        let device = std::fs::metadata(source).map_err(io_error(source))?;
        let (major, minor) = split_dev(device.rdev());
        return device_name(major, minor);
    }
    Err(no_device(&mount.fstype))
}

/// The logical block size of a device from sysfs (a partition asks its parent disk).
pub fn logical_block_size(device: &str) -> Result<u64, DiskstatsError> {
    let own = PathBuf::from(format!(
        "/sys/class/block/{device}/queue/logical_block_size"
    ));
    let parent = PathBuf::from(format!(
        "/sys/class/block/{device}/../queue/logical_block_size"
    ));
    let text = std::fs::read_to_string(&own)
        .or_else(|_| std::fs::read_to_string(&parent))
        .map_err(io_error(&own))?;
    text.trim().parse().map_err(|_| DiskstatsError::Io {
        path: own,
        source: std::io::Error::other("logical_block_size is not a number"),
    })
}
