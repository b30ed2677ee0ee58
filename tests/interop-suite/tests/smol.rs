//! The interop scenarios on smol: our servers under `smol::block_on` with smol's global executor,
//! and under a plain `async_executor::Executor` run by threads of our own (no smol runtime at all);
//! our client (whose smol runtime is the global executor) under `smol::block_on`.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread;

use async_executor::Executor;
use socketio_interop_suite::{
    BoxFuture, Engine, Host, Runtime, client, eio3, eio3_client, engine_io, ours, socket_io,
};
use socketio_smol::client::Smol as SmolClient;
use socketio_smol::server::PacketFormat;
use socketio_smol::{HttpServer, SmolRuntime};

struct Smol(SmolRuntime);

impl Host for Smol {
    fn runtime(&self) -> Arc<dyn Runtime> {
        Arc::new(self.0.clone())
    }

    async fn bind(&self, engine: Engine) -> io::Result<(SocketAddr, BoxFuture)> {
        let server = HttpServer::bind("127.0.0.1:0", engine).await?;
        let addr = server.local_addr()?;
        Ok((
            addr,
            Box::pin(async move {
                let _ = server.run().await;
            }),
        ))
    }
}

/// Runs `test` on a fresh executor driven by two threads of its own, plus the caller's, with
/// async-io's reactor; stops the threads afterwards.
fn on_plain_executor<F: Future<Output = ()>>(test: impl FnOnce(SmolRuntime) -> F) {
    let executor = Arc::new(Executor::new());
    let (stop, stopped) = async_channel::bounded::<()>(1);
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let executor = executor.clone();
            let stopped = stopped.clone();
            thread::spawn(move || async_io::block_on(executor.run(stopped.recv())))
        })
        .collect();
    async_io::block_on(executor.run(test(SmolRuntime::new(executor.clone()))));
    drop(stop);
    for worker in workers {
        let _ = worker.join();
    }
}

#[test]
fn official_engine_io_client_against_our_server_on_smol_block_on() {
    smol::block_on(engine_io::official_client(&Smol(SmolRuntime::global())));
}

#[test]
fn official_socket_io_client_against_our_server_on_smol_block_on() {
    smol::block_on(socket_io::official_client(&Smol(SmolRuntime::global())));
}

#[test]
fn official_socket_io_client_with_msgpack_against_our_server_on_smol_block_on() {
    smol::block_on(socket_io::official_client_with_msgpack(&Smol(
        SmolRuntime::global(),
    )));
}

#[test]
fn official_engine_io_client_against_our_server_on_a_plain_executor() {
    on_plain_executor(|runtime| async move { engine_io::official_client(&Smol(runtime)).await });
}

#[test]
fn official_socket_io_client_against_our_server_on_a_plain_executor() {
    on_plain_executor(|runtime| async move { socket_io::official_client(&Smol(runtime)).await });
}

#[test]
fn socket_io_client_v2_against_our_server_with_eio3_on_smol_block_on() {
    smol::block_on(eio3::official_v2_client(&Smol(SmolRuntime::global())));
}

#[test]
fn socket_io_client_v2_against_our_server_with_eio3_on_a_plain_executor() {
    on_plain_executor(|runtime| async move { eio3::official_v2_client(&Smol(runtime)).await });
}

#[test]
fn our_client_against_the_official_server_on_smol_block_on() {
    smol::block_on(client::official_server::<SmolClient>());
}

#[test]
fn our_client_with_msgpack_against_the_official_server_on_smol_block_on() {
    smol::block_on(client::official_server_with::<SmolClient>(
        PacketFormat::msgpack(),
    ));
}

/// Both on smol, no tokio runtime anywhere (the server on the global executor too).
#[test]
fn our_client_against_our_server_in_each_parser_on_smol_block_on() {
    smol::block_on(async {
        for parser in [PacketFormat::Json, PacketFormat::msgpack()] {
            ours::our_server::<SmolClient>(&Smol(SmolRuntime::global()), parser).await;
        }
    });
}

#[test]
fn our_client_against_the_official_server_over_tls_on_smol_block_on() {
    smol::block_on(client::official_server_over_tls::<SmolClient>());
}

#[test]
fn our_client_with_eio3_against_socket_io_v2_on_smol_block_on() {
    smol::block_on(eio3_client::official_v2_server::<SmolClient>());
}
