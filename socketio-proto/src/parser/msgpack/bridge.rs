//! Between this format and the packet model the connection machines work on ([`Packet`], whose
//! payloads are JSON with attachment placeholders).
//!
//! A `bin` value becomes an attachment and its placeholder, and back: a handler reads the same
//! arguments, bytes included, whichever format the connection speaks. The data goes through a
//! [`Tree`] on the way, bounded by the decoder's depth limit on input and by serde_json's recursion
//! limit on output.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use bytes::Bytes;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::{MsgpackEncodeError, MsgpackError, MsgpackPacket, encode};
use crate::packet::{Encoded, Packet, PacketKind, PacketType, Payload, RawJson, placeholder};
use crate::parser::ParsedPacket;

/// Reads a decoded MessagePack packet as the machines' [`Packet`].
pub(crate) fn to_packet(packet: &MsgpackPacket) -> Result<Packet, MsgpackError> {
    let namespace = packet.namespace().clone();
    let data = || -> Result<Option<Tree>, MsgpackError> {
        match packet.data_bytes() {
            None => Ok(None),
            Some(_) => packet
                .data::<Tree>()
                .map(Some)
                .map_err(|_| MsgpackError::InvalidPayload),
        }
    };
    let raw = |tree: Option<Tree>| -> Result<Option<RawJson>, MsgpackError> {
        tree.map(|tree| RawJson::from_serialize(&tree).map_err(|_| MsgpackError::InvalidPayload))
            .transpose()
    };
    let args = |tree: Option<Tree>| -> Result<Payload, MsgpackError> {
        match tree {
            Some(Tree::Array(items)) => {
                Payload::new(&items).map_err(|_| MsgpackError::InvalidPayload)
            }
            _ => Err(MsgpackError::InvalidPayload),
        }
    };
    let kind = match packet.packet_type() {
        PacketType::Connect => PacketKind::Connect(raw(data()?)?),
        PacketType::Disconnect => PacketKind::Disconnect,
        PacketType::Event | PacketType::BinaryEvent => PacketKind::Event {
            args: args(data()?)?,
            ack: packet.ack_id(),
        },
        PacketType::Ack | PacketType::BinaryAck => PacketKind::Ack {
            args: args(data()?)?,
            id: packet.ack_id().ok_or(MsgpackError::MissingAckId)?,
        },
        PacketType::ConnectError => {
            PacketKind::ConnectError(raw(data()?)?.ok_or(MsgpackError::InvalidPayload)?)
        }
    };
    Ok(Packet { namespace, kind })
}

/// Writes a packet of the machines as one MessagePack message.
pub(crate) fn from_packet(packet: &Packet) -> Result<Bytes, MsgpackEncodeError> {
    let namespace = &packet.namespace;
    let encoded = match &packet.kind {
        PacketKind::Connect(data) => {
            let data = data.as_ref().map(json_tree).transpose()?;
            encode(PacketType::Connect, namespace, data.as_ref(), None)
        }
        PacketKind::Disconnect => encode::<Tree>(PacketType::Disconnect, namespace, None, None),
        PacketKind::Event { args, ack } => {
            let data = payload_tree(args)?;
            encode(PacketType::Event, namespace, Some(&data), *ack)
        }
        PacketKind::Ack { args, id } => {
            let data = payload_tree(args)?;
            encode(PacketType::Ack, namespace, Some(&data), Some(*id))
        }
        PacketKind::ConnectError(data) => encode(
            PacketType::ConnectError,
            namespace,
            Some(&json_tree(data)?),
            None,
        ),
    };
    Ok(encoded?.0)
}

/// Writes a packet encoded for the JSON format as one MessagePack message (a broadcast is encoded
/// once, then written once per format).
pub(crate) fn from_encoded(encoded: &Encoded) -> Result<Bytes, MsgpackEncodeError> {
    let config = crate::packet::DecoderConfig {
        max_attachments: encoded.attachments.len(),
    };
    let mut decoder = crate::packet::Decoder::new(config);
    let mut packet = decoder.decode_text(encoded.text.clone()).map_err(invalid)?;
    for attachment in &encoded.attachments {
        packet = decoder.decode_binary(attachment.clone()).map_err(invalid)?;
    }
    from_packet(&packet.ok_or_else(|| invalid("attachments missing"))?)
}

