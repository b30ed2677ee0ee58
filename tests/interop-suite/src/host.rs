//! What a runtime supplies to the scenarios, and how a scenario list is checked.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use engineio_server::Engine;
use futures_channel::oneshot;
use futures_util::future::select;
use serde_json::Value;
use socketio_runtime::{BoxFuture, Runtime};

use crate::node::run_node_script;
use crate::wait::eventually;

/// A runtime, as the scenarios use it: spawning and timers, and a server on a free port.
pub trait Host {
    /// The runtime the servers under test spawn and sleep on.
    fn runtime(&self) -> Arc<dyn Runtime>;

    /// Binds `127.0.0.1:0` for `engine` (an [`Engine`], or a `SocketIo`'s): the address bound, and
    /// the future that accepts and serves connections until it is dropped.
    fn bind(&self, engine: Engine) -> impl Future<Output = io::Result<(SocketAddr, BoxFuture)>>;
}

/// One scenario of a list: a name, and the assertions on its part of the script's report.
#[derive(Clone, Copy)]
pub struct Scenario {
    /// What the scenario covers.
    pub name: &'static str,
    /// Panics (as `assert!` does) if the report shows the scenario failed.
    pub check: fn(&Value),
}

/// Serves `engine` on `host` in the background until the returned guard is dropped.
pub(crate) async fn serve(host: &impl Host, engine: Engine) -> (SocketAddr, StopOnDrop) {
    let (addr, serving) = host
        .bind(engine)
        .await
        .expect("binding a free port on 127.0.0.1");
    let (stop, stopped) = oneshot::channel::<()>();
    host.runtime().spawn(Box::pin(async move {
        // Ends when the guard is dropped (or, which does not happen, when serving ends).
        let _ = select(serving, stopped).await;
    }));
    (addr, StopOnDrop { _stop: stop })
}

/// Stops a server started by [`serve`] when dropped.
pub(crate) struct StopOnDrop {
    _stop: oneshot::Sender<()>,
}

/// Runs every scenario's check on `report` and panics with all the failures, not only the first.
pub(crate) fn check_all(list: &str, scenarios: &[Scenario], report: &Value) {
    let failures: Vec<String> = scenarios
        .iter()
        .filter_map(|scenario| {
            catch_unwind(AssertUnwindSafe(|| (scenario.check)(report)))
                .err()
                .map(|panic| failure(scenario.name, &*panic))
        })
        .collect();
    assert_none_failed(list, scenarios.len(), &failures);
}

/// Panics with every failure of `list` (of `total` scenarios) if there is any.
pub(crate) fn assert_none_failed(list: &str, total: usize, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{list}: {} of {total} scenarios failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// How the scenario `name` failed, from the payload of its panic.
pub(crate) fn failure(name: &str, panic: &(dyn std::any::Any + Send)) -> String {
    format!("{name}: {}", panic_message(panic))
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(message) = panic.downcast_ref::<String>() {
        message.clone()
    } else if let Some(message) = panic.downcast_ref::<&str>() {
        (*message).to_owned()
    } else {
        "(no message)".to_owned()
    }
}

/// Serves `engine` on `host`, runs `node <script> <port> <limit>` against it, checks every scenario
/// of `list` on the report, then checks that every session the script opened has ended.
pub(crate) async fn run_list(
    host: &impl Host,
    engine: Engine,
    script: &str,
    limit: usize,
    list: (&str, &[Scenario]),
) {
    run_list_with(host, engine, script, &[limit.to_string()], list).await;
}

/// [`run_list`] with the script's arguments after the port: `node <script> <port> <args...>`.
pub(crate) async fn run_list_with(
    host: &impl Host,
    engine: Engine,
    script: &str,
    args: &[String],
    (list, scenarios): (&str, &[Scenario]),
) {
    let (addr, _serving) = serve(host, engine.clone()).await;
    let mut script_args = vec![addr.port().to_string()];
    script_args.extend_from_slice(args);
    let report = run_node_script(script, &script_args).await;
    check_all(list, scenarios, &report);
    let ended = eventually(&*host.runtime(), Duration::from_secs(5), || {
        engine.session_count() == 0
    })
    .await;
    assert!(
        ended,
        "{list}: {} sessions left open",
        engine.session_count()
    );
}
