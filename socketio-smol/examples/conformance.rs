//! The server of the public compliance suites, on smol: the Engine.IO echo on `/engine.io/` and the
//! Socket.IO echo on `/socket.io/`, with the suites' settings (see
//! `example_apps::conformance`, CORS for any origin). Port from `PORT` (default 3000).
//!
//! ```text
//! PORT=3000 cargo run -p socketio-smol --example smol_conformance
//! ```

use std::sync::Arc;

use example_apps::conformance::{self, DEFAULT_PORT};
use example_apps::port_from_env;
use socketio_smol::{HttpServer, SmolRuntime};

fn main() -> std::io::Result<()> {
    smol::block_on(async {
        let routes = conformance::routes(Arc::new(SmolRuntime::global()));
        let server = HttpServer::bind(("0.0.0.0", port_from_env(DEFAULT_PORT)?), routes).await?;
        println!("{}", conformance::banner(server.local_addr()?));
        server.run().await
    })
}
