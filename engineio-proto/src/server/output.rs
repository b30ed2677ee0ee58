//! What a server session asks of its runtime and tells its application, and its error values.

use bytes::Bytes;

use crate::packet::{Frame, Message};

/// The `Content-Type` of a long-polling response ([`Output::PollResponse`]).
pub const POLL_CONTENT_TYPE: &str = "text/plain; charset=UTF-8";

/// The `Content-Type` of a revision 3 long-polling response in the binary framing.
pub const BINARY_POLL_CONTENT_TYPE: &str = "application/octet-stream";

/// The `Content-Type` to answer a GET with this [`Output::PollResponse`] body: [`POLL_CONTENT_TYPE`],
/// or [`BINARY_POLL_CONTENT_TYPE`] for a revision 3 binary payload (which only a revision 3 session
/// writes, for a client that takes binary). The body's first byte tells them apart.
pub fn poll_content_type(body: &[u8]) -> &'static str {
    match crate::v3::Framing::of(body) {
        crate::v3::Framing::Binary => BINARY_POLL_CONTENT_TYPE,
        crate::v3::Framing::Text => POLL_CONTENT_TYPE,
    }
}

/// The body of the `200` answer to a long-polling POST once its body was taken in
/// ([`ServerSession::handle_post_end`](super::ServerSession::handle_post_end) returned `Ok`).
pub const POST_OK_BODY: &str = "ok";

/// The next thing a [`ServerSession`](super::ServerSession) needs done, from
/// [`poll_output`](super::ServerSession::poll_output).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Answer the held long-polling GET: status 200, `Content-Type` [`poll_content_type`] of the body
    /// ([`POLL_CONTENT_TYPE`] unless revision 3 wrote a binary payload), this body. The GET is no
    /// longer held.
    PollResponse(Bytes),
    /// Send this frame on the session's WebSocket: the probe while an upgrade is in progress, else the
    /// main one. Packets are one per frame; nothing is coalesced.
    WsFrame(Frame),
    /// Close the session's WebSocket (the probe while upgrading). From then on that socket is not the
    /// session's: do not report its frames or its closing.
    CloseWebSocket,
    /// Something for the application.
    Event(Event),
}

/// What happened in a session, for the application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The client sent a message.
    Message(Message),
    /// The client's WebSocket probe was answered; the upgrade is under way.
    Upgrading,
    /// The session moved to WebSocket; polling requests are refused from now on.
    Upgraded,
    /// The session is over; always the last event, exactly once per session.
    Closed(CloseReason),
}

/// Why a session closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// The client closed: a `close` packet, or its WebSocket closed cleanly.
    TransportClose,
    /// The transport failed: a request overlapping another, an aborted request, a body over
    /// `max_payload`, a WebSocket error, or a heartbeat packet in the wrong direction (a client ping in
    /// v4, a client pong in v3).
    TransportError,
    /// No pong, nor any other packet, within `ping_timeout` of a ping (v4); no ping, nor any other
    /// packet, within `ping_interval + ping_timeout` (v3).
    PingTimeout,
    /// The server closed the session ([`ServerSession::close`](super::ServerSession::close)).
    ForcedClose,
    /// The client sent bytes that are not Engine.IO packets.
    ParseError,
}

impl CloseReason {
    /// The reference server's name for this reason.
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::TransportClose => "transport close",
            CloseReason::TransportError => "transport error",
            CloseReason::PingTimeout => "ping timeout",
            CloseReason::ForcedClose => "forced close",
            CloseReason::ParseError => "parse error",
        }
    }
}

impl core::fmt::Display for CloseReason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why [`ServerSession::send`](super::ServerSession::send) refused a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The session is closing or closed.
    #[error("the session is closing or closed")]
    Closed,
    /// `max_buffered_packets` packets are already waiting to be sent (the client is not reading).
    #[error("{limit} packets are already waiting to be sent")]
    QueueFull {
        /// The configured bound.
        limit: usize,
    },
}

/// Why a long-polling POST body was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    /// The body crossed `max_payload`: answer `413 Payload Too Large` and stop reading it.
    #[error("POST body larger than {limit} bytes")]
    PayloadTooLarge {
        /// The configured `max_payload`.
        limit: usize,
    },
    /// No POST is in flight on this session (never started, already ended or refused).
    #[error("no POST request in flight")]
    NotInFlight,
}

impl PostError {
    /// The HTTP status to answer the POST with.
    pub fn http_status(self) -> u16 {
        match self {
            PostError::PayloadTooLarge { .. } => 413,
            PostError::NotInFlight => 400,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_follows_the_framing() {
        assert_eq!(poll_content_type(b"4hello\x1e2"), POLL_CONTENT_TYPE);
        assert_eq!(poll_content_type(b"6:4hello"), POLL_CONTENT_TYPE);
        assert_eq!(
            poll_content_type(&[1, 2, 255, 4, 9]),
            BINARY_POLL_CONTENT_TYPE
        );
        assert_eq!(
            poll_content_type(&[0, 2, 255, b'4', b'a']),
            BINARY_POLL_CONTENT_TYPE
        );
    }

    #[test]
    fn close_reasons_use_the_reference_strings() {
        assert_eq!(CloseReason::TransportClose.as_str(), "transport close");
        assert_eq!(CloseReason::TransportError.as_str(), "transport error");
        assert_eq!(CloseReason::PingTimeout.as_str(), "ping timeout");
        assert_eq!(CloseReason::ForcedClose.as_str(), "forced close");
        assert_eq!(CloseReason::ParseError.as_str(), "parse error");
    }
}
