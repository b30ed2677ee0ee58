//! Engine.IO codec throughput: WebSocket frames and long-polling payloads, encode and decode.
#![allow(missing_docs)] // criterion_group! generates undocumented items

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use engineio_proto::payload::{decode_payload, encode_payload};
use engineio_proto::{Message, Packet};
use std::hint::black_box;

fn json_message(len: usize) -> Packet {
    let mut text = String::from(r#"42["message",""#);
    while text.len() < len - 2 {
        text.push('x');
    }
    text.push_str("\"]");
    Packet::Message(Message::text(text))
}

fn frames(c: &mut Criterion) {
    let mut group = c.benchmark_group("engineio/frame");
    for (name, packet) in [
        ("small_text", json_message(32)),
        ("1k_text", json_message(1024)),
        ("64k_text", json_message(64 * 1024)),
        (
            "64k_binary",
            Packet::Message(Message::binary(vec![7u8; 64 * 1024])),
        ),
    ] {
        let frame = packet.to_frame();
        group.throughput(Throughput::Bytes(frame.len() as u64));
        group.bench_function(format!("encode/{name}"), |b| {
            b.iter(|| black_box(&packet).to_frame())
        });
        group.bench_function(format!("decode/{name}"), |b| {
            b.iter(|| Packet::from_frame(black_box(frame.clone())))
        });
    }
    group.finish();
}

fn payloads(c: &mut Criterion) {
    let mut group = c.benchmark_group("engineio/payload");
    let mixed: Vec<Packet> = (0..64)
        .map(|i| match i % 4 {
            0 => Packet::ping(),
            1 => Packet::Message(Message::binary(vec![i as u8; 256])),
            _ => json_message(200),
        })
        .collect();
    let text_only: Vec<Packet> = (0..64).map(|_| json_message(200)).collect();
    for (name, packets) in [("64_text", text_only), ("64_mixed", mixed)] {
        let body = encode_payload(&packets);
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function(format!("encode/{name}"), |b| {
            b.iter(|| encode_payload(black_box(&packets)))
        });
        group.bench_function(format!("decode/{name}"), |b| {
            b.iter(|| decode_payload(black_box(body.clone()), usize::MAX))
        });
    }
    group.finish();
}

criterion_group!(benches, frames, payloads);
criterion_main!(benches);
