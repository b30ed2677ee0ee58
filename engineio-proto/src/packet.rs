//! Engine.IO packets and their WebSocket framing: one packet per frame.
//!
//! Text form: the packet type as one ASCII digit, then the data (`4hello`, `2probe`, `6`).
//! Binary messages travel as raw binary WebSocket frames, with no type prefix.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::DecodeError;
use crate::utf8::Utf8Bytes;

/// The data of a `message` packet.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Message {
    /// A UTF-8 text message.
    Text(Utf8Bytes),
    /// A binary message.
    Binary(Bytes),
}

impl Message {
    /// A text message.
    pub fn text(text: impl Into<Utf8Bytes>) -> Self {
        Message::Text(text.into())
    }

    /// A binary message.
    pub fn binary(bytes: impl Into<Bytes>) -> Self {
        Message::Binary(bytes.into())
    }

    /// Length of the data in bytes.
    pub fn len(&self) -> usize {
        match self {
            Message::Text(text) => text.len(),
            Message::Binary(bytes) => bytes.len(),
        }
    }

    /// Whether the data is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One Engine.IO packet.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Packet {
    /// `0`: the handshake, sent by the server; carries the JSON of [`crate::SessionParams`].
    Open(Utf8Bytes),
    /// `1`: the transport is closing.
    Close,
    /// `2`: heartbeat request from the server, or `2probe` from a client testing a new transport.
    Ping(Utf8Bytes),
    /// `3`: heartbeat answer, or `3probe` answering a probe.
    Pong(Utf8Bytes),
    /// `4`: application data.
    Message(Message),
    /// `5`: the client switches to the probed transport.
    Upgrade,
    /// `6`: nothing; releases a held long-polling request during an upgrade.
    Noop,
}

/// A text message encoded once with its `4` type prefix. Its WebSocket frame and its long-polling
/// segment are this buffer itself, so a message sent to many sessions (a broadcast) costs no copy
/// and no allocation per session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FramedText(Utf8Bytes);

impl FramedText {
    /// Frames `text` (one copy).
    pub fn new(text: &str) -> Self {
        let mut frame = BytesMut::with_capacity(1 + text.len());
        frame.extend_from_slice(b"4");
        frame.extend_from_slice(text.as_bytes());
        // SAFETY: `4` followed by a `str` is UTF-8.
        FramedText(unsafe { Utf8Bytes::from_bytes_unchecked(frame.freeze()) })
    }

    /// Wraps `frame`, a message packet's text (`4` and the message); `None` if it is not one.
    pub fn from_frame(frame: Utf8Bytes) -> Option<Self> {
        (frame.as_bytes().first() == Some(&b'4')).then_some(FramedText(frame))
    }

    /// The message text, without the prefix, sharing the buffer.
    pub fn text(&self) -> Utf8Bytes {
        // The one-byte ASCII prefix always ends on a character boundary.
        self.0.slice(1, self.0.len()).unwrap_or_default()
    }

    /// The whole packet text: the WebSocket frame's text, and the message's polling segment.
    pub fn frame(&self) -> &Utf8Bytes {
        &self.0
    }
}

/// The data a probe ping or pong carries.
pub const PROBE: &str = "probe";

impl Packet {
    /// A heartbeat ping.
    pub const fn ping() -> Self {
        Packet::Ping(Utf8Bytes::new())
    }

    /// A heartbeat pong.
    pub const fn pong() -> Self {
        Packet::Pong(Utf8Bytes::new())
    }

    /// The `2probe` ping that tests a new transport.
    pub const fn probe_ping() -> Self {
        Packet::Ping(Utf8Bytes::from_static(PROBE))
    }

    /// The `3probe` pong that answers it.
    pub const fn probe_pong() -> Self {
        Packet::Pong(Utf8Bytes::from_static(PROBE))
    }

    /// The type digit of this packet (`0` to `6`).
    pub fn type_digit(&self) -> u8 {
        match self {
            Packet::Open(_) => b'0',
            Packet::Close => b'1',
            Packet::Ping(_) => b'2',
            Packet::Pong(_) => b'3',
            Packet::Message(_) => b'4',
            Packet::Upgrade => b'5',
            Packet::Noop => b'6',
        }
    }

    /// Decodes the text form of a packet (a WebSocket text frame, or one segment of a polling
    /// payload that is not base64 binary). The data is a zero-copy slice of `text`.
    ///
    /// Like the reference parser, trailing data on `close`, `upgrade` and `noop` is ignored.
    pub fn decode_text(text: Utf8Bytes) -> Result<Packet, DecodeError> {
        let Some(&digit) = text.as_bytes().first() else {
            return Err(DecodeError::Empty);
        };
        let data = || text.slice(1, text.len()).unwrap_or_default();
        Ok(match digit {
            b'0' => Packet::Open(data()),
            b'1' => Packet::Close,
            b'2' => Packet::Ping(data()),
            b'3' => Packet::Pong(data()),
            b'4' => Packet::Message(Message::Text(data())),
            b'5' => Packet::Upgrade,
            b'6' => Packet::Noop,
            other => return Err(DecodeError::UnknownType(other)),
        })
    }

    /// Decodes a WebSocket frame: text frames carry a typed packet, binary frames a binary message.
    pub fn from_frame(frame: Frame) -> Result<Packet, DecodeError> {
        match frame {
            Frame::Text(text) => Packet::decode_text(text),
            Frame::Binary(bytes) => Ok(Packet::Message(Message::Binary(bytes))),
        }
    }

