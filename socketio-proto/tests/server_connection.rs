//! The server connection state machine, driven with hand-written client packets and a fake clock:
//! namespace handshakes, events and acks both ways, timeouts, disconnect reasons, protocol violations,
//! bounds, and a property test of its invariants over random input sequences.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use bytes::Bytes;
use engineio_proto::server::CloseReason;
use engineio_proto::{Instant, Message};
use proptest::prelude::*;
use serde_json::{Value, json};
use socketio_proto::adapter::{Rooms, SocketId};
use socketio_proto::packet::{DecoderConfig, Encoded, NamespaceName, Payload, RawJson};
use socketio_proto::server::{
    AckError, DisconnectReason, EmitError, Event, NotConnected, NotPending, Output,
    RESERVED_EVENTS, SOCKET_ID_RANDOM_BYTES, ServerConnection, ServerConnectionConfig,
    is_reserved_event, socket_id_from_random,
};

// ---- helpers ----

fn at(millis: u64) -> Instant {
    Instant::from_millis(millis)
}

fn ns(name: &str) -> NamespaceName {
    NamespaceName::new(name.to_owned()).unwrap()
}

fn sid(seed: u8) -> SocketId {
    socket_id_from_random(&[seed; SOCKET_ID_RANDOM_BYTES])
}

fn text(packet: &str) -> Message {
    Message::text(packet.to_owned())
}

fn binary(bytes: &'static [u8]) -> Message {
    Message::Binary(Bytes::from_static(bytes))
}

fn new_conn() -> ServerConnection {
    ServerConnection::new(at(0), ServerConnectionConfig::default())
}

fn drain(conn: &mut ServerConnection) -> Vec<Output> {
    std::iter::from_fn(|| conn.poll_output()).collect()
}

fn feed(conn: &mut ServerConnection, now: Instant, message: Message) -> Vec<Output> {
    conn.handle_message(now, message);
    drain(conn)
}

fn send_text(packet: &str) -> Output {
    Output::Send(text(packet))
}

fn event(event: Event) -> Output {
    Output::Event(event)
}

/// Connects `namespace` as socket `id`: CONNECT, accept, and the outputs checked.
fn join(conn: &mut ServerConnection, namespace: &str, id: &SocketId) {
    let connect = if namespace == "/" {
        "0".to_owned()
    } else {
        format!("0{namespace},")
    };
    assert_eq!(
        feed(conn, at(0), text(&connect)),
        [event(Event::ConnectRequest {
            namespace: ns(namespace),
            auth: None
        })]
    );
    conn.accept(at(0), namespace, id.clone()).unwrap();
    let prefix = if namespace == "/" {
        String::new()
    } else {
        format!("{namespace},")
    };
    assert_eq!(
        drain(conn),
        [
            send_text(&format!("0{prefix}{{\"sid\":\"{id}\"}}")),
            event(Event::Connected {
                namespace: ns(namespace),
                socket: id.clone()
            }),
        ]
    );
}

fn connected(namespaces: &[(&str, u8)]) -> ServerConnection {
    let mut conn = new_conn();
    for &(namespace, seed) in namespaces {
        join(&mut conn, namespace, &sid(seed));
    }
    conn
}

fn disconnect_events(namespace: &str, seed: u8, reason: DisconnectReason) -> [Output; 2] {
    [
        event(Event::Disconnecting {
            namespace: ns(namespace),
            socket: sid(seed),
            reason,
        }),
        event(Event::Disconnected {
            namespace: ns(namespace),
            socket: sid(seed),
            reason,
        }),
    ]
}

fn payload_event<T: serde::Serialize + ?Sized>(name: &str, args: &T) -> Payload {
    Payload::event(name, args).unwrap()
}

fn ack_args<T: serde::Serialize + ?Sized>(args: &T) -> Payload {
    Payload::new(args).unwrap()
}

// ---- namespace handshake ----

#[test]
fn main_namespace_connect_is_requested_then_accepted_with_a_sid() {
    let mut conn = new_conn();
    assert_eq!(
        feed(&mut conn, at(10), text("0")),
        [event(Event::ConnectRequest {
            namespace: ns("/"),
            auth: None
        })]
    );
    assert!(conn.is_pending("/"));
    assert_eq!(conn.socket_id("/"), None);

    let id = sid(7);
    conn.accept(at(20), "/", id.clone()).unwrap();
    let outputs = drain(&mut conn);
    let Output::Send(Message::Text(reply)) = &outputs[0] else {
        panic!("expected the CONNECT reply, got {outputs:?}");
    };
    let body: Value = serde_json::from_str(reply.strip_prefix('0').unwrap()).unwrap();
    assert_eq!(body, json!({ "sid": id.as_str() }));
    assert_eq!(
        outputs[1..],
        [event(Event::Connected {
            namespace: ns("/"),
            socket: id.clone()
        })]
    );
    assert!(!conn.is_pending("/"));
    assert_eq!(conn.socket_id("/"), Some(&id));
    assert_eq!(conn.sockets().collect::<Vec<_>>(), [(&ns("/"), &id)]);
}

#[test]
fn custom_namespace_connect_carries_the_auth_object() {
    let mut conn = new_conn();
    let outputs = feed(
        &mut conn,
        at(0),
        text("0/admin,{\"token\":\"abc\",\"n\":[1,2]}"),
    );
    let [Output::Event(Event::ConnectRequest { namespace, auth })] = &outputs[..] else {
        panic!("expected a connect request, got {outputs:?}");
    };
    assert_eq!(namespace, "/admin");
    let auth: Value = auth.as_ref().unwrap().deserialize().unwrap();
    assert_eq!(auth, json!({ "token": "abc", "n": [1, 2] }));

    conn.accept(at(0), "/admin", sid(1)).unwrap();
    assert_eq!(
        drain(&mut conn)[0],
        send_text(&format!("0/admin,{{\"sid\":\"{}\"}}", sid(1)))
    );
    assert_eq!(conn.socket_id("/admin"), Some(&sid(1)));
    assert_eq!(conn.socket_id("/"), None);
}

#[test]
fn socket_ids_are_20_url_safe_characters_from_the_random_bytes() {
    let mut seen = BTreeSet::new();
    for seed in 0..=255u8 {
        let mut random = [0u8; SOCKET_ID_RANDOM_BYTES];
        for (i, byte) in random.iter_mut().enumerate() {
            *byte = seed.wrapping_mul(31).wrapping_add(i as u8 * 17);
        }
        let id = socket_id_from_random(&random);
        assert_eq!(id.len(), 20, "{id}");
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{id}"
        );
        seen.insert(id);
    }
    assert_eq!(seen.len(), 256, "distinct bytes give distinct ids");
    // Standard base64 of these bytes is "++//++//++//++//++//": url-safe swaps the two symbols.
    let random = [
        0xfb, 0xef, 0xff, 0xfb, 0xef, 0xff, 0xfb, 0xef, 0xff, 0xfb, 0xef, 0xff, 0xfb, 0xef, 0xff,
    ];
    assert_eq!(socket_id_from_random(&random), "--__--__--__--__--__");
}

