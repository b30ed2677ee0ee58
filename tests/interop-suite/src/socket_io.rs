//! Our Socket.IO server against the official JavaScript `socket.io-client`
//! (`tests/interop/sio-client.mjs`): transports and upgrade, namespaces with auth, middleware
//! rejection, events and acks both ways, ack timeouts, binary, rooms and broadcasts, reconnection,
//! volatile, payload limits and bad input. The script observes; [`SCENARIOS`] assert.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use socketio_runtime::Runtime;
use socketio_server::{AckError, ConnectError, PacketFormat, Room, SocketIo, SocketIoConfig};

use crate::host::{Host, Scenario, run_list, run_list_with};

/// The server's `maxHttpBufferSize`, which the script probes at and over.
pub const MAX_HTTP_BUFFER_SIZE: usize = 20_000;

/// Runs the script against [`server`] on `host` and checks every scenario, then that every
/// connection the script made has ended and left the main namespace.
pub async fn official_client(host: &impl Host) {
    let io = server(host.runtime());
    let list = ("socket.io-client vs our server", SCENARIOS);
    let limit = MAX_HTTP_BUFFER_SIZE;
    run_list(host, io.engine().clone(), "sio-client.mjs", limit, list).await;
    assert_eq!(io.of("/").socket_count(), 0, "sockets left in `/`");
}

/// [`official_client`] with `socket.io-msgpack-parser` on both sides, without the scenarios that
/// write JSON packets by hand ([`JSON_ONLY`]).
pub async fn official_client_with_msgpack(host: &impl Host) {
    let config = config().with_parser(PacketFormat::msgpack());
    let io = server_with(host.runtime(), config);
    let scenarios: Vec<Scenario> = SCENARIOS
        .iter()
        .filter(|scenario| !JSON_ONLY.contains(&scenario.name))
        .copied()
        .collect();
    let list = (
        "socket.io-client with msgpack vs our server",
        &scenarios[..],
    );
    let args = [MAX_HTTP_BUFFER_SIZE.to_string(), "msgpack".to_owned()];
    run_list_with(host, io.engine().clone(), "sio-client.mjs", &args, list).await;
    assert_eq!(io.of("/").socket_count(), 0, "sockets left in `/`");
}

/// The scenarios whose packets the script writes as JSON text itself.
pub const JSON_ONLY: &[&str] = &["payload limits", "bad input"];

/// The scenarios, each with the assertions on its part of the script's report.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "events, acks both ways and binary over each transport",
        check: transports,
    },
    Scenario {
        name: "upgrade",
        check: upgrade,
    },
    Scenario {
        name: "namespaces, auth and middleware",
        check: namespaces,
    },
    Scenario {
        name: "rooms and broadcasts",
        check: rooms,
    },
    Scenario {
        name: "reconnection and server disconnect",
        check: reconnection,
    },
    Scenario {
        name: "volatile emits",
        check: volatile,
    },
    Scenario {
        name: "payload limits",
        check: limits,
    },
    Scenario {
        name: "bad input",
        check: bad_input,
    },
];

#[derive(Debug, Serialize, Deserialize)]
struct Deep {
    deep: Bytes,
}

#[derive(Debug, Serialize, Deserialize)]
struct Nested {
    buf: Bytes,
    nested: (Bytes, Deep),
}

#[derive(Debug, Deserialize)]
struct BroadcastRequest {
    #[serde(default)]
    to: Vec<String>,
    #[serde(default)]
    except: Vec<String>,
    text: String,
}

/// The server the script talks to, on `runtime`: every handler answers one step of a scenario.
pub fn server(runtime: Arc<dyn Runtime>) -> SocketIo {
    server_with(runtime, config())
}

/// The settings of [`server`]: a fast heartbeat, and [`MAX_HTTP_BUFFER_SIZE`].
pub fn config() -> SocketIoConfig {
    SocketIoConfig::default()
        .with_ping_interval(Duration::from_millis(500))
        .with_ping_timeout(Duration::from_millis(1000))
        .with_max_http_buffer_size(MAX_HTTP_BUFFER_SIZE)
}

