//! The client manager speaking Socket.IO protocol v4 (to a `socket.io@2` server, over Engine.IO
//! revision 3), driven with a fake clock and hand-written server packets.

use engineio_proto::{Instant, Message, ProtocolVersion, SessionParams};
use socketio_proto::client::{Event, Manager, ManagerConfig, Output};
use socketio_proto::packet::{NamespaceName, RawJson};

const ENGINE_SID: &str = "lv_VI97HAXpY6yYWAAAC";

fn ms(millis: u64) -> Instant {
    Instant::from_millis(millis)
}

fn ns(name: &str) -> NamespaceName {
    NamespaceName::new(name.to_owned()).unwrap()
}

fn drain(manager: &mut Manager) -> Vec<Output> {
    std::iter::from_fn(|| manager.poll_output()).collect()
}

fn sent(outputs: &[Output]) -> Vec<String> {
    outputs
        .iter()
        .filter_map(|output| match output {
            Output::Send(Message::Text(text)) => Some(text.as_str().to_owned()),
            _ => None,
        })
        .collect()
}

fn events(outputs: &[Output]) -> Vec<Event> {
    outputs
        .iter()
        .filter_map(|output| match output {
            Output::Event(event) => Some(event.clone()),
            _ => None,
        })
        .collect()
}

fn server(manager: &mut Manager, now: Instant, text: &str) -> Vec<Output> {
    manager.handle_message(now, Message::text(text.to_owned()));
    drain(manager)
}

fn connect(name: &str, sid: &str) -> Event {
    Event::Connect {
        namespace: ns(name),
        sid: sid.to_owned(),
    }
}

fn handshake() -> SessionParams {
    SessionParams::parse(&format!(
        r#"{{"sid":"{ENGINE_SID}","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000}}"#
    ))
    .unwrap()
}

fn v4_manager() -> Manager {
    let config = ManagerConfig {
        protocol: ProtocolVersion::V3,
        ..ManagerConfig::default()
    };
    Manager::new(config, 1)
}

/// A manager with sockets on `namespaces` (the first with `auth`), its engine opened at 10 ms.
fn opened(namespaces: &[(&str, Option<&str>)]) -> (Manager, Vec<Output>) {
    let mut manager = v4_manager();
    for (name, auth) in namespaces {
        let auth = auth.map(|json| RawJson::new(json.to_owned()).unwrap());
        manager.connect(ms(0), ns(name), auth).unwrap();
    }
    assert_eq!(drain(&mut manager), [Output::OpenEngine]);
    manager.handle_engine_handshake(ms(10), &handshake());
    let outputs = drain(&mut manager);
    (manager, outputs)
}

#[test]
fn the_main_namespace_sends_no_connect_and_connects_on_the_server_s() {
    let (mut manager, outputs) = opened(&[("/", None)]);
    assert_eq!(
        sent(&outputs),
        Vec::<String>::new(),
        "the server joins / unasked"
    );
    assert!(!manager.is_connected("/"));
    let outputs = server(&mut manager, ms(20), "0");
    assert_eq!(events(&outputs), [connect("/", ENGINE_SID)]);
    assert_eq!(manager.socket_id("/"), Some(ENGINE_SID));
}

