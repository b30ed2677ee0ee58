//! The test servers that the examples of every runtime, the interop tests and `bench/` share (not a
//! library for users: `publish = false`). Each is written against the public server API only, as a
//! user would write it; a runtime crate's example binds a listener and hands its connections over.
//!
//! - [`conformance`]: the server of the public compliance suites (Engine.IO echo on `/engine.io/`,
//!   Socket.IO echo on `/socket.io/`, on one port).
//! - [`bench`](mod@bench): the benchmark server (`echo` acked, `broadcast` re-emitted to everyone).
//! - [`EventArgs`]: an event's arguments as received, binary attachments included, to send back.

pub mod bench;
pub mod conformance;

use std::io;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;
use socketio_proto::packet::Payload;
use socketio_server::PacketFormat;

/// The port from the `PORT` environment variable, `default` if it is not set.
pub fn port_from_env(default: u16) -> io::Result<u16> {
    match std::env::var("PORT") {
        Ok(port) => port.parse().map_err(|error| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("PORT={port:?}: {error}"),
            )
        }),
        Err(std::env::VarError::NotPresent) => Ok(default),
        Err(error) => Err(io::Error::new(io::ErrorKind::InvalidInput, error)),
    }
}

/// The parser from the `PARSER` environment variable: `json` (or unset, or empty) or `msgpack`.
pub fn parser_from_env() -> io::Result<PacketFormat> {
    match std::env::var("PARSER") {
        Err(std::env::VarError::NotPresent) => Ok(PacketFormat::Json),
        Ok(value) => match value.as_str() {
            "" | "json" => Ok(PacketFormat::Json),
            "msgpack" => Ok(PacketFormat::msgpack()),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("PARSER={value:?}: expected json or msgpack"),
            )),
        },
        Err(error) => Err(io::Error::new(io::ErrorKind::InvalidInput, error)),
    }
}

/// An event's arguments (without its name) as the client sent them, to emit or acknowledge back
/// unchanged: serializing it spreads the arguments, and each binary attachment travels as binary
/// again rather than as its placeholder object.
#[derive(Clone, Debug)]
pub struct EventArgs {
    args: Vec<Value>,
    payload: Payload,
}

impl EventArgs {
    /// The arguments of an event payload (`[name, ...args]`, as a raw listener receives it).
    pub fn from_event(payload: Payload) -> Result<Self, serde_json::Error> {
        let mut array: Vec<Value> = serde_json::from_str(payload.json().as_str())?;
        if !array.is_empty() {
            array.remove(0);
        }
        Ok(EventArgs {
            args: array,
            payload,
        })
    }

    /// How many arguments there are.
    pub fn len(&self) -> usize {
        self.args.len()
    }

    /// Whether there are no arguments.
    pub fn is_empty(&self) -> bool {
        self.args.is_empty()
    }
}

impl Serialize for EventArgs {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.args.len()))?;
        for value in &self.args {
            seq.serialize_element(&WithBinary {
                value,
                payload: &self.payload,
            })?;
        }
        seq.end()
    }
}

/// A JSON value whose placeholders serialize as the attachments they stand for.
struct WithBinary<'a> {
    value: &'a Value,
    payload: &'a Payload,
}

impl Serialize for WithBinary<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let nested = |value| WithBinary {
            value,
            payload: self.payload,
        };
        if !self.payload.has_attachments() {
            return self.value.serialize(serializer);
        }
        match self.value {
            Value::Object(map) => {
                if let Some(bytes) = self.payload.attachment(self.value) {
                    return serializer.serialize_bytes(bytes);
                }
                let mut out = serializer.serialize_map(Some(map.len()))?;
                for (key, value) in map {
                    out.serialize_entry(key, &nested(value))?;
                }
                out.end()
            }
            Value::Array(items) => {
                let mut out = serializer.serialize_seq(Some(items.len()))?;
                for value in items {
                    out.serialize_element(&nested(value))?;
                }
                out.end()
            }
            other => other.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    #[test]
    fn arguments_go_back_with_their_attachments() {
        let payload = Payload::event(
            "message",
            &(
                1,
                Bytes::from_static(&[1, 2]),
                serde_json::json!({ "a": [true] }),
            ),
        )
        .unwrap();
        let args = EventArgs::from_event(payload.clone()).unwrap();
        assert_eq!(args.len(), 3);
        let back = Payload::event("message-back", &args).unwrap();
        assert_eq!(back.attachments(), payload.attachments());
        assert_eq!(
            back.json().as_str(),
            payload
                .json()
                .as_str()
                .replacen("message", "message-back", 1)
        );
        let acked = Payload::new(&args).unwrap();
        assert_eq!(
            acked.json().as_str(),
            r#"[1,{"_placeholder":true,"num":0},{"a":[true]}]"#
        );
    }

    #[test]
    fn placeholder_shaped_data_without_attachments_stays_data() {
        let payload = Payload::from_json(
            r#"["message",{"_placeholder":true,"num":0}]"#.to_owned(),
            Vec::new(),
        )
        .unwrap();
        let args = EventArgs::from_event(payload).unwrap();
        let back = Payload::new(&args).unwrap();
        assert!(!back.has_attachments());
        assert_eq!(back.json().as_str(), r#"[{"_placeholder":true,"num":0}]"#);
    }
}