/// [`server`]'s handlers on a server with `config`.
pub fn server_with(runtime: Arc<dyn Runtime>, config: SocketIoConfig) -> SocketIo {
    let io = SocketIo::builder(runtime).config(config).build();
    // What sockets recorded, by socket id: shows that buffered emits arrive exactly once.
    let records: Arc<Mutex<Vec<String>>> = Arc::default();

    let broadcaster = io.clone();
    io.on_connection(move |socket| {
        // The catch-all listener answers the one event that has no listener of its own.
        socket.on_any(|_, name, args, ack| {
            if let (Some(ack), "any-ask") = (ack, name) {
                let _ = ack.send_payload(args.clone());
            }
        });
        socket.on("auth", |socket, (): (), ack| {
            if let Some(ack) = ack {
                let _ = ack.send(&socket.handshake().auth);
            }
        });
        socket.on("echo", |_, args: Vec<Value>, ack| {
            if let Some(ack) = ack {
                let _ = ack.send(&args);
            }
        });
        socket.on("message", |socket, args: Vec<Value>, _| {
            let _ = socket.emit("message-back", &args);
        });
        socket.on("server-ask", |socket, (): (), _| {
            let asker = socket.clone();
            socket.spawn(async move {
                let answer = asker.emit_with_ack("question", &(1, "two")).await;
                let args: Value = match &answer {
                    Ok(payload) => payload.deserialize().unwrap_or(Value::Null),
                    Err(error) => json!(error.to_string()),
                };
                let _ = asker.emit("answer", &(args,));
            });
        });
        socket.on("server-ask-timeout", |socket, (): (), _| {
            let asker = socket.clone();
            socket.spawn(async move {
                let answer = asker
                    .emit_with_ack("ignored-question", &())
                    .timeout(Duration::from_millis(200))
                    .await;
                let outcome = match answer {
                    Err(AckError::Timeout) => "timeout",
                    Err(_) => "other error",
                    Ok(_) => "answered",
                };
                let _ = asker.emit("ask-timeout-result", outcome);
            });
        });
        socket.on("binary", |_, (nested,): (Nested,), ack| {
            if let Some(ack) = ack {
                let _ = ack.send(&nested);
            }
        });
        socket.on("binary-push-me", |socket, (): (), _| {
            let nested = Nested {
                buf: Bytes::from_static(&[9, 8]),
                nested: (
                    Bytes::from_static(&[7]),
                    Deep {
                        deep: Bytes::from_static(&[6, 5, 4]),
                    },
                ),
            };
            let _ = socket.emit("binary-push", &(nested, "and text"));
        });
        socket.on("burst-me", |socket, (count,): (u32,), _| {
            for i in 0..count {
                socket.emit("burst", &i).unwrap();
            }
        });
        socket.on("join", |socket, (room,): (String,), ack| {
            socket.join(room);
            ack.map(|ack| ack.send(&()));
        });
        socket.on("leave", |socket, (room,): (String,), ack| {
            socket.leave(&room);
            ack.map(|ack| ack.send(&()));
        });
        socket.on("my-rooms", |socket, (): (), ack| {
            let rooms: Vec<String> = socket.rooms().iter().map(|r| r.as_str().into()).collect();
            ack.map(|ack| ack.send(&(rooms,)));
        });
        let io = broadcaster.clone();
        socket.on(
            "broadcast",
            move |_, (request,): (BroadcastRequest,), ack| {
                let mut operator = io.local();
                for room in request.to {
                    operator = operator.to(room);
                }
                for room in request.except {
                    operator = operator.except(room);
                }
                operator.emit("room-news", &request.text).unwrap();
                ack.map(|ack| ack.send(&()));
            },
        );
        socket.on(
            "broadcast-from-sender",
            |socket, (request,): (BroadcastRequest,), ack| {
                let mut operator = socket.broadcast();
                for room in request.to {
                    operator = operator.to(room);
                }
                operator.emit("room-news", &request.text).unwrap();
                ack.map(|ack| ack.send(&()));
            },
        );
        let io = broadcaster.clone();
        socket.on("everyone", move |_, (label,): (String,), ack| {
            io.emit("marker", &label).unwrap();
            ack.map(|ack| ack.send(&()));
        });
        let io = broadcaster.clone();
        socket.on("fetch-room", move |_, (room,): (String,), ack| {
            let ids: Vec<String> = io
                .to(Room::new(&room))
                .fetch_sockets()
                .iter()
                .map(|socket| socket.id().as_str().to_owned())
                .collect();
            ack.map(|ack| ack.send(&(ids,)));
        });
        socket.on("kill-transport", |socket, (): (), _| {
            socket.close_connection()
        });
        socket.on("disconnect-me", |socket, (): (), _| {
            socket.disconnect(false)
        });
        let log = records.clone();
        socket.on("record", move |_, (text,): (String,), _| {
            log.lock().unwrap().push(text);
        });
        let log = records.clone();
        socket.on("records", move |_, (): (), ack| {
            let recorded = log.lock().unwrap().clone();
            ack.map(|ack| ack.send(&(recorded,)));
        });
        socket.on("volatile-burst", |socket, (count,): (u32,), ack| {
            for i in 0..count {
                let _ = socket.volatile().emit("volatile-news", &i);
            }
            ack.map(|ack| ack.send(&()));
        });
        socket.on("big", |_, (data,): (String,), ack| {
            ack.map(|ack| ack.send(&data.len()));
        });
    });

    let custom = io.of("/custom");
    custom.use_middleware(|socket| async move {
        let token = socket.handshake().auth.get("token").cloned();
        if token == Some(json!("secret")) {
            Ok(())
        } else {
            Err(ConnectError::new("not authorized").with_data(json!({ "code": 42 })))
        }
    });
    custom.on_connection(|socket| {
        socket.on("auth", |socket, (): (), ack| {
            ack.map(|ack| ack.send(&socket.handshake().auth));
        });
        socket.on("echo", |_, args: Vec<Value>, ack| {
            ack.map(|ack| ack.send(&args));
        });
    });

    io.dynamic_namespace(
        |name| name.starts_with("/dyn-"),
        |namespace| {
            let name = namespace.name().to_owned();
            namespace.on_connection(move |socket| {
                let name = name.clone();
                socket.on("whoami", move |_, (): (), ack| {
                    ack.map(|ack| ack.send(&name));
                });
            });
        },
    );
    io
}

