//! Our client speaking revision 3 ([`ProtocolVersion::V3`]: Engine.IO 3, Socket.IO protocol v4)
//! against the official `socket.io@2` server (`tests/interop/js-server-v2.mjs`): polling, WebSocket
//! and the upgrade; events, acks both ways, binary, the auth as a query, namespaces and the ids the
//! server gives, a middleware refusal, reconnection after the server kills the transport, and a
//! server-side disconnect. Our side drives and asserts on the server's answers; [`REPORT`] asserts
//! on what the server observed.

use std::collections::HashMap;

use bytes::Bytes;
use serde_json::{Value, json};
use socketio_client::PacketFormat;
use socketio_client::{
    ClientBuilder, ClientEvent, ClientRuntime, ConnectError, DisconnectReason, ProtocolVersion,
    SocketEvent, Transport,
};

use crate::client::{
    ClientScenario, JsServer, NO_RECONNECTION_WAIT, Peer, assert_no_reconnection, builder,
    is_disconnect, run_all, server_transport,
};
use crate::host::{Scenario, check_all};

/// Runs every scenario on runtime `R` against `socket.io@2`, then checks the server's observations.
pub async fn official_v2_server<R: ClientRuntime>() {
    let server = JsServer::start("js-server-v2.mjs", R::runtime(), None, PacketFormat::Json).await;
    let list = "our client (revision 3) vs the socket.io@2 server";
    run_all(list, &scenarios::<R>(), &server.peer()).await;
    let report = server.report().await;
    check_all("the socket.io@2 server's observations", REPORT, &report);
}

/// The scenarios on runtime `R`, in the order they run.
pub fn scenarios<R: ClientRuntime>() -> Vec<ClientScenario> {
    vec![
        ClientScenario {
            name: "v3: events, acks and binary over polling",
            run: |peer| Box::pin(events_acks_binary::<R>(peer, Transport::Polling)),
        },
        ClientScenario {
            name: "v3: events, acks and binary over WebSocket",
            run: |peer| Box::pin(events_acks_binary::<R>(peer, Transport::WebSocket)),
        },
        ClientScenario {
            name: "v3: polling, then the upgrade to WebSocket",
            run: |peer| Box::pin(upgrade::<R>(peer)),
        },
        ClientScenario {
            name: "v3: a custom namespace with its auth",
            run: |peer| Box::pin(namespaces::<R>(peer)),
        },
        ClientScenario {
            name: "v3: middleware refusal",
            run: |peer| Box::pin(rejection::<R>(peer)),
        },
        ClientScenario {
            name: "v3: reconnection after the server kills the transport",
            run: |peer| Box::pin(reconnection::<R>(peer)),
        },
        ClientScenario {
            name: "v3: server-side disconnect",
            run: |peer| Box::pin(server_disconnect::<R>(peer)),
        },
    ]
}

/// The assertions on what the server observed once every scenario has run.
pub const REPORT: &[Scenario] = &[
    Scenario {
        name: "v3: binary arguments as socket.io@2 decoded them",
        check: |report| {
            assert_eq!(
                report["binary"],
                json!([
                    { "buffer": [1, 2] },
                    [{ "buffer": [3] }],
                    { "k": { "buffer": [4, 5] } },
                    "text"
                ]),
                "{report}"
            );
        },
    },
    Scenario {
        name: "v3: what was emitted while disconnected arrived once",
        check: |report| assert_eq!(report["counted"], json!({ "1": 1, "2": 1, "3": 1 })),
    },
    Scenario {
        name: "v3: connections and disconnects per namespace",
        check: |report| {
            // "/", which socket.io@2 joins every client to: 2 x events + upgrade + namespaces +
            // the refused client's + 2 (reconnection) + 1 (disconnect).
            assert_eq!(report["connections"]["/"], 8, "{report}");
            assert_eq!(report["connections"]["/custom"], 1, "{report}");
            let disconnects = report["disconnects"].as_array().unwrap();
            assert!(
                disconnects.contains(&json!("/:server namespace disconnect")),
                "{report}"
            );
            assert!(
                disconnects.contains(&json!("/custom:client namespace disconnect")),
                "{report}"
            );
        },
    },
];

/// A revision 3 client with fast reconnection.
fn v3<R: ClientRuntime>(url: String) -> ClientBuilder<R> {
    builder::<R>(url).protocol(ProtocolVersion::V3)
}

