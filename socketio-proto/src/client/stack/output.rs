//! What the stack asks of its runtime and tells its application.

use alloc::string::String;
use core::fmt;

use bytes::Bytes;
use engineio_proto::client::CloseReason;
use engineio_proto::{Frame, SessionParams, Transport};

use crate::client::Event;

/// One Engine.IO session of a [`Stack`](super::Stack): transport outputs name the session they
/// belong to, and transport reports give it back, so reports about a session that has since been
/// replaced are told apart (and ignored once it is [released](Output::Release)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EngineId(u64);

impl EngineId {
    /// The generation number: 0 for the stack's first session, then counting up.
    pub const fn get(self) -> u64 {
        self.0
    }

    pub(super) const fn new(generation: u64) -> Self {
        EngineId(generation)
    }
}

impl fmt::Display for EngineId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The next thing the runtime must do, from [`poll_output`](super::Stack::poll_output).
///
/// `query` is the query string for the Engine.IO endpoint (`EIO=4&transport=polling&sid=..`),
/// without `?`; the runtime appends it to the endpoint URL after the user's own parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Issue a long-polling GET; report it with
    /// [`handle_poll_response`](super::Stack::handle_poll_response).
    Poll {
        /// The session.
        engine: EngineId,
        /// The query string.
        query: String,
    },
    /// Issue a long-polling POST with `body` (`Content-Type: text/plain;charset=UTF-8`); report it
    /// with [`handle_post_response`](super::Stack::handle_post_response).
    Post {
        /// The session.
        engine: EngineId,
        /// The query string.
        query: String,
        /// The encoded payload.
        body: Bytes,
    },
    /// Open the session's WebSocket (a `ws://` or `wss://` endpoint); report it with the
    /// `handle_ws_*` methods. A session has at most one WebSocket at a time.
    OpenWebSocket {
        /// The session.
        engine: EngineId,
        /// The query string.
        query: String,
    },
    /// Write this frame on the session's WebSocket.
    WsFrame {
        /// The session.
        engine: EngineId,
        /// The frame.
        frame: Frame,
    },
    /// Close the session's WebSocket; nothing more is expected from it.
    CloseWebSocket {
        /// The session.
        engine: EngineId,
    },
    /// The stack is done with this session: close its WebSocket if one is still open and forget
    /// it. Requests already under way may finish (the close POST should); reports about the session
    /// are ignored from now on. The last output that names the session.
    Release {
        /// The session.
        engine: EngineId,
    },
    /// Something happened to the current Engine.IO session, for the application.
    Engine(EngineEvent),
    /// A Socket.IO event, for the application: the [`Manager`](crate::client::Manager)'s.
    Event(Event),
}

/// What happened to the current Engine.IO session. Each session the stack starts ends with exactly
/// one [`Closed`](EngineEvent::Closed), after one [`Open`](EngineEvent::Open) if it opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EngineEvent {
    /// The handshake arrived. The namespace `CONNECT`s go out after this event is taken, so a
    /// [`connect`](super::Stack::connect) called before the next
    /// [`poll_output`](super::Stack::poll_output) sends its auth on this session (auth computed
    /// afresh for every connection goes in here).
    Open {
        /// The server's handshake (the session id, the heartbeat).
        handshake: SessionParams,
        /// The transport it opened over.
        transport: Transport,
    },
    /// The session moved to WebSocket.
    Upgraded,
    /// The session is gone for the application: it ended on its own, the stack closed it
    /// ([`CloseReason::ForcedClose`]: the manager was done with it, or a connection attempt timed
    /// out), or it refused a message ([`CloseReason::TransportError`]). A closed session may still
    /// be driven for a while, until its close is written.
    Closed(CloseReason),
}
