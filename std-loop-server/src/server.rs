//! The event loop: one thread, every socket non-blocking, every session's machines fed and drained.
//! The crate documentation walks through it; this file is the walk.

use std::collections::HashMap;
use std::io::{self, ErrorKind};
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};

use engineio_proto::server::{Method, Query, Route, route_request};
use engineio_proto::{Bytes, ErrorCode, Frame, Instant, RequestError, Transport};
use tungstenite::protocol::WebSocketConfig;

use crate::clock::Clock;
use crate::config::Config;
use crate::http::{self, Body, RequestHead};
use crate::peer::{HttpPeer, HttpState, Peer, PeerId, WsPeer, WsRead};
use crate::random::Ids;
use crate::session::{Session, Transmit};
use crate::wire::Wire;

/// Reads one connection gets per turn of the loop, so that a busy client cannot starve the others.
const READS_PER_TURN: usize = 16;

/// A Socket.IO server on `std::net`, driven by [`turn`](Self::turn).
#[derive(Debug)]
pub struct Server {
    config: Config,
    listener: TcpListener,
    clock: Clock,
    ids: Ids,
    /// Every open connection.
    peers: HashMap<PeerId, Peer>,
    next_peer: PeerId,
    /// Every open session, by sid.
    sessions: HashMap<String, Session>,
    /// What the last drain asked to send, until [`transmit`](Self::transmit) sends it.
    transmits: Vec<(PeerId, Transmit)>,
    /// The connections to read this turn (kept to reuse its allocation).
    to_read: Vec<PeerId>,
}

