//! Settings of the HTTP / WebSocket layer around the protocol's [`ServerConfig`].

use std::time::Duration;

use engineio_proto::server::ServerConfig;

use crate::http::cors::Cors;

/// How an [`Engine`](crate::Engine) serves requests. `Default` gives an Engine.IO server on
/// `/engine.io/` with the reference's protocol defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineConfig {
    /// The request path served (default `/engine.io/`; Socket.IO uses `/socket.io/`). The same path
    /// without its trailing slash is served too.
    pub path: String,
    /// The protocol settings: heartbeat, `max_payload`, transports, upgrades, queue bound.
    pub server: ServerConfig,
    /// Bound on the HTTP requests (long-polling GETs and POST chunks, upgrade requests) waiting
    /// for one session's task (default 8: a client has at most a GET, a POST and an upgrade in
    /// flight); a request beyond it is refused with 400 (code 3, "Bad request"). WebSocket frames do
    /// not pass through it: the session's task reads its socket itself.
    pub input_queue: usize,
    /// Bound on what the application hands one session through its
    /// [`SessionHandle`](crate::SessionHandle)s and has not been taken yet (default 4096 items;
    /// nothing is allocated while it is empty). Overflowing it closes the session.
    pub outbox_limit: usize,
    /// Bound on the frames waiting for one WebSocket's writer (default 4096, as many as the outbox
    /// can hand over at once; nothing is reserved up front). A client reading too slowly to keep it
    /// from filling loses its session (`transport error`).
    pub ws_write_queue: usize,
    /// How long a connection may take to send a request's headers (default 30 s); a half-sent
    /// request is dropped after it.
    pub header_read_timeout: Duration,
    /// Most headers one request may have (default 100); more get 431.
    pub max_headers: usize,
    /// Most bytes of a request's head (request line and headers) buffered while it is read
    /// (default 64 KiB, at least 8 KiB); a larger head gets 431.
    pub max_header_bytes: usize,
    /// How long a WebSocket the session let go waits for the client's answer to its close frame
    /// before the connection is dropped (default 2 s).
    pub ws_close_grace: Duration,
    /// The buffer one WebSocket reads into (default 4 KiB): the library zeroes it before every
    /// read and keeps it for the socket's life, so a small one costs less CPU and idle memory;
    /// larger messages still arrive, in several reads.
    pub ws_read_buffer: usize,
    /// How many bytes one WebSocket reads before letting its task's other work (its writer, its
    /// timers) and other tasks run (default 64 KiB). Bounds the work a client sending without
    /// pause can make the server do in one go; a larger budget reads big messages in fewer turns.
    pub ws_read_budget: usize,
    /// Cross-origin resource sharing (the reference's `cors`): `None` (the default) sends no CORS
    /// headers, so browsers refuse cross-origin reads, and `OPTIONS` is not answered as a
    /// preflight.
    pub cors: Option<Cors>,
    /// The origins a WebSocket may come from (`None`, the default: any). A WebSocket request whose
    /// `Origin` is not listed (compared exactly) is refused with 403, code 4: browsers always send
    /// `Origin`, so this stops cross-site WebSocket hijacking, which CORS does not cover.
    pub ws_allowed_origins: Option<Vec<String>>,
    /// With [`ws_allowed_origins`](Self::ws_allowed_origins), also refuse WebSocket requests that
    /// carry no `Origin` (default `false`: non-browser clients send none).
    pub ws_origin_required: bool,
}

/// hyper's smallest read buffer.
const MIN_HEADER_BYTES: usize = 8 * 1024;

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            path: "/engine.io/".into(),
            server: ServerConfig::default(),
            input_queue: 8,
            outbox_limit: 4096,
            ws_write_queue: 4096,
            header_read_timeout: Duration::from_secs(30),
            max_headers: 100,
            max_header_bytes: 64 * 1024,
            ws_close_grace: Duration::from_secs(2),
            ws_read_budget: 64 * 1024,
            ws_read_buffer: socketio_runtime::websocket::READ_BUFFER,
            cors: None,
            ws_allowed_origins: None,
            ws_origin_required: false,
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

    /// Lets Engine.IO revision 3 clients (`EIO=3`: `socket.io-client` 1 and 2, engine.io-client 3)
    /// open sessions, as the reference's `allowEIO3` (default off: their handshake gets 400 with
    /// code 5, unsupported protocol version). Sets [`ServerConfig::allow_eio3`] of
    /// [`EngineConfig::server`].
    pub fn with_allow_eio3(mut self, allow: bool) -> Self {
        self.server = self.server.with_allow_eio3(allow);
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

    /// Sets [`EngineConfig::ws_read_buffer`] (at least 1 KiB).
    pub fn with_ws_read_buffer(mut self, bytes: usize) -> Self {
        self.ws_read_buffer = bytes.max(1024);
        self
    }

    /// Sets [`EngineConfig::max_headers`].
    pub fn with_max_headers(mut self, max_headers: usize) -> Self {
        self.max_headers = max_headers;
        self
    }

    /// Sets [`EngineConfig::max_header_bytes`] (at least 8 KiB, hyper's smallest read buffer).
    pub fn with_max_header_bytes(mut self, max_header_bytes: usize) -> Self {
        self.max_header_bytes = max_header_bytes.max(MIN_HEADER_BYTES);
        self
    }

    /// Sets [`EngineConfig::header_read_timeout`].
    pub fn with_header_read_timeout(mut self, header_read_timeout: Duration) -> Self {
        self.header_read_timeout = header_read_timeout;
        self
    }

    /// Sets [`EngineConfig::ws_close_grace`].
    pub fn with_ws_close_grace(mut self, grace: Duration) -> Self {
        self.ws_close_grace = grace;
        self
    }

    /// Sets [`EngineConfig::ws_read_budget`] (at least 1).
    pub fn with_ws_read_budget(mut self, bytes: usize) -> Self {
        self.ws_read_budget = bytes.max(1);
        self
    }

    /// Sets [`EngineConfig::cors`] (`Cors::origins([..])`, `Cors::any()`, ...).
    pub fn with_cors(mut self, cors: Cors) -> Self {
        self.cors = Some(cors);
        self
    }

    /// Enables CORS for `origins` only, with the other CORS settings kept if CORS was configured
    /// (else the defaults); a shortcut for [`with_cors`](Self::with_cors)`(Cors::origins(..))`.
    pub fn with_cors_origins(
        mut self,
        origins: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let origins = Cors::origins(origins).origins;
        self.cors.get_or_insert_with(Cors::any).origins = origins;
        self
    }

    /// Enables CORS for any origin (`*`), with the other CORS settings kept if CORS was
    /// configured; a shortcut for [`with_cors`](Self::with_cors)`(Cors::any())`.
    pub fn with_cors_any_origin(mut self) -> Self {
        self.cors.get_or_insert_with(Cors::any).origins = Cors::any().origins;
        self
    }

    /// Sets [`EngineConfig::ws_allowed_origins`].
    pub fn with_ws_allowed_origins(
        mut self,
        origins: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.ws_allowed_origins = Some(origins.into_iter().map(Into::into).collect());
        self
    }

    /// Sets [`EngineConfig::ws_origin_required`].
    pub fn with_ws_origin_required(mut self, required: bool) -> Self {
        self.ws_origin_required = required;
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
