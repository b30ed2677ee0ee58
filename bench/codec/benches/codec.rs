//! Codec micro-benchmarks on one fixed corpus, each group comparing, on the same input bytes:
//! - `ours`: `engineio_proto` / `socketio_proto::packet::Decoder` (routing-only: type, namespace, ack
//!   id and `Payload::event_name`; typed: `Payload::event_args`);
//! - `socketioxide`: the published parser crates (`engineioxide-core`, `socketioxide-parser-common`),
//!   routing via `Parse::read_event`, typed via `Parse::decode_value`;
//! - `serde_json`: a bare parse of the same JSON array (the floor for a JSON protocol).
//!
//! Inputs are shared buffers (`Bytes`) cloned per iteration, as a WebSocket frame hands them over.

#![allow(missing_docs)]

use std::hint::black_box;

use bytes::Bytes;
use codec_bench::{File, Message, message};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use engineio_proto::Utf8Bytes;
use serde::de::IgnoredAny;
use socketio_proto::packet::{Decoder, Encoded, NamespaceName, PacketKind};
use socketioxide_core::Str;
use socketioxide_core::parser::{Parse, ParseConfig, ParseError, ParserState};
use socketioxide_parser_common::CommonParser;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Small,
    One,
    Many,
    Binary,
}

/// One corpus entry: the Socket.IO packet text (no Engine.IO prefix), its attachments, and the bare
/// JSON array of the same arguments.
struct Case {
    name: &'static str,
    kind: Kind,
    text: Bytes,
    /// The same bytes, already validated (as a received text frame is).
    text_utf8: Utf8Bytes,
    attachments: Vec<Bytes>,
    json: String,
}

fn corpus() -> Vec<Case> {
    let ns = NamespaceName::default();
    let one = message(1, 850);
    let many: Vec<Message> = (0..240).map(|id| message(id, 160)).collect();
    let file = File {
        name: "photo.jpg".into(),
        mime: "image/jpeg".into(),
        data: Bytes::from(vec![0xab; 16 * 1024]),
    };
    let entries: Vec<(&'static str, Kind, Encoded, String)> = vec![
        (
            "small",
            Kind::Small,
            Encoded::event(&ns, "chat", &("hello",), Some(12)).unwrap(),
            serde_json::to_string(&("chat", "hello")).unwrap(),
        ),
        (
            "1KB",
            Kind::One,
            Encoded::event(&ns, "chat", &(&one,), Some(7)).unwrap(),
            serde_json::to_string(&("chat", &one)).unwrap(),
        ),
        (
            "64KB",
            Kind::Many,
            Encoded::event(&ns, "history", &(&many,), Some(8)).unwrap(),
            serde_json::to_string(&("history", &many)).unwrap(),
        ),
        (
            "binary_16KB",
            Kind::Binary,
            Encoded::event(&ns, "upload", &(&file,), Some(9)).unwrap(),
            String::new(),
        ),
    ];
    entries
        .into_iter()
        .map(|(name, kind, encoded, json)| Case {
            name,
            kind,
            text: Bytes::copy_from_slice(encoded.text.as_bytes()),
            text_utf8: encoded.text.clone(),
            attachments: encoded.attachments.clone(),
            json,
        })
        .collect()
}

fn wire_len(case: &Case) -> u64 {
    (case.text.len() + case.attachments.iter().map(Bytes::len).sum::<usize>()) as u64
}

/// Validates once, outside the measured loops.
fn utf8(b: &Bytes) -> Utf8Bytes {
    Utf8Bytes::try_from_bytes(b.clone()).unwrap()
}

fn str_of(b: &Bytes) -> Str {
    // SAFETY: every corpus text is valid UTF-8 (checked once in `check_corpus`); this is how
    // engineioxide itself hands a received text frame to the parser.
    unsafe { Str::from_bytes_unchecked(b.clone()) }
}

// ---- ours

fn ours_decode(case: &Case) -> socketio_proto::packet::Packet {
    let mut decoder = Decoder::default();
    let mut packet = decoder.decode_text(case.text_utf8.clone()).unwrap();
    for a in &case.attachments {
        packet = decoder.decode_binary(a.clone()).unwrap();
    }
    packet.unwrap()
}

