//! The engine: configuration, shared state, and the entry point for every HTTP request.

use std::sync::Arc;

use bytes::Bytes;
use engineio_proto::server::{ClientProtocol, Method, Query, Route, route_request};
use engineio_proto::{ErrorCode, RequestError, Transport};
use http::request::Parts;
use http::{HeaderMap, Request, Response};

use crate::app::{Application, HandshakeRequest};
use crate::config::EngineConfig;
use crate::http::refusal::{ConnectionError, ErrorContext, Refusal};
use crate::http::{polling, response};
use crate::session_task::StartSession;
use crate::sid::{SidGenerator, random_sid};
use crate::table::SessionTable;
use crate::websocket;
use socketio_runtime::Clock;
use socketio_runtime::Runtime;

/// The body of every response the engine gives.
pub type ResponseBody = http_body_util::Full<Bytes>;

/// Decides whether a handshake may open a session: `Err(message)` refuses it with 403, code 4
/// ("Forbidden") and that message. Sees the request's method, URI, headers and extensions.
pub type AllowRequest = Arc<dyn Fn(&http::request::Parts) -> Result<(), String> + Send + Sync>;

/// Adds or changes headers of a response, seeing the request it answers.
type HeadersHook = Arc<dyn Fn(&mut HeaderMap, &Parts) + Send + Sync>;

