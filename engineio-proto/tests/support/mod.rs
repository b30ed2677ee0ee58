//! A deterministic in-memory network that plays the runtime for both an Engine.IO client machine and
//! a server, on a fake clock.
//!
//! Client outputs become server inputs (routing, session table, held GETs, POST bodies, WebSockets) and
//! server outputs become client inputs, each after a configurable one-way latency. Time moves only to the
//! next delivery or deadline of either side, so minutes of protocol time take microseconds. Faults can be
//! injected (network cut, latency, a killed WebSocket, a client that stops answering pings, a server that
//! stops pinging, and their revision 3 mirror images), and everything that crosses the wire is recorded in
//! a timestamped transcript. Sessions speak the revision the client's configuration asks for.
//!
//! The harness also checks the machines' contracts as it goes and panics when one is broken: one GET
//! and one POST at a time from the client, responses only for a held GET, no frames without a
//! WebSocket, no output after `Closed`, no GET or WebSocket left behind by a closed session, and
//! deadlines that move on once handled.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Duration;

use engineio_proto::client::{self, ClientConfig, ClientSession, TransportFailure};
use engineio_proto::payload::{decode_payload, encode_payload};
use engineio_proto::server::{
    self, ClientProtocol, Method, Query, Route, ServerConfig, ServerSession, route_request,
};
use engineio_proto::v3::{self, Framing};
use engineio_proto::{Bytes, Frame, Instant, Message, Packet, ProtocolVersion, Transport};

/// Steps without time moving before the harness calls it a livelock.
const MAX_STEPS_AT_ONE_INSTANT: u32 = 100_000;

/// Who put something on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The client machine (a request, a frame, a close).
    Client,
    /// The server (a response, a frame, a close).
    Server,
    /// An injected fault.
    Network,
}

/// What crossed the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wire {
    /// A long-polling GET with this query string.
    Get(String),
    /// A long-polling POST with this query string and body.
    Post(String, Bytes),
    /// The answer to a GET: its body, or an error.
    GetAnswer(Result<Bytes, TransportFailure>),
    /// The answer to a POST.
    PostAnswer(Result<(), TransportFailure>),
    /// A WebSocket connection request with this query string.
    WsOpen(String),
    /// The server accepted the WebSocket.
    WsAccepted,
    /// The server refused the WebSocket with this HTTP status.
    WsRefused(u16),
    /// A WebSocket frame.
    Frame(Frame),
    /// The sender closed the WebSocket.
    WsClose,
    /// A fault injected by the test.
    Fault(&'static str),
}

/// One transcript line: what went on the wire, when, from whom, and whether it got lost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// When it was sent.
    pub at: Instant,
    /// Who sent it.
    pub from: Side,
    /// What was sent.
    pub wire: Wire,
    /// Why it never arrived, if it did not.
    pub lost: Option<&'static str>,
}

/// One Engine.IO packet that arrived, and over which transport.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrived {
    /// When it was sent.
    pub at: Instant,
    /// The transport that carried it.
    pub transport: Transport,
    /// The packet.
    pub packet: Packet,
}

/// How a network cut looks to the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    /// The server notices nothing (half-open connections): only its heartbeat can tell.
    Silent,
    /// Connections are reset: the server sees its held GET aborted and its WebSocket fail.
    Reset,
}

/// Misbehaviour of the machines' surroundings, switchable at any time.
#[derive(Clone, Copy, Debug, Default)]
pub struct Faults {
    /// The client's heartbeat pongs are dropped before they leave.
    pub client_ignores_pings: bool,
    /// The server's heartbeat pings are dropped before they leave.
    pub server_stops_pinging: bool,
    /// Revision 3: the client's heartbeat pings are dropped before they leave.
    pub client_stops_pinging: bool,
    /// Revision 3: the server's heartbeat pongs are dropped before they leave.
    pub server_ignores_pings: bool,
}

impl Faults {
    /// The heartbeat packet the client's side drops, if any.
    fn dropped_from_client(&self) -> Option<Packet> {
        if self.client_ignores_pings {
            Some(Packet::pong())
        } else if self.client_stops_pinging {
            Some(Packet::ping())
        } else {
            None
        }
    }

    /// The heartbeat packet the server's side drops, if any.
    fn dropped_from_server(&self) -> Option<Packet> {
        if self.server_stops_pinging {
            Some(Packet::ping())
        } else if self.server_ignores_pings {
            Some(Packet::pong())
        } else {
            None
        }
    }
}

enum Delivery {
    Get {
        req: u64,
        query: String,
    },
    Post {
        req: u64,
        query: String,
        body: Bytes,
    },
    WsOpen {
        ws: u64,
        query: String,
    },
    FrameToServer {
        ws: u64,
        frame: Frame,
    },
    ServerSeesWsClosed {
        ws: u64,
        error: bool,
    },
    GetAnswer {
        req: u64,
        result: Result<Bytes, TransportFailure>,
    },
    PostAnswer {
        req: u64,
        result: Result<(), TransportFailure>,
    },
    WsAccepted {
        ws: u64,
    },
    FrameToClient {
        ws: u64,
        frame: Frame,
    },
    ClientSeesWsClosed {
        ws: u64,
        error: bool,
    },
}

