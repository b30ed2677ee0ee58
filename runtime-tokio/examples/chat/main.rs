//! A chat room: an axum app that serves a page at `/` and mounts the Socket.IO server on
//! `/socket.io/`. Open http://127.0.0.1:3000 in a few browser tabs, or join from the terminal with
//! the Rust client (`cargo run -p socketio-tokio --example chat_client -- Ada`).
//!
//! ```text
//! cargo run -p socketio-tokio --example chat            # PORT=3001 to change the port
//! ```
//!
//! The page needs nothing from outside: its small script speaks Socket.IO over a WebSocket by hand.

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use socketio_tokio::server::{SocketIo, SocketIoConfig};
use socketio_tokio::socket_io;

/// A member's name, stored on their socket once they have joined.
#[derive(Clone)]
struct Name(String);

/// A line of the chat, as every member receives it.
#[derive(Serialize, Deserialize)]
struct Line {
    from: String,
    text: String,
}

fn chat_server() -> SocketIo {
    let io = socket_io().config(SocketIoConfig::default()).build();
    let room = io.clone();
    io.on_connection(move |socket| {
        let everyone = room.clone();
        socket.on("join", move |socket, (name,): (String,), ack| {
            let name: String = name.trim().chars().take(32).collect();
            let name = if name.is_empty() {
                "anonymous".into()
            } else {
                name
            };
            socket.insert_data(Name(name.clone()));
            socket.join("chat");
            let count = everyone.to("chat").fetch_sockets().len();
            let _ = socket
                .to("chat")
                .emit("notice", &format!("{name} joined ({count} here)"));
            if let Some(ack) = ack {
                let _ = ack.send(&format!("welcome, {name}: {count} here"));
            }
        });
        let everyone = room.clone();
        socket.on("say", move |socket, (text,): (String,), _| {
            let Some(Name(from)) = socket.data::<Name>() else {
                return;
            };
            let text: String = text.chars().take(500).collect();
            let _ = everyone.to("chat").emit("line", &Line { from, text });
        });
        socket.on_disconnect(|socket, reason| {
            if let Some(Name(name)) = socket.data::<Name>() {
                let _ = socket
                    .to("chat")
                    .emit("notice", &format!("{name} left ({reason})"));
            }
        });
    });
    io
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let io = chat_server();
    let app = Router::new()
        .route("/", get(|| async { Html(include_str!("page.html")) }))
        .route_service("/socket.io/", io.engine().clone());
    let listener =
        tokio::net::TcpListener::bind(("127.0.0.1", port.parse().unwrap_or(3000))).await?;
    println!(
        "chat on http://{}/  (Ctrl-C to stop)",
        listener.local_addr()?
    );
    axum::serve(listener, app).await
}
