//! `ServerConnection`: the Socket.IO state of one Engine.IO session, multiplexing namespace sockets.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use engineio_proto::server::CloseReason;
use engineio_proto::{Instant, Message, ProtocolVersion};

use super::config::ServerConnectionConfig;
use super::error::{AckError, EmitError, NotConnected, NotPending};
use super::event::{Event, Output};
use super::id::{SOCKET_ID_RANDOM_BYTES, socket_id_from_random};
use super::json;
use super::reason::DisconnectReason;
use super::socket::{ConnectedSocket, Slot, SlotState};
use crate::adapter::SocketId;
use crate::packet::is_reserved_event;
use crate::packet::{Encoded, NamespaceName, Packet, PacketKind, Payload, RawJson};
use crate::parser::{FrameError, WireCodec};
use crate::v4;

/// The message the reference sends when a namespace does not exist.
const INVALID_NAMESPACE: &str = "Invalid namespace";

/// The server side of one Socket.IO connection: the namespace sockets multiplexed over one Engine.IO
/// session, their connection handshakes, events and acks in both directions, and their ends.
///
/// Feed it what the engine session emits ([`handle_message`](Self::handle_message),
/// [`handle_engine_closed`](Self::handle_engine_closed)) and the application's commands, then drain
/// [`poll_output`](Self::poll_output) and wake at [`poll_timeout`](Self::poll_timeout) to call
/// [`handle_timeout`](Self::handle_timeout). See the [module documentation](super) for the contract
/// with the runtime.
///
/// Guarantees, whatever the input: no panic; each id from [`emit_with_ack`](Self::emit_with_ack)
/// resolves exactly once (`Ack`, `AckTimeout` or `AckCancelled`); each `Connected` socket ends with
/// one `Disconnecting` then one `Disconnected`, after which no event names it; `Closed` comes last,
/// once; every table is bounded by the [config](ServerConnectionConfig).
///
/// Over an Engine.IO revision 3 session ([`new_eio3`](Self::new_eio3)) it speaks Socket.IO protocol
/// v4 instead (see [`v4`](crate::v4)); events, acks, binary attachments and disconnections are the same.
#[derive(Debug)]
pub struct ServerConnection {
    config: ServerConnectionConfig,
    /// Engine.IO revision 3 (Socket.IO v4): the engine session id the socket ids derive from.
    eio3_sid: Option<String>,
    codec: WireCodec,
    /// Pending and connected namespaces, in the order their `CONNECT` arrived.
    slots: Vec<Slot>,
    connect_deadline: Option<Instant>,
    closed: bool,
    outputs: VecDeque<Output>,
    /// `Output::Send`s in `outputs`.
    queued_messages: usize,
}

impl ServerConnection {
    /// A connection whose Engine.IO session just opened. If no namespace is connected by
    /// `now + connect_timeout`, it closes (reason [`ForcedServerClose`](DisconnectReason::ForcedServerClose)).
    pub fn new(now: Instant, config: ServerConnectionConfig) -> Self {
        ServerConnection {
            config,
            eio3_sid: None,
            codec: WireCodec::new(config.format, config.decoder),
            slots: Vec::new(),
            connect_deadline: Some(now + config.connect_timeout),
            closed: false,
            outputs: VecDeque::new(),
            queued_messages: 0,
        }
    }

    /// A connection speaking Socket.IO protocol v4, for an Engine.IO revision 3 session `engine_sid`
    /// (a `socket.io-client` 1 or 2) that just opened.
    ///
    /// The client is joined to `/` without asking, as the reference does: [`Event::ConnectRequest`]
    /// for `/` (with no auth; the handshake request's query is the client's) comes first. Socket ids
    /// must then come from [`new_socket_id`](Self::new_socket_id); `CONNECT` answers carry no sid, a
    /// namespace's auth is its query, and refusals a plain string (see [`v4`](crate::v4)).
    pub fn new_eio3(now: Instant, config: ServerConnectionConfig, engine_sid: &str) -> Self {
        let mut connection = ServerConnection::new(now, config);
        connection.eio3_sid = Some(String::from(engine_sid));
        connection.on_connect_request(NamespaceName::main(), None);
        connection
    }

