//! The engine: configuration, shared state, and the entry point for every HTTP request.

use std::sync::Arc;

use bytes::Bytes;
use engineio_proto::server::{Method, Query, Route, route_request};
use engineio_proto::{ErrorCode, RequestError, Transport};
use http::{Request, Response};

use crate::app::{Application, HandshakeRequest};
use crate::clock::Clock;
use crate::config::EngineConfig;
use crate::http::{polling, response};
use crate::runtime::Runtime;
use crate::sid::{SidGenerator, random_sid};
use crate::table::SessionTable;
use crate::websocket;

/// The body of every response the engine gives.
pub type ResponseBody = http_body_util::Full<Bytes>;

/// Decides whether a handshake may open a session: `Err(message)` refuses it with 403, code 4
/// ("Forbidden") and that message. Sees the request's method, URI, headers and extensions.
pub type AllowRequest = Arc<dyn Fn(&http::request::Parts) -> Result<(), String> + Send + Sync>;

/// State shared by the request handlers and the session tasks of one engine.
pub(crate) struct Shared {
    pub(crate) runtime: Arc<dyn Runtime>,
    pub(crate) clock: Clock,
    pub(crate) config: EngineConfig,
    pub(crate) sessions: SessionTable,
    pub(crate) app: Arc<dyn Application>,
    sid_generator: SidGenerator,
    allow_request: Option<AllowRequest>,
}

/// An Engine.IO server: answers HTTP requests under its path and runs one task per session.
///
/// Cheap to clone (all clones share the sessions). Serve it with [`serve_connection`](crate::serve_connection)
/// from an accept loop, or mount it as a `tower_service::Service`.
#[derive(Clone)]
pub struct Engine {
    shared: Arc<Shared>,
}

/// Builds an [`Engine`].
pub struct EngineBuilder {
    runtime: Arc<dyn Runtime>,
    app: Arc<dyn Application>,
    config: EngineConfig,
    sid_generator: SidGenerator,
    allow_request: Option<AllowRequest>,
}

impl EngineBuilder {
    /// Sets the configuration (default: [`EngineConfig::default`]).
    pub fn config(mut self, config: EngineConfig) -> Self {
        self.config = config;
        self
    }

    /// Replaces the session id generator (default: [`random_sid`]). Ids must be unguessable and
    /// url-safe; a failing generator makes the handshake fail with 500.
    pub fn sid_generator(
        mut self,
        generator: impl Fn() -> std::io::Result<String> + Send + Sync + 'static,
    ) -> Self {
        self.sid_generator = Arc::new(generator);
        self
    }

    /// Sets the hook that may refuse handshakes (code 4).
    pub fn allow_request(
        mut self,
        hook: impl Fn(&http::request::Parts) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        self.allow_request = Some(Arc::new(hook));
        self
    }

    /// Builds the engine; its clock starts now.
    pub fn build(self) -> Engine {
        Engine {
            shared: Arc::new(Shared {
                runtime: self.runtime,
                clock: Clock::new(),
                config: self.config,
                sessions: SessionTable::default(),
                app: self.app,
                sid_generator: self.sid_generator,
                allow_request: self.allow_request,
            }),
        }
    }
}

/// Tries before giving up on finding a free sid: a collision of 120-bit random ids means the
/// generator is broken, not unlucky.
const SID_ATTEMPTS: usize = 4;

impl Engine {
    /// Starts building an engine that runs `app` on `runtime`.
    pub fn builder(runtime: Arc<dyn Runtime>, app: impl Application) -> EngineBuilder {
        EngineBuilder {
            runtime,
            app: Arc::new(app),
            config: EngineConfig::default(),
            sid_generator: Arc::new(random_sid),
            allow_request: None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.shared.config
    }

    /// The runtime the engine spawns on.
    pub fn runtime(&self) -> &Arc<dyn Runtime> {
        &self.shared.runtime
    }

    /// How many sessions are open.
    pub fn session_count(&self) -> usize {
        self.shared.sessions.len()
    }

    /// Answers one HTTP request. Requests outside the path get 404; protocol errors get their JSON
    /// error; nothing a client sends affects other sessions.
    pub async fn handle<B>(&self, request: Request<B>) -> Response<ResponseBody>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
    {
        let shared = &self.shared;
        if !shared.config.serves(request.uri().path()) {
            return response::not_found();
        }
        let method = Method::parse(request.method().as_str());
        // CORS preflights would be answered here, before routing, once CORS is configurable.
        let is_upgrade = websocket::is_upgrade_request(request.headers());
        let query = Query::parse(request.uri().query().unwrap_or(""));
        let route =
            route_request(method, &query, is_upgrade, &shared.config.server).map(
                |route| match route {
                    Route::Handshake { transport } => (None, transport),
                    Route::Session { sid, transport } => (Some(sid.to_owned()), transport),
                },
            );
        match route {
            Err(error) => response::error(&error),
            Ok((None, transport)) => self.handshake(request, transport).await,
            Ok((Some(sid), transport)) => {
                let Some(inputs) = shared.sessions.get(&sid) else {
                    return response::error(&ErrorCode::UnknownSid.into());
                };
                match (transport, method) {
                    (Transport::Polling, Method::Get) => polling::poll(&inputs).await,
                    (Transport::Polling, Method::Post) => {
                        polling::post(&inputs, request.into_body()).await
                    }
                    (Transport::Polling, _) => response::error(&ErrorCode::BadRequest.into()),
                    (Transport::WebSocket, _) => {
                        websocket::upgrade_session(shared, inputs, request).await
                    }
                }
            }
        }
    }

    async fn handshake<B>(
        &self,
        request: Request<B>,
        transport: Transport,
    ) -> Response<ResponseBody>
    where
        B: Send + 'static,
    {
        let shared = &self.shared;
        let (parts, body) = request.into_parts();
        if let Some(allow) = &shared.allow_request {
            if let Err(message) = allow(&parts) {
                return response::error(&RequestError::with_message(ErrorCode::Forbidden, message));
            }
        }
        let sid = match self.fresh_sid() {
            Ok(sid) => sid,
            Err(_) => return response::internal_error(),
        };
        match transport {
            Transport::Polling => {
                polling::handshake(shared, sid, HandshakeRequest::from_parts(&parts)).await
            }
            Transport::WebSocket => {
                websocket::handshake(shared, sid, Request::from_parts(parts, body))
            }
        }
    }

    fn fresh_sid(&self) -> std::io::Result<String> {
        for _ in 0..SID_ATTEMPTS {
            let sid = (self.shared.sid_generator)()?;
            if !self.shared.sessions.contains(&sid) {
                return Ok(sid);
            }
        }
        Err(std::io::Error::other(
            "the sid generator keeps repeating ids",
        ))
    }
}
