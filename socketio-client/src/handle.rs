//! The application's side: [`Client`] and [`Socket`] handles, events, acknowledgements, errors.

use std::collections::HashMap;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use engineio_proto::Transport;
use engineio_proto::client::CloseReason;
use futures_channel::oneshot;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use socketio_proto::client::{DisconnectReason, EmitOptions, OpenFailure};
use socketio_proto::packet::{NamespaceName, Payload};
use socketio_proto::server::is_reserved_event;

use super::ClientRuntime;
use super::builder::{Auth, ClientBuilder};
use super::transport::TransportError;
use socketio_runtime::sync::lock;

/// What happened to a namespace socket, for [`Socket::on_event`].
#[derive(Clone, Debug, PartialEq)]
pub enum SocketEvent {
    /// The server accepted the socket (again, after a reconnection).
    Connect {
        /// The socket id the server gave.
        sid: String,
    },
    /// The socket could not connect: the server refused it (its `message` and `data`; no reconnection
    /// follows), or the connection attempt failed (`data` is `None`; reconnection goes on).
    ConnectError {
        /// The server's message, or the failure (`"timeout"`, `"transport error"`, ...).
        message: String,
        /// The server's `data`, if any.
        data: Option<Value>,
        /// Whether the socket stays active (a failed attempt: it reconnects if reconnection is
        /// enabled) or not (a rejection).
        retrying: bool,
    },
    /// The socket disconnected; [`DisconnectReason::reconnects`] tells whether it will reconnect.
    Disconnect(DisconnectReason),
    /// An event arrived whose arguments did not fit a handler's type; that handler was not called.
    InvalidArgs {
        /// The event name.
        event: String,
        /// The deserialization error.
        error: String,
    },
    /// An emit without acknowledgement was refused (its buffer was full, too many acks pending...).
    EmitRefused(socketio_proto::client::EmitError),
}

/// What happened to the connection itself, for [`Client::on_event`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientEvent {
    /// An Engine.IO session opened (after the handshake).
    Open {
        /// The Engine.IO session id.
        sid: String,
        /// The transport it opened over.
        transport: Transport,
    },
    /// The session moved to WebSocket.
    Upgrade,
    /// The session ended ([`CloseReason::as_str`] gives the reference's `"transport close"`,
    /// `"ping timeout"`, `"forced close"`, ...).
    Close(CloseReason),
    /// A request or the WebSocket failed, with the error underneath (the reference manager's
    /// `error` event); a [`Close`](Self::Close) or a [`ReconnectError`](Self::ReconnectError)
    /// usually follows.
    Error(TransportError),
    /// Reconnection attempt `n` (from 1) starts.
    ReconnectAttempt(u32),
    /// Reconnected after `n` attempts.
    Reconnect(u32),
    /// A reconnection attempt failed: it timed out, or its session closed before opening.
    ReconnectError(OpenFailure),
    /// The last allowed reconnection attempt failed.
    ReconnectFailed,
}

/// Why [`Socket::emit`] refused an event.
#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    /// The arguments did not serialize.
    #[error("arguments do not serialize: {0}")]
    Encode(#[from] socketio_proto::packet::EncodeError),
    /// The name is one the client reserves (`connect`, `connect_error`, `disconnect`, ...).
    #[error("reserved event name")]
    ReservedName,
    /// The client's command queue is full: the connection does not keep up.
    #[error("client queue is full")]
    QueueFull,
    /// The client has shut down.
    #[error("client is closed")]
    Closed,
}

