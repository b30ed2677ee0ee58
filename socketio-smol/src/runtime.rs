//! smol as a [`Runtime`].

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use smol::{Executor, Timer};
use socketio_runtime::{BoxFuture, BoxSleep, Runtime};

/// Spawns on an `async-executor` executor (smol's global one, or one of the caller's) and sleeps
/// with async-io's timers. No tokio anywhere: it runs under `smol::block_on` and under any
/// `async_executor::Executor`.
#[derive(Clone)]
pub struct SmolRuntime {
    executor: Option<Arc<Executor<'static>>>,
}

impl SmolRuntime {
    /// smol's global executor (`smol::spawn`), whose threads start on first use (`SMOL_THREADS`
    /// of them, one by default).
    pub fn global() -> Self {
        SmolRuntime { executor: None }
    }

    /// A specific executor. Tasks make progress only while something runs it (`executor.run(..)`
    /// on one or more threads).
    pub fn new(executor: Arc<Executor<'static>>) -> Self {
        SmolRuntime {
            executor: Some(executor),
        }
    }
}

impl fmt::Debug for SmolRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let executor = if self.executor.is_some() {
            "given"
        } else {
            "global"
        };
        f.debug_struct("SmolRuntime")
            .field("executor", &executor)
            .finish()
    }
}

impl Runtime for SmolRuntime {
    fn spawn(&self, task: BoxFuture) {
        match &self.executor {
            Some(executor) => executor.spawn(task).detach(),
            None => smol::spawn(task).detach(),
        }
    }

    fn sleep_until(&self, deadline: Instant) -> BoxSleep {
        let timer = Timer::at(deadline);
        Box::pin(async move {
            timer.await;
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn spawns_and_sleeps_on_a_given_executor() {
        let executor = Arc::new(Executor::new());
        let runtime = SmolRuntime::new(executor.clone());
        let (done, finished) = smol::channel::bounded(1);
        let sleeper = runtime.clone();
        let start = Instant::now();
        runtime.spawn(Box::pin(async move {
            sleeper
                .sleep_until(Instant::now() + Duration::from_millis(20))
                .await;
            let _ = done.send(()).await;
        }));
        smol::block_on(executor.run(finished.recv())).unwrap();
        assert!(start.elapsed() >= Duration::from_millis(20));
    }

    #[test]
    fn spawns_on_the_global_executor() {
        let (done, finished) = smol::channel::bounded(1);
        SmolRuntime::global().spawn(Box::pin(async move {
            let _ = done.send(()).await;
        }));
        smol::block_on(finished.recv()).unwrap();
    }
}
