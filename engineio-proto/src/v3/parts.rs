//! A packet as revision 3 sees it: text (a type digit and UTF-8 data) or a binary message, and the
//! decoding of one packet's text form.

use bytes::Bytes;

use crate::error::DecodeError;
use crate::packet::{FramedText, Message, Packet};
use crate::utf8::Utf8Bytes;

/// The type digit of a `message` packet.
pub(crate) const MESSAGE: u8 = b'4';

/// What a packet is made of, which is all the revision 3 encoders need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parts<'a> {
    /// A packet in text form: its type digit (`b'0'` to `b'6'`) and its data.
    Text {
        /// The type digit.
        digit: u8,
        /// The data after it.
        data: &'a str,
    },
    /// A binary `message` packet's data.
    Binary(&'a Bytes),
}

/// Something the revision 3 encoders can write: a [`Packet`] or a [`FramedText`] message.
pub trait ToParts {
    /// Its parts.
    fn parts(&self) -> Parts<'_>;
}

impl ToParts for Packet {
    fn parts(&self) -> Parts<'_> {
        match self {
            Packet::Message(Message::Binary(bytes)) => Parts::Binary(bytes),
            _ => Parts::Text {
                digit: self.type_digit(),
                data: self.text_data(),
            },
        }
    }
}

impl ToParts for FramedText {
    fn parts(&self) -> Parts<'_> {
        Parts::Text {
            digit: MESSAGE,
            // The frame is `4` and the text; the ASCII prefix ends on a character boundary.
            data: self.frame().get(1..).unwrap_or_default(),
        }
    }
}

impl<T: ToParts + ?Sized> ToParts for &T {
    fn parts(&self) -> Parts<'_> {
        (**self).parts()
    }
}

impl Parts<'_> {
    /// Whether this is a binary message.
    pub fn is_binary(&self) -> bool {
        matches!(self, Parts::Binary(_))
    }
}

/// Decodes the text form of one revision 3 packet: `<type digit><data>`, or `b4<base64>` for a binary
/// message (the type digit follows the `b`, unlike revision 4's `b<base64>`).
///
/// Binary packets of another type than `message` are refused with [`DecodeError::UnknownType`]:
/// nothing sends them, and their data would have no meaning here.
pub fn decode_text(text: Utf8Bytes) -> Result<Packet, DecodeError> {
    let Some(encoded) = text.as_bytes().strip_prefix(b"b") else {
        return Packet::decode_text(text);
    };
    let (&digit, base64_data) = encoded.split_first().ok_or(DecodeError::Empty)?;
    if digit != MESSAGE {
        return Err(DecodeError::UnknownType(digit));
    }
    use base64::Engine as _;
    let data = base64::engine::general_purpose::STANDARD
        .decode(base64_data)
        .map_err(|_| DecodeError::InvalidBase64)?;
    Ok(Packet::Message(Message::Binary(Bytes::from(data))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &'static str) -> Utf8Bytes {
        Utf8Bytes::from_static(s)
    }

    #[test]
    fn decodes_text_and_base64_packets() {
        assert_eq!(
            decode_text(text("4hello")),
            Ok(Packet::Message(Message::text("hello")))
        );
        assert_eq!(decode_text(text("2probe")), Ok(Packet::probe_ping()));
        assert_eq!(
            decode_text(text("b4AQIDBA==")),
            Ok(Packet::Message(Message::binary(&[1u8, 2, 3, 4][..])))
        );
        assert_eq!(
            decode_text(text("b4")),
            Ok(Packet::Message(Message::binary(&[][..])))
        );
        assert_eq!(decode_text(text("b")), Err(DecodeError::Empty));
        assert_eq!(
            decode_text(text("b2AQID")),
            Err(DecodeError::UnknownType(b'2'))
        );
        assert_eq!(decode_text(text("b4!!")), Err(DecodeError::InvalidBase64));
        assert_eq!(decode_text(text("")), Err(DecodeError::Empty));
        assert_eq!(decode_text(text("7")), Err(DecodeError::UnknownType(b'7')));
    }

    #[test]
    fn base64_that_starts_with_4_keeps_its_first_character() {
        // Bytes e0 e1 e2 are "4OHi" in base64: in revision 3 the `4` after `b` is the type, so this
        // binary is written `b44OHi`; `b4OHi` is the type and "OHi", which is not base64.
        assert_eq!(
            decode_text(text("b44OHi")),
            Ok(Packet::Message(Message::binary(&[0xe0u8, 0xe1, 0xe2][..])))
        );
        assert_eq!(decode_text(text("b4OHi")), Err(DecodeError::InvalidBase64));
    }

    #[test]
    fn framed_text_parts_skip_the_prefix() {
        let framed = FramedText::new("42[\"a\"]");
        assert_eq!(
            framed.parts(),
            Parts::Text {
                digit: b'4',
                data: "42[\"a\"]"
            }
        );
    }
}
