//! The torn-write lesson: why a record larger than a sector must not be updated in place.
//!
//! A disk writes a sector (512 bytes or 4 KiB) atomically, not a record. Overwrite a
//! 7,200-byte record in place and lose power before the fsync finishes, and the file can
//! hold some sectors of the new record and some of the old one. A checksum *detects* that,
//! but then neither version is left: an acceptor that loses its promise this way can break
//! Paxos.
//!
//! * [`in_place`] is the original format (little-endian; the checksum covers the payload
//!   only, so the ballots and the length are unprotected) written over itself.
//! * [`TwoSlotStore`] is the fix: two slots, each record carrying a sequence number and a
//!   checksum over **all** of it. A save writes the slot *not* holding the newest record
//!   and fsyncs; a load takes the valid slot with the highest sequence number. A torn save
//!   can only damage the slot being written, so a load always finds the old or the new
//!   state, never garbage.
//!
//! [`run_demo`] replays both on [`common::fileio::SimFs`] power cuts.

use common::fileio::{CrashPolicy, Dir, FileIo, SimFs, SimFsConfig};
use common::rng::SimRng;
use std::io;

/// A Paxos acceptor's durable state, as in the original example.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcceptorState {
    /// The highest ballot promised.
    pub promised: u64,
    /// The ballot of the accepted value.
    pub accepted: u64,
    /// The accepted command.
    pub payload: Vec<u8>,
}

impl AcceptorState {
    /// The demo state: payload byte `i` is `(i + seed) mod 256`.
    pub fn demo(promised: u64, accepted: u64, payload_bytes: usize, seed: u8) -> Self {
        AcceptorState {
            promised,
            accepted,
            payload: (0..payload_bytes)
                .map(|i| (i as u8).wrapping_add(seed))
                .collect(),
        }
    }
}

/// The original record, updated in place.
pub mod in_place {
    use super::AcceptorState;

    /// Magic number, stored little-endian (`45 58 41 50`).
    pub const MAGIC: u32 = 0x5041_5845;

    fn crc32c_like(payload: &[u8]) -> u32 {
        // The original used CRC32C; the lesson only needs *a* checksum of the payload.
        crc32fast::hash(payload)
    }

    /// `magic | len | promised | accepted | crc(payload) | payload | crc(payload)`, LE.
    pub fn encode(state: &AcceptorState) -> Vec<u8> {
        let crc = crc32c_like(&state.payload);
        let mut out = Vec::with_capacity(32 + state.payload.len());
        out.extend_from_slice(&MAGIC.to_le_bytes());
        out.extend_from_slice(&(state.payload.len() as u32).to_le_bytes());
        out.extend_from_slice(&state.promised.to_le_bytes());
        out.extend_from_slice(&state.accepted.to_le_bytes());
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&state.payload);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Validate a record: OK with the state, or the reason it is corrupt (bounds-checked).
    pub fn validate(bytes: &[u8]) -> Result<AcceptorState, String> {
        if bytes.len() < 32 {
            return Err(format!("too small: {} bytes", bytes.len()));
        }
        let u32_at = |at: usize| {
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let u64_at = |at: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[at..at + 8]);
            u64::from_le_bytes(b)
        };
        if u32_at(0) != MAGIC {
            return Err("bad magic".into());
        }
        let len = u32_at(4) as usize;
        if bytes.len() < 32 + len {
            return Err(format!("truncated: payload of {len} bytes does not fit"));
        }
        let payload = &bytes[28..28 + len];
        let (header_crc, trailer_crc, computed) =
            (u32_at(24), u32_at(28 + len), crc32c_like(payload));
        if header_crc != computed || trailer_crc != computed {
            return Err(format!(
                "crc mismatch: header {header_crc:#010x}, trailer {trailer_crc:#010x}, payload {computed:#010x}"
            ));
        }
        Ok(AcceptorState {
            promised: u64_at(8),
            accepted: u64_at(16),
            payload: payload.to_vec(),
        })
    }
}

const SLOT_MAGIC: &[u8; 4] = b"AB01";
const SLOT_HEADER: usize = 36;