impl Delivery {
    fn socket(&self) -> Option<u64> {
        match self {
            Delivery::WsOpen { ws, .. }
            | Delivery::FrameToServer { ws, .. }
            | Delivery::ServerSeesWsClosed { ws, .. }
            | Delivery::WsAccepted { ws }
            | Delivery::FrameToClient { ws, .. }
            | Delivery::ClientSeesWsClosed { ws, .. } => Some(*ws),
            _ => None,
        }
    }

    fn to_client(&self) -> bool {
        matches!(
            self,
            Delivery::GetAnswer { .. }
                | Delivery::PostAnswer { .. }
                | Delivery::WsAccepted { .. }
                | Delivery::FrameToClient { .. }
                | Delivery::ClientSeesWsClosed { .. }
        )
    }
}

struct Scheduled {
    at: Instant,
    seq: u64,
    delivery: Delivery,
}

/// A WebSocket connection; each end stops hearing about it once it closed it or was told it closed.
#[derive(Default)]
struct Socket {
    client_open: bool,
    server_open: bool,
    sid: Option<String>,
}

/// The server's runtime state for one session.
struct ServerEnd {
    session: ServerSession,
    held_get: Option<u64>,
    ws: Option<u64>,
}

/// The simulated network with one client machine and a server (a session table under one config).
pub struct Net {
    now: Instant,
    /// One-way latency of everything sent from now on.
    pub latency: Duration,
    /// Extra delay of everything the server sends from now on (a slow server or downlink).
    pub answer_delay: Duration,
    /// Injected misbehaviour.
    pub faults: Faults,
    /// Feed POST bodies to the server in chunks of this many bytes (default: whole).
    pub post_chunk_size: Option<usize>,
    server_config: ServerConfig,
    /// The revision everyone speaks: the client's.
    version: ProtocolVersion,
    /// The client machine.
    pub client: ClientSession,
    sessions: BTreeMap<String, ServerEnd>,
    sids_issued: Vec<String>,
    in_flight: Vec<Scheduled>,
    next_seq: u64,
    next_id: u64,
    client_get: Option<u64>,
    client_post: Option<u64>,
    dead_requests: BTreeSet<u64>,
    client_ws: Option<u64>,
    sockets: BTreeMap<u64, Socket>,
    /// Latest arrival scheduled per WebSocket and direction: a socket delivers in order even when the
    /// latency drops meanwhile.
    socket_clock: BTreeMap<(u64, bool), Instant>,
    network_up: bool,
    transcript: Vec<Entry>,
    client_events: Vec<(Instant, client::Event)>,
    server_events: Vec<(Instant, String, server::Event)>,
    steps_at_now: u32,
}

impl Net {
    /// A network at time zero with a client that has not started yet.
    pub fn new(server_config: ServerConfig, client_config: ClientConfig) -> Self {
        Net {
            now: Instant::ZERO,
            latency: Duration::ZERO,
            answer_delay: Duration::ZERO,
            faults: Faults::default(),
            post_chunk_size: None,
            server_config,
            version: client_config.protocol,
            client: ClientSession::new(client_config),
            sessions: BTreeMap::new(),
            sids_issued: Vec::new(),
            in_flight: Vec::new(),
            next_seq: 0,
            next_id: 0,
            client_get: None,
            client_post: None,
            dead_requests: BTreeSet::new(),
            client_ws: None,
            sockets: BTreeMap::new(),
            socket_clock: BTreeMap::new(),
            network_up: true,
            transcript: Vec::new(),
            client_events: Vec::new(),
            server_events: Vec::new(),
            steps_at_now: 0,
        }
    }

    /// A network whose client has started and whose handshake has completed at time zero (with no
    /// latency, so an upgrade, when both sides want one, has completed too).
    pub fn connected(server_config: ServerConfig, client_config: ClientConfig) -> Self {
        let mut net = Net::new(server_config, client_config);
        net.start();
        net.settle();
        assert!(
            net.client.is_open(),
            "handshake failed: {:?}",
            net.client_events
        );
        net
    }

    // ----- commands -----

    /// Starts the client (its handshake request).
    pub fn start(&mut self) {
        self.client.start(self.now);
    }

    /// The application of the client sends a message.
    pub fn client_send(&mut self, message: Message) {
        self.client.send(message).expect("client send refused");
    }

    /// The application of the server sends a message on session `sid`.
    pub fn server_send(&mut self, sid: &str, message: Message) {
        self.end(sid)
            .session
            .send(message)
            .expect("server send refused");
    }

    /// The client application closes the session.
    pub fn client_close(&mut self) {
        self.client.close(self.now);
    }

    /// The server application closes session `sid`.
    pub fn server_close(&mut self, sid: &str) {
        let now = self.now;
        self.end(sid).session.close(now);
    }

