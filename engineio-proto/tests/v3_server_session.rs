//! The server session speaking Engine.IO revision 3 (`socket.io-client` 1 and 2), driven with a fake
//! clock and the wire bytes of the revision 3 protocol description and test suite.

use std::time::Duration;

use engineio_proto::server::{
    BINARY_POLL_CONTENT_TYPE, ClientProtocol, CloseReason, Event, Method, Output,
    POLL_CONTENT_TYPE, PostError, Query, Route, ServerConfig, ServerSession, poll_content_type,
    route_request,
};
use engineio_proto::{
    Bytes, ErrorCode, Frame, FramedText, Instant, Message, ProtocolVersion, Transport, Utf8Bytes,
};

fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn drain(session: &mut ServerSession) -> Vec<Output> {
    std::iter::from_fn(|| session.poll_output()).collect()
}

fn body(payload: &str) -> Output {
    Output::PollResponse(Bytes::copy_from_slice(payload.as_bytes()))
}

fn binary_body(payload: &[u8]) -> Output {
    Output::PollResponse(Bytes::copy_from_slice(payload))
}

fn text(data: &str) -> Frame {
    Frame::Text(Utf8Bytes::from(data.to_string()))
}

fn frame(data: &str) -> Output {
    Output::WsFrame(text(data))
}

fn message(data: &str) -> Output {
    Output::Event(Event::Message(Message::text(data.to_string())))
}

fn binary_message(data: &[u8]) -> Output {
    Output::Event(Event::Message(Message::binary(data.to_vec())))
}

fn closed(reason: CloseReason) -> Output {
    Output::Event(Event::Closed(reason))
}

/// Test-suite timings: pingInterval 300 ms, pingTimeout 200 ms.
fn config() -> ServerConfig {
    ServerConfig::default()
        .with_ping_interval(Duration::from_millis(300))
        .with_ping_timeout(Duration::from_millis(200))
        .with_allow_eio3(true)
}

const BASE64: ClientProtocol = ClientProtocol {
    version: ProtocolVersion::V3,
    base64: true,
};

fn open(transport: Transport, protocol: ClientProtocol) -> ServerSession {
    let mut session =
        ServerSession::with_protocol(at(0), "sid1".into(), transport, config(), protocol);
    assert_eq!(drain(&mut session).len(), 1, "the open packet");
    session
}

/// A polling session (the client takes binary payloads) whose handshake GET was answered at 0.
fn polling() -> ServerSession {
    open(Transport::Polling, ClientProtocol::V3)
}

fn post(session: &mut ServerSession, now: Instant, payload: &[u8]) -> Result<(), PostError> {
    session.handle_post_start(now).unwrap();
    session.handle_post_data(now, Bytes::copy_from_slice(payload))?;
    session.handle_post_end(now)
}

fn route(query: &str, config: &ServerConfig) -> Result<Transport, ErrorCode> {
    match route_request(Method::Get, &Query::parse(query), false, config) {
        Ok(Route::Handshake { transport }) => Ok(transport),
        Ok(route) => panic!("not a handshake: {route:?}"),
        Err(error) => Err(error.code),
    }
}

// ----- handshake -----

#[test]
fn eio3_is_refused_with_code_5_unless_allowed() {
    let query = "EIO=3&transport=polling&t=N8hyd6w";
    assert_eq!(
        route(query, &ServerConfig::default()),
        Err(ErrorCode::UnsupportedProtocolVersion),
        "off by default, as the reference's allowEIO3"
    );
    assert_eq!(route(query, &config()), Ok(Transport::Polling));
    assert_eq!(
        route("EIO=4&transport=polling", &config()),
        Ok(Transport::Polling),
        "revision 4 stays served"
    );
    for other in [
        "EIO=2&transport=polling",
        "EIO=abc&transport=polling",
        "transport=polling",
    ] {
        assert_eq!(
            route(other, &config()),
            Err(ErrorCode::UnsupportedProtocolVersion),
            "{other}"
        );
    }
    assert_eq!(
        Query::parse(query).client_protocol(),
        Some(ClientProtocol::V3)
    );
}

