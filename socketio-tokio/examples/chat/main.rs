//! A chat room: open http://127.0.0.1:3000 in a few browser tabs (`?name=Ada` joins at once), or
//! join from the terminal with `cargo run -p socketio-tokio --example chat_client -- Ada`. The room
//! itself is in `room.rs`; see the `axum` example for the same room inside axum.
//!
//! `/wasm` is the same page with the browser client of `socketio-wasm` instead of the hand-written
//! one, once `socketio-wasm/build-chat.sh` has built it (into `target/socketio-wasm-chat`, or the
//! folder in `CHAT_WASM_DIR`).
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
    let routes = Routes::new(io).page("/", "text/html; charset=utf-8", room::PAGE);
    let (routes, wasm) = with_wasm_client(routes);
    let server = HttpServer::bind(("127.0.0.1", port_from_env(3000)?), routes).await?;
    let address = server.local_addr()?;
    println!("chat on http://{address}/  (Ctrl-C to stop)");
    match wasm {
        Ok(()) => println!("the WebAssembly client's page: http://{address}/wasm"),
        Err(missing) => {
            println!("no WebAssembly client ({missing}): socketio-wasm/build-chat.sh builds it")
        }
    }
    server.run().await
}

/// Serves the WebAssembly client's page and files at `/wasm` when they have been built; the page
/// says how to build them otherwise.
fn with_wasm_client(routes: Routes) -> (Routes, Result<(), String>) {
    let folder = std::env::var("CHAT_WASM_DIR").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../target/socketio-wasm-chat").to_owned()
    });
    let read = |name: &str| std::fs::read(format!("{folder}/{name}"));
    match (read("chat.js"), read("chat_bg.wasm")) {
        (Ok(script), Ok(module)) => {
            let routes = routes
                .page("/wasm", "text/html; charset=utf-8", WASM_PAGE)
                .page("/wasm/chat.js", "text/javascript", script)
                .page("/wasm/chat_bg.wasm", "application/wasm", module);
            (routes, Ok(()))
        }
        _ => {
            let page = "<!doctype html><p>The WebAssembly client is not built: run \
                        <code>socketio-wasm/build-chat.sh</code>, then restart the chat.";
            let routes = routes.page("/wasm", "text/html; charset=utf-8", page);
            (routes, Err(format!("nothing in {folder}")))
        }
    }
}

/// The page whose client is `socketio-wasm` (`socketio-wasm/examples/chat.rs`).
const WASM_PAGE: &str = include_str!("wasm.html");