    /// Cuts the network: whatever is on the wire is lost, the client's requests under way fail and its
    /// WebSocket breaks; the server notices only if the cut is [`Cut::Reset`]. Until
    /// [`restore_network`](Self::restore_network), nothing gets through.
    pub fn cut_network(&mut self, cut: Cut) {
        // What the machines asked for before the cut was sent before it.
        self.pump();
        self.network_up = false;
        self.record(Side::Network, Wire::Fault("network cut"), None);
        self.in_flight.clear();
        if let Some(req) = self.client_get {
            self.dead_requests.insert(req);
            self.schedule_now(Delivery::GetAnswer {
                req,
                result: Err(TransportFailure::Network),
            });
        }
        if let Some(req) = self.client_post {
            self.dead_requests.insert(req);
            self.schedule_now(Delivery::PostAnswer {
                req,
                result: Err(TransportFailure::Network),
            });
        }
        let client_open: Vec<u64> = self
            .sockets
            .iter()
            .filter(|(_, socket)| socket.client_open)
            .map(|(&ws, _)| ws)
            .collect();
        for ws in client_open {
            self.schedule_now(Delivery::ClientSeesWsClosed { ws, error: true });
        }
        if cut == Cut::Reset {
            let now = self.now;
            for end in self.sessions.values_mut() {
                if end.held_get.take().is_some() {
                    end.session.handle_poll_aborted(now);
                }
            }
            let open: Vec<u64> = self
                .sockets
                .iter()
                .filter(|(_, socket)| socket.server_open)
                .map(|(&ws, _)| ws)
                .collect();
            for ws in open {
                self.schedule_now(Delivery::ServerSeesWsClosed { ws, error: true });
            }
        }
    }

    /// Lets traffic through again (what was lost stays lost).
    pub fn restore_network(&mut self) {
        self.network_up = true;
        self.record(Side::Network, Wire::Fault("network restored"), None);
    }

    /// Breaks the client's current WebSocket: frames on the wire are lost and both ends are told it
    /// failed, at once.
    pub fn kill_websocket(&mut self) {
        self.pump();
        let ws = self.client_ws.expect("the client has no WebSocket");
        self.record(Side::Network, Wire::Fault("websocket killed"), None);
        self.in_flight
            .retain(|scheduled| scheduled.delivery.socket() != Some(ws));
        let socket = self.sockets.get_mut(&ws).expect("known socket");
        let (client_open, server_open, sid) =
            (socket.client_open, socket.server_open, socket.sid.take());
        socket.client_open = false;
        socket.server_open = false;
        if client_open {
            self.client.handle_ws_closed(self.now, true);
        }
        if let (true, Some(sid)) = (server_open, sid) {
            let now = self.now;
            if let Some(end) = self.sessions.get_mut(&sid) {
                end.ws = None;
                end.session.handle_ws_closed(now, true);
            }
        }
    }

    // ----- running -----

    /// The fake clock.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Does one thing due by `limit`: a delivery due now, the deadlines due now, or a jump of the clock to
    /// the next delivery or deadline. Returns `false` when nothing is due by `limit`.
    pub fn step(&mut self, limit: Instant) -> bool {
        self.pump();
        self.steps_at_now += 1;
        assert!(
            self.steps_at_now < MAX_STEPS_AT_ONE_INSTANT,
            "livelock at {:?}",
            self.now
        );
        if let Some(index) = self
            .next_delivery()
            .filter(|&i| self.in_flight[i].at <= self.now)
        {
            let scheduled = self.in_flight.remove(index);
            self.deliver(scheduled.delivery);
            return true;
        }
        if self.fire_due_deadlines() {
            return true;
        }
        let next_delivery = self.next_delivery().map(|i| self.in_flight[i].at);
        let next = [next_delivery, self.next_deadline()]
            .into_iter()
            .flatten()
            .min();
        match next {
            Some(next) if next <= limit => {
                assert!(next > self.now, "a deadline in the past was not handled");
                self.now = next;
                self.steps_at_now = 0;
                true
            }
            _ => false,
        }
    }

    /// Runs everything due up to `until`, then sets the clock there.
    pub fn run_until(&mut self, until: Instant) {
        while self.step(until) {}
        if until > self.now {
            self.now = until;
            self.steps_at_now = 0;
        }
    }

    /// Runs for `duration` of fake time.
    pub fn run_for(&mut self, duration: Duration) {
        self.run_until(self.now + duration);
    }

    /// Runs what is due at the current instant, without moving the clock.
    pub fn settle(&mut self) {
        self.run_until(self.now);
    }

    /// Steps until `done` holds, and returns the instant it did; panics if it does not within `within`.
    pub fn run_until_true(
        &mut self,
        within: Duration,
        mut done: impl FnMut(&Net) -> bool,
    ) -> Instant {
        let limit = self.now + within;
        loop {
            self.pump();
            if done(self) {
                return self.now;
            }
            assert!(self.step(limit), "condition not reached by {limit:?}");
        }
    }

    // ----- observations -----

