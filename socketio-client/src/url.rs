//! The server URL: where to connect, the Engine.IO endpoint, and the namespace.

use std::fmt::Write as _;

use http::Uri;
use socketio_proto::packet::NamespaceName;

/// Where the client connects, parsed from the URL given to the builder.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    /// Host name or IP address, without brackets.
    pub(crate) host: String,
    pub(crate) port: u16,
    /// `host[:port]` as the `Host` header and WebSocket URL carry it.
    pub(crate) authority: String,
    /// `https` / `wss`.
    pub(crate) secure: bool,
    /// The namespace of the URL's path (`/` when empty).
    pub(crate) namespace: NamespaceName,
    /// The URL's own query, appended to every Engine.IO request.
    pub(crate) query: String,
}

/// Why a URL was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum UrlError {
    Invalid,
    Scheme,
}

/// Parses `http://host[:port][/namespace][?query]` (also `https`, `ws`, `wss`).
pub(crate) fn parse(url: &str) -> Result<Target, UrlError> {
    let uri: Uri = url.parse().map_err(|_| UrlError::Invalid)?;
    let secure = match uri.scheme_str() {
        Some("http" | "ws") => false,
        Some("https" | "wss") => true,
        _ => return Err(UrlError::Scheme),
    };
    let authority = uri.authority().ok_or(UrlError::Invalid)?;
    if authority.as_str().contains('@') {
        return Err(UrlError::Invalid);
    }
    let host = authority.host();
    if host.is_empty() {
        return Err(UrlError::Invalid);
    }
    let port = authority
        .port_u16()
        .unwrap_or(if secure { 443 } else { 80 });
    let bare_host = host
        .strip_prefix('[')
        .and_then(|host| host.strip_suffix(']'))
        .unwrap_or(host);
    let path = uri.path();
    let namespace = if path.is_empty() { "/" } else { path };
    let namespace = NamespaceName::new(namespace.to_owned()).map_err(|_| UrlError::Invalid)?;
    Ok(Target {
        host: bare_host.to_owned(),
        port,
        authority: authority.as_str().to_owned(),
        secure,
        namespace,
        query: uri.query().unwrap_or("").to_owned(),
    })
}

/// Appends `key=value` to a query string, percent-encoding both.
pub(crate) fn push_query_pair(query: &mut String, key: &str, value: &str) {
    if !query.is_empty() {
        query.push('&');
    }
    push_encoded(query, key);
    query.push('=');
    push_encoded(query, value);
}

fn push_encoded(out: &mut String, value: &str) {
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
}

/// The Engine.IO path with a trailing slash, as the reference client sends it.
pub(crate) fn engine_path(path: &str) -> String {
    let mut path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    if !path.ends_with('/') {
        path.push('/');
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let target = parse("http://127.0.0.1:3000/chat?x=1").unwrap();
        assert_eq!(target.host, "127.0.0.1");
        assert_eq!(target.port, 3000);
        assert_eq!(target.authority, "127.0.0.1:3000");
        assert_eq!(target.namespace.as_str(), "/chat");
        assert_eq!(target.query, "x=1");
        assert!(!target.secure);

        let target = parse("wss://[::1]").unwrap();
        assert_eq!(target.host, "::1");
        assert_eq!(target.port, 443);
        assert_eq!(target.namespace.as_str(), "/");
        assert!(target.secure);

        assert_eq!(parse("ftp://host/").unwrap_err(), UrlError::Scheme);
        assert_eq!(parse("not a url").unwrap_err(), UrlError::Invalid);
        assert_eq!(parse("/relative").unwrap_err(), UrlError::Scheme);
    }

    #[test]
    fn encodes_queries_and_paths() {
        let mut query = String::from("a=1");
        push_query_pair(&mut query, "k y", "v&w");
        assert_eq!(query, "a=1&k%20y=v%26w");
        assert_eq!(engine_path("/socket.io"), "/socket.io/");
        assert_eq!(engine_path("custom/"), "/custom/");
    }
}