/// Why an acknowledgement did not come.
#[derive(Debug, thiserror::Error)]
pub enum AckError {
    /// The emit itself was refused.
    #[error(transparent)]
    Emit(#[from] EmitError),
    /// The manager refused it (buffer full, too many acks pending).
    #[error("emit refused: {0}")]
    Refused(socketio_proto::client::EmitError),
    /// No answer within the timeout.
    #[error("acknowledgement timed out")]
    Timeout,
    /// The socket disconnected after the event went out (or a volatile event was dropped).
    #[error("socket disconnected before the acknowledgement")]
    Disconnected,
}

/// Why a connection did not succeed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ConnectError {
    /// The server refused the namespace (a middleware's error): no reconnection follows.
    #[error("connection refused: {message}")]
    Rejected {
        /// The error's message.
        message: String,
        /// The error's `data`, if any.
        data: Option<Value>,
    },
    /// The connection attempt failed (`"timeout"`, `"transport error"`, ...). A client built with
    /// [`ClientBuilder::build`] keeps reconnecting; [`ClientBuilder::connect`] gives up and closes.
    #[error("connection failed: {0}")]
    Transport(String),
    /// The auth data was not a JSON object.
    #[error("auth must be a JSON object")]
    InvalidAuth,
    /// The socket was disconnected, or the client shut down, before an answer.
    #[error("client closed")]
    Closed,
    /// The client could not be built.
    #[error(transparent)]
    Build(#[from] super::BuildError),
}

pub(crate) type EventHandler =
    Arc<dyn Fn(&Socket, &Payload, Option<AckSender>) -> Result<(), String> + Send + Sync>;
pub(crate) type SocketListener = Arc<dyn Fn(&SocketEvent) + Send + Sync>;
pub(crate) type ClientListener = Arc<dyn Fn(&ClientEvent) + Send + Sync>;

/// The application's commands to the client's task.
pub(crate) enum ClientCommand {
    Connect {
        namespace: NamespaceName,
        auth: Auth,
        reply: Option<oneshot::Sender<Result<(), ConnectError>>>,
    },
    Disconnect(NamespaceName),
    Emit {
        namespace: NamespaceName,
        payload: Payload,
        options: EmitOptions,
        reply: Option<oneshot::Sender<Result<Payload, AckError>>>,
    },
    Ack {
        namespace: NamespaceName,
        id: u64,
        payload: Payload,
    },
    Close,
}

/// What the client's task publishes about a namespace socket.
#[derive(Clone, Debug, Default)]
pub(crate) struct SocketStatus {
    pub(crate) sid: Option<String>,
    pub(crate) connected: bool,
    pub(crate) active: bool,
}

#[derive(Default)]
pub(crate) struct SocketHandlers {
    pub(crate) events: HashMap<String, Vec<EventHandler>>,
    pub(crate) any: Vec<EventHandler>,
    pub(crate) listeners: Vec<SocketListener>,
}

/// State shared by the handles and the client's task. Locks are held only to copy out or update, never
/// while a handler runs.
pub(crate) struct ClientShared {
    pub(crate) commands: async_channel::Sender<ClientCommand>,
    pub(crate) main: NamespaceName,
    pub(crate) auth: Auth,
    pub(crate) handlers: Mutex<HashMap<NamespaceName, SocketHandlers>>,
    pub(crate) client_listeners: Mutex<Vec<ClientListener>>,
    pub(crate) status: Mutex<HashMap<NamespaceName, SocketStatus>>,
    pub(crate) transport: Mutex<Option<Transport>>,
}

impl ClientShared {
    pub(crate) fn send(&self, command: ClientCommand) -> Result<(), EmitError> {
        self.commands
            .try_send(command)
            .map_err(|error| match error {
                async_channel::TrySendError::Full(_) => EmitError::QueueFull,
                async_channel::TrySendError::Closed(_) => EmitError::Closed,
            })
    }
}

/// Keeps the client's task alive: when the last [`Client`] clone is dropped, the connection closes
/// and the task ends.
pub(crate) struct Lifeline {
    pub(crate) _shutdown: async_channel::Sender<()>,
}

/// A Socket.IO client: one connection to a server, with namespace [`Socket`]s over it. Cheap to
/// clone; dropping the last clone closes the connection (the [`Socket`] handles then fail with
/// [`EmitError::Closed`]).
///
/// `R` chooses the runtime: use `socketio_tokio::Client`.
pub struct Client<R> {
    pub(crate) shared: Arc<ClientShared>,
    pub(crate) _lifeline: Arc<Lifeline>,
    pub(crate) _runtime: PhantomData<fn() -> R>,
}

impl<R> Clone for Client<R> {
    fn clone(&self) -> Self {
        Client {
            shared: self.shared.clone(),
            _lifeline: self._lifeline.clone(),
            _runtime: PhantomData,
        }
    }
}

impl<R> fmt::Debug for Client<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("namespace", &self.shared.main)
            .finish_non_exhaustive()
    }
}