#[test]
fn other_namespaces_send_their_auth_as_a_query() {
    let (mut manager, outputs) = opened(&[
        ("/", None),
        ("/admin", Some(r#"{"token":"1234","uid":"a b"}"#)),
        ("/chat", None),
    ]);
    assert_eq!(sent(&outputs), ["0/admin?token=1234&uid=a%20b,", "0/chat,"]);
    server(&mut manager, ms(20), "0");
    let outputs = server(&mut manager, ms(21), "0/admin,");
    assert_eq!(
        events(&outputs),
        [connect("/admin", "/admin#lv_VI97HAXpY6yYWAAAC")]
    );
    assert_eq!(
        manager.socket_id("/admin"),
        Some("/admin#lv_VI97HAXpY6yYWAAAC")
    );
}

#[test]
fn a_refusal_is_a_string_or_data() {
    let (mut manager, _) = opened(&[("/", None), ("/admin", None), ("/data", None)]);
    let outputs = server(&mut manager, ms(20), r#"4"Not authorized""#);
    assert_eq!(
        events(&outputs),
        [Event::ConnectError {
            namespace: ns("/"),
            message: "Not authorized".into(),
            data: None
        }]
    );
    let outputs = server(&mut manager, ms(21), r#"4/data,{"code":4}"#);
    assert_eq!(
        events(&outputs),
        [Event::ConnectError {
            namespace: ns("/data"),
            message: String::new(),
            data: Some(RawJson::new(r#"{"code":4}"#).unwrap())
        }]
    );
    // A v3 server with allowEIO3 refuses an unknown namespace with an object.
    let outputs = server(
        &mut manager,
        ms(22),
        r#"4/admin,{"message":"Invalid namespace"}"#,
    );
    let [Event::ConnectError { message, data, .. }] = &events(&outputs)[..] else {
        panic!("{outputs:?}")
    };
    assert_eq!(message, "Invalid namespace");
    assert!(data.is_some(), "nothing of the payload is lost");
}

#[test]
fn joining_the_main_namespace_after_the_server_did_connects_at_once() {
    let (mut manager, _) = opened(&[("/admin", None)]);
    // The server's implicit `/` arrives while no socket of ours wants it.
    server(&mut manager, ms(20), "0");
    manager.connect(ms(30), ns("/"), None).unwrap();
    let outputs = drain(&mut manager);
    assert_eq!(
        sent(&outputs),
        Vec::<String>::new(),
        "no CONNECT: the server has / connected"
    );
    assert_eq!(events(&outputs), [connect("/", ENGINE_SID)]);
}

#[test]
fn joining_the_main_namespace_again_after_leaving_it_sends_connect() {
    let (mut manager, _) = opened(&[("/", None), ("/admin", None)]);
    server(&mut manager, ms(20), "0");
    server(&mut manager, ms(21), "0/admin,");
    manager.disconnect(ms(30), "/");
    assert_eq!(sent(&drain(&mut manager)), ["1"]);
    manager.connect(ms(40), ns("/"), None).unwrap();
    assert_eq!(sent(&drain(&mut manager)), ["0"]);
    assert_eq!(
        events(&server(&mut manager, ms(50), "0")),
        [connect("/", ENGINE_SID)]
    );
}

#[test]
fn joining_the_main_namespace_before_the_server_s_connect_waits_for_it() {
    let mut manager = v4_manager();
    manager.connect(ms(0), ns("/admin"), None).unwrap();
    drain(&mut manager);
    manager.handle_engine_handshake(ms(10), &handshake());
    drain(&mut manager);
    manager.connect(ms(15), ns("/"), None).unwrap();
    assert_eq!(sent(&drain(&mut manager)), Vec::<String>::new());
    assert_eq!(
        events(&server(&mut manager, ms(20), "0")),
        [connect("/", ENGINE_SID)]
    );
}

#[test]
fn a_reconnected_engine_gets_the_implicit_connection_again() {
    let (mut manager, _) = opened(&[("/", None)]);
    server(&mut manager, ms(20), "0");
    manager.handle_engine_closed(ms(30), engineio_proto::client::CloseReason::TransportClose);
    let outputs = drain(&mut manager);
    assert!(!manager.is_connected("/"), "{outputs:?}");
    manager.handle_timeout(ms(30 + 5_000));
    assert_eq!(drain(&mut manager).last(), Some(&Output::OpenEngine));
    let mut handshake = handshake();
    handshake.sid = "second".into();
    manager.handle_engine_handshake(ms(5_100), &handshake);
    assert_eq!(sent(&drain(&mut manager)), Vec::<String>::new());
    let outputs = server(&mut manager, ms(5_110), "0");
    assert!(
        events(&outputs).contains(&connect("/", "second")),
        "{outputs:?}"
    );
}

#[test]
fn v5_managers_are_untouched() {
    let mut manager = Manager::new(ManagerConfig::default(), 1);
    manager.connect(ms(0), ns("/"), None).unwrap();
    drain(&mut manager);
    manager.handle_engine_handshake(ms(10), &handshake());
    assert_eq!(sent(&drain(&mut manager)), ["0"]);
    let outputs = server(&mut manager, ms(20), r#"0{"sid":"abc"}"#);
    assert_eq!(events(&outputs), [connect("/", "abc")]);
}