    /// Everything sent so far.
    pub fn transcript(&self) -> &[Entry] {
        &self.transcript
    }

    /// The transcript as text, one line per entry.
    pub fn transcript_text(&self) -> String {
        self.transcript
            .iter()
            .map(|entry| format!("{entry}\n"))
            .collect()
    }

    /// The Engine.IO packets sent by `from` that were not lost, in order.
    pub fn packets_from(&self, from: Side) -> Vec<Arrived> {
        let mut arrived = Vec::new();
        for entry in &self.transcript {
            if entry.from != from || entry.lost.is_some() {
                continue;
            }
            let (transport, packets) = match &entry.wire {
                Wire::Post(_, body) | Wire::GetAnswer(Ok(body)) => {
                    (Transport::Polling, self.decode_body(body))
                }
                Wire::Frame(frame) => (Transport::WebSocket, vec![self.decode_frame(frame)]),
                _ => continue,
            };
            arrived.extend(packets.into_iter().map(|packet| Arrived {
                at: entry.at,
                transport,
                packet,
            }));
        }
        arrived
    }

    /// The packets of a payload the machines wrote, in the revision spoken.
    pub fn decode_body(&self, body: &Bytes) -> Vec<Packet> {
        match self.version {
            ProtocolVersion::V4 => decode_payload(body.clone(), usize::MAX),
            ProtocolVersion::V3 => v3::decode_payload(body.clone(), usize::MAX),
        }
        .expect("the machines write valid payloads")
    }

    /// The packet of a frame the machines wrote, in the revision spoken.
    pub fn decode_frame(&self, frame: &Frame) -> Packet {
        match self.version {
            ProtocolVersion::V4 => Packet::from_frame(frame.clone()),
            ProtocolVersion::V3 => v3::decode_frame(frame.clone()),
        }
        .expect("the machines write valid frames")
    }

    /// `body` without the packets `unwanted` picks, or `None` if nothing is left.
    fn without(&self, body: &Bytes, unwanted: &Packet) -> Option<Bytes> {
        let packets = self.decode_body(body);
        let count = packets.len();
        let kept: Vec<Packet> = packets
            .into_iter()
            .filter(|packet| packet != unwanted)
            .collect();
        match kept.len() {
            0 => None,
            n if n == count => Some(body.clone()),
            _ => Some(match self.version {
                ProtocolVersion::V4 => encode_payload(&kept),
                ProtocolVersion::V3 => {
                    v3::encode_payload(&kept, Framing::of(body) == Framing::Binary)
                }
            }),
        }
    }

    /// The client's events with their instants.
    pub fn client_events(&self) -> &[(Instant, client::Event)] {
        &self.client_events
    }

    /// The events of server session `sid` with their instants.
    pub fn server_events(&self, sid: &str) -> Vec<(Instant, server::Event)> {
        self.server_events
            .iter()
            .filter(|(_, of, _)| of == sid)
            .map(|(at, _, event)| (*at, event.clone()))
            .collect()
    }

    /// The messages the client received, in order.
    pub fn client_received(&self) -> Vec<Message> {
        self.client_events
            .iter()
            .filter_map(|(_, event)| match event {
                client::Event::Message(message) => Some(message.clone()),
                _ => None,
            })
            .collect()
    }

    /// The messages server session `sid` received, in order.
    pub fn server_received(&self, sid: &str) -> Vec<Message> {
        self.server_events(sid)
            .into_iter()
            .filter_map(|(_, event)| match event {
                server::Event::Message(message) => Some(message),
                _ => None,
            })
            .collect()
    }

    /// Every `Closed` event of the client, with its instant (a correct client has at most one).
    pub fn client_closes(&self) -> Vec<(Instant, client::CloseReason)> {
        self.client_events
            .iter()
            .filter_map(|(at, event)| match event {
                client::Event::Closed(reason) => Some((*at, reason.clone())),
                _ => None,
            })
            .collect()
    }

    /// Every `Closed` event of server session `sid`, with its instant.
    pub fn server_closes(&self, sid: &str) -> Vec<(Instant, server::CloseReason)> {
        self.server_events(sid)
            .into_iter()
            .filter_map(|(at, event)| match event {
                server::Event::Closed(reason) => Some((at, reason)),
                _ => None,
            })
            .collect()
    }

    /// The ids of every session the server opened, in order.
    pub fn sids(&self) -> &[String] {
        &self.sids_issued
    }

    /// The id of the only session the server opened.
    pub fn sid(&self) -> String {
        assert_eq!(
            self.sids_issued.len(),
            1,
            "sessions: {:?}",
            self.sids_issued
        );
        self.sids_issued[0].clone()
    }

    /// Server session `sid`, while it is open.
    pub fn session(&self, sid: &str) -> Option<&ServerSession> {
        self.sessions.get(sid).map(|end| &end.session)
    }

    /// Server session `sid`, for poking it directly; panics if it is gone.
    pub fn session_mut(&mut self, sid: &str) -> &mut ServerSession {
        &mut self.end(sid).session
    }

