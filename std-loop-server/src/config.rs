//! The server's settings: the two machines' own, and the bounds of the loop around them.

use std::time::Duration;

use engineio_proto::server::ServerConfig;
use socketio_proto::server::ServerConnectionConfig;

/// Everything the server is configured with. `Default` gives the reference server's settings
/// for the machines and the bounds below.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where Engine.IO is served (default `/socket.io/`); other paths get `404`.
    pub path: String,
    /// The Engine.IO sessions' settings (heartbeat, `maxPayload`, transports, send queue bound).
    pub engine: ServerConfig,
    /// The Socket.IO connections' settings (connect timeout, namespace and ack bounds).
    pub socket_io: ServerConnectionConfig,
    /// Most connections open at once (default 1024); more wait in the listen backlog.
    pub max_connections: usize,
    /// Most sessions at once (default 1024); a handshake beyond it is refused with code 4
    /// (Forbidden), as an `allowRequest` hook would.
    pub max_sessions: usize,
    /// The longest request head, which is also the most bytes read ahead from one connection
    /// (default 8 KiB); a longer head gets `431`.
    pub max_head_bytes: usize,
    /// Most bytes waiting to be written to one WebSocket (default 2 MB); a client that lets more
    /// pile up is not reading, and its socket fails.
    pub max_websocket_unsent: usize,
    /// How long a connection may take to send its request, to take its last response, or to finish
    /// closing (default 30 s).
    pub io_timeout: Duration,
    /// The longest pause of the loop when nothing happened (default 1 ms): how late a byte that
    /// arrives meanwhile is read. The standard library cannot wait for readiness; see the crate
    /// documentation.
    pub idle_wait: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            path: String::from("/socket.io/"),
            engine: ServerConfig::default(),
            socket_io: ServerConnectionConfig::default(),
            max_connections: 1024,
            max_sessions: 1024,
            max_head_bytes: 8 * 1024,
            max_websocket_unsent: 2_000_000,
            io_timeout: Duration::from_secs(30),
            idle_wait: Duration::from_millis(1),
        }
    }
}
