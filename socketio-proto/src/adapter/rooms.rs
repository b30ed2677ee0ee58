//! `Rooms`: the in-memory room index of one namespace.

use super::broadcast::BroadcastOptions;
use super::events::{EventQueue, RoomEvent};
use super::id::{Room, SocketId, Text};
use super::select::Selection;
use super::set::{Iter, SmallSet};
use alloc::vec::Vec;
use core::hash::Hash;
use hashbrown::hash_map::Entry;
use hashbrown::{Equivalent, HashMap};

/// The room index of one namespace: room -> sockets and socket -> rooms, always consistent.
///
/// A socket is *in the namespace* from its first [`add_all`](Self::add_all) (or
/// [`add_socket`](Self::add_socket)) until [`del_all`](Self::del_all), even while it is in no room;
/// broadcasts to "everyone" reach exactly those sockets. A room exists exactly while it has a member.
///
/// The index does not join a socket to its own-id room by itself, as in the reference, where the
/// socket does it on connect: the server calls [`add_socket`](Self::add_socket) (which does that join)
/// when a namespace socket connects, and [`del_all`](Self::del_all) when it disconnects.
///
/// Iteration orders (rooms, members, recipients) are unspecified.
#[derive(Clone, Debug, Default)]
pub struct Rooms {
    pub(crate) rooms: HashMap<Room, SmallSet<SocketId>>,
    pub(crate) sockets: HashMap<SocketId, SmallSet<Room>>,
    events: EventQueue,
}

impl Rooms {
    /// An empty index with events disabled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a newly connected socket and joins it to its own-id room.
    pub fn add_socket(&mut self, sid: &SocketId) {
        self.add_all(sid, [Room::from(sid)]);
    }

    /// Joins `sid` to each of `rooms`, registering the socket if it is new (even when `rooms` is empty).
    /// Rooms it is already in are left as they are.
    pub fn add_all<R: Into<Room>>(&mut self, sid: &SocketId, rooms: impl IntoIterator<Item = R>) {
        let Rooms {
            rooms: index,
            sockets,
            events,
        } = self;
        let socket_rooms = sockets.entry_ref(sid).or_insert(SmallSet::Empty);
        for room in rooms {
            let room = room.into();
            if !socket_rooms.insert(room.clone()) {
                continue;
            }
            match index.entry(room) {
                Entry::Occupied(mut members) => {
                    if members.get_mut().insert(sid.clone()) {
                        events.record(|| RoomEvent::JoinRoom(members.key().clone(), sid.clone()));
                    }
                }
                Entry::Vacant(slot) => {
                    events.record(|| RoomEvent::CreateRoom(slot.key().clone()));
                    events.record(|| RoomEvent::JoinRoom(slot.key().clone(), sid.clone()));
                    slot.insert(SmallSet::One(sid.clone()));
                }
            }
        }
    }

    /// Removes `sid` from `room`; `false` if it was not in it. The room goes when it is left empty; the
    /// socket stays in the namespace.
    pub fn del(&mut self, sid: &str, room: &str) -> bool {
        let Some((sid, socket_rooms)) = self.sockets.get_key_value_mut(&Text(sid)) else {
            return false;
        };
        if !socket_rooms.remove(&Text(room)) {
            return false;
        }
        leave(&mut self.rooms, &mut self.events, &Text(room), sid);
        true
    }

    /// Removes `sid` from every room and from the namespace, leaving no trace of it; `false` if unknown.
    pub fn del_all(&mut self, sid: &str) -> bool {
        let Some((sid, socket_rooms)) = self.sockets.remove_entry(&Text(sid)) else {
            return false;
        };
        for room in socket_rooms.iter() {
            leave(&mut self.rooms, &mut self.events, room, &sid);
        }
        true
    }

    /// Whether `sid` is in the namespace.
    pub fn contains_socket(&self, sid: &str) -> bool {
        self.sockets.contains_key(&Text(sid))
    }

