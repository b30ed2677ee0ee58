//! The Socket.IO client manager driven by a script of application commands (connect and disconnect
//! of a few namespaces with auth, emits: normal, with ack, with ack timeout, volatile; acks; close),
//! engine events (open, closed with each reason, calls for a session that is not current), messages
//! from the "server" (raw bytes, and well-formed packets built from structured choices: CONNECT
//! answers, CONNECT_ERROR, EVENT, ACK, DISCONNECT, binary ones) and time jumps.
//!
//! Invariants: no panic; every ack id resolves at most once, an `Ack` only for an event that went out
//! and the id the server answered, a timeout only after its deadline and never missed by
//! `handle_timeout`; `OpenEngine` only when there is no current engine, `Send` only on an open one,
//! every message sent decodes; emits buffered offline go out in order on connect, others
//! at once; the buffers and pending acks stay within the config; emits and acks
//! are refused exactly when the documented conditions hold; each reconnection delay is within the
//! configured min / max with jitter, attempts stay within the limit, and `poll_timeout` covers every
//! pending deadline and moves past `now` after `handle_timeout`; once no socket is active (closed by
//! the application, or the last one disconnected) the engine is closed and nothing reconnects until
//! the next `connect`; calls about a session that is not current change nothing.
//!
//! Input: a script (see `socketio_common.rs`). An optional first step `#` sets the config. Steps:
//! `c` connect, `d` disconnect, `e` emit, `a` ack, `X` close (application); `o` engine open, `q`
//! engine closed, `s` a call about a session that is not current (engine); `t` text / `b` binary
//! message (raw), `C` CONNECT answer, `F` CONNECT_ERROR, `E` EVENT, `B` BINARY_EVENT, `K` ACK, `Y`
//! BINARY_ACK, `D` DISCONNECT (server packets); `+` advance and handle_timeout, `~` advance only,
//! `>` jump to the deadline. Outputs are pulled after every input.
#![no_main]

#[path = "socketio_common.rs"]
mod common;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use arbitrary::Unstructured;
use bytes::Bytes;
use common::{
    NAMESPACES, ack_id, args, array, attachments, byte, event_name, is_reserved, namespace,
    ns_prefix, pick, small, steps, text, word,
};
use engineio_proto::client::{CloseReason, TransportFailure};
use engineio_proto::{DecodeError, Instant, Message};
use libfuzzer_sys::fuzz_target;
use socketio_proto::client::{
    AckError, EmitError, EmitOptions, EngineState, Event, InvalidAuth, Manager, ManagerConfig,
    Output,
};
use socketio_proto::packet::{Decoder, DecoderConfig, NamespaceName, PacketKind, Payload, RawJson};

/// Auth objects `connect` is given, and whether each is a JSON object.
const AUTHS: [(Option<&str>, bool); 7] = [
    (None, true),
    (Some("{\"token\":\"123\"}"), true),
    (Some("{}"), true),
    (Some(" {\"a\":[1]}"), true),
    (Some("\"str\""), false),
    (Some("[1]"), false),
    (Some("null"), false),
];

/// One of the engine's close reasons.
fn engine_reason(u: &mut Unstructured<'_>) -> CloseReason {
    let reasons = [
        CloseReason::ForcedClose,
        CloseReason::PingTimeout,
        CloseReason::TransportClose,
        CloseReason::TransportError(TransportFailure::HttpStatus(400)),
        CloseReason::TransportError(TransportFailure::Network),
        CloseReason::ParseError(DecodeError::Empty),
        CloseReason::NoTransports,
    ];
    let index = usize::from(byte(u)) % reasons.len();
    reasons.into_iter().nth(index).unwrap()
}

/// The engine session, as the runtime sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Engine {
    None,
    Opening,
    Open,
}

/// What one step's outputs showed.
#[derive(Debug, Default)]
struct Seen {
    outputs: usize,
    open_engine: bool,
    close_engine: bool,
    /// The attempt that started, and when its delay started.
    reconnect_attempt: Option<(u32, Instant)>,
    reconnect_error: bool,
}

