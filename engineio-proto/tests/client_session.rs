//! The client session driven with a fake clock and hand-written server bytes (spec vectors).

use engineio_proto::client::{
    ClientConfig, ClientSession, CloseReason, Event, Output, SendError, TransportFailure,
};
use engineio_proto::{
    Bytes, DecodeError, Frame, Instant, Message, SessionParams, Transport, Transports, Utf8Bytes,
};

const SID: &str = "lv_VI97HAXpY6yYWAAAC";
/// Polling handshake offering websocket; heartbeat window 300 + 200 ms; small maxPayload for splits.
const OPEN_WITH_UPGRADE: &str = r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":20}"#;
/// The same without an upgrade offer.
const OPEN_NO_UPGRADE: &str = r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":20}"#;

const POLL_HANDSHAKE_QUERY: &str = "EIO=4&transport=polling";
const POLL_QUERY: &str = "EIO=4&transport=polling&sid=lv_VI97HAXpY6yYWAAAC";
const WS_PROBE_QUERY: &str = "EIO=4&transport=websocket&sid=lv_VI97HAXpY6yYWAAAC";

fn ms(millis: u64) -> Instant {
    Instant::from_millis(millis)
}

fn body(bytes: &'static str) -> Result<Bytes, TransportFailure> {
    Ok(Bytes::from_static(bytes.as_bytes()))
}

fn text_frame(text: &'static str) -> Frame {
    Frame::Text(Utf8Bytes::from_static(text))
}

fn drain(session: &mut ClientSession) -> Vec<Output> {
    core::iter::from_fn(|| session.poll_output()).collect()
}

fn poll() -> Output {
    Output::Poll {
        query: POLL_QUERY.into(),
    }
}

fn post(bytes: &'static str) -> Output {
    Output::Post {
        query: POLL_QUERY.into(),
        body: Bytes::from_static(bytes.as_bytes()),
    }
}

fn frame(text: &'static str) -> Output {
    Output::WsFrame(text_frame(text))
}

fn event(event: Event) -> Output {
    Output::Event(event)
}

fn message(text: &'static str) -> Output {
    event(Event::Message(Message::text(text)))
}

fn closed(reason: CloseReason) -> Output {
    event(Event::Closed(reason))
}

fn handshake(upgrades: &[&str]) -> SessionParams {
    SessionParams {
        sid: SID.into(),
        upgrades: upgrades.iter().map(|name| (*name).into()).collect(),
        ping_interval: 300,
        ping_timeout: 200,
        max_payload: 20,
    }
}

/// A polling session opened at `at` with `open`; its outputs up to and including the second GET are
/// checked and consumed.
fn open_polling(config: ClientConfig, open: &'static str, at: Instant) -> ClientSession {
    let mut session = ClientSession::new(config);
    session.start(at);
    assert_eq!(
        drain(&mut session),
        [Output::Poll {
            query: POLL_HANDSHAKE_QUERY.into()
        }]
    );
    session.handle_poll_response(at, body(open));
    let outputs = drain(&mut session);
    assert_eq!(outputs.last(), Some(&poll()), "{outputs:?}");
    session
}

fn polling_session() -> ClientSession {
    open_polling(ClientConfig::default(), OPEN_NO_UPGRADE, ms(0))
}

/// A session that upgraded to WebSocket (all upgrade outputs consumed).
fn upgraded_session() -> ClientSession {
    let mut session = open_polling(ClientConfig::default(), OPEN_WITH_UPGRADE, ms(0));
    session.handle_ws_opened(ms(1));
    session.handle_ws_frame(ms(2), text_frame("3probe"));
    session.handle_poll_response(ms(3), body("6"));
    let outputs = drain(&mut session);
    assert!(outputs.contains(&event(Event::Upgraded)), "{outputs:?}");
    assert_eq!(session.transport(), Transport::WebSocket);
    session
}

fn closed_events(outputs: &[Output]) -> usize {
    outputs
        .iter()
        .filter(|output| matches!(output, Output::Event(Event::Closed(_))))
        .count()
}

#[test]
fn handshake_over_polling() {
    let mut session = ClientSession::new(ClientConfig::default());
    assert_eq!(session.transport(), Transport::Polling);
    assert!(!session.is_open());
    session.start(ms(1000));
    assert_eq!(
        drain(&mut session),
        [Output::Poll {
            query: POLL_HANDSHAKE_QUERY.into()
        }]
    );
    assert_eq!(
        session.poll_timeout(),
        None,
        "no heartbeat before the handshake"
    );

    session.handle_poll_response(ms(1010), body(OPEN_NO_UPGRADE));
    assert_eq!(
        drain(&mut session),
        [event(Event::Open(handshake(&[]))), poll()]
    );
    assert!(session.is_open());
    assert_eq!(session.sid(), Some(SID));
    assert_eq!(session.handshake(), Some(&handshake(&[])));
    assert_eq!(session.transport(), Transport::Polling);
    assert_eq!(session.poll_timeout(), Some(ms(1510)));
}

