//! Step 2, the padding rule (`frame::padding_data_len`) and the segment scan
//! (`segment::scan`): pad every flush to a block boundary, and find every valid frame of a
//! segment, stopping at the first bad one.

mod support;

use proptest::prelude::*;
use support::proptest_config;
use wal::frame::{self, EntryType, Frame, HEADER_BYTES, padding_data_len};
use wal::segment;

#[test]
fn step2_padding_aligns_small_record_to_one_block() {
    assert_eq!(padding_data_len(1028, 4096), Some(3028));
    assert_eq!(
        1028 + HEADER_BYTES as u64 + 3028,
        4096,
        "a 1,028-byte record pads to one block"
    );
}

#[test]
fn step2_padding_adds_extra_block_when_gap_too_small() {
    assert_eq!(padding_data_len(4095, 4096), Some(4057));
    assert_eq!(
        4095 + HEADER_BYTES as u64 + 4057,
        8192,
        "a 1-byte gap cannot hold a padding header"
    );
}

/// A gap of exactly 40 bytes holds a padding frame with no data: no extra block.
#[test]
fn step2_a_gap_of_exactly_one_header_takes_an_empty_padding_frame() {
    assert_eq!(
        padding_data_len(4056, 4096),
        Some(0),
        "4,056 + a 40-byte header ends on 4,096"
    );
    assert_eq!(
        padding_data_len(4057, 4096),
        Some(4095),
        "a gap of 39 bytes cannot hold a header: 4,057 + 40 + 4,095 ends on 8,192"
    );
}

#[test]
fn step2_padding_table_of_worked_examples() {
    // entry with a 4,095-byte payload: 4,135 bytes, gap 4,057, padding data 4,017.
    assert_eq!(padding_data_len(4135, 4096), Some(4017));
    assert_eq!(
        padding_data_len(8192, 4096),
        None,
        "an aligned length needs no padding"
    );
}

proptest! {
    #![proptest_config(proptest_config(256))]

    #[test]
    fn step2_padding_always_ends_on_a_block_and_decodes(len in 0u64..100_000, shift in 6u32..14) {
        let block = 1u64 << shift;
        match padding_data_len(len, block) {
            None => prop_assert_eq!(len % block, 0),
            Some(data_len) => {
                let total = len + HEADER_BYTES as u64 + data_len;
                prop_assert_eq!(total % block, 0, "padding must end on a block boundary");
                prop_assert!(total - len <= 2 * block, "padding never spans more than two blocks");
                let padding = Frame::padding(data_len as usize).encode();
                let (decoded, _) = frame::decode(&padding, u32::MAX - 40).expect("padding decodes");
                prop_assert_eq!(decoded.entry_type, EntryType::Padding);
            }
        }
    }
}

/// Three data frames and a padding frame, as a segment with base `base` holds them.
fn segment_bytes(base: u64) -> (Vec<u8>, Vec<u64>) {
    let mut bytes = Vec::new();
    let mut offsets = Vec::new();
    for k in 1..=3u64 {
        offsets.push(bytes.len() as u64);
        bytes.extend(Frame::data(base + k, 1, 1_000 + k, vec![k as u8; 10 * k as usize]).encode());
    }
    offsets.push(bytes.len() as u64);
    bytes.extend(Frame::padding(24).encode());
    (bytes, offsets)
}

#[test]
fn step2_scan_finds_every_frame_and_where_the_next_append_goes() {
    let (bytes, offsets) = segment_bytes(7);
    let scan = segment::scan(&bytes, 7, 1024);
    assert_eq!(scan.problem, None, "a clean segment scans to its end");
    assert_eq!(
        scan.frames.iter().map(|f| f.offset).collect::<Vec<_>>(),
        offsets,
        "every frame is found at its offset, padding included"
    );
    assert_eq!(
        scan.data_frames()
            .map(|f| f.frame.index)
            .collect::<Vec<_>>(),
        vec![8, 9, 10],
        "the data entries of base 7 are 8, 9, 10"
    );
    assert_eq!(
        scan.valid_len,
        bytes.len() as u64,
        "the next append goes at the end"
    );
    assert_eq!(
        scan.last_index(7),
        10,
        "the last index is the last data frame's"
    );
    assert_eq!(
        segment::scan(&[], 7, 1024).last_index(7),
        7,
        "an empty segment ends at its base"
    );
}

