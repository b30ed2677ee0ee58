//! Socket.IO packet codec: the protocol's examples in both directions, malformed input, typed access
//! with attachments, and round trips of arbitrary packets.

use std::alloc::{GlobalAlloc, Layout, System};
use std::borrow::Cow;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use engineio_proto::{Message, Utf8Bytes};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use socketio_proto::packet::{
    Decoder, DecoderConfig, Encoded, NamespaceName, Packet, PacketKind, PacketType, ParseError,
    Payload, RawJson, placeholder, placeholder_index,
};

// ---- allocation accounting, per thread (tests run in parallel) ----

struct CountingAllocator;

thread_local! {
    static ALLOCATED: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATED.try_with(|total| total.set(total.get() + layout.size()));
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATED.try_with(|total| total.set(total.get() + new_size));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Runs `f`, returning its result, the bytes this thread allocated meanwhile, and the time taken.
fn measure<T>(f: impl FnOnce() -> T) -> (T, usize, Duration) {
    let before = ALLOCATED.with(Cell::get);
    let start = Instant::now();
    let result = f();
    let elapsed = start.elapsed();
    (result, ALLOCATED.with(Cell::get) - before, elapsed)
}

// ---- helpers ----

fn ns(name: &str) -> NamespaceName {
    NamespaceName::new(name.to_owned()).unwrap()
}

fn text(s: &str) -> Utf8Bytes {
    Utf8Bytes::from(s.to_owned())
}

/// Feeds one text message then `binaries`; the packet must complete exactly at the last one.
fn decode(input: &str, binaries: &[&[u8]]) -> Result<Packet, ParseError> {
    let mut decoder = Decoder::default();
    let first = decoder.decode_text(text(input))?;
    if binaries.is_empty() {
        return Ok(first.expect("a packet without attachments completes at once"));
    }
    assert!(first.is_none(), "a binary packet waits for its attachments");
    let (last, rest) = binaries.split_last().unwrap();
    for binary in rest {
        assert_eq!(decoder.decode_binary(Bytes::copy_from_slice(binary))?, None);
    }
    Ok(decoder
        .decode_binary(Bytes::copy_from_slice(last))?
        .expect("complete after the last"))
}

fn decode_err(input: &str) -> ParseError {
    Decoder::default()
        .decode_text(text(input))
        .expect_err(input)
}

fn raw(json: &str) -> RawJson {
    RawJson::new(json.to_owned()).unwrap()
}

fn event(name: &str, args: &(impl Serialize + ?Sized)) -> Payload {
    Payload::event(name, args).unwrap()
}

fn bin(bytes: &[u8]) -> Bytes {
    Bytes::copy_from_slice(bytes)
}

/// Asserts both directions: `packet` encodes to `wire` (+ attachments) and `wire` decodes to it.
fn assert_vector(packet: Packet, wire: &str, attachments: &[&[u8]]) {
    let encoded = packet.encode();
    assert_eq!(encoded.text, wire, "encoding {packet:?}");
    let expected: Vec<Bytes> = attachments.iter().map(|a| bin(a)).collect();
    assert_eq!(encoded.attachments, expected, "attachments of {packet:?}");
    assert_eq!(
        decode(wire, attachments).unwrap(),
        packet,
        "decoding {wire}"
    );
}

// ---- the protocol Readme's examples ----

#[test]
fn spec_connect_vectors() {
    let main = NamespaceName::main();
    assert_vector(Packet::connect(main.clone(), None), "0", &[]);
    assert_vector(
        Packet::connect(main.clone(), Some(raw(r#"{"sid":"wZX3oN0bSVIhsaknAAAI"}"#))),
        r#"0{"sid":"wZX3oN0bSVIhsaknAAAI"}"#,
        &[],
    );
    assert_vector(Packet::connect(ns("/admin"), None), "0/admin,", &[]);
    assert_vector(
        Packet::connect(ns("/admin"), Some(raw(r#"{"sid":"oSO0OpakMV_3jnilAAAA"}"#))),
        r#"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}"#,
        &[],
    );
    assert_vector(
        Packet::connect(ns("/admin"), Some(raw(r#"{"token":"123"}"#))),
        r#"0/admin,{"token":"123"}"#,
        &[],
    );
    assert_vector(
        Packet::connect(ns("/admin"), Some(raw(r#"{"sid":"-G5j-67EZFp-q59rADQM"}"#))),
        r#"0/admin,{"sid":"-G5j-67EZFp-q59rADQM"}"#,
        &[],
    );
    let refused = RawJson::from_serialize(&json!({"message": "Not authorized"})).unwrap();
    assert_vector(
        Packet::connect_error(main, refused),
        r#"4{"message":"Not authorized"}"#,
        &[],
    );
}

/// The reference parser reads a namespace up to a comma or the end of the packet, so a packet with
/// nothing after its namespace may leave the comma out.
#[test]
fn a_namespace_may_end_the_packet_without_a_comma() {
    let connect = decode("0/custom", &[]).unwrap();
    assert_eq!(connect, Packet::connect(ns("/custom"), None));
    let disconnect = decode("1/custom", &[]).unwrap();
    assert_eq!(disconnect, Packet::disconnect(ns("/custom")));
    let with_auth = decode(r#"0/custom,{"token":"x"}"#, &[]).unwrap();
    assert_eq!(
        with_auth,
        Packet::connect(ns("/custom"), Some(raw(r#"{"token":"x"}"#)))
    );
    // What we send always carries the comma.
    assert_eq!(
        Packet::connect(ns("/custom"), None).encode().text,
        "0/custom,"
    );
}

#[test]
fn spec_event_vectors() {
    let main = NamespaceName::main();
    assert_vector(
        Packet::event(main.clone(), event("foo", &()), None),
        r#"2["foo"]"#,
        &[],
    );
    assert_vector(
        Packet::event(ns("/admin"), event("bar", &()), None),
        r#"2/admin,["bar"]"#,
        &[],
    );
    assert_vector(
        Packet::event(main.clone(), event("baz", &bin(&[1, 2, 3, 4])), None),
        r#"51-["baz",{"_placeholder":true,"num":0}]"#,
        &[&[1, 2, 3, 4]],
    );
    assert_vector(
        Packet::event(
            ns("/admin"),
            event("baz", &(bin(&[1, 2]), bin(&[3, 4]))),
            None,
        ),
        r#"52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
        &[&[1, 2], &[3, 4]],
    );
    assert_vector(
        Packet::event(main.clone(), event("hey", &"Jude"), None),
        r#"2["hey","Jude"]"#,
        &[],
    );
    assert_vector(
        Packet::event(main, event("hello", &()), None),
        r#"2["hello"]"#,
        &[],
    );
}

#[test]
fn spec_ack_vectors() {
    let main = NamespaceName::main();
    let none = Payload::new(&()).unwrap();
    let bar = Payload::new(&"bar").unwrap();
    assert_vector(
        Packet::event(main.clone(), event("foo", &()), Some(12)),
        r#"212["foo"]"#,
        &[],
    );
    assert_vector(Packet::ack(main.clone(), 12, none), "312[]", &[]);
    assert_vector(
        Packet::event(ns("/admin"), event("foo", &()), Some(13)),
        r#"2/admin,13["foo"]"#,
        &[],
    );
    assert_vector(
        Packet::ack(ns("/admin"), 13, bar.clone()),
        r#"3/admin,13["bar"]"#,
        &[],
    );
    assert_vector(
        Packet::event(main.clone(), event("foo", &bin(&[1, 2, 3, 4])), Some(14)),
        r#"51-14["foo",{"_placeholder":true,"num":0}]"#,
        &[&[1, 2, 3, 4]],
    );
    assert_vector(
        Packet::ack(main.clone(), 14, bar.clone()),
        r#"314["bar"]"#,
        &[],
    );
    assert_vector(
        Packet::event(main.clone(), event("foo", &()), Some(15)),
        r#"215["foo"]"#,
        &[],
    );
    assert_vector(
        Packet::ack(
            main,
            15,
            Payload::new(&("bar", bin(&[1, 2, 3, 4]))).unwrap(),
        ),
        r#"61-15["bar",{"_placeholder":true,"num":0}]"#,
        &[&[1, 2, 3, 4]],
    );
    assert_vector(
        Packet::event(ns("/admin"), event("tellme", &()), Some(1)),
        r#"2/admin,1["tellme"]"#,
        &[],
    );
    assert_vector(
        Packet::ack(ns("/admin"), 1, Payload::new(&(bin(b"\xff"),)).unwrap()),
        r#"61-/admin,1[{"_placeholder":true,"num":0}]"#,
        &[b"\xff"],
    );
}

#[test]
fn spec_disconnect_vectors() {
    assert_vector(Packet::disconnect(NamespaceName::main()), "1", &[]);
    assert_vector(Packet::disconnect(ns("/admin")), "1/admin,", &[]);
}

#[test]
fn packet_types_follow_attachments() {
    let plain = Packet::event(NamespaceName::main(), event("a", &()), None);
    let binary = Packet::event(NamespaceName::main(), event("a", &bin(b"x")), None);
    assert_eq!(plain.packet_type(), PacketType::Event);
    assert_eq!(binary.packet_type(), PacketType::BinaryEvent);
    let ack = Packet::ack(
        NamespaceName::main(),
        1,
        Payload::new(&(bin(b"x"),)).unwrap(),
    );
    assert_eq!(ack.packet_type(), PacketType::BinaryAck);
    for digit in b'0'..=b'6' {
        assert_eq!(PacketType::from_digit(digit).unwrap().digit(), digit);
    }
    assert_eq!(PacketType::from_digit(b'7'), None);
}

// ---- malformed input ----

#[test]
fn rejects_bad_headers() {
    assert_eq!(decode_err(""), ParseError::Empty);
    assert_eq!(decode_err("7"), ParseError::UnknownType(b'7'));
    assert_eq!(decode_err("a[]"), ParseError::UnknownType(b'a'));
    assert_eq!(decode_err("-1"), ParseError::UnknownType(b'-'));
    assert_eq!(
        decode_err(r#"5-["a",{"_placeholder":true,"num":0}]"#),
        ParseError::InvalidAttachmentCount
    );
    assert_eq!(
        decode_err(r#"5a-["a"]"#),
        ParseError::InvalidAttachmentCount
    );
    assert_eq!(
        decode_err(r#"51["a",{"_placeholder":true,"num":0}]"#),
        ParseError::InvalidAttachmentCount
    );
    assert_eq!(decode_err("51"), ParseError::InvalidAttachmentCount);
    assert_eq!(
        decode_err(r#"50-["a"]"#),
        ParseError::InvalidAttachmentCount
    );
    assert_eq!(
        decode_err(r#"50-["a",{"_placeholder":true,"num":0}]"#),
        ParseError::InvalidAttachmentCount
    );
    assert_eq!(
        decode_err(r#"511-["a"]"#),
        ParseError::TooManyAttachments { limit: 10 }
    );
    assert_eq!(
        decode_err(r#"599999999999999999999999-["a"]"#),
        ParseError::TooManyAttachments { limit: 10 }
    );
    // Without a comma the namespace runs to the end of the packet, as the reference parser reads
    // it: this EVENT is to `/admin["a"]` and has no payload.
    assert_eq!(decode_err(r#"2/admin["a"]"#), ParseError::InvalidPayload);
    assert_eq!(
        decode_err(r#"218446744073709551616["a"]"#),
        ParseError::AckIdOverflow
    );
    assert_eq!(decode_err("01{}"), ParseError::UnexpectedAckId);
    assert_eq!(decode_err("11"), ParseError::UnexpectedAckId);
    assert_eq!(
        decode_err(r#"4/x,1{"message":"m"}"#),
        ParseError::UnexpectedAckId
    );
    assert_eq!(decode_err("3[]"), ParseError::MissingAckId);
    assert_eq!(decode_err("3{}"), ParseError::MissingAckId);
}

#[test]
fn accepts_header_edge_cases() {
    let max = decode(r#"218446744073709551615["a"]"#, &[]).unwrap();
    assert!(matches!(
        max.kind,
        PacketKind::Event {
            ack: Some(u64::MAX),
            ..
        }
    ));
    let leading_zeros = decode(r#"2007["a"]"#, &[]).unwrap();
    assert!(matches!(
        leading_zeros.kind,
        PacketKind::Event { ack: Some(7), .. }
    ));
    let explicit_main = decode(r#"2/,["a"]"#, &[]).unwrap();
    assert!(explicit_main.namespace.is_main());
    let odd = decode(r#"2/a-é/1 "],["a"]"#, &[]).unwrap();
    assert_eq!(odd.namespace, r#"/a-é/1 "]"#);
    let spaced = decode(r#"2 [ "a" , 1 ] "#, &[]).unwrap();
    assert_eq!(spaced.event_name().as_deref(), Some("a"));
    let numeric = decode("2[1]", &[]).unwrap();
    assert_eq!(numeric.event_name().as_deref(), Some("1"));
    let error_string = decode(r#"4"not allowed""#, &[]).unwrap();
    assert_eq!(
        error_string.kind,
        PacketKind::ConnectError(raw(r#""not allowed""#))
    );
    let limit_ok = Decoder::new(DecoderConfig { max_attachments: 2 }).decode_text(text(
        r#"52-["a",{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]"#,
    ));
    assert_eq!(limit_ok, Ok(None));
}

#[test]
fn rejects_payloads_of_the_wrong_shape() {
    for input in [
        "2[]",
        "2{}",
        "2[null]",
        r#"2[["a"]]"#,
        r#"2[{"toString":"x"}]"#,
        "2[true]",
        r#"2"a""#,
        "2",
        "31{}",
        r#"31"a""#,
        "3",
        "31",
        "0[]",
        r#"0"a""#,
        "0null",
        r#"1{}"#,
        r#"1/admin,["a"]"#,
        "4",
        "4[]",
        "4 1",
        r#"51-"a""#,
    ] {
        assert_eq!(decode_err(input), ParseError::InvalidPayload, "{input}");
    }
}

#[test]
fn rejects_invalid_json() {
    for input in [
        r#"2["a"]x"#,
        r#"2["a""#,
        r#"2["a",]"#,
        r#"2['a']"#,
        r#"2["a",01]"#,
        "2[\"a\u{1}\"]",
        r#"2["a\q"]"#,
        r#"2/admin,1x"#,
        r#"0{"a":}"#,
        r#"0{}{}"#,
        "2 ",
        r#"51-["a",{"_placeholder":true,"num":0}"#,
    ] {
        assert_eq!(decode_err(input), ParseError::InvalidJson, "{input}");
    }
}

#[test]
fn rejects_invalid_placeholders() {
    for num in [
        r#""splice""#,
        "-1",
        "0.5",
        "1",
        "1e0",
        "null",
        "true",
        r#"{"_placeholder":true,"num":0}"#,
    ] {
        let input = format!(r#"451-["a",{{"_placeholder":true,"num":{num}}}]"#);
        // `4` is the Engine.IO message prefix in the brief's notation; strip it.
        assert_eq!(
            decode_err(&input[1..]),
            ParseError::InvalidPlaceholder,
            "num {num}"
        );
    }
    for object in [
        r#"{"_placeholder":true,"num":0,"extra":1}"#,
        r#"{"_placeholder":true}"#,
        r#"{"_placeholder":true,"num":0,"num":0}"#,
        r#"{"_placeholder":true,"_placeholder":true,"num":0}"#,
    ] {
        let input = format!(r#"51-["a",{object}]"#);
        assert_eq!(
            decode_err(&input),
            ParseError::InvalidPlaceholder,
            "{object}"
        );
    }
    let twice = r#"62-1[{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]"#;
    assert_eq!(decode_err(twice), ParseError::InvalidPlaceholder);
    let too_few = r#"52-["a",{"_placeholder":true,"num":1}]"#;
    assert_eq!(
        decode_err(too_few),
        ParseError::AttachmentCountMismatch {
            announced: 2,
            found: 1
        }
    );
    let none = r#"51-["a"]"#;
    assert_eq!(
        decode_err(none),
        ParseError::AttachmentCountMismatch {
            announced: 1,
            found: 0
        }
    );
    let in_name_position = r#"51-[{"_placeholder":true,"num":0}]"#;
    assert_eq!(decode_err(in_name_position), ParseError::InvalidPayload);
}

#[test]
fn placeholder_shaped_data_without_attachments_is_plain_data() {
    let packet = decode(r#"2["a",{"_placeholder":true,"num":0}]"#, &[]).unwrap();
    let PacketKind::Event { args, .. } = &packet.kind else {
        panic!("{packet:?}")
    };
    assert!(!args.has_attachments());
    let (value,): (Value,) = args.event_args().unwrap();
    assert_eq!(value, placeholder(0));
    assert!(
        args.event_args::<(Bytes,)>().is_err(),
        "no attachment 0 to resolve"
    );
}

#[test]
fn long_inputs_fail_fast_without_allocating() {
    let ((), counted, _) = measure(|| drop(vec![0u8; 100]));
    assert!(counted >= 100, "the allocation counter works");
    let digits = "7".repeat(2 << 20);
    let cases = [
        (format!("2{digits}[\"a\"]"), ParseError::AckIdOverflow),
        (
            format!("5{digits}-[\"a\"]"),
            ParseError::TooManyAttachments { limit: 10 },
        ),
        (
            format!("5{}1-[\"a\"]", "0".repeat(2 << 20)),
            ParseError::AttachmentCountMismatch {
                announced: 1,
                found: 0,
            },
        ),
        (
            format!("2/{}", "n".repeat(1 << 20)),
            ParseError::InvalidPayload,
        ),
        (format!("2/x,{digits}"), ParseError::AckIdOverflow),
    ];
    for (input, expected) in cases {
        let input = text(&input);
        let mut decoder = Decoder::default();
        let (result, allocated, elapsed) = measure(|| decoder.decode_text(input.clone()));
        assert_eq!(result, Err(expected.clone()));
        assert!(
            allocated < 4096,
            "{expected:?}: allocated {allocated} bytes"
        );
        // Far above a linear scan of a few MB, even unoptimized; a quadratic scan would take hours.
        assert!(
            elapsed < Duration::from_secs(2),
            "{expected:?}: took {elapsed:?}"
        );
    }
}

#[test]
fn deeply_nested_json_never_overflows_the_stack() {
    // The scan refuses nesting deeper than serde_json reads (127 containers, the array included),
    // so that accepted text also reads as a `Value`; deeper input is refused by count.
    let nested = |depth: usize| {
        format!(
            "2[\"a\",{}{}]",
            "[".repeat(depth - 1),
            "]".repeat(depth - 1)
        )
    };
    let packet = Decoder::default()
        .decode_text(text(&nested(127)))
        .unwrap()
        .unwrap();
    let PacketKind::Event { args, .. } = &packet.kind else {
        panic!("not an event")
    };
    assert!(args.deserialize::<Value>().is_ok());
    for depth in [128, 100_000] {
        assert_eq!(
            decode_err(&nested(depth)),
            ParseError::InvalidJson,
            "{depth}"
        );
    }
    // Binary packets, under the same limit.
    let deep_binary = format!(
        "51-[\"a\",{}{{\"_placeholder\":true,\"num\":0}}{}]",
        "{\"k\":".repeat(100_000),
        "}".repeat(100_000)
    );
    assert_eq!(decode_err(&deep_binary), ParseError::InvalidJson);
}

// ---- decoder state ----

#[test]
fn decoder_sequences_binary_packets() {
    let mut decoder = Decoder::default();
    assert_eq!(
        decoder.decode_binary(bin(b"x")),
        Err(ParseError::UnexpectedBinary)
    );
    let header = r#"52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;
    assert_eq!(decoder.decode_text(text(header)), Ok(None));
    assert_eq!(decoder.missing_attachments(), 2);
    assert_eq!(decoder.decode_binary(bin(b"1")), Ok(None));
    assert_eq!(decoder.missing_attachments(), 1);
    // A text message before the last attachment: the reference parser refuses it too.
    assert_eq!(
        decoder.decode_text(text(r#"2["b"]"#)),
        Err(ParseError::UnexpectedText)
    );
    assert_eq!(
        decoder.missing_attachments(),
        0,
        "the partial packet is dropped"
    );
    assert_eq!(
        decoder.decode_binary(bin(b"2")),
        Err(ParseError::UnexpectedBinary)
    );

    // Usable again, and packets interleave correctly.
    assert_eq!(decoder.decode_text(text(header)), Ok(None));
    assert_eq!(decoder.decode_binary(bin(b"1")), Ok(None));
    let packet = decoder.decode_binary(bin(b"2")).unwrap().unwrap();
    let PacketKind::Event { args, ack: None } = &packet.kind else {
        panic!("{packet:?}")
    };
    assert_eq!(args.attachments(), [bin(b"1"), bin(b"2")]);
    let plain = decoder.decode_text(text(r#"2["b"]"#)).unwrap().unwrap();
    assert_eq!(plain.event_name().as_deref(), Some("b"));

    decoder.decode_text(text(header)).unwrap();
    decoder.reset();
    assert_eq!(decoder.missing_attachments(), 0);
    assert!(decoder.decode_text(text(r#"2["c"]"#)).unwrap().is_some());
}

#[test]
fn decoded_payload_is_a_slice_of_the_frame() {
    let frame = text(r#"2/chat,5["msg",{"a":1}]"#);
    let packet = Decoder::default()
        .decode_text(frame.clone())
        .unwrap()
        .unwrap();
    let PacketKind::Event { args, ack: Some(5) } = &packet.kind else {
        panic!("{packet:?}")
    };
    assert_eq!(args.json().as_ptr(), frame[8..].as_ptr());
    assert_eq!(packet.namespace.as_ptr(), frame[1..].as_ptr());
    let name = args.event_name().unwrap();
    assert!(matches!(name, Cow::Borrowed("msg")));
}

// ---- typed access ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Upload {
    name: String,
    body: Bytes,
    chunks: Vec<Bytes>,
    thumbnail: Option<Bytes>,
    meta: Meta,
    tagged: BTreeMap<String, Bytes>,
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Meta {
    size: u64,
    hash: Option<Bytes>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Kind {
    Text,
    Blob(Bytes),
    Pair { first: Bytes, second: Option<Bytes> },
}

fn upload() -> Upload {
    Upload {
        name: "file \"one\"".into(),
        body: bin(&[0, 1, 2, 255]),
        chunks: vec![bin(b"c1"), bin(b""), bin(b"c3")],
        thumbnail: None,
        meta: Meta {
            size: 42,
            hash: Some(bin(b"#")),
        },
        tagged: [("x".to_owned(), bin(b"tx"))].into(),
        kind: Kind::Pair {
            first: bin(b"p1"),
            second: Some(bin(b"p2")),
        },
    }
}

#[test]
fn binary_typed_round_trip_with_nested_buffers() {
    let upload = upload();
    let encoded = Encoded::event(
        &ns("/files"),
        "upload",
        &(&upload, 7u8, Kind::Blob(bin(b"blob"))),
        Some(3),
    )
    .unwrap();
    assert_eq!(encoded.attachments.len(), 9);
    assert!(encoded.text.starts_with("59-/files,3[\"upload\",{"));

    let mut decoder = Decoder::default();
    let mut decoded = None;
    for message in encoded.messages() {
        decoded = match message {
            Message::Text(text) => decoder.decode_text(text).unwrap(),
            Message::Binary(bytes) => decoder.decode_binary(bytes).unwrap(),
        };
    }
    let packet = decoded.unwrap();
    assert_eq!(packet.namespace, "/files");
    let PacketKind::Event { args, ack: Some(3) } = &packet.kind else {
        panic!("{packet:?}")
    };
    assert_eq!(args.event_name().as_deref(), Some("upload"));
    let (back, seven, blob): (Upload, u8, Kind) = args.event_args().unwrap();
    assert_eq!(
        (back, seven, blob),
        (upload.clone(), 7, Kind::Blob(bin(b"blob")))
    );
    let (name, back, seven, _): (String, Upload, u8, Kind) = args.deserialize().unwrap();
    assert_eq!((name.as_str(), back, seven), ("upload", upload, 7));
}

#[test]
fn borrowed_byte_fields_point_into_the_attachment() {
    #[derive(Deserialize)]
    struct View<'a> {
        #[serde(borrow)]
        data: &'a [u8],
        #[serde(borrow)]
        label: &'a str,
    }
    let payload = Payload::event("v", &json!({"data": null, "label": "L"})).unwrap();
    assert!(
        payload.event_args::<(View,)>().is_err(),
        "null is not bytes"
    );

    #[derive(Serialize)]
    struct Out<'a> {
        data: &'a Bytes,
        label: &'a str,
    }
    let data = bin(b"zero-copy");
    let payload = Payload::event(
        "v",
        &Out {
            data: &data,
            label: "L",
        },
    )
    .unwrap();
    let (view,): (View,) = payload.event_args().unwrap();
    assert_eq!(view.data, b"zero-copy");
    assert_eq!(view.data.as_ptr(), payload.attachments()[0].as_ptr());
    assert_eq!(view.label, "L");
}

#[test]
fn event_args_skip_the_name_and_ignore_extra_arguments() {
    let payload = decode(r#"2["ev",1,"two",[3],{"four":4}]"#, &[]).unwrap();
    let PacketKind::Event { args, .. } = payload.kind else {
        panic!()
    };
    let (one, two): (u32, String) = args.event_args().unwrap();
    assert_eq!((one, two.as_str()), (1, "two"));
    let all: Vec<Value> = args.event_args().unwrap();
    assert_eq!(
        all,
        vec![json!(1), json!("two"), json!([3]), json!({"four": 4})]
    );
    #[derive(Deserialize, Debug, PartialEq)]
    struct Positional {
        one: u32,
        two: String,
    }
    let positional: Positional = args.event_args().unwrap();
    assert_eq!(
        positional,
        Positional {
            one: 1,
            two: "two".into()
        }
    );
    assert!(
        args.deserialize::<(String, u32)>().is_err(),
        "whole-array access is exact"
    );
    assert!(
        args.event_args::<(u32, u32)>().is_err(),
        "type mismatch is an error"
    );
    args.event_args::<()>()
        .expect("`()` takes no argument and ignores the others");
    let bare = decode(r#"2["ev"]"#, &[]).unwrap();
    let PacketKind::Event { args, .. } = bare.kind else {
        panic!()
    };
    args.event_args::<()>().expect("no argument at all");
}

#[test]
fn event_name_is_cheap_and_unescaped() {
    let escaped = Payload::from_json(text(r#"["a\"b\u00e9",1]"#), vec![]).unwrap();
    assert!(matches!(escaped.event_name(), Some(Cow::Owned(name)) if name == "a\"bé"));
    let ack = Payload::new(&(true, 2)).unwrap();
    assert_eq!(ack.event_name(), None);
    let numeric = Payload::new(&(1, 2)).unwrap();
    assert_eq!(
        numeric.event_name().as_deref(),
        Some("1"),
        "numeric names are allowed"
    );
    assert_eq!(Payload::new(&()).unwrap().event_name(), None);
    // Only the first element is parsed: the rest may be huge (or, in unchecked text, broken).
    let unchecked = Payload::from_json(text(r#"["name",1]"#), vec![]).unwrap();
    assert_eq!(unchecked.event_name().as_deref(), Some("name"));
    let big = Payload::event("big", &vec![0u8; 1 << 20]).unwrap();
    let (name, allocated, _) = measure(|| big.event_name().map(|name| name.len()));
    assert_eq!(name, Some(3));
    assert_eq!(allocated, 0, "borrowed name, no parsing of the arguments");
}

#[test]
fn dynamic_values_reach_attachments() {
    let payload = Payload::from_json(
        text(r#"["file",{"body":{"_placeholder":true,"num":0},"n":1}]"#),
        vec![bin(b"content")],
    )
    .unwrap();
    let values: Vec<Value> = payload.deserialize().unwrap();
    assert_eq!(
        payload.attachment(&values[1]["body"]),
        Some(&bin(b"content"))
    );
    assert_eq!(payload.attachment(&values[1]["n"]), None);
    assert_eq!(placeholder_index(&values[1]["body"]), Some(0));

    let built = format!(r#"["x",{}]"#, placeholder(0));
    let payload = Payload::from_json(text(&built), vec![bin(b"1")]).unwrap();
    let encoded = Packet::event(NamespaceName::main(), payload, None).encode();
    assert_eq!(encoded.text, r#"51-["x",{"_placeholder":true,"num":0}]"#);

    assert_eq!(
        Payload::from_json(text(r#"["x"]"#), vec![bin(b"1")]),
        Err(ParseError::AttachmentCountMismatch {
            announced: 1,
            found: 0
        })
    );
    assert_eq!(
        Payload::from_json(text(r#"{"x":1}"#), vec![]),
        Err(ParseError::InvalidPayload)
    );
    assert_eq!(
        Payload::from_json(text(r#"[1"#), vec![]),
        Err(ParseError::InvalidJson)
    );
}

#[test]
fn raw_json_reads_typed() {
    #[derive(Deserialize, Serialize, Debug, PartialEq)]
    struct Auth {
        token: String,
    }
    let packet = decode(r#"0/admin,{"token":"123"}"#, &[]).unwrap();
    let PacketKind::Connect(Some(auth)) = &packet.kind else {
        panic!("{packet:?}")
    };
    assert_eq!(
        auth.deserialize::<Auth>().unwrap(),
        Auth {
            token: "123".into()
        }
    );
    let built = RawJson::from_serialize(&Auth {
        token: "123".into(),
    })
    .unwrap();
    assert_eq!(&built, auth);
    assert!(RawJson::new(text("{")).is_err());
}

// ---- encoding ----

#[test]
fn argument_spreading_rules() {
    let cases: Vec<(Encoded, &str)> = vec![
        (
            Encoded::event(&NamespaceName::main(), "e", &(), None).unwrap(),
            r#"2["e"]"#,
        ),
        (
            Encoded::event(&NamespaceName::main(), "e", &(1, "a"), None).unwrap(),
            r#"2["e",1,"a"]"#,
        ),
        (
            Encoded::event(&NamespaceName::main(), "e", &[1, 2], None).unwrap(),
            r#"2["e",1,2]"#,
        ),
        (
            Encoded::event(&NamespaceName::main(), "e", &(vec![1, 2],), None).unwrap(),
            r#"2["e",[1,2]]"#,
        ),
        (
            Encoded::event(&NamespaceName::main(), "e", &json!({"k": 1}), None).unwrap(),
            r#"2["e",{"k":1}]"#,
        ),
        (
            Encoded::event(&NamespaceName::main(), "e", &json!([1]), None).unwrap(),
            r#"2["e",1]"#,
        ),
        (
            Encoded::event(&NamespaceName::main(), "e", &Some(1), None).unwrap(),
            r#"2["e",1]"#,
        ),
        (
            Encoded::event(&NamespaceName::main(), "e", &None::<u8>, None).unwrap(),
            r#"2["e",null]"#,
        ),
        (
            Encoded::ack(&NamespaceName::main(), 0, &()).unwrap(),
            "30[]",
        ),
        (Encoded::ack(&ns("/n"), 9, &"x").unwrap(), r#"3/n,9["x"]"#),
    ];
    for (encoded, expected) in cases {
        assert_eq!(encoded.text, expected);
    }
}

#[test]
fn serialization_errors_are_values() {
    let mut bad = BTreeMap::new();
    bad.insert(vec![1u8], 1);
    assert!(Encoded::event(&NamespaceName::main(), "e", &(bad.clone(),), None).is_err());
    assert!(Payload::new(&(bad,)).is_err());
    assert!(
        Payload::new(&(f64::NAN,)).is_ok(),
        "serde_json writes NaN as null"
    );
}

#[test]
fn encoded_packets_share_their_bytes() {
    let encoded = Encoded::event(&ns("/room"), "news", &(bin(&[9; 64]), "text"), None).unwrap();
    let copies: Vec<Encoded> = (0..100).map(|_| encoded.clone()).collect();
    for copy in &copies {
        assert_eq!(copy.text.as_ptr(), encoded.text.as_ptr());
        assert_eq!(
            copy.attachments[0].as_ptr(),
            encoded.attachments[0].as_ptr()
        );
    }
    let messages: Vec<Message> = encoded.messages().collect();
    assert_eq!(encoded.messages().len(), 2);
    assert_eq!(messages[0], Message::Text(encoded.text.clone()));
    assert_eq!(messages[1], Message::Binary(encoded.attachments[0].clone()));
}

#[test]
fn encoded_packets_carry_their_engine_io_frame_in_the_same_buffer() {
    let from_args = Encoded::event(&ns("/room"), "news", &(bin(&[9; 4]), "text"), Some(7)).unwrap();
    let packet = Packet::event(
        NamespaceName::main(),
        Payload::event("e", &(1,)).unwrap(),
        None,
    );
    for encoded in [from_args, packet.encode()] {
        let frame = encoded.frame().frame();
        assert_eq!(frame.as_str(), format!("4{}", encoded.text));
        // The text is the frame behind its prefix: one buffer, so framing copies nothing.
        assert_eq!(frame.as_ptr().wrapping_add(1), encoded.text.as_ptr());
    }
}

#[test]
fn namespaces_are_checked_and_hash_as_text() {
    use std::collections::HashSet;
    assert!(NamespaceName::new("admin").is_err());
    assert!(NamespaceName::new("/a,b").is_err());
    assert!(NamespaceName::try_from("/ok").is_ok());
    let set: HashSet<NamespaceName> = [ns("/chat")].into();
    assert!(set.contains("/chat"));
}

// ---- round trips ----

/// An argument tree with binary leaves.
#[derive(Debug, Clone)]
enum Arg {
    Json(Value),
    Binary(Vec<u8>),
    List(Vec<Arg>),
    Object(Vec<(String, Arg)>),
}

impl Serialize for Arg {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Arg::Json(value) => value.serialize(serializer),
            Arg::Binary(bytes) => serializer.serialize_bytes(bytes),
            Arg::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Arg::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(".{0,6}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn arg() -> impl Strategy<Value = Arg> {
    let leaf = prop_oneof![
        json_value().prop_map(Arg::Json),
        prop::collection::vec(any::<u8>(), 0..16).prop_map(Arg::Binary),
    ];
    leaf.prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Arg::List),
            prop::collection::vec(("[a-z]{1,4}", inner), 0..3).prop_map(Arg::Object),
        ]
    })
}

fn namespace() -> impl Strategy<Value = NamespaceName> {
    prop_oneof![
        Just(NamespaceName::main()),
        "/[^,]{0,12}".prop_map(|name| NamespaceName::new(name).unwrap())
    ]
}

fn object() -> impl Strategy<Value = RawJson> {
    prop::collection::btree_map(".{0,6}", json_value(), 0..4)
        .prop_map(|map| RawJson::from_serialize(&map).unwrap())
}

#[derive(Debug, Clone)]
enum Spec {
    Connect(Option<RawJson>),
    Disconnect,
    Event {
        name: String,
        args: Vec<Arg>,
        ack: Option<u64>,
    },
    Ack {
        args: Vec<Arg>,
        id: u64,
    },
    ConnectError(RawJson),
}

fn spec() -> impl Strategy<Value = Spec> {
    let args = || prop::collection::vec(arg(), 0..4);
    prop_oneof![
        prop::option::of(object()).prop_map(Spec::Connect),
        Just(Spec::Disconnect),
        (".{0,10}", args(), prop::option::of(any::<u64>()))
            .prop_map(|(name, args, ack)| Spec::Event { name, args, ack }),
        (args(), any::<u64>()).prop_map(|(args, id)| Spec::Ack { args, id }),
        prop_oneof![
            object(),
            ".{0,10}".prop_map(|message| RawJson::from_serialize(&message).unwrap()),
        ]
        .prop_map(Spec::ConnectError),
    ]
}

fn build(namespace: &NamespaceName, spec: &Spec) -> Packet {
    let namespace = namespace.clone();
    match spec.clone() {
        Spec::Connect(data) => Packet::connect(namespace, data),
        Spec::Disconnect => Packet::disconnect(namespace),
        Spec::Event { name, args, ack } => Packet::event(namespace, event(&name, &args), ack),
        Spec::Ack { args, id } => Packet::ack(namespace, id, Payload::new(&args).unwrap()),
        Spec::ConnectError(data) => Packet::connect_error(namespace, data),
    }
}

fn decode_encoded(encoded: &Encoded) -> Result<Packet, ParseError> {
    let config = DecoderConfig {
        max_attachments: usize::MAX,
    };
    let mut decoder = Decoder::new(config);
    let mut packet = decoder.decode_text(encoded.text.clone())?;
    for (i, attachment) in encoded.attachments.iter().enumerate() {
        assert!(packet.is_none(), "completed before attachment {i}");
        packet = decoder.decode_binary(attachment.clone())?;
    }
    Ok(packet.expect("complete after the last attachment"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_packet_round_trips(namespace in namespace(), spec in spec()) {
        let packet = build(&namespace, &spec);
        let encoded = packet.encode();
        prop_assert_eq!(decode_encoded(&encoded)?, packet.clone());
        prop_assert_eq!(
            encoded.text.as_bytes()[0],
            packet.packet_type().digit(),
            "type digit of {:?}", packet
        );

        // The one-buffer path writes the same bytes as building a payload and encoding it.
        let direct = match &spec {
            Spec::Event { name, args, ack } => Some(Encoded::event(&namespace, name, args, *ack).unwrap()),
            Spec::Ack { args, id } => Some(Encoded::ack(&namespace, *id, args).unwrap()),
            _ => None,
        };
        if let Some(direct) = direct {
            prop_assert_eq!(direct, encoded);
        }
    }

    #[test]
    fn binary_typed_values_round_trip(
        body in prop::collection::vec(any::<u8>(), 0..64),
        chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..8), 0..5),
        hash in prop::option::of(prop::collection::vec(any::<u8>(), 0..8)),
        name in ".{0,10}",
        ack in prop::option::of(any::<u64>()),
    ) {
        let upload = Upload {
            name,
            body: Bytes::from(body),
            chunks: chunks.into_iter().map(Bytes::from).collect(),
            thumbnail: hash.clone().map(Bytes::from),
            meta: Meta { size: 1, hash: hash.map(Bytes::from) },
            tagged: BTreeMap::new(),
            kind: Kind::Text,
        };
        let encoded = Encoded::event(&NamespaceName::main(), "u", &(&upload,), ack).unwrap();
        let packet = decode_encoded(&encoded)?;
        let PacketKind::Event { args, ack: decoded_ack } = &packet.kind else {
            return Err(TestCaseError::fail("not an event"));
        };
        prop_assert_eq!(*decoded_ack, ack);
        let (back,): (Upload,) = args.event_args().unwrap();
        prop_assert_eq!(back, upload);
    }

    #[test]
    fn arbitrary_text_never_panics(input in ".{0,40}") {
        let _ = Decoder::default().decode_text(text(&input));
    }

    #[test]
    fn mutated_packets_never_panic(
        namespace in namespace(),
        spec in spec(),
        cut in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let encoded = build(&namespace, &spec).encode();
        let mut bytes = encoded.text.as_bytes().to_vec();
        let at = cut.index(bytes.len());
        bytes[at] = byte;
        if let Ok(mutated) = Utf8Bytes::try_from_bytes(Bytes::from(bytes)) {
            let mut decoder = Decoder::default();
            if let Ok(None) = decoder.decode_text(mutated) {
                for attachment in &encoded.attachments {
                    let _ = decoder.decode_binary(attachment.clone());
                }
            }
        }
    }
}
