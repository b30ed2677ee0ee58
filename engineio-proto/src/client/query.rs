//! Query strings for the Engine.IO endpoint.

use alloc::string::String;
use core::fmt::Write as _;

use crate::transport::Transport;

/// The protocol revision sent as `EIO`.
const PROTOCOL: &str = "4";

/// `EIO=4&transport=<name>`, plus `&sid=<sid>` once the session id is known.
pub(super) fn endpoint_query(transport: Transport, sid: Option<&str>) -> String {
    let mut query = String::with_capacity(48);
    query.push_str("EIO=");
    query.push_str(PROTOCOL);
    query.push_str("&transport=");
    query.push_str(transport.as_str());
    if let Some(sid) = sid {
        query.push_str("&sid=");
        push_percent_encoded(&mut query, sid);
    }
    query
}

/// The sid comes from the server, so it is escaped rather than trusted to be URL-safe.
fn push_percent_encoded(out: &mut String, value: &str) {
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_queries() {
        assert_eq!(
            endpoint_query(Transport::Polling, None),
            "EIO=4&transport=polling"
        );
        assert_eq!(
            endpoint_query(Transport::WebSocket, Some("lv_VI97-HAX")),
            "EIO=4&transport=websocket&sid=lv_VI97-HAX"
        );
        assert_eq!(
            endpoint_query(Transport::Polling, Some("a b&c=é")),
            "EIO=4&transport=polling&sid=a%20b%26c%3D%C3%A9"
        );
    }
}