    /// The rooms `sid` is in, or `None` if it is not in the namespace.
    pub fn socket_rooms(&self, sid: &str) -> Option<Iter<'_, Room>> {
        self.sockets.get(&Text(sid)).map(SmallSet::iter)
    }

    /// Whether `sid` is in `room`.
    pub fn is_member(&self, sid: &str, room: &str) -> bool {
        self.rooms
            .get(&Text(room))
            .is_some_and(|members| members.contains(&Text(sid)))
    }

    /// Whether `room` exists (has members).
    pub fn has_room(&self, room: &str) -> bool {
        self.rooms.contains_key(&Text(room))
    }

    /// The members of `room`, or `None` if it does not exist.
    pub fn room_members(&self, room: &str) -> Option<Iter<'_, SocketId>> {
        self.rooms.get(&Text(room)).map(SmallSet::iter)
    }

    /// The number of members of `room` (0 if it does not exist).
    pub fn room_len(&self, room: &str) -> usize {
        self.rooms.get(&Text(room)).map_or(0, SmallSet::len)
    }

    /// Every existing room, own-id rooms included.
    pub fn rooms(&self) -> impl ExactSizeIterator<Item = &Room> + '_ {
        self.rooms.keys()
    }

    /// Every socket in the namespace.
    pub fn sockets(&self) -> impl ExactSizeIterator<Item = &SocketId> + '_ {
        self.sockets.keys()
    }

    /// The number of existing rooms.
    pub fn room_count(&self) -> usize {
        self.rooms.len()
    }

    /// The number of sockets in the namespace.
    pub fn socket_count(&self) -> usize {
        self.sockets.len()
    }

    /// The sockets `opts` targets, each once (see [`BroadcastOptions`]); flags are not looked at.
    /// Serves broadcasts, `fetch_sockets` and `disconnect_sockets` (collect the ids before mutating).
    pub fn select(&self, opts: &BroadcastOptions) -> Selection<'_> {
        Selection::new(self, &opts.rooms, &opts.except)
    }

    /// The sockets in any of `rooms`, each once; every socket of the namespace when `rooms` is empty.
    pub fn sockets_in<'q>(&self, rooms: impl IntoIterator<Item = &'q Room>) -> Selection<'_> {
        Selection::new(self, rooms, core::iter::empty())
    }

    /// Joins every socket `opts` selects to each of `rooms` (`sockets_join`); returns how many were selected.
    pub fn add_sockets(&mut self, opts: &BroadcastOptions, rooms: &[Room]) -> usize {
        let selected: Vec<SocketId> = self.select(opts).cloned().collect();
        for sid in &selected {
            self.add_all(sid, rooms.iter().cloned());
        }
        selected.len()
    }

    /// Removes every socket `opts` selects from each of `rooms` (`sockets_leave`); returns how many were
    /// selected.
    pub fn del_sockets(&mut self, opts: &BroadcastOptions, rooms: &[Room]) -> usize {
        let selected: Vec<SocketId> = self.select(opts).cloned().collect();
        for sid in &selected {
            for room in rooms {
                self.del(sid, room);
            }
        }
        selected.len()
    }

    /// Starts recording [`RoomEvent`]s, keeping at most `limit` unpolled; past that, events are dropped
    /// and counted in [`dropped_events`](Self::dropped_events). Drain with
    /// [`poll_event`](Self::poll_event) after each call that changes membership.
    pub fn enable_events(&mut self, limit: usize) {
        self.events.enable(limit);
    }

    /// Stops recording events and discards the pending ones.
    pub fn disable_events(&mut self) {
        self.events.disable();
    }

    /// The next pending room event, oldest first.
    pub fn poll_event(&mut self) -> Option<RoomEvent> {
        self.events.poll()
    }

    /// How many events were dropped because the queue was full.
    pub fn dropped_events(&self) -> u64 {
        self.events.dropped()
    }
}

/// Removes `sid` from the members of `room`, and the room itself once empty.
fn leave<Q: Hash + Equivalent<Room> + ?Sized>(
    index: &mut HashMap<Room, SmallSet<SocketId>>,
    events: &mut EventQueue,
    room: &Q,
    sid: &SocketId,
) {
    let Some((name, members)) = index.get_key_value_mut(room) else {
        return;
    };
    if members.remove(sid) {
        events.record(|| RoomEvent::LeaveRoom(name.clone(), sid.clone()));
    }
    if members.is_empty() {
        if let Some((name, _)) = index.remove_entry(room) {
            events.record(|| RoomEvent::DeleteRoom(name));
        }
    }
}