#[test]
fn the_open_packet_has_a_utf16_length_and_no_max_payload() {
    let mut session = ServerSession::with_protocol(
        at(0),
        "lv_VI97HAXpY6yYWAAAC".into(),
        Transport::Polling,
        ServerConfig::default()
            .with_ping_timeout(Duration::from_millis(5000))
            .with_allow_eio3(true),
        ClientProtocol::V3,
    );
    // The sample session of the revision 3 protocol description, byte for byte.
    assert_eq!(
        drain(&mut session),
        [body(
            r#"96:0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000}"#
        )]
    );
    assert_eq!(session.protocol_version(), ProtocolVersion::V3);
    assert_eq!(
        session.poll_timeout(),
        Some(at(30_000)),
        "the client's first ping is due within pingInterval + pingTimeout"
    );
}

#[test]
fn a_websocket_handshake_sends_the_open_frame() {
    let mut session = ServerSession::with_protocol(
        at(0),
        "abc".into(),
        Transport::WebSocket,
        config(),
        ClientProtocol::V3,
    );
    assert_eq!(
        drain(&mut session),
        [frame(
            r#"0{"sid":"abc","upgrades":[],"pingInterval":300,"pingTimeout":200}"#
        )]
    );
}

// ----- heartbeat -----

#[test]
fn the_client_pings_and_the_server_answers() {
    let mut session = polling();
    for round in 0..3 {
        let now = at(100 + round * 250);
        post(&mut session, now, b"1:2").unwrap();
        session.handle_poll(now).unwrap();
        assert_eq!(drain(&mut session), [body("1:3")], "round {round}");
        assert_eq!(
            session.poll_timeout(),
            Some(now + Duration::from_millis(500))
        );
    }
    assert!(!session.is_closed());
}

#[test]
fn the_server_never_pings_and_gives_up_after_interval_plus_timeout() {
    let mut session = polling();
    session.handle_poll(at(1)).unwrap();
    session.handle_timeout(at(499));
    assert_eq!(drain(&mut session), [], "no ping from the server, ever");
    session.handle_timeout(at(500));
    assert_eq!(
        drain(&mut session),
        [body("1:1"), closed(CloseReason::PingTimeout)]
    );
}

#[test]
fn any_packet_keeps_the_session_alive() {
    let mut session = polling();
    post(&mut session, at(400), b"6:4hello").unwrap();
    drain(&mut session);
    session.handle_timeout(at(500));
    assert!(
        !session.is_closed(),
        "a message at 400 ms counts as a sign of life"
    );
    assert_eq!(session.poll_timeout(), Some(at(900)));
    session.handle_timeout(at(900));
    assert_eq!(drain(&mut session), [closed(CloseReason::PingTimeout)]);
}

#[test]
fn a_pong_from_the_client_is_the_wrong_heartbeat_direction() {
    let mut session = polling();
    post(&mut session, at(10), b"1:3").unwrap();
    assert_eq!(drain(&mut session), [closed(CloseReason::TransportError)]);
}

#[test]
fn a_ping_flood_queues_one_pong() {
    let mut session = polling();
    let flood = "1:2".repeat(1000);
    post(&mut session, at(10), flood.as_bytes()).unwrap();
    post(&mut session, at(20), flood.as_bytes()).unwrap();
    assert_eq!(session.queued_packets(), 1);
    session.handle_poll(at(30)).unwrap();
    assert_eq!(drain(&mut session), [body("1:3")]);
}

// ----- long-polling payloads -----

#[test]
fn text_payloads_from_the_test_suite() {
    let mut session = polling();
    post(&mut session, at(1), b"6:4test16:4test26:4test3").unwrap();
    assert_eq!(
        drain(&mut session),
        [message("test1"), message("test2"), message("test3")]
    );
    for data in ["test1", "test2", "test3"] {
        session.send(Message::text(data)).unwrap();
    }
    session.handle_poll(at(2)).unwrap();
    assert_eq!(drain(&mut session), [body("6:4test16:4test26:4test3")]);
}

