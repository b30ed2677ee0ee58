//! The server connection speaking Socket.IO protocol v4 (an Engine.IO revision 3 session, as
//! `socket.io-client@2` opens), driven with the packets of the v4 protocol description.

use std::time::Duration;

use bytes::Bytes;
use engineio_proto::{Instant, Message, ProtocolVersion};
use socketio_proto::adapter::SocketId;
use socketio_proto::packet::{NamespaceName, Payload, RawJson};
use socketio_proto::server::{
    DisconnectReason, Event, Output, SOCKET_ID_RANDOM_BYTES, ServerConnection,
    ServerConnectionConfig, socket_id_from_random,
};

const ENGINE_SID: &str = "lv_VI97HAXpY6yYWAAAC";
const RANDOM: [u8; SOCKET_ID_RANDOM_BYTES] = [7; SOCKET_ID_RANDOM_BYTES];

fn at(millis: u64) -> Instant {
    Instant::from_millis(millis)
}

fn ns(name: &str) -> NamespaceName {
    NamespaceName::new(name.to_owned()).unwrap()
}

fn text(packet: &str) -> Message {
    Message::text(packet.to_owned())
}

fn send(packet: &str) -> Output {
    Output::Send(text(packet))
}

fn raw(json: &str) -> RawJson {
    RawJson::new(json.to_owned()).unwrap()
}

fn drain(conn: &mut ServerConnection) -> Vec<Output> {
    std::iter::from_fn(|| conn.poll_output()).collect()
}

fn feed(conn: &mut ServerConnection, now: Instant, message: Message) -> Vec<Output> {
    conn.handle_message(now, message);
    drain(conn)
}

fn connect_request(namespace: &str, auth: Option<&str>) -> Output {
    Output::Event(Event::ConnectRequest {
        namespace: ns(namespace),
        auth: auth.map(raw),
    })
}

fn connected(namespace: &str, socket: &str) -> Output {
    Output::Event(Event::Connected {
        namespace: ns(namespace),
        socket: SocketId::new(socket),
    })
}

fn new_conn() -> ServerConnection {
    ServerConnection::new_eio3(at(0), ServerConnectionConfig::default(), ENGINE_SID)
}

/// A connection whose implicit `/` was accepted; outputs drained.
fn joined() -> ServerConnection {
    let mut conn = new_conn();
    drain(&mut conn);
    let id = conn.new_socket_id("/", &RANDOM);
    conn.accept(at(1), "/", id).unwrap();
    drain(&mut conn);
    conn
}

#[test]
fn the_client_is_joined_to_the_main_namespace_without_asking() {
    let mut conn = new_conn();
    assert_eq!(conn.protocol_version(), ProtocolVersion::V3);
    assert!(conn.is_pending("/"));
    assert_eq!(drain(&mut conn), [connect_request("/", None)]);
    let id = conn.new_socket_id("/", &RANDOM);
    assert_eq!(
        id,
        SocketId::new(ENGINE_SID),
        "the engine sid, as the reference"
    );
    conn.accept(at(1), "/", id).unwrap();
    assert_eq!(
        drain(&mut conn),
        [send("0"), connected("/", ENGINE_SID)],
        "CONNECT without a sid"
    );
    assert_eq!(conn.socket_id("/"), Some(&SocketId::new(ENGINE_SID)));
}