#[test]
fn step2_scan_stops_at_the_first_bad_frame_and_says_where() {
    let (mut bytes, offsets) = segment_bytes(0);
    bytes[offsets[1] as usize + HEADER_BYTES] ^= 0x01;
    let scan = segment::scan(&bytes, 0, 1024);
    let problem = scan
        .problem
        .clone()
        .expect("a flipped data byte must stop the scan");
    assert_eq!(
        problem.offset, offsets[1],
        "the problem is at the second frame"
    );
    assert!(
        !problem.truncated,
        "a checksum mismatch is not a truncation"
    );
    assert!(
        problem.reason.contains("checksum"),
        "the reason names the checksum: {}",
        problem.reason
    );
    assert_eq!(
        scan.frames.len(),
        1,
        "only the frame before the damage is valid"
    );
    assert_eq!(
        scan.valid_len, offsets[1],
        "valid data ends where the bad frame starts"
    );
}

#[test]
fn step2_a_segment_cut_inside_a_frame_is_reported_as_truncated() {
    let (bytes, offsets) = segment_bytes(0);
    let cut = offsets[2] as usize + 5;
    let scan = segment::scan(&bytes[..cut], 0, 1024);
    let problem = scan
        .problem
        .clone()
        .expect("a frame cut short must stop the scan");
    assert!(
        problem.truncated,
        "bytes that end inside a frame are a truncation: {problem:?}"
    );
    assert_eq!(
        problem.offset, offsets[2],
        "the truncated frame starts at the third offset"
    );
    assert_eq!(
        scan.data_frames().count(),
        2,
        "the two whole frames before it are kept"
    );
}

#[test]
fn step2_scan_refuses_an_index_out_of_sequence() {
    let mut bytes = Frame::data(1, 0, 0, b"one".to_vec()).encode();
    let second = bytes.len() as u64;
    bytes.extend(Frame::data(3, 0, 0, b"three".to_vec()).encode());
    let scan = segment::scan(&bytes, 0, 1024);
    let problem = scan
        .problem
        .clone()
        .expect("entry 3 where 2 belongs must stop the scan");
    assert_eq!(problem.offset, second, "the out-of-sequence frame is named");
    assert!(
        problem.reason.contains('3') && problem.reason.contains('2'),
        "the reason gives the index found and the one expected: {}",
        problem.reason
    );
    assert_eq!(scan.last_index(0), 1, "the log ends before the gap");
}

/// A segment's name is `wal_` and decimal digits and `.log`, padded or not: no sign, no
/// space, no empty number.
#[test]
fn step2_a_segment_name_is_digits_only() {
    assert_eq!(
        segment::parse_segment_name("wal_00000000000000000012.log"),
        Some(12)
    );
    assert_eq!(segment::parse_segment_name("wal_12.log"), Some(12));
    for name in [
        "wal_+12.log",
        "wal_ 12.log",
        "wal_.log",
        "wal_1a.log",
        "wal_12.tmp",
    ] {
        assert_eq!(
            segment::parse_segment_name(name),
            None,
            "{name:?} is not a segment"
        );
    }
}

/// `dump` walks every frame whose length is plausible, reading past a bad checksum: a
/// clean segment is listed to its end with no stop, and a last frame cut short stops the
/// walk at its offset, as a torn tail.
#[test]
fn step2_dump_lists_every_frame_and_stops_only_at_a_frame_cut_short() {
    let (bytes, _) = segment_bytes(0);
    let (frames, stop) = segment::dump(&bytes, 1024);
    assert_eq!(frames.len(), 4, "three data frames and a padding frame");
    assert!(frames.iter().all(|f| f.crc_ok), "every checksum matches");
    assert_eq!(stop, None, "a clean segment is read to its end");

    let mut damaged = bytes.clone();
    damaged[frames[1].offset as usize + HEADER_BYTES] ^= 0x01;
    let (frames_past_damage, stop) = segment::dump(&damaged, 1024);
    assert_eq!(
        frames_past_damage
            .iter()
            .map(|f| f.crc_ok)
            .collect::<Vec<_>>(),
        vec![true, false, true, true],
        "the walk goes on past a bad checksum"
    );
    assert_eq!(stop, None);

    let last = frames[3].offset as usize;
    let (shown, stop) = segment::dump(&bytes[..last + HEADER_BYTES + 1], 1024);
    assert_eq!(shown.len(), 3, "the frames before the cut");
    assert!(
        matches!(&stop, Some((offset, reason)) if *offset == last as u64 && reason.contains("cut short")),
        "the walk stops at the frame cut short: {stop:?}"
    );
}
