//! Revision 3 long-polling payloads, read incrementally in either framing (see [`encode`](super::encode)).

use alloc::vec::Vec;
use bytes::{Bytes, BytesMut};

use super::encode::{
    BINARY_FRAMING_BINARY, BINARY_FRAMING_END, BINARY_FRAMING_TEXT, Framing, MAX_LENGTH_DIGITS,
};
use super::parts::{MESSAGE, decode_text};
use super::utf16::byte_len_of_units;
use crate::error::DecodeError;
use crate::packet::{Message, Packet};
use crate::utf8::Utf8Bytes;

/// An incremental revision 3 payload decoder: feed the body chunk by chunk, take each packet as soon as
/// it is complete.
///
/// The framing is read from the body's first byte ([`Framing::of`]), so a POST body and a GET answer
/// decode alike whatever their `Content-Type` says. Every packet states its own length, so packets come
/// out of [`next_packet`](Self::next_packet) as soon as their last byte arrives;
/// [`finish`](Self::finish) only checks that nothing was left cut short.
///
/// Bounded: the body may not exceed `max_payload` bytes ([`DecodeError::TooLarge`] as soon as it
/// does), and a length header longer than any length could be is refused at once. The first malformed
/// packet ends decoding: its error comes out, and nothing after it.
#[derive(Debug)]
pub struct PayloadDecoder {
    max_payload: usize,
    received: usize,
    pending: Bytes,
    framing: Option<Framing>,
    failed: Option<DecodeError>,
}

impl PayloadDecoder {
    /// A decoder for a body of at most `max_payload` bytes.
    pub fn new(max_payload: usize) -> Self {
        PayloadDecoder {
            max_payload,
            received: 0,
            pending: Bytes::new(),
            framing: None,
            failed: None,
        }
    }

    /// Bytes received so far.
    pub fn received(&self) -> usize {
        self.received
    }

    /// The body's framing, once its first byte has arrived.
    pub fn framing(&self) -> Option<Framing> {
        self.framing
    }

    /// Adds the next chunk of the body.
    pub fn push(&mut self, chunk: Bytes) -> Result<(), DecodeError> {
        self.received = self.received.saturating_add(chunk.len());
        if self.received > self.max_payload {
            return Err(self.fail(DecodeError::TooLarge {
                limit: self.max_payload,
            }));
        }
        if self.failed.is_some() {
            return Ok(());
        }
        if self.framing.is_none() && !chunk.is_empty() {
            self.framing = Some(Framing::of(&chunk));
        }
        if self.pending.is_empty() {
            self.pending = chunk;
        } else if !chunk.is_empty() {
            let mut joined = BytesMut::with_capacity(self.pending.len() + chunk.len());
            joined.extend_from_slice(&self.pending);
            joined.extend_from_slice(&chunk);
            self.pending = joined.freeze();
        }
        Ok(())
    }

    /// The next complete packet, if any; after an error, nothing more.
    pub fn next_packet(&mut self) -> Option<Result<Packet, DecodeError>> {
        if self.failed.is_some() {
            return None;
        }
        loop {
            let step = match self.framing? {
                Framing::Text => self.next_text_segment(),
                Framing::Binary => self.next_binary_segment(),
            };
            match step {
                Ok(Step::Incomplete) => return None,
                // An empty segment (`0:`) is skipped, as the reference does.
                Ok(Step::Skipped) => continue,
                Ok(Step::Packet(packet)) => return Some(Ok(packet)),
                Err(error) => return Some(Err(self.fail(error))),
            }
        }
    }

