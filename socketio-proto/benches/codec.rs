//! Socket.IO packet codec throughput: routing-only and typed decode, encode, and broadcast sharing.

// `criterion_group!` defines an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use engineio_proto::Utf8Bytes;
use serde::{Deserialize, Serialize};
use socketio_proto::packet::{Decoder, Encoded, NamespaceName, Packet, PacketKind, Payload};

#[derive(Clone, Serialize, Deserialize)]
struct Message {
    id: u64,
    room: String,
    user: String,
    text: String,
    tags: Vec<String>,
    score: f64,
    edited: bool,
}

#[derive(Clone, Serialize, Deserialize)]
struct File {
    name: String,
    mime: String,
    data: Bytes,
}

fn message(id: u64, text_len: usize) -> Message {
    Message {
        id,
        room: "general".into(),
        user: format!("user-{id}"),
        text: "lorem ipsum \"dolor\" sit amet, ".repeat(text_len / 30 + 1)[..text_len].to_owned(),
        tags: vec!["a".into(), "bb".into(), "ccc".into()],
        score: 0.5 + id as f64,
        edited: id % 2 == 0,
    }
}

/// A named input: the arguments and what encoding them gives.
struct Case {
    name: &'static str,
    encoded: Encoded,
    kind: Args,
}

#[derive(Clone)]
enum Args {
    Small(String),
    One(Message),
    Many(Vec<Message>),
    Binary(File),
}

impl Args {
    fn encode(&self, namespace: &NamespaceName) -> Encoded {
        match self {
            Args::Small(text) => Encoded::event(namespace, "chat", &(text,), None),
            Args::One(message) => Encoded::event(namespace, "chat", &(message,), Some(7)),
            Args::Many(messages) => Encoded::event(namespace, "history", &(messages,), Some(8)),
            Args::Binary(file) => Encoded::event(namespace, "upload", &(file,), Some(9)),
        }
        .unwrap()
    }

    fn payload(&self) -> Payload {
        match self {
            Args::Small(text) => Payload::event("chat", &(text,)),
            Args::One(message) => Payload::event("chat", &(message,)),
            Args::Many(messages) => Payload::event("history", &(messages,)),
            Args::Binary(file) => Payload::event("upload", &(file,)),
        }
        .unwrap()
    }
}

fn cases() -> Vec<Case> {
    let namespace = NamespaceName::from_static("/chat");
    let inputs = [
        ("small", Args::Small("hello".into())),
        ("1KB", Args::One(message(1, 850))),
        (
            "64KB",
            Args::Many((0..240).map(|id| message(id, 160)).collect()),
        ),
        (
            "binary_16KB",
            Args::Binary(File {
                name: "photo.jpg".into(),
                mime: "image/jpeg".into(),
                data: Bytes::from(vec![0xab; 16 * 1024]),
            }),
        ),
    ];
    inputs
        .into_iter()
        .map(|(name, kind)| Case {
            name,
            encoded: kind.encode(&namespace),
            kind,
        })
        .collect()
}

fn wire_len(encoded: &Encoded) -> u64 {
    (encoded.text.len() + encoded.attachments.iter().map(Bytes::len).sum::<usize>()) as u64
}

/// Decodes one encoded packet with a fresh decoder, as a connection would.
fn decode(encoded: &Encoded) -> Packet {
    let mut decoder = Decoder::default();
    let mut packet = decoder.decode_text(encoded.text.clone()).unwrap();
    for attachment in &encoded.attachments {
        packet = decoder.decode_binary(attachment.clone()).unwrap();
    }
    packet.unwrap()
}

fn decode_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("socketio_decode");
    for case in cases() {
        group.throughput(Throughput::Bytes(wire_len(&case.encoded)));
        group.bench_with_input(
            BenchmarkId::new("routing", case.name),
            &case.encoded,
            |b, encoded| {
                b.iter(|| {
                    let packet = decode(black_box(encoded));
                    let PacketKind::Event { args, ack } = &packet.kind else {
                        unreachable!()
                    };
                    black_box((
                        &packet.namespace,
                        args.event_name().map(|name| name.len()),
                        ack,
                    ));
                })
            },
        );
        group.bench_with_input(BenchmarkId::new("typed", case.name), &case, |b, case| {
            b.iter(|| {
                let packet = decode(black_box(&case.encoded));
                let PacketKind::Event { args, .. } = &packet.kind else {
                    unreachable!()
                };
                match case.kind {
                    Args::Small(_) => drop(black_box(args.event_args::<(String,)>().unwrap())),
                    Args::One(_) => drop(black_box(args.event_args::<(Message,)>().unwrap())),
                    Args::Many(_) => drop(black_box(args.event_args::<(Vec<Message>,)>().unwrap())),
                    Args::Binary(_) => drop(black_box(args.event_args::<(File,)>().unwrap())),
                }
            })
        });
    }
    group.finish();
}

fn encode_benches(c: &mut Criterion) {
    let namespace = NamespaceName::from_static("/chat");
    let mut group = c.benchmark_group("socketio_encode");
    for case in cases() {
        group.throughput(Throughput::Bytes(wire_len(&case.encoded)));
        group.bench_with_input(
            BenchmarkId::new("typed_one_buffer", case.name),
            &case.kind,
            |b, args| b.iter(|| black_box(black_box(args).encode(&namespace))),
        );
        let packet = Packet::event(namespace.clone(), case.kind.payload(), Some(7));
        group.bench_with_input(
            BenchmarkId::new("packet_raw_payload", case.name),
            &packet,
            |b, packet| b.iter(|| black_box(black_box(packet).encode())),
        );
    }
    group.finish();
}

fn broadcast_benches(c: &mut Criterion) {
    const RECIPIENTS: usize = 1000;
    let namespace = NamespaceName::from_static("/chat");
    let mut group = c.benchmark_group("socketio_broadcast_1000");
    for case in cases().into_iter().filter(|case| case.name != "64KB") {
        group.throughput(Throughput::Bytes(
            wire_len(&case.encoded) * RECIPIENTS as u64,
        ));
        // Encode once, hand every recipient the same shared messages.
        group.bench_with_input(
            BenchmarkId::new("encode_once", case.name),
            &case.kind,
            |b, args| {
                b.iter(|| {
                    let encoded = args.encode(&namespace);
                    let queues: Vec<Vec<_>> = (0..RECIPIENTS)
                        .map(|_| encoded.messages().collect())
                        .collect();
                    black_box(queues)
                })
            },
        );
        // The baseline sharing avoids: encoding per recipient.
        group.bench_with_input(
            BenchmarkId::new("encode_each", case.name),
            &case.kind,
            |b, args| {
                b.iter(|| {
                    let queues: Vec<Vec<_>> = (0..RECIPIENTS)
                        .map(|_| args.encode(&namespace).messages().collect())
                        .collect();
                    black_box(queues)
                })
            },
        );
    }
    group.finish();
}

fn text_only(c: &mut Criterion) {
    // Decoding from a frame whose text was received once: header and validation cost alone.
    let frame = Utf8Bytes::from_static(r#"2/chat,12["chat","hello"]"#);
    let mut group = c.benchmark_group("socketio_decode_header");
    group.throughput(Throughput::Bytes(frame.len() as u64));
    group.bench_function("small_event", |b| {
        let mut decoder = Decoder::default();
        b.iter(|| black_box(decoder.decode_text(black_box(frame.clone())).unwrap()))
    });
    group.finish();
}

criterion_group!(
    benches,
    decode_benches,
    encode_benches,
    broadcast_benches,
    text_only
);
criterion_main!(benches);
