//! The server half of the WebSocket opening handshake (RFC 6455 section 4.2).

use async_tungstenite::tungstenite::handshake::derive_accept_key;
use http::header::{
    CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_EXTENSIONS, SEC_WEBSOCKET_KEY,
    SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION, UPGRADE,
};
use http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode};

use crate::engine::ResponseBody;

/// Whether a request asks to switch to WebSocket (`Upgrade: websocket`, any case).
pub(crate) fn is_upgrade_request(headers: &HeaderMap) -> bool {
    headers
        .get(UPGRADE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("websocket"))
}

/// Checks an upgrade request's handshake headers (RFC 6455 section 4.2.1) and returns the
/// `Sec-WebSocket-Accept` value, or the name of the failed check. Every check is linear in the
/// header's length; odd subprotocol and extension lists are refused, never interpreted (this
/// server negotiates neither).
pub(crate) fn check_handshake(headers: &HeaderMap) -> Result<HeaderValue, &'static str> {
    let connection_upgrade = headers
        .get_all(CONNECTION)
        .iter()
        .flat_map(|value| value.as_bytes().split(|&b| b == b','))
        .any(|token| trim(token).eq_ignore_ascii_case(b"upgrade"));
    if !connection_upgrade {
        return Err("INVALID_CONNECTION_HEADER");
    }
    let version_13 =
        single(headers, &SEC_WEBSOCKET_VERSION).is_some_and(|version| version.as_bytes() == b"13");
    if !version_13 {
        return Err("INVALID_SEC_WEBSOCKET_VERSION");
    }
    let key = single(headers, &SEC_WEBSOCKET_KEY)
        .filter(|key| is_valid_key(key.as_bytes()))
        .ok_or("INVALID_SEC_WEBSOCKET_KEY")?;
    if !headers
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .all(|value| is_token_list(value.as_bytes()))
    {
        return Err("INVALID_SEC_WEBSOCKET_PROTOCOL");
    }
    if !headers
        .get_all(SEC_WEBSOCKET_EXTENSIONS)
        .iter()
        .all(|value| is_extension_list(value.as_bytes()))
    {
        return Err("INVALID_SEC_WEBSOCKET_EXTENSIONS");
    }
    HeaderValue::from_str(&derive_accept_key(key.as_bytes()))
        .map_err(|_| "INVALID_SEC_WEBSOCKET_KEY")
}

/// The value of a header that must appear exactly once.
fn single<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a HeaderValue> {
    let mut values = headers.get_all(name).iter();
    let first = values.next()?;
    values.next().is_none().then_some(first)
}

/// A key is 16 bytes in base64: 22 characters and `==`.
fn is_valid_key(key: &[u8]) -> bool {
    key.len() == 24
        && key.ends_with(b"==")
        && key[..22]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

fn trim(bytes: &[u8]) -> &[u8] {
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes.iter().position(|b| !is_ows(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |end| end + 1);
    &bytes[start..end]
}

/// RFC 7230 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_token(bytes: &[u8]) -> bool {
    !bytes.is_empty() && bytes.iter().all(|&b| is_tchar(b))
}

/// `1#token`: tokens separated by commas and optional whitespace, none empty.
fn is_token_list(value: &[u8]) -> bool {
    value.split(|&b| b == b',').all(|item| is_token(trim(item)))
}

/// `1#extension`, where `extension = token *( ";" token [ "=" ( token / quoted-string ) ] )`.
fn is_extension_list(value: &[u8]) -> bool {
    let mut rest = value;
    loop {
        let Some(after) = extension(rest) else {
            return false;
        };
        match after.split_first() {
            None => return true,
            Some((b',', more)) => rest = more,
            Some(_) => return false,
        }
    }
}

/// Parses one extension; returns what follows it (empty, or starting with `,`).
fn extension(input: &[u8]) -> Option<&[u8]> {
    let mut rest = token_then_ows(skip_ows(input))?;
    while let Some((b';', more)) = rest.split_first() {
        rest = token_then_ows(skip_ows(more))?;
        if let Some((b'=', more)) = rest.split_first() {
            let value = skip_ows(more);
            rest = match value.split_first() {
                Some((b'"', quoted)) => skip_ows(quoted_string_tail(quoted)?),
                _ => token_then_ows(value)?,
            };
        }
    }
    Some(rest)
}

fn skip_ows(input: &[u8]) -> &[u8] {
    let start = input
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(input.len());
    &input[start..]
}

/// A non-empty token, then optional whitespace.
fn token_then_ows(input: &[u8]) -> Option<&[u8]> {
    let end = input
        .iter()
        .position(|&b| !is_tchar(b))
        .unwrap_or(input.len());
    (end > 0).then(|| skip_ows(&input[end..]))
}

/// The rest of a quoted string after its opening quote: what follows the closing quote.
fn quoted_string_tail(input: &[u8]) -> Option<&[u8]> {
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'"' => return Some(&input[i + 1..]),
            b'\\' => i += 2,
            b if b == b'\t' || (b' '..=b'~').contains(&b) || b >= 0x80 => i += 1,
            _ => return None,
        }
    }
    None
}