struct Harness {
    manager: Manager,
    config: ManagerConfig,
    now: Instant,
    engine: Engine,
    /// When the current engine was asked for.
    opened_at: Instant,
    /// Namespaces with a socket (a `connect` succeeded once).
    created: BTreeSet<&'static str>,
    /// Ack ids from `emit`, unresolved, with their deadlines.
    awaited: BTreeMap<String, BTreeMap<u64, Option<Instant>>>,
    /// Those whose event went out.
    sent: BTreeMap<String, BTreeSet<u64>>,
    /// Ack ids the server asked for, unanswered; and whether the manager may have forgotten some.
    unanswered: BTreeMap<String, (BTreeSet<u64>, bool)>,
    /// Decodes what the client sends, as the server would.
    server_decoder: Decoder,
    /// No socket is active: nothing may open or reconnect until the next `connect`.
    stopped: bool,
    /// `ReconnectFailed` came: no attempt until the next `connect`.
    gave_up: bool,
    /// A reconnection delay runs since then.
    waiting_since: Option<Instant>,
    seen: Seen,
    /// The server's ACK of this step, if it sent one.
    server_ack: Option<(String, u64)>,
    /// The sid of this step's CONNECT answer, if it was a valid one.
    server_connect: Option<(String, String)>,
    /// The ACK the client must send in this step.
    client_ack: Option<(String, u64)>,
    server_ids: u64,
    /// Emits waiting for their socket to connect, in order: JSON and ack id.
    buffer: BTreeMap<String, VecDeque<(String, Option<u64>)>>,
    /// The events sent in this step, in order.
    sent_events: Vec<(String, String, Option<u64>)>,
}

impl Harness {
    fn new(config: ManagerConfig, seed: u64) -> Self {
        Harness {
            manager: Manager::new(config.clone(), seed),
            config,
            now: Instant::from_millis(1),
            engine: Engine::None,
            opened_at: Instant::ZERO,
            created: BTreeSet::new(),
            awaited: BTreeMap::new(),
            sent: BTreeMap::new(),
            unanswered: BTreeMap::new(),
            server_decoder: Decoder::new(DecoderConfig {
                max_attachments: 64,
            }),
            stopped: true,
            gave_up: false,
            waiting_since: None,
            seen: Seen::default(),
            server_ack: None,
            server_connect: None,
            client_ack: None,
            server_ids: 0,
            buffer: BTreeMap::new(),
            sent_events: Vec::new(),
        }
    }

    // ----- outputs -----

    fn drain(&mut self) {
        while let Some(output) = self.manager.poll_output() {
            if common::tracing() {
                eprintln!("    <- {output:?}");
            }
            self.seen.outputs += 1;
            self.on_output(output);
        }
    }

    fn on_output(&mut self, output: Output) {
        match output {
            Output::OpenEngine => {
                assert_eq!(
                    self.engine,
                    Engine::None,
                    "OpenEngine while an engine is current"
                );
                assert!(!self.stopped, "OpenEngine with no socket active");
                assert!(!self.gave_up, "OpenEngine after ReconnectFailed");
                self.engine = Engine::Opening;
                self.opened_at = self.now;
                self.seen.open_engine = true;
            }
            Output::CloseEngine => {
                assert_ne!(self.engine, Engine::None, "CloseEngine without an engine");
                self.engine = Engine::None;
                self.seen.close_engine = true;
            }
            Output::Send(message) => {
                assert_eq!(
                    self.engine,
                    Engine::Open,
                    "a message without an open engine"
                );
                let decoded = match message {
                    Message::Text(text) => self.server_decoder.decode_text(text),
                    Message::Binary(bytes) => self.server_decoder.decode_binary(bytes),
                };
                match decoded {
                    Ok(Some(packet)) => self.on_sent(packet.namespace, packet.kind),
                    Ok(None) => {}
                    Err(error) => panic!("the client sent a message that does not decode: {error}"),
                }
            }
            Output::Event(event) => self.on_event(event),
        }
    }

