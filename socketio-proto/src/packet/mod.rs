//! Socket.IO packets: codec and binary attachments.
//!
//! Text form, carried in one Engine.IO message:
//! `<type digit>[<attachment count>-][<namespace>,][<ack id>][<JSON payload>]`, the namespace left out
//! when it is the main one (`/`). Each binary attachment follows as its own binary Engine.IO message;
//! in the JSON it is replaced by `{"_placeholder":true,"num":<index>}`.
//!
//! - [`Packet`] with [`PacketKind`]: what a packet says. Payloads stay raw JSON ([`Payload`],
//!   [`RawJson`]) sliced out of the frame; routing needs only the kind, namespace, ack id and
//!   [`Payload::event_name`]. Typed access goes through serde ([`Payload::deserialize`],
//!   [`Payload::event_args`]), where a byte field (`bytes::Bytes`, `&[u8]`) receives its attachment.
//! - Encoding: [`Packet::encode`] or, straight from serializable values into one buffer,
//!   [`Encoded::event`] / [`Encoded::ack`]. An [`Encoded`] packet is cheap to clone for many recipients.
//! - Decoding: one [`Decoder`] per connection, fed text and binary messages; it holds a binary packet
//!   until its attachments have arrived. Malformed input is a [`ParseError`], never a panic.

pub(crate) mod args;
mod binary;
pub(crate) mod de;
mod decode;
mod encode;
mod error;
mod name;
mod namespace;
mod payload;
pub(crate) mod placeholder;
mod reserved;
mod scan;
mod ser;

pub use decode::{Decoder, DecoderConfig};
pub use encode::Encoded;
pub use error::{EncodeError, InvalidNamespace, ParseError};
pub use namespace::NamespaceName;
pub use payload::{Payload, RawJson};
pub use placeholder::{placeholder, placeholder_index};
pub use reserved::{RESERVED_EVENTS, is_reserved_event};

use alloc::borrow::Cow;

/// The packet type digit on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketType {
    /// `0`: connect to a namespace (client, with optional auth) or accept it (server, with the sid).
    Connect = 0,
    /// `1`: leave a namespace.
    Disconnect = 1,
    /// `2`: an event without binary attachments.
    Event = 2,
    /// `3`: an acknowledgement without binary attachments.
    Ack = 3,
    /// `4`: the server refuses a namespace connection.
    ConnectError = 4,
    /// `5`: an event with binary attachments.
    BinaryEvent = 5,
    /// `6`: an acknowledgement with binary attachments.
    BinaryAck = 6,
}

impl PacketType {
    /// The type for an ASCII digit `'0'..='6'`.
    pub fn from_digit(digit: u8) -> Option<Self> {
        Some(match digit {
            b'0' => PacketType::Connect,
            b'1' => PacketType::Disconnect,
            b'2' => PacketType::Event,
            b'3' => PacketType::Ack,
            b'4' => PacketType::ConnectError,
            b'5' => PacketType::BinaryEvent,
            b'6' => PacketType::BinaryAck,
            _ => return None,
        })
    }

    /// The ASCII digit.
    pub fn digit(self) -> u8 {
        b'0' + self as u8
    }

    /// Whether packets of this type announce an attachment count.
    pub fn is_binary(self) -> bool {
        matches!(self, PacketType::BinaryEvent | PacketType::BinaryAck)
    }
}

/// One Socket.IO packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// The namespace it belongs to.
    pub namespace: NamespaceName,
    /// What it says.
    pub kind: PacketKind,
}

/// A packet's type and data. Binary attachments live in the [`Payload`]; a payload with attachments
/// travels as `BINARY_EVENT` / `BINARY_ACK`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PacketKind {
    /// `CONNECT`: from a client, the optional auth object; from the server, `{"sid":..}`.
    Connect(Option<RawJson>),
    /// `DISCONNECT`.
    Disconnect,
    /// `EVENT` / `BINARY_EVENT`: `[name, ...args]`, with an id when the sender wants an ack.
    Event {
        /// The event name and arguments.
        args: Payload,
        /// The ack id the sender waits for, if any.
        ack: Option<u64>,
    },
    /// `ACK` / `BINARY_ACK`: the answer to the event with this id.
    Ack {
        /// The arguments of the answer.
        args: Payload,
        /// The id of the acknowledged event.
        id: u64,
    },
    /// `CONNECT_ERROR`: `{"message":..,"data":..}` (or, from older peers, a string).
    ConnectError(RawJson),
}

impl Packet {
    /// A `CONNECT` packet.
    pub fn connect(namespace: NamespaceName, data: Option<RawJson>) -> Self {
        Packet {
            namespace,
            kind: PacketKind::Connect(data),
        }
    }

    /// A `DISCONNECT` packet.
    pub fn disconnect(namespace: NamespaceName) -> Self {
        Packet {
            namespace,
            kind: PacketKind::Disconnect,
        }
    }

    /// An event; `args` should come from [`Payload::event`] so that it starts with the name.
    pub fn event(namespace: NamespaceName, args: Payload, ack: Option<u64>) -> Self {
        Packet {
            namespace,
            kind: PacketKind::Event { args, ack },
        }
    }

    /// The acknowledgement of event `id`.
    pub fn ack(namespace: NamespaceName, id: u64, args: Payload) -> Self {
        Packet {
            namespace,
            kind: PacketKind::Ack { args, id },
        }
    }

    /// A `CONNECT_ERROR` packet.
    pub fn connect_error(namespace: NamespaceName, data: RawJson) -> Self {
        Packet {
            namespace,
            kind: PacketKind::ConnectError(data),
        }
    }

    /// The type this packet has on the wire (binary types when it carries attachments).
    pub fn packet_type(&self) -> PacketType {
        match &self.kind {
            PacketKind::Connect(_) => PacketType::Connect,
            PacketKind::Disconnect => PacketType::Disconnect,
            PacketKind::Event { args, .. } if args.has_attachments() => PacketType::BinaryEvent,
            PacketKind::Event { .. } => PacketType::Event,
            PacketKind::Ack { args, .. } if args.has_attachments() => PacketType::BinaryAck,
            PacketKind::Ack { .. } => PacketType::Ack,
            PacketKind::ConnectError(_) => PacketType::ConnectError,
        }
    }

    /// The event name, for an event packet (see [`Payload::event_name`]).
    pub fn event_name(&self) -> Option<Cow<'_, str>> {
        match &self.kind {
            PacketKind::Event { args, .. } => args.event_name(),
            _ => None,
        }
    }
}