/// The `101 Switching Protocols` answer; hyper hands the connection over once it is written.
pub(crate) fn switching_protocols(accept: HeaderValue) -> Response<ResponseBody> {
    let mut response = Response::new(ResponseBody::default());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(SEC_WEBSOCKET_ACCEPT, accept);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upgrade_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(UPGRADE, HeaderValue::from_static("WebSocket"));
        headers.insert(CONNECTION, HeaderValue::from_static("keep-alive, Upgrade"));
        headers.insert(
            SEC_WEBSOCKET_KEY,
            HeaderValue::from_static("dGhlIHNhbXBsZSBub25jZQ=="),
        );
        headers.insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        headers
    }

    #[test]
    fn accept_key_is_the_rfc_example() {
        let headers = upgrade_headers();
        assert!(is_upgrade_request(&headers));
        assert_eq!(
            check_handshake(&headers).unwrap(),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn invalid_handshake_headers_are_named() {
        type Case = (&'static str, fn(&mut HeaderMap), &'static str);
        let cases: [Case; 6] = [
            (
                "no version",
                |h| {
                    h.remove(SEC_WEBSOCKET_VERSION);
                },
                "INVALID_SEC_WEBSOCKET_VERSION",
            ),
            (
                "version 8",
                |h| {
                    h.insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("8"));
                },
                "INVALID_SEC_WEBSOCKET_VERSION",
            ),
            (
                "short key",
                |h| {
                    h.insert(SEC_WEBSOCKET_KEY, HeaderValue::from_static("abc"));
                },
                "INVALID_SEC_WEBSOCKET_KEY",
            ),
            (
                "two keys",
                |h| {
                    h.append(
                        SEC_WEBSOCKET_KEY,
                        HeaderValue::from_static("AAAAAAAAAAAAAAAAAAAAAA=="),
                    );
                },
                "INVALID_SEC_WEBSOCKET_KEY",
            ),
            (
                "no connection",
                |h| {
                    h.remove(CONNECTION);
                },
                "INVALID_CONNECTION_HEADER",
            ),
            (
                "connection close",
                |h| {
                    h.insert(CONNECTION, HeaderValue::from_static("close"));
                },
                "INVALID_CONNECTION_HEADER",
            ),
        ];
        for (what, change, expected) in cases {
            let mut headers = upgrade_headers();
            change(&mut headers);
            assert_eq!(check_handshake(&headers), Err(expected), "{what}");
        }
    }

    #[test]
    fn subprotocol_and_extension_lists_are_checked() {
        for (value, valid) in [
            ("chat", true),
            ("chat, superchat", true),
            ("chat,,x", false),
            ("", false),
            ("a b", false),
            ("\"chat\"", false),
            ("chat,", false),
        ] {
            let mut headers = upgrade_headers();
            headers.insert(
                SEC_WEBSOCKET_PROTOCOL,
                HeaderValue::from_str(value).unwrap(),
            );
            assert_eq!(
                check_handshake(&headers).is_ok(),
                valid,
                "protocol {value:?}"
            );
        }
        for (value, valid) in [
            ("permessage-deflate", true),
            ("permessage-deflate; client_max_window_bits", true),
            (
                "permessage-deflate; client_max_window_bits=15, x-webkit-deflate-frame",
                true,
            ),
            ("foo; bar=\"a \\\" b\"; baz = 1", true),
            ("", false),
            (";", false),
            ("foo;", false),
            ("foo; =1", false),
            ("foo; bar=", false),
            ("foo; bar=\"open", false),
            ("foo,,bar", false),
            ("foo bar", false),
            ("foo; bar=\"x\" y", false),
        ] {
            let mut headers = upgrade_headers();
            headers.insert(
                SEC_WEBSOCKET_EXTENSIONS,
                HeaderValue::from_str(value).unwrap(),
            );
            assert_eq!(
                check_handshake(&headers).is_ok(),
                valid,
                "extensions {value:?}"
            );
        }
    }
}
