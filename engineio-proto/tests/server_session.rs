//! The server session state machine and request routing, driven with a fake clock.

use std::time::Duration;

use engineio_proto::server::{
    CloseReason, Event, Method, Output, PostError, Query, Route, SendError, ServerConfig,
    ServerSession, route_request,
};
use engineio_proto::{
    Bytes, ErrorCode, Frame, FramedText, Instant, Message, RequestError, SessionParams, Transport,
    Transports, Utf8Bytes,
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

fn text(data: &str) -> Frame {
    Frame::Text(Utf8Bytes::from(data.to_string()))
}

fn frame(data: &str) -> Output {
    Output::WsFrame(text(data))
}

fn message(data: &str) -> Output {
    Output::Event(Event::Message(Message::text(data.to_string())))
}

fn closed(reason: CloseReason) -> Output {
    Output::Event(Event::Closed(reason))
}

fn send(session: &mut ServerSession, data: &str) {
    session.send(Message::text(data.to_string())).unwrap();
}

/// A whole POST body in one chunk.
fn post(session: &mut ServerSession, now: Instant, payload: &[u8]) -> Result<(), PostError> {
    session.handle_post_start(now).unwrap();
    session.handle_post_data(now, Bytes::copy_from_slice(payload))?;
    session.handle_post_end(now)
}

fn open_handshake(output: &Output) -> SessionParams {
    let data = match output {
        Output::PollResponse(payload) => std::str::from_utf8(payload).unwrap().to_string(),
        Output::WsFrame(Frame::Text(frame)) => frame.to_string(),
        other => panic!("not an open packet: {other:?}"),
    };
    let json = data.strip_prefix('0').expect("an open packet");
    SessionParams::parse(json).unwrap()
}

/// A polling session whose handshake GET was answered at time 0.
fn polling(config: ServerConfig) -> ServerSession {
    let mut session = ServerSession::new(at(0), "sid1".into(), Transport::Polling, config);
    let outputs = drain(&mut session);
    assert_eq!(outputs.len(), 1);
    open_handshake(&outputs[0]);
    session
}

/// A WebSocket session whose open frame was pulled.
fn websocket(config: ServerConfig) -> ServerSession {
    let mut session = ServerSession::new(at(0), "sid1".into(), Transport::WebSocket, config);
    let outputs = drain(&mut session);
    assert_eq!(outputs.len(), 1);
    open_handshake(&outputs[0]);
    session
}

/// A polling session upgraded to WebSocket at time 30 ms.
fn upgraded(config: ServerConfig) -> ServerSession {
    let mut session = polling(config);
    session.handle_upgrade_request(at(10)).unwrap();
    session.handle_ws_frame(at(20), text("2probe"));
    session.handle_ws_frame(at(30), text("5"));
    drain(&mut session);
    assert_eq!(session.transport(), Transport::WebSocket);
    session
}

// ----- handshake -----

#[test]
fn polling_handshake_answers_the_first_get_with_the_open_packet() {
    let mut session = ServerSession::new(
        at(0),
        "lv_VI97HAXpY6yYWAAAC".into(),
        Transport::Polling,
        ServerConfig::default(),
    );
    let outputs = drain(&mut session);
    assert_eq!(
        outputs,
        [body(
            r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#
        )]
    );
    assert_eq!(session.sid(), "lv_VI97HAXpY6yYWAAAC");
    assert_eq!(session.transport(), Transport::Polling);
    assert_eq!(session.poll_timeout(), Some(at(25_000)), "first ping");
}

#[test]
fn handshake_carries_the_configured_values() {
    let config = ServerConfig::default()
        .with_ping_interval(Duration::from_millis(1500))
        .with_ping_timeout(Duration::from_millis(700))
        .with_max_payload(4096);
    let mut session = ServerSession::new(at(0), "abc".into(), Transport::Polling, config);
    let handshake = open_handshake(&drain(&mut session)[0]);
    assert_eq!(
        handshake,
        SessionParams {
            sid: "abc".into(),
            upgrades: vec!["websocket".into()],
            ping_interval: 1500,
            ping_timeout: 700,
            max_payload: 4096,
        }
    );
    assert_eq!(session.poll_timeout(), Some(at(1500)));
}

#[test]
fn upgrades_are_offered_only_from_polling_when_allowed_and_enabled() {
    let upgrades = |transport, config| {
        let mut session = ServerSession::new(at(0), "abc".into(), transport, config);
        open_handshake(&drain(&mut session)[0]).upgrades
    };
    let config = ServerConfig::default();
    assert_eq!(upgrades(Transport::Polling, config), ["websocket"]);
    assert!(upgrades(Transport::Polling, config.with_allow_upgrades(false)).is_empty());
    assert!(
        upgrades(
            Transport::Polling,
            config.with_transports(Transports::POLLING)
        )
        .is_empty()
    );
    assert!(upgrades(Transport::WebSocket, config).is_empty());
}

#[test]
fn websocket_handshake_is_the_first_frame() {
    let mut session = ServerSession::new(
        at(0),
        "abc".into(),
        Transport::WebSocket,
        ServerConfig::default(),
    );
    let outputs = drain(&mut session);
    assert_eq!(
        outputs,
        [frame(
            r#"0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#
        )]
    );
}

// ----- long-polling -----

#[test]
fn held_get_is_released_by_a_message() {
    let mut session = polling(ServerConfig::default());
    session.handle_poll(at(1)).unwrap();
    assert_eq!(drain(&mut session), [], "nothing to send: the GET is held");
    send(&mut session, "hello");
    assert_eq!(drain(&mut session), [body("4hello")]);
    send(&mut session, "later");
    assert_eq!(drain(&mut session), [], "no GET held");
    session.handle_poll(at(2)).unwrap();
    assert_eq!(drain(&mut session), [body("4later")], "answered at once");
}

#[test]
fn held_get_is_released_by_a_ping() {
    let mut session = polling(ServerConfig::default());
    session.handle_poll(at(1)).unwrap();
    session.handle_timeout(at(24_999));
    assert_eq!(drain(&mut session), []);
    session.handle_timeout(at(25_000));
    assert_eq!(drain(&mut session), [body("2")]);
}

#[test]
fn held_get_is_released_by_a_server_close() {
    let mut session = polling(ServerConfig::default());
    session.handle_poll(at(1)).unwrap();
    session.close(at(5));
    assert_eq!(
        drain(&mut session),
        [body("1"), closed(CloseReason::ForcedClose)]
    );
    assert!(session.is_closed());
}

#[test]
fn queued_packets_are_batched_within_max_payload() {
    let mut session = polling(ServerConfig::default().with_max_payload(20));
    for _ in 0..5 {
        send(&mut session, "abcd");
    }
    // Each packet is 5 bytes ("4abcd"): three and two separators make 17, a fourth would make 23.
    session.handle_poll(at(1)).unwrap();
    assert_eq!(drain(&mut session), [body("4abcd\x1e4abcd\x1e4abcd")]);
    session.handle_poll(at(2)).unwrap();
    assert_eq!(drain(&mut session), [body("4abcd\x1e4abcd")]);
    session
        .send(Message::binary(Bytes::from_static(&[1, 2, 3, 4])))
        .unwrap();
    session.handle_poll(at(3)).unwrap();
    assert_eq!(drain(&mut session), [body("bAQIDBA==")]);
}

#[test]
fn framed_messages_are_sent_as_their_own_buffer_on_both_transports() {
    let framed = FramedText::new("héllo");
    assert_eq!(framed.frame(), "4héllo");
    assert_eq!(framed.text(), "héllo");
    assert!(FramedText::from_frame(Utf8Bytes::from("2")).is_none());

    // Over WebSocket the frame is the framed buffer itself, not a copy.
    let mut session = websocket(ServerConfig::default());
    session.send_framed(framed.clone()).unwrap();
    let outputs = drain(&mut session);
    let [Output::WsFrame(Frame::Text(sent))] = &outputs[..] else {
        panic!("{outputs:?}");
    };
    assert_eq!(sent, framed.frame());
    assert_eq!(sent.as_ptr(), framed.frame().as_ptr());

    // Over polling it is one segment, batched with ordinary messages within max_payload.
    let mut session = polling(ServerConfig::default().with_max_payload(20));
    send(&mut session, "abcd");
    session.send_framed(FramedText::new("abcd")).unwrap();
    send(&mut session, "abcd");
    session.send_framed(FramedText::new("abcd")).unwrap();
    session.handle_poll(at(1)).unwrap();
    assert_eq!(drain(&mut session), [body("4abcd\x1e4abcd\x1e4abcd")]);
    session.handle_poll(at(2)).unwrap();
    assert_eq!(drain(&mut session), [body("4abcd")]);

    // The queue bound counts framed messages like the others.
    let mut session = polling(ServerConfig::default().with_max_buffered_packets(1));
    session.send_framed(FramedText::new("a")).unwrap();
    assert!(matches!(
        session.send_framed(FramedText::new("b")),
        Err(SendError::QueueFull { .. })
    ));
}

#[test]
fn post_packets_are_delivered_as_they_complete() {
    let mut session = polling(ServerConfig::default());
    session.handle_post_start(at(1)).unwrap();
    session
        .handle_post_data(at(1), Bytes::from_static(b"4hel"))
        .unwrap();
    assert_eq!(drain(&mut session), []);
    session
        .handle_post_data(at(2), Bytes::from_static(b"lo\x1ebAQ"))
        .unwrap();
    assert_eq!(drain(&mut session), [message("hello")]);
    session
        .handle_post_data(at(3), Bytes::from_static(b"IDBA==\x1e4by"))
        .unwrap();
    assert_eq!(
        drain(&mut session),
        [Output::Event(Event::Message(Message::binary(
            Bytes::from_static(&[1, 2, 3, 4])
        )))]
    );
    session
        .handle_post_data(at(4), Bytes::from_static(b"e"))
        .unwrap();
    assert_eq!(drain(&mut session), []);
    session.handle_post_end(at(5)).unwrap();
    assert_eq!(drain(&mut session), [message("bye")]);
    assert!(!session.is_closed());
    assert_eq!(
        session.handle_post_end(at(6)),
        Err(PostError::NotInFlight),
        "the POST is over"
    );
}

#[test]
fn oversized_post_is_refused_with_413_and_closes_the_session() {
    let mut session = polling(ServerConfig::default().with_max_payload(10));
    session.handle_poll(at(1)).unwrap();
    session.handle_post_start(at(2)).unwrap();
    session
        .handle_post_data(at(2), Bytes::from_static(b"4hi\x1e4he"))
        .unwrap();
    assert_eq!(drain(&mut session), [message("hi")]);
    let error = session
        .handle_post_data(at(3), Bytes::from_static(b"llo!"))
        .unwrap_err();
    assert_eq!(error, PostError::PayloadTooLarge { limit: 10 });
    assert_eq!(error.http_status(), 413);
    assert_eq!(
        drain(&mut session),
        [body("1"), closed(CloseReason::TransportError)]
    );
    assert_eq!(
        session.handle_post_data(at(4), Bytes::from_static(b"x")),
        Err(PostError::NotInFlight),
        "the POST was answered"
    );
}

#[test]
fn post_of_exactly_max_payload_is_accepted() {
    let mut session = polling(ServerConfig::default().with_max_payload(6));
    post(&mut session, at(1), b"4hello").unwrap();
    assert_eq!(drain(&mut session), [message("hello")]);
}

#[test]
fn malformed_post_closes_the_session_with_parse_error() {
    for bad in [
        &b"4ok\x1e9"[..],
        b"4ok\x1eb!!!",
        b"4ok\x1e4\xff",
        b"4ok\x1e",
    ] {
        let mut session = polling(ServerConfig::default());
        session.handle_poll(at(1)).unwrap();
        assert_eq!(post(&mut session, at(2), bad), Ok(()), "answered ok");
        assert_eq!(
            drain(&mut session),
            [message("ok"), body("1"), closed(CloseReason::ParseError)],
            "{bad:?}"
        );
    }
    let mut session = polling(ServerConfig::default());
    post(&mut session, at(1), b"").unwrap();
    assert_eq!(drain(&mut session), [closed(CloseReason::ParseError)]);
}

#[test]
fn rest_of_a_body_after_a_parse_error_is_dropped() {
    let mut session = polling(ServerConfig::default());
    session.handle_post_start(at(1)).unwrap();
    session
        .handle_post_data(at(1), Bytes::from_static(b"9\x1e4a"))
        .unwrap();
    session
        .handle_post_data(at(2), Bytes::from_static(b"\x1e4b"))
        .unwrap();
    assert_eq!(session.handle_post_end(at(3)), Ok(()));
    assert_eq!(drain(&mut session), [closed(CloseReason::ParseError)]);
}

#[test]
fn duplicate_get_closes_the_session_and_is_refused() {
    let mut session = polling(ServerConfig::default());
    session.handle_poll(at(1)).unwrap();
    let error = session.handle_poll(at(2)).unwrap_err();
    assert_eq!(error, RequestError::new(ErrorCode::BadRequest));
    assert_eq!(error.http_status(), 400);
    assert_eq!(
        drain(&mut session),
        [body("1"), closed(CloseReason::TransportError)],
        "the held GET is answered with close"
    );
    assert_eq!(
        session.handle_poll(at(3)),
        Err(RequestError::new(ErrorCode::UnknownSid))
    );
}

#[test]
fn overlapping_post_closes_the_session() {
    let mut session = polling(ServerConfig::default());
    session.handle_post_start(at(1)).unwrap();
    assert_eq!(
        session.handle_post_start(at(2)),
        Err(RequestError::new(ErrorCode::BadRequest))
    );
    assert_eq!(drain(&mut session), [closed(CloseReason::TransportError)]);
    // The first POST is still read, dropped, and answered.
    session
        .handle_post_data(at(3), Bytes::from_static(b"4late"))
        .unwrap();
    assert_eq!(session.handle_post_end(at(3)), Ok(()));
    assert_eq!(drain(&mut session), []);
}

#[test]
fn aborted_get_closes_the_session() {
    let mut session = polling(ServerConfig::default());
    session.handle_poll(at(1)).unwrap();
    session.handle_poll_aborted(at(2));
    assert_eq!(drain(&mut session), [closed(CloseReason::TransportError)]);
}

#[test]
fn abort_reported_after_the_answer_is_ignored() {
    let mut session = polling(ServerConfig::default());
    session.handle_poll(at(1)).unwrap();
    send(&mut session, "x");
    assert_eq!(drain(&mut session), [body("4x")]);
    session.handle_poll_aborted(at(2));
    assert_eq!(drain(&mut session), []);
    assert!(!session.is_closed());
}

#[test]
fn aborted_post_closes_the_session() {
    let mut session = polling(ServerConfig::default());
    session.handle_post_start(at(1)).unwrap();
    session
        .handle_post_data(at(1), Bytes::from_static(b"4a"))
        .unwrap();
    session.handle_post_aborted(at(2));
    assert_eq!(drain(&mut session), [closed(CloseReason::TransportError)]);
}

#[test]
fn client_close_packet_closes_the_session() {
    let mut session = polling(ServerConfig::default());
    session.handle_poll(at(1)).unwrap();
    assert_eq!(post(&mut session, at(2), b"4a\x1e1\x1e4b"), Ok(()));
    assert_eq!(
        drain(&mut session),
        [message("a"), body("6"), closed(CloseReason::TransportClose)],
        "the held GET is released with noop; packets after close are ignored"
    );
}

#[test]
fn client_ping_is_a_transport_error() {
    let mut session = polling(ServerConfig::default());
    post(&mut session, at(1), b"2").unwrap();
    assert_eq!(drain(&mut session), [closed(CloseReason::TransportError)]);
}

// ----- heartbeat -----

#[test]
fn pings_every_interval_while_pongs_come_back() {
    let mut session = polling(ServerConfig::default());
    let mut ping_at = 25_000;
    for _ in 0..3 {
        assert_eq!(session.poll_timeout(), Some(at(ping_at)));
        session.handle_timeout(at(ping_at));
        session.handle_poll(at(ping_at + 10)).unwrap();
        assert_eq!(drain(&mut session), [body("2")]);
        assert_eq!(session.poll_timeout(), Some(at(ping_at + 20_000)));
        post(&mut session, at(ping_at + 500), b"3").unwrap();
        assert_eq!(drain(&mut session), []);
        ping_at += 500 + 25_000;
    }
    assert!(!session.is_closed());
}

#[test]
fn ping_timeout_closes_after_exactly_ping_timeout() {
    let mut session = polling(ServerConfig::default());
    session.handle_poll(at(1)).unwrap();
    session.handle_timeout(at(25_000));
    assert_eq!(drain(&mut session), [body("2")]);
    assert_eq!(session.poll_timeout(), Some(at(45_000)));
    session.handle_timeout(at(44_999));
    assert_eq!(drain(&mut session), []);
    session.handle_poll(at(44_999)).unwrap();
    session.handle_timeout(at(45_000));
    assert_eq!(
        drain(&mut session),
        [body("1"), closed(CloseReason::PingTimeout)]
    );
    assert_eq!(session.poll_timeout(), None);
}

#[test]
fn any_packet_extends_the_pong_wait() {
    let mut session = polling(ServerConfig::default());
    session.handle_timeout(at(25_000));
    post(&mut session, at(40_000), b"4still here").unwrap();
    assert_eq!(drain(&mut session), [message("still here")]);
    session.handle_timeout(at(45_000));
    assert!(!session.is_closed());
    assert_eq!(session.poll_timeout(), Some(at(60_000)));
    session.handle_timeout(at(60_000));
    assert_eq!(drain(&mut session), [closed(CloseReason::PingTimeout)]);
}

#[test]
fn pong_restarts_the_ping_interval() {
    let mut session = polling(ServerConfig::default());
    post(&mut session, at(10_000), b"3").unwrap();
    assert_eq!(session.poll_timeout(), Some(at(35_000)));
}

#[test]
fn heartbeat_runs_over_websocket() {
    let mut session = websocket(ServerConfig::default());
    session.handle_timeout(at(25_000));
    assert_eq!(drain(&mut session), [frame("2")]);
    session.handle_ws_frame(at(25_100), text("3"));
    assert_eq!(session.poll_timeout(), Some(at(50_100)));
    session.handle_timeout(at(50_100));
    assert_eq!(drain(&mut session), [frame("2")]);
    session.handle_timeout(at(70_100));
    assert_eq!(
        drain(&mut session),
        [Output::CloseWebSocket, closed(CloseReason::PingTimeout)]
    );
}

// ----- upgrade -----

#[test]
fn upgrade_happy_path() {
    let mut session = polling(ServerConfig::default());
    session.handle_poll(at(100)).unwrap();
    session.handle_upgrade_request(at(200)).unwrap();
    assert!(session.is_upgrading());
    assert_eq!(drain(&mut session), []);

    session.handle_ws_frame(at(300), text("2probe"));
    assert_eq!(
        drain(&mut session),
        [frame("3probe"), Output::Event(Event::Upgrading), body("6")],
        "probe answered, held GET released with noop"
    );

    send(&mut session, "queued");
    assert_eq!(drain(&mut session), [], "polling is paused: no GET held");
    session.handle_ws_frame(at(400), text("5"));
    assert_eq!(
        drain(&mut session),
        [frame("4queued"), Output::Event(Event::Upgraded)]
    );
    assert_eq!(session.transport(), Transport::WebSocket);
    assert!(!session.is_upgrading());

    send(&mut session, "direct");
    session
        .send(Message::binary(Bytes::from_static(&[9, 8])))
        .unwrap();
    assert_eq!(
        drain(&mut session),
        [
            frame("4direct"),
            Output::WsFrame(Frame::Binary(Bytes::from_static(&[9, 8])))
        ],
        "one frame per packet, binary as binary"
    );

    let refused = Err(RequestError::new(ErrorCode::BadRequest));
    assert_eq!(session.handle_poll(at(500)), refused);
    assert_eq!(session.handle_post_start(at(500)), refused);
    assert_eq!(
        drain(&mut session),
        [],
        "old transport refused, session intact"
    );

    session.handle_ws_frame(at(600), text("4over ws"));
    assert_eq!(drain(&mut session), [message("over ws")]);
}

#[test]
fn get_held_when_the_upgrade_completes_is_released_with_noop() {
    let mut session = polling(ServerConfig::default());
    session.handle_upgrade_request(at(10)).unwrap();
    session.handle_ws_frame(at(20), text("2probe"));
    drain(&mut session);
    session.handle_poll(at(30)).unwrap();
    session.handle_ws_frame(at(40), text("5"));
    assert_eq!(
        drain(&mut session),
        [body("6"), Output::Event(Event::Upgraded)]
    );
}

#[test]
fn held_get_is_released_every_100ms_while_probing() {
    let mut session = polling(ServerConfig::default());
    session.handle_upgrade_request(at(0)).unwrap();
    session.handle_ws_frame(at(300), text("2probe"));
    drain(&mut session);
    session.handle_poll(at(320)).unwrap();
    assert_eq!(drain(&mut session), [], "held until the next check");
    assert_eq!(session.poll_timeout(), Some(at(400)));
    session.handle_timeout(at(400));
    assert_eq!(drain(&mut session), [body("6")]);
    session.handle_timeout(at(500));
    assert_eq!(drain(&mut session), [], "no GET held");
    session.handle_poll(at(550)).unwrap();
    session.handle_timeout(at(600));
    assert_eq!(drain(&mut session), [body("6")]);
}

#[test]
fn upgrade_times_out() {
    let mut session = polling(ServerConfig::default());
    session.handle_upgrade_request(at(1_000)).unwrap();
    assert_eq!(session.poll_timeout(), Some(at(11_000)));
    session.handle_timeout(at(10_999));
    assert_eq!(drain(&mut session), []);
    session.handle_timeout(at(11_000));
    assert_eq!(drain(&mut session), [Output::CloseWebSocket]);
    assert!(!session.is_upgrading());
    assert_eq!(session.transport(), Transport::Polling);
    session.handle_ws_closed(at(11_001), false);
    assert_eq!(
        drain(&mut session),
        [],
        "the closed probe is not the session's"
    );
    session.handle_poll(at(11_002)).unwrap();
    send(&mut session, "still polling");
    assert_eq!(drain(&mut session), [body("4still polling")]);
    assert_eq!(session.poll_timeout(), Some(at(25_000)));
    session.handle_upgrade_request(at(12_000)).unwrap();
}

#[test]
fn upgrade_times_out_after_the_probe_too() {
    let mut session = polling(ServerConfig::default());
    session.handle_upgrade_request(at(0)).unwrap();
    session.handle_ws_frame(at(50), text("2probe"));
    drain(&mut session);
    session.handle_timeout(at(10_000));
    assert_eq!(drain(&mut session), [Output::CloseWebSocket]);
    assert!(!session.is_upgrading());
}

#[test]
fn unexpected_packet_on_the_probe_fails_the_upgrade() {
    for bad in ["4hello", "2", "3probe", "1", "9"] {
        let mut session = polling(ServerConfig::default());
        session.handle_upgrade_request(at(10)).unwrap();
        session.handle_ws_frame(at(20), text(bad));
        assert_eq!(drain(&mut session), [Output::CloseWebSocket], "{bad}");
        assert!(!session.is_upgrading());
        assert!(!session.is_closed());
        assert_eq!(session.transport(), Transport::Polling);
    }
}

#[test]
fn probe_closing_fails_the_upgrade() {
    let mut session = polling(ServerConfig::default());
    session.handle_upgrade_request(at(10)).unwrap();
    session.handle_ws_frame(at(20), text("2probe"));
    drain(&mut session);
    session.handle_ws_closed(at(30), true);
    assert_eq!(drain(&mut session), []);
    assert!(!session.is_upgrading());
    assert!(!session.is_closed());
    session.handle_poll(at(40)).unwrap();
    session.handle_timeout(at(200));
    assert_eq!(drain(&mut session), [], "no more forced polls");
}

#[test]
fn upgrade_is_refused_when_already_upgrading_upgraded_websocket_or_disabled() {
    let refused = Err(RequestError::new(ErrorCode::BadRequest));

    let mut upgrading = polling(ServerConfig::default());
    upgrading.handle_upgrade_request(at(1)).unwrap();
    assert_eq!(upgrading.handle_upgrade_request(at(2)), refused);
    upgrading.handle_ws_frame(at(3), text("2probe"));
    assert_eq!(
        drain(&mut upgrading)[0],
        frame("3probe"),
        "the first probe is unaffected"
    );

    assert_eq!(
        upgraded(ServerConfig::default()).handle_upgrade_request(at(100)),
        refused
    );
    assert_eq!(
        websocket(ServerConfig::default()).handle_upgrade_request(at(1)),
        refused
    );
    assert_eq!(
        polling(ServerConfig::default().with_allow_upgrades(false)).handle_upgrade_request(at(1)),
        refused
    );

    let mut closing = polling(ServerConfig::default());
    closing.close(at(1));
    assert_eq!(closing.handle_upgrade_request(at(2)), refused);

    let mut closed = polling(ServerConfig::default());
    closed.handle_poll(at(1)).unwrap();
    closed.close(at(1));
    assert_eq!(
        closed.handle_upgrade_request(at(2)),
        Err(RequestError::new(ErrorCode::UnknownSid))
    );
}

#[test]
fn pings_keep_working_on_polling_during_an_upgrade() {
    let mut session = polling(ServerConfig::default());
    session.handle_upgrade_request(at(20_000)).unwrap();
    session.handle_poll(at(20_001)).unwrap();
    session.handle_timeout(at(25_000));
    assert_eq!(drain(&mut session), [body("2")]);
    post(&mut session, at(25_100), b"3").unwrap();
    assert_eq!(
        session.poll_timeout(),
        Some(at(30_000)),
        "upgrade timeout before the next ping"
    );
    session.handle_timeout(at(30_000));
    assert_eq!(drain(&mut session), [Output::CloseWebSocket]);
    assert_eq!(session.poll_timeout(), Some(at(50_100)));
}

#[test]
fn pending_ping_is_sent_over_websocket_after_the_upgrade() {
    let mut session = polling(ServerConfig::default());
    session.handle_upgrade_request(at(24_000)).unwrap();
    session.handle_ws_frame(at(24_500), text("2probe"));
    drain(&mut session);
    session.handle_timeout(at(25_000));
    assert_eq!(drain(&mut session), [], "ping waits for a GET");
    session.handle_ws_frame(at(25_100), text("5"));
    assert_eq!(
        drain(&mut session),
        [frame("2"), Output::Event(Event::Upgraded)]
    );
    session.handle_ws_frame(at(25_200), text("3"));
    assert_eq!(session.poll_timeout(), Some(at(50_200)));
}

// ----- close -----

#[test]
fn server_close_without_a_held_get_waits_for_the_next_one() {
    let mut session = polling(ServerConfig::default());
    send(&mut session, "bye");
    session.close(at(1_000));
    assert_eq!(drain(&mut session), []);
    assert!(!session.is_closed());
    assert_eq!(session.poll_timeout(), Some(at(31_000)));
    assert_eq!(
        session.send(Message::text("too late")),
        Err(SendError::Closed)
    );
    post(&mut session, at(1_500), b"4ignored").unwrap();
    assert_eq!(drain(&mut session), [], "packets are ignored while closing");
    session.handle_poll(at(2_000)).unwrap();
    assert_eq!(
        drain(&mut session),
        [body("4bye\x1e1"), closed(CloseReason::ForcedClose)]
    );
}

#[test]
fn server_close_spreads_over_several_gets_within_max_payload() {
    let mut session = polling(ServerConfig::default().with_max_payload(8));
    send(&mut session, "abcd");
    send(&mut session, "efgh");
    session.close(at(1));
    session.handle_poll(at(2)).unwrap();
    assert_eq!(drain(&mut session), [body("4abcd")]);
    session.handle_poll(at(3)).unwrap();
    assert_eq!(
        drain(&mut session),
        [body("4efgh\x1e1"), closed(CloseReason::ForcedClose)]
    );
}

#[test]
fn server_close_gives_up_after_close_timeout() {
    let config = ServerConfig::default().with_close_timeout(Duration::from_secs(5));
    let mut session = polling(config);
    session.close(at(1_000));
    session.handle_timeout(at(5_999));
    assert_eq!(drain(&mut session), []);
    session.handle_timeout(at(6_000));
    assert_eq!(drain(&mut session), [closed(CloseReason::ForcedClose)]);
    assert_eq!(
        session.handle_poll(at(6_001)),
        Err(RequestError::new(ErrorCode::UnknownSid))
    );
}

#[test]
fn server_close_on_websocket_flushes_then_closes_the_socket() {
    let mut session = websocket(ServerConfig::default());
    send(&mut session, "last");
    session.close(at(5));
    assert_eq!(
        drain(&mut session),
        [
            frame("4last"),
            Output::CloseWebSocket,
            closed(CloseReason::ForcedClose)
        ]
    );
}

#[test]
fn server_close_during_an_upgrade_closes_the_probe() {
    let mut session = polling(ServerConfig::default());
    session.handle_poll(at(1)).unwrap();
    session.handle_upgrade_request(at(2)).unwrap();
    session.close(at(3));
    assert_eq!(
        drain(&mut session),
        [
            Output::CloseWebSocket,
            body("1"),
            closed(CloseReason::ForcedClose)
        ]
    );
}

#[test]
fn websocket_closing_ends_the_session() {
    for (error, reason) in [
        (false, CloseReason::TransportClose),
        (true, CloseReason::TransportError),
    ] {
        let mut session = websocket(ServerConfig::default());
        session.handle_ws_closed(at(1), error);
        assert_eq!(
            drain(&mut session),
            [closed(reason)],
            "no CloseWebSocket for a socket already gone"
        );
        let mut session = upgraded(ServerConfig::default());
        session.handle_ws_closed(at(100), error);
        assert_eq!(drain(&mut session), [closed(reason)]);
    }
}

#[test]
fn websocket_close_packet_and_bad_frames_end_the_session() {
    let cases = [
        (text("1"), CloseReason::TransportClose),
        (text("9"), CloseReason::ParseError),
        (text(""), CloseReason::ParseError),
        (text("2"), CloseReason::TransportError),
        (
            Frame::Binary(Bytes::from(vec![0u8; 11])),
            CloseReason::TransportError,
        ),
    ];
    for (bad, reason) in cases {
        let mut session = websocket(ServerConfig::default().with_max_payload(10));
        session.handle_ws_frame(at(1), bad.clone());
        assert_eq!(
            drain(&mut session),
            [Output::CloseWebSocket, closed(reason)],
            "{bad:?}"
        );
    }
}

#[test]
fn closed_session_is_silent() {
    let mut session = polling(ServerConfig::default());
    session.handle_poll(at(1)).unwrap();
    session.close(at(2));
    assert_eq!(
        drain(&mut session),
        [body("1"), closed(CloseReason::ForcedClose)]
    );

    session.close(at(3));
    session.handle_timeout(at(100_000));
    session.handle_poll_aborted(at(4));
    session.handle_post_aborted(at(4));
    session.handle_ws_frame(at(4), text("4x"));
    session.handle_ws_closed(at(4), true);
    let gone = Err(RequestError::new(ErrorCode::UnknownSid));
    assert_eq!(session.handle_poll(at(5)), gone);
    assert_eq!(session.handle_post_start(at(5)), gone);
    assert_eq!(session.handle_upgrade_request(at(5)), gone);
    assert_eq!(session.send(Message::text("x")), Err(SendError::Closed));
    assert_eq!(drain(&mut session), []);
    assert_eq!(session.poll_timeout(), None);
}

// ----- bounded send queue -----

#[test]
fn send_queue_is_bounded_on_polling() {
    let mut session = polling(ServerConfig::default().with_max_buffered_packets(3));
    for i in 0..3 {
        send(&mut session, &i.to_string());
    }
    assert_eq!(
        session.send(Message::text("overflow")),
        Err(SendError::QueueFull { limit: 3 })
    );
    session.handle_poll(at(1)).unwrap();
    assert_eq!(drain(&mut session), [body("40\x1e41\x1e42")]);
    send(&mut session, "room again");
}

#[test]
fn send_queue_is_bounded_on_websocket_until_frames_are_pulled() {
    let mut session = websocket(ServerConfig::default().with_max_buffered_packets(2));
    send(&mut session, "a");
    send(&mut session, "b");
    assert_eq!(
        session.send(Message::text("c")),
        Err(SendError::QueueFull { limit: 2 })
    );
    assert_eq!(session.poll_output(), Some(frame("4a")));
    send(&mut session, "c");
    assert_eq!(drain(&mut session), [frame("4b"), frame("4c")]);
}

#[test]
fn pings_are_not_refused_by_a_full_queue() {
    let mut session = polling(ServerConfig::default().with_max_buffered_packets(1));
    send(&mut session, "a");
    session.handle_timeout(at(25_000));
    session.handle_poll(at(25_001)).unwrap();
    assert_eq!(drain(&mut session), [body("4a\x1e2")]);
}

// ----- routing -----

fn route<'a>(
    method: Method,
    query: &'a str,
    upgrade: bool,
    config: &ServerConfig,
) -> Result<Route<'a>, ErrorCode> {
    route_request(method, &Query::parse(query), upgrade, config).map_err(|error| error.code)
}

