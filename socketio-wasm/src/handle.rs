//! The application's side: [`Client`] and [`Socket`] handles, events, acknowledgements, errors.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use engineio_proto::Transport;
use engineio_proto::client::CloseReason;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use socketio_proto::client::{DisconnectReason, EmitOptions, OpenFailure};
use socketio_proto::packet::{EncodeError, InvalidNamespace, NamespaceName, Payload, RawJson};

use crate::builder::ClientBuilder;
use crate::driver::{Auth, Driver, EventHandler};
use crate::oneshot;

/// What happened to a namespace socket, for [`Socket::on_event`].
#[derive(Clone, Debug)]
pub enum SocketEvent {
    /// The server accepted the socket (again, after a reconnection).
    Connect {
        /// The socket id the server gave.
        sid: String,
    },
    /// The socket could not connect: the server refused it (its `message` and `data`; no
    /// reconnection follows), or the connection attempt failed (`data` is `None`; reconnection goes
    /// on).
    ConnectError {
        /// The server's message, or the failure (`"timeout"`, `"transport error"`, ...).
        message: String,
        /// The server's `data`, if any.
        data: Option<RawJson>,
        /// Whether the socket stays active (a failed attempt) or not (a rejection).
        retrying: bool,
    },
    /// The socket disconnected; [`DisconnectReason::reconnects`] tells whether it will reconnect.
    Disconnect(DisconnectReason),
    /// An event arrived whose arguments did not fit a handler's type; that handler was not called.
    InvalidArgs {
        /// The event name.
        event: String,
        /// Why they did not fit.
        error: Rc<serde_json::Error>,
    },
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
    /// The session ended, or the client let it go.
    Close(CloseReason),
    /// Reconnection attempt `n` (from 1) starts.
    ReconnectAttempt(u32),
    /// Reconnected after `n` attempts.
    Reconnect(u32),
    /// A reconnection attempt failed.
    ReconnectError(OpenFailure),
    /// The last allowed reconnection attempt failed.
    ReconnectFailed,
}

