//! A socket: one client's connection to one namespace, as a cloneable handle.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use engineio_proto::Transport;
use serde::Serialize;
use serde::de::DeserializeOwned;
use socketio_proto::adapter::{BroadcastOptions, Room, SocketId};
use socketio_proto::packet::Payload;
use socketio_proto::parser::WirePacket;
use socketio_proto::server::{DisconnectReason, is_reserved_event};

use super::ack::{AckSender, EmitWithAck};
use super::broadcast::BroadcastOperator;
use super::conn::Conn;
use super::error::EmitError;
use super::handshake::Handshake;
use super::listeners::Listeners;
use super::namespace::Namespace;
use super::session::Command;
use engineio_server::SessionHandle;
use socketio_runtime::sync::lock;

/// A client's socket in one namespace (the reference's server-side `Socket`).
///
/// Cheap to clone; every clone is the same socket. Listeners run inside the connection's task in the
/// order the client's packets arrived, so they must not block: spawn for long work.
#[derive(Clone)]
pub struct Socket(pub(crate) Arc<SocketInner>);

pub(crate) struct SocketInner {
    pub(crate) id: SocketId,
    pub(crate) namespace: Namespace,
    pub(crate) session: SessionHandle<Command>,
    pub(crate) conn: Conn,
    pub(crate) handshake: Handshake,
    pub(crate) connected: AtomicBool,
    pub(crate) listeners: Mutex<Listeners>,
    /// Rooms joined before the socket was admitted (from a middleware), applied when it is.
    pub(crate) early_rooms: Mutex<Vec<Room>>,
    data: Mutex<http::Extensions>,
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field("id", &self.0.id)
            .field("namespace", &self.0.namespace.name())
            .finish()
    }
}

impl Socket {
    pub(crate) fn new(
        id: SocketId,
        namespace: Namespace,
        session: SessionHandle<Command>,
        conn: Conn,
        handshake: Handshake,
    ) -> Self {
        Socket(Arc::new(SocketInner {
            id,
            namespace,
            session,
            conn,
            handshake,
            connected: AtomicBool::new(false),
            listeners: Mutex::default(),
            early_rooms: Mutex::default(),
            data: Mutex::default(),
        }))
    }

    /// The socket id: 20 url-safe characters, unguessable, also the name of its own room.
    pub fn id(&self) -> &SocketId {
        &self.0.id
    }

    /// The namespace.
    pub fn namespace(&self) -> &Namespace {
        &self.0.namespace
    }

