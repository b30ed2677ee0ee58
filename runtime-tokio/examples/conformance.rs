//! The server of the public compliance suites, on tokio: the Engine.IO echo on `/engine.io/` and
//! the Socket.IO echo on `/socket.io/`, with the suites' settings (see
//! `socketio_runtime::demo::conformance`, CORS for any origin). Port from `PORT` (default 3000).
//!
//! ```text
//! PORT=3000 cargo run -p socketio-tokio --example conformance
//! ```

use std::sync::Arc;

use socketio_tokio::demo::conformance::{self, DEFAULT_PORT};
use socketio_tokio::demo::port_from_env;
use socketio_tokio::{Server, TokioRuntime};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let routes = conformance::routes(Arc::new(TokioRuntime::current()));
    let server = Server::bind(("0.0.0.0", port_from_env(DEFAULT_PORT)?), routes).await?;
    println!("{}", conformance::banner(server.local_addr()?));
    server.run().await
}
