//! Errors of the server API.

use std::fmt;

use socketio_proto::packet::EncodeError;
use socketio_proto::parser::FrameError;

/// A connection middleware's refusal: the client receives it in its `connect_error` event, as
/// `err.message` and `err.data`.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectError {
    /// The message (`err.message` on the client).
    pub message: String,
    /// Extra data (`err.data` on the client), left out when `None`.
    pub data: Option<serde_json::Value>,
}

impl ConnectError {
    /// A refusal with a message and no data.
    pub fn new(message: impl Into<String>) -> Self {
        ConnectError {
            message: message.into(),
            data: None,
        }
    }

    /// Adds data for the client.
    pub fn with_data(mut self, data: serde_json::Value) -> Self {
        self.data = Some(data);
        self
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConnectError {}

/// Why an emit sent nothing.
#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    /// The event name is reserved (`connect`, `disconnect`, ...): the client would mistake it for
    /// a protocol event.
    #[error("`{0}` is a reserved event name")]
    ReservedEventName(String),
    /// The arguments could not be serialized.
    #[error("the arguments cannot be encoded: {0}")]
    Encode(#[from] EncodeError),
    /// The arguments have no form in the server's parser (a number MessagePack cannot hold).
    #[error(transparent)]
    Unencodable(#[from] FrameError),
    /// The socket is not connected (any more).
    #[error("the socket is not connected")]
    NotConnected,
    /// The client is not reading what it is sent: its queue overflowed and its connection is being
    /// closed.
    #[error("the client's queue is full; its connection is being closed")]
    QueueFull,
}
