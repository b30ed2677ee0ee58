//! The Engine.IO / Socket.IO server and client on smol: a [`Runtime`] for `async-executor`
//! executors (smol's global one or the caller's) with async-io's timers, a TCP accept loop over
//! async-net, and a TCP connector for the client. Everything else (HTTP handling, WebSocket,
//! session tasks, the Socket.IO API) is `socketio-runtime`'s and is re-exported here; hyper runs
//! over smol's sockets through [`HyperIo`].
//!
//! Nothing here needs a tokio runtime: servers and clients run under `smol::block_on` or any
//! `async_executor::Executor`.
//!
//! ```no_run
//! # fn main() -> std::io::Result<()> {
//! use socketio_smol::{Server, socket_io};
//!
//! smol::block_on(async {
//!     let io = socket_io().build();
//!     io.on_connection(|socket| {
//!         socket.on("ping", |_, (): (), ack| {
//!             ack.map(|ack| ack.send("pong"));
//!         });
//!     });
//!     let server = Server::bind("127.0.0.1:3000", io).await?;
//!     println!("listening on {}", server.local_addr()?);
//!     server.run().await
//! })
//! # }
//! ```

pub mod client;
mod listen;
mod runtime;

pub use client::Client;
pub use listen::{Server, engine, listen, socket_io};
pub use runtime::SmolRuntime;
pub use socketio_runtime::*;
