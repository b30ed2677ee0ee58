//! `socket.io-client@2` (Engine.IO 3, Socket.IO protocol v4) against our Socket.IO server with
//! `allow_eio3` (`tests/interop/sio-v2-client.mjs`): polling, WebSocket and the upgrade, events with
//! several arguments, acks both ways, binary, custom namespaces with their query as auth, refusals,
//! rooms and broadcasts shared with `socket.io-client@4` sockets, disconnects and reconnection; and a
//! second server, without `allow_eio3`, refusing revision 3 with code 5. The script observes;
//! [`SCENARIOS`] assert.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};
use socketio_server::SocketIo;

use crate::host::{Host, Scenario, check_all, serve};
use crate::node::run_node_script;
use crate::socket_io;
use crate::wait::eventually;

/// Serves [`server`] (allowing revision 3) and [`socket_io::server`] (not allowing it) on `host`,
/// runs the script against both, checks every scenario, then that every session has ended.
pub async fn official_v2_client(host: &impl Host) {
    let io = server(host.runtime());
    let refusing = socket_io::server(host.runtime());
    let (addr, _serving) = serve(host, io.engine().clone()).await;
    let (refusing_addr, _refusing) = serve(host, refusing.engine().clone()).await;
    let args = [addr.port().to_string(), refusing_addr.port().to_string()];
    let report = run_node_script("sio-v2-client.mjs", &args).await;
    let list = "socket.io-client@2 vs our server";
    check_all(list, SCENARIOS, &report);
    for engine in [io.engine(), refusing.engine()] {
        let ended = eventually(&*host.runtime(), Duration::from_secs(5), || {
            engine.session_count() == 0
        })
        .await;
        assert!(ended, "{list}: {} sessions left", engine.session_count());
    }
    assert_eq!(io.of("/").socket_count(), 0, "sockets left in `/`");
}

/// The scenarios, each with the assertions on its part of the script's report.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "v2: events, acks both ways and binary over each transport",
        check: transports,
    },
    Scenario {
        name: "v2: upgrade",
        check: upgrade,
    },
    Scenario {
        name: "v2: namespaces, query auth and refusals",
        check: namespaces,
    },
    Scenario {
        name: "v2 and v4 clients in the same rooms and broadcasts",
        check: rooms,
    },
    Scenario {
        name: "v2: server disconnect, killed transport and reconnection",
        check: disconnects,
    },
    Scenario {
        name: "v2 refused with code 5 without allow_eio3",
        check: refused,
    },
];

/// [`socket_io::server`] allowing revision 3, plus what only these scenarios ask: the socket's id
/// as the server gives it, the reason a socket left with, and a binary broadcast.
pub fn server(runtime: Arc<dyn socketio_runtime::Runtime>) -> SocketIo {
    let io = socket_io::server_with(runtime, socket_io::config().with_allow_eio3(true));
    let reasons: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let broadcaster = io.clone();
    io.on_connection(move |socket| {
        socket.on("whoami", |socket, (): (), ack| {
            ack.map(|ack| ack.send(&socket.id().as_str()));
        });
        let log = reasons.clone();
        socket.on_disconnect(move |socket, reason| {
            let mut log = log.lock().unwrap();
            log.insert(socket.id().as_str().to_owned(), reason.as_str().to_owned());
        });
        let log = reasons.clone();
        socket.on("disconnect-reason", move |_, (id,): (String,), ack| {
            let reason = log.lock().unwrap().get(&id).cloned();
            ack.map(|ack| ack.send(&reason));
        });
        let io = broadcaster.clone();
        socket.on("broadcast-binary", move |_, (room,): (String,), ack| {
            let data = Bytes::from_static(&[1, 2, 255]);
            io.to(room).emit("binary-news", &("bin", data)).unwrap();
            ack.map(|ack| ack.send(&()));
        });
    });
    io
}

fn buffers(bytes: &[u8]) -> Value {
    json!({ "buffer": bytes })
}

fn no_error(part: &Value) {
    assert!(part.get("error").is_none(), "{part}");
}

