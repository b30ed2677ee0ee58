//! The format a connection speaks on the wire, for the connection machines.
//!
//! The machines work on one packet model ([`Packet`], JSON payloads with attachment placeholders,
//! [`Encoded`] for what they send). A [`PacketFormat`] says how that model travels: as the text and
//! binary messages of the default parser, or, with feature `msgpack`, as the one binary message per
//! packet of `socket.io-msgpack-parser`. Each connection holds a [`WireCodec`] made from it.

use core::fmt;

use bytes::Bytes;
use engineio_proto::Message;

use serde::Serialize;

use crate::packet::{Decoder, DecoderConfig, Encoded, NamespaceName, Packet, ParseError};
#[cfg(feature = "msgpack")]
use crate::parser::{MsgpackConfig, MsgpackDecoder, MsgpackError, PacketDecoder, Parser};

/// Which parser the connections of a server or a client speak (the reference's `parser` option).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PacketFormat {
    /// The default parser: JSON text, binary values as attachments.
    #[default]
    Json,
    /// `socket.io-msgpack-parser`: one MessagePack message per packet, binary values inline.
    #[cfg(feature = "msgpack")]
    Msgpack(MsgpackConfig),
}

impl PacketFormat {
    /// `socket.io-msgpack-parser` with the default limits.
    #[cfg(feature = "msgpack")]
    pub fn msgpack() -> Self {
        PacketFormat::Msgpack(MsgpackConfig::default())
    }

    /// Whether this is the default JSON parser.
    pub fn is_json(&self) -> bool {
        matches!(self, PacketFormat::Json)
    }

    /// Writes a packet encoded by [`Encoded`] in this format. Done once for a broadcast, whatever
    /// the number of recipients.
    pub fn frame(&self, encoded: Encoded) -> Result<WirePacket, FrameError> {
        match self {
            PacketFormat::Json => Ok(WirePacket::Json(encoded)),
            #[cfg(feature = "msgpack")]
            PacketFormat::Msgpack(_) => crate::parser::msgpack::from_encoded(&encoded)
                .map(WirePacket::Single)
                .map_err(|error| FrameError(alloc::format!("{error}"))),
        }
    }

    /// An event straight from serializable arguments (spread as for
    /// [`Payload::new`](crate::packet::Payload::new)) in this format: for msgpack without going
    /// through JSON, byte values as `bin`. What an emit or a broadcast sends.
    pub fn encode_event<T: Serialize + ?Sized>(
        &self,
        namespace: &NamespaceName,
        name: &str,
        args: &T,
        ack: Option<u64>,
    ) -> Result<WirePacket, FrameError> {
        match self {
            PacketFormat::Json => Encoded::event(namespace, name, args, ack)
                .map(WirePacket::Json)
                .map_err(|error| FrameError(alloc::format!("{error}"))),
            #[cfg(feature = "msgpack")]
            PacketFormat::Msgpack(config) => Parser::encode_event(
                &crate::parser::MsgpackParser::new(*config),
                namespace,
                name,
                args,
                ack,
            )
            .map(|encoded| WirePacket::Single(encoded.bytes().clone()))
            .map_err(|error| FrameError(alloc::format!("{error}"))),
        }
    }

    /// [`frame`](Self::frame) for a packet not encoded yet.
    pub fn frame_packet(&self, packet: &Packet) -> Result<WirePacket, FrameError> {
        match self {
            PacketFormat::Json => Ok(WirePacket::Json(packet.encode())),
            #[cfg(feature = "msgpack")]
            PacketFormat::Msgpack(_) => crate::parser::msgpack::from_packet(packet)
                .map(WirePacket::Single)
                .map_err(|error| FrameError(alloc::format!("{error}"))),
        }
    }
}

/// A packet written in a connection's format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WirePacket {
    /// The default parser's text message and attachments.
    Json(Encoded),
    /// One binary message (`socket.io-msgpack-parser`).
    Single(Bytes),
}

