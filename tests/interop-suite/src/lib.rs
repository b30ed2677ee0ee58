//! The interop scenarios against the official JavaScript peers (from npm, pinned in
//! `tests/interop/package-lock.json`), written once and run on every runtime.
//!
//! A scenario list is a Node.js script in `tests/interop/` that drives our server and prints one
//! JSON object of observations, plus the [`Scenario`]s here that assert on them. A runtime's test
//! supplies only a [`Host`] (its [`Runtime`] and a way to serve an [`Engine`] on a free port) and
//! calls the list's entry point:
//!
//! - [`engine_io::official_client`]: our Engine.IO server against `engine.io-client`;
//! - [`socket_io::official_client`]: our Socket.IO server against `socket.io-client`.
//!
//! `tests/tokio.rs` and `tests/smol.rs` run both lists, on tokio and on smol (under `smol::block_on`
//! and under a plain `async_executor::Executor`). The scripts' npm packages are installed with
//! `npm ci` on first use.

pub mod engine_io;
mod host;
mod node;
pub mod socket_io;

pub use host::{Host, Scenario};
pub use node::{ensure_node_modules, interop_dir, run_node_script};

pub use socketio_runtime::{BoxFuture, Engine, Runtime};
