//! One Engine.IO session on the server: transports, heartbeat, upgrade and close.

use alloc::collections::VecDeque;
use alloc::string::String;
use bytes::{Bytes, BytesMut};

use crate::error::{DecodeError, ErrorCode, RequestError};
use crate::packet::{Frame, FramedText, Message, Packet};
use crate::payload::{PayloadDecoder, Segment, encode_batch, encode_payload};
use crate::time::Instant;
use crate::transport::Transport;
use crate::v3::{self, ToParts};
use crate::version::ProtocolVersion;

use super::config::ServerConfig;
use super::heartbeat::{Beat, Liveness};
use super::output::{CloseReason, Event, Output, PostError, SendError};
use super::polling::{BodyDecoder, PostBody};
use super::request::ClientProtocol;
use super::upgrade::{Probe, ProbeFrame, ProbeTimer};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Open,
    /// The server closed a polling session: the `close` packet is queued behind what was left and
    /// waits for a GET, at most until `give_up_at`.
    Closing {
        give_up_at: Instant,
    },
    Closed,
}

/// The state machine of one Engine.IO session, server side: revision 4, or revision 3 when opened
/// with [`with_protocol`](Self::with_protocol).
///
/// The runtime feeds it whole HTTP requests (a GET held open, a POST's body in chunks), WebSocket
/// frames and time, and pulls [`Output`]s: responses for the held GET, frames and closes for the
/// WebSocket, and [`Event`]s for the application. At most one GET is held and one POST in flight; at
/// most one WebSocket belongs to the session at a time (the main one, or the probe of an upgrade).
///
/// After every input: drain [`poll_output`](Self::poll_output), then wake at
/// [`poll_timeout`](Self::poll_timeout) to call [`handle_timeout`](Self::handle_timeout). Once
/// [`Event::Closed`] was pulled the session is over: drop it from the session table (a later request
/// with its sid is then code 1, as the `Err(UnknownSid)` its methods return meanwhile).
///
/// A revision 3 session answers the client's pings instead of pinging, frames payloads and WebSocket
/// binaries as revision 3 does (see [`v3`](crate::v3)), and announces no `maxPayload`. A GET's answer
/// may then be a binary payload: send it with the `Content-Type` that
/// [`poll_content_type`](super::poll_content_type) gives.
#[derive(Debug)]
pub struct ServerSession {
    sid: String,
    config: ServerConfig,
    version: ProtocolVersion,
    /// Revision 3: the polling client takes binary payloads (it did not ask for `b64`).
    polling_binary: bool,
    /// Revision 3: the WebSocket takes binary frames (its request did not ask for `b64`).
    websocket_binary: bool,
    transport: Transport,
    state: State,
    /// Packets waiting for the transport: on polling, for a GET; on WebSocket they leave at once.
    queue: VecDeque<Queued>,
    outputs: VecDeque<Output>,
    /// `WsFrame` outputs not pulled yet; they count against `max_buffered_packets` like the queue.
    unpulled_frames: usize,
    poll_held: bool,
    post: PostBody,
    probe: Option<Probe>,
    heartbeat: Liveness,
}

impl ServerSession {
    /// Opens a session whose handshake request arrived over `transport`.
    ///
    /// The `open` packet is queued and the first ping scheduled `ping_interval` from `now`. Over polling
    /// the handshake GET is the session's first held GET: it is answered with the `open` packet at once
    /// (an [`Output::PollResponse`]). Over WebSocket the `open` packet is the first [`Output::WsFrame`].
    pub fn new(now: Instant, sid: String, transport: Transport, config: ServerConfig) -> Self {
        ServerSession::with_protocol(now, sid, transport, config, ClientProtocol::V4)
    }

