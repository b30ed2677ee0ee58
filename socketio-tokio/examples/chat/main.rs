//! A chat room: open http://127.0.0.1:3000 in a few browser tabs (`?name=Ada` joins at once), or
//! join from the terminal with `cargo run -p socketio-tokio --example chat_client -- Ada`. The room
//! itself is in `room.rs`; see the `axum` example for the same room inside axum.
//!
//! ```text
//! cargo run -p socketio-tokio --example chat            # PORT=3001 to change the port
//! ```

mod room;

use example_apps::port_from_env;
use socketio_tokio::engine_io::Routes;
use socketio_tokio::{HttpServer, socket_io};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let io = socket_io().build();
    room::install(&io);
    let server = HttpServer::bind(
        ("127.0.0.1", port_from_env(3000)?),
        Routes::new(io).page("/", "text/html; charset=utf-8", room::PAGE),
    )
    .await?;
    println!("chat on http://{}/  (Ctrl-C to stop)", server.local_addr()?);
    server.run().await
}