#[test]
fn a_custom_namespace_gets_its_auth_from_the_query_and_a_prefixed_id() {
    let mut conn = joined();
    assert_eq!(
        feed(&mut conn, at(2), text("0/admin?token=1234&uid=ab%20cd,")),
        [connect_request(
            "/admin",
            Some(r#"{"token":"1234","uid":"ab cd"}"#)
        )]
    );
    let id = conn.new_socket_id("/admin", &RANDOM);
    assert_eq!(id.as_str(), "/admin#lv_VI97HAXpY6yYWAAAC");
    conn.accept(at(3), "/admin", id).unwrap();
    assert_eq!(
        drain(&mut conn),
        [
            send("0/admin,"),
            connected("/admin", "/admin#lv_VI97HAXpY6yYWAAAC")
        ]
    );
    // Without a query there is no auth; a JSON payload has no meaning in v4 and is ignored.
    assert_eq!(
        feed(&mut conn, at(4), text("0/chat,")),
        [connect_request("/chat", None)]
    );
    assert_eq!(
        feed(&mut conn, at(5), text(r#"0/news,{"token":"x"}"#)),
        [connect_request("/news", None)]
    );
}

#[test]
fn refusals_are_a_plain_string_or_the_error_data() {
    let mut conn = joined();
    feed(&mut conn, at(1), text("0/admin,"));
    conn.reject(at(2), "/admin", "Not authorized", None)
        .unwrap();
    assert_eq!(drain(&mut conn), [send(r#"4/admin,"Not authorized""#)]);
    feed(&mut conn, at(3), text("0/admin,"));
    conn.reject(at(4), "/admin", "no", Some(raw(r#"{"code":4}"#)))
        .unwrap();
    assert_eq!(drain(&mut conn), [send(r#"4/admin,{"code":4}"#)]);
    feed(&mut conn, at(5), text("0/nope,"));
    conn.reject_invalid_namespace(at(0), "/nope").unwrap();
    assert_eq!(drain(&mut conn), [send(r#"4/nope,"Invalid namespace""#)]);
}

#[test]
fn the_main_namespace_can_be_refused_and_the_connection_stays() {
    let mut conn = new_conn();
    drain(&mut conn);
    conn.reject(at(1), "/", "Not authorized", None).unwrap();
    assert_eq!(drain(&mut conn), [send(r#"4"Not authorized""#)]);
    assert!(!conn.is_closed());
    // A namespace asked for next works as usual.
    feed(&mut conn, at(2), text("0/other,"));
    let id = conn.new_socket_id("/other", &RANDOM);
    conn.accept(at(3), "/other", id).unwrap();
    assert_eq!(
        conn.socket_id("/other").unwrap().as_str(),
        "/other#lv_VI97HAXpY6yYWAAAC"
    );
}

#[test]
fn without_an_answer_the_connect_timeout_closes_the_connection() {
    let mut conn = new_conn();
    drain(&mut conn);
    assert_eq!(conn.poll_timeout(), Some(at(45_000)));
    conn.handle_timeout(at(45_000));
    assert_eq!(
        drain(&mut conn),
        [
            Output::CloseEngine,
            Output::Event(Event::Closed {
                reason: DisconnectReason::ForcedServerClose
            })
        ]
    );
}

#[test]
fn events_acks_and_binary_as_in_v5() {
    let mut conn = joined();
    // The sample session: an event with an ack on /admin, answered with a binary ack.
    feed(&mut conn, at(1), text("0/admin,"));
    let id = conn.new_socket_id("/admin", &RANDOM);
    conn.accept(at(1), "/admin", id.clone()).unwrap();
    drain(&mut conn);
    let outputs = feed(&mut conn, at(2), text(r#"2/admin,1["tellme"]"#));
    let [
        Output::Event(Event::Event {
            args, ack, socket, ..
        }),
    ] = &outputs[..]
    else {
        panic!("{outputs:?}")
    };
    assert_eq!(
        (args.json().as_str(), *ack, socket),
        (r#"["tellme"]"#, Some(1), &id)
    );
    let answer = Payload::new(&(Bytes::from_static(&[1, 2, 3]),)).unwrap();
    conn.ack("/admin", 1, answer).unwrap();
    assert_eq!(
        drain(&mut conn),
        [
            send(r#"61-/admin,1[{"_placeholder":true,"num":0}]"#),
            Output::Send(Message::Binary(Bytes::from_static(&[1, 2, 3])))
        ]
    );
    // An event with several arguments and an attachment from the client.
    conn.handle_message(
        at(4),
        text(r#"51-["hello",1,{"_placeholder":true,"num":0}]"#),
    );
    let outputs = feed(&mut conn, at(4), Message::Binary(Bytes::from_static(&[9])));
    let [
        Output::Event(Event::Event {
            args, ack: None, ..
        }),
    ] = &outputs[..]
    else {
        panic!("{outputs:?}")
    };
    assert_eq!(args.attachments(), [Bytes::from_static(&[9])]);
    let ack = conn
        .emit_with_ack(
            at(5),
            "/",
            Payload::event("ask", &(1, "two")).unwrap(),
            Some(Duration::from_secs(1)),
        )
        .unwrap();
    assert_eq!(drain(&mut conn), [send(r#"20["ask",1,"two"]"#)]);
    let outputs = feed(&mut conn, at(6), text("30[]"));
    assert!(
        matches!(&outputs[..], [Output::Event(Event::Ack { id, .. })] if *id == ack),
        "{outputs:?}"
    );
}

#[test]
fn a_second_connect_for_the_main_namespace_while_connected_is_an_invalid_state() {
    let mut conn = joined();
    let outputs = feed(&mut conn, at(1), text("0"));
    assert!(outputs.contains(&Output::CloseEngine), "{outputs:?}");
}

#[test]
fn v5_connections_are_untouched() {
    let mut conn = ServerConnection::new(at(0), ServerConnectionConfig::default());
    assert_eq!(conn.protocol_version(), ProtocolVersion::V4);
    assert_eq!(drain(&mut conn), [], "no implicit connection");
    assert_eq!(
        conn.new_socket_id("/", &RANDOM),
        socket_id_from_random(&RANDOM)
    );
    feed(&mut conn, at(1), text("0/admin?x=1,"));
    assert!(
        conn.is_pending("/admin?x=1"),
        "the query is part of a v5 name"
    );
    conn.reject_invalid_namespace(at(0), "/admin?x=1").unwrap();
    assert_eq!(
        drain(&mut conn),
        [send(r#"4/admin?x=1,{"message":"Invalid namespace"}"#)]
    );
}
