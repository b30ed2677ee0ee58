//! Revision 3 long-polling payloads, written.
//!
//! Two framings, told apart by their first byte:
//!
//! - text: `<length>:<packet>` per packet, the length in UTF-16 code units of the packet's text, a binary
//!   message as `b4<base64>`: `6:4hello10:b4AQIDBA==`;
//! - binary (XHR2): per packet a kind byte (`0` text, `1` binary), the decimal digits of the length in
//!   bytes each as a byte `0`-`9`, `255`, then the packet: its UTF-8 text, or the type byte `4` and the
//!   data: `00 06 ff 34 68 65 6c 6c 6f 01 05 ff 04 01 02 03 04`.
//!
//! A server uses the binary framing for a payload holding a binary message when the client did not ask
//! for base64 (`b64=1`), and the text framing otherwise.

use alloc::collections::VecDeque;
use bytes::{BufMut, Bytes, BytesMut};

use super::parts::{MESSAGE, Parts, ToParts};
use super::utf16::utf16_len;

/// The kind byte of a text packet in the binary framing.
pub(crate) const BINARY_FRAMING_TEXT: u8 = 0;
/// The kind byte of a binary packet in the binary framing.
pub(crate) const BINARY_FRAMING_BINARY: u8 = 1;
/// The byte that ends a length in the binary framing.
pub(crate) const BINARY_FRAMING_END: u8 = 0xff;
/// The most decimal digits a length may have (`usize::MAX` has 20).
pub(crate) const MAX_LENGTH_DIGITS: usize = 20;

/// How a revision 3 payload frames its packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Framing {
    /// `<length>:<packet>`, lengths in UTF-16 code units (`Content-Type: text/plain; charset=UTF-8`).
    Text,
    /// The XHR2 binary framing (`Content-Type: application/octet-stream`).
    Binary,
}

impl Framing {
    /// The framing of a payload, from its first byte: a text payload starts with a length digit, a
    /// binary one with its first packet's kind byte (0 or 1).
    pub fn of(payload: &[u8]) -> Framing {
        match payload.first() {
            Some(&(BINARY_FRAMING_TEXT | BINARY_FRAMING_BINARY)) => Framing::Binary,
            _ => Framing::Text,
        }
    }
}

/// Encodes `packets` as one payload: in the binary framing if `binary` (the peer takes binary payloads)
/// and one of them is a binary message, in the text framing otherwise. No packets at all is `0:`, as
/// the reference writes it (an empty body would not decode).
pub fn encode_payload<S: ToParts>(packets: &[S], binary: bool) -> Bytes {
    if packets.is_empty() {
        return Bytes::from_static(b"0:");
    }
    let framing = choose_framing(packets.iter(), binary);
    let size = packets
        .iter()
        .map(|p| segment_len(p.parts(), framing))
        .sum();
    encode(packets.iter(), framing, size)
}

/// Takes packets from the front of `queue` into one payload of at most `max_payload` bytes, framed as
/// [`encode_payload`] does, and returns it with the number of packets taken.
///
/// The first packet is always taken, even if alone it is larger than `max_payload`, so a queue always
/// drains. Returns an empty payload only for an empty queue.
pub fn encode_batch<S: ToParts>(
    queue: &mut VecDeque<S>,
    max_payload: usize,
    binary: bool,
) -> (Bytes, usize) {
    // Sizes are measured in the binary framing when it may be used: a batch that turns out to hold no
    // binary is then written in the text framing, which is smaller, so it fits all the same.
    let measured = if binary {
        Framing::Binary
    } else {
        Framing::Text
    };
    let mut size = 0;
    let mut count = 0;
    for packet in queue.iter() {
        let added = segment_len(packet.parts(), measured);
        if count > 0 && size + added > max_payload {
            break;
        }
        size += added;
        count += 1;
    }
    let framing = choose_framing(queue.range(..count), binary);
    let payload = encode(queue.range(..count), framing, size);
    queue.drain(..count);
    (payload, count)
}

fn choose_framing<'a, S: ToParts + 'a>(
    mut packets: impl Iterator<Item = &'a S>,
    binary: bool,
) -> Framing {
    if binary && packets.any(|packet| packet.parts().is_binary()) {
        Framing::Binary
    } else {
        Framing::Text
    }
}