fn invalid(error: impl fmt::Display) -> MsgpackEncodeError {
    MsgpackEncodeError(<rmp_serde::encode::Error as serde::ser::Error>::custom(
        error,
    ))
}

fn json_tree(json: &RawJson) -> Result<Tree, MsgpackEncodeError> {
    json.deserialize::<Tree>().map_err(invalid)
}

/// The payload's JSON with each placeholder replaced by its attachment.
fn payload_tree(payload: &Payload) -> Result<Tree, MsgpackEncodeError> {
    let mut tree = payload.deserialize::<Tree>().map_err(invalid)?;
    if payload.has_attachments() {
        tree.resolve_placeholders(payload.attachments());
    }
    Ok(tree)
}

/// A MessagePack or JSON value, with binary kept as bytes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tree {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
    Bin(Bytes),
    Array(Vec<Tree>),
    Map(Vec<(Tree, Tree)>),
}

impl Tree {
    fn resolve_placeholders(&mut self, attachments: &[Bytes]) {
        match self {
            Tree::Array(items) => items
                .iter_mut()
                .for_each(|item| item.resolve_placeholders(attachments)),
            Tree::Map(entries) => {
                if let Some(index) = placeholder_index(entries) {
                    if let Some(bytes) = attachments.get(index) {
                        *self = Tree::Bin(bytes.clone());
                        return;
                    }
                }
                entries
                    .iter_mut()
                    .for_each(|(_, value)| value.resolve_placeholders(attachments));
            }
            _ => {}
        }
    }
}

/// The index of `{"_placeholder":true,"num":n}`, as [`placeholder::placeholder_index`] reads it.
fn placeholder_index(entries: &[(Tree, Tree)]) -> Option<usize> {
    if entries.len() != 2 {
        return None;
    }
    let mut flag = false;
    let mut num = None;
    for (key, value) in entries {
        match (key, value) {
            (Tree::Str(key), Tree::Bool(true)) if key == placeholder::FLAG => flag = true,
            (Tree::Str(key), Tree::Uint(n)) if key == placeholder::NUM => {
                num = usize::try_from(*n).ok()
            }
            (Tree::Str(key), Tree::Int(n)) if key == placeholder::NUM => {
                num = usize::try_from(*n).ok()
            }
            _ => return None,
        }
    }
    num.filter(|_| flag)
}

