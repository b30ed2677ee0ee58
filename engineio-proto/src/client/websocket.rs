//! WebSocket inputs, routed to the session's own WebSocket or to the upgrade probe.

use super::output::{CloseReason, TransportFailure};
use super::session::ClientSession;
use crate::error::DecodeError;
use crate::packet::{Frame, Packet};
use crate::time::Instant;
use crate::transport::Transport;
use crate::v3;

impl ClientSession {
    /// The WebSocket asked for by [`Output::OpenWebSocket`](super::Output::OpenWebSocket) is open.
    pub fn handle_ws_opened(&mut self, _now: Instant) {
        // The session's own WebSocket needs nothing: the server speaks first, with the handshake.
        if self.is_live() && self.websocket_alive && self.transport == Transport::Polling {
            self.probe_opened();
        }
    }

    /// A frame arrived on the WebSocket.
    pub fn handle_ws_frame(&mut self, now: Instant, frame: Frame) {
        if !self.is_live() || !self.websocket_alive {
            return;
        }
        if self.transport == Transport::Polling {
            return self.probe_frame(frame);
        }
        let limit = self.config.max_incoming_payload;
        if frame.len() > limit {
            return self.close_with(CloseReason::ParseError(DecodeError::TooLarge { limit }));
        }
        let decoded = if self.is_v3() {
            v3::decode_frame(frame)
        } else {
            Packet::from_frame(frame)
        };
        match decoded {
            Ok(packet) => self.on_packet(now, packet),
            Err(error) => self.close_with(CloseReason::ParseError(error)),
        }
    }

    /// The WebSocket closed: cleanly (`error == false`) or because of an error. On the session's own
    /// WebSocket this ends the session ([`CloseReason::TransportClose`] or
    /// [`CloseReason::TransportError`]); on the probe it abandons the upgrade.
    pub fn handle_ws_closed(&mut self, _now: Instant, error: bool) {
        if !self.is_live() || !self.websocket_alive {
            return;
        }
        self.websocket_alive = false;
        if self.transport == Transport::WebSocket {
            self.close_with(if error {
                CloseReason::TransportError(TransportFailure::Network)
            } else {
                CloseReason::TransportClose
            });
        } else {
            self.abandon_probe();
        }
    }
}