#[test]
fn reject_sends_connect_error_with_message_and_data_and_allows_a_retry() {
    let mut conn = new_conn();
    feed(&mut conn, at(0), text("0/admin,{\"token\":\"bad\"}"));
    let data = RawJson::new("{\"code\":401,\"retry\":false}").unwrap();
    conn.reject(at(5), "/admin", "not \"authorized\"", Some(data))
        .unwrap();
    let outputs = drain(&mut conn);
    let [Output::Send(Message::Text(packet))] = &outputs[..] else {
        panic!("expected one CONNECT_ERROR, got {outputs:?}");
    };
    let body: Value = serde_json::from_str(packet.strip_prefix("4/admin,").unwrap()).unwrap();
    assert_eq!(
        body,
        json!({ "message": "not \"authorized\"", "data": { "code": 401, "retry": false } })
    );
    assert!(!conn.is_pending("/admin"));
    assert_eq!(conn.reject(at(5), "/admin", "again", None), Err(NotPending));
    assert_eq!(conn.accept(at(5), "/admin", sid(1)), Err(NotPending));

    // The client may try again; without data the field is left out.
    assert_eq!(
        feed(&mut conn, at(6), text("0/admin,")),
        [event(Event::ConnectRequest {
            namespace: ns("/admin"),
            auth: None
        })]
    );
    conn.reject(at(7), "/admin", "nope", None).unwrap();
    assert_eq!(
        drain(&mut conn),
        [send_text("4/admin,{\"message\":\"nope\"}")]
    );
    assert!(!conn.is_closed());
}

#[test]
fn unknown_namespace_is_rejected_as_invalid() {
    let mut conn = new_conn();
    feed(&mut conn, at(0), text("0/nope,"));
    conn.reject_invalid_namespace(at(0), "/nope").unwrap();
    assert_eq!(
        drain(&mut conn),
        [send_text("4/nope,{\"message\":\"Invalid namespace\"}")]
    );
    assert_eq!(
        conn.reject_invalid_namespace(at(0), "/nope"),
        Err(NotPending)
    );
    assert_eq!(
        conn.reject_invalid_namespace(at(0), "/never"),
        Err(NotPending)
    );
}

#[test]
fn accept_is_refused_without_a_pending_request() {
    let mut conn = connected(&[("/", 1)]);
    assert_eq!(conn.accept(at(0), "/", sid(2)), Err(NotPending));
    assert_eq!(conn.accept(at(0), "/other", sid(2)), Err(NotPending));
    assert_eq!(conn.socket_id("/"), Some(&sid(1)));
    assert!(drain(&mut conn).is_empty());
}

// ---- connect timeout ----

#[test]
fn connect_timeout_closes_a_connection_that_joined_no_namespace() {
    let mut conn = ServerConnection::new(at(1_000), ServerConnectionConfig::default());
    assert_eq!(conn.poll_timeout(), Some(at(46_000)));
    conn.handle_timeout(at(45_999));
    assert!(drain(&mut conn).is_empty());
    assert!(!conn.is_closed());

    conn.handle_timeout(at(46_000));
    assert_eq!(
        drain(&mut conn),
        [
            Output::CloseEngine,
            event(Event::Closed {
                reason: DisconnectReason::ForcedServerClose
            })
        ]
    );
    assert!(conn.is_closed());
    assert_eq!(conn.poll_timeout(), None);
    // Everything after the close is ignored.
    assert!(feed(&mut conn, at(46_001), text("0")).is_empty());
    conn.handle_engine_closed(at(46_002), CloseReason::ForcedClose);
    conn.handle_timeout(at(99_000));
    assert!(drain(&mut conn).is_empty());
}

#[test]
fn connect_timeout_also_drops_requests_still_pending() {
    let config = ServerConnectionConfig::default().with_connect_timeout(Duration::from_secs(2));
    let mut conn = ServerConnection::new(at(0), config);
    feed(&mut conn, at(0), text("0/slow,"));
    conn.handle_timeout(at(2_000));
    assert_eq!(
        drain(&mut conn),
        [
            Output::CloseEngine,
            event(Event::Closed {
                reason: DisconnectReason::ForcedServerClose
            })
        ]
    );
    assert_eq!(conn.accept(at(2_001), "/slow", sid(1)), Err(NotPending));
    assert!(drain(&mut conn).is_empty());
}

#[test]
fn connect_timeout_is_disarmed_once_a_namespace_is_connected() {
    let mut conn = connected(&[("/", 1)]);
    assert_eq!(conn.poll_timeout(), None);
    conn.handle_timeout(at(45_000));
    assert!(drain(&mut conn).is_empty());
    // Not re-armed when the last socket leaves either.
    feed(&mut conn, at(46_000), text("1"));
    assert_eq!(conn.poll_timeout(), None);
    conn.handle_timeout(at(200_000));
    assert!(drain(&mut conn).is_empty());
    assert!(!conn.is_closed());
}

// ---- events ----

#[test]
fn incoming_events_reach_the_application_with_their_arguments() {
    let mut conn = connected(&[("/", 1), ("/chat", 2)]);
    let outputs = feed(
        &mut conn,
        at(1),
        text("2/chat,[\"message\",\"hi\",42,{\"nested\":[true,null]}]"),
    );
    let [
        Output::Event(Event::Event {
            namespace,
            socket,
            args,
            ack,
        }),
    ] = &outputs[..]
    else {
        panic!("expected an event, got {outputs:?}");
    };
    assert_eq!((namespace.as_str(), socket, *ack), ("/chat", &sid(2), None));
    assert_eq!(args.event_name().as_deref(), Some("message"));
    let (text_arg, number, object): (String, u32, Value) = args.event_args().unwrap();
    assert_eq!((text_arg.as_str(), number), ("hi", 42));
    assert_eq!(object, json!({ "nested": [true, null] }));

    // A numeric event name is allowed, as in the reference parser.
    let outputs = feed(&mut conn, at(2), text("2[7,\"x\"]"));
    assert!(matches!(
        &outputs[..],
        [Output::Event(Event::Event { socket, args, .. })]
            if *socket == sid(1) && args.event_name().as_deref() == Some("7")
    ));
}

#[test]
fn incoming_binary_event_is_delivered_after_its_last_attachment() {
    let mut conn = connected(&[("/files", 3)]);
    let header = "52-/files,[\"upload\",{\"_placeholder\":true,\"num\":1},\"name\",{\"_placeholder\":true,\"num\":0}]";
    assert!(feed(&mut conn, at(0), text(header)).is_empty());
    assert!(feed(&mut conn, at(0), binary(b"first")).is_empty());
    let outputs = feed(&mut conn, at(0), binary(b"second"));
    let [
        Output::Event(Event::Event {
            args, ack: None, ..
        }),
    ] = &outputs[..]
    else {
        panic!("expected the binary event, got {outputs:?}");
    };
    let (late, name, early): (Bytes, String, Bytes) = args.event_args().unwrap();
    assert_eq!(
        (&late[..], name.as_str(), &early[..]),
        (&b"second"[..], "name", &b"first"[..])
    );
}

#[test]
fn emit_sends_the_event_text_and_binary_attachments_in_order() {
    let mut conn = connected(&[("/", 1), ("/files", 2)]);
    conn.emit("/", payload_event("hello", &("world", 2, json!({"a": 1}))))
        .unwrap();
    assert_eq!(
        drain(&mut conn),
        [send_text("2[\"hello\",\"world\",2,{\"a\":1}]")]
    );

    let args = payload_event(
        "files",
        &(
            Bytes::from_static(b"one"),
            "mid",
            Bytes::from_static(b"two"),
        ),
    );
    conn.emit("/files", args).unwrap();
    assert_eq!(
        drain(&mut conn),
        [
            send_text(
                "52-/files,[\"files\",{\"_placeholder\":true,\"num\":0},\"mid\",{\"_placeholder\":true,\"num\":1}]"
            ),
            Output::Send(binary(b"one")),
            Output::Send(binary(b"two")),
        ]
    );
    assert_eq!(
        conn.emit("/nowhere", payload_event("x", &())),
        Err(EmitError::NotConnected)
    );
}

