//! Socket.IO packet decoding with attachment reassembly, from a sequence of Engine.IO messages.
//! Invariants: no panic; the announced attachment count never exceeds the limit; whatever decodes
//! re-encodes to messages that decode to an equal packet.
//!
//! Input: messages separated by `0xff` (never in UTF-8); a message starting with `0x00` is binary (the
//! rest of it), any other is text.
#![no_main]

use bytes::Bytes;
use engineio_proto::{Message, Utf8Bytes};
use libfuzzer_sys::fuzz_target;
use socketio_proto::packet::{Decoder, DecoderConfig, Packet};

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
                Ok(text) => decoder.decode_text(text),
                Err(_) => continue,
            },
        };
        assert!(decoder.missing_attachments() <= config.max_attachments);
        if let Ok(Some(packet)) = decoded {
            let encoded = packet.encode();
            let again = decode_all(&mut Decoder::new(config), encoded.messages());
            assert_eq!(again.as_ref(), Some(&packet), "re-encoded as {encoded:?}");
        }
    }
});
