//! Why a namespace socket was disconnected, with the reference server's names.

use core::fmt;

use engineio_proto::server::CloseReason;

/// Why a socket left its namespace (the `reason` of the reference's `disconnect` event).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DisconnectReason {
    /// The server disconnected the socket ([`disconnect`](super::ServerConnection::disconnect), or
    /// every socket in [`disconnect_all`](super::ServerConnection::disconnect_all)).
    ServerNamespaceDisconnect,
    /// The client sent a `DISCONNECT` packet for the namespace.
    ClientNamespaceDisconnect,
    /// The server is shutting down ([`close`](super::ServerConnection::close) with this reason).
    ServerShuttingDown,
    /// The server closed the connection: the client broke the protocol (a packet for a namespace it
    /// is not connected to, a second `CONNECT`) or went over a bound (namespaces, owed acks), no
    /// namespace was joined within the connect timeout, or after
    /// [`disconnect_all`](super::ServerConnection::disconnect_all).
    ForcedServerClose,
    /// The Engine.IO session closed: no pong within the ping timeout.
    PingTimeout,
    /// The Engine.IO session closed: the client closed the transport.
    TransportClose,
    /// The Engine.IO session closed: the transport failed.
    TransportError,
    /// The client sent bytes that are not valid Engine.IO or Socket.IO packets.
    ParseError,
    /// The Engine.IO session was closed by the server.
    ForcedClose,
}

impl DisconnectReason {
    /// The reference server's string for this reason.
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::ServerNamespaceDisconnect => "server namespace disconnect",
            DisconnectReason::ClientNamespaceDisconnect => "client namespace disconnect",
            DisconnectReason::ServerShuttingDown => "server shutting down",
            DisconnectReason::ForcedServerClose => "forced server close",
            DisconnectReason::PingTimeout => "ping timeout",
            DisconnectReason::TransportClose => "transport close",
            DisconnectReason::TransportError => "transport error",
            DisconnectReason::ParseError => "parse error",
            DisconnectReason::ForcedClose => "forced close",
        }
    }
}

impl From<CloseReason> for DisconnectReason {
    fn from(reason: CloseReason) -> Self {
        match reason {
            CloseReason::TransportClose => DisconnectReason::TransportClose,
            CloseReason::TransportError => DisconnectReason::TransportError,
            CloseReason::PingTimeout => DisconnectReason::PingTimeout,
            CloseReason::ForcedClose => DisconnectReason::ForcedClose,
            CloseReason::ParseError => DisconnectReason::ParseError,
        }
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