impl Serialize for Tree {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Tree::Null => serializer.serialize_unit(),
            Tree::Bool(value) => serializer.serialize_bool(*value),
            Tree::Int(value) => serializer.serialize_i64(*value),
            Tree::Uint(value) => serializer.serialize_u64(*value),
            Tree::Float(value) => serializer.serialize_f64(*value),
            Tree::Str(value) => serializer.serialize_str(value),
            Tree::Bin(value) => serializer.serialize_bytes(value),
            Tree::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Tree::Map(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Tree {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TreeVisitor)
    }
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = Tree;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_unit<E>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }

    fn visit_none<E>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Tree, D::Error> {
        Tree::deserialize(deserializer)
    }

    fn visit_bool<E>(self, value: bool) -> Result<Tree, E> {
        Ok(Tree::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Tree, E> {
        Ok(Tree::Int(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Tree, E> {
        Ok(Tree::Uint(value))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Tree, E> {
        Ok(Tree::Float(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Tree, E> {
        Ok(Tree::Str(value.into()))
    }

    fn visit_string<E>(self, value: String) -> Result<Tree, E> {
        Ok(Tree::Str(value))
    }

    fn visit_bytes<E: de::Error>(self, value: &[u8]) -> Result<Tree, E> {
        Ok(Tree::Bin(Bytes::copy_from_slice(value)))
    }

    fn visit_byte_buf<E>(self, value: Vec<u8>) -> Result<Tree, E> {
        Ok(Tree::Bin(Bytes::from(value)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tree, A::Error> {
        // A hint from the input is not trusted beyond a small reservation.
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(16));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Tree::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tree, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(16));
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Tree::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use serde_json::json;

    use super::{from_encoded, from_packet, to_packet};
    use crate::packet::{Encoded, NamespaceName, Packet, PacketKind, Payload, RawJson};
    use crate::parser::{MsgpackParser, PacketDecoder, Parser};

    fn round_trip(packet: &Packet) -> Packet {
        let bytes = from_packet(packet).unwrap();
        let decoded = MsgpackParser::default()
            .decoder()
            .decode(engineio_proto::Message::Binary(bytes))
            .unwrap()
            .unwrap();
        to_packet(&decoded).unwrap()
    }

    #[test]
    fn binary_arguments_become_attachments_and_back() {
        let args = Payload::event(
            "upload",
            &(
                Bytes::from_static(b"\x01\x02"),
                json!({"nested": [1, "two"]}),
                Bytes::from_static(b"\xff"),
            ),
        )
        .unwrap();
        let namespace = NamespaceName::new("/files").unwrap();
        let packet = Packet::event(namespace, args.clone(), Some(7));
        let back = round_trip(&packet);
        let PacketKind::Event {
            args: back_args,
            ack,
        } = &back.kind
        else {
            panic!("not an event: {back:?}");
        };
        assert_eq!(*ack, Some(7));
        assert_eq!(back.namespace.as_str(), "/files");
        assert_eq!(back_args.attachments(), args.attachments());
        let (first, nested, last): (Bytes, serde_json::Value, Bytes) =
            back_args.event_args().unwrap();
        assert_eq!(first.as_ref(), b"\x01\x02");
        assert_eq!(nested, json!({"nested": [1, "two"]}));
        assert_eq!(last.as_ref(), b"\xff");
    }

    #[test]
    fn control_packets_keep_their_data() {
        let main = NamespaceName::main();
        for packet in [
            Packet::connect(
                main.clone(),
                Some(RawJson::new(r#"{"sid":"abc","pid":"x"}"#).unwrap()),
            ),
            Packet::connect(main.clone(), None),
            Packet::disconnect(main.clone()),
            Packet::connect_error(
                main.clone(),
                RawJson::new(r#"{"message":"no","data":{"code":4.5}}"#).unwrap(),
            ),
            Packet::ack(main.clone(), 3, Payload::new(&("ok", -1)).unwrap()),
        ] {
            let back = round_trip(&packet);
            assert_eq!(
                serde_json::to_string(&back.kind_json()).unwrap(),
                serde_json::to_string(&packet.kind_json()).unwrap()
            );
            assert_eq!(back.packet_type(), packet.packet_type());
        }
    }

    #[test]
    fn an_encoded_broadcast_is_written_once_as_msgpack() {
        let namespace = NamespaceName::main();
        let encoded =
            Encoded::event(&namespace, "news", &(Bytes::from_static(b"zip"), 1), None).unwrap();
        let bytes = from_encoded(&encoded).unwrap();
        let packet = Packet::event(
            namespace,
            Payload::event("news", &(Bytes::from_static(b"zip"), 1)).unwrap(),
            None,
        );
        assert_eq!(bytes, from_packet(&packet).unwrap());
    }

    impl Packet {
        /// The packet's data as JSON values, attachments as their bytes, to compare packets.
        fn kind_json(&self) -> serde_json::Value {
            match &self.kind {
                PacketKind::Connect(data) => json!(["connect", data.as_ref().map(|d| d.as_str())]),
                PacketKind::Disconnect => json!(["disconnect"]),
                PacketKind::Event { args, ack } => json!(["event", args.json().as_str(), ack]),
                PacketKind::Ack { args, id } => json!(["ack", args.json().as_str(), id]),
                PacketKind::ConnectError(data) => {
                    let value: serde_json::Value = data.deserialize().unwrap();
                    json!(["error", value])
                }
            }
        }
    }
}