// ---- acks the server owes ----

#[test]
fn an_incoming_ack_id_is_answered_exactly_once() {
    let mut conn = connected(&[("/admin", 1)]);
    let outputs = feed(&mut conn, at(0), text("2/admin,7[\"question\",1]"));
    assert!(matches!(
        &outputs[..],
        [Output::Event(Event::Event { ack: Some(7), .. })]
    ));
    assert_eq!(conn.owed_ack_count("/admin"), 1);

    conn.ack("/admin", 7, ack_args(&("answer", 2))).unwrap();
    assert_eq!(drain(&mut conn), [send_text("3/admin,7[\"answer\",2]")]);
    assert_eq!(conn.owed_ack_count("/admin"), 0);
    assert_eq!(
        conn.ack("/admin", 7, ack_args(&("again",))),
        Err(AckError::NotOwed)
    );
    assert_eq!(conn.ack("/admin", 8, ack_args(&())), Err(AckError::NotOwed));
    assert_eq!(
        conn.ack("/other", 7, ack_args(&())),
        Err(AckError::NotConnected)
    );
    assert!(drain(&mut conn).is_empty());

    // A binary answer is a BINARY_ACK followed by its attachment.
    feed(&mut conn, at(3), text("2/admin,9[\"photo\"]"));
    conn.ack("/admin", 9, ack_args(&(Bytes::from_static(b"jpg"),)))
        .unwrap();
    assert_eq!(
        drain(&mut conn),
        [
            send_text("61-/admin,9[{\"_placeholder\":true,\"num\":0}]"),
            Output::Send(binary(b"jpg")),
        ]
    );
}

#[test]
fn owed_acks_are_forgotten_when_the_socket_leaves() {
    let mut conn = connected(&[("/", 1)]);
    feed(&mut conn, at(0), text("23[\"q\"]"));
    feed(&mut conn, at(0), text("1"));
    assert_eq!(conn.ack("/", 3, ack_args(&())), Err(AckError::NotConnected));
    assert!(drain(&mut conn).is_empty());
}

// ---- acks the server awaits ----

#[test]
fn outgoing_acks_are_matched_by_id_and_duplicates_ignored() {
    let mut conn = connected(&[("/", 1)]);
    let first = conn
        .emit_with_ack(at(0), "/", payload_event("q", &1), None)
        .unwrap();
    let second = conn
        .emit_with_ack(at(0), "/", payload_event("q", &2), None)
        .unwrap();
    assert_eq!((first, second), (0, 1));
    assert_eq!(
        drain(&mut conn),
        [send_text("20[\"q\",1]"), send_text("21[\"q\",2]")]
    );
    assert_eq!(conn.pending_ack_count("/"), 2);

    let outputs = feed(&mut conn, at(1), text("31[\"b\",true]"));
    let [
        Output::Event(Event::Ack {
            namespace,
            socket,
            id: 1,
            args,
        }),
    ] = &outputs[..]
    else {
        panic!("expected ack 1, got {outputs:?}");
    };
    assert_eq!((namespace.as_str(), socket), ("/", &sid(1)));
    assert_eq!(args.deserialize::<Value>().unwrap(), json!(["b", true]));

    assert!(feed(&mut conn, at(2), text("31[\"again\"]")).is_empty());
    assert!(feed(&mut conn, at(2), text("399[]")).is_empty());

    // A binary answer resolves the other one.
    assert!(
        feed(
            &mut conn,
            at(3),
            text("61-0[{\"_placeholder\":true,\"num\":0}]")
        )
        .is_empty()
    );
    let outputs = feed(&mut conn, at(3), binary(b"bin"));
    let [Output::Event(Event::Ack { id: 0, args, .. })] = &outputs[..] else {
        panic!("expected ack 0, got {outputs:?}");
    };
    let (bytes,): (Bytes,) = args.deserialize().unwrap();
    assert_eq!(&bytes[..], b"bin");
    assert_eq!(conn.pending_ack_count("/"), 0);
}

#[test]
fn ack_timeout_fires_once_and_a_late_ack_is_ignored() {
    let mut conn = connected(&[("/", 1)]);
    let id = conn
        .emit_with_ack(
            at(1_000),
            "/",
            payload_event("slow", &()),
            Some(Duration::from_secs(5)),
        )
        .unwrap();
    let other = conn
        .emit_with_ack(
            at(1_000),
            "/",
            payload_event("slower", &()),
            Some(Duration::from_secs(9)),
        )
        .unwrap();
    drain(&mut conn);
    assert_eq!(conn.poll_timeout(), Some(at(6_000)));
    conn.handle_timeout(at(5_999));
    assert!(drain(&mut conn).is_empty());

    conn.handle_timeout(at(6_000));
    assert_eq!(
        drain(&mut conn),
        [event(Event::AckTimeout {
            namespace: ns("/"),
            socket: sid(1),
            id
        })]
    );
    assert_eq!(conn.poll_timeout(), Some(at(10_000)));
    conn.handle_timeout(at(6_500));
    assert!(drain(&mut conn).is_empty());
    assert!(feed(&mut conn, at(7_000), text(&format!("3{id}[\"late\"]"))).is_empty());

    // The other one is answered in time: its deadline is gone.
    assert_eq!(
        feed(&mut conn, at(8_000), text(&format!("3{other}[]"))).len(),
        1
    );
    assert_eq!(conn.poll_timeout(), None);
    conn.handle_timeout(at(20_000));
    assert!(drain(&mut conn).is_empty());
}

#[test]
fn pending_acks_are_cancelled_between_disconnecting_and_disconnected() {
    let mut conn = connected(&[("/", 1), ("/b", 2)]);
    let a = conn
        .emit_with_ack(at(0), "/", payload_event("a", &()), None)
        .unwrap();
    let b = conn
        .emit_with_ack(
            at(0),
            "/",
            payload_event("b", &()),
            Some(Duration::from_secs(1)),
        )
        .unwrap();
    let untouched = conn
        .emit_with_ack(at(0), "/b", payload_event("c", &()), None)
        .unwrap();
    drain(&mut conn);

    let [disconnecting, disconnected] =
        disconnect_events("/", 1, DisconnectReason::ClientNamespaceDisconnect);
    let cancelled = |id| {
        event(Event::AckCancelled {
            namespace: ns("/"),
            socket: sid(1),
            id,
        })
    };
    assert_eq!(
        feed(&mut conn, at(10), text("1")),
        [disconnecting, cancelled(a), cancelled(b), disconnected]
    );
    assert_eq!(conn.poll_timeout(), None);
    conn.handle_timeout(at(5_000));
    assert!(drain(&mut conn).is_empty());
    assert_eq!(conn.pending_ack_count("/b"), 1);
    assert_eq!(
        feed(&mut conn, at(6_000), text(&format!("3/b,{untouched}[]"))).len(),
        1
    );
}