impl WirePacket {
    /// The messages to send, in order; cloning them shares the bytes.
    pub fn messages(&self) -> WireMessages<'_> {
        match self {
            WirePacket::Json(encoded) => WireMessages::Json {
                text: Some(encoded),
                attachments: encoded.attachments.iter(),
            },
            WirePacket::Single(bytes) => WireMessages::Single(Some(bytes)),
        }
    }
}

/// The messages of a [`WirePacket`].
#[derive(Debug)]
pub enum WireMessages<'a> {
    #[doc(hidden)]
    Json {
        text: Option<&'a Encoded>,
        attachments: core::slice::Iter<'a, Bytes>,
    },
    #[doc(hidden)]
    Single(Option<&'a Bytes>),
}

impl Iterator for WireMessages<'_> {
    type Item = Message;

    fn next(&mut self) -> Option<Message> {
        match self {
            WireMessages::Json { text, attachments } => match text.take() {
                Some(encoded) => Some(Message::Text(encoded.text.clone())),
                None => attachments.next().cloned().map(Message::Binary),
            },
            WireMessages::Single(bytes) => bytes.take().cloned().map(Message::Binary),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let len = match self {
            WireMessages::Json { text, attachments } => {
                usize::from(text.is_some()) + attachments.len()
            }
            WireMessages::Single(bytes) => usize::from(bytes.is_some()),
        };
        (len, Some(len))
    }
}

impl ExactSizeIterator for WireMessages<'_> {}

/// A packet the application built cannot be written in the connection's format (a number
/// MessagePack cannot hold, a map key that is not a string or a number).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameError(alloc::string::String);

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot write the packet in this format: {}", self.0)
    }
}

impl core::error::Error for FrameError {}

/// One connection's side of its [`PacketFormat`]: decodes its messages into packets.
#[derive(Debug)]
pub enum WireCodec {
    /// The default parser's decoder, which holds a binary packet until its attachments arrive.
    Json(Decoder),
    /// `socket.io-msgpack-parser`'s, which keeps no state.
    #[cfg(feature = "msgpack")]
    Msgpack(MsgpackDecoder),
}

impl WireCodec {
    /// The codec of `format`; `json` limits the JSON decoder (the MessagePack one has its own).
    pub fn new(format: PacketFormat, json: DecoderConfig) -> Self {
        match format {
            PacketFormat::Json => WireCodec::Json(Decoder::new(json)),
            #[cfg(feature = "msgpack")]
            PacketFormat::Msgpack(config) => {
                WireCodec::Msgpack(crate::parser::MsgpackParser::new(config).decoder())
            }
        }
    }

    /// Takes one message: `Some` packet once complete.
    pub fn decode(&mut self, message: Message) -> Result<Option<Packet>, WireError> {
        match self {
            WireCodec::Json(decoder) => match message {
                Message::Text(text) => decoder.decode_text(text),
                Message::Binary(bytes) => decoder.decode_binary(bytes),
            }
            .map_err(WireError::Json),
            #[cfg(feature = "msgpack")]
            WireCodec::Msgpack(decoder) => match decoder.decode(message) {
                Ok(Some(packet)) => crate::parser::msgpack::to_packet(&packet)
                    .map(Some)
                    .map_err(WireError::Msgpack),
                Ok(None) => Ok(None),
                Err(error) => Err(WireError::Msgpack(error)),
            },
        }
    }

    /// Drops a partially received packet.
    pub fn reset(&mut self) {
        match self {
            WireCodec::Json(decoder) => decoder.reset(),
            #[cfg(feature = "msgpack")]
            WireCodec::Msgpack(decoder) => decoder.reset(),
        }
    }
}

/// Why a message is not a valid packet in the connection's format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WireError {
    /// The default parser's error.
    Json(ParseError),
    /// `socket.io-msgpack-parser`'s.
    #[cfg(feature = "msgpack")]
    Msgpack(MsgpackError),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Json(error) => error.fmt(f),
            #[cfg(feature = "msgpack")]
            WireError::Msgpack(error) => error.fmt(f),
        }
    }
}

impl core::error::Error for WireError {}
