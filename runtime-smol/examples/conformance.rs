//! The server of the public compliance suites, on smol: the Engine.IO echo on `/engine.io/` and the
//! Socket.IO echo on `/socket.io/`, with the suites' settings (see
//! `socketio_runtime::demo::conformance`; no CORS yet). Port from `PORT` (default 3000).
//!
//! ```text
//! PORT=3000 cargo run -p socketio-smol --example smol_conformance
//! ```

use std::sync::Arc;

use smol::net::TcpListener;
use smol::stream::StreamExt;
use socketio_smol::demo::conformance::{Conformance, DEFAULT_PORT};
use socketio_smol::demo::port_from_env;
use socketio_smol::{HyperIo, SmolRuntime};

fn main() -> std::io::Result<()> {
    let conformance = Conformance::new(Arc::new(SmolRuntime::global()));
    smol::block_on(async {
        let listener = TcpListener::bind(("0.0.0.0", port_from_env(DEFAULT_PORT)?)).await?;
        println!("{}", conformance.banner(listener.local_addr()?));
        let mut incoming = listener.incoming();
        while let Some(stream) = incoming.next().await {
            let Ok(stream) = stream else { continue };
            let peer = stream.peer_addr().ok();
            let _ = stream.set_nodelay(true);
            let connection = conformance
                .clone()
                .serve_connection(HyperIo::vectored(stream), peer);
            smol::spawn(connection).detach();
        }
        Ok(())
    })
}
