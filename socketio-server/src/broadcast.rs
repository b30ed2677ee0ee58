//! Broadcasts and bulk operations on a selection of a namespace's sockets, and the recipient
//! snapshots that let a broadcast reach its sockets without walking the room index.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use engineio_proto::Message;
use serde::Serialize;
use socketio_proto::adapter::{BroadcastOptions, Room, Rooms, SocketId};
use socketio_proto::parser::WirePacket;
use socketio_proto::server::is_reserved_event;

use super::error::EmitError;
use super::namespace::Namespace;
use super::socket::Socket;
use engineio_server::SessionHandle;

use crate::session::Command;

/// A selection of sockets (`io.to(..).except(..)`), built by chaining, then used once: emit to
/// them, fetch them, make them join or leave rooms, or disconnect them.
///
/// Selection is the union of the target rooms (every socket when there are none) minus the sockets
/// in any excluded room; each socket is reached once.
#[derive(Clone, Debug)]
#[must_use = "a broadcast operator does nothing until it emits or acts"]
pub struct BroadcastOperator {
    namespace: Namespace,
    opts: BroadcastOptions,
}

impl BroadcastOperator {
    pub(crate) fn new(namespace: Namespace, opts: BroadcastOptions) -> Self {
        BroadcastOperator { namespace, opts }
    }

    /// Also targets `room`.
    pub fn to(mut self, room: impl Into<Room>) -> Self {
        self.opts = self.opts.to(room);
        self
    }

    /// Same as [`to`](Self::to).
    pub fn in_(self, room: impl Into<Room>) -> Self {
        self.to(room)
    }

    /// Leaves out the sockets in `room`.
    pub fn except(mut self, room: impl Into<Room>) -> Self {
        self.opts = self.opts.except(room);
        self
    }

    /// Drops the packet for clients that are not ready for it instead of queueing it.
    pub fn volatile(mut self) -> Self {
        self.opts = self.opts.volatile();
        self
    }

    /// Restricts the operation to this server's sockets (what a cluster adapter would not forward).
    pub fn local(mut self) -> Self {
        self.opts = self.opts.local();
        self
    }

    /// The selection, as the adapter sees it.
    pub fn options(&self) -> &BroadcastOptions {
        &self.opts
    }

    /// Emits `event` to every selected socket. The packet is encoded once and its bytes shared by
    /// every recipient. A recipient whose queue overflows is disconnected (its emits are never
    /// dropped silently); volatile packets are dropped instead for clients that are behind.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<(), EmitError> {
        if is_reserved_event(event) {
            return Err(EmitError::ReservedEventName(event.to_owned()));
        }
        let wire = self.namespace.encode_event(event, args)?;
        let volatile = self.opts.flags.volatile;
        let (recipients, excluded) = self.recipients();
        for recipient in recipients.iter() {
            if !excluded.contains(&recipient.id) {
                deliver(&recipient.session, &wire, volatile);
            }
        }
        Ok(())
    }

    /// The selected sockets.
    pub fn fetch_sockets(&self) -> Vec<Socket> {
        let state = self.namespace.state();
        state
            .rooms()
            .select(&self.opts)
            .filter_map(|id| state.socket(id).cloned())
            .collect()
    }

    /// Makes the selected sockets join `rooms`.
    pub fn sockets_join(&self, rooms: &[Room]) {
        self.namespace
            .mutate(|state| state.add_sockets(&self.opts, rooms));
    }

    /// Makes the selected sockets leave `rooms`.
    pub fn sockets_leave(&self, rooms: &[Room]) {
        self.namespace
            .mutate(|state| state.del_sockets(&self.opts, rooms));
    }

    /// Disconnects the selected sockets; with `close`, their whole connections.
    pub fn disconnect_sockets(&self, close: bool) {
        for socket in self.fetch_sockets() {
            socket.disconnect(close);
        }
    }

    /// The recipients, less the excluded ones, taken under the namespace lock and used after it is
    /// released. Every socket, or one room, less a few sockets: a shared snapshot, one reference
    /// count under the lock. Anything else: collected from the room index.
    fn recipients(&self) -> (Snapshot, Excluded) {
        let mut state = self.namespace.state();
        if let Some(found) = state.snapshot(&self.opts) {
            return found;
        }
        let collected = state
            .rooms()
            .select(&self.opts)
            .filter_map(|id| state.socket(id))
            .map(Recipient::of)
            .collect();
        (Arc::new(collected), Excluded::Nobody)
    }
}

