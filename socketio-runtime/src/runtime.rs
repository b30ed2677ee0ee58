//! What the server needs from an async runtime: spawning and sleeping, nothing else.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// A spawned task: owned, `Send`, no output.
pub type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A timer future. `Sync` because hyper's timer contract requires it.
pub type BoxSleep = Pin<Box<dyn Future<Output = ()> + Send + Sync + 'static>>;

/// An async runtime, as the server uses it. Object-safe, so the server holds an `Arc<dyn Runtime>`
/// and is written once for every runtime.
pub trait Runtime: Send + Sync + 'static {
    /// Runs `task` to completion in the background.
    fn spawn(&self, task: BoxFuture);

    /// A future that completes at `deadline` (at once if it has passed).
    fn sleep_until(&self, deadline: Instant) -> BoxSleep;
}

/// hyper's timer (header read timeouts, keep-alive) on top of a [`Runtime`].
#[derive(Clone)]
pub struct HyperTimer(pub Arc<dyn Runtime>);

impl hyper::rt::Timer for HyperTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        self.sleep_until(Instant::now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HyperSleep(self.0.sleep_until(deadline)))
    }
}

struct HyperSleep(BoxSleep);

impl Future for HyperSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.as_mut().poll(cx)
    }
}

impl hyper::rt::Sleep for HyperSleep {}
