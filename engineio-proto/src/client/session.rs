//! The client session: state, commands, packet handling, heartbeat and close.

use alloc::collections::VecDeque;
use alloc::string::String;
use bytes::Bytes;
use core::time::Duration;

use super::config::ClientConfig;
use super::output::{CloseReason, Event, Output, SendError};
use super::query::endpoint_query;
use super::upgrade::Probe;
use crate::error::DecodeError;
use crate::handshake::SessionParams;
use crate::packet::{Message, Packet};
use crate::payload::encode_batch;
use crate::time::Instant;
use crate::transport::Transport;
use crate::utf8::Utf8Bytes;
use crate::v3;
use crate::version::ProtocolVersion;

/// Where the session is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    /// Made, not started.
    Idle,
    /// Started, waiting for the handshake.
    Opening,
    /// The handshake received.
    Open,
    /// [`ClientSession::close`] was called; the write queue (and an upgrade under way) finishes first.
    Closing,
    /// Ended; only stale inputs may still arrive, and they are ignored.
    Closed,
}

/// Long-polling requests under way. The loop keeps exactly one GET in flight while polling is the
/// transport and not paused; POSTs go one at a time so packets arrive in order.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Requests {
    pub(super) get_in_flight: bool,
    pub(super) post_in_flight: bool,
}

/// An Engine.IO client session as a sans-IO state machine: revision 4, or revision 3 when
/// [`ClientConfig::protocol`] asks for it.
///
/// Call [`start`](Self::start), then drain [`poll_output`](Self::poll_output) after every input and
/// call [`handle_timeout`](Self::handle_timeout) at [`poll_timeout`](Self::poll_timeout).
///
/// In revision 3 the session pings the server every `pingInterval` (the deadline then includes the
/// next ping), gives up `pingTimeout` after a ping, and any packet from the server keeps it alive for
/// `pingInterval + pingTimeout`, as the reference client does. Its GET answers may be text or binary
/// payloads (told apart by their first byte); its POSTs are text payloads, its WebSocket binaries
/// binary frames.
#[derive(Debug)]
pub struct ClientSession {
    pub(super) config: ClientConfig,
    pub(super) state: State,
    pub(super) transport: Transport,
    pub(super) handshake: Option<SessionParams>,
    pub(super) requests: Requests,
    /// Whether a WebSocket (the probe or the session's own) exists and has not been reported closed
    /// or been told to close.
    pub(super) websocket_alive: bool,
    pub(super) probe: Probe,
    pub(super) write_queue: VecDeque<Packet>,
    /// The heartbeat watchdog: the session dies if no ping (revision 3: no packet) arrives by then.
    pub(super) ping_deadline: Option<Instant>,
    /// Revision 3: when to send the next ping; `None` while one awaits its pong.
    pub(super) next_ping: Option<Instant>,
    pub(super) outputs: VecDeque<Output>,
}

impl ClientSession {
    /// A session that has not started yet.
    pub fn new(config: ClientConfig) -> Self {
        let transport = if config.transports.polling {
            Transport::Polling
        } else {
            Transport::WebSocket
        };
        ClientSession {
            config,
            state: State::Idle,
            transport,
            handshake: None,
            requests: Requests::default(),
            websocket_alive: false,
            probe: Probe::None,
            write_queue: VecDeque::new(),
            ping_deadline: None,
            next_ping: None,
            outputs: VecDeque::new(),
        }
    }

    /// Starts the handshake: the first GET over polling, or the WebSocket when it is the only
    /// transport. Does nothing once started.
    pub fn start(&mut self, _now: Instant) {
        if self.state != State::Idle {
            return;
        }
        self.state = State::Opening;
        let transports = self.config.transports;
        if transports.polling {
            self.issue_poll();
        } else if transports.websocket {
            self.websocket_alive = true;
            let query = self.query(Transport::WebSocket);
            self.outputs.push_back(Output::OpenWebSocket { query });
        } else {
            self.close_with(CloseReason::NoTransports);
        }
    }

    /// Queues a message. It is written as soon as the transport allows: before the handshake it waits
    /// for it; over polling it joins the next POST; over WebSocket it goes out at once.
    pub fn send(&mut self, message: Message) -> Result<(), SendError> {
        if matches!(self.state, State::Closing | State::Closed) {
            return Err(SendError::Closed);
        }
        if self.write_queue.len() >= self.config.max_buffered_packets {
            return Err(SendError::QueueFull);
        }
        self.write_queue.push_back(Packet::Message(message));
        self.flush();
        Ok(())
    }

