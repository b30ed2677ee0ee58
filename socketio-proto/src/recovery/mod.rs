//! Connection state recovery (Socket.IO 4.6+): the store that lets a client which lost its connection
//! come back as the same socket, with its rooms and data, and receive the events it missed.
//!
//! # How it works
//!
//! - Every plain event a server emits (no ack, not volatile) is kept in a per-namespace
//!   [`RecoveryStore`] log under an *offset*, appended as the event's last argument: the official
//!   client remembers the last string argument it received and sends it back, with the socket's
//!   private session id (`pid`), when it reconnects.
//! - Each connected socket has a [`Cursor`]: the log position when it connected and of the last
//!   stored packet handed to it, and the trailing strings of the unstored events it was sent (which
//!   the official client takes for offsets too).
//! - When the socket ends for a recoverable reason, its session (ids, rooms, data, cursor) is
//!   [persisted](RecoveryStore::persist); a `CONNECT` with its `pid` within
//!   [`max_disconnection_duration`](RecoveryConfig::max_disconnection_duration)
//!   [restores](RecoveryStore::restore) it, and [`take_missed`](RecoveryStore::take_missed) gives
//!   the packets to send, in order, before anything new.
//!
//! Offsets are the caller's prefix (a server id, drawn at random by the server) followed by a
//! counter in base 36: no randomness here, and a position in the log can be read back from an
//! offset whose packet is long gone.
//!
//! # Beyond the reference
//!
//! - A client that never received an event sends no offset (socket.io #5538): it still recovers,
//!   and receives everything stored for it since its session began.
//! - A volatile event ending with a string is taken for an offset by the official client (socket.io
//!   PR #5539): the cursor remembers those strings, so such an "offset" still resolves to the right
//!   position (or, when two such strings are equal at different positions, to a fresh session).
//! - Packets a disconnected session needs are kept until it expires, not dropped by their own age
//!   (socket.io #5282), and a client whose offset is its last received packet recovers however old
//!   that packet is.
//! - A restored session leaves the store: it cannot be restored twice.
//!
//! # Limits, and what is dropped first
//!
//! The log is bounded in packets and bytes ([`RecoveryConfig::max_packets`],
//! [`RecoveryConfig::max_bytes`]): past either, the oldest packets go first. What each disconnected
//! session accumulates is bounded too ([`RecoveryConfig::max_packets_per_session`],
//! [`RecoveryConfig::max_bytes_per_session`]), and so is the number of sessions kept
//! ([`RecoveryConfig::max_sessions`]; the session disconnected longest ago goes first). A session
//! that loses a packet it needed to a limit is dropped at once: its client gets a fresh session when
//! it comes back, never a silent gap. So does a client whose offset cannot be placed in the log.

mod config;
mod cursor;
mod offset;
mod store;

#[cfg(test)]
mod tests;

pub use config::RecoveryConfig;
pub use cursor::{Cursor, MAX_ALIASES};
pub use offset::{offset_of, seq_of};
pub use store::{
    ClaimId, PersistedSession, RecoveryStore, RestoreFailure, Restored, SessionToPersist,
};