#[test]
fn ack_ids_are_per_socket() {
    let mut conn = connected(&[("/", 1), ("/b", 2)]);
    let on_main = conn
        .emit_with_ack(at(0), "/", payload_event("x", &()), None)
        .unwrap();
    let on_b = conn
        .emit_with_ack(at(0), "/b", payload_event("x", &()), None)
        .unwrap();
    assert_eq!((on_main, on_b), (0, 0));
    drain(&mut conn);
    let outputs = feed(&mut conn, at(0), text("3/b,0[]"));
    assert!(matches!(
        &outputs[..],
        [Output::Event(Event::Ack { socket, id: 0, .. })] if *socket == sid(2)
    ));
    assert_eq!(conn.pending_ack_count("/"), 1);
}

// ---- reserved names ----

#[test]
fn reserved_event_names_are_refused_on_emit() {
    let mut conn = connected(&[("/", 1)]);
    for name in RESERVED_EVENTS {
        assert!(is_reserved_event(name));
        assert_eq!(
            conn.emit("/", payload_event(name, &1)),
            Err(EmitError::ReservedEventName),
            "{name}"
        );
        assert_eq!(
            conn.emit_with_ack(at(0), "/", payload_event(name, &()), None),
            Err(EmitError::ReservedEventName),
            "{name}"
        );
    }
    assert!(!is_reserved_event("error") && !is_reserved_event("Connect"));
    assert_eq!(
        conn.emit("/", Payload::new(&()).unwrap()),
        Err(EmitError::MissingEventName)
    );
    assert_eq!(
        conn.emit("/", Payload::new(&(json!({"not": "a name"}),)).unwrap()),
        Err(EmitError::MissingEventName)
    );
    assert_eq!(conn.pending_ack_count("/"), 0);
    assert!(drain(&mut conn).is_empty());
}

#[test]
fn a_received_reserved_event_name_is_a_parse_error_never_an_event() {
    for name in RESERVED_EVENTS {
        let mut conn = connected(&[("/", 1)]);
        // Also with an escape that decodes to the reserved name.
        let escaped = name.replacen('c', "\\u0063", 1);
        for packet in [format!("2[\"{name}\",1]"), format!("25[\"{escaped}\"]")] {
            let mut conn_for_packet = connected(&[("/", 1)]);
            let outputs = feed(&mut conn_for_packet, at(0), text(&packet));
            let [d1, d2] = disconnect_events("/", 1, DisconnectReason::ParseError);
            assert_eq!(
                outputs,
                [
                    d1,
                    d2,
                    Output::CloseEngine,
                    event(Event::Closed {
                        reason: DisconnectReason::ParseError
                    })
                ],
                "{packet}"
            );
            assert_eq!(conn_for_packet.owed_ack_count("/"), 0);
        }
        // Even on a namespace the client never joined: the parser rejects it first.
        let outputs = feed(&mut conn, at(0), text(&format!("2/x,[\"{name}\"]")));
        assert!(outputs.contains(&event(Event::Closed {
            reason: DisconnectReason::ParseError
        })));
    }
}

// ---- disconnection ----

#[test]
fn client_namespace_disconnect_keeps_the_connection_open() {
    let mut conn = connected(&[("/", 1), ("/admin", 2)]);
    assert_eq!(
        feed(&mut conn, at(0), text("1/admin,")),
        disconnect_events("/admin", 2, DisconnectReason::ClientNamespaceDisconnect)
    );
    assert_eq!(conn.socket_id("/admin"), None);
    assert_eq!(
        conn.emit("/admin", payload_event("x", &())),
        Err(EmitError::NotConnected)
    );
    // The last socket leaving does not close the connection either (the reference's `_remove`).
    assert_eq!(
        feed(&mut conn, at(0), text("1")),
        disconnect_events("/", 1, DisconnectReason::ClientNamespaceDisconnect)
    );
    assert!(!conn.is_closed());
    assert_eq!(conn.sockets().count(), 0);
    // ...and the client may join again.
    join(&mut conn, "/admin", &sid(3));
}

#[test]
fn server_namespace_disconnect_sends_disconnect_first() {
    let mut conn = connected(&[("/", 1), ("/admin", 2)]);
    conn.disconnect(at(0), "/admin").unwrap();
    let [d1, d2] = disconnect_events("/admin", 2, DisconnectReason::ServerNamespaceDisconnect);
    assert_eq!(drain(&mut conn), [send_text("1/admin,"), d1, d2]);
    assert_eq!(conn.disconnect(at(0), "/admin"), Err(NotConnected));
    assert_eq!(conn.disconnect(at(0), "/never"), Err(NotConnected));
    assert!(!conn.is_closed());
    assert_eq!(conn.socket_id("/"), Some(&sid(1)));
}

#[test]
fn closing_for_shutdown_disconnects_every_socket_without_packets() {
    let mut conn = connected(&[("/", 1), ("/admin", 2)]);
    feed(&mut conn, at(0), text("0/pending,"));
    conn.close(at(0), DisconnectReason::ServerShuttingDown);
    let reason = DisconnectReason::ServerShuttingDown;
    let [a1, a2] = disconnect_events("/", 1, reason);
    let [b1, b2] = disconnect_events("/admin", 2, reason);
    assert_eq!(
        drain(&mut conn),
        [
            a1,
            a2,
            b1,
            b2,
            Output::CloseEngine,
            event(Event::Closed { reason })
        ]
    );
    assert!(conn.is_closed());
    assert_eq!(conn.accept(at(0), "/pending", sid(3)), Err(NotPending));
    // The engine then reports its own close: nothing more happens.
    conn.handle_engine_closed(at(1), CloseReason::ForcedClose);
    conn.close(at(1), DisconnectReason::ServerShuttingDown);
    conn.disconnect_all(at(1));
    assert!(drain(&mut conn).is_empty());
}

#[test]
fn disconnect_all_sends_disconnects_then_closes_the_engine() {
    let mut conn = connected(&[("/", 1), ("/admin", 2)]);
    conn.disconnect_all(at(0));
    let reason = DisconnectReason::ServerNamespaceDisconnect;
    let [a1, a2] = disconnect_events("/", 1, reason);
    let [b1, b2] = disconnect_events("/admin", 2, reason);
    assert_eq!(
        drain(&mut conn),
        [
            send_text("1"),
            a1,
            a2,
            send_text("1/admin,"),
            b1,
            b2,
            Output::CloseEngine,
            event(Event::Closed {
                reason: DisconnectReason::ForcedServerClose
            })
        ]
    );
}

#[test]
fn engine_close_reasons_map_to_socket_disconnect_reasons() {
    let cases = [
        (
            CloseReason::TransportClose,
            DisconnectReason::TransportClose,
            "transport close",
        ),
        (
            CloseReason::TransportError,
            DisconnectReason::TransportError,
            "transport error",
        ),
        (
            CloseReason::PingTimeout,
            DisconnectReason::PingTimeout,
            "ping timeout",
        ),
        (
            CloseReason::ForcedClose,
            DisconnectReason::ForcedClose,
            "forced close",
        ),
        (
            CloseReason::ParseError,
            DisconnectReason::ParseError,
            "parse error",
        ),
    ];
    for (engine, reason, name) in cases {
        let mut conn = connected(&[("/", 1), ("/admin", 2)]);
        conn.handle_engine_closed(at(0), engine);
        let [a1, a2] = disconnect_events("/", 1, reason);
        let [b1, b2] = disconnect_events("/admin", 2, reason);
        // The engine is already closed: no CloseEngine.
        assert_eq!(
            drain(&mut conn),
            [a1, a2, b1, b2, event(Event::Closed { reason })]
        );
        assert_eq!(reason.as_str(), name);
        assert_eq!(reason.to_string(), name);
    }
    let socket_io_reasons = [
        (
            DisconnectReason::ServerNamespaceDisconnect,
            "server namespace disconnect",
        ),
        (
            DisconnectReason::ClientNamespaceDisconnect,
            "client namespace disconnect",
        ),
        (DisconnectReason::ServerShuttingDown, "server shutting down"),
        (DisconnectReason::ForcedServerClose, "forced server close"),
    ];
    for (reason, name) in socket_io_reasons {
        assert_eq!(reason.as_str(), name);
    }
}

