//! The manager's settings and the per-emit options.

use core::time::Duration;

use engineio_proto::ProtocolVersion;

use crate::packet::DecoderConfig;
use crate::parser::PacketFormat;

/// Settings of a [`Manager`](super::Manager). The defaults are the reference client's, plus bounds
/// the reference leaves unlimited.
#[derive(Clone, Debug, PartialEq)]
pub struct ManagerConfig {
    /// Whether to reconnect after the connection is lost. Default: `true`.
    pub reconnection: bool,
    /// Most reconnection attempts in a row before giving up with
    /// [`Event::ReconnectFailed`](super::Event::ReconnectFailed); `None` for no limit. Default: `None`.
    pub reconnection_attempts: Option<u32>,
    /// Delay before the first reconnection attempt; it doubles with each attempt. Default: 1 s.
    pub reconnection_delay: Duration,
    /// Cap on the delay between attempts. Default: 5 s.
    pub reconnection_delay_max: Duration,
    /// Jitter of each delay, as a fraction of it; outside `(0, 1]` disables it. Default: 0.5.
    pub randomization_factor: f64,
    /// How long a connection attempt may take before it is abandoned and counted as failed; `None`
    /// waits indefinitely. Default: 20 s.
    pub timeout: Option<Duration>,
    /// Most packets one socket keeps while it is not connected: emits waiting to be sent, and events
    /// received before its `CONNECT` was acknowledged. Past it, [`emit`](super::Manager::emit)
    /// refuses with [`EmitError::BufferFull`](super::EmitError::BufferFull) and early events are
    /// dropped. Default: 1024.
    pub max_buffered_packets: usize,
    /// Most acknowledgements one socket waits for at once. Default: 4096.
    pub max_pending_acks: usize,
    /// Most acknowledgements the server asked of one socket that the application has not sent yet;
    /// past it the oldest can no longer be answered. Default: 4096.
    pub max_unanswered_acks: usize,
    /// Ack timeout of emits that give none; `None` waits for the ack as long as the socket stays
    /// connected. Default: `None`.
    pub ack_timeout: Option<Duration>,
    /// The parser the server speaks (`parser`, default [`PacketFormat::Json`]).
    pub format: PacketFormat,
    /// Limits of the JSON packet decoder.
    pub decoder: DecoderConfig,
    /// The Engine.IO revision of the engine sessions, which the runtime must give them too. Default: 4
    /// (Socket.IO v5). Revision 3 speaks Socket.IO v4 to `socket.io@2` servers (see
    /// [`v4`](crate::v4)): `/` is joined without a `CONNECT` (its auth goes in the engine request's
    /// query, the runtime's business), other namespaces send their auth as a query, and socket ids
    /// derive from the engine session id, which [`handle_engine_handshake`](super::Manager::handle_engine_handshake)
    /// gives the manager.
    pub protocol: ProtocolVersion,
}

impl Default for ManagerConfig {
    fn default() -> Self {
        ManagerConfig {
            reconnection: true,
            reconnection_attempts: None,
            reconnection_delay: Duration::from_millis(1000),
            reconnection_delay_max: Duration::from_millis(5000),
            randomization_factor: 0.5,
            timeout: Some(Duration::from_millis(20_000)),
            max_buffered_packets: 1024,
            max_pending_acks: 4096,
            max_unanswered_acks: 4096,
            ack_timeout: None,
            format: PacketFormat::Json,
            decoder: DecoderConfig::default(),
            protocol: ProtocolVersion::V4,
        }
    }
}

/// How one [`emit`](super::Manager::emit) behaves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EmitOptions {
    /// Drop the event instead of buffering it when the socket is not connected.
    pub volatile: bool,
    /// Ask the server for an acknowledgement; `emit` then returns its id.
    pub with_ack: bool,
    /// Give up on the acknowledgement after this long with
    /// [`Event::AckTimeout`](super::Event::AckTimeout); `None` uses
    /// [`ManagerConfig::ack_timeout`]. Ignored without `with_ack`.
    pub ack_timeout: Option<Duration>,
}

impl EmitOptions {
    /// Options for an event that expects an acknowledgement.
    pub fn with_ack() -> Self {
        EmitOptions {
            with_ack: true,
            ..EmitOptions::default()
        }
    }

    /// Options for an event that expects an acknowledgement within `timeout`.
    pub fn with_ack_timeout(timeout: Duration) -> Self {
        EmitOptions {
            with_ack: true,
            ack_timeout: Some(timeout),
            ..EmitOptions::default()
        }
    }

    /// Options for a volatile event (dropped when not connected).
    pub fn volatile() -> Self {
        EmitOptions {
            volatile: true,
            ..EmitOptions::default()
        }
    }
}
