//! The Socket.IO server: namespaces, sockets, events and acks, rooms and broadcasts, with the
//! reference server's semantics and Rust idioms, on any async runtime. `socketio-tokio` and
//! `socketio-smol` build it on their runtime ([`SocketIo::builder`] takes any
//! [`Runtime`](socketio_runtime::Runtime)) and serve it on TCP:
//!
//! ```no_run
//! use std::time::Duration;
//! use socketio_server::ConnectError;
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let io = socketio_tokio::socket_io().build();
//!     io.of("/admin").use_middleware(|socket| async move {
//!         match socket.handshake().auth.get("token") {
//!             Some(token) if token == "secret" => Ok(()),
//!             _ => Err(ConnectError::new("not authorized")),
//!         }
//!     });
//!     io.on_connection(|socket| {
//!         socket.join("lobby");
//!         socket.on("chat", |socket, (text,): (String,), ack| {
//!             let _ = socket.to("lobby").emit("chat", &(socket.id().as_str(), text));
//!             if let Some(ack) = ack {
//!                 let _ = ack.send("delivered");
//!             }
//!         });
//!         let asker = socket.clone();
//!         socket.spawn(async move {
//!             let answer = asker.emit_with_ack("ready?", &()).timeout(Duration::from_secs(5)).await;
//!             println!("{answer:?}");
//!         });
//!     });
//!     socketio_tokio::listen("127.0.0.1:3000", io).await
//! }
//! ```
//!
//! # How it runs
//!
//! [`SocketIo`] is an [`Application`](engineio_server::Application) of the Engine.IO server: each Engine.IO
//! session runs one `socketio_proto::server::ServerConnection` inside its own task (see
//! `session.rs`), and the application reaches it through handles:
//!
//! - listeners ([`Socket::on`], [`Namespace::on_connection`], ...) run inside the session's task, in
//!   the order the client sent its packets, like JavaScript handlers; they must not block (spawn for
//!   long work);
//! - emits encode on the caller's thread and hand the shared bytes to each recipient's session
//!   ([`SessionHandle`](engineio_server::SessionHandle)); a broadcast is encoded once;
//! - commands that need the protocol state (acks, accepting a connection, disconnecting) travel to
//!   the session's task as [`SessionHandler::on_command`](engineio_server::SessionHandler::on_command)s.
//!
//! Namespace state (the room index and the socket table) sits behind one short lock per namespace,
//! never held while a listener runs or I/O happens.

mod ack;
mod broadcast;
mod config;
mod conn;
mod error;
mod handshake;
mod io;
mod listeners;
mod namespace;
mod session;
mod socket;

pub use ack::{AckError, AckSender, EmitWithAck};
pub use broadcast::BroadcastOperator;
pub use config::SocketIoConfig;
pub use conn::Conn;
pub use error::{ConnectError, EmitError};
pub use handshake::Handshake;
pub use io::{SocketIo, SocketIoBuilder};
pub use namespace::Namespace;
pub use socket::{Socket, Volatile};

pub use socketio_proto::adapter::{Room, RoomEvent, SocketId};
pub use socketio_proto::packet::Payload;
pub use socketio_proto::parser::PacketFormat;
pub use socketio_proto::server::DisconnectReason;

pub use engineio_server;
pub use socketio_proto;

impl From<SocketIo> for engineio_server::Routes {
    fn from(io: SocketIo) -> Self {
        engineio_server::Routes::new(io)
    }
}