#[test]
fn routes_handshakes_and_session_requests() {
    let config = ServerConfig::default();
    assert_eq!(
        route(Method::Get, "EIO=4&transport=polling&t=abc", false, &config),
        Ok(Route::Handshake {
            transport: Transport::Polling
        })
    );
    assert_eq!(
        route(Method::Get, "?EIO=4&transport=websocket", true, &config),
        Ok(Route::Handshake {
            transport: Transport::WebSocket
        })
    );
    for method in [Method::Get, Method::Post, Method::Options, Method::Other] {
        assert_eq!(
            route(method, "EIO=4&transport=polling&sid=abc", false, &config),
            Ok(Route::Session {
                sid: "abc",
                transport: Transport::Polling
            }),
            "methods of session requests are the session's business"
        );
    }
    assert_eq!(
        route(
            Method::Get,
            "EIO=3&transport=websocket&sid=abc",
            true,
            &config
        ),
        Ok(Route::Session {
            sid: "abc",
            transport: Transport::WebSocket
        }),
        "EIO is checked at the handshake only"
    );
}

#[test]
fn unknown_or_disabled_transport_is_code_0() {
    let config = ServerConfig::default();
    for query in [
        "EIO=4",
        "EIO=4&transport=",
        "EIO=4&transport=flashsocket",
        "EIO=4&transport=webtransport",
        "EIO=4&transport=Polling",
        "EIO=4&transport=polling%20",
        "EIO=4&transport=polling&transport=xhr",
        "EIO=4&transport=polling&sid=abc&transport=x",
    ] {
        assert_eq!(
            route(Method::Get, query, false, &config),
            Err(ErrorCode::UnknownTransport),
            "{query}"
        );
    }
    let polling_only = config.with_transports(Transports::POLLING);
    assert_eq!(
        route(
            Method::Get,
            "EIO=4&transport=websocket",
            true,
            &polling_only
        ),
        Err(ErrorCode::UnknownTransport)
    );
    assert_eq!(
        route(
            Method::Get,
            "EIO=4&transport=websocket&sid=a",
            true,
            &polling_only
        ),
        Err(ErrorCode::UnknownTransport)
    );
    assert_eq!(
        route(Method::Post, "EIO=3&transport=nope", false, &config),
        Err(ErrorCode::UnknownTransport),
        "the transport is checked first"
    );
    let error = route_request(Method::Get, &Query::parse(""), false, &config).unwrap_err();
    assert_eq!(
        error.json_body(),
        r#"{"code":0,"message":"Transport unknown"}"#
    );
}