    /// Runs `task` in the background on the server's runtime (see [`SocketIo::spawn`]).
    ///
    /// [`SocketIo::spawn`]: super::SocketIo::spawn
    pub fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        self.0.namespace.runtime().spawn(Box::pin(task));
    }

    /// The handshake details (headers, query, auth, address...).
    pub fn handshake(&self) -> &Handshake {
        &self.0.handshake
    }

    /// Whether the socket is connected (admitted by the middleware and not yet disconnected).
    pub fn connected(&self) -> bool {
        self.0.connected.load(Ordering::Acquire)
    }

    /// The Engine.IO session id of the underlying connection (`socket.conn.id`).
    pub fn connection_id(&self) -> &str {
        self.0.session.sid()
    }

    /// The transport the connection uses now (`socket.conn.transport.name`).
    pub fn transport(&self) -> Transport {
        self.0.conn.transport()
    }

    /// The Engine.IO connection under this socket (`socket.conn`), shared with the client's
    /// sockets in other namespaces: its transport and its upgrade / packet / drain / close events.
    pub fn conn(&self) -> &Conn {
        &self.0.conn
    }

    pub(crate) fn session(&self) -> &SessionHandle<Command> {
        &self.0.session
    }

    fn listeners(&self) -> MutexGuard<'_, Listeners> {
        lock(&self.0.listeners)
    }

    // ----- listeners -----

    /// Listens to `event`, with its arguments read as `T` (a tuple such as `(String, u32)`, a
    /// `Vec`, `serde_json::Value`...; `bytes::Bytes` fields receive binary attachments) and the ack
    /// callback if the client asked for one. Arguments that do not fit `T` reach the
    /// [`on_error`](Self::on_error) listeners instead.
    pub fn on<T, F>(&self, event: &str, listener: F)
    where
        T: DeserializeOwned,
        F: Fn(&Socket, T, Option<AckSender>) + Send + Sync + 'static,
    {
        self.add_typed(event, listener, false);
    }

    /// As [`on`](Self::on), for the next occurrence only.
    pub fn once<T, F>(&self, event: &str, listener: F)
    where
        T: DeserializeOwned,
        F: Fn(&Socket, T, Option<AckSender>) + Send + Sync + 'static,
    {
        self.add_typed(event, listener, true);
    }

    /// Listens to `event` with the raw arguments (`[name, ...args]`, attachments included), for
    /// listeners that forward or inspect them without a fixed shape.
    pub fn on_raw<F>(&self, event: &str, listener: F)
    where
        F: Fn(&Socket, Payload, Option<AckSender>) + Send + Sync + 'static,
    {
        self.listeners().add(event, Arc::new(listener), false);
    }

    fn add_typed<T, F>(&self, event: &str, listener: F, once: bool)
    where
        T: DeserializeOwned,
        F: Fn(&Socket, T, Option<AckSender>) + Send + Sync + 'static,
    {
        let event_name = event.to_owned();
        let typed = move |socket: &Socket, args: Payload, ack: Option<AckSender>| match args
            .event_args::<T>()
        {
            Ok(value) => listener(socket, value, ack),
            Err(error) => socket.report_error(&format!(
                "invalid arguments for event `{event_name}`: {error}"
            )),
        };
        self.listeners().add(event, Arc::new(typed), once);
    }

    /// Removes every listener of `event`.
    pub fn off(&self, event: &str) {
        self.listeners().remove_event(event);
    }

    /// The events that have listeners.
    pub fn event_names(&self) -> Vec<String> {
        self.listeners().event_names()
    }

    /// Listens to every incoming event, before its own listeners: name, raw arguments (read them
    /// with [`Payload::event_args`]) and the [`AckSender`] when the client asked for an answer.
    pub fn on_any<F>(&self, listener: F)
    where
        F: Fn(&Socket, &str, &Payload, Option<AckSender>) + Send + Sync + 'static,
    {
        self.listeners().any.push(Arc::new(listener));
    }

    /// As [`on_any`](Self::on_any), called before the catch-all listeners already added.
    pub fn prepend_any<F>(&self, listener: F)
    where
        F: Fn(&Socket, &str, &Payload, Option<AckSender>) + Send + Sync + 'static,
    {
        self.listeners().any.insert(0, Arc::new(listener));
    }

    /// Removes every catch-all listener.
    pub fn off_any(&self) {
        self.listeners().any.clear();
    }

    /// Listens to every event this socket emits (not broadcasts): name and raw arguments.
    pub fn on_any_outgoing<F>(&self, listener: F)
    where
        F: Fn(&Socket, &str, &Payload) + Send + Sync + 'static,
    {
        self.listeners().any_outgoing.push(Arc::new(listener));
    }

    /// Removes every outgoing catch-all listener.
    pub fn off_any_outgoing(&self) {
        self.listeners().any_outgoing.clear();
    }

    /// Adds a packet middleware (the reference's `socket.use`): it sees each incoming event before
    /// the listeners; `Err(message)` drops the event and calls the [`on_error`](Self::on_error)
    /// listeners with the message.
    pub fn use_middleware<F>(&self, middleware: F)
    where
        F: Fn(&Socket, &str, &Payload) -> Result<(), String> + Send + Sync + 'static,
    {
        self.listeners().middleware.push(Arc::new(middleware));
    }

    /// Listens to this socket's errors (a packet middleware's refusal, arguments of the wrong
    /// shape). An event the client emits named `error` is an ordinary event, for
    /// [`on`](Self::on)`("error", ..)`: it never reaches these listeners.
    pub fn on_error<F>(&self, listener: F)
    where
        F: Fn(&Socket, &str) + Send + Sync + 'static,
    {
        self.listeners().error.push(Arc::new(listener));
    }

    /// Listens to the start of the disconnection, while the socket is still in its rooms.
    pub fn on_disconnecting<F>(&self, listener: F)
    where
        F: Fn(&Socket, DisconnectReason) + Send + Sync + 'static,
    {
        self.listeners().disconnecting.push(Arc::new(listener));
    }

    /// Listens to the disconnection, with its reason.
    pub fn on_disconnect<F>(&self, listener: F)
    where
        F: Fn(&Socket, DisconnectReason) + Send + Sync + 'static,
    {
        self.listeners().disconnect.push(Arc::new(listener));
    }

    // ----- emitting -----

    /// Emits `event` to this client: a tuple gives several arguments, `()` none, any other value
    /// one; `bytes::Bytes` values travel as binary attachments.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<(), EmitError> {
        let encoded = self.encode(event, args)?;
        if !self.listeners().any_outgoing.is_empty() {
            // Encoded again only for the listeners, as they see it: rare, and off the common path.
            if let Ok(payload) = Payload::event(event, args) {
                self.notify_outgoing_payload(event, &payload);
            }
        }
        for message in encoded.messages() {
            self.0.session.try_send(message)?;
        }
        Ok(())
    }

    /// Emits `event` and waits for the client's acknowledgement when the returned request is
    /// awaited; see [`EmitWithAck::timeout`].
    pub fn emit_with_ack<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> EmitWithAck {
        let args = check_event_name(event).and_then(|()| Ok(Payload::event(event, args)?));
        if let Ok(payload) = &args {
            self.notify_outgoing_payload(event, payload);
        }
        EmitWithAck {
            socket: self.clone(),
            args,
            timeout: None,
        }
    }

    /// The reference's `socket.volatile`: its [`emit`](Volatile::emit) is dropped when the
    /// client is not ready for it (its queue is not empty), as on the client and in a broadcast.
    pub fn volatile(&self) -> Volatile<'_> {
        Volatile(self)
    }

    /// The event written in the server's parser.
    fn encode<T: Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
    ) -> Result<WirePacket, EmitError> {
        check_event_name(event)?;
        if !self.connected() {
            return Err(EmitError::NotConnected);
        }
        self.0.namespace.encode_event(event, args)
    }

    fn notify_outgoing_payload(&self, event: &str, payload: &Payload) {
        let listeners = self.listeners().any_outgoing.clone();
        for listener in listeners {
            listener(self, event, payload);
        }
    }

    // ----- rooms -----

    /// Joins `room`.
    pub fn join(&self, room: impl Into<Room>) {
        self.join_all([room.into()]);
    }

    /// Joins several rooms.
    pub fn join_all(&self, rooms: impl IntoIterator<Item = Room>) {
        if self.connected() {
            self.0.namespace.join(&self.0.id, rooms);
        } else {
            lock(&self.0.early_rooms).extend(rooms);
        }
    }

    /// Leaves `room`.
    pub fn leave(&self, room: &str) {
        lock(&self.0.early_rooms).retain(|early| early.as_str() != room);
        self.0.namespace.leave(&self.0.id, room);
    }

    /// The rooms the socket is in (its own-id room included).
    pub fn rooms(&self) -> Vec<Room> {
        self.0.namespace.rooms_of(&self.0.id)
    }

    /// Broadcasts to `room`, leaving this socket out (`socket.to(room)`).
    pub fn to(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.broadcast().to(room)
    }

    /// Broadcasts to every other socket of the namespace (`socket.broadcast`).
    pub fn broadcast(&self) -> BroadcastOperator {
        BroadcastOperator::new(
            self.0.namespace.clone(),
            BroadcastOptions::from_sender(&self.0.id),
        )
    }

    // ----- data -----

    /// Stores a typed value on the socket (one per type), replacing the previous one.
    pub fn insert_data<T: Clone + Send + Sync + 'static>(&self, value: T) {
        lock(&self.0.data).insert(value);
    }

    /// The value of type `T` stored with [`insert_data`](Self::insert_data).
    pub fn data<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        lock(&self.0.data).get::<T>().cloned()
    }

    // ----- disconnecting -----

    /// Disconnects the socket from its namespace (the client sees `io server disconnect` and does
    /// not reconnect); with `close`, closes the whole connection, every namespace.
    pub fn disconnect(&self, close: bool) {
        let command = if close {
            Command::DisconnectAll
        } else {
            Command::Disconnect {
                namespace: self.0.namespace.name().to_owned(),
            }
        };
        // A closed session has disconnected the socket already.
        let _ = self.0.session.try_command(command);
    }

    /// Closes the whole underlying connection without a `DISCONNECT` packet (the reference's
    /// `socket.conn.close()`): the client sees its transport close and reconnects.
    pub fn close_connection(&self) {
        let command = Command::Close(DisconnectReason::ForcedClose);
        let _ = self.0.session.try_command(command);
    }

    // ----- dispatch, inside the connection's task -----

    /// Runs the packet middleware, the catch-all listeners and the event's listeners.
    pub(crate) fn dispatch_event(&self, args: Payload, ack: Option<AckSender>) {
        // The name borrowed from the frame (no copy) unless it has escapes.
        let Some(name) = args.event_name() else {
            return;
        };
        let name = &*name;
        let (middleware, any) = {
            let listeners = self.listeners();
            (listeners.middleware.clone(), listeners.any.clone())
        };
        for middleware in middleware {
            if let Err(message) = middleware(self, name, &args) {
                self.report_error(&message);
                return;
            }
        }
        for listener in any {
            listener(self, name, &args, ack.clone());
        }
        let listeners = self.listeners().take_for(name);
        for listener in listeners {
            listener(self, args.clone(), ack.clone());
        }
    }

    pub(crate) fn report_error(&self, message: &str) {
        let listeners = self.listeners().error.clone();
        for listener in listeners {
            listener(self, message);
        }
    }

    pub(crate) fn set_connected(&self, connected: bool) {
        self.0.connected.store(connected, Ordering::Release);
    }

    pub(crate) fn take_early_rooms(&self) -> Vec<Room> {
        std::mem::take(&mut *lock(&self.0.early_rooms))
    }

    pub(crate) fn notify_disconnecting(&self, reason: DisconnectReason) {
        let listeners = self.listeners().disconnecting.clone();
        for listener in listeners {
            listener(self, reason);
        }
    }

    pub(crate) fn notify_disconnect(&self, reason: DisconnectReason) {
        let listeners = std::mem::take(&mut *self.listeners()).disconnect;
        for listener in listeners {
            listener(self, reason);
        }
    }
}

fn check_event_name(event: &str) -> Result<(), EmitError> {
    if is_reserved_event(event) {
        return Err(EmitError::ReservedEventName(event.to_owned()));
    }
    Ok(())
}

/// A socket's volatile emits, from [`Socket::volatile`].
#[derive(Clone, Copy, Debug)]
pub struct Volatile<'a>(&'a Socket);

impl Volatile<'_> {
    /// Emits `event` unless the client is not ready for it. `Ok(false)` if it was dropped.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<bool, EmitError> {
        let socket = self.0;
        let encoded = socket.encode(event, args)?;
        Ok(socket.0.session.send_volatile(encoded.messages()))
    }
}
