//! Socket.IO (and Engine.IO) on smol: the server and the client of this workspace on
//! `async-executor` executors (smol's global one or the caller's) with async-io's timers
//! ([`SmolRuntime`]), a TCP accept loop over async-net ([`HttpServer`], [`listen`]) and a TCP
//! connector for the client ([`client::Smol`]). The protocol and the APIs are the runtime-agnostic
//! crates' (`socketio-server`, `socketio-client`, `engineio-server`); hyper runs over smol's sockets
//! through [`HyperIo`].
//!
//! Features: `server` and `client`, both on by default; a server-only build compiles no TLS crate.
//!
//! Nothing here needs a tokio runtime: servers and clients run under `smol::block_on` or any
//! `async_executor::Executor`.
//!
//! ```no_run
//! # fn main() -> std::io::Result<()> {
//! use socketio_smol::{HttpServer, socket_io};
//!
//! smol::block_on(async {
//!     let io = socket_io().build();
//!     io.on_connection(|socket| {
//!         socket.on("ping", |_, (): (), ack| {
//!             ack.map(|ack| ack.send("pong"));
//!         });
//!     });
//!     let server = HttpServer::bind("127.0.0.1:3000", io).await?;
//!     println!("listening on {}", server.local_addr()?);
//!     server.run().await
//! })
//! # }
//! ```

#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "server")]
mod listen;
mod runtime;

pub use runtime::SmolRuntime;
pub use socketio_runtime::HyperIo;

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
