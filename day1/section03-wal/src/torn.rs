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
            } else {
                '?'
            }
        })
        .collect()
}

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
            report.example_sectors = Some(sector_map(&bytes, &old_bytes, &new_bytes, 512));
        }
        count(&mut report.in_place, outcome);

        // Two slots: save A (durable); save B with the power cut before its fsync.
        let file = dir.create("paxos.slots")?;
        dir.sync()?;
        let mut store = TwoSlotStore::open(file, 8192)?;
        store.save(&old)?;
        fs.cut_power_after(1);
        let _ = store.save(&new);
        fs.crash(&mut rng);
        let store = TwoSlotStore::open(dir.open("paxos.slots")?, 8192)?;
        let found = store.load()?.map(|(_, state)| state);
        count(&mut report.two_slot, classify(found.as_ref(), &old, &new));
    }
    Ok(report)
}