#[test]
fn handshake_over_websocket_only() {
    let config = ClientConfig {
        transports: Transports::WEBSOCKET,
        ..ClientConfig::default()
    };
    let mut session = ClientSession::new(config);
    session.start(ms(0));
    assert_eq!(
        drain(&mut session),
        [Output::OpenWebSocket {
            query: "EIO=4&transport=websocket".into()
        }]
    );
    assert_eq!(session.transport(), Transport::WebSocket);
    session.send(Message::text("early")).unwrap();
    session.handle_ws_opened(ms(5));
    assert_eq!(
        drain(&mut session),
        [],
        "waits for the server's open packet"
    );

    session.handle_ws_frame(
        ms(10),
        text_frame(r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":20}"#),
    );
    assert_eq!(
        drain(&mut session),
        [event(Event::Open(handshake(&[]))), frame("4early")]
    );
    assert!(session.is_open());
    assert_eq!(session.poll_timeout(), Some(ms(510)));

    session.send(Message::text("hello")).unwrap();
    session.handle_ws_frame(ms(20), text_frame("4hi"));
    session.handle_ws_frame(ms(21), Frame::Binary(Bytes::from_static(&[1, 2, 3])));
    assert_eq!(
        drain(&mut session),
        [
            frame("4hello"),
            message("hi"),
            event(Event::Message(Message::binary(&[1u8, 2, 3][..])))
        ]
    );
}

#[test]
fn packets_after_the_open_packet_are_delivered() {
    let mut session = ClientSession::new(ClientConfig::default());
    session.start(ms(0));
    drain(&mut session);
    session.handle_poll_response(
        ms(1),
        body(concat!(
            r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":20}"#,
            "\x1e40\x1e4hello"
        )),
    );
    assert_eq!(
        drain(&mut session),
        [
            event(Event::Open(handshake(&[]))),
            message("0"),
            message("hello"),
            poll()
        ]
    );
}

#[test]
fn poll_loop_keeps_exactly_one_get_in_flight() {
    let mut session = polling_session();
    session.send(Message::text("x")).unwrap();
    assert_eq!(
        drain(&mut session),
        [post("4x")],
        "a send never issues a GET"
    );

    for round in 0..3u64 {
        session.handle_poll_response(ms(10 + round), body("4a\x1e4b\x1ebAQIDBA=="));
        assert_eq!(
            drain(&mut session),
            [
                message("a"),
                message("b"),
                event(Event::Message(Message::binary(&[1u8, 2, 3, 4][..]))),
                poll()
            ]
        );
    }
    session.handle_post_response(ms(20), Ok(()));
    assert_eq!(
        drain(&mut session),
        [],
        "a POST response never issues a GET"
    );
}

#[test]
fn a_response_with_no_get_in_flight_is_ignored() {
    let mut session = upgraded_session();
    session.handle_poll_response(ms(50), body("4stale"));
    session.handle_post_response(ms(50), Ok(()));
    assert_eq!(drain(&mut session), []);
}

#[test]
fn posts_go_one_at_a_time_and_batch_within_max_payload() {
    let mut session = polling_session();
    // maxPayload is 20: "4abcd" is 5 bytes, so three packets and two separators fill 17 bytes.
    session.send(Message::text("abcd")).unwrap();
    assert_eq!(drain(&mut session), [post("4abcd")]);
    for _ in 0..4 {
        session.send(Message::text("abcd")).unwrap();
    }
    assert_eq!(drain(&mut session), [], "one POST in flight at a time");
    assert_eq!(session.buffered_packets(), 4);

    session.handle_post_response(ms(1), Ok(()));
    assert_eq!(drain(&mut session), [post("4abcd\x1e4abcd\x1e4abcd")]);
    session.send(Message::binary(&[1u8, 2, 3, 4][..])).unwrap();
    assert_eq!(drain(&mut session), []);

    session.handle_post_response(ms(2), Ok(()));
    assert_eq!(drain(&mut session), [post("4abcd\x1ebAQIDBA==")]);
    session.handle_post_response(ms(3), Ok(()));
    assert_eq!(drain(&mut session), []);
    assert_eq!(session.buffered_packets(), 0);
}

#[test]
fn an_oversized_packet_still_goes_alone() {
    let mut session = polling_session();
    session.send(Message::text("x")).unwrap();
    session
        .send(Message::text("this is longer than twenty bytes"))
        .unwrap();
    session.send(Message::text("y")).unwrap();
    assert_eq!(drain(&mut session), [post("4x")]);
    session.handle_post_response(ms(1), Ok(()));
    assert_eq!(
        drain(&mut session),
        [post("4this is longer than twenty bytes")]
    );
    session.handle_post_response(ms(2), Ok(()));
    assert_eq!(drain(&mut session), [post("4y")]);
}

#[test]
fn pings_are_answered_and_rearm_the_watchdog() {
    let mut session = open_polling(ClientConfig::default(), OPEN_NO_UPGRADE, ms(1000));
    assert_eq!(session.poll_timeout(), Some(ms(1500)));
    session.handle_poll_response(ms(1300), body("2"));
    assert_eq!(drain(&mut session), [post("3"), poll()]);
    assert_eq!(session.poll_timeout(), Some(ms(1800)));

    // Pings while a POST is in flight share one pending pong.
    session.handle_poll_response(ms(1400), body("2\x1e2\x1e2"));
    assert_eq!(drain(&mut session), [poll()]);
    session.handle_post_response(ms(1401), Ok(()));
    assert_eq!(drain(&mut session), [post("3")]);
    assert_eq!(session.poll_timeout(), Some(ms(1900)));

    // Over WebSocket the pong is a frame.
    let mut session = upgraded_session();
    session.handle_ws_frame(ms(100), text_frame("2"));
    assert_eq!(drain(&mut session), [frame("3")]);
    assert_eq!(session.poll_timeout(), Some(ms(600)));
}

#[test]
fn watchdog_closes_at_exactly_ping_interval_plus_ping_timeout() {
    let mut session = open_polling(ClientConfig::default(), OPEN_NO_UPGRADE, ms(1000));
    let deadline = session.poll_timeout().unwrap();
    assert_eq!(deadline, ms(1500));
    session.handle_timeout(Instant::from_micros(1_499_999));
    assert_eq!(drain(&mut session), []);
    assert!(session.is_open());

    session.handle_timeout(deadline);
    assert_eq!(
        drain(&mut session),
        [post("1"), closed(CloseReason::PingTimeout)]
    );
    assert!(session.is_closed());
    assert_eq!(session.poll_timeout(), None);
}

#[test]
fn full_upgrade_waits_for_the_held_get_and_the_post() {
    let mut session = ClientSession::new(ClientConfig::default());
    session.start(ms(0));
    drain(&mut session);
    session.handle_poll_response(ms(1), body(OPEN_WITH_UPGRADE));
    assert_eq!(
        drain(&mut session),
        [
            event(Event::Open(handshake(&["websocket"]))),
            Output::OpenWebSocket {
                query: WS_PROBE_QUERY.into()
            },
            poll()
        ]
    );

    session.handle_ws_opened(ms(2));
    assert_eq!(drain(&mut session), [frame("2probe")]);
    session.send(Message::text("in flight")).unwrap();
    assert_eq!(drain(&mut session), [post("4in flight")]);

    session.handle_ws_frame(ms(3), text_frame("3probe"));
    assert_eq!(drain(&mut session), [event(Event::Upgrading)]);
    assert_eq!(session.transport(), Transport::Polling);

    session.send(Message::text("queued")).unwrap();
    assert_eq!(drain(&mut session), [], "no new POST while pausing");
    session.handle_post_response(ms(4), Ok(()));
    assert_eq!(
        drain(&mut session),
        [],
        "the GET is still held by the server"
    );

    // The server releases the held GET with a noop; only now does `5` go out.
    session.handle_poll_response(ms(5), body("6"));
    assert_eq!(
        drain(&mut session),
        [frame("5"), event(Event::Upgraded), frame("4queued")]
    );
    assert_eq!(session.transport(), Transport::WebSocket);
    assert!(session.is_open());

    session.send(Message::binary(&[9u8][..])).unwrap();
    session.handle_ws_frame(ms(6), text_frame("4over ws"));
    assert_eq!(
        drain(&mut session),
        [
            Output::WsFrame(Frame::Binary(Bytes::from_static(&[9]))),
            message("over ws")
        ]
    );
}

#[test]
fn upgrade_waits_for_the_post_when_the_get_is_already_back() {
    let mut session = open_polling(ClientConfig::default(), OPEN_WITH_UPGRADE, ms(0));
    session.handle_ws_opened(ms(1));
    drain(&mut session);
    session.send(Message::text("a")).unwrap();
    drain(&mut session);
    session.handle_ws_frame(ms(2), text_frame("3probe"));
    session.handle_poll_response(ms(3), body("6"));
    assert_eq!(
        drain(&mut session),
        [event(Event::Upgrading)],
        "no GET, no `5`"
    );
    session.handle_post_response(ms(4), Ok(()));
    assert_eq!(drain(&mut session), [frame("5"), event(Event::Upgraded)]);
}

#[test]
fn no_probe_without_offer_or_when_disabled() {
    let session_outputs = |config: ClientConfig, open: &'static str| {
        let mut session = ClientSession::new(config);
        session.start(ms(0));
        drain(&mut session);
        session.handle_poll_response(ms(1), body(open));
        drain(&mut session)
    };
    let opens_ws = |outputs: &[Output]| {
        outputs
            .iter()
            .any(|o| matches!(o, Output::OpenWebSocket { .. }))
    };
    assert!(opens_ws(&session_outputs(
        ClientConfig::default(),
        OPEN_WITH_UPGRADE
    )));
    assert!(!opens_ws(&session_outputs(
        ClientConfig::default(),
        OPEN_NO_UPGRADE
    )));
    let no_upgrade = ClientConfig {
        upgrade: false,
        ..ClientConfig::default()
    };
    assert!(!opens_ws(&session_outputs(no_upgrade, OPEN_WITH_UPGRADE)));
    let polling_only = ClientConfig {
        transports: Transports::POLLING,
        ..ClientConfig::default()
    };
    assert!(!opens_ws(&session_outputs(polling_only, OPEN_WITH_UPGRADE)));
}

