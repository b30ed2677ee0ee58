//! The Engine.IO server over hyper, on any async runtime: HTTP long-polling and WebSocket, one task
//! per session around [`engineio_proto::server::ServerSession`] (it polls the session's WebSocket
//! itself; long-polling requests reach it through a small inbox, the application's traffic through
//! a bounded outbox), and the seam where an application (the Engine.IO echo, the Socket.IO server)
//! runs inside that task.
//!
//! Nothing here depends on an async runtime: spawning and sleeping go through
//! [`socketio_runtime::Runtime`], connections are served from any I/O object implementing
//! `hyper::rt::{Read, Write}` ([`serve_connection`]), and the WebSocket library (`async-tungstenite`)
//! runs over `futures-io`. A runtime crate (`socketio-tokio`, `socketio-smol`) supplies the runtime
//! and an accept loop.
//!
//! - [`Engine`]: the request handler (also a `tower_service::Service`), built with [`EngineBuilder`].
//! - [`Application`] / [`SessionHandler`] / [`SessionContext`] / [`SessionHandle`]: the application seam.
//! - [`EchoApp`]: the Engine.IO echo of the public conformance suites.
//! - [`Routes`]: several engines and fixed pages on one listener.
//!
//! The Engine.IO echo of the conformance suites, on tokio:
//!
//! ```no_run
//! use engineio_server::EchoApp;
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let engine = socketio_tokio::engine(EchoApp).build(); // on `/engine.io/`
//!     socketio_tokio::listen("127.0.0.1:3000", engine).await
//! }
//! ```

mod app;
mod config;
mod conn;
mod echo;
mod engine;
mod http;
mod inbox;
mod outbox;
mod routes;
mod service;
mod session_task;
mod sid;
mod table;
mod websocket;

pub use app::{
    Application, CommandOf, HandleError, HandshakeRequest, PeerAddr, SessionContext, SessionHandle,
    SessionHandler,
};
pub use config::EngineConfig;
pub use conn::serve_connection;
pub use echo::EchoApp;
pub use engine::{AllowRequest, Engine, EngineBuilder, ResponseBody};
pub use http::cors::{Cors, CorsOrigins};
pub use http::refusal::{ConnectionError, ErrorContext};
pub use routes::Routes;
pub use service::{EngineLayer, EngineService};
pub use sid::{SidGenerator, random_sid};

pub use engineio_proto;
pub use socketio_runtime;
