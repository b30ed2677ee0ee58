//! The msgpack parser, ours against socketioxide's (`socketioxide-parser-msgpack`), on the same
//! input bytes (written by our encoder, which writes what `socket.io-msgpack-parser` writes):
//! - `ours`: what our server and client do with a message, `WireCodec` reading it into the packet
//!   model the machines share (routing: `Payload::event_name`; typed: `Payload::event_args`), and
//!   `PacketFormat::encode_event` writing an event as an emit or a broadcast does;
//! - `ours_seam`: the `MsgpackParser` of the parser seam, whose typed reads deserialize the
//!   MessagePack in place (not used by the machines yet);
//! - `socketioxide`: `Parse::decode_bin`, then `read_event` / `decode_value`; `encode_value` then
//!   `encode` for an event.

#![allow(missing_docs)]

use std::hint::black_box;

use bytes::Bytes;
use codec_bench::{File, Message, message};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use engineio_proto::Message as EngineMessage;
use socketio_proto::packet::{DecoderConfig, Encoded, NamespaceName, Packet, PacketKind};
use socketio_proto::parser::{
    MsgpackParser, PacketDecoder, PacketFormat, ParsedPacket, Parser, WireCodec, WirePacket,
};
use socketioxide_core::parser::{Parse, ParseConfig, ParserState};
use socketioxide_parser_msgpack::MsgPackParser;

/// One corpus value, the event that carries it, and that event as one msgpack message.
enum Value {
    Small(String),
    One(Message),
    Many(Vec<Message>),
    Binary(File),
}

struct Case {
    name: &'static str,
    event: &'static str,
    value: Value,
    bytes: Bytes,
}

fn corpus() -> Vec<Case> {
    let file = File {
        name: "photo.jpg".into(),
        mime: "image/jpeg".into(),
        data: Bytes::from(vec![0xab; 16 * 1024]),
    };
    let values = [
        ("small", "chat", Value::Small("hello".into())),
        ("1KB", "chat", Value::One(message(1, 850))),
        (
            "64KB",
            "history",
            Value::Many((0..240).map(|id| message(id, 160)).collect()),
        ),
        ("binary_16KB", "upload", Value::Binary(file)),
    ];
    values
        .into_iter()
        .map(|(name, event, value)| {
            let encoded = ours_encode(event, &value);
            let WirePacket::Single(bytes) = encoded else {
                unreachable!("msgpack writes one message")
            };
            Case {
                name,
                event,
                value,
                bytes,
            }
        })
        .collect()
}

// ---- ours: the machines' path

fn ours_decode(case: &Case) -> Packet {
    let mut codec = WireCodec::new(PacketFormat::msgpack(), DecoderConfig::default());
    codec
        .decode(EngineMessage::Binary(case.bytes.clone()))
        .unwrap()
        .unwrap()
}

fn ours_route(case: &Case) -> usize {
    let packet = ours_decode(case);
    let PacketKind::Event { args, ack } = &packet.kind else {
        unreachable!()
    };
    black_box((&packet.namespace, ack));
    args.event_name().map_or(0, |name| name.len())
}

fn ours_typed(case: &Case) {
    let packet = ours_decode(case);
    let PacketKind::Event { args, .. } = &packet.kind else {
        unreachable!()
    };
    match case.value {
        Value::Small(_) => drop(black_box(args.event_args::<(String,)>().unwrap())),
        Value::One(_) => drop(black_box(args.event_args::<(Message,)>().unwrap())),
        Value::Many(_) => drop(black_box(args.event_args::<(Vec<Message>,)>().unwrap())),
        Value::Binary(_) => drop(black_box(args.event_args::<(File,)>().unwrap())),
    }
}

fn ours_encode(event: &str, value: &Value) -> WirePacket {
    let ns = NamespaceName::main();
    let format = PacketFormat::msgpack();
    let encoded = match value {
        Value::Small(v) => format.encode_event(&ns, event, &(v,), None),
        Value::One(v) => format.encode_event(&ns, event, &(v,), None),
        Value::Many(v) => format.encode_event(&ns, event, &(v,), None),
        Value::Binary(v) => format.encode_event(&ns, event, &(v,), None),
    };
    encoded.unwrap()
}

/// An event encoded for JSON, then written as msgpack: what an ack or an `emit_with_ack` costs
/// (they go through the connection machine, which holds JSON packets).
fn ours_frame(case: &Case) -> WirePacket {
    let ns = NamespaceName::main();
    let encoded = match &case.value {
        Value::Small(v) => Encoded::event(&ns, case.event, &(v,), None),
        Value::One(v) => Encoded::event(&ns, case.event, &(v,), None),
        Value::Many(v) => Encoded::event(&ns, case.event, &(v,), None),
        Value::Binary(v) => Encoded::event(&ns, case.event, &(v,), None),
    };
    PacketFormat::msgpack().frame(encoded.unwrap()).unwrap()
}

// ---- ours: the parser seam

fn seam_decode(case: &Case) -> socketio_proto::parser::MsgpackPacket {
    MsgpackParser::default()
        .decoder()
        .decode(EngineMessage::Binary(case.bytes.clone()))
        .unwrap()
        .unwrap()
}

fn seam_route(case: &Case) -> usize {
    let packet = seam_decode(case);
    black_box((packet.namespace(), packet.ack_id()));
    packet.event_name().map_or(0, |name| name.len())
}