    /// Ends the body: `Ok` if every byte belonged to a complete packet. An empty body is
    /// [`DecodeError::Empty`]; one that ends inside a packet, [`DecodeError::InvalidLength`]. Call it
    /// once [`next_packet`](Self::next_packet) has returned `None`.
    pub fn finish(&mut self) -> Result<(), DecodeError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        if self.received == 0 {
            return Err(DecodeError::Empty);
        }
        if !self.pending.is_empty() {
            return Err(self.fail(DecodeError::InvalidLength));
        }
        Ok(())
    }

    fn fail(&mut self, error: DecodeError) -> DecodeError {
        self.pending = Bytes::new();
        self.failed = Some(error.clone());
        error
    }

    /// `<length>:<packet>`, the length in UTF-16 code units.
    fn next_text_segment(&mut self) -> Result<Step, DecodeError> {
        if self.pending.is_empty() {
            return Ok(Step::Incomplete);
        }
        let Some(header) = read_length(
            &self.pending,
            |byte| byte == b':',
            |digit| digit.is_ascii_digit().then(|| digit - b'0'),
        )?
        else {
            return Ok(Step::Incomplete);
        };
        let body = &self.pending[header.len..];
        // A code unit takes at least one byte: fewer bytes than units cannot be the whole packet yet.
        if body.len() < header.value {
            return Ok(Step::Incomplete);
        }
        let Some(bytes) = byte_len_of_units(body, header.value)? else {
            return Ok(Step::Incomplete);
        };
        let _header = self.pending.split_to(header.len);
        let text = self.pending.split_to(bytes);
        if text.is_empty() {
            return Ok(Step::Skipped);
        }
        let text = Utf8Bytes::try_from_bytes(text).map_err(|_| DecodeError::InvalidUtf8)?;
        decode_text(text).map(Step::Packet)
    }

    /// `<kind><digits as bytes 0-9>255<packet>`, the length in bytes.
    fn next_binary_segment(&mut self) -> Result<Step, DecodeError> {
        let Some(&kind) = self.pending.first() else {
            return Ok(Step::Incomplete);
        };
        if kind != BINARY_FRAMING_TEXT && kind != BINARY_FRAMING_BINARY {
            return Err(DecodeError::InvalidLength);
        }
        let Some(header) = read_length(
            &self.pending[1..],
            |byte| byte == BINARY_FRAMING_END,
            |digit| (digit <= 9).then_some(digit),
        )?
        else {
            return Ok(Step::Incomplete);
        };
        let header_len = 1 + header.len;
        if self.pending.len() - header_len < header.value {
            return Ok(Step::Incomplete);
        }
        let _header = self.pending.split_to(header_len);
        let content = self.pending.split_to(header.value);
        if kind == BINARY_FRAMING_TEXT {
            let text = Utf8Bytes::try_from_bytes(content).map_err(|_| DecodeError::InvalidUtf8)?;
            return decode_text(text).map(Step::Packet);
        }
        match content.first() {
            None => Err(DecodeError::Empty),
            Some(&byte) if byte == MESSAGE - b'0' => Ok(Step::Packet(Packet::Message(
                Message::Binary(content.slice(1..)),
            ))),
            Some(&other) => Err(DecodeError::UnknownType(other)),
        }
    }
}

/// What one look at the front of the body found.
enum Step {
    /// The next packet has not fully arrived.
    Incomplete,
    /// An empty segment, consumed.
    Skipped,
    /// A packet, consumed.
    Packet(Packet),
}

/// A length header: its value, and how many bytes it takes with its terminator.
struct Header {
    value: usize,
    len: usize,
}

/// Reads decimal digits (mapped by `digit`) up to the terminator: `Ok(None)` if the terminator has not
/// arrived yet. No digit at all, a byte that is neither, more digits than any length has, or a value
/// past `usize` is [`DecodeError::InvalidLength`].
fn read_length(
    bytes: &[u8],
    is_end: impl Fn(u8) -> bool,
    digit: impl Fn(u8) -> Option<u8>,
) -> Result<Option<Header>, DecodeError> {
    let mut value: usize = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        if is_end(byte) {
            if index == 0 {
                return Err(DecodeError::InvalidLength);
            }
            return Ok(Some(Header {
                value,
                len: index + 1,
            }));
        }
        let digit = digit(byte).ok_or(DecodeError::InvalidLength)?;
        if index >= MAX_LENGTH_DIGITS {
            return Err(DecodeError::InvalidLength);
        }
        value = value
            .checked_mul(10)
            .and_then(|value| value.checked_add(usize::from(digit)))
            .ok_or(DecodeError::InvalidLength)?;
    }
    Ok(None)
}

