//! What a connection asks of its driver and tells its application.

use engineio_proto::Message;

use super::reason::DisconnectReason;
use crate::adapter::SocketId;
use crate::packet::{NamespaceName, Payload, RawJson};

/// The next thing a [`ServerConnection`](super::ServerConnection) needs done, from
/// [`poll_output`](super::ServerConnection::poll_output).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Hand this message to the Engine.IO session (`ServerSession::send`). A packet with binary
    /// attachments is its text message followed by one binary message per attachment, in order.
    Send(Message),
    /// Close the Engine.IO session (`ServerSession::close`); the messages sent before it go first.
    CloseEngine,
    /// Something for the application.
    Event(Event),
}

/// What happened on a connection, for the application and the runtime's namespace state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The client asks to join `namespace`. Run the namespace's middleware, then answer with
    /// [`accept`](super::ServerConnection::accept), [`reject`](super::ServerConnection::reject) or
    /// [`reject_invalid_namespace`](super::ServerConnection::reject_invalid_namespace).
    ConnectRequest {
        /// The namespace asked for.
        namespace: NamespaceName,
        /// The client's `auth` object, if it sent one.
        auth: Option<RawJson>,
    },
    /// A socket joined its namespace (after [`accept`](super::ServerConnection::accept)): add it to
    /// the namespace's rooms (`Rooms::add_socket`).
    Connected {
        /// Its namespace.
        namespace: NamespaceName,
        /// Its id.
        socket: SocketId,
    },
    /// The client emitted an event.
    Event {
        /// The socket's namespace.
        namespace: NamespaceName,
        /// The socket.
        socket: SocketId,
        /// `[name, ...args]`, with its attachments.
        args: Payload,
        /// The id to answer with [`ack`](super::ServerConnection::ack), at most once, if the client
        /// wants an acknowledgement.
        ack: Option<u64>,
    },
    /// The client acknowledged an event sent with
    /// [`emit_with_ack`](super::ServerConnection::emit_with_ack).
    Ack {
        /// The socket's namespace.
        namespace: NamespaceName,
        /// The socket.
        socket: SocketId,
        /// The id `emit_with_ack` returned.
        id: u64,
        /// The arguments of the acknowledgement.
        args: Payload,
    },
    /// No acknowledgement came within the timeout given to
    /// [`emit_with_ack`](super::ServerConnection::emit_with_ack); a late one will be ignored.
    AckTimeout {
        /// The socket's namespace.
        namespace: NamespaceName,
        /// The socket.
        socket: SocketId,
        /// The id `emit_with_ack` returned.
        id: u64,
    },
    /// The socket disconnected before acknowledging (between its `Disconnecting` and
    /// `Disconnected`).
    AckCancelled {
        /// The socket's namespace.
        namespace: NamespaceName,
        /// The socket.
        socket: SocketId,
        /// The id `emit_with_ack` returned.
        id: u64,
    },
    /// The socket is leaving: it is still in its rooms (the reference's `disconnecting`).
    Disconnecting {
        /// Its namespace.
        namespace: NamespaceName,
        /// Its id.
        socket: SocketId,
        /// Why.
        reason: DisconnectReason,
    },
    /// The socket is gone: remove it from the rooms (`Rooms::del_all`). Nothing refers to it after.
    Disconnected {
        /// Its namespace.
        namespace: NamespaceName,
        /// Its id.
        socket: SocketId,
        /// Why.
        reason: DisconnectReason,
    },
    /// The connection is over, every socket has disconnected and pending connection requests are
    /// void: drop the connection. Always the last event, exactly once.
    Closed {
        /// Why.
        reason: DisconnectReason,
    },
}

impl Event {
    /// The socket the event is about, if it is about one.
    pub fn socket(&self) -> Option<&SocketId> {
        match self {
            Event::Connected { socket, .. }
            | Event::Event { socket, .. }
            | Event::Ack { socket, .. }
            | Event::AckTimeout { socket, .. }
            | Event::AckCancelled { socket, .. }
            | Event::Disconnecting { socket, .. }
            | Event::Disconnected { socket, .. } => Some(socket),
            Event::ConnectRequest { .. } | Event::Closed { .. } => None,
        }
    }
}
