//! Joins the `chat` example from the terminal: every line typed on stdin is said in the room, and
//! what the room says is printed.
//!
//! ```text
//! cargo run -p socketio-tokio --example chat             # in one terminal
//! cargo run -p socketio-tokio --example chat_client -- Ada
//! ```

use serde::Deserialize;
use socketio_tokio::client::{Client, SocketEvent};
use tokio::io::{AsyncBufReadExt, BufReader};

#[derive(Deserialize)]
struct Line {
    from: String,
    text: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let name = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "rustacean".into());
    let url = std::env::var("CHAT_URL").unwrap_or_else(|_| "http://127.0.0.1:3000/".into());
    let client = Client::builder(url).build()?;
    let socket = client.socket();
    socket.on("line", |_, (line,): (Line,), _| {
        println!("{}: {}", line.from, line.text)
    });
    socket.on("notice", |_, (notice,): (String,), _| {
        println!("  ({notice})")
    });
    socket.on_event(|event: &SocketEvent| {
        if let SocketEvent::Disconnect(reason) = event {
            let next = if reason.reconnects() {
                "; reconnecting"
            } else {
                ""
            };
            println!("  (disconnected: {reason}{next})");
        }
    });
    client.connect().await?;
    let welcome = socket.emit_with_ack("join", &(name.as_str(),)).await?;
    let (welcome,): (String,) = welcome.deserialize()?;
    println!("  ({welcome}; type a line and press Enter, Ctrl-D to leave)");

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        if !line.trim().is_empty() {
            socket.emit("say", &(line,))?;
        }
    }
    client.close();
    Ok(())
}
