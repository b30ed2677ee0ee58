//! The application seam: code that runs inside a session's task, and handles to reach it from others.

use std::sync::Arc;

use engineio_proto::server::{CloseReason, SendError, ServerSession};
use engineio_proto::{Instant, Message, Transport};

use crate::driver::Input;

/// Opens a [`SessionHandler`] for every new session. Shared by all sessions of an
/// [`Engine`](crate::Engine).
pub trait Application: Send + Sync + 'static {
    /// A session opened (its handshake is being answered). The returned handler receives the
    /// session's events; `session` can already send.
    fn on_open(&self, session: &mut SessionContext<'_>) -> Box<dyn SessionHandler>;
}

/// The per-session side of an [`Application`]. Its methods run synchronously inside the session's
/// task, between protocol inputs, so sending from them costs no channel hop; they must not block.
pub trait SessionHandler: Send + 'static {
    /// The client sent a message.
    fn on_message(&mut self, session: &mut SessionContext<'_>, message: Message);

    /// The session moved from long-polling to WebSocket.
    fn on_upgrade(&mut self, _session: &mut SessionContext<'_>) {}

    /// The session is over; called exactly once, last.
    fn on_close(&mut self, _reason: CloseReason) {}
}

/// A session as its handler sees it, for the duration of one call.
pub struct SessionContext<'a> {
    pub(crate) session: &'a mut ServerSession,
    pub(crate) now: Instant,
    pub(crate) handle: &'a SessionHandle,
}

impl SessionContext<'_> {
    /// The session id.
    pub fn sid(&self) -> &str {
        self.session.sid()
    }

    /// The transport the session uses now.
    pub fn transport(&self) -> Transport {
        self.session.transport()
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

    /// Closes the session after what is queued ([`CloseReason::ForcedClose`]).
    pub fn close(&mut self) {
        self.session.close(self.now);
    }

    /// A handle to this session for other tasks.
    pub fn handle(&self) -> SessionHandle {
        self.handle.clone()
    }
}

/// A cloneable handle to send into a session from any task. Commands go through the session's
/// bounded input queue: a full queue is an error, never unbounded growth.
#[derive(Clone, Debug)]
pub struct SessionHandle {
    pub(crate) sid: Arc<str>,
    pub(crate) inputs: async_channel::Sender<Input>,
}

/// Why a [`SessionHandle`] could not deliver a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandleError {
    /// The session's input queue is full.
    Full,
    /// The session is over.
    Closed,
}

impl std::fmt::Display for HandleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HandleError::Full => "the session's input queue is full",
            HandleError::Closed => "the session is closed",
        })
    }
}

impl std::error::Error for HandleError {}

impl SessionHandle {
    /// The session id.
    pub fn sid(&self) -> &str {
        &self.sid
    }

    /// Queues a message without waiting. If the session's own send queue is full when the message
    /// reaches it, the session is closed: a message accepted here is never dropped silently.
    pub fn try_send(&self, message: Message) -> Result<(), HandleError> {
        self.try_input(Input::Send(message))
    }

    /// Queues a message, waiting while the session's input queue is full.
    pub async fn send(&self, message: Message) -> Result<(), HandleError> {
        self.inputs
            .send(Input::Send(message))
            .await
            .map_err(|_| HandleError::Closed)
    }

    /// Asks the session to close after what is queued.
    pub fn try_close(&self) -> Result<(), HandleError> {
        self.try_input(Input::Close)
    }

    /// Whether the session is over.
    pub fn is_closed(&self) -> bool {
        self.inputs.is_closed()
    }

    fn try_input(&self, input: Input) -> Result<(), HandleError> {
        self.inputs.try_send(input).map_err(|error| {
            if error.is_full() {
                HandleError::Full
            } else {
                HandleError::Closed
            }
        })
    }
}