fn encode<'a, S: ToParts + 'a>(
    packets: impl Iterator<Item = &'a S>,
    framing: Framing,
    size: usize,
) -> Bytes {
    let mut out = BytesMut::with_capacity(size);
    for packet in packets {
        match framing {
            Framing::Text => write_text_segment(packet.parts(), &mut out),
            Framing::Binary => write_binary_segment(packet.parts(), &mut out),
        }
    }
    out.freeze()
}

/// The bytes one packet takes in a payload of `framing`.
fn segment_len(parts: Parts<'_>, framing: Framing) -> usize {
    match framing {
        Framing::Text => {
            let (bytes, units) = match parts {
                Parts::Text { data, .. } => (1 + data.len(), 1 + utf16_len(data)),
                Parts::Binary(data) => {
                    let len = base64_packet_len(data.len());
                    (len, len)
                }
            };
            decimal_digits(units) + 1 + bytes
        }
        Framing::Binary => {
            let len = binary_content_len(parts);
            2 + decimal_digits(len) + len
        }
    }
}

fn write_text_segment(parts: Parts<'_>, out: &mut BytesMut) {
    match parts {
        Parts::Text { digit, data } => {
            write_decimal(1 + utf16_len(data), out);
            out.put_u8(b':');
            out.put_u8(digit);
            out.put_slice(data.as_bytes());
        }
        Parts::Binary(data) => {
            write_decimal(base64_packet_len(data.len()), out);
            out.put_u8(b':');
            write_base64_packet(data, out);
        }
    }
}

fn write_binary_segment(parts: Parts<'_>, out: &mut BytesMut) {
    let len = binary_content_len(parts);
    out.reserve(2 + MAX_LENGTH_DIGITS + len);
    out.put_u8(match parts {
        Parts::Text { .. } => BINARY_FRAMING_TEXT,
        Parts::Binary(_) => BINARY_FRAMING_BINARY,
    });
    let mut digits = [0; MAX_LENGTH_DIGITS];
    for digit in decimal(len, &mut digits) {
        out.put_u8(digit - b'0');
    }
    out.put_u8(BINARY_FRAMING_END);
    match parts {
        Parts::Text { digit, data } => {
            out.put_u8(digit);
            out.put_slice(data.as_bytes());
        }
        Parts::Binary(data) => {
            out.put_u8(MESSAGE - b'0');
            out.put_slice(data);
        }
    }
}

/// The bytes of a packet in the binary framing: the type and the data.
fn binary_content_len(parts: Parts<'_>) -> usize {
    match parts {
        Parts::Text { data, .. } => 1 + data.len(),
        Parts::Binary(data) => 1 + data.len(),
    }
}

/// The length of `b4<base64>` for `len` bytes of data.
fn base64_packet_len(len: usize) -> usize {
    2 + base64::encoded_len(len, true).unwrap_or(usize::MAX - 2)
}

/// Appends `b4<base64 of data>`.
pub(crate) fn write_base64_packet(data: &[u8], out: &mut BytesMut) {
    use base64::Engine as _;
    let start = out.len();
    let encoded_len = base64::encoded_len(data.len(), true).unwrap_or(0);
    out.resize(start + 2 + encoded_len, 0);
    out[start] = b'b';
    out[start + 1] = MESSAGE;
    let written = base64::engine::general_purpose::STANDARD
        .encode_slice(data, &mut out[start + 2..])
        .unwrap_or(0);
    out.truncate(start + 2 + written);
}

fn write_decimal(value: usize, out: &mut BytesMut) {
    let mut digits = [0; MAX_LENGTH_DIGITS];
    out.put_slice(decimal(value, &mut digits));
}

/// `value` in decimal ASCII digits, written into the end of `buffer`.
fn decimal(mut value: usize, buffer: &mut [u8; MAX_LENGTH_DIGITS]) -> &[u8] {
    let mut start = buffer.len();
    loop {
        start -= 1;
        buffer[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            return &buffer[start..];
        }
    }
}

