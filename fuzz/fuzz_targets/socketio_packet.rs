//! Socket.IO packet decoding with attachment reassembly, from a sequence of Engine.IO messages.
//! Invariants: no panic; the announced attachment count never exceeds the limit; whatever decodes
//! re-encodes to messages that decode to an equal packet; a decoded event has a name.
//!
//! Differential: each text message, and its part from the first `[` on (a packet's arguments), is
//! also scanned as a bare JSON array (`Payload::from_json`) and checked against serde_json. What serde_json reads as `Value`s the scan accepts; what the scan
//! accepts serde_json skips (`IgnoredAny`, which like the scan leaves lone surrogate escapes and
//! numbers beyond `f64` to the reader).
//!
//! Input: messages separated by `0xff` (never in UTF-8); a message starting with `0x00` is binary (the
//! rest of it), any other is text.
#![no_main]

use bytes::Bytes;
use engineio_proto::{Message, Utf8Bytes};
use libfuzzer_sys::fuzz_target;
use serde::de::IgnoredAny;
use serde_json::Value;
use socketio_proto::packet::{Decoder, DecoderConfig, Packet, PacketKind, Payload};

fn decode_all(decoder: &mut Decoder, messages: impl IntoIterator<Item = Message>) -> Option<Packet> {
    let mut last = None;
    for message in messages {
        last = match message {
            Message::Text(text) => decoder.decode_text(text),
            Message::Binary(bytes) => decoder.decode_binary(bytes),
        }
        .expect("an encoded packet decodes");
    }
    last
}

fuzz_target!(|data: &[u8]| {
    let config = DecoderConfig { max_attachments: 4 };
    let mut decoder = Decoder::new(config);
    for message in data.split(|&b| b == 0xff).take(64) {
        let decoded = match message.split_first() {
            Some((0, binary)) => decoder.decode_binary(Bytes::copy_from_slice(binary)),
            _ => match Utf8Bytes::try_from_bytes(Bytes::copy_from_slice(message)) {
                Ok(text) => {
                    check_scan(&text);
                    if let Some(args) = text.find('[').and_then(|at| text.slice(at, text.len())) {
                        check_scan(&args);
                    }
                    decoder.decode_text(text)
                }
                Err(_) => continue,
            },
        };
        assert!(decoder.missing_attachments() <= config.max_attachments);
        if let Ok(Some(packet)) = decoded {
            if let PacketKind::Event { args, .. } = &packet.kind {
                assert!(args.event_name().is_some(), "no name in {args:?}");
            }
            let encoded = packet.encode();
            let again = decode_all(&mut Decoder::new(config), encoded.messages());
            assert_eq!(again.as_ref(), Some(&packet), "re-encoded as {encoded:?}");
        }
    }
});

/// The scan of `text` as a JSON array, against serde_json's two verdicts.
fn check_scan(text: &Utf8Bytes) {
    let scanned = Payload::from_json(text.clone(), Vec::new()).is_ok();
    if serde_json::from_str::<Vec<Value>>(text).is_ok() {
        assert!(scanned, "serde_json reads {text:?}, the scan refuses it");
    }
    if scanned {
        assert!(
            serde_json::from_str::<Vec<IgnoredAny>>(text).is_ok(),
            "the scan accepts {text:?}, serde_json does not"
        );
    }
}