    /// Encodes this packet as a WebSocket frame. A binary message is handed over without copying.
    pub fn to_frame(&self) -> Frame {
        match self {
            Packet::Message(Message::Binary(bytes)) => Frame::Binary(bytes.clone()),
            _ => {
                let mut out = BytesMut::with_capacity(1 + self.text_data().len());
                self.write_text(&mut out);
                // SAFETY: a type digit followed by UTF-8 data (or base64) is UTF-8.
                Frame::Text(unsafe { Utf8Bytes::from_bytes_unchecked(out.freeze()) })
            }
        }
    }

    /// Appends the text form of this packet to `out`; a binary message becomes `b` + base64, as in
    /// polling payloads.
    pub fn write_text(&self, out: &mut BytesMut) {
        match self {
            Packet::Message(Message::Binary(bytes)) => {
                use base64::Engine as _;
                let start = out.len();
                let encoded_len = base64::encoded_len(bytes.len(), true).unwrap_or(0);
                out.resize(start + 1 + encoded_len, 0);
                out[start] = b'b';
                let written = base64::engine::general_purpose::STANDARD
                    .encode_slice(bytes, &mut out[start + 1..])
                    .expect("buffer sized by encoded_len");
                out.truncate(start + 1 + written);
            }
            _ => {
                out.reserve(1 + self.text_data().len());
                out.put_u8(self.type_digit());
                out.put_slice(self.text_data().as_bytes());
            }
        }
    }

    /// Length of [`Packet::write_text`]'s output, without encoding.
    pub fn text_len(&self) -> usize {
        match self {
            Packet::Message(Message::Binary(bytes)) => {
                1 + base64::encoded_len(bytes.len(), true).unwrap_or(usize::MAX - 1)
            }
            _ => 1 + self.text_data().len(),
        }
    }

    pub(crate) fn text_data(&self) -> &str {
        match self {
            Packet::Open(data) | Packet::Ping(data) | Packet::Pong(data) => data,
            Packet::Message(Message::Text(text)) => text,
            _ => "",
        }
    }
}

/// A WebSocket data frame as the runtime's WebSocket library gives or takes it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Frame {
    /// A text frame (already UTF-8 checked by the WebSocket layer or by [`Utf8Bytes`]).
    Text(Utf8Bytes),
    /// A binary frame.
    Binary(Bytes),
}

impl Frame {
    /// Length of the frame's payload in bytes.
    pub fn len(&self) -> usize {
        match self {
            Frame::Text(text) => text.len(),
            Frame::Binary(bytes) => bytes.len(),
        }
    }

    /// Whether the frame's payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &'static str) -> Utf8Bytes {
        Utf8Bytes::from_static(s)
    }

    #[test]
    fn spec_vectors_decode() {
        // Examples from the Engine.IO v4 protocol description.
        assert_eq!(
            Packet::decode_text(text("4hello")),
            Ok(Packet::Message(Message::text("hello")))
        );
        assert_eq!(
            Packet::decode_text(text("2probe")),
            Ok(Packet::probe_ping())
        );
        assert_eq!(
            Packet::decode_text(text("3probe")),
            Ok(Packet::probe_pong())
        );
        assert_eq!(Packet::decode_text(text("2")), Ok(Packet::ping()));
        assert_eq!(Packet::decode_text(text("3")), Ok(Packet::pong()));
        assert_eq!(Packet::decode_text(text("1")), Ok(Packet::Close));
        assert_eq!(Packet::decode_text(text("5")), Ok(Packet::Upgrade));
        assert_eq!(Packet::decode_text(text("6")), Ok(Packet::Noop));
        assert_eq!(
            Packet::decode_text(text("4")),
            Ok(Packet::Message(Message::text("")))
        );
        assert_eq!(
            Packet::decode_text(text(r#"0{"sid":"abc"}"#)),
            Ok(Packet::Open(text(r#"{"sid":"abc"}"#)))
        );
        assert_eq!(
            Packet::from_frame(Frame::Binary(Bytes::from_static(&[1, 2, 3]))),
            Ok(Packet::Message(Message::binary(&[1u8, 2, 3][..])))
        );
    }

    #[test]
    fn bad_text_is_an_error() {
        assert_eq!(Packet::decode_text(text("")), Err(DecodeError::Empty));
        assert_eq!(
            Packet::decode_text(text("7")),
            Err(DecodeError::UnknownType(b'7'))
        );
        assert_eq!(
            Packet::decode_text(text("x4")),
            Err(DecodeError::UnknownType(b'x'))
        );
    }

    #[test]
    fn encodes_frames() {
        assert_eq!(
            Packet::Message(Message::text("hello")).to_frame(),
            Frame::Text(text("4hello"))
        );
        assert_eq!(Packet::probe_ping().to_frame(), Frame::Text(text("2probe")));
        assert_eq!(Packet::Noop.to_frame(), Frame::Text(text("6")));
        let bin = Bytes::from_static(&[1, 2, 3, 4]);
        assert_eq!(
            Packet::Message(Message::Binary(bin.clone())).to_frame(),
            Frame::Binary(bin)
        );
    }

    #[test]
    fn binary_text_form_is_base64() {
        let packet = Packet::Message(Message::binary(&[1u8, 2, 3, 4][..]));
        let mut out = BytesMut::new();
        packet.write_text(&mut out);
        assert_eq!(&out[..], b"bAQIDBA==");
        assert_eq!(packet.text_len(), out.len());
    }

    #[test]
    fn decoded_data_shares_the_frame_buffer() {
        let frame = text("4some message");
        let Packet::Message(Message::Text(data)) = Packet::decode_text(frame.clone()).unwrap()
        else {
            panic!("not a message");
        };
        assert_eq!(data.as_ptr(), frame[1..].as_ptr());
    }
}
