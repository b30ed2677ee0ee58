//! The benchmark server, on smol: `echo` is acknowledged with its arguments, `broadcast` re-emitted
//! as `bcast` to every socket of `/` (see `example_apps::bench`). Port from `PORT`
//! (default 3000); `PARSER=msgpack` for the msgpack parser. `SMOL_THREADS` sets how many threads
//! run smol's global executor.
//!
//! ```text
//! PORT=3000 SMOL_THREADS=2 cargo run --release -p socketio-smol --example smol_bench_server
//! ```

use std::sync::Arc;

use example_apps::{bench, parser_from_env, port_from_env};
use socketio_smol::{SmolRuntime, listen};

fn main() -> std::io::Result<()> {
    let io = bench::socket_io_with(Arc::new(SmolRuntime::global()), parser_from_env()?);
    let port = port_from_env(3000)?;
    println!(
        "bench server on http://0.0.0.0:{port}{}",
        io.config().engine.path
    );
    smol::block_on(listen(("0.0.0.0", port), io))
}
