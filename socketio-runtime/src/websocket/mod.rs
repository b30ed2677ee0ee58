//! WebSocket plumbing shared by the server's sockets and the client's: `futures-io` over hyper's
//! I/O (so `async-tungstenite` runs on any runtime) and Engine.IO frames over the library.

pub mod frames;
mod futures_io;

pub use futures_io::FuturesIo;

/// The WebSocket read buffer of both ends by default: small, because an idle connection holds it
/// for its whole life, and Engine.IO frames are mostly small.
pub const READ_BUFFER: usize = 4 * 1024;