/// One transport: the auth and query in the handshake, the ids, events and acks both ways, binary.
async fn events_acks_binary<R: ClientRuntime>(peer: Peer, transport: Transport) {
    let client = v3::<R>(peer.url("/"))
        .transports([transport])
        .auth(json!({ "token": "abc", "n": 1 }))
        .query("k", "v")
        .build()
        .unwrap();
    let socket = client.socket();
    let mut welcome = peer.events(&socket, "welcome");
    let (echoed, mut echo) = peer.listener();
    socket.on("echo", move |_, args: (u32, String, Value), _ack| {
        let _ = echoed.unbounded_send(args);
    });
    let mut answers = peer.events(&socket, "answer");
    socket.on("question", |_, (a, b, c): (u32, String, Value), ack| {
        let ack = ack.expect("the server asked for an ack");
        ack.send(&(a + 1, format!("{b}!"), c)).unwrap();
    });
    let (sender, mut binary_back) = peer.listener();
    socket.on_any(move |_, name, payload, _ack| {
        if name == "binary-back" {
            let (value,): (Value,) = payload.event_args().unwrap();
            let bytes = payload.attachment(&value["data"][0]).cloned();
            let _ = sender.unbounded_send((value["label"].clone(), bytes));
        }
    });
    client.connect().await.unwrap();
    let welcome = welcome.next("welcome").await;
    assert_eq!(welcome["nsp"], "/");
    // Protocol v4: the auth travels in the engine request's query, non-strings as JSON text.
    assert_eq!(
        welcome["query"],
        json!({ "k": "v", "token": "abc", "n": "1" }),
        "{welcome}"
    );
    assert_eq!(welcome["transport"], transport.as_str(), "{welcome}");
    assert_eq!(welcome["id"], welcome["engine"], "{welcome}");
    assert_eq!(socket.id().as_deref(), welcome["id"].as_str());

    socket
        .emit("echo", &(1, "two", json!({ "three": 3 })))
        .unwrap();
    let (one, two, three) = echo.next("echo").await;
    assert_eq!(
        (one, two.as_str(), three),
        (1, "two", json!({ "three": 3 }))
    );
    let answer = socket.emit_with_ack("echo-ack", &(1, "two")).await.unwrap();
    assert_eq!(
        answer.deserialize::<(u32, String)>().unwrap(),
        (1, "two".into())
    );
    socket.emit("ask-client", &()).unwrap();
    let answer = answers.next("the server's ack of our answer").await;
    assert_eq!(answer, json!({ "answers": [2, "two!", { "three": 3 }] }));

    let map = HashMap::from([("k", Bytes::from_static(&[4, 5]))]);
    let args = (
        Bytes::from_static(&[1, 2]),
        vec![Bytes::from_static(&[3])],
        map,
        "text",
    );
    let answer = socket.emit_with_ack("binary", &args).await.unwrap();
    let (first, list, deep): (Bytes, Vec<Bytes>, HashMap<String, Bytes>) =
        answer.deserialize().unwrap();
    assert_eq!(&first[..], [1, 2, 3]);
    assert_eq!(
        list,
        [Bytes::from_static(&[4]), Bytes::from_static(&[5, 6])]
    );
    assert_eq!(&deep["deep"][..], [255, 0]);
    let (label, bytes) = binary_back.next("binary-back").await;
    assert_eq!(label, "nested");
    assert_eq!(bytes.as_deref(), Some(&[7u8, 8, 9][..]));

    assert_eq!(server_transport(&socket).await, transport.as_str());
    client.close();
}

/// Polling, then the upgrade to WebSocket.
async fn upgrade<R: ClientRuntime>(peer: Peer) {
    let client = v3::<R>(peer.url("/")).build().unwrap();
    let mut engine = peer.client_events(&client);
    let socket = client.socket();
    let mut welcome = peer.events(&socket, "welcome");
    client.connect().await.unwrap();
    assert_eq!(welcome.next("welcome").await["transport"], "polling");
    engine
        .next_matching("the upgrade", |event| *event == ClientEvent::Upgrade)
        .await;
    assert_eq!(client.transport(), Some(Transport::WebSocket));
    assert_eq!(server_transport(&socket).await, "websocket");
    let answer = socket.emit_with_ack("echo-ack", &("after",)).await.unwrap();
    assert_eq!(answer.deserialize::<(String,)>().unwrap().0, "after");
    client.close();
}

