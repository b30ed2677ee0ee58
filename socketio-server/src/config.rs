//! Server settings, with the reference server's defaults.

use std::time::Duration;

use engineio_proto::Transports;
use socketio_proto::parser::PacketFormat;
use socketio_proto::server::ServerConnectionConfig;

use engineio_server::Cors;
use engineio_server::EngineConfig;

/// How a [`SocketIo`](super::SocketIo) server runs. `Default` gives the reference's defaults: path
/// `/socket.io/`, pingInterval 25 s, pingTimeout 20 s, maxHttpBufferSize 1 MB, connectTimeout 45 s,
/// both transports with upgrades, upgradeTimeout 10 s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SocketIoConfig {
    /// The HTTP / Engine.IO layer: path, heartbeat, payload limit, transports, queues.
    pub engine: EngineConfig,
    /// The Socket.IO layer: connect timeout, decoder limits (attachments), ack and queue bounds.
    pub connection: ServerConnectionConfig,
}

impl Default for SocketIoConfig {
    fn default() -> Self {
        SocketIoConfig {
            engine: EngineConfig::default().with_path("/socket.io/"),
            connection: ServerConnectionConfig::default(),
        }
    }
}

impl SocketIoConfig {
    /// Sets the request path (`path`, default `/socket.io/`).
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.engine = self.engine.with_path(path);
        self
    }

    /// Sets `pingInterval`.
    pub fn with_ping_interval(mut self, interval: Duration) -> Self {
        self.engine.server = self.engine.server.with_ping_interval(interval);
        self
    }

    /// Sets `pingTimeout`.
    pub fn with_ping_timeout(mut self, timeout: Duration) -> Self {
        self.engine.server = self.engine.server.with_ping_timeout(timeout);
        self
    }

    /// Sets `maxHttpBufferSize`: the largest polling payload or WebSocket message accepted.
    pub fn with_max_http_buffer_size(mut self, bytes: usize) -> Self {
        self.engine.server = self.engine.server.with_max_payload(bytes);
        self
    }

    /// Sets `connectTimeout`: how long a connection may stay without joining a namespace.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connection = self.connection.with_connect_timeout(timeout);
        self
    }

    /// Sets the enabled transports.
    pub fn with_transports(mut self, transports: Transports) -> Self {
        self.engine.server = self.engine.server.with_transports(transports);
        self
    }

    /// Sets `allowUpgrades`.
    pub fn with_allow_upgrades(mut self, allow: bool) -> Self {
        self.engine.server = self.engine.server.with_allow_upgrades(allow);
        self
    }

    /// Sets the parser every client of this server speaks (`parser`): [`PacketFormat::Json`] by
    /// default, [`PacketFormat::msgpack()`] for clients using `socket.io-msgpack-parser`.
    pub fn with_parser(mut self, format: PacketFormat) -> Self {
        self.connection = self.connection.with_format(format);
        self
    }

    /// Sets `allowEIO3` (default off): whether `socket.io-client` 1 and 2 (Engine.IO revision 3,
    /// Socket.IO protocol v4) may connect. Their sockets live in the same namespaces, rooms and
    /// broadcasts as the others; while off their handshake gets 400 with code 5.
    pub fn with_allow_eio3(mut self, allow: bool) -> Self {
        self.engine = self.engine.with_allow_eio3(allow);
        self
    }

    /// Sets `upgradeTimeout`.
    pub fn with_upgrade_timeout(mut self, timeout: Duration) -> Self {
        self.engine.server = self.engine.server.with_upgrade_timeout(timeout);
        self
    }

    /// Sets `cors`: the CORS headers sent to browsers (default: none, so cross-origin pages cannot
    /// read the responses). See [`EngineConfig::cors`].
    pub fn with_cors(mut self, cors: Cors) -> Self {
        self.engine = self.engine.with_cors(cors);
        self
    }

    /// Sets the most binary attachments one packet may announce (default 10).
    pub fn with_max_attachments(mut self, attachments: usize) -> Self {
        let mut decoder = self.connection.decoder;
        decoder.max_attachments = attachments;
        self.connection = self.connection.with_decoder(decoder);
        self
    }
}
