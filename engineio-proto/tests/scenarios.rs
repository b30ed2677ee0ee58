//! End-to-end scenarios: the server and client session machines against each other through the
//! in-memory network of `support`, on a fake clock. Every scenario checks what both sides saw.

mod support;

use std::time::Duration;

use engineio_proto::client::{self, ClientConfig, TransportFailure};
use engineio_proto::server::{self, Method, Query, Route, ServerConfig, route_request};
use engineio_proto::{
    ErrorCode, Frame, Instant, Message, Packet, RequestError, Transport, Transports,
};

use support::{Cut, Net, Side, Wire};

fn ms(millis: u64) -> Instant {
    Instant::from_millis(millis)
}

fn secs(seconds: u64) -> Duration {
    Duration::from_secs(seconds)
}

fn text(data: impl Into<String>) -> Message {
    Message::text(data.into())
}

fn polling_client() -> ClientConfig {
    ClientConfig {
        upgrade: false,
        ..ClientConfig::default()
    }
}

fn websocket_client() -> ClientConfig {
    ClientConfig {
        transports: Transports::WEBSOCKET,
        ..ClientConfig::default()
    }
}

/// A session upgraded to WebSocket at time zero.
fn upgraded(server_config: ServerConfig) -> Net {
    let net = Net::connected(server_config, ClientConfig::default());
    assert_eq!(net.client.transport(), Transport::WebSocket);
    assert_eq!(
        net.session(&net.sid()).map(|session| session.transport()),
        Some(Transport::WebSocket)
    );
    net
}

/// Instants at which `from` sent a bare heartbeat packet (`ping()` or `pong()`).
fn heartbeats(net: &Net, from: Side, packet: Packet) -> Vec<(Instant, Transport)> {
    net.packets_from(from)
        .into_iter()
        .filter(|arrived| arrived.packet == packet)
        .map(|arrived| (arrived.at, arrived.transport))
        .collect()
}

fn polling_requests_since(net: &Net, since: Instant) -> usize {
    net.transcript()
        .iter()
        .filter(|entry| entry.at >= since)
        .filter(|entry| matches!(entry.wire, Wire::Get(_) | Wire::Post(..)))
        .count()
}

fn client_event_at(net: &Net, wanted: &client::Event) -> Option<Instant> {
    net.client_events()
        .iter()
        .find(|(_, event)| event == wanted)
        .map(|(at, _)| *at)
}

/// After the session ended: nothing more happens however long the network runs.
fn assert_quiet_after_close(net: &mut Net, sid: &str) {
    let client_closes = net.client_closes().len();
    let server_closes = net.server_closes(sid).len();
    net.run_for(secs(300));
    assert!(net.session(sid).is_none(), "the server dropped the session");
    assert!(net.client.is_closed());
    assert_eq!(net.client.poll_timeout(), None);
    assert!(net.wire_is_empty(), "nothing left on the wire");
    assert_eq!(net.client_closes().len(), client_closes);
    assert_eq!(net.server_closes(sid).len(), server_closes);
}

// ----- handshake and messages over polling -----

#[test]
fn handshake_over_polling_agrees_on_the_session_parameters() {
    let config = ServerConfig::default()
        .with_ping_interval(Duration::from_millis(1500))
        .with_ping_timeout(Duration::from_millis(700))
        .with_max_payload(4096);
    let mut net = Net::new(config, polling_client());
    net.latency = Duration::from_millis(5);
    net.start();
    net.run_until_true(secs(1), |net| net.client.is_open());

    let sid = net.sid();
    let handshake = net.client.handshake().expect("open").clone();
    assert_eq!(handshake, config.handshake(&sid, Transport::Polling));
    assert_eq!(net.client.sid(), Some(sid.as_str()));
    assert_eq!(
        (
            handshake.ping_interval,
            handshake.ping_timeout,
            handshake.max_payload
        ),
        (1500, 700, 4096)
    );
    assert_eq!(handshake.upgrades, ["websocket"]);
    assert_eq!(
        net.client_events(),
        [(ms(10), client::Event::Open(handshake))]
    );

    net.settle();
    assert_eq!(
        net.transcript_text(),
        concat!(
            "[      0 ms] client -> server  GET   ?EIO=4&transport=polling\n",
            "[      5 ms] server -> client  200   0{\"sid\":\"sid-1\",\"upgrades\":[\"websocket\"],",
            "\"pingInterval\":1500,\"pingTimeout\":700,\"maxPayload\":4096}\n",
            "[     10 ms] client -> server  GET   ?EIO=4&transport=polling&sid=sid-1\n",
        )
    );
    assert_eq!(
        net.session(&sid).unwrap().poll_timeout(),
        Some(ms(1505)),
        "first ping"
    );
    assert_eq!(
        net.client.poll_timeout(),
        Some(ms(10 + 1500 + 700)),
        "watchdog"
    );
    assert!(net.server_events(&sid).is_empty());
}