/// `/custom` beside `/` over one engine, its auth in its `CONNECT`'s query, its id `/custom#<sid>`.
async fn namespaces<R: ClientRuntime>(peer: Peer) {
    let client = v3::<R>(peer.url("/")).build().unwrap();
    let main = client.socket();
    let custom = client.of("/custom").unwrap();
    let mut main_welcome = peer.events(&main, "welcome");
    let mut custom_welcome = peer.events(&custom, "welcome");
    client.connect().await.unwrap();
    custom
        .connect_with_auth(json!({ "token": "custom" }))
        .await
        .unwrap();
    let main_welcome = main_welcome.next("welcome on /").await;
    let custom_welcome = custom_welcome.next("welcome on /custom").await;
    assert_eq!(custom_welcome["nsp"], "/custom");
    assert_eq!(
        custom_welcome["query"]["token"], "custom",
        "{custom_welcome}"
    );
    assert_eq!(
        main_welcome["engine"], custom_welcome["engine"],
        "one engine"
    );
    let engine = main_welcome["engine"].as_str().unwrap();
    assert_eq!(custom.id(), Some(format!("/custom#{engine}")));
    assert_eq!(custom.id().as_deref(), custom_welcome["id"].as_str());

    custom.disconnect();
    let answer = main.emit_with_ack("echo-ack", &(7,)).await.unwrap();
    assert_eq!(answer.deserialize::<(u32,)>().unwrap().0, 7);
    assert!(!custom.connected() && main.connected());
    client.close();
}

/// A middleware refuses with data: socket.io@2 sends the data alone, which is what we report.
async fn rejection<R: ClientRuntime>(peer: Peer) {
    let client = v3::<R>(peer.url("/private"))
        .auth(json!({ "token": "bad" }))
        .build()
        .unwrap();
    let mut engine = peer.client_events(&client);
    let socket = client.socket();
    let mut lifecycle = peer.socket_events(&socket);
    let error = client.connect().await.unwrap_err();
    let data = json!({ "reason": "bad token", "token": "bad" });
    assert!(
        matches!(&error, ConnectError::Rejected { data: Some(got), .. } if *got == data),
        "{error:?}"
    );
    let refusal = lifecycle
        .next_matching("connect_error", |event| {
            matches!(event, SocketEvent::ConnectError { .. })
        })
        .await;
    assert!(
        matches!(
            &refusal,
            SocketEvent::ConnectError {
                retrying: false,
                ..
            }
        ),
        "{refusal:?}"
    );
    assert!(!socket.active());
    peer.sleep(NO_RECONNECTION_WAIT).await;
    assert_no_reconnection(&mut engine, &mut lifecycle);
    client.close();
}

/// The server kills the transport: the client reconnects on a new engine (a new id), and what it
/// emitted meanwhile arrives once.
async fn reconnection<R: ClientRuntime>(peer: Peer) {
    let client = v3::<R>(peer.url("/")).build().unwrap();
    let socket = client.socket();
    let mut lifecycle = peer.socket_events(&socket);
    let mut welcome = peer.events(&socket, "welcome");
    client.connect().await.unwrap();
    let first = welcome.next("welcome").await;
    socket.emit("kill-transport", &()).unwrap();
    let reason = lifecycle
        .next_matching("the disconnect", is_disconnect)
        .await;
    assert_eq!(
        reason,
        SocketEvent::Disconnect(DisconnectReason::TransportClose)
    );
    assert!(socket.active() && !socket.connected());
    for n in 1..=3 {
        socket.emit("counted", &(n,)).unwrap();
    }
    lifecycle
        .next_matching("the reconnection", |event| {
            matches!(event, SocketEvent::Connect { .. })
        })
        .await;
    let second = welcome.next("welcome again").await;
    assert_ne!(first["engine"], second["engine"]);
    assert_eq!(socket.id().as_deref(), second["id"].as_str());
    // The echo goes after the counted emits: once it is answered, they have arrived.
    let answer = socket.emit_with_ack("echo-ack", &("done",)).await.unwrap();
    assert_eq!(answer.deserialize::<(String,)>().unwrap().0, "done");
    client.close();
}

/// A server-side namespace disconnect is final: no reconnection.
async fn server_disconnect<R: ClientRuntime>(peer: Peer) {
    let client = v3::<R>(peer.url("/")).build().unwrap();
    let mut engine = peer.client_events(&client);
    let socket = client.socket();
    let mut lifecycle = peer.socket_events(&socket);
    client.connect().await.unwrap();
    socket.emit("disconnect-me", &()).unwrap();
    let event = lifecycle
        .next_matching("the disconnect", is_disconnect)
        .await;
    assert_eq!(
        event,
        SocketEvent::Disconnect(DisconnectReason::IoServerDisconnect)
    );
    assert!(!socket.active() && !socket.connected());
    peer.sleep(NO_RECONNECTION_WAIT).await;
    assert_no_reconnection(&mut engine, &mut lifecycle);
    client.close();
}
