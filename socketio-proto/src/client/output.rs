//! What the manager asks of its runtime and tells its application, and why commands are refused.

use alloc::string::String;
use core::fmt;

use engineio_proto::Message;
use engineio_proto::client::CloseReason;

use crate::packet::{NamespaceName, Payload, RawJson};

/// The next thing the runtime must do, from [`poll_output`](super::Manager::poll_output).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Create and start a fresh Engine.IO client session; report its `Open` with
    /// [`handle_engine_open`](super::Manager::handle_engine_open), its messages with
    /// [`handle_message`](super::Manager::handle_message) and its end with
    /// [`handle_engine_closed`](super::Manager::handle_engine_closed).
    OpenEngine,
    /// Send this message on the current engine session.
    Send(Message),
    /// Close the current engine session. Keep driving it until it ends so its close is written, but
    /// report nothing more of it to the manager.
    CloseEngine,
    /// Deliver this to the application.
    Event(Event),
}

/// What happened, for the application. Socket events carry their namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The server accepted the namespace connection.
    Connect {
        /// The namespace.
        namespace: NamespaceName,
        /// The socket id the server gave.
        sid: String,
    },
    /// The namespace could not connect. After a server rejection (`CONNECT_ERROR`) the socket is
    /// inactive and stays so until [`connect`](super::Manager::connect) is called again; after a
    /// failed connection attempt ([`data`](Event::ConnectError::data) is `None`) it stays active and
    /// reconnection goes on.
    ConnectError {
        /// The namespace.
        namespace: NamespaceName,
        /// The server's message, or the attempt's failure ([`OpenFailure::as_str`]).
        message: String,
        /// The server's `data`, if any.
        data: Option<RawJson>,
    },
    /// The socket lost its connection, or its connection under way (as in the reference, an active
    /// socket hears of the engine closing even before the server accepted it).
    Disconnect {
        /// The namespace.
        namespace: NamespaceName,
        /// Why; [`DisconnectReason::reconnects`] tells whether the socket is still active.
        reason: DisconnectReason,
    },
    /// An event from the server.
    Event {
        /// The namespace.
        namespace: NamespaceName,
        /// `[name, ...args]` with attachments.
        args: Payload,
        /// The id to answer with [`ack`](super::Manager::ack), if the server wants an answer.
        ack: Option<u64>,
    },
    /// The server acknowledged an emit.
    Ack {
        /// The namespace.
        namespace: NamespaceName,
        /// The id [`emit`](super::Manager::emit) returned.
        id: u64,
        /// The answer's arguments.
        args: Payload,
    },
    /// No acknowledgement within the emit's timeout; a later one is ignored.
    AckTimeout {
        /// The namespace.
        namespace: NamespaceName,
        /// The id [`emit`](super::Manager::emit) returned.
        id: u64,
    },
    /// The acknowledgement will never come: the event was sent and the socket disconnected (or was
    /// rejected) before the answer.
    AckCancelled {
        /// The namespace.
        namespace: NamespaceName,
        /// The id [`emit`](super::Manager::emit) returned.
        id: u64,
    },
    /// Reconnection attempt `n` (from 1) starts now.
    ReconnectAttempt(u32),
    /// Reconnected after `n` attempts.
    Reconnect(u32),
    /// A reconnection attempt failed; the next one is scheduled unless the limit was reached.
    ReconnectError(OpenFailure),
    /// The last allowed reconnection attempt failed; no more will be made until
    /// [`connect`](super::Manager::connect) is called.
    ReconnectFailed,
}

/// Why a namespace socket disconnected: the reference client's reasons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DisconnectReason {
    /// The server disconnected the socket (`DISCONNECT` packet). No reconnection.
    IoServerDisconnect,
    /// The application disconnected it, or closed the manager. No reconnection.
    IoClientDisconnect,
    /// The server stopped answering the heartbeat.
    PingTimeout,
    /// The server closed the connection.
    TransportClose,
    /// The connection failed.
    TransportError,
    /// The server sent something that does not decode.
    ParseError,
}

