//! Revision 3 WebSocket frames: one packet per frame, as in revision 4, but a binary frame starts with
//! the packet type as a byte (`4` for a message), and a text frame may carry a binary message as
//! `b4<base64>` (for a peer that asked for base64 with `b64=1`).

use bytes::{BufMut, BytesMut};

use super::parts::{MESSAGE, Parts, ToParts, decode_text};
use crate::error::DecodeError;
use crate::packet::{Frame, Message, Packet};
use crate::utf8::Utf8Bytes;

/// The type byte that starts a binary message frame (the number 4, not the digit).
const BINARY_MESSAGE: u8 = MESSAGE - b'0';

/// Decodes a revision 3 WebSocket frame. The data of a binary frame is a zero-copy slice of it.
pub fn decode_frame(frame: Frame) -> Result<Packet, DecodeError> {
    match frame {
        Frame::Text(text) => decode_text(text),
        Frame::Binary(bytes) => match bytes.first() {
            None => Err(DecodeError::Empty),
            Some(&BINARY_MESSAGE) => Ok(Packet::Message(Message::Binary(bytes.slice(1..)))),
            Some(&other) => Err(DecodeError::UnknownType(other)),
        },
    }
}

/// Encodes a packet as a revision 3 WebSocket frame. A binary message becomes a binary frame behind
/// its type byte (one copy), or, when `base64` (the peer asked for `b64=1`), a `b4<base64>` text frame.
pub fn encode_frame(packet: &impl ToParts, base64: bool) -> Frame {
    match packet.parts() {
        Parts::Text { digit, data } => {
            let mut out = BytesMut::with_capacity(1 + data.len());
            out.put_u8(digit);
            out.put_slice(data.as_bytes());
            // SAFETY: an ASCII digit followed by a `str` is UTF-8.
            Frame::Text(unsafe { Utf8Bytes::from_bytes_unchecked(out.freeze()) })
        }
        Parts::Binary(data) if base64 => {
            let mut out = BytesMut::new();
            super::encode::write_base64_packet(data, &mut out);
            // SAFETY: `b4` followed by base64 is ASCII.
            Frame::Text(unsafe { Utf8Bytes::from_bytes_unchecked(out.freeze()) })
        }
        Parts::Binary(data) => {
            let mut out = BytesMut::with_capacity(1 + data.len());
            out.put_u8(BINARY_MESSAGE);
            out.put_slice(data);
            Frame::Binary(out.freeze())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn text(s: &'static str) -> Frame {
        Frame::Text(Utf8Bytes::from_static(s))
    }

    #[test]
    fn binary_frames_carry_their_type_byte() {
        let packet = Packet::Message(Message::binary(&[1u8, 2, 3][..]));
        let frame = encode_frame(&packet, false);
        assert_eq!(frame, Frame::Binary(Bytes::from_static(&[4, 1, 2, 3])));
        assert_eq!(decode_frame(frame), Ok(packet.clone()));
        assert_eq!(encode_frame(&packet, true), text("b4AQID"));
        assert_eq!(decode_frame(text("b4AQID")), Ok(packet));
    }

    #[test]
    fn text_frames_are_as_in_revision_4() {
        let packet = Packet::Message(Message::text("hello"));
        assert_eq!(encode_frame(&packet, false), text("4hello"));
        assert_eq!(encode_frame(&Packet::pong(), true), text("3"));
        assert_eq!(decode_frame(text("2probe")), Ok(Packet::probe_ping()));
    }

    #[test]
    fn bad_binary_frames_are_errors() {
        assert_eq!(
            decode_frame(Frame::Binary(Bytes::new())),
            Err(DecodeError::Empty)
        );
        assert_eq!(
            decode_frame(Frame::Binary(Bytes::from_static(&[2, 1]))),
            Err(DecodeError::UnknownType(2))
        );
        assert_eq!(
            decode_frame(Frame::Binary(Bytes::from_static(&[4]))),
            Ok(Packet::Message(Message::binary(&[][..])))
        );
    }
}
