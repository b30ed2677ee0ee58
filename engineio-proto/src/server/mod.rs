//! Server side: request routing with the protocol's error codes, and the per-session state machine.
//!
//! A runtime serving Engine.IO does, per HTTP request under its path:
//!
//! 1. [`route_request`] with the method, the [`Query`] and whether it is a WebSocket upgrade; an `Err`
//!    is answered with [`RequestError::http_status`](crate::RequestError::http_status) and
//!    [`RequestError::json_body`](crate::RequestError::json_body).
//! 2. [`Route::Handshake`]: the application's `allow_request` hook (code 4), a fresh session id, and
//!    [`ServerSession::with_protocol`] with [`Query::client_protocol`] (or [`ServerSession::new`] for a
//!    revision 4 only server). [`Route::Session`]: look the sid up (code 1 if unknown) and hand the
//!    request to the session.
//! 3. Drive the session: inputs `handle_*(now, ..)`, then [`ServerSession::poll_output`] until `None`,
//!    then sleep until [`ServerSession::poll_timeout`] and call [`ServerSession::handle_timeout`].

mod config;
mod heartbeat;
mod output;
mod polling;
mod request;
mod session;
mod upgrade;

pub use config::ServerConfig;
pub use output::{
    BINARY_POLL_CONTENT_TYPE, CloseReason, Event, Output, POLL_CONTENT_TYPE, POST_OK_BODY,
    PostError, SendError, poll_content_type,
};
pub use request::{ClientProtocol, Method, Query, Route, route_request};
pub use session::ServerSession;
