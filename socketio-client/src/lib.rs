//! The Socket.IO client: one connection to a server (one Engine.IO session at a time, reconnected as
//! needed) with any number of namespace sockets over it, on any async runtime (`socketio-tokio` and
//! `socketio-smol` give it theirs):
//!
//! ```no_run
//! use std::time::Duration;
//! use socketio_tokio::Client;
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let client = Client::builder("http://127.0.0.1:3000/chat").build()?;
//!     let socket = client.socket();
//!     socket.on("news", |_, (text,): (String,), _ack| println!("news: {text}"));
//!     client.connect().await?;
//!     let answer = socket.emit_with_ack("hello", &("world",)).timeout(Duration::from_secs(1)).await?;
//!     println!("the server answered {}", answer.json().as_str());
//!     client.close();
//!     Ok(())
//! }
//! ```
//!
//! # How it runs
//!
//! A [`Client`] runs one task that drives a [`socketio_proto::client::Stack`], the whole client as
//! one sans-IO machine (the manager and its Engine.IO sessions): it waits for a command from the
//! handles, a transport completion or the earliest deadline, feeds it in, carries out what the stack
//! asks (HTTP long-polling requests over hyper's HTTP/1.1 client, a WebSocket over
//! `async-tungstenite`, events for the application) and sleeps until the next deadline. Everything runtime-specific comes from a
//! [`ClientRuntime`]: a [`Runtime`] to spawn and sleep and a [`Connector`] to open
//! TCP connections. `socketio-tokio` supplies one for tokio.
//!
//! # Usage
//!
//! - [`Client::builder`] takes the server URL; its path is the namespace of [`Client::socket`]
//!   (`http://host:3000/chat` -> `/chat`). Options: auth, query, headers, transports, reconnection,
//!   and the protocol: [`ClientBuilder::protocol`]`(`[`ProtocolVersion::V3`]`)` reaches
//!   `socket.io@2` servers (Engine.IO 3, Socket.IO protocol v4).
//! - [`ClientBuilder::build`] starts the client without connecting, so handlers can be registered
//!   first; [`Socket::connect`] (or [`Client::connect`]) connects. [`ClientBuilder::connect`] does
//!   both and waits.
//! - [`Socket::on`] registers an event handler: its arguments are read through serde (a tuple for
//!   several arguments, `bytes::Bytes` fields for binary ones), with an [`AckSender`] to answer the
//!   server when it asked for an acknowledgement. [`Socket::on_event`] hears connection events
//!   ([`SocketEvent`]), [`Client::on_event`] the connection's own ([`ClientEvent`]).
//! - [`Socket::emit`], [`Socket::emit_with_ack`] (a future, with an optional timeout),
//!   [`Socket::volatile`]. Emits while disconnected wait in a bounded buffer and go out on
//!   connection; volatile ones are dropped instead.
//!
//! Handlers run on the client's task, one at a time, in the order events arrive: they must not
//! block. Emitting from a handler is fine (commands are queued, never awaited). A handler that
//! panics is cut short and the client carries on.
//!
//! Dropping the last [`Client`] clone closes the connection and ends the task; the [`Socket`]
//! handles then fail with [`EmitError::Closed`].
//!
//! # Bounds
//!
//! Commands from the handles go through a bounded queue: when it is full (the connection is slower
//! than the application), emits fail with [`EmitError::QueueFull`]. The client's task stops taking
//! commands while the transport's own queue is half full, so the application feels the backpressure instead
//! of the connection being dropped. Received bodies and frames are limited to
//! [`ClientBuilder::max_payload`].
//!
//! # Not supported yet
//!
//! Connection state recovery and the msgpack parser.
//!
//! # TLS
//!
//! `https://` and `wss://` URLs connect with rustls, verifying the server's certificate against the
//! Mozilla root certificates; [`ClientBuilder::tls_config`] replaces that configuration (private
//! roots, client certificates).

mod builder;
mod handle;
mod task;
mod tls;
mod transport;
mod url;

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;

pub use builder::{BuildError, ClientBuilder};
pub use handle::{
    AckError, AckSender, Client, ClientEvent, ConnectError, Connecting, EmitError, EmitWithAck,
    Socket, SocketEvent, Volatile,
};

pub use engineio_proto::client::{CloseReason, TransportFailure};
pub use engineio_proto::{ProtocolVersion, Transport};
/// The TLS library, for [`ClientBuilder::tls_config`].
pub use futures_rustls::rustls;
pub use socketio_proto::client::DisconnectReason;
pub use socketio_proto::client::OpenFailure;
pub use socketio_proto::packet::Payload;
pub use socketio_proto::parser::PacketFormat;
pub use transport::TransportError;

use socketio_runtime::Runtime;

/// A connection as the client uses it: hyper's I/O traits, so hyper's HTTP/1.1 client and (through
/// [`FuturesIo`](socketio_runtime::FuturesIo)) `async-tungstenite` both run over it.
pub trait ClientIo: hyper::rt::Read + hyper::rt::Write + Send + Unpin + 'static {}

impl<T: hyper::rt::Read + hyper::rt::Write + Send + Unpin + 'static> ClientIo for T {}

/// A boxed [`ClientIo`].
pub type BoxIo = Box<dyn ClientIo>;

/// The future of [`Connector::connect`].
pub type ConnectFuture = Pin<Box<dyn Future<Output = io::Result<BoxIo>> + Send + 'static>>;

/// Opens TCP connections: the runtime-specific part of the client's I/O. Object-safe, so the client
/// holds an `Arc<dyn Connector>`.
pub trait Connector: Send + Sync + 'static {
    /// Connects to `host` (a name or an IP address, without brackets) on `port`.
    fn connect(&self, host: &str, port: u16) -> ConnectFuture;
}

/// What a client needs from an async runtime, chosen by type: `socketio_tokio::Client` is
/// `Client<Tokio>`. Both functions are called once, when the client is built, from the caller's
/// context.
pub trait ClientRuntime: 'static {
    /// Spawning and timers.
    fn runtime() -> Arc<dyn Runtime>;
    /// TCP connections.
    fn connector() -> Arc<dyn Connector>;
}
