//! Property tests: any packet and any payload survive encode -> decode.

use bytes::{Bytes, BytesMut};
use engineio_proto::payload::{PayloadDecoder, decode_payload, encode_payload};
use engineio_proto::{Frame, Message, Packet, Utf8Bytes};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = Utf8Bytes> {
    // Any Unicode except the payload separator, which cannot appear inside a text packet.
    "[^\u{1e}]{0,40}".prop_map(Utf8Bytes::from)
}

fn packet() -> impl Strategy<Value = Packet> {
    prop_oneof![
        text().prop_map(Packet::Open),
        Just(Packet::Close),
        text().prop_map(Packet::Ping),
        text().prop_map(Packet::Pong),
        text().prop_map(|t| Packet::Message(Message::Text(t))),
        proptest::collection::vec(any::<u8>(), 0..64)
            .prop_map(|b| Packet::Message(Message::Binary(Bytes::from(b)))),
        Just(Packet::Upgrade),
        Just(Packet::Noop),
    ]
}

proptest! {
    #[test]
    fn any_packet_survives_a_websocket_frame(packet in packet()) {
        prop_assert_eq!(Packet::from_frame(packet.to_frame()), Ok(packet));
    }

    #[test]
    fn any_packet_survives_its_text_form(packet in packet()) {
        let mut out = BytesMut::new();
        packet.write_text(&mut out);
        prop_assert_eq!(out.len(), packet.text_len());
        prop_assert_eq!(decode_payload(out.freeze(), usize::MAX), Ok(vec![packet]));
    }

    #[test]
    fn any_payload_survives_in_any_chunking(
        packets in proptest::collection::vec(packet(), 1..8),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let body = encode_payload(&packets);
        prop_assert_eq!(decode_payload(body.clone(), body.len()), Ok(packets.clone()));

        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(body.len() + 1)).collect();
        cuts.sort_unstable();
        let mut decoder = PayloadDecoder::new(body.len());
        let mut decoded = Vec::new();
        let mut start = 0;
        for end in cuts.into_iter().chain([body.len()]) {
            decoder.push(body.slice(start..end)).unwrap();
            start = end;
            while let Some(packet) = decoder.next_packet() {
                decoded.push(packet.unwrap());
            }
        }
        decoded.push(decoder.finish().unwrap());
        prop_assert_eq!(decoded, packets);
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode_payload(Bytes::from(body.clone()), 128);
        if let Ok(text) = Utf8Bytes::try_from_bytes(Bytes::from(body)) {
            let _ = Packet::from_frame(Frame::Text(text));
        }
    }
}

/// Revision 3: the same properties in both payload framings, with any text (the record separator
/// included: revision 3 frames by length, not by separator).
mod v3 {
    use super::*;
    use engineio_proto::v3::{
        Framing, PayloadDecoder, decode_frame, decode_payload, encode_frame, encode_payload,
        utf16_len,
    };

    fn any_text() -> impl Strategy<Value = Utf8Bytes> {
        "\\PC{0,40}|[\u{1e}\u{10000}-\u{10ffff}]{0,8}".prop_map(Utf8Bytes::from)
    }

    fn packet() -> impl Strategy<Value = Packet> {
        prop_oneof![
            any_text().prop_map(Packet::Open),
            Just(Packet::Close),
            any_text().prop_map(Packet::Ping),
            any_text().prop_map(Packet::Pong),
            any_text().prop_map(|t| Packet::Message(Message::Text(t))),
            proptest::collection::vec(any::<u8>(), 0..64)
                .prop_map(|b| Packet::Message(Message::Binary(Bytes::from(b)))),
            Just(Packet::Upgrade),
            Just(Packet::Noop),
        ]
    }

    proptest! {
        #[test]
        fn utf16_len_counts_as_javascript(text in "\\PC{0,64}") {
            prop_assert_eq!(utf16_len(&text), text.encode_utf16().count());
        }

        #[test]
        fn any_packet_survives_a_websocket_frame(packet in packet(), base64 in any::<bool>()) {
            prop_assert_eq!(decode_frame(encode_frame(&packet, base64)), Ok(packet));
        }

        #[test]
        fn any_payload_survives_in_any_chunking(
            packets in proptest::collection::vec(packet(), 1..8),
            binary in any::<bool>(),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
        ) {
            let body = encode_payload(&packets, binary);
            let has_binary = packets.iter().any(|p| matches!(p, Packet::Message(Message::Binary(_))));
            let framing = if binary && has_binary { Framing::Binary } else { Framing::Text };
            prop_assert_eq!(Framing::of(&body), framing);
            prop_assert_eq!(decode_payload(body.clone(), body.len()), Ok(packets.clone()));

            let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(body.len() + 1)).collect();
            cuts.sort_unstable();
            let mut decoder = PayloadDecoder::new(body.len());
            let mut decoded = Vec::new();
            let mut start = 0;
            for end in cuts.into_iter().chain([body.len()]) {
                decoder.push(body.slice(start..end)).unwrap();
                start = end;
                while let Some(packet) = decoder.next_packet() {
                    decoded.push(packet.unwrap());
                }
            }
            decoder.finish().unwrap();
            prop_assert_eq!(decoded, packets);
        }

        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = decode_payload(Bytes::from(body.clone()), 128);
            let _ = decode_frame(Frame::Binary(Bytes::from(body.clone())));
            if let Ok(text) = Utf8Bytes::try_from_bytes(Bytes::from(body)) {
                let _ = decode_frame(Frame::Text(text));
            }
        }
    }
}
