//! The protocol revisions this crate speaks.

use core::fmt;

/// An Engine.IO protocol revision, as the `EIO` query parameter names it.
///
/// Revision 4 (Socket.IO 3 and later) is the default everywhere. Revision 3 is what Socket.IO 1 and 2
/// speak (`socket.io-client@2`, `socket.io@2`); the [`v3`](crate::v3) module has its wire forms. The
/// two differ in:
///
/// - the heartbeat: in revision 3 the client pings and the server answers (the server gives up after
///   `pingInterval + pingTimeout` without a packet); in revision 4 the server pings;
/// - long-polling payloads: `<length>:<packet>` with the length in UTF-16 code units, binary as
///   `b4` + base64, or the XHR2 binary framing, instead of packets joined by `\x1e`;
/// - WebSocket binary frames, which carry the packet type as their first byte;
/// - the `open` packet, which has no `maxPayload`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProtocolVersion {
    /// Revision 3 (Socket.IO 1 and 2).
    V3,
    /// Revision 4 (Socket.IO 3 and later), the default.
    #[default]
    V4,
}

impl ProtocolVersion {
    /// Parses an `EIO` query parameter: `"3"` or `"4"`.
    pub fn parse(eio: &str) -> Option<ProtocolVersion> {
        match eio {
            "3" => Some(ProtocolVersion::V3),
            "4" => Some(ProtocolVersion::V4),
            _ => None,
        }
    }

    /// The `EIO` query parameter's value.
    pub fn as_str(self) -> &'static str {
        match self {
            ProtocolVersion::V3 => "3",
            ProtocolVersion::V4 => "4",
        }
    }

    /// Whether the client sends the heartbeat pings (revision 3) rather than the server.
    pub fn client_pings(self) -> bool {
        self == ProtocolVersion::V3
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_eio_parameter() {
        assert_eq!(ProtocolVersion::parse("3"), Some(ProtocolVersion::V3));
        assert_eq!(ProtocolVersion::parse("4"), Some(ProtocolVersion::V4));
        assert_eq!(ProtocolVersion::parse("5"), None);
        assert_eq!(ProtocolVersion::parse(" 3"), None);
        assert_eq!(ProtocolVersion::default(), ProtocolVersion::V4);
        assert_eq!(ProtocolVersion::V3.as_str(), "3");
    }
}