    /// Opens a session as [`new`](Self::new) does, in the protocol the handshake request gave
    /// ([`Query::client_protocol`](super::Query::client_protocol)). Revision 3 is for a server that
    /// allows it ([`ServerConfig::allow_eio3`], which [`route_request`](super::route_request) checks):
    /// its first deadline is the client's first ping, `ping_interval + ping_timeout` from `now`.
    pub fn with_protocol(
        now: Instant,
        sid: String,
        transport: Transport,
        config: ServerConfig,
        protocol: ClientProtocol,
    ) -> Self {
        let version = protocol.version;
        let open = config.handshake(&sid, transport).to_packet_for(version);
        let binary = !protocol.base64;
        let mut session = ServerSession {
            sid,
            config,
            version,
            polling_binary: binary && transport == Transport::Polling,
            websocket_binary: binary,
            transport,
            state: State::Open,
            queue: VecDeque::new(),
            outputs: VecDeque::new(),
            unpulled_frames: 0,
            poll_held: transport == Transport::Polling,
            post: PostBody::Idle,
            probe: None,
            heartbeat: Liveness::new(
                now,
                config.ping_interval,
                config.ping_timeout,
                version.client_pings(),
            ),
        };
        session.queue.push_back(Queued::Packet(open));
        session.flush();
        session
    }

    /// The session id.
    pub fn sid(&self) -> &str {
        &self.sid
    }

    /// The protocol revision the session speaks.
    pub fn protocol_version(&self) -> ProtocolVersion {
        self.version
    }

    /// The transport the session currently uses (WebSocket once an upgrade completed).
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// Whether a WebSocket probe is under way.
    pub fn is_upgrading(&self) -> bool {
        self.probe.is_some()
    }

    /// Whether the session is over ([`Event::Closed`] was emitted).
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// The settings this session runs with.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    // ----- long-polling -----

    /// A long-polling GET arrived; it is held until there is something to send.
    ///
    /// On `Err`, answer this GET with the error. A second GET while one is held closes the session with
    /// [`CloseReason::TransportError`] (the held one is answered through the outputs) and is refused
    /// with code 3, as is any GET once the session moved to WebSocket.
    pub fn handle_poll(&mut self, _now: Instant) -> Result<(), RequestError> {
        self.check_polling_request()?;
        if self.poll_held {
            self.end(CloseReason::TransportError);
            return Err(ErrorCode::BadRequest.into());
        }
        self.poll_held = true;
        self.flush();
        Ok(())
    }

    /// The held GET's connection dropped before it was answered: the session closes with
    /// [`CloseReason::TransportError`]. Ignored when no GET is held (it was answered already).
    pub fn handle_poll_aborted(&mut self, _now: Instant) {
        if self.poll_held && self.state != State::Closed {
            self.poll_held = false;
            self.end(CloseReason::TransportError);
        }
    }

    /// A long-polling POST arrived; feed its body with [`handle_post_data`](Self::handle_post_data).
    ///
    /// On `Err`, answer this POST with the error. A POST while another is in flight closes the session
    /// with [`CloseReason::TransportError`]; any POST once the session moved to WebSocket is refused.
    /// (The reference also closes the session on a POST with `Content-Type: application/octet-stream`,
    /// which v4 never sends; that header check is the runtime's. A revision 3 body may be a text or a
    /// binary payload: the session tells them apart by their first byte, whatever the header says.)
    pub fn handle_post_start(&mut self, _now: Instant) -> Result<(), RequestError> {
        self.check_polling_request()?;
        if !matches!(self.post, PostBody::Idle) {
            self.end(CloseReason::TransportError);
            return Err(ErrorCode::BadRequest.into());
        }
        let max_payload = self.config.max_payload;
        self.post = PostBody::Receiving(match self.version {
            ProtocolVersion::V4 => BodyDecoder::V4(PayloadDecoder::new(max_payload)),
            ProtocolVersion::V3 => BodyDecoder::V3(v3::PayloadDecoder::new(max_payload)),
        });
        Ok(())
    }

    /// The next chunk of the POST body. Packets are taken in as soon as they are complete.
    ///
    /// A body larger than `max_payload` is `Err(PayloadTooLarge)`: answer 413 and stop reading. The
    /// reference answers 413 and drops the body but leaves the session open, and its client then gives up
    /// on the session anyway. Here the packets completed before the limit have already been delivered, so
    /// the session cannot go on consistently: it closes with [`CloseReason::TransportError`].
    ///
    /// A malformed packet closes the session with [`CloseReason::ParseError`] (packets before it were
    /// delivered, as the reference does); the rest of the body is then read and dropped.
    pub fn handle_post_data(&mut self, now: Instant, chunk: Bytes) -> Result<(), PostError> {
        let decoder = match &mut self.post {
            PostBody::Idle => return Err(PostError::NotInFlight),
            PostBody::Discarding => return Ok(()),
            PostBody::Receiving(decoder) => decoder,
        };
        if decoder.push(chunk).is_err() {
            self.post = PostBody::Idle;
            self.end(CloseReason::TransportError);
            return Err(PostError::PayloadTooLarge {
                limit: self.config.max_payload,
            });
        }
        while let PostBody::Receiving(decoder) = &mut self.post {
            let Some(decoded) = decoder.next_packet() else {
                break;
            };
            self.on_decoded(now, decoded);
        }
        Ok(())
    }

