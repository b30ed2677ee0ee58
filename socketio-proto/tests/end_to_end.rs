//! End-to-end scenarios: real client managers over real Engine.IO client sessions talking to real
//! server connections over real Engine.IO server sessions, through long-polling payloads and
//! WebSocket frames on an in-memory network with a fake clock (see `support`).

mod support;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use engineio_proto::client::ClientConfig;
use engineio_proto::server::ServerConfig;
use engineio_proto::{Instant, Transport, Transports};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use socketio_proto::adapter::{BroadcastOptions, SocketId};
use socketio_proto::client::{self as sio_client, EmitOptions, ManagerConfig};
use socketio_proto::packet::{Encoded, NamespaceName, Payload, RawJson};
use socketio_proto::server::{self as sio_server, ServerConnectionConfig};

use support::{Admission, ClientId, Side, World};

// ----- helpers -----

const LATENCY: Duration = Duration::from_millis(10);

/// A world with the reference server's defaults and a 10 ms one-way latency.
fn world() -> World {
    World::new(
        ServerConfig::default(),
        ServerConnectionConfig::default(),
        LATENCY,
    )
}

/// An engine that opens over polling and upgrades to WebSocket (the reference client's default).
fn polling_then_websocket() -> ClientConfig {
    ClientConfig::default()
}

/// An engine that stays on long-polling.
fn polling_only() -> ClientConfig {
    ClientConfig {
        transports: Transports::POLLING,
        ..ClientConfig::default()
    }
}

/// An engine that opens straight over WebSocket.
fn websocket_only() -> ClientConfig {
    ClientConfig {
        transports: Transports::WEBSOCKET,
        ..ClientConfig::default()
    }
}

/// A client with the reference client's manager defaults.
fn add_client(world: &mut World, engine: ClientConfig) -> ClientId {
    world.add_client(engine, ManagerConfig::default(), 7)
}

/// Connects `client` to each namespace (no auth) and runs until all are connected; returns the
/// client's engine session id on the server.
fn connect_all(world: &mut World, client: ClientId, namespaces: &[&'static str]) -> String {
    for namespace in namespaces {
        world.connect(client, namespace, None);
    }
    world.run_until_true(Duration::from_secs(5), |world| {
        namespaces
            .iter()
            .all(|namespace| world.manager_ref(client).is_connected(namespace))
    });
    world.session_of(client).expect("an open engine")
}

/// The client's application events, without instants.
fn client_events(world: &World, client: ClientId) -> Vec<sio_client::Event> {
    world
        .client_events(client)
        .iter()
        .map(|(_, event)| event.clone())
        .collect()
}

/// The server connection events of engine session `sid`, without instants.
fn server_events(world: &World, sid: &str) -> Vec<sio_server::Event> {
    world
        .server_events()
        .iter()
        .filter(|(_, of, _)| of == sid)
        .map(|(_, _, event)| event.clone())
        .collect()
}

/// The client events matching `pick`, with their instants.
fn client_events_where<T>(
    world: &World,
    client: ClientId,
    pick: impl Fn(&sio_client::Event) -> Option<T>,
) -> Vec<(Instant, T)> {
    world
        .client_events(client)
        .iter()
        .filter_map(|(at, event)| Some((*at, pick(event)?)))
        .collect()
}

/// A JSON value parsed from text (for comparing payloads regardless of key order).
fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("valid JSON")
}

/// Raw JSON data, such as a connect error's `data`.
fn raw(json: &str) -> RawJson {
    RawJson::new(json.to_owned()).expect("valid JSON")
}

// ----- 1. connecting to namespaces -----

