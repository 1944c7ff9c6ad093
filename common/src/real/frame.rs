//! Frames: the unit of both the wire protocol and the storage journal.
//!
//! ```text
//! frame   = length: u32 (big-endian) | crc32: u32 (big-endian, of the payload) | payload
//! ```
//!
//! The length counts the payload only and must be in `1..=MAX_FRAME_BYTES`; the
//! checksum is CRC-32 (IEEE) of the payload. On the wire the payload's first byte says
//! what follows ([`TAG_HELLO`], [`TAG_MESSAGE`]); in the journal the payload is one
//! encoded write batch.

use crate::id::ProcessId;
use serde::{Deserialize, Serialize};
use std::io::{self, Read};

/// Bytes of a frame header: length and checksum.
pub const HEADER_BYTES: usize = 8;
/// The largest payload accepted (1 MiB). A frame that claims more closes the connection
/// (on the wire) or is treated as a damaged record (in the journal).
pub const MAX_FRAME_BYTES: usize = 1 << 20;
/// The wire protocol's version, sent in the handshake; a peer with another is refused.
pub const PROTOCOL_VERSION: u16 = 1;
/// The handshake's first bytes, so a stray client (an HTTP request, a port scanner) is
/// recognised at once.
pub const MAGIC: [u8; 4] = *b"PODS";
/// Payload tag of a [`Hello`].
pub const TAG_HELLO: u8 = 1;
/// Payload tag of an envelope.
pub const TAG_MESSAGE: u8 = 2;

/// The handshake: the first frame on every connection, from the side that connected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// Always [`MAGIC`].
    pub magic: [u8; 4],
    /// The sender's [`PROTOCOL_VERSION`].
    pub version: u16,
    /// The section (package) whose messages this connection carries, e.g. `paxos`.
    pub section: String,
    /// Who is connecting: every envelope on this connection must come from it.
    pub from: ProcessId,
}

impl Hello {
    /// The handshake of `from` for `section` at this protocol version.
    pub fn new(section: &str, from: ProcessId) -> Self {
        Hello {
            magic: MAGIC,
            version: PROTOCOL_VERSION,
            section: section.to_owned(),
            from,
        }
    }
}

/// Why a frame was refused. On the wire each of these closes the connection, with the
/// reason in the node's log.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The stream ended cleanly between frames.
    #[error("connection closed")]
    Closed,
    /// The stream ended inside a frame.
    #[error("truncated frame: the stream ended after {got} of {expected} bytes")]
    Truncated {
        /// Bytes of the frame received.
        got: usize,
        /// Bytes the header announced (header included).
        expected: usize,
    },
    /// The header announces an empty or oversized payload.
    #[error("bad frame length {0} (must be 1..={MAX_FRAME_BYTES})")]
    BadLength(u32),
    /// The payload does not match its checksum.
    #[error("checksum mismatch: header says {expected:#010x}, payload has {actual:#010x}")]
    Checksum {
        /// The checksum in the header.
        expected: u32,
        /// The checksum of the payload received.
        actual: u32,
    },
    /// The payload's tag is not one this version knows.
    #[error("unknown frame type {0}")]
    UnknownType(u8),
    /// The payload does not decode.
    #[error("undecodable {what}: {reason}")]
    Decode {
        /// What was being decoded.
        what: &'static str,
        /// What the decoder said.
        reason: String,
    },
    /// The handshake is missing or wrong.
    #[error("handshake refused: {0}")]
    Handshake(String),
    /// An envelope breaks the connection's rules (wrong sender or recipient).
    #[error("envelope refused: {0}")]
    Envelope(String),
    /// Reading the socket failed.
    #[error("read failed: {0}")]
    Io(#[from] io::Error),
}

