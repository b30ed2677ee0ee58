//! The upgrade from polling to WebSocket: probe, pause polling, switch.
//!
//! The probe WebSocket opens with the session id and sends `2probe`; on `3probe` polling pauses (no
//! new GET or POST), and once the GET and POST under way have completed (the server releases the GET
//! with a `noop`), `5` goes out on the WebSocket, which becomes the session's transport and takes the
//! queued packets. Anything else on the probe abandons it and polling carries on.

use super::output::{Event, Output};
use super::session::ClientSession;
use crate::packet::{Frame, Packet};
use crate::transport::Transport;

/// Progress of the upgrade probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Probe {
    /// No probe under way (none started, it failed, or the upgrade is done).
    None,
    /// The probe WebSocket is connecting.
    Connecting,
    /// `2probe` sent; waiting for `3probe`.
    AwaitingPong,
    /// `3probe` received; polling is pausing.
    Pausing,
}

impl ClientSession {
    pub(super) fn start_probe(&mut self) {
        self.probe = Probe::Connecting;
        self.websocket_alive = true;
        let query = self.query(Transport::WebSocket);
        self.outputs.push_back(Output::OpenWebSocket { query });
    }

    pub(super) fn probe_opened(&mut self) {
        if self.probe == Probe::Connecting {
            self.probe = Probe::AwaitingPong;
            self.outputs
                .push_back(Output::WsFrame(Packet::probe_ping().to_frame()));
        }
    }

    pub(super) fn probe_frame(&mut self, frame: Frame) {
        // While pausing the server has nothing to send on the probe; like the reference, ignore it.
        if self.probe != Probe::AwaitingPong {
            return;
        }
        if Packet::from_frame(frame) == Ok(Packet::probe_pong()) {
            self.probe = Probe::Pausing;
            self.push_event(Event::Upgrading);
            self.complete_upgrade_if_paused();
        } else {
            self.abandon_probe();
        }
    }

    /// Switches to the WebSocket once polling has no request under way.
    pub(super) fn complete_upgrade_if_paused(&mut self) {
        if self.probe != Probe::Pausing
            || self.requests.get_in_flight
            || self.requests.post_in_flight
        {
            return;
        }
        self.probe = Probe::None;
        self.transport = Transport::WebSocket;
        self.outputs
            .push_back(Output::WsFrame(Packet::Upgrade.to_frame()));
        self.push_event(Event::Upgraded);
        self.flush();
    }

    /// Gives up the upgrade: closes the probe if it is still there and resumes polling if it was
    /// paused. (The reference leaves polling paused in that case; resuming keeps the session usable.)
    pub(super) fn abandon_probe(&mut self) {
        let was_pausing = self.probe == Probe::Pausing;
        self.probe = Probe::None;
        if self.websocket_alive {
            self.websocket_alive = false;
            self.outputs.push_back(Output::CloseWebSocket);
        }
        self.push_event(Event::UpgradeFailed);
        if was_pausing {
            if !self.requests.get_in_flight {
                self.issue_poll();
            }
            self.flush();
        }
    }
}
