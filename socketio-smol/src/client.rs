//! The Socket.IO client on smol: [`Client`] is `socketio_client::Client` with smol's global
//! executor, async-io's timers and async-net's TCP ([`Smol`]). The rest is `socketio-client`'s,
//! re-exported here; see its docs for the details.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use socketio_smol::client::{AckSender, Client};
//!
//! smol::block_on(async {
//!     let client = Client::builder("http://127.0.0.1:3000/chat")
//!         .auth(serde_json::json!({ "token": "abc" }))
//!         .build()?;
//!     let socket = client.socket();
//!     socket.on("greeting", |_, (text,): (String,), ack: Option<AckSender>| {
//!         println!("server says {text}");
//!         if let Some(ack) = ack {
//!             let _ = ack.send("thanks");
//!         }
//!     });
//!     client.connect().await?;
//!     let answer = socket
//!         .emit_with_ack("sum", &(1, 2))
//!         .timeout(std::time::Duration::from_secs(1))
//!         .await?;
//!     let (sum,): (u32,) = answer.deserialize()?;
//!     println!("1 + 2 = {sum}");
//!     client.close();
//!     Ok(())
//! })
//! # }
//! ```

use std::sync::Arc;

use smol::net::TcpStream;
use socketio_runtime::{HyperIo, Runtime};

use crate::SmolRuntime;

pub use socketio_client::{
    AckError, AckSender, BoxIo, BuildError, ClientEvent, ClientIo, ClientRuntime, ConnectError,
    ConnectFuture, Connecting, Connector, DisconnectReason, EmitError, EmitWithAck, Payload,
    Socket, SocketEvent, Transport, Volatile, rustls,
};

/// A Socket.IO client on smol.
pub type Client = socketio_client::Client<Smol>;

/// The builder of a [`Client`].
pub type ClientBuilder = socketio_client::ClientBuilder<Smol>;

/// smol as a [`ClientRuntime`]: the global executor ([`SmolRuntime::global`]), async-io's timers,
/// [`SmolConnector`]'s TCP. Works from any thread, inside or outside an executor.
#[derive(Clone, Copy, Debug)]
pub struct Smol;

impl ClientRuntime for Smol {
    fn runtime() -> Arc<dyn Runtime> {
        Arc::new(SmolRuntime::global())
    }

    fn connector() -> Arc<dyn Connector> {
        Arc::new(SmolConnector)
    }
}

/// TCP connections with async-net (`TCP_NODELAY` set: the protocol's packets are small and latency
/// matters more than batching). Names are resolved on smol's blocking thread pool.
#[derive(Clone, Copy, Debug, Default)]
pub struct SmolConnector;

impl Connector for SmolConnector {
    fn connect(&self, host: &str, port: u16) -> ConnectFuture {
        let address = (host.to_owned(), port);
        Box::pin(async move {
            let stream = TcpStream::connect((address.0.as_str(), address.1)).await?;
            stream.set_nodelay(true)?;
            let io: BoxIo = Box::new(HyperIo::vectored(stream));
            Ok(io)
        })
    }
}
