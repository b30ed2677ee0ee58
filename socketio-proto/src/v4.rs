//! Socket.IO protocol revision 4, spoken over Engine.IO revision 3 by Socket.IO 1 and 2
//! (`socket.io-client@2`, `socket.io@2`): what differs from revision 5 outside the packet grammar,
//! which the two share.
//!
//! - The connection to the main namespace `/` is implicit: the server joins every client to it when the
//!   Engine.IO session opens and sends `CONNECT` for `/` unasked; the client never asks.
//! - `CONNECT` carries no payload. The client's auth is the query of the namespace:
//!   `0/admin?token=abc,` ([`split_query`], [`auth_from_query`], [`query_from_auth`]); for `/`, the
//!   Engine.IO request's own query carries it.
//! - The server's `CONNECT` has no sid: socket ids are the Engine.IO session id, behind
//!   `<namespace>#` outside `/` ([`socket_id`]).
//! - The refusal (`ERROR`, type 4) carries the middleware error's data if it has any, else its message
//!   as a plain JSON string ([`error_payload`]).
//!
//! [`ServerConnection::new_eio3`](crate::server::ServerConnection::new_eio3) and
//! [`ManagerConfig::protocol`](crate::client::ManagerConfig::protocol) select this revision.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Write as _;

use engineio_proto::Utf8Bytes;
use serde_json::Value;

use crate::packet::{NamespaceName, RawJson};

/// The socket id a revision 4 server gives: the Engine.IO session id on `/`, `<namespace>#<sid>`
/// elsewhere (`/admin#lv_VI97HAXpY6yYWAAAC`).
pub fn socket_id(namespace: &str, engine_sid: &str) -> String {
    if namespace == "/" {
        return String::from(engine_sid);
    }
    let mut id = String::with_capacity(namespace.len() + 1 + engine_sid.len());
    id.push_str(namespace);
    id.push('#');
    id.push_str(engine_sid);
    id
}

/// A `CONNECT` packet's namespace split into the namespace proper and its query, if it has one:
/// `/admin?token=abc` is `/admin` and `token=abc`.
pub fn split_query(namespace: &NamespaceName) -> (NamespaceName, Option<&str>) {
    let Some(start) = namespace.find('?') else {
        return (namespace.clone(), None);
    };
    let path = namespace
        .as_utf8_bytes()
        .slice(0, start)
        .and_then(|path| NamespaceName::new(path).ok())
        .unwrap_or_default();
    (path, Some(&namespace[start + 1..]))
}

/// The auth object a revision 4 server reads from a namespace query, as the reference's
/// `Object.fromEntries(new URLSearchParams(query))`: an object of strings, percent-decoded, `+` read as
/// a space, a repeated key keeping its last value (at its first place).
pub fn auth_from_query(query: &str) -> RawJson {
    let mut entries: Vec<(String, String)> = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (key, value) = (form_decode(key), form_decode(value));
        match entries.iter_mut().find(|(existing, _)| *existing == key) {
            Some(entry) => entry.1 = value,
            None => entries.push((key, value)),
        }
    }
    let mut json = String::from("{");
    for (index, (key, value)) in entries.iter().enumerate() {
        if index > 0 {
            json.push(',');
        }
        push_json_string(&mut json, key);
        json.push(':');
        push_json_string(&mut json, value);
    }
    json.push('}');
    RawJson::from_validated(Utf8Bytes::from(json))
}

/// The query a revision 4 client sends for an auth object: its top-level entries as `key=value`,
/// strings as they are, other values as their JSON text, both escaped as `encodeURIComponent` does.
/// Empty for anything but a non-empty object.
pub fn query_from_auth(auth: &RawJson) -> String {
    let Ok(Value::Object(entries)) = auth.deserialize::<Value>() else {
        return String::new();
    };
    let mut query = String::new();
    for (key, value) in &entries {
        if !query.is_empty() {
            query.push('&');
        }
        push_uri_component(&mut query, key);
        query.push('=');
        match value {
            Value::String(text) => push_uri_component(&mut query, text),
            other => push_uri_component(&mut query, &other.to_string()),
        }
    }
    query
}

/// The payload of a revision 4 `ERROR` refusing a connection: the error's `data` unless it is falsy in
/// JavaScript (absent, `null`, `false`, `0`, `""`), else its message as a JSON string — the reference's
/// `err.data || err.message`.
pub fn error_payload(message: &str, data: Option<&RawJson>) -> RawJson {
    if let Some(data) = data.filter(|data| !is_falsy(data)) {
        return data.clone();
    }
    let mut json = String::with_capacity(message.len() + 2);
    push_json_string(&mut json, message);
    RawJson::from_validated(Utf8Bytes::from(json))
}

/// The message and data of a revision 4 `ERROR` as a client reads it: a string is the message; any
/// other value is the data, whole, and its `message` field (if a string) the message.
pub fn error_parts(payload: &RawJson) -> (String, Option<RawJson>) {
    match payload.deserialize::<Value>() {
        Ok(Value::String(message)) => (message, None),
        Ok(value) => {
            let message = match value.get("message") {
                Some(Value::String(message)) => message.clone(),
                _ => String::new(),
            };
            (message, Some(payload.clone()))
        }
        Err(_) => (String::new(), None),
    }
}