#[test]
fn text_and_binary_messages_flow_both_ways_over_polling() {
    let mut net = Net::connected(ServerConfig::default(), polling_client());
    let sid = net.sid();
    net.client_send(text("hello"));
    net.client_send(Message::binary(&[1u8, 2, 3][..]));
    net.server_send(&sid, text("héllo back"));
    net.server_send(&sid, Message::binary(&[0xffu8, 0, 0x1e][..]));
    net.run_for(secs(1));

    assert_eq!(
        net.server_received(&sid),
        [text("hello"), Message::binary(&[1u8, 2, 3][..])]
    );
    assert_eq!(
        net.client_received(),
        [text("héllo back"), Message::binary(&[0xffu8, 0, 0x1e][..])]
    );
    let posts: Vec<_> = net
        .transcript()
        .iter()
        .filter_map(|entry| match &entry.wire {
            Wire::Post(_, body) => Some(body.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        posts,
        ["4hello", "bAQID"],
        "binary travels as base64 over polling"
    );
    assert!(
        net.packets_from(Side::Server)
            .iter()
            .all(|arrived| arrived.transport == Transport::Polling)
    );
    assert!(net.client.is_open() && net.session(&sid).is_some());
}

#[test]
fn many_queued_messages_are_batched_within_max_payload_in_order() {
    const MAX_PAYLOAD: usize = 100;
    let mut net = Net::connected(
        ServerConfig::default().with_max_payload(MAX_PAYLOAD),
        polling_client(),
    );
    net.latency = Duration::from_millis(5);
    net.post_chunk_size = Some(7);
    let sid = net.sid();
    let messages: Vec<Message> = (0..60)
        .map(|i| match i % 10 {
            9 => Message::binary(vec![i as u8; 5]),
            _ => text(format!("msg-{i:02}")),
        })
        .collect();
    for message in &messages {
        net.client_send(message.clone());
        net.server_send(&sid, message.clone());
    }
    net.run_for(secs(1));

    assert_eq!(net.server_received(&sid), messages, "all, once, in order");
    assert_eq!(net.client_received(), messages, "all, once, in order");

    let post_bodies: Vec<_> = net
        .transcript()
        .iter()
        .filter_map(|entry| match &entry.wire {
            Wire::Post(_, body) => Some(body.len()),
            _ => None,
        })
        .collect();
    let get_bodies: Vec<_> = net
        .transcript()
        .iter()
        .filter_map(|entry| match &entry.wire {
            Wire::GetAnswer(Ok(body)) if !body.starts_with(b"0") => Some(body.len()),
            _ => None,
        })
        .collect();
    for bodies in [&post_bodies, &get_bodies] {
        assert!(bodies.iter().all(|&len| len <= MAX_PAYLOAD), "{bodies:?}");
        // The first goes alone (nothing else was queued yet); the other 59 (about 560 bytes) share
        // five or so nearly full requests.
        assert!((6..=8).contains(&bodies.len()), "{bodies:?}");
    }
}

// ----- heartbeat -----

/// Ten minutes of fake time without a message, 10 ms one-way latency, reference timings.
fn idle_for_ten_minutes(client_config: ClientConfig) -> Net {
    let mut net = Net::connected(ServerConfig::default(), client_config);
    net.latency = Duration::from_millis(10);
    let wall = std::time::Instant::now();
    net.run_for(secs(600));
    assert!(wall.elapsed() < secs(1), "fake time costs no real time");
    net
}

#[test]
fn heartbeat_keeps_an_idle_session_open_for_minutes() {
    for (client_config, transport) in [
        (polling_client(), Transport::Polling),
        (ClientConfig::default(), Transport::WebSocket),
    ] {
        let net = idle_for_ten_minutes(client_config);
        let sid = net.sid();
        // Each pong comes back 20 ms after its ping and restarts the 25 s interval.
        let expected: Vec<_> = (1..=23)
            .map(|k| (ms(k * 25_000 + (k - 1) * 20), transport))
            .collect();
        let pings = heartbeats(&net, Side::Server, Packet::ping());
        assert_eq!(pings, expected, "{transport}");
        let pongs = heartbeats(&net, Side::Client, Packet::pong());
        let answered: Vec<_> = expected
            .iter()
            .map(|&(at, transport)| (at + Duration::from_millis(10), transport))
            .collect();
        assert_eq!(pongs, answered, "{transport}");

        assert!(net.client.is_open(), "{transport}");
        assert_eq!(net.client.transport(), transport);
        assert!(net.client_closes().is_empty());
        assert!(net.server_closes(&sid).is_empty());
        let last_ping_received = expected.last().unwrap().0 + Duration::from_millis(10);
        assert_eq!(
            net.client.poll_timeout(),
            Some(last_ping_received + secs(45)),
            "watchdog rearmed by the last ping"
        );
    }
}

#[test]
fn server_closes_with_ping_timeout_when_the_client_stops_answering() {
    for client_config in [polling_client(), ClientConfig::default()] {
        let mut net = Net::connected(ServerConfig::default(), client_config);
        let sid = net.sid();
        net.run_until(ms(60_000));
        net.faults.client_ignores_pings = true;
        // Pings at 25 s and 50 s were answered; the one at 75 s is not.
        let closed_at = net.run_until_true(secs(120), |net| !net.server_closes(&sid).is_empty());
        assert_eq!(closed_at, ms(75_000 + 20_000), "pingInterval + pingTimeout");
        net.settle();
        assert_eq!(
            net.server_closes(&sid),
            [(ms(95_000), server::CloseReason::PingTimeout)]
        );
        assert_eq!(
            net.client_closes(),
            [(ms(95_000), client::CloseReason::TransportClose)],
            "the server's close reaches the client"
        );
        assert_quiet_after_close(&mut net, &sid);
    }
}

#[test]
fn server_ping_timeout_at_the_reference_timings_from_the_handshake() {
    let mut net = Net::connected(ServerConfig::default(), polling_client());
    net.faults.client_ignores_pings = true;
    let sid = net.sid();
    let wall = std::time::Instant::now();
    net.run_for(secs(120));
    assert!(wall.elapsed() < secs(1));
    assert_eq!(
        net.server_closes(&sid),
        [(ms(45_000), server::CloseReason::PingTimeout)]
    );
    assert_eq!(
        heartbeats(&net, Side::Server, Packet::ping()),
        [(ms(25_000), Transport::Polling)]
    );
    let server_close: Vec<_> = net
        .transcript()
        .iter()
        .filter(|entry| entry.from == Side::Server && entry.at == ms(45_000))
        .map(|entry| entry.wire.clone())
        .collect();
    assert_eq!(
        server_close,
        [Wire::GetAnswer(Ok("1".into()))],
        "the held GET carries the close packet"
    );
}

#[test]
fn client_closes_with_ping_timeout_when_the_server_stops_pinging() {
    for client_config in [polling_client(), ClientConfig::default()] {
        let mut net = Net::connected(ServerConfig::default(), client_config);
        net.latency = Duration::from_millis(10);
        let sid = net.sid();
        net.run_until(ms(60_000));
        net.faults.server_stops_pinging = true;
        let closed_at = net.run_until_true(secs(120), |net| net.client.is_closed());

        // The last ping to get through left the server at 50 020 ms (after pongs restarted the interval).
        let last_ping = heartbeats(&net, Side::Server, Packet::ping())
            .pop()
            .unwrap()
            .0;
        assert_eq!(last_ping, ms(50_020));
        let received = last_ping + Duration::from_millis(10);
        assert_eq!(closed_at, received + secs(25) + secs(20));
        assert_eq!(
            net.client_closes(),
            [(closed_at, client::CloseReason::PingTimeout)]
        );

        // The server's own deadline (its unanswered ping at 75 040 + 20 s) is the very instant the
        // client's close reaches it; it ends once, at that instant, for either reason.
        net.run_for(secs(60));
        let server_closes = net.server_closes(&sid);
        assert_eq!(server_closes.len(), 1, "{server_closes:?}");
        assert_eq!(server_closes[0].0, ms(95_040));
        assert!(matches!(
            server_closes[0].1,
            server::CloseReason::TransportClose | server::CloseReason::PingTimeout
        ));
        assert_quiet_after_close(&mut net, &sid);
    }
}

// ----- upgrade -----

#[test]
fn upgrade_to_websocket_goes_through_the_whole_dance() {
    let mut net = Net::new(ServerConfig::default(), ClientConfig::default());
    net.latency = Duration::from_millis(5);
    net.start();
    let upgraded_at = net.run_until_true(secs(1), |net| {
        net.client_events()
            .iter()
            .any(|(_, event)| *event == client::Event::Upgraded)
    });
    net.run_for(Duration::from_millis(100));
    let sid = net.sid();

    let expected = [
        "[      0 ms] client -> server  GET   ?EIO=4&transport=polling",
        "[      5 ms] server -> client  200   0{\"sid\":\"sid-1\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}",
        "[     10 ms] client -> server  WS    open ?EIO=4&transport=websocket&sid=sid-1",
        "[     10 ms] client -> server  GET   ?EIO=4&transport=polling&sid=sid-1",
        "[     15 ms] server -> client  WS    accepted",
        "[     20 ms] client -> server  WS    2probe",
        "[     25 ms] server -> client  WS    3probe",
        "[     25 ms] server -> client  200   6",
        "[     30 ms] client -> server  WS    5",
    ];
    assert_eq!(net.transcript_text().lines().collect::<Vec<_>>(), expected);
    assert_eq!(upgraded_at, ms(30));
    let client_events: Vec<_> = net
        .client_events()
        .iter()
        .map(|(at, event)| (*at, event.clone()))
        .filter(|(_, event)| !matches!(event, client::Event::Open(_)))
        .collect();
    assert_eq!(
        client_events,
        [
            (ms(30), client::Event::Upgrading),
            (ms(30), client::Event::Upgraded)
        ]
    );
    assert_eq!(
        net.server_events(&sid),
        [
            (ms(25), server::Event::Upgrading),
            (ms(35), server::Event::Upgraded)
        ]
    );

    // Traffic now goes over the WebSocket only.
    let since = net.now();
    net.client_send(text("up"));
    net.server_send(&sid, Message::binary(&[7u8][..]));
    net.run_for(secs(60));
    assert_eq!(net.server_received(&sid), [text("up")]);
    assert_eq!(net.client_received(), [Message::binary(&[7u8][..])]);
    assert_eq!(polling_requests_since(&net, since), 0);
    assert!(
        net.transcript()
            .iter()
            .any(|entry| entry.wire == Wire::Frame(Frame::Binary(vec![7u8].into()))),
        "binary as a binary frame"
    );
    assert_eq!(
        heartbeats(&net, Side::Server, Packet::ping()),
        [
            (ms(25_005), Transport::WebSocket),
            (ms(50_015), Transport::WebSocket)
        ]
    );

    // The old transport is refused; the session is unharmed.
    let config = *net.session(&sid).unwrap().config();
    let query = format!("EIO=4&transport=polling&sid={sid}");
    assert_eq!(
        route_request(Method::Get, &Query::parse(&query), false, &config),
        Ok(Route::Session {
            sid: &sid,
            transport: Transport::Polling
        })
    );
    let now = net.now();
    let refused = Err(RequestError::new(ErrorCode::BadRequest));
    assert_eq!(net.session_mut(&sid).handle_poll(now), refused);
    assert_eq!(net.session_mut(&sid).handle_post_start(now), refused);
    net.client_send(text("still fine"));
    net.run_for(secs(1));
    assert_eq!(net.server_received(&sid), [text("up"), text("still fine")]);
    assert!(net.client_closes().is_empty() && net.server_closes(&sid).is_empty());
}

/// Sends numbered messages from both sides after every step of the handshake and upgrade, and checks
/// each side got every one of them exactly once, in order.
fn messages_during_the_upgrade(latency_ms: u64, send_every: usize, chunk: Option<usize>) {
    let context = format!("latency {latency_ms} ms, every {send_every} steps, chunks {chunk:?}");
    let mut net = Net::new(ServerConfig::default(), ClientConfig::default());
    net.latency = Duration::from_millis(latency_ms);
    net.post_chunk_size = chunk;
    net.start();
    let (mut from_client, mut from_server) = (Vec::new(), Vec::new());
    let upgrade_done = |net: &Net| {
        net.sids().first().is_some_and(|sid| {
            net.server_events(sid)
                .iter()
                .any(|(_, event)| *event == server::Event::Upgraded)
        }) && client_event_at(net, &client::Event::Upgraded).is_some()
    };
    let mut steps = 0;
    let mut after_upgrade = 0;
    while after_upgrade < 10 {
        assert!(net.step(net.now() + secs(60)), "{context}: stalled");
        steps += 1;
        assert!(steps < 10_000, "{context}: the upgrade never completed");
        if steps % send_every != 0 {
            continue;
        }
        if net.client.is_open() {
            let message = text(format!("c{}", from_client.len()));
            net.client_send(message.clone());
            from_client.push(message);
        }
        if let Some(sid) = net
            .sids()
            .first()
            .cloned()
            .filter(|sid| net.session(sid).is_some())
        {
            let message = text(format!("s{}", from_server.len()));
            net.server_send(&sid, message.clone());
            from_server.push(message);
        }
        if upgrade_done(&net) {
            after_upgrade += 1;
        }
    }
    net.run_for(secs(1) + net.latency * 4);
    let sid = net.sid();
    assert!(
        from_client.len() > 10 && from_server.len() > 10,
        "{context}"
    );
    assert_eq!(net.server_received(&sid), from_client, "{context}");
    assert_eq!(net.client_received(), from_server, "{context}");
    assert_eq!(net.client.transport(), Transport::WebSocket, "{context}");
    assert!(net.client_closes().is_empty(), "{context}");
    assert!(net.server_closes(&sid).is_empty(), "{context}");
}

#[test]
fn messages_sent_during_the_upgrade_arrive_exactly_once_in_order() {
    for latency_ms in [0, 1, 4, 9, 60, 150, 2_000] {
        for send_every in [1, 2, 3] {
            for chunk in [None, Some(3)] {
                messages_during_the_upgrade(latency_ms, send_every, chunk);
            }
        }
    }
}

#[test]
fn websocket_only_session() {
    let mut net = Net::new(ServerConfig::default(), websocket_client());
    net.start();
    net.settle();
    let sid = net.sid();
    let first: Vec<_> = net.transcript_text().lines().map(String::from).collect();
    assert_eq!(
        first,
        [
            "[      0 ms] client -> server  WS    open ?EIO=4&transport=websocket",
            "[      0 ms] server -> client  WS    accepted",
            "[      0 ms] server -> client  WS    0{\"sid\":\"sid-1\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}",
        ]
    );
    assert!(net.client.is_open());
    assert_eq!(net.client.handshake().unwrap().sid, sid);

    net.client_send(text("ws hello"));
    net.client_send(Message::binary(&[1u8, 2][..]));
    net.server_send(&sid, Message::binary(&[3u8][..]));
    net.run_for(secs(120));
    assert_eq!(
        net.server_received(&sid),
        [text("ws hello"), Message::binary(&[1u8, 2][..])]
    );
    assert_eq!(net.client_received(), [Message::binary(&[3u8][..])]);
    assert_eq!(polling_requests_since(&net, ms(0)), 0, "never polls");
    assert_eq!(heartbeats(&net, Side::Client, Packet::pong()).len(), 4);
    assert!(net.client_closes().is_empty() && net.server_closes(&sid).is_empty());
    assert_eq!(net.session(&sid).unwrap().transport(), Transport::WebSocket);
}

#[test]
fn stays_on_polling_when_the_server_disables_upgrades_or_websocket() {
    for config in [
        ServerConfig::default().with_allow_upgrades(false),
        ServerConfig::default().with_transports(Transports::POLLING),
    ] {
        let mut net = Net::connected(config, ClientConfig::default());
        let sid = net.sid();
        assert!(net.client.handshake().unwrap().upgrades.is_empty());
        net.client_send(text("a"));
        net.server_send(&sid, text("b"));
        net.run_for(secs(120));
        assert_eq!(net.server_received(&sid), [text("a")]);
        assert_eq!(net.client_received(), [text("b")]);
        assert!(
            !net.transcript()
                .iter()
                .any(|entry| matches!(entry.wire, Wire::WsOpen(_))),
            "no probe"
        );
        assert_eq!(net.client.transport(), Transport::Polling);
        assert_eq!(heartbeats(&net, Side::Client, Packet::pong()).len(), 4);
        assert!(net.client_closes().is_empty() && net.server_closes(&sid).is_empty());
    }
}

#[test]
fn websocket_only_client_is_refused_by_a_polling_only_server() {
    let mut net = Net::new(
        ServerConfig::default().with_transports(Transports::POLLING),
        websocket_client(),
    );
    net.start();
    net.run_for(secs(1));
    assert!(net.sids().is_empty(), "no session was made");
    assert!(
        net.transcript()
            .iter()
            .any(|entry| entry.wire == Wire::WsRefused(400))
    );
    assert_eq!(
        net.client_closes(),
        [(
            ms(0),
            client::CloseReason::TransportError(TransportFailure::Network)
        )]
    );
}

#[test]
fn probe_killed_before_its_answer_leaves_the_session_on_polling() {
    let mut net = Net::new(ServerConfig::default(), ClientConfig::default());
    net.latency = Duration::from_millis(5);
    net.start();
    net.run_until_true(secs(1), |net| {
        net.transcript().iter().any(|entry| {
            entry.wire == Wire::Frame(Frame::Text("2probe".into())) && entry.from == Side::Client
        })
    });
    let sid = net.sid();
    net.kill_websocket();
    net.client_send(text("after"));
    net.server_send(&sid, text("still polling"));
    net.run_for(secs(60));

    assert!(client_event_at(&net, &client::Event::UpgradeFailed).is_some());
    assert!(client_event_at(&net, &client::Event::Upgrading).is_none());
    let session = net.session(&sid).unwrap();
    assert_eq!(session.transport(), Transport::Polling);
    assert!(!session.is_upgrading());
    assert_eq!(net.client.transport(), Transport::Polling);
    assert_eq!(net.server_received(&sid), [text("after")]);
    assert_eq!(net.client_received(), [text("still polling")]);
    assert_eq!(
        heartbeats(&net, Side::Client, Packet::pong()),
        [
            (ms(25_010), Transport::Polling),
            (ms(50_020), Transport::Polling)
        ]
    );
    assert!(net.client_closes().is_empty() && net.server_closes(&sid).is_empty());
}

#[test]
fn probe_killed_while_polling_pauses_resumes_polling() {
    let mut net = Net::new(ServerConfig::default(), ClientConfig::default());
    net.latency = Duration::from_millis(5);
    net.start();
    net.run_until_true(secs(1), |net| {
        client_event_at(net, &client::Event::Upgrading).is_some()
    });
    let sid = net.sid();
    // Polling is paused: this waits in the client's queue.
    net.client_send(text("queued while pausing"));
    net.server_send(&sid, text("queued on the server"));
    assert!(
        net.transcript()
            .iter()
            .all(|entry| !matches!(entry.wire, Wire::Post(..)))
    );
    net.kill_websocket();
    net.client_send(text("after the kill"));
    net.run_for(secs(60));

    assert!(client_event_at(&net, &client::Event::UpgradeFailed).is_some());
    assert!(client_event_at(&net, &client::Event::Upgraded).is_none());
    assert_eq!(net.session(&sid).unwrap().transport(), Transport::Polling);
    assert_eq!(
        net.server_received(&sid),
        [text("queued while pausing"), text("after the kill")]
    );
    assert_eq!(net.client_received(), [text("queued on the server")]);
    assert_eq!(heartbeats(&net, Side::Client, Packet::pong()).len(), 2);
    assert!(net.client_closes().is_empty() && net.server_closes(&sid).is_empty());
}

// ----- close -----

#[test]
fn server_close_over_polling_reaches_the_client() {
    let mut net = Net::connected(ServerConfig::default(), polling_client());
    net.latency = Duration::from_millis(5);
    let sid = net.sid();
    net.run_until(ms(1000));
    net.server_send(&sid, text("bye"));
    net.run_until(ms(2000));
    // "last" takes the held GET; "words" and then the close packet wait for the next one.
    net.server_send(&sid, text("last"));
    net.server_send(&sid, text("words"));
    net.server_close(&sid);
    net.run_for(secs(1));

    assert_eq!(
        net.client_received(),
        [text("bye"), text("last"), text("words")]
    );
    let answers: Vec<_> = net
        .transcript()
        .iter()
        .filter(|entry| entry.at >= ms(2000))
        .filter_map(|entry| match &entry.wire {
            Wire::GetAnswer(Ok(body)) => Some((entry.at, body.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        answers,
        [
            (ms(2000), "4last".into()),
            (ms(2010), "4words\u{1e}1".into())
        ],
        "the close packet follows what was queued"
    );
    assert_eq!(
        net.server_closes(&sid),
        [(ms(2010), server::CloseReason::ForcedClose)]
    );
    assert_eq!(
        net.client_closes(),
        [(ms(2015), client::CloseReason::TransportClose)]
    );
    assert_quiet_after_close(&mut net, &sid);
}

#[test]
fn server_close_over_websocket_reaches_the_client() {
    let mut net = upgraded(ServerConfig::default());
    net.latency = Duration::from_millis(5);
    let sid = net.sid();
    net.run_until(ms(1000));
    net.server_send(&sid, text("bye"));
    net.server_close(&sid);
    net.run_for(secs(1));

    assert_eq!(net.client_received(), [text("bye")]);
    assert_eq!(
        net.server_closes(&sid),
        [(ms(1000), server::CloseReason::ForcedClose)]
    );
    assert_eq!(
        net.client_closes(),
        [(ms(1005), client::CloseReason::TransportClose)]
    );
    assert_quiet_after_close(&mut net, &sid);
}

#[test]
fn client_close_over_polling_reaches_the_server() {
    let mut net = Net::connected(ServerConfig::default(), polling_client());
    net.latency = Duration::from_millis(5);
    let sid = net.sid();
    net.run_until(ms(1000));
    net.client_send(text("goodbye"));
    net.client_close();
    net.run_for(secs(1));

    assert_eq!(net.server_received(&sid), [text("goodbye")]);
    // The queued message is written first; the close packet follows once its POST is answered.
    assert_eq!(
        net.client_closes(),
        [(ms(1010), client::CloseReason::ForcedClose)]
    );
    assert_eq!(
        net.server_closes(&sid),
        [(ms(1015), server::CloseReason::TransportClose)]
    );
    let posts: Vec<_> = net
        .transcript()
        .iter()
        .filter_map(|entry| match &entry.wire {
            Wire::Post(_, body) => Some((entry.at, body.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        posts,
        [(ms(1000), "4goodbye".into()), (ms(1010), "1".into())]
    );
    assert_quiet_after_close(&mut net, &sid);
}

#[test]
fn client_close_over_websocket_reaches_the_server() {
    let mut net = upgraded(ServerConfig::default());
    net.latency = Duration::from_millis(5);
    let sid = net.sid();
    net.run_until(ms(1000));
    net.client_send(text("goodbye"));
    net.client_close();
    net.run_for(secs(1));

    assert_eq!(net.server_received(&sid), [text("goodbye")]);
    assert_eq!(
        net.client_closes(),
        [(ms(1000), client::CloseReason::ForcedClose)]
    );
    assert_eq!(
        net.server_closes(&sid),
        [(ms(1005), server::CloseReason::TransportClose)]
    );
    assert_quiet_after_close(&mut net, &sid);
}

// ----- failures -----

#[test]
fn network_cut_mid_session_ends_both_sides() {
    // (client config, cut, the server's close instant and reason)
    let cases = [
        (
            polling_client(),
            Cut::Silent,
            ms(45_000),
            server::CloseReason::PingTimeout,
        ),
        (
            ClientConfig::default(),
            Cut::Silent,
            ms(45_000),
            server::CloseReason::PingTimeout,
        ),
        (
            polling_client(),
            Cut::Reset,
            ms(10_000),
            server::CloseReason::TransportError,
        ),
        (
            ClientConfig::default(),
            Cut::Reset,
            ms(10_000),
            server::CloseReason::TransportError,
        ),
    ];
    for (client_config, cut, server_closed_at, server_reason) in cases {
        let mut net = Net::connected(ServerConfig::default(), client_config);
        let sid = net.sid();
        net.run_until(ms(10_000));
        net.cut_network(cut);
        let wall = std::time::Instant::now();
        net.run_until_true(secs(120), |net| {
            net.client.is_closed() && net.session(&sid).is_none()
        });
        assert!(wall.elapsed() < secs(1), "no hang");
        assert_eq!(
            net.client_closes(),
            [(
                ms(10_000),
                client::CloseReason::TransportError(TransportFailure::Network)
            )],
            "{cut:?}"
        );
        assert_eq!(
            net.server_closes(&sid),
            [(server_closed_at, server_reason)],
            "{cut:?} {:?}",
            net.client.config()
        );
        // The network coming back changes nothing.
        net.restore_network();
        assert_quiet_after_close(&mut net, &sid);
    }
}

#[test]
fn oversized_post_is_refused_with_413_and_the_session_ends() {
    let mut net = Net::connected(
        ServerConfig::default().with_max_payload(100),
        polling_client(),
    );
    let sid = net.sid();
    net.client_send(text("x".repeat(150)));
    net.run_for(secs(1));

    assert!(net.server_received(&sid).is_empty());
    assert_eq!(
        net.server_closes(&sid),
        [(ms(0), server::CloseReason::TransportError)]
    );
    assert!(
        net.transcript().iter().any(|entry| {
            entry.wire == Wire::PostAnswer(Err(TransportFailure::HttpStatus(413)))
        })
    );
    assert_eq!(
        net.client_closes(),
        [(
            ms(0),
            client::CloseReason::TransportError(TransportFailure::HttpStatus(413))
        )]
    );
    assert_quiet_after_close(&mut net, &sid);
}

#[test]
fn payload_of_exactly_max_payload_is_accepted() {
    let mut net = Net::connected(
        ServerConfig::default().with_max_payload(100),
        polling_client(),
    );
    let sid = net.sid();
    let fits = text("y".repeat(99)); // `4` + 99 bytes
    net.client_send(fits.clone());
    net.run_for(secs(1));
    assert_eq!(net.server_received(&sid), [fits]);
    assert!(net.client.is_open() && net.server_closes(&sid).is_empty());
}

#[test]
fn oversized_websocket_frame_ends_the_session() {
    let mut net = upgraded(ServerConfig::default().with_max_payload(100));
    let sid = net.sid();
    net.client_send(text("z".repeat(150)));
    net.run_for(secs(1));
    assert!(net.server_received(&sid).is_empty());
    assert_eq!(
        net.server_closes(&sid),
        [(ms(0), server::CloseReason::TransportError)]
    );
    assert_eq!(
        net.client_closes(),
        [(ms(0), client::CloseReason::TransportClose)]
    );
    assert_quiet_after_close(&mut net, &sid);
}

#[test]
fn slow_answers_within_ping_timeout_keep_the_session_but_not_beyond() {
    for (answer_delay, survives) in [(secs(15), true), (secs(25), false)] {
        let mut net = Net::connected(ServerConfig::default(), polling_client());
        let sid = net.sid();
        net.answer_delay = answer_delay;
        net.client_send(text("slow"));
        net.server_send(&sid, text("slowly back"));
        net.run_for(secs(300));
        assert_eq!(net.server_received(&sid), [text("slow")]);
        if survives {
            assert_eq!(net.client_received(), [text("slowly back")]);
            assert!(net.client.is_open() && net.server_closes(&sid).is_empty());
            // A pong reaches the server 15 s after its ping and restarts the interval.
            let pings = heartbeats(&net, Side::Server, Packet::ping());
            assert_eq!(
                &pings[..2],
                [
                    (ms(25_000), Transport::Polling),
                    (ms(65_000), Transport::Polling)
                ]
            );
        } else {
            // The ping of 25 s reaches the client at 50 s; the server gave up at 45 s.
            assert_eq!(
                net.server_closes(&sid),
                [(ms(45_000), server::CloseReason::PingTimeout)]
            );
            assert_eq!(net.client_closes().len(), 1);
            assert_quiet_after_close(&mut net, &sid);
        }
    }
}

#[test]
fn client_close_during_the_upgrade_waits_for_the_switch() {
    let mut net = Net::new(ServerConfig::default(), ClientConfig::default());
    net.latency = Duration::from_millis(5);
    net.start();
    // After `3probe` the client is pausing polling; the held GET's `noop` is still on its way.
    net.run_until_true(secs(1), |net| {
        client_event_at(net, &client::Event::Upgrading).is_some()
    });
    let sid = net.sid();
    net.client_send(text("before closing"));
    net.client_close();
    net.run_for(secs(1));

    assert!(client_event_at(&net, &client::Event::Upgraded).is_some());
    assert_eq!(net.server_received(&sid), [text("before closing")]);
    assert_eq!(
        net.client_closes(),
        [(ms(30), client::CloseReason::ForcedClose)]
    );
    let server_events: Vec<_> = net.server_events(&sid).into_iter().skip(1).collect();
    assert_eq!(
        server_events,
        [
            (ms(35), server::Event::Upgraded),
            (ms(35), server::Event::Message(text("before closing"))),
            (
                ms(35),
                server::Event::Closed(server::CloseReason::TransportClose)
            ),
        ]
    );
    assert_quiet_after_close(&mut net, &sid);
}

#[test]
fn server_close_during_the_probe_ends_both_sides_once() {
    let mut net = Net::new(ServerConfig::default(), ClientConfig::default());
    net.latency = Duration::from_millis(5);
    net.start();
    net.run_until_true(secs(1), |net| {
        net.sids().first().is_some_and(|sid| {
            net.server_events(sid)
                .iter()
                .any(|(_, event)| *event == server::Event::Upgrading)
        })
    });
    let sid = net.sid();
    net.server_close(&sid);
    net.run_for(secs(60));

    // The probe is closed at once; the close packet waits for a GET that the (by then upgraded)
    // client never sends, so the server gives up after close_timeout, as the reference does.
    assert_eq!(
        net.client_closes(),
        [(ms(30), client::CloseReason::TransportClose)]
    );
    assert_eq!(
        net.server_closes(&sid),
        [(ms(25) + secs(30), server::CloseReason::ForcedClose)]
    );
    assert_quiet_after_close(&mut net, &sid);
}

#[test]
fn server_queue_is_bounded_when_the_client_stops_reading() {
    let config = ServerConfig::default().with_max_buffered_packets(16);
    let mut net = Net::connected(config, polling_client());
    let sid = net.sid();
    net.run_until(ms(1_000));
    net.cut_network(Cut::Silent);
    net.settle();
    // The first message takes the held GET (into the void); 16 more wait for a GET that never comes.
    let refused = (0..100)
        .map(|i| net.session_mut(&sid).send(text(format!("m{i}"))))
        .position(|result| result.is_err());
    assert_eq!(refused, Some(17));
    assert_eq!(
        net.session_mut(&sid).send(text("more")),
        Err(server::SendError::QueueFull { limit: 16 })
    );
    net.run_for(secs(120));
    assert_eq!(
        net.server_closes(&sid),
        [(ms(45_000), server::CloseReason::PingTimeout)]
    );
}

#[test]
fn utf8_split_across_post_chunks_is_reassembled() {
    let mut net = Net::connected(ServerConfig::default(), polling_client());
    net.post_chunk_size = Some(1);
    let sid = net.sid();
    let messages = [
        text("héllo wörld ✓"),
        Message::binary(&[0xe2u8, 0x9c][..]),
        text("😀"),
    ];
    for message in &messages {
        net.client_send(message.clone());
    }
    net.run_for(secs(1));
    assert_eq!(net.server_received(&sid), messages);
}

mod chaos {
    //! Random applications, faults and timings against both machines; after every action and once
    //! the network has healed, the two sides must agree.

    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Action {
        Advance(u64),
        Steps(u8),
        ClientSend,
        ServerSend,
        ClientClose,
        ServerClose,
        KillWebSocket,
        Cut(Cut),
        Restore,
        Latency(u64),
        AnswerDelay(u64),
        ClientIgnoresPings(bool),
        ServerStopsPinging(bool),
    }

    fn action() -> impl Strategy<Value = Action> {
        prop_oneof![
            8 => (0u64..3_000).prop_map(Action::Advance),
            2 => (0u64..60_000).prop_map(Action::Advance),
            6 => (1u8..8).prop_map(Action::Steps),
            8 => Just(Action::ClientSend),
            8 => Just(Action::ServerSend),
            1 => Just(Action::ClientClose),
            1 => Just(Action::ServerClose),
            2 => Just(Action::KillWebSocket),
            1 => prop_oneof![Just(Cut::Silent), Just(Cut::Reset)].prop_map(Action::Cut),
            1 => Just(Action::Restore),
            // Up to 150 ms: two round trips stay within the short ping timeout, so a ping held back by an
            // upgrade pause is still answered in time (as in the reference, its timeout runs from when it
            // was queued).
            3 => (0u64..150).prop_map(Action::Latency),
            1 => (0u64..30_000).prop_map(Action::AnswerDelay),
            1 => any::<bool>().prop_map(Action::ClientIgnoresPings),
            1 => any::<bool>().prop_map(Action::ServerStopsPinging),
        ]
    }

    fn client_config() -> impl Strategy<Value = ClientConfig> {
        prop_oneof![
            Just(ClientConfig::default()),
            Just(polling_client()),
            Just(websocket_client()),
        ]
    }

    fn server_config() -> impl Strategy<Value = ServerConfig> {
        let short = ServerConfig::default()
            .with_ping_interval(Duration::from_millis(1_000))
            .with_ping_timeout(Duration::from_millis(800))
            .with_upgrade_timeout(Duration::from_millis(1_500));
        prop_oneof![
            Just(ServerConfig::default()),
            Just(ServerConfig::default().with_max_payload(40)),
            Just(ServerConfig::default().with_allow_upgrades(false)),
            Just(short),
        ]
    }

    /// `received` holds each message of `sent` at most once, in the order sent.
    fn in_order_subsequence(received: &[Message], sent: &[Message]) -> Result<(), TestCaseError> {
        let mut rest = sent.iter();
        for message in received {
            prop_assert!(
                rest.any(|candidate| candidate == message),
                "{message:?} duplicated, reordered or never sent; received {received:?}, sent {sent:?}"
            );
        }
        Ok(())
    }

    struct Run {
        net: Net,
        from_client: Vec<Message>,
        from_server: Vec<Message>,
    }

    impl Run {
        fn open_session(&self) -> Option<String> {
            self.net
                .sids()
                .first()
                .filter(|sid| self.net.session(sid).is_some())
                .cloned()
        }

        fn check(&self) -> Result<(), TestCaseError> {
            let net = &self.net;
            prop_assert!(net.sids().len() <= 1, "one client, one session");
            prop_assert!(net.client_closes().len() <= 1);
            in_order_subsequence(&net.client_received(), &self.from_server)?;
            if let Some(sid) = net.sids().first() {
                prop_assert!(net.server_closes(sid).len() <= 1);
                in_order_subsequence(&net.server_received(sid), &self.from_client)?;
            }
            Ok(())
        }

        fn apply(&mut self, action: Action) -> bool {
            let net = &mut self.net;
            match action {
                Action::Advance(millis) => net.run_for(Duration::from_millis(millis)),
                Action::Steps(count) => {
                    for _ in 0..count {
                        net.step(net.now() + Duration::from_millis(100));
                    }
                }
                Action::ClientSend => {
                    let message = text(format!("c{}", self.from_client.len()));
                    if net.client.send(message.clone()).is_ok() {
                        self.from_client.push(message);
                    }
                }
                Action::ServerSend => {
                    if let Some(sid) = self.open_session() {
                        let message = text(format!("s{}", self.from_server.len()));
                        if self.net.session_mut(&sid).send(message.clone()).is_ok() {
                            self.from_server.push(message);
                        }
                    }
                }
                Action::ClientClose => {
                    net.client_close();
                    return true;
                }
                Action::ServerClose => {
                    if let Some(sid) = self.open_session() {
                        self.net.server_close(&sid);
                        return true;
                    }
                }
                Action::KillWebSocket => {
                    if net.client_has_websocket() {
                        net.kill_websocket();
                        return true;
                    }
                }
                Action::Cut(cut) => {
                    net.cut_network(cut);
                    return true;
                }
                Action::Restore => net.restore_network(),
                Action::Latency(millis) => net.latency = Duration::from_millis(millis),
                Action::AnswerDelay(millis) => {
                    net.answer_delay = Duration::from_millis(millis);
                    return millis > 0;
                }
                Action::ClientIgnoresPings(on) => {
                    net.faults.client_ignores_pings = on;
                    return on;
                }
                Action::ServerStopsPinging(on) => {
                    net.faults.server_stops_pinging = on;
                    return on;
                }
            }
            false
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 512,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn both_sides_agree_whatever_happens(
            server_config in server_config(),
            client_config in client_config(),
            actions in proptest::collection::vec(action(), 0..80),
        ) {
            let mut run = Run {
                net: Net::new(server_config, client_config),
                from_client: Vec::new(),
                from_server: Vec::new(),
            };
            run.net.start();
            let mut disturbed = false;
            for action in actions {
                disturbed |= run.apply(action);
                run.check()?;
            }

            // Heal the network and let every timeout run out.
            run.net.restore_network();
            run.net.faults = Default::default();
            run.net.answer_delay = Duration::ZERO;
            run.net.run_for(secs(300));
            run.check()?;

            let client_open = !run.net.client.is_closed();
            let server_open = run.open_session();
            prop_assert_eq!(
                client_open,
                server_open.is_some(),
                "one side outlived the other:\n{}",
                run.net.transcript_text()
            );
            if let Some(sid) = server_open {
                prop_assert!(run.net.client.is_open());
                prop_assert_eq!(
                    run.net.client.transport(),
                    run.net.session(&sid).unwrap().transport()
                );
                if !disturbed {
                    prop_assert_eq!(run.net.server_received(&sid), run.from_client.clone());
                    prop_assert_eq!(run.net.client_received(), run.from_server.clone());
                }
                // The session still carries messages both ways.
                run.apply(Action::ClientSend);
                run.apply(Action::ServerSend);
                run.net.run_for(secs(5));
                prop_assert_eq!(run.net.server_received(&sid).last().cloned(), run.from_client.last().cloned());
                prop_assert_eq!(run.net.client_received().last().cloned(), run.from_server.last().cloned());
            } else if !disturbed {
                prop_assert!(false, "closed without a cause:\n{}", run.net.transcript_text());
            }
        }
    }
}

mod batching {
    //! Bursts of messages of random sizes, each fitting `maxPayload` on its own: both sides batch
    //! them within the limit, so nothing is refused and everything arrives once, in order.

    use super::*;
    use proptest::prelude::*;

    const MAX_PAYLOAD: usize = 64;

    /// A message whose packet alone fits in `MAX_PAYLOAD` bytes (`4` + text, or `b` + base64).
    fn message() -> impl Strategy<Value = Message> {
        prop_oneof![
            // At most 15 characters of at most 4 bytes: 61 bytes with the type digit.
            "[a-zé✓😀]{0,15}".prop_map(text),
            // `b` + base64 of at most 45 bytes: 61 bytes.
            proptest::collection::vec(any::<u8>(), 0..=45).prop_map(Message::binary),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 128,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn bursts_fit_max_payload_and_arrive_in_order(
            bursts in proptest::collection::vec(proptest::collection::vec(message(), 1..20), 1..5),
            latency_ms in 0u64..20,
            chunk in proptest::option::of(1usize..10),
        ) {
            let mut net = Net::connected(
                ServerConfig::default().with_max_payload(MAX_PAYLOAD),
                polling_client(),
            );
            net.latency = Duration::from_millis(latency_ms);
            net.post_chunk_size = chunk;
            let sid = net.sid();
            let mut sent = Vec::new();
            for burst in bursts {
                for message in burst {
                    net.client_send(message.clone());
                    net.server_send(&sid, message.clone());
                    sent.push(message);
                }
                net.run_for(Duration::from_millis(latency_ms * 3 + 1));
            }
            // Each POST waits for the previous one: up to 100 round trips of up to 40 ms.
            net.run_for(secs(5));
            prop_assert_eq!(net.server_received(&sid), sent.clone());
            prop_assert_eq!(net.client_received(), sent);
            for entry in net.transcript() {
                if let Wire::Post(_, body) | Wire::GetAnswer(Ok(body)) = &entry.wire {
                    prop_assert!(body.len() <= MAX_PAYLOAD || body.starts_with(b"0"), "{entry}");
                }
            }
            prop_assert!(net.client.is_open() && net.server_closes(&sid).is_empty());
        }
    }
}