fn encode_slot(sequence: u64, state: &AcceptorState) -> Vec<u8> {
    let mut out = Vec::with_capacity(SLOT_HEADER + state.payload.len() + 4);
    out.extend_from_slice(SLOT_MAGIC);
    out.extend_from_slice(&sequence.to_be_bytes());
    out.extend_from_slice(&state.promised.to_be_bytes());
    out.extend_from_slice(&state.accepted.to_be_bytes());
    out.extend_from_slice(&(state.payload.len() as u64).to_be_bytes());
    out.extend_from_slice(&state.payload);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

fn decode_slot(bytes: &[u8]) -> Option<(u64, AcceptorState)> {
    if bytes.len() < SLOT_HEADER + 4 || &bytes[..4] != SLOT_MAGIC {
        return None;
    }
    let u64_at = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&bytes[at..at + 8]);
        u64::from_be_bytes(b)
    };
    let len = usize::try_from(u64_at(28)).ok()?;
    let end = SLOT_HEADER.checked_add(len)?;
    if bytes.len() < end + 4 {
        return None;
    }
    let stored = u32::from_be_bytes([bytes[end], bytes[end + 1], bytes[end + 2], bytes[end + 3]]);
    if crc32fast::hash(&bytes[..end]) != stored {
        return None;
    }
    Some((
        u64_at(4),
        AcceptorState {
            promised: u64_at(12),
            accepted: u64_at(20),
            payload: bytes[SLOT_HEADER..end].to_vec(),
        },
    ))
}

/// The A/B fix: two fixed slots, a sequence number and a checksum over everything.
#[derive(Debug)]
pub struct TwoSlotStore<F: FileIo> {
    file: F,
    slot_bytes: u64,
    sequence: u64,
}

impl<F: FileIo> TwoSlotStore<F> {
    /// Use `file` with slots of `slot_bytes` each (at offsets 0 and `slot_bytes`).
    pub fn open(file: F, slot_bytes: u64) -> io::Result<Self> {
        let mut store = TwoSlotStore {
            file,
            slot_bytes,
            sequence: 0,
        };
        store.sequence = store.load()?.map_or(0, |(sequence, _)| sequence);
        Ok(store)
    }

    /// The newest valid record and its sequence number, if any slot holds one.
    pub fn load(&self) -> io::Result<Option<(u64, AcceptorState)>> {
        // exercise: read both slots; keep those that decode with a valid checksum; return the one with the highest sequence number
        // solution-begin
        let mut best: Option<(u64, AcceptorState)> = None;
        for slot in 0..2 {
            let mut bytes = vec![0u8; self.slot_bytes as usize];
            let n = self.file.read_at(slot * self.slot_bytes, &mut bytes)?;
            bytes.truncate(n);
            if let Some((sequence, state)) = decode_slot(&bytes)
                && best.as_ref().is_none_or(|(b, _)| sequence > *b)
            {
                best = Some((sequence, state));
            }
        }
        Ok(best)
        // solution-end
    }

    /// Save `state` durably into the slot not holding the newest record.
    pub fn save(&mut self, state: &AcceptorState) -> io::Result<()> {
        // exercise: next sequence number; write into slot (sequence mod 2) so the newest record is never overwritten; fsync before returning
        // solution-begin
        let sequence = self.sequence + 1;
        let bytes = encode_slot(sequence, state);
        if bytes.len() as u64 > self.slot_bytes {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "a record of {} bytes does not fit a {}-byte slot",
                    bytes.len(),
                    self.slot_bytes
                ),
            ));
        }
        self.file
            .write_at((sequence % 2) * self.slot_bytes, &bytes)?;
        self.file.sync()?;
        self.sequence = sequence;
        Ok(())
        // solution-end
    }
}

/// What a load found after a power cut during an update from state A to state B.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// State A, intact.
    Old,
    /// State B, intact.
    New,
    /// The checksum caught a torn record: neither state is left.
    DetectedLoss,
    /// Garbage accepted as valid (never seen with a checksum over the record).
    Undetected,
}

/// Outcome counts of the demo.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DemoReport {
    /// Trials per scheme.
    pub trials: u64,
    /// In-place outcomes: `[old, new, detected loss, undetected]`.
    pub in_place: [u64; 4],
    /// Two-slot outcomes, same order.
    pub two_slot: [u64; 4],
    /// One torn in-place record, sector by sector: `N` new, `O` old, `?` neither.
    pub example_sectors: Option<String>,
    /// One torn two-slot save, sector by sector: `[slot being written, the other slot]`,
    /// each sector `N` (B, the record being saved), `O` (A, the newest durable record),
    /// `.` (never written) or `?` (neither).
    pub example_slots: Option<[String; 2]>,
}

