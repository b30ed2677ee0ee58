//! Long-polling payloads: packets joined by the record separator `\x1e`, binary messages as `b` + base64.
//!
//! Example: `4hello\x1e2\x1ebAQIDBA==` holds a text message, a ping and a binary message.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use bytes::{Bytes, BytesMut};

use crate::error::DecodeError;
use crate::packet::{FramedText, Message, Packet};
use crate::utf8::Utf8Bytes;

/// The byte that separates packets in a polling payload.
pub const SEPARATOR: u8 = 0x1e;

/// Something that is one segment of a payload: a [`Packet`], or a [`FramedText`] message.
pub trait Segment {
    /// The length of its text form.
    fn text_len(&self) -> usize;
    /// Appends its text form to `out`.
    fn write_text(&self, out: &mut BytesMut);
}

impl Segment for Packet {
    fn text_len(&self) -> usize {
        Packet::text_len(self)
    }

    fn write_text(&self, out: &mut BytesMut) {
        Packet::write_text(self, out);
    }
}

impl Segment for FramedText {
    fn text_len(&self) -> usize {
        self.frame().len()
    }

    fn write_text(&self, out: &mut BytesMut) {
        out.extend_from_slice(self.frame().as_bytes());
    }
}

/// Encodes all `packets` as one payload.
pub fn encode_payload<'a, S: Segment + 'a>(packets: impl IntoIterator<Item = &'a S>) -> Bytes {
    let mut out = BytesMut::new();
    for (i, packet) in packets.into_iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(&[SEPARATOR]);
        }
        packet.write_text(&mut out);
    }
    out.freeze()
}

/// Takes packets from the front of `queue` into one payload of at most `max_payload` bytes and returns it
/// with the number of packets taken.
///
/// The first packet is always taken, even if it alone is larger than `max_payload`, so a queue always
/// drains (the peer decides whether to accept it). Returns an empty payload only for an empty queue.
pub fn encode_batch<S: Segment>(queue: &mut VecDeque<S>, max_payload: usize) -> (Bytes, usize) {
    let mut size = 0;
    let mut count = 0;
    for packet in queue.iter() {
        let added = packet.text_len() + usize::from(count > 0);
        if count > 0 && size + added > max_payload {
            break;
        }
        size += added;
        count += 1;
    }
    let payload = encode_payload(queue.range(..count));
    queue.drain(..count);
    (payload, count)
}

/// Decodes one segment of a payload (the text between separators).
pub fn decode_segment(segment: Bytes) -> Result<Packet, DecodeError> {
    if segment.first() == Some(&b'b') {
        use base64::Engine as _;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(&segment[1..])
            .map_err(|_| DecodeError::InvalidBase64)?;
        return Ok(Packet::Message(Message::Binary(Bytes::from(decoded))));
    }
    let text = Utf8Bytes::try_from_bytes(segment).map_err(|_| DecodeError::InvalidUtf8)?;
    Packet::decode_text(text)
}

/// Decodes a whole payload at once, refusing one longer than `max_payload` bytes.
pub fn decode_payload(body: Bytes, max_payload: usize) -> Result<Vec<Packet>, DecodeError> {
    let mut decoder = PayloadDecoder::new(max_payload);
    decoder.push(body)?;
    let mut packets = Vec::new();
    while let Some(packet) = decoder.next_packet() {
        packets.push(packet?);
    }
    packets.push(decoder.finish()?);
    Ok(packets)
}

/// An incremental payload decoder: feed the body chunk by chunk as it arrives, take packets as soon as
/// their separator is seen.
///
/// A segment that lies within one chunk is sliced out of it without copying; only a segment split
/// across chunks is joined. The total body size is bounded by `max_payload`: a longer body is refused
/// with [`DecodeError::TooLarge`] as soon as the limit is crossed, so nothing past it is buffered.
#[derive(Debug)]
pub struct PayloadDecoder {
    max_payload: usize,
    received: usize,
    pending: Bytes,
}

impl PayloadDecoder {
    /// A decoder for a body of at most `max_payload` bytes.
    pub fn new(max_payload: usize) -> Self {
        PayloadDecoder {
            max_payload,
            received: 0,
            pending: Bytes::new(),
        }
    }

    /// Bytes received so far.
    pub fn received(&self) -> usize {
        self.received
    }