    /// Whether the client has a WebSocket it has not seen closed (the probe or its own).
    pub fn client_has_websocket(&self) -> bool {
        self.client_ws
            .is_some_and(|ws| self.sockets[&ws].client_open)
    }

    /// Whether anything is still on the wire.
    pub fn wire_is_empty(&self) -> bool {
        self.in_flight.is_empty()
    }

    // ----- the client's runtime -----

    fn pump(&mut self) {
        while let Some(output) = self.client.poll_output() {
            self.on_client_output(output);
        }
        let sids: Vec<String> = self.sessions.keys().cloned().collect();
        for sid in sids {
            while let Some(output) = self.end(&sid).session.poll_output() {
                self.on_server_output(&sid, output);
            }
            if self.end(&sid).session.is_closed() {
                let end = self.sessions.remove(&sid).expect("present");
                assert!(
                    end.held_get.is_none(),
                    "closed session {sid} left a GET held"
                );
                assert!(
                    end.ws.is_none(),
                    "closed session {sid} left its WebSocket open"
                );
            }
        }
    }

    fn on_client_output(&mut self, output: client::Output) {
        let closed_before = self
            .client_events
            .iter()
            .any(|(_, event)| matches!(event, client::Event::Closed(_)));
        assert!(!closed_before, "client output after Closed: {output:?}");
        match output {
            client::Output::Poll { query } => {
                assert!(
                    self.client_get.is_none(),
                    "a second GET while one is in flight"
                );
                let req = self.new_id();
                self.client_get = Some(req);
                if self.network_up {
                    self.record(Side::Client, Wire::Get(query.clone()), None);
                    self.schedule(Delivery::Get { req, query });
                } else {
                    self.record(Side::Client, Wire::Get(query), Some("network down"));
                    self.schedule_now(Delivery::GetAnswer {
                        req,
                        result: Err(TransportFailure::Network),
                    });
                }
            }
            client::Output::Post { query, body } => {
                assert!(
                    self.client_post.is_none(),
                    "a second POST while one is in flight"
                );
                let req = self.new_id();
                self.client_post = Some(req);
                let kept = match self.faults.dropped_from_client() {
                    Some(dropped) => self.without(&body, &dropped),
                    None => Some(body.clone()),
                };
                match kept {
                    None => {
                        self.record(
                            Side::Client,
                            Wire::Post(query, body),
                            Some("heartbeat dropped"),
                        );
                        self.schedule_after(
                            self.latency * 2,
                            Delivery::PostAnswer {
                                req,
                                result: Ok(()),
                            },
                        );
                    }
                    Some(body) if self.network_up => {
                        self.record(Side::Client, Wire::Post(query.clone(), body.clone()), None);
                        self.schedule(Delivery::Post { req, query, body });
                    }
                    Some(body) => {
                        self.record(Side::Client, Wire::Post(query, body), Some("network down"));
                        self.schedule_now(Delivery::PostAnswer {
                            req,
                            result: Err(TransportFailure::Network),
                        });
                    }
                }
            }
            client::Output::OpenWebSocket { query } => {
                if let Some(previous) = self.client_ws {
                    assert!(
                        !self.sockets[&previous].client_open,
                        "a second WebSocket while one is open"
                    );
                }
                let ws = self.new_id();
                self.client_ws = Some(ws);
                self.sockets.insert(
                    ws,
                    Socket {
                        client_open: true,
                        ..Socket::default()
                    },
                );
                if self.network_up {
                    self.record(Side::Client, Wire::WsOpen(query.clone()), None);
                    self.schedule(Delivery::WsOpen { ws, query });
                } else {
                    self.record(Side::Client, Wire::WsOpen(query), Some("network down"));
                    self.schedule_now(Delivery::ClientSeesWsClosed { ws, error: true });
                }
            }
            client::Output::WsFrame(frame) => {
                let ws = self.client_ws.expect("a frame with no WebSocket");
                assert!(
                    self.sockets[&ws].client_open,
                    "a frame on a closed WebSocket"
                );
                let dropped = self.faults.dropped_from_client();
                let lost = if dropped.is_some_and(|packet| self.is_packet(&frame, &packet)) {
                    Some("heartbeat dropped")
                } else if !self.network_up {
                    Some("network down")
                } else {
                    None
                };
                self.record(Side::Client, Wire::Frame(frame.clone()), lost);
                if lost.is_none() {
                    self.schedule(Delivery::FrameToServer { ws, frame });
                }
            }
            client::Output::CloseWebSocket => {
                let ws = self.client_ws.expect("closing no WebSocket");
                let socket = self.sockets.get_mut(&ws).expect("known socket");
                assert!(socket.client_open, "closing a closed WebSocket");
                socket.client_open = false;
                let server_open = socket.server_open;
                let lost = (!self.network_up).then_some("network down");
                self.record(Side::Client, Wire::WsClose, lost);
                if server_open && lost.is_none() {
                    self.schedule(Delivery::ServerSeesWsClosed { ws, error: false });
                }
            }
            client::Output::Event(event) => self.client_events.push((self.now, event)),
        }
    }