impl DemoReport {
    /// The outcome table the README shows, one row per scheme.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<34} {:>8} {:>8} {:>16} {:>11}\n",
            "scheme", "old (A)", "new (B)", "detected, lost", "undetected"
        );
        for (name, counts) in [
            ("overwrite in place, payload CRC", self.in_place),
            ("two slots A/B, sequence + full CRC", self.two_slot),
        ] {
            out.push_str(&format!(
                "{:<34} {:>8} {:>8} {:>16} {:>11}\n",
                name, counts[0], counts[1], counts[2], counts[3]
            ));
        }
        out
    }
}

fn count(counts: &mut [u64; 4], outcome: Outcome) {
    let slot = match outcome {
        Outcome::Old => 0,
        Outcome::New => 1,
        Outcome::DetectedLoss => 2,
        Outcome::Undetected => 3,
    };
    counts[slot] += 1;
}

fn classify(found: Option<&AcceptorState>, old: &AcceptorState, new: &AcceptorState) -> Outcome {
    match found {
        Some(s) if s == old => Outcome::Old,
        Some(s) if s == new => Outcome::New,
        Some(_) => Outcome::Undetected,
        None => Outcome::DetectedLoss,
    }
}

fn sector_map(bytes: &[u8], old: &[u8], new: &[u8], sector: usize) -> String {
    bytes
        .chunks(sector)
        .enumerate()
        .map(|(k, chunk)| {
            let range = k * sector..k * sector + chunk.len();
            if new.get(range.clone()) == Some(chunk) {
                'N'
            } else if old.get(range) == Some(chunk) {
                'O'
            } else if chunk.iter().all(|&b| b == 0) {
                '.'
            } else {
                '?'
            }
        })
        .collect()
}

/// The sector maps of both slots after a torn save of B, if the save was cut part-way:
/// some of its sectors written and some not.
fn torn_slots(bytes: &[u8], old: &AcceptorState, new: &AcceptorState) -> Option<[String; 2]> {
    // A was saved first, with sequence 1, into slot 1; B, sequence 2, goes to slot 0.
    let (a, b) = (encode_slot(1, old), encode_slot(2, new));
    let slot = |k: usize, len: usize| {
        let mut region = bytes
            .get(k * DEMO_SLOT_BYTES as usize..)
            .unwrap_or_default()
            .to_vec();
        region.resize(len, 0);
        region
    };
    let written = sector_map(&slot(0, b.len()), &a, &b, SECTOR_BYTES);
    let other = sector_map(&slot(1, a.len()), &a, &b, SECTOR_BYTES);
    (written.contains('N') && !written.chars().all(|c| c == 'N')).then_some([written, other])
}

/// The simulated disk's sector: the unit it writes atomically.
const SECTOR_BYTES: usize = 512;

/// Each slot of the demo's two-slot file.
const DEMO_SLOT_BYTES: u64 = 8192;

/// Update an acceptor record from A (promised 101, accepted 202) to B (102, 203), with
/// a 7 KiB payload, and cut the power before the update's fsync, `trials` times per
/// scheme, on a simulated disk with 512-byte sectors that stops a sequential write at a
/// random sector.
pub fn run_demo(trials: u64, seed: u64) -> io::Result<DemoReport> {
    let old = AcceptorState::demo(101, 202, 7 * 1024, 0);
    let new = AcceptorState::demo(102, 203, 7 * 1024, 1);
    let (old_bytes, new_bytes) = (in_place::encode(&old), in_place::encode(&new));
    let mut report = DemoReport {
        trials,
        ..DemoReport::default()
    };
    let mut rng = SimRng::derive(seed, "torn-demo");
    for _ in 0..trials {
        let fs = SimFs::new(
            SimFsConfig {
                crash: CrashPolicy::TearLastWrite,
                ..SimFsConfig::default()
            },
            rng.fork("fs"),
        );
        let dir = fs.root();
        // In place: write A, sync; overwrite with B; power cut before the sync.
        let mut file = dir.create("paxos.state")?;
        dir.sync()?;
        file.write_at(0, &old_bytes)?;
        file.sync()?;
        file.write_at(0, &new_bytes)?;
        fs.crash(&mut rng);
        let bytes = fs.file_bytes("paxos.state").unwrap_or_default();
        let found = in_place::validate(&bytes).ok();
        let outcome = classify(found.as_ref(), &old, &new);
        if outcome == Outcome::DetectedLoss && report.example_sectors.is_none() {
            report.example_sectors = Some(sector_map(&bytes, &old_bytes, &new_bytes, SECTOR_BYTES));
        }
        count(&mut report.in_place, outcome);

        // Two slots: save A (durable); save B with the power cut before its fsync.
        let file = dir.create("paxos.slots")?;
        dir.sync()?;
        let mut store = TwoSlotStore::open(file, DEMO_SLOT_BYTES)?;
        store.save(&old)?;
        fs.cut_power_after(1);
        let _ = store.save(&new);
        fs.crash(&mut rng);
        let store = TwoSlotStore::open(dir.open("paxos.slots")?, DEMO_SLOT_BYTES)?;
        let found = store.load()?.map(|(_, state)| state);
        count(&mut report.two_slot, classify(found.as_ref(), &old, &new));
        if report.example_slots.is_none() {
            let bytes = fs.file_bytes("paxos.slots").unwrap_or_default();
            report.example_slots = torn_slots(&bytes, &old, &new);
        }
    }
    Ok(report)
}