// ---- protocol violations ----

#[test]
fn malformed_packets_close_with_parse_error() {
    let bad: [&[Message]; 8] = [
        &[Message::text("")],
        &[Message::text("9")],
        &[Message::text("2[\"unterminated\"")],
        &[Message::text("2/admin[\"no comma\"]")],
        &[Message::Binary(Bytes::from_static(b"no packet waits"))],
        &[
            Message::text("51-[\"a\",{\"_placeholder\":true,\"num\":0}]"),
            Message::text("2[\"b\"]"),
        ],
        &[Message::text("51-[\"a\"]")],
        &[Message::text("1{}")],
    ];
    for messages in bad {
        let mut conn = connected(&[("/", 1)]);
        let mut outputs = Vec::new();
        for message in messages {
            outputs.extend(feed(&mut conn, at(0), message.clone()));
        }
        let [d1, d2] = disconnect_events("/", 1, DisconnectReason::ParseError);
        assert_eq!(
            outputs,
            [
                d1,
                d2,
                Output::CloseEngine,
                event(Event::Closed {
                    reason: DisconnectReason::ParseError
                })
            ],
            "{messages:?}"
        );
    }
}

fn assert_forced_close(outputs: &[Output], sockets: &[(&str, u8)]) {
    let mut expected = Vec::new();
    for &(namespace, seed) in sockets {
        expected.extend(disconnect_events(
            namespace,
            seed,
            DisconnectReason::ForcedServerClose,
        ));
    }
    expected.push(Output::CloseEngine);
    expected.push(event(Event::Closed {
        reason: DisconnectReason::ForcedServerClose,
    }));
    assert_eq!(outputs, expected);
}

#[test]
fn packets_for_a_namespace_not_joined_close_the_connection() {
    for packet in [
        "2/other,[\"x\"]",
        "3/other,0[]",
        "1/other,",
        "4/other,{\"message\":\"?\"}",
    ] {
        let mut conn = connected(&[("/", 1)]);
        assert_forced_close(&feed(&mut conn, at(0), text(packet)), &[("/", 1)]);
    }
    // A pending namespace is not joined yet: its events are just as invalid.
    let mut conn = connected(&[("/", 1)]);
    feed(&mut conn, at(0), text("0/wait,"));
    assert_forced_close(
        &feed(&mut conn, at(0), text("2/wait,[\"early\"]")),
        &[("/", 1)],
    );
    // A client CONNECT_ERROR is never valid.
    let mut conn = connected(&[("/", 1)]);
    assert_forced_close(
        &feed(&mut conn, at(0), text("4{\"message\":\"?\"}")),
        &[("/", 1)],
    );
}

#[test]
fn connect_on_a_connected_namespace_closes_but_on_a_pending_one_is_ignored() {
    let mut conn = connected(&[("/", 1)]);
    assert_forced_close(&feed(&mut conn, at(0), text("0")), &[("/", 1)]);

    let mut conn = new_conn();
    assert_eq!(feed(&mut conn, at(0), text("0/a,{\"try\":1}")).len(), 1);
    assert!(feed(&mut conn, at(0), text("0/a,{\"try\":2}")).is_empty());
    conn.accept(at(0), "/a", sid(1)).unwrap();
    assert_eq!(drain(&mut conn).len(), 2);
    assert!(!conn.is_closed());
}

// ---- bounds ----

#[test]
fn namespaces_per_connection_are_bounded() {
    let config = ServerConnectionConfig::default().with_max_namespaces(2);
    let mut conn = ServerConnection::new(at(0), config);
    feed(&mut conn, at(0), text("0"));
    conn.accept(at(0), "/", sid(1)).unwrap();
    feed(&mut conn, at(0), text("0/b,"));
    drain(&mut conn);
    assert_forced_close(&feed(&mut conn, at(0), text("0/c,")), &[("/", 1)]);
}

#[test]
fn awaited_acks_are_bounded_and_freed_when_resolved() {
    let config = ServerConnectionConfig::default().with_max_pending_acks(2);
    let mut conn = ServerConnection::new(at(0), config);
    join(&mut conn, "/", &sid(1));
    for _ in 0..2 {
        conn.emit_with_ack(at(0), "/", payload_event("x", &()), None)
            .unwrap();
    }
    drain(&mut conn);
    assert_eq!(
        conn.emit_with_ack(at(0), "/", payload_event("x", &()), None),
        Err(EmitError::TooManyPendingAcks { limit: 2 })
    );
    assert!(drain(&mut conn).is_empty());
    feed(&mut conn, at(0), text("30[]"));
    assert_eq!(
        conn.emit_with_ack(at(0), "/", payload_event("x", &()), None),
        Ok(2)
    );
}

#[test]
fn owed_acks_are_bounded() {
    let config = ServerConnectionConfig::default().with_max_owed_acks(2);
    let mut conn = ServerConnection::new(at(0), config);
    join(&mut conn, "/", &sid(1));
    feed(&mut conn, at(0), text("21[\"a\"]"));
    feed(&mut conn, at(0), text("22[\"b\"]"));
    // The same id again takes no new entry; no id at all takes none either.
    assert_eq!(feed(&mut conn, at(0), text("22[\"b\"]")).len(), 1);
    assert_eq!(feed(&mut conn, at(0), text("2[\"c\"]")).len(), 1);
    assert_eq!(conn.owed_ack_count("/"), 2);
    assert_forced_close(&feed(&mut conn, at(0), text("23[\"d\"]")), &[("/", 1)]);
}

#[test]
fn queued_messages_are_bounded_for_application_sends_only() {
    let config = ServerConnectionConfig::default().with_max_queued_messages(3);
    let mut conn = ServerConnection::new(at(0), config);
    join(&mut conn, "/", &sid(1));
    feed(&mut conn, at(0), text("25[\"q\"]"));
    conn.emit("/", payload_event("a", &())).unwrap();
    conn.emit("/", payload_event("b", &())).unwrap();
    let two_messages = payload_event("c", &(Bytes::from_static(b"x"),));
    assert_eq!(
        conn.emit("/", two_messages.clone()),
        Err(EmitError::QueueFull { limit: 3 })
    );
    conn.emit("/", payload_event("c", &())).unwrap();
    let full = EmitError::QueueFull { limit: 3 };
    assert_eq!(conn.emit("/", payload_event("d", &())), Err(full));
    assert_eq!(
        conn.emit_with_ack(at(0), "/", payload_event("d", &()), None),
        Err(full)
    );
    assert_eq!(conn.pending_ack_count("/"), 0);
    let encoded = Encoded::event(&ns("/"), "e", &(), None).unwrap();
    assert_eq!(conn.send_encoded("/", &encoded), Err(full));
    assert_eq!(
        conn.ack("/", 5, ack_args(&())),
        Err(AckError::QueueFull { limit: 3 })
    );
    assert_eq!(conn.owed_ack_count("/"), 1, "a refused ack stays owed");

    // Control packets are never refused.
    conn.handle_message(at(0), text("0/x,"));
    conn.reject_invalid_namespace(at(0), "/x").unwrap();
    let outputs = drain(&mut conn);
    assert_eq!(
        outputs.len(),
        3 + 2,
        "three emits, the request, the CONNECT_ERROR"
    );
    assert_eq!(
        outputs[4],
        send_text("4/x,{\"message\":\"Invalid namespace\"}")
    );

    conn.emit("/", two_messages).unwrap();
    conn.ack("/", 5, ack_args(&())).unwrap();
    assert_eq!(drain(&mut conn).len(), 3);
}