#[test]
fn non_get_handshake_is_code_2() {
    let config = ServerConfig::default();
    for method in [Method::Post, Method::Options, Method::Other] {
        assert_eq!(
            route(method, "EIO=4&transport=polling", false, &config),
            Err(ErrorCode::BadHandshakeMethod)
        );
    }
    assert_eq!(
        route(Method::Post, "EIO=3&transport=polling&sid=", false, &config),
        Err(ErrorCode::BadHandshakeMethod),
        "an empty sid is a handshake, and the method is checked before EIO"
    );
}

#[test]
fn request_kind_not_fitting_its_transport_is_code_3() {
    let config = ServerConfig::default();
    assert_eq!(
        route(Method::Get, "EIO=4&transport=websocket", false, &config),
        Err(ErrorCode::BadRequest),
        "websocket handshake without an upgrade"
    );
    assert_eq!(
        route(Method::Get, "EIO=4&transport=polling", true, &config),
        Err(ErrorCode::BadRequest),
        "an upgrade claiming polling"
    );
    assert_eq!(
        route(
            Method::Get,
            "EIO=4&transport=websocket&sid=a",
            false,
            &config
        ),
        Err(ErrorCode::BadRequest)
    );
    assert_eq!(
        route(Method::Get, "EIO=4&transport=polling&sid=a", true, &config),
        Err(ErrorCode::BadRequest)
    );
    assert_eq!(
        route(Method::Get, "EIO=5&transport=websocket", false, &config),
        Err(ErrorCode::BadRequest),
        "checked before EIO"
    );
}

