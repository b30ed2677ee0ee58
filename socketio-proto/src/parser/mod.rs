//! The parser seam: how Socket.IO packets become Engine.IO messages and back.
//!
//! The reference lets an application bring its own parser (the `parser` option of the server and
//! the client). Here a parser is a [`Parser`]: it encodes packets from serializable values into an
//! [`EncodedPacket`] (cheap to clone, so one encoding serves every recipient of a broadcast), and
//! makes one [`PacketDecoder`] per connection, whose packets expose the routing fields and typed
//! reads of their data ([`ParsedPacket`]). Byte values (`bytes::Bytes`, `&[u8]` fields) are binary
//! in either direction, whatever the format does with them on the wire.
//!
//! [`JsonParser`] is the default format and a zero-cost view of the codec in [`crate::packet`]:
//! every method forwards to it, so the JSON path keeps its routing scan and framed buffers.
//! [`MsgpackParser`] (feature `msgpack`) speaks `socket.io-msgpack-parser`.
//!
//! The traits are generic (serde values go through type parameters), so a parser is chosen with a
//! type parameter, not a trait object.

use alloc::borrow::Cow;
use core::fmt;

use engineio_proto::Message;
use serde::{Deserialize, Serialize};

use crate::packet::{NamespaceName, PacketType};

mod json;
#[cfg(feature = "msgpack")]
mod msgpack;
mod wire;

pub use json::JsonParser;
#[cfg(feature = "msgpack")]
pub use msgpack::{
    MsgpackConfig, MsgpackDecoder, MsgpackEncodeError, MsgpackEncoded, MsgpackError, MsgpackPacket,
    MsgpackParser,
};
pub use wire::{FrameError, PacketFormat, WireCodec, WireError, WireMessages, WirePacket};

/// A packet format: encoding from serializable values, and a decoder per connection.
pub trait Parser: Clone + fmt::Debug + Send + Sync + 'static {
    /// An encoded packet, ready to be sent to any number of connections.
    type Encoded: EncodedPacket;
    /// A decoded packet.
    type Packet: ParsedPacket;
    /// The per-connection decoder.
    type Decoder: PacketDecoder<Packet = Self::Packet>;
    /// Why a value could not be encoded.
    type EncodeError: fmt::Debug + fmt::Display;

    /// A decoder for one connection, with this parser's limits.
    fn decoder(&self) -> Self::Decoder;

    /// An event `[name, ...args]`: a sequence or tuple of arguments is spread, `()` adds none, any
    /// other value is one argument; with `ack`, the id the sender waits for.
    fn encode_event<T: Serialize + ?Sized>(
        &self,
        namespace: &NamespaceName,
        name: &str,
        args: &T,
        ack: Option<u64>,
    ) -> Result<Self::Encoded, Self::EncodeError>;

    /// The acknowledgement of event `id`, `args` spread as for [`encode_event`](Self::encode_event).
    fn encode_ack<T: Serialize + ?Sized>(
        &self,
        namespace: &NamespaceName,
        id: u64,
        args: &T,
    ) -> Result<Self::Encoded, Self::EncodeError>;

    /// `CONNECT`, with the client's auth or the server's `{"sid":..}`.
    fn encode_connect<T: Serialize + ?Sized>(
        &self,
        namespace: &NamespaceName,
        data: Option<&T>,
    ) -> Result<Self::Encoded, Self::EncodeError>;

    /// `DISCONNECT`.
    fn encode_disconnect(&self, namespace: &NamespaceName) -> Self::Encoded;

    /// `CONNECT_ERROR` with its data (`{"message":..,"data":..}`).
    fn encode_connect_error<T: Serialize + ?Sized>(
        &self,
        namespace: &NamespaceName,
        data: &T,
    ) -> Result<Self::Encoded, Self::EncodeError>;
}

/// An encoded packet: the Engine.IO messages that carry it, in order.
pub trait EncodedPacket: Clone + fmt::Debug + Send + Sync {
    /// The messages to send, in order; cloning them shares the bytes.
    fn messages(&self) -> impl ExactSizeIterator<Item = Message> + '_;
}

/// Turns the Engine.IO messages of one connection into packets.
///
/// After an error the decoder holds no partial packet; the connection is expected to be closed.
pub trait PacketDecoder: Send {
    /// A decoded packet.
    type Packet: ParsedPacket;
    /// Why a message is not a valid packet.
    type Error: fmt::Debug + fmt::Display;

    /// Takes one message: `Some` packet when one is complete, `None` when more messages are needed
    /// (binary attachments still to come).
    fn decode(&mut self, message: Message) -> Result<Option<Self::Packet>, Self::Error>;

    /// Drops any partially received packet.
    fn reset(&mut self);
}

/// What routing and handlers read from a decoded packet.
pub trait ParsedPacket: fmt::Debug + Send {
    /// Why the data could not be read as the asked type.
    type ReadError: fmt::Debug + fmt::Display;

    /// The packet type; a format with native binary reports only the types `0` to `4`.
    fn packet_type(&self) -> PacketType;

    /// The namespace it belongs to.
    fn namespace(&self) -> &NamespaceName;

    /// The ack id: the one an event waits for, or the one an ack answers.
    fn ack_id(&self) -> Option<u64>;

    /// An event's name (borrowed where the format allows); `None` for other packets.
    fn event_name(&self) -> Option<Cow<'_, str>>;

    /// An event's arguments, without the name, as `T`; extra arguments are ignored.
    fn event_args<'de, T: Deserialize<'de>>(&'de self) -> Result<T, Self::ReadError>;

    /// The whole data as `T`: an event's `[name, ...args]`, an ack's `[...args]`, the `CONNECT`
    /// auth or sid object, the `CONNECT_ERROR` object. Packets without data read as `null`.
    fn data<'de, T: Deserialize<'de>>(&'de self) -> Result<T, Self::ReadError>;
}
