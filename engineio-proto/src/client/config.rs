//! The client's settings.

use crate::transport::Transports;
use crate::version::ProtocolVersion;

/// Settings of a [`ClientSession`](super::ClientSession).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientConfig {
    /// Enabled transports. With polling enabled the session opens over polling (and may upgrade to
    /// WebSocket); with WebSocket alone it opens directly over WebSocket. Default: both.
    pub transports: Transports,
    /// Whether to try upgrading from polling to WebSocket when the server offers it. Default: `true`.
    pub upgrade: bool,
    /// Most packets waiting to be written (while opening, while a POST is in flight or during an
    /// upgrade); [`send`](super::ClientSession::send) refuses more with
    /// [`SendError::QueueFull`](super::SendError::QueueFull). Default: 1024.
    pub max_buffered_packets: usize,
    /// Largest GET body or WebSocket frame accepted from the server, in bytes; a larger one ends the
    /// session with a parse error. The runtime should refuse to read past it too. Default: 100 MiB
    /// (the reference client's WebSocket limit under Node.js).
    pub max_incoming_payload: usize,
    /// The protocol revision to speak. Default: 4. Revision 3 reaches Socket.IO 1 and 2 servers: the
    /// client then pings every `pingInterval` and gives up `pingTimeout` after a ping without answer.
    pub protocol: ProtocolVersion,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            transports: Transports::ALL,
            upgrade: true,
            max_buffered_packets: 1024,
            max_incoming_payload: 100 * 1024 * 1024,
            protocol: ProtocolVersion::V4,
        }
    }
}