#[test]
fn lengths_are_utf16_code_units() {
    let mut session = polling();
    // "€" is 3 bytes but 1 unit; "🚀" 4 bytes but 2 units.
    post(&mut session, at(1), "2:4€3:4🚀".as_bytes()).unwrap();
    assert_eq!(drain(&mut session), [message("€"), message("🚀")]);
    session.send(Message::text("€🚀")).unwrap();
    session.handle_poll(at(2)).unwrap();
    assert_eq!(drain(&mut session), [body("4:4€🚀")]);
    // Counted in bytes, as socketioxide once did, the header is wrong and the session ends.
    post(&mut session, at(3), "4:4€".as_bytes()).unwrap();
    assert_eq!(drain(&mut session), [closed(CloseReason::ParseError)]);
}

#[test]
fn a_client_that_takes_binary_gets_binary_payloads() {
    let mut session = polling();
    post(&mut session, at(1), b"6:4hello10:b4AQIDBA==").unwrap();
    assert_eq!(
        drain(&mut session),
        [message("hello"), binary_message(&[1, 2, 3, 4])]
    );
    session.send(Message::text("hello")).unwrap();
    session.send(Message::binary(vec![1u8, 2, 3, 4])).unwrap();
    session.handle_poll(at(2)).unwrap();
    let outputs = drain(&mut session);
    // The test suite's vector: string "4hello" (6 bytes), then binary type 4 and 1 2 3 4.
    assert_eq!(
        outputs,
        [binary_body(&[
            0, 6, 255, 52, 104, 101, 108, 108, 111, 1, 5, 255, 4, 1, 2, 3, 4
        ])]
    );
    let Output::PollResponse(payload) = &outputs[0] else {
        unreachable!()
    };
    assert_eq!(poll_content_type(payload), BINARY_POLL_CONTENT_TYPE);
}

#[test]
fn a_client_that_asked_for_base64_gets_text_payloads() {
    let mut session = open(Transport::Polling, BASE64);
    session.send(Message::text("hello")).unwrap();
    session.send(Message::binary(vec![1u8, 2, 3, 4])).unwrap();
    session.handle_poll(at(1)).unwrap();
    let outputs = drain(&mut session);
    assert_eq!(outputs, [body("6:4hello10:b4AQIDBA==")]);
    let Output::PollResponse(payload) = &outputs[0] else {
        unreachable!()
    };
    assert_eq!(poll_content_type(payload), POLL_CONTENT_TYPE);
}

#[test]
fn binary_post_bodies_are_decoded() {
    let mut session = polling();
    // The XHR2 framing an engine.io-client 3 sends with `Content-Type: application/octet-stream`.
    post(
        &mut session,
        at(1),
        &[
            0, 6, 255, 52, 104, 101, 108, 108, 111, 1, 5, 255, 4, 1, 2, 3, 4,
        ],
    )
    .unwrap();
    assert_eq!(
        drain(&mut session),
        [message("hello"), binary_message(&[1, 2, 3, 4])]
    );
}

#[test]
fn base64_binaries_whose_data_starts_with_4_decode_whole() {
    // Bytes e0 e1 e2 are "4OHi" in base64; socketioxide once took that `4` for the type.
    let mut session = polling();
    post(&mut session, at(1), b"6:b44OHi").unwrap();
    assert_eq!(drain(&mut session), [binary_message(&[0xe0, 0xe1, 0xe2])]);
    let mut session = open(Transport::Polling, BASE64);
    session
        .send(Message::binary(vec![0xe0u8, 0xe1, 0xe2]))
        .unwrap();
    session.handle_poll(at(2)).unwrap();
    assert_eq!(drain(&mut session), [body("6:b44OHi")]);
}

#[test]
fn a_truncated_binary_payload_closes_the_session_at_the_end_of_the_body() {
    // socketioxide looped forever on this body: a 5-byte binary packet cut after 3 bytes.
    let mut session = polling();
    session.handle_post_start(at(1)).unwrap();
    session
        .handle_post_data(at(1), Bytes::from_static(&[1, 5, 255, 4, 1, 2]))
        .unwrap();
    assert_eq!(drain(&mut session), []);
    session.handle_post_end(at(1)).unwrap();
    assert_eq!(drain(&mut session), [closed(CloseReason::ParseError)]);
}

