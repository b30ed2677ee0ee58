//! Requests refused with a protocol error, and the `connection_error` event that reports them.

use engineio_proto::{ErrorCode, RequestError, Transport};

/// What the engine knows about why it refused a request: the reference's `err.context`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorContext {
    /// Code 0: the `transport` query parameter (raw), missing, unknown or not enabled.
    UnknownTransport {
        /// The value sent, if any.
        transport: Option<String>,
    },
    /// Code 1: no open session has this id.
    UnknownSid {
        /// The `sid` sent.
        sid: String,
    },
    /// Code 2: a handshake that is not a `GET`.
    BadHandshakeMethod {
        /// The request's method.
        method: http::Method,
    },
    /// Code 3: a WebSocket upgrade naming the polling transport, or a plain request naming
    /// WebSocket (the reference's `TRANSPORT_MISMATCH` / `TRANSPORT_HANDSHAKE_ERROR`).
    TransportMismatch {
        /// The transport named by the query.
        transport: Transport,
        /// Whether the request asked for a WebSocket upgrade.
        upgrade: bool,
    },
    /// Code 3: a WebSocket upgrade whose handshake headers are invalid (key, version,
    /// `Connection`, `Sec-WebSocket-Protocol`, `Sec-WebSocket-Extensions`).
    InvalidWebSocketHandshake {
        /// Which check failed, e.g. `"INVALID_SEC_WEBSOCKET_KEY"`.
        name: &'static str,
    },
    /// Code 4: the `allow_request` hook refused the handshake with this message.
    Forbidden {
        /// The hook's message.
        message: String,
    },
    /// Code 4: a WebSocket whose `Origin` is not in the engine's allow-list.
    OriginNotAllowed {
        /// The `Origin` sent, if any (lossily decoded).
        origin: Option<String>,
    },
    /// Code 5: `EIO` is not `4`.
    UnsupportedProtocolVersion {
        /// The `EIO` sent, if any.
        protocol: Option<String>,
    },
    /// The session refused the request (a second long-polling GET, an upgrade it cannot take,
    /// a request with the transport it left).
    Session,
}

impl ErrorContext {
    /// The reference's `context.name` for this refusal, where it has one.
    pub fn name(&self) -> Option<&'static str> {
        match self {
            ErrorContext::TransportMismatch { upgrade: false, .. } => {
                Some("TRANSPORT_HANDSHAKE_ERROR")
            }
            ErrorContext::TransportMismatch { upgrade: true, .. } => Some("TRANSPORT_MISMATCH"),
            ErrorContext::InvalidWebSocketHandshake { name } => Some(name),
            ErrorContext::OriginNotAllowed { .. } => Some("ORIGIN_NOT_ALLOWED"),
            _ => None,
        }
    }
}

/// A request the engine refused with a protocol error (the reference's `connection_error` event:
/// `err.req`, `err.code`, `err.message`, `err.context`), handed to the hook set with
/// [`EngineBuilder::on_connection_error`](crate::EngineBuilder::on_connection_error).
#[derive(Debug)]
pub struct ConnectionError<'a> {
    /// The refused request (method, URI, headers, extensions such as the peer address).
    pub request: &'a http::request::Parts,
    /// The protocol error code sent.
    pub code: ErrorCode,
    /// The message sent (the code's, or the `allow_request` hook's).
    pub message: &'a str,
    /// Why.
    pub context: &'a ErrorContext,
}

/// A refusal on its way to the client: the error answered and its context.
#[derive(Debug)]
pub(crate) struct Refusal {
    pub(crate) error: RequestError,
    pub(crate) context: ErrorContext,
}

impl Refusal {
    pub(crate) fn new(error: impl Into<RequestError>, context: ErrorContext) -> Self {
        Refusal {
            error: error.into(),
            context,
        }
    }

    /// The session refused the request with `error`.
    pub(crate) fn session(error: RequestError) -> Self {
        Refusal::new(error, ErrorContext::Session)
    }

    /// No session `sid` (or it ended before answering).
    pub(crate) fn unknown_sid(sid: &str) -> Self {
        Refusal::new(
            ErrorCode::UnknownSid,
            ErrorContext::UnknownSid {
                sid: sid.to_owned(),
            },
        )
    }

    /// An invalid WebSocket handshake (code 3).
    pub(crate) fn bad_websocket(name: &'static str) -> Self {
        Refusal::new(
            ErrorCode::BadRequest,
            ErrorContext::InvalidWebSocketHandshake { name },
        )
    }
}
