//! Step 1, the frame (`frame::checksum`, `Frame::encode`, `frame::decode`): round trips,
//! the checksum's coverage, and length checks before any allocation.

mod support;

use proptest::prelude::*;
use support::proptest_config;
use wal::frame::{self, Frame, FrameError, HEADER_BYTES};

#[test]
fn the_checksum_is_ieee_crc32() {
    assert_eq!(
        crc32fast::hash(b"abc"),
        0x3524_41C2,
        "the known CRC-32 of \"abc\" is 891568578"
    );
}

#[test]
fn step1_encoding_the_same_frame_twice_gives_the_same_bytes() {
    let frame = Frame::data(7, 2, 1234, b"payload".to_vec());
    assert_eq!(
        frame.encode(),
        frame.encode(),
        "a checksum must not depend on history"
    );
}

#[test]
fn step1_a_flipped_bit_anywhere_in_a_frame_is_detected() {
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
fn step1_an_oversized_length_field_is_an_error_not_an_allocation() {
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

/// The limit is on the data, and inclusive: a header announcing exactly the limit is a
/// frame of 40 + limit bytes, one byte more is oversized. The default limit is 16 MiB.
#[test]
fn step1_an_entry_of_exactly_the_limit_passes_the_length_check_and_one_byte_more_does_not() {
    let header = |data_len: u32| {
        let mut bytes = Frame::data(1, 0, 0, vec![]).encode();
        bytes[..4].copy_from_slice(&(frame::HEADER_AFTER_LEN + data_len).to_be_bytes());
        bytes
    };
    assert_eq!(
        frame::frame_len_from_header(&header(1024), 1024),
        Ok(HEADER_BYTES + 1024),
        "1,024 bytes of data under a limit of 1,024"
    );
    assert_eq!(
        frame::frame_len_from_header(&header(1025), 1024),
        Err(FrameError::Oversized {
            data_len: 1025,
            max: 1024
        }),
        "1,025 bytes of data under a limit of 1,024"
    );
    let sixteen_mib = 16 * 1024 * 1024;
    assert_eq!(
        frame::frame_len_from_header(&header(sixteen_mib), frame::DEFAULT_MAX_ENTRY_BYTES),
        Ok(HEADER_BYTES + sixteen_mib as usize),
        "the default limit admits 16 MiB of data"
    );
    assert!(
        matches!(
            frame::frame_len_from_header(&header(sixteen_mib + 1), frame::DEFAULT_MAX_ENTRY_BYTES),
            Err(FrameError::Oversized { .. })
        ),
        "and not one byte more"
    );
}

#[test]
fn step1_a_length_below_the_header_is_an_error() {
    let mut bytes = Frame::data(1, 0, 0, vec![]).encode();
    bytes[..4].copy_from_slice(&35u32.to_be_bytes());
    assert_eq!(
        frame::decode(&bytes, 1024).map(|_| ()),
        Err(FrameError::LengthTooSmall { frame_len: 35 })
    );
}

#[test]
fn step1_a_frame_cut_short_is_reported_as_truncated() {
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
fn step1_an_empty_payload_round_trips() {
    let bytes = Frame::data(4, 1, 2, Vec::new()).encode();
    assert_eq!(bytes.len(), HEADER_BYTES);
    let (decoded, used) = frame::decode(&bytes, 16).expect("decode");
    assert_eq!((decoded.data.len(), used), (0, HEADER_BYTES));
}

proptest! {
    #![proptest_config(proptest_config(256))]

    #[test]
    fn step1_any_frame_round_trips(index in any::<u64>(), generation in any::<u64>(), timestamp in any::<u64>(),
                             data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let frame = Frame::data(index, generation, timestamp, data);
        let bytes = frame.encode();
        let (decoded, used) = frame::decode(&bytes, 1024).expect("a frame we encoded must decode");
        prop_assert_eq!(used, bytes.len());
        prop_assert_eq!(decoded, frame);
    }
}