fn decimal_digits(value: usize) -> usize {
    let mut digits = [0; MAX_LENGTH_DIGITS];
    decimal(value, &mut digits).len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{Message, Packet};
    use alloc::vec;
    use alloc::vec::Vec;

    #[test]
    fn spec_vectors_text_framing() {
        // Examples from the revision 3 protocol description.
        let packets = vec![
            Packet::Message(Message::text("hello")),
            Packet::Message(Message::text("€")),
        ];
        assert_eq!(
            &encode_payload(&packets, true)[..],
            "6:4hello2:4€".as_bytes()
        );
        let mixed = vec![
            Packet::Message(Message::text("€")),
            Packet::Message(Message::binary(&[1u8, 2, 3, 4][..])),
        ];
        assert_eq!(
            &encode_payload(&mixed, false)[..],
            "2:4€10:b4AQIDBA==".as_bytes()
        );
    }

    #[test]
    fn spec_vectors_binary_framing() {
        let mixed = vec![
            Packet::Message(Message::text("€")),
            Packet::Message(Message::binary(&[1u8, 2, 3, 4][..])),
        ];
        assert_eq!(
            &encode_payload(&mixed, true)[..],
            &[
                0x00, 0x04, 0xff, 0x34, 0xe2, 0x82, 0xac, 0x01, 0x05, 0xff, 0x04, 1, 2, 3, 4
            ]
        );
        // The engine.io-protocol v3 test suite's vector.
        let hello = vec![
            Packet::Message(Message::text("hello")),
            Packet::Message(Message::binary(&[1u8, 2, 3, 4][..])),
        ];
        assert_eq!(
            &encode_payload(&hello, true)[..],
            &[
                0, 6, 255, 52, 104, 101, 108, 108, 111, 1, 5, 255, 4, 1, 2, 3, 4
            ]
        );
    }

    #[test]
    fn no_packets_is_an_empty_segment() {
        assert_eq!(&encode_payload::<Packet>(&[], true)[..], b"0:");
    }

    #[test]
    fn lengths_of_ten_and_more_have_several_digits() {
        let long = Packet::Message(Message::text("0123456789abc"));
        assert_eq!(&encode_payload(&[long], false)[..], b"14:40123456789abc");
        let payload = encode_payload(&[Packet::Message(Message::binary(vec![7u8; 10]))], true);
        assert_eq!(&payload[..4], &[1, 1, 1, 0xff]);
        assert_eq!(payload.len(), 4 + 11);
    }

    #[test]
    fn a_batch_without_binary_uses_the_text_framing() {
        let mut queue: VecDeque<Packet> = [Packet::Noop, Packet::ping()].into_iter().collect();
        let (payload, taken) = encode_batch(&mut queue, 100, true);
        assert_eq!((&payload[..], taken), (&b"1:61:2"[..], 2));
    }

    #[test]
    fn batches_within_max_payload() {
        let mut queue: VecDeque<Packet> = (0..5)
            .map(|_| Packet::Message(Message::text("abcd")))
            .collect();
        // Each packet is 7 bytes ("5:4abcd").
        let (payload, taken) = encode_batch(&mut queue, 21, false);
        assert_eq!((taken, payload.len()), (3, 21));
        let (payload, taken) = encode_batch(&mut queue, 3, false);
        assert_eq!(
            (taken, payload.len()),
            (1, 7),
            "an oversized first packet still goes alone"
        );
        assert_eq!(
            encode_batch(&mut VecDeque::<Packet>::new(), 10, true),
            (Bytes::new(), 0)
        );

        // Sizes are counted in bytes even though headers count UTF-16 units.
        let mut queue: VecDeque<Packet> = (0..3)
            .map(|_| Packet::Message(Message::text("€€")))
            .collect();
        let (payload, taken) = encode_batch(&mut queue, 20, false);
        assert_eq!((&payload[..], taken), ("3:4€€3:4€€".as_bytes(), 2));
        assert!(payload.len() <= 20);
    }

    #[test]
    fn mixed_batches_measured_and_written_in_one_framing() {
        let mut queue: VecDeque<Packet> = vec![
            Packet::Message(Message::text("a")),
            Packet::Message(Message::binary(vec![9u8; 3])),
            Packet::Message(Message::text("b")),
        ]
        .into();
        let (payload, taken) = encode_batch(&mut queue, 1000, true);
        assert_eq!(taken, 3);
        assert_eq!(Framing::of(&payload), Framing::Binary);
        let expected: Vec<u8> = vec![
            0, 2, 255, b'4', b'a', 1, 4, 255, 4, 9, 9, 9, 0, 2, 255, b'4', b'b',
        ];
        assert_eq!(&payload[..], &expected[..]);
    }
}