    /// The POST body ended: its last packet is taken in. On `Ok`, answer `200` with
    /// [`POST_OK_BODY`](super::POST_OK_BODY) (also when the body closed the session, as the reference).
    pub fn handle_post_end(&mut self, now: Instant) -> Result<(), PostError> {
        match core::mem::take(&mut self.post) {
            PostBody::Idle => Err(PostError::NotInFlight),
            PostBody::Discarding => Ok(()),
            PostBody::Receiving(mut decoder) => {
                if let Some(last) = decoder.finish() {
                    self.on_decoded(now, last);
                }
                Ok(())
            }
        }
    }

    /// The POST's connection dropped before its body ended: the session closes with
    /// [`CloseReason::TransportError`].
    pub fn handle_post_aborted(&mut self, _now: Instant) {
        if let PostBody::Receiving(_) = core::mem::take(&mut self.post) {
            self.end(CloseReason::TransportError);
        }
    }

    fn check_polling_request(&self) -> Result<(), RequestError> {
        if self.state == State::Closed {
            return Err(ErrorCode::UnknownSid.into());
        }
        if self.transport != Transport::Polling {
            return Err(ErrorCode::BadRequest.into());
        }
        Ok(())
    }

    // ----- WebSocket -----

    /// A WebSocket with this session's sid was accepted (or is about to be): it becomes the probe of an
    /// upgrade from polling.
    ///
    /// Refused (close that socket, or answer the upgrade request with the error) when the session
    /// already uses WebSocket, another probe is under way, upgrades are disabled, or the session is
    /// closing (code 3), or closed (code 1).
    ///
    /// The WebSocket request is taken to speak the session's revision, with binary frames; see
    /// [`handle_upgrade_request_with`](Self::handle_upgrade_request_with).
    pub fn handle_upgrade_request(&mut self, now: Instant) -> Result<(), RequestError> {
        let protocol = ClientProtocol {
            version: self.version,
            base64: false,
        };
        self.handle_upgrade_request_with(now, protocol)
    }

    /// As [`handle_upgrade_request`](Self::handle_upgrade_request), with the protocol the WebSocket
    /// request itself gives ([`Query::client_protocol`](super::Query::client_protocol)): a revision
    /// other than the session's is refused (code 3), and in revision 3 `b64` makes this socket carry
    /// binary messages as base64 text frames.
    pub fn handle_upgrade_request_with(
        &mut self,
        now: Instant,
        protocol: ClientProtocol,
    ) -> Result<(), RequestError> {
        match self.state {
            State::Closed => return Err(ErrorCode::UnknownSid.into()),
            State::Closing { .. } => return Err(ErrorCode::BadRequest.into()),
            State::Open => {}
        }
        if self.probe.is_some()
            || !self.config.offers_upgrade(self.transport)
            || protocol.version != self.version
        {
            return Err(ErrorCode::BadRequest.into());
        }
        self.probe = Some(Probe::new(now, self.config.upgrade_timeout));
        self.websocket_binary = !protocol.base64;
        Ok(())
    }