    /// Adds the next chunk of the body.
    pub fn push(&mut self, chunk: Bytes) -> Result<(), DecodeError> {
        self.received = self.received.saturating_add(chunk.len());
        if self.received > self.max_payload {
            self.pending = Bytes::new();
            return Err(DecodeError::TooLarge {
                limit: self.max_payload,
            });
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

    /// The next complete packet (one whose separator has arrived), if any.
    pub fn next_packet(&mut self) -> Option<Result<Packet, DecodeError>> {
        let end = self.pending.iter().position(|&b| b == SEPARATOR)?;
        let segment = self.pending.split_to(end);
        let _separator = self.pending.split_to(1);
        Some(decode_segment(segment))
    }

    /// Ends the body and decodes its last packet (the text after the last separator). A body always
    /// ends with a packet: an empty body, or one ending with a separator, is [`DecodeError::Empty`].
    pub fn finish(&mut self) -> Result<Packet, DecodeError> {
        decode_segment(core::mem::take(&mut self.pending))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn spec_packets() -> Vec<Packet> {
        vec![
            Packet::Message(Message::text("hello")),
            Packet::ping(),
            Packet::Message(Message::binary(&[1u8, 2, 3, 4][..])),
        ]
    }

    #[test]
    fn spec_payload_vector() {
        let body = Bytes::from_static(b"4hello\x1e2\x1ebAQIDBA==");
        assert_eq!(encode_payload(&spec_packets()), body);
        assert_eq!(decode_payload(body, 1000), Ok(spec_packets()));
    }

    #[test]
    fn decodes_across_arbitrary_chunk_boundaries() {
        let body = b"4hello\x1e2\x1ebAQIDBA==\x1e4\xc3\xa9t\xc3\xa9";
        let mut expected = spec_packets();
        expected.push(Packet::Message(Message::text("été")));
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
                got.push(decoder.finish().unwrap());
                assert_eq!(got, expected, "split at {split}/{second}");
            }
        }
    }

    #[test]
    fn single_chunk_segments_are_not_copied() {
        let body = Bytes::from_static(b"4first\x1e4second");
        let mut decoder = PayloadDecoder::new(100);
        decoder.push(body.clone()).unwrap();
        let Some(Ok(Packet::Message(Message::Text(first)))) = decoder.next_packet() else {
            panic!()
        };
        assert_eq!(first.as_ptr(), body[1..].as_ptr());
    }

    #[test]
    fn refuses_oversized_bodies_when_the_limit_is_crossed() {
        let mut decoder = PayloadDecoder::new(10);
        decoder.push(Bytes::from_static(b"4hello")).unwrap();
        assert_eq!(
            decoder.push(Bytes::from_static(b"world")),
            Err(DecodeError::TooLarge { limit: 10 })
        );
        assert_eq!(
            decode_payload(Bytes::from_static(b"4hello"), 6).map(|p| p.len()),
            Ok(1)
        );
        assert!(decode_payload(Bytes::from_static(b"4hello!"), 6).is_err());
    }

    #[test]
    fn malformed_payloads_are_errors() {
        assert_eq!(decode_payload(Bytes::new(), 10), Err(DecodeError::Empty));
        assert_eq!(
            decode_payload(Bytes::from_static(b"4a\x1e"), 10),
            Err(DecodeError::Empty)
        );
        assert_eq!(
            decode_payload(Bytes::from_static(b"b!!!"), 10),
            Err(DecodeError::InvalidBase64)
        );
        assert_eq!(
            decode_payload(Bytes::from_static(b"4\xff"), 10),
            Err(DecodeError::InvalidUtf8)
        );
        assert_eq!(
            decode_payload(Bytes::from_static(b"9"), 10),
            Err(DecodeError::UnknownType(b'9'))
        );
    }

    #[test]
    fn batches_within_max_payload() {
        let mut queue: VecDeque<Packet> = (0..5)
            .map(|_| Packet::Message(Message::text("abcd")))
            .collect();
        // Each packet is 5 bytes ("4abcd"), plus one separator between packets.
        let (payload, taken) = encode_batch(&mut queue, 17);
        assert_eq!((taken, payload.len()), (3, 17));
        let (payload, taken) = encode_batch(&mut queue, 3);
        assert_eq!(
            (taken, payload.len()),
            (1, 5),
            "an oversized first packet still goes alone"
        );
        assert_eq!(queue.len(), 1);
        assert_eq!(
            encode_batch(&mut VecDeque::<Packet>::new(), 10),
            (Bytes::new(), 0)
        );
    }
}