/// A broadcast recipient: its socket id (for exclusions) and its session (to deliver to).
pub(crate) struct Recipient {
    id: SocketId,
    session: SessionHandle<Command>,
}

impl Recipient {
    fn of(socket: &Socket) -> Self {
        Recipient {
            id: socket.id().clone(),
            session: socket.session().clone(),
        }
    }
}

/// An immutable list of recipients, shared by the broadcasts that use it while it is current.
pub(crate) type Snapshot = Arc<Vec<Recipient>>;

/// Rooms smaller than this are not kept as snapshots: collecting a handful of recipients costs
/// about what a cache lookup and a snapshot would, and per-socket rooms (`io.to(id)`) would fill
/// the cache with single entries.
const ROOM_SNAPSHOT_MIN: usize = 4;

/// Up to this many excluded sockets, a snapshot is filtered by comparing ids; beyond, the room
/// index selects (its exclusion check is a lookup per recipient).
const EXCLUDED_SCAN_MAX: usize = 8;

/// One namespace's recipient snapshots, kept beside its room index under the same lock.
///
/// The snapshot of every socket is dropped when a socket leaves the namespace, grown in place when
/// one arrives while no broadcast holds it (dropped otherwise), and rebuilt by the next broadcast
/// that needs it: connecting many sockets between broadcasts costs no rebuild per connect. A room's
/// snapshot is built by the first broadcast to the room and dropped by any change to the room's
/// membership, so only rooms that are broadcast to, and not changed since, are kept.
#[derive(Default)]
pub(crate) struct Snapshots {
    everyone: Option<Snapshot>,
    rooms: HashMap<Room, Snapshot>,
}

impl Snapshots {
    /// `socket` entered the namespace (it was not in it).
    pub(crate) fn socket_added(&mut self, socket: &Socket) {
        match self.everyone.as_mut().and_then(Arc::get_mut) {
            Some(everyone) => everyone.push(Recipient::of(socket)),
            None => self.everyone = None,
        }
    }

    /// A socket left the namespace (its rooms are reported apart, by
    /// [`room_changed`](Self::room_changed)).
    pub(crate) fn socket_removed(&mut self) {
        self.everyone = None;
    }

    /// Drops every snapshot.
    pub(crate) fn clear(&mut self) {
        self.everyone = None;
        self.rooms.clear();
    }

    /// `room` may have gained or lost a member.
    pub(crate) fn room_changed(&mut self, room: &Room) {
        if !self.rooms.is_empty() {
            self.rooms.remove(room);
        }
    }

    /// The recipients of `opts` when a snapshot serves them (every socket or one room; none, one
    /// or a few excluded sockets), built if missing; `None` otherwise.
    pub(crate) fn get(
        &mut self,
        index: &Rooms,
        sockets: &HashMap<SocketId, Socket>,
        opts: &BroadcastOptions,
    ) -> Option<(Snapshot, Excluded)> {
        let mut targets = opts.rooms.iter();
        let target = match (targets.next(), targets.next()) {
            (target, None) => target,
            (_, Some(_)) => return None,
        };
        let excluded = Excluded::new(index, &opts.except)?;
        let snapshot = match target {
            None => self
                .everyone
                .get_or_insert_with(|| Arc::new(sockets.values().map(Recipient::of).collect()))
                .clone(),
            Some(room) => match self.rooms.get(room) {
                Some(snapshot) => snapshot.clone(),
                None => {
                    if index.room_len(room) < ROOM_SNAPSHOT_MIN {
                        return None;
                    }
                    let snapshot: Snapshot = Arc::new(
                        index
                            .room_members(room)?
                            .filter_map(|id| sockets.get(id))
                            .map(Recipient::of)
                            .collect(),
                    );
                    self.rooms.insert(room.clone(), snapshot.clone());
                    snapshot
                }
            },
        };
        Some((snapshot, excluded))
    }
}

/// The sockets left out of a snapshot, when there are few.
pub(crate) enum Excluded {
    Nobody,
    /// One socket, as for the sender of `socket.broadcast` / `socket.to(..)`.
    One(SocketId),
    Few(Vec<SocketId>),
}

