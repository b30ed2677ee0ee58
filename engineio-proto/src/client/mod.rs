//! Client side: the session state machine of an Engine.IO client.
//!
//! [`ClientSession`] opens a session over long-polling (or directly over WebSocket), keeps the polling
//! loop going, batches writes into POSTs within the server's `maxPayload`, watches the heartbeat, probes
//! and switches to WebSocket when the server offers it, and reports why the session ended. It performs
//! no I/O: it asks the runtime for requests and frames through [`Output`] and is told their results
//! through its `handle_*` methods.
//!
//! At most one WebSocket exists at a time: the probe during an upgrade attempt, or the session's own
//! after an upgrade (or from the start, when only WebSocket is enabled). [`Output::OpenWebSocket`],
//! [`Output::WsFrame`], [`Output::CloseWebSocket`] and the `handle_ws_*` inputs all refer to it.
//!
//! A driver, in outline:
//!
//! ```text
//! session.start(now);
//! loop {
//!     while let Some(output) = session.poll_output() { /* issue GET/POST, open/write/close the ws, deliver events */ }
//!     wait for: a response, a frame, a command, or session.poll_timeout();
//!     feed it in with handle_poll_response / handle_post_response / handle_ws_* / send / close / handle_timeout;
//! }
//! ```

mod config;
mod output;
mod polling;
mod query;
mod session;
mod upgrade;
mod websocket;

pub use config::ClientConfig;
pub use output::{CloseReason, Event, Output, SendError, TransportFailure};
pub use session::ClientSession;