#[test]
fn length_bytes_that_are_not_digits_close_the_session() {
    // socketioxide turned each length byte into a digit with `b + 48`, which overflows (a panic in a
    // debug build) for bytes over 207.
    for byte in [10u8, 48, 207, 208, 255 - 1] {
        let mut session = polling();
        post(&mut session, at(1), &[1, byte, 255, 4, 1]).unwrap();
        assert_eq!(
            drain(&mut session),
            [closed(CloseReason::ParseError)],
            "{byte}"
        );
    }
    let mut session = polling();
    let endless: Vec<u8> = std::iter::once(1)
        .chain(std::iter::repeat_n(9, 10_000))
        .collect();
    post(&mut session, at(1), &endless).unwrap();
    assert_eq!(drain(&mut session), [closed(CloseReason::ParseError)]);
}

#[test]
fn an_invalid_packet_format_closes_the_session() {
    // The test suite's "closes the session upon invalid packet format".
    let mut session = polling();
    session.handle_poll(at(1)).unwrap();
    post(&mut session, at(2), b"abc").unwrap();
    assert_eq!(
        drain(&mut session),
        [body("1:1"), closed(CloseReason::ParseError)]
    );
    assert_eq!(
        session.handle_poll(at(3)).map_err(|error| error.code),
        Err(ErrorCode::UnknownSid)
    );
}

#[test]
fn packets_before_a_bad_one_are_delivered() {
    let mut session = polling();
    post(&mut session, at(1), b"6:4hello1:9").unwrap();
    assert_eq!(
        drain(&mut session),
        [message("hello"), closed(CloseReason::ParseError)]
    );
}

#[test]
fn a_close_packet_ends_the_session_and_releases_the_get_with_noop() {
    // The test suite's "forcefully closes the session".
    let mut session = polling();
    session.handle_poll(at(1)).unwrap();
    post(&mut session, at(2), b"1:1").unwrap();
    assert_eq!(
        drain(&mut session),
        [body("1:6"), closed(CloseReason::TransportClose)]
    );
}

#[test]
fn batches_stay_within_max_payload_counted_in_bytes() {
    let mut session = ServerSession::with_protocol(
        at(0),
        "s".into(),
        Transport::Polling,
        config().with_max_payload(25),
        BASE64,
    );
    drain(&mut session);
    for _ in 0..3 {
        session.send(Message::text("€€€")).unwrap();
    }
    // Each is "4:4€€€": 12 bytes, though its header says 4.
    session.handle_poll(at(1)).unwrap();
    assert_eq!(drain(&mut session), [body("4:4€€€4:4€€€")]);
    session.handle_poll(at(2)).unwrap();
    assert_eq!(drain(&mut session), [body("4:4€€€")]);
}

#[test]
fn framed_broadcast_text_is_a_segment_too() {
    let mut session = polling();
    session.send_framed(FramedText::new("2[\"é\"]")).unwrap();
    session.send(Message::binary(vec![7u8])).unwrap();
    session.handle_poll(at(1)).unwrap();
    let packet = "42[\"é\"]".as_bytes();
    assert_eq!(packet.len(), 8);
    let mut expected = vec![0, 8, 255];
    expected.extend_from_slice(packet);
    expected.extend_from_slice(&[1, 2, 255, 4, 7]);
    assert_eq!(drain(&mut session), [binary_body(&expected)]);
}

// ----- WebSocket -----

