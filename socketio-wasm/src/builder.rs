//! [`ClientBuilder`]: the URL and the options of a client.

use std::rc::Rc;
use std::time::Duration;

use engineio_proto::{Transport, Transports};
use serde::Serialize;
use serde_json::Value;
use socketio_proto::client::StackConfig;
use socketio_proto::packet::{NamespaceName, RawJson};

use crate::browser;
use crate::driver::{Auth, Driver, Endpoint};
use crate::handle::{Client, ConnectError};

/// Why a client could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// The URL does not parse (relative to the page), or its path is not a namespace name.
    #[error("invalid URL")]
    InvalidUrl,
    /// The scheme is not `http`, `https`, `ws` or `wss`.
    #[error("unsupported URL scheme")]
    UnsupportedScheme,
    /// The auth is not a JSON object.
    #[error("auth must be a JSON object")]
    InvalidAuth,
    /// No transport is enabled.
    #[error("no transport enabled")]
    NoTransports,
}

/// The options of a [`Client`], from [`Client::builder`]. The defaults are the reference client's.
pub struct ClientBuilder {
    url: String,
    auth: Result<Auth, BuildError>,
    query: Vec<(String, String)>,
    path: String,
    config: StackConfig,
}

impl ClientBuilder {
    pub(crate) fn new(url: String) -> Self {
        ClientBuilder {
            url,
            auth: Ok(Auth::None),
            query: Vec::new(),
            path: "/socket.io/".to_owned(),
            config: StackConfig::default(),
        }
    }

    /// Auth data (a JSON object) sent with every namespace connection (`socket.handshake.auth` on
    /// the server).
    pub fn auth(mut self, auth: impl Serialize) -> Self {
        self.auth = match serde_json::to_value(auth) {
            Ok(value @ Value::Object(_)) => RawJson::from_serialize(&value)
                .map(Auth::Value)
                .map_err(|_| BuildError::InvalidAuth),
            _ => Err(BuildError::InvalidAuth),
        };
        self
    }

    /// Auth computed at each (re)connection, such as a fresh token. It must return a JSON object; a
    /// socket whose callback returns anything else fails to connect.
    pub fn auth_with(mut self, auth: impl Fn() -> Value + 'static) -> Self {
        self.auth = Ok(Auth::Callback(Rc::new(auth)));
        self
    }

    /// Adds a query parameter to every Engine.IO request (`socket.handshake.query` on the server).
    pub fn query(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((key.into(), value.into()));
        self
    }

    /// The transports to use: with polling the connection opens over polling and upgrades to
    /// WebSocket if both are given; with WebSocket alone it opens directly over WebSocket (no CORS
    /// needed then). Default: both.
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

    /// Whether to upgrade from polling to WebSocket. Default: `true`.
    pub fn upgrade(mut self, upgrade: bool) -> Self {
        self.config.engine.upgrade = upgrade;
        self
    }

    /// The Engine.IO path on the server. Default: `/socket.io/`.
    pub fn path(mut self, path: &str) -> Self {
        let mut normalized = String::with_capacity(path.len() + 2);
        normalized.push('/');
        normalized.push_str(path.trim_matches('/'));
        if normalized.len() > 1 {
            normalized.push('/');
        }
        self.path = normalized;
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

    /// Ack timeout of [`emit_with_ack`](crate::Socket::emit_with_ack)s that give none. Default:
    /// none.
    pub fn ack_timeout(mut self, timeout: Duration) -> Self {
        self.config.manager.ack_timeout = Some(timeout);
        self
    }

    /// Largest HTTP body or WebSocket message accepted from the server. Default: 100 MiB.
    pub fn max_payload(mut self, bytes: usize) -> Self {
        self.config.engine.max_incoming_payload = bytes;
        self
    }

    /// Most emits one socket buffers while disconnected. Default: 1024.
    pub fn max_buffered_packets(mut self, packets: usize) -> Self {
        self.config.manager.max_buffered_packets = packets;
        self
    }

    /// Starts the client without connecting: register handlers on [`Client::socket`], then connect
    /// with [`Client::connect`] or [`Socket::connect`](crate::Socket::connect).
    pub fn build(self) -> Result<Client, BuildError> {
        let transports = self.config.engine.transports;
        if !transports.polling && !transports.websocket {
            return Err(BuildError::NoTransports);
        }
        let auth = self.auth?;
        let (endpoint, namespace) = Endpoint::parse(&self.url, &self.path, &self.query)?;
        let driver = Driver::new(
            self.config,
            browser::random_seed(),
            endpoint,
            namespace,
            auth,
        );
        Ok(Client::new(driver))
    }

    /// Builds the client and connects the URL's namespace, waiting for the outcome. On failure the
    /// client is closed: a rejection or the first failed attempt is the error.
    pub async fn connect(self) -> Result<Client, ConnectError> {
        let client = self.build().map_err(ConnectError::Build)?;
        match client.connect().await {
            Ok(()) => Ok(client),
            Err(error) => {
                client.close();
                Err(error)
            }
        }
    }
}

impl Endpoint {
    /// The Engine.IO endpoints and the namespace of `url`, resolved against the page's address.
    fn parse(
        url: &str,
        path: &str,
        query: &[(String, String)],
    ) -> Result<(Endpoint, NamespaceName), BuildError> {
        let parsed = match browser::location() {
            Some(base) => web_sys::Url::new_with_base(url, &base),
            None => web_sys::Url::new(url),
        }
        .map_err(|_| BuildError::InvalidUrl)?;
        let (http, ws) = match parsed.protocol().as_str() {
            "http:" | "ws:" => ("http://", "ws://"),
            "https:" | "wss:" => ("https://", "wss://"),
            _ => return Err(BuildError::UnsupportedScheme),
        };
        let pathname = parsed.pathname();
        let namespace = if pathname.is_empty() {
            NamespaceName::main()
        } else {
            NamespaceName::new(pathname).map_err(|_| BuildError::InvalidUrl)?
        };
        let params = web_sys::UrlSearchParams::new_with_str(&parsed.search())
            .map_err(|_| BuildError::InvalidUrl)?;
        for (key, value) in query {
            params.append(key, value);
        }
        let mut rest = String::new();
        rest.push_str(&parsed.host());
        rest.push_str(path);
        rest.push('?');
        let user_query = String::from(params.to_string());
        if !user_query.is_empty() {
            rest.push_str(&user_query);
            rest.push('&');
        }
        let join = |scheme: &str| {
            let mut base = String::with_capacity(scheme.len() + rest.len());
            base.push_str(scheme);
            base.push_str(&rest);
            base
        };
        Ok((
            Endpoint {
                http: join(http),
                ws: join(ws),
            },
            namespace,
        ))
    }
}
