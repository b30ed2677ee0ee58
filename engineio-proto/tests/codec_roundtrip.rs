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
