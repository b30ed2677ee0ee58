//! The composed client stack (`socketio_proto::client::Stack`) against real server machines on the
//! in-memory network of `support`, with a fake clock: the handshake over polling and the upgrade,
//! events and acks both ways with attachments, emits buffered before a namespace connects, a new
//! engine session while the old one retires, the bounds on retiring sessions, and the order in
//! which the application sees a handshake and the `CONNECT`s.

mod support;

use std::time::Duration;

use bytes::Bytes;
use engineio_proto::client::{ClientConfig, CloseReason, TransportFailure};
use engineio_proto::server::ServerConfig;
use engineio_proto::{Instant, Transport, Transports};
use serde_json::{Value, json};
use socketio_proto::client::stack::{EngineEvent, EngineId, Output, Stack, StackConfig};
use socketio_proto::client::{self as sio_client, DisconnectReason, EmitError, EmitOptions};
use socketio_proto::packet::{NamespaceName, Payload, RawJson};
use socketio_proto::server::{self as sio_server, ServerConnectionConfig};

use support::{ClientId, Side, World};

// ----- helpers -----

const LATENCY: Duration = Duration::from_millis(10);

fn world() -> World {
    World::new(
        ServerConfig::default(),
        ServerConnectionConfig::default(),
        LATENCY,
    )
}

fn polling_only() -> ClientConfig {
    ClientConfig {
        transports: Transports::POLLING,
        ..ClientConfig::default()
    }
}

fn ns(name: &'static str) -> NamespaceName {
    NamespaceName::from_static(name)
}

/// Connects each namespace of a stack client and runs until all are connected; returns the server
/// session id.
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

fn emit(
    world: &mut World,
    client: ClientId,
    namespace: &'static str,
    args: Payload,
) -> Option<u64> {
    let now = world.now();
    world
        .stack(client)
        .emit(now, &ns(namespace), args, EmitOptions::default())
        .expect("emit accepted")
}

fn client_events(world: &World, client: ClientId) -> Vec<sio_client::Event> {
    world
        .client_events(client)
        .iter()
        .map(|(_, event)| event.clone())
        .collect()
}

/// The events (name and arguments as JSON) the server application received on `sid`.
fn server_received(world: &World, sid: &str) -> Vec<(String, Value)> {
    world
        .server_events()
        .iter()
        .filter(|(_, of, _)| of == sid)
        .filter_map(|(_, _, event)| match event {
            sio_server::Event::Event {
                namespace, args, ..
            } => Some((
                namespace.as_str().to_owned(),
                serde_json::from_str(args.json().as_str()).unwrap(),
            )),
            _ => None,
        })
        .collect()
}

/// Every session a stack client started went `Open? Upgraded? Closed`, and only a closed one was
/// released, once (the world checks that no output names a released session).
fn assert_lifecycles(world: &World, client: ClientId) {
    let (mut open, mut opens, mut closed) = (false, 0, 0);
    for (_, event) in world.stack_engine_events(client) {
        match event {
            EngineEvent::Open { .. } => {
                assert!(!open, "a second Open before Closed");
                open = true;
                opens += 1;
            }
            EngineEvent::Upgraded => assert!(open, "Upgraded outside an open session"),
            EngineEvent::Closed(_) => {
                open = false;
                closed += 1;
            }
        }
    }
    let current = world.stack_ref(client).current_engine();
    let started = closed + usize::from(current.is_some());
    assert!(opens <= started, "{opens} opened of {started} started");
    let mut released: Vec<EngineId> = world.releases(client).iter().map(|(_, id)| *id).collect();
    assert!(
        released.len() <= closed,
        "{released:?} released, {closed} closed"
    );
    assert!(current.is_none_or(|current| !released.contains(&current)));
    released.sort_unstable();
    released.dedup();
    assert_eq!(
        released.len(),
        world.releases(client).len(),
        "a session released twice"
    );
}

fn drain(stack: &mut Stack) -> Vec<Output> {
    std::iter::from_fn(|| stack.poll_output()).collect()
}

