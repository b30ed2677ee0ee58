//! Engine.IO protocol v4 (and, on request, revision 3) as sans-IO state machines.
//!
//! Bytes and time go in as values, actions come out; nothing here reads a clock, draws randomness,
//! spawns or touches a socket, so the same code runs under tokio, smol, a custom event loop, an embedded
//! board or a WASM host. The crate is `no_std` with `alloc`.
//!
//! - [`packet`]: packets and WebSocket frames; [`payload`]: long-polling payloads;
//!   [`handshake`]: the `open` packet's JSON.
//! - [`server`]: request routing with the protocol's error codes, and the per-session state machine.
//! - [`client`]: the client session state machine.
//! - [`v3`]: revision 3's wire forms, for Socket.IO 1 and 2 peers; [`ProtocolVersion`] picks the
//!   revision of a session (revision 4 unless asked).
//!
//! # The surface of every machine
//!
//! The Engine.IO machines here and the Socket.IO ones of `socketio-proto` (server connection,
//! client manager, client stack) share one surface, in the manner of quinn-proto and str0m:
//!
//! - **inputs** are `handle_*(now, ..)` calls: what the network or a transport reported;
//! - **commands** are the application's calls (`connect`, `accept`, `disconnect`, `close`, ...);
//! - **outputs** are pulled: drain `poll_output()` until `None` after every input or command;
//! - **time** is [`Instant`], a plain microsecond count from the caller's monotonic clock, never read
//!   here. `poll_timeout()` gives the next deadline, `handle_timeout(now)` is called when it is
//!   reached.
//!
//! The rule for `now`: every input and every command that changes the state of a session or a
//! socket takes `now`, the time of the caller's wake-up (read once per wake-up, so everything it
//! leads to happens at one instant), even where the code does not read it yet, so that a later
//! timer needs no change of signature; the composed client `Stack` takes it in every call. The
//! calls that only queue a message on one machine take none: `ServerSession::send` /
//! `send_framed`, `ClientSession::send`, `ServerConnection::emit` / `ack` / `send_encoded` and
//! `Manager::ack`. Queries take none.
//! Constructors take their configuration; those of machines that start a timer when made (the
//! server session's heartbeat, the server connection's connect timeout) also take `now` first, the
//! others take it in their first command (`start`, `connect`). Nothing random is drawn here: ids
//! and jitter seeds come from the caller.
//!
//! A driver is a loop around those calls. Here a server session on one WebSocket, with the
//! caller's clock and socket stood in by plain values:
//!
//! ```
//! use engineio_proto::server::{Event, Output, ServerConfig, ServerSession};
//! use engineio_proto::{Frame, Instant, Message, Transport, Utf8Bytes};
//!
//! let mut now = Instant::from_millis(0); // the caller's monotonic clock
//! let mut session = ServerSession::new(now, "sid1".into(), Transport::WebSocket, ServerConfig::default());
//! let mut written = Vec::new(); // frames the caller writes to its WebSocket
//!
//! // One wake-up: a frame arrived. Feed it in with `now`, then carry out every output.
//! session.handle_ws_frame(now, Frame::Text(Utf8Bytes::from("4hello")));
//! while let Some(output) = session.poll_output() {
//!     match output {
//!         Output::WsFrame(frame) => written.push(frame),
//!         Output::Event(Event::Message(Message::Text(text))) => {
//!             // The application's turn: echo the message back.
//!             session.send(Message::Text(text)).unwrap();
//!         }
//!         Output::Event(_) | Output::PollResponse(_) | Output::CloseWebSocket => {}
//!     }
//! }
//! // The `open` packet, then the echo, which the same drain picked up.
//! assert_eq!(written.len(), 2);
//! assert_eq!(written[1], Frame::Text(Utf8Bytes::from("4hello")));
//!
//! // Sleep until the next deadline, then tell the machine: the heartbeat's ping is due.
//! now = session.poll_timeout().expect("the heartbeat is scheduled");
//! session.handle_timeout(now);
//! assert_eq!(session.poll_output(), Some(Output::WsFrame(Frame::Text(Utf8Bytes::from("2")))));
//! ```
#![no_std]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod client;
pub mod error;
pub mod handshake;
pub mod packet;
pub mod payload;
pub mod server;
pub mod time;
pub mod transport;
pub mod utf8;
pub mod v3;
pub mod version;

pub use bytes::Bytes;
pub use error::{DecodeError, ErrorCode, RequestError};
pub use handshake::SessionParams;
pub use packet::{Frame, FramedText, Message, Packet};
pub use time::Instant;
pub use transport::{Transport, Transports};
pub use utf8::Utf8Bytes;
pub use version::ProtocolVersion;
