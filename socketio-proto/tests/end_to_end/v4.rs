//! Socket.IO protocol v4 end to end: managers over Engine.IO revision 3 sessions (what
//! `socket.io-client@2` speaks) against a server that allows them, alone and beside v5 clients.

use super::*;
use engineio_proto::ProtocolVersion;

/// A server that allows Engine.IO revision 3 clients.
fn world_v4() -> World {
    World::new(
        ServerConfig::default().with_allow_eio3(true),
        ServerConnectionConfig::default(),
        LATENCY,
    )
}

/// A namespace the server application was asked for, with the auth it read.
type AuthSeen = (String, Option<Value>);

fn v4_engine(transports: Transports) -> ClientConfig {
    ClientConfig {
        protocol: ProtocolVersion::V3,
        transports,
        ..ClientConfig::default()
    }
}

fn add_v4_client(world: &mut World, engine: ClientConfig) -> ClientId {
    let manager = ManagerConfig {
        protocol: ProtocolVersion::V3,
        ..ManagerConfig::default()
    };
    world.add_client(engine, manager, 7)
}

#[test]
fn a_v4_client_is_refused_unless_the_server_allows_revision_3() {
    let mut world = world();
    let client = add_v4_client(&mut world, v4_engine(Transports::ALL));
    world.connect(client, "/", None);
    world.run_for(Duration::from_secs(2));
    assert!(world.sessions_opened().is_empty());
    assert!(!world.manager_ref(client).is_connected("/"));
    assert!(client_events(&world, client).iter().any(|event| matches!(
        event,
        sio_client::Event::ConnectError { message, .. } if message == "transport error"
    )));
}