    // ----- the server's runtime -----

    fn on_server_output(&mut self, sid: &str, output: server::Output) {
        match output {
            server::Output::PollResponse(body) => {
                let req = self
                    .end(sid)
                    .held_get
                    .take()
                    .expect("a poll response with no GET held");
                let kept = match self.faults.dropped_from_server() {
                    Some(dropped) => self.without(&body, &dropped),
                    None => Some(body.clone()),
                };
                match kept {
                    None => self.record(
                        Side::Server,
                        Wire::GetAnswer(Ok(body)),
                        Some("heartbeat dropped"),
                    ),
                    Some(body) => self.answer_get(req, Ok(body)),
                }
            }
            server::Output::WsFrame(frame) => {
                let ws = self.end(sid).ws.expect("a frame with no WebSocket");
                let socket = &self.sockets[&ws];
                assert!(socket.server_open, "a frame on a closed WebSocket");
                let dropped = self.faults.dropped_from_server();
                let lost = if dropped.is_some_and(|packet| self.is_packet(&frame, &packet)) {
                    Some("heartbeat dropped")
                } else if !self.network_up {
                    Some("network down")
                } else if !socket.client_open {
                    Some("client end closed")
                } else {
                    None
                };
                self.record(Side::Server, Wire::Frame(frame.clone()), lost);
                if lost.is_none() {
                    self.schedule(Delivery::FrameToClient { ws, frame });
                }
            }
            server::Output::CloseWebSocket => {
                let ws = self.end(sid).ws.take().expect("closing no WebSocket");
                let socket = self.sockets.get_mut(&ws).expect("known socket");
                socket.server_open = false;
                socket.sid = None;
                let client_open = socket.client_open;
                let lost = (!self.network_up).then_some("network down");
                self.record(Side::Server, Wire::WsClose, lost);
                if client_open && lost.is_none() {
                    self.schedule(Delivery::ClientSeesWsClosed { ws, error: false });
                }
            }
            server::Output::Event(event) => {
                self.server_events.push((self.now, sid.to_string(), event));
            }
        }
    }

    fn serve_get(&mut self, req: u64, query: &str) {
        let now = self.now;
        match route_request(
            Method::Get,
            &Query::parse(query),
            false,
            &self.server_config,
        ) {
            Err(error) => {
                self.answer_get(req, Err(TransportFailure::HttpStatus(error.http_status())))
            }
            Ok(Route::Handshake { transport }) => {
                assert_eq!(transport, Transport::Polling);
                let sid = self.issue_sid();
                let session = self.open_session(now, sid.clone(), transport, query);
                self.sessions.insert(
                    sid,
                    ServerEnd {
                        session,
                        held_get: Some(req),
                        ws: None,
                    },
                );
            }
            Ok(Route::Session { sid, .. }) => {
                let Some(end) = self.sessions.get_mut(sid) else {
                    return self.answer_get(req, Err(TransportFailure::HttpStatus(400)));
                };
                match end.session.handle_poll(now) {
                    Ok(()) => {
                        assert!(end.held_get.is_none(), "a GET accepted while one is held");
                        end.held_get = Some(req);
                    }
                    Err(error) => {
                        self.answer_get(req, Err(TransportFailure::HttpStatus(error.http_status())))
                    }
                }
            }
        }
    }

    fn serve_post(&mut self, req: u64, query: &str, body: Bytes) {
        let now = self.now;
        let sid = match route_request(
            Method::Post,
            &Query::parse(query),
            false,
            &self.server_config,
        ) {
            Err(error) => {
                return self
                    .answer_post(req, Err(TransportFailure::HttpStatus(error.http_status())));
            }
            Ok(Route::Handshake { .. }) => unreachable!("a POST is never a handshake"),
            Ok(Route::Session { sid, .. }) => sid,
        };
        let chunk_size = self.post_chunk_size.unwrap_or(usize::MAX).max(1);
        let result = match self.sessions.get_mut(sid) {
            None => Err(400),
            Some(end) => feed_post(&mut end.session, now, &body, chunk_size),
        };
        self.answer_post(req, result.map_err(TransportFailure::HttpStatus));
    }

    fn serve_ws_open(&mut self, ws: u64, query: &str) {
        if !self.sockets[&ws].client_open {
            return; // The client gave up before the upgrade went through.
        }
        let now = self.now;
        match route_request(Method::Get, &Query::parse(query), true, &self.server_config) {
            Err(error) => self.refuse_ws(ws, error.http_status()),
            Ok(Route::Handshake { transport }) => {
                assert_eq!(transport, Transport::WebSocket);
                let sid = self.issue_sid();
                let session = self.open_session(now, sid.clone(), transport, query);
                self.sessions.insert(
                    sid.clone(),
                    ServerEnd {
                        session,
                        held_get: None,
                        ws: Some(ws),
                    },
                );
                self.accept_ws(ws, sid);
            }
            Ok(Route::Session { sid, .. }) => {
                let Some(end) = self.sessions.get_mut(sid) else {
                    return self.refuse_ws(ws, 400);
                };
                match end
                    .session
                    .handle_upgrade_request_with(now, client_protocol(query))
                {
                    Ok(()) => {
                        assert!(end.ws.is_none(), "a second WebSocket for {sid}");
                        end.ws = Some(ws);
                        let sid = sid.to_string();
                        self.accept_ws(ws, sid);
                    }
                    Err(error) => self.refuse_ws(ws, error.http_status()),
                }
            }
        }
    }

