//! The server API over real sockets, with bare WebSocket clients that speak the wire format by hand:
//! room events, bulk operations, shutdown, disconnect reasons, the connect timeout, ordering under
//! a broadcast burst, and a client that stops reading.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use socketio_tokio::server::{DisconnectReason, Room, RoomEvent, SocketIo, SocketIoConfig};
use socketio_tokio::{HttpServer, socket_io};

mod raw_client;

use raw_client::RawClient;

async fn serve(io: &SocketIo) -> (u16, tokio::task::JoinHandle<std::io::Result<()>>) {
    let server = HttpServer::bind("127.0.0.1:0", io.clone()).await.unwrap();
    let port = server.local_addr().unwrap().port();
    (port, tokio::spawn(server.run()))
}

/// Waits until `done` holds, for at most 5 s.
async fn eventually(what: &str, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

type Reasons = Arc<Mutex<Vec<(String, DisconnectReason)>>>;

/// A server that records disconnect reasons and answers `join` / `leave` with an ack.
fn recording_server(config: SocketIoConfig) -> (SocketIo, Reasons) {
    let io = socket_io().config(config).build();
    let reasons: Reasons = Arc::default();
    let log = reasons.clone();
    io.on_connection(move |socket| {
        let log = log.clone();
        socket.on_disconnect(move |socket, reason| {
            log.lock()
                .unwrap()
                .push((socket.id().as_str().to_owned(), reason));
        });
        socket.on("join", |socket, (room,): (String,), ack| {
            socket.join(room);
            ack.map(|ack| ack.send(&()));
        });
        socket.on("leave", |socket, (room,): (String,), ack| {
            socket.leave(&room);
            ack.map(|ack| ack.send(&()));
        });
    });
    (io, reasons)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn room_events_follow_joins_leaves_and_disconnects_in_the_reference_order() {
    let (io, _) = recording_server(SocketIoConfig::default());
    let events: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = events.clone();
    io.of("/").on_room_event(move |_, event| {
        let line = match event {
            RoomEvent::CreateRoom(room) => format!("create {room}"),
            RoomEvent::DeleteRoom(room) => format!("delete {room}"),
            RoomEvent::JoinRoom(room, id) => format!("join {room} {id}"),
            RoomEvent::LeaveRoom(room, id) => format!("leave {room} {id}"),
        };
        log.lock().unwrap().push(line);
    });
    let (port, serving) = serve(&io).await;

    let (mut client, id) = RawClient::connect(port, "/").await;
    client.send(r#"421["join","lobby"]"#).await;
    assert_eq!(client.next_text().await.unwrap(), "431[]");
    client.send(r#"422["leave","lobby"]"#).await;
    assert_eq!(client.next_text().await.unwrap(), "432[]");
    client.send("41").await;
    eventually("the socket is gone", || io.of("/").socket_count() == 0).await;

    assert_eq!(
        *events.lock().unwrap(),
        [
            format!("create {id}"),
            format!("join {id} {id}"),
            "create lobby".to_owned(),
            format!("join lobby {id}"),
            format!("leave lobby {id}"),
            "delete lobby".to_owned(),
            format!("leave {id} {id}"),
            format!("delete {id}"),
        ]
    );
    serving.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_operations_select_by_room() {
    let (io, reasons) = recording_server(SocketIoConfig::default());
    let (port, serving) = serve(&io).await;
    let (mut a, a_id) = RawClient::connect(port, "/").await;
    let (mut b, b_id) = RawClient::connect(port, "/").await;
    let (mut c, _) = RawClient::connect(port, "/").await;
    for client in [&mut a, &mut b] {
        client.send(r#"420["join","team"]"#).await;
        assert_eq!(client.next_text().await.unwrap(), "430[]");
    }

    let mut team: Vec<String> = io
        .to("team")
        .fetch_sockets()
        .iter()
        .map(|socket| socket.id().as_str().to_owned())
        .collect();
    team.sort();
    let mut expected = vec![a_id.clone(), b_id.clone()];
    expected.sort();
    assert_eq!(team, expected);

    // Everyone in `team` but `a` joins `subset`; then `subset` is told, and only `b` hears.
    io.to("team")
        .except(Room::new(&a_id))
        .sockets_join(&[Room::new("subset")]);
    io.to("subset").emit("news", "for the subset").unwrap();
    io.emit("everyone", &()).unwrap();
    assert_eq!(
        b.next_event().await.unwrap(),
        json!(["news", "for the subset"])
    );
    assert_eq!(b.next_event().await.unwrap(), json!(["everyone"]));
    assert_eq!(a.next_event().await.unwrap(), json!(["everyone"]));
    assert_eq!(c.next_event().await.unwrap(), json!(["everyone"]));

    // Disconnecting a room's sockets: a DISCONNECT packet each, the others untouched.
    io.to("team").disconnect_sockets(false);
    assert_eq!(a.next_text().await.unwrap(), "41");
    assert_eq!(b.next_text().await.unwrap(), "41");
    eventually("two sockets left", || io.of("/").socket_count() == 1).await;
    assert!(
        reasons
            .lock()
            .unwrap()
            .iter()
            .all(|(_, reason)| *reason == DisconnectReason::ServerNamespaceDisconnect)
    );
    io.emit("still", &()).unwrap();
    assert_eq!(c.next_event().await.unwrap(), json!(["still"]));
    serving.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_disconnects_everyone_with_server_shutting_down() {
    let (io, reasons) = recording_server(SocketIoConfig::default());
    let (port, serving) = serve(&io).await;
    let mut clients = Vec::new();
    for _ in 0..3 {
        clients.push(RawClient::connect(port, "/").await.0);
    }
    io.close();
    for client in &mut clients {
        // No DISCONNECT packet: the transport closes (the engine's close packet, then the socket).
        let packets = client.until_closed().await;
        assert!(packets.iter().all(|p| p != "41"), "{packets:?}");
    }
    eventually("every socket reported", || {
        reasons.lock().unwrap().len() == 3
    })
    .await;
    assert!(
        reasons
            .lock()
            .unwrap()
            .iter()
            .all(|(_, reason)| *reason == DisconnectReason::ServerShuttingDown)
    );
    eventually("no session left", || io.engine().session_count() == 0).await;
    serving.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_reasons_reach_the_server() {
    let config = SocketIoConfig::default()
        .with_ping_interval(Duration::from_millis(100))
        .with_ping_timeout(Duration::from_millis(100));
    let (io, reasons) = recording_server(config);
    let (port, serving) = serve(&io).await;

    let (mut leaving, leaving_id) = RawClient::connect(port, "/").await;
    leaving.send("41").await;
    let (closing, closing_id) = RawClient::connect(port, "/").await;
    drop(closing);
    // This one stops answering pings.
    let (_silent, silent_id) = RawClient::connect(port, "/").await;

    eventually("three disconnects", || reasons.lock().unwrap().len() == 3).await;
    let reasons = reasons.lock().unwrap().clone();
    let reason_of = |id: &str| reasons.iter().find(|(sid, _)| sid == id).unwrap().1;
    assert_eq!(
        reason_of(&leaving_id),
        DisconnectReason::ClientNamespaceDisconnect
    );
    assert_eq!(reason_of(&closing_id), DisconnectReason::TransportClose);
    assert_eq!(reason_of(&silent_id), DisconnectReason::PingTimeout);
    serving.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_joins_no_namespace_is_closed_after_the_connect_timeout() {
    let config = SocketIoConfig::default().with_connect_timeout(Duration::from_millis(200));
    let (io, _) = recording_server(config);
    let (port, serving) = serve(&io).await;
    let mut idle = RawClient::open(port).await;
    let started = tokio::time::Instant::now();
    idle.until_closed().await;
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(150) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    eventually("the session is gone", || io.engine().session_count() == 0).await;
    serving.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_burst_reaches_every_client_complete_and_in_order() {
    const CLIENTS: usize = 40;
    const MESSAGES: usize = 500;
    let (io, _) = recording_server(SocketIoConfig::default());
    let (port, serving) = serve(&io).await;
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        clients.push(RawClient::connect(port, "/").await.0);
    }
    let readers: Vec<_> = clients
        .into_iter()
        .map(|mut client| {
            tokio::spawn(async move {
                let mut received = Vec::with_capacity(MESSAGES);
                while received.len() < MESSAGES {
                    let event = client.next_event().await.expect("the burst");
                    received.push(event[1].as_u64().unwrap() as usize);
                }
                received
            })
        })
        .collect();
    for i in 0..MESSAGES {
        io.emit("burst", &i).unwrap();
    }
    for reader in readers {
        let received = reader.await.unwrap();
        assert_eq!(received, (0..MESSAGES).collect::<Vec<_>>());
    }
    serving.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_disconnected_and_the_others_keep_up() {
    let mut config = SocketIoConfig::default();
    config.engine.ws_write_queue = 64;
    config.engine.outbox_limit = 256;
    config.engine.server = config.engine.server.with_max_buffered_packets(256);
    let (io, reasons) = recording_server(config);
    let (port, serving) = serve(&io).await;
    // The stuck client never reads: its TCP window fills, then its queues, then it is dropped.
    let (_stuck, stuck_id) = RawClient::connect(port, "/").await;
    let (reader, _) = RawClient::connect(port, "/").await;
    let payload = "x".repeat(16 * 1024);
    let reading = tokio::spawn(async move {
        let mut reader = reader;
        let mut count = 0usize;
        while count < 2000 {
            reader
                .next_event()
                .await
                .expect("the reader stays connected");
            count += 1;
        }
        count
    });
    for _ in 0..2000 {
        io.emit("flood", &payload).unwrap();
        // Paced so the reader, which does read, is never the one that falls behind.
        tokio::task::yield_now().await;
    }
    assert_eq!(reading.await.unwrap(), 2000);
    eventually("the stuck client is dropped", || {
        reasons
            .lock()
            .unwrap()
            .iter()
            .any(|(id, _)| *id == stuck_id)
    })
    .await;
    let reason = reasons
        .lock()
        .unwrap()
        .iter()
        .find(|(id, _)| *id == stuck_id)
        .unwrap()
        .1;
    assert!(
        matches!(
            reason,
            DisconnectReason::TransportError | DisconnectReason::ForcedClose
        ),
        "{reason}"
    );
    serving.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_connection_reports_its_packets_and_its_close() {
    let (io, _) = recording_server(SocketIoConfig::default());
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    io.on_connection(move |socket| {
        let conn = socket.conn();
        assert_eq!(conn.id(), socket.connection_id());
        let packets = log.clone();
        conn.on_packet(move |message| {
            if let engineio_proto::Message::Text(text) = message {
                packets.lock().unwrap().push(format!("packet {}", &**text));
            }
        });
        let closes = log.clone();
        conn.on_close(move |reason| closes.lock().unwrap().push(format!("close {reason:?}")));
        let drains = log.clone();
        conn.on_drain(move || drains.lock().unwrap().push("drain".into()));
    });
    let (port, serving) = serve(&io).await;
    let (mut client, _) = RawClient::connect(port, "/").await;
    client.send(r#"42["hello"]"#).await;
    client.send(r#"420["join","x"]"#).await;
    assert_eq!(client.next_text().await.unwrap(), "430[]");
    drop(client);
    eventually("the close is reported", || {
        seen.lock()
            .unwrap()
            .last()
            .is_some_and(|last| last.starts_with("close"))
    })
    .await;
    assert_eq!(
        *seen.lock().unwrap(),
        [
            // The CONNECT answer was written before this handler ran, so its drain came earlier.
            r#"packet 2["hello"]"#,
            r#"packet 20["join","x"]"#,
            "drain", // and so did the ack
            "close TransportClose"
        ]
    );
    serving.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_larger_than_a_writer_can_take_at_once_reaches_a_reading_client() {
    // Thousands of emits in one go reach the session as one outbox batch; a client that reads
    // must get them all, in order, rather than be dropped for being briefly behind.
    const MESSAGES: usize = 3000;
    let (io, reasons) = recording_server(SocketIoConfig::default());
    let (port, serving) = serve(&io).await;
    let (mut client, _) = RawClient::connect(port, "/").await;
    for i in 0..MESSAGES {
        io.emit("burst", &i).unwrap();
    }
    for i in 0..MESSAGES {
        let event = client.next_event().await.expect("the burst");
        assert_eq!(event, json!(["burst", i]));
    }
    assert!(
        reasons.lock().unwrap().is_empty(),
        "nobody was disconnected"
    );
    serving.abort();
}

/// Sends `event` with `room` and ack id 0, and waits for the ack (`join` / `leave` of
/// [`recording_server`]): once it arrives, the server has applied the change.
async fn ask(client: &mut RawClient, event: &str, room: &str) {
    client.send(&format!(r#"420["{event}","{room}"]"#)).await;
    assert_eq!(client.next_text().await.unwrap(), "430[]");
}

/// Emits a marker to every socket of `/`, then reads each client's events up to it: what each one
/// received since the previous marker (a marker received twice shows up in the next round).
async fn events_before_marker(
    io: &SocketIo,
    clients: &mut [RawClient],
    round: u32,
) -> Vec<Vec<serde_json::Value>> {
    io.emit("marker", &round).unwrap();
    let mut all = Vec::new();
    for client in clients.iter_mut() {
        let mut events = Vec::new();
        loop {
            let event = client.next_event().await.expect("the marker");
            if event == json!(["marker", round]) {
                break;
            }
            events.push(event);
        }
        all.push(events);
    }
    all
}

/// What `clients` clients expect from `emits` (in emit order): each emit's recipients by index.
fn expected(
    clients: usize,
    emits: &[(&[usize], serde_json::Value)],
) -> Vec<Vec<serde_json::Value>> {
    (0..clients)
        .map(|client| {
            emits
                .iter()
                .filter(|(recipients, _)| recipients.contains(&client))
                .map(|(_, event)| event.clone())
                .collect()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcasts_follow_membership_changes_between_emits() {
    // The server keeps the recipients of `io.emit` and of a room with a few members from one emit
    // to the next: each change below comes after an emit to the same target, so a list kept stale
    // would show.
    let (io, _) = recording_server(SocketIoConfig::default());
    let (port, serving) = serve(&io).await;
    let mut clients = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..8 {
        let (client, id) = RawClient::connect(port, "/").await;
        clients.push(client);
        ids.push(id);
    }
    for client in &mut clients[..6] {
        ask(client, "join", "room").await;
    }
    io.to("room").emit("room", &1).unwrap();
    assert_eq!(
        events_before_marker(&io, &mut clients, 1).await,
        expected(8, &[(&[0, 1, 2, 3, 4, 5], json!(["room", 1]))])
    );

    // Joining after an emit to the room: reached by the next one.
    ask(&mut clients[6], "join", "room").await;
    io.to("room").emit("room", &2).unwrap();
    assert_eq!(
        events_before_marker(&io, &mut clients, 2).await,
        expected(8, &[(&[0, 1, 2, 3, 4, 5, 6], json!(["room", 2]))])
    );

    // Leaving: not reached any more.
    ask(&mut clients[0], "leave", "room").await;
    io.to("room").emit("room", &3).unwrap();
    assert_eq!(
        events_before_marker(&io, &mut clients, 3).await,
        expected(8, &[(&[1, 2, 3, 4, 5, 6], json!(["room", 3]))])
    );

    // Exclusions still apply: one socket from a room, one from everyone, a whole room.
    io.to("room")
        .except(Room::new(&ids[1]))
        .emit("room", &4)
        .unwrap();
    io.except(Room::new(&ids[2])).emit("all", &4).unwrap();
    io.except("room").emit("outside", &4).unwrap();
    assert_eq!(
        events_before_marker(&io, &mut clients, 4).await,
        expected(
            8,
            &[
                (&[2, 3, 4, 5, 6], json!(["room", 4])),
                (&[0, 1, 3, 4, 5, 6, 7], json!(["all", 4])),
                (&[0, 7], json!(["outside", 4])),
            ]
        )
    );

    // A socket connected after an emit to everyone gets the next one (the marker), then a room's.
    let (newcomer, newcomer_id) = RawClient::connect(port, "/").await;
    clients.push(newcomer);
    ids.push(newcomer_id);
    io.emit("all", &5).unwrap();
    assert_eq!(
        events_before_marker(&io, &mut clients, 5).await,
        expected(9, &[(&[0, 1, 2, 3, 4, 5, 6, 7, 8], json!(["all", 5]))])
    );
    ask(&mut clients[8], "join", "room").await;
    io.to("room").emit("room", &6).unwrap();
    assert_eq!(
        events_before_marker(&io, &mut clients, 6).await,
        expected(9, &[(&[1, 2, 3, 4, 5, 6, 8], json!(["room", 6]))])
    );

    // A disconnected socket is in no list: its client, connected again on the same connection (the
    // same session) with a new socket, gets each emit once and no room's.
    clients[3].send("41").await;
    eventually("the socket is gone", || io.of("/").socket_count() == 8).await;
    let again = clients[3].join("/").await;
    assert_ne!(again, ids[3]);
    io.to("room").emit("room", &7).unwrap();
    io.emit("all", &7).unwrap();
    assert_eq!(
        events_before_marker(&io, &mut clients, 7).await,
        expected(
            9,
            &[
                (&[1, 2, 4, 5, 6, 8], json!(["room", 7])),
                (&[0, 1, 2, 3, 4, 5, 6, 7, 8], json!(["all", 7])),
            ]
        )
    );
    // Nothing left over: no client got a marker twice.
    assert_eq!(
        events_before_marker(&io, &mut clients, 8).await,
        expected(9, &[])
    );
    serving.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcasts_reach_the_union_of_their_rooms_minus_the_excluded_once_each() {
    let (io, _) = recording_server(SocketIoConfig::default());
    let (port, serving) = serve(&io).await;
    let mut clients = Vec::new();
    for _ in 0..12 {
        clients.push(RawClient::connect(port, "/").await.0);
    }
    let rooms: [(&str, &[usize]); 4] = [
        ("a", &[0, 1, 2, 3]),
        ("b", &[2, 3, 4, 5]),
        ("c", &[3, 6]),
        ("big", &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
    ];
    for (room, members) in rooms {
        for &member in members {
            ask(&mut clients[member], "join", room).await;
        }
    }
    // Twice: the second time from whatever the first one kept.
    for round in 0..2 {
        io.to("a").to("b").except("c").emit("ab-c", &round).unwrap();
        io.except("big").emit("-big", &round).unwrap();
        io.to("big").except("c").emit("big-c", &round).unwrap();
        io.to("big")
            .except("a")
            .except("b")
            .except("c")
            .emit("big-abc", &round)
            .unwrap();
        io.to("a").emit("a", &round).unwrap();
        io.to("c").emit("c", &round).unwrap();
        io.to("nowhere").emit("nowhere", &round).unwrap();
        io.to("a").to("c").emit("ac", &round).unwrap();
        assert_eq!(
            events_before_marker(&io, &mut clients, round).await,
            expected(
                12,
                &[
                    (&[0, 1, 2, 4, 5], json!(["ab-c", round])),
                    (&[10, 11], json!(["-big", round])),
                    (&[0, 1, 2, 4, 5, 7, 8, 9], json!(["big-c", round])),
                    (&[7, 8, 9], json!(["big-abc", round])),
                    (&[0, 1, 2, 3], json!(["a", round])),
                    (&[3, 6], json!(["c", round])),
                    (&[0, 1, 2, 3, 6], json!(["ac", round])),
                ]
            )
        );
    }
    serving.abort();
}

/// A listener that panics ends its own connection only: the session leaves the table, its socket
/// leaves its namespace and rooms (with a disconnect reason), the panic reaches the hook, and the
/// other clients are served as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_listener_ends_only_its_own_session() {
    let panics: Arc<Mutex<Vec<String>>> = Arc::default();
    let reasons: Reasons = Arc::default();
    let io = {
        let panics = panics.clone();
        socket_io()
            .on_panic(move |_sid, message| panics.lock().unwrap().push(message.to_owned()))
            .build()
    };
    let heard = reasons.clone();
    io.on_connection(move |socket| {
        socket.join("lobby");
        socket.on("boom", |_, (): (), _| panic!("listener exploded"));
        socket.on("echo", |_, (text,): (String,), ack| {
            if let Some(ack) = ack {
                let _ = ack.send(&(text,));
            }
        });
        let heard = heard.clone();
        socket.on_disconnect(move |socket, reason| {
            heard
                .lock()
                .unwrap()
                .push((socket.id().to_string(), reason));
        });
    });
    let (port, _server) = serve(&io).await;
    let (mut doomed, doomed_id) = RawClient::connect(port, "/").await;
    let (mut other, _) = RawClient::connect(port, "/").await;
    assert_eq!(io.engine().session_count(), 2);

    doomed.send(r#"42["boom"]"#).await;
    doomed.until_closed().await;
    eventually("the panicking session is gone", || {
        io.engine().session_count() == 1
    })
    .await;
    assert_eq!(panics.lock().unwrap().as_slice(), ["listener exploded"]);
    assert_eq!(
        reasons.lock().unwrap().as_slice(),
        [(doomed_id.clone(), DisconnectReason::ForcedClose)]
    );
    let left: Vec<String> = io
        .to("lobby")
        .fetch_sockets()
        .iter()
        .map(|socket| socket.id().to_string())
        .collect();
    assert!(!left.contains(&doomed_id), "{left:?}");
    assert_eq!(left.len(), 1);

    other.send(r#"421["echo","still here"]"#).await;
    assert_eq!(
        other.next_text().await.as_deref(),
        Some(r#"431["still here"]"#)
    );
}

/// The CONNECT reply is written before the connection handlers run, as the reference does, so it
/// never shares a write with what they emit: clients that read one message per listener
/// registration (the protocol suites' harness) see the reply, then the handler's packet. The
/// handler here holds its task for a while: the reply must arrive while it is still running. The
/// server has a runtime of its own, so the blocked handler cannot hold up the client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connect_reply_is_written_before_connection_handlers_run() {
    const HANDLER_TIME: Duration = Duration::from_millis(600);
    let (port_sender, port) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let io = socket_io().build();
            io.on_connection(|socket| {
                std::thread::sleep(HANDLER_TIME); // stands for a slow handler
                let _ = socket.emit("hello", &("after the reply",));
            });
            let server = HttpServer::bind("127.0.0.1:0", io).await.unwrap();
            let _ = port_sender.send(server.local_addr().unwrap().port());
            let _ = tokio::time::timeout(Duration::from_secs(20), server.run()).await;
        });
    });
    let port = port.await.unwrap();
    let mut client = RawClient::open(port).await;
    let sent = tokio::time::Instant::now();
    client.send("40").await;
    let reply = client.next_text().await.expect("the CONNECT reply");
    let waited = sent.elapsed();
    assert!(reply.starts_with("40{\"sid\":"), "{reply}");
    assert!(
        waited < HANDLER_TIME / 2,
        "the reply came after {waited:?}, once the handler was done"
    );
    assert_eq!(
        client.next_event().await,
        Some(json!(["hello", "after the reply"]))
    );
}
