//! Adapters: the room index and broadcast selection (in-memory; remote adapters sit beside it).
//!
//! - [`Rooms`]: one namespace's index of room -> sockets and socket -> rooms, with
//!   [`RoomEvent`]s pulled through [`Rooms::poll_event`] once enabled.
//! - [`BroadcastOptions`]: which sockets an operation targets (rooms, except, flags), plain
//!   serializable data; [`Rooms::select`] turns it into a [`Selection`] of recipients.
//! - [`Adapter`]: the seam a cluster adapter implements; [`Rooms`] is the in-memory implementation.
//! - [`SocketId`], [`Room`]: small strings, inline up to 22 bytes, cheap to clone, hash and compare.

mod broadcast;
mod events;
mod id;
mod rooms;
mod seam;
mod select;
mod set;

pub use broadcast::{BroadcastFlags, BroadcastOptions};
pub use events::RoomEvent;
pub use id::{Room, SocketId};
pub use rooms::Rooms;
pub use seam::{Adapter, RequestId};
pub use select::Selection;
pub use set::Iter;