/// Why [`Socket::emit`] refused an event.
#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    /// The arguments did not serialize.
    #[error("arguments do not serialize")]
    Encode(#[from] EncodeError),
    /// The client refused it: a reserved event name (`connect`, `disconnect`, ...), a full buffer,
    /// too many acknowledgements pending.
    #[error("emit refused: {0}")]
    Refused(socketio_proto::client::EmitError),
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
        data: Option<RawJson>,
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
    Build(#[from] crate::BuildError),
}

/// Closes the connection when the last [`Client`] clone goes.
struct Lifeline(Rc<Driver>);

impl Drop for Lifeline {
    fn drop(&mut self) {
        self.0.shut_down();
    }
}

/// A Socket.IO client in the browser: one connection to a server, with namespace [`Socket`]s over
/// it. Cheap to clone; dropping the last clone closes the connection (the [`Socket`] handles then
/// fail with [`EmitError::Closed`]).
#[derive(Clone)]
pub struct Client {
    driver: Rc<Driver>,
    _lifeline: Rc<Lifeline>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("namespace", &self.driver.main)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A builder for a client of the server at `url`: absolute (`https://host/chat?x=1`) or
    /// relative to the page (`/chat`). Its path is the namespace of [`Client::socket`].
    pub fn builder(url: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(url.into())
    }

    pub(crate) fn new(driver: Rc<Driver>) -> Self {
        Client {
            _lifeline: Rc::new(Lifeline(driver.clone())),
            driver,
        }
    }

    /// The socket of the URL's namespace.
    pub fn socket(&self) -> Socket {
        Socket::new(self.driver.clone(), self.driver.main.clone())
    }

    /// The socket of another namespace over the same connection; [`Socket::connect`] connects it.
    /// It uses the builder's auth unless [`Socket::connect_with_auth`] gives another.
    ///
    /// # Errors
    /// If `namespace` is not a valid name (it must start with `/` and contain no `,`).
    pub fn of(&self, namespace: &str) -> Result<Socket, InvalidNamespace> {
        let namespace = NamespaceName::new(namespace.to_owned())?;
        Ok(Socket::new(self.driver.clone(), namespace))
    }

    /// Connects the URL's namespace: shorthand for `client.socket().connect()`.
    pub fn connect(&self) -> Connecting {
        self.socket().connect()
    }

    /// Hears the connection's own events: opening, upgrade, close, reconnection.
    pub fn on_event(&self, listener: impl Fn(&ClientEvent) + 'static) {
        self.driver
            .client_listeners
            .borrow_mut()
            .push(Rc::new(listener));
    }

    /// The transport of the current Engine.IO session, while one is open.
    pub fn transport(&self) -> Option<Transport> {
        self.driver.inspect(|stack| stack.transport())
    }

    /// Disconnects every socket and closes the connection; no reconnection follows. A later
    /// [`Socket::connect`] starts over.
    pub fn close(&self) {
        self.driver.close();
    }
}

/// One namespace of a [`Client`]: its handlers, emits and state. Cheap to clone.
#[derive(Clone)]
pub struct Socket {
    namespace: NamespaceName,
    driver: Rc<Driver>,
}

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl Socket {
    pub(crate) fn new(driver: Rc<Driver>, namespace: NamespaceName) -> Self {
        Socket { namespace, driver }
    }

    /// The namespace.
    pub fn namespace(&self) -> &str {
        self.namespace.as_str()
    }

    /// Connects (again) with the client's auth; the future of the outcome may be dropped: the
    /// connection goes ahead anyway, and reconnects after losses that allow it.
    pub fn connect(&self) -> Connecting {
        self.connect_with(self.driver.auth.clone())
    }

    /// Connects (again) with `auth` (a JSON object) instead of the client's, here and at every
    /// reconnection.
    pub fn connect_with_auth(&self, auth: impl Serialize) -> Connecting {
        match serde_json::to_value(auth) {
            Ok(value @ Value::Object(_)) => match RawJson::from_serialize(&value) {
                Ok(json) => self.connect_with(Auth::Value(json)),
                Err(_) => Connecting::failed(ConnectError::InvalidAuth),
            },
            _ => Connecting::failed(ConnectError::InvalidAuth),
        }
    }

    fn connect_with(&self, auth: Auth) -> Connecting {
        let (reply, answer) = oneshot::channel();
        self.driver.connect(self.namespace.clone(), auth, reply);
        Connecting {
            answer: Some(answer),
            error: None,
        }
    }

    /// Disconnects ("io client disconnect"); no reconnection follows. When no socket is left
    /// connected the connection closes.
    pub fn disconnect(&self) {
        self.driver.disconnect(&self.namespace);
    }

    /// Calls `handler` for each `event` from the server, with the event's arguments read as `T`: a
    /// tuple for several (`(String, u32)`), a struct, `serde_json::Value` for the whole list, `()`
    /// for none. Byte fields (`bytes::Bytes`) receive binary attachments. When the server asked for
    /// an acknowledgement, the handler gets an [`AckSender`] to answer with.
    pub fn on<T, F>(&self, event: &str, handler: F)
    where
        T: DeserializeOwned,
        F: Fn(&Socket, T, Option<AckSender>) + 'static,
    {
        let handler: EventHandler = Rc::new(move |socket: &Socket, payload: &Payload, ack| {
            handler(socket, payload.event_args::<T>()?, ack);
            Ok(())
        });
        let mut handlers = self.driver.handlers.borrow_mut();
        let handlers = handlers.entry(self.namespace.clone());
        handlers.events.entry(event.to_owned()).push(handler);
    }

    /// Calls `handler` for every event from the server, before the handlers registered with
    /// [`on`](Self::on) (as the reference's `onAny`): its name, raw payload (read it with
    /// [`Payload::event_args`]) and the [`AckSender`] when the server asked for an answer.
    pub fn on_any<F>(&self, handler: F)
    where
        F: Fn(&Socket, &str, &Payload, Option<AckSender>) + 'static,
    {
        let handler: EventHandler = Rc::new(move |socket: &Socket, payload: &Payload, ack| {
            let name = payload.event_name().unwrap_or_default();
            handler(socket, &name, payload, ack);
            Ok(())
        });
        self.driver
            .handlers
            .borrow_mut()
            .entry(self.namespace.clone())
            .any
            .push(handler);
    }

    /// Hears the socket's connection events ([`SocketEvent`]).
    pub fn on_event(&self, listener: impl Fn(&SocketEvent) + 'static) {
        self.driver
            .handlers
            .borrow_mut()
            .entry(self.namespace.clone())
            .listeners
            .push(Rc::new(listener));
    }

    /// Sends `event` with `args`: a tuple or sequence for several arguments (`&(1, "two")`), `&()`
    /// for none, any other value as one. `bytes::Bytes` values travel as binary attachments. While
    /// disconnected (or before the first connect) the event waits for the connection.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<(), EmitError> {
        let payload = Payload::event(event, args)?;
        self.driver
            .emit(&self.namespace, payload, EmitOptions::default(), None)
    }

    /// Sends `event` and returns a future of the server's acknowledgement (its arguments). The
    /// event goes when the future is awaited (or turned into one).
    pub fn emit_with_ack<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> EmitWithAck {
        EmitWithAck {
            socket: self.clone(),
            payload: Payload::event(event, args).map_err(EmitError::from),
            timeout: None,
        }
    }

    /// Emits that are dropped, rather than buffered, while the socket is not connected.
    pub fn volatile(&self) -> Volatile<'_> {
        Volatile(self)
    }

    /// The socket id the server gave, while connected.
    pub fn id(&self) -> Option<String> {
        self.driver.inspect(|stack| {
            stack
                .manager()
                .socket_id(&self.namespace)
                .map(str::to_owned)
        })
    }

    /// Whether the server accepted the socket on the current connection.
    pub fn connected(&self) -> bool {
        self.driver
            .inspect(|stack| stack.manager().is_connected(&self.namespace))
    }

    /// Whether the socket (re)connects when it can: set by [`connect`](Self::connect), cleared by a
    /// client or server disconnect and by a rejection.
    pub fn active(&self) -> bool {
        self.driver
            .inspect(|stack| stack.manager().is_active(&self.namespace))
    }
}