#[test]
fn the_main_namespace_is_joined_implicitly_and_others_carry_their_auth_as_a_query() {
    let mut world = world_v4();
    let seen: Rc<RefCell<Vec<AuthSeen>>> = Rc::default();
    let log = seen.clone();
    world.set_admission(move |namespace, auth| {
        log.borrow_mut().push((
            namespace.as_str().to_owned(),
            auth.map(|auth| auth.deserialize().unwrap()),
        ));
        Admission::Accept
    });
    let client = add_v4_client(&mut world, v4_engine(Transports::ALL));
    world.connect(client, "/", None);
    world.connect(client, "/chat", Some(r#"{"room":"lobby","n":1}"#));
    world.run_until_true(Duration::from_secs(2), |world| {
        world.manager_ref(client).is_connected("/")
            && world.manager_ref(client).is_connected("/chat")
    });
    let sid = world.session_of(client).unwrap();

    assert_eq!(
        *seen.borrow(),
        [
            ("/".to_owned(), None),
            ("/chat".to_owned(), Some(json!({"room": "lobby", "n": "1"}))),
        ],
        "v4 auth is the query: strings"
    );
    assert_eq!(world.manager_ref(client).socket_id("/"), Some(&*sid));
    let chat_id = format!("/chat#{sid}");
    assert_eq!(
        world.manager_ref(client).socket_id("/chat"),
        Some(&*chat_id)
    );
    assert_eq!(
        world
            .connection_ref(&sid)
            .unwrap()
            .socket_id("/chat")
            .map(|id| id.as_str()),
        Some(&*chat_id)
    );
    assert_eq!(
        world.message_texts(client, Side::Client),
        ["0/chat?n=1&room=lobby,"],
        "no CONNECT for /"
    );
    assert_eq!(world.message_texts(client, Side::Server), ["0", "0/chat,"]);
}

#[test]
fn events_and_binary_acks_both_ways_over_polling_and_websocket() {
    for (engine, transport) in [
        (v4_engine(Transports::POLLING), Transport::Polling),
        (v4_engine(Transports::ALL), Transport::WebSocket),
        (v4_engine(Transports::WEBSOCKET), Transport::WebSocket),
    ] {
        let mut world = world_v4();
        let client = add_v4_client(&mut world, engine);
        connect_all(&mut world, client, &["/", "/chat"]);
        world.run_for(Duration::from_secs(1));
        assert_eq!(world.transport_of(client), Some(transport));
        for (round, namespace) in ["/", "/chat", "/"].into_iter().enumerate() {
            exchange_events_and_acks(&mut world, client, namespace, round as u8);
        }
        assert_eq!(transports_used(&world, client)[1].last(), Some(&transport));
    }
}

#[test]
fn middleware_rejection_reaches_the_client_as_a_string_or_data() {
    let mut world = world_v4();
    world.set_admission(|namespace, _| match namespace.as_str() {
        "/admin" => Admission::Reject {
            message: "unauthorized".into(),
            data: None,
        },
        "/data" => Admission::Reject {
            message: "unused".into(),
            data: Some(raw(r#"{"code":42}"#)),
        },
        "/" => Admission::Accept,
        _ => Admission::InvalidNamespace,
    });
    let client = add_v4_client(&mut world, v4_engine(Transports::ALL));
    world.connect(client, "/", None);
    for namespace in ["/admin", "/data", "/nope"] {
        world.connect(client, namespace, None);
    }
    world.run_until_true(Duration::from_secs(2), |world| {
        ["/admin", "/data", "/nope"]
            .iter()
            .all(|namespace| !world.manager_ref(client).is_active(namespace))
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
    let errors: Vec<_> = errors.into_iter().map(|(_, error)| error).collect();
    assert_eq!(
        errors,
        [
            ("/admin".to_owned(), "unauthorized".to_owned(), None),
            ("/data".to_owned(), String::new(), Some(json!({"code": 42}))),
            ("/nope".to_owned(), "Invalid namespace".to_owned(), None),
        ]
    );
    let refusals: Vec<_> = world
        .message_texts(client, Side::Server)
        .into_iter()
        .filter(|text| text.starts_with('4'))
        .collect();
    assert_eq!(
        refusals,
        [
            r#"4/admin,"unauthorized""#,
            r#"4/data,{"code":42}"#,
            r#"4/nope,"Invalid namespace""#
        ]
    );
    assert!(
        world.manager_ref(client).is_connected("/"),
        "/ is unaffected"
    );
}

#[test]
fn v4_and_v5_clients_share_rooms_and_broadcasts() {
    let mut world = world_v4();
    let clients = [
        add_v4_client(&mut world, v4_engine(Transports::POLLING)),
        add_client(&mut world, polling_only()),
        add_v4_client(&mut world, v4_engine(Transports::ALL)),
        add_client(&mut world, polling_then_websocket()),
    ];
    for &client in &clients {
        connect_all(&mut world, client, &["/"]);
    }
    world.run_for(Duration::from_secs(1));
    let ids: Vec<SocketId> = clients
        .iter()
        .map(|&client| SocketId::new(world.manager_ref(client).socket_id("/").unwrap()))
        .collect();
    // v4 ids are engine sids; v5 ids are random.
    assert!(
        world
            .sessions_opened()
            .contains(&ids[0].as_str().to_owned())
    );
    assert!(
        !world
            .sessions_opened()
            .contains(&ids[1].as_str().to_owned())
    );
    for id in &ids[..3] {
        world.rooms("/").add_all(id, ["lobby"]);
    }
    let main = NamespaceName::new("/").unwrap();
    let opts = BroadcastOptions::from_sender(&ids[0]).to("lobby");
    for n in 0..3u32 {
        let attachment = (n == 1).then(|| Bytes::from_static(b"\x00\x01news"));
        let encoded = Encoded::event(&main, "news", &(n, attachment), None).unwrap();
        let mut recipients = world.broadcast("/", &opts, &encoded);
        recipients.sort();
        let mut expected = vec![ids[1].clone(), ids[2].clone()];
        expected.sort();
        assert_eq!(recipients, expected, "lobby except the sender");
    }
    world.run_for(Duration::from_secs(1));
    let news = vec![
        (0, None),
        (1, Some(Bytes::from_static(b"\x00\x01news"))),
        (2, None),
    ];
    assert_eq!(news_received(&world, clients[1], "/"), news, "v5");
    assert_eq!(news_received(&world, clients[2], "/"), news, "v4");
    for client in [clients[0], clients[3]] {
        assert_eq!(news_received(&world, client, "/"), [], "client {client}");
    }
}

#[test]
fn disconnects_both_ways() {
    use sio_client::DisconnectReason as ClientReason;

    let mut world = world_v4();
    let client = add_v4_client(&mut world, v4_engine(Transports::ALL));
    let sid = connect_all(&mut world, client, &["/", "/chat", "/news"]);
    let now = world.now();
    world.connection(&sid).disconnect(now, "/news").unwrap();
    world.manager(client).disconnect(now, "/");
    world.run_for(Duration::from_secs(1));
    assert_eq!(
        client_disconnects(&world, client, "/news"),
        [ClientReason::IoServerDisconnect]
    );
    assert_eq!(
        client_disconnects(&world, client, "/"),
        [ClientReason::IoClientDisconnect]
    );
    assert!(server_events(&world, &sid).iter().any(|event| matches!(
        event,
        sio_server::Event::Disconnected { namespace, reason: sio_server::DisconnectReason::ClientNamespaceDisconnect, .. }
            if namespace == "/"
    )));
    // /chat keeps the engine open; coming back to / takes an explicit CONNECT the server answers.
    assert!(world.has_session(&sid));
    world.connect(client, "/", None);
    world.run_until_true(Duration::from_secs(2), |world| {
        world.manager_ref(client).is_connected("/")
    });
    assert_eq!(world.manager_ref(client).socket_id("/"), Some(&*sid));
    let sent = world.message_texts(client, Side::Client);
    assert_eq!(&sent[sent.len() - 2..], ["1", "0"]);
    exchange_events_and_acks(&mut world, client, "/", 3);
}

#[test]
fn ping_timeout_then_reconnection_over_revision_3() {
    let mut world = world_v4();
    let client = add_v4_client(&mut world, v4_engine(Transports::ALL));
    let first = connect_all(&mut world, client, &["/", "/chat"]);
    world.run_for(Duration::from_secs(60)); // client pings go through
    assert!(world.manager_ref(client).is_connected("/chat"));
    world.cut(client);
    world.run_until_true(Duration::from_secs(120), |world| {
        !world.manager_ref(client).is_connected("/") && !world.has_session(&first)
    });
    assert_eq!(
        client_disconnects(&world, client, "/"),
        [sio_client::DisconnectReason::PingTimeout]
    );
    assert_eq!(
        server_disconnects(&world, "/chat").last(),
        Some(&(true, sio_server::DisconnectReason::PingTimeout))
    );
    world.heal(client);
    world.run_until_true(Duration::from_secs(60), |world| {
        world.manager_ref(client).is_connected("/")
            && world.manager_ref(client).is_connected("/chat")
    });
    let second = world.session_of(client).unwrap();
    assert_ne!(second, first);
    assert_eq!(world.manager_ref(client).socket_id("/"), Some(&*second));
    assert_eq!(
        world.manager_ref(client).socket_id("/chat"),
        Some(&*format!("/chat#{second}"))
    );
    exchange_events_and_acks(&mut world, client, "/chat", 9);
}