impl Excluded {
    /// The members of the `except` rooms, or `None` if there are more than [`EXCLUDED_SCAN_MAX`].
    fn new(index: &Rooms, except: &BTreeSet<Room>) -> Option<Self> {
        let mut excluded = Excluded::Nobody;
        let members = except
            .iter()
            .filter_map(|room| index.room_members(room))
            .flatten();
        for id in members {
            excluded = match excluded {
                Excluded::Nobody => Excluded::One(id.clone()),
                Excluded::One(first) => Excluded::Few(vec![first, id.clone()]),
                Excluded::Few(mut ids) => {
                    if ids.len() == EXCLUDED_SCAN_MAX {
                        return None;
                    }
                    ids.push(id.clone());
                    Excluded::Few(ids)
                }
            };
        }
        Some(excluded)
    }

    #[inline]
    fn contains(&self, id: &SocketId) -> bool {
        match self {
            Excluded::Nobody => false,
            Excluded::One(excluded) => excluded == id,
            Excluded::Few(excluded) => excluded.contains(id),
        }
    }
}

/// Hands one encoded packet to one recipient's session: shared bytes, framed once for all.
fn deliver(session: &SessionHandle<Command>, wire: &WirePacket, volatile: bool) {
    if volatile {
        session.send_volatile(wire.messages());
        return;
    }
    let WirePacket::Json(encoded) = wire else {
        for message in wire.messages() {
            if session.try_send(message).is_err() {
                return;
            }
        }
        return;
    };
    // A refusal means the session is closing (overflow) or closed: its socket is leaving.
    if session.try_send_framed(encoded.frame().clone()).is_err() {
        return;
    }
    for attachment in &encoded.attachments {
        if session
            .try_send(Message::Binary(attachment.clone()))
            .is_err()
        {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;
    use std::time::SystemTime;

    use engineio_proto::Transport;
    use socketio_proto::adapter::{BroadcastOptions, Room, Rooms, SocketId};
    use socketio_proto::packet;

    use super::{Excluded, ROOM_SNAPSHOT_MIN, Snapshot, Snapshots};
    use crate::conn::Conn;
    use crate::handshake::Handshake;
    use crate::namespace::Namespace;
    use crate::socket::Socket;
    use engineio_server::{HandshakeRequest, SessionHandle};
    use socketio_runtime::{BoxFuture, BoxSleep, Runtime};

    /// These tests run no task.
    struct NoRuntime;

    impl Runtime for NoRuntime {
        fn spawn(&self, _task: BoxFuture) {
            unreachable!("nothing is spawned")
        }

        fn sleep_until(&self, _deadline: std::time::Instant) -> BoxSleep {
            unreachable!("nothing sleeps")
        }
    }

    fn namespace() -> Namespace {
        Namespace::new(
            packet::NamespaceName::main(),
            Arc::new(NoRuntime),
            Default::default(),
        )
    }

    /// A socket with its own session, not yet in `namespace`.
    fn socket(namespace: &Namespace, id: &str) -> Socket {
        let session = SessionHandle::detached(&format!("session-{id}"), 16);
        let request = HandshakeRequest {
            uri: http::Uri::from_static("/socket.io/?EIO=4&transport=websocket"),
            headers: Default::default(),
            peer_addr: None,
        };
        let handshake = Handshake::new(&request, SystemTime::now(), serde_json::Value::Null);
        Socket::new(
            SocketId::new(id),
            namespace.clone(),
            session,
            Conn::new(&format!("session-{id}"), Transport::WebSocket),
            handshake,
        )
    }

    fn connect(namespace: &Namespace, id: &str) -> Socket {
        let socket = socket(namespace, id);
        namespace.add_socket(&socket, Vec::new());
        socket
    }

    /// The snapshot serving `opts` (it must be served by one) and the ids it reaches, sorted.
    fn reached(namespace: &Namespace, opts: &BroadcastOptions) -> (Snapshot, Vec<String>) {
        let (snapshot, excluded) = namespace
            .state()
            .snapshot(opts)
            .expect("served by a snapshot");
        let mut ids: Vec<String> = snapshot
            .iter()
            .filter(|recipient| !excluded.contains(&recipient.id))
            .map(|recipient| recipient.id.as_str().to_owned())
            .collect();
        ids.sort();
        (snapshot, ids)
    }

    fn names(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|id| (*id).to_owned()).collect()
    }

    #[test]
    fn the_everyone_snapshot_follows_arrivals_even_while_held_and_departures() {
        let namespace = namespace();
        let everyone = BroadcastOptions::new();
        connect(&namespace, "a");
        connect(&namespace, "b");
        let (first, ids) = reached(&namespace, &everyone);
        assert_eq!(ids, names(&["a", "b"]));

        // An emit still holds `first`: the socket that arrives meanwhile must not be missed.
        connect(&namespace, "c");
        let (second, ids) = reached(&namespace, &everyone);
        assert_eq!(ids, names(&["a", "b", "c"]));
        assert!(!Arc::ptr_eq(&first, &second));
        drop(first);

        drop(second);
        connect(&namespace, "d");
        assert_eq!(
            reached(&namespace, &everyone).1,
            names(&["a", "b", "c", "d"])
        );

        namespace.remove_socket(&SocketId::new("b"));
        assert_eq!(reached(&namespace, &everyone).1, names(&["a", "c", "d"]));
        // A socket that leaves (socket.broadcast): one comparison, and still the shared snapshot.
        let others = BroadcastOptions::from_sender(&SocketId::new("c"));
        assert_eq!(reached(&namespace, &others).1, names(&["a", "d"]));
    }

    #[test]
    fn the_everyone_snapshot_grows_in_place_when_nobody_holds_it() {
        let namespace = namespace();
        let (a, b) = (socket(&namespace, "a"), socket(&namespace, "b"));
        let mut sockets = HashMap::from([(a.id().clone(), a.clone())]);
        let mut snapshots = Snapshots::default();
        drop(snapshots.get(&Rooms::new(), &sockets, &BroadcastOptions::new()));
        sockets.insert(b.id().clone(), b.clone());
        snapshots.socket_added(&b);
        let kept = snapshots.everyone.as_ref().expect("kept, not dropped");
        let ids: Vec<&str> = kept.iter().map(|recipient| recipient.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
    }

    #[test]
    fn a_room_snapshot_is_dropped_by_any_change_of_the_room() {
        let namespace = namespace();
        let members = ["m0", "m1", "m2", "m3", "m4", "m5"];
        let sockets: Vec<Socket> = members.iter().map(|id| connect(&namespace, id)).collect();
        let outsider = connect(&namespace, "out");
        for socket in &sockets {
            socket.set_connected(true);
        }
        for socket in &sockets[..5] {
            socket.join("room");
        }
        let room = BroadcastOptions::new().to("room");
        assert_eq!(reached(&namespace, &room).1, names(&members[..5]));

        sockets[5].join("room");
        assert_eq!(reached(&namespace, &room).1, names(&members));

        sockets[0].leave("room");
        assert_eq!(reached(&namespace, &room).1, names(&members[1..]));

        namespace.remove_socket(sockets[1].id());
        assert_eq!(
            reached(&namespace, &room).1,
            names(&["m2", "m3", "m4", "m5"]),
            "a disconnected socket is no recipient"
        );
        assert_eq!(ROOM_SNAPSHOT_MIN, 4);
        namespace.remove_socket(sockets[2].id());
        // Below the threshold: the index serves it.
        assert!(namespace.state().snapshot(&room).is_none());

        // Bulk joins and leaves change the room too.
        namespace.sockets_join(&[Room::new("room")]);
        assert_eq!(
            reached(&namespace, &room).1,
            names(&["m0", "m3", "m4", "m5", "out"])
        );
        namespace
            .to(Room::from(outsider.id()))
            .sockets_leave(&[Room::new("room")]);
        assert_eq!(
            reached(&namespace, &room).1,
            names(&["m0", "m3", "m4", "m5"])
        );

        // Exclusions: a few are compared; many leave the selection to the index.
        let except_two = room.clone().except("m3").except("m4");
        assert_eq!(reached(&namespace, &except_two).1, names(&["m0", "m5"]));
        assert!(matches!(
            namespace.state().snapshot(&except_two),
            Some((_, Excluded::Few(_)))
        ));
        for extra in ["x0", "x1", "x2", "x3", "x4"] {
            connect(&namespace, extra);
        }
        namespace.sockets_join(&[Room::new("crowd")]);
        assert!(namespace.state().snapshot(&room.except("crowd")).is_none());
    }
}
