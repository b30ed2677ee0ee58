//! The client manager driven with a fake clock and hand-written server packets: namespaces over one
//! engine, connect errors, events and acks both ways, buffering, ack timeouts, disconnect reasons,
//! reconnection with the reference backoff, bounds, and random input sequences.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use bytes::Bytes;
use engineio_proto::client::{CloseReason, TransportFailure};
use engineio_proto::{DecodeError, Instant, Message};
use proptest::prelude::*;
use socketio_proto::client::{
    AckError, Backoff, DisconnectReason, EmitError, EmitOptions, EngineState, Event, InvalidAuth,
    Manager, ManagerConfig, OpenFailure, Output, SplitMix64,
};
use socketio_proto::packet::{DecoderConfig, NamespaceName, Payload, RawJson};

// ---- harness ----

fn ms(millis: u64) -> Instant {
    Instant::from_millis(millis)
}

fn ns(name: &'static str) -> NamespaceName {
    NamespaceName::new(name).unwrap()
}

fn drain(manager: &mut Manager) -> Vec<Output> {
    std::iter::from_fn(|| manager.poll_output()).collect()
}

/// The messages sent, text as is and binary as `<bin:..>`.
fn sent(outputs: &[Output]) -> Vec<String> {
    outputs
        .iter()
        .filter_map(|output| match output {
            Output::Send(Message::Text(text)) => Some(text.as_str().to_owned()),
            Output::Send(Message::Binary(bytes)) => Some(format!("<bin:{:?}>", &bytes[..])),
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

fn count(outputs: &[Output], wanted: &Output) -> usize {
    outputs.iter().filter(|output| *output == wanted).count()
}

fn server(manager: &mut Manager, now: Instant, text: &str) {
    manager.handle_message(now, Message::text(text.to_owned()));
}

fn server_binary(manager: &mut Manager, now: Instant, bytes: &'static [u8]) {
    manager.handle_message(now, Message::Binary(Bytes::from_static(bytes)));
}

fn event(name: &str, args: &str) -> Payload {
    Payload::from_json(format!(r#"["{name}",{args}]"#), Vec::new()).unwrap()
}

fn args(json: &str) -> Payload {
    Payload::from_json(json.to_owned(), Vec::new()).unwrap()
}

fn auth(json: &str) -> Option<RawJson> {
    Some(RawJson::new(json.to_owned()).unwrap())
}

fn connect_answer(name: &str, sid: &str) -> String {
    if name == "/" {
        format!(r#"0{{"sid":"{sid}"}}"#)
    } else {
        format!(r#"0{name},{{"sid":"{sid}"}}"#)
    }
}

fn connect_event(name: &'static str, sid: &str) -> Event {
    Event::Connect {
        namespace: ns(name),
        sid: sid.to_owned(),
    }
}

fn disconnect_event(name: &'static str, reason: DisconnectReason) -> Event {
    Event::Disconnect {
        namespace: ns(name),
        reason,
    }
}

fn connect_error(name: &'static str, message: &str) -> Event {
    Event::ConnectError {
        namespace: ns(name),
        message: message.to_owned(),
        data: None,
    }
}

/// Fast reconnection settings without jitter, so delays are exact.
fn fixed_delays() -> ManagerConfig {
    ManagerConfig {
        reconnection_delay: Duration::from_millis(100),
        reconnection_delay_max: Duration::from_millis(1000),
        randomization_factor: 0.0,
        ..ManagerConfig::default()
    }
}

/// A manager whose engine opened at 10 ms and whose namespaces the server accepted at 20 ms with
/// sids `sid-<n>`; outputs drained.
fn connected(config: ManagerConfig, namespaces: &[&'static str]) -> Manager {
    let mut manager = Manager::new(config, 1);
    for name in namespaces {
        manager.connect(ms(0), ns(name), None).unwrap();
    }
    assert_eq!(drain(&mut manager), vec![Output::OpenEngine]);
    manager.handle_engine_open(ms(10));
    drain(&mut manager);
    for (n, name) in namespaces.iter().enumerate() {
        server(
            &mut manager,
            ms(20),
            &connect_answer(name, &format!("sid-{n}")),
        );
    }
    drain(&mut manager);
    for name in namespaces {
        assert!(manager.is_connected(name));
    }
    manager
}

/// The backo2 formula, written out independently in floating point as JavaScript computes it.
fn backo2(min_ms: f64, max_ms: f64, jitter: f64, attempt: u32, random: f64) -> u64 {
    let mut delay = min_ms * 2f64.powi(attempt as i32);
    if jitter > 0.0 {
        let deviation = (random * jitter * delay).floor();
        let even = ((random * 10.0).floor() as i64) & 1 == 0;
        delay = if even {
            delay - deviation
        } else {
            delay + deviation
        };
    }
    delay.min(max_ms) as u64
}

// ---- namespaces and connection ----

#[test]
fn main_and_custom_namespace_share_one_engine() {
    let mut manager = Manager::new(ManagerConfig::default(), 1);
    manager.connect(ms(0), ns("/"), None).unwrap();
    manager
        .connect(ms(1), ns("/admin"), auth(r#"{"token":"abc"}"#))
        .unwrap();
    // One engine for both; nothing is sent before it opens.
    assert_eq!(drain(&mut manager), vec![Output::OpenEngine]);
    assert_eq!(manager.engine_state(), EngineState::Opening);
    assert!(manager.is_active("/") && manager.is_active("/admin"));
    assert!(!manager.is_connected("/"));

    manager.handle_engine_open(ms(5));
    let out = drain(&mut manager);
    assert_eq!(sent(&out), ["0", r#"0/admin,{"token":"abc"}"#]);
    assert!(events(&out).is_empty());

    server(&mut manager, ms(6), r#"0/admin,{"sid":"admin-sid"}"#);
    server(&mut manager, ms(6), r#"0{"sid":"main-sid"}"#);
    let out = drain(&mut manager);
    assert_eq!(
        events(&out),
        [
            connect_event("/admin", "admin-sid"),
            connect_event("/", "main-sid")
        ]
    );
    assert_eq!(manager.socket_id("/"), Some("main-sid"));
    assert_eq!(manager.socket_id("/admin"), Some("admin-sid"));
    assert!(manager.is_connected("/admin"));

    // A third namespace joins the open engine at once; a repeated connect sends nothing more.
    manager.connect(ms(7), ns("/chat"), None).unwrap();
    manager.connect(ms(7), ns("/chat"), None).unwrap();
    manager.connect(ms(7), ns("/"), None).unwrap();
    assert_eq!(sent(&drain(&mut manager)), ["0/chat,"]);
    // A duplicate CONNECT answer does not connect twice.
    server(&mut manager, ms(8), r#"0/chat,{"sid":"c"}"#);
    server(&mut manager, ms(8), r#"0/chat,{"sid":"d"}"#);
    assert_eq!(events(&drain(&mut manager)), [connect_event("/chat", "c")]);
}

#[test]
fn auth_must_be_an_object() {
    let mut manager = Manager::new(ManagerConfig::default(), 1);
    assert_eq!(
        manager.connect(ms(0), ns("/"), auth(r#""token""#)),
        Err(InvalidAuth)
    );
    assert_eq!(
        manager.connect(ms(0), ns("/"), auth("[1]")),
        Err(InvalidAuth)
    );
    assert!(drain(&mut manager).is_empty());
    assert!(!manager.is_active("/"));
    assert_eq!(manager.connect(ms(0), ns("/"), auth(r#" {"a":1}"#)), Ok(()));
}

#[test]
fn connect_answer_without_sid_is_a_connect_error() {
    let mut manager = Manager::new(ManagerConfig::default(), 1);
    manager.connect(ms(0), ns("/"), None).unwrap();
    manager.handle_engine_open(ms(1));
    drain(&mut manager);
    server(&mut manager, ms(2), "0{}");
    let out = events(&drain(&mut manager));
    assert!(
        matches!(&out[..], [Event::ConnectError { message, .. }] if message.contains("v2.x")),
        "{out:?}"
    );
    assert!(!manager.is_connected("/"));
    // The bad answer answered the CONNECT: connecting again asks again.
    manager.connect(ms(3), ns("/"), None).unwrap();
    let sent: Vec<Output> = drain(&mut manager);
    assert!(
        sent.iter()
            .any(|output| matches!(output, Output::Send(Message::Text(text)) if &**text == "0")),
        "{sent:?}"
    );
}

#[test]
fn server_rejection_is_final_and_closes_an_idle_engine() {
    let mut manager = Manager::new(ManagerConfig::default(), 1);
    manager.connect(ms(0), ns("/"), None).unwrap();
    manager.connect(ms(0), ns("/admin"), None).unwrap();
    manager.handle_engine_open(ms(1));
    drain(&mut manager);
    server(&mut manager, ms(2), &connect_answer("/", "m"));
    drain(&mut manager);

    server(
        &mut manager,
        ms(3),
        r#"4/admin,{"message":"not authorized","data":{"code":42}}"#,
    );
    let out = drain(&mut manager);
    assert_eq!(
        events(&out),
        [Event::ConnectError {
            namespace: ns("/admin"),
            message: "not authorized".into(),
            data: auth(r#"{"code":42}"#),
        }]
    );
    // Another socket is still active: the engine stays.
    assert!(!out.contains(&Output::CloseEngine));
    assert!(!manager.is_active("/admin"));
    assert!(manager.is_connected("/"));

    // A transport loss afterwards re-connects only the active namespace.
    manager.handle_engine_closed(ms(4), CloseReason::TransportClose);
    drain(&mut manager);
    let at = manager.poll_timeout().unwrap();
    manager.handle_timeout(at);
    drain(&mut manager);
    manager.handle_engine_open(at);
    assert_eq!(sent(&drain(&mut manager)), ["0"]);
}

#[test]
fn rejection_of_the_last_socket_closes_without_reconnecting() {
    let mut manager = Manager::new(ManagerConfig::default(), 1);
    manager.connect(ms(0), ns("/"), None).unwrap();
    manager.handle_engine_open(ms(1));
    drain(&mut manager);
    // Older servers send a bare string.
    server(&mut manager, ms(2), r#"4"Invalid namespace""#);
    let out = drain(&mut manager);
    assert_eq!(events(&out), [connect_error("/", "Invalid namespace")]);
    assert_eq!(count(&out, &Output::CloseEngine), 1);
    assert!(!manager.is_active("/"));
    assert_eq!(manager.engine_state(), EngineState::Closed);
    assert_eq!(manager.poll_timeout(), None);
    assert!(!manager.is_reconnecting());
    // Its end, reported anyway, changes nothing.
    manager.handle_engine_closed(ms(3), CloseReason::ForcedClose);
    manager.handle_timeout(ms(100_000));
    assert!(drain(&mut manager).is_empty());
}

// ---- events and acks ----

#[test]
fn server_events_and_their_acks_are_answered_once() {
    let mut manager = connected(ManagerConfig::default(), &["/", "/admin"]);
    server(&mut manager, ms(30), r#"2["news",{"a":1}]"#);
    server(&mut manager, ms(30), r#"2/admin,7["ask","q"]"#);
    let out = events(&drain(&mut manager));
    assert_eq!(
        out,
        [
            Event::Event {
                namespace: ns("/"),
                args: event("news", r#"{"a":1}"#),
                ack: None
            },
            Event::Event {
                namespace: ns("/admin"),
                args: event("ask", r#""q""#),
                ack: Some(7)
            },
        ]
    );

    assert_eq!(manager.ack("/admin", 7, args(r#"["yes"]"#)), Ok(()));
    assert_eq!(sent(&drain(&mut manager)), [r#"3/admin,7["yes"]"#]);
    assert_eq!(
        manager.ack("/admin", 7, args(r#"["again"]"#)),
        Err(AckError::UnknownId)
    );
    // Ids are per namespace; one never asked for cannot be answered.
    assert_eq!(manager.ack("/", 7, args("[]")), Err(AckError::UnknownId));
    assert_eq!(
        manager.ack("/nope", 7, args("[]")),
        Err(AckError::NotConnected)
    );
    assert!(drain(&mut manager).is_empty());
}

#[test]
fn binary_events_and_acks_both_ways() {
    let mut manager = connected(ManagerConfig::default(), &["/", "/admin"]);
    // From the server: a binary event waits for its attachment.
    server(
        &mut manager,
        ms(30),
        r#"51-/admin,3["file",{"_placeholder":true,"num":0}]"#,
    );
    assert!(drain(&mut manager).is_empty());
    server_binary(&mut manager, ms(31), b"\x01\x02\x03");
    let out = events(&drain(&mut manager));
    let [
        Event::Event {
            namespace,
            args,
            ack: Some(3),
        },
    ] = &out[..]
    else {
        panic!("{out:?}");
    };
    assert_eq!(namespace, "/admin");
    let (name, file): (String, Bytes) = args.deserialize().unwrap();
    assert_eq!((name.as_str(), &file[..]), ("file", &b"\x01\x02\x03"[..]));

    // To the server: a binary emit with an ack, and a binary ack answer.
    let payload = Payload::event("up", &(Bytes::from_static(b"\xff"),)).unwrap();
    let id = manager
        .emit(ms(32), "/admin", payload, EmitOptions::with_ack())
        .unwrap();
    assert_eq!(id, Some(0));
    let answer = Payload::new(&(Bytes::from_static(b"\x00\x01"),)).unwrap();
    manager.ack("/admin", 3, answer).unwrap();
    assert_eq!(
        sent(&drain(&mut manager)),
        [
            r#"51-/admin,0["up",{"_placeholder":true,"num":0}]"#,
            "<bin:[255]>",
            r#"61-/admin,3[{"_placeholder":true,"num":0}]"#,
            "<bin:[0, 1]>",
        ]
    );

    // The server's binary ack resolves the emit.
    server(
        &mut manager,
        ms(33),
        r#"61-/admin,0[{"_placeholder":true,"num":0}]"#,
    );
    server_binary(&mut manager, ms(33), b"ok");
    let out = events(&drain(&mut manager));
    let [
        Event::Ack {
            namespace,
            id: 0,
            args,
        },
    ] = &out[..]
    else {
        panic!("{out:?}");
    };
    assert_eq!(namespace, "/admin");
    assert_eq!(args.attachments(), [Bytes::from_static(b"ok")]);
    assert_eq!(manager.pending_acks("/admin"), 0);
}

#[test]
fn emits_get_increasing_ack_ids_and_resolve_once() {
    let mut manager = connected(ManagerConfig::default(), &["/"]);
    let first = manager
        .emit(ms(30), "/", event("a", "1"), EmitOptions::with_ack())
        .unwrap();
    let none = manager
        .emit(ms(30), "/", event("b", "2"), EmitOptions::default())
        .unwrap();
    let second = manager
        .emit(ms(30), "/", event("c", "3"), EmitOptions::with_ack())
        .unwrap();
    assert_eq!((first, none, second), (Some(0), None, Some(1)));
    assert_eq!(
        sent(&drain(&mut manager)),
        [r#"20["a",1]"#, r#"2["b",2]"#, r#"21["c",3]"#]
    );
    server(&mut manager, ms(31), r#"31["r1"]"#);
    server(&mut manager, ms(31), r#"31["r2"]"#);
    server(&mut manager, ms(31), r#"39["unknown"]"#);
    assert_eq!(
        events(&drain(&mut manager)),
        [Event::Ack {
            namespace: ns("/"),
            id: 1,
            args: args(r#"["r1"]"#)
        }]
    );
    assert_eq!(manager.pending_acks("/"), 1);
}

#[test]
fn emit_refuses_reserved_and_nameless_events_and_unknown_namespaces() {
    let mut manager = connected(ManagerConfig::default(), &["/"]);
    for name in [
        "connect",
        "connect_error",
        "disconnect",
        "disconnecting",
        "newListener",
    ] {
        assert_eq!(
            manager.emit(ms(30), "/", event(name, "1"), EmitOptions::default()),
            Err(EmitError::ReservedEventName)
        );
    }
    assert_eq!(
        manager.emit(ms(30), "/", args("[]"), EmitOptions::default()),
        Err(EmitError::MissingEventName)
    );
    assert_eq!(
        manager.emit(ms(30), "/x", event("a", "1"), EmitOptions::default()),
        Err(EmitError::UnknownNamespace)
    );
    assert!(drain(&mut manager).is_empty());
    assert_eq!(manager.pending_acks("/"), 0);
}

// ---- buffering ----

#[test]
fn offline_emits_are_flushed_once_in_order_on_connect() {
    let mut manager = Manager::new(ManagerConfig::default(), 1);
    manager.connect(ms(0), ns("/chat"), None).unwrap();
    manager
        .emit(ms(1), "/chat", event("one", "1"), EmitOptions::default())
        .unwrap();
    assert_eq!(drain(&mut manager), [Output::OpenEngine]);
    manager.handle_engine_open(ms(2));
    assert_eq!(sent(&drain(&mut manager)), ["0/chat,"]);
    // Open engine, CONNECT unanswered: still buffered.
    let id = manager
        .emit(ms(3), "/chat", event("two", "2"), EmitOptions::with_ack())
        .unwrap();
    manager
        .emit(ms(3), "/chat", event("three", "3"), EmitOptions::default())
        .unwrap();
    assert!(drain(&mut manager).is_empty());
    assert_eq!(manager.buffered_packets("/chat"), 3);
    // An ack for an event the server has not been sent yet is bogus and ignored.
    server(&mut manager, ms(3), r#"3/chat,0["bogus"]"#);
    assert!(drain(&mut manager).is_empty());
    assert_eq!(manager.pending_acks("/chat"), 1);

    server(&mut manager, ms(4), r#"0/chat,{"sid":"s"}"#);
    let out = drain(&mut manager);
    assert_eq!(
        sent(&out),
        [
            r#"2/chat,["one",1]"#,
            r#"2/chat,0["two",2]"#,
            r#"2/chat,["three",3]"#
        ]
    );
    assert_eq!(events(&out), [connect_event("/chat", "s")]);
    // The sends come before the connect event.
    assert!(matches!(
        out.last(),
        Some(Output::Event(Event::Connect { .. }))
    ));
    assert_eq!(manager.buffered_packets("/chat"), 0);
    assert_eq!(id, Some(0));

    // Nothing is sent again after a reconnection, and the sent event's ack is cancelled.
    manager.handle_engine_closed(ms(5), CloseReason::TransportClose);
    let out = drain(&mut manager);
    assert!(events(&out).contains(&Event::AckCancelled {
        namespace: ns("/chat"),
        id: 0
    }));
    let at = manager.poll_timeout().unwrap();
    manager.handle_timeout(at);
    manager.handle_engine_open(at);
    server(&mut manager, at, r#"0/chat,{"sid":"t"}"#);
    assert_eq!(sent(&drain(&mut manager)), ["0/chat,"]);
}

#[test]
fn an_added_socket_buffers_emits_until_it_is_connected() {
    let mut manager = Manager::new(ManagerConfig::default(), 1);
    manager.add_socket(ns("/chat"));
    let id = manager
        .emit(
            ms(1),
            "/chat",
            event("early", "1"),
            EmitOptions::with_ack_timeout(Duration::from_secs(5)),
        )
        .unwrap();
    assert_eq!(
        manager.emit(ms(1), "/chat", event("gone", "0"), EmitOptions::volatile()),
        Ok(None)
    );
    // An added socket is inactive: no engine, nothing sent, events for it dropped.
    assert!(drain(&mut manager).is_empty());
    assert!(!manager.is_active("/chat"));
    assert_eq!(manager.buffered_packets("/chat"), 1);
    // Adding it again changes nothing.
    manager.add_socket(ns("/chat"));
    assert_eq!(manager.buffered_packets("/chat"), 1);

    manager.connect(ms(2), ns("/chat"), None).unwrap();
    assert_eq!(drain(&mut manager), [Output::OpenEngine]);
    manager.handle_engine_open(ms(3));
    assert_eq!(sent(&drain(&mut manager)), ["0/chat,"]);
    server(&mut manager, ms(4), r#"0/chat,{"sid":"s"}"#);
    assert_eq!(sent(&drain(&mut manager)), [r#"2/chat,0["early",1]"#]);
    server(&mut manager, ms(5), r#"3/chat,0["ok"]"#);
    assert_eq!(
        events(&drain(&mut manager)),
        [Event::Ack {
            namespace: ns("/chat"),
            id: id.unwrap(),
            args: args(r#"["ok"]"#),
        }]
    );
}

#[test]
fn volatile_emits_are_dropped_while_offline() {
    let mut manager = Manager::new(ManagerConfig::default(), 1);
    manager.connect(ms(0), ns("/"), None).unwrap();
    let volatile_ack = EmitOptions {
        volatile: true,
        with_ack: true,
        ack_timeout: Some(Duration::from_millis(10)),
    };
    assert_eq!(
        manager.emit(ms(1), "/", event("v", "1"), volatile_ack),
        Ok(None)
    );
    assert_eq!(manager.buffered_packets("/"), 0);
    assert_eq!(manager.pending_acks("/"), 0);
    manager
        .emit(ms(1), "/", event("kept", "1"), EmitOptions::default())
        .unwrap();
    manager.handle_engine_open(ms(2));
    server(&mut manager, ms(3), &connect_answer("/", "s"));
    assert_eq!(sent(&drain(&mut manager)), ["0", r#"2["kept",1]"#]);
    // No timeout was armed for the dropped emit.
    assert_eq!(manager.poll_timeout(), None);

    // Connected, a volatile emit goes out.
    manager
        .emit(ms(4), "/", event("v", "2"), EmitOptions::volatile())
        .unwrap();
    assert_eq!(sent(&drain(&mut manager)), [r#"2["v",2]"#]);
}

#[test]
fn events_received_before_the_connect_answer_are_delivered_after_it() {
    let mut manager = Manager::new(ManagerConfig::default(), 1);
    manager.connect(ms(0), ns("/"), None).unwrap();
    manager.handle_engine_open(ms(1));
    drain(&mut manager);
    server(&mut manager, ms(2), r#"25["early",1]"#);
    assert!(drain(&mut manager).is_empty());
    server(&mut manager, ms(3), &connect_answer("/", "s"));
    assert_eq!(
        events(&drain(&mut manager)),
        [
            connect_event("/", "s"),
            Event::Event {
                namespace: ns("/"),
                args: event("early", "1"),
                ack: Some(5)
            }
        ]
    );
    assert_eq!(manager.ack("/", 5, args("[]")), Ok(()));
}

#[test]
fn a_lost_connection_forgets_what_belonged_to_it() {
    let mut manager = connected(fixed_delays(), &["/"]);
    server(&mut manager, ms(30), r#"24["q"]"#);
    drain(&mut manager);
    manager.handle_engine_closed(ms(40), CloseReason::TransportClose);
    assert_eq!(manager.ack("/", 4, args("[]")), Err(AckError::NotConnected));

    // The next engine opens; an early event arrives, then that engine is lost too.
    manager.handle_timeout(ms(140));
    manager.handle_engine_open(ms(141));
    server(&mut manager, ms(142), r#"2["early",1]"#);
    manager.handle_engine_closed(ms(143), CloseReason::TransportClose);
    drain(&mut manager);

    let at = manager.poll_timeout().unwrap();
    manager.handle_timeout(at);
    manager.handle_engine_open(at);
    server(&mut manager, at, &connect_answer("/", "s2"));
    // The early event belonged to the lost session: only the connection is reported.
    let connected_events: Vec<Event> = events(&drain(&mut manager))
        .into_iter()
        .filter(|event| matches!(event, Event::Connect { .. } | Event::Event { .. }))
        .collect();
    assert_eq!(connected_events, [connect_event("/", "s2")]);
    // The old ack id cannot be answered on the new connection.
    assert_eq!(manager.ack("/", 4, args("[]")), Err(AckError::UnknownId));
    assert!(sent(&drain(&mut manager)).is_empty());
}

// ---- ack timeouts ----

#[test]
fn ack_timeout_fires_once_and_a_late_ack_is_ignored() {
    let mut manager = connected(ManagerConfig::default(), &["/"]);
    let id = manager
        .emit(
            ms(100),
            "/",
            event("slow", "1"),
            EmitOptions::with_ack_timeout(Duration::from_millis(250)),
        )
        .unwrap()
        .unwrap();
    drain(&mut manager);
    assert_eq!(manager.poll_timeout(), Some(ms(350)));
    manager.handle_timeout(ms(349));
    assert!(drain(&mut manager).is_empty());
    manager.handle_timeout(ms(350));
    assert_eq!(
        events(&drain(&mut manager)),
        [Event::AckTimeout {
            namespace: ns("/"),
            id
        }]
    );
    assert_eq!(manager.poll_timeout(), None);
    manager.handle_timeout(ms(1000));
    server(&mut manager, ms(1001), &format!(r#"3{id}["late"]"#));
    assert!(drain(&mut manager).is_empty());
    // A disconnect afterwards does not resolve it a second time.
    manager.disconnect(ms(1002), "/");
    assert!(
        !events(&drain(&mut manager))
            .iter()
            .any(|event| matches!(event, Event::AckCancelled { .. }))
    );
}

#[test]
fn an_acked_emit_disarms_its_timeout() {
    let mut manager = connected(ManagerConfig::default(), &["/"]);
    manager
        .emit(
            ms(100),
            "/",
            event("q", "1"),
            EmitOptions::with_ack_timeout(Duration::from_millis(50)),
        )
        .unwrap();
    server(&mut manager, ms(120), r#"30["ok"]"#);
    drain(&mut manager);
    assert_eq!(manager.poll_timeout(), None);
    manager.handle_timeout(ms(150));
    assert!(drain(&mut manager).is_empty());
}

#[test]
fn a_buffered_emit_whose_ack_timed_out_is_never_sent() {
    let config = ManagerConfig {
        ack_timeout: Some(Duration::from_millis(30)),
        ..ManagerConfig::default()
    };
    let mut manager = Manager::new(config, 1);
    manager.connect(ms(0), ns("/"), None).unwrap();
    // The configured default timeout applies.
    manager
        .emit(ms(0), "/", event("stale", "1"), EmitOptions::with_ack())
        .unwrap();
    manager
        .emit(ms(0), "/", event("fresh", "2"), EmitOptions::default())
        .unwrap();
    assert_eq!(manager.poll_timeout(), Some(ms(30)));
    manager.handle_timeout(ms(30));
    let out = drain(&mut manager);
    assert!(events(&out).contains(&Event::AckTimeout {
        namespace: ns("/"),
        id: 0
    }));
    manager.handle_engine_open(ms(40));
    server(&mut manager, ms(41), &connect_answer("/", "s"));
    assert_eq!(sent(&drain(&mut manager)), ["0", r#"2["fresh",2]"#]);
}

// ---- disconnect reasons ----

#[test]
fn server_disconnect_does_not_reconnect() {
    let mut manager = connected(ManagerConfig::default(), &["/"]);
    manager
        .emit(ms(30), "/", event("q", "1"), EmitOptions::with_ack())
        .unwrap();
    drain(&mut manager);
    server(&mut manager, ms(40), "1");
    let out = drain(&mut manager);
    assert_eq!(
        events(&out),
        [
            disconnect_event("/", DisconnectReason::IoServerDisconnect),
            Event::AckCancelled {
                namespace: ns("/"),
                id: 0
            }
        ]
    );
    assert_eq!(out.last(), Some(&Output::CloseEngine));
    assert!(!manager.is_active("/") && !manager.is_connected("/"));
    assert_eq!(manager.socket_id("/"), None);
    assert_eq!(manager.poll_timeout(), None);
    manager.handle_timeout(ms(100_000));
    assert!(drain(&mut manager).is_empty());
    assert!(!DisconnectReason::IoServerDisconnect.reconnects());
    assert_eq!(
        DisconnectReason::IoServerDisconnect.as_str(),
        "io server disconnect"
    );
}

#[test]
fn server_disconnect_of_one_namespace_keeps_the_others() {
    let mut manager = connected(ManagerConfig::default(), &["/", "/admin"]);
    server(&mut manager, ms(40), "1/admin,");
    let out = drain(&mut manager);
    assert_eq!(
        events(&out),
        [disconnect_event(
            "/admin",
            DisconnectReason::IoServerDisconnect
        )]
    );
    assert!(!out.contains(&Output::CloseEngine));
    assert!(manager.is_connected("/"));
    assert_eq!(manager.engine_state(), EngineState::Open);
}

#[test]
fn transport_losses_reconnect_with_their_reason() {
    let cases = [
        (
            CloseReason::TransportClose,
            DisconnectReason::TransportClose,
        ),
        (CloseReason::PingTimeout, DisconnectReason::PingTimeout),
        (
            CloseReason::TransportError(TransportFailure::Network),
            DisconnectReason::TransportError,
        ),
        (
            CloseReason::ParseError(DecodeError::Empty),
            DisconnectReason::ParseError,
        ),
    ];
    for (close, reason) in cases {
        let mut manager = connected(fixed_delays(), &["/", "/admin"]);
        manager.handle_engine_closed(ms(50), close.clone());
        let out = drain(&mut manager);
        assert_eq!(
            events(&out),
            [
                disconnect_event("/", reason),
                disconnect_event("/admin", reason)
            ],
            "{close:?}"
        );
        // The engine is already gone: nothing to close.
        assert!(!out.contains(&Output::CloseEngine));
        assert!(reason.reconnects());
        assert!(manager.is_active("/") && !manager.is_connected("/"));
        assert!(manager.is_reconnecting());
        assert_eq!(manager.poll_timeout(), Some(ms(150)));
    }
}

#[test]
fn undecodable_server_data_closes_the_engine_with_parse_error() {
    let mut manager = connected(fixed_delays(), &["/"]);
    server(&mut manager, ms(50), "9nonsense");
    let out = drain(&mut manager);
    assert_eq!(out[0], Output::CloseEngine);
    assert_eq!(
        events(&out),
        [disconnect_event("/", DisconnectReason::ParseError)]
    );
    assert_eq!(manager.poll_timeout(), Some(ms(150)));
    // So does an attachment nobody announced.
    let mut manager = connected(fixed_delays(), &["/"]);
    server_binary(&mut manager, ms(50), b"stray");
    assert_eq!(drain(&mut manager)[0], Output::CloseEngine);
    assert!(manager.is_active("/") && manager.is_reconnecting());
}

#[test]
fn client_disconnect_of_the_last_namespace_closes_the_engine() {
    let mut manager = connected(ManagerConfig::default(), &["/", "/admin"]);
    manager
        .emit(ms(30), "/admin", event("q", "1"), EmitOptions::with_ack())
        .unwrap();
    drain(&mut manager);
    manager.disconnect(ms(40), "/admin");
    let out = drain(&mut manager);
    assert_eq!(sent(&out), ["1/admin,"]);
    assert_eq!(
        events(&out),
        [
            disconnect_event("/admin", DisconnectReason::IoClientDisconnect),
            Event::AckCancelled {
                namespace: ns("/admin"),
                id: 0
            }
        ]
    );
    assert!(!out.contains(&Output::CloseEngine));
    assert!(!manager.is_active("/admin"));
    // A late ack for the disconnected socket is ignored.
    server(&mut manager, ms(41), r#"3/admin,0["late"]"#);
    assert!(drain(&mut manager).is_empty());

    manager.disconnect(ms(50), "/");
    let out = drain(&mut manager);
    assert_eq!(sent(&out), ["1"]);
    assert_eq!(out.last(), Some(&Output::CloseEngine));
    assert_eq!(manager.engine_state(), EngineState::Closed);
    assert_eq!(manager.poll_timeout(), None);
    // Disconnecting again, or an unknown namespace, does nothing.
    manager.disconnect(ms(51), "/");
    manager.disconnect(ms(51), "/nope");
    assert!(drain(&mut manager).is_empty());

    // Connecting again starts a new engine.
    manager.connect(ms(60), ns("/admin"), None).unwrap();
    assert_eq!(drain(&mut manager), [Output::OpenEngine]);
}

#[test]
fn disconnect_while_opening_closes_the_attempt() {
    let mut manager = Manager::new(ManagerConfig::default(), 1);
    manager.connect(ms(0), ns("/"), None).unwrap();
    drain(&mut manager);
    manager.disconnect(ms(1), "/");
    let out = drain(&mut manager);
    assert_eq!(out, [Output::CloseEngine]);
    assert_eq!(manager.poll_timeout(), None);
    // The stale open is ignored.
    manager.handle_engine_open(ms(2));
    assert!(drain(&mut manager).is_empty());
}

#[test]
fn close_disconnects_everything_without_reconnecting() {
    let mut manager = connected(ManagerConfig::default(), &["/", "/admin"]);
    manager
        .emit(ms(30), "/", event("q", "1"), EmitOptions::with_ack())
        .unwrap();
    drain(&mut manager);
    manager.close(ms(40));
    let out = drain(&mut manager);
    assert_eq!(sent(&out), ["1", "1/admin,"]);
    assert_eq!(
        events(&out),
        [
            disconnect_event("/", DisconnectReason::IoClientDisconnect),
            Event::AckCancelled {
                namespace: ns("/"),
                id: 0
            },
            disconnect_event("/admin", DisconnectReason::IoClientDisconnect),
        ]
    );
    assert_eq!(out.last(), Some(&Output::CloseEngine));
    assert!(!manager.is_active("/") && !manager.is_active("/admin"));
    manager.handle_engine_closed(ms(41), CloseReason::ForcedClose);
    manager.handle_timeout(ms(100_000));
    assert!(drain(&mut manager).is_empty());
    assert_eq!(manager.poll_timeout(), None);
}

#[test]
fn runtime_closing_the_engine_is_a_client_close() {
    let mut manager = connected(ManagerConfig::default(), &["/"]);
    manager.handle_engine_closed(ms(40), CloseReason::ForcedClose);
    let out = drain(&mut manager);
    assert_eq!(
        events(&out),
        [disconnect_event("/", DisconnectReason::IoClientDisconnect)]
    );
    // Nothing to send or close: the engine is gone.
    assert!(sent(&out).is_empty() && !out.contains(&Output::CloseEngine));
    assert!(!manager.is_active("/"));
    assert_eq!(manager.poll_timeout(), None);
}

#[test]
fn no_reconnection_when_disabled() {
    let config = ManagerConfig {
        reconnection: false,
        ..ManagerConfig::default()
    };
    let mut manager = connected(config.clone(), &["/"]);
    manager.handle_engine_closed(ms(40), CloseReason::TransportClose);
    assert_eq!(
        events(&drain(&mut manager)),
        [disconnect_event("/", DisconnectReason::TransportClose)]
    );
    // Still active, as in the reference: a later connect reopens.
    assert!(manager.is_active("/"));
    assert_eq!(manager.poll_timeout(), None);
    assert!(!manager.is_reconnecting());

    // A failed first attempt does not retry either.
    let mut manager = Manager::new(config, 1);
    manager.connect(ms(0), ns("/"), None).unwrap();
    manager.handle_engine_closed(
        ms(1),
        CloseReason::TransportError(TransportFailure::Network),
    );
    assert_eq!(
        events(&drain(&mut manager)),
        [connect_error("/", "transport error")]
    );
    assert_eq!(manager.poll_timeout(), None);
}

// ---- reconnection ----

#[test]
fn reconnection_reconnects_every_active_namespace_with_its_auth() {
    let mut manager = Manager::new(fixed_delays(), 1);
    manager.connect(ms(0), ns("/"), auth(r#"{"t":1}"#)).unwrap();
    manager
        .connect(ms(0), ns("/admin"), auth(r#"{"t":2}"#))
        .unwrap();
    manager.connect(ms(0), ns("/gone"), None).unwrap();
    manager.handle_engine_open(ms(1));
    for (name, sid) in [("/", "a"), ("/admin", "b"), ("/gone", "c")] {
        server(&mut manager, ms(2), &connect_answer(name, sid));
    }
    manager.disconnect(ms(3), "/gone");
    // An emit buffered during the outage goes out after the reconnection.
    manager.handle_engine_closed(ms(10), CloseReason::PingTimeout);
    drain(&mut manager);
    manager
        .emit(
            ms(11),
            "/admin",
            event("queued", "1"),
            EmitOptions::default(),
        )
        .unwrap();
    assert!(!manager.is_connected("/"));

    assert_eq!(manager.poll_timeout(), Some(ms(110)));
    manager.handle_timeout(ms(109));
    assert!(drain(&mut manager).is_empty());
    manager.handle_timeout(ms(110));
    assert_eq!(
        drain(&mut manager),
        [
            Output::Event(Event::ReconnectAttempt(1)),
            Output::OpenEngine
        ]
    );
    manager.handle_engine_open(ms(120));
    let out = drain(&mut manager);
    assert_eq!(sent(&out), [r#"0{"t":1}"#, r#"0/admin,{"t":2}"#]);
    assert_eq!(events(&out), [Event::Reconnect(1)]);
    server(&mut manager, ms(121), &connect_answer("/", "a2"));
    server(&mut manager, ms(121), &connect_answer("/admin", "b2"));
    let out = drain(&mut manager);
    assert_eq!(sent(&out), [r#"2/admin,["queued",1]"#]);
    assert_eq!(
        events(&out),
        [connect_event("/", "a2"), connect_event("/admin", "b2")]
    );
    assert_eq!(manager.socket_id("/"), Some("a2"));
    assert!(!manager.is_reconnecting());
}

#[test]
fn reconnect_events_and_the_attempt_limit() {
    let config = ManagerConfig {
        reconnection_attempts: Some(3),
        ..fixed_delays()
    };
    let mut manager = connected(config, &["/"]);
    manager.handle_engine_closed(ms(0), CloseReason::TransportClose);
    drain(&mut manager);
    let failure = CloseReason::TransportError(TransportFailure::HttpStatus(502));
    let mut now = ms(0);
    for attempt in 1..=3u32 {
        let at = manager.poll_timeout().unwrap();
        // Exponential: 100, 200, 400 ms after each failure.
        assert_eq!(at - now, Duration::from_millis(100 << (attempt - 1)));
        now = at;
        manager.handle_timeout(now);
        assert_eq!(
            drain(&mut manager),
            [
                Output::Event(Event::ReconnectAttempt(attempt)),
                Output::OpenEngine
            ]
        );
        manager.handle_engine_closed(now, failure.clone());
        let mut expected = vec![
            connect_error("/", "transport error"),
            Event::ReconnectError(OpenFailure::Closed(failure.clone())),
        ];
        if attempt == 3 {
            expected.push(Event::ReconnectFailed);
        }
        assert_eq!(events(&drain(&mut manager)), expected);
    }
    assert_eq!(manager.poll_timeout(), None);
    assert!(!manager.is_reconnecting());
    assert!(manager.is_active("/"));
    manager.handle_timeout(ms(1_000_000));
    assert!(drain(&mut manager).is_empty());

    // Connecting again starts over, with the backoff reset.
    manager.connect(now, ns("/"), None).unwrap();
    assert_eq!(drain(&mut manager), [Output::OpenEngine]);
    manager.handle_engine_closed(now, failure.clone());
    assert_eq!(
        events(&drain(&mut manager)),
        [connect_error("/", "transport error")]
    );
    assert_eq!(
        manager.poll_timeout(),
        Some(now + Duration::from_millis(100))
    );
}

#[test]
fn zero_attempts_gives_up_at_once() {
    let config = ManagerConfig {
        reconnection_attempts: Some(0),
        ..fixed_delays()
    };
    let mut manager = connected(config, &["/"]);
    manager.handle_engine_closed(ms(0), CloseReason::TransportClose);
    assert_eq!(
        events(&drain(&mut manager)),
        [
            disconnect_event("/", DisconnectReason::TransportClose),
            Event::ReconnectFailed
        ]
    );
    assert_eq!(manager.poll_timeout(), None);
}

#[test]
fn backoff_resets_after_a_successful_reconnection() {
    let mut manager = connected(fixed_delays(), &["/"]);
    manager.handle_engine_closed(ms(0), CloseReason::TransportClose);
    let mut now = ms(0);
    for _ in 0..2 {
        now = manager.poll_timeout().unwrap();
        manager.handle_timeout(now);
        manager.handle_engine_closed(now, CloseReason::TransportError(TransportFailure::Network));
    }
    let at = manager.poll_timeout().unwrap();
    assert_eq!(at - now, Duration::from_millis(400));
    manager.handle_timeout(at);
    drain(&mut manager);
    manager.handle_engine_open(at);
    assert_eq!(events(&drain(&mut manager)), [Event::Reconnect(3)]);
    server(&mut manager, at, &connect_answer("/", "s"));
    drain(&mut manager);

    manager.handle_engine_closed(at, CloseReason::TransportClose);
    drain(&mut manager);
    assert_eq!(
        manager.poll_timeout(),
        Some(at + Duration::from_millis(100))
    );
    manager.handle_timeout(at + Duration::from_millis(100));
    assert!(drain(&mut manager).contains(&Output::Event(Event::ReconnectAttempt(1))));
}

#[test]
fn delays_are_capped_by_the_maximum() {
    let mut manager = connected(fixed_delays(), &["/"]);
    manager.handle_engine_closed(ms(0), CloseReason::TransportClose);
    let mut now = ms(0);
    let mut delays = Vec::new();
    for _ in 0..7 {
        let at = manager.poll_timeout().unwrap();
        delays.push((at - now).as_millis());
        now = at;
        manager.handle_timeout(now);
        manager.handle_engine_closed(now, CloseReason::TransportClose);
    }
    assert_eq!(delays, [100, 200, 400, 800, 1000, 1000, 1000]);
}

#[test]
fn a_connection_attempt_that_does_not_open_in_time_is_abandoned() {
    let config = ManagerConfig {
        timeout: Some(Duration::from_millis(500)),
        ..fixed_delays()
    };
    let mut manager = Manager::new(config, 1);
    manager.connect(ms(0), ns("/"), None).unwrap();
    manager.connect(ms(0), ns("/admin"), None).unwrap();
    assert_eq!(drain(&mut manager), [Output::OpenEngine]);
    assert_eq!(manager.poll_timeout(), Some(ms(500)));
    manager.handle_timeout(ms(499));
    assert!(drain(&mut manager).is_empty());
    manager.handle_timeout(ms(500));
    let out = drain(&mut manager);
    assert_eq!(out[0], Output::CloseEngine);
    // The first attempt's failure starts the reconnection loop without a reconnect_error.
    assert_eq!(
        events(&out),
        [
            connect_error("/", "timeout"),
            connect_error("/admin", "timeout")
        ]
    );
    assert_eq!(manager.engine_state(), EngineState::Closed);
    assert_eq!(manager.poll_timeout(), Some(ms(600)));
    // The abandoned engine's late open is ignored.
    manager.handle_engine_open(ms(550));
    assert!(drain(&mut manager).is_empty());

    // A reconnection attempt that times out is a reconnect_error.
    manager.handle_timeout(ms(600));
    drain(&mut manager);
    assert_eq!(manager.poll_timeout(), Some(ms(1100)));
    manager.handle_timeout(ms(1100));
    let out = drain(&mut manager);
    assert_eq!(out[0], Output::CloseEngine);
    assert!(events(&out).contains(&Event::ReconnectError(OpenFailure::Timeout)));
    assert_eq!(manager.poll_timeout(), Some(ms(1300)));
}

#[test]
fn no_attempt_timeout_when_disabled() {
    let config = ManagerConfig {
        timeout: None,
        ..ManagerConfig::default()
    };
    let mut manager = Manager::new(config, 1);
    manager.connect(ms(0), ns("/"), None).unwrap();
    drain(&mut manager);
    assert_eq!(manager.poll_timeout(), None);
    manager.handle_timeout(ms(10_000_000));
    assert!(drain(&mut manager).is_empty());
    assert_eq!(manager.engine_state(), EngineState::Opening);
}

#[test]
fn connect_during_the_reconnection_delay_waits_for_the_attempt() {
    let mut manager = connected(fixed_delays(), &["/"]);
    manager.handle_engine_closed(ms(0), CloseReason::TransportClose);
    drain(&mut manager);
    manager.connect(ms(10), ns("/late"), None).unwrap();
    assert!(drain(&mut manager).is_empty());
    manager.handle_timeout(ms(100));
    drain(&mut manager);
    manager.handle_engine_open(ms(101));
    assert_eq!(sent(&drain(&mut manager)), ["0", "0/late,"]);
}

// ---- backoff formula ----

#[test]
fn splitmix64_matches_the_reference_vectors() {
    let mut rng = SplitMix64::new(0);
    assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
    assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    assert_eq!(rng.next_u64(), 0x06C4_5D18_8009_454F);
}

#[test]
fn backoff_jitter_rounds_and_picks_a_side_as_the_reference() {
    let backoff = Backoff::new(
        Duration::from_millis(1000),
        Duration::from_millis(5000),
        0.5,
    );
    // floor(0.25 * 10) = 2 (even): 1000 - floor(0.25 * 0.5 * 1000) = 875.
    assert_eq!(backoff.delay(0, 0.25), Duration::from_millis(875));
    // floor(0.35 * 10) = 3 (odd): 2000 + floor(0.35 * 0.5 * 2000) = 2350.
    assert_eq!(backoff.delay(1, 0.35), Duration::from_millis(2350));
    // 4000 + 1960 capped at 5000.
    assert_eq!(backoff.delay(2, 0.98), Duration::from_millis(5000));
    assert_eq!(backoff.delay(0, 0.0), Duration::from_millis(1000));
    // Jitter outside (0, 1] is off, as in the reference.
    for jitter in [0.0, -1.0, 1.5, f64::NAN] {
        let plain = Backoff::new(Duration::from_millis(100), Duration::from_secs(10), jitter);
        assert_eq!(plain.delay(3, 0.77), Duration::from_millis(800));
    }
    // Huge attempt numbers stay capped.
    assert_eq!(backoff.delay(5000, 0.3), Duration::from_millis(5000));
}

proptest! {
    #[test]
    fn backoff_matches_backo2_and_stays_in_range(
        seed in any::<u64>(),
        min_ms in 1u64..5_000,
        extra_ms in 0u64..60_000,
        jitter in 0.01f64..=1.0,
        draws in 1usize..40,
    ) {
        let max_ms = min_ms + extra_ms;
        let mut backoff = Backoff::new(
            Duration::from_millis(min_ms),
            Duration::from_millis(max_ms),
            jitter,
        );
        let mut rng = SplitMix64::new(seed);
        let mut reference_rng = SplitMix64::new(seed);
        for attempt in 0..draws as u32 {
            let delay = backoff.next_delay(&mut rng).as_millis() as u64;
            let random = reference_rng.next_f64();
            let expected = backo2(min_ms as f64, max_ms as f64, jitter, attempt, random);
            prop_assert_eq!(delay, expected);
            let base = min_ms as f64 * 2f64.powi(attempt as i32);
            let low = (base * (1.0 - jitter)).floor().min(max_ms as f64) as u64;
            let high = (base * (1.0 + jitter)).min(max_ms as f64) as u64;
            prop_assert!(delay >= low && delay <= high, "{} not in {}..={}", delay, low, high);
            prop_assert!(delay <= max_ms);
        }
        prop_assert_eq!(backoff.attempts(), draws as u32);
    }

    #[test]
    fn the_manager_waits_the_seeded_backoff_delays(seed in any::<u64>()) {
        let mut manager = connected_with_seed(seed);
        manager.handle_engine_closed(ms(0), CloseReason::TransportClose);
        drain(&mut manager);
        let mut reference_rng = SplitMix64::new(seed);
        let mut now = ms(0);
        for attempt in 0..12u32 {
            let expected = backo2(1000.0, 5000.0, 0.5, attempt, reference_rng.next_f64());
            let at = manager.poll_timeout().unwrap();
            prop_assert_eq!(at - now, Duration::from_millis(expected));
            now = at;
            manager.handle_timeout(now);
            prop_assert_eq!(
                drain(&mut manager),
                vec![Output::Event(Event::ReconnectAttempt(attempt + 1)), Output::OpenEngine]
            );
            manager.handle_engine_closed(now, CloseReason::TransportError(TransportFailure::Network));
            drain(&mut manager);
        }
    }
}

fn connected_with_seed(seed: u64) -> Manager {
    let mut manager = Manager::new(ManagerConfig::default(), seed);
    manager.connect(ms(0), ns("/"), None).unwrap();
    manager.handle_engine_open(ms(0));
    server(&mut manager, ms(0), &connect_answer("/", "s"));
    drain(&mut manager);
    manager
}

// ---- bounds ----

#[test]
fn the_send_buffer_is_bounded() {
    let config = ManagerConfig {
        max_buffered_packets: 2,
        ..ManagerConfig::default()
    };
    let mut manager = Manager::new(config, 1);
    manager.connect(ms(0), ns("/"), None).unwrap();
    for n in 0..2 {
        manager
            .emit(
                ms(0),
                "/",
                event("e", &n.to_string()),
                EmitOptions::default(),
            )
            .unwrap();
    }
    assert_eq!(
        manager.emit(ms(0), "/", event("e", "2"), EmitOptions::with_ack()),
        Err(EmitError::BufferFull)
    );
    // The refused emit armed no ack.
    assert_eq!(manager.pending_acks("/"), 0);
    assert_eq!(manager.buffered_packets("/"), 2);
    manager.handle_engine_open(ms(1));
    server(&mut manager, ms(2), &connect_answer("/", "s"));
    drain(&mut manager);
    // Connected, emits are no longer limited by the buffer.
    for n in 0..5 {
        manager
            .emit(
                ms(3),
                "/",
                event("e", &n.to_string()),
                EmitOptions::default(),
            )
            .unwrap();
    }
}

#[test]
fn pending_acks_are_bounded() {
    let config = ManagerConfig {
        max_pending_acks: 2,
        ..ManagerConfig::default()
    };
    let mut manager = connected(config, &["/"]);
    manager
        .emit(ms(30), "/", event("a", "1"), EmitOptions::with_ack())
        .unwrap();
    manager
        .emit(ms(30), "/", event("a", "2"), EmitOptions::with_ack())
        .unwrap();
    drain(&mut manager);
    assert_eq!(
        manager.emit(ms(30), "/", event("a", "3"), EmitOptions::with_ack()),
        Err(EmitError::TooManyPendingAcks)
    );
    assert!(drain(&mut manager).is_empty());
    // Without an ack it still goes out; once an ack resolves there is room again.
    assert_eq!(
        manager.emit(ms(30), "/", event("a", "4"), EmitOptions::default()),
        Ok(None)
    );
    server(&mut manager, ms(31), "30[]");
    assert_eq!(
        manager.emit(ms(32), "/", event("a", "5"), EmitOptions::with_ack()),
        Ok(Some(2))
    );
}

#[test]
fn unanswered_server_acks_are_bounded_forgetting_the_oldest() {
    let config = ManagerConfig {
        max_unanswered_acks: 2,
        ..ManagerConfig::default()
    };
    let mut manager = connected(config, &["/"]);
    for id in 1..=3 {
        server(&mut manager, ms(30), &format!(r#"2{id}["q"]"#));
    }
    drain(&mut manager);
    assert_eq!(manager.ack("/", 1, args("[]")), Err(AckError::UnknownId));
    assert_eq!(manager.ack("/", 2, args("[]")), Ok(()));
    assert_eq!(manager.ack("/", 3, args("[]")), Ok(()));
}

#[test]
fn a_repeated_server_ack_id_does_not_push_out_another() {
    // Found by the `socketio_client_manager` fuzz target.
    let config = ManagerConfig {
        max_unanswered_acks: 2,
        ..ManagerConfig::default()
    };
    let mut manager = connected(config, &["/"]);
    server(&mut manager, ms(30), r#"20["a"]"#);
    server(&mut manager, ms(30), r#"21["b"]"#);
    server(&mut manager, ms(30), r#"21["b"]"#);
    drain(&mut manager);
    assert_eq!(manager.ack("/", 0, args("[]")), Ok(()));
    assert_eq!(manager.ack("/", 1, args("[]")), Ok(()));
    assert_eq!(manager.ack("/", 1, args("[]")), Err(AckError::UnknownId));
}

#[test]
fn early_events_are_bounded() {
    let config = ManagerConfig {
        max_buffered_packets: 2,
        ..ManagerConfig::default()
    };
    let mut manager = Manager::new(config, 1);
    manager.connect(ms(0), ns("/"), None).unwrap();
    manager.handle_engine_open(ms(1));
    for n in 0..5 {
        server(&mut manager, ms(2), &format!(r#"2["early",{n}]"#));
    }
    drain(&mut manager);
    server(&mut manager, ms(3), &connect_answer("/", "s"));
    let delivered: Vec<Event> = events(&drain(&mut manager))
        .into_iter()
        .filter(|event| matches!(event, Event::Event { .. }))
        .collect();
    assert_eq!(
        delivered,
        [
            Event::Event {
                namespace: ns("/"),
                args: event("early", "0"),
                ack: None
            },
            Event::Event {
                namespace: ns("/"),
                args: event("early", "1"),
                ack: None
            },
        ]
    );
}

#[test]
fn the_decoder_limit_applies() {
    let config = ManagerConfig {
        decoder: DecoderConfig { max_attachments: 1 },
        ..fixed_delays()
    };
    let mut manager = connected(config, &["/"]);
    server(
        &mut manager,
        ms(30),
        r#"52-["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
    );
    let out = drain(&mut manager);
    assert_eq!(out[0], Output::CloseEngine);
    assert_eq!(
        events(&out),
        [disconnect_event("/", DisconnectReason::ParseError)]
    );
}

#[test]
fn packets_for_unknown_or_inactive_namespaces_are_dropped() {
    let mut manager = connected(ManagerConfig::default(), &["/"]);
    server(&mut manager, ms(30), r#"2/other,["x"]"#);
    server(&mut manager, ms(30), r#"0/other,{"sid":"x"}"#);
    server(&mut manager, ms(30), "1/other,");
    assert!(drain(&mut manager).is_empty());
    assert!(manager.is_connected("/"));
    // Messages while no engine is open are stale and ignored.
    let mut idle = Manager::new(ManagerConfig::default(), 1);
    server(&mut idle, ms(0), r#"2["x"]"#);
    idle.handle_engine_open(ms(0));
    idle.handle_engine_closed(ms(0), CloseReason::TransportClose);
    idle.handle_timeout(ms(1_000_000));
    assert!(drain(&mut idle).is_empty());
}

// ---- random input sequences ----

const NAMESPACES: [&str; 3] = ["/", "/chat", "/other"];

#[derive(Clone, Debug)]
enum ServerKind {
    ConnectOk,
    Rejection,
    Disconnect,
    Event(Option<u64>),
    Ack(u64),
    BinaryEvent,
    BinaryAck(u64),
    Garbage,
}

#[derive(Clone, Debug)]
enum Op {
    Connect(usize, bool),
    Disconnect(usize),
    Emit {
        namespace: usize,
        volatile: bool,
        with_ack: bool,
        timeout: Option<u64>,
        binary: bool,
    },
    Ack(usize, u64),
    Close,
    EngineOpen,
    EngineClosed(u8),
    Server(usize, ServerKind),
    Attachment,
    /// Waits for a pending reconnection, then the engine opens and the server accepts every
    /// namespace: reaches the connected states often.
    Establish,
    Advance(u64),
    Deadline,
}

fn server_kind() -> impl Strategy<Value = ServerKind> {
    prop_oneof![
        3 => Just(ServerKind::ConnectOk),
        1 => Just(ServerKind::Rejection),
        1 => Just(ServerKind::Disconnect),
        3 => proptest::option::of(0u64..4).prop_map(ServerKind::Event),
        6 => (0u64..3).prop_map(ServerKind::Ack),
        2 => Just(ServerKind::BinaryEvent),
        2 => (0u64..3).prop_map(ServerKind::BinaryAck),
        1 => Just(ServerKind::Garbage),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0usize..3, any::<bool>()).prop_map(|(n, auth)| Op::Connect(n, auth)),
        1 => (0usize..3).prop_map(Op::Disconnect),
        6 => (0usize..3, any::<bool>(), any::<bool>(), proptest::option::of(1u64..400), any::<bool>())
            .prop_map(|(namespace, volatile, with_ack, timeout, binary)| Op::Emit {
                namespace, volatile, with_ack, timeout, binary,
            }),
        1 => (0usize..3, 0u64..4).prop_map(|(n, id)| Op::Ack(n, id)),
        1 => Just(Op::Close),
        3 => Just(Op::EngineOpen),
        1 => (0u8..5).prop_map(Op::EngineClosed),
        8 => (0usize..3, server_kind()).prop_map(|(n, kind)| Op::Server(n, kind)),
        1 => Just(Op::Attachment),
        3 => Just(Op::Establish),
        2 => (0u64..300).prop_map(Op::Advance),
        2 => Just(Op::Deadline),
    ]
}

fn server_text(namespace: &str, kind: &ServerKind) -> String {
    let prefix = if namespace == "/" {
        String::new()
    } else {
        format!("{namespace},")
    };
    match kind {
        ServerKind::ConnectOk => format!(r#"0{prefix}{{"sid":"s"}}"#),
        ServerKind::Rejection => format!(r#"4{prefix}{{"message":"no"}}"#),
        ServerKind::Disconnect => format!("1{prefix}"),
        ServerKind::Event(ack) => {
            let id = ack.map(|id| id.to_string()).unwrap_or_default();
            format!(r#"2{prefix}{id}["ev",1]"#)
        }
        ServerKind::Ack(id) => format!(r#"3{prefix}{id}["ok"]"#),
        ServerKind::BinaryEvent => {
            format!(r#"51-{prefix}["bin",{{"_placeholder":true,"num":0}}]"#)
        }
        ServerKind::BinaryAck(id) => {
            format!(r#"61-{prefix}{id}[{{"_placeholder":true,"num":0}}]"#)
        }
        ServerKind::Garbage => format!("7{prefix}"),
    }
}

fn close_reason(code: u8) -> CloseReason {
    match code {
        0 => CloseReason::TransportClose,
        1 => CloseReason::PingTimeout,
        2 => CloseReason::TransportError(TransportFailure::Network),
        3 => CloseReason::ParseError(DecodeError::Empty),
        _ => CloseReason::ForcedClose,
    }
}

/// What the runtime knows from the contract, kept independently of the manager.
#[derive(Default)]
struct Model {
    /// An engine session is current (asked for and neither closed nor told to close).
    live: bool,
    /// ... and it reported `Open`.
    open: bool,
    /// When the current attempt must be abandoned.
    attempt_deadline: Option<Instant>,
    /// Ack ids handed out by `emit`: resolved or not, with the deadline.
    acks: BTreeMap<(String, u64), (bool, Option<Instant>)>,
    connected: BTreeSet<String>,
}

impl Model {
    fn observe(&mut self, outputs: &[Output], config: &ManagerConfig, now: Instant) {
        for output in outputs {
            match output {
                Output::OpenEngine => {
                    assert!(!self.live, "a second engine while one is current");
                    self.live = true;
                    self.open = false;
                    self.attempt_deadline = config.timeout.map(|timeout| now + timeout);
                }
                Output::CloseEngine => {
                    assert!(self.live, "closing an engine that is not current");
                    self.live = false;
                    self.open = false;
                }
                Output::Send(_) => assert!(self.open, "sending without an open engine"),
                Output::Event(event) => self.observe_event(event),
            }
        }
    }

    fn observe_event(&mut self, event: &Event) {
        match event {
            Event::Ack { namespace, id, .. }
            | Event::AckTimeout { namespace, id }
            | Event::AckCancelled { namespace, id } => {
                let entry = self
                    .acks
                    .get_mut(&(namespace.to_string(), *id))
                    .unwrap_or_else(|| panic!("ack {namespace} {id} was never handed out"));
                assert!(!entry.0, "ack {namespace} {id} resolved twice");
                entry.0 = true;
            }
            Event::Connect { namespace, .. } => {
                assert!(
                    self.connected.insert(namespace.to_string()),
                    "{namespace} connected twice"
                );
            }
            Event::Disconnect { namespace, .. } | Event::ConnectError { namespace, .. } => {
                self.connected.remove(namespace.as_str());
            }
            _ => {}
        }
    }

    /// Points a server ack at an id the namespace awaits, when there is one: the selector picks
    /// which, so acks actually resolve emits instead of missing them.
    fn aim_ack(&self, namespace: &str, kind: ServerKind) -> ServerKind {
        let awaited: Vec<u64> = self
            .acks
            .iter()
            .filter(|((name, _), (resolved, _))| name == namespace && !resolved)
            .map(|((_, id), _)| *id)
            .collect();
        let aim = |selector: u64| {
            if awaited.is_empty() || selector == 0 {
                selector
            } else {
                awaited[selector as usize % awaited.len()]
            }
        };
        match kind {
            ServerKind::Ack(selector) => ServerKind::Ack(aim(selector)),
            ServerKind::BinaryAck(selector) => ServerKind::BinaryAck(aim(selector)),
            other => other,
        }
    }

    fn engine_input(&mut self, open: bool) {
        if open {
            self.open = self.live;
            if self.live {
                self.attempt_deadline = None;
            }
        } else {
            self.live = false;
            self.open = false;
        }
    }
}

fn check_invariants(manager: &Manager, model: &Model, now: Instant) {
    let config = manager.config();
    for name in NAMESPACES {
        assert!(manager.buffered_packets(name) <= config.max_buffered_packets);
        assert!(manager.pending_acks(name) <= config.max_pending_acks);
        assert_eq!(
            manager.is_connected(name),
            model.connected.contains(name),
            "{name}"
        );
        if manager.is_connected(name) {
            assert!(manager.is_active(name));
            assert!(manager.socket_id(name).is_some());
            assert_eq!(manager.engine_state(), EngineState::Open);
        } else {
            assert_eq!(manager.socket_id(name), None);
        }
    }
    let timeout = manager.poll_timeout();
    // Every timer that matters has a deadline, and none was missed.
    for ((name, id), (resolved, deadline)) in &model.acks {
        if let (false, Some(deadline)) = (resolved, deadline) {
            assert!(*deadline > now, "ack {name} {id} missed its deadline");
            assert!(timeout.is_some_and(|at| at <= *deadline));
        }
    }
    if manager.is_reconnecting() && manager.engine_state() == EngineState::Closed {
        assert!(timeout.is_some(), "reconnecting without a timer");
    }
    if manager.engine_state() == EngineState::Opening {
        if let Some(deadline) = model.attempt_deadline {
            assert!(timeout.is_some_and(|at| at <= deadline));
        }
    }
    assert_eq!(manager.engine_state() == EngineState::Closed, !model.live);
    assert_eq!(manager.engine_state() == EngineState::Open, model.open);
}

fn run(ops: Vec<Op>, limit: Option<u32>) {
    let config = ManagerConfig {
        reconnection_attempts: limit,
        reconnection_delay: Duration::from_millis(50),
        reconnection_delay_max: Duration::from_millis(200),
        timeout: Some(Duration::from_millis(500)),
        max_buffered_packets: 3,
        max_pending_acks: 3,
        max_unanswered_acks: 2,
        ..ManagerConfig::default()
    };
    let mut manager = Manager::new(config.clone(), 42);
    let mut model = Model::default();
    let mut now = ms(0);
    for op in ops {
        match op {
            Op::Connect(n, with_auth) => {
                let data = with_auth.then(|| RawJson::new(r#"{"k":1}"#).unwrap());
                manager.connect(now, ns(NAMESPACES[n]), data).unwrap();
            }
            Op::Disconnect(n) => manager.disconnect(now, NAMESPACES[n]),
            Op::Emit {
                namespace,
                volatile,
                with_ack,
                timeout,
                binary,
            } => {
                let args = if binary {
                    Payload::event("b", &(Bytes::from_static(b"\x01"),)).unwrap()
                } else {
                    event("e", "1")
                };
                let options = EmitOptions {
                    volatile,
                    with_ack,
                    ack_timeout: timeout.map(Duration::from_millis),
                };
                if let Ok(Some(id)) = manager.emit(now, NAMESPACES[namespace], args, options) {
                    assert!(with_ack);
                    let deadline = timeout.map(|timeout| now + Duration::from_millis(timeout));
                    let previous = model
                        .acks
                        .insert((NAMESPACES[namespace].to_owned(), id), (false, deadline));
                    assert!(previous.is_none(), "ack id {id} handed out twice");
                }
            }
            Op::Ack(n, id) => {
                let _ = manager.ack(NAMESPACES[n], id, args("[]"));
            }
            Op::Close => manager.close(now),
            Op::EngineOpen => {
                manager.handle_engine_open(now);
                model.engine_input(true);
            }
            Op::EngineClosed(code) => {
                manager.handle_engine_closed(now, close_reason(code));
                model.engine_input(false);
            }
            Op::Server(n, kind) => {
                let kind = model.aim_ack(NAMESPACES[n], kind);
                server(&mut manager, now, &server_text(NAMESPACES[n], &kind));
                // Binary packets mostly come whole; a lone `Op::Attachment` covers the rest.
                if matches!(kind, ServerKind::BinaryEvent | ServerKind::BinaryAck(_)) {
                    server_binary(&mut manager, now, b"\x01");
                }
            }
            Op::Attachment => server_binary(&mut manager, now, b"\x02"),
            Op::Establish => {
                if manager.engine_state() == EngineState::Closed {
                    if let Some(at) = manager.poll_timeout() {
                        now = now.max(at);
                        manager.handle_timeout(now);
                    }
                }
                let outputs = drain(&mut manager);
                model.observe(&outputs, &config, now);
                manager.handle_engine_open(now);
                model.engine_input(true);
                for name in NAMESPACES {
                    server(
                        &mut manager,
                        now,
                        &server_text(name, &ServerKind::ConnectOk),
                    );
                }
            }
            Op::Advance(millis) => {
                now = now + Duration::from_millis(millis);
                manager.handle_timeout(now);
            }
            Op::Deadline => {
                if let Some(at) = manager.poll_timeout() {
                    now = now.max(at);
                    manager.handle_timeout(now);
                }
            }
        }
        let outputs = drain(&mut manager);
        model.observe(&outputs, &config, now);
        check_invariants(&manager, &model, now);
    }
    // Left alone, every awaited ack with a timeout resolves.
    for _ in 0..1000 {
        let Some(at) = manager.poll_timeout() else {
            break;
        };
        now = now.max(at);
        manager.handle_timeout(now);
        let outputs = drain(&mut manager);
        model.observe(&outputs, &config, now);
        // Failed attempts keep the loop going; report them as the runtime would.
        if model.live && !model.open {
            manager.handle_engine_closed(now, CloseReason::TransportClose);
            model.engine_input(false);
            let outputs = drain(&mut manager);
            model.observe(&outputs, &config, now);
        }
        check_invariants(&manager, &model, now);
        if model
            .acks
            .values()
            .all(|(resolved, deadline)| *resolved || deadline.is_none())
        {
            break;
        }
    }
    for ((name, id), (resolved, deadline)) in &model.acks {
        assert!(
            *resolved || deadline.is_none(),
            "ack {name} {id} never resolved"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_inputs_keep_the_invariants(
        ops in proptest::collection::vec(op(), 0..80),
        limit in proptest::option::of(0u32..4),
    ) {
        run(ops, limit);
    }
}