fn seam_typed(case: &Case) {
    let packet = seam_decode(case);
    match case.value {
        Value::Small(_) => drop(black_box(packet.event_args::<(String,)>().unwrap())),
        Value::One(_) => drop(black_box(packet.event_args::<(Message,)>().unwrap())),
        Value::Many(_) => drop(black_box(packet.event_args::<(Vec<Message>,)>().unwrap())),
        Value::Binary(_) => drop(black_box(packet.event_args::<(File,)>().unwrap())),
    }
}

fn seam_encode(case: &Case) -> Bytes {
    let ns = NamespaceName::main();
    let parser = MsgpackParser::default();
    let encoded = match &case.value {
        Value::Small(v) => parser.encode_event(&ns, case.event, &(v,), None),
        Value::One(v) => parser.encode_event(&ns, case.event, &(v,), None),
        Value::Many(v) => parser.encode_event(&ns, case.event, &(v,), None),
        Value::Binary(v) => parser.encode_event(&ns, case.event, &(v,), None),
    };
    encoded.unwrap().bytes().clone()
}

// ---- socketioxide

fn theirs_value(case: &Case) -> socketioxide_core::Value {
    use socketioxide_core::packet::PacketData;
    let config = ParseConfig::default();
    let packet = MsgPackParser
        .decode_bin(&config, &ParserState::default(), case.bytes.clone())
        .unwrap();
    match packet.inner {
        PacketData::Event(value, _) | PacketData::BinaryEvent(value, _) => value,
        _ => unreachable!(),
    }
}

fn theirs_route(case: &Case) -> usize {
    let value = theirs_value(case);
    MsgPackParser.read_event(&value).unwrap().len()
}

fn theirs_typed(case: &Case) {
    let mut value = theirs_value(case);
    // socketioxide's `Data<T>` with one argument: T is that argument.
    let value = &mut value;
    match case.value {
        Value::Small(_) => drop(black_box(
            MsgPackParser.decode_value::<String>(value, true).unwrap(),
        )),
        Value::One(_) => drop(black_box(
            MsgPackParser.decode_value::<Message>(value, true).unwrap(),
        )),
        Value::Many(_) => drop(black_box(
            MsgPackParser
                .decode_value::<Vec<Message>>(value, true)
                .unwrap(),
        )),
        Value::Binary(_) => drop(black_box(
            MsgPackParser.decode_value::<File>(value, true).unwrap(),
        )),
    }
}

fn theirs_encode(case: &Case) -> socketioxide_core::Value {
    let event = Some(case.event);
    let data = match &case.value {
        Value::Small(v) => MsgPackParser.encode_value(v, event),
        Value::One(v) => MsgPackParser.encode_value(v, event),
        Value::Many(v) => MsgPackParser.encode_value(v, event),
        Value::Binary(v) => MsgPackParser.encode_value(v, event),
    };
    MsgPackParser.encode(socketioxide_core::packet::Packet::event("/", data.unwrap()))
}

/// Every implementation reads every case, and the encoders agree on its size.
fn check_corpus(cases: &[Case]) {
    for case in cases {
        assert_eq!(ours_route(case), theirs_route(case), "{}", case.name);
        assert_eq!(seam_route(case), theirs_route(case), "{}", case.name);
        ours_typed(case);
        seam_typed(case);
        theirs_typed(case);
        assert_eq!(seam_encode(case), case.bytes, "{}", case.name);
        assert_eq!(
            ours_frame(case),
            WirePacket::Single(case.bytes.clone()),
            "{}",
            case.name
        );
        let theirs = theirs_encode(case);
        let theirs = theirs.as_bytes().expect("msgpack values are bytes");
        // Field order differs ({type, data, nsp} against {type, nsp, data}), not the size.
        assert_eq!(theirs.len(), case.bytes.len(), "{}", case.name);
    }
}

fn msgpack(c: &mut Criterion) {
    let cases = corpus();
    check_corpus(&cases);
    type Run = fn(&Case);
    let groups: [(&str, &[(&str, Run)]); 3] = [
        (
            "msgpack_route",
            &[
                ("ours", |case| {
                    black_box(ours_route(case));
                }),
                ("ours_seam", |case| {
                    black_box(seam_route(case));
                }),
                ("socketioxide", |case| {
                    black_box(theirs_route(case));
                }),
            ],
        ),
        (
            "msgpack_typed",
            &[
                ("ours", ours_typed),
                ("ours_seam", seam_typed),
                ("socketioxide", theirs_typed),
            ],
        ),
        (
            "msgpack_encode",
            &[
                ("ours", |case| {
                    drop(black_box(ours_encode(case.event, &case.value)))
                }),
                ("ours_via_json", |case| drop(black_box(ours_frame(case)))),
                ("ours_seam", |case| drop(black_box(seam_encode(case)))),
                ("socketioxide", |case| drop(black_box(theirs_encode(case)))),
            ],
        ),
    ];
    for (name, runs) in groups {
        let mut group = c.benchmark_group(name);
        for case in &cases {
            group.throughput(Throughput::Bytes(case.bytes.len() as u64));
            for &(who, run) in runs {
                group.bench_with_input(BenchmarkId::new(who, case.name), case, |b, case| {
                    b.iter(|| run(black_box(case)))
                });
            }
        }
        group.finish();
    }
}

criterion_group!(benches, msgpack);
criterion_main!(benches);
