//! A Socket.IO client for the browser, in WebAssembly.
//!
//! The client is `socketio_proto`'s sans-IO [`Stack`](socketio_proto::client::Stack) (the
//! Socket.IO manager and its Engine.IO sessions) driven by what a browser offers: `fetch` for
//! long-polling, `WebSocket`, `setTimeout` and `performance.now()`, through `wasm-bindgen`. Its API
//! has the shape of the native client's (`socketio_tokio::Client`). In outline (the compiled and
//! browser-tested version is `examples/scenarios.rs`; doctests run on the host, where the API is
//! absent):
//!
//! ```ignore
//! use socketio_wasm::Client;
//!
//! let client = Client::builder("/").build()?; // relative to the page, or a full URL
//! let socket = client.socket();
//! socket.on("chat", |_, (from, text): (String, String), _ack| { /* show it */ });
//! socket.connect().await?;
//! socket.emit("chat", &("me", "hello"))?;
//! let answer = socket.emit_with_ack("count", &()).timeout(Duration::from_secs(5)).await?;
//! let admin = client.of("/admin")?;
//! admin.connect();
//! ```
//!
//! Event arguments are read through serde: a tuple for several, a struct, `serde_json::Value` for
//! the whole list, `bytes::Bytes` fields for binary attachments (sent as `ArrayBuffer`s).
//! Connections open over long-polling and upgrade to WebSocket (or WebSocket only, with
//! [`ClientBuilder::transports`]); lost connections reconnect with the reference client's backoff;
//! emits made while disconnected, or before the namespace first connects, wait in a bounded buffer.
//!
//! Everything runs on the page's (or worker's) single thread: handlers are called from browser
//! events, one at a time, and may emit. Futures ([`Connecting`], the ack of
//! [`Socket::emit_with_ack`]) run on `wasm-bindgen-futures`' executor or any other.
//!
//! # What a browser does not allow
//! Custom headers (the WebSocket handshake cannot carry them), a TLS configuration (the browser's
//! own applies), and reading a cross-origin server's long-polling answers unless the server sends
//! CORS headers (serve the page from the server's origin, or enable CORS there, or use WebSocket
//! only).
//!
//! On other targets the crate is empty: it builds, so the workspace builds, but offers nothing.
#![cfg_attr(not(target_arch = "wasm32"), allow(unused))]

#[cfg(target_arch = "wasm32")]
mod browser;
#[cfg(target_arch = "wasm32")]
mod builder;
#[cfg(target_arch = "wasm32")]
mod driver;
#[cfg(target_arch = "wasm32")]
mod handle;
#[cfg(target_arch = "wasm32")]
mod list_map;
#[cfg(target_arch = "wasm32")]
mod oneshot;
#[cfg(target_arch = "wasm32")]
mod transport;

#[cfg(target_arch = "wasm32")]
pub use builder::{BuildError, ClientBuilder};
#[cfg(target_arch = "wasm32")]
pub use handle::{
    AckError, AckSender, Client, ClientEvent, ConnectError, Connecting, EmitError, EmitWithAck,
    Socket, SocketEvent, Volatile,
};

pub use engineio_proto::Transport;
pub use engineio_proto::client::CloseReason;
pub use socketio_proto::client::{DisconnectReason, OpenFailure};
pub use socketio_proto::packet::{Payload, RawJson};
