//! The client session speaking Engine.IO revision 3 (to `socket.io@2` servers), driven with a fake clock
//! and hand-written server bytes in the revision 3 forms.

use engineio_proto::client::{ClientConfig, ClientSession, CloseReason, Event, Output};
use engineio_proto::{
    Bytes, DecodeError, Frame, Instant, Message, ProtocolVersion, Transport, Transports, Utf8Bytes,
};

/// A revision 3 handshake: no `maxPayload`; heartbeat 300 ms + 200 ms.
const OPEN: &str = r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200}"#;

const POLL_QUERY: &str = "EIO=3&transport=polling&sid=lv_VI97HAXpY6yYWAAAC";

fn ms(millis: u64) -> Instant {
    Instant::from_millis(millis)
}

fn drain(session: &mut ClientSession) -> Vec<Output> {
    core::iter::from_fn(|| session.poll_output()).collect()
}

fn text_frame(text: &str) -> Frame {
    Frame::Text(Utf8Bytes::from(text.to_string()))
}

fn poll() -> Output {
    Output::Poll {
        query: POLL_QUERY.into(),
    }
}

fn post(body: &[u8]) -> Output {
    Output::Post {
        query: POLL_QUERY.into(),
        body: Bytes::copy_from_slice(body),
    }
}

fn message(text: &str) -> Output {
    Output::Event(Event::Message(Message::text(text.to_string())))
}

fn closed(reason: CloseReason) -> Output {
    Output::Event(Event::Closed(reason))
}

fn v3(transports: Transports, upgrade: bool) -> ClientConfig {
    ClientConfig {
        protocol: ProtocolVersion::V3,
        transports,
        upgrade,
        ..ClientConfig::default()
    }
}

/// The handshake GET's answer: the open packet, with its UTF-16 length.
fn handshake_body() -> Bytes {
    Bytes::from(format!("{}:{OPEN}", OPEN.len()))
}

/// A polling session (no upgrade) opened at 0; the second GET is out.
fn polling() -> ClientSession {
    let mut session = ClientSession::new(v3(Transports::ALL, false));
    session.start(ms(0));
    assert_eq!(
        drain(&mut session),
        [Output::Poll {
            query: "EIO=3&transport=polling".into()
        }]
    );
    session.handle_poll_response(ms(0), Ok(handshake_body()));
    let outputs = drain(&mut session);
    assert!(
        matches!(outputs[0], Output::Event(Event::Open(_))),
        "{outputs:?}"
    );
    assert_eq!(outputs.last(), Some(&poll()));
    session
}

#[test]
fn the_handshake_has_no_max_payload_and_the_first_ping_is_due_after_the_interval() {
    let session = polling();
    let handshake = session.handshake().unwrap();
    assert_eq!(handshake.max_payload, 1_000_000, "the default, unannounced");
    assert_eq!(session.poll_timeout(), Some(ms(300)), "the first ping");
}

#[test]
fn the_client_pings_every_interval_and_the_pong_restarts_it() {
    let mut session = polling();
    session.handle_timeout(ms(300));
    assert_eq!(drain(&mut session), [post(b"1:2")]);
    assert_eq!(
        session.poll_timeout(),
        Some(ms(500)),
        "pingTimeout after the ping"
    );
    session.handle_post_response(ms(301), Ok(()));
    session.handle_poll_response(ms(310), Ok(Bytes::from_static(b"1:3")));
    assert_eq!(drain(&mut session), [poll()]);
    assert_eq!(
        session.poll_timeout(),
        Some(ms(610)),
        "next ping pingInterval after the pong"
    );
    session.handle_timeout(ms(610));
    assert_eq!(drain(&mut session), [post(b"1:2")]);
}

#[test]
fn no_pong_within_ping_timeout_closes_the_session() {
    let mut session = polling();
    session.handle_timeout(ms(300));
    drain(&mut session);
    session.handle_post_response(ms(301), Ok(()));
    session.handle_timeout(ms(499));
    assert_eq!(drain(&mut session), []);
    session.handle_timeout(ms(500));
    assert_eq!(
        drain(&mut session),
        [post(b"1:1"), closed(CloseReason::PingTimeout)]
    );
}

#[test]
fn any_packet_keeps_the_session_alive_as_the_reference_client() {
    let mut session = polling();
    session.handle_timeout(ms(300));
    drain(&mut session);
    session.handle_post_response(ms(301), Ok(()));
    // A message after the ping pushes the deadline to pingInterval + pingTimeout from it.
    session.handle_poll_response(ms(450), Ok(Bytes::from_static(b"6:4hello")));
    assert_eq!(drain(&mut session), [message("hello"), poll()]);
    assert_eq!(session.poll_timeout(), Some(ms(950)));
}

