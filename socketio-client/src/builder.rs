//! [`ClientBuilder`]: the URL and the options of a client.

use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use engineio_proto::{ProtocolVersion, Transport, Transports};
use http::{HeaderMap, HeaderName, HeaderValue};
use serde::Serialize;
use serde_json::Value;
use socketio_proto::client::stack::StackConfig;
use socketio_proto::packet::RawJson;
use socketio_proto::parser::PacketFormat;
use socketio_proto::v4;

use super::handle::{Client, ClientShared, ConnectError, Lifeline};
use super::task::ClientTask;
use super::transport::TransportContext;
use super::url::{self, UrlError};
use super::{ClientRuntime, tls};

/// Commands the handles may queue before emits fail with
/// [`EmitError::QueueFull`](super::EmitError::QueueFull).
const COMMAND_QUEUE: usize = 1024;
/// Transport reports waiting for the client's task (frames, responses); a full queue holds the
/// readers.
const REPORT_QUEUE: usize = 256;

/// The auth sent with each namespace `CONNECT`.
#[derive(Clone, Default)]
pub(crate) enum Auth {
    #[default]
    None,
    Value(Value),
    Callback(Arc<dyn Fn() -> Value + Send + Sync>),
}

impl Auth {
    /// The auth to send now.
    pub(crate) fn evaluate(&self) -> Option<Value> {
        match self {
            Auth::None => None,
            Auth::Value(value) => Some(value.clone()),
            Auth::Callback(callback) => Some(callback()),
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Value(value) => write!(f, "Value({value})"),
            Auth::Callback(_) => f.write_str("Callback"),
        }
    }
}

/// Why a client could not be built.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BuildError {
    /// The URL does not parse, has no host, or its path is not a namespace name.
    #[error("invalid URL")]
    InvalidUrl,
    /// The scheme is not `http`, `https`, `ws` or `wss`.
    #[error("unsupported URL scheme")]
    UnsupportedScheme,
    /// The default TLS configuration could not be made.
    #[error("TLS configuration failed")]
    Tls(#[source] super::rustls::Error),
    /// A header name or value is invalid.
    #[error("invalid header")]
    InvalidHeader,
    /// The auth is not a JSON object.
    #[error("auth must be a JSON object")]
    InvalidAuth,
    /// No transport is enabled.
    #[error("no transport enabled")]
    NoTransports,
}

/// The options of a [`Client`], from [`Client::builder`]. The defaults are the reference client's.
pub struct ClientBuilder<R> {
    url: String,
    auth: Result<Auth, BuildError>,
    query: Vec<(String, String)>,
    headers: Result<HeaderMap, BuildError>,
    path: String,
    /// The sans-IO stack's settings: its Engine.IO sessions' and its manager's.
    config: StackConfig,
    max_payload: usize,
    tls: Option<Arc<super::rustls::ClientConfig>>,
    _runtime: PhantomData<fn() -> R>,
}