fn ours_route(case: &Case) -> usize {
    let packet = ours_decode(case);
    let PacketKind::Event { args, ack } = &packet.kind else {
        unreachable!()
    };
    black_box((&packet.namespace, ack));
    args.event_name().map_or(0, |n| n.len())
}

fn ours_typed(case: &Case) {
    let packet = ours_decode(case);
    let PacketKind::Event { args, .. } = &packet.kind else {
        unreachable!()
    };
    match case.kind {
        Kind::Small => drop(black_box(args.event_args::<(String,)>().unwrap())),
        Kind::One => drop(black_box(args.event_args::<(Message,)>().unwrap())),
        Kind::Many => drop(black_box(args.event_args::<(Vec<Message>,)>().unwrap())),
        Kind::Binary => drop(black_box(args.event_args::<(File,)>().unwrap())),
    }
}

// ---- socketioxide

fn theirs_decode(case: &Case, config: &ParseConfig) -> socketioxide_core::packet::Packet {
    let state = ParserState::default();
    match CommonParser.decode_str(config, &state, str_of(&case.text)) {
        Ok(packet) => packet,
        Err(ParseError::NeedsMoreBinaryData) => {
            let mut result = None;
            for a in &case.attachments {
                match CommonParser.decode_bin(config, &state, a.clone()) {
                    Ok(p) => result = Some(p),
                    Err(ParseError::NeedsMoreBinaryData) => {}
                    Err(e) => panic!("{e}"),
                }
            }
            result.unwrap()
        }
        Err(e) => panic!("{e}"),
    }
}

fn theirs_value(packet: socketioxide_core::packet::Packet) -> socketioxide_core::Value {
    use socketioxide_core::packet::PacketData;
    match packet.inner {
        PacketData::Event(v, _) | PacketData::BinaryEvent(v, _) => v,
        _ => unreachable!(),
    }
}

fn theirs_route(case: &Case, config: &ParseConfig) -> usize {
    let value = theirs_value(theirs_decode(case, config));
    CommonParser.read_event(&value).unwrap().len()
}

fn theirs_typed(case: &Case, config: &ParseConfig) {
    let mut value = theirs_value(theirs_decode(case, config));
    // socketioxide's `Data<T>` with one argument: T is that argument
    match case.kind {
        Kind::Small => drop(black_box(
            CommonParser
                .decode_value::<String>(&mut value, true)
                .unwrap(),
        )),
        Kind::One => drop(black_box(
            CommonParser
                .decode_value::<Message>(&mut value, true)
                .unwrap(),
        )),
        Kind::Many => drop(black_box(
            CommonParser
                .decode_value::<Vec<Message>>(&mut value, true)
                .unwrap(),
        )),
        Kind::Binary => drop(black_box(
            CommonParser.decode_value::<File>(&mut value, true).unwrap(),
        )),
    }
}

// ---- bare serde_json on the same JSON array

fn serde_typed(case: &Case) {
    let j = case.json.as_str();
    match case.kind {
        Kind::Small => drop(black_box(
            serde_json::from_str::<(IgnoredAny, String)>(j).unwrap(),
        )),
        Kind::One => drop(black_box(
            serde_json::from_str::<(IgnoredAny, Message)>(j).unwrap(),
        )),
        Kind::Many => drop(black_box(
            serde_json::from_str::<(IgnoredAny, Vec<Message>)>(j).unwrap(),
        )),
        Kind::Binary => unreachable!(),
    }
}

fn check_corpus(cases: &[Case], config: &ParseConfig) {
    for c in cases {
        std::str::from_utf8(&c.text).unwrap();
        assert_eq!(ours_route(c), theirs_route(c, config), "{}", c.name);
        ours_typed(c);
        theirs_typed(c, config);
        if c.kind != Kind::Binary {
            serde_typed(c);
        }
    }
}