    /// The Engine.IO revision this connection's session speaks: 3 for Socket.IO v4, 4 for v5.
    pub fn protocol_version(&self) -> ProtocolVersion {
        match self.eio3_sid {
            Some(_) => ProtocolVersion::V3,
            None => ProtocolVersion::V4,
        }
    }

    /// The id to [`accept`](Self::accept) a socket on `namespace` with: drawn from `random` (CSPRNG
    /// bytes, see [`socket_id_from_random`](super::socket_id_from_random)) in v5; in v4 the one the
    /// reference gives, derived from the engine session id ([`v4::socket_id`]), `random` unused.
    pub fn new_socket_id(
        &self,
        namespace: &str,
        random: &[u8; SOCKET_ID_RANDOM_BYTES],
    ) -> SocketId {
        match &self.eio3_sid {
            Some(engine_sid) => SocketId::from(v4::socket_id(namespace, engine_sid)),
            None => socket_id_from_random(random),
        }
    }

    /// The settings.
    pub fn config(&self) -> &ServerConnectionConfig {
        &self.config
    }

    /// Whether the connection is over ([`Event::Closed`] was queued).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The id of the socket connected on `namespace`.
    pub fn socket_id(&self, namespace: &str) -> Option<&SocketId> {
        self.slot(namespace)
            .and_then(Slot::connected)
            .map(|socket| &socket.id)
    }

    /// Whether a connection request on `namespace` waits for the application's answer.
    pub fn is_pending(&self, namespace: &str) -> bool {
        self.slot(namespace)
            .is_some_and(|slot| matches!(slot.state, SlotState::Pending))
    }