#[test]
fn a_server_ping_is_ignored() {
    let mut session = polling();
    session.handle_poll_response(ms(10), Ok(Bytes::from_static(b"1:2")));
    assert_eq!(
        drain(&mut session),
        [poll()],
        "no pong: in v3 the server does not ping"
    );
}

#[test]
fn posts_are_text_payloads_with_utf16_lengths() {
    let mut session = polling();
    session.send(Message::text("€🚀")).unwrap();
    session.send(Message::binary(vec![1u8, 2, 3, 4])).unwrap();
    assert_eq!(drain(&mut session), [post("4:4€🚀".as_bytes())]);
    session.handle_post_response(ms(1), Ok(()));
    assert_eq!(drain(&mut session), [post(b"10:b4AQIDBA==")]);
}

#[test]
fn get_answers_decode_in_both_framings() {
    let mut session = polling();
    session.handle_poll_response(ms(1), Ok(Bytes::from_static(b"6:4hello10:b4AQIDBA==")));
    let binary = Output::Event(Event::Message(Message::binary(vec![1u8, 2, 3, 4])));
    assert_eq!(
        drain(&mut session),
        [message("hello"), binary.clone(), poll()]
    );
    session.handle_poll_response(
        ms(2),
        Ok(Bytes::from_static(&[
            0, 6, 255, 52, 104, 101, 108, 108, 111, 1, 5, 255, 4, 1, 2, 3, 4,
        ])),
    );
    assert_eq!(drain(&mut session), [message("hello"), binary, poll()]);
}

#[test]
fn a_malformed_answer_is_a_parse_error_after_the_packets_before_it() {
    let mut session = polling();
    session.handle_poll_response(ms(1), Ok(Bytes::from_static(b"6:4hello5:4a")));
    assert_eq!(
        drain(&mut session),
        [
            message("hello"),
            post(b"1:1"),
            closed(CloseReason::ParseError(DecodeError::InvalidLength))
        ]
    );
}

#[test]
fn websocket_only_sends_binary_frames_with_the_type_byte() {
    let mut session = ClientSession::new(v3(Transports::WEBSOCKET, true));
    session.start(ms(0));
    assert_eq!(
        drain(&mut session),
        [Output::OpenWebSocket {
            query: "EIO=3&transport=websocket".into()
        }]
    );
    session.handle_ws_opened(ms(1));
    session.handle_ws_frame(ms(2), text_frame(OPEN));
    drain(&mut session);
    session.send(Message::binary(vec![1u8, 2])).unwrap();
    session.send(Message::text("hi")).unwrap();
    assert_eq!(
        drain(&mut session),
        [
            Output::WsFrame(Frame::Binary(Bytes::from_static(&[4, 1, 2]))),
            Output::WsFrame(text_frame("4hi"))
        ]
    );
    session.handle_ws_frame(ms(3), Frame::Binary(Bytes::from_static(&[4, 9])));
    assert_eq!(
        drain(&mut session),
        [Output::Event(Event::Message(Message::binary(vec![9u8])))]
    );
    session.handle_timeout(ms(302));
    assert_eq!(drain(&mut session), [Output::WsFrame(text_frame("2"))]);
}

#[test]
fn upgrades_to_websocket_as_in_revision_4() {
    let mut session = ClientSession::new(v3(Transports::ALL, true));
    session.start(ms(0));
    drain(&mut session);
    session.handle_poll_response(ms(0), Ok(handshake_body()));
    let outputs = drain(&mut session);
    assert!(
        outputs.contains(&Output::OpenWebSocket {
            query: "EIO=3&transport=websocket&sid=lv_VI97HAXpY6yYWAAAC".into()
        }),
        "{outputs:?}"
    );
    session.handle_ws_opened(ms(1));
    assert_eq!(drain(&mut session), [Output::WsFrame(text_frame("2probe"))]);
    session.handle_ws_frame(ms(2), text_frame("3probe"));
    session.handle_poll_response(ms(3), Ok(Bytes::from_static(b"1:6")));
    let outputs = drain(&mut session);
    assert!(
        outputs.contains(&Output::WsFrame(text_frame("5"))),
        "{outputs:?}"
    );
    assert_eq!(session.transport(), Transport::WebSocket);
}