fn buffers(bytes: &[u8]) -> Value {
    json!({ "buffer": bytes })
}

fn transports(r: &Value) {
    for transport in ["polling", "websocket"] {
        let basics = &r[transport];
        assert!(basics.get("error").is_none(), "{transport}: {basics}");
        assert_eq!(basics["transport"], transport, "{basics}");
        assert_eq!(basics["finalTransport"], transport, "{basics}");
        assert_eq!(basics["id"].as_str().unwrap().len(), 20, "{basics}");
        assert_eq!(basics["auth"], json!([{ "token": "main-token" }]));
        assert_eq!(basics["echo"], json!([1, "two", { "three": [3] }]));
        assert_eq!(basics["messageBack"], json!(["hello", 42]));
        assert_eq!(basics["anyAck"], json!(["any-ask", 7]), "{transport}");
        assert_eq!(basics["serverAck"], json!([["1-two", "answer"]]));
        assert_eq!(basics["serverAckTimeout"], json!(["timeout"]));
        assert_eq!(basics["clientAckTimeout"], "operation has timed out");
        assert_eq!(
            basics["binaryAck"],
            json!([{ "buf": buffers(&[1, 2, 3]), "nested": [buffers(&[4]), { "deep": buffers(&[5, 6]) }] }])
        );
        assert_eq!(
            basics["binaryPush"],
            json!([{ "buf": buffers(&[9, 8]), "nested": [buffers(&[7]), { "deep": buffers(&[6, 5, 4]) }] }, "and text"])
        );
        assert_eq!(basics["burstInOrder"], true, "{transport}");
    }
}

fn upgrade(r: &Value) {
    let upgrade = &r["upgrade"];
    assert_eq!(upgrade["first"], "polling", "{upgrade}");
    assert_eq!(upgrade["after"], "websocket", "{upgrade}");
    assert_eq!(upgrade["echo"], json!(["after upgrade"]));
}

