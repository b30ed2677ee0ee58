//! The MessagePack parser against byte vectors written by the official `socket.io-msgpack-parser`
//! (3.0.2, pinned in tests/interop/package.json): `tests/interop/msgpack-vectors.mjs` writes them, the
//! checked-in `msgpack-vectors.json` is its output, and one test runs Node to keep the two equal.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use bytes::Bytes;
use engineio_proto::Message;
use serde::{Deserialize, Serialize};
use socketio_proto::packet::{NamespaceName, PacketType};
use socketio_proto::parser::{
    EncodedPacket, MsgpackPacket, MsgpackParser, PacketDecoder, ParsedPacket, Parser,
};

const VECTORS: &str = include_str!("../../tests/interop/msgpack-vectors.json");

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/interop")
}

fn vectors() -> BTreeMap<String, String> {
    serde_json::from_str(VECTORS).unwrap()
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn vector(name: &str) -> Vec<u8> {
    hex(&vectors()[name])
}

fn decode(name: &str) -> MsgpackPacket {
    let mut decoder = MsgpackParser::default().decoder();
    decoder
        .decode(Message::Binary(Bytes::from(vector(name))))
        .unwrap()
        .unwrap()
}

fn encoded_bytes(encoded: &impl EncodedPacket) -> Vec<u8> {
    let messages: Vec<Message> = encoded.messages().collect();
    match messages.as_slice() {
        [Message::Binary(bytes)] => bytes.to_vec(),
        other => panic!("expected one binary message, got {other:?}"),
    }
}

fn ns(name: &str) -> NamespaceName {
    NamespaceName::new(name.to_owned()).unwrap()
}

#[test]
fn node_writes_the_checked_in_vectors() {
    if !interop_dir()
        .join("node_modules/socket.io-msgpack-parser")
        .exists()
    {
        let installed = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(interop_dir())
            .status()
            .expect("npm runs");
        assert!(installed.success(), "`npm ci` in tests/interop failed");
    }
    let output = Command::new("node")
        .arg("msgpack-vectors.mjs")
        .current_dir(interop_dir())
        .output()
        .expect("node runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let from_node: BTreeMap<String, String> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(from_node, vectors());
}

#[derive(Debug, Deserialize, PartialEq, Serialize)]
struct Flag {
    a: bool,
}

#[test]
fn decodes_reference_events() {
    let packet = decode("event_main");
    assert_eq!(packet.packet_type(), PacketType::Event);
    assert_eq!(packet.namespace().as_str(), "/");
    assert_eq!(packet.ack_id(), None);
    assert_eq!(packet.event_name().as_deref(), Some("hello"));
    let args: (u8, String, Flag) = packet.event_args().unwrap();
    assert_eq!(args, (1, "two".into(), Flag { a: true }));

    let packet = decode("event_binary_ack");
    assert_eq!(packet.namespace().as_str(), "/chat");
    assert_eq!(packet.ack_id(), Some(7));
    assert_eq!(packet.event_name().as_deref(), Some("up"));
    #[derive(Deserialize)]
    struct Nested {
        nested: Vec<Bytes>,
    }
    let (blob, nested): (Bytes, Nested) = packet.event_args().unwrap();
    assert_eq!(&blob[..], [1, 2, 3]);
    assert_eq!(nested.nested, [Bytes::from_static(&[4])]);

    let packet = decode("event_many_args");
    let args: Vec<u32> = packet.event_args().unwrap();
    assert_eq!(args, (0..20).map(|i| i * 1000).collect::<Vec<_>>());
}

#[test]
fn decodes_reference_acks_and_control_packets() {
    let packet = decode("ack_numbers");
    assert_eq!(packet.packet_type(), PacketType::Ack);
    assert_eq!(packet.ack_id(), Some(42));
    assert_eq!(packet.event_name(), None);
    let args: (Option<u8>, f64, i8, u16, u32, String) = packet.data().unwrap();
    assert_eq!(args, (None, 1.5, -3, 300, 70000, "é".into()));

    let packet = decode("connect_auth");
    assert_eq!(packet.packet_type(), PacketType::Connect);
    assert_eq!(packet.namespace().as_str(), "/admin");
    let auth: BTreeMap<String, String> = packet.data().unwrap();
    assert_eq!(auth["token"], "abc");

    for name in ["connect_empty", "connect_undefined_data"] {
        let packet = decode(name);
        assert_eq!(packet.packet_type(), PacketType::Connect);
        assert_eq!(packet.data_bytes(), None, "{name}");
        assert_eq!(packet.data::<Option<u8>>().unwrap(), None);
    }

    let packet = decode("disconnect");
    assert_eq!(packet.packet_type(), PacketType::Disconnect);
    assert_eq!(packet.namespace().as_str(), "/chat");

    #[derive(Deserialize)]
    struct Refusal {
        message: String,
        data: BTreeMap<String, u16>,
    }
    let packet = decode("connect_error");
    assert_eq!(packet.packet_type(), PacketType::ConnectError);
    let refusal: Refusal = packet.data().unwrap();
    assert_eq!(refusal.message, "not authorized");
    assert_eq!(refusal.data["code"], 401);
}

#[test]
fn reads_notepack_undefined_as_null_and_ext0_as_bytes() {
    let packet = decode("event_undefined");
    assert_eq!(packet.ack_id(), None);
    let args: (Option<u8>, u8) = packet.event_args().unwrap();
    assert_eq!(args, (None, 1));

    let packet = decode("event_typed_array");
    assert_eq!(packet.event_name().as_deref(), Some("bin"));
    let (blob,): (Bytes,) = packet.event_args().unwrap();
    assert_eq!(&blob[..], [9, 8, 7]);
}

#[test]
fn encodes_byte_for_byte_like_the_reference() {
    let parser = MsgpackParser::default();
    let main = NamespaceName::main();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "event_main",
            encoded_bytes(
                &parser
                    .encode_event(&main, "hello", &(1, "two", Flag { a: true }), None)
                    .unwrap(),
            ),
        ),
        (
            "event_binary_ack",
            encoded_bytes(&{
                #[derive(Serialize)]
                struct Nested {
                    nested: Vec<Bytes>,
                }
                let nested = Nested {
                    nested: vec![Bytes::from_static(&[4])],
                };
                parser
                    .encode_event(
                        &ns("/chat"),
                        "up",
                        &(Bytes::from_static(&[1, 2, 3]), nested),
                        Some(7),
                    )
                    .unwrap()
            }),
        ),
        (
            "ack_numbers",
            encoded_bytes(
                &parser
                    .encode_ack(&main, 42, &(None::<u8>, 1.5, -3, 300, 70000, "é"))
                    .unwrap(),
            ),
        ),
        (
            "connect_auth",
            encoded_bytes(
                &parser
                    .encode_connect(&ns("/admin"), Some(&BTreeMap::from([("token", "abc")])))
                    .unwrap(),
            ),
        ),
        (
            "connect_empty",
            encoded_bytes(&parser.encode_connect::<()>(&main, None).unwrap()),
        ),
        (
            "disconnect",
            encoded_bytes(&parser.encode_disconnect(&ns("/chat"))),
        ),
        (
            "connect_error",
            encoded_bytes(&{
                #[derive(Serialize)]
                struct Code {
                    code: u16,
                }
                #[derive(Serialize)]
                struct Refusal {
                    message: &'static str,
                    data: Code,
                }
                let refusal = Refusal {
                    message: "not authorized",
                    data: Code { code: 401 },
                };
                parser.encode_connect_error(&main, &refusal).unwrap()
            }),
        ),
        (
            "event_many_args",
            encoded_bytes(
                &parser
                    .encode_event(
                        &main,
                        "many",
                        &(0..20).map(|i| i * 1000).collect::<Vec<u32>>(),
                        None,
                    )
                    .unwrap(),
            ),
        ),
    ];
    for (name, ours) in cases {
        assert_eq!(ours, vector(name), "{name}");
    }
}
