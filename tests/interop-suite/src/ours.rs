//! Our client against our server: the conformance Socket.IO echo (`example_apps::conformance`)
//! served on a [`Host`], our client on a [`ClientRuntime`], over each transport and on `/` and
//! `/custom`, with text and binary arguments, in the parser given.

use std::time::Duration;

use bytes::Bytes;
use example_apps::conformance::{self, Options};
use futures_util::StreamExt;
use serde_json::{Value, json};
use socketio_client::{Client, ClientRuntime, PacketFormat, Transport};

use crate::host::{Host, serve};
use crate::wait::within;

const WAIT: Duration = Duration::from_secs(5);

/// Serves the echo with `parser` on `host` and runs [`echo_round_trip`] for every transport
/// setting and both namespaces, then checks that every session has ended.
pub async fn our_server<R: ClientRuntime>(host: &impl Host, parser: PacketFormat) {
    let options = Options {
        parser,
        ..Options::default()
    };
    let io = conformance::socket_io_with(host.runtime(), options);
    let (addr, _serving) = serve(host, io.engine().clone()).await;
    for transports in [
        &[Transport::Polling][..],
        &[Transport::WebSocket][..],
        &[Transport::Polling, Transport::WebSocket][..],
    ] {
        for namespace in ["/", "/custom"] {
            let url = format!("http://{addr}{namespace}");
            echo_round_trip::<R>(url, transports, parser).await;
        }
    }
    let ended =
        crate::wait::eventually(&*host.runtime(), WAIT, || io.engine().session_count() == 0).await;
    assert!(ended, "{} sessions left", io.engine().session_count());
}

/// Connects to `url` over `transports`, then checks the echo's three answers: the handshake's
/// auth, `message-back` and the ack of `message-with-ack`, binary arguments included.
async fn echo_round_trip<R: ClientRuntime>(
    url: String,
    transports: &[Transport],
    parser: PacketFormat,
) {
    let timers = R::runtime();
    let client = Client::<R>::builder(url.clone())
        .auth(json!({ "token": "ours" }))
        .transports(transports.iter().copied())
        .parser(parser)
        .build()
        .unwrap();
    let socket = client.socket();
    let (auth_tx, mut auth_rx) = futures_channel::mpsc::unbounded();
    socket.on("auth", move |_, (auth,): (Value,), _| {
        let _ = auth_tx.unbounded_send(auth);
    });
    let (back_tx, mut back_rx) = futures_channel::mpsc::unbounded();
    socket.on("message-back", move |_, args: (String, Bytes), _| {
        let _ = back_tx.unbounded_send(args);
    });
    let what = format!("{url} over {transports:?} ({parser:?})");
    within(&*timers, WAIT, client.connect())
        .await
        .unwrap_or_else(|| panic!("{what}: no connection within {WAIT:?}"))
        .unwrap_or_else(|error| panic!("{what}: {error}"));
    if let [only] = transports {
        assert_eq!(client.transport(), Some(*only), "{what}");
    }
    let auth = within(&*timers, WAIT, auth_rx.next()).await.flatten();
    assert_eq!(auth, Some(json!({ "token": "ours" })), "{what}");

    socket
        .emit("message", &("hello", Bytes::from_static(&[1, 2, 3])))
        .unwrap();
    let back = within(&*timers, WAIT, back_rx.next()).await.flatten();
    let expected = ("hello".to_owned(), Bytes::from_static(&[1, 2, 3]));
    assert_eq!(back, Some(expected), "{what}");

    let acked = socket
        .emit_with_ack("message-with-ack", &(42, Bytes::from_static(&[9])))
        .timeout(WAIT)
        .await
        .unwrap_or_else(|error| panic!("{what}: {error}"));
    let acked: (u32, Bytes) = acked.deserialize().unwrap();
    assert_eq!(acked, (42, Bytes::from_static(&[9])), "{what}");
    client.close();
}
