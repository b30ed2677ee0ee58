//! A namespace: its connection handlers and middleware, its sockets and its room index.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};

use serde::Serialize;
use socketio_proto::adapter::{BroadcastOptions, Room, RoomEvent, Rooms, SocketId};
use socketio_proto::packet;
use socketio_proto::packet::Encoded;
use socketio_proto::parser::{PacketFormat, WirePacket};

use super::broadcast::{BroadcastOperator, Excluded, Snapshot, Snapshots};
use super::error::{ConnectError, EmitError};
use super::socket::Socket;
use socketio_runtime::Runtime;
use socketio_runtime::sync::{lock, read, write};

/// A connection handler (`io.of(..).on("connection", ..)`).
pub(crate) type ConnectionHandler = Arc<dyn Fn(&Socket) + Send + Sync>;

/// A connection middleware's future.
pub(crate) type MiddlewareFuture = Pin<Box<dyn Future<Output = Result<(), ConnectError>> + Send>>;

/// A connection middleware (`io.of(..).use(..)`).
pub(crate) type Middleware = Arc<dyn Fn(Socket) -> MiddlewareFuture + Send + Sync>;

/// A namespace (`io.of(name)`). Cheap to clone; every clone is the same namespace.
#[derive(Clone)]
pub struct Namespace(Arc<NamespaceInner>);

struct NamespaceInner {
    name: packet::NamespaceName,
    runtime: Arc<dyn Runtime>,
    /// The server's parser, which every emit of the namespace is written in once.
    format: PacketFormat,
    /// The room index and the socket table, changed together under one short lock.
    state: Mutex<State>,
    handlers: RwLock<Handlers>,
}

/// A namespace's membership: the room index, the socket table, and the broadcast snapshots derived
/// from both. The fields are private so that every change of membership goes through the methods
/// below, which keep the snapshots in step.
#[derive(Default)]
pub(crate) struct State {
    rooms: Rooms,
    sockets: HashMap<SocketId, Socket>,
    snapshots: Snapshots,
}

impl State {
    pub(crate) fn rooms(&self) -> &Rooms {
        &self.rooms
    }

    pub(crate) fn socket(&self, id: &SocketId) -> Option<&Socket> {
        self.sockets.get(id)
    }

    /// The recipients of a broadcast when a snapshot serves them (see [`Snapshots::get`]).
    pub(crate) fn snapshot(&mut self, opts: &BroadcastOptions) -> Option<(Snapshot, Excluded)> {
        self.snapshots.get(&self.rooms, &self.sockets, opts)
    }

    fn add_socket(&mut self, socket: &Socket, early_rooms: Vec<Room>) {
        let id = socket.id();
        self.rooms.add_socket(id);
        self.snapshots.room_changed(&Room::from(id));
        if !early_rooms.is_empty() {
            let snapshots = &mut self.snapshots;
            let rooms = early_rooms
                .into_iter()
                .inspect(|room| snapshots.room_changed(room));
            self.rooms.add_all(id, rooms);
        }
        match self.sockets.insert(id.clone(), socket.clone()) {
            None => self.snapshots.socket_added(socket),
            // Not expected (ids are unique), but then no snapshot may keep the replaced socket.
            Some(_) => self.snapshots.clear(),
        }
    }

    fn remove_socket(&mut self, id: &SocketId) {
        if let Some(rooms) = self.rooms.socket_rooms(id) {
            for room in rooms {
                self.snapshots.room_changed(room);
            }
        }
        self.rooms.del_all(id);
        if self.sockets.remove(id).is_some() {
            self.snapshots.socket_removed();
        }
    }

    fn join(&mut self, id: &SocketId, rooms: impl IntoIterator<Item = Room>) {
        // A socket gone meanwhile must not come back into the index.
        if self.sockets.contains_key(id) {
            let snapshots = &mut self.snapshots;
            let rooms = rooms
                .into_iter()
                .inspect(|room| snapshots.room_changed(room));
            self.rooms.add_all(id, rooms);
        }
    }