    fn on_sent(&mut self, namespace: NamespaceName, kind: PacketKind) {
        let ns = namespace.as_str();
        match kind {
            PacketKind::Connect(auth) => {
                assert!(self.manager.is_active(ns), "CONNECT for inactive {ns}");
                if let Some(auth) = auth {
                    assert!(auth.as_str().trim_start().starts_with('{'), "auth {auth:?}");
                }
            }
            PacketKind::Event { args, ack } => {
                let name = args.event_name().expect("an event without a name was sent");
                assert!(!is_reserved(&name), "a reserved event was sent: {name}");
                if let Some(id) = ack {
                    let awaited = self
                        .awaited
                        .get(ns)
                        .is_some_and(|acks| acks.contains_key(&id));
                    assert!(awaited, "an event sent with ack {id}, which is not awaited");
                    let first = self.sent.entry(ns.into()).or_default().insert(id);
                    assert!(first, "the event of ack {id} was sent twice");
                }
                self.sent_events
                    .push((ns.into(), args.json().as_str().into(), ack));
            }
            PacketKind::Ack { id, .. } => {
                assert_eq!(
                    self.client_ack.take(),
                    Some((ns.into(), id)),
                    "an unasked ACK"
                );
            }
            PacketKind::Disconnect => {}
            PacketKind::ConnectError(_) => panic!("the client sent CONNECT_ERROR"),
        }
    }