    /// Closes the session as the reference client does: queued packets are written first, an upgrade
    /// that already got its `3probe` finishes first, then a `close` packet goes out over polling (over
    /// WebSocket the socket is just closed) and [`CloseReason::ForcedClose`] is reported.
    pub fn close(&mut self, _now: Instant) {
        match self.state {
            State::Idle => self.close_with(CloseReason::ForcedClose),
            State::Opening | State::Open => {
                self.state = State::Closing;
                self.finish_close_if_drained();
            }
            State::Closing | State::Closed => {}
        }
    }

    /// Processes the heartbeat deadlines: if no ping (revision 3: no pong, nor any packet) arrived in
    /// time, the session closes with [`CloseReason::PingTimeout`]; in revision 3, a ping goes out when
    /// it is due.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.ping_deadline.is_some_and(|deadline| now >= deadline) {
            return self.close_with(CloseReason::PingTimeout);
        }
        if self.next_ping.is_some_and(|at| now >= at) {
            self.next_ping = None;
            let timeout = self
                .handshake
                .as_ref()
                .map_or(Duration::ZERO, SessionParams::ping_timeout);
            self.ping_deadline = Some(now + timeout);
            self.write_queue.push_back(Packet::ping());
            self.flush();
        }
    }

    /// The next thing to do, until `None`.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next: the heartbeat deadline,
    /// present from the handshake until the session closes (or, in revision 3, the next ping if
    /// sooner).
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.ping_deadline, self.next_ping) {
            (Some(deadline), Some(ping)) => Some(deadline.min(ping)),
            (deadline, ping) => deadline.or(ping),
        }
    }

    /// Whether the handshake has arrived and the session is neither closing nor closed.
    pub fn is_open(&self) -> bool {
        self.state == State::Open
    }

    /// Whether the session has ended (its [`Event::Closed`] has been queued).
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// The transport the session runs over (the WebSocket only counts once the upgrade is done).
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// The session id, once the handshake has arrived.
    pub fn sid(&self) -> Option<&str> {
        self.handshake
            .as_ref()
            .map(|handshake| handshake.sid.as_str())
    }

    /// The server's handshake, once it has arrived.
    pub fn handshake(&self) -> Option<&SessionParams> {
        self.handshake.as_ref()
    }

    /// The settings this session was made with.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Packets waiting to be written (not counting those in a POST under way).
    pub fn buffered_packets(&self) -> usize {
        self.write_queue.len()
    }

    /// Whether inputs from the transports still matter.
    pub(super) fn is_live(&self) -> bool {
        matches!(self.state, State::Opening | State::Open | State::Closing)
    }

    pub(super) fn query(&self, transport: Transport) -> String {
        endpoint_query(self.config.protocol, transport, self.sid())
    }

    /// Whether this session speaks revision 3.
    pub(super) fn is_v3(&self) -> bool {
        self.config.protocol == ProtocolVersion::V3
    }

    pub(super) fn push_event(&mut self, event: Event) {
        self.outputs.push_back(Output::Event(event));
    }

    /// Handles one packet from the server on the session's transport.
    pub(super) fn on_packet(&mut self, now: Instant, packet: Packet) {
        if self.handshake.is_none() {
            match packet {
                Packet::Open(json) => self.on_handshake(now, &json),
                _ => self.close_with(CloseReason::ParseError(DecodeError::InvalidHandshake)),
            }
            return;
        }
        let client_pings = self.config.protocol.client_pings();
        if client_pings {
            // Any packet is a sign of life (the reference client's `heartbeat` event).
            self.arm_watchdog(now);
        }
        match packet {
            Packet::Close => self.close_with(CloseReason::TransportClose),
            Packet::Ping(_) if !client_pings => {
                self.arm_watchdog(now);
                self.queue_pong();
                self.flush();
            }
            Packet::Pong(_) if client_pings => self.schedule_ping(now),
            Packet::Message(message) => self.push_event(Event::Message(message)),
            // A repeated handshake, a stray ping or pong, `upgrade` and `noop` carry nothing for us.
            Packet::Open(_)
            | Packet::Ping(_)
            | Packet::Pong(_)
            | Packet::Upgrade
            | Packet::Noop => {}
        }
    }

    fn on_handshake(&mut self, now: Instant, json: &Utf8Bytes) {
        let handshake = match SessionParams::parse(json) {
            Ok(handshake) => handshake,
            Err(error) => return self.close_with(CloseReason::ParseError(error)),
        };
        let offers_websocket = handshake.offers_upgrade(Transport::WebSocket);
        self.handshake = Some(handshake.clone());
        if self.state == State::Opening {
            self.state = State::Open;
        }
        self.arm_watchdog(now);
        if self.config.protocol.client_pings() {
            self.schedule_ping(now);
        }
        self.push_event(Event::Open(handshake));
        self.flush();
        if self.state == State::Open
            && self.transport == Transport::Polling
            && self.config.upgrade
            && self.config.transports.websocket
            && offers_websocket
        {
            self.start_probe();
        }
    }

    fn arm_watchdog(&mut self, now: Instant) {
        let window = self.handshake.as_ref().map_or(Duration::ZERO, |handshake| {
            handshake.ping_interval() + handshake.ping_timeout()
        });
        self.ping_deadline = Some(now + window);
    }

    /// Revision 3: the next ping goes out `pingInterval` from now.
    fn schedule_ping(&mut self, now: Instant) {
        let interval = self
            .handshake
            .as_ref()
            .map_or(Duration::ZERO, SessionParams::ping_interval);
        self.next_ping = Some(now + interval);
    }

    /// One pending pong answers every ping received meanwhile, which keeps a ping flood from growing
    /// the queue.
    fn queue_pong(&mut self) {
        let pong_pending = self
            .write_queue
            .iter()
            .any(|packet| matches!(packet, Packet::Pong(_)));
        if !pong_pending {
            self.write_queue.push_back(Packet::pong());
        }
    }

    /// Writes what the transport can take now, then completes a pending close once all is written.
    pub(super) fn flush(&mut self) {
        let writable = matches!(self.state, State::Open | State::Closing)
            && self.handshake.is_some()
            && self.probe != Probe::Pausing;
        if writable && !self.write_queue.is_empty() {
            match self.transport {
                Transport::Polling => {
                    if !self.requests.post_in_flight {
                        let max_payload = self.max_payload();
                        let (body, _) = if self.is_v3() {
                            v3::encode_batch(&mut self.write_queue, max_payload, false)
                        } else {
                            encode_batch(&mut self.write_queue, max_payload)
                        };
                        self.post(body);
                    }
                }
                Transport::WebSocket => {
                    while let Some(packet) = self.write_queue.pop_front() {
                        let frame = if self.is_v3() {
                            v3::encode_frame(&packet, false)
                        } else {
                            packet.to_frame()
                        };
                        self.outputs.push_back(Output::WsFrame(frame));
                    }
                }
            }
        }
        self.finish_close_if_drained();
    }

    fn max_payload(&self) -> usize {
        self.handshake.as_ref().map_or(usize::MAX, |handshake| {
            usize::try_from(handshake.max_payload).unwrap_or(usize::MAX)
        })
    }

    pub(super) fn post(&mut self, body: Bytes) {
        self.requests.post_in_flight = true;
        let query = self.query(Transport::Polling);
        self.outputs.push_back(Output::Post { query, body });
    }

    /// A requested close completes once nothing is left to write and no upgrade is switching over.
    fn finish_close_if_drained(&mut self) {
        if self.state == State::Closing
            && self.write_queue.is_empty()
            && !self.requests.post_in_flight
            && self.probe != Probe::Pausing
        {
            self.close_with(CloseReason::ForcedClose);
        }
    }

    /// Ends the session: closes the transports as the reference does (a `close` packet over polling,
    /// unless the server closed it or a POST is still under way; the WebSocket closed) and reports
    /// `reason`.
    pub(super) fn close_with(&mut self, reason: CloseReason) {
        if self.state == State::Closed {
            return;
        }
        let tell_server = self.transport == Transport::Polling
            && self.handshake.is_some()
            && !self.requests.post_in_flight
            && reason != CloseReason::TransportClose;
        if tell_server {
            let close: &'static [u8] = if self.is_v3() { b"1:1" } else { b"1" };
            self.post(Bytes::from_static(close));
        }
        if self.websocket_alive {
            self.websocket_alive = false;
            self.outputs.push_back(Output::CloseWebSocket);
        }
        self.state = State::Closed;
        self.probe = Probe::None;
        self.requests = Requests::default();
        self.write_queue.clear();
        self.ping_deadline = None;
        self.next_ping = None;
        self.push_event(Event::Closed(reason));
    }
}