#[test]
fn a_wrong_probe_answer_closes_the_probe_and_stays_on_polling() {
    for answer in ["3", "4probe", "3nope", "", "9"] {
        let mut session = open_polling(ClientConfig::default(), OPEN_WITH_UPGRADE, ms(0));
        session.handle_ws_opened(ms(1));
        assert_eq!(drain(&mut session), [frame("2probe")]);
        session.handle_ws_frame(ms(2), Frame::Text(Utf8Bytes::from(answer.to_string())));
        assert_eq!(
            drain(&mut session),
            [Output::CloseWebSocket, event(Event::UpgradeFailed)],
            "answer {answer:?}"
        );
        assert_eq!(session.transport(), Transport::Polling);
        assert!(session.is_open());
        session.send(Message::text("still")).unwrap();
        session.handle_poll_response(ms(3), body("4ok"));
        assert_eq!(drain(&mut session), [post("4still"), message("ok"), poll()]);
        // Later reports from the abandoned probe are ignored.
        session.handle_ws_frame(ms(4), text_frame("3probe"));
        session.handle_ws_closed(ms(4), false);
        assert_eq!(drain(&mut session), []);
        assert!(session.is_open());
    }
}

#[test]
fn a_probe_that_fails_to_connect_stays_on_polling() {
    for error in [true, false] {
        let mut session = open_polling(ClientConfig::default(), OPEN_WITH_UPGRADE, ms(0));
        session.handle_ws_closed(ms(1), error);
        assert_eq!(drain(&mut session), [event(Event::UpgradeFailed)]);
        assert!(session.is_open());
        session.handle_poll_response(ms(2), body("6"));
        assert_eq!(drain(&mut session), [poll()]);
    }
}