/// `payload` framed: header then payload.
pub fn encode_frame(payload: &[u8]) -> Vec<u8> {
    assert!(
        !payload.is_empty() && payload.len() <= MAX_FRAME_BYTES,
        "a frame's payload must be 1..=MAX_FRAME_BYTES bytes, got {}",
        payload.len()
    );
    let mut out = Vec::with_capacity(HEADER_BYTES + payload.len());
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// A tagged payload (`tag` then `body`), framed.
pub fn encode_tagged(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut payload = Vec::with_capacity(1 + body.len());
    payload.push(tag);
    payload.extend_from_slice(body);
    encode_frame(&payload)
}

/// The payload length a header announces, checked against the bounds.
pub fn header_length(header: &[u8; HEADER_BYTES]) -> Result<(usize, u32), FrameError> {
    let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
    let crc = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
    if length == 0 || length as usize > MAX_FRAME_BYTES {
        return Err(FrameError::BadLength(length));
    }
    Ok((length as usize, crc))
}

/// The payload, if it matches the checksum.
pub fn check_payload(payload: Vec<u8>, expected: u32) -> Result<Vec<u8>, FrameError> {
    let actual = crc32fast::hash(&payload);
    if actual != expected {
        return Err(FrameError::Checksum { expected, actual });
    }
    Ok(payload)
}

/// Read as many bytes as `buf` holds; returns how many arrived before the end of the
/// stream.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Read one frame from a stream and return its checked payload.
pub fn read_frame(reader: &mut impl Read) -> Result<Vec<u8>, FrameError> {
    let mut header = [0u8; HEADER_BYTES];
    let got = read_full(reader, &mut header)?;
    if got == 0 {
        return Err(FrameError::Closed);
    }
    if got < HEADER_BYTES {
        return Err(FrameError::Truncated {
            got,
            expected: HEADER_BYTES,
        });
    }
    let (length, crc) = header_length(&header)?;
    let mut payload = vec![0u8; length];
    let got = read_full(reader, &mut payload)?;
    if got < length {
        return Err(FrameError::Truncated {
            got: HEADER_BYTES + got,
            expected: HEADER_BYTES + length,
        });
    }
    check_payload(payload, crc)
}

/// Split a checked wire payload into its tag and body.
pub fn split_tag(payload: &[u8]) -> Result<(u8, &[u8]), FrameError> {
    match payload.split_first() {
        Some((&tag, body)) if tag == TAG_HELLO || tag == TAG_MESSAGE => Ok((tag, body)),
        Some((&tag, _)) => Err(FrameError::UnknownType(tag)),
        None => Err(FrameError::BadLength(0)),
    }
}

/// The framed handshake.
pub fn encode_hello(hello: &Hello) -> Vec<u8> {
    let body = postcard::to_allocvec(hello)
        .unwrap_or_else(|e| panic!("a handshake (strings and integers) must encode: {e}"));
    encode_tagged(TAG_HELLO, &body)
}

/// Read and check the handshake of a new connection for `section`.
pub fn read_hello(reader: &mut impl Read, section: &str) -> Result<Hello, FrameError> {
    let payload = read_frame(reader)?;
    let (tag, body) = split_tag(&payload)?;
    if tag != TAG_HELLO {
        return Err(FrameError::Handshake(
            "the first frame must be a handshake".into(),
        ));
    }
    let hello: Hello = postcard::from_bytes(body).map_err(|e| FrameError::Decode {
        what: "handshake",
        reason: e.to_string(),
    })?;
    if hello.magic != MAGIC {
        return Err(FrameError::Handshake(format!(
            "bad magic {:?}",
            hello.magic
        )));
    }
    if hello.version != PROTOCOL_VERSION {
        return Err(FrameError::Handshake(format!(
            "protocol version {} (this node speaks {PROTOCOL_VERSION})",
            hello.version
        )));
    }
    if hello.section != section {
        return Err(FrameError::Handshake(format!(
            "section {:?} (this node runs {section:?})",
            hello.section
        )));
    }
    Ok(hello)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_reads_back_as_its_payload() {
        let frame = encode_frame(b"hello");
        let payload = read_frame(&mut &frame[..]).expect("a well-formed frame reads");
        assert_eq!(payload, b"hello");
    }

    #[test]
    fn a_flipped_payload_bit_fails_the_checksum() {
        let mut frame = encode_frame(b"hello");
        frame[HEADER_BYTES + 1] ^= 0x20;
        assert!(
            matches!(
                read_frame(&mut &frame[..]),
                Err(FrameError::Checksum { .. })
            ),
            "a damaged payload must be refused by its checksum"
        );
    }

    #[test]
    fn a_cut_frame_is_truncated_and_an_oversized_one_refused_before_reading() {
        let frame = encode_frame(b"hello");
        assert!(matches!(
            read_frame(&mut &frame[..frame.len() - 2]),
            Err(FrameError::Truncated {
                got: 11,
                expected: 13
            })
        ));
        let mut huge = (MAX_FRAME_BYTES as u32 + 1).to_be_bytes().to_vec();
        huge.extend_from_slice(&[0; 4]);
        assert!(matches!(
            read_frame(&mut &huge[..]),
            Err(FrameError::BadLength(_))
        ));
    }

    #[test]
    fn a_handshake_for_another_section_or_version_is_refused() {
        let hello = Hello::new("paxos", ProcessId::new("athens"));
        let frame = encode_hello(&hello);
        assert_eq!(
            read_hello(&mut &frame[..], "paxos")
                .expect("same section")
                .from,
            "athens"
        );
        assert!(matches!(
            read_hello(&mut &frame[..], "raft"),
            Err(FrameError::Handshake(_))
        ));
        let old = Hello {
            version: PROTOCOL_VERSION + 1,
            ..hello
        };
        assert!(matches!(
            read_hello(&mut &encode_hello(&old)[..], "paxos"),
            Err(FrameError::Handshake(_))
        ));
    }

    #[test]
    fn an_unknown_frame_type_is_refused() {
        let frame = encode_tagged(9, b"x");
        let payload = read_frame(&mut &frame[..]).expect("the frame itself is well-formed");
        assert!(matches!(
            split_tag(&payload),
            Err(FrameError::UnknownType(9))
        ));
    }
}
