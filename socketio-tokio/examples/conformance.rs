//! The server of the public compliance suites, on tokio: the Engine.IO echo on `/engine.io/` and
//! the Socket.IO echo on `/socket.io/`, with the suites' settings (see
//! `example_apps::conformance`, CORS for any origin). Port from `PORT` (default 3000);
//! `ALLOW_EIO3=1` also serves Engine.IO revision 3 clients (`socket.io-client` 1 and 2) on both paths;
//! `PARSER=msgpack` serves the Socket.IO echo with `socket.io-msgpack-parser` (the Engine.IO echo is
//! unchanged).
//!
//! ```text
//! PORT=3000 cargo run -p socketio-tokio --example conformance
//! ALLOW_EIO3=1 PORT=3000 cargo run --release -p socketio-tokio --example conformance
//! PARSER=msgpack PORT=3000 cargo run --release -p socketio-tokio --example conformance
//! ```

use std::sync::Arc;

use example_apps::conformance::{self, DEFAULT_PORT};
use example_apps::port_from_env;
use socketio_tokio::{HttpServer, TokioRuntime};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let options = conformance::Options::from_env()?;
    let routes = conformance::routes_with(Arc::new(TokioRuntime::current()), options);
    let server = HttpServer::bind(("0.0.0.0", port_from_env(DEFAULT_PORT)?), routes).await?;
    println!("{}", conformance::banner(server.local_addr()?, options));
    server.run().await
}