#[test]
fn attachment_count_is_bounded_by_the_decoder_config() {
    let config =
        ServerConnectionConfig::default().with_decoder(DecoderConfig { max_attachments: 1 });
    let mut conn = ServerConnection::new(at(0), config);
    join(&mut conn, "/", &sid(1));
    let outputs = feed(
        &mut conn,
        at(0),
        text("52-[\"x\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]"),
    );
    assert_eq!(
        outputs.last(),
        Some(&event(Event::Closed {
            reason: DisconnectReason::ParseError
        }))
    );
}

// ---- broadcasts ----

#[test]
fn send_encoded_hands_over_the_shared_bytes() {
    let encoded = Encoded::event(
        &ns("/"),
        "news",
        &("headline", Bytes::from_static(b"picture")),
        None,
    )
    .unwrap();
    let mut first = connected(&[("/", 1)]);
    let mut second = connected(&[("/", 2)]);
    for conn in [&mut first, &mut second] {
        conn.send_encoded("/", &encoded).unwrap();
        let outputs = drain(conn);
        let [
            Output::Send(Message::Text(packet)),
            Output::Send(Message::Binary(attachment)),
        ] = &outputs[..]
        else {
            panic!("expected the text then the attachment, got {outputs:?}");
        };
        assert_eq!(*packet, encoded.text);
        assert_eq!(
            packet.as_str().as_ptr(),
            encoded.text.as_str().as_ptr(),
            "shared, not copied"
        );
        assert_eq!(attachment.as_ptr(), encoded.attachments[0].as_ptr());
    }
    assert_eq!(
        first.send_encoded("/other", &encoded),
        Err(EmitError::NotConnected)
    );
}

// ---- the runtime's room contract ----

#[test]
fn events_keep_the_namespace_rooms_in_step() {
    fn apply(outputs: Vec<Output>, rooms: &mut HashMap<NamespaceName, Rooms>) {
        for output in outputs {
            match output {
                Output::Event(Event::Connected { namespace, socket }) => {
                    rooms.entry(namespace).or_default().add_socket(&socket);
                }
                Output::Event(Event::Disconnecting {
                    namespace, socket, ..
                }) => {
                    assert!(
                        rooms[&namespace].contains_socket(&socket),
                        "still in its rooms"
                    );
                }
                Output::Event(Event::Disconnected {
                    namespace, socket, ..
                }) => {
                    assert!(rooms.get_mut(&namespace).unwrap().del_all(&socket));
                }
                _ => {}
            }
        }
    }
    let mut rooms: HashMap<NamespaceName, Rooms> = HashMap::new();
    let mut conn = new_conn();
    for (namespace, packet, seed) in [("/", "0", 1), ("/a", "0/a,", 2)] {
        feed(&mut conn, at(0), text(packet));
        conn.accept(at(0), namespace, sid(seed)).unwrap();
        apply(drain(&mut conn), &mut rooms);
    }
    assert!(rooms[&ns("/a")].is_member(&sid(2), &sid(2)));
    rooms
        .get_mut(&ns("/a"))
        .unwrap()
        .add_all(&sid(2), ["lobby"]);
    apply(feed(&mut conn, at(0), text("1/a,")), &mut rooms);
    assert_eq!(rooms[&ns("/a")].socket_count(), 0);
    assert!(!rooms[&ns("/a")].has_room("lobby"));
    conn.handle_engine_closed(at(0), CloseReason::TransportClose);
    apply(drain(&mut conn), &mut rooms);
    assert!(rooms.values().all(|rooms| rooms.socket_count() == 0));
}

// ---- invariants over random sequences ----

const NAMESPACES: [&str; 3] = ["/", "/a", "/b"];
const NAMES: [&str; 4] = ["chat", "disconnect", "connect", "7"];
const CLOSE_REASONS: [CloseReason; 5] = [
    CloseReason::TransportClose,
    CloseReason::TransportError,
    CloseReason::PingTimeout,
    CloseReason::ForcedClose,
    CloseReason::ParseError,
];

#[derive(Clone, Debug)]
enum Op {
    /// Its target is mostly a namespace not joined yet.
    ClientConnect(Target),
    ClientEvent {
        ns: Target,
        name: usize,
        ack: Option<u8>,
        attachments: u8,
    },
    /// `awaited`: answer one of the ids the server awaits rather than `id`.
    ClientAck {
        ns: Target,
        id: u8,
        awaited: bool,
        binary: bool,
    },
    ClientDisconnect(Target),
    ClientRaw(String),
    ClientBinary,
    Accept(usize),
    Reject(usize),
    RejectInvalid(usize),
    Emit(usize, usize),
    EmitWithAck {
        ns: usize,
        timeout: Option<u16>,
    },
    /// `owed`: answer one of the ids the client asked for rather than `id`.
    Ack {
        ns: usize,
        id: u8,
        owed: bool,
    },
    SendEncoded(usize),
    Disconnect(usize),
    DisconnectAll,
    Close,
    EngineClosed(usize),
    Advance(u16),
}

/// Mostly the main namespace and ordinary names, so that sequences go deep before a violation
/// closes the connection.
fn any_ns() -> impl Strategy<Value = usize> {
    prop_oneof![6 => Just(0), 3 => Just(1), 1 => Just(2)]
}

fn name() -> impl Strategy<Value = usize> {
    prop_oneof![24 => Just(0), 6 => Just(3), 1 => Just(1), 1 => Just(2)]
}

/// Where a client packet goes: mostly a namespace the client has joined.
#[derive(Clone, Copy, Debug)]
struct Target {
    joined: bool,
    index: usize,
}

fn target() -> impl Strategy<Value = Target> {
    (proptest::bool::weighted(0.9), 0..NAMESPACES.len())
        .prop_map(|(joined, index)| Target { joined, index })
}

impl Target {
    fn resolve(self, conn: &ServerConnection) -> &'static str {
        let joined: Vec<&str> = conn
            .sockets()
            .map(|(namespace, _)| namespace.as_str())
            .collect();
        let namespace = match joined.len() {
            n if self.joined && n > 0 => joined[self.index % n],
            _ => NAMESPACES[self.index],
        };
        NAMESPACES.into_iter().find(|n| *n == namespace).unwrap()
    }

    fn resolve_unjoined(self, conn: &ServerConnection) -> &'static str {
        let free: Vec<&str> = NAMESPACES
            .into_iter()
            .filter(|n| conn.socket_id(n).is_none())
            .collect();
        match free.len() {
            n if self.joined && n > 0 => free[self.index % n],
            _ => NAMESPACES[self.index],
        }
    }
}

