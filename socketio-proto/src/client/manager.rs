//! The manager: its state, the application's commands, and what it tells the runtime.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::format;
use alloc::string::String;

use engineio_proto::{Instant, ProtocolVersion};

use super::backoff::{Backoff, SplitMix64};
use super::config::{EmitOptions, ManagerConfig};
use super::output::{AckError, DisconnectReason, EmitError, Event, InvalidAuth, Output};
use super::socket::{BufferedEmit, Socket};
use crate::packet::{NamespaceName, Packet, Payload, RawJson, is_reserved_event};
use crate::parser::{FrameError, PacketFormat, WireCodec};
use crate::v4;

/// Where the engine session is, as far as the manager knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineState {
    /// No engine session: none was asked for, or the last one ended or was told to close.
    Closed,
    /// [`Output::OpenEngine`] went out; waiting for the engine to open.
    Opening,
    /// The engine session is open.
    Open,
}

/// Socket.IO v4: where the server's implicit connection of `/` stands on the current engine session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum MainNamespace {
    /// The engine opened; the server's `CONNECT` (or refusal) for `/` has not arrived.
    Pending,
    /// The server has `/` connected.
    Connected,
    /// The server refused `/`, or either side disconnected it: joining again takes a `CONNECT`.
    Gone,
}

/// The client side of one Engine.IO connection: its namespace sockets, their buffers and
/// acknowledgements, and reconnection. See the [module docs](super) for the runtime contract.
#[derive(Debug)]
pub struct Manager {
    pub(super) config: ManagerConfig,
    pub(super) rng: SplitMix64,
    pub(super) backoff: Backoff,
    pub(super) engine: EngineState,
    /// When the connection attempt under way is abandoned.
    pub(super) attempt_deadline: Option<Instant>,
    /// A reconnection loop is under way: waiting for its delay or for an attempt to open.
    pub(super) reconnecting: bool,
    /// The application ended the connection: losing the engine must not start a reconnection.
    pub(super) skip_reconnect: bool,
    /// When the next reconnection attempt starts.
    pub(super) reconnect_at: Option<Instant>,
    pub(super) sockets: BTreeMap<NamespaceName, Socket>,
    pub(super) codec: WireCodec,
    pub(super) outputs: VecDeque<Output>,
    /// The current engine session's id, once its handshake was reported (Socket.IO v4 ids derive
    /// from it).
    pub(super) engine_sid: Option<String>,
    /// Socket.IO v4: the implicit connection of `/` on the current engine session.
    pub(super) main_namespace: MainNamespace,
}

impl Manager {
    /// A manager with no socket and no engine. `seed` drives the reconnection jitter: the runtime
    /// draws it from its RNG.
    pub fn new(config: ManagerConfig, seed: u64) -> Self {
        let backoff = Backoff::new(
            config.reconnection_delay,
            config.reconnection_delay_max,
            config.randomization_factor,
        );
        Manager {
            codec: WireCodec::new(config.format, config.decoder),
            config,
            rng: SplitMix64::new(seed),
            backoff,
            engine: EngineState::Closed,
            attempt_deadline: None,
            reconnecting: false,
            skip_reconnect: false,
            reconnect_at: None,
            sockets: BTreeMap::new(),
            outputs: VecDeque::new(),
            engine_sid: None,
            main_namespace: MainNamespace::Pending,
        }
    }

    /// Activates the socket of `namespace` (creating it): it sends `CONNECT` with `auth` as soon as
    /// the engine is open, opening the engine if needed, and again after every reconnection. `auth`
    /// replaces what an earlier call gave. Nothing else happens if the socket is already connected.
    pub fn connect(
        &mut self,
        now: Instant,
        namespace: NamespaceName,
        auth: Option<RawJson>,
    ) -> Result<(), InvalidAuth> {
        if auth.as_ref().is_some_and(|auth| !is_object(auth)) {
            return Err(InvalidAuth);
        }
        let socket = self.sockets.entry(namespace.clone()).or_default();
        socket.auth = auth;
        if socket.connected {
            return Ok(());
        }
        socket.active = true;
        // A reconnection loop opens the engine when its delay is over.
        if !self.reconnecting {
            self.open_engine(now);
        }
        if self.engine == EngineState::Open {
            self.send_connect(&namespace);
        }
        Ok(())
    }

