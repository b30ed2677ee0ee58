//! Room lifecycle events, pulled from the index after an operation.

use super::id::{Room, SocketId};
use alloc::collections::VecDeque;

/// A change in the room index, in the order the reference adapter emits them: `CreateRoom` before the
/// first `JoinRoom` of a room, `LeaveRoom` before the `DeleteRoom` of a room left empty.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RoomEvent {
    /// A room got its first member.
    CreateRoom(Room),
    /// A room lost its last member and is gone.
    DeleteRoom(Room),
    /// A socket joined a room.
    JoinRoom(Room, SocketId),
    /// A socket left a room (or was removed from it on disconnect).
    LeaveRoom(Room, SocketId),
}

/// The pending events, recorded only once someone has asked for them.
///
/// Events are opt-in rather than always queued: the reference emits them through an `EventEmitter`,
/// which costs nothing when nobody listens, and almost nobody does. Queuing them unconditionally would
/// clone a room name and a socket id into a queue on every connect, join, leave and disconnect, only to
/// be drained and dropped by a server that ignores them; switched off, the hot path records nothing.
#[derive(Clone, Debug, Default)]
pub(crate) struct EventQueue {
    /// `None` while disabled; otherwise the most events kept waiting to be polled.
    limit: Option<usize>,
    pending: VecDeque<RoomEvent>,
    dropped: u64,
}

impl EventQueue {
    pub(crate) fn enable(&mut self, limit: usize) {
        self.limit = Some(limit);
    }

    pub(crate) fn disable(&mut self) {
        self.limit = None;
        self.pending = VecDeque::new();
    }

    /// Records the event built by `make`, which only runs when events are enabled.
    #[inline]
    pub(crate) fn record(&mut self, make: impl FnOnce() -> RoomEvent) {
        let Some(limit) = self.limit else {
            return;
        };
        if self.pending.len() < limit {
            self.pending.push_back(make());
        } else {
            self.dropped = self.dropped.saturating_add(1);
        }
    }

    pub(crate) fn poll(&mut self) -> Option<RoomEvent> {
        self.pending.pop_front()
    }

    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }
}