fn is_falsy(json: &RawJson) -> bool {
    match json.deserialize::<Value>() {
        Ok(Value::Null | Value::Bool(false)) => true,
        Ok(Value::Number(number)) => number.as_f64() == Some(0.0),
        Ok(Value::String(text)) => text.is_empty(),
        _ => false,
    }
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte (a malformed escape stays
/// as written), invalid UTF-8 becomes U+FFFD.
fn form_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        let escaped = (byte == b'%')
            .then(|| Some((hex(*bytes.get(index + 1)?)?, hex(*bytes.get(index + 2)?)?)))
            .flatten();
        match (byte, escaped) {
            (_, Some((high, low))) => {
                decoded.push(high << 4 | low);
                index += 3;
            }
            (b'+', None) => {
                decoded.push(b' ');
                index += 1;
            }
            (byte, None) => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

fn hex(digit: u8) -> Option<u8> {
    char::from(digit).to_digit(16).map(|value| value as u8)
}

/// Appends `text` escaped as JavaScript's `encodeURIComponent`.
fn push_uri_component(out: &mut String, text: &str) {
    for byte in text.bytes() {
        let unreserved = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
            );
        if unreserved {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
}

/// Appends `text` as a JSON string literal.
fn push_json_string(out: &mut String, text: &str) {
    // Serializing a `str` cannot fail.
    out.push_str(&serde_json::to_string(text).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(name: &'static str) -> NamespaceName {
        NamespaceName::from_static(name)
    }

    #[test]
    fn socket_ids_as_the_reference() {
        assert_eq!(
            socket_id("/", "lv_VI97HAXpY6yYWAAAC"),
            "lv_VI97HAXpY6yYWAAAC"
        );
        assert_eq!(socket_id("/admin", "abc"), "/admin#abc");
    }

    #[test]
    fn splits_the_query_off_the_namespace() {
        assert_eq!(split_query(&ns("/admin")), (ns("/admin"), None));
        assert_eq!(
            split_query(&ns("/admin?token=1234&uid=abcd")),
            (ns("/admin"), Some("token=1234&uid=abcd"))
        );
        assert_eq!(split_query(&ns("/?a=1")), (ns("/"), Some("a=1")));
        assert_eq!(split_query(&ns("/x?")), (ns("/x"), Some("")));
    }

    #[test]
    fn reads_a_query_as_url_search_params() {
        let auth = |query| String::from(auth_from_query(query).as_str());
        assert_eq!(
            auth("token=1234&uid=abcd"),
            r#"{"token":"1234","uid":"abcd"}"#
        );
        assert_eq!(auth(""), "{}");
        assert_eq!(auth("a=1&b&a=2&&c=x=y"), r#"{"a":"2","b":"","c":"x=y"}"#);
        assert_eq!(
            auth("n=%C3%A9t%C3%A9+x&q=%22%5C"),
            r#"{"n":"été x","q":"\"\\"}"#
        );
        assert_eq!(
            auth("bad=%zz%4&odd=%ff"),
            "{\"bad\":\"%zz%4\",\"odd\":\"\u{fffd}\"}"
        );
        assert!(
            RawJson::new(auth("k%00=%01")).is_ok(),
            "control characters are escaped"
        );
    }

    #[test]
    fn writes_auth_as_encode_uri_component() {
        let query = |json: &str| query_from_auth(&RawJson::new(String::from(json)).unwrap());
        assert_eq!(query(r#"{"token":"a b&c,é"}"#), "token=a%20b%26c%2C%C3%A9");
        assert_eq!(query(r#"{"n":1,"ok":true,"x":null}"#), "n=1&ok=true&x=null");
        assert_eq!(query("{}"), "");
        assert_eq!(query("[1]"), "");
        // What one side writes the other reads back.
        let auth = RawJson::new(r#"{"k=&+":"v=&+ é"}"#).unwrap();
        assert_eq!(auth_from_query(&query_from_auth(&auth)), auth);
    }

    #[test]
    fn errors_carry_data_or_the_message() {
        let json = |text: &'static str| RawJson::new(text).unwrap();
        assert_eq!(
            error_payload("Not authorized", None).as_str(),
            r#""Not authorized""#
        );
        assert_eq!(
            error_payload("no", Some(&json(r#"{"code":4}"#))).as_str(),
            r#"{"code":4}"#
        );
        for falsy in ["null", "false", "0", "0.0", r#""""#] {
            assert_eq!(
                error_payload("m", Some(&json(falsy))).as_str(),
                r#""m""#,
                "{falsy}"
            );
        }
        assert_eq!(
            error_parts(&json(r#""Not authorized""#)),
            ("Not authorized".into(), None)
        );
        assert_eq!(
            error_parts(&json(r#"{"message":"Invalid namespace"}"#)),
            (
                "Invalid namespace".into(),
                Some(json(r#"{"message":"Invalid namespace"}"#))
            )
        );
        assert_eq!(
            error_parts(&json("[1]")),
            (String::new(), Some(json("[1]")))
        );
    }
}