const HANDSHAKE: &str =
    r#"0{"sid":"s1","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;

// ----- 1. handshake, upgrade, events and acks -----

#[test]
fn handshake_over_polling_then_upgrade_then_events_and_acks_both_ways_with_binary() {
    let mut world = world();
    let client = world.add_stack_client(StackConfig::default(), 7);
    let sid = connect_all(&mut world, client, &["/"]);

    // The handshake and the CONNECT went over polling; the upgrade followed.
    let first = &world.stack_engine_events(client)[0].1;
    assert!(matches!(
        first,
        EngineEvent::Open { handshake, transport: Transport::Polling } if handshake.sid == sid
    ));
    assert_eq!(
        world.messages(client, Side::Client)[0],
        (Transport::Polling, "0".to_owned())
    );
    world.run_until_true(Duration::from_secs(1), |world| {
        world.transport_of(client) == Some(Transport::WebSocket)
    });
    assert_eq!(
        world.stack_engine_events(client)[1].1,
        EngineEvent::Upgraded
    );

    // Client to server, with an ack and an attachment; the server answers the ack.
    let blob = Bytes::from_static(&[1, 2, 3]);
    let args = Payload::event("upload", &("file", blob.clone())).unwrap();
    let now = world.now();
    let ack = world
        .stack(client)
        .emit(now, &ns("/"), args, EmitOptions::with_ack())
        .unwrap()
        .expect("an ack id");
    world.run_for(Duration::from_millis(100));
    let (server_args, server_ack) = world
        .server_events()
        .iter()
        .find_map(|(_, _, event)| match event {
            sio_server::Event::Event { args, ack, .. } => Some((args.clone(), *ack)),
            _ => None,
        })
        .expect("the server got the event");
    assert_eq!(
        server_args.event_args::<(String, Bytes)>().unwrap(),
        ("file".to_owned(), blob)
    );
    world
        .connection(&sid)
        .ack("/", server_ack.unwrap(), Payload::new(&"stored").unwrap())
        .unwrap();

    // Server to client, with an ack and an attachment; the client answers it.
    let now = world.now();
    let back = Payload::event("download", &Bytes::from_static(&[9, 8])).unwrap();
    let server_waits = world
        .connection(&sid)
        .emit_with_ack(now, "/", back, Some(Duration::from_secs(5)))
        .unwrap();
    world.run_for(Duration::from_millis(100));
    let received = client_events(&world, client);
    assert!(received.iter().any(|event| matches!(
        event,
        sio_client::Event::Ack { id, args, .. }
            if *id == ack && args.deserialize::<Value>().unwrap() == json!(["stored"])
    )));
    let (args, client_ack) = received
        .iter()
        .find_map(|event| match event {
            sio_client::Event::Event { args, ack, .. } => Some((args.clone(), *ack)),
            _ => None,
        })
        .expect("the client got the event");
    assert_eq!(
        args.event_args::<(Bytes,)>().unwrap().0,
        Bytes::from_static(&[9, 8])
    );
    let now = world.now();
    world
        .stack(client)
        .ack(
            now,
            "/",
            client_ack.unwrap(),
            Payload::new(&"thanks").unwrap(),
        )
        .unwrap();
    world.run_for(Duration::from_millis(100));
    assert!(world.server_events().iter().any(|(_, _, event)| matches!(
        event,
        sio_server::Event::Ack { id, args, .. }
            if *id == server_waits && args.deserialize::<Value>().unwrap() == json!(["thanks"])
    )));
    // The binary went as binary frames after the upgrade.
    assert!(
        world
            .message_texts(client, Side::Server)
            .contains(&"<bin:[9, 8]>".to_owned())
    );
    assert_lifecycles(&world, client);
    assert_eq!(world.releases(client), []);
}

// ----- 2. emits before the namespace connects -----