    /// Creates the socket of `namespace` without connecting it, as the reference client's
    /// `io.socket(nsp)` does with `autoConnect: false`: [`emit`](Self::emit)s on it wait in its
    /// buffer (bounded by [`ManagerConfig::max_buffered_packets`]) until [`connect`](Self::connect)
    /// is called and the server accepts it. Does nothing if the socket exists.
    pub fn add_socket(&mut self, namespace: NamespaceName) {
        self.sockets.entry(namespace).or_default();
    }

    /// Disconnects the socket of `namespace` ("io client disconnect"): `DISCONNECT` goes to the
    /// server if it was connected (or connecting), and the socket becomes inactive. When no socket
    /// is left active, the engine is closed, as the reference client does.
    pub fn disconnect(&mut self, _now: Instant, namespace: &str) {
        let engine_open = self.engine == EngineState::Open;
        let Some((namespace, socket)) = socket_entry(&mut self.sockets, namespace) else {
            return;
        };
        if engine_open && (socket.connected || socket.connecting) {
            send_control(
                &mut self.outputs,
                self.config.format,
                &Packet::disconnect(namespace.clone()),
            );
            if namespace.is_main() {
                self.main_namespace = MainNamespace::Gone;
            }
        }
        let was_connected = socket.connected;
        socket.active = false;
        socket.connecting = false;
        if was_connected {
            self.outputs.push_back(Output::Event(Event::Disconnect {
                namespace: namespace.clone(),
                reason: DisconnectReason::IoClientDisconnect,
            }));
            socket.lose_connection(&namespace, &mut self.outputs);
        }
        self.close_if_idle();
    }

    /// Sends an event (`args` from [`Payload::event`]) on the socket of `namespace`. Returns the ack
    /// id when [`EmitOptions::with_ack`] asked for one; it resolves exactly once, as
    /// [`Event::Ack`], [`Event::AckTimeout`] or [`Event::AckCancelled`].
    ///
    /// While the socket is not connected the event waits in its buffer (sent in order once it
    /// connects), except a volatile one, which is dropped: `Ok(None)`, no ack will come.
    pub fn emit(
        &mut self,
        now: Instant,
        namespace: &str,
        args: Payload,
        options: EmitOptions,
    ) -> Result<Option<u64>, EmitError> {
        let Some((namespace, socket)) = socket_entry(&mut self.sockets, namespace) else {
            return Err(EmitError::UnknownNamespace);
        };
        let name = args.event_name().ok_or(EmitError::MissingEventName)?;
        if is_reserved_event(&name) {
            return Err(EmitError::ReservedEventName);
        }
        if !socket.connected {
            if options.volatile {
                return Ok(None);
            }
            if socket.send_buffer.len() >= self.config.max_buffered_packets {
                return Err(EmitError::BufferFull);
            }
        }
        let ack = if options.with_ack {
            let timeout = options.ack_timeout.or(self.config.ack_timeout);
            Some(socket.register_ack(now, timeout, self.config.max_pending_acks)?)
        } else {
            None
        };
        let packet = match self
            .config
            .format
            .frame_packet(&Packet::event(namespace, args, ack))
        {
            Ok(packet) => packet,
            Err(_) => {
                if let Some(id) = ack {
                    socket.resolve_ack(id);
                }
                return Err(EmitError::Unencodable);
            }
        };
        if socket.connected {
            if let Some(id) = ack {
                socket.mark_sent(id);
            }
            self.outputs.extend(packet.messages().map(Output::Send));
        } else {
            socket.send_buffer.push_back(BufferedEmit { packet, ack });
        }
        Ok(ack)
    }

