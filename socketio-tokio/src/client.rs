//! The Socket.IO client on tokio: [`Client`] is `socketio_client::Client` with tokio's spawning,
//! timers and TCP ([`Tokio`]). The rest is `socketio-client`'s, re-exported here; see its docs for
//! the details.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use socketio_tokio::client::{AckSender, Client};
//!
//! let client = Client::builder("http://127.0.0.1:3000/chat")
//!     .auth(serde_json::json!({ "token": "abc" }))
//!     .build()?;
//! let socket = client.socket();
//! socket.on("greeting", |_, (text,): (String,), ack: Option<AckSender>| {
//!     println!("server says {text}");
//!     if let Some(ack) = ack {
//!         let _ = ack.send("thanks");
//!     }
//! });
//! client.connect().await?;
//! socket.emit("message", &(1, "two"))?;
//! let answer = socket
//!     .emit_with_ack("sum", &(1, 2))
//!     .timeout(std::time::Duration::from_secs(1))
//!     .await?;
//! let (sum,): (u32,) = answer.deserialize()?;
//! println!("1 + 2 = {sum}");
//! client.close();
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;

use hyper_util::rt::TokioIo;
use socketio_runtime::Runtime;
use tokio::net::TcpStream;

use crate::TokioRuntime;

pub use socketio_client::{
    AckError, AckSender, BoxIo, BuildError, ClientEvent, ClientIo, ClientRuntime, ConnectError,
    ConnectFuture, Connecting, Connector, DisconnectReason, EmitError, EmitWithAck, Payload,
    Socket, SocketEvent, Transport, Volatile, rustls,
};

/// A Socket.IO client on tokio. Build it inside a tokio runtime.
pub type Client = socketio_client::Client<Tokio>;

/// The builder of a [`Client`].
pub type ClientBuilder = socketio_client::ClientBuilder<Tokio>;

/// Tokio as a [`ClientRuntime`]: the current runtime's spawning and timers, [`TokioConnector`]'s
/// TCP. Panics if used outside a tokio runtime, as `tokio::spawn` does.
#[derive(Clone, Copy, Debug)]
pub struct Tokio;

impl ClientRuntime for Tokio {
    fn runtime() -> Arc<dyn Runtime> {
        Arc::new(TokioRuntime::current())
    }

    fn connector() -> Arc<dyn Connector> {
        Arc::new(TokioConnector)
    }
}

/// TCP connections with tokio (`TCP_NODELAY` set: the protocol's packets are small and latency
/// matters more than batching).
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioConnector;

impl Connector for TokioConnector {
    fn connect(&self, host: &str, port: u16) -> ConnectFuture {
        let host = host.to_owned();
        Box::pin(async move {
            let stream = TcpStream::connect((host.as_str(), port)).await?;
            stream.set_nodelay(true)?;
            Ok(Box::new(TokioIo::new(stream)) as BoxIo)
        })
    }
}