    fn open_session(
        &self,
        now: Instant,
        sid: String,
        transport: Transport,
        query: &str,
    ) -> ServerSession {
        let protocol = client_protocol(query);
        ServerSession::with_protocol(now, sid, transport, self.server_config, protocol)
    }

    /// Whether `frame` is exactly `packet` (a bare heartbeat, not a probe).
    fn is_packet(&self, frame: &Frame, packet: &Packet) -> bool {
        let decoded = match self.version {
            ProtocolVersion::V4 => Packet::from_frame(frame.clone()),
            ProtocolVersion::V3 => v3::decode_frame(frame.clone()),
        };
        decoded.as_ref() == Ok(packet)
    }

    fn accept_ws(&mut self, ws: u64, sid: String) {
        let socket = self.sockets.get_mut(&ws).expect("known socket");
        socket.server_open = true;
        socket.sid = Some(sid);
        self.record(Side::Server, Wire::WsAccepted, None);
        self.schedule(Delivery::WsAccepted { ws });
    }

    fn refuse_ws(&mut self, ws: u64, status: u16) {
        self.record(Side::Server, Wire::WsRefused(status), None);
        self.schedule(Delivery::ClientSeesWsClosed { ws, error: true });
    }

    fn answer_get(&mut self, req: u64, result: Result<Bytes, TransportFailure>) {
        let lost = self.answer_lost(req);
        self.record(Side::Server, Wire::GetAnswer(result.clone()), lost);
        if lost.is_none() {
            self.schedule(Delivery::GetAnswer { req, result });
        }
    }

    fn answer_post(&mut self, req: u64, result: Result<(), TransportFailure>) {
        let lost = self.answer_lost(req);
        self.record(Side::Server, Wire::PostAnswer(result), lost);
        if lost.is_none() {
            self.schedule(Delivery::PostAnswer { req, result });
        }
    }

    fn answer_lost(&self, req: u64) -> Option<&'static str> {
        if !self.network_up {
            Some("network down")
        } else if self.dead_requests.contains(&req) {
            Some("connection gone")
        } else {
            None
        }
    }

    // ----- deliveries and deadlines -----

    fn deliver(&mut self, delivery: Delivery) {
        let now = self.now;
        match delivery {
            Delivery::Get { req, query } => self.serve_get(req, &query),
            Delivery::Post { req, query, body } => self.serve_post(req, &query, body),
            Delivery::WsOpen { ws, query } => self.serve_ws_open(ws, &query),
            Delivery::FrameToServer { ws, frame } => {
                if let Some(end) = self.server_end_of(ws) {
                    end.session.handle_ws_frame(now, frame);
                }
            }
            Delivery::ServerSeesWsClosed { ws, error } => {
                if let Some(end) = self.server_end_of(ws) {
                    end.ws = None;
                    end.session.handle_ws_closed(now, error);
                }
                let socket = self.sockets.get_mut(&ws).expect("known socket");
                socket.server_open = false;
                socket.sid = None;
            }
            Delivery::GetAnswer { req, result } => {
                assert_eq!(
                    self.client_get,
                    Some(req),
                    "an answer to a GET not in flight"
                );
                self.client_get = None;
                self.client.handle_poll_response(now, result);
            }
            Delivery::PostAnswer { req, result } => {
                assert_eq!(
                    self.client_post,
                    Some(req),
                    "an answer to a POST not in flight"
                );
                self.client_post = None;
                self.client.handle_post_response(now, result);
            }
            Delivery::WsAccepted { ws } => {
                if self.sockets[&ws].client_open {
                    self.client.handle_ws_opened(now);
                }
            }
            Delivery::FrameToClient { ws, frame } => {
                if self.sockets[&ws].client_open {
                    self.client.handle_ws_frame(now, frame);
                }
            }
            Delivery::ClientSeesWsClosed { ws, error } => {
                let socket = self.sockets.get_mut(&ws).expect("known socket");
                if socket.client_open {
                    socket.client_open = false;
                    self.client.handle_ws_closed(now, error);
                }
            }
        }
    }

    /// The session whose WebSocket `ws` is, if the server end of `ws` is still open.
    fn server_end_of(&mut self, ws: u64) -> Option<&mut ServerEnd> {
        let socket = &self.sockets[&ws];
        if !socket.server_open {
            return None;
        }
        let sid = socket.sid.clone()?;
        self.sessions.get_mut(&sid).filter(|end| end.ws == Some(ws))
    }

    fn fire_due_deadlines(&mut self) -> bool {
        let now = self.now;
        let mut fired = false;
        if self.client.poll_timeout().is_some_and(|at| at <= now) {
            self.client.handle_timeout(now);
            fired = true;
        }
        for end in self.sessions.values_mut() {
            if end.session.poll_timeout().is_some_and(|at| at <= now) {
                end.session.handle_timeout(now);
                fired = true;
            }
        }
        fired
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.sessions
            .values()
            .filter_map(|end| end.session.poll_timeout())
            .chain(self.client.poll_timeout())
            .min()
    }

    fn next_delivery(&self) -> Option<usize> {
        (0..self.in_flight.len()).min_by_key(|&i| (self.in_flight[i].at, self.in_flight[i].seq))
    }

    /// Puts `delivery` on the wire: it arrives after the latency (and the answer delay, server to client).
    fn schedule(&mut self, delivery: Delivery) {
        let delay = if delivery.to_client() {
            self.latency + self.answer_delay
        } else {
            self.latency
        };
        self.schedule_after(delay, delivery);
    }

    fn schedule_now(&mut self, delivery: Delivery) {
        self.schedule_at(self.now, delivery);
    }

    fn schedule_after(&mut self, delay: Duration, delivery: Delivery) {
        self.schedule_at(self.now + delay, delivery);
    }

    fn schedule_at(&mut self, mut at: Instant, delivery: Delivery) {
        if let Some(ws) = delivery.socket() {
            let last = self
                .socket_clock
                .entry((ws, delivery.to_client()))
                .or_default();
            at = at.max(*last);
            *last = at;
        }
        self.next_seq += 1;
        self.in_flight.push(Scheduled {
            at,
            seq: self.next_seq,
            delivery,
        });
    }

    // ----- bookkeeping -----

    fn end(&mut self, sid: &str) -> &mut ServerEnd {
        self.sessions
            .get_mut(sid)
            .unwrap_or_else(|| panic!("no open session {sid}"))
    }

    fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn issue_sid(&mut self) -> String {
        let sid = format!("sid-{}", self.sids_issued.len() + 1);
        self.sids_issued.push(sid.clone());
        sid
    }

    fn record(&mut self, from: Side, wire: Wire, lost: Option<&'static str>) {
        self.transcript.push(Entry {
            at: self.now,
            from,
            wire,
            lost,
        });
    }
}

