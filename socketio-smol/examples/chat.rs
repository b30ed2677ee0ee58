//! The chat room on smol: open http://127.0.0.1:3000 in a few browser tabs, or join from the
//! terminal with the tokio crate's `chat_client` example (any Socket.IO client will do). The room
//! is the tokio examples' (`socketio-tokio/examples/chat/room.rs`): it uses only the
//! runtime-agnostic server API, so both runtimes serve the same file.
//!
//! ```text
//! cargo run -p socketio-smol --example smol_chat        # PORT=3001 to change the port
//! ```

use example_apps::port_from_env;
use socketio_smol::engine_io::Routes;
use socketio_smol::{HttpServer, socket_io};

#[path = "../../socketio-tokio/examples/chat/room.rs"]
mod room;

fn main() -> std::io::Result<()> {
    smol::block_on(async {
        let io = socket_io().build();
        room::install(&io);
        let server = HttpServer::bind(
            ("127.0.0.1", port_from_env(3000)?),
            Routes::new(io).page("/", "text/html; charset=utf-8", room::PAGE),
        )
        .await?;
        println!("chat on http://{}/  (Ctrl-C to stop)", server.local_addr()?);
        server.run().await
    })
}
