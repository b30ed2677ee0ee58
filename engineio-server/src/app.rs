//! The application seam: code that runs inside a session's task, and handles to reach it from others.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::BytesMut;

use engineio_proto::server::{CloseReason, SendError, ServerSession};
use engineio_proto::{FramedText, Instant, Message, ProtocolVersion, Transport};

use crate::outbox::{Outbox, Outgoing, Refused};

/// Opens a [`SessionHandler`] for every new session. Shared by all sessions of an
/// [`Engine`](crate::Engine).
pub trait Application: Send + Sync + 'static {
    /// The handler every session of this application runs.
    type Handler: SessionHandler;

    /// A session opened (its handshake is being answered). The returned handler receives the
    /// session's events; `session` can already send.
    fn on_open(
        &self,
        session: &mut SessionContext<'_, CommandOf<Self>>,
        request: &HandshakeRequest,
    ) -> Self::Handler;
}

/// The command type of an application's sessions.
pub type CommandOf<A> = <<A as Application>::Handler as SessionHandler>::Command;

/// The HTTP request that opened a session, as the application may want to see it (the Socket.IO
/// handshake details: headers, query, address).
#[derive(Clone, Debug)]
pub struct HandshakeRequest {
    /// The request URI (path and query).
    pub uri: http::Uri,
    /// The request headers, shared with every socket's `Handshake` (Socket.IO server)
    /// (an idle connection should hold one copy).
    pub headers: Arc<http::HeaderMap>,
    /// The client's address, when the server knows it (see [`PeerAddr`]).
    pub peer_addr: Option<SocketAddr>,
}

/// The client's address, as a request extension: accept loops insert it (see
/// [`serve_connection`](crate::serve_connection)) so the handshake can report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

impl HandshakeRequest {
    /// A copy of the request head that owns its bytes. hyper parses the URI and the header values
    /// as slices of its connection's 8 KiB read buffer, so keeping them for the session's life would
    /// keep that whole buffer; they are copied into one allocation of their own size instead.
    pub(crate) fn from_parts(parts: &http::request::Parts) -> Self {
        let uri = parts.uri.to_string();
        let values: usize = parts.headers.values().map(|value| value.len()).sum();
        let mut buffer = BytesMut::with_capacity(uri.len() + values);
        // Each piece is split off the front of the one buffer, sharing its allocation.
        let mut copy = |bytes: &[u8]| {
            buffer.extend_from_slice(bytes);
            buffer.split().freeze()
        };
        let uri = http::Uri::from_maybe_shared(copy(uri.as_bytes()))
            .unwrap_or_else(|_| parts.uri.clone());
        let mut headers = http::HeaderMap::with_capacity(parts.headers.len());
        for (name, value) in &parts.headers {
            // The bytes of a valid value are valid: the fallback (the original) never runs.
            let value = match http::HeaderValue::from_maybe_shared(copy(value.as_bytes())) {
                Ok(mut copied) => {
                    copied.set_sensitive(value.is_sensitive());
                    copied
                }
                Err(_) => value.clone(),
            };
            headers.append(name.clone(), value);
        }
        HandshakeRequest {
            uri,
            headers: Arc::new(headers),
            peer_addr: parts.extensions.get::<PeerAddr>().map(|peer| peer.0),
        }
    }
}

