//! The chat room: members join with a name, say lines to the room, and hear who comes and goes.
//! The page at `/` is a small browser client that needs nothing from outside. Runtime-agnostic:
//! the tokio `chat` and `axum` examples and smol's `smol_chat` all install this room.

use serde::{Deserialize, Serialize};
use socketio_server::SocketIo;

/// The browser page: a minimal Socket.IO client over one WebSocket, written by hand.
pub const PAGE: &str = include_str!("chat.html");

/// The room every member joins.
const ROOM: &str = "chat";
/// Longest name kept, in characters.
const MAX_NAME: usize = 32;
/// Longest line kept, in characters.
const MAX_LINE: usize = 500;

/// A member's name, stored on their socket once they have joined.
#[derive(Clone)]
struct Name(String);

/// A line of the chat, as every member receives it (event `line`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Line {
    /// Who said it.
    pub from: String,
    /// What was said.
    pub text: String,
}

/// Installs the chat on the main namespace of `io`:
/// - `join(name)`, acknowledged with a welcome: the socket joins the room, the others get a
///   `notice`;
/// - `say(text)`: everyone in the room gets `line` `{from, text}`;
/// - on disconnect, the others get a `notice`.
pub fn install(io: &SocketIo) {
    let room = io.clone();
    io.on_connection(move |socket| {
        let everyone = room.clone();
        socket.on("join", move |socket, (name,): (String,), ack| {
            let name: String = name.trim().chars().take(MAX_NAME).collect();
            let name = if name.is_empty() {
                "anonymous".to_owned()
            } else {
                name
            };
            socket.insert_data(Name(name.clone()));
            socket.join(ROOM);
            let count = everyone.to(ROOM).fetch_sockets().len();
            let _ = socket
                .to(ROOM)
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
            let text = text.chars().take(MAX_LINE).collect();
            let _ = everyone.to(ROOM).emit("line", &Line { from, text });
        });
        socket.on_disconnect(|socket, reason| {
            if let Some(Name(name)) = socket.data::<Name>() {
                let _ = socket
                    .to(ROOM)
                    .emit("notice", &format!("{name} left ({reason})"));
            }
        });
    });
}
