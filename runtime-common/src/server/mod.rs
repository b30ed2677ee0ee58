//! The Socket.IO server: namespaces, sockets, events and acks, rooms and broadcasts, with the
//! reference server's semantics and Rust idioms.
//!
//! [`SocketIo`] is an [`Application`](crate::Application) of the Engine.IO server: each Engine.IO
//! session runs one `socketio_proto::server::ServerConnection` inside its own task (see
//! `connection.rs`), and the application reaches it through handles:
//!
//! - listeners ([`Socket::on`], [`Namespace::on_connection`], ...) run inside the session's task, in
//!   the order the client sent its packets, like JavaScript handlers; they must not block (spawn for
//!   long work);
//! - emits encode on the caller's thread and hand the shared bytes to each recipient's session
//!   ([`SessionHandle`](crate::SessionHandle)); a broadcast is encoded once;
//! - commands that need the protocol state (acks, accepting a connection, disconnecting) travel to
//!   the session's task as [`SessionHandler::on_command`](crate::SessionHandler::on_command)s.
//!
//! Namespace state (the room index and the socket table) sits behind one short lock per namespace,
//! never held while a listener runs or I/O happens.

mod ack;
mod broadcast;
mod config;
mod conn;
mod connection;
mod error;
mod handshake;
mod io;
mod listeners;
mod namespace;
mod socket;

pub use ack::{AckError, AckRequest, AckSender};
pub use broadcast::BroadcastOperator;
pub use config::SocketIoConfig;
pub use conn::Conn;
pub use error::{ConnectError, EmitError};
pub use handshake::Handshake;
pub use io::{SocketIo, SocketIoBuilder};
pub use namespace::Namespace;
pub use socket::Socket;

pub use socketio_proto::adapter::{Room, RoomEvent, SocketId};
pub use socketio_proto::packet::Payload;
pub use socketio_proto::server::DisconnectReason;
