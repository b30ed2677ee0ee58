//! Long-polling: the GET loop and the POST responses.

use bytes::Bytes;

use super::output::{CloseReason, Output, TransportFailure};
use super::session::ClientSession;
use super::upgrade::Probe;
use crate::error::DecodeError;
use crate::packet::Packet;
use crate::payload::PayloadDecoder;
use crate::time::Instant;
use crate::transport::Transport;
use crate::v3;

impl ClientSession {
    /// Reports the outcome of the GET asked for by [`Output::Poll`]: the body, or why it failed (a
    /// failure closes the session with [`CloseReason::TransportError`]).
    ///
    /// The packets are handled in order; the next GET follows unless the session closed, the upgrade
    /// is pausing polling, or the session has moved to WebSocket.
    pub fn handle_poll_response(
        &mut self,
        now: Instant,
        response: Result<Bytes, TransportFailure>,
    ) {
        if !self.is_live() || !self.requests.get_in_flight {
            return;
        }
        self.requests.get_in_flight = false;
        let body = match response {
            Ok(body) => body,
            Err(failure) => return self.close_with(CloseReason::TransportError(failure)),
        };
        let mut decoder = ResponseDecoder::new(self.is_v3(), self.config.max_incoming_payload);
        if let Err(error) = decoder.push(body) {
            return self.close_with(CloseReason::ParseError(error));
        }
        // Like the reference, packets before an undecodable one are still delivered.
        while let Some(packet) = decoder.next() {
            match packet {
                Ok(packet) => self.on_packet(now, packet),
                Err(error) => return self.close_with(CloseReason::ParseError(error)),
            }
            if !self.is_live() {
                return;
            }
        }
        if self.probe == Probe::Pausing {
            self.complete_upgrade_if_paused();
        } else if self.transport == Transport::Polling {
            self.issue_poll();
        }
    }

    /// Reports the outcome of the POST asked for by [`Output::Post`]. A failure closes the session with
    /// [`CloseReason::TransportError`]; success lets the next batch go.
    pub fn handle_post_response(&mut self, _now: Instant, response: Result<(), TransportFailure>) {
        if !self.is_live() || !self.requests.post_in_flight {
            return;
        }
        self.requests.post_in_flight = false;
        if let Err(failure) = response {
            return self.close_with(CloseReason::TransportError(failure));
        }
        if self.probe == Probe::Pausing {
            self.complete_upgrade_if_paused();
        } else {
            self.flush();
        }
    }

    pub(super) fn issue_poll(&mut self) {
        self.requests.get_in_flight = true;
        let query = self.query(Transport::Polling);
        self.outputs.push_back(Output::Poll { query });
    }
}

/// A GET answer's packets, in the session's revision: every packet in order, then, once, the verdict
/// on the end of the body.
enum ResponseDecoder {
    V4 {
        decoder: PayloadDecoder,
        done: bool,
    },
    V3 {
        decoder: v3::PayloadDecoder,
        done: bool,
    },
}

impl ResponseDecoder {
    fn new(v3: bool, max_payload: usize) -> Self {
        if v3 {
            ResponseDecoder::V3 {
                decoder: v3::PayloadDecoder::new(max_payload),
                done: false,
            }
        } else {
            ResponseDecoder::V4 {
                decoder: PayloadDecoder::new(max_payload),
                done: false,
            }
        }
    }

    fn push(&mut self, body: Bytes) -> Result<(), DecodeError> {
        match self {
            ResponseDecoder::V4 { decoder, .. } => decoder.push(body),
            ResponseDecoder::V3 { decoder, .. } => decoder.push(body),
        }
    }

    fn next(&mut self) -> Option<Result<Packet, DecodeError>> {
        match self {
            ResponseDecoder::V4 { done: true, .. } | ResponseDecoder::V3 { done: true, .. } => None,
            ResponseDecoder::V4 { decoder, done } => decoder.next_packet().or_else(|| {
                *done = true;
                Some(decoder.finish())
            }),
            ResponseDecoder::V3 { decoder, done } => decoder.next_packet().or_else(|| {
                *done = true;
                decoder.finish().err().map(Err)
            }),
        }
    }
}