    fn resolve(&mut self, ns: &str, id: u64, what: &str) -> Option<Instant> {
        let deadline = self
            .awaited
            .get_mut(ns)
            .and_then(|acks| acks.remove(&id))
            .unwrap_or_else(|| panic!("{what} {id} on {ns} resolves nothing"));
        let was_sent = self.sent.get_mut(ns).is_some_and(|sent| sent.remove(&id));
        if what != "AckTimeout" {
            assert!(was_sent, "{what} {id} on {ns} for an event never sent");
        }
        deadline
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Connect { namespace, sid } => {
                let ns = namespace.as_str();
                assert!(self.manager.is_connected(ns), "Connect but not connected");
                assert_eq!(self.manager.socket_id(ns), Some(sid.as_str()));
                if let Some(expected) = self.server_connect.take() {
                    assert_eq!(expected, (ns.into(), sid), "Connect with another sid");
                }
                // The emits buffered while offline went out just before, in order.
                let flushed: VecDeque<(String, Option<u64>)> = self
                    .sent_events
                    .iter()
                    .filter(|(sent_ns, ..)| sent_ns == ns)
                    .map(|(_, json, ack)| (json.clone(), *ack))
                    .collect();
                let buffered = self.buffer.remove(ns).unwrap_or_default();
                assert_eq!(flushed, buffered, "the buffered emits of {ns}");
                self.sent_events.retain(|(sent_ns, ..)| sent_ns != ns);
            }
            Event::ConnectError { .. } | Event::ReconnectError(_) => {
                if let Event::ReconnectError(_) = event {
                    self.seen.reconnect_error = true;
                }
            }
            Event::Disconnect { namespace, reason } => {
                let ns = namespace.as_str();
                assert!(!self.manager.is_connected(ns), "Disconnect but connected");
                assert_eq!(
                    self.manager.is_active(ns),
                    reason.reconnects(),
                    "{ns} active after {reason}"
                );
            }
            Event::Event { namespace, ack, .. } => {
                let ns = namespace.as_str();
                assert!(
                    self.manager.is_connected(ns),
                    "an event for a socket not connected"
                );
                if let Some(id) = ack {
                    let limit = self.config.max_unanswered_acks;
                    let (set, evicted) = self.unanswered.entry(ns.into()).or_default();
                    set.insert(id);
                    *evicted |= set.len() > limit;
                }
            }
            Event::Ack { namespace, id, .. } => {
                let ns = namespace.as_str();
                self.resolve(ns, id, "Ack");
                if let Some(expected) = &self.server_ack {
                    assert_eq!(expected, &(ns.into(), id), "an Ack the server did not send");
                }
            }
            Event::AckTimeout { namespace, id } => {
                let ns = namespace.as_str();
                if let Some(buffer) = self.buffer.get_mut(ns) {
                    // Its event, if still buffered, is dropped.
                    buffer.retain(|&(_, ack)| ack != Some(id));
                }
                let deadline = self.resolve(ns, id, "AckTimeout");
                let deadline = deadline.expect("a timeout for an ack without one");
                assert!(
                    deadline <= self.now,
                    "ack {id} timed out before its deadline"
                );
            }
            Event::AckCancelled { namespace, id } => {
                self.resolve(namespace.as_str(), id, "AckCancelled");
            }
            Event::ReconnectAttempt(attempt) => {
                assert!(
                    self.config.reconnection,
                    "a reconnection with reconnection disabled"
                );
                assert!(!self.stopped, "a reconnection with no socket active");
                assert!(!self.gave_up, "a reconnection after ReconnectFailed");
                assert!(attempt >= 1);
                if let Some(limit) = self.config.reconnection_attempts {
                    assert!(attempt <= limit, "attempt {attempt} over the limit {limit}");
                }
                // A delay that started in this step (the attempt under way timed out, closing its
                // engine) started now; otherwise it is the one running since an earlier step.
                let since = if self.seen.close_engine {
                    self.now
                } else {
                    self.waiting_since.expect("a reconnection without a delay")
                };
                let elapsed = self.now.saturating_duration_since(since);
                let (low, _) = self.delay_bounds(attempt - 1);
                assert!(
                    elapsed >= low,
                    "attempt {attempt} after {elapsed:?}, before {low:?}"
                );
                self.seen.reconnect_attempt = Some((attempt, since));
            }
            Event::Reconnect(attempts) => assert!(attempts >= 1),
            Event::ReconnectFailed => {
                assert!(
                    self.config.reconnection_attempts.is_some(),
                    "gave up without a limit"
                );
                self.gave_up = true;
            }
        }
    }

    /// The delay before attempt `attempt` (from 0): at least `min * 2^n * (1 - jitter)` and at most
    /// `min * 2^n * (1 + jitter)`, both capped at `max`, to the millisecond.
    fn delay_bounds(&self, attempt: u32) -> (Duration, Duration) {
        let min = self.config.reconnection_delay.as_millis() as f64;
        let max = self.config.reconnection_delay_max.as_millis() as f64;
        if min == 0.0 {
            return (Duration::ZERO, Duration::from_millis(1));
        }
        let factor = self.config.randomization_factor;
        let jitter = if factor > 0.0 && factor <= 1.0 {
            factor
        } else {
            0.0
        };
        let base = min * 2f64.powi(attempt.min(4096) as i32);
        let low = (base * (1.0 - jitter)).min(max);
        let high = (base * (1.0 + jitter)).min(max);
        let low = Duration::from_millis((low.floor() as u64).saturating_sub(1));
        let high = Duration::from_millis((high.ceil() as u64).saturating_add(1));
        (low, high)
    }

    // ----- the model after each step -----

    fn check(&mut self, timed_out: bool, waiting_before: Option<Instant>) {
        let manager = &self.manager;
        let engine = match manager.engine_state() {
            EngineState::Closed => Engine::None,
            EngineState::Opening => Engine::Opening,
            EngineState::Open => Engine::Open,
        };
        assert_eq!(engine, self.engine, "engine state");
        assert!(
            self.client_ack.is_none(),
            "an ack was accepted but not sent"
        );
        for ns in NAMESPACES {
            assert!(manager.buffered_packets(ns) <= self.config.max_buffered_packets);
            assert!(manager.pending_acks(ns) <= self.config.max_pending_acks);
            let awaited = self.awaited.get(ns).map_or(0, BTreeMap::len);
            assert_eq!(manager.pending_acks(ns), awaited, "pending acks of {ns}");
            let buffered = self.buffer.get(ns).map_or(0, VecDeque::len);
            assert_eq!(
                manager.buffered_packets(ns),
                buffered,
                "buffered emits of {ns}"
            );
            if !manager.is_connected(ns) {
                self.unanswered.remove(ns);
                assert_eq!(manager.socket_id(ns), None);
            } else {
                assert!(manager.is_active(ns), "connected but not active");
                assert_eq!(
                    self.engine,
                    Engine::Open,
                    "connected without an open engine"
                );
            }
        }
        if !NAMESPACES.iter().any(|ns| manager.is_active(ns)) {
            assert_eq!(self.engine, Engine::None, "an engine with no socket active");
            assert!(
                !manager.is_reconnecting(),
                "reconnecting with no socket active"
            );
            self.stopped = true;
        }
        if self.gave_up {
            assert!(!manager.is_reconnecting());
        }
        // The reconnection delay: a new one starts when the loop starts or goes on.
        let waiting = manager.is_reconnecting() && self.engine == Engine::None;
        if !waiting {
            self.waiting_since = None;
        } else if waiting_before.is_none()
            || self.seen.reconnect_error
            || self.seen.reconnect_attempt.is_some()
        {
            self.waiting_since = Some(self.now);
        }
        // `poll_timeout` covers every pending deadline.
        let deadline = manager.poll_timeout();
        let acks = self
            .awaited
            .values()
            .flat_map(|acks| acks.values().flatten())
            .min();
        if let Some(&ack) = acks {
            assert!(
                deadline.is_some_and(|deadline| deadline <= ack),
                "ack deadline {ack:?}"
            );
        }
        if let (Engine::Opening, Some(timeout)) = (self.engine, self.config.timeout) {
            let limit = self.opened_at + timeout;
            assert!(
                deadline.is_some_and(|d| d <= limit),
                "connection attempt timeout"
            );
        }
        if let Some(since) = self.waiting_since {
            let limit = since + self.config.reconnection_delay_max + Duration::from_millis(1);
            assert!(
                deadline.is_some_and(|d| d <= limit),
                "reconnection delay over the max"
            );
        }
        if timed_out {
            if let Some(deadline) = deadline {
                assert!(
                    deadline > self.now,
                    "a deadline left behind by handle_timeout"
                );
            }
            for (ns, acks) in &self.awaited {
                for (id, deadline) in acks {
                    assert!(
                        deadline.is_none_or(|d| d > self.now),
                        "ack {id} on {ns} outlived its deadline"
                    );
                }
            }
            // A delay at its max is over.
            if let Some(since) = waiting_before {
                let max = self.config.reconnection_delay_max + Duration::from_millis(1);
                if self.now >= since + max {
                    assert!(
                        self.seen.reconnect_attempt.is_some(),
                        "the reconnection never came"
                    );
                }
            }
        }
    }

    // ----- steps -----

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

    /// Feeds the server's messages; a session that is not open must ignore them.
    fn server(&mut self, messages: impl IntoIterator<Item = Message>) {
        for message in messages {
            let open = self.engine == Engine::Open;
            let before = self.seen.outputs;
            self.manager.handle_message(self.now, message);
            self.drain();
            if !open {
                assert_eq!(
                    self.seen.outputs, before,
                    "a message of no open session did something"
                );
            }
        }
    }

    fn server_text(&mut self, text: String) {
        self.server([Message::text(text)]);
    }

    /// A binary packet (`kind` `5` or `6`) and its attachments, sometimes miscounted or cut short.
    fn server_binary(
        &mut self,
        u: &mut Unstructured<'_>,
        kind: u8,
        ns: &str,
        header: &str,
        first: Option<&str>,
        arguments: &[&str],
    ) {
        let files = attachments(u, 1, 4);
        let count = files.len();
        let json = array(first, arguments, count);
        let announced = match byte(u) {
            250.. => count + 1,
            240.. => count - 1,
            _ => count,
        };
        let text = format!(
            "{}{announced}-{}{header}{json}",
            char::from(kind),
            ns_prefix(ns)
        );
        let sent = if byte(u) >= 240 {
            files.len() / 2
        } else {
            files.len()
        };
        let messages: Vec<Message> = core::iter::once(Message::text(text))
            .chain(files.into_iter().take(sent).map(Message::Binary))
            .collect();
        self.server(messages);
    }

    fn step(&mut self, op: u8, operand: &[u8]) {
        if common::tracing() {
            eprintln!(
                "{} {:?} @{:?}",
                char::from(op),
                String::from_utf8_lossy(operand),
                self.now
            );
        }
        let u = &mut Unstructured::new(operand);
        self.seen = Seen::default();
        self.sent_events.clear();
        self.server_ack = None;
        self.server_connect = None;
        let waiting_before = self.waiting_since;
        let mut timed_out = false;
        let now = self.now;
        match op {
            b'c' => {
                let ns = namespace(u);
                let (auth, object) = pick(u, &AUTHS);
                let engine = self.engine;
                let reconnecting = self.manager.is_reconnecting();
                let auth = auth.map(|auth| RawJson::new(auth).unwrap());
                let result = self.manager.connect(now, NamespaceName::new(ns).unwrap(), auth);
                if object {
                    assert_eq!(result, Ok(()));
                    self.created.insert(ns);
                    self.stopped = false;
                    self.gave_up = false;
                } else {
                    assert_eq!(result, Err(InvalidAuth));
                }
                self.drain();
                if object {
                    assert!(self.manager.is_active(ns));
                    if engine == Engine::None && !reconnecting {
                        assert!(self.seen.open_engine, "connect did not open the engine");
                    }
                }
            }
            b'd' => {
                let ns = namespace(u);
                self.manager.disconnect(now, ns);
                self.drain();
                assert!(!self.manager.is_active(ns) && !self.manager.is_connected(ns));
            }
            b'e' => self.emit(u),
            b'a' => self.ack(u),
            b'X' => {
                self.manager.close(now);
                self.drain();
                assert!(NAMESPACES.iter().all(|ns| !self.manager.is_active(ns)));
            }
            b'o' => {
                if self.engine == Engine::Opening {
                    self.engine = Engine::Open;
                    self.manager.handle_engine_open(now);
                    self.drain();
                }
            }
            b'q' => {
                let reason = engine_reason(u);
                if self.engine != Engine::None {
                    self.engine = Engine::None;
                    let forced = reason == CloseReason::ForcedClose;
                    self.manager.handle_engine_closed(now, reason);
                    self.drain();
                    if forced {
                        assert!(NAMESPACES.iter().all(|ns| !self.manager.is_active(ns)));
                    }
                }
            }
            b's' => {
                let reconnecting = self.manager.is_reconnecting();
                let state = self.manager.engine_state();
                match self.engine {
                    Engine::None => match byte(u) % 3 {
                        0 => self.manager.handle_engine_open(now),
                        1 => self.manager.handle_engine_closed(now, engine_reason(u)),
                        _ => self
                            .manager
                            .handle_message(now, Message::text("2[\"foo\"]")),
                    },
                    Engine::Opening => self
                        .manager
                        .handle_message(now, Message::text("0{\"sid\":\"s\"}")),
                    Engine::Open => self.manager.handle_engine_open(now),
                }
                self.drain();
                assert_eq!(
                    self.seen.outputs, 0,
                    "a call about no current session did something"
                );
                assert_eq!(self.manager.is_reconnecting(), reconnecting);
                assert_eq!(self.manager.engine_state(), state);
            }
            b't' => self.server_text(text(operand)),
            b'b' => self.server([Message::Binary(Bytes::copy_from_slice(operand))]),
            b'C' => {
                let ns = namespace(u);
                self.server_ids += 1;
                let sid = format!("sid{}", self.server_ids);
                let data = match byte(u) % 6 {
                    0 | 1 => {
                        self.server_connect = Some((ns.into(), sid.clone()));
                        format!("{{\"sid\":\"{sid}\"}}")
                    }
                    2 => "{\"sid\":\"\"}".into(),
                    3 => "{}".into(),
                    4 => String::new(),
                    _ => "{\"sid\":5}".into(),
                };
                self.server_text(format!("0{}{data}", ns_prefix(ns)));
            }
            b'F' => {
                let ns = namespace(u);
                let data = pick(
                    u,
                    &[
                        "{\"message\":\"Not authorized\"}",
                        "{\"message\":\"x\",\"data\":{\"a\":1}}",
                        "\"Invalid namespace\"",
                        "42",
                        "{\"message\":null,\"data\":null}",
                        "{}",
                    ],
                );
                self.server_text(format!("4{}{data}", ns_prefix(ns)));
            }
            b'E' | b'B' => {
                let ns = namespace(u);
                let (first, _) = event_name(u);
                let arguments = args(u);
                let ack = match byte(u) % 3 {
                    0 => String::new(),
                    1 => {
                        self.server_ids += 1;
                        self.server_ids.to_string()
                    }
                    _ => ack_id(u, &[]).to_string(),
                };
                if op == b'E' {
                    self.server_text(format!(
                        "2{}{ack}{}",
                        ns_prefix(ns),
                        array(Some(first), arguments, 0)
                    ));
                } else {
                    self.server_binary(u, b'5', ns, &ack, Some(first), arguments);
                }
            }
            b'K' | b'Y' => {
                let ns = namespace(u);
                let known: Vec<u64> = self
                    .awaited
                    .get(ns)
                    .map(|acks| acks.keys().copied().collect())
                    .unwrap_or_default();
                let id = ack_id(u, &known);
                self.server_ack = Some((ns.into(), id));
                let arguments = args(u);
                if op == b'K' {
                    self.server_text(format!(
                        "3{}{id}{}",
                        ns_prefix(ns),
                        array(None, arguments, 0)
                    ));
                } else {
                    self.server_binary(u, b'6', ns, &id.to_string(), None, arguments);
                }
            }
            b'D' => {
                let ns = namespace(u);
                self.server_text(format!("1{}", ns_prefix(ns)));
            }
            b'+' | b'>' => {
                let mut exact = false;
                if op == b'+' {
                    self.now = now + Duration::from_millis(u64::from(word(u)));
                } else if let Some(deadline) = self.manager.poll_timeout() {
                    exact = deadline >= now;
                    self.now = now.max(deadline);
                }
                self.manager.handle_timeout(self.now);
                self.drain();
                timed_out = true;
                // Jumping exactly to the deadline: an attempt that starts now had its delay to the
                // millisecond.
                if let (true, Some((attempt, since))) = (exact, self.seen.reconnect_attempt) {
                    let (_, high) = self.delay_bounds(attempt - 1);
                    let elapsed = self.now.saturating_duration_since(since);
                    assert!(
                        elapsed <= high,
                        "attempt {attempt} after {elapsed:?}, past {high:?}"
                    );
                }
            }
            b'~' => self.now = now + Duration::from_millis(u64::from(word(u))),
            other => {
                // Every other byte stands for one of the above, so no input is wasted.
                const OPS: &[u8] = b"cdeaXoqstbCFEBKYD+~>";
                self.step(OPS[usize::from(other) % OPS.len()], operand);
                return;
            }
        }
        self.check(timed_out, waiting_before);
    }

    fn emit(&mut self, u: &mut Unstructured<'_>) {
        let ns = namespace(u);
        let (payload, name) = Self::payload(u, true);
        let kind = byte(u) % 6;
        let timeout = Duration::from_millis(u64::from(byte(u)) * 20);
        let options = EmitOptions {
            volatile: kind >= 3,
            with_ack: !kind.is_multiple_of(3),
            ack_timeout: (kind % 3 == 2).then_some(timeout),
        };
        let connected = self.manager.is_connected(ns);
        let buffered = self.manager.buffered_packets(ns);
        let pending = self.manager.pending_acks(ns);
        let expected = if !self.created.contains(ns) {
            Err(EmitError::UnknownNamespace)
        } else {
            match name {
                None => Err(EmitError::MissingEventName),
                Some(name) if is_reserved(name) => Err(EmitError::ReservedEventName),
                Some(_) if !connected && options.volatile => Ok(false),
                Some(_) if !connected && buffered >= self.config.max_buffered_packets => {
                    Err(EmitError::BufferFull)
                }
                Some(_) if options.with_ack && pending >= self.config.max_pending_acks => {
                    Err(EmitError::TooManyPendingAcks)
                }
                Some(_) => Ok(options.with_ack),
            }
        };
        let json = String::from(payload.json().as_str());
        let result = self.manager.emit(self.now, ns, payload, options);
        assert_eq!(
            result.map(|id| id.is_some()),
            expected,
            "emit on {ns} with {options:?}"
        );
        if let Ok(Some(id)) = result {
            let deadline = options
                .ack_timeout
                .or(self.config.ack_timeout)
                .map(|timeout| self.now + timeout);
            let fresh = self
                .awaited
                .entry(ns.into())
                .or_default()
                .insert(id, deadline)
                .is_none();
            assert!(fresh, "emit returned ack {id}, which is still awaited");
        }
        self.drain();
        if let (Ok(id), false, false) = (result, connected, options.volatile) {
            assert_eq!(
                self.manager.buffered_packets(ns),
                buffered + 1,
                "the emit was not buffered"
            );
            self.buffer
                .entry(ns.into())
                .or_default()
                .push_back((json, id));
        } else if let (Ok(id), true) = (result, connected) {
            let sent = core::mem::take(&mut self.sent_events);
            assert_eq!(
                sent,
                [(ns.into(), json, id)],
                "the emit did not go out as it was"
            );
        }
        if let (Ok(Some(id)), true) = (result, connected) {
            assert!(
                self.sent.get(ns).is_some_and(|sent| sent.contains(&id)),
                "the emit did not go out"
            );
        }
    }

    fn ack(&mut self, u: &mut Unstructured<'_>) {
        let ns = namespace(u);
        let (set, evicted) = self.unanswered.get(ns).cloned().unwrap_or_default();
        let known: Vec<u64> = set.iter().copied().collect();
        let id = ack_id(u, &known);
        let (payload, _) = Self::payload(u, false);
        let connected = self.manager.is_connected(ns);
        self.client_ack = Some((ns.into(), id));
        let result = self.manager.ack(ns, id, payload.clone());
        if result.is_err() {
            self.client_ack = None;
        }
        if !connected {
            assert_eq!(result, Err(AckError::NotConnected));
        } else if result.is_ok() {
            assert!(set.contains(&id), "ack {id} accepted but never asked for");
            self.unanswered.get_mut(ns).unwrap().0.remove(&id);
        } else {
            assert_eq!(result, Err(AckError::UnknownId));
            assert!(!set.contains(&id) || evicted, "ack {id} refused but owed");
        }
        self.drain();
        if result.is_ok() {
            assert_eq!(
                self.manager.ack(ns, id, payload),
                Err(AckError::UnknownId),
                "ack {id} twice"
            );
        }
    }
}

