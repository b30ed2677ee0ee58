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
//! Every state machine has the same surface: `handle_*(now, ..)` inputs, `poll_output()` until `None`,
//! `poll_timeout()` for the next deadline, `handle_timeout(now)` when it is reached.
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
pub use handshake::Handshake;
pub use packet::{Frame, FramedText, Message, Packet};
pub use time::Instant;
pub use transport::{Transport, Transports};
pub use utf8::Utf8Bytes;
pub use version::ProtocolVersion;