impl<R> fmt::Debug for ClientBuilder<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("url", &self.url)
            .field("path", &self.path)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<R: ClientRuntime> ClientBuilder<R> {
    pub(crate) fn new(url: String) -> Self {
        let config = StackConfig::default();
        ClientBuilder {
            url,
            auth: Ok(Auth::None),
            query: Vec::new(),
            headers: Ok(HeaderMap::new()),
            path: "/socket.io/".to_owned(),
            max_payload: config.engine.max_incoming_payload,
            config,
            tls: None,
            _runtime: PhantomData,
        }
    }

    /// Auth data (a JSON object) sent with every namespace connection; the server reads it as
    /// `socket.handshake.auth`.
    pub fn auth(mut self, auth: impl Serialize) -> Self {
        self.auth = match serde_json::to_value(auth) {
            Ok(Value::Object(map)) => Ok(Auth::Value(Value::Object(map))),
            _ => Err(BuildError::InvalidAuth),
        };
        self
    }

    /// Auth computed at each (re)connection, such as a fresh token. It must return a JSON object; a
    /// socket whose callback returns anything else fails to connect.
    pub fn auth_with(mut self, auth: impl Fn() -> Value + Send + Sync + 'static) -> Self {
        self.auth = Ok(Auth::Callback(Arc::new(auth)));
        self
    }

    /// Adds a query parameter to every Engine.IO request (`socket.handshake.query` on the server).
    pub fn query(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((key.into(), value.into()));
        self
    }

    /// Adds a header to every HTTP request and to the WebSocket handshake.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let Ok(headers) = &mut self.headers {
            match (HeaderName::try_from(name), HeaderValue::try_from(value)) {
                (Ok(name), Ok(value)) => {
                    headers.append(name, value);
                }
                _ => self.headers = Err(BuildError::InvalidHeader),
            }
        }
        self
    }

    /// The transports to use, in the reference client's sense: with polling the connection opens
    /// over polling and upgrades to WebSocket if both are given; with WebSocket alone it opens
    /// directly over WebSocket. Default: both.
    pub fn transports(mut self, transports: impl IntoIterator<Item = Transport>) -> Self {
        let mut set = Transports {
            polling: false,
            websocket: false,
        };
        for transport in transports {
            match transport {
                Transport::Polling => set.polling = true,
                Transport::WebSocket => set.websocket = true,
            }
        }
        self.config.engine.transports = set;
        self
    }

    /// The protocol to speak: [`ProtocolVersion::V4`] (Engine.IO 4, Socket.IO 5: servers of
    /// Socket.IO 3 and later; the default), or [`ProtocolVersion::V3`] (Engine.IO 3, Socket.IO 4:
    /// `socket.io@2` and `socket.io@1` servers, which refuse revision 4 clients).
    ///
    /// With revision 3 everything works as with 4 (transports, upgrade, events, acks, binary,
    /// namespaces, reconnection), with the old protocol's differences: the client sends the
    /// heartbeat pings; the connection to `/` is made by the server when the engine opens; socket
    /// ids are the server's engine session id (`/ns#<sid>` outside `/`); the
    /// [`auth`](Self::auth) travels as query parameters (strings as they are, other values as
    /// JSON text): in every Engine.IO request's query, which is `/`'s auth, and in each other
    /// namespace's `CONNECT`. The engine requests' copy is taken when the client is built, so an
    /// [`auth_with`](Self::auth_with) callback reaches `/` with its first value only.
    pub fn protocol(mut self, protocol: ProtocolVersion) -> Self {
        self.config.engine.protocol = protocol;
        self.config.manager.protocol = protocol;
        self
    }

    /// The parser the server speaks (the reference's `parser` option). Default:
    /// [`PacketFormat::Json`]; [`PacketFormat::msgpack()`] for a server using
    /// `socket.io-msgpack-parser`. Both sides must use the same one.
    pub fn parser(mut self, format: PacketFormat) -> Self {
        self.config.manager.format = format;
        self
    }

    /// Whether to upgrade from polling to WebSocket. Default: `true`.
    pub fn upgrade(mut self, upgrade: bool) -> Self {
        self.config.engine.upgrade = upgrade;
        self
    }

    /// The Engine.IO path on the server. Default: `/socket.io/`.
    pub fn path(mut self, path: &str) -> Self {
        self.path = url::engine_path(path);
        self
    }

    /// Whether to reconnect after losing the connection. Default: `true`.
    pub fn reconnection(mut self, reconnection: bool) -> Self {
        self.config.manager.reconnection = reconnection;
        self
    }

    /// Most reconnection attempts in a row before giving up. Default: no limit.
    pub fn reconnection_attempts(mut self, attempts: u32) -> Self {
        self.config.manager.reconnection_attempts = Some(attempts);
        self
    }

    /// Delay before the first reconnection attempt, doubled at each attempt. Default: 1 s.
    pub fn reconnection_delay(mut self, delay: Duration) -> Self {
        self.config.manager.reconnection_delay = delay;
        self
    }

    /// Cap on the reconnection delay. Default: 5 s.
    pub fn reconnection_delay_max(mut self, delay: Duration) -> Self {
        self.config.manager.reconnection_delay_max = delay;
        self
    }

    /// Jitter of each reconnection delay, as a fraction of it (`0` for none). Default: 0.5.
    pub fn randomization_factor(mut self, factor: f64) -> Self {
        self.config.manager.randomization_factor = factor;
        self
    }

    /// How long a connection attempt may take. Default: 20 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.manager.timeout = Some(timeout);
        self
    }

    /// Ack timeout of [`emit_with_ack`](super::Socket::emit_with_ack)s that give none. Default: none.
    pub fn ack_timeout(mut self, timeout: Duration) -> Self {
        self.config.manager.ack_timeout = Some(timeout);
        self
    }

    /// Largest HTTP body or WebSocket message accepted from the server. Default: 100 MiB.
    pub fn max_payload(mut self, bytes: usize) -> Self {
        self.max_payload = bytes;
        self.config.engine.max_incoming_payload = bytes;
        self
    }

    /// Most emits one socket buffers while disconnected. Default: 1024.
    pub fn max_buffered_packets(mut self, packets: usize) -> Self {
        self.config.manager.max_buffered_packets = packets;
        self
    }

    /// The TLS configuration for `https` / `wss` URLs, instead of the default one (Mozilla roots,
    /// certificate verification on). Give one with ALPN `http/1.1` or none.
    pub fn tls_config(mut self, config: Arc<super::rustls::ClientConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// Starts the client without connecting: register handlers on [`Client::socket`], then
    /// connect with [`Client::connect`] / [`Socket::connect`](super::Socket::connect). A failed
    /// connection is retried as configured.
    ///
    /// Call it within the runtime (for tokio, inside a tokio runtime).
    pub fn build(self) -> Result<Client<R>, BuildError> {
        let target = url::parse(&self.url).map_err(|error| match error {
            UrlError::Invalid => BuildError::InvalidUrl,
            UrlError::Scheme => BuildError::UnsupportedScheme,
        })?;
        let tls = if target.secure {
            let config = match self.tls {
                Some(config) => config,
                None => tls::default_config().map_err(BuildError::Tls)?,
            };
            Some(futures_rustls::TlsConnector::from(config))
        } else {
            None
        };
        let transports = self.config.engine.transports;
        if !transports.polling && !transports.websocket {
            return Err(BuildError::NoTransports);
        }
        let auth = self.auth?;
        let headers = self.headers?;
        let mut query = target.query.clone();
        for (key, value) in &self.query {
            url::push_query_pair(&mut query, key, value);
        }
        if self.config.engine.protocol == ProtocolVersion::V3 {
            // Socket.IO v4 reads the auth of `/` from the Engine.IO request's query.
            let auth_query = auth
                .evaluate()
                .and_then(|auth| RawJson::from_serialize(&auth).ok())
                .map(|auth| v4::query_from_auth(&auth))
                .unwrap_or_default();
            if !auth_query.is_empty() {
                if !query.is_empty() {
                    query.push('&');
                }
                query.push_str(&auth_query);
            }
        }

        let runtime = R::runtime();
        let (commands, command_queue) = async_channel::bounded(COMMAND_QUEUE);
        let (reports, report_queue) = async_channel::bounded(REPORT_QUEUE);
        let (shutdown, shutdown_signal) = async_channel::bounded(1);
        let shared = Arc::new(ClientShared {
            commands,
            main: target.namespace.clone(),
            auth,
            handlers: Mutex::default(),
            client_listeners: Mutex::default(),
            status: Mutex::default(),
            transport: Mutex::default(),
        });
        let context = Arc::new(TransportContext {
            runtime: runtime.clone(),
            connector: R::connector(),
            target,
            path: self.path,
            query,
            headers,
            max_payload: self.max_payload,
            tls,
            idle: Arc::default(),
            reports,
        });
        let seed = random_seed();
        let task = ClientTask::new(
            shared.clone(),
            context,
            self.config,
            seed,
            command_queue,
            report_queue,
            shutdown_signal,
        );
        runtime.spawn(Box::pin(task.run()));
        Ok(Client {
            shared,
            _lifeline: Arc::new(Lifeline {
                _shutdown: shutdown,
            }),
            _runtime: PhantomData,
        })
    }

    /// Builds the client and connects the URL's namespace, waiting for the outcome. On failure the
    /// client is closed: a rejection or the first failed attempt is the error.
    pub async fn connect(self) -> Result<Client<R>, ConnectError> {
        let client = self.build().map_err(ConnectError::Build)?;
        client.connect().await?;
        Ok(client)
    }
}

/// The reconnection jitter's seed, from the system's RNG (a fixed one if it is unavailable: jitter
/// only spreads reconnections out).
fn random_seed() -> u64 {
    getrandom::u64().unwrap_or(0x5eed_5eed_5eed_5eed)
}
