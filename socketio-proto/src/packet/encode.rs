//! Encoding: a packet becomes one text message plus one binary message per attachment.

use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use bytes::Bytes;
use engineio_proto::{FramedText, Message, Utf8Bytes};
use serde::Serialize;

use super::args::{ArgsArray, write_json};
use super::error::EncodeError;
use super::namespace::NamespaceName;
use super::payload::json_text;
use super::{Packet, PacketKind, PacketType};

/// An encoded packet: the text for one Engine.IO message, then each attachment as a binary message.
///
/// Cloning shares the bytes, so one encoding serves every recipient of a broadcast; the text is
/// also kept framed (behind the Engine.IO `4` prefix, in the same buffer), so that no recipient's
/// session copies it into a frame of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoded {
    /// The packet text (without the Engine.IO `4` message prefix).
    pub text: Utf8Bytes,
    /// The binary attachments, in order.
    pub attachments: Vec<Bytes>,
    /// `4` + `text`, sharing its bytes.
    frame: FramedText,
}

impl Encoded {
    /// The text message framed with its Engine.IO prefix (for
    /// `ServerSession::send_framed`), sharing the text's bytes.
    pub fn frame(&self) -> &FramedText {
        &self.frame
    }

    /// The Engine.IO messages to send, in order.
    pub fn messages(&self) -> impl ExactSizeIterator<Item = Message> + '_ {
        let text = core::iter::once(Message::Text(self.text.clone()));
        let binary = self.attachments.iter().cloned().map(Message::Binary);
        Chain { text, binary }
    }

    /// Encodes an event straight from serializable arguments into one buffer: `args` spread as for
    /// [`Payload::new`](super::Payload::new), byte values as attachments.
    pub fn event<T: Serialize + ?Sized>(
        namespace: &NamespaceName,
        name: &str,
        args: &T,
        ack: Option<u64>,
    ) -> Result<Self, EncodeError> {
        encode_args(namespace, Some(name), args, ack)
    }

    /// Encodes the ack of event `id` straight from serializable arguments (spread as for
    /// [`Payload::new`](super::Payload::new)).
    pub fn ack<T: Serialize + ?Sized>(
        namespace: &NamespaceName,
        id: u64,
        args: &T,
    ) -> Result<Self, EncodeError> {
        encode_args(namespace, None, args, Some(id))
    }
}

/// `once(text).chain(binary)` with an exact length.
struct Chain<T, B> {
    text: T,
    binary: B,
}

impl<T: Iterator<Item = Message>, B: ExactSizeIterator<Item = Message>> Iterator for Chain<T, B> {
    type Item = Message;

    fn next(&mut self) -> Option<Message> {
        self.text.next().or_else(|| self.binary.next())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let len = self.text.size_hint().0 + self.binary.len();
        (len, Some(len))
    }
}

impl<T: Iterator<Item = Message>, B: ExactSizeIterator<Item = Message>> ExactSizeIterator
    for Chain<T, B>
{
}

impl Packet {
    /// Encodes the packet. The payload's JSON is copied once, behind the header, into a buffer sized
    /// up front; attachments are shared.
    pub fn encode(&self) -> Encoded {
        let packet_type = self.packet_type();
        let (json, attachments, id) = match &self.kind {
            PacketKind::Connect(data) => (data.as_ref().map(|data| data.as_str()), &[][..], None),
            PacketKind::Disconnect => (None, &[][..], None),
            PacketKind::Event { args, ack } => (Some(&**args.json()), args.attachments(), *ack),
            PacketKind::Ack { args, id } => (Some(&**args.json()), args.attachments(), Some(*id)),
            PacketKind::ConnectError(data) => (Some(data.as_str()), &[][..], None),
        };
        let json = json.unwrap_or("");
        let mut text =
            String::with_capacity(1 + HEADER_NUMBERS_MAX + self.namespace.len() + 1 + json.len());
        let mut digits = Digits::new();
        // The Engine.IO message prefix, in the same buffer (see `Encoded::frame`).
        text.push('4');
        text.push(char::from(packet_type.digit()));
        if packet_type.is_binary() {
            text.push_str(digits.format(attachments.len() as u64));
            text.push('-');
        }
        if !self.namespace.is_main() {
            text.push_str(&self.namespace);
            text.push(',');
        }
        if let Some(id) = id {
            text.push_str(digits.format(id));
        }
        text.push_str(json);
        let (text, frame) = split_frame(Utf8Bytes::from(text), 0);
        Encoded {
            text,
            attachments: attachments.to_vec(),
            frame,
        }
    }
}

