//! End-to-end scenarios in Engine.IO revision 3: the client and server session machines against each
//! other through the in-memory network of `support`, on a fake clock.

// The harness is shared with scenarios.rs, which uses all of it.
#[allow(dead_code)]
mod support;

use std::time::Duration;

use engineio_proto::client::{self, ClientConfig, TransportFailure};
use engineio_proto::server::{self, ServerConfig};
use engineio_proto::v3::Framing;
use engineio_proto::{Instant, Message, Packet, ProtocolVersion, Transport, Transports};

use support::{Net, Side, Wire};

fn ms(millis: u64) -> Instant {
    Instant::from_millis(millis)
}

fn secs(seconds: u64) -> Duration {
    Duration::from_secs(seconds)
}

fn text(data: impl Into<String>) -> Message {
    Message::text(data.into())
}

fn server() -> ServerConfig {
    ServerConfig::default().with_allow_eio3(true)
}

fn client(transports: Transports, upgrade: bool) -> ClientConfig {
    ClientConfig {
        protocol: ProtocolVersion::V3,
        transports,
        upgrade,
        ..ClientConfig::default()
    }
}

fn polling_client() -> ClientConfig {
    client(Transports::ALL, false)
}

fn heartbeats(net: &Net, from: Side, packet: Packet) -> Vec<Instant> {
    net.packets_from(from)
        .into_iter()
        .filter(|arrived| arrived.packet == packet)
        .map(|arrived| arrived.at)
        .collect()
}