fn namespaces(r: &Value) {
    let namespaces = &r["namespaces"];
    assert!(namespaces.get("error").is_none(), "{namespaces}");
    assert_eq!(namespaces["auth"], json!([{ "token": "secret" }]));
    assert_eq!(namespaces["echo"], json!(["custom"]));
    assert_eq!(
        namespaces["rejected"],
        json!({ "message": "not authorized", "data": { "code": 42 }, "active": false, "reconnectAttempts": 0 })
    );
    assert_eq!(namespaces["invalidNamespace"], "Invalid namespace");
    assert_eq!(namespaces["dynamic"], json!(["/dyn-42"]));
}

fn rooms(r: &Value) {
    let rooms = &r["rooms"];
    assert!(rooms.get("error").is_none(), "{rooms}");
    assert_eq!(
        rooms["received"],
        json!({
            "a": ["red only", "union", "from b to red", "from c to all", "red after b left"],
            "b": ["red only", "union", "from c to all"],
            "c": ["union", "blue except red"],
        }),
        "{rooms}"
    );
    let b_id = rooms["bId"].as_str().unwrap();
    let rooms_of_b: BTreeSet<&str> = rooms["roomsOfB"]
        .as_array()
        .unwrap()
        .iter()
        .map(|room| room.as_str().unwrap())
        .collect();
    assert_eq!(rooms_of_b, BTreeSet::from(["blue", "red", b_id]));
    assert_eq!(rooms["fetched"], rooms["blue"]);
}

fn reconnection(r: &Value) {
    let reconnection = &r["reconnection"];
    assert!(reconnection.get("error").is_none(), "{reconnection}");
    assert_eq!(reconnection["reason"], "transport close");
    assert_eq!(reconnection["reconnected"], true);
    assert_eq!(reconnection["newId"], true);
    assert_eq!(reconnection["records"], json!(["while offline"]));
    assert_eq!(
        reconnection["serverDisconnect"],
        json!({ "reason": "io server disconnect", "active": false, "connected": false })
    );
}

fn volatile(r: &Value) {
    let volatile = &r["volatile"];
    assert!(volatile.get("error").is_none(), "{volatile}");
    assert_eq!(volatile["inOrder"], true);
    assert!(volatile["count"].as_u64().unwrap() >= 1, "{volatile}");
    assert!(volatile["count"].as_u64().unwrap() <= 50, "{volatile}");
}

fn limits(r: &Value) {
    let limits = &r["limits"];
    assert!(limits.get("error").is_none(), "{limits}");
    assert_eq!(
        limits["atLimit"],
        json!(MAX_HTTP_BUFFER_SIZE - r#"420["big",""]"#.len())
    );
    let over = limits["overLimit"].as_str().unwrap();
    assert!(
        ["transport close", "transport error"].contains(&over),
        "{over}"
    );
    let over = limits["overLimitPolling"].as_str().unwrap();
    assert!(
        ["transport close", "transport error"].contains(&over),
        "{over}"
    );
}

fn bad_input(r: &Value) {
    let bad = &r["badInput"];
    assert!(bad.get("error").is_none(), "{bad}");
    let garbage = bad["garbage"]["statusLine"].as_str().unwrap();
    assert!(
        garbage.is_empty() || garbage == "HTTP/1.1 400 Bad Request",
        "{garbage}"
    );
    assert_eq!(bad["unknownSid"]["statusLine"], "HTTP/1.1 400 Bad Request");
    assert_eq!(
        serde_json::from_str::<Value>(bad["unknownSid"]["body"].as_str().unwrap()).unwrap(),
        json!({ "code": 1, "message": "Session ID unknown" })
    );
    assert_eq!(bad["halfSent"]["statusLine"], "");
    assert_eq!(bad["malformed"]["postStatus"], 200);
    assert_eq!(bad["malformed"]["connectAnswer"], "40");
    // The malformed packet closed that session: the next GET gets the `close` packet (or the
    // session is already gone).
    let after = bad["malformed"]["afterMalformed"].as_str().unwrap();
    assert!(
        after == "1" || after.contains("Session ID unknown"),
        "{after}"
    );
    assert_eq!(
        bad["bystander"],
        json!({ "echo": ["still here"], "connected": true })
    );
}