    /// The connected sockets, in the order their `CONNECT` arrived.
    pub fn sockets(&self) -> impl Iterator<Item = (&NamespaceName, &SocketId)> + '_ {
        self.slots
            .iter()
            .filter_map(|slot| Some((&slot.namespace, &slot.connected()?.id)))
    }

    /// How many acks the socket on `namespace` awaits from the client (0 if none is connected).
    pub fn pending_ack_count(&self, namespace: &str) -> usize {
        self.connected(namespace)
            .map_or(0, |socket| socket.awaited.len())
    }

    /// How many acks the application owes the client on `namespace` (0 if none is connected).
    pub fn owed_ack_count(&self, namespace: &str) -> usize {
        self.connected(namespace)
            .map_or(0, |socket| socket.owed.len())
    }

    // ----- inputs -----

    /// A message from the Engine.IO session. Text and binary messages go through one decoder: a
    /// binary packet is complete after its last attachment. A malformed packet, or an event with a
    /// [reserved name](super::RESERVED_EVENTS), closes the connection with
    /// [`ParseError`](DisconnectReason::ParseError), as the reference parser throws on both.
    pub fn handle_message(&mut self, now: Instant, message: Message) {
        if self.closed {
            return;
        }
        match self.codec.decode(message) {
            Ok(Some(packet)) => self.handle_packet(now, packet),
            Ok(None) => {}
            Err(_) => self.shut_down(DisconnectReason::ParseError, true),
        }
    }

    /// The Engine.IO session closed: every socket disconnects with the matching reason. Ignored once
    /// the connection is closed (for instance after this connection asked the engine to close).
    pub fn handle_engine_closed(&mut self, _now: Instant, reason: CloseReason) {
        self.shut_down(reason.into(), false);
    }

    /// Processes the deadlines at or before `now`: the connect timeout, then ack timeouts.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        if self
            .connect_deadline
            .is_some_and(|deadline| deadline <= now)
        {
            self.connect_deadline = None;
            if self.sockets().next().is_none() {
                self.shut_down(DisconnectReason::ForcedServerClose, true);
                return;
            }
        }
        for Slot { namespace, state } in &mut self.slots {
            let SlotState::Connected(socket) = state else {
                continue;
            };
            while let Some(id) = socket.awaited.pop_expired(now) {
                self.outputs.push_back(Output::Event(Event::AckTimeout {
                    namespace: namespace.clone(),
                    socket: socket.id.clone(),
                    id,
                }));
            }
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        self.slots
            .iter()
            .filter_map(Slot::next_deadline)
            .chain(self.connect_deadline)
            .min()
    }

    /// The next thing to do, until `None`.
    pub fn poll_output(&mut self) -> Option<Output> {
        let Some(output) = self.outputs.pop_front() else {
            // Drained: an idle connection keeps no queue (outputs are large, and most
            // connections are idle most of the time).
            self.outputs = VecDeque::new();
            return None;
        };
        if let Output::Send(_) = output {
            self.queued_messages = self.queued_messages.saturating_sub(1);
        }
        Some(output)
    }

    // ----- namespace handshake -----

    /// Accepts the pending request on `namespace` as socket `id` (see
    /// [`new_socket_id`](Self::new_socket_id)): sends `CONNECT {"sid":id}` (v4: a bare `CONNECT`) and
    /// queues [`Event::Connected`]. The connect timeout no longer applies.
    pub fn accept(
        &mut self,
        now: Instant,
        namespace: &str,
        id: SocketId,
    ) -> Result<(), NotPending> {
        self.accept_with_pid(now, namespace, id, None)
    }

    /// As [`accept`](Self::accept), with connection state recovery's private session id: the
    /// reply is `CONNECT {"sid":id,"pid":pid}` (v4 has no recovery: a bare `CONNECT`).
    pub fn accept_with_pid(
        &mut self,
        _now: Instant,
        namespace: &str,
        id: SocketId,
        pid: Option<&str>,
    ) -> Result<(), NotPending> {
        let slot = self
            .slots
            .iter_mut()
            .find(|slot| slot.namespace == namespace && matches!(slot.state, SlotState::Pending))
            .ok_or(NotPending)?;
        slot.state = SlotState::Connected(ConnectedSocket::new(id.clone()));
        let namespace = slot.namespace.clone();
        self.connect_deadline = None;
        let reply = match self.eio3_sid {
            Some(_) => None,
            None => Some(json::connect_reply(&id, pid)),
        };
        self.push_control(&Packet::connect(namespace.clone(), reply));
        self.push_event(Event::Connected {
            namespace,
            socket: id,
        });
        Ok(())
    }

    /// Refuses the pending request on `namespace` (a middleware error): sends
    /// `CONNECT_ERROR {"message":..,"data":..}` (`data` left out when `None`; v4: the data, or the
    /// message as a string, [`v4::error_payload`]). The client may ask again.
    pub fn reject(
        &mut self,
        _now: Instant,
        namespace: &str,
        message: &str,
        data: Option<RawJson>,
    ) -> Result<(), NotPending> {
        let index = self
            .slots
            .iter()
            .position(|slot| {
                slot.namespace == namespace && matches!(slot.state, SlotState::Pending)
            })
            .ok_or(NotPending)?;
        let slot = self.slots.remove(index);
        let body = match self.eio3_sid {
            Some(_) => v4::error_payload(message, data.as_ref()),
            None => json::connect_error(message, data.as_ref()),
        };
        let refusal = Packet::connect_error(slot.namespace.clone(), body);
        if self.push_packet(&refusal).is_err() {
            // The application's data has no form in this format: the refusal goes without it.
            let plain = match self.eio3_sid {
                Some(_) => v4::error_payload(message, None),
                None => json::connect_error(message, None),
            };
            self.push_control(&Packet::connect_error(slot.namespace, plain));
        }
        Ok(())
    }

    /// Refuses the pending request on `namespace` because no such namespace exists:
    /// `CONNECT_ERROR {"message":"Invalid namespace"}` (v4: `"Invalid namespace"`).
    pub fn reject_invalid_namespace(
        &mut self,
        now: Instant,
        namespace: &str,
    ) -> Result<(), NotPending> {
        self.reject(now, namespace, INVALID_NAMESPACE, None)
    }

    // ----- events and acks -----

    /// Emits an event (`args` from [`Payload::event`]) to the socket on `namespace`.
    pub fn emit(&mut self, namespace: &str, args: Payload) -> Result<(), EmitError> {
        let index = self.check_emit(namespace, &args)?;
        let packet = Packet::event(self.slots[index].namespace.clone(), args, None);
        self.push_packet(&packet)
            .map_err(|_| EmitError::Unencodable)
    }

    /// Emits an event and waits for the client's acknowledgement: returns its id, which resolves
    /// exactly once as [`Event::Ack`], [`Event::AckTimeout`] (after `timeout`, if given) or
    /// [`Event::AckCancelled`] (the socket disconnected first).
    pub fn emit_with_ack(
        &mut self,
        now: Instant,
        namespace: &str,
        args: Payload,
        timeout: Option<Duration>,
    ) -> Result<u64, EmitError> {
        let index = self.check_emit(namespace, &args)?;
        let limit = self.config.max_pending_acks;
        let slot = &mut self.slots[index];
        let Some(socket) = slot.connected_mut() else {
            return Err(EmitError::NotConnected);
        };
        if socket.awaited.len() >= limit {
            return Err(EmitError::TooManyPendingAcks { limit });
        }
        let id = socket
            .awaited
            .register(timeout.map(|timeout| now + timeout));
        let packet = Packet::event(slot.namespace.clone(), args, Some(id));
        if self.push_packet(&packet).is_err() {
            if let Some(socket) = self.slots[index].connected_mut() {
                socket.awaited.resolve(id);
            }
            return Err(EmitError::Unencodable);
        }
        Ok(id)
    }

    /// Answers the client's event `id` (from [`Event::Event`]`::ack`) with `args` (from
    /// [`Payload::new`]). Each id can be answered once.
    pub fn ack(&mut self, namespace: &str, id: u64, args: Payload) -> Result<(), AckError> {
        let index = self
            .connected_index(namespace)
            .ok_or(AckError::NotConnected)?;
        let limit = self.config.max_queued_messages;
        let room = self.has_room_for(1 + args.attachments().len());
        let slot = &mut self.slots[index];
        let Some(socket) = slot.connected_mut() else {
            return Err(AckError::NotConnected);
        };
        if !socket.owed.is_owed(id) {
            return Err(AckError::NotOwed);
        }
        if !room {
            return Err(AckError::QueueFull { limit });
        }
        let packet = Packet::ack(slot.namespace.clone(), id, args);
        self.push_packet(&packet)
            .map_err(|_| AckError::Unencodable)?;
        if let Some(socket) = self.slots[index].connected_mut() {
            socket.owed.settle(id);
        }
        Ok(())
    }

    /// Sends a packet encoded once for many recipients (a broadcast) to the socket on `namespace`:
    /// its messages are shared, not re-encoded. The packet should belong to `namespace` and carry no
    /// ack id (this connection would not recognise the answer).
    pub fn send_encoded(&mut self, namespace: &str, encoded: &Encoded) -> Result<(), EmitError> {
        self.connected_index(namespace)
            .ok_or(EmitError::NotConnected)?;
        if !self.has_room_for(1 + encoded.attachments.len()) {
            return Err(EmitError::QueueFull {
                limit: self.config.max_queued_messages,
            });
        }
        self.push_encoded(encoded)
            .map_err(|_| EmitError::Unencodable)
    }

    // ----- disconnection -----

    /// Disconnects the socket on `namespace`: sends `DISCONNECT`, reason
    /// [`ServerNamespaceDisconnect`](DisconnectReason::ServerNamespaceDisconnect). The connection stays
    /// open, even without sockets, as in the reference.
    pub fn disconnect(&mut self, _now: Instant, namespace: &str) -> Result<(), NotConnected> {
        let index = self.connected_index(namespace).ok_or(NotConnected)?;
        let slot = self.slots.remove(index);
        self.push_control(&Packet::disconnect(slot.namespace.clone()));
        self.end_slot(slot, DisconnectReason::ServerNamespaceDisconnect);
        Ok(())
    }

    /// The reference's `socket.disconnect(true)`: every socket is disconnected as by
    /// [`disconnect`](Self::disconnect), then the Engine.IO session is closed (the connection ends
    /// with [`ForcedServerClose`](DisconnectReason::ForcedServerClose)).
    pub fn disconnect_all(&mut self, _now: Instant) {
        if self.closed {
            return;
        }
        for slot in core::mem::take(&mut self.slots) {
            if slot.connected().is_some() {
                self.push_control(&Packet::disconnect(slot.namespace.clone()));
                self.end_slot(slot, DisconnectReason::ServerNamespaceDisconnect);
            }
        }
        self.shut_down(DisconnectReason::ForcedServerClose, true);
    }

    /// Closes the connection: every socket disconnects with `reason`, without a `DISCONNECT` packet
    /// (the client sees its transport close), then the Engine.IO session is closed. A server shutting
    /// down uses [`ServerShuttingDown`](DisconnectReason::ServerShuttingDown).
    pub fn close(&mut self, _now: Instant, reason: DisconnectReason) {
        self.shut_down(reason, true);
    }

    // ----- internals -----

    fn slot(&self, namespace: &str) -> Option<&Slot> {
        self.slots.iter().find(|slot| slot.namespace == namespace)
    }

    fn connected(&self, namespace: &str) -> Option<&ConnectedSocket> {
        self.slot(namespace).and_then(Slot::connected)
    }

    fn connected_index(&self, namespace: &str) -> Option<usize> {
        self.slots
            .iter()
            .position(|slot| slot.namespace == namespace && slot.connected().is_some())
    }

    /// The checks every emit makes; the index of the connected slot.
    fn check_emit(&self, namespace: &str, args: &Payload) -> Result<usize, EmitError> {
        match args.event_name() {
            None => return Err(EmitError::MissingEventName),
            Some(name) if is_reserved_event(&name) => return Err(EmitError::ReservedEventName),
            Some(_) => {}
        }
        let index = self
            .connected_index(namespace)
            .ok_or(EmitError::NotConnected)?;
        if !self.has_room_for(1 + args.attachments().len()) {
            return Err(EmitError::QueueFull {
                limit: self.config.max_queued_messages,
            });
        }
        Ok(index)
    }

    fn has_room_for(&self, messages: usize) -> bool {
        self.queued_messages.saturating_add(messages) <= self.config.max_queued_messages
    }

    fn handle_packet(&mut self, _now: Instant, packet: Packet) {
        let Packet {
            mut namespace,
            mut kind,
        } = packet;
        if self.eio3_sid.is_some() {
            if let PacketKind::Connect(_) = kind {
                // v4: the auth is the namespace's query; a payload has no meaning (the reference
                // ignores it).
                let (path, query) = v4::split_query(&namespace);
                kind = PacketKind::Connect(query.map(v4::auth_from_query));
                namespace = path;
            }
        }
        if let PacketKind::Event { args, .. } = &kind {
            if args
                .event_name()
                .is_some_and(|name| is_reserved_event(&name))
            {
                self.shut_down(DisconnectReason::ParseError, true);
                return;
            }
        }
        let Some(index) = self
            .slots
            .iter()
            .position(|slot| slot.namespace == namespace)
        else {
            match kind {
                PacketKind::Connect(auth) => self.on_connect_request(namespace, auth),
                // The reference's "invalid state": only CONNECT is valid on a namespace not joined.
                _ => self.shut_down(DisconnectReason::ForcedServerClose, true),
            }
            return;
        };
        let connected = self.slots[index].connected().is_some();
        match kind {
            // A second CONNECT while the first waits for its answer is answered by that answer.
            PacketKind::Connect(_) if !connected => {}
            PacketKind::Event { args, ack } if connected => self.on_event(index, args, ack),
            PacketKind::Ack { args, id } if connected => self.on_ack(index, id, args),
            PacketKind::Disconnect if connected => {
                let slot = self.slots.remove(index);
                self.end_slot(slot, DisconnectReason::ClientNamespaceDisconnect);
            }
            _ => self.shut_down(DisconnectReason::ForcedServerClose, true),
        }
    }

    fn on_connect_request(&mut self, namespace: NamespaceName, auth: Option<RawJson>) {
        if self.slots.len() >= self.config.max_namespaces {
            self.shut_down(DisconnectReason::ForcedServerClose, true);
            return;
        }
        // Most connections use one namespace: grow one slot at a time, not by four.
        self.slots.reserve_exact(1);
        self.slots.push(Slot {
            namespace: namespace.clone(),
            state: SlotState::Pending,
        });
        self.push_event(Event::ConnectRequest { namespace, auth });
    }

    fn on_event(&mut self, index: usize, args: Payload, ack: Option<u64>) {
        let limit = self.config.max_owed_acks;
        let Slot { namespace, state } = &mut self.slots[index];
        let SlotState::Connected(socket) = state else {
            return;
        };
        if let Some(id) = ack {
            if socket.owed.len() >= limit && !socket.owed.is_owed(id) {
                self.shut_down(DisconnectReason::ForcedServerClose, true);
                return;
            }
            socket.owed.owe(id);
        }
        let event = Event::Event {
            namespace: namespace.clone(),
            socket: socket.id.clone(),
            args,
            ack,
        };
        self.push_event(event);
    }

    fn on_ack(&mut self, index: usize, id: u64, args: Payload) {
        let Slot { namespace, state } = &mut self.slots[index];
        let SlotState::Connected(socket) = state else {
            return;
        };
        // Unknown, answered or timed out: the reference ignores it too.
        if !socket.awaited.resolve(id) {
            return;
        }
        let event = Event::Ack {
            namespace: namespace.clone(),
            socket: socket.id.clone(),
            id,
            args,
        };
        self.push_event(event);
    }

    /// Queues the end of a slot removed from the table: nothing for a pending one; `Disconnecting`,
    /// the cancelled acks, then `Disconnected` for a connected one.
    fn end_slot(&mut self, slot: Slot, reason: DisconnectReason) {
        let SlotState::Connected(mut socket) = slot.state else {
            return;
        };
        let namespace = slot.namespace;
        self.push_event(Event::Disconnecting {
            namespace: namespace.clone(),
            socket: socket.id.clone(),
            reason,
        });
        for id in socket.awaited.take_all() {
            self.push_event(Event::AckCancelled {
                namespace: namespace.clone(),
                socket: socket.id.clone(),
                id,
            });
        }
        self.push_event(Event::Disconnected {
            namespace,
            socket: socket.id,
            reason,
        });
    }

    /// Ends the connection once: every socket ends with `reason`, pending requests are dropped, the
    /// engine is asked to close if `close_engine`, and `Closed` is queued last.
    fn shut_down(&mut self, reason: DisconnectReason, close_engine: bool) {
        if self.closed {
            return;
        }
        self.closed = true;
        self.connect_deadline = None;
        self.codec.reset();
        for slot in core::mem::take(&mut self.slots) {
            self.end_slot(slot, reason);
        }
        if close_engine {
            self.outputs.push_back(Output::CloseEngine);
        }
        self.push_event(Event::Closed { reason });
    }

    fn push_event(&mut self, event: Event) {
        self.outputs.push_back(Output::Event(event));
    }

    fn push_packet(&mut self, packet: &Packet) -> Result<(), FrameError> {
        let format = self.config.format;
        if format.is_json() {
            return self.push_encoded(&packet.encode());
        }
        let wire = format.frame_packet(packet)?;
        self.push_messages(wire.messages());
        Ok(())
    }

    /// A packet of the connection's own (a `CONNECT` answer, a `DISCONNECT`, a refusal without
    /// the application's data): only names and strings, which every format writes.
    fn push_control(&mut self, packet: &Packet) {
        let _always_written = self.push_packet(packet);
    }

    fn push_encoded(&mut self, encoded: &Encoded) -> Result<(), FrameError> {
        let format = self.config.format;
        if format.is_json() {
            self.push_messages(encoded.messages());
        } else {
            self.push_messages(format.frame(encoded.clone())?.messages());
        }
        Ok(())
    }

    fn push_messages(&mut self, messages: impl Iterator<Item = Message>) {
        for message in messages {
            self.outputs.push_back(Output::Send(message));
            self.queued_messages += 1;
        }
    }
}