#[test]
fn unsupported_protocol_version_is_code_5() {
    let config = ServerConfig::default();
    for query in [
        "transport=polling",
        "EIO=3&transport=polling",
        "EIO=&transport=polling",
        "EIO=04&transport=polling",
        "eio=4&transport=polling",
        "EIO=4&EIO=3&transport=polling",
        "EIO=%34&transport=polling",
    ] {
        assert_eq!(
            route(Method::Get, query, false, &config),
            Err(ErrorCode::UnsupportedProtocolVersion),
            "{query}"
        );
    }
    assert_eq!(
        route(Method::Get, "EIO=3&transport=polling&EIO=4", false, &config),
        Ok(Route::Handshake {
            transport: Transport::Polling
        }),
        "the last EIO wins"
    );
    let error = route_request(
        Method::Get,
        &Query::parse("transport=polling"),
        false,
        &config,
    )
    .unwrap_err();
    assert_eq!(
        error.json_body(),
        r#"{"code":5,"message":"Unsupported protocol version"}"#
    );
}

#[test]
fn repeated_and_odd_query_parameters() {
    let config = ServerConfig::default();
    assert_eq!(
        route(
            Method::Get,
            "EIO=4&transport=polling&sid=first&sid=second",
            false,
            &config
        ),
        Ok(Route::Session {
            sid: "second",
            transport: Transport::Polling
        })
    );
    assert_eq!(
        route(
            Method::Get,
            "&&EIO=4&&transport=polling&sid&",
            false,
            &config
        ),
        Ok(Route::Handshake {
            transport: Transport::Polling
        }),
        "empty pairs are skipped; a bare `sid` is empty"
    );
    assert_eq!(
        route(
            Method::Get,
            "EIO=4&transport=polling&sid=a=b",
            false,
            &config
        ),
        Ok(Route::Session {
            sid: "a=b",
            transport: Transport::Polling
        })
    );
}