impl<R: ClientRuntime> Client<R> {
    /// A builder for a client of the server at `url` (`http://host:port/namespace?query`).
    pub fn builder(url: impl Into<String>) -> ClientBuilder<R> {
        ClientBuilder::new(url.into())
    }
}

impl<R> Client<R> {
    /// The socket of the URL's namespace.
    pub fn socket(&self) -> Socket {
        Socket::new(&self.shared, &self.shared.main)
    }

    /// The socket of another namespace over the same connection; [`Socket::connect`] connects it.
    /// It uses the builder's auth unless [`Socket::connect_with_auth`] gives another.
    ///
    /// # Errors
    /// If `namespace` is not a valid name (it must start with `/` and contain no `,`).
    pub fn of(&self, namespace: &str) -> Result<Socket, socketio_proto::packet::InvalidNamespace> {
        let namespace = NamespaceName::new(namespace.to_owned())?;
        Ok(Socket::new(&self.shared, &namespace))
    }

    /// Connects the URL's namespace and waits for the outcome: shorthand for
    /// `client.socket().connect()`.
    pub fn connect(&self) -> Connecting {
        self.socket().connect()
    }

    /// Hears the connection's own events: opening, upgrade, close, reconnection.
    pub fn on_event(&self, listener: impl Fn(&ClientEvent) + Send + Sync + 'static) {
        lock(&self.shared.client_listeners).push(Arc::new(listener));
    }

    /// The transport of the current Engine.IO session, while one is open.
    pub fn transport(&self) -> Option<Transport> {
        *lock(&self.shared.transport)
    }

    /// Disconnects every socket and closes the connection; no reconnection follows. A later
    /// [`Socket::connect`] starts over.
    pub fn close(&self) {
        let _ = self.shared.send(ClientCommand::Close);
    }
}