fn get_answers(net: &Net) -> Vec<Framing> {
    net.transcript()
        .iter()
        .filter_map(|entry| match &entry.wire {
            Wire::GetAnswer(Ok(body)) => Some(Framing::of(body)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_revision_3_client_is_refused_by_a_server_that_does_not_allow_it() {
    let mut net = Net::new(ServerConfig::default(), polling_client());
    net.start();
    net.run_for(secs(1));
    assert_eq!(
        net.client_closes(),
        [(
            ms(0),
            client::CloseReason::TransportError(TransportFailure::HttpStatus(400))
        )]
    );
    assert!(net.sids().is_empty());
}

#[test]
fn handshake_over_polling_in_revision_3() {
    let mut net = Net::new(server(), polling_client());
    net.latency = Duration::from_millis(5);
    net.start();
    net.run_until_true(secs(1), |net| net.client.is_open());
    net.settle();
    assert_eq!(
        net.transcript_text(),
        concat!(
            "[      0 ms] client -> server  GET   ?EIO=3&transport=polling\n",
            "[      5 ms] server -> client  200   82:0{\"sid\":\"sid-1\",\"upgrades\":[\"websocket\"],",
            "\"pingInterval\":25000,\"pingTimeout\":20000}\n",
            "[     10 ms] client -> server  GET   ?EIO=3&transport=polling&sid=sid-1\n",
        )
    );
    let sid = net.sid();
    assert_eq!(
        net.session(&sid).unwrap().protocol_version(),
        ProtocolVersion::V3
    );
    assert_eq!(
        net.client.poll_timeout(),
        Some(ms(10 + 25_000)),
        "first ping"
    );
    assert_eq!(
        net.session(&sid).unwrap().poll_timeout(),
        Some(ms(5 + 45_000)),
        "the server waits pingInterval + pingTimeout from the handshake"
    );
}

#[test]
fn text_and_binary_messages_flow_both_ways_over_polling() {
    let mut net = Net::connected(server(), polling_client());
    let sid = net.sid();
    let messages = [
        text("hello"),
        text("€ and 🚀"),
        Message::binary(&[1u8, 2, 3][..]),
        text("4 after binary"),
        Message::binary(vec![0xe0u8, 0xe1, 0xe2]),
    ];
    for message in &messages {
        net.client_send(message.clone());
        net.server_send(&sid, message.clone());
    }
    net.run_for(secs(1));
    assert_eq!(net.server_received(&sid), messages);
    assert_eq!(net.client_received(), messages);
    let posts: Vec<_> = net
        .transcript()
        .iter()
        .filter_map(|entry| match &entry.wire {
            Wire::Post(_, body) => Some(String::from_utf8(body.to_vec()).unwrap()),
            _ => None,
        })
        .collect();
    assert_eq!(
        posts,
        ["6:4hello", "9:4€ and 🚀6:b4AQID15:44 after binary6:b44OHi"],
        "the client posts text payloads, binary in base64"
    );
    assert!(
        get_answers(&net).contains(&Framing::Binary),
        "the server answers a client that takes binary in the binary framing"
    );
}

#[test]
fn heartbeat_keeps_an_idle_session_open_for_minutes() {
    for (config, transport) in [
        (polling_client(), Transport::Polling),
        (client(Transports::ALL, true), Transport::WebSocket),
        (client(Transports::WEBSOCKET, true), Transport::WebSocket),
    ] {
        let mut net = Net::connected(server(), config);
        net.latency = Duration::from_millis(10);
        let wall = std::time::Instant::now();
        net.run_for(secs(600));
        assert!(wall.elapsed() < secs(1), "fake time costs no real time");
        let sid = net.sid();
        assert_eq!(net.client.transport(), transport);
        // Each pong comes back 20 ms after its ping, and the next ping follows 25 s after the pong.
        let expected: Vec<_> = (1..=23).map(|k| ms(k * 25_000 + (k - 1) * 20)).collect();
        assert_eq!(
            heartbeats(&net, Side::Client, Packet::ping()),
            expected,
            "{transport}"
        );
        let pongs: Vec<_> = expected
            .iter()
            .map(|&at| at + Duration::from_millis(10))
            .collect();
        assert_eq!(
            heartbeats(&net, Side::Server, Packet::pong()),
            pongs,
            "{transport}"
        );
        assert!(heartbeats(&net, Side::Server, Packet::ping()).is_empty());
        assert!(
            net.client.is_open() && net.session(&sid).is_some(),
            "{transport}"
        );
        assert!(net.client_closes().is_empty() && net.server_closes(&sid).is_empty());
    }
}

#[test]
fn the_server_closes_when_the_client_stops_pinging() {
    for config in [polling_client(), client(Transports::ALL, true)] {
        let mut net = Net::connected(server(), config);
        let sid = net.sid();
        net.run_until(ms(60_000));
        net.faults.client_stops_pinging = true;
        // Pings at 25 s and 50 s went through; from then on nothing comes from the client.
        let closed_at = net.run_until_true(secs(120), |net| !net.server_closes(&sid).is_empty());
        assert_eq!(
            closed_at,
            ms(50_000 + 45_000),
            "pingInterval + pingTimeout after the last packet"
        );
        net.settle();
        assert_eq!(
            net.server_closes(&sid),
            [(closed_at, server::CloseReason::PingTimeout)]
        );
        // The client's own deadline (pingTimeout after its unanswered third ping) is the very instant
        // the server's close reaches it: it ends once, then, for either reason.
        let client_closes = net.client_closes();
        assert_eq!(client_closes.len(), 1, "{client_closes:?}");
        assert_eq!(client_closes[0].0, closed_at);
        assert!(matches!(
            client_closes[0].1,
            client::CloseReason::TransportClose | client::CloseReason::PingTimeout
        ));
    }
}

#[test]
fn the_client_closes_when_its_pings_go_unanswered() {
    for config in [polling_client(), client(Transports::ALL, true)] {
        let mut net = Net::connected(server(), config);
        net.latency = Duration::from_millis(10);
        net.run_until(ms(60_000));
        net.faults.server_ignores_pings = true;
        let closed_at = net.run_until_true(secs(120), |net| net.client.is_closed());
        let last_ping = *heartbeats(&net, Side::Client, Packet::ping())
            .last()
            .unwrap();
        assert_eq!(
            last_ping,
            ms(75_040),
            "the third ping, 25 s after the second pong"
        );
        assert_eq!(
            closed_at,
            last_ping + secs(20),
            "pingTimeout after the ping"
        );
        assert_eq!(
            net.client_closes(),
            [(closed_at, client::CloseReason::PingTimeout)]
        );
    }
}

#[test]
fn upgrade_to_websocket_then_binary_frames() {
    let mut net = Net::new(server(), client(Transports::ALL, true));
    net.latency = Duration::from_millis(5);
    net.start();
    net.run_until_true(secs(1), |net| {
        net.client.transport() == Transport::WebSocket
    });
    net.run_for(secs(1));
    let sid = net.sid();
    assert_eq!(net.session(&sid).unwrap().transport(), Transport::WebSocket);
    net.client_send(Message::binary(&[1u8, 2][..]));
    net.server_send(&sid, Message::binary(&[3u8][..]));
    net.run_for(secs(1));
    assert_eq!(net.server_received(&sid), [Message::binary(&[1u8, 2][..])]);
    assert_eq!(net.client_received(), [Message::binary(&[3u8][..])]);
    let binary_frames: Vec<_> = net
        .transcript()
        .iter()
        .filter_map(|entry| match &entry.wire {
            Wire::Frame(engineio_proto::Frame::Binary(bytes)) => Some(bytes.to_vec()),
            _ => None,
        })
        .collect();
    assert_eq!(
        binary_frames,
        [vec![4, 1, 2], vec![4, 3]],
        "behind the type byte"
    );
    let noops: Vec<_> = net
        .packets_from(Side::Server)
        .into_iter()
        .filter(|arrived| arrived.packet == Packet::Noop)
        .collect();
    assert_eq!(noops.len(), 1, "the held GET released once with noop");
}

#[test]
fn messages_sent_during_the_upgrade_arrive_exactly_once_in_order() {
    for latency_ms in [0, 1, 9, 150] {
        for chunk in [None, Some(3)] {
            let mut net = Net::new(server(), client(Transports::ALL, true));
            net.latency = Duration::from_millis(latency_ms);
            net.post_chunk_size = chunk;
            net.start();
            let (mut from_client, mut from_server) = (Vec::new(), Vec::new());
            for step in 0..400 {
                if !net.step(net.now() + secs(60)) {
                    break;
                }
                let message = |side: &str, n: usize| match n % 3 {
                    2 => Message::binary(vec![n as u8; n % 7]),
                    _ => text(format!("{side}{n} é🚀")),
                };
                if step % 2 == 0 && net.client.is_open() {
                    let message = message("c", from_client.len());
                    net.client_send(message.clone());
                    from_client.push(message);
                }
                if let Some(sid) = net
                    .sids()
                    .first()
                    .cloned()
                    .filter(|sid| net.session(sid).is_some())
                {
                    let message = message("s", from_server.len());
                    net.server_send(&sid, message.clone());
                    from_server.push(message);
                }
            }
            net.run_for(secs(2));
            let context = format!("latency {latency_ms} ms, chunks {chunk:?}");
            let sid = net.sid();
            assert_eq!(net.client.transport(), Transport::WebSocket, "{context}");
            assert!(
                from_client.len() > 10 && from_server.len() > 10,
                "{context}"
            );
            assert_eq!(net.server_received(&sid), from_client, "{context}");
            assert_eq!(net.client_received(), from_server, "{context}");
            assert!(net.client_closes().is_empty(), "{context}");
        }
    }
}

#[test]
fn the_client_closes_and_the_server_hears_it() {
    for config in [polling_client(), client(Transports::WEBSOCKET, true)] {
        let mut net = Net::connected(server(), config);
        let sid = net.sid();
        net.client_send(text("bye"));
        net.client_close();
        net.run_for(secs(1));
        assert_eq!(net.server_received(&sid), [text("bye")]);
        assert_eq!(
            net.server_closes(&sid),
            [(ms(0), server::CloseReason::TransportClose)]
        );
        assert_eq!(
            net.client_closes(),
            [(ms(0), client::CloseReason::ForcedClose)]
        );
    }
}
