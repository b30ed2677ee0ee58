//! The bench contract on socketioxide (crates.io, default configuration) mounted in axum.
//!
//! Port from `PORT`; `PARSER=msgpack` for socketioxide's msgpack parser; event `echo` acks its
//! arguments; event `broadcast` re-emits its arguments as `bcast` to every socket of `/`.

use axum::serve::ListenerExt;
use socketioxide::extract::{AckSender, Data, SocketRef};
use socketioxide::{ParserConfig, SocketIo};

fn main() {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let (layer, io) = match std::env::var("PARSER").as_deref() {
            Ok("msgpack") => SocketIo::builder()
                .with_parser(ParserConfig::msgpack())
                .build_layer(),
            Ok("") | Ok("json") | Err(_) => SocketIo::new_layer(),
            Ok(other) => panic!("PARSER={other:?}: expected json or msgpack"),
        };
        io.ns("/", async |socket: SocketRef| {
            socket.on(
                "echo",
                async |Data(args): Data<serde_json::Value>, ack: AckSender| {
                    let _ = ack.send(&args);
                },
            );
            socket.on(
                "broadcast",
                async |io: SocketIo, Data(args): Data<serde_json::Value>| {
                    let _ = io.emit("bcast", &args).await;
                },
            );
        });
        let app = axum::Router::new().layer(layer);
        // TCP_NODELAY on every connection, as ours and the floor set it (axum::serve does not by
        // default; Nagle's algorithm would add milliseconds to every small ack).
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap()
            .tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
        eprintln!("socketioxide listening on 127.0.0.1:{port}");
        axum::serve(listener, app).await.unwrap();
    });
}
