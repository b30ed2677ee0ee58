//! The client's transports: long-polling requests over hyper's HTTP/1.1 client and the WebSocket
//! over `async-tungstenite`, each run as its own task that reports to the client's task.

use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_tungstenite::WebSocketStream;
use async_tungstenite::tungstenite::client::IntoClientRequest;
use async_tungstenite::tungstenite::protocol::WebSocketConfig;
use async_tungstenite::tungstenite::{self, Message as WsMessage};
use bytes::Bytes;
use engineio_proto::Frame;
use engineio_proto::client::TransportFailure;
use futures_util::Stream;
use futures_util::future::{Either, select};
use http::{HeaderMap, Method, Request, header};
use http_body_util::{BodyExt, Full, Limited};
use socketio_proto::client::stack::EngineId;

use super::Connector;
use super::url::Target;
use socketio_runtime::FuturesIo;
use socketio_runtime::Runtime;
use socketio_runtime::sync::lock;
use socketio_runtime::websocket::frames::{self, write_frames};

/// How long one HTTP request (connect, send, whole body) may take. A held GET is answered by the
/// server within its ping interval; this only catches a peer that went silent.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the WebSocket handshake (TCP connect included) may take.
const WS_OPEN_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a WebSocket the client let go waits for the server's close answer.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Idle keep-alive connections kept: a GET and a POST may be in flight at once.
const MAX_IDLE: usize = 2;

/// A long-polling request or the WebSocket failed: what the protocol machines see
/// ([`failure`](Self::failure)) and the error underneath ([`source`](std::error::Error::source):
/// the I/O, TLS, HTTP or WebSocket error), for [`ClientEvent::Error`](crate::ClientEvent::Error).
#[derive(Clone, Debug)]
pub struct TransportError {
    failure: TransportFailure,
    what: &'static str,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl TransportError {
    /// `what` failed because of `source`.
    fn network(what: &'static str, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        TransportError {
            failure: TransportFailure::Network,
            what,
            source: Some(Arc::new(source)),
        }
    }

    /// `what` failed with no error underneath (a timeout, a broken WebSocket).
    fn bare(what: &'static str) -> Self {
        TransportError {
            failure: TransportFailure::Network,
            what,
            source: None,
        }
    }

    /// How the Engine.IO session sees it: an HTTP error status or a network failure.
    pub fn failure(&self) -> TransportFailure {
        self.failure
    }
}

/// Equal when the failure and what failed are: the errors underneath are not comparable.
impl PartialEq for TransportError {
    fn eq(&self, other: &Self) -> bool {
        self.failure == other.failure && self.what == other.what
    }
}

impl Eq for TransportError {}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.failure {
            TransportFailure::HttpStatus(status) => {
                write!(f, "{}: HTTP status {status}", self.what)
            }
            TransportFailure::Network => f.write_str(self.what),
        }
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

/// One HTTP/1.1 connection's request side.
pub(crate) type HttpSender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

/// What the transports report to the client's task, naming the Engine.IO session the request or
/// socket belongs to.
#[derive(Debug)]
pub(crate) enum TransportReport {
    Poll {
        engine: EngineId,
        result: Result<Bytes, TransportError>,
    },
    Post {
        engine: EngineId,
        result: Result<(), TransportError>,
    },
    WsOpened {
        engine: EngineId,
    },
    WsFrame {
        engine: EngineId,
        frame: Frame,
    },
    /// `error` is `None` for a clean close.
    WsClosed {
        engine: EngineId,
        error: Option<TransportError>,
    },
}

/// Everything a transport task needs, shared by all of them.
pub(crate) struct TransportContext {
    pub(crate) runtime: Arc<dyn Runtime>,
    pub(crate) connector: Arc<dyn Connector>,
    pub(crate) target: Target,
    /// The Engine.IO path, with its trailing slash.
    pub(crate) path: String,
    /// The user's query parameters (from the URL and the builder), encoded.
    pub(crate) query: String,
    pub(crate) headers: HeaderMap,
    pub(crate) max_payload: usize,
    /// Set for `https` / `wss`.
    pub(crate) tls: Option<futures_rustls::TlsConnector>,
    /// Keep-alive connections waiting for the next long-polling request.
    pub(crate) idle: Arc<Mutex<Vec<HttpSender>>>,
    pub(crate) reports: async_channel::Sender<TransportReport>,
}