fn transports(r: &Value) {
    for transport in ["polling", "websocket"] {
        let basics = &r[transport];
        no_error(basics);
        assert_eq!(basics["transport"], transport, "{basics}");
        assert_eq!(basics["finalTransport"], transport, "{basics}");
        // Protocol v4's socket id on `/` is the engine session id, on both sides.
        assert_eq!(basics["id"], basics["engineId"], "{basics}");
        assert_eq!(basics["serverId"], basics["id"], "{basics}");
        assert_eq!(
            basics["auth"],
            json!([{ "token": "main-token" }]),
            "{basics}"
        );
        assert_eq!(basics["echo"], json!([1, "two", { "three": [3] }]));
        assert_eq!(basics["messageBack"], json!(["hello", 42]));
        assert_eq!(basics["serverAck"], json!([["1-two", "answer"]]));
        assert_eq!(
            basics["binaryAck"],
            json!([{ "buf": buffers(&[1, 2, 3]), "nested": [buffers(&[4]), { "deep": buffers(&[5, 6]) }] }])
        );
        assert_eq!(
            basics["binaryPush"],
            json!([{ "buf": buffers(&[9, 8]), "nested": [buffers(&[7]), { "deep": buffers(&[6, 5, 4]) }] }, "and text"])
        );
        assert_eq!(basics["burstInOrder"], true, "{transport}");
        assert_eq!(
            basics["clientDisconnect"], "client namespace disconnect",
            "{basics}"
        );
    }
}

fn upgrade(r: &Value) {
    let upgrade = &r["upgrade"];
    no_error(upgrade);
    assert_eq!(upgrade["first"], "polling", "{upgrade}");
    assert_eq!(upgrade["after"], "websocket", "{upgrade}");
    assert_eq!(upgrade["echo"], json!(["after upgrade", 7]));
}

fn namespaces(r: &Value) {
    let namespaces = &r["namespaces"];
    no_error(namespaces);
    let engine_id = namespaces["engineId"].as_str().unwrap();
    assert_eq!(namespaces["id"], format!("/custom#{engine_id}"));
    assert_eq!(namespaces["auth"], json!([{ "token": "secret" }]));
    assert_eq!(namespaces["echo"], json!(["custom", 2]));
    // v4's ERROR carries the data when there is any, else the message.
    assert_eq!(
        namespaces["rejected"],
        json!({ "code": 42 }),
        "{namespaces}"
    );
    assert_eq!(namespaces["invalidNamespace"], "Invalid namespace");
    assert_eq!(namespaces["dynamic"], json!(["/dyn-42"]));
}

fn rooms(r: &Value) {
    let rooms = &r["rooms"];
    no_error(rooms);
    assert_eq!(
        rooms["received"],
        json!({
            "a": ["red only", "union"],
            "b": ["red only", "union", "from a to all", "bin:1,2,255"],
            "c": ["union", "blue except red", "from a to all", "bin:1,2,255"],
        }),
        "{rooms}"
    );
    assert_eq!(rooms["fetched"], rooms["blue"], "{rooms}");
}

fn disconnects(r: &Value) {
    let disconnects = &r["disconnects"];
    no_error(disconnects);
    assert_eq!(disconnects["serverDisconnect"], "io server disconnect");
    assert_eq!(disconnects["reconnectedAfterServerDisconnect"], false);
    assert_eq!(disconnects["killedReason"], "transport close");
    assert_eq!(disconnects["newId"], true);
    let records = disconnects["records"].as_array().unwrap();
    let ours = records
        .iter()
        .filter(|record| *record == "v2 while offline")
        .count();
    assert_eq!(ours, 1, "{disconnects}");
}

fn refused(r: &Value) {
    let refused = &r["refused"];
    no_error(refused);
    assert_eq!(refused["status"], 400, "{refused}");
    assert_eq!(
        refused["body"],
        json!({ "code": 5, "message": "Unsupported protocol version" })
    );
    assert!(refused["clientError"].is_string(), "{refused}");
    assert_eq!(refused["v4Connected"], true, "{refused}");
}
