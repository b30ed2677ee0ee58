//! The interop scenarios against the official JavaScript peers (from npm, pinned in
//! `tests/interop/package-lock.json`), written once and run on every runtime.
//!
//! A server scenario list is a Node.js script in `tests/interop/` that drives our server and prints
//! one JSON object of observations, plus the [`Scenario`]s here that assert on them. A runtime's
//! test supplies only a [`Host`] (its [`Runtime`] and a way to serve an [`Engine`] on a free port)
//! and calls the list's entry point:
//!
//! - [`engine_io::official_client`]: our Engine.IO server against `engine.io-client`;
//! - [`socket_io::official_client`]: our Socket.IO server against `socket.io-client`;
//! - [`eio3::official_v2_client`]: our Socket.IO server with `allow_eio3` against
//!   `socket.io-client@2`, beside `socket.io-client@4` clients.
//!
//! The client list turns this around: the official server (`js-server.mjs`) runs alongside, our
//! client drives the [`client::ClientScenario`]s against it, and the server's observations are
//! checked at the end. A runtime's test names its
//! [`ClientRuntime`](socketio_client::ClientRuntime) by type:
//!
//! - [`client::official_server`]: our Socket.IO client against the `socket.io` server;
//! - [`eio3_client::official_v2_server`]: our client speaking revision 3 against `socket.io@2`;
//! - [`client::official_server_over_tls`]: the same over `https` / `wss`, with a throwaway CA
//!   made by the `openssl` tool (installed with `apt-get` if missing).
//!
//! [`ours::our_server`] runs our client against our server (the conformance echo), in either
//! parser.
//!
//! `tests/tokio.rs` and `tests/smol.rs` run every list, on tokio and on smol (the server lists also
//! under a plain `async_executor::Executor`; the client's smol runtime is the global executor,
//! under `smol::block_on`). The scripts' npm packages are installed with `npm ci` on first use.

mod certificates;
pub mod client;
pub mod eio3;
pub mod eio3_client;
pub mod engine_io;
mod host;
mod node;
pub mod ours;
pub mod socket_io;
mod wait;

pub use host::{Host, Scenario};
pub use node::{NodeProcess, ensure_node_modules, interop_dir, run_node_script};

pub use engineio_server::Engine;
pub use socketio_runtime::{BoxFuture, Runtime};
