//! The `socket.io-msgpack-parser` format (3.x): each packet is one binary Engine.IO message holding
//! a MessagePack map `{type, data, nsp, id}`, types `0` to `4` only; byte values are native `bin`,
//! never attachments.
//!
//! The bytes are written by rmp / rmp-serde. Decoding checks the whole message with a bounded walk
//! ([`walk`]) and keeps `data` as a zero-copy slice of it; typed reads deserialize that slice once,
//! when a handler asks. notepack (the reference's MessagePack library) writes `undefined` as
//! `d4 00 00` and Node's `ArrayBuffer`s and typed arrays as ext type 0: those read as nil and bytes.

mod bridge;
mod walk;

pub(crate) use bridge::{from_encoded, from_packet, to_packet};

use alloc::borrow::Cow;
#[cfg(test)]
use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;

use bytes::Bytes;
use engineio_proto::{Message, Utf8Bytes};
use rmp::Marker;
use serde::{Deserialize, Serialize};

use super::{EncodedPacket, PacketDecoder, ParsedPacket, Parser};
use crate::packet::args::ArgsArray;
use crate::packet::de::SkipFirst;
use crate::packet::{NamespaceName, PacketType};
use walk::{Kind, UNDEFINED, Walker};

/// Limits of the MessagePack decoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsgpackConfig {
    /// Largest message accepted, in bytes (the reference's `maxHttpBufferSize` default is 1 MB).
    pub max_message_bytes: usize,
    /// Deepest nesting of arrays and maps inside `data` (the outer packet map not counted).
    pub max_depth: usize,
}

impl Default for MsgpackConfig {
    fn default() -> Self {
        MsgpackConfig {
            max_message_bytes: 1_000_000,
            max_depth: 64,
        }
    }
}

/// The `socket.io-msgpack-parser` format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MsgpackParser {
    /// The decoder limits of every connection.
    pub config: MsgpackConfig,
}

impl MsgpackParser {
    /// A MessagePack parser whose decoders have these limits.
    pub fn new(config: MsgpackConfig) -> Self {
        MsgpackParser { config }
    }
}

/// Why a message is not a valid MessagePack packet.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MsgpackError {
    /// A text message: this format sends every packet as binary.
    #[error("text message where a MessagePack packet was expected")]
    TextMessage,
    /// The message is larger than the decoder accepts.
    #[error("packet larger than {limit} bytes")]
    TooLarge {
        /// [`MsgpackConfig::max_message_bytes`].
        limit: usize,
    },
    /// Arrays or maps nested deeper than the decoder accepts.
    #[error("data nested deeper than {limit} levels")]
    TooDeep {
        /// [`MsgpackConfig::max_depth`].
        limit: usize,
    },
    /// A value or a length runs past the end of the message.
    #[error("truncated MessagePack value")]
    Truncated,
    /// Bytes after the packet map.
    #[error("bytes after the packet")]
    TrailingBytes,
    /// The byte `0xc1`, which MessagePack never uses.
    #[error("reserved MessagePack marker")]
    ReservedMarker,
    /// An extension type other than 0 (the only one notepack writes).
    #[error("unsupported MessagePack extension type {0}")]
    UnsupportedExtension(i8),
    /// The message is not a map with string keys.
    #[error("packet is not a map")]
    NotAMap,
    /// `type` is missing or not an integer from 0 to 4.
    #[error("invalid packet type")]
    InvalidType,
    /// `nsp` is missing, not a string, or not a namespace (`/` first, no `,`).
    #[error("invalid namespace")]
    InvalidNamespace,
    /// `id` is not a non-negative integer.
    #[error("invalid packet id")]
    InvalidId,
    /// `data` has the wrong shape for the packet type (for instance an event whose data is not an
    /// array starting with a string name).
    #[error("invalid payload for the packet type")]
    InvalidPayload,
    /// An `ACK` without the id of the event it answers.
    #[error("ack without id")]
    MissingAckId,
}