fn prefix(namespace: &str) -> String {
    if namespace == "/" {
        String::new()
    } else {
        format!("{namespace},")
    }
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        9 => target().prop_map(Op::ClientConnect),
        24 => (target(), name(), proptest::option::of(prop_oneof![9 => 0u8..3, 1 => 3u8..6]), 0u8..3).prop_map(
            |(ns, name, ack, attachments)| Op::ClientEvent { ns, name, ack, attachments }
        ),
        18 => (target(), 0u8..5, any::<bool>(), any::<bool>())
            .prop_map(|(ns, id, awaited, binary)| Op::ClientAck { ns, id, awaited, binary }),
        3 => target().prop_map(Op::ClientDisconnect),
        1 => "[0-6/a,\\[\\]\"1-]{0,8}".prop_map(Op::ClientRaw),
        1 => Just(Op::ClientBinary),
        15 => any_ns().prop_map(Op::Accept),
        3 => any_ns().prop_map(Op::Reject),
        3 => any_ns().prop_map(Op::RejectInvalid),
        9 => (any_ns(), name()).prop_map(|(ns, name)| Op::Emit(ns, name)),
        18 => (any_ns(), proptest::option::of(0u16..3_000))
            .prop_map(|(ns, timeout)| Op::EmitWithAck { ns, timeout }),
        15 => (any_ns(), 0u8..5, any::<bool>()).prop_map(|(ns, id, owed)| Op::Ack { ns, id, owed }),
        3 => any_ns().prop_map(Op::SendEncoded),
        3 => any_ns().prop_map(Op::Disconnect),
        1 => Just(Op::DisconnectAll),
        1 => Just(Op::Close),
        1 => (0..CLOSE_REASONS.len()).prop_map(Op::EngineClosed),
        18 => (0u16..2_000).prop_map(Op::Advance),
    ]
}

