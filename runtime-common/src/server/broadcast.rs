//! Broadcasts and bulk operations on a selection of a namespace's sockets.

use serde::Serialize;
use socketio_proto::adapter::{BroadcastOptions, Room};
use socketio_proto::packet::Encoded;
use socketio_proto::server::is_reserved_event;

use super::error::EmitError;
use super::namespace::Namespace;
use super::socket::Socket;
use crate::app::SessionHandle;

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
        let encoded = Encoded::event(self.namespace.proto_name(), event, args, None)?;
        let recipients = self.sessions();
        for session in &recipients {
            deliver(session, &encoded, self.opts.flags.volatile);
        }
        Ok(())
    }

    /// The selected sockets.
    pub fn fetch_sockets(&self) -> Vec<Socket> {
        let state = self.namespace.state();
        state
            .rooms
            .select(&self.opts)
            .filter_map(|id| state.sockets.get(id).cloned())
            .collect()
    }

    /// Makes the selected sockets join `rooms`.
    pub fn sockets_join(&self, rooms: &[Room]) {
        self.namespace
            .mutate(|state| state.rooms.add_sockets(&self.opts, rooms));
    }

    /// Makes the selected sockets leave `rooms`.
    pub fn sockets_leave(&self, rooms: &[Room]) {
        self.namespace
            .mutate(|state| state.rooms.del_sockets(&self.opts, rooms));
    }

    /// Disconnects the selected sockets; with `close`, their whole connections.
    pub fn disconnect_sockets(&self, close: bool) {
        for socket in self.fetch_sockets() {
            socket.disconnect(close);
        }
    }

    /// The recipients' sessions, collected under the namespace lock and used after it is released.
    fn sessions(&self) -> Vec<SessionHandle> {
        let state = self.namespace.state();
        state
            .rooms
            .select(&self.opts)
            .filter_map(|id| state.sockets.get(id))
            .map(|socket| socket.session().clone())
            .collect()
    }
}

/// Hands one encoded packet to one recipient's session: shared bytes, no copy.
fn deliver(session: &SessionHandle, encoded: &Encoded, volatile: bool) {
    if volatile {
        session.send_volatile(encoded.messages());
    } else {
        for message in encoded.messages() {
            // A refusal means the session is closing (overflow) or closed: its socket is leaving.
            if session.try_send(message).is_err() {
                return;
            }
        }
    }
}
