//! The Socket.IO server connection driven by a script of client messages (raw bytes, and well-formed
//! packets built from structured choices so the fuzzer gets past the handshake), application commands
//! (accept, reject, emit, emit with ack, ack, broadcast, disconnect, close, room joins), time jumps
//! and the engine closing. A `Rooms` index per namespace is kept in step with the events, as the
//! module docs ask of a runtime.
//!
//! Invariants: no panic; every ack id resolves at most once (`Ack`, `AckTimeout`, `AckCancelled`),
//! and exactly once by the end; a timeout only after its deadline and never missed by
//! `handle_timeout`; each connected socket gets exactly one `Disconnecting` then one `Disconnected`
//! (with the reason the command asked for), and no output names it afterwards; the rooms index never
//! holds a gone socket; `Closed` comes exactly once, last; `poll_timeout` is exactly the earliest ack
//! deadline or, until a namespace connects, the connect deadline; application sends are refused
//! exactly when `max_queued_messages` would be exceeded, and the packets sent are exactly those the
//! commands queued, in order; the table sizes stay within the config; every message sent decodes, a
//! binary packet's attachments follow its text; the accessors agree with the events.
//!
//! Input: a script (see `socketio_common.rs`). An optional first step `#` sets the config. Steps:
//! `t` text / `b` binary message (raw); `c` CONNECT, `e` EVENT, `E` BINARY_EVENT, `k` ACK, `K`
//! BINARY_ACK, `d` DISCONNECT, `x` CONNECT_ERROR (structured client packets); `A` accept, `R` reject,
//! `I` reject_invalid_namespace, `m` emit, `M` emit_with_ack, `a` ack, `B` broadcast to a room, `J` /
//! `L` join / leave a room, `D` disconnect, `Z` disconnect_all, `X` close; `+` advance and
//! handle_timeout, `~` advance only, `>` jump to the deadline; `q` engine closed; `p` / `.` pull some /
//! all outputs (with the manual-drain config flag; otherwise outputs are pulled after every step).
#![no_main]

#[path = "socketio_common.rs"]
mod common;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use arbitrary::Unstructured;
use bytes::Bytes;
use common::{
    ack_id, args, array, attachments, byte, event_name, is_reserved, namespace, ns_prefix, pick,
    small, steps, text, word,
};
use engineio_proto::server::CloseReason;
use engineio_proto::{Instant, Message};
use libfuzzer_sys::fuzz_target;
use socketio_proto::adapter::{Room, Rooms, SocketId};
use socketio_proto::packet::{
    Decoder, DecoderConfig, NamespaceName, Packet, PacketKind, Payload, RawJson,
};
use socketio_proto::server::{
    AckError, DisconnectReason, EmitError, Event, NotConnected, NotPending, Output,
    SOCKET_ID_RANDOM_BYTES, ServerConnection, ServerConnectionConfig, socket_id_from_random,
};

const ROOMS: [&str; 3] = ["r1", "r2", "lobby"];

const REASONS: [DisconnectReason; 9] = [
    DisconnectReason::ServerNamespaceDisconnect,
    DisconnectReason::ClientNamespaceDisconnect,
    DisconnectReason::ServerShuttingDown,
    DisconnectReason::ForcedServerClose,
    DisconnectReason::PingTimeout,
    DisconnectReason::TransportClose,
    DisconnectReason::TransportError,
    DisconnectReason::ParseError,
    DisconnectReason::ForcedClose,
];

