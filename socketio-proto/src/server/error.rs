//! Why an application command was refused.

/// Why [`emit`](super::ServerConnection::emit), [`emit_with_ack`](super::ServerConnection::emit_with_ack)
/// or [`send_encoded`](super::ServerConnection::send_encoded) sent nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EmitError {
    /// No socket is connected on this namespace (never accepted, disconnected, or the connection
    /// is closed).
    #[error("no socket connected on this namespace")]
    NotConnected,
    /// The arguments do not start with an event name (build them with
    /// [`Payload::event`](crate::packet::Payload::event)).
    #[error("the arguments do not start with an event name")]
    MissingEventName,
    /// The event name is one of [`RESERVED_EVENTS`](super::RESERVED_EVENTS).
    #[error("reserved event name")]
    ReservedEventName,
    /// The socket already awaits `limit` acks from the client.
    #[error("{limit} acks are already awaited on this socket")]
    TooManyPendingAcks {
        /// [`max_pending_acks`](super::ServerConnectionConfig::max_pending_acks).
        limit: usize,
    },
    /// `limit` messages already wait to be pulled from the connection.
    #[error("{limit} messages are already waiting to be sent")]
    QueueFull {
        /// [`max_queued_messages`](super::ServerConnectionConfig::max_queued_messages).
        limit: usize,
    },
    /// The arguments cannot be written in the connection's
    /// [format](super::ServerConnectionConfig::format) (see [`FrameError`](crate::parser::FrameError)).
    #[error("the arguments cannot be written in this connection's format")]
    Unencodable,
}

/// Why [`ack`](super::ServerConnection::ack) sent nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    /// No socket is connected on this namespace.
    #[error("no socket connected on this namespace")]
    NotConnected,
    /// The client is not waiting for this ack: it never asked for it, or it was answered already.
    #[error("no ack with this id is owed to the client")]
    NotOwed,
    /// `limit` messages already wait to be pulled; the ack is still owed and may be retried.
    #[error("{limit} messages are already waiting to be sent")]
    QueueFull {
        /// [`max_queued_messages`](super::ServerConnectionConfig::max_queued_messages).
        limit: usize,
    },
    /// The arguments cannot be written in the connection's
    /// [format](super::ServerConnectionConfig::format); the ack is still owed.
    #[error("the arguments cannot be written in this connection's format")]
    Unencodable,
}

/// The namespace has no connection request waiting for an answer (none was made, it was answered,
/// or the connection closed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no connection request pending on this namespace")]
pub struct NotPending;

/// No socket is connected on the namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no socket connected on this namespace")]
pub struct NotConnected;
