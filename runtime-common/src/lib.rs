//! The runtime-agnostic half of the stack: HTTP long-polling and WebSocket over hyper, one task per
//! session around [`engineio_proto::server::ServerSession`] (it polls the session's WebSocket
//! itself; long-polling requests reach it through a small inbox, the application's traffic through
//! a bounded outbox), and the seam where an application (the Engine.IO echo, the Socket.IO server)
//! runs inside that task.
//!
//! Nothing here depends on an async runtime: spawning and sleeping go through [`Runtime`], connections
//! are served from any I/O object implementing `hyper::rt::{Read, Write}` ([`serve_connection`]), and
//! the WebSocket library (`async-tungstenite`) runs over `futures-io`. A runtime crate (`socketio-tokio`,
//! `socketio-smol`) supplies a [`Runtime`] and an accept loop.
//!
//! - [`Engine`]: the request handler (also a `tower_service::Service`), built with [`EngineBuilder`].
//! - [`Application`] / [`SessionHandler`] / [`SessionContext`] / [`SessionHandle`]: the application seam.
//! - [`EchoApp`]: the Engine.IO echo of the public conformance suites.
//! - [`client`]: the Socket.IO client (connect by URL, namespaces, events, acks, reconnection).
//! - [`HyperIo`]: hyper's I/O traits over `futures-io` ones, for runtimes whose sockets speak
//!   `futures-io` (smol); [`FuturesIo`] is the opposite direction.
//! - [`demo`]: the example servers' applications (conformance, benchmark), for every runtime.

mod app;
pub mod client;
mod clock;
mod config;
mod conn;
pub mod demo;
mod driver;
mod echo;
mod engine;
mod http;
mod inbox;
mod io_adapter;
mod outbox;
mod routes;
mod runtime;
pub mod server;
mod service;
mod sid;
mod sync;
mod table;
mod websocket;

pub use app::{
    Application, HandleError, HandshakeRequest, PeerAddr, SessionContext, SessionHandle,
    SessionHandler,
};
pub use clock::Clock;
pub use config::EngineConfig;
pub use conn::serve_connection;
pub use echo::EchoApp;
pub use engine::{AllowRequest, Engine, EngineBuilder, ResponseBody};
pub use http::cors::{Cors, CorsOrigins};
pub use http::refusal::{ConnectionError, ErrorContext};
pub use io_adapter::HyperIo;
pub use routes::Routes;
pub use runtime::{BoxFuture, BoxSleep, Runtime};
pub use service::{EngineLayer, EngineService};
pub use sid::{SidGenerator, random_sid};
pub use websocket::FuturesIo;

pub use engineio_proto;
pub use socketio_proto;