/// A value could not be serialized to MessagePack.
#[derive(Debug, thiserror::Error)]
#[error("cannot serialize packet data: {0}")]
pub struct MsgpackEncodeError(#[from] pub rmp_serde::encode::Error);

/// One encoded packet: a single binary message, shared by every recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MsgpackEncoded(Bytes);

impl MsgpackEncoded {
    /// The MessagePack bytes of the packet.
    pub fn bytes(&self) -> &Bytes {
        &self.0
    }
}

impl EncodedPacket for MsgpackEncoded {
    fn messages(&self) -> impl ExactSizeIterator<Item = Message> + '_ {
        core::iter::once(Message::Binary(self.0.clone()))
    }
}

/// A decoded MessagePack packet; `data` stays MessagePack until read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MsgpackPacket {
    packet_type: PacketType,
    namespace: NamespaceName,
    id: Option<u64>,
    /// The `data` value, extension values already rewritten; `None` when absent or `undefined`.
    data: Option<Bytes>,
    /// An event's name: its bytes in `data`, checked UTF-8.
    name: Option<Range<usize>>,
}

impl MsgpackPacket {
    /// The MessagePack bytes of `data`, if the packet has any.
    pub fn data_bytes(&self) -> Option<&Bytes> {
        self.data.as_ref()
    }

    fn data_slice(&self) -> &[u8] {
        const NIL: &[u8] = &[0xc0];
        self.data.as_deref().unwrap_or(NIL)
    }
}

impl ParsedPacket for MsgpackPacket {
    type ReadError = rmp_serde::decode::Error;

    fn packet_type(&self) -> PacketType {
        self.packet_type
    }

    fn namespace(&self) -> &NamespaceName {
        &self.namespace
    }

    fn ack_id(&self) -> Option<u64> {
        self.id
    }

    fn event_name(&self) -> Option<Cow<'_, str>> {
        let name = self.data.as_deref()?.get(self.name.clone()?)?;
        core::str::from_utf8(name).ok().map(Cow::Borrowed)
    }

    fn event_args<'de, T: Deserialize<'de>>(&'de self) -> Result<T, Self::ReadError> {
        if self.packet_type != PacketType::Event {
            return Err(<Self::ReadError as serde::de::Error>::custom(
                "not an event packet",
            ));
        }
        let mut deserializer = rmp_serde::Deserializer::from_read_ref(self.data_slice());
        T::deserialize(SkipFirst(&mut deserializer))
    }

    fn data<'de, T: Deserialize<'de>>(&'de self) -> Result<T, Self::ReadError> {
        rmp_serde::from_slice(self.data_slice())
    }
}

/// The decoder of one connection: every packet is one message, so it keeps no state.
#[derive(Clone, Copy, Debug, Default)]
pub struct MsgpackDecoder {
    config: MsgpackConfig,
}

impl PacketDecoder for MsgpackDecoder {
    type Packet = MsgpackPacket;
    type Error = MsgpackError;

    fn decode(&mut self, message: Message) -> Result<Option<MsgpackPacket>, MsgpackError> {
        match message {
            Message::Binary(bytes) => decode(&bytes, &self.config).map(Some),
            Message::Text(_) => Err(MsgpackError::TextMessage),
        }
    }

    fn reset(&mut self) {}
}

impl Parser for MsgpackParser {
    type Encoded = MsgpackEncoded;
    type Packet = MsgpackPacket;
    type Decoder = MsgpackDecoder;
    type EncodeError = MsgpackEncodeError;

    fn decoder(&self) -> MsgpackDecoder {
        MsgpackDecoder {
            config: self.config,
        }
    }

    fn encode_event<T: Serialize + ?Sized>(
        &self,
        namespace: &NamespaceName,
        name: &str,
        args: &T,
        ack: Option<u64>,
    ) -> Result<MsgpackEncoded, MsgpackEncodeError> {
        let array = ArgsArray {
            name: Some(name),
            args,
            attachments: None,
        };
        encode(PacketType::Event, namespace, Some(&array), ack)
    }