const ENGINE_REASONS: [CloseReason; 5] = [
    CloseReason::TransportClose,
    CloseReason::TransportError,
    CloseReason::PingTimeout,
    CloseReason::ForcedClose,
    CloseReason::ParseError,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Life {
    Live,
    Disconnecting(DisconnectReason),
    Gone,
}

/// A packet the commands queued, in the order they must be sent.
#[derive(Debug, PartialEq, Eq)]
enum Sent {
    /// NamespaceName and reply.
    Connect(String, String),
    ConnectError(String),
    Disconnect(String),
    /// NamespaceName, JSON, ack id.
    Event(String, String, Option<u64>),
    /// NamespaceName, id, JSON.
    Ack(String, u64, String),
}

/// One socket, as the events told it.
#[derive(Debug)]
struct SocketState {
    namespace: String,
    /// Its `Connected` was pulled (an `emit_with_ack` may record an ack before that).
    connected: bool,
    life: Life,
    /// Ack ids from `emit_with_ack`, unresolved: deadline and the step that registered them.
    awaited: BTreeMap<u64, (Option<Instant>, usize)>,
    /// Ack ids the client asked for, unanswered.
    owed: BTreeSet<u64>,
}

/// One namespace, as the events told it.
#[derive(Debug, Default)]
struct NsState {
    /// A `ConnectRequest` was pulled and not answered yet.
    pending: bool,
    /// Answers given before their `ConnectRequest` was pulled.
    answered_early: u32,
    /// The socket connected here and not yet `Disconnected`.
    socket: Option<SocketId>,
    rooms: Rooms,
}

struct Harness {
    conn: ServerConnection,
    config: ServerConnectionConfig,
    now: Instant,
    step: usize,
    /// The latest `handle_timeout`: its time and step.
    last_timeout: Option<(Instant, usize)>,
    connect_deadline: Instant,
    accepted_any: bool,
    accepts: u32,
    sockets: BTreeMap<SocketId, SocketState>,
    namespaces: BTreeMap<String, NsState>,
    /// Accepted sockets whose `Connected` is not pulled yet, in order.
    expected_connected: VecDeque<(String, SocketId)>,
    /// The reason a command decided for a socket's end.
    expected_reasons: BTreeMap<SocketId, DisconnectReason>,
    expected_closed: Option<DisconnectReason>,
    /// Messages queued and not pulled: all, and those of application sends.
    queued: usize,
    queued_app: usize,
    /// Attachments still to come after the text of a binary packet being pulled.
    attachments_following: usize,
    /// Decodes what the server sends, as a client would.
    client_decoder: Decoder,
    /// Everything queued has been pulled.
    drained: bool,
    close_engine_seen: bool,
    /// The engine closed while the connection was still open.
    engine_closed_first: bool,
    closed_events: u32,
    /// What the commands queued and is not sent yet, in order.
    expected_sent: VecDeque<Sent>,
}

impl Harness {
    fn new(config: ServerConnectionConfig) -> Self {
        let now = Instant::from_millis(1);
        let mut harness = Harness {
            conn: ServerConnection::new(now, config),
            config,
            now,
            step: 0,
            last_timeout: None,
            connect_deadline: now + config.connect_timeout,
            accepted_any: false,
            accepts: 0,
            sockets: BTreeMap::new(),
            namespaces: BTreeMap::new(),
            expected_connected: VecDeque::new(),
            expected_reasons: BTreeMap::new(),
            expected_closed: None,
            queued: 0,
            queued_app: 0,
            attachments_following: 0,
            client_decoder: Decoder::new(DecoderConfig {
                max_attachments: 64,
            }),
            drained: true,
            close_engine_seen: false,
            engine_closed_first: false,
            closed_events: 0,
            expected_sent: VecDeque::new(),
        };
        for name in common::NAMESPACES {
            harness.namespaces.insert(name.into(), NsState::default());
        }
        harness
    }

    /// Namespaces a command may name: the usual ones and any a client asked for.
    fn pick_namespace(&self, u: &mut Unstructured<'_>) -> String {
        let names: Vec<&String> = self.namespaces.keys().collect();
        names[usize::from(byte(u)) % names.len()].clone()
    }

    fn ns(&mut self, namespace: &str) -> &mut NsState {
        self.namespaces.entry(namespace.into()).or_default()
    }

    fn live_socket(&self, namespace: &str) -> Option<&SocketId> {
        let id = self.namespaces.get(namespace)?.socket.as_ref()?;
        (self.sockets[id].life == Life::Live).then_some(id)
    }

    // ----- outputs -----

    fn pull(&mut self, max: usize) {
        for _ in 0..max {
            let Some(output) = self.conn.poll_output() else {
                self.drained = true;
                return;
            };
            self.on_output(output);
        }
        self.drained = false;
    }

    fn drain(&mut self) {
        self.pull(usize::MAX);
        assert!(self.drained);
        self.check_quiescent();
    }

    fn on_output(&mut self, output: Output) {
        if common::tracing() {
            eprintln!("    <- {output:?}");
        }
        assert_eq!(self.closed_events, 0, "output after Closed: {output:?}");
        match output {
            Output::Send(message) => self.on_send(message),
            Output::CloseEngine => {
                assert!(!self.close_engine_seen, "CloseEngine twice");
                assert!(
                    !self.engine_closed_first,
                    "CloseEngine after the engine closed"
                );
                assert_eq!(self.attachments_following, 0, "CloseEngine inside a packet");
                self.close_engine_seen = true;
            }
            Output::Event(event) => self.on_event(event),
        }
    }

    fn on_send(&mut self, message: Message) {
        assert!(!self.close_engine_seen, "a message after CloseEngine");
        assert!(self.queued > 0, "more messages than the commands queued");
        self.queued -= 1;
        let app = match message {
            Message::Text(text) => {
                assert_eq!(
                    self.attachments_following, 0,
                    "a text message before the attachments of the previous packet: {text:?}"
                );
                let app = matches!(text.as_bytes().first(), Some(b'2' | b'3' | b'5' | b'6'));
                let decoded = self.client_decoder.decode_text(text.clone());
                match decoded {
                    Ok(Some(packet)) => self.check_sent_packet(&packet),
                    Ok(None) => {
                        assert!(app, "a control packet with attachments: {text:?}");
                        self.attachments_following = self.client_decoder.missing_attachments();
                    }
                    Err(error) => {
                        panic!("the server sent {text:?}, which does not decode: {error}")
                    }
                }
                app
            }
            Message::Binary(bytes) => {
                assert!(
                    self.attachments_following > 0,
                    "a binary message that is no attachment"
                );
                self.attachments_following -= 1;
                match self.client_decoder.decode_binary(bytes) {
                    Ok(Some(packet)) => self.check_sent_packet(&packet),
                    Ok(None) => {}
                    Err(error) => panic!("an attachment does not decode: {error}"),
                }
                true
            }
        };
        if app {
            assert!(self.queued_app > 0, "more application messages than queued");
            self.queued_app -= 1;
        }
        assert!(self.queued_app <= self.queued);
    }

    /// A packet the server sent, checked against the events pulled before it: the `CONNECT`
    /// reply comes just before its `Connected`, and nothing is sent to a namespace after its
    /// socket's `Disconnecting`.
    fn check_sent_packet(&mut self, packet: &Packet) {
        let ns = packet.namespace.as_str();
        let sent = match &packet.kind {
            PacketKind::Connect(reply) => {
                Sent::Connect(ns.into(), reply.as_ref().map_or("", RawJson::as_str).into())
            }
            PacketKind::ConnectError(_) => Sent::ConnectError(ns.into()),
            PacketKind::Disconnect => Sent::Disconnect(ns.into()),
            PacketKind::Event { args, ack } => {
                Sent::Event(ns.into(), args.json().to_string(), *ack)
            }
            PacketKind::Ack { args, id } => Sent::Ack(ns.into(), *id, args.json().to_string()),
        };
        let expected = self.expected_sent.pop_front();
        assert_eq!(
            Some(&sent),
            expected.as_ref(),
            "sent another packet than queued"
        );
        let live = self.live_socket(ns).is_some();
        match &packet.kind {
            PacketKind::Event { args, .. } => {
                let name = args.event_name().expect("an event without a name was sent");
                assert!(!is_reserved(&name), "a reserved event was sent: {name}");
                assert!(live, "an EVENT for {ns}, where no socket is connected");
            }
            PacketKind::Ack { .. } => {
                assert!(live, "an ACK for {ns}, where no socket is connected")
            }
            PacketKind::Disconnect => {
                assert!(live, "a DISCONNECT for {ns}, where no socket is connected");
            }
            PacketKind::Connect(reply) => {
                let reply = reply.as_ref().expect("a CONNECT reply without a sid");
                let (expected_ns, id) = self
                    .expected_connected
                    .front()
                    .expect("a CONNECT reply without an accept");
                assert_eq!(expected_ns, ns, "a CONNECT reply for another namespace");
                assert_eq!(reply.as_str(), format!("{{\"sid\":\"{id}\"}}"));
                assert!(
                    self.namespaces[ns].socket.is_none(),
                    "a CONNECT reply for connected {ns}"
                );
            }
            PacketKind::ConnectError(body) => {
                assert!(body.as_str().starts_with("{\"message\":"), "{body:?}");
                assert!(
                    self.namespaces[ns].socket.is_none(),
                    "a CONNECT_ERROR for connected {ns}"
                );
            }
        }
    }

    fn socket_mut(&mut self, id: &SocketId, namespace: &NamespaceName) -> &mut SocketState {
        let socket = self
            .sockets
            .get_mut(id)
            .unwrap_or_else(|| panic!("an event names the unknown socket {id:?}"));
        assert_eq!(
            socket.namespace,
            namespace.as_str(),
            "socket {id:?} changed namespace"
        );
        assert!(
            socket.connected,
            "an event names {id:?} before its Connected"
        );
        assert_ne!(
            socket.life,
            Life::Gone,
            "an event names the gone socket {id:?}"
        );
        socket
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::ConnectRequest { namespace, .. } => {
                let ns = self.ns(&namespace);
                assert!(
                    !ns.pending,
                    "a second ConnectRequest for pending {namespace}"
                );
                assert!(
                    ns.socket.is_none(),
                    "a ConnectRequest for connected {namespace}"
                );
                if ns.answered_early > 0 {
                    ns.answered_early -= 1;
                } else {
                    ns.pending = true;
                }
            }
            Event::Connected { namespace, socket } => {
                let expected = self.expected_connected.pop_front();
                assert_eq!(
                    expected.as_ref(),
                    Some(&(String::from(namespace.as_str()), socket.clone())),
                    "Connected without a matching accept"
                );
                let ns = self.ns(&namespace);
                assert!(ns.socket.is_none(), "two sockets on {namespace}");
                ns.socket = Some(socket.clone());
                ns.rooms.add_socket(&socket);
                let state = self
                    .sockets
                    .entry(socket.clone())
                    .or_insert_with(|| SocketState {
                        namespace: namespace.as_str().into(),
                        connected: false,
                        life: Life::Live,
                        awaited: BTreeMap::new(),
                        owed: BTreeSet::new(),
                    });
                assert!(!state.connected, "socket {socket:?} connected twice");
                assert_eq!(state.namespace, namespace.as_str());
                state.connected = true;
            }
            Event::Event {
                namespace,
                socket,
                args,
                ack,
            } => {
                let state = self.socket_mut(&socket, &namespace);
                assert_eq!(state.life, Life::Live, "an event for a leaving socket");
                if let Some(name) = args.event_name() {
                    assert!(
                        !is_reserved(&name),
                        "a reserved event reached the application"
                    );
                }
                if let Some(id) = ack {
                    state.owed.insert(id);
                }
            }
            Event::Ack {
                namespace,
                socket,
                id,
                ..
            } => {
                let state = self.socket_mut(&socket, &namespace);
                assert_eq!(state.life, Life::Live, "an Ack for a leaving socket");
                assert!(
                    state.awaited.remove(&id).is_some(),
                    "Ack {id} resolves nothing"
                );
            }
            Event::AckTimeout {
                namespace,
                socket,
                id,
            } => {
                let last_timeout = self.last_timeout;
                let state = self.socket_mut(&socket, &namespace);
                assert_eq!(state.life, Life::Live, "an AckTimeout for a leaving socket");
                let (deadline, _) = state
                    .awaited
                    .remove(&id)
                    .unwrap_or_else(|| panic!("AckTimeout {id} resolves nothing"));
                let deadline = deadline.expect("a timeout for an ack without one");
                let (at, _) = last_timeout.expect("a timeout before any handle_timeout");
                assert!(deadline <= at, "ack {id} timed out before its deadline");
            }
            Event::AckCancelled {
                namespace,
                socket,
                id,
            } => {
                let state = self.socket_mut(&socket, &namespace);
                assert!(
                    matches!(state.life, Life::Disconnecting(_)),
                    "AckCancelled outside Disconnecting"
                );
                assert!(
                    state.awaited.remove(&id).is_some(),
                    "AckCancelled {id} resolves nothing"
                );
            }
            Event::Disconnecting {
                namespace,
                socket,
                reason,
            } => {
                let state = self.socket_mut(&socket, &namespace);
                assert_eq!(state.life, Life::Live, "a second Disconnecting");
                state.life = Life::Disconnecting(reason);
                if let Some(expected) = self.expected_reasons.remove(&socket) {
                    assert_eq!(
                        reason, expected,
                        "socket {socket:?} left for the wrong reason"
                    );
                }
                let ns = self.ns(&namespace);
                assert!(
                    ns.rooms.contains_socket(&socket),
                    "a Disconnecting socket is not in its rooms"
                );
            }
            Event::Disconnected {
                namespace,
                socket,
                reason,
            } => {
                let state = self.socket_mut(&socket, &namespace);
                assert_eq!(
                    state.life,
                    Life::Disconnecting(reason),
                    "Disconnected without a Disconnecting with the same reason"
                );
                assert!(
                    state.awaited.is_empty(),
                    "acks {:?} not resolved before Disconnected",
                    state.awaited
                );
                state.life = Life::Gone;
                state.owed.clear();
                let ns = self.ns(&namespace);
                assert_eq!(ns.socket.as_ref(), Some(&socket));
                ns.socket = None;
                assert!(
                    ns.rooms.del_all(&socket),
                    "a Disconnected socket was not in the rooms"
                );
                self.check_rooms(&namespace);
            }
            Event::Closed { reason } => {
                self.closed_events += 1;
                assert!(self.conn.is_closed());
                if let Some(expected) = self.expected_closed {
                    assert_eq!(reason, expected, "closed for the wrong reason");
                }
                for (id, socket) in &self.sockets {
                    assert_eq!(
                        socket.life,
                        Life::Gone,
                        "socket {id:?} still there at Closed"
                    );
                }
                assert_eq!(self.attachments_following, 0, "Closed inside a packet");
                for ns in self.namespaces.values_mut() {
                    ns.pending = false;
                    ns.answered_early = 0;
                }
            }
        }
    }

    /// The rooms of `namespace` hold only sockets that have not gone, and are consistent.
    fn check_rooms(&self, namespace: &str) {
        let rooms = &self.namespaces[namespace].rooms;
        for id in rooms.sockets() {
            let socket = self
                .sockets
                .get(id)
                .expect("an unknown socket in the rooms");
            assert_ne!(
                socket.life,
                Life::Gone,
                "the gone socket {id:?} is in the rooms"
            );
            assert_eq!(socket.namespace, namespace);
        }
        for room in rooms.rooms() {
            for member in rooms.room_members(room).into_iter().flatten() {
                assert!(rooms.contains_socket(member));
            }
        }
    }

    /// With nothing left to pull, the model and the connection agree exactly.
    fn check_quiescent(&self) {
        assert_eq!(self.queued, 0, "messages queued but never pulled");
        assert!(
            self.expected_sent.is_empty(),
            "packets queued but never sent"
        );
        assert_eq!(self.queued_app, 0);
        assert_eq!(
            self.attachments_following, 0,
            "a packet's attachments are missing"
        );
        assert!(
            self.expected_connected.is_empty(),
            "an accept without Connected"
        );
        assert_eq!(self.conn.is_closed(), self.closed_events == 1);
        let live: BTreeSet<(String, SocketId)> = self
            .conn
            .sockets()
            .map(|(ns, id)| (ns.as_str().into(), id.clone()))
            .collect();
        let mut expected_live = BTreeSet::new();
        for (name, ns) in &self.namespaces {
            assert_eq!(ns.answered_early, 0);
            assert_eq!(
                self.conn.is_pending(name),
                ns.pending,
                "pending state of {name}"
            );
            let rooms: BTreeSet<&SocketId> = ns.rooms.sockets().collect();
            let socket = ns.socket.as_ref();
            assert_eq!(rooms, socket.into_iter().collect(), "rooms of {name}");
            assert_eq!(self.conn.socket_id(name), socket);
            if let Some(id) = socket {
                let state = &self.sockets[id];
                assert_eq!(state.life, Life::Live);
                expected_live.insert((name.clone(), id.clone()));
                assert_eq!(self.conn.pending_ack_count(name), state.awaited.len());
                assert_eq!(self.conn.owed_ack_count(name), state.owed.len());
            } else {
                assert_eq!(self.conn.pending_ack_count(name), 0);
                assert_eq!(self.conn.owed_ack_count(name), 0);
            }
            self.check_rooms(name);
        }
        assert_eq!(live, expected_live, "connected sockets");
        // The deadline is exactly the earliest ack deadline, or the connect deadline until a
        // namespace connects.
        let expected_deadline = if self.conn.is_closed() {
            None
        } else {
            let acks = self.sockets.values().flat_map(|socket| {
                socket
                    .awaited
                    .values()
                    .filter_map(|&(deadline, _)| deadline)
            });
            let connect = (!self.accepted_any).then_some(self.connect_deadline);
            acks.chain(connect).min()
        };
        assert_eq!(self.conn.poll_timeout(), expected_deadline, "poll_timeout");
        // handle_timeout missed no deadline it was called past.
        if let Some((at, step)) = self.last_timeout {
            for socket in self.sockets.values() {
                for (id, &(deadline, registered)) in &socket.awaited {
                    assert!(
                        registered >= step || deadline.is_none_or(|deadline| deadline > at),
                        "ack {id} outlived its deadline"
                    );
                }
            }
        }
    }

    /// Bounds that hold at every moment.
    fn check_bounds(&self) {
        assert!(
            self.queued_app <= self.config.max_queued_messages,
            "application queue bound"
        );
        for name in self.namespaces.keys() {
            assert!(self.conn.pending_ack_count(name) <= self.config.max_pending_acks);
            assert!(self.conn.owed_ack_count(name) <= self.config.max_owed_acks);
        }
        assert!(self.conn.sockets().count() <= self.config.max_namespaces);
    }

    // ----- commands -----

    /// An application send queued `messages` messages for `packet`.
    fn queue_app(&mut self, messages: usize, packet: Sent) {
        self.queued += messages;
        self.queued_app += messages;
        self.expected_sent.push_back(packet);
    }

    /// A control packet was queued (one message).
    fn expect_control(&mut self, packet: Sent) {
        self.queued += 1;
        self.expected_sent.push_back(packet);
    }

    /// The result an emit must have, before the ack bound.
    fn expected_emit(
        &self,
        namespace: &str,
        name: Option<&str>,
        messages: usize,
    ) -> Result<(), EmitError> {
        match name {
            None => Err(EmitError::MissingEventName),
            Some(name) if is_reserved(name) => Err(EmitError::ReservedEventName),
            Some(_) if self.conn.socket_id(namespace).is_none() => Err(EmitError::NotConnected),
            Some(_) if self.queued + messages > self.config.max_queued_messages => {
                Err(EmitError::QueueFull {
                    limit: self.config.max_queued_messages,
                })
            }
            Some(_) => Ok(()),
        }
    }

    fn payload(u: &mut Unstructured<'_>, event: bool) -> (Payload, Option<&'static str>) {
        let (first, name) = if event { event_name(u) } else { ("", None) };
        let arguments = args(u);
        let files = if byte(u) % 4 == 3 {
            attachments(u, 1, 3)
        } else {
            Vec::new()
        };
        let json = array(event.then_some(first), arguments, files.len());
        let payload =
            Payload::from_json(json.clone(), files).unwrap_or_else(|e| panic!("{json}: {e}"));
        (payload, name)
    }

    fn message(&mut self, message: Message) {
        self.conn.handle_message(self.now, message);
    }

    fn messages(&mut self, messages: impl IntoIterator<Item = Message>) {
        for message in messages {
            self.message(message);
        }
    }

    fn apply(&mut self, op: u8, operand: &[u8]) {
        if common::tracing() {
            eprintln!(
                "{} {:?} @{:?}",
                char::from(op),
                String::from_utf8_lossy(operand),
                self.now
            );
        }
        self.step += 1;
        let u = &mut Unstructured::new(operand);
        let now = self.now;
        match op {
            b't' => self.message(Message::text(text(operand))),
            b'b' => self.message(Message::Binary(Bytes::copy_from_slice(operand))),
            b'c' => {
                let ns = namespace(u);
                let auth = pick(
                    u,
                    &[
                        "",
                        "{\"token\":\"123\"}",
                        "{}",
                        "\"str\"",
                        "[1]",
                        "{",
                        "null",
                    ],
                );
                self.message(Message::text(format!("0{}{auth}", ns_prefix(ns))));
            }
            b'e' | b'E' => {
                let ns = namespace(u);
                let (first, _) = event_name(u);
                let arguments = args(u);
                let ack = match byte(u) % 3 {
                    0 => String::new(),
                    1 => format!("{}", byte(u)),
                    _ => format!("{}", u64::from(word(u)) << 40),
                };
                if op == b'e' {
                    let json = array(Some(first), arguments, 0);
                    self.message(Message::text(format!("2{}{ack}{json}", ns_prefix(ns))));
                } else {
                    self.binary_packet(u, b'5', ns, Some(first), arguments, &ack);
                }
            }
            b'k' | b'K' => {
                let ns = namespace(u);
                let known: Vec<u64> = self
                    .live_socket(ns)
                    .map(|id| self.sockets[id].awaited.keys().copied().collect())
                    .unwrap_or_default();
                let id = ack_id(u, &known);
                let arguments = args(u);
                if op == b'k' {
                    let json = array(None, arguments, 0);
                    self.message(Message::text(format!("3{}{id}{json}", ns_prefix(ns))));
                } else {
                    self.binary_packet(u, b'6', ns, None, arguments, &id.to_string());
                }
            }
            b'd' => {
                let ns = namespace(u);
                self.message(Message::text(format!("1{}", ns_prefix(ns))));
            }
            b'x' => {
                let ns = namespace(u);
                self.message(Message::text(format!(
                    "4{}{{\"message\":\"x\"}}",
                    ns_prefix(ns)
                )));
            }
            b'A' => {
                let ns = self.pick_namespace(u);
                let mut random = [0u8; SOCKET_ID_RANDOM_BYTES];
                u.fill_buffer(&mut random[..12]).unwrap_or(());
                random[12..].copy_from_slice(&self.accepts.to_be_bytes()[1..]);
                self.accepts += 1;
                let id = socket_id_from_random(&random);
                let pending = self.conn.is_pending(&ns);
                let result = self.conn.accept(now, &ns, id.clone());
                assert_eq!(result.is_ok(), pending, "accept {ns}: {result:?}");
                if result.is_ok() {
                    self.accepted_any = true;
                    let reply = format!("{{\"sid\":\"{id}\"}}");
                    self.expected_connected.push_back((ns.clone(), id));
                    self.answered(&ns);
                    self.expect_control(Sent::Connect(ns.clone(), reply));
                }
            }
            b'R' | b'I' => {
                let ns = self.pick_namespace(u);
                let pending = self.conn.is_pending(&ns);
                let result = if op == b'R' {
                    let message = pick(u, &["Not authorized", "", "q\"\\\n\u{1}é"]);
                    let data = match byte(u) % 3 {
                        0 => None,
                        1 => Some(RawJson::new("{\"retry\":[1,2]}").unwrap()),
                        _ => Some(RawJson::new("\"later\"").unwrap()),
                    };
                    self.conn.reject(now, &ns, message, data)
                } else {
                    self.conn.reject_invalid_namespace(now, &ns)
                };
                assert_eq!(result.is_ok(), pending, "reject {ns}: {result:?}");
                assert!(!self.conn.is_pending(&ns));
                if result.is_ok() {
                    self.answered(&ns);
                    self.expect_control(Sent::ConnectError(ns.clone()));
                } else {
                    assert_eq!(result, Err(NotPending));
                }
            }
            b'm' => {
                let ns = self.pick_namespace(u);
                let (payload, name) = Self::payload(u, true);
                let messages = 1 + payload.attachments().len();
                let expected = self.expected_emit(&ns, name, messages);
                let json = payload.json().to_string();
                let result = self.conn.emit(&ns, payload);
                assert_eq!(result, expected, "emit on {ns}");
                if result.is_ok() {
                    self.queue_app(messages, Sent::Event(ns.clone(), json, None));
                }
            }
            b'M' => {
                let ns = self.pick_namespace(u);
                let (payload, name) = Self::payload(u, true);
                let timeout = match byte(u) % 4 {
                    0 => None,
                    1 => Some(Duration::ZERO),
                    _ => Some(Duration::from_millis(u64::from(word(u)))),
                };
                let messages = 1 + payload.attachments().len();
                let pending_acks = self.conn.pending_ack_count(&ns);
                let ack_room = if pending_acks >= self.config.max_pending_acks {
                    Err(EmitError::TooManyPendingAcks {
                        limit: self.config.max_pending_acks,
                    })
                } else {
                    Ok(())
                };
                let expected = self.expected_emit(&ns, name, messages).and(ack_room);
                let socket = self.conn.socket_id(&ns).cloned();
                let json = payload.json().to_string();
                let result = self.conn.emit_with_ack(now, &ns, payload, timeout);
                assert_eq!(result.map(|_| ()), expected, "emit_with_ack on {ns}");
                if let (Ok(id), Some(socket)) = (result, socket) {
                    self.queue_app(messages, Sent::Event(ns.clone(), json, Some(id)));
                    // Its `Connected` may still be queued: the ack is then recorded when it is pulled.
                    let deadline = timeout.map(|timeout| now + timeout);
                    self.pre_awaited(&socket, &ns, id, deadline);
                }
            }
            b'a' => {
                let ns = self.pick_namespace(u);
                let owed: Vec<u64> = self
                    .live_socket(&ns)
                    .map(|id| self.sockets[id].owed.iter().copied().collect())
                    .unwrap_or_default();
                let id = ack_id(u, &owed);
                let (payload, _) = Self::payload(u, false);
                let messages = 1 + payload.attachments().len();
                let connected = self.conn.socket_id(&ns).is_some();
                let owed_here =
                    owed.contains(&id) && self.conn.socket_id(&ns) == self.live_socket(&ns);
                let room = self.queued + messages <= self.config.max_queued_messages;
                if connected && !owed_here && !self.drained {
                    // The id may be owed by an event not pulled yet: answering it now would leave
                    // the model unable to tell whether that event came before or after the answer.
                    return;
                }
                let result = self.conn.ack(&ns, id, payload.clone());
                if !connected {
                    assert_eq!(result, Err(AckError::NotConnected));
                } else if owed_here || self.drained {
                    let expected = if !owed_here {
                        Err(AckError::NotOwed)
                    } else if !room {
                        Err(AckError::QueueFull {
                            limit: self.config.max_queued_messages,
                        })
                    } else {
                        Ok(())
                    };
                    assert_eq!(result, expected, "ack {id} on {ns}");
                }
                if result.is_ok() {
                    let json = payload.json().to_string();
                    self.queue_app(messages, Sent::Ack(ns.clone(), id, json));
                    if let Some(socket) = self.live_socket(&ns).cloned() {
                        self.sockets.get_mut(&socket).unwrap().owed.remove(&id);
                    }
                    let again = self.conn.ack(&ns, id, payload);
                    assert_eq!(again, Err(AckError::NotOwed), "ack {id} answered twice");
                }
            }
            b'B' => {
                let ns = self.pick_namespace(u);
                let room = Room::new(pick(u, &ROOMS));
                let (payload, name) = Self::payload(u, true);
                if name.is_none_or(is_reserved) {
                    return;
                }
                let namespace = NamespaceName::new(ns.clone()).unwrap();
                let json = payload.json().to_string();
                let encoded = Packet::event(namespace, payload, None).encode();
                let messages = 1 + encoded.attachments.len();
                let recipients: Vec<SocketId> =
                    self.ns(&ns).rooms.sockets_in([&room]).cloned().collect();
                for recipient in recipients {
                    if self.conn.socket_id(&ns) != Some(&recipient) {
                        continue;
                    }
                    let room_left = self.queued + messages <= self.config.max_queued_messages;
                    let result = self.conn.send_encoded(&ns, &encoded);
                    if room_left {
                        assert_eq!(result, Ok(()));
                        self.queue_app(messages, Sent::Event(ns.clone(), json.clone(), None));
                    } else {
                        assert!(
                            matches!(result, Err(EmitError::QueueFull { .. })),
                            "{result:?}"
                        );
                    }
                }
            }
            b'J' | b'L' => {
                let ns = self.pick_namespace(u);
                let room = pick(u, &ROOMS);
                if let Some(socket) = self.live_socket(&ns).cloned() {
                    let rooms = &mut self.ns(&ns).rooms;
                    if op == b'J' {
                        rooms.add_all(&socket, [room]);
                        assert!(rooms.is_member(&socket, room));
                    } else {
                        rooms.del(&socket, room);
                        assert!(!rooms.is_member(&socket, room));
                        assert!(rooms.contains_socket(&socket));
                    }
                }
            }
            b'D' => {
                let ns = self.pick_namespace(u);
                let socket = self.conn.socket_id(&ns).cloned();
                let result = self.conn.disconnect(now, &ns);
                assert_eq!(
                    result.is_ok(),
                    socket.is_some(),
                    "disconnect {ns}: {result:?}"
                );
                match socket {
                    Some(socket) => {
                        self.expect_control(Sent::Disconnect(ns.clone()));
                        self.expected_reasons
                            .insert(socket, DisconnectReason::ServerNamespaceDisconnect);
                        assert_eq!(self.conn.socket_id(&ns), None);
                    }
                    None => assert_eq!(result, Err(NotConnected)),
                }
            }
            b'Z' => {
                if !self.conn.is_closed() {
                    let sockets: Vec<(String, SocketId)> = self
                        .conn
                        .sockets()
                        .map(|(ns, id)| (ns.as_str().into(), id.clone()))
                        .collect();
                    for (ns, socket) in sockets {
                        self.expect_control(Sent::Disconnect(ns));
                        self.expected_reasons
                            .insert(socket, DisconnectReason::ServerNamespaceDisconnect);
                    }
                    self.expected_closed = Some(DisconnectReason::ForcedServerClose);
                }
                self.conn.disconnect_all(now);
                assert!(self.conn.is_closed());
            }
            b'X' => {
                let reason = pick(u, &REASONS);
                self.close(reason);
            }
            b'q' => {
                let reason = pick(u, &ENGINE_REASONS);
                if !self.conn.is_closed() {
                    self.engine_closed_first = true;
                    self.expect_end(reason.into());
                }
                self.conn.handle_engine_closed(now, reason);
                assert!(self.conn.is_closed());
            }
            b'+' | b'>' => {
                if op == b'+' {
                    self.now = now + Duration::from_millis(u64::from(word(u)));
                } else if let Some(deadline) = self.conn.poll_timeout() {
                    self.now = now.max(deadline);
                }
                self.timeout();
            }
            b'~' => self.now = now + Duration::from_millis(u64::from(word(u))),
            b'p' => {
                let count = usize::from(byte(u) % 8) + 1;
                self.pull(count);
            }
            b'.' => self.drain(),
            other => {
                // Every other byte stands for one of the above, so no input is wasted.
                const OPS: &[u8] = b"tbceEkKdxARImMaBJLDZXq+~>p.";
                self.apply(OPS[usize::from(other) % OPS.len()], operand);
                return;
            }
        }
        self.check_bounds();
    }

    /// A binary packet (`kind` `5` or `6`) with its attachments, some of them left out now and then.
    fn binary_packet(
        &mut self,
        u: &mut Unstructured<'_>,
        kind: u8,
        ns: &str,
        first: Option<&str>,
        arguments: &[&str],
        id: &str,
    ) {
        let files = attachments(u, 1, 4);
        let announced = match byte(u) {
            250.. => files.len() + 1,
            240.. => files.len() - 1,
            _ => files.len(),
        };
        let json = array(first, arguments, files.len());
        let header = format!(
            "{}{announced}-{}{id}{json}",
            char::from(kind),
            ns_prefix(ns)
        );
        self.message(Message::text(header));
        let sent = if byte(u) >= 240 {
            files.len() / 2
        } else {
            files.len()
        };
        self.messages(files.into_iter().take(sent).map(Message::Binary));
    }

    /// A connection request on `ns` was answered.
    fn answered(&mut self, ns: &str) {
        let state = self.ns(ns);
        if state.pending {
            state.pending = false;
        } else {
            state.answered_early += 1;
        }
    }

    /// Records an ack id from `emit_with_ack` for `socket`, whose `Connected` may not be pulled yet.
    fn pre_awaited(&mut self, socket: &SocketId, ns: &str, id: u64, deadline: Option<Instant>) {
        let step = self.step;
        let state = self
            .sockets
            .entry(socket.clone())
            .or_insert_with(|| SocketState {
                namespace: ns.into(),
                connected: false,
                life: Life::Live,
                awaited: BTreeMap::new(),
                owed: BTreeSet::new(),
            });
        assert_ne!(state.life, Life::Gone);
        let fresh = state.awaited.insert(id, (deadline, step)).is_none();
        assert!(fresh, "emit_with_ack returned {id}, which is still awaited");
    }

    fn expect_end(&mut self, reason: DisconnectReason) {
        for (_, socket) in self.conn.sockets() {
            self.expected_reasons.insert(socket.clone(), reason);
        }
        self.expected_closed = Some(reason);
    }

    fn close(&mut self, reason: DisconnectReason) {
        if !self.conn.is_closed() {
            self.expect_end(reason);
        }
        self.conn.close(self.now, reason);
        assert!(self.conn.is_closed());
    }

    fn timeout(&mut self) {
        let closes =
            !self.conn.is_closed() && !self.accepted_any && self.connect_deadline <= self.now;
        let was_closed = self.conn.is_closed();
        if closes {
            self.expected_closed = Some(DisconnectReason::ForcedServerClose);
        }
        self.conn.handle_timeout(self.now);
        self.last_timeout = Some((self.now, self.step));
        assert_eq!(
            self.conn.is_closed(),
            was_closed || closes,
            "connect timeout"
        );
        if let Some(deadline) = self.conn.poll_timeout() {
            assert!(
                deadline > self.now,
                "a deadline left behind by handle_timeout"
            );
        }
    }
}