impl Server {
    /// Listens on `address` (port 0: any free port).
    pub fn bind(address: impl ToSocketAddrs, config: Config) -> io::Result<Self> {
        let listener = TcpListener::bind(address)?;
        listener.set_nonblocking(true)?;
        Ok(Server {
            config,
            listener,
            clock: Clock::start(),
            ids: Ids::new(),
            peers: HashMap::new(),
            next_peer: 0,
            sessions: HashMap::new(),
            transmits: Vec::new(),
            to_read: Vec::new(),
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves forever.
    pub fn run(&mut self) -> ! {
        loop {
            self.turn();
        }
    }

    /// One turn of the loop: take in what arrived, fire the deadlines that came, write what is
    /// due, then pause if nothing happened. Every input of the turn carries the same `now`.
    pub fn turn(&mut self) {
        let now = self.clock.now();
        let mut busy = self.accept(now);
        busy |= self.read(now);
        self.expire(now);
        self.write(now);
        if !busy {
            self.pause();
        }
    }

    // ----- 1. inputs -----

    /// Takes new connections, as many as the bound allows; `true` if there were any.
    fn accept(&mut self, now: Instant) -> bool {
        let mut accepted = false;
        while self.peers.len() < self.config.max_connections {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    accepted = true;
                    match Wire::new(stream) {
                        Ok(wire) => {
                            let id = self.next_peer;
                            self.next_peer += 1;
                            let peer = HttpPeer::new(wire, now + self.config.io_timeout);
                            self.peers.insert(id, Peer::Http(peer));
                        }
                        Err(error) => eprintln!("dropping a new connection: {error}"),
                    }
                }
                Err(error) if error.kind() == ErrorKind::WouldBlock => break,
                // Out of descriptors, a connection reset before it was taken...: next turn.
                Err(error) => {
                    eprintln!("accept: {error}");
                    break;
                }
            }
        }
        accepted
    }

    /// Reads every connection; `true` if any had something.
    fn read(&mut self, now: Instant) -> bool {
        let mut to_read = std::mem::take(&mut self.to_read);
        to_read.clear();
        to_read.extend(self.peers.keys());
        let mut busy = false;
        for &id in &to_read {
            busy |= match self.peers.get(&id) {
                Some(Peer::Http(_)) => self.read_http(now, id),
                Some(Peer::WebSocket(_)) => self.read_websocket(now, id),
                None => false,
            };
        }
        self.to_read = to_read;
        busy
    }

    fn read_http(&mut self, now: Instant, id: PeerId) -> bool {
        let mut busy = false;
        for _ in 0..READS_PER_TURN {
            let Some(Peer::Http(peer)) = self.peers.get_mut(&id) else {
                return busy;
            };
            if peer.state == HttpState::Closing {
                return busy;
            }
            let read = match peer.fill(self.config.max_head_bytes) {
                Ok(read) => read,
                Err(_) => {
                    self.drop_peer(now, id, true);
                    return true;
                }
            };
            let eof = peer.eof;
            busy |= read > 0;
            self.take_input(now, id);
            if eof {
                self.end_of_input(now, id);
                return true;
            }
            if read == 0 {
                break;
            }
        }
        busy
    }

    /// Takes what the connection's buffer holds: request heads, and body bytes for the session.
    fn take_input(&mut self, now: Instant, id: PeerId) {
        let limit = self.config.max_head_bytes;
        loop {
            let Some(Peer::Http(peer)) = self.peers.get_mut(&id) else {
                return;
            };
            match &mut peer.state {
                // One response at a time: a client that sends requests without reading the
                // answers is left to fill its own buffers, not ours.
                HttpState::Head if peer.wire.has_unsent() => return,
                HttpState::Head => match http::parse_head(&peer.input, limit) {
                    Ok(None) => return,
                    Ok(Some((head, length))) => {
                        peer.input.drain(..length);
                        self.on_request(now, id, head);
                    }
                    Err(error) => {
                        peer.respond(&error.response(), false, now + self.config.io_timeout);
                        return;
                    }
                },
                HttpState::Body {
                    sid,
                    remaining,
                    keep_alive,
                } => {
                    let take = (*remaining).min(peer.input.len());
                    if take == 0 && *remaining > 0 {
                        return;
                    }
                    let chunk = Bytes::copy_from_slice(&peer.input[..take]);
                    peer.input.drain(..take);
                    *remaining -= take;
                    let (sid, end, keep_alive) = (sid.clone(), *remaining == 0, *keep_alive);
                    self.on_body(now, id, &sid, chunk, end, keep_alive);
                    if !end {
                        return;
                    }
                }
                // A client that sends a full buffer's worth while its GET is held is not one.
                HttpState::Held { .. } if peer.input.len() >= limit => {
                    return self.drop_peer(now, id, true);
                }
                HttpState::Held { .. } | HttpState::Closing => return,
            }
        }
    }

    /// The client closed its side: what it was doing is aborted, but the answer to a request it
    /// completed still goes out.
    fn end_of_input(&mut self, now: Instant, id: PeerId) {
        let Some(Peer::Http(peer)) = self.peers.get_mut(&id) else {
            return;
        };
        match peer.state {
            HttpState::Closing => {}
            HttpState::Head if peer.wire.has_unsent() => peer.state = HttpState::Closing,
            _ => self.drop_peer(now, id, false),
        }
    }

    /// A complete request head: refused here, or routed to a new or existing session.
    fn on_request(&mut self, now: Instant, id: PeerId, head: RequestHead) {
        let keep_alive = head.keep_alive;
        if head.path != self.config.path {
            return self.respond(now, id, &http::plain(404), false);
        }
        // A WebSocket handshake must be a valid one before Engine.IO looks at it; from here on,
        // a key means an upgrade, and Engine.IO's router checks that the transport agrees.
        if head.wants_websocket && head.websocket_key.is_none() {
            return self.respond(now, id, &http::plain(400), false);
        }
        let body = match head.body {
            Body::Length(length) => length,
            Body::Encoded => return self.respond(now, id, &http::plain(411), false),
        };
        if body > 0 && head.method != Method::Post {
            return self.respond(now, id, &http::plain(400), false);
        }
        let query = Query::parse(&head.query);
        match route_request(
            head.method,
            &query,
            head.websocket_key.is_some(),
            &self.config.engine,
        ) {
            Err(error) => self.refuse(now, id, &error, keep_alive),
            Ok(Route::Handshake { transport }) => self.handshake(now, id, transport, &head),
            Ok(Route::Session { sid, .. }) => {
                let sid = sid.to_owned();
                self.session_request(now, id, &sid, &head, body);
            }
        }
    }

    /// A new session: the `allow_request` decision (here, the session bound), a fresh sid, the
    /// machines, and the handshake's connection attached to them.
    fn handshake(&mut self, now: Instant, id: PeerId, transport: Transport, head: &RequestHead) {
        if self.sessions.len() >= self.config.max_sessions {
            let full = RequestError::with_message(ErrorCode::Forbidden, "too many sessions");
            return self.refuse(now, id, &full, head.keep_alive);
        }
        let sid = self.ids.draw().as_str().to_owned();
        match &head.websocket_key {
            Some(key) => self.upgrade(id, &sid, key),
            None => self.hold(id, &sid, head.keep_alive),
        }
        let session = Session::open(now, sid.clone(), transport, id, &self.config);
        self.sessions.insert(sid.clone(), session);
        self.drive(now, &sid);
    }

    /// A request for session `sid`: a long-polling GET or POST, or the WebSocket of an upgrade.
    fn session_request(
        &mut self,
        now: Instant,
        id: PeerId,
        sid: &str,
        head: &RequestHead,
        body: usize,
    ) {
        let Some(session) = self.sessions.get_mut(sid) else {
            return self.refuse(now, id, &ErrorCode::UnknownSid.into(), head.keep_alive);
        };
        let upgrade = head.websocket_key.as_deref();
        let taken = match (upgrade, head.method) {
            (Some(_), _) => session.engine.handle_upgrade_request(now),
            (None, Method::Get) => session.engine.handle_poll(now),
            (None, Method::Post) => session.engine.handle_post_start(now),
            (None, _) => Err(ErrorCode::BadRequest.into()),
        };
        match (taken, upgrade) {
            (Err(error), _) => self.refuse(now, id, &error, head.keep_alive),
            (Ok(()), Some(key)) => {
                session.websocket = Some(id);
                self.upgrade(id, sid, key);
            }
            (Ok(()), None) if head.method == Method::Get => {
                session.held_poll = Some(id);
                self.hold(id, sid, head.keep_alive);
            }
            (Ok(()), None) => {
                if let Some(Peer::Http(peer)) = self.peers.get_mut(&id) {
                    peer.state = HttpState::Body {
                        sid: sid.to_owned(),
                        remaining: body,
                        keep_alive: head.keep_alive,
                    };
                    peer.deadline = Some(now + self.config.io_timeout);
                    if head.expects_continue {
                        peer.wire.send(http::CONTINUE);
                    }
                }
            }
        }
        // Even a refusal may have moved the session (a second GET closes it).
        self.drive(now, sid);
    }

    /// The next chunk of a POST body (`end`: the last).
    fn on_body(
        &mut self,
        now: Instant,
        id: PeerId,
        sid: &str,
        chunk: Bytes,
        end: bool,
        keep_alive: bool,
    ) {
        let taken = match self.sessions.get_mut(sid) {
            // The session closed while the body came in: the rest is dropped and the POST still
            // answered `ok`, as the engine itself does with a body in flight when it closes.
            None => Ok(()),
            Some(session) => {
                let mut taken = if chunk.is_empty() {
                    Ok(())
                } else {
                    session.engine.handle_post_data(now, chunk)
                };
                if end && taken.is_ok() {
                    taken = session.engine.handle_post_end(now);
                }
                taken
            }
        };
        self.drive(now, sid);
        match taken {
            Ok(()) if end => self.respond(now, id, &http::post_ok(keep_alive), keep_alive),
            Ok(()) => {}
            // Over `max_payload`: answered without reading the rest.
            Err(error) => self.respond(now, id, &http::plain(error.http_status()), false),
        }
    }

    fn read_websocket(&mut self, now: Instant, id: PeerId) -> bool {
        let mut busy = false;
        for _ in 0..READS_PER_TURN {
            let Some(Peer::WebSocket(peer)) = self.peers.get_mut(&id) else {
                return busy;
            };
            if peer.failed {
                self.drop_peer(now, id, true);
                return true;
            }
            let frame = match peer.read() {
                WsRead::Idle => return busy,
                WsRead::Control => {
                    busy = true;
                    continue;
                }
                WsRead::Frame(frame) => frame,
                // The session learns now; the socket stays until the handshake is done.
                WsRead::Closing => {
                    peer.deadline = Some(now + self.config.io_timeout);
                    let sid = peer.sid.clone();
                    self.websocket_gone(now, id, &sid, false);
                    return true;
                }
                WsRead::Ended(failed) => {
                    self.drop_peer(now, id, failed);
                    return true;
                }
            };
            busy = true;
            let sid = peer.sid.clone();
            self.on_frame(now, id, &sid, frame);
        }
        busy
    }

    fn on_frame(&mut self, now: Instant, id: PeerId, sid: &str, frame: Frame) {
        // Frames of a socket the session let go (a failed probe, one it closed) are not its.
        let Some(session) = self.session_of(sid, id) else {
            return;
        };
        session.engine.handle_ws_frame(now, frame);
        self.drive(now, sid);
    }

    // ----- 2. outputs -----

    /// Drains session `sid` after an input, sends what it asked for, and forgets it once over.
    fn drive(&mut self, now: Instant, sid: &str) {
        let Some(session) = self.sessions.get_mut(sid) else {
            return;
        };
        session.drain(now, &mut self.transmits, &mut self.ids);
        if session.is_over() {
            self.sessions.remove(sid);
        }
        self.transmit(now);
    }

    /// Hands what the drains asked for to the connections.
    fn transmit(&mut self, now: Instant) {
        let deadline = now + self.config.io_timeout;
        for (id, transmit) in self.transmits.drain(..) {
            match (self.peers.get_mut(&id), transmit) {
                (Some(Peer::Http(peer)), Transmit::PollResponse(payload)) => {
                    if let HttpState::Held { keep_alive, .. } = peer.state {
                        let response = http::poll_response(&payload, keep_alive);
                        peer.respond(&response, keep_alive, deadline);
                    }
                }
                (Some(Peer::WebSocket(peer)), Transmit::Frame(frame)) => peer.send(frame),
                (Some(Peer::WebSocket(peer)), Transmit::CloseWebSocket) => peer.close(deadline),
                // The connection is gone; the session was told when it went.
                _ => {}
            }
        }
    }

    /// Writes what the connections could not take before, and closes those that are done.
    fn write(&mut self, now: Instant) {
        let mut done = Vec::new();
        for (&id, peer) in &mut self.peers {
            let open = match peer {
                Peer::Http(peer) => {
                    let written = peer.wire.write_unsent().is_ok();
                    let finished = peer.state == HttpState::Closing && !peer.wire.has_unsent();
                    written && !finished
                }
                Peer::WebSocket(peer) => peer.flush(),
            };
            if !open {
                done.push(id);
            }
        }
        for id in done {
            self.drop_peer(now, id, true);
        }
    }

    // ----- 3. time -----

    /// Fires the sessions' deadlines that came, and drops the connections past theirs.
    fn expire(&mut self, now: Instant) {
        let due = |at: Option<Instant>| at.is_some_and(|at| at <= now);
        let sessions: Vec<String> = (self.sessions.iter())
            .filter(|(_, session)| due(session.poll_timeout()))
            .map(|(sid, _)| sid.clone())
            .collect();
        for sid in sessions {
            if let Some(session) = self.sessions.get_mut(&sid) {
                session.handle_timeout(now);
                self.drive(now, &sid);
            }
        }
        let late: Vec<PeerId> = (self.peers.iter())
            .filter(|(_, peer)| due(peer.deadline()))
            .map(|(&id, _)| id)
            .collect();
        for id in late {
            self.drop_peer(now, id, true);
        }
    }

    /// Sleeps until the earliest deadline, at most `idle_wait`.
    fn pause(&self) {
        let next = (self.sessions.values().filter_map(Session::poll_timeout))
            .chain(self.peers.values().filter_map(Peer::deadline))
            .min();
        let mut pause = self.config.idle_wait;
        if let Some(at) = next {
            pause = pause.min(at.saturating_duration_since(self.clock.now()));
        }
        if !pause.is_zero() {
            std::thread::sleep(pause);
        }
    }

    // ----- connections -----

    fn respond(&mut self, now: Instant, id: PeerId, response: &[u8], keep_alive: bool) {
        if let Some(Peer::Http(peer)) = self.peers.get_mut(&id) {
            peer.respond(response, keep_alive, now + self.config.io_timeout);
        }
    }

    fn refuse(&mut self, now: Instant, id: PeerId, error: &RequestError, keep_alive: bool) {
        self.respond(now, id, &http::engine_error(error, keep_alive), keep_alive);
    }

    /// The connection's GET is held by session `sid`.
    fn hold(&mut self, id: PeerId, sid: &str, keep_alive: bool) {
        if let Some(Peer::Http(peer)) = self.peers.get_mut(&id) {
            peer.state = HttpState::Held {
                sid: sid.to_owned(),
                keep_alive,
            };
            // The engine answers it in time (at the latest with its next ping).
            peer.deadline = None;
        }
    }

    /// Answers `101` and turns the connection into a WebSocket for session `sid`.
    fn upgrade(&mut self, id: PeerId, sid: &str, key: &str) {
        let Some(Peer::Http(peer)) = self.peers.remove(&id) else {
            return;
        };
        let HttpPeer {
            mut wire, input, ..
        } = peer;
        wire.send(&http::switching_protocols(key));
        let max_payload = self.config.engine.max_payload;
        let config = WebSocketConfig::default()
            .read_buffer_size(4096)
            .write_buffer_size(0)
            .max_write_buffer_size(self.config.max_websocket_unsent)
            .max_message_size(Some(max_payload))
            .max_frame_size(Some(max_payload));
        let peer = WsPeer::new(wire, input, sid.to_owned(), config);
        self.peers.insert(id, Peer::WebSocket(Box::new(peer)));
    }

    /// Closes a connection and tells its session what that ended: a held GET, a POST, or its
    /// WebSocket (`failed`: broken rather than closed).
    fn drop_peer(&mut self, now: Instant, id: PeerId, failed: bool) {
        let Some(peer) = self.peers.remove(&id) else {
            return;
        };
        match peer {
            Peer::Http(peer) => match peer.state {
                HttpState::Held { sid, .. } => {
                    if let Some(session) = self.sessions.get_mut(&sid) {
                        if session.held_poll == Some(id) {
                            session.held_poll = None;
                            session.engine.handle_poll_aborted(now);
                            self.drive(now, &sid);
                        }
                    }
                }
                HttpState::Body { sid, .. } => {
                    if let Some(session) = self.sessions.get_mut(&sid) {
                        session.engine.handle_post_aborted(now);
                        self.drive(now, &sid);
                    }
                }
                HttpState::Head | HttpState::Closing => {}
            },
            Peer::WebSocket(peer) => self.websocket_gone(now, id, &peer.sid, failed),
        }
    }

    /// Connection `id`, a WebSocket of session `sid`, ended.
    fn websocket_gone(&mut self, now: Instant, id: PeerId, sid: &str, failed: bool) {
        if let Some(session) = self.session_of(sid, id) {
            session.websocket = None;
            session.engine.handle_ws_closed(now, failed);
            self.drive(now, sid);
        }
    }

    /// Session `sid`, if its WebSocket is connection `id`.
    fn session_of(&mut self, sid: &str, id: PeerId) -> Option<&mut Session> {
        (self.sessions.get_mut(sid)).filter(|session| session.websocket == Some(id))
    }
}

impl Peer {
    /// When the connection is dropped unless it moves on.
    fn deadline(&self) -> Option<Instant> {
        match self {
            Peer::Http(peer) => peer.deadline,
            Peer::WebSocket(peer) => peer.deadline,
        }
    }
}