    /// Answers the server's event that carried ack `id`, at most once.
    pub fn ack(&mut self, namespace: &str, id: u64, args: Payload) -> Result<(), AckError> {
        let Some((namespace, socket)) =
            socket_entry(&mut self.sockets, namespace).filter(|(_, socket)| socket.connected)
        else {
            return Err(AckError::NotConnected);
        };
        if !socket.is_unanswered(id) {
            return Err(AckError::UnknownId);
        }
        let format = self.config.format;
        send_packet(&mut self.outputs, format, &Packet::ack(namespace, id, args))
            .map_err(|_| AckError::Unencodable)?;
        socket.take_unanswered(id);
        Ok(())
    }

    /// Disconnects every socket ("io client disconnect") and closes the engine; no reconnection
    /// follows. [`connect`](Self::connect) starts over.
    pub fn close(&mut self, _now: Instant) {
        let engine_open = self.engine == EngineState::Open;
        for (namespace, socket) in &mut self.sockets {
            if engine_open && socket.connected {
                send_control(
                    &mut self.outputs,
                    self.config.format,
                    &Packet::disconnect(namespace.clone()),
                );
            }
            socket.active = false;
        }
        self.close_for_good();
    }

    /// The next output, until `None`.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next: the reconnection delay,
    /// the connection attempt's timeout, or the earliest ack timeout.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let attempt = match self.engine {
            EngineState::Opening => self.attempt_deadline,
            _ => None,
        };
        let acks = self
            .sockets
            .values()
            .filter_map(Socket::next_deadline)
            .min();
        [self.reconnect_at, attempt, acks]
            .into_iter()
            .flatten()
            .min()
    }

    /// Whether the socket of `namespace` (re)connects when the engine opens: set by
    /// [`connect`](Self::connect), kept through connection losses that reconnect, cleared by a client
    /// or server disconnect and by a server rejection.
    pub fn is_active(&self, namespace: &str) -> bool {
        self.sockets
            .get(namespace)
            .is_some_and(|socket| socket.active)
    }

    /// Whether the server accepted the socket of `namespace` on the current engine session.
    pub fn is_connected(&self, namespace: &str) -> bool {
        self.sockets
            .get(namespace)
            .is_some_and(|socket| socket.connected)
    }

    /// The socket id the server gave the socket of `namespace`, while it is connected.
    pub fn socket_id(&self, namespace: &str) -> Option<&str> {
        self.sockets.get(namespace)?.sid.as_deref()
    }

    /// Emits waiting for the socket of `namespace` to connect.
    pub fn buffered_packets(&self, namespace: &str) -> usize {
        self.sockets
            .get(namespace)
            .map_or(0, |socket| socket.send_buffer.len())
    }

    /// Acknowledgements the socket of `namespace` waits for.
    pub fn pending_acks(&self, namespace: &str) -> usize {
        self.sockets.get(namespace).map_or(0, Socket::pending_acks)
    }

    /// The engine session's state.
    pub fn engine_state(&self) -> EngineState {
        self.engine
    }

    /// Whether a reconnection loop is under way.
    pub fn is_reconnecting(&self) -> bool {
        self.reconnecting
    }

    /// The settings.
    pub fn config(&self) -> &ManagerConfig {
        &self.config
    }

    /// Whether the engine sessions speak Socket.IO v4 (Engine.IO revision 3).
    pub(super) fn is_v4(&self) -> bool {
        self.config.protocol == ProtocolVersion::V3
    }

    /// The socket id of a Socket.IO v4 connection on `namespace`.
    pub(super) fn v4_socket_id(&self, namespace: &str) -> String {
        v4::socket_id(namespace, self.engine_sid.as_deref().unwrap_or_default())
    }

    /// Sends `CONNECT` for an active socket that has not sent it on this engine session. In
    /// Socket.IO v4, `/` sends none while the server's implicit connection is to come or is there.
    pub(super) fn send_connect(&mut self, namespace: &str) {
        let v4 = self.is_v4();
        let main = self.main_namespace;
        let sid = v4.then(|| self.v4_socket_id(namespace));
        let Some((namespace, socket)) = socket_entry(&mut self.sockets, namespace) else {
            return;
        };
        if !socket.active || socket.connected || socket.connecting {
            return;
        }
        socket.connecting = true;
        let Some(sid) = sid else {
            let packet = Packet::connect(namespace, socket.auth.clone());
            return send_control(&mut self.outputs, self.config.format, &packet);
        };
        if namespace.is_main() {
            match main {
                MainNamespace::Pending => return,
                MainNamespace::Connected => {
                    return socket.on_connected(&namespace, sid, &self.config, &mut self.outputs);
                }
                MainNamespace::Gone => self.main_namespace = MainNamespace::Pending,
            }
        }
        let packet = Packet::connect(with_query(&namespace, socket.auth.as_ref()), None);
        send_control(&mut self.outputs, self.config.format, &packet);
    }

    /// Closes the engine once no socket is active (the reference manager's `_destroy`).
    pub(super) fn close_if_idle(&mut self) {
        if !self.sockets.values().any(|socket| socket.active) {
            self.close_for_good();
        }
    }

    /// Ends the connection without reconnecting (the reference manager's `_close`): a socket still
    /// connected hears "io client disconnect".
    pub(super) fn close_for_good(&mut self) {
        self.skip_reconnect = true;
        self.reconnecting = false;
        self.reconnect_at = None;
        for (namespace, socket) in &mut self.sockets {
            if socket.connected {
                self.outputs.push_back(Output::Event(Event::Disconnect {
                    namespace: namespace.clone(),
                    reason: DisconnectReason::IoClientDisconnect,
                }));
            }
            socket.lose_connection(namespace, &mut self.outputs);
        }
        if self.engine != EngineState::Closed {
            self.outputs.push_back(Output::CloseEngine);
        }
        self.forget_engine();
        self.backoff.reset();
    }

    /// Drops what belonged to the engine session that just ended.
    pub(super) fn forget_engine(&mut self) {
        self.engine = EngineState::Closed;
        self.attempt_deadline = None;
        self.codec.reset();
        self.engine_sid = None;
    }
}

