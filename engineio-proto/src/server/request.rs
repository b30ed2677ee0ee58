//! Routing an HTTP request to a handshake or to an existing session, with the protocol's error codes.

use crate::error::{ErrorCode, RequestError};
use crate::transport::Transport;
use crate::version::ProtocolVersion;

use super::config::ServerConfig;

/// The HTTP method of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`: a handshake, a long-polling read, or a WebSocket upgrade.
    Get,
    /// `POST`: a long-polling write.
    Post,
    /// `OPTIONS`: a CORS preflight (answered by the runtime's CORS layer, if any, before routing).
    Options,
    /// Any other method.
    Other,
}

impl Method {
    /// Maps a method name (case-sensitive, as HTTP methods are).
    pub fn parse(name: &str) -> Method {
        match name {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "OPTIONS" => Method::Options,
            _ => Method::Other,
        }
    }
}

/// The query parameters Engine.IO reads: `EIO`, `transport`, `sid`, and revision 3's `b64`.
///
/// Values are raw (not percent-decoded): the valid values of these keys never need escaping, so an
/// escaped value simply matches nothing valid.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Query<'a> {
    /// The protocol revision (`EIO`): `4`, or `3` when the server allows it.
    pub eio: Option<&'a str>,
    /// The transport of this request (`transport`).
    pub transport: Option<&'a str>,
    /// The session id (`sid`); absent on a handshake.
    pub sid: Option<&'a str>,
    /// Revision 3: the client wants binary data as base64 (`b64`, any non-empty value).
    pub b64: Option<&'a str>,
}

impl<'a> Query<'a> {
    /// Parses a query string (with or without its leading `?`). Pairs are split on `&`, keys from values
    /// on the first `=`; when a key repeats, the last occurrence wins, as with `URLSearchParams`.
    pub fn parse(query_string: &'a str) -> Self {
        let query_string = query_string.strip_prefix('?').unwrap_or(query_string);
        let mut query = Query::default();
        for pair in query_string.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "EIO" => query.eio = Some(value),
                "transport" => query.transport = Some(value),
                "sid" => query.sid = Some(value),
                "b64" => query.b64 = Some(value),
                _ => {}
            }
        }
        query
    }

    /// What the request says of the client's protocol; `None` when `EIO` is missing or unknown.
    pub fn client_protocol(&self) -> Option<ClientProtocol> {
        Some(ClientProtocol {
            version: ProtocolVersion::parse(self.eio?)?,
            base64: self.b64.is_some_and(|b64| !b64.is_empty()),
        })
    }
}

/// The client's protocol as one request gives it: its revision, and whether the transport of this
/// request wants binary data as base64.
///
/// `base64` matters in revision 3 only (revision 4 polling always uses base64, its WebSocket never
/// does). A revision 3 client asks for it with `b64=1` when its transport cannot take binary: on the
/// handshake request for polling, on its own request for a WebSocket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ClientProtocol {
    /// The protocol revision (`EIO`).
    pub version: ProtocolVersion,
    /// Binary data must go as base64 text (`b64`), not as binary payloads or frames.
    pub base64: bool,
}

impl ClientProtocol {
    /// Revision 3, binary as binary.
    pub const V3: ClientProtocol = ClientProtocol {
        version: ProtocolVersion::V3,
        base64: false,
    };
    /// Revision 4 (the default).
    pub const V4: ClientProtocol = ClientProtocol {
        version: ProtocolVersion::V4,
        base64: false,
    };
}

/// Where a valid request goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route<'a> {
    /// A new session over `transport`: call the application's `allow_request` hook (refusal: code 4,
    /// [`ErrorCode::Forbidden`], with its message), draw a session id and create a
    /// [`ServerSession`](super::ServerSession).
    Handshake {
        /// The transport the session opens over.
        transport: Transport,
    },
    /// A request for an existing session: look `sid` up (unknown: code 1, [`ErrorCode::UnknownSid`]),
    /// then, for polling, `GET` is [`handle_poll`](super::ServerSession::handle_poll) and `POST`
    /// [`handle_post_start`](super::ServerSession::handle_post_start) (the reference answers other
    /// methods with a bare 500); for WebSocket it is
    /// [`handle_upgrade_request`](super::ServerSession::handle_upgrade_request).
    Session {
        /// The session id.
        sid: &'a str,
        /// The transport of this request.
        transport: Transport,
    },
}