fn config(operand: &[u8]) -> (ManagerConfig, u64) {
    let u = &mut Unstructured::new(operand);
    let flags = byte(u);
    let reconnection_attempts = match byte(u) {
        0 => None,
        b => Some(u32::from(b - 1) % 6),
    };
    let reconnection_delay = match byte(u) {
        0 => 1000,
        254 => 0,
        b => u64::from(b) * 20,
    };
    let reconnection_delay_max = match byte(u) {
        0 => 5000,
        b => u64::from(b) * 40,
    };
    let randomization_factor = match byte(u) {
        0 => 0.5,
        1 => 0.0,
        2 => 1.0,
        3 => 1.5,
        4 => f64::NAN,
        5 => -0.5,
        b => f64::from(b) / 254.0,
    };
    let timeout = match byte(u) {
        0 => Some(20_000),
        1 => None,
        b => Some(u64::from(b) * 50),
    };
    let config = ManagerConfig {
        reconnection: flags & 1 == 0,
        reconnection_attempts,
        reconnection_delay: Duration::from_millis(reconnection_delay),
        reconnection_delay_max: Duration::from_millis(reconnection_delay_max),
        randomization_factor,
        timeout: timeout.map(Duration::from_millis),
        max_buffered_packets: small(u, 4, 6),
        max_pending_acks: small(u, 4, 6),
        max_unanswered_acks: small(u, 4, 5),
        ack_timeout: match byte(u) {
            0 => None,
            b => Some(Duration::from_millis(u64::from(b) * 30)),
        },
        decoder: DecoderConfig {
            max_attachments: small(u, 4, 5),
        },
        // The model speaks protocol v5 only (no implicit `/`).
        ..ManagerConfig::default()
    };
    let seed = u.arbitrary().unwrap_or(0);
    (config, seed)
}

fuzz_target!(|data: &[u8]| {
    let mut steps = steps(data).peekable();
    let (config, seed) = match steps.peek() {
        Some(&(b'#', operand)) => {
            steps.next();
            config(operand)
        }
        _ => config(&[]),
    };
    let mut harness = Harness::new(config, seed);
    harness.drain();
    assert_eq!(harness.seen.outputs, 0, "a new manager did something");
    for (op, operand) in steps {
        harness.step(op, operand);
    }
    // Closed by the application, it stays closed, however long time runs.
    harness.step(b'X', &[]);
    assert_eq!(harness.engine, Engine::None);
    assert!(harness.stopped);
    harness.step(b'+', &[0xfe, 0xfe]);
    for _ in 0..8 {
        harness.step(b'>', &[]);
    }
    harness.now = harness.now + Duration::from_secs(30 * 24 * 3600);
    harness.step(b'+', &[]);
    for (ns, acks) in &harness.awaited {
        for (id, deadline) in acks {
            assert!(
                deadline.is_none(),
                "ack {id} on {ns} with a deadline never resolved"
            );
        }
    }
    assert_eq!(harness.manager.poll_timeout(), None);
    assert_eq!(harness.engine, Engine::None);
});
