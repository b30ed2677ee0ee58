//! The chat room's browser client on this crate: the page `wasm.html` of the `chat` example
//! (`socketio-tokio/examples/chat/`) keeps its DOM in a few lines of JavaScript and leaves the
//! Socket.IO side to this module. Build it with `socketio-wasm/build-chat.sh`; the chat server then
//! serves it at `/wasm`.
//!
//! The page provides `show_line(from, text)`, `show_notice(text)` and `show_status(text)`; this
//! module exports `join(name)` and `say(text)`.
#![cfg_attr(not(target_arch = "wasm32"), allow(unused))]

#[cfg(target_arch = "wasm32")]
mod page {
    use std::cell::RefCell;
    use std::time::Duration;

    use serde::Deserialize;
    use socketio_wasm::{Client, Socket, SocketEvent};
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        fn show_line(from: &str, text: &str);
        fn show_notice(text: &str);
        fn show_status(text: &str);
    }

    /// A line of the chat, as the room sends it (event `line`).
    #[derive(Deserialize)]
    struct Line {
        from: String,
        text: String,
    }

    thread_local! {
        /// The page's one socket, on the chat server's main namespace (same origin).
        static SOCKET: RefCell<Option<(Client, Socket)>> = const { RefCell::new(None) };
    }

    /// Connects (polling, then WebSocket) and joins the room as `name`.
    #[wasm_bindgen]
    pub fn join(name: String) {
        let Ok(client) = Client::builder("/")
            .reconnection_delay(Duration::from_millis(500))
            .build()
        else {
            show_status("could not start the client");
            return;
        };
        let socket = client.socket();
        socket.on("line", |_, (line,): (Line,), _| {
            show_line(&line.from, &line.text)
        });
        socket.on("notice", |_, (text,): (String,), _| show_notice(&text));
        let rejoin = socket.clone();
        socket.on_event(move |event| match event {
            // Also after a reconnection: a new socket on the server, so join again.
            SocketEvent::Connect { .. } => {
                show_status("connected");
                let welcome = rejoin.emit_with_ack("join", &(name.as_str(),));
                wasm_bindgen_futures::spawn_local(async move {
                    if let Ok(answer) = welcome.timeout(Duration::from_secs(5)).await {
                        if let Ok((text,)) = answer.deserialize::<(String,)>() {
                            show_notice(&text);
                        }
                    }
                });
            }
            SocketEvent::Disconnect(_) => show_status("disconnected, reconnecting"),
            _ => {}
        });
        let connecting = socket.connect();
        wasm_bindgen_futures::spawn_local(async move {
            if connecting.await.is_err() {
                show_status("could not connect");
            }
        });
        SOCKET.with(|slot| *slot.borrow_mut() = Some((client, socket)));
    }

    /// Says `text` to the room.
    #[wasm_bindgen]
    pub fn say(text: String) {
        SOCKET.with(|slot| {
            if let Some((_, socket)) = &*slot.borrow() {
                let _ = socket.emit("say", &(text.as_str(),));
            }
        });
    }
}
