//! What the client session asks of its runtime and tells its application.

use alloc::string::String;
use bytes::Bytes;
use core::fmt;

use crate::error::DecodeError;
use crate::handshake::SessionParams;
use crate::packet::{Frame, Message};

/// The next thing the runtime must do, from [`poll_output`](super::ClientSession::poll_output).
///
/// `query` is the query string for the Engine.IO endpoint (e.g. `EIO=4&transport=polling&sid=abc`),
/// without `?`; the runtime appends it to the endpoint URL, with the user's own parameters and any
/// cache-busting parameter it wants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Issue a long-polling GET; report its body or failure with
    /// [`handle_poll_response`](super::ClientSession::handle_poll_response).
    Poll {
        /// The query string.
        query: String,
    },
    /// Issue a long-polling POST with `body` (`Content-Type: text/plain;charset=UTF-8`); report its
    /// outcome with [`handle_post_response`](super::ClientSession::handle_post_response).
    Post {
        /// The query string.
        query: String,
        /// The encoded payload.
        body: Bytes,
    },
    /// Open the WebSocket (`ws://` or `wss://` endpoint); report it with the `handle_ws_*` methods.
    OpenWebSocket {
        /// The query string.
        query: String,
    },
    /// Write this frame on the WebSocket.
    WsFrame(Frame),
    /// Close the WebSocket; nothing more is expected from it.
    CloseWebSocket,
    /// Deliver this to the application.
    Event(Event),
}

/// What happened to the session, for the application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The handshake arrived: the session is open.
    Open(SessionParams),
    /// A message from the server.
    Message(Message),
    /// The WebSocket probe succeeded; polling is pausing before the switch.
    Upgrading,
    /// The session now runs over WebSocket.
    Upgraded,
    /// The upgrade attempt failed; the session stays on polling.
    UpgradeFailed,
    /// The session ended. Sent exactly once, as the very last output: the transports to close (and
    /// the close POST, if any) come before it. Requests still outstanding may be dropped; reporting
    /// their outcome afterwards is harmless and ignored.
    Closed(CloseReason),
}

/// Why an HTTP request or the WebSocket failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransportFailure {
    /// The server answered with this HTTP error status (the reference server sends 400 or 403 with a
    /// `{"code":..,"message":..}` body).
    HttpStatus(u16),
    /// The connection failed or broke: refused, reset, timed out, TLS failure, WebSocket error.
    Network,
}

/// Why the session ended. [`CloseReason::as_str`] gives the reference client's wording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The application called [`close`](super::ClientSession::close).
    ForcedClose,
    /// No ping from the server within `pingInterval + pingTimeout`.
    PingTimeout,
    /// The server closed the session (a `close` packet, or the WebSocket closed cleanly).
    TransportClose,
    /// A request failed or the WebSocket broke.
    TransportError(TransportFailure),
    /// The server sent something that does not decode (or no valid handshake).
    ParseError(DecodeError),
    /// The configuration enables no transport, so the session could not start.
    NoTransports,
}

impl CloseReason {
    /// The reference client's reason string (`"forced close"`, `"ping timeout"`, ...).
    ///
    /// The reference client reports undecodable data as `"transport error"`; this crate names it
    /// `"parse error"`, as the reference server does.
    pub fn as_str(&self) -> &'static str {
        match self {
            CloseReason::ForcedClose => "forced close",
            CloseReason::PingTimeout => "ping timeout",
            CloseReason::TransportClose => "transport close",
            CloseReason::TransportError(_) => "transport error",
            CloseReason::ParseError(_) => "parse error",
            CloseReason::NoTransports => "no transports available",
        }
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why [`send`](super::ClientSession::send) refused a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The session is closing or closed.
    #[error("session is closing or closed")]
    Closed,
    /// [`ClientConfig::max_buffered_packets`](super::ClientConfig::max_buffered_packets) packets are
    /// already waiting to be written.
    #[error("send queue is full")]
    QueueFull,
}
