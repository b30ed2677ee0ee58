//! Waiting on a runtime's own timer, so the scenarios wait the same way on every runtime.

use std::future::Future;
use std::pin::pin;
use std::time::{Duration, Instant};

use futures_util::future::{Either, select};
use socketio_runtime::Runtime;

/// Runs `work` until it completes or `limit` has passed on `timers`: its output, or `None` if time
/// ran out first (`work` is then dropped).
pub(crate) async fn within<T>(
    timers: &dyn Runtime,
    limit: Duration,
    work: impl Future<Output = T>,
) -> Option<T> {
    let deadline = timers.sleep_until(Instant::now() + limit);
    match select(pin!(work), deadline).await {
        Either::Left((output, _)) => Some(output),
        Either::Right(((), _)) => None,
    }
}

/// Sleeps for `duration` on `timers`.
pub(crate) async fn sleep(timers: &dyn Runtime, duration: Duration) {
    timers.sleep_until(Instant::now() + duration).await;
}

/// Waits, on `timers`, until `done` holds or `limit` has passed; whether it holds.
pub(crate) async fn eventually(
    timers: &dyn Runtime,
    limit: Duration,
    mut done: impl FnMut() -> bool,
) -> bool {
    let deadline = Instant::now() + limit;
    while !done() {
        if Instant::now() >= deadline {
            return false;
        }
        sleep(timers, Duration::from_millis(20)).await;
    }
    true
}
