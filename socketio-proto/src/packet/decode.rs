//! Decoding: the text header, the payload scan, and the per-connection `Decoder` that reassembles
//! binary packets.
//!
//! Every step is linear in the input and stops at the first byte that cannot belong to a valid packet;
//! nothing is allocated for an announced attachment count before it is checked against the limit.
//! The payload is checked by a byte scan (`scan.rs`), not parsed: routing needs only the header and
//! the event name, whose span the scan records; a typed read parses the arguments once, later.

use alloc::vec::Vec;

use bytes::Bytes;
use engineio_proto::Utf8Bytes;

use super::binary::{BinaryKind, PendingBinary};
use super::error::ParseError;
use super::namespace::NamespaceName;
use super::payload::{Payload, RawJson};
use super::scan::{Shape, scan};
use super::{Packet, PacketKind, PacketType};

/// Limits of a [`Decoder`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecoderConfig {
    /// Most attachments one binary packet may announce (the reference default is 10).
    pub max_attachments: usize,
}

impl Default for DecoderConfig {
    fn default() -> Self {
        DecoderConfig {
            max_attachments: 10,
        }
    }
}

/// Decodes the Socket.IO packets of one connection from its Engine.IO messages.
///
/// After an error the decoder holds no partial packet; the connection is expected to be closed.
#[derive(Debug, Default)]
pub struct Decoder {
    config: DecoderConfig,
    pending: Option<PendingBinary>,
}

impl Decoder {
    /// A decoder with these limits.
    pub fn new(config: DecoderConfig) -> Self {
        Decoder {
            config,
            pending: None,
        }
    }

    /// Decodes a text message: `Some` packet when complete, `None` when it is a binary packet that
    /// now waits for its attachments.
    pub fn decode_text(&mut self, text: Utf8Bytes) -> Result<Option<Packet>, ParseError> {
        if self.pending.is_some() {
            self.pending = None;
            return Err(ParseError::UnexpectedText);
        }
        parse(text, &self.config, &mut self.pending)
    }

    /// Takes the next attachment of the pending binary packet: `Some` packet after the last one.
    pub fn decode_binary(&mut self, attachment: Bytes) -> Result<Option<Packet>, ParseError> {
        let pending = self.pending.as_mut().ok_or(ParseError::UnexpectedBinary)?;
        if pending.push(attachment) {
            Ok(self.pending.take().map(PendingBinary::finish))
        } else {
            Ok(None)
        }
    }

    /// How many attachments the pending binary packet still waits for (0 when none is pending).
    pub fn missing_attachments(&self) -> usize {
        self.pending.as_ref().map_or(0, PendingBinary::missing)
    }

    /// Drops a partially received binary packet.
    pub fn reset(&mut self) {
        self.pending = None;
    }

    /// The limits.
    pub fn config(&self) -> &DecoderConfig {
        &self.config
    }
}

/// Reads the header fields left to right; `pos` is the next unread byte.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// `<digits>-`, at most `limit`; stops at the first digit that makes the count exceed it.
    fn attachment_count(&mut self, limit: usize) -> Result<usize, ParseError> {
        let start = self.pos;
        let mut count: usize = 0;
        loop {
            match self.peek() {
                Some(b'-') if self.pos > start => break,
                Some(digit @ b'0'..=b'9') => {
                    count = count
                        .checked_mul(10)
                        .and_then(|count| count.checked_add(usize::from(digit - b'0')))
                        .filter(|&count| count <= limit)
                        .ok_or(ParseError::TooManyAttachments { limit })?;
                    self.pos += 1;
                }
                _ => return Err(ParseError::InvalidAttachmentCount),
            }
        }
        self.pos += 1;
        if count == 0 {
            return Err(ParseError::InvalidAttachmentCount);
        }
        Ok(count)
    }

    /// `/<name>` if the next byte is `/`, up to a comma (consumed) or the end of the packet, as the
    /// reference parser reads it: `40/custom` and `40/custom,{..}` both name `/custom`.
    fn namespace(&mut self, text: &Utf8Bytes) -> Result<NamespaceName, ParseError> {
        if self.peek() != Some(b'/') {
            return Ok(NamespaceName::main());
        }
        let start = self.pos;
        let (length, next) = match self.bytes[start..].iter().position(|&byte| byte == b',') {
            Some(length) => (length, start + length + 1),
            None => (self.bytes.len() - start, self.bytes.len()),
        };
        self.pos = next;
        // `/` and `,` are ASCII and the end is the text's end, so both ends are character boundaries.
        let name = text
            .slice(start, start + length)
            .ok_or(ParseError::InvalidPayload)?;
        Ok(NamespaceName::from_checked(name))
    }

    /// Leading digits as a `u64`; stops at the first digit that overflows it.
    fn ack_id(&mut self) -> Result<Option<u64>, ParseError> {
        let mut id: Option<u64> = None;
        while let Some(digit @ b'0'..=b'9') = self.peek() {
            let value = id
                .unwrap_or(0)
                .checked_mul(10)
                .and_then(|id| id.checked_add(u64::from(digit - b'0')))
                .ok_or(ParseError::AckIdOverflow)?;
            id = Some(value);
            self.pos += 1;
        }
        Ok(id)
    }
}