    fn leave(&mut self, id: &SocketId, room: &str) {
        if self.rooms.del(id, room) {
            self.snapshots.room_changed(&Room::new(room));
        }
    }

    /// `sockets_join`: the selected sockets join `rooms`.
    pub(crate) fn add_sockets(&mut self, opts: &BroadcastOptions, rooms: &[Room]) {
        if self.rooms.add_sockets(opts, rooms) > 0 {
            for room in rooms {
                self.snapshots.room_changed(room);
            }
        }
    }

    /// `sockets_leave`: the selected sockets leave `rooms`.
    pub(crate) fn del_sockets(&mut self, opts: &BroadcastOptions, rooms: &[Room]) {
        if self.rooms.del_sockets(opts, rooms) > 0 {
            for room in rooms {
                self.snapshots.room_changed(room);
            }
        }
    }
}

#[derive(Default)]
struct Handlers {
    on_connection: Vec<ConnectionHandler>,
    middleware: Vec<Middleware>,
    room_events: Vec<RoomListener>,
}

/// A listener of the room index's changes (the reference adapter's events).
type RoomListener = Arc<dyn Fn(&Namespace, &RoomEvent) + Send + Sync>;

/// Room events kept for the listeners between two drains; beyond, they are counted as dropped.
const ROOM_EVENT_BACKLOG: usize = 4096;

impl std::fmt::Debug for Namespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Namespace").field(&self.name()).finish()
    }
}

impl Namespace {
    pub(crate) fn new(
        name: packet::NamespaceName,
        runtime: Arc<dyn Runtime>,
        format: PacketFormat,
    ) -> Self {
        Namespace(Arc::new(NamespaceInner {
            name,
            runtime,
            format,
            state: Mutex::default(),
            handlers: RwLock::default(),
        }))
    }