#[test]
fn connects_main_and_custom_namespace_over_one_engine_with_auth() {
    let mut world = world();
    let seen_auth: Rc<RefCell<Vec<(String, Value)>>> = Rc::default();
    let seen = seen_auth.clone();
    world.set_admission(move |namespace, auth| {
        let auth: Value = auth.map_or(Value::Null, |auth| auth.deserialize().unwrap());
        seen.borrow_mut()
            .push((namespace.as_str().to_owned(), auth.clone()));
        let allowed = match namespace.as_str() {
            "/" => auth["token"] == "abc",
            "/chat" => auth["room"] == "lobby",
            _ => false,
        };
        if allowed {
            Admission::Accept
        } else {
            Admission::Reject {
                message: "not allowed".into(),
                data: None,
            }
        }
    });
    let client = add_client(&mut world, polling_then_websocket());
    world.connect(client, "/", Some(r#"{"token":"abc"}"#));
    world.connect(client, "/chat", Some(r#"{"room":"lobby","n":1}"#));
    world.run_until_true(Duration::from_secs(1), |world| {
        world.manager_ref(client).is_connected("/")
            && world.manager_ref(client).is_connected("/chat")
    });

    // The server application read both auth objects, in the order the CONNECTs were sent.
    assert_eq!(
        *seen_auth.borrow(),
        [
            ("/".to_owned(), json!({"token": "abc"})),
            ("/chat".to_owned(), json!({"room": "lobby", "n": 1})),
        ]
    );
    // One engine session carries both namespaces.
    assert_eq!(world.sessions_opened().len(), 1);
    let sid = world.session_of(client).unwrap();
    let ids = world.socket_ids_issued().to_vec();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    for id in &ids {
        assert_eq!(id.as_str().len(), 20);
        assert!(
            id.as_str()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }

    let (main_id, chat_id) = (ids[0].as_str().to_owned(), ids[1].as_str().to_owned());
    assert_eq!(
        client_events(&world, client),
        [
            sio_client::Event::Connect {
                namespace: "/".try_into().unwrap(),
                sid: main_id.clone(),
            },
            sio_client::Event::Connect {
                namespace: "/chat".try_into().unwrap(),
                sid: chat_id.clone(),
            },
        ]
    );
    assert_eq!(world.manager_ref(client).socket_id("/"), Some(&*main_id));
    assert_eq!(
        world.manager_ref(client).socket_id("/chat"),
        Some(&*chat_id)
    );
    assert_eq!(
        world.connection_ref(&sid).unwrap().socket_id("/chat"),
        Some(&ids[1])
    );

    // The exact packets each way.
    assert_eq!(
        world.message_texts(client, Side::Client),
        [r#"0{"token":"abc"}"#, r#"0/chat,{"room":"lobby","n":1}"#]
    );
    assert_eq!(
        world.message_texts(client, Side::Server),
        [
            format!(r#"0{{"sid":"{main_id}"}}"#),
            format!(r#"0/chat,{{"sid":"{chat_id}"}}"#)
        ]
    );
    let connected: Vec<_> = server_events(&world, &sid)
        .into_iter()
        .filter(|event| matches!(event, sio_server::Event::Connected { .. }))
        .collect();
    assert_eq!(
        connected,
        [
            sio_server::Event::Connected {
                namespace: "/".try_into().unwrap(),
                socket: ids[0].clone(),
            },
            sio_server::Event::Connected {
                namespace: "/chat".try_into().unwrap(),
                socket: ids[1].clone(),
            },
        ]
    );
}

// ----- 2. rejections -----

#[test]
fn middleware_rejection_reaches_client_with_message_and_data_and_is_not_retried() {
    let mut world = world();
    world.set_admission(|namespace, _| match namespace.as_str() {
        "/admin" => Admission::Reject {
            message: "unauthorized".into(),
            data: Some(raw(r#"{"code":42,"hint":"log in"}"#)),
        },
        _ => Admission::Accept,
    });
    let client = add_client(&mut world, polling_then_websocket());
    world.connect(client, "/admin", Some(r#"{"token":"wrong"}"#));
    world.run_until_true(Duration::from_secs(1), |world| {
        !world.manager_ref(client).is_active("/admin")
    });

    let errors = client_events_where(&world, client, |event| match event {
        sio_client::Event::ConnectError {
            namespace,
            message,
            data,
        } => Some((
            namespace.as_str().to_owned(),
            message.clone(),
            data.as_ref().map(|data| parse(data.as_str())),
        )),
        _ => None,
    });
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].1,
        (
            "/admin".to_owned(),
            "unauthorized".to_owned(),
            Some(json!({"code": 42, "hint": "log in"}))
        )
    );
    let from_server = world.message_texts(client, Side::Server);
    assert_eq!(
        from_server,
        [r#"4/admin,{"message":"unauthorized","data":{"code":42,"hint":"log in"}}"#]
    );

    // No socket is active any more: the manager closes its engine and never retries.
    world.run_for(Duration::from_secs(60));
    assert!(!world.manager_ref(client).is_active("/admin"));
    assert!(!world.manager_ref(client).is_reconnecting());
    assert_eq!(world.sessions_opened().len(), 1);
    assert!(!client_events(&world, client).iter().any(|event| matches!(
        event,
        sio_client::Event::ReconnectAttempt(_) | sio_client::Event::Connect { .. }
    )));
    assert_eq!(
        world.message_texts(client, Side::Client),
        [r#"0/admin,{"token":"wrong"}"#]
    );
    let sid = &world.sessions_opened()[0];
    assert!(!world.has_session(sid), "the idle engine was closed");
    assert_eq!(
        server_events(&world, sid).last(),
        Some(&sio_server::Event::Closed {
            reason: sio_server::DisconnectReason::TransportClose
        })
    );
}

#[test]
fn unknown_namespace_is_refused_as_invalid_namespace() {
    let mut world = world();
    world.set_admission(|namespace, _| match namespace.as_str() {
        "/" => Admission::Accept,
        _ => Admission::InvalidNamespace,
    });
    let client = add_client(&mut world, websocket_only());
    connect_all(&mut world, client, &["/"]);
    world.connect(client, "/nope", None);
    world.run_until_true(Duration::from_secs(1), |world| {
        !world.manager_ref(client).is_active("/nope")
    });
    world.run_for(Duration::from_secs(30));

    let errors: Vec<_> = client_events(&world, client)
        .into_iter()
        .filter(|event| matches!(event, sio_client::Event::ConnectError { .. }))
        .collect();
    assert_eq!(
        errors,
        [sio_client::Event::ConnectError {
            namespace: "/nope".try_into().unwrap(),
            message: "Invalid namespace".into(),
            data: None,
        }]
    );
    assert_eq!(
        world.message_texts(client, Side::Server).last().unwrap(),
        r#"4/nope,{"message":"Invalid namespace"}"#
    );
    // The main namespace is unaffected and nothing is retried.
    assert!(world.manager_ref(client).is_connected("/"));
    assert_eq!(
        world
            .message_texts(client, Side::Client)
            .iter()
            .filter(|text| text.starts_with("0/nope"))
            .count(),
        1
    );
}

// ----- 3. events and acks -----

/// A nested argument with binary fields at several depths.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Upload {
    label: String,
    data: Bytes,
    inner: Inner,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Inner {
    parts: Vec<Bytes>,
    thumbnail: Option<Bytes>,
}

fn upload(round: u8) -> Upload {
    Upload {
        label: format!("file-{round}"),
        data: Bytes::from(vec![round, 0xff, 0x00]),
        inner: Inner {
            parts: vec![
                Bytes::from(vec![round; 2]),
                Bytes::from_static(b"\x01\x02\x03"),
            ],
            thumbnail: Some(Bytes::from(vec![round.wrapping_add(1)])),
        },
    }
}

/// Waits until the `before`-th event of the server matching `pick` appears; returns it.
fn next_server_event<T>(world: &mut World, pick: impl Fn(&sio_server::Event) -> Option<T>) -> T {
    let before = world
        .server_events()
        .iter()
        .filter(|(_, _, event)| pick(event).is_some())
        .count();
    world.run_until_true(Duration::from_secs(5), |world| {
        world
            .server_events()
            .iter()
            .filter(|(_, _, event)| pick(event).is_some())
            .count()
            > before
    });
    world
        .server_events()
        .iter()
        .filter_map(|(_, _, event)| pick(event))
        .nth(before)
        .expect("the new event")
}

/// Waits until the `before`-th event of `client` matching `pick` appears; returns it.
fn next_client_event<T>(
    world: &mut World,
    client: ClientId,
    pick: impl Fn(&sio_client::Event) -> Option<T>,
) -> T {
    let matching = |world: &World| {
        world
            .client_events(client)
            .iter()
            .filter(|(_, event)| pick(event).is_some())
            .count()
    };
    let before = matching(world);
    world.run_until_true(Duration::from_secs(5), |world| matching(world) > before);
    world
        .client_events(client)
        .iter()
        .filter_map(|(_, event)| pick(event))
        .nth(before)
        .expect("the new event")
}

/// One round trip each way on `namespace`: a client event with three arguments (one with nested
/// attachments) acknowledged by the server with binary, then a server event with binary
/// acknowledged by the client with nested binary. Checks every payload on arrival.
fn exchange_events_and_acks(world: &mut World, client: ClientId, namespace: &str, round: u8) {
    let now = world.now();
    let args = Payload::event("upload", &(round, "two words", upload(round))).unwrap();
    let ack_id = world
        .manager(client)
        .emit(now, namespace, args, EmitOptions::with_ack())
        .unwrap()
        .expect("an ack id");

    let (socket, args, server_ack) = next_server_event(world, |event| match event {
        sio_server::Event::Event {
            namespace: of,
            socket,
            args,
            ack,
        } if of == namespace && args.event_name().as_deref() == Some("upload") => {
            Some((socket.clone(), args.clone(), *ack))
        }
        _ => None,
    });
    let sid = world.session_of(client).unwrap();
    assert_eq!(
        world.connection_ref(&sid).unwrap().socket_id(namespace),
        Some(&socket)
    );
    assert_eq!(
        args.event_args::<(u8, String, Upload)>().unwrap(),
        (round, "two words".to_owned(), upload(round))
    );
    assert_eq!(args.attachments().len(), 4);
    let server_ack = server_ack.expect("the client asked for an ack");
    let reply = Payload::new(&("stored", round, Bytes::from_static(b"\xde\xad"))).unwrap();
    world
        .connection(&sid)
        .ack(namespace, server_ack, reply)
        .unwrap();

    let (id, args) = next_client_event(world, client, |event| match event {
        sio_client::Event::Ack { id, args, .. } => Some((*id, args.clone())),
        _ => None,
    });
    assert_eq!(id, ack_id);
    assert_eq!(
        args.deserialize::<(String, u8, Bytes)>().unwrap(),
        ("stored".to_owned(), round, Bytes::from_static(b"\xde\xad"))
    );

    let now = world.now();
    let question = Payload::event("thumbnail?", &(round, Bytes::from(vec![round; 4]))).unwrap();
    let server_id = world
        .connection(&sid)
        .emit_with_ack(now, namespace, question, None)
        .unwrap();
    let (args, client_ack) = next_client_event(world, client, |event| match event {
        sio_client::Event::Event {
            namespace: of,
            args,
            ack,
        } if of == namespace => Some((args.clone(), *ack)),
        _ => None,
    });
    assert_eq!(
        args.event_args::<(u8, Bytes)>().unwrap(),
        (round, Bytes::from(vec![round; 4]))
    );
    let answer = Payload::new(&(true, upload(round).inner)).unwrap();
    world
        .manager(client)
        .ack(
            namespace,
            client_ack.expect("the server asked for an ack"),
            answer,
        )
        .unwrap();
    let (id, args) = next_server_event(world, |event| match event {
        sio_server::Event::Ack { id, args, .. } => Some((*id, args.clone())),
        _ => None,
    });
    assert_eq!(id, server_id);
    assert_eq!(
        args.deserialize::<(bool, Inner)>().unwrap(),
        (true, upload(round).inner)
    );
}

/// The transports that carried the Socket.IO messages (not the handshake's) each way.
fn transports_used(world: &World, client: ClientId) -> [Vec<Transport>; 2] {
    [Side::Client, Side::Server].map(|side| {
        let mut used: Vec<Transport> = Vec::new();
        for (transport, _) in world.messages(client, side) {
            if !used.contains(&transport) {
                used.push(transport);
            }
        }
        used
    })
}

#[test]
fn events_and_binary_acks_both_ways_over_polling() {
    let mut world = world();
    let client = add_client(&mut world, polling_only());
    connect_all(&mut world, client, &["/", "/chat"]);
    for round in 0..3 {
        exchange_events_and_acks(&mut world, client, "/", round);
        exchange_events_and_acks(&mut world, client, "/chat", round + 10);
    }
    assert_eq!(
        transports_used(&world, client),
        [vec![Transport::Polling], vec![Transport::Polling]]
    );
    // A binary event is its placeholder text followed by its attachments, in order.
    let sent = world.message_texts(client, Side::Client);
    let first_upload = sent
        .iter()
        .position(|text| text.starts_with("54-"))
        .unwrap();
    assert_eq!(
        sent[first_upload],
        r#"54-0["upload",0,"two words",{"label":"file-0","data":{"_placeholder":true,"num":0},"inner":{"parts":[{"_placeholder":true,"num":1},{"_placeholder":true,"num":2}],"thumbnail":{"_placeholder":true,"num":3}}}]"#
    );
    assert_eq!(
        sent[first_upload + 1..first_upload + 5],
        [
            "<bin:[0, 255, 0]>",
            "<bin:[0, 0]>",
            "<bin:[1, 2, 3]>",
            "<bin:[1]>"
        ]
    );
}

#[test]
fn events_and_binary_acks_both_ways_over_websocket() {
    let mut world = world();
    let client = add_client(&mut world, websocket_only());
    connect_all(&mut world, client, &["/", "/chat"]);
    for round in 0..3 {
        exchange_events_and_acks(&mut world, client, "/chat", round);
        exchange_events_and_acks(&mut world, client, "/", round + 10);
    }
    assert_eq!(
        transports_used(&world, client),
        [vec![Transport::WebSocket], vec![Transport::WebSocket]]
    );
}

#[test]
fn events_and_acks_over_polling_then_after_the_upgrade() {
    let mut world = world();
    let client = add_client(&mut world, polling_then_websocket());
    connect_all(&mut world, client, &["/"]);
    assert_eq!(world.transport_of(client), Some(Transport::Polling));
    exchange_events_and_acks(&mut world, client, "/", 1);
    world.run_until_true(Duration::from_secs(5), |world| {
        world.transport_of(client) == Some(Transport::WebSocket)
    });
    exchange_events_and_acks(&mut world, client, "/", 2);
    let uploads: Vec<Transport> = world
        .messages(client, Side::Client)
        .into_iter()
        .filter(|(_, text)| text.contains(r#"["upload","#))
        .map(|(transport, _)| transport)
        .collect();
    assert_eq!(uploads, [Transport::Polling, Transport::WebSocket]);
    let upgrade: Vec<_> = world
        .server_engine_events()
        .iter()
        .filter(|(_, _, event)| !matches!(event, engineio_proto::server::Event::Message(_)))
        .map(|(_, _, event)| event.clone())
        .collect();
    assert_eq!(
        upgrade,
        [
            engineio_proto::server::Event::Upgrading,
            engineio_proto::server::Event::Upgraded
        ]
    );
    assert_eq!(
        transports_used(&world, client),
        [
            vec![Transport::Polling, Transport::WebSocket],
            vec![Transport::Polling, Transport::WebSocket]
        ]
    );
}

/// The `seq` events (a number, and every third one an attachment) the application received, in
/// order, with their attachment checked.
fn seq_numbers<'a>(events: impl Iterator<Item = &'a Payload>) -> Vec<u32> {
    events
        .filter(|args| args.event_name().as_deref() == Some("seq"))
        .map(|args| {
            let (n, blob) = args.event_args::<(u32, Option<Bytes>)>().unwrap();
            let expected = (n % 3 == 0).then(|| Bytes::from(n.to_be_bytes().to_vec()));
            assert_eq!(blob, expected, "attachment of event {n}");
            n
        })
        .collect()
}

fn seq_event(n: u32) -> Payload {
    let blob = (n % 3 == 0).then(|| Bytes::from(n.to_be_bytes().to_vec()));
    Payload::event("seq", &(n, blob)).unwrap()
}

#[test]
fn events_emitted_during_the_upgrade_arrive_once_and_in_order() {
    let mut world = world();
    let client = add_client(&mut world, polling_then_websocket());
    let sid = connect_all(&mut world, client, &["/"]);
    assert_eq!(
        world.transport_of(client),
        Some(Transport::Polling),
        "connected before the upgrade completed"
    );
    const COUNT: u32 = 150;
    for n in 0..COUNT {
        let now = world.now();
        world
            .manager(client)
            .emit(now, "/", seq_event(n), EmitOptions::default())
            .unwrap();
        world.connection(&sid).emit("/", seq_event(n)).unwrap();
        world.run_for(Duration::from_millis(1));
    }
    world.run_for(Duration::from_secs(1));
    assert_eq!(world.transport_of(client), Some(Transport::WebSocket));

    let server_received =
        seq_numbers(
            world
                .server_events()
                .iter()
                .filter_map(|(_, _, event)| match event {
                    sio_server::Event::Event { args, .. } => Some(args),
                    _ => None,
                }),
        );
    let client_received = seq_numbers(world.client_events(client).iter().filter_map(
        |(_, event)| match event {
            sio_client::Event::Event { args, .. } => Some(args),
            _ => None,
        },
    ));
    let expected: Vec<u32> = (0..COUNT).collect();
    assert_eq!(server_received, expected, "{}", world.transcript_text());
    assert_eq!(client_received, expected, "{}", world.transcript_text());
    // The stream really did cross the upgrade, both ways.
    for side in [Side::Client, Side::Server] {
        let carriers: Vec<Transport> = world
            .messages(client, side)
            .into_iter()
            .filter(|(_, text)| text.contains(r#"["seq","#))
            .map(|(transport, _)| transport)
            .collect();
        assert!(
            carriers.contains(&Transport::Polling),
            "{side:?} never polled"
        );
        assert!(
            carriers.contains(&Transport::WebSocket),
            "{side:?} never upgraded"
        );
    }
    assert_eq!(world.client_send_refusals(client), 0);
    assert_eq!(world.server_send_refusals(), 0);
}

// ----- 4. ack timeouts -----

#[test]
fn server_ack_deadline_expires_and_a_late_ack_is_ignored() {
    let mut world = world();
    let client = add_client(&mut world, websocket_only());
    let sid = connect_all(&mut world, client, &["/"]);
    let socket = world
        .connection_ref(&sid)
        .unwrap()
        .socket_id("/")
        .unwrap()
        .clone();
    let sent_at = world.now();
    let id = world
        .connection(&sid)
        .emit_with_ack(
            sent_at,
            "/",
            Payload::event("question", &()).unwrap(),
            Some(Duration::from_secs(2)),
        )
        .unwrap();
    let client_ack = next_client_event(&mut world, client, |event| match event {
        sio_client::Event::Event { ack, .. } => *ack,
        _ => None,
    });
    // The client application does not answer in time.
    let timed_out_at = world.run_until_true(Duration::from_secs(5), |world| {
        world
            .server_events()
            .iter()
            .any(|(_, _, event)| matches!(event, sio_server::Event::AckTimeout { .. }))
    });
    assert_eq!(timed_out_at, sent_at + Duration::from_secs(2));
    assert_eq!(
        server_events(&world, &sid).last(),
        Some(&sio_server::Event::AckTimeout {
            namespace: "/".try_into().unwrap(),
            socket,
            id,
        })
    );
    assert_eq!(
        world.connection_ref(&sid).unwrap().pending_ack_count("/"),
        0
    );

    world
        .manager(client)
        .ack("/", client_ack, Payload::new(&"too late").unwrap())
        .unwrap();
    world.run_for(Duration::from_secs(1));
    assert!(
        world
            .message_texts(client, Side::Client)
            .contains(&format!(r#"3{client_ack}["too late"]"#))
    );
    assert!(
        !server_events(&world, &sid)
            .iter()
            .any(|event| matches!(event, sio_server::Event::Ack { .. }))
    );
    assert!(
        world.manager_ref(client).is_connected("/"),
        "a late ack is harmless"
    );
}

#[test]
fn client_ack_timeout_expires_and_a_late_ack_is_ignored() {
    let mut world = world();
    let client = add_client(&mut world, polling_only());
    let sid = connect_all(&mut world, client, &["/chat"]);
    let sent_at = world.now();
    let id = world
        .manager(client)
        .emit(
            sent_at,
            "/chat",
            Payload::event("slow", &[1, 2]).unwrap(),
            EmitOptions::with_ack_timeout(Duration::from_millis(1500)),
        )
        .unwrap()
        .unwrap();
    let server_ack = next_server_event(&mut world, |event| match event {
        sio_server::Event::Event { ack, .. } => *ack,
        _ => None,
    });
    let timed_out_at = world.run_until_true(Duration::from_secs(5), |world| {
        world
            .client_events(client)
            .iter()
            .any(|(_, event)| matches!(event, sio_client::Event::AckTimeout { .. }))
    });
    assert_eq!(timed_out_at, sent_at + Duration::from_millis(1500));
    assert_eq!(
        client_events(&world, client).last(),
        Some(&sio_client::Event::AckTimeout {
            namespace: "/chat".try_into().unwrap(),
            id,
        })
    );

    world
        .connection(&sid)
        .ack("/chat", server_ack, Payload::new(&"late").unwrap())
        .unwrap();
    world.run_for(Duration::from_secs(1));
    assert!(
        world
            .message_texts(client, Side::Server)
            .contains(&format!(r#"3/chat,{server_ack}["late"]"#))
    );
    assert!(
        !client_events(&world, client)
            .iter()
            .any(|event| matches!(event, sio_client::Event::Ack { .. }))
    );
    assert_eq!(world.manager_ref(client).pending_acks("/chat"), 0);
}

// ----- 5. connect timeout -----

#[test]
fn an_engine_that_never_connects_a_namespace_is_closed_after_the_connect_timeout() {
    let mut world = World::new(
        ServerConfig::default(),
        ServerConnectionConfig::default().with_connect_timeout(Duration::from_secs(45)),
        LATENCY,
    );
    let client = add_client(&mut world, polling_only());
    world.start_bare_engine(client);
    world.run_for(Duration::from_secs(120));

    let sid = world.sessions_opened()[0].clone();
    let opened_at = LATENCY; // the handshake GET arrives after one latency
    let closes: Vec<_> = world
        .server_events()
        .iter()
        .filter(|(_, of, _)| *of == sid)
        .collect();
    assert_eq!(
        closes,
        [&(
            Instant::ZERO + opened_at + Duration::from_secs(45),
            sid.clone(),
            sio_server::Event::Closed {
                reason: sio_server::DisconnectReason::ForcedServerClose
            }
        )]
    );
    assert!(!world.has_session(&sid));
    // The engine lived through a heartbeat, then the server closed it.
    let engine_events = world.client_engine_events(client);
    assert!(matches!(
        engine_events.first(),
        Some((_, engineio_proto::client::Event::Open(_)))
    ));
    assert!(matches!(
        engine_events.last(),
        Some((
            _,
            engineio_proto::client::Event::Closed(
                engineio_proto::client::CloseReason::TransportClose
            )
        ))
    ));
    assert!(world.message_texts(client, Side::Client).is_empty());
}

// ----- 6. disconnect reasons -----

/// The `Disconnecting` / `Disconnected` reasons the server gave the socket of `namespace`.
fn server_disconnects(world: &World, namespace: &str) -> Vec<(bool, sio_server::DisconnectReason)> {
    world
        .server_events()
        .iter()
        .filter_map(|(_, _, event)| match event {
            sio_server::Event::Disconnecting {
                namespace: of,
                reason,
                ..
            } if of == namespace => Some((false, *reason)),
            sio_server::Event::Disconnected {
                namespace: of,
                reason,
                ..
            } if of == namespace => Some((true, *reason)),
            _ => None,
        })
        .collect()
}

/// The client's `Disconnect` reasons for `namespace`.
fn client_disconnects(
    world: &World,
    client: ClientId,
    namespace: &str,
) -> Vec<sio_client::DisconnectReason> {
    client_events(world, client)
        .into_iter()
        .filter_map(|event| match event {
            sio_client::Event::Disconnect {
                namespace: of,
                reason,
            } if of == namespace => Some(reason),
            _ => None,
        })
        .collect()
}

fn is_reconnect_event(event: &sio_client::Event) -> bool {
    matches!(
        event,
        sio_client::Event::ReconnectAttempt(_)
            | sio_client::Event::Reconnect(_)
            | sio_client::Event::ReconnectError(_)
            | sio_client::Event::ReconnectFailed
    )
}

#[test]
fn server_namespace_disconnect_is_io_server_disconnect_and_not_retried() {
    use sio_client::DisconnectReason::IoServerDisconnect;
    use sio_server::DisconnectReason::{ServerNamespaceDisconnect, TransportClose};

    let mut world = world();
    let client = add_client(&mut world, polling_then_websocket());
    let sid = connect_all(&mut world, client, &["/", "/chat"]);
    let now = world.now();
    world.connection(&sid).disconnect(now, "/chat").unwrap();
    world.run_for(Duration::from_secs(60));

    assert_eq!(
        client_disconnects(&world, client, "/chat"),
        [IoServerDisconnect]
    );
    assert_eq!(
        server_disconnects(&world, "/chat"),
        [
            (false, ServerNamespaceDisconnect),
            (true, ServerNamespaceDisconnect)
        ]
    );
    assert!(
        world
            .message_texts(client, Side::Server)
            .contains(&"1/chat,".to_owned())
    );
    assert!(!world.manager_ref(client).is_active("/chat"));
    // Not retried, and the other namespace is untouched.
    assert!(!client_events(&world, client).iter().any(is_reconnect_event));
    let chat_connects = world
        .message_texts(client, Side::Client)
        .iter()
        .filter(|text| text.starts_with("0/chat"))
        .count();
    assert_eq!(chat_connects, 1);
    assert!(world.manager_ref(client).is_connected("/"));
    assert_eq!(world.rooms("/chat").socket_count(), 0);
    assert_eq!(world.rooms("/").socket_count(), 1);

    // Once the server disconnects the last namespace, the idle client closes its engine.
    let now = world.now();
    world.connection(&sid).disconnect(now, "/").unwrap();
    world.run_for(Duration::from_secs(60));
    assert_eq!(
        client_disconnects(&world, client, "/"),
        [IoServerDisconnect]
    );
    assert!(!world.has_session(&sid));
    assert_eq!(
        server_events(&world, &sid).last(),
        Some(&sio_server::Event::Closed {
            reason: TransportClose
        })
    );
    assert_eq!(world.sessions_opened().len(), 1, "no reconnection");
}

#[test]
fn client_namespace_disconnect_reaches_the_server_over_both_transports() {
    use sio_client::DisconnectReason::IoClientDisconnect;
    use sio_server::DisconnectReason::{ClientNamespaceDisconnect, TransportClose};

    for engine in [polling_only(), websocket_only()] {
        let mut world = world();
        let client = add_client(&mut world, engine);
        let sid = connect_all(&mut world, client, &["/", "/chat"]);
        let now = world.now();
        world.manager(client).disconnect(now, "/chat");
        world.run_for(Duration::from_secs(1));
        assert_eq!(
            client_disconnects(&world, client, "/chat"),
            [IoClientDisconnect]
        );
        assert_eq!(
            server_disconnects(&world, "/chat"),
            [
                (false, ClientNamespaceDisconnect),
                (true, ClientNamespaceDisconnect)
            ]
        );
        assert!(world.connection_ref(&sid).unwrap().socket_id("/").is_some());

        // Leaving the last namespace sends its DISCONNECT, then closes the engine.
        let now = world.now();
        world.manager(client).disconnect(now, "/");
        world.run_for(Duration::from_secs(60));
        assert_eq!(
            client_disconnects(&world, client, "/"),
            [IoClientDisconnect]
        );
        assert_eq!(
            server_disconnects(&world, "/"),
            [
                (false, ClientNamespaceDisconnect),
                (true, ClientNamespaceDisconnect)
            ],
            "{engine:?}"
        );
        assert_eq!(
            world.message_texts(client, Side::Client)[2..],
            ["1/chat,", "1"]
        );
        assert_eq!(
            server_events(&world, &sid).last(),
            Some(&sio_server::Event::Closed {
                reason: TransportClose
            })
        );
        assert!(!world.has_session(&sid));
        assert!(!client_events(&world, client).iter().any(is_reconnect_event));
    }
}

#[test]
fn ping_timeout_then_reconnection_with_backoff_and_buffered_emits_over_websocket() {
    ping_timeout_then_reconnection(polling_then_websocket(), Transport::WebSocket);
}

#[test]
fn ping_timeout_then_reconnection_with_backoff_and_buffered_emits_over_polling() {
    ping_timeout_then_reconnection(polling_only(), Transport::Polling);
}

/// The network goes silent under a connected client (its engine ends up on `transport`): both
/// sides time out, acks under way are cancelled, emits made offline are buffered (volatile ones
/// dropped, ones whose ack times out dropped too), reconnection attempts follow the default backoff,
/// and once the network is back every namespace reconnects and the buffer is flushed exactly once.
fn ping_timeout_then_reconnection(engine: ClientConfig, transport: Transport) {
    use sio_client::DisconnectReason as ClientReason;
    use sio_server::DisconnectReason as ServerReason;

    let mut world = world();
    let client = add_client(&mut world, engine);
    let first_sid = connect_all(&mut world, client, &["/", "/chat"]);
    world.run_for(Duration::from_secs(30)); // a heartbeat goes through
    assert!(world.manager_ref(client).is_connected("/"));
    assert_eq!(world.transport_of(client), Some(transport));

    // Acks still awaited when the connection dies are cancelled on both sides.
    let now = world.now();
    let unanswered = Payload::event("unanswered", &()).unwrap();
    let client_waits = world
        .manager(client)
        .emit(now, "/", unanswered.clone(), EmitOptions::with_ack())
        .unwrap()
        .unwrap();
    let server_waits = world
        .connection(&first_sid)
        .emit_with_ack(now, "/chat", unanswered, None)
        .unwrap();
    world.run_for(Duration::from_secs(1));
    let first_chat_socket = world.socket_ids_issued()[1].clone();

    world.cut(client);
    let lost_at = world.run_until_true(Duration::from_secs(60), |world| {
        !world.manager_ref(client).is_connected("/")
    });
    world.run_until_true(Duration::from_secs(60), |world| {
        !world.has_session(&first_sid)
    });
    for namespace in ["/", "/chat"] {
        assert_eq!(
            client_disconnects(&world, client, namespace),
            [ClientReason::PingTimeout]
        );
        assert_eq!(
            server_disconnects(&world, namespace),
            [
                (false, ServerReason::PingTimeout),
                (true, ServerReason::PingTimeout)
            ]
        );
    }
    assert_eq!(
        server_events(&world, &first_sid).last(),
        Some(&sio_server::Event::Closed {
            reason: ServerReason::PingTimeout
        })
    );
    assert!(
        client_events(&world, client).contains(&sio_client::Event::AckCancelled {
            namespace: "/".try_into().unwrap(),
            id: client_waits,
        })
    );
    assert!(
        server_events(&world, &first_sid).contains(&sio_server::Event::AckCancelled {
            namespace: "/chat".try_into().unwrap(),
            socket: first_chat_socket,
            id: server_waits,
        })
    );

    // Offline: plain emits wait in the buffer, volatile ones are dropped.
    let now = world.now();
    let manager = world.manager(client);
    let buffered = [("/", 1), ("/chat", 2), ("/", 3)];
    for (namespace, n) in buffered {
        let args = Payload::event("buffered", &n).unwrap();
        assert_eq!(
            manager.emit(now, namespace, args, EmitOptions::default()),
            Ok(None)
        );
    }
    let with_ack = Payload::event("buffered", &4).unwrap();
    let buffered_ack = manager
        .emit(now, "/chat", with_ack, EmitOptions::with_ack())
        .unwrap()
        .expect("an ack id");
    // An emit whose ack times out while it is still buffered is dropped with it.
    let expiring = Payload::event("expiring", &5).unwrap();
    let expiring_ack = manager
        .emit(
            now,
            "/",
            expiring,
            EmitOptions::with_ack_timeout(Duration::from_secs(3)),
        )
        .unwrap()
        .expect("an ack id");
    let volatile = Payload::event("volatile", &0).unwrap();
    assert_eq!(
        manager.emit(now, "/", volatile, EmitOptions::volatile()),
        Ok(None)
    );
    assert_eq!(manager.buffered_packets("/"), 3);
    world.run_for(Duration::from_secs(3));
    assert!(
        client_events(&world, client).contains(&sio_client::Event::AckTimeout {
            namespace: "/".try_into().unwrap(),
            id: expiring_ack,
        })
    );
    let manager = world.manager(client);
    assert_eq!(manager.buffered_packets("/"), 2);
    assert_eq!(manager.buffered_packets("/chat"), 2);

    // Two attempts fail while the network is still cut (each after the 20 s attempt timeout), then
    // the network comes back and the third one succeeds.
    let event_at = |world: &World, wanted: sio_client::Event| {
        world
            .client_events(client)
            .iter()
            .find(|(_, event)| *event == wanted)
            .map(|(at, _)| *at)
    };
    let failure_at = |world: &World, index: usize| {
        world
            .client_events(client)
            .iter()
            .filter(|(_, event)| matches!(event, sio_client::Event::ReconnectError(_)))
            .nth(index)
            .map(|(at, _)| *at)
    };
    let within = Duration::from_secs(60);
    world.run_until_true(within, |world| failure_at(world, 1).is_some());
    world.heal(client);
    world.run_until_true(within, |world| {
        world.manager_ref(client).is_connected("/")
            && world.manager_ref(client).is_connected("/chat")
    });
    world.run_for(Duration::from_secs(1));
    let first_attempt_at = event_at(&world, sio_client::Event::ReconnectAttempt(1)).unwrap();
    let second_attempt_at = event_at(&world, sio_client::Event::ReconnectAttempt(2)).unwrap();
    let third_attempt_at = event_at(&world, sio_client::Event::ReconnectAttempt(3)).unwrap();
    let first_failure_at = failure_at(&world, 0).unwrap();
    let second_failure_at = failure_at(&world, 1).unwrap();
    assert_eq!(failure_at(&world, 2), None);

    let millis = |from: Instant, to: Instant| to.saturating_duration_since(from).as_millis();
    assert!((500..=1500).contains(&millis(lost_at, first_attempt_at)));
    assert_eq!(millis(first_attempt_at, first_failure_at), 20_000);
    assert!((1000..=3000).contains(&millis(first_failure_at, second_attempt_at)));
    assert_eq!(millis(second_attempt_at, second_failure_at), 20_000);
    assert!((2000..=5000).contains(&millis(second_failure_at, third_attempt_at)));

    let reconnected: Vec<_> = client_events(&world, client)
        .into_iter()
        .skip_while(|event| *event != sio_client::Event::ReconnectAttempt(3))
        .collect();
    let ids = world.socket_ids_issued();
    assert_eq!(ids.len(), 4, "each namespace got a new socket");
    assert_eq!(
        reconnected,
        [
            sio_client::Event::ReconnectAttempt(3),
            sio_client::Event::Reconnect(3),
            sio_client::Event::Connect {
                namespace: "/".try_into().unwrap(),
                sid: ids[2].as_str().to_owned(),
            },
            sio_client::Event::Connect {
                namespace: "/chat".try_into().unwrap(),
                sid: ids[3].as_str().to_owned(),
            },
        ]
    );

    // The buffered emits arrived exactly once, in order, on the new session; the volatile one never.
    let second_sid = world.session_of(client).unwrap();
    assert_ne!(second_sid, first_sid);
    let received: Vec<(String, u32, Option<u64>)> = world
        .server_events()
        .iter()
        .filter_map(|(_, sid, event)| match event {
            sio_server::Event::Event {
                namespace,
                args,
                ack,
                ..
            } if args.event_name().as_deref() == Some("buffered") => {
                assert_eq!(*sid, second_sid);
                let (n,) = args.event_args::<(u32,)>().unwrap();
                Some((namespace.as_str().to_owned(), n, *ack))
            }
            _ => None,
        })
        .collect();
    let ack_on_server = received
        .last()
        .and_then(|(_, _, ack)| *ack)
        .expect("an ack id");
    assert_eq!(
        received,
        [
            ("/".to_owned(), 1, None),
            ("/".to_owned(), 3, None),
            ("/chat".to_owned(), 2, None),
            ("/chat".to_owned(), 4, Some(ack_on_server)),
        ]
    );
    // The buffered emit's ack works on the new session.
    world
        .connection(&second_sid)
        .ack("/chat", ack_on_server, Payload::new(&"got 4").unwrap())
        .unwrap();
    world.run_for(Duration::from_secs(1));
    let acks: Vec<_> = client_events(&world, client)
        .into_iter()
        .filter(|event| matches!(event, sio_client::Event::Ack { .. }))
        .collect();
    assert_eq!(
        acks,
        [sio_client::Event::Ack {
            namespace: "/chat".try_into().unwrap(),
            id: buffered_ack,
            args: Payload::new(&"got 4").unwrap(),
        }]
    );
    assert!(
        !world
            .message_texts(client, Side::Client)
            .iter()
            .any(|text| text.contains("volatile") || text.contains("expiring"))
    );
    assert_eq!(world.manager_ref(client).buffered_packets("/"), 0);
}

#[test]
fn client_close_disconnects_every_namespace_and_connect_starts_over() {
    use sio_client::DisconnectReason::IoClientDisconnect;
    use sio_server::DisconnectReason::{ClientNamespaceDisconnect, TransportClose};

    let mut world = world();
    let client = add_client(&mut world, polling_then_websocket());
    let sid = connect_all(&mut world, client, &["/", "/chat"]);
    let now = world.now();
    world.manager(client).close(now);
    world.run_for(Duration::from_secs(60));
    for namespace in ["/", "/chat"] {
        assert_eq!(
            client_disconnects(&world, client, namespace),
            [IoClientDisconnect]
        );
        assert_eq!(
            server_disconnects(&world, namespace),
            [
                (false, ClientNamespaceDisconnect),
                (true, ClientNamespaceDisconnect)
            ]
        );
    }
    assert_eq!(
        server_events(&world, &sid).last(),
        Some(&sio_server::Event::Closed {
            reason: TransportClose
        })
    );
    assert!(!client_events(&world, client).iter().any(is_reconnect_event));
    assert_eq!(world.sessions_opened().len(), 1);

    // `connect` starts over on a new engine session.
    let second_sid = connect_all(&mut world, client, &["/chat"]);
    assert_ne!(second_sid, sid);
    assert!(!world.manager_ref(client).is_active("/"));
    assert_eq!(
        client_events(&world, client).last(),
        Some(&sio_client::Event::Connect {
            namespace: "/chat".try_into().unwrap(),
            sid: world.socket_ids_issued()[2].as_str().to_owned(),
        })
    );
}

#[test]
fn server_disconnect_all_is_io_server_disconnect_everywhere_and_closes_the_engine() {
    use sio_client::DisconnectReason::IoServerDisconnect;
    use sio_server::DisconnectReason::{ForcedServerClose, ServerNamespaceDisconnect};

    let mut world = world();
    let client = add_client(&mut world, websocket_only());
    let sid = connect_all(&mut world, client, &["/", "/chat"]);
    let now = world.now();
    world.connection(&sid).disconnect_all(now);
    world.run_for(Duration::from_secs(60));

    for namespace in ["/", "/chat"] {
        assert_eq!(
            client_disconnects(&world, client, namespace),
            [IoServerDisconnect]
        );
        assert_eq!(
            server_disconnects(&world, namespace),
            [
                (false, ServerNamespaceDisconnect),
                (true, ServerNamespaceDisconnect)
            ]
        );
        assert!(!world.manager_ref(client).is_active(namespace));
    }
    assert_eq!(
        world.message_texts(client, Side::Server)[2..],
        ["1", "1/chat,"]
    );
    assert_eq!(
        server_events(&world, &sid).last(),
        Some(&sio_server::Event::Closed {
            reason: ForcedServerClose
        })
    );
    assert!(!client_events(&world, client).iter().any(is_reconnect_event));
    assert_eq!(world.sessions_opened().len(), 1);
}

#[test]
fn server_shutdown_is_a_transport_close_and_the_client_reconnects() {
    use sio_client::DisconnectReason::TransportClose;
    use sio_server::DisconnectReason::ServerShuttingDown;

    let mut world = world();
    let client = add_client(&mut world, polling_then_websocket());
    let sid = connect_all(&mut world, client, &["/", "/chat"]);
    world.run_for(Duration::from_secs(1));
    let now = world.now();
    world.connection(&sid).close(now, ServerShuttingDown);
    let lost_at = world.run_until_true(Duration::from_secs(1), |world| {
        !world.manager_ref(client).is_connected("/")
    });
    world.run_until_true(Duration::from_secs(5), |world| {
        world.manager_ref(client).is_connected("/")
            && world.manager_ref(client).is_connected("/chat")
    });

    for namespace in ["/", "/chat"] {
        assert_eq!(
            client_disconnects(&world, client, namespace),
            [TransportClose]
        );
        assert_eq!(
            server_disconnects(&world, namespace),
            [(false, ServerShuttingDown), (true, ServerShuttingDown)]
        );
    }
    assert_eq!(
        server_events(&world, &sid).last(),
        Some(&sio_server::Event::Closed {
            reason: ServerShuttingDown
        })
    );
    // No DISCONNECT packet: the client only saw its transport close.
    assert!(
        !world
            .message_texts(client, Side::Server)
            .iter()
            .any(|text| text.starts_with('1'))
    );
    let (attempt_at, _) = world
        .client_events(client)
        .iter()
        .find(|(_, event)| *event == sio_client::Event::ReconnectAttempt(1))
        .expect("a reconnection attempt");
    let delay = attempt_at.saturating_duration_since(lost_at).as_millis();
    assert!((500..=1500).contains(&delay), "first delay {delay} ms");
    let reconnect: Vec<_> = client_events(&world, client)
        .into_iter()
        .filter(is_reconnect_event)
        .collect();
    assert_eq!(
        reconnect,
        [
            sio_client::Event::ReconnectAttempt(1),
            sio_client::Event::Reconnect(1)
        ]
    );
    assert_eq!(world.sessions_opened().len(), 2);
    assert_eq!(world.rooms("/").socket_count(), 1, "only the new socket");
}

// ----- 7. rooms and broadcasts -----

/// The `news` events `client` received on `namespace`: their numbers, and the attachment if any.
fn news_received(world: &World, client: ClientId, namespace: &str) -> Vec<(u32, Option<Bytes>)> {
    client_events(world, client)
        .into_iter()
        .filter_map(|event| match event {
            sio_client::Event::Event {
                namespace: of,
                args,
                ack: None,
            } if of == namespace && args.event_name().as_deref() == Some("news") => {
                Some(args.event_args::<(u32, Option<Bytes>)>().unwrap())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn broadcasts_to_room_selections_reach_exactly_the_selected_clients() {
    let mut world = world();
    let engines = [
        polling_only(),
        websocket_only(),
        polling_then_websocket(),
        polling_only(),
        websocket_only(),
    ];
    let clients: Vec<ClientId> = engines
        .into_iter()
        .map(|engine| add_client(&mut world, engine))
        .collect();
    let [a, b, c, d, e] = clients[..] else {
        unreachable!()
    };
    for &client in &clients {
        connect_all(&mut world, client, &["/"]);
    }
    for &client in &[b, d] {
        connect_all(&mut world, client, &["/chat"]);
    }
    let id = |world: &World, client: ClientId, namespace: &str| {
        SocketId::new(world.manager_ref(client).socket_id(namespace).unwrap())
    };
    let [ida, idb, idc, idd, ide] = [a, b, c, d, e].map(|client| id(&world, client, "/"));

    // The rooms follow the connections: every socket is in its own-id room.
    let rooms = world.rooms("/");
    assert_eq!(rooms.socket_count(), 5);
    for socket in [&ida, &idb, &idc, &idd, &ide] {
        assert!(rooms.is_member(socket.as_str(), socket.as_str()));
    }
    rooms.add_all(&ida, ["red"]);
    rooms.add_all(&idb, ["red", "blue"]);
    rooms.add_all(&idc, ["blue", "muted"]);
    rooms.add_all(&idd, ["blue"]);
    assert_eq!(world.rooms("/chat").socket_count(), 2);
    let chat_b = id(&world, b, "/chat");
    world.rooms("/chat").add_all(&chat_b, ["red"]);

    // `a` broadcasts to red and blue except muted: b and d, each once.
    let opts = BroadcastOptions::from_sender(&ida)
        .to("red")
        .to("blue")
        .except("muted");
    let main = NamespaceName::new("/").unwrap();
    for n in 0..3u32 {
        let attachment = (n == 1).then(|| Bytes::from_static(b"\x00\x01news"));
        let encoded = Encoded::event(&main, "news", &(n, attachment), None).unwrap();
        let mut recipients = world.broadcast("/", &opts, &encoded);
        recipients.sort();
        let mut expected = vec![idb.clone(), idd.clone()];
        expected.sort();
        assert_eq!(recipients, expected);
    }
    world.run_for(Duration::from_secs(1));
    let news = vec![
        (0, None),
        (1, Some(Bytes::from_static(b"\x00\x01news"))),
        (2, None),
    ];
    assert_eq!(news_received(&world, b, "/"), news);
    assert_eq!(news_received(&world, d, "/"), news);
    for client in [a, c, e] {
        assert_eq!(news_received(&world, client, "/"), [], "client {client}");
    }
    // The namespace scopes the broadcast: nothing reached the sockets on /chat.
    for client in [b, d] {
        assert_eq!(news_received(&world, client, "/chat"), []);
    }

    // When d leaves, the server's events take it out of the rooms, and the next broadcast skips it.
    let now = world.now();
    world.manager(d).disconnect(now, "/");
    world.run_for(Duration::from_secs(1));
    assert!(!world.rooms("/").contains_socket(idd.as_str()));
    assert_eq!(world.rooms("/").room_len("blue"), 2);
    let encoded = Encoded::event(&main, "news", &(3, None::<Bytes>), None).unwrap();
    assert_eq!(
        world.broadcast("/", &opts, &encoded),
        std::slice::from_ref(&idb)
    );
    // Everyone on /chat (only b and d there, d still connected on /chat).
    let chat = NamespaceName::new("/chat").unwrap();
    let encoded = Encoded::event(&chat, "news", &(4, None::<Bytes>), None).unwrap();
    assert_eq!(
        world
            .broadcast("/chat", &BroadcastOptions::new(), &encoded)
            .len(),
        2
    );
    world.run_for(Duration::from_secs(1));
    assert_eq!(news_received(&world, b, "/").last(), Some(&(3, None)));
    assert_eq!(news_received(&world, d, "/").len(), 3);
    for client in [b, d] {
        assert_eq!(news_received(&world, client, "/chat"), [(4, None)]);
    }
}

// ----- 8. a burst -----

#[test]
fn bursts_of_emits_over_polling_arrive_in_order_none_lost() {
    let mut world = world();
    let client = add_client(&mut world, polling_only());
    let sid = connect_all(&mut world, client, &["/"]);
    const AT_ONCE: u32 = 500;
    const TRICKLED: u32 = 300;
    for n in 0..AT_ONCE {
        world.connection(&sid).emit("/", seq_event(n)).unwrap();
    }
    // Then more, a few at a time, while the first ones are still being polled.
    for n in AT_ONCE..AT_ONCE + TRICKLED {
        world.connection(&sid).emit("/", seq_event(n)).unwrap();
        if n % 10 == 0 {
            world.run_for(Duration::from_millis(3));
        }
    }
    // And the other way, all at once.
    const FROM_CLIENT: u32 = 400;
    let now = world.now();
    for n in 0..FROM_CLIENT {
        world
            .manager(client)
            .emit(now, "/", seq_event(n), EmitOptions::default())
            .unwrap();
    }
    world.run_for(Duration::from_secs(2));

    let server_received =
        seq_numbers(
            world
                .server_events()
                .iter()
                .filter_map(|(_, _, event)| match event {
                    sio_server::Event::Event { args, .. } => Some(args),
                    _ => None,
                }),
        );
    assert_eq!(server_received, (0..FROM_CLIENT).collect::<Vec<_>>());
    assert_eq!(world.client_send_refusals(client), 0);

    let received =
        seq_numbers(
            world
                .client_events(client)
                .iter()
                .filter_map(|(_, event)| match event {
                    sio_client::Event::Event { args, .. } => Some(args),
                    _ => None,
                }),
        );
    assert_eq!(received, (0..AT_ONCE + TRICKLED).collect::<Vec<_>>());
    assert_eq!(world.server_send_refusals(), 0);
    // Batched: many packets per poll, yet more than one poll.
    let polls_with_events = world
        .transcript()
        .iter()
        .filter(|entry| entry.from == Side::Server && entry.client == client)
        .filter(|entry| entry.packets.len() > 1)
        .count();
    assert!(polls_with_events > 1, "{polls_with_events} batched polls");
    assert!(
        world
            .messages(client, Side::Server)
            .iter()
            .all(|(transport, _)| *transport == Transport::Polling)
    );
}

#[path = "end_to_end/v4.rs"]
mod v4;