/// One namespace of a [`Client`]: its handlers, emits and state. Cheap to clone.
#[derive(Clone)]
pub struct Socket {
    namespace: NamespaceName,
    shared: Arc<ClientShared>,
}

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl Socket {
    pub(crate) fn new(shared: &Arc<ClientShared>, namespace: &NamespaceName) -> Self {
        Socket {
            namespace: namespace.clone(),
            shared: shared.clone(),
        }
    }

    /// The namespace.
    pub fn namespace(&self) -> &str {
        self.namespace.as_str()
    }

    /// Connects (again) with the client's auth and returns a future of the outcome, which may be
    /// dropped: the connection goes ahead anyway, and reconnects after losses that allow it.
    pub fn connect(&self) -> Connecting {
        self.connect_with(self.shared.auth.clone())
    }

    /// Connects (again) with `auth` (a JSON object) instead of the client's, here and at every
    /// reconnection.
    pub fn connect_with_auth(&self, auth: impl Serialize) -> Connecting {
        match serde_json::to_value(auth) {
            Ok(Value::Object(map)) => self.connect_with(Auth::Value(Value::Object(map))),
            _ => Connecting::failed(ConnectError::InvalidAuth),
        }
    }

    fn connect_with(&self, auth: Auth) -> Connecting {
        let (reply, answer) = oneshot::channel();
        let command = ClientCommand::Connect {
            namespace: self.namespace.clone(),
            auth,
            reply: Some(reply),
        };
        match self.shared.send(command) {
            Ok(()) => Connecting {
                answer: Some(answer),
                error: None,
            },
            Err(_) => Connecting::failed(ConnectError::Closed),
        }
    }

    /// Disconnects ("io client disconnect"); no reconnection follows. When no socket is left
    /// connected the connection closes.
    pub fn disconnect(&self) {
        let _ = self
            .shared
            .send(ClientCommand::Disconnect(self.namespace.clone()));
    }

    /// Calls `handler` for each `event` from the server, with the event's arguments read as `T`: a
    /// tuple for several (`(String, u32)`), a struct, `serde_json::Value` for the whole list, `()`
    /// for none. Byte fields (`bytes::Bytes`) receive binary attachments. When the server asked for
    /// an acknowledgement, the handler gets an [`AckSender`] to answer it with (as on the server).
    /// Several handlers may listen to one event.
    pub fn on<T, F>(&self, event: &str, handler: F)
    where
        T: DeserializeOwned,
        F: Fn(&Socket, T, Option<AckSender>) + Send + Sync + 'static,
    {
        let handler: EventHandler = Arc::new(move |socket: &Socket, payload: &Payload, ack| {
            let args = payload
                .event_args::<T>()
                .map_err(|error| error.to_string())?;
            handler(socket, args, ack);
            Ok(())
        });
        let mut handlers = lock(&self.shared.handlers);
        let handlers = handlers.entry(self.namespace.clone()).or_default();
        handlers
            .events
            .entry(event.to_owned())
            .or_default()
            .push(handler);
    }

    /// Calls `handler` for every event from the server, before the handlers registered with
    /// [`on`](Self::on) (as the reference's `onAny`): its name, raw payload (read it with
    /// [`Payload::event_args`]) and the [`AckSender`] when the server asked for an answer.
    pub fn on_any<F>(&self, handler: F)
    where
        F: Fn(&Socket, &str, &Payload, Option<AckSender>) + Send + Sync + 'static,
    {
        let handler: EventHandler = Arc::new(move |socket: &Socket, payload: &Payload, ack| {
            let name = payload.event_name().unwrap_or_default();
            handler(socket, &name, payload, ack);
            Ok(())
        });
        lock(&self.shared.handlers)
            .entry(self.namespace.clone())
            .or_default()
            .any
            .push(handler);
    }

    /// Hears the socket's connection events ([`SocketEvent`]).
    pub fn on_event(&self, listener: impl Fn(&SocketEvent) + Send + Sync + 'static) {
        lock(&self.shared.handlers)
            .entry(self.namespace.clone())
            .or_default()
            .listeners
            .push(Arc::new(listener));
    }

    /// Sends `event` with `args`: a tuple or sequence for several arguments (`&(1, "two")`), `&()`
    /// for none, any other value as one. `bytes::Bytes` values travel as binary attachments. While
    /// disconnected (or before the first connect) the event waits for the connection.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<(), EmitError> {
        self.emit_with(event, args, EmitOptions::default(), None)
    }

    /// Sends `event` and returns a future of the server's acknowledgement (its arguments). Nothing
    /// is sent until the future is first polled.
    pub fn emit_with_ack<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> EmitWithAck {
        EmitWithAck {
            socket: self.clone(),
            payload: encode(event, args),
            timeout: None,
        }
    }

    /// Emits that are dropped, rather than buffered, while the socket is not connected.
    pub fn volatile(&self) -> Volatile<'_> {
        Volatile(self)
    }

    /// The socket id the server gave, while connected.
    pub fn id(&self) -> Option<String> {
        self.status().sid
    }

    /// Whether the server accepted the socket on the current connection.
    pub fn connected(&self) -> bool {
        self.status().connected
    }

    /// Whether the socket (re)connects when it can: set by [`connect`](Self::connect), cleared by a
    /// client or server disconnect and by a rejection.
    pub fn active(&self) -> bool {
        self.status().active
    }

    fn status(&self) -> SocketStatus {
        lock(&self.shared.status)
            .get(&self.namespace)
            .cloned()
            .unwrap_or_default()
    }

    fn emit_with<T: Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
        options: EmitOptions,
        reply: Option<oneshot::Sender<Result<Payload, AckError>>>,
    ) -> Result<(), EmitError> {
        let payload = encode(event, args)?;
        self.shared.send(ClientCommand::Emit {
            namespace: self.namespace.clone(),
            payload,
            options,
            reply,
        })
    }
}