    /// `event` with `args`, written once in the parser its clients speak.
    pub(crate) fn encode_event<T: Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
    ) -> Result<WirePacket, EmitError> {
        let name = self.proto_name();
        if self.0.format.is_json() {
            // The JSON encoder's own error says what could not be serialized.
            return Ok(WirePacket::Json(Encoded::event(name, event, args, None)?));
        }
        Ok(self.0.format.encode_event(name, event, args, None)?)
    }

    /// The name (`/`, `/chat`...).
    pub fn name(&self) -> &str {
        self.0.name.as_str()
    }

    pub(crate) fn runtime(&self) -> &Arc<dyn Runtime> {
        &self.0.runtime
    }

    pub(crate) fn proto_name(&self) -> &packet::NamespaceName {
        &self.0.name
    }

    pub(crate) fn state(&self) -> std::sync::MutexGuard<'_, State> {
        lock(&self.0.state)
    }

    /// Calls `handler` for every socket that connects, once admitted by the middleware.
    pub fn on_connection<F>(&self, handler: F)
    where
        F: Fn(&Socket) + Send + Sync + 'static,
    {
        self.write_handlers().on_connection.push(Arc::new(handler));
    }

    /// Adds a connection middleware: it runs, in order with the others, before the socket is
    /// admitted; `Err` refuses the connection, and the client receives the message and data in
    /// its `connect_error`. The socket it receives can store data and join rooms already.
    pub fn use_middleware<F, Fut>(&self, middleware: F)
    where
        F: Fn(Socket) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), ConnectError>> + Send + 'static,
    {
        let middleware: Middleware = Arc::new(move |socket| Box::pin(middleware(socket)));
        self.write_handlers().middleware.push(middleware);
    }

    fn write_handlers(&self) -> std::sync::RwLockWriteGuard<'_, Handlers> {
        write(&self.0.handlers)
    }

    fn read_handlers(&self) -> std::sync::RwLockReadGuard<'_, Handlers> {
        read(&self.0.handlers)
    }

    /// Listens to the room index's changes: `create-room`, `delete-room`, `join-room` and
    /// `leave-room` of the reference adapter, in its order. Called right after the change, on the
    /// task that made it; nothing is recorded while there is no listener.
    pub fn on_room_event<F>(&self, listener: F)
    where
        F: Fn(&Namespace, &RoomEvent) + Send + Sync + 'static,
    {
        self.write_handlers().room_events.push(Arc::new(listener));
        self.state().rooms.enable_events(ROOM_EVENT_BACKLOG);
    }

    /// Changes the namespace state, then tells the room listeners what changed, lock released.
    pub(crate) fn mutate<R>(&self, change: impl FnOnce(&mut State) -> R) -> R {
        let (result, events) = {
            let mut state = self.state();
            let result = change(&mut state);
            let events: Vec<RoomEvent> = std::iter::from_fn(|| state.rooms.poll_event()).collect();
            (result, events)
        };
        if !events.is_empty() {
            let listeners = self.read_handlers().room_events.clone();
            for event in &events {
                for listener in &listeners {
                    listener(self, event);
                }
            }
        }
        result
    }

    pub(crate) fn middleware(&self) -> Vec<Middleware> {
        self.read_handlers().middleware.clone()
    }

    pub(crate) fn connection_handlers(&self) -> Vec<ConnectionHandler> {
        self.read_handlers().on_connection.clone()
    }

    // ----- broadcasting -----

    /// Targets the sockets in `room` (`io.to(room)`); chain more operators, then emit.
    pub fn to(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.all().to(room)
    }

    /// Same as [`to`](Self::to).
    pub fn in_(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.to(room)
    }

    /// Targets every socket not in `room`.
    pub fn except(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.all().except(room)
    }

    /// Targets only this server's sockets (for cluster adapters).
    pub fn local(&self) -> BroadcastOperator {
        self.all().local()
    }

    /// Targets every socket, dropping the packet for clients not ready for it.
    pub fn volatile(&self) -> BroadcastOperator {
        self.all().volatile()
    }

    /// Emits to every socket of the namespace.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<(), EmitError> {
        self.all().emit(event, args)
    }

    /// Every socket of the namespace.
    pub fn fetch_sockets(&self) -> Vec<Socket> {
        self.all().fetch_sockets()
    }

    /// The socket with this id, if it is connected here.
    pub fn get_socket(&self, id: &str) -> Option<Socket> {
        self.state().sockets.get(&SocketId::new(id)).cloned()
    }

    /// How many sockets are connected.
    pub fn socket_count(&self) -> usize {
        self.state().sockets.len()
    }

    /// Makes every socket join `rooms`.
    pub fn sockets_join(&self, rooms: &[Room]) {
        self.all().sockets_join(rooms);
    }

    /// Makes every socket leave `rooms`.
    pub fn sockets_leave(&self, rooms: &[Room]) {
        self.all().sockets_leave(rooms);
    }

    /// Disconnects every socket; with `close`, their whole connections.
    pub fn disconnect_sockets(&self, close: bool) {
        self.all().disconnect_sockets(close);
    }

    fn all(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.clone(), BroadcastOptions::new())
    }

    // ----- membership, kept in step by the connections -----

    pub(crate) fn add_socket(&self, socket: &Socket, early_rooms: Vec<Room>) {
        self.mutate(|state| state.add_socket(socket, early_rooms));
    }

    pub(crate) fn remove_socket(&self, id: &SocketId) {
        self.mutate(|state| state.remove_socket(id));
    }

    pub(crate) fn join(&self, id: &SocketId, rooms: impl IntoIterator<Item = Room>) {
        self.mutate(|state| state.join(id, rooms));
    }

    pub(crate) fn leave(&self, id: &SocketId, room: &str) {
        self.mutate(|state| state.leave(id, room));
    }

    pub(crate) fn rooms_of(&self, id: &SocketId) -> Vec<Room> {
        self.state()
            .rooms
            .socket_rooms(id)
            .map(|rooms| rooms.cloned().collect())
            .unwrap_or_default()
    }
}
