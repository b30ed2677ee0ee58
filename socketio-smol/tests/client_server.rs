//! Our client against our server, both on smol with no tokio runtime anywhere: the conformance
//! Socket.IO echo (`example_apps::conformance`) over each transport, on `/` and
//! `/custom`, with text and binary arguments.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use example_apps::conformance;
use serde_json::{Value, json};
use socketio_smol::client::{Client, Transport};
use socketio_smol::{HttpServer, SmolRuntime};

const WAIT: Duration = Duration::from_secs(5);

/// Connects to `url` over `transports`, then checks the echo's three answers.
async fn echo_round_trip(url: String, transports: &[Transport]) {
    let client = Client::builder(url)
        .auth(json!({ "token": "smol" }))
        .transports(transports.iter().copied())
        .build()
        .unwrap();
    let socket = client.socket();
    let (auth_tx, auth_rx) = smol::channel::bounded(1);
    socket.on("auth", move |_, (auth,): (Value,), _| {
        let _ = auth_tx.try_send(auth);
    });
    let (back_tx, back_rx) = smol::channel::bounded(1);
    socket.on("message-back", move |_, args: (String, Bytes), _| {
        let _ = back_tx.try_send(args);
    });
    smol::future::or(async { client.connect().await.expect("connect") }, async {
        smol::Timer::after(WAIT).await;
        panic!("no connection within {WAIT:?}");
    })
    .await;

    if let [only] = transports {
        assert_eq!(client.transport(), Some(*only));
    }
    let auth = auth_rx.recv().await.unwrap();
    assert_eq!(auth, json!({ "token": "smol" }));

    socket
        .emit("message", &("hello", Bytes::from_static(&[1, 2, 3])))
        .unwrap();
    let back = back_rx.recv().await.unwrap();
    assert_eq!(back, ("hello".to_owned(), Bytes::from_static(&[1, 2, 3])));

    let acked = socket
        .emit_with_ack("message-with-ack", &(42, Bytes::from_static(&[9])))
        .timeout(WAIT)
        .await
        .unwrap();
    let acked: (u32, Bytes) = acked.deserialize().unwrap();
    assert_eq!(acked, (42, Bytes::from_static(&[9])));
    client.close();
}

#[test]
fn smol_client_against_smol_server_over_each_transport() {
    smol::block_on(async {
        let io = conformance::socket_io(Arc::new(SmolRuntime::global()));
        let server = HttpServer::bind("127.0.0.1:0", io.clone()).await.unwrap();
        let addr = server.local_addr().unwrap();
        let _serving = smol::spawn(server.run());

        for transports in [
            &[Transport::Polling][..],
            &[Transport::WebSocket][..],
            &[Transport::Polling, Transport::WebSocket][..],
        ] {
            for namespace in ["/", "/custom"] {
                echo_round_trip(format!("http://{addr}{namespace}"), transports).await;
            }
        }
    });
}
