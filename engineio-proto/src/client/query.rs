//! Query strings for the Engine.IO endpoint.

use alloc::string::String;
use core::fmt::Write as _;

use crate::transport::Transport;
use crate::version::ProtocolVersion;

/// `EIO=<revision>&transport=<name>`, plus `&sid=<sid>` once the session id is known.
///
/// A revision 3 client never sends `b64`: it takes binary payloads and frames as they come.
pub(super) fn endpoint_query(
    version: ProtocolVersion,
    transport: Transport,
    sid: Option<&str>,
) -> String {
    let mut query = String::with_capacity(48);
    query.push_str("EIO=");
    query.push_str(version.as_str());
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
        let v4 = ProtocolVersion::V4;
        assert_eq!(
            endpoint_query(v4, Transport::Polling, None),
            "EIO=4&transport=polling"
        );
        assert_eq!(
            endpoint_query(v4, Transport::WebSocket, Some("lv_VI97-HAX")),
            "EIO=4&transport=websocket&sid=lv_VI97-HAX"
        );
        assert_eq!(
            endpoint_query(v4, Transport::Polling, Some("a b&c=é")),
            "EIO=4&transport=polling&sid=a%20b%26c%3D%C3%A9"
        );
        assert_eq!(
            endpoint_query(ProtocolVersion::V3, Transport::Polling, Some("s")),
            "EIO=3&transport=polling&sid=s"
        );
    }
}