/// The per-session side of an [`Application`]. Its methods run synchronously inside the session's
/// task, between protocol inputs, so sending from them costs no channel hop; they must not block.
pub trait SessionHandler: Send + 'static {
    /// What other tasks hand to the session through [`SessionHandle::try_command`] (and the handler
    /// to itself through [`SessionContext::after_write`]); [`Infallible`](std::convert::Infallible)
    /// for a handler that takes none.
    type Command: Send + 'static;

    /// The client sent a message.
    fn on_message(&mut self, session: &mut SessionContext<'_, Self::Command>, message: Message);

    /// The session moved from long-polling to WebSocket.
    fn on_upgrade(&mut self, _session: &mut SessionContext<'_, Self::Command>) {}

    /// The next instant [`on_timeout`](Self::on_timeout) must run at, if any (the handler's own
    /// deadlines, such as a connect timeout or ack deadlines).
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    /// A deadline from [`poll_timeout`](Self::poll_timeout) has come.
    fn on_timeout(&mut self, _session: &mut SessionContext<'_, Self::Command>) {}

    /// A command from a [`SessionHandle::try_command`], in order with the handle's messages.
    fn on_command(
        &mut self,
        _session: &mut SessionContext<'_, Self::Command>,
        _command: Self::Command,
    ) {
    }

    /// Everything the session had queued went to its transport (the reference's `drain`).
    fn on_drain(&mut self, _session: &mut SessionContext<'_, Self::Command>) {}

    /// The session is over; called exactly once, last.
    fn on_close(&mut self, _now: Instant, _reason: CloseReason) {}
}

/// A session as its handler sees it, for the duration of one call.
pub struct SessionContext<'a, C> {
    pub(crate) session: &'a mut ServerSession,
    pub(crate) now: Instant,
    pub(crate) handle: &'a SessionHandle<C>,
    pub(crate) after_write: &'a mut Vec<C>,
}

impl<C> SessionContext<'_, C> {
    /// The session id.
    pub fn sid(&self) -> &str {
        self.session.sid()
    }

    /// The transport the session uses now.
    pub fn transport(&self) -> Transport {
        self.session.transport()
    }

    /// The Engine.IO revision the session speaks: 4, or 3 for a `socket.io-client` 1 or 2 on a
    /// server with [`allow_eio3`](engineio_proto::server::ServerConfig::allow_eio3).
    pub fn protocol_version(&self) -> ProtocolVersion {
        self.session.protocol_version()
    }

    /// The time of the input being handled.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Queues a message for the client. [`SendError::QueueFull`] means the client is not keeping
    /// up: the message was not queued (closing the session is usually the answer).
    pub fn send(&mut self, message: Message) -> Result<(), SendError> {
        self.session.send(message)
    }

    /// Hands `command` back to the handler ([`SessionHandler::on_command`]) once what is queued now
    /// has been written to the WebSocket, before the session takes any further input. The
    /// reference writes a packet before the code after it runs, and clients that read one message
    /// per listener registration rely on that order. On long-polling, where nothing is written in
    /// the middle of a request, the command comes back as soon as this call's handler returns.
    pub fn after_write(&mut self, command: C) {
        self.after_write.push(command);
    }

    /// Closes the session after what is queued ([`CloseReason::ForcedClose`]).
    pub fn close(&mut self) {
        self.session.close(self.now);
    }

    /// A handle to this session for other tasks.
    pub fn handle(&self) -> SessionHandle<C> {
        self.handle.clone()
    }
}

/// A cloneable handle to reach a session from any task. Messages and commands go through the
/// session's bounded outbox: a full outbox closes the session (the client is not keeping up) and
/// reports [`HandleError::Full`]; nothing accepted is dropped silently.
pub struct SessionHandle<C> {
    pub(crate) sid: Arc<str>,
    pub(crate) outbox: Arc<Outbox<C>>,
}

impl<C> Clone for SessionHandle<C> {
    fn clone(&self) -> Self {
        SessionHandle {
            sid: self.sid.clone(),
            outbox: self.outbox.clone(),
        }
    }
}

impl<C> std::fmt::Debug for SessionHandle<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionHandle")
            .field("sid", &self.sid)
            .finish()
    }
}

/// Why a [`SessionHandle`] could not deliver a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandleError {
    /// The session's outbox is full: the session is being closed.
    Full,
    /// The session is over.
    Closed,
}

impl std::fmt::Display for HandleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HandleError::Full => "the session's outbox is full; the session is closing",
            HandleError::Closed => "the session is closed",
        })
    }
}

impl std::error::Error for HandleError {}

impl<C> SessionHandle<C> {
    /// A handle to no session: its outbox, read by nobody, takes up to `capacity` items. For
    /// testing an application without serving it.
    pub fn detached(sid: &str, capacity: usize) -> Self {
        SessionHandle {
            sid: Arc::from(sid),
            outbox: Arc::new(Outbox::new(capacity)),
        }
    }

    /// The session id.
    pub fn sid(&self) -> &str {
        &self.sid
    }

    /// Queues a message without waiting. If the session cannot queue it when it arrives (the
    /// client is not reading), the session is closed: a message accepted here is never dropped
    /// silently.
    pub fn try_send(&self, message: Message) -> Result<(), HandleError> {
        self.push(Outgoing::Message(message))
    }

    /// As [`try_send`](Self::try_send), for a text message framed once for many sessions (a
    /// broadcast): the session writes its buffer as it is.
    pub fn try_send_framed(&self, message: FramedText) -> Result<(), HandleError> {
        self.push(Outgoing::Framed(message))
    }

    /// Queues the messages of one packet that may be dropped when the client is behind (a volatile
    /// emit): all are sent or none. `false` if they were dropped here; the session may still drop
    /// them if its transport is not ready.
    pub fn send_volatile(&self, messages: impl IntoIterator<Item = Message>) -> bool {
        self.outbox.push_volatile(messages.into_iter().collect())
    }

    /// Hands `command` to the session's handler ([`SessionHandler::on_command`]).
    pub fn try_command(&self, command: C) -> Result<(), HandleError> {
        self.push(Outgoing::Command(Box::new(command)))
    }

    /// Asks the session to close after what is queued.
    pub fn try_close(&self) -> Result<(), HandleError> {
        self.push(Outgoing::Close)
    }

    /// Whether the session is over (or closing because its outbox overflowed).
    pub fn is_closed(&self) -> bool {
        self.outbox.is_closed()
    }

    fn push(&self, item: Outgoing<C>) -> Result<(), HandleError> {
        self.outbox.push(item).map_err(|refused| match refused {
            Refused::Full => HandleError::Full,
            Refused::Closed => HandleError::Closed,
        })
    }
}