#[test]
fn a_probe_lost_while_pausing_resumes_polling() {
    let mut session = open_polling(ClientConfig::default(), OPEN_WITH_UPGRADE, ms(0));
    session.handle_ws_opened(ms(1));
    session.send(Message::text("in flight")).unwrap();
    session.handle_ws_frame(ms(2), text_frame("3probe"));
    session.handle_poll_response(ms(3), body("6"));
    session.send(Message::text("queued")).unwrap();
    assert_eq!(
        drain(&mut session),
        [frame("2probe"), post("4in flight"), event(Event::Upgrading)]
    );
    session.handle_ws_closed(ms(4), true);
    assert_eq!(drain(&mut session), [event(Event::UpgradeFailed), poll()]);
    session.handle_post_response(ms(5), Ok(()));
    assert_eq!(drain(&mut session), [post("4queued")]);
    assert_eq!(session.transport(), Transport::Polling);
}

#[test]
fn a_close_packet_from_the_server_is_a_transport_close() {
    let mut session = polling_session();
    session.handle_poll_response(ms(1), body("4last\x1e1\x1e4ignored"));
    assert_eq!(
        drain(&mut session),
        [message("last"), closed(CloseReason::TransportClose)],
        "no close POST back, no GET, nothing after the close packet"
    );

    let mut session = upgraded_session();
    session.handle_ws_frame(ms(1), text_frame("1"));
    assert_eq!(
        drain(&mut session),
        [Output::CloseWebSocket, closed(CloseReason::TransportClose)]
    );

    let mut session = upgraded_session();
    session.handle_ws_closed(ms(1), false);
    assert_eq!(drain(&mut session), [closed(CloseReason::TransportClose)]);
}