    fn encode_ack<T: Serialize + ?Sized>(
        &self,
        namespace: &NamespaceName,
        id: u64,
        args: &T,
    ) -> Result<MsgpackEncoded, MsgpackEncodeError> {
        let array = ArgsArray {
            name: None,
            args,
            attachments: None,
        };
        encode(PacketType::Ack, namespace, Some(&array), Some(id))
    }

    fn encode_connect<T: Serialize + ?Sized>(
        &self,
        namespace: &NamespaceName,
        data: Option<&T>,
    ) -> Result<MsgpackEncoded, MsgpackEncodeError> {
        encode(PacketType::Connect, namespace, data, None)
    }

    fn encode_disconnect(&self, namespace: &NamespaceName) -> MsgpackEncoded {
        // Only the map header and two short strings: writing them to a Vec cannot fail.
        encode::<()>(PacketType::Disconnect, namespace, None, None)
            .unwrap_or_else(|_| MsgpackEncoded(Bytes::new()))
    }

    fn encode_connect_error<T: Serialize + ?Sized>(
        &self,
        namespace: &NamespaceName,
        data: &T,
    ) -> Result<MsgpackEncoded, MsgpackEncodeError> {
        encode(PacketType::ConnectError, namespace, Some(data), None)
    }
}

/// `{type, data, nsp, id}` in that order, `data` and `id` left out when absent (as notepack leaves
/// out nothing but the reference's packets never hold them then).
fn encode<T: Serialize + ?Sized>(
    packet_type: PacketType,
    namespace: &NamespaceName,
    data: Option<&T>,
    id: Option<u64>,
) -> Result<MsgpackEncoded, MsgpackEncodeError> {
    let mut out = Vec::with_capacity(32 + namespace.len());
    let fields = 2 + u32::from(data.is_some()) + u32::from(id.is_some());
    let write = rmp_serde::encode::Error::InvalidValueWrite;
    rmp::encode::write_map_len(&mut out, fields).map_err(write)?;
    rmp::encode::write_str(&mut out, "type").map_err(write)?;
    rmp::encode::write_uint(&mut out, packet_type as u64).map_err(write)?;
    if let Some(data) = data {
        rmp::encode::write_str(&mut out, "data").map_err(write)?;
        // Structs as maps, as JavaScript objects are.
        data.serialize(&mut rmp_serde::Serializer::new(&mut out).with_struct_map())?;
    }
    rmp::encode::write_str(&mut out, "nsp").map_err(write)?;
    rmp::encode::write_str(&mut out, namespace.as_str()).map_err(write)?;
    if let Some(id) = id {
        rmp::encode::write_str(&mut out, "id").map_err(write)?;
        rmp::encode::write_uint(&mut out, id).map_err(write)?;
    }
    Ok(MsgpackEncoded(Bytes::from(out)))
}

/// The fields of the packet map as read, before the checks that relate them.
#[derive(Default)]
struct Fields {
    packet_type: Option<u64>,
    namespace: Option<Range<usize>>,
    id: Option<u64>,
    data: Option<(Range<usize>, Kind, bool)>,
}

fn decode(message: &Bytes, config: &MsgpackConfig) -> Result<MsgpackPacket, MsgpackError> {
    read_packet(message, config).map_err(|error| match error {
        // The walk counts the packet map as a level; the limit is stated for `data`.
        MsgpackError::TooDeep { .. } => MsgpackError::TooDeep {
            limit: config.max_depth,
        },
        error => error,
    })
}

