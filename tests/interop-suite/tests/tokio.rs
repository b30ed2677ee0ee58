//! The interop scenarios on tokio (a multi-threaded runtime, as servers usually run): our servers
//! against the official clients, our client against the official server.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use socketio_interop_suite::{
    BoxFuture, Engine, Host, Runtime, client, eio3, eio3_client, engine_io, ours, socket_io,
};
use socketio_tokio::client::Tokio as TokioClient;
use socketio_tokio::server::PacketFormat;
use socketio_tokio::{HttpServer, TokioRuntime};

struct Tokio;

impl Host for Tokio {
    fn runtime(&self) -> Arc<dyn Runtime> {
        Arc::new(TokioRuntime::current())
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_engine_io_client_against_our_server() {
    engine_io::official_client(&Tokio).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_socket_io_client_against_our_server() {
    socket_io::official_client(&Tokio).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_socket_io_client_with_msgpack_against_our_server() {
    socket_io::official_client_with_msgpack(&Tokio).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_io_client_v2_against_our_server_with_eio3() {
    eio3::official_v2_client(&Tokio).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_against_the_official_server() {
    client::official_server::<TokioClient>().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_with_msgpack_against_the_official_server() {
    client::official_server_with::<TokioClient>(PacketFormat::msgpack()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_against_our_server_in_each_parser() {
    for parser in [PacketFormat::Json, PacketFormat::msgpack()] {
        ours::our_server::<TokioClient>(&Tokio, parser).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_against_the_official_server_over_tls() {
    client::official_server_over_tls::<TokioClient>().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_with_eio3_against_socket_io_v2() {
    eio3_client::official_v2_server::<TokioClient>().await;
}