/// The picture of the lesson, as a self-contained SVG: one torn in-place record and one
/// torn two-slot save, sector by sector, over the outcome counts. `None` if the run had no
/// torn example of either kind (too few trials).
pub fn svg(report: &DemoReport) -> Option<String> {
    let in_place = report.example_sectors.as_ref()?;
    let [written, other] = report.example_slots.as_ref()?;
    let rows: [(&str, String, &str); 4] = [
        ("in place, before", "O".repeat(in_place.len()), "A, durable"),
        (
            "in place, after the cut",
            in_place.clone(),
            "checksum mismatch: neither A nor B",
        ),
        (
            "two slots: slot 1, seq 1",
            other.clone(),
            "intact: the load returns A",
        ),
        (
            "two slots: slot 0, seq 2",
            written.clone(),
            "torn: its checksum rejects it",
        ),
    ];
    let (cell, left, top) = (26usize, 190usize, 70usize);
    let width = left + 15 * cell + 280;
    let height = top + 4 * 44 + 56;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"13\">\n\
         <rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n\
         <text x=\"12\" y=\"24\" font-size=\"15\" font-weight=\"bold\">An acceptor record of 15 \
         sectors, updated from A to B; the power fails before the fsync</text>\n\
         <text x=\"12\" y=\"46\">Each box is a 512-byte sector: grey holds A, green holds B, \
         white was never written.</text>\n"
    );
    for (row, (label, map, verdict)) in rows.iter().enumerate() {
        let y = top + row * 44 + if row >= 2 { 12 } else { 0 };
        out.push_str(&format!("<text x=\"12\" y=\"{}\">{label}</text>\n", y + 18));
        for (k, sector) in map.chars().enumerate() {
            let (fill, text) = match sector {
                'N' => ("#7fc97f", "B"),
                'O' => ("#cccccc", "A"),
                '.' => ("#ffffff", ""),
                _ => ("#f0a0a0", "?"),
            };
            let x = left + k * cell;
            out.push_str(&format!(
                "<rect x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"26\" fill=\"{fill}\" \
                 stroke=\"#555555\"><title>sector {k}</title></rect>\n",
                cell - 2
            ));
            if !text.is_empty() {
                out.push_str(&format!(
                    "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{text}</text>\n",
                    x + cell / 2 - 1,
                    y + 18
                ));
            }
        }
        out.push_str(&format!(
            "<text x=\"{}\" y=\"{}\">{verdict}</text>\n",
            left + 15 * cell + 12,
            y + 18
        ));
    }
    let footer = top + 4 * 44 + 24;
    out.push_str(&format!(
        "<text x=\"12\" y=\"{footer}\">Over {} power cuts: in place kept A {} times, B {} \
         times and lost both {} times; two slots kept A {} times, B {} times and lost both {} \
         times.</text>\n</svg>\n",
        report.trials,
        report.in_place[0],
        report.in_place[1],
        report.in_place[2] + report.in_place[3],
        report.two_slot[0],
        report.two_slot[1],
        report.two_slot[2] + report.two_slot[3],
    ));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A load that returns a state which is neither A nor B read garbage as valid: the
    /// demo counts it as undetected (no power cut of the demo produces one, since both
    /// schemes' checksums catch every torn mix, so only this claim sees the arm).
    #[test]
    fn a_state_that_is_neither_a_nor_b_is_counted_as_undetected() {
        let (old, new) = (
            AcceptorState::demo(1, 1, 8, 0),
            AcceptorState::demo(2, 2, 8, 1),
        );
        let garbage = AcceptorState::demo(3, 3, 8, 2);
        assert_eq!(classify(Some(&old), &old, &new), Outcome::Old);
        assert_eq!(classify(Some(&new), &old, &new), Outcome::New);
        assert_eq!(classify(Some(&garbage), &old, &new), Outcome::Undetected);
        assert_eq!(classify(None, &old, &new), Outcome::DetectedLoss);
    }
}
