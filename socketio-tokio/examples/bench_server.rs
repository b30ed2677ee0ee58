//! The benchmark server, on tokio: `echo` is acknowledged with its arguments, `broadcast` re-emitted
//! as `bcast` to every socket of `/` (see `example_apps::bench`). Port from `PORT`
//! (default 3000); `PARSER=msgpack` for the msgpack parser.
//!
//! ```text
//! PORT=3000 cargo run --release -p socketio-tokio --example bench_server
//! ```

use std::sync::Arc;

use example_apps::{bench, parser_from_env, port_from_env};
use socketio_tokio::{TokioRuntime, listen};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let io = bench::socket_io_with(Arc::new(TokioRuntime::current()), parser_from_env()?);
    let port = port_from_env(3000)?;
    println!(
        "bench server on http://0.0.0.0:{port}{}",
        io.config().engine.path
    );
    listen(("0.0.0.0", port), io).await
}