fn socketio(c: &mut Criterion) {
    let cases = corpus();
    let config = ParseConfig::default();
    check_corpus(&cases, &config);
    let mut route = c.benchmark_group("socketio_route");
    for case in &cases {
        route.throughput(Throughput::Bytes(wire_len(case)));
        route.bench_with_input(BenchmarkId::new("ours", case.name), case, |b, case| {
            b.iter(|| ours_route(black_box(case)))
        });
        route.bench_with_input(
            BenchmarkId::new("socketioxide", case.name),
            case,
            |b, case| b.iter(|| theirs_route(black_box(case), &config)),
        );
    }
    route.finish();
    let mut typed = c.benchmark_group("socketio_typed");
    for case in &cases {
        typed.throughput(Throughput::Bytes(wire_len(case)));
        typed.bench_with_input(BenchmarkId::new("ours", case.name), case, |b, case| {
            b.iter(|| ours_typed(black_box(case)))
        });
        typed.bench_with_input(
            BenchmarkId::new("socketioxide", case.name),
            case,
            |b, case| b.iter(|| theirs_typed(black_box(case), &config)),
        );
        if case.kind != Kind::Binary {
            typed.bench_with_input(
                BenchmarkId::new("serde_json", case.name),
                case,
                |b, case| b.iter(|| serde_typed(black_box(case))),
            );
        }
    }
    typed.finish();
}

// ---- Engine.IO: one WebSocket text frame, and a long-polling payload of many packets

fn eio_text(len: usize) -> Bytes {
    let mut s = String::from("42[\"message\",\"");
    while s.len() < len - 2 {
        s.push('x');
    }
    s.push_str("\"]");
    Bytes::from(s)
}

fn engineio(c: &mut Criterion) {
    use engineioxide_core::{Packet as TheirPacket, ProtocolVersion};
    let mut frame = c.benchmark_group("engineio_frame");
    for (name, text) in [
        ("small", eio_text(32)),
        ("1KB", eio_text(1024)),
        ("64KB", eio_text(64 * 1024)),
    ] {
        frame.throughput(Throughput::Bytes(text.len() as u64));
        let validated = utf8(&text);
        frame.bench_with_input(BenchmarkId::new("ours", name), &validated, |b, t| {
            b.iter(|| engineio_proto::Packet::decode_text(black_box(t).clone()).unwrap())
        });
        frame.bench_with_input(BenchmarkId::new("socketioxide", name), &text, |b, t| {
            b.iter(|| TheirPacket::parse(ProtocolVersion::V4, str_of(black_box(t))).unwrap())
        });
    }
    frame.finish();

    // 64 packets: pings, 200-byte JSON messages and base64 binary ones, joined with \x1e
    let packets: Vec<engineio_proto::Packet> = (0..64)
        .map(|i| match i % 4 {
            0 => engineio_proto::Packet::ping(),
            1 => {
                engineio_proto::Packet::Message(engineio_proto::Message::binary(vec![i as u8; 256]))
            }
            _ => engineio_proto::Packet::decode_text(utf8(&eio_text(200))).unwrap(),
        })
        .collect();
    let body = engineio_proto::payload::encode_payload(&packets);
    let mut payload = c.benchmark_group("engineio_payload");
    payload.throughput(Throughput::Bytes(body.len() as u64));
    payload.bench_function("ours/64_mixed", |b| {
        b.iter(|| {
            engineio_proto::payload::decode_payload(black_box(body.clone()), usize::MAX).unwrap()
        })
    });
    // engineioxide's v4 decoder is a Stream over the HTTP body; its per-packet work, reproduced
    // here without the Stream, is: copy up to the separator into a Vec, `String::from_utf8`, then
    // `Packet::parse` on that String.
    payload.bench_function("socketioxide/64_mixed", |b| {
        b.iter(|| {
            let bytes: &[u8] = black_box(&body);
            let mut out = Vec::new();
            for segment in bytes.split(|&c| c == 0x1e) {
                let text = String::from_utf8(segment.to_vec()).unwrap();
                out.push(TheirPacket::parse(ProtocolVersion::V4, text).unwrap());
            }
            out
        })
    });
    payload.finish();
}

criterion_group!(benches, socketio, engineio);
criterion_main!(benches);