fn read_packet(message: &Bytes, config: &MsgpackConfig) -> Result<MsgpackPacket, MsgpackError> {
    if message.len() > config.max_message_bytes {
        return Err(MsgpackError::TooLarge {
            limit: config.max_message_bytes,
        });
    }
    // The packet map is depth 0 and its values depth 1; `max_depth` counts levels inside `data`.
    let mut walker = Walker::new(message, config.max_depth.saturating_add(1));
    let entries = match walker.peek_marker() {
        Some(Marker::FixMap(len)) => {
            walker.take(1)?;
            u64::from(len)
        }
        Some(Marker::Map16) => {
            walker.take(1)?;
            walker.be(2)?
        }
        Some(Marker::Map32) => {
            walker.take(1)?;
            walker.be(4)?
        }
        None => return Err(MsgpackError::Truncated),
        Some(_) => return Err(MsgpackError::NotAMap),
    };
    let mut fields = Fields::default();
    for _ in 0..entries {
        if walker.remaining() == 0 {
            return Err(MsgpackError::Truncated);
        }
        let key = walker.str()?.ok_or(MsgpackError::NotAMap)?;
        let value_start = walker.pos;
        match key {
            b"type" => {
                fields.packet_type = Some(walker.unsigned()?.ok_or(MsgpackError::InvalidType)?)
            }
            b"nsp" => {
                let name = walker.str()?.ok_or(MsgpackError::InvalidNamespace)?;
                let end = walker.pos;
                fields.namespace = Some(end - name.len()..end);
            }
            b"id" => {
                fields.id = if message[value_start..].starts_with(&UNDEFINED) {
                    walker.take(UNDEFINED.len())?;
                    None
                } else {
                    Some(walker.unsigned()?.ok_or(MsgpackError::InvalidId)?)
                };
            }
            b"data" => {
                walker.saw_ext = false;
                let kind = walker.skip(1)?;
                fields.data = Some((value_start..walker.pos, kind, walker.saw_ext));
            }
            // Other keys mean nothing to the reference either.
            _ => {
                walker.skip(1)?;
            }
        }
    }
    if walker.remaining() != 0 {
        return Err(MsgpackError::TrailingBytes);
    }
    packet(message, fields, config)
}

/// Checks the fields against each other and builds the packet.
fn packet(
    message: &Bytes,
    fields: Fields,
    config: &MsgpackConfig,
) -> Result<MsgpackPacket, MsgpackError> {
    let packet_type = match fields.packet_type.ok_or(MsgpackError::InvalidType)? {
        0 => PacketType::Connect,
        1 => PacketType::Disconnect,
        2 => PacketType::Event,
        3 => PacketType::Ack,
        4 => PacketType::ConnectError,
        _ => return Err(MsgpackError::InvalidType),
    };
    let namespace = fields.namespace.ok_or(MsgpackError::InvalidNamespace)?;
    let namespace = Utf8Bytes::try_from_bytes(message.slice(namespace))
        .map_err(|_| MsgpackError::InvalidNamespace)?;
    let namespace = NamespaceName::new(namespace).map_err(|_| MsgpackError::InvalidNamespace)?;
    let (data, kind) = match fields.data {
        None | Some((_, Kind::Undefined, _)) => (None, None),
        Some((range, kind, false)) => (Some(message.slice(range)), Some(kind)),
        Some((range, kind, true)) => {
            let mut out = Vec::with_capacity(range.len());
            Walker::new(&message[range], config.max_depth).rewrite(&mut out)?;
            (Some(Bytes::from(out)), Some(kind))
        }
    };
    let valid = match packet_type {
        PacketType::Connect => matches!(kind, None | Some(Kind::Map)),
        PacketType::Disconnect => kind.is_none(),
        PacketType::ConnectError => matches!(kind, Some(Kind::Map | Kind::Str)),
        _ => matches!(kind, Some(Kind::Array { .. })),
    };
    if !valid {
        return Err(MsgpackError::InvalidPayload);
    }
    let mut name = None;
    match packet_type {
        PacketType::Event => {
            let data = data.as_deref().unwrap_or_default();
            name = Some(event_name(data, config.max_depth).ok_or(MsgpackError::InvalidPayload)?);
        }
        PacketType::Ack if fields.id.is_none() => return Err(MsgpackError::MissingAckId),
        _ => {}
    }
    // The reference accepts an id on any packet; only events and acks have a use for one.
    let id = match packet_type {
        PacketType::Event | PacketType::Ack => fields.id,
        _ => None,
    };
    Ok(MsgpackPacket {
        packet_type,
        namespace,
        id,
        data,
        name,
    })
}