/// Hands a POST to `session` as a runtime reading its body in chunks would; `Err` is the HTTP status.
fn feed_post(
    session: &mut ServerSession,
    now: Instant,
    body: &Bytes,
    chunk_size: usize,
) -> Result<(), u16> {
    session
        .handle_post_start(now)
        .map_err(|error| error.http_status())?;
    for chunk in body.chunks(chunk_size) {
        session
            .handle_post_data(now, body.slice_ref(chunk))
            .map_err(|error| error.http_status())?;
    }
    session
        .handle_post_end(now)
        .map_err(|error| error.http_status())
}

/// The protocol a request the client machine wrote says it speaks.
fn client_protocol(query: &str) -> ClientProtocol {
    Query::parse(query)
        .client_protocol()
        .expect("the client always sends EIO")
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let who = match self.from {
            Side::Client => "client -> server",
            Side::Server => "server -> client",
            Side::Network => "network         ",
        };
        write!(f, "[{:>7} ms] {who}  ", self.at.as_micros() / 1000)?;
        match &self.wire {
            Wire::Get(query) => write!(f, "GET   ?{query}")?,
            Wire::Post(query, body) => write!(f, "POST  ?{query}  {}", show(body))?,
            Wire::GetAnswer(Ok(body)) => write!(f, "200   {}", show(body))?,
            Wire::PostAnswer(Ok(())) => write!(f, "200   ok")?,
            Wire::GetAnswer(Err(failure)) | Wire::PostAnswer(Err(failure)) => match failure {
                TransportFailure::HttpStatus(status) => write!(f, "{status}")?,
                TransportFailure::Network => write!(f, "failed")?,
            },
            Wire::WsOpen(query) => write!(f, "WS    open ?{query}")?,
            Wire::WsAccepted => write!(f, "WS    accepted")?,
            Wire::WsRefused(status) => write!(f, "WS    refused {status}")?,
            Wire::Frame(Frame::Text(text)) => write!(f, "WS    {text}")?,
            Wire::Frame(Frame::Binary(bytes)) => write!(f, "WS    <binary {:02x?}>", &bytes[..])?,
            Wire::WsClose => write!(f, "WS    close")?,
            Wire::Fault(what) => write!(f, "*** {what}")?,
        }
        if let Some(why) = self.lost {
            write!(f, "   (lost: {why})")?;
        }
        Ok(())
    }
}

/// A polling payload for reading: the record separator shown as `␞`, a binary payload in hex.
fn show(body: &Bytes) -> String {
    match Framing::of(body) {
        Framing::Binary => format!("<binary payload {:02x?}>", &body[..]),
        Framing::Text => String::from_utf8_lossy(body).replace('\u{1e}', "␞"),
    }
}
