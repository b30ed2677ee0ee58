//! The Engine.IO server on tokio: a [`Runtime`] for tokio and a TCP accept loop. Everything else
//! (HTTP handling, WebSocket, session tasks, the application seam) is `socketio-runtime`'s and is
//! re-exported here.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use socketio_tokio::{EchoApp, Server, engine};
//! let server = Server::bind("127.0.0.1:3000", engine(EchoApp).build()).await?;
//! println!("listening on {}", server.local_addr()?);
//! server.run().await
//! # }
//! ```

pub mod client;
mod listen;
mod runtime;

pub use client::Client;
pub use listen::{Server, engine, listen, socket_io};
pub use runtime::TokioRuntime;
pub use socketio_runtime::*;