/// Hears about every request refused with a protocol error.
type ConnectionErrorHook = Arc<dyn Fn(&ConnectionError<'_>) + Send + Sync>;

/// Hears about a session ended by a panic in its application code: the sid and the panic's message.
type PanicHook = Arc<dyn Fn(&str, &str) + Send + Sync>;

/// The hooks an [`EngineBuilder`] may set.
#[derive(Default)]
pub(crate) struct Hooks {
    allow_request: Option<AllowRequest>,
    initial_headers: Option<HeadersHook>,
    headers: Option<HeadersHook>,
    connection_error: Option<ConnectionErrorHook>,
    pub(crate) panic: Option<PanicHook>,
}

/// State shared by the request handlers and the session tasks of one engine.
pub(crate) struct EngineState {
    pub(crate) runtime: Arc<dyn Runtime>,
    pub(crate) clock: Clock,
    pub(crate) config: EngineConfig,
    pub(crate) sessions: SessionTable,
    pub(crate) app: Arc<dyn StartSession>,
    sid_generator: SidGenerator,
    pub(crate) hooks: Hooks,
}

/// An Engine.IO server: answers HTTP requests under its path and runs one task per session.
///
/// Cheap to clone (all clones share the sessions). Serve it with [`serve_connection`](crate::serve_connection)
/// from an accept loop, or mount it as a `tower_service::Service`.
#[derive(Clone)]
pub struct Engine {
    shared: Arc<EngineState>,
}

/// Builds an [`Engine`].
pub struct EngineBuilder {
    runtime: Arc<dyn Runtime>,
    app: Arc<dyn StartSession>,
    config: EngineConfig,
    sid_generator: SidGenerator,
    hooks: Hooks,
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
        self.hooks.allow_request = Some(Arc::new(hook));
        self
    }

    /// Sets the hook that adds headers to the response opening a session (the reference's
    /// `initial_headers` event): the polling handshake's `open` payload or the WebSocket
    /// handshake's `101`. It runs before the [`headers`](Self::headers) hook.
    pub fn initial_headers(
        mut self,
        hook: impl Fn(&mut HeaderMap, &Parts) + Send + Sync + 'static,
    ) -> Self {
        self.hooks.initial_headers = Some(Arc::new(hook));
        self
    }

    /// Sets the hook that adds headers to every response of the transports (the reference's
    /// `headers` event): polling payloads, POST acknowledgements and WebSocket `101`s, handshakes
    /// included. Refusals (protocol errors, 413) do not pass through it.
    pub fn headers(
        mut self,
        hook: impl Fn(&mut HeaderMap, &Parts) + Send + Sync + 'static,
    ) -> Self {
        self.hooks.headers = Some(Arc::new(hook));
        self
    }

    /// Sets the hook told of a session ended by a panic in the application's code (a listener, a
    /// handler), with the session id and the panic's message. The session is closed and cleaned
    /// up as for any other close (reason `forced close`); every other session goes on. Without a
    /// hook the panic is reported only by the process's panic hook (stderr by default).
    pub fn on_panic(mut self, hook: impl Fn(&str, &str) + Send + Sync + 'static) -> Self {
        self.hooks.panic = Some(Arc::new(hook));
        self
    }

    /// Sets the hook called for every request refused with a protocol error (the reference's
    /// `connection_error` event), with the request, the code, the message and its context. It
    /// runs on the request's task before the answer is sent: keep it short.
    pub fn on_connection_error(
        mut self,
        hook: impl Fn(&ConnectionError<'_>) + Send + Sync + 'static,
    ) -> Self {
        self.hooks.connection_error = Some(Arc::new(hook));
        self
    }

    /// Builds the engine; its clock starts now.
    pub fn build(self) -> Engine {
        Engine {
            shared: Arc::new(EngineState {
                runtime: self.runtime,
                clock: Clock::new(),
                config: self.config,
                sessions: SessionTable::default(),
                app: self.app,
                sid_generator: self.sid_generator,
                hooks: self.hooks,
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
            hooks: Hooks::default(),
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
        let (mut parts, body) = request.into_parts();
        let cors = shared.config.cors.as_ref();
        if let Some(cors) = cors
            && parts.method == http::Method::OPTIONS
        {
            return cors.preflight(&parts.headers);
        }
        let (mut response, opened) = match self.serve(&mut parts, body).await {
            Ok((response, opened)) => (response, Some(opened)),
            Err(refusal) => {
                if let Some(hook) = &shared.hooks.connection_error {
                    hook(&ConnectionError {
                        request: &parts,
                        code: refusal.error.code,
                        message: refusal.error.message(),
                        context: &refusal.context,
                    });
                }
                (response::error(&refusal.error), None)
            }
        };
        if let Some(cors) = cors {
            cors.apply(&parts.headers, response.headers_mut());
        }
        // The header hooks come last, so they may change any header (in the reference they fill
        // the headers `writeHead` is given, over those the CORS middleware set).
        if let Some(opened) = opened
            && response.status().as_u16() < 400
        {
            let headers = response.headers_mut();
            if opened && let Some(hook) = &shared.hooks.initial_headers {
                hook(headers, &parts);
            }
            if let Some(hook) = &shared.hooks.headers {
                hook(headers, &parts);
            }
        }
        response
    }

    /// Routes a request on the engine's path; `true` with a response that opened a session.
    async fn serve<B>(
        &self,
        parts: &mut Parts,
        body: B,
    ) -> Result<(Response<ResponseBody>, bool), Refusal>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
    {
        let shared = &self.shared;
        let method = Method::parse(parts.method.as_str());
        let is_upgrade = websocket::is_upgrade_request(&parts.headers);
        let query = Query::parse(parts.uri.query().unwrap_or(""));
        let route = route_request(method, &query, is_upgrade, &shared.config.server)
            .map_err(|error| route_refusal(error, &query, parts, is_upgrade))?;
        let transport = match route {
            Route::Handshake { transport } | Route::Session { transport, .. } => transport,
        };
        if transport == Transport::WebSocket {
            let config = &shared.config;
            if !websocket::origin_allowed(
                config.ws_allowed_origins.as_deref(),
                config.ws_origin_required,
                &parts.headers,
            ) {
                let origin = parts
                    .headers
                    .get(http::header::ORIGIN)
                    .map(|origin| String::from_utf8_lossy(origin.as_bytes()).into_owned());
                return Err(Refusal::new(
                    ErrorCode::Forbidden,
                    ErrorContext::OriginNotAllowed { origin },
                ));
            }
        }
        // Routing checked `EIO` (revision 3 only with `allow_eio3`).
        let protocol = query.client_protocol().unwrap_or(ClientProtocol::V4);
        let sid = match route {
            Route::Handshake { transport } => {
                return self
                    .handshake(parts, transport, protocol)
                    .await
                    .map(|r| (r, true));
            }
            Route::Session { sid, .. } => sid.to_owned(),
        };
        let Some(inbox) = shared.sessions.get(&sid) else {
            return Err(Refusal::unknown_sid(&sid));
        };
        let response = match (transport, method) {
            (Transport::Polling, Method::Get) => polling::poll(&sid, &inbox).await?,
            (Transport::Polling, Method::Post) => polling::post(&sid, &inbox, body).await?,
            (Transport::Polling, _) => {
                return Err(Refusal::new(ErrorCode::BadRequest, ErrorContext::Session));
            }
            (Transport::WebSocket, _) => {
                websocket::upgrade_session(&sid, &inbox, parts, protocol).await?
            }
        };
        Ok((response, false))
    }

    async fn handshake(
        &self,
        parts: &mut Parts,
        transport: Transport,
        protocol: ClientProtocol,
    ) -> Result<Response<ResponseBody>, Refusal> {
        let shared = &self.shared;
        if let Some(allow) = &shared.hooks.allow_request {
            if let Err(message) = allow(parts) {
                return Err(Refusal::new(
                    RequestError::with_message(ErrorCode::Forbidden, message.clone()),
                    ErrorContext::Forbidden { message },
                ));
            }
        }
        let sid = match self.fresh_sid() {
            Ok(sid) => sid,
            Err(_) => return Ok(response::internal_error()),
        };
        match transport {
            Transport::Polling => {
                let request = HandshakeRequest::from_parts(parts);
                polling::handshake(shared, sid, request, protocol).await
            }
            Transport::WebSocket => websocket::handshake(shared, sid, parts, protocol),
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

/// The context of a routing error, from what the request said.
fn route_refusal(error: RequestError, query: &Query<'_>, parts: &Parts, upgrade: bool) -> Refusal {
    let owned = |value: Option<&str>| value.map(str::to_owned);
    let context = match error.code {
        ErrorCode::UnknownTransport => ErrorContext::UnknownTransport {
            transport: owned(query.transport),
        },
        ErrorCode::BadHandshakeMethod => ErrorContext::BadHandshakeMethod {
            method: parts.method.clone(),
        },
        ErrorCode::UnsupportedProtocolVersion => ErrorContext::UnsupportedProtocolVersion {
            protocol: owned(query.eio),
        },
        ErrorCode::BadRequest => match query.transport.and_then(Transport::parse) {
            Some(transport) => ErrorContext::TransportMismatch { transport, upgrade },
            None => ErrorContext::Session,
        },
        ErrorCode::UnknownSid | ErrorCode::Forbidden => ErrorContext::Session,
    };
    Refusal::new(error, context)
}