fn encode<T: Serialize + ?Sized>(event: &str, args: &T) -> Result<Payload, EmitError> {
    if is_reserved_event(event) {
        return Err(EmitError::ReservedName);
    }
    Ok(Payload::event(event, args)?)
}

/// Volatile emits of a socket, from [`Socket::volatile`].
#[derive(Debug)]
pub struct Volatile<'a>(&'a Socket);

impl Volatile<'_> {
    /// Sends `event` if the socket is connected; drops it otherwise.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<(), EmitError> {
        self.0.emit_with(event, args, EmitOptions::volatile(), None)
    }
}

/// An emit awaiting its acknowledgement, from [`Socket::emit_with_ack`]: await it for the
/// server's answer.
#[must_use = "nothing is sent until the future is awaited"]
#[derive(Debug)]
pub struct EmitWithAck {
    socket: Socket,
    payload: Result<Payload, EmitError>,
    timeout: Option<Duration>,
}

impl EmitWithAck {
    /// Gives up with [`AckError::Timeout`] if no answer comes within `timeout` (counted from the
    /// emit, including time spent buffered while disconnected).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

impl IntoFuture for EmitWithAck {
    type Output = Result<Payload, AckError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let payload = self.payload?;
            let (reply, answer) = oneshot::channel();
            let options = EmitOptions {
                with_ack: true,
                ack_timeout: self.timeout,
                volatile: false,
            };
            self.socket.shared.send(ClientCommand::Emit {
                namespace: self.socket.namespace.clone(),
                payload,
                options,
                reply: Some(reply),
            })?;
            answer
                .await
                .unwrap_or(Err(AckError::Emit(EmitError::Closed)))
        })
    }
}

/// The outcome of [`Socket::connect`]: resolves on the first connection or connection error.
/// Dropping it is fine: the connection goes ahead anyway.
#[derive(Debug)]
pub struct Connecting {
    answer: Option<oneshot::Receiver<Result<(), ConnectError>>>,
    error: Option<ConnectError>,
}

impl Connecting {
    fn failed(error: ConnectError) -> Self {
        Connecting {
            answer: None,
            error: Some(error),
        }
    }
}

impl Future for Connecting {
    type Output = Result<(), ConnectError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(error) = self.error.take() {
            return Poll::Ready(Err(error));
        }
        match &mut self.answer {
            Some(answer) => Pin::new(answer)
                .poll(cx)
                .map(|answer| answer.unwrap_or(Err(ConnectError::Closed))),
            None => Poll::Ready(Err(ConnectError::Closed)),
        }
    }
}

/// Answers the server's request for an acknowledgement of one event, at most once: handlers get
/// one when the server asked for it. Cloneable for several handlers of one event; only the first
/// answer is sent.
#[derive(Clone)]
pub struct AckSender {
    shared: Arc<ClientShared>,
    namespace: NamespaceName,
    id: u64,
}

impl fmt::Debug for AckSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AckSender")
            .field("namespace", &self.namespace)
            .field("id", &self.id)
            .finish()
    }
}

impl AckSender {
    pub(crate) fn new(
        shared: &Arc<ClientShared>,
        namespace: &NamespaceName,
        id: Option<u64>,
    ) -> Option<Self> {
        Some(AckSender {
            shared: shared.clone(),
            namespace: namespace.clone(),
            id: id?,
        })
    }

    /// Answers with `args` (spread as for [`Socket::emit`]).
    pub fn send<T: Serialize + ?Sized>(&self, args: &T) -> Result<(), EmitError> {
        self.send_payload(Payload::new(args)?)
    }

    /// Answers with arguments already encoded as a payload (such as the event's own).
    pub fn send_payload(&self, args: Payload) -> Result<(), EmitError> {
        self.shared.send(ClientCommand::Ack {
            namespace: self.namespace.clone(),
            id: self.id,
            payload: args,
        })
    }
}