/// Room for the type digit, an attachment count with its `-`, and an ack id.
const HEADER_NUMBERS_MAX: usize = 1 + 2 * U64_DIGITS_MAX + 1;
const U64_DIGITS_MAX: usize = 20;
/// Bytes reserved in front of the rest for the Engine.IO `4`, the type digit and the attachment
/// count, which are known only once the arguments have been serialized.
const PREFIX_RESERVED: usize = 1 + 1 + U64_DIGITS_MAX + 1;

fn encode_args<T: Serialize + ?Sized>(
    namespace: &NamespaceName,
    name: Option<&str>,
    args: &T,
    id: Option<u64>,
) -> Result<Encoded, EncodeError> {
    let mut digits = Digits::new();
    let mut buffer = Vec::with_capacity(PREFIX_RESERVED + namespace.len() + U64_DIGITS_MAX + 64);
    buffer.resize(PREFIX_RESERVED, b'0');
    if !namespace.is_main() {
        buffer.extend_from_slice(namespace.as_bytes());
        buffer.push(b',');
    }
    if let Some(id) = id {
        buffer.extend_from_slice(digits.format(id).as_bytes());
    }
    let attachments = RefCell::new(Vec::new());
    write_json(
        &mut buffer,
        &ArgsArray {
            name,
            args,
            attachments: Some(&attachments),
        },
    )?;
    let attachments = attachments.into_inner();

    // Write the type digit and count right-aligned in the reserved prefix and start the text there:
    // the unused prefix stays in the allocation, nothing is moved.
    let packet_type = match (name.is_some(), attachments.is_empty()) {
        (true, true) => PacketType::Event,
        (true, false) => PacketType::BinaryEvent,
        (false, true) => PacketType::Ack,
        (false, false) => PacketType::BinaryAck,
    };
    let mut start = PREFIX_RESERVED;
    if packet_type.is_binary() {
        let count = digits.format(attachments.len() as u64).as_bytes();
        start -= count.len() + 1;
        buffer[start..start + count.len()].copy_from_slice(count);
        buffer[PREFIX_RESERVED - 1] = b'-';
    }
    start -= 1;
    buffer[start] = packet_type.digit();
    start -= 1;
    buffer[start] = b'4';
    let (text, frame) = split_frame(json_text(buffer)?, start);
    Ok(Encoded {
        text,
        attachments,
        frame,
    })
}

/// The packet text and its framed form, from `buffer` holding `4` and the text from `start` on.
fn split_frame(buffer: Utf8Bytes, start: usize) -> (Utf8Bytes, FramedText) {
    let framed = buffer.slice(start, buffer.len()).unwrap_or_default();
    let frame = FramedText::from_frame(framed).unwrap_or_else(|| FramedText::new(""));
    (frame.text(), frame)
}

/// Formats a `u64` in decimal without `core::fmt`.
struct Digits([u8; U64_DIGITS_MAX]);

impl Digits {
    fn new() -> Self {
        Digits([0; U64_DIGITS_MAX])
    }

    fn format(&mut self, mut value: u64) -> &str {
        let mut start = self.0.len();
        loop {
            start -= 1;
            self.0[start] = b'0' + (value % 10) as u8;
            value /= 10;
            if value == 0 {
                break;
            }
        }
        core::str::from_utf8(&self.0[start..]).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_decimal() {
        let mut digits = Digits::new();
        assert_eq!(digits.format(0), "0");
        assert_eq!(digits.format(42), "42");
        assert_eq!(digits.format(u64::MAX), "18446744073709551615");
    }
}
