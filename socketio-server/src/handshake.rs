//! What a socket knows of the request that opened its connection (`socket.handshake`).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use http::HeaderMap;

use engineio_server::HandshakeRequest;

/// The details of the handshake, as the reference's `socket.handshake`.
#[derive(Clone, Debug)]
pub struct Handshake {
    /// The headers of the request that opened the Engine.IO session (one copy, shared by the
    /// connection's sockets).
    pub headers: Arc<HeaderMap>,
    /// The query parameters of that request, decoded, in order.
    pub query: Vec<(String, String)>,
    /// The `auth` object the client sent with its `CONNECT` (`{}` when it sent none).
    pub auth: serde_json::Value,
    /// When the connection was made, as an HTTP date (`Tue, 01 Dec 2026 07:38:46 GMT`).
    pub time: String,
    /// When the connection was made, in milliseconds since the Unix epoch.
    pub issued: u64,
    /// The request URL (path and query).
    pub url: String,
    /// The client's IP address, when known.
    pub address: Option<IpAddr>,
    /// Whether the request came from another origin (it carried an `Origin` header).
    pub xdomain: bool,
    /// Whether the connection was encrypted.
    pub secure: bool,
}

impl Handshake {
    pub(crate) fn new(
        request: &HandshakeRequest,
        issued: SystemTime,
        auth: serde_json::Value,
    ) -> Self {
        let query = request
            .uri
            .query()
            .map(|query| {
                form_urlencoded::parse(query.as_bytes())
                    .map(|(key, value)| (key.into_owned(), value.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Handshake {
            headers: request.headers.clone(),
            query,
            auth,
            time: httpdate::fmt_http_date(issued),
            issued: issued
                .duration_since(UNIX_EPOCH)
                .map_or(0, |since| since.as_millis() as u64),
            url: request.uri.to_string(),
            address: request.peer_addr.map(|peer| peer.ip()),
            xdomain: request.headers.contains_key(http::header::ORIGIN),
            secure: request.uri.scheme_str() == Some("https"),
        }
    }

    /// The first value of query parameter `key`.
    pub fn query(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    }

    /// Header `name` as text, if present and valid.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}