/// The span of the first element of the array `data`, if it is a UTF-8 string.
fn event_name(data: &[u8], max_depth: usize) -> Option<Range<usize>> {
    let mut walker = Walker::new(data, max_depth);
    let len = match walker.peek_marker()? {
        Marker::FixArray(len) => {
            walker.take(1).ok()?;
            u64::from(len)
        }
        Marker::Array16 => {
            walker.take(1).ok()?;
            walker.be(2).ok()?
        }
        Marker::Array32 => {
            walker.take(1).ok()?;
            walker.be(4).ok()?
        }
        _ => return None,
    };
    if len == 0 {
        return None;
    }
    let name = walker.str().ok()??;
    core::str::from_utf8(name).ok()?;
    let end = walker.pos;
    Some(end - name.len()..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_bytes(bytes: &[u8]) -> Result<MsgpackPacket, MsgpackError> {
        decode(&Bytes::copy_from_slice(bytes), &MsgpackConfig::default())
    }

    /// `{type: 2, data: <data>, nsp: "/"}` with `data` given as raw MessagePack.
    fn event_with_data(data: &[u8]) -> Vec<u8> {
        let mut out = alloc::vec![0x83, 0xa4];
        out.extend_from_slice(b"type");
        out.extend_from_slice(&[0x02, 0xa4]);
        out.extend_from_slice(b"data");
        out.extend_from_slice(data);
        out.extend_from_slice(&[0xa3, b'n', b's', b'p', 0xa1, b'/']);
        out
    }

    #[test]
    fn hostile_lengths_are_truncated_not_allocated() {
        // An array announcing 2^32-1 elements, a string announcing 4 GB, a map announcing 65535 entries.
        for data in [
            &[0xdd, 0xff, 0xff, 0xff, 0xff][..],
            &[0x91, 0xdb, 0xff, 0xff, 0xff, 0xff],
            &[0x91, 0xde, 0xff, 0xff],
            &[0x91, 0xc6, 0xff, 0xff, 0xff, 0xff, 0x00],
            &[0x91, 0xc9, 0xff, 0xff, 0xff, 0xff, 0x00],
        ] {
            let message = event_with_data(data);
            // The trailing `nsp` entry is swallowed as elements, then the input ends.
            assert_eq!(
                decode_bytes(&message),
                Err(MsgpackError::Truncated),
                "{data:x?}"
            );
        }
        assert_eq!(
            decode_bytes(&[0xdf, 0xff, 0xff, 0xff, 0xff]),
            Err(MsgpackError::Truncated)
        );
        assert_eq!(decode_bytes(&[]), Err(MsgpackError::Truncated));
    }

    #[test]
    fn nesting_beyond_the_limit_is_refused() {
        let config = MsgpackConfig::default();
        let mut data = alloc::vec![0x92, 0xa1, b'e'];
        data.extend(core::iter::repeat_n(0x91, config.max_depth));
        data.push(0x01);
        assert_eq!(
            decode_bytes(&event_with_data(&data)),
            Err(MsgpackError::TooDeep {
                limit: config.max_depth
            })
        );
        // One level less (the name's array is a level) is accepted and readable.
        let mut data = alloc::vec![0x92, 0xa1, b'e'];
        data.extend(core::iter::repeat_n(0x91, config.max_depth - 1));
        data.push(0x01);
        let packet = decode_bytes(&event_with_data(&data)).unwrap();
        assert_eq!(packet.event_name().as_deref(), Some("e"));
        assert!(packet.data::<serde::de::IgnoredAny>().is_ok());
    }

    #[test]
    fn oversized_messages_are_refused_before_reading() {
        let config = MsgpackConfig {
            max_message_bytes: 8,
            ..MsgpackConfig::default()
        };
        let message = Bytes::from(event_with_data(&[0x91, 0xa1, b'e']));
        assert_eq!(
            decode(&message, &config),
            Err(MsgpackError::TooLarge { limit: 8 })
        );
    }

    #[test]
    fn malformed_packets_have_their_own_errors() {
        let cases: [(&[u8], MsgpackError); 11] = [
            (&[0x92, 0x02, 0xa1, b'/'], MsgpackError::NotAMap),
            (&[0x81, 0x01, 0x02], MsgpackError::NotAMap),
            (
                &[0x81, 0xa3, b'n', b's', b'p', 0xa1, b'/'],
                MsgpackError::InvalidType,
            ),
            (
                &[
                    0x82, 0xa4, b't', b'y', b'p', b'e', 0x05, 0xa3, b'n', b's', b'p', 0xa1, b'/',
                ],
                MsgpackError::InvalidType,
            ),
            (
                &[
                    0x82, 0xa4, b't', b'y', b'p', b'e', 0xff, 0xa3, b'n', b's', b'p', 0xa1, b'/',
                ],
                MsgpackError::InvalidType,
            ),
            (
                &[0x81, 0xa4, b't', b'y', b'p', b'e', 0x01],
                MsgpackError::InvalidNamespace,
            ),
            (
                &[
                    0x82, 0xa4, b't', b'y', b'p', b'e', 0x01, 0xa3, b'n', b's', b'p', 0xa1, b'x',
                ],
                MsgpackError::InvalidNamespace,
            ),
            (
                &[
                    0x82, 0xa4, b't', b'y', b'p', b'e', 0x01, 0xa3, b'n', b's', b'p', 0xa1, b'/',
                    0x00,
                ],
                MsgpackError::TrailingBytes,
            ),
            (
                &[
                    0x82, 0xa4, b't', b'y', b'p', b'e', 0x01, 0xa3, b'n', b's', b'p', 0xc1,
                ],
                MsgpackError::ReservedMarker,
            ),
            (
                &[
                    0x82, 0xa4, b't', b'y', b'p', b'e', 0x01, 0xa3, b'n', b's', b'p', 0xd4, 0x05,
                    0x00,
                ],
                MsgpackError::UnsupportedExtension(5),
            ),
            (
                &[
                    0x82, 0xa4, b't', b'y', b'p', b'e', 0x03, 0xa3, b'n', b's', b'p', 0xa1, b'/',
                ],
                MsgpackError::InvalidPayload,
            ),
        ];
        for (message, error) in cases {
            assert_eq!(decode_bytes(message), Err(error), "{message:x?}");
        }
        // Events need an array starting with a UTF-8 string name.
        for data in [
            &[0x90][..],
            &[0x91, 0x01],
            &[0x81, 0x01, 0x01],
            &[0x91, 0xa1, 0xff],
        ] {
            assert_eq!(
                decode_bytes(&event_with_data(data)),
                Err(MsgpackError::InvalidPayload),
                "{data:x?}"
            );
        }
        // An ack without id.
        let mut ack = event_with_data(&[0x90]);
        ack[6] = 0x03;
        assert_eq!(decode_bytes(&ack), Err(MsgpackError::MissingAckId));
        // Text is never a MessagePack packet.
        let mut decoder = MsgpackParser::default().decoder();
        assert_eq!(
            decoder.decode(Message::Text("42[\"e\"]".into())),
            Err(MsgpackError::TextMessage)
        );
    }

    #[test]
    fn events_round_trip_with_native_binary() {
        let parser = MsgpackParser::default();
        let ns = NamespaceName::new("/a").unwrap();
        let blob = Bytes::from_static(b"\x00\xff");
        let encoded = parser
            .encode_event(&ns, "ev", &("x", &blob, [1u8, 2]), Some(u64::MAX))
            .unwrap();
        let mut decoder = parser.decoder();
        let message = encoded.messages().next().unwrap();
        let packet = decoder.decode(message).unwrap().unwrap();
        assert_eq!(packet.ack_id(), Some(u64::MAX));
        assert_eq!(packet.event_name().as_deref(), Some("ev"));
        let (text, bytes, pair): (String, Bytes, [u8; 2]) = packet.event_args().unwrap();
        assert_eq!((text.as_str(), bytes, pair), ("x", blob, [1, 2]));
        // `()` arguments read from any event.
        packet.event_args::<()>().unwrap();
        assert!(packet.data::<(String, u8)>().is_err());
    }
}
