//! The Engine.IO echo server of the public conformance suites, on `/engine.io/`: every message is sent
//! back as it came. Port from `PORT` (default 3000).
//!
//! ```text
//! PORT=3000 cargo run -p socketio-tokio --example engine_echo
//! ```

use std::time::Duration;

use engineio_proto::server::ServerConfig;
use socketio_tokio::{EchoApp, EngineConfig, Server, engine};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = match std::env::var("PORT") {
        Ok(port) => port.parse().map_err(std::io::Error::other)?,
        Err(_) => 3000,
    };
    // The conformance suites' server settings.
    let server = ServerConfig::default()
        .with_ping_interval(Duration::from_millis(300))
        .with_ping_timeout(Duration::from_millis(200))
        .with_max_payload(1_000_000);
    let engine = engine(EchoApp)
        .config(EngineConfig::default().with_server(server))
        .build();
    let server = Server::bind(("0.0.0.0", port), engine).await?;
    println!(
        "Engine.IO echo listening on http://{}/engine.io/",
        server.local_addr()?
    );
    server.run().await
}
