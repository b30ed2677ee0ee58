//! Settings of the HTTP / WebSocket layer around the protocol's [`ServerConfig`].

use std::time::Duration;

use engineio_proto::server::ServerConfig;

/// How an [`Engine`](crate::Engine) serves requests. `Default` gives an Engine.IO server on
/// `/engine.io/` with the reference's protocol defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineConfig {
    /// The request path served (default `/engine.io/`; Socket.IO uses `/socket.io/`). The same path
    /// without its trailing slash is served too.
    pub path: String,
    /// The protocol settings: heartbeat, `max_payload`, transports, upgrades, queue bound.
    pub server: ServerConfig,
    /// Bound on the inputs (requests, WebSocket frames, application commands) waiting for one
    /// session's task (default 64). HTTP handlers and WebSocket readers wait for room.
    pub input_queue: usize,
    /// Bound on what the application hands one session through its
    /// [`SessionHandle`](crate::SessionHandle)s and has not been taken yet (default 4096 items;
    /// nothing is allocated while it is empty). Overflowing it closes the session.
    pub outbox_limit: usize,
    /// Bound on the frames waiting for one WebSocket's writer (default 1024). A client reading too
    /// slowly to keep it from filling loses its session (`transport error`).
    pub ws_write_queue: usize,
    /// How long a connection may take to send a request's headers (default 30 s); a half-sent
    /// request is dropped after it.
    pub header_read_timeout: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            path: "/engine.io/".into(),
            server: ServerConfig::default(),
            input_queue: 64,
            outbox_limit: 4096,
            ws_write_queue: 1024,
            header_read_timeout: Duration::from_secs(30),
        }
    }
}

impl EngineConfig {
    /// Sets [`EngineConfig::path`]; a trailing slash is added if missing.
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        let mut path = path.into();
        if !path.ends_with('/') {
            path.push('/');
        }
        self.path = path;
        self
    }

    /// Sets [`EngineConfig::server`].
    pub fn with_server(mut self, server: ServerConfig) -> Self {
        self.server = server;
        self
    }

    /// Sets [`EngineConfig::input_queue`] (at least 1).
    pub fn with_input_queue(mut self, input_queue: usize) -> Self {
        self.input_queue = input_queue.max(1);
        self
    }

    /// Sets [`EngineConfig::outbox_limit`] (at least 1).
    pub fn with_outbox_limit(mut self, outbox_limit: usize) -> Self {
        self.outbox_limit = outbox_limit.max(1);
        self
    }

    /// Sets [`EngineConfig::ws_write_queue`] (at least 1).
    pub fn with_ws_write_queue(mut self, ws_write_queue: usize) -> Self {
        self.ws_write_queue = ws_write_queue.max(1);
        self
    }

    /// Sets [`EngineConfig::header_read_timeout`].
    pub fn with_header_read_timeout(mut self, header_read_timeout: Duration) -> Self {
        self.header_read_timeout = header_read_timeout;
        self
    }

    /// Whether a request path is the served one (with or without the trailing slash).
    pub(crate) fn serves(&self, path: &str) -> bool {
        path == self.path || Some(path) == self.path.strip_suffix('/')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_the_path_with_or_without_its_slash() {
        let config = EngineConfig::default().with_path("/socket.io");
        assert_eq!(config.path, "/socket.io/");
        assert!(config.serves("/socket.io/"));
        assert!(config.serves("/socket.io"));
        assert!(!config.serves("/socket.io/x"));
        assert!(!config.serves("/engine.io/"));
    }
}
