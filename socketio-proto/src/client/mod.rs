//! Client side: the manager of one Engine.IO connection and its namespace sockets, with
//! reconnection.
//!
//! [`Manager`] is the reference client's `Manager` and its `Socket`s in one state machine: several
//! namespaces share one engine session; each socket connects with its own auth, buffers emits while
//! offline (volatile ones are dropped), waits for acknowledgements with optional timeouts and
//! answers the server's. When the connection is lost for a reason that allows it, the manager
//! reconnects with exponential backoff and jitter ([`Backoff`]) and every active socket connects
//! again.
//!
//! [`Stack`] composes the manager with the Engine.IO sessions it runs on into one machine: a
//! runtime drives the stack alone and only carries out transport requests (see [`stack`]). Driving
//! the manager and the sessions separately, as below, stays possible.
//!
//! # Layering: the runtime owns the engine session
//!
//! The manager sits on top of an `engineio_proto::client::ClientSession` but does not own it. The
//! runtime drives both:
//!
//! - [`Output::OpenEngine`]: create a fresh `ClientSession`, `start` it and drive it. When it emits
//!   `Event::Open`, call [`Manager::handle_engine_open`]; for each `Event::Message`,
//!   [`Manager::handle_message`]; when it emits `Event::Closed(reason)` (before or after opening),
//!   [`Manager::handle_engine_closed`]. The other engine events are not the manager's business.
//! - [`Output::Send`]: `send` the message on the current session (a refusal, such as a full queue,
//!   is the runtime's to handle; closing the engine is the usual answer).
//! - [`Output::CloseEngine`]: `close` the current session. Keep driving it until it ends so the
//!   close is written, but report nothing more of it: from the manager's point of view it is gone,
//!   and the next [`Output::OpenEngine`] is about a new session.
//! - At most one engine session is current at a time: `OpenEngine` only comes when there is none.
//!
//! The application's commands are [`Manager::connect`], [`Manager::disconnect`],
//! [`Manager::emit`], [`Manager::ack`] and [`Manager::close`]. As everywhere in this crate, drain
//! [`Manager::poll_output`] after every input and call [`Manager::handle_timeout`] at
//! [`Manager::poll_timeout`]. Randomness (the jitter) comes from the seed given to
//! [`Manager::new`].
//!
//! # Where this differs from the reference client
//!
//! - `autoConnect` has no equivalent: [`Manager::connect`] is the moment a socket is created and
//!   connected, and the runtime decides when to call it.
//! - A second `connect` while the socket's `CONNECT` is unanswered does not send another one.
//! - [`Event::Connect`] comes before the events that arrived ahead of it, not after.
//! - When a reconnection attempt fails and was the last one allowed, [`Event::ReconnectError`]
//!   comes before [`Event::ReconnectFailed`].
//! - `reconnection_attempts: Some(0)` means no attempt at all (the reference reads 0 as no limit).
//! - An ack the server can no longer send (the socket disconnected after the event went out)
//!   resolves as [`Event::AckCancelled`] whether or not the emit had a timeout.
//! - Connection state recovery (`pid` / offsets) is not implemented yet.
//!
//! # Socket.IO v4 (`socket.io@2` servers)
//!
//! With [`ManagerConfig::protocol`] set to Engine.IO revision 3, the runtime opens revision 3 engine
//! sessions and reports their opening with [`Manager::handle_engine_handshake`] (the socket ids derive
//! from the engine session id). The server joins `/` unasked: the socket of `/` sends no `CONNECT` and
//! connects when the server's arrives (its auth can only travel in the engine request's query); other
//! namespaces send their auth as the query of their `CONNECT`. A refusal's payload is its message when a
//! string, its data otherwise.

mod backoff;
mod config;
mod engine;
mod incoming;
mod manager;
mod output;
mod socket;
pub mod stack;

pub use backoff::{Backoff, SplitMix64};
pub use config::{EmitOptions, ManagerConfig};
pub use manager::{EngineState, Manager};
pub use output::{AckError, DisconnectReason, EmitError, Event, InvalidAuth, OpenFailure, Output};
pub use stack::{Stack, StackConfig};