impl DisconnectReason {
    /// The reference client's reason string (`"io server disconnect"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::IoServerDisconnect => "io server disconnect",
            DisconnectReason::IoClientDisconnect => "io client disconnect",
            DisconnectReason::PingTimeout => "ping timeout",
            DisconnectReason::TransportClose => "transport close",
            DisconnectReason::TransportError => "transport error",
            DisconnectReason::ParseError => "parse error",
        }
    }

    /// Whether the socket stays active and reconnects (when reconnection is enabled).
    pub fn reconnects(self) -> bool {
        !matches!(
            self,
            DisconnectReason::IoServerDisconnect | DisconnectReason::IoClientDisconnect
        )
    }

    /// The reason for an engine session that ended after it opened.
    pub(super) fn from_close(reason: &CloseReason) -> Self {
        match reason {
            CloseReason::ForcedClose => DisconnectReason::IoClientDisconnect,
            CloseReason::PingTimeout => DisconnectReason::PingTimeout,
            CloseReason::TransportClose => DisconnectReason::TransportClose,
            CloseReason::TransportError(_) | CloseReason::NoTransports => {
                DisconnectReason::TransportError
            }
            CloseReason::ParseError(_) => DisconnectReason::ParseError,
        }
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a connection attempt failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpenFailure {
    /// It did not open within [`ManagerConfig::timeout`](super::ManagerConfig::timeout).
    Timeout,
    /// The engine session ended before opening.
    Closed(CloseReason),
}

impl OpenFailure {
    /// `"timeout"`, or the engine's close reason (`"transport error"`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            OpenFailure::Timeout => "timeout",
            OpenFailure::Closed(reason) => reason.as_str(),
        }
    }
}

impl fmt::Display for OpenFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why [`emit`](super::Manager::emit) refused an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EmitError {
    /// No socket was ever [`connect`](super::Manager::connect)ed or
    /// [`add_socket`](super::Manager::add_socket)ed for this namespace.
    #[error("no socket for this namespace")]
    UnknownNamespace,
    /// The payload does not start with an event name.
    #[error("payload has no event name")]
    MissingEventName,
    /// The name is one the client reserves (`connect`, `connect_error`, `disconnect`,
    /// `disconnecting`, `newListener`, `removeListener`).
    #[error("reserved event name")]
    ReservedEventName,
    /// [`ManagerConfig::max_buffered_packets`](super::ManagerConfig::max_buffered_packets) emits
    /// already wait for the connection.
    #[error("send buffer is full")]
    BufferFull,
    /// [`ManagerConfig::max_pending_acks`](super::ManagerConfig::max_pending_acks) acks are already
    /// awaited.
    #[error("too many pending acknowledgements")]
    TooManyPendingAcks,
    /// The arguments cannot be written in the manager's
    /// [format](super::ManagerConfig::format) (see [`FrameError`](crate::parser::FrameError)).
    #[error("the arguments cannot be written in this connection's format")]
    Unencodable,
}

/// Why [`ack`](super::Manager::ack) sent nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    /// The socket is not connected (an ack id belongs to the connection that received the event).
    #[error("socket is not connected")]
    NotConnected,
    /// The id was already answered, was never asked for, or was forgotten past
    /// [`ManagerConfig::max_unanswered_acks`](super::ManagerConfig::max_unanswered_acks).
    #[error("no unanswered acknowledgement with this id")]
    UnknownId,
    /// The arguments cannot be written in the manager's [format](super::ManagerConfig::format);
    /// the acknowledgement is still unanswered.
    #[error("the arguments cannot be written in this connection's format")]
    Unencodable,
}

/// [`connect`](super::Manager::connect) was given auth data that is not a JSON object (the server
/// would reject the whole connection as a parse error).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("auth must be a JSON object")]
pub struct InvalidAuth;
