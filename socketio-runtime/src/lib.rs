//! The seam between the Engine.IO / Socket.IO crates and an async runtime, and the I/O plumbing
//! that both the server and the client use:
//!
//! - [`Runtime`]: spawning and sleeping, all a server or client asks of a runtime;
//! - [`Clock`]: the system's monotonic clock as the protocol machines' [`engineio_proto::Instant`];
//! - [`HyperIo`] / [`FuturesIo`]: hyper's I/O traits over `futures-io` ones and back, so hyper and
//!   `async-tungstenite` run over any runtime's sockets;
//! - [`websocket::frames`]: Engine.IO frames over the WebSocket library;
//! - [`sync`]: poison-tolerant locks for short critical sections.
//!
//! A runtime crate (`socketio-tokio`, `socketio-smol`) implements [`Runtime`] by handing both calls to
//! its executor and its timers; any other runtime does the same:
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Instant;
//! use socketio_runtime::{BoxFuture, BoxSleep, Runtime};
//!
//! /// A runtime given by its executor's spawn function and its timer.
//! struct MyRuntime {
//!     spawn: fn(BoxFuture),
//!     sleep_until: fn(Instant) -> BoxSleep,
//! }
//!
//! impl Runtime for MyRuntime {
//!     fn spawn(&self, task: BoxFuture) {
//!         (self.spawn)(task)
//!     }
//!     fn sleep_until(&self, deadline: Instant) -> BoxSleep {
//!         (self.sleep_until)(deadline)
//!     }
//! }
//!
//! fn servers_runtime(spawn: fn(BoxFuture), sleep_until: fn(Instant) -> BoxSleep) -> Arc<dyn Runtime> {
//!     Arc::new(MyRuntime { spawn, sleep_until })
//! }
//! # let _ = servers_runtime;
//! ```

mod clock;
mod hyper_io;
mod runtime;
pub mod sync;
pub mod websocket;

pub use clock::Clock;
pub use hyper_io::HyperIo;
pub use runtime::{BoxFuture, BoxSleep, HyperTimer, Runtime};
pub use websocket::FuturesIo;

pub use engineio_proto;
