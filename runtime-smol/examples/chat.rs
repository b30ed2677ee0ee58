//! The chat room on smol: open http://127.0.0.1:3000 in a few browser tabs, or join from the
//! terminal with the tokio crate's `chat_client` example (any Socket.IO client will do). The room
//! itself is `socketio_runtime::demo::chat`.
//!
//! ```text
//! cargo run -p socketio-smol --example smol_chat        # PORT=3001 to change the port
//! ```

use socketio_smol::demo::{chat, port_from_env};
use socketio_smol::{Server, socket_io};

fn main() -> std::io::Result<()> {
    smol::block_on(async {
        let io = socket_io().build();
        chat::install(&io);
        let server = Server::bind(("127.0.0.1", port_from_env(3000)?), chat::routes(io)).await?;
        println!("chat on http://{}/  (Ctrl-C to stop)", server.local_addr()?);
        server.run().await
    })
}
