//! Tokio as a [`Runtime`].

use std::time::Instant;

use socketio_runtime::{BoxFuture, BoxSleep, Runtime};
use tokio::runtime::Handle;

/// Spawns on, and sleeps with the timer of, a tokio runtime.
#[derive(Clone, Debug)]
pub struct TokioRuntime {
    handle: Handle,
}

impl TokioRuntime {
    /// The runtime this is called from. Panics outside a tokio runtime, as `tokio::spawn` does.
    pub fn current() -> Self {
        TokioRuntime {
            handle: Handle::current(),
        }
    }

    /// A specific runtime.
    pub fn new(handle: Handle) -> Self {
        TokioRuntime { handle }
    }
}

impl Runtime for TokioRuntime {
    fn spawn(&self, task: BoxFuture) {
        self.handle.spawn(task);
    }

    fn sleep_until(&self, deadline: Instant) -> BoxSleep {
        // `tokio::time` needs the runtime's context, which a caller on another thread may lack.
        let _context = self.handle.enter();
        Box::pin(tokio::time::sleep_until(deadline.into()))
    }
}