#[test]
fn transport_failures_are_transport_errors() {
    let mut session = polling_session();
    session.handle_poll_response(ms(1), Err(TransportFailure::HttpStatus(400)));
    assert_eq!(
        drain(&mut session),
        [
            post("1"),
            closed(CloseReason::TransportError(TransportFailure::HttpStatus(
                400
            )))
        ]
    );

    let mut session = polling_session();
    session.send(Message::text("x")).unwrap();
    drain(&mut session);
    session.handle_post_response(ms(1), Err(TransportFailure::Network));
    assert_eq!(
        drain(&mut session),
        [
            post("1"),
            closed(CloseReason::TransportError(TransportFailure::Network))
        ]
    );

    // A GET failure while a POST is under way: no second POST.
    let mut session = polling_session();
    session.send(Message::text("x")).unwrap();
    drain(&mut session);
    session.handle_poll_response(ms(1), Err(TransportFailure::Network));
    assert_eq!(
        drain(&mut session),
        [closed(CloseReason::TransportError(
            TransportFailure::Network
        ))]
    );

    let mut session = upgraded_session();
    session.handle_ws_closed(ms(1), true);
    assert_eq!(
        drain(&mut session),
        [closed(CloseReason::TransportError(
            TransportFailure::Network
        ))]
    );

    // Before the handshake there is no session to tell.
    let mut session = ClientSession::new(ClientConfig::default());
    session.start(ms(0));
    drain(&mut session);
    session.handle_poll_response(ms(1), Err(TransportFailure::HttpStatus(403)));
    assert_eq!(
        drain(&mut session),
        [closed(CloseReason::TransportError(
            TransportFailure::HttpStatus(403)
        ))]
    );
}