fn config(operand: &[u8]) -> (ServerConnectionConfig, bool) {
    let u = &mut Unstructured::new(operand);
    let flags = byte(u);
    let connect_timeout = match word(u) {
        0 => 45_000,
        ms => u64::from(ms) - 1,
    };
    let config = ServerConnectionConfig::default()
        .with_connect_timeout(Duration::from_millis(connect_timeout))
        .with_max_namespaces(small(u, 4, 5))
        .with_max_pending_acks(small(u, 4, 6))
        .with_max_owed_acks(small(u, 4, 6))
        .with_max_queued_messages(small(u, 16, 24))
        .with_decoder(DecoderConfig {
            max_attachments: small(u, 4, 5),
        });
    (config, flags & 1 == 1)
}

fuzz_target!(|data: &[u8]| {
    let mut steps = steps(data).peekable();
    let (config, manual_drain) = match steps.peek() {
        Some(&(b'#', operand)) => {
            steps.next();
            config(operand)
        }
        _ => config(&[]),
    };
    let mut harness = Harness::new(config);
    harness.drain();
    for (op, operand) in steps {
        harness.apply(op, operand);
        if !manual_drain {
            harness.drain();
        }
    }
    // However it got here, closing ends every socket and the connection exactly once.
    harness.close(DisconnectReason::ServerShuttingDown);
    harness.drain();
    assert_eq!(harness.closed_events, 1, "Closed exactly once");
    for (id, socket) in &harness.sockets {
        assert_eq!(socket.life, Life::Gone, "socket {id:?} never ended");
        assert!(socket.awaited.is_empty(), "acks never resolved");
    }
    for ns in harness.namespaces.values() {
        assert_eq!(ns.rooms.socket_count(), 0);
        assert_eq!(ns.rooms.room_count(), 0);
    }
    if harness.engine_closed_first {
        assert!(!harness.close_engine_seen);
    } else {
        assert!(
            harness.close_engine_seen,
            "the engine was never asked to close"
        );
    }
    // Nothing comes after Closed, whatever is fed in.
    let now = harness.now + Duration::from_secs(3600);
    let conn = &mut harness.conn;
    conn.handle_message(now, Message::text("0"));
    conn.handle_timeout(now);
    conn.disconnect_all(now);
    conn.close(now, DisconnectReason::ForcedClose);
    conn.handle_engine_closed(now, CloseReason::TransportClose);
    assert_eq!(conn.accept(now, "/", SocketId::new("x")), Err(NotPending));
    let args = Payload::from_json("[\"foo\"]", Vec::new()).unwrap();
    assert_eq!(conn.emit("/", args), Err(EmitError::NotConnected));
    assert_eq!(conn.poll_output(), None, "output after Closed");
    assert_eq!(conn.poll_timeout(), None);
});