/// Decodes a whole revision 3 payload at once, refusing one longer than `max_payload` bytes.
pub fn decode_payload(body: Bytes, max_payload: usize) -> Result<Vec<Packet>, DecodeError> {
    let mut decoder = PayloadDecoder::new(max_payload);
    decoder.push(body)?;
    let mut packets = Vec::new();
    while let Some(packet) = decoder.next_packet() {
        packets.push(packet?);
    }
    decoder.finish()?;
    Ok(packets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn decode(body: &'static [u8]) -> Result<Vec<Packet>, DecodeError> {
        decode_payload(Bytes::from_static(body), 1000)
    }

    fn text(s: &'static str) -> Packet {
        Packet::Message(Message::text(s))
    }

    #[test]
    fn spec_vectors() {
        assert_eq!(
            decode("6:4hello2:4€".as_bytes()),
            Ok(vec![text("hello"), text("€")])
        );
        let binary = Packet::Message(Message::binary(&[1u8, 2, 3, 4][..]));
        assert_eq!(
            decode("2:4€10:b4AQIDBA==".as_bytes()),
            Ok(vec![text("€"), binary.clone()])
        );
        assert_eq!(
            decode(&[
                0x00, 0x04, 0xff, 0x34, 0xe2, 0x82, 0xac, 0x01, 0x05, 0xff, 0x04, 1, 2, 3, 4
            ]),
            Ok(vec![text("€"), binary])
        );
        assert_eq!(decode(b"1:2"), Ok(vec![Packet::ping()]));
    }

    #[test]
    fn empty_segments_are_skipped_but_an_empty_body_is_an_error() {
        assert_eq!(decode(b"0:"), Ok(vec![]));
        assert_eq!(decode(b"0:1:60:"), Ok(vec![Packet::Noop]));
        assert_eq!(decode(b""), Err(DecodeError::Empty));
    }

    #[test]
    fn lengths_count_utf16_units_not_bytes() {
        // "🚀" is 4 bytes and 2 units: "4🚀" is 3 units.
        assert_eq!(
            decode("3:4🚀1:6".as_bytes()),
            Ok(vec![text("🚀"), Packet::Noop])
        );
        // A byte count is wrong: 5 bytes would run into the next packet's header.
        assert!(decode("5:4🚀1:6".as_bytes()).is_err());
        // Half a surrogate pair.
        assert_eq!(decode("2:4🚀".as_bytes()), Err(DecodeError::InvalidLength));
    }

    #[test]
    fn malformed_payloads_are_errors() {
        for (body, error) in [
            (&b":4a"[..], DecodeError::InvalidLength),
            (b"x:4a", DecodeError::InvalidLength),
            (b"3:4a", DecodeError::InvalidLength),
            (b"2:4a1", DecodeError::InvalidLength),
            (b"123456789012345678901:4", DecodeError::InvalidLength),
            (b"99999999999999999999:4", DecodeError::InvalidLength),
            (b"1:9", DecodeError::UnknownType(b'9')),
            (b"2:4\xff", DecodeError::InvalidUtf8),
            (b"6:b4!!!!", DecodeError::InvalidBase64),
            (&[0x02, 0x01, 0xff, b'4'], DecodeError::InvalidLength),
            (&[0x00, 0xff, b'4'], DecodeError::InvalidLength),
            (&[0x00, 0x0a, 0xff, b'4'], DecodeError::InvalidLength),
            (&[0x01, 0x01, 0xff, 0x02], DecodeError::UnknownType(2)),
            (&[0x00, 0x02, 0xff, b'4', 0xff], DecodeError::InvalidUtf8),
        ] {
            assert_eq!(decode(body), Err(error), "{body:?}");
        }
    }

    #[test]
    fn a_truncated_binary_payload_ends_with_an_error() {
        // socketioxide spun forever on this body: a 5-byte packet cut after 3.
        let mut decoder = PayloadDecoder::new(100);
        decoder
            .push(Bytes::from_static(&[1, 5, 255, 4, 1, 2]))
            .unwrap();
        assert_eq!(decoder.next_packet(), None);
        assert_eq!(decoder.finish(), Err(DecodeError::InvalidLength));
    }

    #[test]
    fn length_digits_that_are_not_digits_never_overflow() {
        // socketioxide added `b'0'` to each length byte, which overflowed in debug builds past 207.
        for byte in [10u8, 58, 207, 208, 254] {
            let body = Bytes::from(vec![1, byte, 255, 4]);
            assert_eq!(
                decode_payload(body, 100),
                Err(DecodeError::InvalidLength),
                "{byte}"
            );
        }
    }

    #[test]
    fn decodes_across_arbitrary_chunk_boundaries() {
        let bodies: [&[u8]; 2] = [
            "6:4hello3:4🚀10:b4AQIDBA==0:1:6".as_bytes(),
            &[
                0, 6, 255, 52, 104, 101, 108, 108, 111, 1, 5, 255, 4, 1, 2, 3, 4, 0, 1, 255, b'6',
            ],
        ];
        for body in bodies {
            let expected = decode_payload(Bytes::copy_from_slice(body), 1000).unwrap();
            assert!(expected.len() >= 3);
            for split in 0..=body.len() {
                for second in split..=body.len() {
                    let mut decoder = PayloadDecoder::new(1000);
                    let mut got = Vec::new();
                    for chunk in [&body[..split], &body[split..second], &body[second..]] {
                        decoder.push(Bytes::copy_from_slice(chunk)).unwrap();
                        while let Some(packet) = decoder.next_packet() {
                            got.push(packet.unwrap());
                        }
                    }
                    decoder.finish().unwrap();
                    assert_eq!(got, expected, "split at {split}/{second}");
                }
            }
        }
    }

    #[test]
    fn refuses_oversized_bodies_when_the_limit_is_crossed() {
        let mut decoder = PayloadDecoder::new(8);
        decoder.push(Bytes::from_static(b"6:4hel")).unwrap();
        assert_eq!(
            decoder.push(Bytes::from_static(b"lo!")),
            Err(DecodeError::TooLarge { limit: 8 })
        );
        assert_eq!(decoder.next_packet(), None);
        assert_eq!(
            decode_payload(Bytes::from_static(b"6:4hello"), 8).map(|p| p.len()),
            Ok(1)
        );
    }

    #[test]
    fn single_chunk_segments_are_not_copied() {
        let body = Bytes::from_static(b"6:4first");
        let mut decoder = PayloadDecoder::new(100);
        decoder.push(body.clone()).unwrap();
        let Some(Ok(Packet::Message(Message::Text(first)))) = decoder.next_packet() else {
            panic!()
        };
        assert_eq!(first.as_ptr(), body[3..].as_ptr());
    }
}
