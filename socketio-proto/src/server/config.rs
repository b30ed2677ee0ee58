//! Connection settings, with the reference server's defaults where it has one.

use core::time::Duration;

use crate::packet::DecoderConfig;
use crate::parser::PacketFormat;

/// Settings of a [`ServerConnection`](super::ServerConnection).
///
/// `Default` gives the reference's `connectTimeout` and parser limits; the reference leaves the other
/// tables unbounded, so their defaults are generous bounds. The `with_*` methods change one setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerConnectionConfig {
    /// How long a connection may stay without any namespace connected before it is closed
    /// (`connectTimeout`, default 45 s).
    pub connect_timeout: Duration,
    /// The parser the client speaks (`parser`, default [`PacketFormat::Json`]).
    pub format: PacketFormat,
    /// Limits of the JSON packet decoder (attachments per binary packet, default 10).
    pub decoder: DecoderConfig,
    /// Most namespaces one connection may have connected or pending at once (default 64). A
    /// `CONNECT` beyond it closes the connection with
    /// [`ForcedServerClose`](super::DisconnectReason::ForcedServerClose).
    pub max_namespaces: usize,
    /// Most acks one socket may await from the client at once (default 1024);
    /// [`emit_with_ack`](super::ServerConnection::emit_with_ack) fails beyond it.
    pub max_pending_acks: usize,
    /// Most acks the application may owe the client on one socket at once (default 1024). An event
    /// asking for one more closes the connection with
    /// [`ForcedServerClose`](super::DisconnectReason::ForcedServerClose).
    pub max_owed_acks: usize,
    /// Most Engine.IO messages waiting in [`poll_output`](super::ServerConnection::poll_output)
    /// (default 1024, as the engine's own send queue). Application sends fail beyond it; the
    /// connection's own control packets are always queued.
    pub max_queued_messages: usize,
}

impl Default for ServerConnectionConfig {
    fn default() -> Self {
        ServerConnectionConfig {
            connect_timeout: Duration::from_secs(45),
            format: PacketFormat::Json,
            decoder: DecoderConfig::default(),
            max_namespaces: 64,
            max_pending_acks: 1024,
            max_owed_acks: 1024,
            max_queued_messages: 1024,
        }
    }
}

impl ServerConnectionConfig {
    /// Sets [`ServerConnectionConfig::connect_timeout`].
    pub fn with_connect_timeout(mut self, connect_timeout: Duration) -> Self {
        self.connect_timeout = connect_timeout;
        self
    }

    /// Sets [`ServerConnectionConfig::format`].
    pub fn with_format(mut self, format: PacketFormat) -> Self {
        self.format = format;
        self
    }

    /// Sets [`ServerConnectionConfig::decoder`].
    pub fn with_decoder(mut self, decoder: DecoderConfig) -> Self {
        self.decoder = decoder;
        self
    }

    /// Sets [`ServerConnectionConfig::max_namespaces`].
    pub fn with_max_namespaces(mut self, max_namespaces: usize) -> Self {
        self.max_namespaces = max_namespaces;
        self
    }

    /// Sets [`ServerConnectionConfig::max_pending_acks`].
    pub fn with_max_pending_acks(mut self, max_pending_acks: usize) -> Self {
        self.max_pending_acks = max_pending_acks;
        self
    }

    /// Sets [`ServerConnectionConfig::max_owed_acks`].
    pub fn with_max_owed_acks(mut self, max_owed_acks: usize) -> Self {
        self.max_owed_acks = max_owed_acks;
        self
    }

    /// Sets [`ServerConnectionConfig::max_queued_messages`].
    pub fn with_max_queued_messages(mut self, max_queued_messages: usize) -> Self {
        self.max_queued_messages = max_queued_messages;
        self
    }
}