impl TransportContext {
    /// A connection to the server, with TLS when the URL asks for it.
    async fn connect(&self) -> std::io::Result<super::BoxIo> {
        let target = &self.target;
        let io = self.connector.connect(&target.host, target.port).await?;
        match &self.tls {
            Some(tls) => super::tls::wrap(tls, &target.host, io).await,
            None => Ok(io),
        }
    }

    fn path_and_query(&self, engine_query: &str) -> String {
        if self.query.is_empty() {
            format!("{}?{}", self.path, engine_query)
        } else {
            format!("{}?{}&{}", self.path, self.query, engine_query)
        }
    }

    /// Spawns a long-polling GET.
    pub(crate) fn poll(self: &Arc<Self>, engine: EngineId, query: String) {
        let this = self.clone();
        let task = async move {
            let request = this.request(Method::GET, &query, Bytes::new());
            let result = this.with_timeout(request).await;
            let _ = this
                .reports
                .send(TransportReport::Poll { engine, result })
                .await;
        };
        self.runtime.spawn(Box::pin(task));
    }

    /// Spawns a long-polling POST.
    pub(crate) fn post(self: &Arc<Self>, engine: EngineId, query: String, body: Bytes) {
        let this = self.clone();
        let task = async move {
            let request = this.request(Method::POST, &query, body);
            let result = this.with_timeout(request).await.map(drop);
            let _ = this
                .reports
                .send(TransportReport::Post { engine, result })
                .await;
        };
        self.runtime.spawn(Box::pin(task));
    }

    async fn with_timeout(
        &self,
        request: impl Future<Output = Result<Bytes, TransportError>>,
    ) -> Result<Bytes, TransportError> {
        let timeout = self.runtime.sleep_until(Instant::now() + REQUEST_TIMEOUT);
        match select(pin!(request), timeout).await {
            Either::Left((result, _)) => result,
            Either::Right(_) => Err(TransportError::bare("the request timed out")),
        }
    }

