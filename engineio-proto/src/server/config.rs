//! Server settings, with the reference server's defaults.

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use crate::handshake::SessionParams;
use crate::transport::{Transport, Transports};

/// Settings shared by every session of a server.
///
/// `Default` gives the reference server's defaults; the `with_*` methods change one setting each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// Time between the server's pings (`pingInterval`, default 25 s).
    pub ping_interval: Duration,
    /// How long the server waits for a pong before closing (`pingTimeout`, default 20 s).
    pub ping_timeout: Duration,
    /// How long a WebSocket probe may take to complete an upgrade (`upgradeTimeout`, default 10 s).
    pub upgrade_timeout: Duration,
    /// The largest polling payload or WebSocket frame accepted, in bytes (`maxHttpBufferSize`,
    /// announced as `maxPayload`; default 1 000 000). Outgoing polling payloads are batched within it.
    pub max_payload: usize,
    /// The enabled transports (default both).
    pub transports: Transports,
    /// Whether polling sessions may upgrade to WebSocket (`allowUpgrades`, default true).
    pub allow_upgrades: bool,
    /// Bound on the packets a session holds for sending (default 1024). Beyond it,
    /// [`ServerSession::send`](super::ServerSession::send) fails instead of growing the queue.
    pub max_buffered_packets: usize,
    /// How long a server-side close over polling waits for the next GET to carry the `close` packet
    /// (default 30 s, as the reference's polling transport).
    pub close_timeout: Duration,
    /// Whether clients of protocol revision 3 (`EIO=3`: `socket.io-client` 1 and 2) may open sessions
    /// (`allowEIO3`, default false: their handshake gets code 5, unsupported protocol version).
    pub allow_eio3: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            ping_interval: Duration::from_secs(25),
            ping_timeout: Duration::from_secs(20),
            upgrade_timeout: Duration::from_secs(10),
            max_payload: 1_000_000,
            transports: Transports::ALL,
            allow_upgrades: true,
            max_buffered_packets: 1024,
            close_timeout: Duration::from_secs(30),
            allow_eio3: false,
        }
    }
}

impl ServerConfig {
    /// Sets [`ServerConfig::ping_interval`].
    pub fn with_ping_interval(mut self, ping_interval: Duration) -> Self {
        self.ping_interval = ping_interval;
        self
    }

    /// Sets [`ServerConfig::ping_timeout`].
    pub fn with_ping_timeout(mut self, ping_timeout: Duration) -> Self {
        self.ping_timeout = ping_timeout;
        self
    }

    /// Sets [`ServerConfig::upgrade_timeout`].
    pub fn with_upgrade_timeout(mut self, upgrade_timeout: Duration) -> Self {
        self.upgrade_timeout = upgrade_timeout;
        self
    }

    /// Sets [`ServerConfig::max_payload`].
    pub fn with_max_payload(mut self, max_payload: usize) -> Self {
        self.max_payload = max_payload;
        self
    }

    /// Sets [`ServerConfig::transports`].
    pub fn with_transports(mut self, transports: Transports) -> Self {
        self.transports = transports;
        self
    }

    /// Sets [`ServerConfig::allow_upgrades`].
    pub fn with_allow_upgrades(mut self, allow_upgrades: bool) -> Self {
        self.allow_upgrades = allow_upgrades;
        self
    }

    /// Sets [`ServerConfig::max_buffered_packets`].
    pub fn with_max_buffered_packets(mut self, max_buffered_packets: usize) -> Self {
        self.max_buffered_packets = max_buffered_packets;
        self
    }

    /// Sets [`ServerConfig::close_timeout`].
    pub fn with_close_timeout(mut self, close_timeout: Duration) -> Self {
        self.close_timeout = close_timeout;
        self
    }

    /// Sets [`ServerConfig::allow_eio3`].
    pub fn with_allow_eio3(mut self, allow_eio3: bool) -> Self {
        self.allow_eio3 = allow_eio3;
        self
    }

    /// Whether a session opened over `transport` may upgrade to WebSocket.
    pub fn offers_upgrade(&self, transport: Transport) -> bool {
        transport == Transport::Polling && self.allow_upgrades && self.transports.websocket
    }

    /// The handshake announced to a session `sid` opened over `transport`.
    pub fn handshake(&self, sid: &str, transport: Transport) -> SessionParams {
        let mut upgrades = Vec::new();
        if self.offers_upgrade(transport) {
            upgrades.push(String::from(Transport::WebSocket.as_str()));
        }
        SessionParams {
            sid: String::from(sid),
            upgrades,
            ping_interval: millis(self.ping_interval),
            ping_timeout: millis(self.ping_timeout),
            max_payload: u64::try_from(self.max_payload).unwrap_or(u64::MAX),
        }
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_reference_ones() {
        let handshake = ServerConfig::default().handshake("abc", Transport::Polling);
        assert_eq!(
            (
                handshake.ping_interval,
                handshake.ping_timeout,
                handshake.max_payload
            ),
            (25_000, 20_000, 1_000_000)
        );
        assert_eq!(handshake.upgrades, ["websocket"]);
    }

    #[test]
    fn upgrades_only_from_polling_to_an_enabled_websocket() {
        let config = ServerConfig::default();
        assert!(!config.offers_upgrade(Transport::WebSocket));
        assert!(
            !config
                .with_allow_upgrades(false)
                .offers_upgrade(Transport::Polling)
        );
        assert!(
            !config
                .with_transports(Transports::POLLING)
                .offers_upgrade(Transport::Polling)
        );
    }
}