/// Volatile emits of a socket, from [`Socket::volatile`].
#[derive(Debug)]
pub struct Volatile<'a>(&'a Socket);

impl Volatile<'_> {
    /// Sends `event` if the socket is connected; drops it otherwise.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<(), EmitError> {
        let socket = self.0;
        let payload = Payload::event(event, args)?;
        socket
            .driver
            .emit(&socket.namespace, payload, EmitOptions::volatile(), None)
    }
}

/// An emit awaiting its acknowledgement, from [`Socket::emit_with_ack`]: await it for the
/// server's answer.
#[must_use = "nothing is sent until the future is awaited"]
pub struct EmitWithAck {
    socket: Socket,
    payload: Result<Payload, EmitError>,
    timeout: Option<Duration>,
}

impl fmt::Debug for EmitWithAck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmitWithAck")
            .field("socket", &self.socket)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
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
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output>>>;

    fn into_future(self) -> Self::IntoFuture {
        let sent = self.payload.and_then(|payload| {
            let (reply, answer) = oneshot::channel();
            let options = EmitOptions {
                with_ack: true,
                ack_timeout: self.timeout,
                volatile: false,
            };
            let socket = &self.socket;
            socket
                .driver
                .emit(&socket.namespace, payload, options, Some(reply))?;
            Ok(answer)
        });
        Box::pin(async move {
            sent?
                .await
                .unwrap_or(Err(AckError::Emit(EmitError::Closed)))
        })
    }
}

/// The outcome of [`Socket::connect`]: resolves on the first connection or connection error.
/// Dropping it is fine: the connection goes ahead anyway.
pub struct Connecting {
    answer: Option<oneshot::Receiver<Result<(), ConnectError>>>,
    error: Option<ConnectError>,
}

impl fmt::Debug for Connecting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connecting").finish_non_exhaustive()
    }
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
    driver: Rc<Driver>,
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
    pub(crate) fn new(driver: Rc<Driver>, namespace: NamespaceName, id: u64) -> Self {
        AckSender {
            driver,
            namespace,
            id,
        }
    }

    /// Answers with `args` (spread as for [`Socket::emit`]).
    pub fn send<T: Serialize + ?Sized>(&self, args: &T) -> Result<(), EmitError> {
        self.send_payload(Payload::new(args)?)
    }

    /// Answers with arguments already encoded as a payload (such as the event's own).
    pub fn send_payload(&self, args: Payload) -> Result<(), EmitError> {
        self.driver.ack(&self.namespace, self.id, args);
        Ok(())
    }
}
