//! The handshake: the JSON data of the server's `open` packet.

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;
use serde::{Deserialize, Serialize};

use crate::error::DecodeError;
use crate::packet::Packet;
use crate::transport::Transport;
use crate::utf8::Utf8Bytes;
use crate::version::ProtocolVersion;

/// The session parameters the server announces in its `open` packet, e.g.
/// `{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionParams {
    /// The session id.
    pub sid: String,
    /// Transports the client may upgrade to (names; unknown ones are kept and ignored).
    pub upgrades: Vec<String>,
    /// Milliseconds between the server's pings.
    pub ping_interval: u64,
    /// Milliseconds the server waits for a pong.
    pub ping_timeout: u64,
    /// The largest payload, in bytes, the server accepts. Revision 3 servers do not announce it; it then
    /// reads as 1 000 000.
    #[serde(default = "default_max_payload")]
    pub max_payload: u64,
}

/// The revision 3 `open` packet's fields.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionParamsV3<'a> {
    sid: &'a str,
    upgrades: &'a [String],
    ping_interval: u64,
    ping_timeout: u64,
}

fn default_max_payload() -> u64 {
    1_000_000
}

impl SessionParams {
    /// Whether the server offers an upgrade to `transport`.
    pub fn offers_upgrade(&self, transport: Transport) -> bool {
        self.upgrades.iter().any(|name| name == transport.as_str())
    }

    /// The ping interval as a duration.
    pub fn ping_interval(&self) -> Duration {
        Duration::from_millis(self.ping_interval)
    }

    /// The ping timeout as a duration.
    pub fn ping_timeout(&self) -> Duration {
        Duration::from_millis(self.ping_timeout)
    }

    /// The `open` packet carrying this handshake.
    pub fn to_packet(&self) -> Packet {
        let json = serde_json::to_string(self).expect("a handshake always serializes");
        Packet::Open(Utf8Bytes::from(json))
    }

    /// The `open` packet carrying this handshake in protocol revision `version`: revision 3 has no
    /// `maxPayload`.
    pub fn to_packet_for(&self, version: ProtocolVersion) -> Packet {
        match version {
            ProtocolVersion::V4 => self.to_packet(),
            ProtocolVersion::V3 => {
                let json = serde_json::to_string(&SessionParamsV3 {
                    sid: &self.sid,
                    upgrades: &self.upgrades,
                    ping_interval: self.ping_interval,
                    ping_timeout: self.ping_timeout,
                })
                .expect("a handshake always serializes");
                Packet::Open(Utf8Bytes::from(json))
            }
        }
    }

    /// Parses the data of an `open` packet.
    pub fn parse(json: &str) -> Result<SessionParams, DecodeError> {
        serde_json::from_str(json).map_err(|_| DecodeError::InvalidHandshake)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn round_trips_the_spec_example() {
        let json = r#"{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
        let handshake = SessionParams::parse(json).unwrap();
        assert_eq!(
            handshake,
            SessionParams {
                sid: "lv_VI97HAXpY6yYWAAAC".into(),
                upgrades: vec!["websocket".into()],
                ping_interval: 25000,
                ping_timeout: 20000,
                max_payload: 1_000_000,
            }
        );
        assert!(handshake.offers_upgrade(Transport::WebSocket));
        assert_eq!(
            handshake.to_packet(),
            Packet::Open(Utf8Bytes::from(String::from(json)))
        );
    }

    #[test]
    fn revision_3_announces_no_max_payload() {
        let json = r#"{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000}"#;
        let handshake = SessionParams::parse(json).unwrap();
        assert_eq!(handshake.max_payload, 1_000_000);
        assert_eq!(
            handshake.to_packet_for(ProtocolVersion::V3),
            Packet::Open(Utf8Bytes::from(String::from(json)))
        );
        assert_eq!(
            handshake.to_packet_for(ProtocolVersion::V4),
            handshake.to_packet()
        );
    }

    #[test]
    fn rejects_malformed_json() {
        assert_eq!(
            SessionParams::parse("{}"),
            Err(DecodeError::InvalidHandshake)
        );
        assert_eq!(
            SessionParams::parse(r#"{"sid":1}"#),
            Err(DecodeError::InvalidHandshake)
        );
    }
}