// ----- invariants under arbitrary inputs -----

mod invariants {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        Poll,
        PollAborted,
        PostStart,
        PostData(Vec<u8>),
        PostEnd,
        PostAborted,
        UpgradeRequest,
        WsFrame(Frame),
        WsClosed(bool),
        Send,
        Close,
        Advance(u64),
        Timeout,
    }

    fn op() -> impl Strategy<Value = Op> {
        let fragment = prop_oneof![
            Just(b"4a".to_vec()),
            Just(b"\x1e".to_vec()),
            Just(b"3".to_vec()),
            Just(b"1".to_vec()),
            Just(b"2".to_vec()),
            Just(b"bAQI=".to_vec()),
            proptest::collection::vec(any::<u8>(), 0..6),
        ];
        let ws_frame = prop_oneof![
            Just(text("2probe")),
            Just(text("5")),
            Just(text("3")),
            Just(text("4hi")),
            Just(text("1")),
            Just(text("2")),
            Just(text("9")),
            Just(Frame::Binary(Bytes::from_static(&[1, 2]))),
        ];
        prop_oneof![
            3 => Just(Op::Poll),
            1 => Just(Op::PollAborted),
            2 => Just(Op::PostStart),
            3 => fragment.prop_map(Op::PostData),
            2 => Just(Op::PostEnd),
            1 => Just(Op::PostAborted),
            2 => Just(Op::UpgradeRequest),
            3 => ws_frame.prop_map(Op::WsFrame),
            1 => any::<bool>().prop_map(Op::WsClosed),
            3 => Just(Op::Send),
            1 => Just(Op::Close),
            3 => (0u64..400).prop_map(Op::Advance),
            3 => Just(Op::Timeout),
        ]
    }

    /// What the runtime knows: which GET and WebSocket it holds for the session.
    struct Runtime {
        now: Instant,
        held_get: bool,
        websocket: bool,
        closed_events: usize,
    }

    impl Runtime {
        fn pull(&mut self, session: &mut ServerSession) {
            while let Some(output) = session.poll_output() {
                assert_eq!(self.closed_events, 0, "output after Closed: {output:?}");
                match output {
                    Output::PollResponse(_) => {
                        assert!(self.held_get, "answer without a held GET");
                        self.held_get = false;
                    }
                    Output::WsFrame(_) => assert!(self.websocket, "frame without a socket"),
                    Output::CloseWebSocket => {
                        assert!(self.websocket, "closing a socket that is not there");
                        self.websocket = false;
                    }
                    Output::Event(Event::Closed(_)) => self.closed_events += 1,
                    Output::Event(_) => {}
                }
            }
            assert_eq!(session.is_closed(), self.closed_events == 1);
            match session.poll_timeout() {
                None => assert!(session.is_closed(), "an open session without deadline"),
                Some(deadline) => assert!(!session.is_closed() && deadline >= self.now),
            }
        }
    }

    fn config() -> ServerConfig {
        ServerConfig::default()
            .with_ping_interval(Duration::from_millis(250))
            .with_ping_timeout(Duration::from_millis(200))
            .with_upgrade_timeout(Duration::from_millis(300))
            .with_close_timeout(Duration::from_millis(350))
            .with_max_payload(12)
            .with_max_buffered_packets(4)
    }

    proptest! {
        #[test]
        fn session_invariants_hold(
            websocket_session in any::<bool>(),
            ops in proptest::collection::vec(op(), 0..80),
        ) {
            let transport = if websocket_session { Transport::WebSocket } else { Transport::Polling };
            let mut session = ServerSession::new(at(0), "s".into(), transport, config());
            let mut runtime = Runtime {
                now: at(0),
                held_get: !websocket_session,
                websocket: websocket_session,
                closed_events: 0,
            };
            runtime.pull(&mut session);
            for op in ops {
                let now = runtime.now;
                match op {
                    Op::Poll => {
                        if session.handle_poll(now).is_ok() {
                            runtime.held_get = true;
                        }
                    }
                    Op::PollAborted => {
                        if runtime.held_get {
                            runtime.held_get = false;
                            session.handle_poll_aborted(now);
                        }
                    }
                    Op::PostStart => { let _ = session.handle_post_start(now); }
                    Op::PostData(data) => { let _ = session.handle_post_data(now, Bytes::from(data)); }
                    Op::PostEnd => { let _ = session.handle_post_end(now); }
                    Op::PostAborted => session.handle_post_aborted(now),
                    Op::UpgradeRequest => {
                        if !runtime.websocket && session.handle_upgrade_request(now).is_ok() {
                            runtime.websocket = true;
                        }
                    }
                    Op::WsFrame(frame) => {
                        if runtime.websocket {
                            session.handle_ws_frame(now, frame);
                        }
                    }
                    Op::WsClosed(error) => {
                        if runtime.websocket {
                            runtime.websocket = false;
                            session.handle_ws_closed(now, error);
                        }
                    }
                    Op::Send => { let _ = session.send(Message::text("m")); }
                    Op::Close => session.close(now),
                    // Like a runtime's timer: every deadline on the way is handled at its instant.
                    Op::Advance(ms) => {
                        let target = now + Duration::from_millis(ms);
                        while let Some(deadline) = session.poll_timeout().filter(|&d| d <= target) {
                            runtime.now = deadline;
                            session.handle_timeout(deadline);
                            runtime.pull(&mut session);
                            if let Some(next) = session.poll_timeout() {
                                prop_assert!(next > deadline, "the deadline moved on");
                            }
                        }
                        runtime.now = target;
                    }
                    // A runtime calling late, or early: neither may break anything.
                    Op::Timeout => session.handle_timeout(now),
                }
                runtime.pull(&mut session);
            }
        }
    }
}
