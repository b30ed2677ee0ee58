//! The default parser: the JSON codec of [`crate::packet`], seen through the parser traits.
//!
//! Each method forwards to the codec's own types (`Decoder`, `Encoded`, `Packet`), which implement
//! the traits directly: no wrapper, no extra allocation or copy on the JSON path.

use alloc::borrow::Cow;

use engineio_proto::Message;
use serde::de::Error as _;
use serde::{Deserialize, Serialize};

use super::{EncodedPacket, PacketDecoder, ParsedPacket, Parser};
use crate::packet::{
    Decoder, DecoderConfig, EncodeError, Encoded, NamespaceName, Packet, PacketKind, PacketType,
    ParseError, RawJson,
};

/// The default Socket.IO parser: text packets with JSON data, binary values as attachments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JsonParser {
    /// The decoder limits of every connection.
    pub decoder: DecoderConfig,
}

impl JsonParser {
    /// A JSON parser whose decoders have these limits.
    pub fn new(decoder: DecoderConfig) -> Self {
        JsonParser { decoder }
    }
}

impl Parser for JsonParser {
    type Encoded = Encoded;
    type Packet = Packet;
    type Decoder = Decoder;
    type EncodeError = EncodeError;

    fn decoder(&self) -> Decoder {
        Decoder::new(self.decoder)
    }

    #[inline]
    fn encode_event<T: Serialize + ?Sized>(
        &self,
        namespace: &NamespaceName,
        name: &str,
        args: &T,
        ack: Option<u64>,
    ) -> Result<Encoded, EncodeError> {
        Encoded::event(namespace, name, args, ack)
    }

    #[inline]
    fn encode_ack<T: Serialize + ?Sized>(
        &self,
        namespace: &NamespaceName,
        id: u64,
        args: &T,
    ) -> Result<Encoded, EncodeError> {
        Encoded::ack(namespace, id, args)
    }

    fn encode_connect<T: Serialize + ?Sized>(
        &self,
        namespace: &NamespaceName,
        data: Option<&T>,
    ) -> Result<Encoded, EncodeError> {
        let data = data.map(RawJson::from_serialize).transpose()?;
        Ok(Packet::connect(namespace.clone(), data).encode())
    }

    fn encode_disconnect(&self, namespace: &NamespaceName) -> Encoded {
        Packet::disconnect(namespace.clone()).encode()
    }

    fn encode_connect_error<T: Serialize + ?Sized>(
        &self,
        namespace: &NamespaceName,
        data: &T,
    ) -> Result<Encoded, EncodeError> {
        let data = RawJson::from_serialize(data)?;
        Ok(Packet::connect_error(namespace.clone(), data).encode())
    }
}

impl EncodedPacket for Encoded {
    #[inline]
    fn messages(&self) -> impl ExactSizeIterator<Item = Message> + '_ {
        Encoded::messages(self)
    }
}

impl PacketDecoder for Decoder {
    type Packet = Packet;
    type Error = ParseError;

    #[inline]
    fn decode(&mut self, message: Message) -> Result<Option<Packet>, ParseError> {
        match message {
            Message::Text(text) => self.decode_text(text),
            Message::Binary(attachment) => self.decode_binary(attachment),
        }
    }

    fn reset(&mut self) {
        Decoder::reset(self);
    }
}

impl ParsedPacket for Packet {
    type ReadError = serde_json::Error;

    #[inline]
    fn packet_type(&self) -> PacketType {
        Packet::packet_type(self)
    }

    #[inline]
    fn namespace(&self) -> &NamespaceName {
        &self.namespace
    }

    #[inline]
    fn ack_id(&self) -> Option<u64> {
        match self.kind {
            PacketKind::Event { ack, .. } => ack,
            PacketKind::Ack { id, .. } => Some(id),
            _ => None,
        }
    }

    #[inline]
    fn event_name(&self) -> Option<Cow<'_, str>> {
        Packet::event_name(self)
    }

    fn event_args<'de, T: Deserialize<'de>>(&'de self) -> Result<T, serde_json::Error> {
        match &self.kind {
            PacketKind::Event { args, .. } => args.event_args(),
            _ => Err(serde_json::Error::custom("not an event packet")),
        }
    }

    fn data<'de, T: Deserialize<'de>>(&'de self) -> Result<T, serde_json::Error> {
        match &self.kind {
            PacketKind::Event { args, .. } | PacketKind::Ack { args, .. } => args.deserialize(),
            PacketKind::Connect(Some(data)) | PacketKind::ConnectError(data) => data.deserialize(),
            PacketKind::Connect(None) | PacketKind::Disconnect => serde_json::from_str("null"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::vec::Vec;
    use bytes::Bytes;

    /// Encodes with the parser, then decodes every message with a fresh decoder.
    fn round_trip(encoded: &Encoded) -> Packet {
        let mut decoder = JsonParser::default().decoder();
        let mut packet = None;
        for message in encoded.messages() {
            packet = PacketDecoder::decode(&mut decoder, message).unwrap();
        }
        packet.unwrap()
    }

    #[test]
    fn json_parser_round_trips_events_with_binary() {
        let parser = JsonParser::default();
        let ns = NamespaceName::new("/chat").unwrap();
        let blob = Bytes::from_static(b"\x00\x01");
        let encoded = parser
            .encode_event(&ns, "up", &("a", &blob), Some(7))
            .unwrap();
        assert_eq!(encoded.messages().len(), 2);
        let packet = round_trip(&encoded);
        assert_eq!(ParsedPacket::packet_type(&packet), PacketType::BinaryEvent);
        assert_eq!(ParsedPacket::namespace(&packet).as_str(), "/chat");
        assert_eq!(packet.ack_id(), Some(7));
        assert_eq!(ParsedPacket::event_name(&packet).as_deref(), Some("up"));
        let (text, bytes): (String, Bytes) = packet.event_args().unwrap();
        assert_eq!((text.as_str(), bytes), ("a", blob));
    }

    #[test]
    fn json_parser_encodes_control_packets() {
        let parser = JsonParser::default();
        let ns = NamespaceName::main();
        let sid = alloc::collections::BTreeMap::from([("sid", "x1")]);
        let connect = parser.encode_connect(&ns, Some(&sid)).unwrap();
        let packet = round_trip(&connect);
        let read: alloc::collections::BTreeMap<String, String> = packet.data().unwrap();
        assert_eq!(read["sid"], "x1");
        let packet = round_trip(&parser.encode_disconnect(&ns));
        assert_eq!(packet.data::<Option<u8>>().unwrap(), None);
        let error = parser.encode_connect_error(&ns, &"nope").unwrap();
        let texts: Vec<Message> = error.messages().collect();
        assert_eq!(texts, [Message::Text("4\"nope\"".into())]);
        let ack = round_trip(&parser.encode_ack(&ns, 3, &(1, 2)).unwrap());
        assert_eq!(ack.ack_id(), Some(3));
        assert_eq!(ack.data::<(u8, u8)>().unwrap(), (1, 2));
    }
}
