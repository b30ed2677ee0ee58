//! The server of the public compliance suites, on smol: the Engine.IO echo on `/engine.io/` and the
//! Socket.IO echo on `/socket.io/`, with the suites' settings (see
//! `example_apps::conformance`, CORS for any origin). Port from `PORT` (default 3000);
//! `ALLOW_EIO3=1` also serves Engine.IO revision 3 clients (`socket.io-client` 1 and 2) on both paths;
//! `PARSER=msgpack` serves the Socket.IO echo with `socket.io-msgpack-parser`.
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
        let options = conformance::Options::from_env()?;
        let routes = conformance::routes_with(Arc::new(SmolRuntime::global()), options);
        let server = HttpServer::bind(("0.0.0.0", port_from_env(DEFAULT_PORT)?), routes).await?;
        println!("{}", conformance::banner(server.local_addr()?, options));
        server.run().await
    })
}