/// Validates a request as the reference server's `verify()` and `handshake()` do, in the same order.
///
/// 1. `transport` missing, unknown or disabled: code 0.
/// 2. A non-empty `sid` (the reference treats `sid=` as absent): [`Route::Session`], unless the
///    request's kind does not fit its transport (a WebSocket upgrade with `transport=polling`, or a plain
///    HTTP request with `transport=websocket`): code 3. The reference lets those through to fail later
///    (a mismatch error, a socket closed after its handshake, or a request left hanging); refusing them
///    here means such a request with an unknown sid gets 3 rather than 1. Session-level checks (an
///    upgraded session refusing polling requests) are the session's.
/// 3. Otherwise a handshake: a method other than `GET`: code 2; a kind that does not fit the transport:
///    code 3; `EIO` other than `4` (or `3` with [`ServerConfig::allow_eio3`]): code 5. Open the session
///    with the revision [`Query::client_protocol`] gives.
///
/// The `allow_request` hook (code 4) is the runtime's, called after `Ok(Route::Handshake)`. The
/// reference calls it before the `EIO` check, so a request both forbidden and of the wrong revision
/// gets 4 there and 5 here.
pub fn route_request<'a>(
    method: Method,
    query: &Query<'a>,
    is_websocket_upgrade: bool,
    config: &ServerConfig,
) -> Result<Route<'a>, RequestError> {
    let transport = query
        .transport
        .and_then(Transport::parse)
        .filter(|&transport| config.transports.contains(transport))
        .ok_or(ErrorCode::UnknownTransport)?;
    let kind_fits_transport = is_websocket_upgrade == (transport == Transport::WebSocket);

    if let Some(sid) = query.sid.filter(|sid| !sid.is_empty()) {
        if !kind_fits_transport {
            return Err(ErrorCode::BadRequest.into());
        }
        return Ok(Route::Session { sid, transport });
    }

    if method != Method::Get {
        return Err(ErrorCode::BadHandshakeMethod.into());
    }
    if !kind_fits_transport {
        return Err(ErrorCode::BadRequest.into());
    }
    match query.eio.and_then(ProtocolVersion::parse) {
        Some(ProtocolVersion::V4) => {}
        Some(ProtocolVersion::V3) if config.allow_eio3 => {}
        _ => return Err(ErrorCode::UnsupportedProtocolVersion.into()),
    }
    Ok(Route::Handshake { transport })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_url_search_params() {
        let query = Query::parse("?EIO=3&transport=polling&EIO=4&sid&t=N8hyd6w");
        assert_eq!(query.eio, Some("4"), "last occurrence wins");
        assert_eq!(query.transport, Some("polling"));
        assert_eq!(query.sid, Some(""), "a key without `=` has an empty value");
        assert_eq!(Query::parse(""), Query::default());
        assert_eq!(Query::parse("a=b=c&sid=x=y").sid, Some("x=y"));
    }

    #[test]
    fn reads_the_client_protocol() {
        let protocol = |query| Query::parse(query).client_protocol();
        assert_eq!(protocol("EIO=4"), Some(ClientProtocol::V4));
        assert_eq!(
            protocol("EIO=3&transport=polling"),
            Some(ClientProtocol::V3)
        );
        let base64 = Some(ClientProtocol {
            version: ProtocolVersion::V3,
            base64: true,
        });
        assert_eq!(protocol("EIO=3&b64=1"), base64);
        assert_eq!(
            protocol("EIO=3&b64=0"),
            base64,
            "any value, as the reference's truthiness"
        );
        assert_eq!(protocol("EIO=3&b64="), Some(ClientProtocol::V3));
        assert_eq!(protocol("EIO=5"), None);
        assert_eq!(protocol("transport=polling"), None);
    }

    #[test]
    fn methods_are_case_sensitive() {
        assert_eq!(Method::parse("GET"), Method::Get);
        assert_eq!(Method::parse("POST"), Method::Post);
        assert_eq!(Method::parse("OPTIONS"), Method::Options);
        assert_eq!(Method::parse("get"), Method::Other);
    }
}