/// Random operations, mostly after the main namespace was joined.
fn ops() -> impl Strategy<Value = Vec<Op>> {
    (
        proptest::bool::weighted(0.75),
        proptest::collection::vec(op(), 0..80),
    )
        .prop_map(|(joined, mut ops)| {
            if joined {
                ops.splice(
                    0..0,
                    [
                        Op::ClientConnect(Target {
                            joined: false,
                            index: 0,
                        }),
                        Op::Accept(0),
                    ],
                );
            }
            ops
        })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SocketState {
    Connected,
    Disconnecting,
    Gone,
}

/// What the outputs have told so far, checked event by event.
#[derive(Default)]
struct Model {
    sockets: HashMap<SocketId, SocketState>,
    /// (socket, id) -> deadline, for acks awaited and not resolved yet.
    awaited: BTreeMap<(SocketId, u64), Option<Instant>>,
    resolved: BTreeSet<(SocketId, u64)>,
    owed: BTreeSet<(SocketId, u64)>,
    closed: bool,
    engine_closed_requested: bool,
}

impl Model {
    fn live(&self, socket: &SocketId) -> bool {
        matches!(self.sockets.get(socket), Some(SocketState::Connected))
    }

    fn resolve(&mut self, socket: &SocketId, id: u64, now: Instant, by_timeout: bool) {
        let key = (socket.clone(), id);
        let deadline = self.awaited.remove(&key);
        assert!(deadline.is_some(), "ack {key:?} resolved but not awaited");
        assert!(self.resolved.insert(key), "ack resolved twice");
        if by_timeout {
            let deadline = deadline.flatten().expect("timeout without a deadline");
            assert!(deadline <= now, "ack timed out early");
        }
    }

    fn check(&mut self, outputs: Vec<Output>, now: Instant) {
        for output in outputs {
            assert!(!self.closed, "output after Closed: {output:?}");
            let event = match output {
                Output::Event(event) => event,
                Output::CloseEngine => {
                    assert!(!self.engine_closed_requested, "CloseEngine twice");
                    self.engine_closed_requested = true;
                    continue;
                }
                Output::Send(_) => {
                    assert!(!self.engine_closed_requested, "send after CloseEngine");
                    continue;
                }
            };
            match &event {
                Event::Connected { socket, .. } => {
                    assert!(
                        self.sockets
                            .insert(socket.clone(), SocketState::Connected)
                            .is_none()
                    );
                }
                Event::Event {
                    socket, ack, args, ..
                } => {
                    assert!(self.live(socket));
                    let name = args.event_name().unwrap();
                    assert!(!is_reserved_event(&name), "reserved event {name} delivered");
                    if let Some(id) = ack {
                        self.owed.insert((socket.clone(), *id));
                    }
                }
                Event::Ack { socket, id, .. } => {
                    assert!(self.live(socket));
                    self.resolve(socket, *id, now, false);
                }
                Event::AckTimeout { socket, id, .. } => {
                    assert!(self.live(socket));
                    self.resolve(socket, *id, now, true);
                }
                Event::AckCancelled { socket, id, .. } => {
                    assert_eq!(self.sockets.get(socket), Some(&SocketState::Disconnecting));
                    self.resolve(socket, *id, now, false);
                }
                Event::Disconnecting { socket, .. } => {
                    assert!(
                        self.live(socket),
                        "Disconnecting for {socket} not connected"
                    );
                    self.sockets
                        .insert(socket.clone(), SocketState::Disconnecting);
                }
                Event::Disconnected { socket, .. } => {
                    assert_eq!(self.sockets.get(socket), Some(&SocketState::Disconnecting));
                    assert!(
                        !self.awaited.keys().any(|(s, _)| s == socket),
                        "acks of {socket} left unresolved"
                    );
                    self.sockets.insert(socket.clone(), SocketState::Gone);
                    self.owed.retain(|(s, _)| s != socket);
                }
                Event::ConnectRequest { .. } => {}
                Event::Closed { .. } => {
                    assert!(
                        !self.sockets.values().any(|s| *s != SocketState::Gone),
                        "Closed while sockets remain"
                    );
                    self.closed = true;
                }
            }
        }
    }
}

fn client_event(ns: &str, name: &str, ack: Option<u8>, attachments: u8) -> Vec<Message> {
    let prefix = prefix(ns);
    let ack = ack.map(|id| id.to_string()).unwrap_or_default();
    let name = if name.parse::<u32>().is_ok() {
        name.to_owned()
    } else {
        format!("\"{name}\"")
    };
    if attachments == 0 {
        return vec![text(&format!("2{prefix}{ack}[{name},1]"))];
    }
    let placeholders: Vec<String> = (0..attachments)
        .map(|i| format!(",{{\"_placeholder\":true,\"num\":{i}}}"))
        .collect();
    let mut messages = vec![text(&format!(
        "5{attachments}-{prefix}{ack}[{name}{}]",
        placeholders.concat()
    ))];
    messages.extend((0..attachments).map(|_| binary(b"data")));
    messages
}

fn run(ops: Vec<Op>) {
    let config = ServerConnectionConfig::default()
        .with_connect_timeout(Duration::from_secs(10))
        .with_max_namespaces(3)
        .with_max_pending_acks(3)
        .with_max_owed_acks(3)
        .with_max_queued_messages(6);
    let mut conn = ServerConnection::new(at(0), config);
    let mut model = Model::default();
    let mut now = at(0);
    let mut next_seed = 0u8;

    for op in ops {
        let advanced = matches!(op, Op::Advance(_));
        match op {
            Op::ClientConnect(ns) => {
                let packet = format!("0{}", prefix(ns.resolve_unjoined(&conn)));
                conn.handle_message(now, text(&packet));
            }
            Op::ClientEvent {
                ns,
                name,
                ack,
                attachments,
            } => {
                for message in client_event(ns.resolve(&conn), NAMES[name], ack, attachments) {
                    conn.handle_message(now, message);
                }
            }
            Op::ClientAck {
                ns,
                id,
                awaited,
                binary: is_binary,
            } => {
                let namespace = ns.resolve(&conn);
                let mut id = u64::from(id);
                if let (true, Some(socket)) = (awaited, conn.socket_id(namespace)) {
                    let ids: Vec<u64> = model
                        .awaited
                        .keys()
                        .filter(|(s, _)| s == socket)
                        .map(|(_, id)| *id)
                        .collect();
                    if !ids.is_empty() {
                        id = ids[id as usize % ids.len()];
                    }
                }
                let prefix = prefix(namespace);
                if is_binary {
                    conn.handle_message(
                        now,
                        text(&format!(
                            "61-{prefix}{id}[{{\"_placeholder\":true,\"num\":0}}]"
                        )),
                    );
                    conn.handle_message(now, binary(b"ack"));
                } else {
                    conn.handle_message(now, text(&format!("3{prefix}{id}[\"ok\"]")));
                }
            }
            Op::ClientDisconnect(ns) => {
                let packet = format!("1{}", prefix(ns.resolve(&conn)));
                conn.handle_message(now, text(&packet));
            }
            Op::ClientRaw(raw) => conn.handle_message(now, text(&raw)),
            Op::ClientBinary => conn.handle_message(now, binary(b"stray")),
            Op::Accept(i) => {
                next_seed = next_seed.wrapping_add(1);
                let id = SocketId::new(&format!("socket-{next_seed}-{}", model.sockets.len()));
                let pending = conn.is_pending(NAMESPACES[i]);
                assert_eq!(conn.accept(now, NAMESPACES[i], id).is_ok(), pending);
            }
            Op::Reject(i) => {
                let pending = conn.is_pending(NAMESPACES[i]);
                let data = RawJson::new("{\"why\":1}").unwrap();
                assert_eq!(
                    conn.reject(now, NAMESPACES[i], "no", Some(data)).is_ok(),
                    pending
                );
            }
            Op::RejectInvalid(i) => {
                let pending = conn.is_pending(NAMESPACES[i]);
                assert_eq!(
                    conn.reject_invalid_namespace(now, NAMESPACES[i]).is_ok(),
                    pending
                );
            }
            Op::Emit(i, name) => {
                let result = conn.emit(NAMESPACES[i], payload_event(NAMES[name], &(1, "x")));
                if is_reserved_event(NAMES[name]) {
                    assert_eq!(result, Err(EmitError::ReservedEventName));
                } else if conn.socket_id(NAMESPACES[i]).is_none() {
                    assert_eq!(result, Err(EmitError::NotConnected));
                }
            }
            Op::EmitWithAck { ns, timeout } => {
                let timeout = timeout.map(|ms| Duration::from_millis(u64::from(ms)));
                let before = conn.pending_ack_count(NAMESPACES[ns]);
                let result =
                    conn.emit_with_ack(now, NAMESPACES[ns], payload_event("q", &()), timeout);
                if let Ok(id) = result {
                    let socket = conn.socket_id(NAMESPACES[ns]).unwrap().clone();
                    assert!(model.live(&socket));
                    let key = (socket, id);
                    assert!(!model.resolved.contains(&key), "ack id reused on a socket");
                    assert!(
                        model
                            .awaited
                            .insert(key, timeout.map(|t| now + t))
                            .is_none()
                    );
                    assert_eq!(conn.pending_ack_count(NAMESPACES[ns]), before + 1);
                }
            }
            Op::Ack { ns, id, owed } => {
                let mut id = u64::from(id);
                let socket = conn.socket_id(NAMESPACES[ns]).cloned();
                if let (true, Some(socket)) = (owed, &socket) {
                    let ids: Vec<u64> = model
                        .owed
                        .iter()
                        .filter(|(s, _)| s == socket)
                        .map(|(_, id)| *id)
                        .collect();
                    if !ids.is_empty() {
                        id = ids[id as usize % ids.len()];
                    }
                }
                let result = conn.ack(NAMESPACES[ns], id, ack_args(&("r",)));
                match (&socket, result) {
                    (None, result) => assert_eq!(result, Err(AckError::NotConnected)),
                    (Some(socket), Ok(())) => {
                        assert!(
                            model.owed.remove(&(socket.clone(), id)),
                            "ack not owed accepted"
                        );
                    }
                    (Some(socket), Err(AckError::NotOwed)) => {
                        assert!(
                            !model.owed.contains(&(socket.clone(), id)),
                            "owed ack refused"
                        );
                    }
                    (Some(_), Err(error)) => assert!(matches!(error, AckError::QueueFull { .. })),
                }
            }
            Op::SendEncoded(i) => {
                let encoded = Encoded::event(&ns(NAMESPACES[i]), "b", &(), None).unwrap();
                let result = conn.send_encoded(NAMESPACES[i], &encoded);
                if conn.socket_id(NAMESPACES[i]).is_none() {
                    assert_eq!(result, Err(EmitError::NotConnected));
                }
            }
            Op::Disconnect(i) => {
                let connected = conn.socket_id(NAMESPACES[i]).is_some();
                assert_eq!(conn.disconnect(now, NAMESPACES[i]).is_ok(), connected);
            }
            Op::DisconnectAll => conn.disconnect_all(now),
            Op::Close => conn.close(now, DisconnectReason::ServerShuttingDown),
            Op::EngineClosed(i) => conn.handle_engine_closed(now, CLOSE_REASONS[i]),
            Op::Advance(ms) => {
                now = now + Duration::from_millis(u64::from(ms));
                if conn.poll_timeout().is_some_and(|deadline| deadline <= now) {
                    conn.handle_timeout(now);
                    assert!(conn.poll_timeout().is_none_or(|deadline| deadline > now));
                }
            }
        }
        model.check(drain(&mut conn), now);

        // Bounds hold after every step.
        assert!(conn.sockets().count() <= 3);
        for namespace in NAMESPACES {
            assert!(conn.pending_ack_count(namespace) <= 3);
            assert!(conn.owed_ack_count(namespace) <= 3);
        }
        assert_eq!(conn.is_closed(), model.closed);
        if advanced {
            // Every ack whose deadline passed was resolved (a timeout, or an earlier answer):
            // `poll_timeout` announced every deadline.
            assert!(
                model
                    .awaited
                    .values()
                    .all(|deadline| deadline.is_none_or(|d| d > now)),
                "overdue acks still awaited at {now:?}: {:?}",
                model.awaited
            );
        }
    }

    // Whatever happened, closing resolves everything exactly once.
    conn.close(now, DisconnectReason::ServerShuttingDown);
    model.check(drain(&mut conn), now);
    assert!(model.closed, "Closed exactly once at the end");
    assert!(
        model.awaited.is_empty(),
        "unresolved acks: {:?}",
        model.awaited
    );
    assert!(
        model
            .sockets
            .values()
            .all(|state| *state == SocketState::Gone)
    );
    assert_eq!(conn.poll_timeout(), None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn invariants_hold_for_any_input_sequence(ops in ops()) {
        run(ops);
    }
}
