//! A Socket.IO client: connects to a server (any Socket.IO v4 server, such as `node
//! tests/interop/js-server.mjs`, which prints its port), prints what it hears, sends a message and
//! waits for an acknowledgement, then closes.
//!
//! ```text
//! cargo run -p socketio-tokio --example client -- http://127.0.0.1:3000/
//! ```

use std::time::Duration;

use serde_json::{Value, json};
use socketio_tokio::client::{AckSender, Client, ClientEvent, SocketEvent};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:3000/".into());
    let client = Client::builder(url)
        .auth(json!({ "token": "example" }))
        .build()?;
    client.on_event(|event: &ClientEvent| println!("connection: {event:?}"));

    let socket = client.socket();
    socket.on_event(|event: &SocketEvent| println!("socket: {event:?}"));
    // Any event with any arguments; answer if the server asks for an acknowledgement.
    socket.on_any(|_, name, payload, ack: Option<AckSender>| {
        let args: Value = payload.event_args().unwrap_or(Value::Null);
        println!("event {name}: {args}");
        if let Some(ack) = ack {
            let _ = ack.send("got it");
        }
    });

    client.connect().await?;
    println!("connected as {:?}", socket.id());
    let answer = socket
        .emit_with_ack("echo-ack", &("hello", 42))
        .timeout(Duration::from_secs(5))
        .await?;
    let answer: Value = answer.deserialize()?;
    println!("acknowledged with {answer}");
    client.close();
    Ok(())
}