#[test]
fn emits_before_a_namespace_connects_wait_and_go_out_in_order_after_its_connect() {
    let mut world = world();
    let config = StackConfig {
        manager: sio_client::ManagerConfig {
            max_buffered_packets: 3,
            ..Default::default()
        },
        ..StackConfig::default()
    };
    let client = world.add_stack_client(config, 7);
    let now = world.now();
    let stack = world.stack(client);
    // No socket exists yet for either namespace: the stack makes them, and they buffer.
    for (namespace, n) in [("/chat", 1), ("/", 2), ("/chat", 3)] {
        let args = Payload::event("early", &n).unwrap();
        assert_eq!(
            stack.emit(now, &ns(namespace), args, EmitOptions::default()),
            Ok(None)
        );
    }
    let with_ack = Payload::event("early", &4).unwrap();
    let ack = stack
        .emit(now, &ns("/chat"), with_ack, EmitOptions::with_ack())
        .unwrap()
        .expect("an ack id");
    let volatile = Payload::event("dropped", &0).unwrap();
    assert_eq!(
        stack.emit(now, &ns("/chat"), volatile, EmitOptions::volatile()),
        Ok(None)
    );
    let over = Payload::event("over", &5).unwrap();
    assert_eq!(
        stack.emit(now, &ns("/chat"), over, EmitOptions::default()),
        Err(EmitError::BufferFull)
    );
    assert_eq!(stack.manager().buffered_packets("/chat"), 3);
    assert!(!stack.manager().is_active("/chat"));
    // Nothing happens until a socket connects.
    world.run_for(Duration::from_secs(1));
    assert!(world.sessions_opened().is_empty());

    let sid = connect_all(&mut world, client, &["/chat", "/"]);
    world.run_for(Duration::from_millis(100));
    assert_eq!(
        server_received(&world, &sid),
        [
            ("/".to_owned(), json!(["early", 2])),
            ("/chat".to_owned(), json!(["early", 1])),
            ("/chat".to_owned(), json!(["early", 3])),
            ("/chat".to_owned(), json!(["early", 4])),
        ]
    );
    // Each went right after its namespace's CONNECT was accepted, before the next CONNECT answer.
    let sent = world.message_texts(client, Side::Client);
    let position = |text: &str| sent.iter().position(|sent| sent == text).unwrap();
    assert!(position("0/chat,") < position(r#"2/chat,["early",1]"#));
    assert!(position("0") < position(r#"2["early",2]"#));
    // The buffered emit's ack works like any other.
    let server_ack = world
        .server_events()
        .iter()
        .find_map(|(_, _, event)| match event {
            sio_server::Event::Event { ack: Some(id), .. } => Some(*id),
            _ => None,
        })
        .unwrap();
    world
        .connection(&sid)
        .ack("/chat", server_ack, Payload::new(&()).unwrap())
        .unwrap();
    world.run_for(Duration::from_millis(100));
    assert!(
        client_events(&world, client).contains(&sio_client::Event::Ack {
            namespace: ns("/chat"),
            id: ack,
            args: Payload::new(&()).unwrap(),
        })
    );
}

// ----- 3. reconnection: a new session while the old one retires -----

#[test]
fn a_session_that_refuses_a_message_retires_while_a_new_one_reconnects() {
    let mut world = world();
    let config = StackConfig {
        engine: ClientConfig {
            max_buffered_packets: 4,
            ..polling_only()
        },
        manager: sio_client::ManagerConfig {
            reconnection_delay: Duration::from_millis(1),
            randomization_factor: 0.0,
            ..Default::default()
        },
        ..StackConfig::default()
    };
    let client = world.add_stack_client(config, 7);
    let first_sid = connect_all(&mut world, client, &["/"]);
    let first = world.stack_ref(client).current_engine().unwrap();

    // Eight at once: one POST goes, four wait behind it, the sixth is refused.
    for n in 0..8 {
        emit(
            &mut world,
            client,
            "/",
            Payload::event("burst", &n).unwrap(),
        );
    }
    world.run_until_true(Duration::from_secs(5), |world| {
        world.manager_ref(client).is_connected("/")
            && world.session_of(client).is_some_and(|sid| sid != first_sid)
    });
    world.run_for(Duration::from_secs(1));

    let second = world.stack_ref(client).current_engine().unwrap();
    assert_ne!(first, second);
    let engine_events: Vec<EngineEvent> = world
        .stack_engine_events(client)
        .iter()
        .map(|(_, event)| event.clone())
        .collect();
    assert!(matches!(
        &engine_events[..],
        [
            EngineEvent::Open { .. },
            EngineEvent::Closed(CloseReason::TransportError(TransportFailure::Network)),
            EngineEvent::Open { .. },
        ]
    ));
    // The first session kept writing what it had after it retired, then said goodbye; meanwhile
    // the second had opened.
    assert_eq!(
        server_received(&world, &first_sid)
            .into_iter()
            .map(|(_, args)| args[1].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [0, 1, 2, 3, 4]
    );
    let first_closed_on_server = world
        .server_events()
        .iter()
        .find(|(_, sid, event)| {
            *sid == first_sid && matches!(event, sio_server::Event::Closed { .. })
        })
        .map(|(at, _, event)| (*at, event.clone()))
        .unwrap();
    assert_eq!(
        first_closed_on_server.1,
        sio_server::Event::Closed {
            reason: sio_server::DisconnectReason::TransportClose
        }
    );
    let (released_at, released) = world.releases(client)[0];
    assert_eq!(released, first);
    let second_open_at = world
        .stack_engine_events(client)
        .iter()
        .filter(|(_, event)| matches!(event, EngineEvent::Open { .. }))
        .nth(1)
        .unwrap()
        .0;
    assert!(
        second_open_at < released_at,
        "the new session opened at {second_open_at:?}, the old one was released at {released_at:?}"
    );
    // The application heard one disconnect and one reconnection.
    let events = client_events(&world, client);
    assert!(events.contains(&sio_client::Event::Disconnect {
        namespace: ns("/"),
        reason: DisconnectReason::TransportError,
    }));
    assert!(events.contains(&sio_client::Event::Reconnect(1)));
    assert_eq!(world.live_engines(client), 1);
    assert_lifecycles(&world, client);
}

#[test]
fn server_restart_closes_the_session_and_the_stack_reconnects_on_a_new_one() {
    let mut world = world();
    let client = world.add_stack_client(StackConfig::default(), 7);
    let first_sid = connect_all(&mut world, client, &["/", "/chat"]);
    let first = world.stack_ref(client).current_engine().unwrap();
    world.run_for(Duration::from_secs(1));
    let now = world.now();
    world
        .connection(&first_sid)
        .close(now, sio_server::DisconnectReason::ServerShuttingDown);
    world.run_until_true(Duration::from_secs(1), |world| {
        !world.manager_ref(client).is_connected("/")
    });
    world.run_until_true(Duration::from_secs(5), |world| {
        world.manager_ref(client).is_connected("/")
            && world.manager_ref(client).is_connected("/chat")
    });
    let second = world.stack_ref(client).current_engine().unwrap();
    assert_eq!((first.get(), second.get()), (0, 1));
    assert_eq!(
        world
            .releases(client)
            .iter()
            .map(|(_, id)| *id)
            .collect::<Vec<_>>(),
        [first]
    );
    assert!(
        world
            .stack_engine_events(client)
            .iter()
            .any(|(_, event)| { *event == EngineEvent::Closed(CloseReason::TransportClose) })
    );
    assert_ne!(world.session_of(client).unwrap(), first_sid);
    assert_lifecycles(&world, client);
}

// ----- 4. bounds on retiring sessions -----

#[test]
fn a_retiring_session_that_cannot_finish_is_dropped_after_its_time_or_for_a_newer_one() {
    let mut world = world();
    let config = StackConfig {
        engine: polling_only(),
        retire_timeout: Duration::from_secs(3),
        max_retiring: 1,
        ..StackConfig::default()
    };
    let client = world.add_stack_client(config, 7);

    // Connected, then a POST lost on the wire, then the application is done: the session waits for
    // the POST's answer to write its close, which never comes.
    let strand = |world: &mut World| -> (EngineId, Instant) {
        connect_all(world, client, &["/"]);
        let engine = world.stack_ref(client).current_engine().unwrap();
        world.cut(client);
        emit(world, client, "/", Payload::event("lost", &()).unwrap());
        world.run_for(Duration::from_millis(1));
        world.heal(client);
        let now = world.now();
        world.stack(client).disconnect(now, "/");
        world.run_for(Duration::from_millis(1));
        (engine, now)
    };

    let (first, first_retired_at) = strand(&mut world);
    assert_eq!(world.releases(client), []);
    assert_eq!(world.live_engines(client), 1);
    world.run_for(Duration::from_secs(5));
    assert_eq!(
        world.releases(client),
        [(first_retired_at + Duration::from_secs(3), first)]
    );

    // Two at once with room for one: the older goes when the newer retires.
    let (second, _) = strand(&mut world);
    let (third, third_retired_at) = strand(&mut world);
    assert_eq!(world.releases(client)[1], (third_retired_at, second));
    world.run_for(Duration::from_secs(5));
    assert_eq!(
        world.releases(client)[2],
        (third_retired_at + Duration::from_secs(3), third)
    );
    assert!(world.stack_ref(client).is_idle());
    assert_eq!(world.live_engines(client), 0);
    assert_lifecycles(&world, client);
}

// ----- 5. by hand: the order of the handshake and the CONNECTs, and stale reports -----

#[test]
fn auth_given_when_the_handshake_is_seen_goes_with_that_sessions_connect() {
    let now = Instant::from_millis(1);
    let mut stack = Stack::new(StackConfig::default(), 7);
    let auth = |json: &str| Some(RawJson::new(json.to_owned()).unwrap());
    stack
        .connect(now, ns("/"), auth(r#"{"token":"old"}"#))
        .unwrap();
    let Some(Output::Poll { engine, .. }) = stack.poll_output() else {
        panic!("a handshake GET")
    };
    stack.handle_poll_response(now, engine, Ok(Bytes::from_static(HANDSHAKE.as_bytes())));
    assert!(matches!(
        stack.poll_output(),
        Some(Output::Engine(EngineEvent::Open { .. }))
    ));
    stack
        .connect(now, ns("/"), auth(r#"{"token":"fresh"}"#))
        .unwrap();
    let bodies: Vec<Bytes> = drain(&mut stack)
        .into_iter()
        .filter_map(|output| match output {
            Output::Post { body, .. } => Some(body),
            _ => None,
        })
        .collect();
    assert_eq!(bodies, [Bytes::from_static(br#"40{"token":"fresh"}"#)]);
}

#[test]
fn reports_about_a_released_session_are_ignored() {
    let now = Instant::from_millis(1);
    let config = StackConfig {
        manager: sio_client::ManagerConfig {
            reconnection: false,
            ..Default::default()
        },
        ..StackConfig::default()
    };
    let mut stack = Stack::new(config, 7);
    stack.connect(now, ns("/"), None).unwrap();
    let Some(Output::Poll { engine, .. }) = stack.poll_output() else {
        panic!("a handshake GET")
    };
    stack.handle_poll_response(now, engine, Err(TransportFailure::Network));
    let outputs = drain(&mut stack);
    let closed = Output::Engine(EngineEvent::Closed(CloseReason::TransportError(
        TransportFailure::Network,
    )));
    let position = |wanted: &Output| outputs.iter().position(|output| output == wanted).unwrap();
    assert!(position(&closed) < position(&Output::Release { engine }));
    assert!(
        outputs.contains(&Output::Event(sio_client::Event::ConnectError {
            namespace: ns("/"),
            message: "transport error".into(),
            data: None,
        }))
    );
    // A late handshake for it, and a frame: nothing happens.
    stack.handle_poll_response(now, engine, Ok(Bytes::from_static(HANDSHAKE.as_bytes())));
    stack.handle_ws_opened(now, engine);
    stack.handle_ws_closed(now, engine, true);
    assert_eq!(drain(&mut stack), []);
    assert!(stack.is_idle());
    assert_eq!(stack.current_engine(), None);
}