#[test]
fn undecodable_data_is_a_parse_error() {
    let cases: [(&'static str, DecodeError); 4] = [
        ("9", DecodeError::UnknownType(b'9')),
        ("", DecodeError::Empty),
        ("4a\x1e", DecodeError::Empty),
        ("b!!", DecodeError::InvalidBase64),
    ];
    for (bytes, error) in cases {
        let mut session = polling_session();
        session.handle_poll_response(ms(1), body(bytes));
        let outputs = drain(&mut session);
        assert_eq!(
            outputs.last(),
            Some(&closed(CloseReason::ParseError(error))),
            "{bytes:?}"
        );
        assert!(!outputs.contains(&poll()));
    }

    // Packets before the bad one are delivered, like the reference.
    let mut session = polling_session();
    session.handle_poll_response(ms(1), body("4a\x1e7"));
    assert_eq!(
        drain(&mut session),
        [
            message("a"),
            post("1"),
            closed(CloseReason::ParseError(DecodeError::UnknownType(b'7')))
        ]
    );

    let mut session = upgraded_session();
    session.handle_ws_frame(ms(1), text_frame("x"));
    assert_eq!(
        drain(&mut session),
        [
            Output::CloseWebSocket,
            closed(CloseReason::ParseError(DecodeError::UnknownType(b'x')))
        ]
    );
}

#[test]
fn oversized_bodies_and_frames_are_refused() {
    let config = ClientConfig {
        max_incoming_payload: 8,
        ..ClientConfig::default()
    };
    let mut session = ClientSession::new(config);
    session.start(ms(0));
    drain(&mut session);
    session.handle_poll_response(ms(1), body(OPEN_NO_UPGRADE));
    assert_eq!(
        drain(&mut session),
        [closed(CloseReason::ParseError(DecodeError::TooLarge {
            limit: 8
        }))]
    );

    let config = ClientConfig {
        transports: Transports::WEBSOCKET,
        max_incoming_payload: 8,
        ..ClientConfig::default()
    };
    let mut session = ClientSession::new(config);
    session.start(ms(0));
    session.handle_ws_opened(ms(0));
    session.handle_ws_frame(ms(1), text_frame("4123456789"));
    assert_eq!(
        drain(&mut session)[1..],
        [
            Output::CloseWebSocket,
            closed(CloseReason::ParseError(DecodeError::TooLarge { limit: 8 }))
        ]
    );
}

#[test]
fn a_bad_handshake_is_a_parse_error() {
    for bytes in [r#"0{"sid":1}"#, "4hello", "0"] {
        let mut session = ClientSession::new(ClientConfig::default());
        session.start(ms(0));
        drain(&mut session);
        session.handle_poll_response(ms(1), body(bytes));
        assert_eq!(
            drain(&mut session),
            [closed(CloseReason::ParseError(
                DecodeError::InvalidHandshake
            ))],
            "{bytes:?}"
        );
        assert_eq!(session.poll_timeout(), None);
    }
}

#[test]
fn close_on_polling_flushes_then_sends_a_close_packet() {
    let mut session = polling_session();
    session.close(ms(1));
    assert_eq!(
        drain(&mut session),
        [post("1"), closed(CloseReason::ForcedClose)]
    );
    assert!(session.is_closed());
    assert_eq!(session.send(Message::text("late")), Err(SendError::Closed));

    // With writes pending, they go first.
    let mut session = polling_session();
    session.send(Message::text("a")).unwrap();
    session.send(Message::text("b")).unwrap();
    assert_eq!(drain(&mut session), [post("4a")]);
    session.close(ms(1));
    assert!(!session.is_open());
    assert_eq!(drain(&mut session), []);
    assert_eq!(session.send(Message::text("c")), Err(SendError::Closed));
    // Packets still arrive while closing.
    session.handle_poll_response(ms(2), body("4still"));
    assert_eq!(drain(&mut session), [message("still"), poll()]);
    session.handle_post_response(ms(3), Ok(()));
    assert_eq!(drain(&mut session), [post("4b")]);
    session.handle_post_response(ms(4), Ok(()));
    assert_eq!(
        drain(&mut session),
        [post("1"), closed(CloseReason::ForcedClose)]
    );
}

#[test]
fn close_on_websocket_closes_the_socket_without_a_close_packet() {
    let mut session = upgraded_session();
    session.close(ms(10));
    assert_eq!(
        drain(&mut session),
        [Output::CloseWebSocket, closed(CloseReason::ForcedClose)]
    );
}

#[test]
fn close_while_probing_closes_the_probe() {
    let mut session = open_polling(ClientConfig::default(), OPEN_WITH_UPGRADE, ms(0));
    session.handle_ws_opened(ms(1));
    drain(&mut session);
    session.close(ms(2));
    assert_eq!(
        drain(&mut session),
        [
            post("1"),
            Output::CloseWebSocket,
            closed(CloseReason::ForcedClose)
        ]
    );
}

#[test]
fn close_while_upgrading_waits_for_the_switch() {
    let mut session = open_polling(ClientConfig::default(), OPEN_WITH_UPGRADE, ms(0));
    session.handle_ws_opened(ms(1));
    session.handle_ws_frame(ms(2), text_frame("3probe"));
    drain(&mut session);
    session.close(ms(3));
    assert_eq!(drain(&mut session), []);
    session.handle_poll_response(ms(4), body("6"));
    assert_eq!(
        drain(&mut session),
        [
            frame("5"),
            event(Event::Upgraded),
            Output::CloseWebSocket,
            closed(CloseReason::ForcedClose)
        ]
    );
}

#[test]
fn close_before_the_handshake() {
    let mut session = ClientSession::new(ClientConfig::default());
    session.start(ms(0));
    drain(&mut session);
    session.close(ms(1));
    assert_eq!(drain(&mut session), [closed(CloseReason::ForcedClose)]);

    // Messages sent while opening are written before the close.
    let mut session = ClientSession::new(ClientConfig::default());
    session.start(ms(0));
    drain(&mut session);
    session.send(Message::text("hi")).unwrap();
    session.close(ms(1));
    assert_eq!(drain(&mut session), []);
    session.handle_poll_response(ms(2), body(OPEN_WITH_UPGRADE));
    assert_eq!(
        drain(&mut session),
        [
            event(Event::Open(handshake(&["websocket"]))),
            post("4hi"),
            poll()
        ],
        "no probe once closing"
    );
    session.handle_post_response(ms(3), Ok(()));
    assert_eq!(
        drain(&mut session),
        [post("1"), closed(CloseReason::ForcedClose)]
    );

    let mut session = ClientSession::new(ClientConfig::default());
    session.close(ms(0));
    session.start(ms(0));
    assert_eq!(drain(&mut session), [closed(CloseReason::ForcedClose)]);
}

#[test]
fn the_send_queue_is_bounded() {
    let config = ClientConfig {
        max_buffered_packets: 3,
        ..ClientConfig::default()
    };
    let mut session = ClientSession::new(config);
    session.start(ms(0));
    drain(&mut session);
    for text in ["a", "b", "c"] {
        session.send(Message::text(text)).unwrap();
    }
    assert_eq!(session.send(Message::text("d")), Err(SendError::QueueFull));
    assert_eq!(session.buffered_packets(), 3);

    session.handle_poll_response(ms(1), body(OPEN_NO_UPGRADE));
    assert_eq!(
        drain(&mut session),
        [
            event(Event::Open(handshake(&[]))),
            post("4a\x1e4b\x1e4c"),
            poll()
        ]
    );
    session.send(Message::text("d")).unwrap();
    assert_eq!(session.buffered_packets(), 1);
}

#[test]
fn nothing_after_closed_and_exactly_one_closed_event() {
    let mut session = upgraded_session();
    session.handle_timeout(ms(500));
    let mut outputs = drain(&mut session);
    assert_eq!(
        outputs,
        [Output::CloseWebSocket, closed(CloseReason::PingTimeout)]
    );
    session.close(ms(501));
    session.handle_timeout(ms(10_000));
    session.handle_ws_frame(ms(502), text_frame("2"));
    session.handle_ws_closed(ms(503), true);
    session.handle_poll_response(ms(504), body("4x"));
    session.handle_post_response(ms(505), Ok(()));
    session.start(ms(506));
    assert_eq!(session.send(Message::text("x")), Err(SendError::Closed));
    outputs.extend(drain(&mut session));
    assert_eq!(closed_events(&outputs), 1);
    assert_eq!(outputs.len(), 2);
}

#[test]
fn no_transport_enabled_closes_at_once() {
    let config = ClientConfig {
        transports: Transports {
            polling: false,
            websocket: false,
        },
        ..ClientConfig::default()
    };
    let mut session = ClientSession::new(config);
    session.start(ms(0));
    assert_eq!(drain(&mut session), [closed(CloseReason::NoTransports)]);
}

#[test]
fn close_reasons_use_the_reference_strings() {
    assert_eq!(CloseReason::ForcedClose.as_str(), "forced close");
    assert_eq!(CloseReason::PingTimeout.as_str(), "ping timeout");
    assert_eq!(CloseReason::TransportClose.as_str(), "transport close");
    assert_eq!(
        CloseReason::TransportError(TransportFailure::Network).to_string(),
        "transport error"
    );
    assert_eq!(
        CloseReason::ParseError(DecodeError::Empty).as_str(),
        "parse error"
    );
}

mod random_drive {
    //! Random input sequences fed through a model runtime that only answers requests the session
    //! actually made, checking the session's invariants after every step.

    use super::*;
    use proptest::prelude::*;

    const BODIES: [&str; 9] = [
        OPEN_WITH_UPGRADE,
        OPEN_NO_UPGRADE,
        "6",
        "2",
        "4hello\x1e2\x1ebAQ==",
        "1",
        "9",
        "",
        "4a\x1e\x1e6",
    ];
    const FRAMES: [&str; 7] = [OPEN_WITH_UPGRADE, "3probe", "2", "4x", "1", "6", "x"];

    #[derive(Clone, Debug)]
    enum Input {
        Send(bool),
        Close,
        Timeout,
        Advance(u64),
        PollResponse(Option<usize>),
        PostResponse(bool),
        WsOpened,
        WsFrame(usize),
        WsClosed(bool),
    }

    fn input() -> impl Strategy<Value = Input> {
        prop_oneof![
            30 => any::<bool>().prop_map(Input::Send),
            3 => Just(Input::Close),
            3 => Just(Input::Timeout),
            20 => (0u64..400).prop_map(Input::Advance),
            // Mostly benign bodies; broken ones (close, undecodable, failure) now and then.
            60 => proptest::option::weighted(0.97, prop_oneof![12 => 0usize..5, 1 => 5usize..BODIES.len()]).prop_map(Input::PollResponse),
            40 => proptest::bool::weighted(0.97).prop_map(Input::PostResponse),
            20 => Just(Input::WsOpened),
            30 => prop_oneof![
                12 => proptest::sample::select(&[1usize, 2, 3, 5][..]),
                1 => proptest::sample::select(&[0usize, 4, 6][..]),
            ].prop_map(Input::WsFrame),
            3 => any::<bool>().prop_map(Input::WsClosed),
        ]
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Ws {
        None,
        Connecting,
        Open,
    }

    /// The runtime's view: what the session asked for and has not been answered yet.
    struct Runtime {
        get: bool,
        post: bool,
        ws: Ws,
        /// The session sent `2probe`; a well-behaved server answers `3probe`.
        probe_sent: bool,
        closed_seen: bool,
    }

    impl Runtime {
        fn absorb(&mut self, session: &mut ClientSession) {
            while let Some(output) = session.poll_output() {
                assert!(!self.closed_seen, "output after Closed: {output:?}");
                match output {
                    Output::Poll { .. } => {
                        assert!(!self.get, "two GETs in flight");
                        self.get = true;
                    }
                    Output::Post { .. } => {
                        assert!(!self.post, "two POSTs in flight");
                        self.post = true;
                    }
                    Output::OpenWebSocket { .. } => {
                        assert_eq!(self.ws, Ws::None, "two WebSockets");
                        self.ws = Ws::Connecting;
                    }
                    Output::WsFrame(frame) => {
                        assert_eq!(self.ws, Ws::Open, "frame on no open socket");
                        self.probe_sent |= frame == text_frame("2probe");
                    }
                    Output::CloseWebSocket => {
                        assert_ne!(self.ws, Ws::None, "closing no socket");
                        self.ws = Ws::None;
                    }
                    Output::Event(Event::Closed(_)) => self.closed_seen = true,
                    Output::Event(_) => {}
                }
            }
            assert_eq!(session.is_closed(), self.closed_seen);
            if session.is_open() {
                assert!(
                    session.poll_timeout().is_some(),
                    "open without a heartbeat deadline"
                );
            }
            if session.is_closed() {
                assert_eq!(session.poll_timeout(), None);
            }
            assert!(session.buffered_packets() <= session.config().max_buffered_packets + 1);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        #[test]
        fn invariants_hold(websocket_only: bool, inputs in proptest::collection::vec(input(), 0..80)) {
            let config = ClientConfig {
                transports: if websocket_only { Transports::WEBSOCKET } else { Transports::ALL },
                max_buffered_packets: 4,
                ..ClientConfig::default()
            };
            let mut session = ClientSession::new(config);
            let mut runtime = Runtime { get: false, post: false, ws: Ws::None, probe_sent: false, closed_seen: false };
            let mut now = ms(0);
            session.start(now);
            runtime.absorb(&mut session);
            for input in inputs {
                match input {
                    Input::Send(binary) => {
                        let message = if binary { Message::binary(&[0u8, 1][..]) } else { Message::text("m") };
                        let _ = session.send(message);
                    }
                    Input::Close => session.close(now),
                    Input::Timeout => {
                        if let Some(deadline) = session.poll_timeout() {
                            now = now.max(deadline);
                            session.handle_timeout(now);
                        }
                    }
                    Input::Advance(millis) => now = now + core::time::Duration::from_millis(millis),
                    Input::PollResponse(choice) if runtime.get => {
                        runtime.get = false;
                        let response = match choice {
                            // Mostly a well-behaved server: the handshake comes first.
                            Some(index) if session.handshake().is_none() && index < 5 => body(BODIES[index % 2]),
                            Some(index) => body(BODIES[index]),
                            None => Err(TransportFailure::Network),
                        };
                        session.handle_poll_response(now, response);
                    }
                    Input::PostResponse(ok) if runtime.post => {
                        runtime.post = false;
                        session.handle_post_response(now, if ok { Ok(()) } else { Err(TransportFailure::HttpStatus(400)) });
                    }
                    Input::WsOpened if runtime.ws == Ws::Connecting => {
                        runtime.ws = Ws::Open;
                        session.handle_ws_opened(now);
                    }
                    Input::WsFrame(index) if runtime.ws == Ws::Open => {
                        let text = if session.handshake().is_none() && index < 6 {
                            FRAMES[0]
                        } else if core::mem::take(&mut runtime.probe_sent) && index != 6 {
                            "3probe"
                        } else {
                            FRAMES[index]
                        };
                        session.handle_ws_frame(now, text_frame(text));
                    }
                    Input::WsClosed(error) if runtime.ws != Ws::None => {
                        runtime.ws = Ws::None;
                        runtime.probe_sent = false;
                        session.handle_ws_closed(now, error);
                    }
                    _ => {}
                }
                runtime.absorb(&mut session);
            }
            // Whatever state it reached, a close always ends it once the runtime answers.
            session.close(now);
            runtime.absorb(&mut session);
            for _ in 0..8 {
                if runtime.get {
                    runtime.get = false;
                    session.handle_poll_response(now, body("6"));
                }
                if runtime.post {
                    runtime.post = false;
                    session.handle_post_response(now, Ok(()));
                }
                runtime.absorb(&mut session);
            }
            if !session.is_closed() {
                session.handle_timeout(now + core::time::Duration::from_secs(1));
                runtime.absorb(&mut session);
            }
            prop_assert!(runtime.closed_seen || session.handshake().is_none());
        }
    }
}
