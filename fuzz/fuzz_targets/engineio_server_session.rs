//! The Engine.IO server session, in either protocol revision, driven by an arbitrary sequence of
//! requests, frames, upgrades, time jumps and closes. Invariants: no panic, at most one held GET, no
//! output after the close, every GET answer and frame decodes in the session's revision (and a revision 3
//! server never pings), a deadline always exists while the session is open, and every session ends with
//! exactly one close reason.
#![no_main]

use arbitrary::Arbitrary;
use bytes::Bytes;
use core::time::Duration;
use engineio_proto::server::{ClientProtocol, Event, Output, ServerConfig, ServerSession};
use engineio_proto::{payload, v3};
use engineio_proto::{Frame, Instant, Message, Packet, ProtocolVersion, Transport, Utf8Bytes};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Op {
    Poll,
    PollAborted,
    PostStart,
    PostData(Vec<u8>),
    PostEnd,
    PostAborted,
    UpgradeRequest,
    /// An upgrade request that says which revision it speaks, and whether it wants base64.
    UpgradeRequestWith { v3: bool, base64: bool },
    /// A well-formed client ping: a POST over polling, a frame over WebSocket.
    Ping,
    WsText(String),
    WsBinary(Vec<u8>),
    WsClosed { error: bool },
    SendText(String),
    SendBinary(Vec<u8>),
    Close,
    Advance { millis: u16 },
    JumpToDeadline,
}

#[derive(Arbitrary, Debug)]
struct Input {
    websocket_handshake: bool,
    /// 0: revision 4; 1: revision 3; 2: revision 3 with `b64`.
    protocol: u8,
    max_payload: u16,
    max_buffered: u8,
    ops: Vec<Op>,
}

struct Harness {
    session: ServerSession,
    version: ProtocolVersion,
    now: Instant,
    held_gets: u32,
    websocket: bool,
    closed_events: u32,
}

impl Harness {
    fn drain(&mut self) {
        while let Some(output) = self.session.poll_output() {
            assert_eq!(self.closed_events, 0, "output after Closed: {output:?}");
            match output {
                Output::PollResponse(body) => {
                    assert_eq!(self.held_gets, 1, "a response without a held GET");
                    self.held_gets = 0;
                    let packets = match self.version {
                        ProtocolVersion::V4 => payload::decode_payload(body, usize::MAX),
                        ProtocolVersion::V3 => v3::decode_payload(body, usize::MAX),
                    }
                    .expect("a GET answer decodes");
                    self.check_sent(&packets);
                }
                Output::WsFrame(frame) => {
                    assert!(self.websocket, "a frame without a WebSocket");
                    let packet = match self.version {
                        ProtocolVersion::V4 => Packet::from_frame(frame),
                        ProtocolVersion::V3 => v3::decode_frame(frame),
                    }
                    .expect("a frame decodes");
                    self.check_sent(&[packet]);
                }
                Output::CloseWebSocket => {
                    assert!(self.websocket, "closing a WebSocket that is not there");
                    self.websocket = false;
                }
                Output::Event(Event::Closed(_)) => self.closed_events += 1,
                Output::Event(_) => {}
            }
        }
        if !self.session.is_closed() {
            assert!(self.session.poll_timeout().is_some(), "an open session without a deadline");
        }
        assert!(self.held_gets <= 1);
    }

    /// Only the revision 4 server pings.
    fn check_sent(&self, packets: &[Packet]) {
        if self.version == ProtocolVersion::V3 {
            assert!(!packets.contains(&Packet::ping()), "a revision 3 server pinged");
        }
    }

