//! A chat room: open http://127.0.0.1:3000 in a few browser tabs (`?name=Ada` joins at once), or
//! join from the terminal with `cargo run -p socketio-tokio --example chat_client -- Ada`. The room
//! itself is `socketio_runtime::demo::chat`; see the `axum` example for the same app inside axum.
//!
//! ```text
//! cargo run -p socketio-tokio --example chat            # PORT=3001 to change the port
//! ```

use socketio_tokio::demo::{chat, port_from_env};
use socketio_tokio::{Server, socket_io};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let io = socket_io().build();
    chat::install(&io);
    let server = Server::bind(("127.0.0.1", port_from_env(3000)?), chat::routes(io)).await?;
    println!("chat on http://{}/  (Ctrl-C to stop)", server.local_addr()?);
    server.run().await
}
