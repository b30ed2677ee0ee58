//! The Socket.IO server inside an existing axum app: the app keeps its own routes, and the engine
//! is mounted as a tower service on its path. The room is the chat of the `chat` example (`chat/room.rs`).
//!
//! ```text
//! cargo run -p socketio-tokio --example axum            # then open http://127.0.0.1:3000
//! ```

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use example_apps::port_from_env;
use socketio_tokio::socket_io;

#[path = "chat/room.rs"]
mod room;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let io = socket_io().build();
    room::install(&io);
    let app = Router::new()
        .route("/", get(|| async { Html(room::PAGE) }))
        .route("/health", get(|| async { "ok" }))
        .route_service("/socket.io/", io.engine().clone());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port_from_env(3000)?)).await?;
    println!("axum app on http://{}/", listener.local_addr()?);
    axum::serve(listener, app).await
}
