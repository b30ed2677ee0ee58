//! Server side: one connection state per Engine.IO session, multiplexing namespace sockets.
//!
//! # Layering
//!
//! A [`ServerConnection`] sits on top of an Engine.IO `ServerSession` without owning it. A runtime
//! driver glues the two:
//!
//! | engine session emits                | driver calls                               |
//! |-------------------------------------|--------------------------------------------|
//! | `Event::Message(m)`                 | `conn.handle_message(now, m)`              |
//! | `Event::Closed(r)`                  | `conn.handle_engine_closed(now, r)`        |
//!
//! | connection emits                    | driver calls                               |
//! |-------------------------------------|--------------------------------------------|
//! | [`Output::Send(m)`](Output::Send)   | `engine.send(m)`                           |
//! | [`Output::CloseEngine`]             | `engine.close(now)`                        |
//! | [`Output::Event(e)`](Output::Event) | the application / namespace state          |
//!
//! # Rooms
//!
//! Rooms span connections (one [`Rooms`](crate::adapter::Rooms) per namespace), so they live with
//! the runtime's namespace state, which the connection's events keep in step:
//!
//! - [`Event::Connected`]: `rooms.add_socket(&socket)` (the socket's own-id room);
//! - [`Event::Disconnecting`]: the socket is leaving but still in its rooms (the reference's
//!   `disconnecting` handlers may read them);
//! - [`Event::Disconnected`]: `rooms.del_all(&socket)`; no output names the socket afterwards.
//!
//! Each connected socket gets exactly one `Disconnecting` then one `Disconnected`, whatever ends it.
//!
//! # Namespace handshake
//!
//! A client `CONNECT` becomes [`Event::ConnectRequest`] and the namespace is pending until the
//! application (after its middleware) calls [`accept`](ServerConnection::accept) with a socket id
//! ([`ServerConnection::new_socket_id`] from CSPRNG bytes), [`reject`](ServerConnection::reject) or
//! [`reject_invalid_namespace`](ServerConnection::reject_invalid_namespace).
//!
//! # Socket.IO v4
//!
//! An Engine.IO revision 3 session (a `socket.io-client` 1 or 2) gets a
//! [`ServerConnection::new_eio3`]: it speaks Socket.IO protocol v4 ([`v4`](crate::v4)), asks for `/` on
//! the client's behalf at once, and gives the reference's v4 socket ids through
//! [`new_socket_id`](ServerConnection::new_socket_id). Everything else is as in v5.
//!
//! Packets the reference treats as an "invalid state" close the whole connection with
//! [`DisconnectReason::ForcedServerClose`]: anything but `CONNECT` for a namespace without a connected
//! socket (pending ones included: a well-behaved client buffers its emits until connected), a
//! `CONNECT` for a namespace already connected, and a client `CONNECT_ERROR`. A repeated `CONNECT` for
//! a pending namespace is ignored: the pending request answers it (the reference would start a second
//! socket and leak the first).
//!
//! When the last socket leaves, the connection stays open (the reference's `_remove`); the connect
//! timeout applies only until the first socket is accepted.

mod acks;
mod config;
mod connection;
mod error;
mod event;
mod id;
mod json;
mod reason;
mod socket;

pub use crate::packet::{RESERVED_EVENTS, is_reserved_event};
pub use config::ServerConnectionConfig;
pub use connection::ServerConnection;
pub use error::{AckError, EmitError, NotConnected, NotPending};
pub use event::{Event, Output};
pub use id::{SOCKET_ID_RANDOM_BYTES, socket_id_from_random};
pub use reason::DisconnectReason;
