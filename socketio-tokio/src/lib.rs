//! Socket.IO (and Engine.IO) on tokio: the server and the client of this workspace with tokio's
//! spawning, timers and TCP. The protocol and the APIs are the runtime-agnostic crates'
//! (`socketio-server`, `socketio-client`, `engineio-server`); this crate adds [`TokioRuntime`], the
//! TCP accept loop ([`HttpServer`], [`listen`]) and the client's connector ([`client::Tokio`]).
//!
//! Features: `server` and `client`, both on by default; a server-only build
//! (`default-features = false, features = ["server"]`) compiles no TLS crate.
//!
//! ```no_run
//! use socketio_tokio::{listen, socket_io};
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let io = socket_io().build();
//!     io.on_connection(|socket| {
//!         socket.on("ping", |socket, (n,): (u32,), ack| {
//!             let _ = socket.emit("pong", &(n + 1,));
//!             if let Some(ack) = ack {
//!                 let _ = ack.send("got it");
//!             }
//!         });
//!     });
//!     listen("127.0.0.1:3000", io).await
//! }
//! ```

#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "server")]
mod listen;
mod runtime;

pub use runtime::TokioRuntime;

#[cfg(feature = "client")]
pub use client::Client;
#[cfg(feature = "server")]
pub use listen::{HttpServer, engine, listen, socket_io};

/// The Socket.IO server API: [`SocketIo`](server::SocketIo) is the `io` of the socket.io docs; build
/// it with [`socket_io`].
#[cfg(feature = "server")]
pub use socketio_server as server;

/// The Engine.IO server a Socket.IO server runs in: its settings, routes, and the seam for
/// applications of its own ([`Application`](engine_io::Application)).
#[cfg(feature = "server")]
pub use engineio_server as engine_io;
