//! The frame codec: round trips, the checksum's coverage, length checks and padding.

use proptest::prelude::*;
use wal::frame::{self, EntryType, Frame, FrameError, HEADER_BYTES, padding_data_len};

fn proptest_config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed),
        ..ProptestConfig::default()
    }
}

#[test]
fn the_checksum_is_ieee_crc32() {
    assert_eq!(
        crc32fast::hash(b"abc"),
        0x3524_41C2,
        "the known CRC-32 of \"abc\" is 891568578"
    );
}

#[test]
fn encoding_the_same_frame_twice_gives_the_same_bytes() {
    let frame = Frame::data(7, 2, 1234, b"payload".to_vec());
    assert_eq!(
        frame.encode(),
        frame.encode(),
        "a checksum must not depend on history"
    );
}

#[test]
fn a_flipped_bit_anywhere_in_a_frame_is_detected() {
    let bytes = Frame::data(3, 9, 5555, b"hello, log".to_vec()).encode();
    for at in 0..bytes.len() {
        for bit in 0..8 {
            let mut damaged = bytes.clone();
            damaged[at] ^= 1 << bit;
            assert!(
                frame::decode(&damaged, 1024).is_err(),
                "a flipped bit {bit} at byte {at} (header or data) must not decode as a valid frame"
            );
        }
    }
}

#[test]
fn an_oversized_length_field_is_an_error_not_an_allocation() {
    let mut bytes = Frame::data(1, 0, 0, vec![1, 2, 3]).encode();
    bytes[..4].copy_from_slice(&0xFFFF_FFF0u32.to_be_bytes());
    assert!(
        matches!(
            frame::decode(&bytes, 1024),
            Err(FrameError::Oversized { .. })
        ),
        "a length beyond the limit must be refused before any allocation"
    );
}

#[test]
fn a_length_below_the_header_is_an_error() {
    let mut bytes = Frame::data(1, 0, 0, vec![]).encode();
    bytes[..4].copy_from_slice(&35u32.to_be_bytes());
    assert_eq!(
        frame::decode(&bytes, 1024).map(|_| ()),
        Err(FrameError::LengthTooSmall { frame_len: 35 })
    );
}

#[test]
fn a_frame_cut_short_is_reported_as_truncated() {
    let bytes = Frame::data(1, 0, 0, vec![9; 100]).encode();
    for cut in 0..bytes.len() {
        let error = frame::decode(&bytes[..cut], 1024).expect_err("a cut frame is not a frame");
        assert!(
            error.is_truncation(),
            "cutting at {cut} must read as a torn frame, got {error}"
        );
    }
}

#[test]
fn an_empty_payload_round_trips() {
    let bytes = Frame::data(4, 1, 2, Vec::new()).encode();
    assert_eq!(bytes.len(), HEADER_BYTES);
    let (decoded, used) = frame::decode(&bytes, 16).expect("decode");
    assert_eq!((decoded.data.len(), used), (0, HEADER_BYTES));
}

#[test]
fn padding_aligns_small_record_to_one_block() {
    assert_eq!(padding_data_len(1028, 4096), Some(3028));
    assert_eq!(
        1028 + HEADER_BYTES as u64 + 3028,
        4096,
        "a 1,028-byte record pads to one block"
    );
}

#[test]
fn padding_adds_extra_block_when_gap_too_small() {
    assert_eq!(padding_data_len(4095, 4096), Some(4057));
    assert_eq!(
        4095 + HEADER_BYTES as u64 + 4057,
        8192,
        "a 1-byte gap cannot hold a padding header"
    );
}

#[test]
fn padding_table_of_worked_examples() {
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
    fn any_frame_round_trips(index in any::<u64>(), generation in any::<u64>(), timestamp in any::<u64>(),
                             data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let frame = Frame::data(index, generation, timestamp, data);
        let bytes = frame.encode();
        let (decoded, used) = frame::decode(&bytes, 1024).expect("a frame we encoded must decode");
        prop_assert_eq!(used, bytes.len());
        prop_assert_eq!(decoded, frame);
    }

    #[test]
    fn padding_always_ends_on_a_block_and_decodes(len in 0u64..100_000, shift in 6u32..14) {
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
