//! The server of the public compliance suites, on tokio: the Engine.IO echo on `/engine.io/` and
//! the Socket.IO echo on `/socket.io/`, with the suites' settings (see
//! `socketio_runtime::demo::conformance`; no CORS yet). Port from `PORT` (default 3000).
//!
//! ```text
//! PORT=3000 cargo run -p socketio-tokio --example conformance
//! ```

use std::sync::Arc;

use hyper_util::rt::TokioIo;
use socketio_tokio::TokioRuntime;
use socketio_tokio::demo::conformance::{Conformance, DEFAULT_PORT};
use socketio_tokio::demo::port_from_env;
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let conformance = Conformance::new(Arc::new(TokioRuntime::current()));
    let listener = TcpListener::bind(("0.0.0.0", port_from_env(DEFAULT_PORT)?)).await?;
    println!("{}", conformance.banner(listener.local_addr()?));
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(stream);
        tokio::spawn(conformance.clone().serve_connection(io, Some(peer)));
    }
}
