//! The seam where a cluster adapter plugs in beside the in-memory one.

use super::broadcast::BroadcastOptions;
use super::id::Room;
use super::rooms::Rooms;
use super::select::Selection;
use serde::{Deserialize, Serialize};

/// Names a request whose answers arrive later: the acks of a broadcast, the sockets other servers
/// fetched, the answers to a server-side emit. The caller allocates it, unique among its pending ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RequestId(pub u64);

/// What a namespace needs from its adapter. [`Rooms`] is the in-memory adapter and the real
/// implementation: the provided methods are its behaviour, applied to this server's index.
///
/// A cluster adapter (Redis, …) lives in its own crate, with a runtime. It keeps a [`Rooms`] for this
/// server's sockets and overrides the operations to also publish them — `opts` is plain serializable
/// data, `P` the packet as the server hands it over — unless `opts.flags.local` is set, then applies
/// the local part as the provided methods do. Nothing here waits: answers from other servers
/// (recipient counts and acks, fetched sockets, server-side emit replies) reach the server through that
/// crate's own API, tagged with the [`RequestId`] given here, and [`server_count`](Self::server_count)
/// tells how many servers should answer.
///
/// The methods that return a [`Selection`] return this server's part: the local sockets the server
/// must deliver to, count, describe or disconnect.
pub trait Adapter<P: ?Sized> {
    /// This server's index.
    fn local(&self) -> &Rooms;

    /// This server's index, to join and leave rooms as sockets connect, join, leave and disconnect.
    fn local_mut(&mut self) -> &mut Rooms;

    /// Servers in the cluster, this one included, as last known.
    fn server_count(&self) -> usize {
        1
    }

    /// Broadcasts `packet`; returns the local recipients.
    fn broadcast(&mut self, packet: &P, opts: &BroadcastOptions) -> Selection<'_> {
        let _ = packet;
        self.local().select(opts)
    }

    /// Broadcasts `packet` expecting one ack per recipient, reported under `request`; returns the local
    /// recipients (whose number is this server's expected ack count).
    fn broadcast_with_ack(
        &mut self,
        request: RequestId,
        packet: &P,
        opts: &BroadcastOptions,
    ) -> Selection<'_> {
        let _ = (request, packet);
        self.local().select(opts)
    }

    /// Joins the selected sockets to `rooms`; returns how many local sockets were selected.
    fn add_sockets(&mut self, opts: &BroadcastOptions, rooms: &[Room]) -> usize {
        self.local_mut().add_sockets(opts, rooms)
    }

    /// Removes the selected sockets from `rooms`; returns how many local sockets were selected.
    fn del_sockets(&mut self, opts: &BroadcastOptions, rooms: &[Room]) -> usize {
        self.local_mut().del_sockets(opts, rooms)
    }

    /// Disconnects the selected sockets (closing their connections when `close`); returns the local ones,
    /// for the server to disconnect (collect them first: disconnecting removes them from the index).
    fn disconnect_sockets(&mut self, opts: &BroadcastOptions, close: bool) -> Selection<'_> {
        let _ = close;
        self.local().select(opts)
    }

    /// Fetches the selected sockets; returns the local ones, the others arrive under `request`.
    fn fetch_sockets(&mut self, request: RequestId, opts: &BroadcastOptions) -> Selection<'_> {
        let _ = request;
        self.local().select(opts)
    }

    /// Sends `message` to the other servers' namespaces, expecting answers under `request` when given;
    /// returns how many servers will answer (none without a cluster, so an ack completes at once).
    fn server_side_emit(&mut self, request: Option<RequestId>, message: &P) -> usize {
        let _ = (request, message);
        0
    }
}

impl<P: ?Sized> Adapter<P> for Rooms {
    fn local(&self) -> &Rooms {
        self
    }

    fn local_mut(&mut self) -> &mut Rooms {
        self
    }
}