/// The packet in `text`; or, for a binary packet, `None` with the packet left in `pending` (which
/// is empty on entry) to wait for its attachments. The packet is built in the caller's return slot
/// rather than moved through an intermediate enum: it is large, and moves showed in profiles.
fn parse(
    text: Utf8Bytes,
    config: &DecoderConfig,
    pending: &mut Option<PendingBinary>,
) -> Result<Option<Packet>, ParseError> {
    let bytes: &[u8] = text.as_bytes();
    let (&digit, _) = bytes.split_first().ok_or(ParseError::Empty)?;
    let packet_type = PacketType::from_digit(digit).ok_or(ParseError::UnknownType(digit))?;
    let mut cursor = Cursor { bytes, pos: 1 };
    let attachments = if packet_type.is_binary() {
        cursor.attachment_count(config.max_attachments)?
    } else {
        0
    };
    let namespace = cursor.namespace(&text)?;
    let id = cursor.ack_id()?;
    let json_start = cursor.pos;
    // The JSON is the rest of the frame: the same handle, advanced, with no reference-count traffic.
    let json = text
        .into_suffix(json_start)
        .ok_or(ParseError::InvalidJson)?;
    let has_json = !json.is_empty();
    let has_id_field = !matches!(
        packet_type,
        PacketType::Connect | PacketType::Disconnect | PacketType::ConnectError
    );
    if id.is_some() && !has_id_field {
        return Err(ParseError::UnexpectedAckId);
    }
    let requires_json = !matches!(packet_type, PacketType::Connect | PacketType::Disconnect);
    if requires_json && !has_json {
        return Err(ParseError::InvalidPayload);
    }

    let kind = match packet_type {
        PacketType::Connect if has_json => {
            scan(&json, Shape::Object, 0)?;
            PacketKind::Connect(Some(RawJson::from_validated(json)))
        }
        PacketType::Connect => PacketKind::Connect(None),
        PacketType::Disconnect if has_json => return Err(ParseError::InvalidPayload),
        PacketType::Disconnect => PacketKind::Disconnect,
        PacketType::ConnectError => {
            scan(&json, Shape::ObjectOrString, 0)?;
            PacketKind::ConnectError(RawJson::from_validated(json))
        }
        PacketType::Event | PacketType::BinaryEvent => {
            let name = scan(&json, Shape::EventArray, attachments)?;
            // An escaped or numeric name is read once here, so that every decoded event has one.
            if !name.is_plain_string() && name.text(&json).is_none() {
                return Err(ParseError::InvalidPayload);
            }
            if packet_type.is_binary() {
                let kind = BinaryKind::Event { ack: id };
                *pending = Some(PendingBinary::new(namespace, kind, json, name, attachments));
                return Ok(None);
            }
            PacketKind::Event {
                args: Payload::from_scanned(json, Vec::new(), name),
                ack: id,
            }
        }
        PacketType::Ack | PacketType::BinaryAck => {
            let id = id.ok_or(ParseError::MissingAckId)?;
            let name = scan(&json, Shape::Array, attachments)?;
            if packet_type.is_binary() {
                let kind = BinaryKind::Ack { id };
                *pending = Some(PendingBinary::new(namespace, kind, json, name, attachments));
                return Ok(None);
            }
            PacketKind::Ack {
                args: Payload::from_scanned(json, Vec::new(), name),
                id,
            }
        }
    };
    Ok(Some(Packet { namespace, kind }))
}