    fn apply(&mut self, op: Op) {
        let now = self.now;
        let session = &mut self.session;
        match op {
            Op::Poll => {
                if session.handle_poll(now).is_ok() {
                    self.held_gets += 1;
                }
            }
            Op::PollAborted => {
                if self.held_gets == 1 {
                    session.handle_poll_aborted(now);
                    self.held_gets = 0;
                }
            }
            Op::PostStart => {
                let _ = session.handle_post_start(now);
            }
            Op::PostData(data) => {
                let _ = session.handle_post_data(now, Bytes::from(data));
            }
            Op::PostEnd => {
                let _ = session.handle_post_end(now);
            }
            Op::PostAborted => session.handle_post_aborted(now),
            Op::UpgradeRequest => {
                if !self.websocket && session.handle_upgrade_request(now).is_ok() {
                    self.websocket = true;
                }
            }
            Op::UpgradeRequestWith { v3, base64 } => {
                let version = if v3 { ProtocolVersion::V3 } else { ProtocolVersion::V4 };
                let protocol = ClientProtocol { version, base64 };
                if !self.websocket && session.handle_upgrade_request_with(now, protocol).is_ok() {
                    assert_eq!(version, self.version, "an upgrade in another revision");
                    self.websocket = true;
                }
            }
            Op::Ping => {
                let ping: &'static str = match self.version {
                    ProtocolVersion::V4 => "2",
                    ProtocolVersion::V3 => "1:2",
                };
                if session.transport() == Transport::WebSocket && self.websocket {
                    session.handle_ws_frame(now, Frame::Text(Utf8Bytes::from_static("2")));
                } else if session.handle_post_start(now).is_ok() {
                    let _ = session.handle_post_data(now, Bytes::from_static(ping.as_bytes()));
                    let _ = session.handle_post_end(now);
                }
            }
            Op::WsText(text) if self.websocket => {
                session.handle_ws_frame(now, Frame::Text(Utf8Bytes::from(text)))
            }
            Op::WsBinary(data) if self.websocket => {
                session.handle_ws_frame(now, Frame::Binary(Bytes::from(data)))
            }
            Op::WsClosed { error } if self.websocket => {
                session.handle_ws_closed(now, error);
                self.websocket = false;
            }
            Op::WsText(_) | Op::WsBinary(_) | Op::WsClosed { .. } => {}
            Op::SendText(text) => {
                let text = sendable(text, self.version);
                let _ = session.send(Message::Text(Utf8Bytes::from(text)));
            }
            Op::SendBinary(data) => {
                let _ = session.send(Message::Binary(Bytes::from(data)));
            }
            Op::Close => session.close(now),
            Op::Advance { millis } => {
                self.now = now + Duration::from_millis(u64::from(millis));
                self.session.handle_timeout(self.now);
            }
            Op::JumpToDeadline => {
                if let Some(deadline) = session.poll_timeout() {
                    self.now = self.now.max(deadline);
                    self.session.handle_timeout(self.now);
                }
            }
        }
        self.drain();
    }
}

/// Revision 4 polling cannot carry the record separator in a text message (its protocol description
/// says so), so none is sent there; revision 3 frames by length and carries any text.
fn sendable(text: String, version: ProtocolVersion) -> String {
    match version {
        ProtocolVersion::V4 => text.replace('\u{1e}', " "),
        ProtocolVersion::V3 => text,
    }
}

fuzz_target!(|input: Input| {
    let transport =
        if input.websocket_handshake { Transport::WebSocket } else { Transport::Polling };
    let config = ServerConfig::default()
        .with_max_payload(usize::from(input.max_payload).max(1))
        .with_max_buffered_packets(usize::from(input.max_buffered).max(1))
        .with_allow_eio3(true);
    let protocol = match input.protocol % 3 {
        0 => ClientProtocol::V4,
        1 => ClientProtocol::V3,
        _ => ClientProtocol { version: ProtocolVersion::V3, base64: true },
    };
    let now = Instant::from_millis(1);
    let mut harness = Harness {
        session: ServerSession::with_protocol(now, "sid".into(), transport, config, protocol),
        version: protocol.version,
        now,
        held_gets: u32::from(transport == Transport::Polling),
        websocket: transport == Transport::WebSocket,
        closed_events: 0,
    };
    harness.drain();
    for op in input.ops.into_iter().take(256) {
        harness.apply(op);
    }
    // However it got here, closing and letting time run ends the session exactly once.
    harness.apply(Op::Close);
    for _ in 0..64 {
        if harness.session.is_closed() {
            break;
        }
        harness.apply(Op::JumpToDeadline);
    }
    assert!(harness.session.is_closed(), "the session never closed");
    assert_eq!(harness.closed_events, 1);
});
