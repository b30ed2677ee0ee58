//! The server of the public compliance suites, on smol: the Engine.IO echo on `/engine.io/` and the
//! Socket.IO echo on `/socket.io/`, with the suites' settings (see
//! `socketio_runtime::demo::conformance`, CORS for any origin). Port from `PORT` (default 3000).
//!
//! ```text
//! PORT=3000 cargo run -p socketio-smol --example smol_conformance
//! ```

use std::sync::Arc;

use socketio_smol::demo::conformance::{self, DEFAULT_PORT};
use socketio_smol::demo::port_from_env;
use socketio_smol::{Server, SmolRuntime};

fn main() -> std::io::Result<()> {
    smol::block_on(async {
        let routes = conformance::routes(Arc::new(SmolRuntime::global()));
        let server = Server::bind(("0.0.0.0", port_from_env(DEFAULT_PORT)?), routes).await?;
        println!("{}", conformance::banner(server.local_addr()?));
        server.run().await
    })
}