    /// One request, on an idle keep-alive connection if there is one (retried once on a new
    /// connection if that one turns out to be closed), else on a new one; the body of a successful
    /// answer.
    async fn request(
        &self,
        method: Method,
        query: &str,
        body: Bytes,
    ) -> Result<Bytes, TransportError> {
        if let Some(mut sender) = self.idle_connection() {
            let request = self.build_request(&method, query, body.clone())?;
            match sender.send_request(request).await {
                Ok(response) => return self.read_response(sender, response).await,
                // The server let the idle connection go before it saw the request.
                Err(error)
                    if error.is_canceled()
                        || error.is_closed()
                        || error.is_incomplete_message() => {}
                Err(error) => return Err(TransportError::network("the request failed", error)),
            }
        }
        let mut sender = self.new_connection().await?;
        let request = self.build_request(&method, query, body)?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|error| TransportError::network("the request failed", error))?;
        self.read_response(sender, response).await
    }

    fn idle_connection(&self) -> Option<HttpSender> {
        let mut idle = lock(&self.idle);
        while let Some(sender) = idle.pop() {
            if sender.is_ready() && !sender.is_closed() {
                return Some(sender);
            }
        }
        None
    }

    async fn new_connection(&self) -> Result<HttpSender, TransportError> {
        let io = self
            .connect()
            .await
            .map_err(|error| TransportError::network("the connection failed", error))?;
        let (sender, connection) = hyper::client::conn::http1::handshake::<_, Full<Bytes>>(io)
            .await
            .map_err(|error| TransportError::network("the HTTP handshake failed", error))?;
        self.runtime.spawn(Box::pin(async move {
            let _ = connection.await;
        }));
        Ok(sender)
    }

    fn build_request(
        &self,
        method: &Method,
        query: &str,
        body: Bytes,
    ) -> Result<Request<Full<Bytes>>, TransportError> {
        let mut builder = Request::builder()
            .method(method.clone())
            .uri(self.path_and_query(query))
            .header(header::HOST, &self.target.authority);
        if method == Method::POST {
            builder = builder.header(header::CONTENT_TYPE, "text/plain;charset=UTF-8");
        }
        let mut request = builder
            .body(Full::new(body))
            .map_err(|error| TransportError::network("the request is invalid", error))?;
        for (name, value) in &self.headers {
            request.headers_mut().append(name, value.clone());
        }
        Ok(request)
    }

    /// Reads the body (within the size limit), then keeps the connection for the next request once
    /// it is ready for one.
    async fn read_response(
        &self,
        mut sender: HttpSender,
        response: http::Response<hyper::body::Incoming>,
    ) -> Result<Bytes, TransportError> {
        let status = response.status();
        let body = Limited::new(response.into_body(), self.max_payload)
            .collect()
            .await
            .map_err(|error| TransportError {
                failure: TransportFailure::Network,
                what: "reading the response failed",
                source: Some(Arc::from(error)),
            })?;
        if !status.is_success() {
            return Err(TransportError {
                failure: TransportFailure::HttpStatus(status.as_u16()),
                what: "the server refused the request",
                source: None,
            });
        }
        let idle = self.idle.clone();
        self.runtime.spawn(Box::pin(async move {
            if sender.ready().await.is_ok() {
                let mut idle = lock(&idle);
                if idle.len() < MAX_IDLE {
                    idle.push(sender);
                }
            }
        }));
        Ok(body.to_bytes())
    }

    /// Spawns the WebSocket: it reports `WsOpened`, every frame, and `WsClosed`; it writes what
    /// arrives on `frames` and closes once that queue is dropped.
    pub(crate) fn websocket(
        self: &Arc<Self>,
        engine: EngineId,
        query: String,
        frames: async_channel::Receiver<Frame>,
    ) {
        let this = self.clone();
        let task = async move {
            let opening = pin!(this.open_websocket(&query));
            let timeout = this.runtime.sleep_until(Instant::now() + WS_OPEN_TIMEOUT);
            let socket = match select(opening, timeout).await {
                Either::Left((Ok(socket), _)) => socket,
                Either::Left((Err(error), _)) => {
                    let error = Some(error);
                    let _ = this
                        .reports
                        .send(TransportReport::WsClosed { engine, error })
                        .await;
                    return;
                }
                Either::Right(_) => {
                    let error = Some(TransportError::bare("the WebSocket handshake timed out"));
                    let _ = this
                        .reports
                        .send(TransportReport::WsClosed { engine, error })
                        .await;
                    return;
                }
            };
            if this
                .reports
                .send(TransportReport::WsOpened { engine })
                .await
                .is_err()
            {
                return;
            }
            let (sink, stream) = socket.split();
            let reader = pin!(read_frames(stream, engine, &this.reports));
            let writer = pin!(write_frames(sink, frames));
            match select(reader, writer).await {
                Either::Left((broke, _writer)) => {
                    let error = broke.then(|| TransportError::bare("the WebSocket broke"));
                    let _ = this
                        .reports
                        .send(TransportReport::WsClosed { engine, error })
                        .await;
                }
                Either::Right((broke, reader)) => {
                    let error =
                        broke.then(|| TransportError::bare("writing to the WebSocket failed"));
                    // The client's task let the socket go (or writing failed): give the server a moment to
                    // answer the close frame.
                    let _ = this
                        .reports
                        .try_send(TransportReport::WsClosed { engine, error });
                    let grace = this.runtime.sleep_until(Instant::now() + CLOSE_GRACE);
                    let _ = select(reader, grace).await;
                }
            }
        };
        self.runtime.spawn(Box::pin(task));
    }

    async fn open_websocket(
        &self,
        query: &str,
    ) -> Result<WebSocketStream<FuturesIo<super::BoxIo>>, TransportError> {
        let target = &self.target;
        let scheme = if self.tls.is_some() { "wss" } else { "ws" };
        let url = format!(
            "{scheme}://{}{}",
            target.authority,
            self.path_and_query(query)
        );
        let mut request = url
            .into_client_request()
            .map_err(|error| TransportError::network("the WebSocket URL is invalid", error))?;
        for (name, value) in &self.headers {
            request.headers_mut().append(name, value.clone());
        }
        let io = self
            .connect()
            .await
            .map_err(|error| TransportError::network("the connection failed", error))?;
        let config = WebSocketConfig::default()
            .read_buffer_size(socketio_runtime::websocket::READ_BUFFER)
            .max_message_size(Some(self.max_payload))
            .max_frame_size(Some(self.max_payload));
        let (socket, _response) =
            async_tungstenite::client_async_with_config(request, FuturesIo::new(io), Some(config))
                .await
                .map_err(|error| {
                    TransportError::network("the WebSocket handshake failed", error)
                })?;
        Ok(socket)
    }
}

/// Feeds frames to the client's task until the socket ends; `true` if it failed rather than closed.
async fn read_frames(
    stream: impl Stream<Item = Result<WsMessage, tungstenite::Error>> + Unpin,
    engine: EngineId,
    reports: &async_channel::Sender<TransportReport>,
) -> bool {
    let deliver = |frame| async move {
        reports
            .send(TransportReport::WsFrame { engine, frame })
            .await
            .is_ok()
    };
    frames::read_frames(stream, deliver).await.unwrap_or(true)
}