/// The map's own key (a cheap clone) with the socket, found by name.
pub(super) fn socket_entry<'a>(
    sockets: &'a mut BTreeMap<NamespaceName, Socket>,
    namespace: &str,
) -> Option<(NamespaceName, &'a mut Socket)> {
    let (key, _) = sockets.get_key_value(namespace)?;
    let key = key.clone();
    let socket = sockets.get_mut(namespace)?;
    Some((key, socket))
}

/// Queues the messages of one packet.
fn send_packet(
    outputs: &mut VecDeque<Output>,
    format: PacketFormat,
    packet: &Packet,
) -> Result<(), FrameError> {
    if format.is_json() {
        outputs.extend(packet.encode().messages().map(Output::Send));
    } else {
        outputs.extend(format.frame_packet(packet)?.messages().map(Output::Send));
    }
    Ok(())
}

/// Queues a packet of the manager's own (`CONNECT` with the auth it accepted, `DISCONNECT`), which
/// every format writes.
pub(super) fn send_control(outputs: &mut VecDeque<Output>, format: PacketFormat, packet: &Packet) {
    let _always_written = send_packet(outputs, format, packet);
}

/// Socket.IO v4: `namespace` with `auth` as its query (`/admin?token=abc`), or as it is without auth.
fn with_query(namespace: &NamespaceName, auth: Option<&RawJson>) -> NamespaceName {
    let query = auth.map(v4::query_from_auth).unwrap_or_default();
    if query.is_empty() {
        return namespace.clone();
    }
    // The query is escaped: it has no `,`, so the name stays valid.
    NamespaceName::new(format!("{namespace}?{query}")).unwrap_or_else(|_| namespace.clone())
}

/// Whether already valid JSON is an object (the only `CONNECT` payload a server accepts).
fn is_object(json: &RawJson) -> bool {
    json.as_str().trim_start().starts_with('{')
}