    /// A frame arrived on the session's WebSocket (the probe while upgrading).
    ///
    /// On the probe: `2probe` is answered with `3probe`, [`Event::Upgrading`] is emitted and a held GET
    /// is released with `noop` (again every 100 ms while the probe lasts), so the client's polling can
    /// pause; `5` switches the session to this socket ([`Event::Upgraded`]); anything else fails the
    /// upgrade and the probe is closed. On the main socket: a frame over `max_payload` closes the session
    /// with [`CloseReason::TransportError`] (the reference's WebSocket limit), bytes that are not a
    /// packet with [`CloseReason::ParseError`].
    pub fn handle_ws_frame(&mut self, now: Instant, frame: Frame) {
        if self.state == State::Closed {
            return;
        }
        if let Some(probe) = &mut self.probe {
            match ProbeFrame::classify(frame, self.config.max_payload) {
                ProbeFrame::Probe => {
                    probe.on_probe(now);
                    self.push_frame(Packet::probe_pong().to_frame());
                    self.push(Output::Event(Event::Upgrading));
                    self.force_poll();
                }
                ProbeFrame::Upgrade => self.complete_upgrade(),
                ProbeFrame::Unexpected => self.abort_probe(),
            }
            return;
        }
        if self.transport != Transport::WebSocket {
            return;
        }
        if frame.len() > self.config.max_payload {
            self.end(CloseReason::TransportError);
            return;
        }
        let decoded = match self.version {
            ProtocolVersion::V4 => Packet::from_frame(frame),
            ProtocolVersion::V3 => v3::decode_frame(frame),
        };
        self.on_decoded(now, decoded);
    }

    /// The session's WebSocket closed (`error`: it failed rather than closed cleanly).
    ///
    /// The probe closing fails the upgrade; the session stays on polling. The main socket closing ends
    /// the session with [`CloseReason::TransportError`] or [`CloseReason::TransportClose`].
    pub fn handle_ws_closed(&mut self, _now: Instant, error: bool) {
        if self.state == State::Closed {
            return;
        }
        if self.probe.take().is_some() {
            return;
        }
        if self.transport == Transport::WebSocket {
            let reason = if error {
                CloseReason::TransportError
            } else {
                CloseReason::TransportClose
            };
            self.end_with_main_socket_gone(reason);
        }
    }

    fn complete_upgrade(&mut self) {
        self.probe = None;
        if self.poll_held {
            self.poll_held = false;
            self.push(Output::PollResponse(
                self.single_packet_payload(&Packet::Noop),
            ));
        }
        self.transport = Transport::WebSocket;
        self.flush();
        self.push(Output::Event(Event::Upgraded));
    }

    fn abort_probe(&mut self) {
        if self.probe.take().is_some() {
            self.push(Output::CloseWebSocket);
        }
    }

    /// Releases a held GET with `noop`, so a client pausing its polling for an upgrade can finish.
    fn force_poll(&mut self) {
        if self.poll_held && self.transport == Transport::Polling {
            self.poll_held = false;
            self.push(Output::PollResponse(
                self.single_packet_payload(&Packet::Noop),
            ));
        }
    }

    // ----- commands -----

    /// Queues a message for the client.
    ///
    /// Fails with [`SendError::QueueFull`] when `max_buffered_packets` packets already wait (queued
    /// for a GET, or frames not yet pulled), and with [`SendError::Closed`] once the session is closing.
    pub fn send(&mut self, message: Message) -> Result<(), SendError> {
        self.enqueue(Queued::Packet(Packet::Message(message)))
    }

    /// Sends a text message framed ahead of time: as [`send`](Self::send), but its frame (or its
    /// polling segment) is the given buffer, shared, not a copy.
    pub fn send_framed(&mut self, message: FramedText) -> Result<(), SendError> {
        self.enqueue(Queued::Framed(message))
    }

    fn enqueue(&mut self, queued: Queued) -> Result<(), SendError> {
        if self.state != State::Open {
            return Err(SendError::Closed);
        }
        if self.queue.len() + self.unpulled_frames >= self.config.max_buffered_packets {
            return Err(SendError::QueueFull {
                limit: self.config.max_buffered_packets,
            });
        }
        self.queue.push_back(queued);
        self.flush();
        Ok(())
    }

    /// Packets queued and not yet handed to a transport (waiting for a GET, or frames not yet pulled):
    /// zero when the transport can take a packet at once, which is when a volatile message is worth
    /// sending.
    pub fn queued_packets(&self) -> usize {
        self.queue.len() + self.unpulled_frames
    }