#[test]
fn websocket_binary_frames_carry_the_type_byte() {
    let mut session = open(Transport::WebSocket, ClientProtocol::V3);
    session.handle_ws_frame(at(1), Frame::Binary(Bytes::from_static(&[4, 1, 2, 3, 4])));
    session.handle_ws_frame(at(2), text("4hello"));
    session.handle_ws_frame(at(3), text("2"));
    assert_eq!(
        drain(&mut session),
        [binary_message(&[1, 2, 3, 4]), message("hello"), frame("3")]
    );
    session.send(Message::binary(vec![1u8, 2, 3, 4])).unwrap();
    assert_eq!(
        drain(&mut session),
        [Output::WsFrame(Frame::Binary(Bytes::from_static(&[
            4, 1, 2, 3, 4
        ])))]
    );
}

#[test]
fn a_base64_websocket_gets_binary_as_text_frames() {
    let mut session = open(Transport::WebSocket, BASE64);
    session.send(Message::binary(vec![1u8, 2, 3, 4])).unwrap();
    assert_eq!(drain(&mut session), [frame("b4AQIDBA==")]);
    session.handle_ws_frame(at(1), text("b4AQIDBA=="));
    assert_eq!(drain(&mut session), [binary_message(&[1, 2, 3, 4])]);
}

#[test]
fn an_invalid_websocket_frame_closes_the_session() {
    let mut session = open(Transport::WebSocket, ClientProtocol::V3);
    session.handle_ws_frame(at(1), Frame::Binary(Bytes::from_static(&[2, 1])));
    assert_eq!(
        drain(&mut session),
        [Output::CloseWebSocket, closed(CloseReason::ParseError)]
    );
}

// ----- upgrade -----

#[test]
fn upgrade_from_polling_releases_the_get_with_a_text_noop() {
    // The test suite's upgrade, on a session whose client takes binary payloads: the `noop` must
    // still be the text `1:6` (socketioxide once sent it in the binary framing).
    let mut session = polling();
    session.send(Message::binary(vec![9u8])).unwrap();
    session
        .handle_upgrade_request_with(at(1), ClientProtocol::V3)
        .unwrap();
    session.handle_ws_frame(at(2), text("2probe"));
    assert_eq!(
        drain(&mut session),
        [frame("3probe"), Output::Event(Event::Upgrading)]
    );
    session.handle_poll(at(3)).unwrap();
    assert_eq!(
        drain(&mut session),
        [binary_body(&[1, 2, 255, 4, 9])],
        "what was queued goes out first"
    );
    session.handle_poll(at(4)).unwrap();
    session.handle_timeout(at(102));
    assert_eq!(drain(&mut session), [body("1:6")]);
    session.handle_ws_frame(at(110), text("5"));
    session.handle_ws_frame(at(111), text("4hello"));
    session.send(Message::text("hello")).unwrap();
    assert_eq!(
        drain(&mut session),
        [
            Output::Event(Event::Upgraded),
            message("hello"),
            frame("4hello")
        ]
    );
    assert_eq!(
        session.handle_poll(at(112)).map_err(|error| error.code),
        Err(ErrorCode::BadRequest),
        "HTTP requests with the same sid are refused after the upgrade"
    );
}

#[test]
fn the_upgrade_request_must_speak_the_session_revision() {
    let mut session = polling();
    assert_eq!(
        session
            .handle_upgrade_request_with(at(1), ClientProtocol::V4)
            .map_err(|error| error.code),
        Err(ErrorCode::BadRequest)
    );
    assert!(!session.is_upgrading());
    session.handle_upgrade_request_with(at(2), BASE64).unwrap();
    session.handle_ws_frame(at(3), text("2probe"));
    session.handle_ws_frame(at(4), text("5"));
    drain(&mut session);
    session.send(Message::binary(vec![1u8])).unwrap();
    assert_eq!(
        drain(&mut session),
        [frame("b4AQ==")],
        "the WebSocket's own b64 decides its frames"
    );
}

#[test]
fn revision_4_sessions_are_untouched() {
    let mut session = ServerSession::new(at(0), "s".into(), Transport::Polling, config());
    assert_eq!(session.protocol_version(), ProtocolVersion::V4);
    drain(&mut session);
    assert_eq!(session.poll_timeout(), Some(at(300)), "the server pings");
    post(&mut session, at(1), b"2").unwrap();
    assert_eq!(drain(&mut session), [closed(CloseReason::TransportError)]);
}