    /// Closes the session from the server ([`CloseReason::ForcedClose`]), after what is queued.
    ///
    /// A probe under way is closed. Over WebSocket, the queued frames are followed by
    /// [`Output::CloseWebSocket`]. Over polling, a `close` packet is queued behind the rest: it answers
    /// the held GET, or the next one; if no GET comes within `close_timeout`, the session closes
    /// anyway. Meanwhile packets from the client are ignored, as the reference does.
    pub fn close(&mut self, now: Instant) {
        if self.state != State::Open {
            return;
        }
        self.abort_probe();
        match self.transport {
            Transport::WebSocket => {
                self.flush();
                self.end(CloseReason::ForcedClose);
            }
            Transport::Polling => {
                self.queue.push_back(Queued::Packet(Packet::Close));
                self.state = State::Closing {
                    give_up_at: now + self.config.close_timeout,
                };
                self.flush();
            }
        }
    }

    // ----- time and outputs -----

    /// The next instant at which [`handle_timeout`](Self::handle_timeout) must be called; `None` only
    /// once the session is closed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Closed => None,
            State::Closing { give_up_at } => Some(give_up_at),
            State::Open => {
                let heartbeat = self.heartbeat.deadline();
                Some(match &self.probe {
                    Some(probe) => heartbeat.min(probe.deadline()),
                    None => heartbeat,
                })
            }
        }
    }

    /// Processes the deadlines reached at `now`: pings, ping timeout, forced polls and the upgrade
    /// timeout while probing, the close timeout while closing.
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.state {
            State::Closed => {}
            State::Closing { give_up_at } => {
                if now >= give_up_at {
                    self.end(CloseReason::ForcedClose);
                }
            }
            State::Open => {
                if let Some(probe) = &mut self.probe {
                    match probe.on_timeout(now) {
                        ProbeTimer::Wait => {}
                        ProbeTimer::ForcePoll => self.force_poll(),
                        ProbeTimer::Expired => self.abort_probe(),
                    }
                }
                match self.heartbeat.on_timeout(now) {
                    Beat::Wait => {}
                    Beat::Ping => {
                        self.queue.push_back(Queued::Packet(Packet::ping()));
                        self.flush();
                    }
                    Beat::TimedOut => self.end(CloseReason::PingTimeout),
                }
            }
        }
    }

    /// The next output, until `None`.
    pub fn poll_output(&mut self) -> Option<Output> {
        let Some(output) = self.outputs.pop_front() else {
            // Drained: an idle session keeps no queue memory.
            self.outputs = VecDeque::new();
            return None;
        };
        if let Output::WsFrame(_) = output {
            self.unpulled_frames -= 1;
        }
        Some(output)
    }

    // ----- internals -----

    fn push(&mut self, output: Output) {
        self.outputs.push_back(output);
    }

    fn push_frame(&mut self, frame: Frame) {
        self.unpulled_frames += 1;
        self.outputs.push_back(Output::WsFrame(frame));
    }

    /// Hands queued packets to the transport if it can take them: over polling, a held GET is answered
    /// with as many as fit in `max_payload`; over WebSocket, each becomes a frame.
    fn flush(&mut self) {
        if self.queue.is_empty() {
            return;
        }
        match self.transport {
            Transport::Polling => {
                if !self.poll_held {
                    return;
                }
                self.poll_held = false;
                let max_payload = self.config.max_payload;
                let (payload, _) = match self.version {
                    ProtocolVersion::V4 => encode_batch(&mut self.queue, max_payload),
                    ProtocolVersion::V3 => {
                        v3::encode_batch(&mut self.queue, max_payload, self.polling_binary)
                    }
                };
                self.push(Output::PollResponse(payload));
                // While closing, the `close` packet is the last queued: once the queue is empty it is out.
                if self.queue.is_empty() && matches!(self.state, State::Closing { .. }) {
                    self.end(CloseReason::ForcedClose);
                }
            }
            Transport::WebSocket => {
                while let Some(queued) = self.queue.pop_front() {
                    let frame = match self.version {
                        ProtocolVersion::V4 => queued.into_frame(),
                        ProtocolVersion::V3 => queued.into_v3_frame(self.websocket_binary),
                    };
                    self.push_frame(frame);
                }
            }
        }
        if self.queue.is_empty() {
            // An idle session keeps no queue memory.
            self.queue = VecDeque::new();
        }
    }

    fn on_decoded(&mut self, now: Instant, decoded: Result<Packet, DecodeError>) {
        if self.state != State::Open {
            return;
        }
        match decoded {
            Ok(packet) => self.on_packet(now, packet),
            Err(_) => self.end(CloseReason::ParseError),
        }
    }

    fn on_packet(&mut self, now: Instant, packet: Packet) {
        self.heartbeat.on_packet(now);
        let client_pings = self.version.client_pings();
        match packet {
            Packet::Message(message) => self.push(Output::Event(Event::Message(message))),
            Packet::Ping(_) if client_pings => self.queue_pong(),
            Packet::Pong(_) if !client_pings => self.heartbeat.on_pong(now),
            // Only one side pings: the server in v4, the client in v3 ("invalid heartbeat direction"
            // in the reference).
            Packet::Ping(_) | Packet::Pong(_) => self.end(CloseReason::TransportError),
            Packet::Close => self.end(CloseReason::TransportClose),
            // The reference ignores these from a client on the main transport.
            Packet::Open(_) | Packet::Upgrade | Packet::Noop => {}
        }
    }

    /// Answers a revision 3 client's ping. A pong still queued answers every ping received meanwhile,
    /// so a client pinging faster than it reads cannot grow the queue.
    fn queue_pong(&mut self) {
        let pong_queued = self
            .queue
            .iter()
            .any(|queued| matches!(queued, Queued::Packet(Packet::Pong(_))));
        if !pong_queued {
            self.queue.push_back(Queued::Packet(Packet::pong()));
            self.flush();
        }
    }

    /// A payload of one packet, such as the `noop` or `close` that releases a held GET (always in the
    /// text framing).
    fn single_packet_payload(&self, packet: &Packet) -> Bytes {
        match self.version {
            ProtocolVersion::V4 => encode_payload([packet]),
            ProtocolVersion::V3 => v3::encode_payload(core::slice::from_ref(packet), false),
        }
    }

    /// Ends the session, releasing its transports: a held GET is answered (`noop` when the client
    /// closed, `close` otherwise, as the reference's polling transport does), the probe and the main
    /// WebSocket are closed, and [`Event::Closed`] is the last output.
    fn end(&mut self, reason: CloseReason) {
        self.finish(reason, true);
    }

    fn end_with_main_socket_gone(&mut self, reason: CloseReason) {
        self.finish(reason, false);
    }

    fn finish(&mut self, reason: CloseReason, close_main_socket: bool) {
        if self.state == State::Closed {
            return;
        }
        self.abort_probe();
        match self.transport {
            Transport::Polling => {
                if self.poll_held {
                    self.poll_held = false;
                    let last = match reason {
                        CloseReason::TransportClose => Packet::Noop,
                        _ => Packet::Close,
                    };
                    self.push(Output::PollResponse(self.single_packet_payload(&last)));
                }
            }
            Transport::WebSocket => {
                if close_main_socket {
                    self.push(Output::CloseWebSocket);
                }
            }
        }
        self.queue.clear();
        if let PostBody::Receiving(_) = self.post {
            self.post = PostBody::Discarding;
        }
        self.state = State::Closed;
        self.push(Output::Event(Event::Closed(reason)));
    }
}

/// A packet waiting for the transport; a framed message is already encoded.
#[derive(Debug)]
enum Queued {
    Packet(Packet),
    Framed(FramedText),
}

impl Queued {
    fn into_frame(self) -> Frame {
        match self {
            Queued::Packet(packet) => packet.to_frame(),
            Queued::Framed(message) => Frame::Text(message.frame().clone()),
        }
    }

    fn into_v3_frame(self, binary: bool) -> Frame {
        match self {
            Queued::Packet(packet) => v3::encode_frame(&packet, !binary),
            Queued::Framed(message) => Frame::Text(message.frame().clone()),
        }
    }
}

impl ToParts for Queued {
    fn parts(&self) -> v3::Parts<'_> {
        match self {
            Queued::Packet(packet) => packet.parts(),
            Queued::Framed(message) => message.parts(),
        }
    }
}

impl Segment for Queued {
    fn text_len(&self) -> usize {
        match self {
            Queued::Packet(packet) => packet.text_len(),
            Queued::Framed(message) => message.text_len(),
        }
    }

    fn write_text(&self, out: &mut BytesMut) {
        match self {
            Queued::Packet(packet) => Segment::write_text(packet, out),
            Queued::Framed(message) => message.write_text(out),
        }
    }
}
